//! The pages the server serves run under a strict Content-Security-Policy
//! (no inline script or style; the panel may not be framed): the merchant
//! panel, the product page and the collection work under it with zero
//! violations — and the listener that counts them does see one.

use crate::browser::Browser;
use crate::support::{Options, TestServer};
use serde_json::json;

async fn demo() -> TestServer {
    TestServer::start_with(Options {
        demo: true,
        admin_token: Some("dev-admin-token".into()),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn the_merchant_panel_works_under_its_policy_with_zero_violations() {
    let server = demo().await;
    let browser = Browser::start().await;
    browser.record_csp_violations().await;
    browser
        .goto(&server.url("/merchant.html?sku=SHOE-TRAIL"))
        .await;
    // Everything the panel draws: the product, the queue, the insight
    // (list, SVG chart, formulas), the webhooks and the mail.
    browser
        .wait_for(
            "the panel to load",
            "return document.getElementById('name').value === 'Trail Running Shoe'
                && document.querySelectorAll('#insight-chart svg rect.bar').length === 90
                && document.querySelectorAll('#insight-list tr').length > 0;",
            vec![],
        )
        .await;
    // A save and a receipt: the panel's writes.
    browser
        .eval(
            "document.getElementById('lead_time_days').value = '12'; document.getElementById('settings').requestSubmit();",
            vec![],
        )
        .await;
    browser
        .wait_for(
            "the save",
            "return document.getElementById('message').textContent.startsWith('Saved') || null;",
            vec![],
        )
        .await;
    browser
        .eval(
            "document.getElementById('receipt').requestSubmit();",
            vec![],
        )
        .await;
    browser
        .wait_for(
            "the receipt",
            "return document.getElementById('message').textContent.startsWith('Received') || null;",
            vec![],
        )
        .await;
    assert_eq!(browser.csp_violations().await, Vec::<String>::new());

    // The listener does hear a violation: an inline script is refused.
    browser
        .eval(
            "const s = document.createElement('script'); s.textContent = 'window.ran = true'; document.head.append(s);",
            vec![],
        )
        .await;
    let seen = browser
        .wait_for(
            "the refused inline script to be reported",
            "return window.cspViolations.length ? window.cspViolations : null;",
            vec![],
        )
        .await;
    assert!(
        seen[0].as_str().unwrap().starts_with("script-src"),
        "{seen}"
    );
    assert_eq!(
        browser.eval("return window.ran === true;", vec![]).await,
        json!(false)
    );
    browser.close().await;
}

#[tokio::test]
async fn the_store_pages_and_the_widget_work_under_their_policy_with_zero_violations() {
    let server = demo().await;
    let browser = Browser::start().await;
    browser.record_csp_violations().await;
    browser.goto(&server.url("/?sku=KETTLE-GOOSE")).await;
    assert_eq!(
        browser.widget_status("KETTLE-GOOSE").await,
        ("backorder".into(), "Backorder — ships in 6 days".into())
    );
    // The on-demand part (a second wasm module) loads and its form opens.
    browser
        .shadow_element("KETTLE-GOOSE", "button")
        .await
        .click()
        .await
        .expect("open the form");
    browser.shadow_element("KETTLE-GOOSE", ".sw-form").await;
    assert_eq!(browser.csp_violations().await, Vec::<String>::new());

    browser.goto(&server.url("/collection.html")).await;
    assert_eq!(
        browser.widget_status("VINYL-LTD").await,
        ("out_of_stock".into(), "Out of stock".into())
    );
    assert_eq!(browser.csp_violations().await, Vec::<String>::new());
    browser.close().await;
}
