//! The audit log (`GET /api/v1/admin/audit`): every admin write — walked
//! from the server's own OpenAPI document, so a new one cannot be forgotten —
//! leaves one line with its token's fingerprint, operation, target and
//! address; a refused write leaves none; paging; 90 days kept; the command
//! line's imports. On SQLite, and on PostgreSQL in the second run.

use crate::support::{Options, Reply, TestServer, wait_until};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use stock_widget::server::{WriteLimit, fingerprint};

const FIRST: &str = "first-admin-token-0001";
const SECOND: &str = "second-admin-token-0002";
const READER: &str = "reader-token-0003";

/// Two admin tokens and a read-only one; the client's address from
/// `X-Forwarded-For` (as behind a proxy).
fn two_tokens() -> Options {
    Options {
        admin_token: Some(FIRST.into()),
        more_admin_tokens: vec![SECOND.into()],
        read_only_tokens: vec![READER.into()],
        write_limit: WriteLimit {
            per_minute: 1_000_000,
            client_ip_header: Some(axum::http::HeaderName::from_static("x-forwarded-for")),
        },
        ..Options::default()
    }
}

/// `method path` with `token`, from `address` (through the proxy), with a
/// JSON body unless it is `null`.
async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    address: Option<&str>,
    body: &Value,
) -> Reply {
    let mut request = server
        .http()
        .request(method, server.url(path))
        .bearer_auth(token);
    if let Some(address) = address {
        // The proxy appends the client's address: the last entry counts.
        request = request.header("X-Forwarded-For", format!("198.51.100.99, {address}"));
    }
    if !body.is_null() {
        request = request.json(body);
    }
    server.send(request).await
}

/// `GET /api/v1/admin/audit` with `query`.
async fn audit(server: &TestServer, query: &str) -> Reply {
    call(
        server,
        Method::GET,
        &format!("/api/v1/admin/audit{query}"),
        FIRST,
        None,
        &Value::Null,
    )
    .await
}

/// Every line, newest first.
async fn lines(server: &TestServer) -> Vec<Value> {
    let reply = audit(server, "?limit=500").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["entries"].as_array().expect("entries").clone()
}

/// Every admin write in the server's own OpenAPI document.
async fn admin_writes(server: &TestServer) -> Vec<(Method, String)> {
    let doc = server.get("/api/v1/openapi.json").await.body;
    let mut writes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/admin") {
            continue;
        }
        for method in item.as_object().expect("an item").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            if method != Method::GET && method != Method::HEAD {
                writes.push((method, path.clone()));
            }
        }
    }
    writes
}

/// What each admin write is sent, and the operation and target its line
/// must name. A write missing here fails the test: give it a line in the
/// audit log (an `audit::note` in its operation) and an entry here.
fn expected(method: &Method, path: &str, webhook: &str) -> (String, Value, &'static str, String) {
    let sku = |path: &str| path.replace("{sku}", "AUD-LAMP");
    match (method.as_str(), path) {
        ("PUT", "/api/v1/admin/products") => (
            path.into(),
            json!({"products": [
                {"sku": "AUD-LAMP", "name": "Lamp", "stock": 50, "supplier": "AUD-SUP"},
                {"sku": "AUD-NEW", "name": "New", "stock": 1},
            ]}),
            "products.put_bulk",
            "2 products".into(),
        ),
        ("PUT", "/api/v1/admin/products/{sku}") => (
            sku(path),
            json!({"name": "Lamp", "stock": 40, "supplier": "AUD-SUP",
                "incoming": [{"quantity": 4, "eta": "2026-03-20", "id": "PO-1"}]}),
            "product.put",
            "AUD-LAMP".into(),
        ),
        ("POST", "/api/v1/admin/products/{sku}/receipts") => (
            sku(path),
            json!({"quantity": 1}),
            "product.receipt",
            "AUD-LAMP".into(),
        ),
        ("POST", "/api/v1/admin/products/{sku}/sales") => (
            sku(path),
            json!({"quantity": 1}),
            "product.sale",
            "AUD-LAMP".into(),
        ),
        ("PUT", "/api/v1/admin/demand") => (
            path.into(),
            json!({"demand": [
                {"sku": "AUD-LAMP", "date": "2026-03-01", "units": 3},
                {"sku": "AUD-LAMP", "date": "2026-02-28", "units": 2},
            ]}),
            "demand.put",
            "2 days".into(),
        ),
        ("PUT", "/api/v1/admin/suppliers/{id}") => (
            path.replace("{id}", "AUD-SUP"),
            json!({"name": "Audit Supply", "lead_time_days": 5}),
            "supplier.put",
            "AUD-SUP".into(),
        ),
        // The target is the new endpoint's id, known from the answer.
        ("POST", "/api/v1/admin/webhooks") => (
            path.into(),
            json!({"url": "http://127.0.0.1:9/audited"}),
            "webhook.create",
            String::new(),
        ),
        ("DELETE", "/api/v1/admin/webhooks/{id}") => (
            path.replace("{id}", webhook),
            Value::Null,
            "webhook.delete",
            webhook.into(),
        ),
        _ => panic!(
            "{method} {path} is an admin write without an audit expectation: \
             note its line in the audit log and add it here"
        ),
    }
}

