//! The demo store a merchant's developer sees first: every case, the panel, receipts.

use crate::browser::Browser;
use crate::support::{Options, TestServer};
use serde_json::json;
use stock_widget::server::Clock;

const DEV_TOKEN: &str = "dev-admin-token";

async fn demo() -> TestServer {
    TestServer::start_with(Options {
        demo: true,
        admin_token: Some(DEV_TOKEN.into()),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn every_demo_product_shows_its_case_on_the_collection_page() {
    let server = demo().await;
    let browser = Browser::start().await;
    browser.goto(&server.url("/collection.html")).await;
    let expected = [
        ("TEE-CLASSIC", "in_stock", "In stock"),
        ("MUG-STONE", "in_stock", "In stock — only 4 left"),
        ("LAMP-BRASS", "in_stock", "In stock — only 1 left"),
        ("KETTLE-GOOSE", "backorder", "Backorder — ships in 6 days"),
        ("CHAIR-OAK", "backorder", "Backorder — ships in 28 days"),
        ("BIKE-CITY", "backorder", "Backorder — ships in 21 days"),
        (
            "SHOE-TRAIL",
            "in_stock",
            "3 in stock, 2 on backorder — ships in 9 days",
        ),
        ("VINYL-LTD", "out_of_stock", "Out of stock"),
    ];
    for (sku, state, text) in expected {
        assert_eq!(
            browser.widget_status(sku).await,
            (state.into(), text.into()),
            "{sku}"
        );
    }
    // The bike has one backorder place left.
    let bike = server
        .get("/api/v1/products/BIKE-CITY/availability")
        .await
        .body;
    assert_eq!(bike["max_quantity"], 1);
    browser.close().await;
}

/// Clicks the merchant panel's Save and waits for it to say so.
async fn save_in_the_panel(browser: &Browser) {
    browser
        .client
        .find(fantoccini::Locator::Id("save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for(
            "the save",
            "return document.getElementById('message').textContent.startsWith('Saved');",
            vec![],
        )
        .await;
}

#[tokio::test]
async fn the_merchant_panel_turns_out_of_stock_into_backorder() {
    let server = demo().await;
    let browser = Browser::start().await;
    browser.goto(&server.url("/?sku=VINYL-LTD")).await;
    assert_eq!(browser.widget_status("VINYL-LTD").await.0, "out_of_stock");
    let button = browser
        .wait_for("the add-to-cart to react", "const b = document.getElementById('add-to-cart'); return b.disabled ? b.textContent : null;", vec![])
        .await;
    assert_eq!(
        button,
        json!("Sold out"),
        "the page reacts to the widget's event"
    );

    browser
        .goto(&server.url("/merchant.html?sku=VINYL-LTD"))
        .await;
    browser
        .wait_for(
            "the settings to load",
            "return document.getElementById('name').value === 'Limited Vinyl Pressing';",
            vec![],
        )
        .await;
    browser
        .eval("const s = document.getElementById('backorders'); s.value = 'allow'; s.dispatchEvent(new Event('change'));", vec![])
        .await;
    save_in_the_panel(&browser).await;

    browser.goto(&server.url("/?sku=VINYL-LTD")).await;
    assert_eq!(
        browser.widget_status("VINYL-LTD").await,
        ("backorder".into(), "Backorder — ships in 14 days".into())
    );
    let button = browser
        .wait_for("the add-to-cart to react", "const b = document.getElementById('add-to-cart'); return b.disabled ? null : b.textContent;", vec![])
        .await;
    assert_eq!(button, json!("Add to cart · ships later"));
    browser.close().await;
}

/// The whole journey in the demo, without a mail server: a shopper reserves
/// a backorder, the purchase order slips, and the panel's Mail tab shows the
/// confirmation and the delay notice with its cancel link.
#[tokio::test]
async fn the_demo_mail_tab_shows_the_confirmation_and_the_delay_notice() {
    let server = demo().await;
    let reply = server
        .reserve("KETTLE-GOOSE", 1, "jane@example.com", Some("mail-tab-1"))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let path = "/api/v1/admin/products/KETTLE-GOOSE";
    let loaded = server
        .send(server.admin(reqwest::Method::GET, path))
        .await
        .body;
    let later = server.clock.today().plus_days(60).to_iso();
    let orders: Vec<_> = loaded["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| json!({"id": order["id"], "quantity": order["quantity"], "eta": later}))
        .collect();
    let body = json!({
        "name": loaded["name"], "stock": loaded["stock"], "backorders": loaded["backorders"],
        "backorder_limit": loaded["backorder_limit"], "lead_time_days": loaded["lead_time_days"],
        "incoming": orders,
    });
    let put = server.admin(reqwest::Method::PUT, path).json(&body);
    assert_eq!(server.send(put).await.status, 200);

    let browser = Browser::start().await;
    browser.goto(&server.url("/merchant.html")).await;
    let subjects = browser
        .wait_for(
            "the confirmation and the delay notice in the Mail tab",
            "const items = [...document.querySelectorAll('#mails .mail-item')];
             if (items.length < 2) { document.getElementById('reload-mail').click(); return null; }
             return items.map((item) => item.querySelector('summary').textContent);",
            vec![],
        )
        .await;
    let subjects: Vec<String> = serde_json::from_value(subjects).unwrap();
    assert!(
        subjects
            .iter()
            .all(|subject| subject.contains("jane@example.com")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|subject| subject.ends_with("ships later")),
        "the delay notice: {subjects:?}"
    );
    let notice = browser
        .eval(
            "return [...document.querySelectorAll('#mails pre')].map((pre) => pre.textContent).join('\\n---\\n');",
            vec![],
        )
        .await;
    let notice = notice.as_str().unwrap();
    assert!(
        notice.contains("/reservations/rsv_"),
        "a cancel link: {notice}"
    );
    assert!(notice.contains("/cancel?token="), "{notice}");
    browser.close().await;
}

/// Saving a product in the panel keeps its purchase orders' numbers and its
/// supplier (the form edits neither): receipts stay on the right orders.
#[tokio::test]
async fn saving_in_the_panel_keeps_purchase_order_numbers_and_the_supplier() {
    let server = demo().await;
    let settings = |reply: crate::support::Reply| reply.body;
    let path = "/api/v1/admin/products/KETTLE-GOOSE";
    let loaded = settings(server.send(server.admin(reqwest::Method::GET, path)).await);
    let orders: Vec<_> = loaded["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|order| json!({"id": order["id"], "quantity": order["quantity"], "eta": order["eta"]}))
        .collect();
    let body = json!({
        "name": loaded["name"], "stock": loaded["stock"], "backorders": loaded["backorders"],
        "lead_time_days": loaded["lead_time_days"], "incoming": orders, "supplier": "DEMO-SUPPLY",
    });
    let put = server.admin(reqwest::Method::PUT, path).json(&body);
    assert_eq!(server.send(put).await.status, 200);
    let before = settings(server.send(server.admin(reqwest::Method::GET, path)).await);
    assert!(before["incoming"][0]["id"].is_string(), "{before}");

    let browser = Browser::start().await;
    browser
        .goto(&server.url("/merchant.html?sku=KETTLE-GOOSE"))
        .await;
    browser
        .wait_for(
            "the settings to load",
            "return document.querySelectorAll('#incoming tr').length > 0;",
            vec![],
        )
        .await;
    save_in_the_panel(&browser).await;
    let after = settings(server.send(server.admin(reqwest::Method::GET, path)).await);
    assert_eq!(after["incoming"], before["incoming"]);
    assert_eq!(after["supplier"], "DEMO-SUPPLY");
    browser.close().await;
}

#[tokio::test]
async fn a_receipt_in_the_panel_fills_the_queue_and_the_reservation_turns_ready() {
    let server = demo().await;
    let waiting = server
        .shop
        .reservations_of("BIKE-CITY".into())
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "the demo seeds one early reservation");
    let id = waiting[0].id.clone();
    assert_eq!(
        server.get(&format!("/api/v1/reservations/{id}")).await.body["status"],
        "reserved"
    );

    let browser = Browser::start().await;
    browser
        .goto(&server.url("/merchant.html?sku=BIKE-CITY"))
        .await;
    browser
        .wait_for(
            "the queue to load",
            "return document.querySelectorAll('#queue tr').length === 1;",
            vec![],
        )
        .await;
    let quantity = browser
        .client
        .find(fantoccini::Locator::Id("receipt-quantity"))
        .await
        .unwrap();
    quantity.clear().await.unwrap();
    quantity.send_keys("3").await.unwrap();
    browser
        .client
        .find(fantoccini::Locator::Id("receive"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let message = browser
        .wait_for("the receipt", "const m = document.getElementById('message').textContent; return m.startsWith('Received') ? m : null;", vec![])
        .await;
    assert_eq!(
        message,
        json!("Received 3: 1 reservation(s) filled, 0 to stock (now 0 on hand).")
    );
    browser
        .wait_for(
            "the queue to empty",
            "return document.querySelectorAll('#queue tr').length === 0;",
            vec![],
        )
        .await;
    let filled = browser
        .eval(
            "return document.getElementById('filled').textContent;",
            vec![],
        )
        .await;
    assert!(
        filled.as_str().unwrap().contains("ready to ship"),
        "{filled}"
    );
    assert_eq!(
        server.get(&format!("/api/v1/reservations/{id}")).await.body["status"],
        "ready"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_merchant_panel_adds_a_webhook_and_shows_its_deliveries() {
    let receiver = crate::support::receiver::Receiver::start().await;
    let server = demo().await;
    let browser = Browser::start().await;
    browser
        .goto(&server.url("/merchant.html?sku=KETTLE-GOOSE"))
        .await;
    browser
        .eval(
            "document.getElementById('webhook-url').value = arguments[0]; document.getElementById('add-webhook').requestSubmit();",
            vec![json!(receiver.url)],
        )
        .await;
    let shown = browser
        .wait_for(
            "the secret, shown once",
            "const p = document.getElementById('webhook-secret'); return p.hidden ? null : p.textContent;",
            vec![],
        )
        .await;
    let secret = shown
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|word| word.starts_with("whsec_"))
        .expect("a whsec_ secret")
        .to_owned();
    browser
        .wait_for(
            "the endpoint in the list",
            "const row = document.querySelector('#webhooks tr'); return row && row.textContent.includes(arguments[0]) && row.textContent.includes('active');",
            vec![json!(receiver.url)],
        )
        .await;

    assert_eq!(
        server
            .reserve("KETTLE-GOOSE", 1, "kettle@example.com", None)
            .await
            .status,
        201
    );
    let arrivals = receiver
        .wait_for(
            std::time::Duration::from_secs(20),
            "the reservation",
            |arrivals| !arrivals.is_empty(),
        )
        .await;
    arrivals[0]
        .verify_at(&secret, server.clock.unix_seconds())
        .unwrap();
    browser
        .eval(
            "document.querySelector('#webhooks button').click();",
            vec![],
        )
        .await;
    let row = browser
        .wait_for(
            "the delivery in the log",
            "const row = [...document.querySelectorAll('#deliveries tr')].find((tr) => tr.textContent.includes('reservation.created')); return row ? row.textContent : null;",
            vec![],
        )
        .await;
    let row = row.as_str().unwrap();
    assert!(row.contains("reservation.created"), "{row}");
    assert!(row.contains("204 delivered"), "{row}");
    browser.close().await;
}
