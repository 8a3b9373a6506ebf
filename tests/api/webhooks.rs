//! Webhooks against a real local receiver: every event type arrives signed
//! (checked by the receiver's own code), nothing is lost while it is down,
//! 410 disables the endpoint, and the admin API around it.

use crate::support::receiver::{self, Arrival, Receiver};
use crate::support::{
    BINARY_ADMIN_TOKEN, TestDatabase, TestServer, product, start_binary, wait_until_delivered,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::Clock;

const PATIENCE: Duration = Duration::from_secs(20);

/// Registers `url` for `events` (all when `None`): `(id, secret)`.
async fn register(server: &TestServer, url: &str, events: Option<&[&str]>) -> (String, String) {
    let token = server.admin_token.as_deref().unwrap();
    receiver::register(&server.base_url, token, url, events).await
}

async fn receipt(server: &TestServer, sku: &str, quantity: u32) {
    let reply = server
        .send(
            server
                .admin(
                    Method::POST,
                    &format!("/api/v1/admin/products/{sku}/receipts"),
                )
                .json(&json!({ "quantity": quantity })),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

async fn subscribe(server: &TestServer, sku: &str, email: &str) -> u16 {
    server
        .send(
            server
                .http()
                .post(server.url(&format!("/api/v1/products/{sku}/subscriptions")))
                .json(&json!({ "email": email, "lang": "de" })),
        )
        .await
        .status
}

fn types(arrivals: &[Arrival]) -> Vec<String> {
    arrivals.iter().map(Arrival::event_type).collect()
}

fn backorderable(
    stock: u32,
    low_stock_threshold: u32,
) -> stock_widget::server::domain::ProductSettings {
    stock_widget::server::domain::ProductSettings {
        backorders: BackorderPolicy::Allow,
        low_stock_threshold,
        ..product("Hook Boot", stock)
    }
}

#[tokio::test]
async fn every_event_type_arrives_signed_in_order() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let (_, secret) = register(&server, &receiver.url, None).await;
    server.put_product("HOOK", backorderable(0, 2)).await;

    assert_eq!(subscribe(&server, "HOOK", "waiting@example.com").await, 201);
    let kept = server.reserve("HOOK", 1, "Kept@Example.com", None).await;
    assert_eq!(kept.status, 201);
    let dropped = server.reserve("HOOK", 1, "dropped@example.com", None).await;
    let cancel = server
        .send(server.http().delete(server.url(&format!(
            "/api/v1/reservations/{}",
            dropped.body["id"].as_str().unwrap()
        ))))
        .await;
    assert_eq!(cancel.status, 200);
    // One unit fills the kept reservation; two go to stock: back, and low (≤ 2).
    receipt(&server, "HOOK", 3).await;

    // A product with nothing on hand or ordered is at its reorder point
    // (0, without demand) from the start.
    let expected = [
        "product.reorder_point",
        "subscription.created",
        "reservation.created",
        "reservation.created",
        "reservation.cancelled",
        "reservation.ready",
        "product.back_in_stock",
        "product.low_stock",
        "subscription.notify",
    ];
    let arrivals = receiver
        .wait_for(PATIENCE, "every event", |arrivals| {
            arrivals.len() >= expected.len()
        })
        .await;
    assert_eq!(types(&arrivals), expected, "in order: one SKU");
    let mut ids = HashSet::new();
    for arrival in &arrivals {
        arrival
            .verify_at(&secret, server.clock.unix_seconds())
            .unwrap();
        assert!(arrival.id.starts_with("msg_"), "{}", arrival.id);
        assert!(ids.insert(arrival.id.clone()), "one webhook-id per event");
        let body = arrival.json();
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(body["data"]["sku"], "HOOK");
    }
    // Wrong secret, or a body changed on the way: refused.
    let other = register(&server, "http://127.0.0.1:9/other", None).await.1;
    assert!(
        arrivals[0]
            .verify_at(&other, server.clock.unix_seconds())
            .is_err()
    );
    let mut tampered = arrivals[0].clone();
    tampered.body = tampered.body.replace("HOOK", "HACK");
    assert!(
        tampered
            .verify_at(&secret, server.clock.unix_seconds())
            .is_err()
    );

    let data = |index: usize| arrivals[index].json()["data"].clone();
    assert_eq!(data(0)["position"], 0);
    assert_eq!(data(0)["reorder_point"], 0);
    assert_eq!(data(2)["id"], kept.body["id"]);
    assert_eq!(
        data(2)["email"],
        "Kept@Example.com",
        "the merchant gets the whole address"
    );
    assert_eq!(data(2)["status"], "reserved");
    assert_eq!(data(2)["outstanding"], 1);
    assert_eq!(data(4)["status"], "cancelled");
    assert_eq!(data(5)["id"], kept.body["id"]);
    assert_eq!(data(5)["status"], "ready");
    assert_eq!(data(6)["available"], 2);
    assert_eq!(data(6)["name"], "Hook Boot");
    assert_eq!(data(8)["email"], "waiting@example.com");
    assert_eq!(data(8)["lang"], "de");
    assert_eq!(data(8)["available"], 2);
    assert_eq!(
        data(8)["token"],
        data(1)["token"],
        "the unsubscribe token, for the e-mail"
    );
    assert!(data(8)["token"].as_str().unwrap().starts_with("sub_"));

    // A reservation from stock is ready at once: created, then ready.
    server.reserve("HOOK", 1, "quick@example.com", None).await;
    let arrivals = receiver
        .wait_for(PATIENCE, "the stock reservation", |arrivals| {
            arrivals.len() >= 11
        })
        .await;
    assert_eq!(
        types(&arrivals[9..]),
        ["reservation.created", "reservation.ready"]
    );
}

#[tokio::test]
async fn an_endpoint_gets_only_the_types_it_asked_for() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    register(&server, &receiver.url, Some(&["product.low_stock"])).await;
    server.put_product("LOW", backorderable(10, 3)).await;
    assert_eq!(
        server.reserve("LOW", 4, "a@example.com", None).await.status,
        201
    );
    assert_eq!(
        server.reserve("LOW", 4, "b@example.com", None).await.status,
        201
    );
    // Both reservations are committed with their events: once the outbox is
    // delivered, nothing more comes of them.
    wait_until_delivered(&server.shop, PATIENCE).await;
    let arrivals = receiver.arrivals();
    assert_eq!(
        types(&arrivals),
        ["product.low_stock"],
        "10 → 6 → 2: low once"
    );
    assert_eq!(arrivals[0].json()["data"]["available"], 2);
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_everything_in_order_with_the_same_ids() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let (endpoint, _) = register(&server, &receiver.url, Some(&["reservation.created"])).await;
    server.put_product("DOWN", backorderable(0, 0)).await;
    receiver.answer(503);
    let mut placed = Vec::new();
    for n in 0..5 {
        let reply = server
            .reserve("DOWN", 1, &format!("s{n}@example.com"), None)
            .await;
        placed.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    // Only the first in line is tried while it fails: in order per SKU.
    receiver
        .wait_for(PATIENCE, "three failed attempts", |arrivals| {
            arrivals.len() >= 3
        })
        .await;
    let first_id = receiver.arrivals()[0].id.clone();
    assert!(
        receiver
            .arrivals()
            .iter()
            .all(|arrival| arrival.id == first_id)
    );
    // The attempt is written after the receiver answered: wait for the third.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let log = loop {
        let log = server
            .send(server.admin(
                Method::GET,
                &format!("/api/v1/admin/webhooks/{endpoint}/deliveries"),
            ))
            .await;
        assert_eq!(log.status, 200);
        let latest = log.body["deliveries"][0]["attempt"].as_u64().unwrap_or(0);
        if latest >= 3 || tokio::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let latest = &log.body["deliveries"][0];
    assert_eq!(latest["status_code"], 503);
    assert_eq!(latest["outcome"], "retrying");
    assert!(latest["next_retry_at"].is_string());
    assert!(
        latest["attempt"].as_u64().unwrap() >= 3,
        "newest first: {latest}"
    );
    assert_eq!(log.body["webhook"]["pending"], 5);

    receiver.answer(204);
    let arrivals = receiver
        .wait_for(PATIENCE, "all five", |arrivals| {
            arrivals
                .iter()
                .filter(|arrival| arrival.answered == 204)
                .count()
                >= 5
        })
        .await;
    let accepted: Vec<String> = receiver
        .accepted()
        .iter()
        .map(|arrival| arrival.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(accepted, placed, "none lost, in the order they were placed");
    assert_eq!(
        receiver.accepted()[0].id,
        first_id,
        "a retry keeps its webhook-id"
    );
    assert!(arrivals.len() >= 8);
    // The last one is recorded once its answer is back, just after it arrived.
    wait_until_delivered(&server.shop, PATIENCE).await;
    let list = server
        .send(server.admin(Method::GET, "/api/v1/admin/webhooks"))
        .await;
    assert_eq!(list.body["webhooks"][0]["pending"], 0);
}

#[tokio::test]
async fn gone_disables_the_endpoint() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let (endpoint, _) = register(&server, &receiver.url, None).await;
    server.put_product("GONE", backorderable(5, 0)).await;
    receiver.answer(410);
    server.reserve("GONE", 1, "a@example.com", None).await;
    receiver
        .wait_for(PATIENCE, "the 410", |arrivals| !arrivals.is_empty())
        .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let webhook = loop {
        let list = server
            .send(server.admin(Method::GET, "/api/v1/admin/webhooks"))
            .await;
        let webhook = list.body["webhooks"][0].clone();
        if webhook["disabled"] == true || tokio::time::Instant::now() > deadline {
            break webhook;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(webhook["id"], endpoint.as_str());
    assert_eq!(webhook["disabled"], true, "{webhook}");
    assert!(webhook["disabled_reason"].as_str().unwrap().contains("410"));
    receiver.answer(204);
    // What was pending when it was disabled is kept, unsent.
    let kept = webhook["pending"].clone();
    // The next reservation makes no delivery for the disabled endpoint (its
    // pending count stays as it was, checked below). A second, enabled
    // endpoint hears that reservation: once it has, the worker has claimed
    // and sent since the write, and nothing for the disabled one was due.
    let witness = Receiver::start().await;
    register(&server, &witness.url, Some(&["reservation.created"])).await;
    server.reserve("GONE", 1, "b@example.com", None).await;
    wait_until_delivered(&server.shop, PATIENCE).await;
    assert_eq!(
        types(&witness.arrivals()),
        ["reservation.created"],
        "the enabled endpoint heard the reservation"
    );
    assert_eq!(
        receiver.arrivals().len(),
        1,
        "nothing more to a disabled endpoint"
    );
    let log = server
        .send(server.admin(
            Method::GET,
            &format!("/api/v1/admin/webhooks/{endpoint}/deliveries"),
        ))
        .await;
    assert_eq!(
        log.body["webhook"]["pending"], kept,
        "no delivery was made for the disabled endpoint"
    );
    assert_eq!(log.body["deliveries"][0]["outcome"], "gone");
    assert_eq!(log.body["deliveries"][0]["status_code"], 410);
}

/// Refused requests (one refused inside its transaction, after the product
/// was locked) emit nothing. A write rolled back after it had written its
/// events is the store's own test (`store/tests.rs`).
#[tokio::test]
async fn refused_writes_emit_nothing() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    register(&server, &receiver.url, None).await;
    server
        .put_product(
            "NONE",
            stock_widget::server::domain::ProductSettings {
                max_per_customer: Some(1),
                ..backorderable(0, 0)
            },
        )
        .await;
    assert_eq!(subscribe(&server, "NONE", "s@example.com").await, 201);
    receiver
        .wait_for(PATIENCE, "the subscription", |arrivals| arrivals.len() == 2)
        .await;
    // Refused inside the transaction, after the product was locked: over the cap per customer.
    assert_eq!(
        server
            .reserve("NONE", 2, "c@example.com", None)
            .await
            .status,
        409
    );
    // A bulk write with one bad item: the good one (stock back) is not written either.
    let bulk = server
        .send(
            server
                .admin(Method::PUT, "/api/v1/admin/products")
                .json(&json!({
                    "products": [
                        { "sku": "NONE", "name": "Back", "stock": 5 },
                        { "sku": "BAD", "name": "", "stock": 1 },
                    ]
                })),
        )
        .await;
    assert_eq!(bulk.status, 422);
    // Then one that counts, to show the worker was listening all along.
    assert_eq!(
        server
            .reserve("NONE", 1, "c@example.com", None)
            .await
            .status,
        201
    );
    // Refused writes roll back their events with them; once the outbox is
    // delivered, anything they had left in it would have arrived.
    wait_until_delivered(&server.shop, PATIENCE).await;
    let arrivals = receiver.arrivals();
    // (Nothing on hand or ordered: at its reorder point from the start.)
    assert_eq!(
        types(&arrivals),
        [
            "product.reorder_point",
            "subscription.created",
            "reservation.created"
        ]
    );
    assert_eq!(arrivals[2].json()["data"]["quantity"], 1);
}

#[tokio::test]
async fn endpoints_are_validated_listed_and_removed() {
    let server = TestServer::start().await;
    let post = |body: Value| {
        server.send(
            server
                .admin(Method::POST, "/api/v1/admin/webhooks")
                .json(&body),
        )
    };
    for (body, field) in [
        (json!({ "url": "shop.example/hooks" }), "url"),
        (json!({ "url": "ftp://shop.example/hooks" }), "url"),
        (
            json!({ "url": "https://user:pw@shop.example/hooks" }),
            "url",
        ),
        (
            json!({ "url": format!("https://shop.example/{}", "a".repeat(2048)) }),
            "url",
        ),
        (
            json!({ "url": "https://shop.example/h", "events": [] }),
            "events",
        ),
        (
            json!({ "url": "https://shop.example/h", "events": ["order.created"] }),
            "events[0]",
        ),
        (
            json!({ "url": "https://shop.example/h", "secret": "mine" }),
            "secret",
        ),
    ] {
        let reply = post(body.clone()).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert_eq!(reply.body["error"]["field"], field, "{body}");
    }
    let created = post(json!({
        "url": "https://shop.example/hooks",
        "events": ["product.back_in_stock", "product.back_in_stock", "subscription.notify"],
    }))
    .await;
    assert_eq!(created.status, 201);
    let secret = created.body["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(
        created.body["events"],
        json!(["product.back_in_stock", "subscription.notify"])
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    let list = server
        .send(server.admin(Method::GET, "/api/v1/admin/webhooks"))
        .await;
    assert_eq!(list.body["webhooks"][0]["id"], id.as_str());
    assert_eq!(
        list.body["webhooks"][0]["url"],
        "https://shop.example/hooks"
    );
    assert!(
        !list.body.to_string().contains("whsec_"),
        "secrets are shown once"
    );
    let all = post(json!({ "url": "https://shop.example/all" })).await;
    assert_eq!(all.body["events"].as_array().unwrap().len(), 9);
    for _ in 2..20 {
        assert_eq!(
            post(json!({ "url": "https://shop.example/more" }))
                .await
                .status,
            201
        );
    }
    let too_many = post(json!({ "url": "https://shop.example/one-more" })).await;
    assert_eq!(too_many.status, 409);
    assert_eq!(too_many.body["error"]["code"], "too_many_webhooks");

    let path = format!("/api/v1/admin/webhooks/{id}");
    assert_eq!(
        server
            .send(server.admin(Method::DELETE, &path))
            .await
            .status,
        204
    );
    let again = server.send(server.admin(Method::DELETE, &path)).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.body["error"]["code"], "unknown_webhook");
    let deliveries = server
        .send(server.admin(Method::GET, &format!("{path}/deliveries")))
        .await;
    assert_eq!(deliveries.status, 404);
    let unauthenticated = server
        .send(server.http().get(server.url("/api/v1/admin/webhooks")))
        .await;
    assert_eq!(unauthenticated.status, 401);
}

/// The real binary, killed mid-send (the receiver holds the request) with a
/// second event waiting behind it: after the restart both arrive, in order,
/// the first with the webhook-id it had before (its lease ran out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_pending_at_sigkill_arrive_after_restart_with_the_same_ids() {
    let receiver = Receiver::start().await;
    let database = TestDatabase::new().await;
    let db = database.arg();
    // A 1 s answer timeout: a claim's lease is 3 s. The receiver is on loopback.
    let flags = [
        "--webhook-first-retry-ms",
        "100",
        "--webhook-timeout",
        "1",
        "--allow-private-webhooks",
    ];
    let (mut server, url) = start_binary(&db, &flags);
    let http = reqwest::Client::new();
    let (_, secret) = receiver::register(
        &url,
        BINARY_ADMIN_TOKEN,
        &receiver.url,
        Some(&["reservation.created"]),
    )
    .await;
    let put = http
        .put(format!("{url}/api/v1/admin/products/KILL"))
        .bearer_auth(BINARY_ADMIN_TOKEN)
        .json(&json!({ "name": "Kill", "stock": 10 }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    // Held, and never a 2xx: this attempt cannot count as delivered.
    receiver.answer(503);
    receiver.hold(Duration::from_secs(30));
    let mut placed = Vec::new();
    for _ in 0..2 {
        let reply: Value = http
            .post(format!("{url}/api/v1/products/KILL/reservations"))
            .json(&json!({ "quantity": 1, "email": "k@example.com" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        placed.push(reply["id"].as_str().unwrap().to_owned());
    }
    // The first event is on the wire, unanswered: kill the server now.
    let in_flight = receiver
        .wait_for(PATIENCE, "the first attempt", |arrivals| {
            !arrivals.is_empty()
        })
        .await[0]
        .id
        .clone();
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    receiver.hold(Duration::ZERO);
    receiver.answer(204);

    let (_server, _url) = start_binary(&db, &flags);
    let accepted = receiver
        .wait_for(PATIENCE, "both after the restart", |arrivals| {
            arrivals
                .iter()
                .filter(|arrival| arrival.answered == 204)
                .count()
                >= 2
        })
        .await;
    let accepted: Vec<_> = accepted
        .iter()
        .filter(|arrival| arrival.answered == 204)
        .collect();
    for arrival in &accepted {
        arrival.verify(&secret).unwrap();
    }
    assert_eq!(
        accepted[0].id, in_flight,
        "the same webhook-id after the restart"
    );
    assert_ne!(accepted[1].id, in_flight);
    let order: Vec<String> = accepted
        .iter()
        .map(|arrival| arrival.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, placed, "in order, none lost");
}
