//! The outbound rule (issue 25): without `--allow-private-webhooks`,
//! webhooks go to public addresses only — literal non-public addresses are
//! refused at registration, and a name that resolves only to non-public
//! addresses is refused at send, logged in the endpoint's deliveries and
//! never sent.
//!
//! These tests never make the server send anything anywhere but
//! 127.0.0.0/8 and ::1: other private and metadata addresses are tried at
//! registration only, on a server whose worker sends nothing, and an
//! endpoint wrongly accepted is deleted at once, before any event exists.
//! With the flag (the suite's default, `quick_webhooks`), loopback receivers
//! get their events: `webhooks.rs` (`every_event_type_arrives_signed_in_order`
//! and the rest, to `127.0.0.1`) and the last test here (to `localhost`).

use crate::support::receiver::{self, Receiver};
use crate::support::{Options, TestServer, product, quick_webhooks};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use stock_widget::server::Clock;
use stock_widget::server::domain::{OutboundPolicy, WebhookUrl};
use stock_widget::server::webhooks::DeliveryConfig;
use stock_widget::server::webhooks::signing::new_secret;

const PATIENCE: Duration = Duration::from_secs(20);

/// A server as production runs it: public addresses only.
async fn public_only(concurrency: usize) -> TestServer {
    TestServer::start_with(Options {
        webhooks: DeliveryConfig {
            outbound: OutboundPolicy::PUBLIC_ONLY,
            concurrency,
            ..quick_webhooks()
        },
        ..Options::default()
    })
    .await
}

/// The receiver's URL with `localhost` for its `127.0.0.1`.
fn by_name(receiver: &Receiver) -> String {
    receiver.url.replacen("127.0.0.1", "localhost", 1)
}

async fn reserve_one(server: &TestServer, sku: &str) {
    server.put_product(sku, product("Outbound", 5)).await;
    let placed = server.reserve(sku, 1, "out@example.com", None).await;
    assert_eq!(placed.status, 201, "{}", placed.body);
}

