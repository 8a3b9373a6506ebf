//! Admin tokens: several at once (a roll-over), read-only ones (every admin
//! `GET`, no write — checked against the OpenAPI document's list, so a new
//! operation cannot be forgotten), the limit on wrong tokens per client
//! address, and the tokens from the environment.

use crate::support::{
    Options, Reply, TestDatabase, TestServer, project_dir, start_binary_with_env,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use stock_widget::server::{Limits, WriteLimit, fingerprint};

const OLD: &str = "old-admin-token-0001";
const NEW: &str = "new-admin-token-0002";
const READER: &str = "dashboard-read-token-0003";

fn rolling_over() -> Options {
    Options {
        admin_token: Some(OLD.into()),
        more_admin_tokens: vec![NEW.into()],
        read_only_tokens: vec![READER.into()],
        ..Options::default()
    }
}

async fn call(server: &TestServer, method: Method, path: &str, token: &str) -> Reply {
    server
        .send(
            server
                .http()
                .request(method, server.url(path))
                .bearer_auth(token),
        )
        .await
}

async fn call_with(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: &Value,
) -> Reply {
    server
        .send(
            server
                .http()
                .request(method, server.url(path))
                .bearer_auth(token)
                .json(body),
        )
        .await
}

#[tokio::test]
async fn two_admin_tokens_both_read_and_write_and_a_wrong_one_is_401() {
    let server = TestServer::start_with(rolling_over()).await;
    for (token, stock) in [(OLD, 3), (NEW, 4)] {
        let path = "/api/v1/admin/products/LAMP";
        let body = json!({"name": "Lamp", "stock": stock});
        let written = call_with(&server, Method::PUT, path, token, &body).await;
        assert_eq!(written.status, 200, "{token}: {}", written.body);
        let read = call(&server, Method::GET, path, token).await;
        assert_eq!(read.status, 200);
        assert_eq!(read.body["stock"], stock, "{token}");
    }
    for wrong in ["old-admin-token-000", "new-admin-token-00021", "", "Bearer"] {
        let reply = call(&server, Method::GET, "/api/v1/admin/products/LAMP", wrong).await;
        assert_eq!(reply.status, 401, "{wrong:?}");
        assert_eq!(reply.body["error"]["code"], "unauthorized");
    }
}

/// Every admin operation in the server's own OpenAPI document.
async fn admin_operations(server: &TestServer) -> Vec<(Method, String)> {
    let doc = server.get("/api/v1/openapi.json").await.body;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/admin/") && path != "/api/v1/admin" {
            continue;
        }
        for method in item.as_object().expect("an item").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            operations.push((method, path.clone()));
        }
    }
    operations
}

/// A body each write would accept from a full token (a new operation's is
/// `{}`: give it a real one here, so its refusal proves the token's rule).
fn body_for(method: &Method, path: &str) -> Value {
    match (method.as_str(), path) {
        ("PUT", "/api/v1/admin/products") => {
            json!({"products": [{"sku": "RO-LAMP", "name": "Changed", "stock": 99}]})
        }
        ("PUT", "/api/v1/admin/products/{sku}") => json!({"name": "Changed", "stock": 99}),
        ("POST", "/api/v1/admin/products/{sku}/receipts") => json!({"quantity": 5}),
        // After the product's PUTs (the document lists paths in order): in stock.
        ("POST", "/api/v1/admin/products/{sku}/sales") => json!({"quantity": 1}),
        ("PUT", "/api/v1/admin/demand") => {
            json!({"demand": [{"sku": "RO-LAMP", "date": "2026-03-01", "units": 3}]})
        }
        ("PUT", "/api/v1/admin/suppliers/{id}") => json!({"name": "Changed", "lead_time_days": 1}),
        ("POST", "/api/v1/admin/webhooks") => json!({"url": "http://127.0.0.1:9/other"}),
        _ => json!({}),
    }
}

/// What the full token sees: the state a refused write must leave alone.
async fn everything(server: &TestServer) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        "/api/v1/admin/products/RO-LAMP",
        "/api/v1/admin/products/RO-LAMP/reservations",
        "/api/v1/admin/products/RO-LAMP/insight",
        "/api/v1/admin/suppliers",
        "/api/v1/admin/webhooks",
    ] {
        seen.push(call(server, Method::GET, path, OLD).await.body);
    }
    seen
}

