use crate::support::{TestServer, product};

async fn post_raw(
    server: &TestServer,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> crate::support::Reply {
    server
        .send(
            server
                .http()
                .post(server.url(path))
                .header("content-type", content_type)
                .body(body),
        )
        .await
}

#[tokio::test]
async fn malformed_bodies_get_clear_4xx_and_change_nothing() {
    let server = TestServer::start().await;
    server.put_product("MUG", product("Mug", 5)).await;
    let path = "/api/v1/products/MUG/reservations";
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            400,
            "invalid_json",
        ),
        ("application/json", b"".to_vec(), 400, "invalid_json"),
        (
            "application/json",
            br#"{"quantity": "2", "email": "a@example.com"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"quantity": -2, "email": "a@example.com"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"quantity": 1e40, "email": "a@example.com"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"quantity": 99999999999999999999999, "email": "a@example.com"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"quantity": 1.5, "email": "a@example.com"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"quantity": 1, "email": "a@example.com", "admin": true}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"{"email": "a@example.com"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "application/json",
            br#"[1, 2]"#.to_vec(),
            422,
            "invalid_request",
        ),
        (
            "text/plain",
            br#"{"quantity": 1, "email": "a@example.com"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "application/json",
            format!(
                r#"{{"quantity": 1, "email": "{}@example.com"}}"#,
                "a".repeat(10_000)
            )
            .into_bytes(),
            413,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let reply = post_raw(&server, path, content_type, body).await;
        assert_eq!(reply.status, status, "{shown}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], code, "{shown}");
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let quantity_errors = post_raw(
        &server,
        path,
        "application/json",
        br#"{"quantity": -2, "email": "a@example.com"}"#.to_vec(),
    )
    .await;
    assert_eq!(quantity_errors.body["error"]["field"], "quantity");
    assert_eq!(
        server.get("/api/v1/products/MUG/availability").await.body["available"],
        5
    );
    assert!(
        server
            .shop
            .reservations_of("MUG".into())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn hostile_skus_and_unknown_routes_are_refused() {
    let server = TestServer::start().await;
    let long = "S".repeat(5_000);
    for sku in [long.as_str(), "%E2%9C%93", "..%2F..%2Fetc", "a%00b"] {
        let reply = server
            .get(&format!("/api/v1/products/{sku}/availability"))
            .await;
        assert_eq!(reply.status, 422, "{}", &sku[..sku.len().min(20)]);
        let reply = server.reserve(sku, 1, "a@example.com", None).await;
        assert_eq!(reply.status, 422);
    }
    let unknown = server.get("/api/v1/nothing/here").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "not_found");
    let key = "k".repeat(300);
    server.put_product("MUG", product("Mug", 5)).await;
    let reply = server.reserve("MUG", 1, "a@example.com", Some(&key)).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.body["error"]["field"], "Idempotency-Key");
}

#[tokio::test]
async fn batch_availability_lists_found_and_missing_skus() {
    let server = TestServer::start().await;
    server.put_product("MUG", product("Mug", 5)).await;
    server.put_product("TEE", product("Tee", 0)).await;
    let reply = server
        .get("/api/v1/availability?skus=TEE,NOPE,MUG,TEE&quantity=2")
        .await;
    assert_eq!(reply.status, 200);
    let items = reply.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["sku"], "TEE");
    assert_eq!(items[0]["status"], "out_of_stock");
    assert_eq!(items[1]["sku"], "MUG");
    assert_eq!(items[1]["quantity"], 2);
    assert_eq!(reply.body["missing"], serde_json::json!(["NOPE"]));

    let too_many = (0..101)
        .map(|i| format!("S{i}"))
        .collect::<Vec<_>>()
        .join(",");
    for query in [
        format!("skus={too_many}"),
        "skus=".into(),
        String::new(),
        "skus=%E2%9C%93".into(),
    ] {
        let reply = server.get(&format!("/api/v1/availability?{query}")).await;
        assert_eq!(reply.status, 422, "{query:.40}");
        assert_eq!(reply.body["error"]["field"], "skus");
    }
}
