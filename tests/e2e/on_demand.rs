//! The widget in two downloads: the status part every page fetches, and the
//! forms' part (`split_*.wasm`), fetched only where a form may open — on
//! intent, or when the page is idle — and never on a page that only shows
//! "In stock". A part that cannot be fetched is said, with a retry.

use crate::browser::Browser;
use crate::storefront::{Storefront, page};
use crate::support::{Options, TestServer, product};
use serde_json::{Value, json};
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::domain::ProductSettings;

/// The widget files the page fetched so far: `[main wasm count, part count]`.
const FETCHED: &str = "const names = performance.getEntriesByType('resource').map((entry) => entry.name);
    const wasm = names.filter((name) => name.includes('/widget/') && name.endsWith('.wasm'));
    return [wasm.filter((name) => !name.includes('/split_')).length, wasm.filter((name) => name.includes('/split_')).length];";

/// Resolves once the browser has been idle, and then a little longer: the
/// moment a widget that prefetches on idle has asked for its part.
const AFTER_IDLE: &str = "const done = arguments[arguments.length - 1];
    requestIdleCallback(() => setTimeout(done, 500));";

async fn fetched(browser: &Browser) -> Value {
    browser.eval(FETCHED, vec![]).await
}

/// Waits until the page has asked for the forms' part.
async fn part_fetched(browser: &Browser, what: &str) {
    browser
        .wait_for(
            what,
            "return performance.getEntriesByType('resource').some((entry) => entry.name.includes('/split_'));",
            vec![],
        )
        .await;
}

/// Clicks the element `selector` in the widget for `sku`, as a shopper does.
async fn click(browser: &Browser, sku: &str, selector: &str) {
    browser
        .shadow_element(sku, selector)
        .await
        .click()
        .await
        .unwrap();
}

async fn after_idle(browser: &Browser) {
    browser
        .client
        .execute_async(AFTER_IDLE, vec![])
        .await
        .expect("wait for an idle moment");
}

