//! "Email me when it's back": the shopper's API, and exactly one
//! `subscription.notify` per subscriber when the product is back.

use crate::support::receiver::{self, Receiver};
use crate::support::{TestServer, product, wait_until_delivered};
use serde_json::{Value, json};
use std::time::Duration;

const TOKEN: &str = "test-admin-token";

async fn subscribe(server: &TestServer, sku: &str, body: Value) -> crate::support::Reply {
    server
        .send(
            server
                .http()
                .post(server.url(&format!("/api/v1/products/{sku}/subscriptions")))
                .json(&body),
        )
        .await
}

/// A server, and a receiver registered with it for one event type.
async fn listening_for(event: &str) -> (Receiver, TestServer) {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    receiver::register(&server.base_url, TOKEN, &receiver.url, Some(&[event])).await;
    (receiver, server)
}

#[tokio::test]
async fn subscribing_is_idempotent_per_product_and_address() {
    let server = TestServer::start().await;
    server.put_product("GONE", product("Sold out", 0)).await;
    server.put_product("HERE", product("On the shelf", 3)).await;

    let first = subscribe(&server, "GONE", json!({ "email": "Ann@Example.com" })).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["sku"], "GONE");
    assert_eq!(
        first.body["email"], "A***@Example.com",
        "masked, like a reservation"
    );
    assert_eq!(
        first.body["confirmed"], true,
        "a server that does not mail asks for no confirmation"
    );
    assert!(
        first.body.get("token").is_none(),
        "the token travels only in the e-mail"
    );
    let again = subscribe(
        &server,
        "GONE",
        json!({ "email": "ann@example.com", "lang": "fr" }),
    )
    .await;
    assert_eq!(again.status, 200, "the same address, whatever its case");
    assert_eq!(again.body["created_at"], first.body["created_at"]);

    let in_stock = subscribe(&server, "HERE", json!({ "email": "ann@example.com" })).await;
    assert_eq!(in_stock.status, 409);
    assert_eq!(in_stock.body["error"]["code"], "in_stock");
    let unknown = subscribe(&server, "NOPE", json!({ "email": "ann@example.com" })).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "unknown_product");
    for (body, field) in [
        (json!({ "email": "not-an-address" }), "email"),
        (json!({}), "email"),
        (
            json!({ "email": "a@example.com", "lang": "english!" }),
            "lang",
        ),
        (
            json!({ "email": "a@example.com", "quantity": 1 }),
            "quantity",
        ),
    ] {
        let reply = subscribe(&server, "GONE", body.clone()).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert_eq!(reply.body["error"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn unsubscribing_is_idempotent() {
    let (receiver, server) = listening_for("subscription.created").await;
    server.put_product("GONE", product("Sold out", 0)).await;
    subscribe(&server, "GONE", json!({ "email": "leaving@example.com" })).await;
    let arrivals = receiver
        .wait_for(Duration::from_secs(20), "the subscription", |arrivals| {
            !arrivals.is_empty()
        })
        .await;
    assert_eq!(arrivals[0].json()["data"]["confirmed"], true);
    let token = arrivals[0].json()["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = server.url(&format!("/api/v1/subscriptions/{token}"));
    assert_eq!(server.send(server.http().delete(&path)).await.status, 204);
    assert_eq!(
        server.send(server.http().delete(&path)).await.status,
        204,
        "a second click"
    );
    let nonsense = server
        .send(
            server
                .http()
                .delete(server.url("/api/v1/subscriptions/sub_nope")),
        )
        .await;
    assert_eq!(nonsense.status, 404);
    assert_eq!(nonsense.body["error"]["code"], "unknown_subscription");
    // Unsubscribed: a new subscription is a new one (201).
    let back = subscribe(&server, "GONE", json!({ "email": "leaving@example.com" })).await;
    assert_eq!(back.status, 201);
}

#[tokio::test]
async fn each_subscriber_is_notified_once_when_the_product_is_back() {
    let (receiver, server) = listening_for("subscription.notify").await;
    server.put_product("BACK", product("Comes back", 0)).await;
    server.put_product("STAYS", product("Stays out", 0)).await;
    for email in ["one@example.com", "two@example.com", "ONE@example.com"] {
        subscribe(&server, "BACK", json!({ "email": email })).await;
    }
    subscribe(&server, "STAYS", json!({ "email": "three@example.com" })).await;

    // The merchant raises stock (not a receipt): that brings it back too.
    server.put_product("BACK", product("Comes back", 4)).await;
    let arrivals = receiver
        .wait_for(Duration::from_secs(20), "two notices", |arrivals| {
            arrivals.len() >= 2
        })
        .await;
    let mut emails: Vec<String> = arrivals
        .iter()
        .map(|arrival| arrival.json()["data"]["email"].as_str().unwrap().to_owned())
        .collect();
    emails.sort();
    assert_eq!(emails, ["one@example.com", "two@example.com"]);
    assert!(
        arrivals
            .iter()
            .all(|arrival| arrival.json()["data"]["confirmed"] == true)
    );

    // Sold out and back again: they were unsubscribed when told.
    server.put_product("BACK", product("Comes back", 0)).await;
    server.put_product("BACK", product("Comes back", 2)).await;
    // Whatever those writes emitted is in the outbox now: once it is all
    // delivered, the receiver has seen everything it ever will of them.
    wait_until_delivered(&server.shop, Duration::from_secs(20)).await;
    assert_eq!(
        receiver.arrivals().len(),
        2,
        "exactly one notice per subscriber"
    );
    let reply = subscribe(&server, "BACK", json!({ "email": "one@example.com" })).await;
    assert_eq!(reply.status, 409, "it ships now");
}

/// With no endpoint to tell, a product coming back keeps its subscribers:
/// nobody is let go without a notice.
#[tokio::test]
async fn subscribers_wait_for_an_endpoint_to_tell_them() {
    let server = TestServer::start().await;
    server.put_product("LATER", product("Later", 0)).await;
    subscribe(&server, "LATER", json!({ "email": "patient@example.com" })).await;
    server.put_product("LATER", product("Later", 3)).await;
    server.put_product("LATER", product("Later", 0)).await;

    let receiver = Receiver::start().await;
    receiver::register(
        &server.base_url,
        TOKEN,
        &receiver.url,
        Some(&["subscription.notify"]),
    )
    .await;
    server.put_product("LATER", product("Later", 2)).await;
    let arrivals = receiver
        .wait_for(Duration::from_secs(20), "the notice", |arrivals| {
            !arrivals.is_empty()
        })
        .await;
    assert_eq!(arrivals[0].json()["data"]["email"], "patient@example.com");
}
