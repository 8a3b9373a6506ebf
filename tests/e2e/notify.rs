//! "Email me when it's back", end to end: shoppers subscribe through the
//! widget on an out-of-stock product; a receipt brings it back; the
//! merchant's receiver gets exactly one `subscription.notify` per subscriber.

use crate::browser::Browser;
use crate::storefront::{Storefront, page};
use crate::support::receiver::Receiver;
use crate::support::{Options, TestServer, product, wait_until_delivered};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use stock_widget::server::Clock;

async fn subscribe_through_the_widget(browser: &Browser, storefront: &Storefront, email: &str) {
    browser.goto(&storefront.url("/")).await;
    browser
        .wait_for_text("OUT", ".sw-row .sw-button", "Email me when it's back")
        .await;
    browser
        .shadow_element("OUT", ".sw-row .sw-button")
        .await
        .click()
        .await
        .unwrap();
    let input = browser.shadow_element("OUT", "[name=email]").await;
    input.send_keys(email).await.unwrap();
    browser
        .shadow_element("OUT", ".sw-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("OUT", ".sw-done", "We'll e-mail you when it's back.")
        .await;
}

#[tokio::test]
async fn each_subscriber_hears_once_when_a_receipt_brings_it_back() {
    let receiver = Receiver::start().await;
    let (listener, origin) = Storefront::bind().await;
    let server = TestServer::start_with(Options {
        allow_origins: vec![origin],
        ..Options::default()
    })
    .await;
    let (_, secret) = crate::support::receiver::register(
        &server.base_url,
        server.admin_token.as_deref().unwrap(),
        &receiver.url,
        Some(&["subscription.created", "subscription.notify"]),
    )
    .await;
    server.put_product("OUT", product("Vinyl", 0)).await;
    let storefront = Storefront::serve(
        listener,
        vec![("/", page(&server.base_url, &[("OUT", 1)], ""))],
    );
    let browser = Browser::start().await;

    subscribe_through_the_widget(&browser, &storefront, "ann@example.com").await;
    let events = browser.events().await;
    let subscribed = events
        .iter()
        .find(|event| event["type"] == "subscribed")
        .expect("a subscribed event");
    assert_eq!(subscribed["detail"]["email"], "a***@example.com");
    // Another shopper, and the first one again (already subscribed: no second one).
    subscribe_through_the_widget(&browser, &storefront, "bob@example.com").await;
    subscribe_through_the_widget(&browser, &storefront, "ANN@example.com").await;
    receiver
        .wait_for(Duration::from_secs(20), "two subscriptions", |arrivals| {
            arrivals.len() >= 2
        })
        .await;

    // The page stays open: the receipt reaches it live.
    let receipt = server
        .send(
            server
                .admin(Method::POST, "/api/v1/admin/products/OUT/receipts")
                .json(&json!({ "quantity": 5 })),
        )
        .await;
    assert_eq!(receipt.status, 200);
    browser.wait_for_text("OUT", ".sw-status", "In stock").await;
    // The subscriptions and the receipt are committed with their events:
    // once the outbox is delivered, the receiver has all it will get.
    wait_until_delivered(&server.shop, Duration::from_secs(20)).await;
    let arrivals = receiver.arrivals();
    let notices: Vec<_> = arrivals
        .iter()
        .filter(|arrival| arrival.event_type() == "subscription.notify")
        .collect();
    let mut emails: Vec<String> = notices
        .iter()
        .map(|arrival| {
            arrival
                .verify_at(&secret, server.clock.unix_seconds())
                .unwrap();
            arrival.json()["data"]["email"].as_str().unwrap().to_owned()
        })
        .collect();
    emails.sort();
    assert_eq!(emails, ["ann@example.com", "bob@example.com"], "one each");
    assert_eq!(
        arrivals.len(),
        4,
        "two subscriptions, two notices: {arrivals:#?}"
    );
    for notice in notices {
        assert_eq!(
            notice.json()["data"]["lang"],
            "en",
            "the widget's language, for the mailer"
        );
        assert_eq!(notice.json()["data"]["available"], 5);
    }
    browser.close().await;
}