#[tokio::test]
async fn a_read_only_token_reads_every_admin_get_and_is_refused_every_write() {
    let server = TestServer::start_with(rolling_over()).await;
    let supplier = json!({"name": "Brass Works", "lead_time_days": 10});
    let created = call_with(
        &server,
        Method::PUT,
        "/api/v1/admin/suppliers/BRASS",
        OLD,
        &supplier,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let lamp = json!({"name": "Lamp", "stock": 0, "backorders": "allow", "supplier": "BRASS",
        "incoming": [{"quantity": 4, "eta": "2026-03-20", "id": "PO-1"}]});
    let created = call_with(
        &server,
        Method::PUT,
        "/api/v1/admin/products/RO-LAMP",
        OLD,
        &lamp,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        server
            .reserve("RO-LAMP", 2, "a@example.com", None)
            .await
            .status,
        201
    );
    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["product.back_in_stock"]});
    let created = call_with(&server, Method::POST, "/api/v1/admin/webhooks", OLD, &hook).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let webhook = created.body["id"].as_str().expect("an id").to_owned();
    let concrete = |path: &str| {
        let id = if path.contains("/webhooks/") {
            webhook.as_str()
        } else {
            "BRASS"
        };
        path.replace("{sku}", "RO-LAMP").replace("{id}", id)
    };

    let operations = admin_operations(&server).await;
    let (reads, writes): (Vec<_>, Vec<_>) = operations
        .iter()
        .partition(|(method, _)| *method == Method::GET);
    assert!(
        reads.len() >= 10 && writes.len() >= 8,
        "the document lists every admin operation: {operations:?}"
    );
    for (method, path) in &reads {
        let reply = call(&server, method.clone(), &concrete(path), READER).await;
        assert_eq!(reply.status, 200, "{method} {path}: {}", reply.body);
    }
    let before = everything(&server).await;
    for (method, path) in &writes {
        let body = body_for(method, path);
        let reply = call_with(&server, method.clone(), &concrete(path), READER, &body).await;
        assert_eq!(reply.status, 403, "{method} {path}: {}", reply.body);
        assert_eq!(
            reply.body["error"]["code"], "read_only_token",
            "{method} {path}"
        );
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("only read"),
            "{}",
            reply.body
        );
    }
    assert_eq!(
        everything(&server).await,
        before,
        "a refused write changes nothing"
    );
    assert_eq!(before[0]["stock"], 0);
    // The same requests with a full token go through: the token was the reason.
    for (method, path) in &writes {
        let body = body_for(method, path);
        let reply = call_with(&server, method.clone(), &concrete(path), NEW, &body).await;
        assert!(
            (200..300).contains(&reply.status),
            "{method} {path} with a full token: {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn a_read_only_token_alone_turns_on_the_reads_only() {
    let server = TestServer::start_with(Options {
        admin_token: None,
        read_only_tokens: vec![READER.into()],
        ..Options::default()
    })
    .await;
    server
        .put_product("LAMP", crate::support::product("Lamp", 2))
        .await;
    let read = call(&server, Method::GET, "/api/v1/admin/products/LAMP", READER).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["stock"], 2);
    let receipt = call_with(
        &server,
        Method::POST,
        "/api/v1/admin/products/LAMP/receipts",
        READER,
        &json!({"quantity": 1}),
    )
    .await;
    assert_eq!(receipt.status, 403);
    assert_eq!(receipt.body["error"]["code"], "read_only_token");
    let anonymous = server.get("/api/v1/admin/products/LAMP").await;
    assert_eq!(anonymous.status, 401, "on, for reads: not admin_disabled");
}

