use crate::support::{TestServer, product};
use serde_json::Value;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::Clock;
use stock_widget::server::domain::{PlannedOrder, ProductSettings};

async fn server_with_kettle(stock: u32, limit: Option<u32>) -> TestServer {
    let server = TestServer::start().await;
    let eta = server.clock.today().plus_days(5);
    server
        .put_product(
            "KETTLE",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                backorder_limit: limit,
                lead_time_days: 20,
                incoming: vec![PlannedOrder::new(2, eta)],
                ..product("Kettle", stock)
            },
        )
        .await;
    server
}

#[tokio::test]
async fn reserving_splits_between_stock_and_backorder_and_quotes_the_ship_date() {
    let server = server_with_kettle(3, None).await;
    let reply = server.reserve("KETTLE", 6, "jane@example.com", None).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let body = reply.body;
    assert!(body["id"].as_str().unwrap().starts_with("rsv_"));
    assert_eq!(body["sku"], "KETTLE");
    assert_eq!(
        (body["from_stock"].as_u64(), body["backordered"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(body["status"], "reserved");
    // 2 units come with the purchase order in 5 days, the third after the 20-day lead time.
    assert_eq!(body["ships_in_days"], 20);
    assert_eq!(
        body["ship_date"],
        server.clock.today().plus_days(20).to_iso()
    );
    assert_eq!(body["email"], "j***@example.com");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let after = server
        .get("/api/v1/products/KETTLE/availability")
        .await
        .body;
    assert_eq!(after["status"], "backorder");
    assert_eq!(after["available"], 0);
}

#[tokio::test]
async fn ids_are_unguessable_and_distinct() {
    let server = server_with_kettle(10, None).await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let reply = server.reserve("KETTLE", 1, "a@example.com", None).await;
        let id = reply.body["id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "rsv_ + 32 hex digits");
        assert!(ids.insert(id));
    }
}

#[tokio::test]
async fn same_idempotency_key_replays_and_places_nothing_twice() {
    let server = server_with_kettle(1, None).await;
    let first = server
        .reserve("KETTLE", 3, "jane@example.com", Some("key-1"))
        .await;
    let second = server
        .reserve("KETTLE", 3, "jane@example.com", Some("key-1"))
        .await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body, second.body);
    // A replay sends the stored body, as JSON.
    let third = server
        .http()
        .post(server.url("/api/v1/products/KETTLE/reservations"))
        .header("Idempotency-Key", "key-1")
        .json(&serde_json::json!({ "quantity": 3, "email": "jane@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 201);
    assert_eq!(third.headers()["content-type"], "application/json");
    let third: serde_json::Value = serde_json::from_str(&third.text().await.unwrap()).unwrap();
    assert_eq!(third, first.body);
    let reservations = server.shop.reservations_of("KETTLE".into()).await.unwrap();
    assert_eq!(reservations.len(), 1);
    let queue = server.admin(
        reqwest::Method::GET,
        "/api/v1/admin/products/KETTLE/reservations",
    );
    assert_eq!(server.send(queue).await.body["queued"], 2);

    let reused = server
        .reserve("KETTLE", 4, "jane@example.com", Some("key-1"))
        .await;
    assert_eq!(reused.status, 422);
    assert_eq!(reused.body["error"]["code"], "idempotency_key_reused");
    assert_eq!(
        server
            .shop
            .reservations_of("KETTLE".into())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn more_than_can_be_had_is_a_conflict_with_the_maximum() {
    let server = server_with_kettle(2, Some(3)).await;
    let reply = server.reserve("KETTLE", 6, "jane@example.com", None).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.body["error"]["code"], "quantity_unavailable");
    assert_eq!(reply.body["error"]["max_quantity"], 5);
    // Nothing changed.
    let availability = server
        .get("/api/v1/products/KETTLE/availability")
        .await
        .body;
    assert_eq!(availability["available"], 2);
    assert_eq!(availability["max_quantity"], 5);
}

#[tokio::test]
async fn unknown_products_and_invalid_fields_are_refused() {
    let server = server_with_kettle(2, None).await;
    let unknown = server.reserve("NOPE", 1, "jane@example.com", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "unknown_product");

    for (quantity, email, field) in [
        (0, "jane@example.com", "quantity"),
        (1_000_001, "jane@example.com", "quantity"),
        (1, "not-an-email", "email"),
        (1, "", "email"),
    ] {
        let reply = server.reserve("KETTLE", quantity, email, None).await;
        assert_eq!(reply.status, 422, "{quantity} {email}");
        assert_eq!(reply.body["error"]["code"], "invalid_request");
        assert_eq!(reply.body["error"]["field"], field);
    }
}

#[tokio::test]
async fn reading_a_reservation_masks_the_email_and_tracks_fills() {
    let server = server_with_kettle(0, None).await;
    let placed = server
        .reserve("KETTLE", 3, "jane@example.com", None)
        .await
        .body;
    let id = placed["id"].as_str().unwrap();
    let read = server.get(&format!("/api/v1/reservations/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["status"], "reserved");
    assert_eq!(read.body["email"], "j***@example.com");
    assert_eq!(read.body["filled"], 0);
    assert_eq!(read.body["ships_in_days"], 20);

    let receipt = server
        .admin(
            reqwest::Method::POST,
            "/api/v1/admin/products/KETTLE/receipts",
        )
        .json(&serde_json::json!({ "quantity": 2 }));
    let receipt = server.send(receipt).await;
    assert_eq!(receipt.status, 200, "{}", receipt.body);
    assert_eq!(receipt.body["filled"][0]["id"], id);
    assert_eq!(receipt.body["filled"][0]["units"], 2);

    let read = server.get(&format!("/api/v1/reservations/{id}")).await.body;
    assert_eq!(
        (read["filled"].as_u64(), read["outstanding"].as_u64()),
        (Some(2), Some(1))
    );
    // The received units used up the purchase order: the last unit waits for the lead time.
    assert_eq!(read["ships_in_days"], 20);

    let receipt = server
        .admin(
            reqwest::Method::POST,
            "/api/v1/admin/products/KETTLE/receipts",
        )
        .json(&serde_json::json!({ "quantity": 5 }));
    assert_eq!(server.send(receipt).await.body["stock"], 4);
    let read = server.get(&format!("/api/v1/reservations/{id}")).await.body;
    assert_eq!(read["status"], "ready");
    assert_eq!(read["ship_date"], Value::Null);
}

#[tokio::test]
async fn cancelling_releases_units_to_the_queue_then_stock_and_is_idempotent() {
    let server = server_with_kettle(2, None).await;
    let first = server
        .reserve("KETTLE", 3, "first@example.com", None)
        .await
        .body; // 2 from stock, 1 waits
    let second = server
        .reserve("KETTLE", 2, "second@example.com", None)
        .await
        .body; // 2 wait
    let first_id = first["id"].as_str().unwrap();
    let second_id = second["id"].as_str().unwrap();

    let cancelled = server
        .send(
            server
                .http()
                .delete(server.url(&format!("/api/v1/reservations/{first_id}"))),
        )
        .await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.body["status"], "cancelled");
    // Its 2 held units went to the second reservation, which is now complete.
    let second_now = server
        .get(&format!("/api/v1/reservations/{second_id}"))
        .await
        .body;
    assert_eq!(second_now["status"], "ready");
    assert_eq!(second_now["filled"], 2);
    let availability = server
        .get("/api/v1/products/KETTLE/availability")
        .await
        .body;
    assert_eq!(availability["available"], 0);

    let again = server
        .send(
            server
                .http()
                .delete(server.url(&format!("/api/v1/reservations/{first_id}"))),
        )
        .await;
    // Cancelling again changes nothing, and the reservation is gone.
    assert_eq!(again.status, 404);
    assert_eq!(again.body["error"]["code"], "reservation_cancelled");
    let gone = server
        .get(&format!("/api/v1/reservations/{first_id}"))
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["error"]["code"], "reservation_cancelled");
    assert_eq!(
        server
            .get("/api/v1/products/KETTLE/availability")
            .await
            .body["available"],
        0
    );

    // Cancelling the ready reservation returns its units to stock.
    server
        .send(
            server
                .http()
                .delete(server.url(&format!("/api/v1/reservations/{second_id}"))),
        )
        .await;
    assert_eq!(
        server
            .get("/api/v1/products/KETTLE/availability")
            .await
            .body["available"],
        2
    );
}

#[tokio::test]
async fn unknown_or_malformed_references_are_not_found() {
    let server = TestServer::start().await;
    for id in [
        "rsv_00000000000000000000000000000000",
        "nope",
        "rsv_%27%20OR%201%3D1",
    ] {
        let read = server.get(&format!("/api/v1/reservations/{id}")).await;
        assert_eq!(read.status, 404, "{id}");
        assert_eq!(read.body["error"]["code"], "unknown_reservation");
    }
}
