//! Live updates: open pages follow stock changes without a reload.

use crate::browser::Browser;
use crate::support::{Options, TestDatabase, TestServer, product, start_binary};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};
use stock_widget::server::Clock;

/// Records every `stock-status:change` of the page with the time it happened.
const RECORD_CHANGES: &str = r#"window.__changes = [];
document.addEventListener('stock-status:change', (event) => window.__changes.push({
  sku: event.target.getAttribute('sku'), status: event.detail.status, at: Date.now() }));
return true;"#;

/// When (ms since the epoch) the page's widget for `sku` changed to `status`
/// after `since`; waits for it.
async fn changed_at(browser: &Browser, sku: &str, status: &str, since: u128) -> u128 {
    let at = browser
        .wait_for(
            &format!("{sku} to become {status}"),
            "const [sku, status, since] = arguments;
             const change = window.__changes.find(c => c.sku === sku && c.status === status && c.at >= since);
             return change ? change.at : null;",
            vec![json!(sku), json!(status), json!(since as u64)],
        )
        .await;
    u128::from(at.as_u64().expect("a time"))
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Both pages show the change within a second of the write's answer.
async fn both_follow_within_a_second(pages: &[&Browser], sku: &str, status: &str, since: u128) {
    for page in pages {
        let at = changed_at(page, sku, status, since).await;
        let after = at.saturating_sub(since);
        assert!(
            after < 1_000,
            "{sku} became {status} {after} ms after the write"
        );
        let shown = page.widget_status(sku).await.0;
        assert_eq!(shown, status);
    }
}

#[tokio::test]
async fn open_product_and_collection_pages_follow_receipts_and_reservations() {
    let server = TestServer::start_with(Options {
        demo: true,
        ..Options::default()
    })
    .await;
    let product_page = Browser::start().await;
    let collection = Browser::start().await;
    product_page.goto(&server.url("/?sku=KETTLE-GOOSE")).await;
    collection.goto(&server.url("/collection.html")).await;
    for page in [&product_page, &collection] {
        assert_eq!(page.widget_status("KETTLE-GOOSE").await.0, "backorder");
        page.eval(RECORD_CHANGES, vec![]).await;
    }
    // The pages' streams open after their first answers: wait until both
    // show a change only a stream brings. The kettle's purchase order moves
    // a day (still on backorder), and each page tells of it.
    let probe = now_ms();
    let (_, mut kettle) = stock_widget::server::demo::catalog(server.clock.today())
        .into_iter()
        .find(|(sku, _)| *sku == "KETTLE-GOOSE")
        .expect("the demo kettle");
    for order in &mut kettle.incoming {
        order.eta = order.eta.plus_days(1);
    }
    server.put_product("KETTLE-GOOSE", kettle).await;
    for page in [&product_page, &collection] {
        changed_at(page, "KETTLE-GOOSE", "backorder", probe).await;
    }

    // The merchant books a receipt: backorder → in stock on both pages.
    let since = now_ms();
    let reply = server
        .send(
            server
                .admin(
                    reqwest::Method::POST,
                    "/api/v1/admin/products/KETTLE-GOOSE/receipts",
                )
                .json(&json!({ "quantity": 5 })),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    both_follow_within_a_second(
        &[&product_page, &collection],
        "KETTLE-GOOSE",
        "in_stock",
        since,
    )
    .await;

    // Another client takes the last units: back to backorder.
    let since = now_ms();
    let reply = server
        .reserve("KETTLE-GOOSE", 5, "other@example.com", None)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    both_follow_within_a_second(
        &[&product_page, &collection],
        "KETTLE-GOOSE",
        "backorder",
        since,
    )
    .await;

    // The last lamp (backorders denied) goes: out of stock on the collection page.
    let since = now_ms();
    let reply = server
        .reserve("LAMP-BRASS", 1, "other@example.com", None)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    both_follow_within_a_second(&[&collection], "LAMP-BRASS", "out_of_stock", since).await;

    // A change within a status category updates the words in place.
    let words = collection
        .shadow_text("MUG-STONE", ".sw-text")
        .await
        .unwrap();
    assert_eq!(words, "In stock — only 4 left");
    server
        .reserve("MUG-STONE", 1, "other@example.com", None)
        .await;
    collection
        .wait_for_text("MUG-STONE", ".sw-text", "In stock — only 3 left")
        .await;
    product_page.close().await;
    collection.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widgets_reconnect_after_the_server_is_killed_and_restarted() {
    let database = TestDatabase::sqlite();
    let db = database.arg();
    let (mut server, url) = start_binary(&db, &["--demo"]);
    let address = url.trim_start_matches("http://").to_owned();
    let browser = Browser::start().await;
    browser.goto(&format!("{url}/?sku=MUG-STONE")).await;
    assert_eq!(browser.widget_status("MUG-STONE").await.0, "in_stock");
    // Its stream opens after the first answer: wait until a change only the
    // stream brings is shown, so the kill cuts an open stream.
    let reply = reqwest::Client::new()
        .post(format!("{url}/api/v1/products/MUG-STONE/reservations"))
        .json(&json!({ "quantity": 1, "email": "other@example.com" }))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(reply.status(), 201);
    browser
        .wait_for_text("MUG-STONE", ".sw-text", "only 3 left")
        .await;

    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    // While it is down, the merchant's stock changes in the database.
    let store = database.open().await;
    store
        .put_product(
            stock_widget::server::domain::Sku::parse("MUG-STONE").unwrap(),
            product("Speckled Stoneware Mug", 0),
        )
        .await
        .unwrap();
    drop(store);

    let (mut restarted, _) = start_binary(&db, &["--demo", "--addr", &address]);
    let shown: Value = browser
        .wait_for(
            "the widget to reconnect and show the new stock",
            "const el = document.querySelector('stock-status[sku=\"MUG-STONE\"]');
             return el.getAttribute('data-state') === 'out_of_stock' ? el.shadowRoot.querySelector('.sw-text').textContent : null;",
            vec![],
        )
        .await;
    assert_eq!(shown, json!("Out of stock"));
    restarted.kill().unwrap();
    let _ = restarted.wait();
    browser.close().await;
}