#[tokio::test]
async fn thirty_bad_tokens_from_one_address_end_in_429_while_another_address_gets_in() {
    let server = TestServer::start_with(Options {
        // The address is the proxy's header, as behind a load balancer.
        write_limit: WriteLimit {
            per_minute: 1_000_000,
            client_ip_header: Some(axum::http::HeaderName::from_static("x-forwarded-for")),
        },
        // 4 a minute: 1 at once, then one every 15 s (20, the default, lets 5
        // through at once and one every 3 s: too quick to assert on a busy
        // machine). The numbers themselves are unit-tested.
        limits: Limits {
            failed_logins_per_minute: 4,
            ..Limits::default()
        },
        ..Options::default()
    })
    .await;
    server
        .put_product("LAMP", crate::support::product("Lamp", 2))
        .await;
    let path = "/api/v1/admin/products/LAMP";
    let from = |address: &str, token: &str| {
        server
            .http()
            .get(server.url(path))
            .header("X-Forwarded-For", address)
            .bearer_auth(token)
    };
    let (bot, merchant) = ("203.0.113.7", "198.51.100.20");
    let token = server.admin_token.clone().expect("an admin token");

    // Successful requests, 100 at once, are never slowed and count nothing.
    let burst: Vec<_> = (0..100)
        .map(|_| tokio::spawn(from(bot, &token).send()))
        .collect();
    for request in burst {
        assert_eq!(request.await.unwrap().unwrap().status(), 200);
    }

    let mut statuses = Vec::new();
    for attempt in 0..30 {
        let response = from(bot, &format!("guess-{attempt}")).send().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let seconds: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=15).contains(&seconds), "Retry-After {seconds}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "too_many_failed_logins");
        }
    }
    assert_eq!(
        statuses[0], 401,
        "the 100 good ones took nothing: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 401).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 429).count(),
        29,
        "{statuses:?}"
    );

    let limited = server.send(from(bot, &token)).await;
    assert_eq!(
        limited.status, 429,
        "a limited address waits, right token or not"
    );
    assert_eq!(limited.body["error"]["code"], "too_many_failed_logins");
    let bare = server
        .send(
            server
                .http()
                .get(server.url(path))
                .header("X-Forwarded-For", bot),
        )
        .await;
    assert_eq!(bare.status, 401, "no token guesses nothing: not limited");
    let other = server.send(from(merchant, &token)).await;
    assert_eq!(other.status, 200, "another address still gets in");
    let no_header = server.send(server.admin(Method::GET, path)).await;
    assert_eq!(
        no_header.status, 200,
        "not through the proxy: its own peer address"
    );
}

#[tokio::test]
async fn the_environment_takes_several_tokens_separated_by_commas() {
    let database = TestDatabase::new().await;
    let (_server, url) = start_binary_with_env(
        &database.arg(),
        &[],
        &[
            (
                "STOCK_WIDGET_ADMIN_TOKEN",
                "first-env-token-aaaa, second-env-token-bbbb",
            ),
            ("STOCK_WIDGET_READ_ONLY_TOKEN", "env-read-token-cccc"),
        ],
    );
    let http = reqwest::Client::new();
    let put = |token: &str| {
        http.put(format!("{url}/api/v1/admin/suppliers/ENV"))
            .bearer_auth(token)
            .json(&json!({"name": "Env", "lead_time_days": 3}))
            .send()
    };
    assert_eq!(put("first-env-token-aaaa").await.unwrap().status(), 201);
    assert_eq!(put("second-env-token-bbbb").await.unwrap().status(), 200);
    assert_eq!(put("env-read-token-cccc").await.unwrap().status(), 403);
    let read = http
        .get(format!("{url}/api/v1/admin/suppliers/ENV"))
        .bearer_auth("env-read-token-cccc")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn a_token_both_full_and_read_only_stops_the_server_at_start() {
    let database = TestDatabase::sqlite();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stock-widget"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db", &database.arg()])
        .args([
            "--admin-token",
            "one-admin-token-1111,both-kinds-token-2222",
        ])
        .args(["--read-only-token", "both-kinds-token-2222"])
        .current_dir(project_dir())
        .env_remove("STOCK_WIDGET_ADMIN_TOKEN")
        .env_remove("STOCK_WIDGET_READ_ONLY_TOKEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start stock-widget");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started with a token of both kinds");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!status.success(), "{said}");
    assert!(
        said.contains(&fingerprint("both-kinds-token-2222")),
        "{said}"
    );
    assert!(said.contains("one or the other"), "{said}");
    assert!(
        !said.contains("both-kinds-token-2222"),
        "never the token: {said}"
    );
}

#[tokio::test]
async fn token_fingerprint_prints_each_tokens_fingerprint() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stock-widget"))
        .arg("token-fingerprint")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start stock-widget");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"abc\nnew-admin-token-0002, old-admin-token-0001\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("tok_ba7816bf\n{}\n{}\n", fingerprint(NEW), fingerprint(OLD))
    );
}
