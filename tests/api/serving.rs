use crate::support::{Options, TestServer};

#[tokio::test]
async fn health_checks_answer_ready_and_live() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["ready"], true);
    assert_eq!(body["database"], "reachable");
    // Not ready (database down) is tested with PostgreSQL in tests/scale_out.rs.
    let live = reqwest::get(server.url("/livez")).await.unwrap();
    assert_eq!(live.status(), 200);
    let body: serde_json::Value = live.json().await.unwrap();
    assert_eq!(body["live"], true);
}

#[tokio::test]
async fn demo_store_page_embeds_the_widget() {
    let server = TestServer::start_with(Options {
        demo: true,
        ..Options::default()
    })
    .await;
    let page = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/widget/stock-widget.js">"#));
    assert!(html.contains("<stock-status "));
    // Every SKU the page embeds exists in the demo catalog.
    for sku in html
        .split(" sku=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
    {
        let status = reqwest::get(server.url(&format!("/api/v1/products/{sku}/availability")))
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{sku}");
    }
}

/// The built widget's folder; `cargo xtask test` builds it before the tests.
fn widget_dir() -> std::path::PathBuf {
    let dir = crate::support::project_dir().join("dist/widget");
    assert!(
        dir.join("stock-widget.js").exists(),
        "build the widget first: `cargo xtask build-widget` (`cargo xtask test` does)"
    );
    dir
}

/// The wasm's content-hashed name, as the build wrote it.
fn built_wasm_name() -> String {
    std::fs::read_dir(widget_dir())
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.ends_with(".wasm"))
        .expect("a built wasm")
}