#[tokio::test]
async fn every_admin_write_leaves_one_line_with_its_tokens_fingerprint_target_and_address() {
    let server = TestServer::start_with(two_tokens()).await;
    // What the writes need: a supplier, a product in stock, a webhook to remove.
    let setup = [
        (
            Method::PUT,
            "/api/v1/admin/suppliers/AUD-SUP",
            json!({"name": "Audit Supply", "lead_time_days": 4}),
        ),
        (
            Method::PUT,
            "/api/v1/admin/products/AUD-LAMP",
            json!({"name": "Lamp", "stock": 50, "supplier": "AUD-SUP"}),
        ),
        (
            Method::POST,
            "/api/v1/admin/webhooks",
            json!({"url": "http://127.0.0.1:9/to-remove"}),
        ),
    ];
    let mut webhook = String::new();
    for (method, path, body) in setup {
        let reply = call(&server, method, path, FIRST, None, &body).await;
        assert!((200..300).contains(&reply.status), "{path}: {}", reply.body);
        if let Some(id) = reply.body["id"].as_str().filter(|id| id.starts_with("ep_")) {
            webhook = id.to_owned();
        }
    }
    // Without the proxy's header: the connection's peer.
    let setup_lines = lines(&server).await;
    assert_eq!(setup_lines.len(), 3, "{setup_lines:?}");
    assert_eq!(setup_lines[0]["operation"], "webhook.create");
    assert_eq!(setup_lines[0]["target"], webhook.as_str());
    assert_eq!(setup_lines[2]["operation"], "supplier.put");
    for line in &setup_lines {
        assert_eq!(line["address"], "127.0.0.1", "{line}");
        assert_eq!(line["token"], fingerprint(FIRST), "{line}");
    }

    let writes = admin_writes(&server).await;
    assert!(writes.len() >= 8, "every admin write: {writes:?}");
    let mut seen_operations = Vec::new();
    for (index, (method, path)) in writes.iter().enumerate() {
        let (concrete, body, operation, target) = expected(method, path, &webhook);
        let token = [FIRST, SECOND][index % 2];
        let address = format!("203.0.113.{}", index + 1);
        let before = lines(&server).await;
        let reply = call(
            &server,
            method.clone(),
            &concrete,
            token,
            Some(&address),
            &body,
        )
        .await;
        assert!(
            (200..300).contains(&reply.status),
            "{method} {path}: {} {}",
            reply.status,
            reply.body
        );
        let after = lines(&server).await;
        assert_eq!(
            after.len(),
            before.len() + 1,
            "{method} {path} leaves exactly one line: {after:?}"
        );
        let line = &after[0];
        let target = if target.is_empty() {
            reply.body["id"].as_str().expect("the new id").to_owned()
        } else {
            target
        };
        assert_eq!(line["operation"], operation, "{method} {path}: {line}");
        assert_eq!(line["target"], target.as_str(), "{method} {path}: {line}");
        assert_eq!(line["token"], fingerprint(token), "{method} {path}: {line}");
        assert_eq!(line["address"], address.as_str(), "{method} {path}: {line}");
        assert!(
            line["at"].as_str().unwrap().starts_with("2026-03-02T"),
            "the server's clock, RFC 3339: {line}"
        );
        assert!(
            line["seq"].as_i64().unwrap() > before[0]["seq"].as_i64().unwrap(),
            "newest first: {line}"
        );
        let text = line.to_string();
        assert!(
            !text.contains(token) && !text.contains("admin-token"),
            "never the token: {text}"
        );
        seen_operations.push(operation);
    }
    seen_operations.sort_unstable();
    seen_operations.dedup();
    assert_eq!(
        seen_operations.len(),
        writes.len(),
        "each write has its own operation"
    );
    // Reading the log is no write: it leaves no line.
    let count = lines(&server).await.len();
    assert_eq!(lines(&server).await.len(), count);
}

