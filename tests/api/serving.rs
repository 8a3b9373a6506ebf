use crate::support::{Options, TestServer};

#[tokio::test]
async fn health_check_answers() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
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

#[tokio::test]
async fn built_widget_is_served_with_the_wasm_mime_type() {
    let wasm = crate::support::project_dir().join("dist/widget/stock-widget-core_bg.wasm");
    assert!(
        wasm.exists(),
        "build the widget first: `cargo xtask build-widget` (`cargo xtask test` does)"
    );
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/widget/stock-widget-core_bg.wasm"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/wasm");
    let loader = reqwest::get(server.url("/widget/stock-widget.js"))
        .await
        .unwrap();
    assert_eq!(loader.status(), 200);
    assert!(
        loader.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
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