/// Waits until the endpoint's deliveries log holds `count` attempts; returns them.
async fn attempts(server: &TestServer, id: &str, count: usize) -> Vec<Value> {
    let path = format!("/api/v1/admin/webhooks/{id}/deliveries");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let reply = server.send(server.admin(Method::GET, &path)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let shown = reply.body["deliveries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if shown.len() >= count {
            return shown;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {PATIENCE:?} for {count} attempts: {shown:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every attempt was refused with `reason` and never answered (so never
/// sent), and is retried like a failed connection.
fn assert_refused(attempts: &[Value], reason: &str) {
    for attempt in attempts {
        let error = attempt["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(reason), "{attempt}");
        assert!(attempt.get("status_code").is_none(), "{attempt}");
        assert_eq!(attempt["outcome"], "retrying", "{attempt}");
        assert_eq!(attempt["type"], "reservation.created", "{attempt}");
    }
}

#[tokio::test]
async fn without_the_flag_non_public_addresses_are_refused_at_registration() {
    // No worker slots: even an endpoint wrongly accepted would get nothing.
    let server = public_only(0).await;
    let refused_by_the_rule = [
        "http://127.0.0.1:9/x",
        "http://127.8.9.10:9/x",
        "http://10.0.0.1/x",
        "http://172.16.0.1/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/x",
        "http://0.0.0.0:9/x",
        "http://224.0.0.1/x",
        "http://255.255.255.255/x",
    ];
    // The URL grammar takes host names and IPv4 addresses only: these are
    // refused before the rule is asked (which would refuse them too —
    // `domain/outbound.rs`'s tests, and the send-time check, cover IPv6).
    let refused_by_the_grammar = [
        "http://[::1]:9/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[fd00::1]/x",
        "http://[fe80::1]/x",
    ];
    let mut wrongly_accepted = Vec::new();
    for url in refused_by_the_rule.iter().chain(&refused_by_the_grammar) {
        let reply = server
            .send(
                server
                    .admin(Method::POST, "/api/v1/admin/webhooks")
                    .json(&json!({ "url": url })),
            )
            .await;
        if reply.status == 201 {
            // Deleted before anything else happens: no product, no event.
            let id = reply.body["id"].as_str().unwrap();
            let deleted = server
                .send(server.admin(Method::DELETE, &format!("/api/v1/admin/webhooks/{id}")))
                .await;
            assert_eq!(deleted.status, 204);
            wrongly_accepted.push(*url);
            continue;
        }
        assert_eq!(reply.status, 422, "{url}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], "invalid_request", "{url}");
        assert_eq!(reply.body["error"]["field"], "url", "{url}");
        if refused_by_the_rule.contains(url) {
            let address = url.trim_start_matches("http://").split(['/', ':']).next();
            let message = reply.body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("non-public") && message.contains(address.unwrap()),
                "{url}: {message}"
            );
        }
    }
    assert!(
        wrongly_accepted.is_empty(),
        "accepted (and deleted): {wrongly_accepted:?}"
    );
    let listed = server
        .send(server.admin(Method::GET, "/api/v1/admin/webhooks"))
        .await;
    assert_eq!(listed.body["webhooks"], json!([]));
    // A name is taken: it is checked on what it resolves to, at each send.
    let by_name = server
        .send(
            server
                .admin(Method::POST, "/api/v1/admin/webhooks")
                .json(&json!({ "url": "http://localhost:9/x" })),
        )
        .await;
    assert_eq!(by_name.status, 201, "{}", by_name.body);
}

#[tokio::test]
async fn without_the_flag_a_name_resolving_to_loopback_is_refused_at_send() {
    let receiver = Receiver::start().await;
    let server = public_only(quick_webhooks().concurrency).await;
    let token = server.admin_token.as_deref().unwrap();
    let (id, _) = receiver::register(
        &server.base_url,
        token,
        &by_name(&receiver),
        Some(&["reservation.created"]),
    )
    .await;
    reserve_one(&server, "OUT-NAME").await;
    // Two attempts: the first refused, and retried (a name's answer may change).
    let shown = attempts(&server, &id, 2).await;
    assert_refused(
        &shown,
        "refused (not sent): localhost resolves only to non-public addresses (",
    );
    // An attempt is logged only after its send ended: nothing was sent.
    assert!(receiver.arrivals().is_empty(), "{:?}", receiver.arrivals());
}

#[tokio::test]
async fn without_the_flag_a_stored_loopback_address_is_refused_at_send() {
    let receiver = Receiver::start().await;
    let server = public_only(quick_webhooks().concurrency).await;
    // Stored before the rule (or while the flag was set): through the shop,
    // past the registration check.
    let endpoint = server
        .shop
        .add_endpoint(
            WebhookUrl::parse(&receiver.url).unwrap(),
            None,
            new_secret().unwrap(),
            server.clock.now_rfc3339(),
        )
        .await
        .unwrap();
    reserve_one(&server, "OUT-LITERAL").await;
    let shown = attempts(&server, endpoint.id.as_str(), 2).await;
    assert_refused(
        &shown,
        "refused (not sent): 127.0.0.1 is not a public address",
    );
    assert!(receiver.arrivals().is_empty(), "{:?}", receiver.arrivals());
}

#[tokio::test]
async fn with_the_flag_a_name_resolving_to_loopback_gets_its_events() {
    let receiver = Receiver::start().await;
    // The suite's default: `quick_webhooks` allows private addresses.
    let server = TestServer::start().await;
    let token = server.admin_token.as_deref().unwrap();
    let (_, secret) = receiver::register(
        &server.base_url,
        token,
        &by_name(&receiver),
        Some(&["reservation.created"]),
    )
    .await;
    reserve_one(&server, "OUT-ALLOWED").await;
    let arrivals = receiver
        .wait_for(PATIENCE, "the reservation", |arrivals| {
            arrivals.iter().any(|arrival| arrival.answered == 204)
        })
        .await;
    assert_eq!(arrivals[0].event_type(), "reservation.created");
    arrivals[0]
        .verify_at(&secret, server.clock.unix_seconds())
        .unwrap();
}

/// A receiver cannot bounce a send elsewhere (to a metadata address, say):
/// a redirect is an answer like any other non-2xx, retried, never followed.
/// Both receivers here are on loopback (the flag is on).
#[tokio::test]
async fn a_redirect_is_not_followed() {
    let bouncer = Receiver::start().await;
    let elsewhere = Receiver::start().await;
    bouncer.redirect(307, &elsewhere.url);
    let server = TestServer::start().await;
    let token = server.admin_token.as_deref().unwrap();
    let (id, _) = receiver::register(
        &server.base_url,
        token,
        &bouncer.url,
        Some(&["reservation.created"]),
    )
    .await;
    reserve_one(&server, "OUT-BOUNCE").await;
    let shown = attempts(&server, &id, 2).await;
    for attempt in &shown {
        assert_eq!(attempt["status_code"], 307, "{attempt}");
        assert_eq!(attempt["outcome"], "retrying", "{attempt}");
    }
    assert!(bouncer.arrivals().len() >= 2);
    assert!(
        elsewhere.arrivals().is_empty(),
        "{:?}",
        elsewhere.arrivals()
    );
}