#[tokio::test]
async fn the_summary_says_what_changed() {
    let server = TestServer::start_with(two_tokens()).await;
    let writes = [
        (
            Method::PUT,
            "/api/v1/admin/products/SUM-1",
            json!({"name": "One", "stock": 3}),
        ),
        (
            Method::PUT,
            "/api/v1/admin/products/SUM-1",
            json!({"name": "One", "stock": 5}),
        ),
        (
            Method::PUT,
            "/api/v1/admin/products/SUM-1",
            json!({"name": "Renamed", "stock": 5}),
        ),
        (
            Method::POST,
            "/api/v1/admin/products/SUM-1/sales",
            json!({"quantity": 2}),
        ),
        (
            Method::POST,
            "/api/v1/admin/products/SUM-1/receipts",
            json!({"quantity": 4}),
        ),
        (
            Method::PUT,
            "/api/v1/admin/products",
            json!({"products": [{"sku": "SUM-1", "name": "One", "stock": 7}, {"sku": "SUM-2", "name": "Two", "stock": 1}]}),
        ),
        (
            Method::PUT,
            "/api/v1/admin/suppliers/SUM-S",
            json!({"name": "S", "lead_time_days": 3}),
        ),
        (
            Method::PUT,
            "/api/v1/admin/suppliers/SUM-S",
            json!({"name": "S", "lead_time_days": 4}),
        ),
    ];
    for (method, path, body) in writes {
        let reply = call(&server, method, path, SECOND, None, &body).await;
        assert!((200..300).contains(&reply.status), "{path}: {}", reply.body);
    }
    let details: Vec<Value> = lines(&server)
        .await
        .iter()
        .rev()
        .map(|line| line["detail"].clone())
        .collect();
    assert_eq!(
        details,
        vec![
            json!("created, stock 3"),
            json!("stock 3 → 5"),
            Value::Null,
            json!("stock 5 → 3"),
            json!("4 received, stock 3 → 7"),
            json!("1 created, 1 updated"),
            json!("created"),
            Value::Null,
        ]
    );
}

