use crate::support::{Options, TestServer};
use reqwest::Method;
use serde_json::json;

fn settings() -> serde_json::Value {
    json!({
        "name": "Oak Lounge Chair",
        "stock": 0,
        "safety_stock": 0,
        "low_stock_threshold": 2,
        "backorders": "allow",
        "backorder_limit": 5,
        "lead_time_days": 28,
        "incoming": [{ "quantity": 3, "eta": "2026-03-20" }, { "quantity": 1, "eta": "2026-03-09" }]
    })
}

#[tokio::test]
async fn put_creates_then_replaces_settings_and_keeps_the_queue() {
    let server = TestServer::start().await;
    let created = server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products/CHAIR")
                .json(&settings()),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["status"], "backorder");
    assert_eq!(created.body["max_quantity"], 5);
    // Purchase orders come back in arrival order.
    assert_eq!(created.body["incoming"][0]["eta"], "2026-03-09");

    assert_eq!(
        server
            .reserve("CHAIR", 2, "a@example.com", None)
            .await
            .status,
        201
    );
    let mut changed = settings();
    changed["stock"] = json!(4);
    changed["name"] = json!("Oak Lounge Chair, natural");
    let replaced = server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products/CHAIR")
                .json(&changed),
        )
        .await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.body["name"], "Oak Lounge Chair, natural");
    assert_eq!(replaced.body["queued"], 2, "the queue stays");
    assert_eq!(replaced.body["max_quantity"], 4 + 3);

    let queue = server
        .send(server.admin(Method::GET, "/api/v1/admin/products/CHAIR/reservations"))
        .await;
    assert_eq!(queue.status, 200);
    assert_eq!(queue.body["reservations"][0]["email"], "a@example.com");
    assert_eq!(queue.body["reservations"][0]["first_position"], 1);
    assert_eq!(queue.body["reservations"][0]["ship_date"], "2026-03-20");
}

#[tokio::test]
async fn omitted_settings_take_their_defaults() {
    let server = TestServer::start().await;
    let reply = server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products/MUG")
                .json(&json!({ "name": "Mug", "stock": 3 })),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["backorders"], "deny");
    assert_eq!(reply.body["lead_time_days"], 14);
    assert_eq!(reply.body["backorder_limit"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_admin_api_needs_the_right_token() {
    let server = TestServer::start().await;
    let url = server.url("/api/v1/admin/products/CHAIR");
    let missing = server.send(server.http().put(&url).json(&settings())).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.body["error"]["code"], "unauthorized");
    let wrong = server
        .send(
            server
                .http()
                .put(&url)
                .bearer_auth("test-admin-tokeN")
                .json(&settings()),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let prefix = server
        .send(
            server
                .http()
                .put(&url)
                .bearer_auth("test-admin")
                .json(&settings()),
        )
        .await;
    assert_eq!(prefix.status, 401);
    assert!(
        server
            .shop
            .product(&stock_widget::server::domain::Sku::parse("CHAIR").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn without_a_configured_token_the_admin_api_is_off() {
    let server = TestServer::start_with(Options {
        admin_token: None,
        ..Options::default()
    })
    .await;
    let reply = server
        .send(
            server
                .http()
                .put(server.url("/api/v1/admin/products/CHAIR"))
                .bearer_auth("")
                .json(&settings()),
        )
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.body["error"]["code"], "admin_disabled");
}

#[tokio::test]
async fn settings_are_validated_field_by_field() {
    let server = TestServer::start().await;
    let cases = [
        (json!({ "name": "", "stock": 1 }), "name"),
        (json!({ "name": "X", "stock": -1 }), "stock"),
        (
            json!({ "name": "X", "stock": 1, "backorders": "maybe" }),
            "backorders",
        ),
        (
            json!({ "name": "X", "stock": 1, "lead_time_days": 99999 }),
            "lead_time_days",
        ),
        (
            json!({ "name": "X", "stock": 1, "incoming": [{ "quantity": 0, "eta": "2026-04-01" }] }),
            "incoming",
        ),
        (
            json!({ "name": "X", "stock": 1, "incoming": [{ "quantity": 2, "eta": "2026-02-30" }] }),
            "incoming[0].eta",
        ),
        (
            json!({ "name": "X", "stock": 1, "colour": "red" }),
            "colour",
        ),
        (json!({ "stock": 1 }), "name"),
    ];
    for (body, field) in cases {
        let reply = server
            .send(
                server
                    .admin(Method::PUT, "/api/v1/admin/products/X")
                    .json(&body),
            )
            .await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(
            reply.body["error"]["field"], field,
            "{body}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn receipts_fill_first_come_first_served() {
    let server = TestServer::start().await;
    server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products/CHAIR")
                .json(&settings()),
        )
        .await;
    let first = server.reserve("CHAIR", 2, "a@example.com", None).await.body;
    let second = server.reserve("CHAIR", 2, "b@example.com", None).await.body;
    let receipt = server
        .send(
            server
                .admin(Method::POST, "/api/v1/admin/products/CHAIR/receipts")
                .json(&json!({ "quantity": 3 })),
        )
        .await;
    assert_eq!(receipt.status, 200);
    assert_eq!(receipt.body["filled"][0]["id"], first["id"]);
    assert_eq!(receipt.body["filled"][0]["status"], "ready");
    assert_eq!(receipt.body["filled"][1]["id"], second["id"]);
    assert_eq!(receipt.body["filled"][1]["units"], 1);
    assert_eq!(receipt.body["filled"][1]["outstanding"], 1);
    assert_eq!(receipt.body["to_stock"], 0);

    let zero = server
        .send(
            server
                .admin(Method::POST, "/api/v1/admin/products/CHAIR/receipts")
                .json(&json!({ "quantity": 0 })),
        )
        .await;
    assert_eq!(zero.status, 422);
    let unknown = server
        .send(
            server
                .admin(Method::POST, "/api/v1/admin/products/NOPE/receipts")
                .json(&json!({ "quantity": 1 })),
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn the_cap_per_customer_is_a_setting_of_at_least_one() {
    let server = crate::support::TestServer::start().await;
    let put = |body: serde_json::Value| {
        server
            .admin(reqwest::Method::PUT, "/api/v1/admin/products/CAPPED")
            .json(&body)
    };
    let reply = server
        .send(put(
            serde_json::json!({"name": "Capped", "stock": 0, "max_per_customer": 2}),
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["max_per_customer"], 2);
    let refused = server
        .send(put(
            serde_json::json!({"name": "Capped", "stock": 0, "max_per_customer": 0}),
        ))
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["error"]["field"], "max_per_customer");
    let cleared = server
        .send(put(serde_json::json!({"name": "Capped", "stock": 0})))
        .await;
    assert_eq!(cleared.body["max_per_customer"], serde_json::Value::Null);
}