#[tokio::test]
async fn the_wasm_has_a_content_hashed_name_and_is_cached_for_good() {
    let wasm = built_wasm_name();
    let hash = wasm.rsplit('.').nth(1).unwrap();
    assert_eq!(hash.len(), 10, "{wasm}");
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{wasm}");
    let server = TestServer::start().await;
    let response = reqwest::get(server.url(&format!("/widget/{wasm}")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/wasm");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let loader = reqwest::get(server.url("/widget/stock-widget.js"))
        .await
        .unwrap();
    assert!(
        loader.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(
        loader.text().await.unwrap().contains(&wasm),
        "the loader names the hashed wasm"
    );
}

#[tokio::test]
async fn the_loader_is_revalidated_by_its_etag_after_five_minutes() {
    widget_dir();
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let url = server.url("/widget/stock-widget.js");
    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "public, max-age=300");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    let changed = http
        .get(&url)
        .header("if-none-match", "W/\"0000000000000000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
}

#[tokio::test]
async fn widget_files_go_compressed_to_clients_that_accept_it() {
    let dir = widget_dir();
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    for name in [String::from("stock-widget.js"), built_wasm_name()] {
        let url = server.url(&format!("/widget/{name}"));
        for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
            let response = http
                .get(&url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(response.headers()["content-encoding"], encoding, "{name}");
            let vary: Vec<String> = response
                .headers()
                .get_all("vary")
                .iter()
                .map(|value| value.to_str().unwrap().to_ascii_lowercase())
                .collect();
            assert!(
                vary.iter().any(|value| value.contains("accept-encoding")),
                "{name}: vary {vary:?}"
            );
            let body = response.bytes().await.unwrap();
            let precompressed = std::fs::read(dir.join(format!("{name}{suffix}"))).unwrap();
            assert_eq!(body.as_ref(), precompressed.as_slice(), "{name}{suffix}");
        }
        let plain = http.get(&url).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none());
        let body = plain.bytes().await.unwrap();
        assert_eq!(
            body.as_ref(),
            std::fs::read(dir.join(&name)).unwrap().as_slice()
        );
    }
}

#[tokio::test]
async fn demo_pages_are_compressed_on_the_fly() {
    let server = TestServer::start().await;
    let response = reqwest::Client::new()
        .get(server.url("/"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "br");
}

#[tokio::test]
async fn api_answers_are_never_cached() {
    let server = TestServer::start().await;
    server
        .put_product("KETTLE", crate::support::product("Kettle", 3))
        .await;
    let http = reqwest::Client::new();
    let availability = http
        .get(server.url("/api/v1/products/KETTLE/availability"))
        .send()
        .await
        .unwrap();
    assert_eq!(availability.headers()["cache-control"], "no-store");
    let reserved = http
        .post(server.url("/api/v1/products/KETTLE/reservations"))
        .json(&serde_json::json!({"quantity": 1, "email": "jane@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reserved.status(), 201);
    assert_eq!(reserved.headers()["cache-control"], "no-store");
    let missing = http
        .get(server.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn openapi_document_describes_every_endpoint() {
    let server = TestServer::start().await;
    let reply = server.get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/products/{sku}/availability", "get"),
        ("/api/v1/availability", "get"),
        ("/api/v1/products/{sku}/reservations", "post"),
        ("/api/v1/reservations/{id}", "get"),
        ("/api/v1/reservations/{id}", "delete"),
        ("/api/v1/admin/products/{sku}", "put"),
        ("/api/v1/admin/products/{sku}/receipts", "post"),
        ("/api/v1/admin/products/{sku}/reservations", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "Availability",
        "Reservation",
        "ErrorBody",
        "ProductSettingsBody",
        "ReceiptResult",
        "QueueView",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["admin_token"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn storefront_catalogue_matches_the_demo_store() {
    let catalogue =
        std::fs::read_to_string(crate::support::project_dir().join("www/catalog.js")).unwrap();
    let demo = stock_widget::server::demo::catalog(crate::support::test_today());
    let mut listed = 0;
    for line in catalogue.lines().filter(|line| line.contains("sku: '")) {
        let value = |key: &str| {
            let start = line.find(&format!("{key}: '")).unwrap() + key.len() + 3;
            line[start..start + line[start..].find('\'').unwrap()].to_owned()
        };
        let (sku, name) = (value("sku"), value("name"));
        let seeded = demo
            .iter()
            .find(|(demo_sku, _)| *demo_sku == sku)
            .unwrap_or_else(|| panic!("{sku} is not seeded"));
        assert_eq!(seeded.1.name, name, "{sku}");
        listed += 1;
    }
    assert_eq!(
        listed,
        demo.len(),
        "every demo product is on the storefront"
    );
    assert!(listed >= 8);
}

#[tokio::test]
async fn the_pages_come_with_a_strict_policy_and_the_panel_may_not_be_framed() {
    let server = TestServer::start().await;
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    for page in ["/", "/collection.html", "/merchant.html", "/merchant.js"] {
        let response = server.http().get(server.url(page)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        let policy = header(&response, "content-security-policy");
        assert!(
            policy.starts_with("default-src 'self'; script-src 'self'"),
            "{page}: {policy}"
        );
        // No inline script or style may run: neither is allowed by keyword.
        assert!(!policy.contains("unsafe-inline"), "{page}: {policy}");
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{page}"
        );
        let panel = page.starts_with("/merchant.html");
        if panel {
            assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
            assert!(
                !policy.contains("wasm-unsafe-eval"),
                "the panel runs no wasm: {policy}"
            );
            assert_eq!(header(&response, "x-frame-options"), "DENY");
            assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        } else {
            assert!(
                policy.contains("'wasm-unsafe-eval'"),
                "the widget's wasm: {policy}"
            );
            assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
        }
        if page.ends_with(".html") || page == "/" {
            let html = response.text().await.unwrap();
            assert!(
                !html.contains("<script>") && !html.contains("<script type=\"module\">"),
                "{page}: an inline script"
            );
            assert!(
                !html.contains("<style") && !html.contains(" style="),
                "{page}: an inline style"
            );
        }
    }
}