#[tokio::test]
async fn a_refused_or_rolled_back_write_leaves_no_line() {
    let server = TestServer::start_with(two_tokens()).await;
    let lamp = json!({"name": "Lamp", "stock": 2,
        "incoming": [{"quantity": 4, "eta": "2026-03-20", "id": "PO-1"}]});
    let created = call(
        &server,
        Method::PUT,
        "/api/v1/admin/products/NO-LAMP",
        FIRST,
        None,
        &lamp,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let before = lines(&server).await;
    assert_eq!(before.len(), 1);

    let refused = [
        // More than the stock holds: 409, rolled back.
        (
            Method::POST,
            "/api/v1/admin/products/NO-LAMP/sales",
            json!({"quantity": 3}),
            409,
        ),
        (
            Method::POST,
            "/api/v1/admin/products/NOBODY/sales",
            json!({"quantity": 1}),
            404,
        ),
        // An unknown supplier, found inside the transaction.
        (
            Method::PUT,
            "/api/v1/admin/products/NO-LAMP",
            json!({"name": "Lamp", "stock": 9, "supplier": "NOBODY"}),
            422,
        ),
        (
            Method::PUT,
            "/api/v1/admin/products",
            json!({"products": [{"sku": "NO-A", "name": "A", "stock": 1}, {"sku": "NO-B", "name": "B", "stock": 1, "supplier": "NOBODY"}]}),
            422,
        ),
        // A bad row, found before any transaction.
        (
            Method::PUT,
            "/api/v1/admin/products",
            json!({"products": [{"sku": "NO-A", "name": "A", "stock": 1}, {"sku": "NO-C", "name": "C", "stock": -1}]}),
            422,
        ),
        (
            Method::PUT,
            "/api/v1/admin/demand",
            json!({"demand": [{"sku": "NO-LAMP", "date": "2026-03-01", "units": 1}, {"sku": "NOBODY", "date": "2026-03-01", "units": 1}]}),
            422,
        ),
        (
            Method::POST,
            "/api/v1/admin/products/NO-LAMP/receipts",
            json!({"quantity": 1, "purchase_order": "PO-9"}),
            422,
        ),
        (
            Method::PUT,
            "/api/v1/admin/suppliers/NO-SUP",
            json!({"name": "", "lead_time_days": 1}),
            422,
        ),
        (
            Method::POST,
            "/api/v1/admin/webhooks",
            json!({"url": "ftp://example.com/hook"}),
            422,
        ),
        // Nothing to remove: nothing changed.
        (
            Method::DELETE,
            "/api/v1/admin/webhooks/ep_0123456789abcdef0123456789abcdef",
            Value::Null,
            404,
        ),
    ];
    for (method, path, body, status) in refused {
        let reply = call(&server, method.clone(), path, SECOND, None, &body).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
    }
    // A read-only token's write is refused before it reaches the shop.
    let reply = call(
        &server,
        Method::POST,
        "/api/v1/admin/products/NO-LAMP/receipts",
        READER,
        None,
        &json!({"quantity": 1}),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(lines(&server).await, before, "no line for a refused write");
    let product = call(
        &server,
        Method::GET,
        "/api/v1/admin/products/NO-LAMP",
        FIRST,
        None,
        &Value::Null,
    )
    .await;
    assert_eq!(product.body["stock"], 2, "and nothing changed");
}

#[tokio::test]
async fn the_log_pages_newest_first_by_limit_and_before() {
    let server = TestServer::start().await;
    let token = server.admin_token.clone().unwrap();
    for days in 1..=7 {
        let reply = call(
            &server,
            Method::PUT,
            "/api/v1/admin/suppliers/PAGED",
            &token,
            None,
            &json!({"name": "Paged", "lead_time_days": days}),
        )
        .await;
        assert!((200..300).contains(&reply.status), "{}", reply.body);
    }
    let get = |query: &str| {
        server.send(
            server
                .http()
                .get(server.url(&format!("/api/v1/admin/audit{query}")))
                .bearer_auth(&token),
        )
    };
    let all = get("").await;
    assert_eq!(all.status, 200, "{}", all.body);
    let seqs = |reply: &Reply| -> Vec<i64> {
        reply.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["seq"].as_i64().unwrap())
            .collect()
    };
    let every = seqs(&all);
    assert_eq!(every.len(), 7, "the default limit (100) takes all");
    assert!(every.windows(2).all(|pair| pair[0] > pair[1]), "{every:?}");
    assert_eq!(all.body["next_before"], Value::Null);
    let entry = &all.body["entries"][0];
    let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
    for key in [
        "seq",
        "at",
        "token",
        "address",
        "operation",
        "target",
        "detail",
    ] {
        assert!(keys.iter().any(|k| *k == key), "{key} in {entry}");
    }

    let mut paged = Vec::new();
    let mut query = String::from("?limit=3");
    loop {
        let page = get(&query).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let found = seqs(&page);
        assert!(found.len() <= 3);
        paged.extend(found);
        match page.body["next_before"].as_i64() {
            Some(next) => {
                assert_eq!(Some(&next), paged.last(), "the last line's seq");
                query = format!("?limit=3&before={next}");
            }
            None => break,
        }
    }
    assert_eq!(
        paged, every,
        "the pages together: every line once, in order"
    );
    let exact = get("?limit=7").await;
    assert_eq!(seqs(&exact), every);
    assert_eq!(
        exact.body["next_before"],
        Value::Null,
        "no empty page after the last"
    );
    let older = get(&format!("?before={}", every[4])).await;
    assert_eq!(seqs(&older), every[5..].to_vec());

    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?limit=ten", "limit"),
        ("?limit=", "limit"),
        ("?before=0", "before"),
        ("?before=later", "before"),
    ] {
        let reply = get(query).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        assert_eq!(reply.body["error"]["field"], field, "{query}");
    }
    assert_eq!(seqs(&get("?limit=500").await), every);
    assert_eq!(seqs(&get("?limit=1").await), every[..1].to_vec());
}

