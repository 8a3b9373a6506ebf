use crate::support::{Options, TestServer};
use reqwest::Method;

async fn preflight(
    server: &TestServer,
    path: &str,
    origin: &str,
    method: &str,
) -> reqwest::Response {
    server
        .http()
        .request(Method::OPTIONS, server.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header(
            "Access-Control-Request-Headers",
            "content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap()
}

fn allowed_origin(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|value| value.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn public_api_allows_configured_origins_only() {
    let server = TestServer::start_with(Options {
        allow_origins: vec!["https://shop.example".into()],
        ..Options::default()
    })
    .await;
    let path = "/api/v1/products/MUG/reservations";
    let allowed = preflight(&server, path, "https://shop.example", "POST").await;
    assert_eq!(
        allowed_origin(&allowed).as_deref(),
        Some("https://shop.example")
    );
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(headers.contains("idempotency-key") && headers.contains("content-type"));

    let stranger = preflight(&server, path, "https://evil.example", "POST").await;
    assert_eq!(allowed_origin(&stranger), None);
    // "Email me when it's back" is the widget's too.
    for (path, method) in [
        ("/api/v1/products/MUG/subscriptions", "POST"),
        (
            "/api/v1/subscriptions/sub_0123456789abcdef0123456789abcdef",
            "DELETE",
        ),
    ] {
        let shop = preflight(&server, path, "https://shop.example", method).await;
        assert_eq!(
            allowed_origin(&shop).as_deref(),
            Some("https://shop.example"),
            "{path}"
        );
        let stranger = preflight(&server, path, "https://evil.example", method).await;
        assert_eq!(allowed_origin(&stranger), None, "{path}");
    }

    let own_origin = server.base_url.clone();
    let own = preflight(
        &server,
        "/api/v1/products/MUG/availability",
        &own_origin,
        "GET",
    )
    .await;
    assert_eq!(allowed_origin(&own), Some(own_origin));
}

#[tokio::test]
async fn admin_api_is_never_exposed_cross_origin() {
    let server = TestServer::start_with(Options {
        allow_origins: vec!["*".into()],
        ..Options::default()
    })
    .await;
    let public = preflight(
        &server,
        "/api/v1/products/MUG/availability",
        "https://any.example",
        "GET",
    )
    .await;
    assert_eq!(allowed_origin(&public).as_deref(), Some("*"));
    for (path, method) in [
        ("/api/v1/admin/products/MUG", "PUT"),
        ("/api/v1/admin/products/MUG/receipts", "POST"),
        ("/api/v1/admin/products/MUG/reservations", "GET"),
        ("/api/v1/admin/webhooks", "POST"),
        ("/api/v1/admin/webhooks", "GET"),
    ] {
        let response = preflight(&server, path, "https://any.example", method).await;
        assert_eq!(allowed_origin(&response), None, "{path}");
        let actual = server
            .admin(Method::GET, "/api/v1/admin/products/MUG/reservations")
            .header("Origin", "https://any.example")
            .send()
            .await
            .unwrap();
        assert_eq!(allowed_origin(&actual), None);
    }
}