/// An in-stock, a backorder and an out-of-stock product; pages on another origin.
async fn shop(widget_dir: Option<&std::path::Path>) -> (TestServer, Storefront) {
    let (listener, origin) = Storefront::bind().await;
    let server = TestServer::start_with(Options {
        allow_origins: vec![origin],
        ..Options::default()
    })
    .await;
    server.put_product("IN", product("Tee", 40)).await;
    let backorder = ProductSettings {
        backorders: BackorderPolicy::Allow,
        lead_time_days: 6,
        ..product("Kettle", 0)
    };
    server.put_product("BACK", backorder).await;
    server.put_product("OUT", product("Vinyl", 0)).await;
    let api = server.base_url.clone();
    let pages = vec![
        ("/in-stock", page(&api, &[("IN", 1)], "")),
        ("/backorder", page(&api, &[("BACK", 1)], "")),
        (
            "/backorder-on-intent",
            page(&api, &[("BACK", 1), ("OUT", 1)], "")
                .replace("<stock-status ", r#"<stock-status prefetch="intent" "#),
        ),
    ];
    let storefront = match widget_dir {
        Some(dir) => Storefront::serve_widget_from(listener, pages, dir),
        None => Storefront::serve(listener, pages),
    };
    (server, storefront)
}

#[tokio::test]
async fn a_status_only_page_never_fetches_the_forms_and_a_backorder_page_does_when_idle() {
    let (_server, storefront) = shop(None).await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/in-stock")).await;
    assert_eq!(browser.widget_status("IN").await.0, "in_stock");
    after_idle(&browser).await;
    assert_eq!(fetched(&browser).await, json!([1, 0]), "status only");

    // The same wait on a page that offers a form: the part comes while idle,
    // after the status (never before it: it is not on the status's path).
    browser.goto(&storefront.url("/backorder")).await;
    assert_eq!(browser.widget_status("BACK").await.0, "backorder");
    part_fetched(&browser, "the forms' part to be prefetched").await;
    let order = browser
        .eval(
            "const ready = performance.getEntriesByName('stock-status:ready:BACK')[0].startTime;
             const part = performance.getEntriesByType('resource').find((entry) => entry.name.includes('/split_'));
             return part.startTime >= ready;",
            vec![],
        )
        .await;
    assert_eq!(
        order,
        json!(true),
        "the part is asked for after the status shows"
    );
    // Opening the form now needs nothing more from the network.
    click(&browser, "BACK", ".sw-row .sw-button").await;
    browser.shadow_element("BACK", ".sw-form").await;
    assert_eq!(fetched(&browser).await, json!([1, 1]));
    browser.close().await;
}

#[tokio::test]
async fn with_prefetch_intent_the_forms_come_when_the_shopper_reaches_for_a_button() {
    let (_server, storefront) = shop(None).await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/backorder-on-intent")).await;
    assert_eq!(browser.widget_status("BACK").await.0, "backorder");
    assert_eq!(browser.widget_status("OUT").await.0, "out_of_stock");
    after_idle(&browser).await;
    assert_eq!(fetched(&browser).await, json!([1, 0]), "no intent yet");

    // Keyboard intent: focusing "Email me when it's back" fetches the part.
    let notify = browser.shadow_element("OUT", ".sw-row .sw-button").await;
    browser
        .eval(
            "arguments[0].focus();",
            vec![serde_json::to_value(&notify).unwrap()],
        )
        .await;
    part_fetched(&browser, "the part to be fetched on focus").await;
    notify.click().await.unwrap();
    browser.shadow_element("OUT", ".sw-form").await;
    // One part serves every widget of the page: the other form opens too.
    click(&browser, "BACK", ".sw-row .sw-button").await;
    browser
        .shadow_element("BACK", ".sw-form input[name=quantity]")
        .await;
    assert_eq!(fetched(&browser).await, json!([1, 1]));
    browser.close().await;
}

/// Removes the forms' part (and its compressed copies) from `dir`, returning
/// what was removed so a test can put it back.
fn take_the_part_away(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut taken = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("split_") {
            taken.push((path.clone(), std::fs::read(&path).unwrap()));
            std::fs::remove_file(&path).unwrap();
        }
    }
    assert!(!taken.is_empty(), "the built widget has an on-demand part");
    taken
}

#[tokio::test]
async fn a_part_that_cannot_be_fetched_is_said_with_a_retry_that_works() {
    let widget = tempfile::tempdir().unwrap();
    let built = crate::support::project_dir().join("dist/widget");
    for entry in std::fs::read_dir(&built).unwrap().flatten() {
        std::fs::copy(entry.path(), widget.path().join(entry.file_name())).unwrap();
    }
    let taken = take_the_part_away(widget.path());
    let (_server, storefront) = shop(Some(widget.path())).await;
    let browser = Browser::start().await;
    // The idle prefetch fails quietly: nobody asked for the form yet.
    browser.goto(&storefront.url("/backorder")).await;
    let (state, status) = browser.widget_status("BACK").await;
    assert_eq!(state, "backorder");
    after_idle(&browser).await;
    assert_eq!(browser.shadow_text("BACK", ".sw-part").await, None);

    click(&browser, "BACK", ".sw-row .sw-button").await;
    let said = browser
        .wait_for_text("BACK", ".sw-part", "couldn't be loaded")
        .await;
    assert!(said.contains("Try again"), "{said}");
    assert_eq!(browser.shadow_text("BACK", ".sw-form").await, None);
    // The status line keeps working, and nothing panicked.
    assert_eq!(browser.widget_status("BACK").await, (state, status));

    for (path, bytes) in taken {
        std::fs::write(path, bytes).unwrap();
    }
    click(&browser, "BACK", ".sw-part button").await;
    browser
        .shadow_element("BACK", ".sw-form input[name=email]")
        .await;
    assert_eq!(browser.shadow_text("BACK", ".sw-part").await, None);
    browser.close().await;
}