#[tokio::test]
async fn lines_older_than_90_days_are_forgotten_at_the_day_change() {
    let server = TestServer::start_with(two_tokens()).await;
    let token = FIRST.to_owned();
    let put = |name: &'static str| {
        let token = token.clone();
        let server = &server;
        async move {
            let reply = call(
                server,
                Method::PUT,
                "/api/v1/admin/suppliers/KEPT",
                &token,
                None,
                &json!({"name": name, "lead_time_days": 3}),
            )
            .await;
            assert!((200..300).contains(&reply.status), "{}", reply.body);
        }
    };
    put("Old").await;
    let old = lines(&server).await;
    assert_eq!(old.len(), 1);

    server.clock.advance_days(89);
    put("Recent").await;
    assert_eq!(
        server.shop.forget_old_audit().await.unwrap(),
        0,
        "89 days old: kept"
    );
    assert_eq!(lines(&server).await.len(), 2);

    // Day 91: the day-change task forgets the first line, not the second.
    server.clock.advance_days(2);
    wait_until(
        "the day change to forget the old line",
        Duration::from_secs(20),
        || async { lines(&server).await.len() == 1 },
    )
    .await;
    put("New").await;
    let kept = lines(&server).await;
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept.iter().all(|line| line["seq"] != old[0]["seq"]));
    assert!(
        kept.iter()
            .all(|line| line["at"].as_str().unwrap() >= "2026-05-30"),
        "{kept:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_lines_imports_are_logged_as_cli_from_local() {
    let server = TestServer::start_with(two_tokens()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |command: &str, csv: &str| {
        let file = dir.path().join(format!("{command}.csv"));
        std::fs::write(&file, csv).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_stock-widget"))
            .arg(command)
            .arg(&file)
            .args(["--db", &server.database.arg()])
            .output()
            .expect("run stock-widget");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run("import", "sku,name,stock\nCLI-1,One,3\nCLI-2,Two,4\n");
    run("import-demand", "date,sku,units\n2024-05-01,CLI-1,2\n");
    let found = lines(&server).await;
    let summary: Vec<(&str, &str, &str, &str)> = found
        .iter()
        .map(|line| {
            (
                line["token"].as_str().unwrap(),
                line["address"].as_str().unwrap(),
                line["operation"].as_str().unwrap(),
                line["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("cli", "local", "demand.put", "1 day"),
            ("cli", "local", "products.put_bulk", "2 products"),
        ]
    );
}
