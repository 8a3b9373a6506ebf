//! What a shopper does with the widget on a merchant page served from another
//! origin than the API.

use crate::browser::Browser;
use crate::storefront::{HOSTILE_CSS, Storefront, page, strict_csp_page};
use crate::support::{Options, TestServer, product};
use serde_json::json;
use stock_widget::logic::BackorderPolicy;
use stock_widget::server::Clock;
use stock_widget::server::domain::{PlannedOrder, ProductSettings};

const WIDGETS: &[(&str, u32)] = &[("IN", 1), ("BACK", 1), ("OUT", 1), ("SPLIT", 5)];

/// What the widgets of `WIDGETS` show: `data-state` and words.
const SHOWN: [(&str, &str, &str); 4] = [
    ("IN", "in_stock", "In stock"),
    ("BACK", "backorder", "Backorder — ships in 6 days"),
    ("OUT", "out_of_stock", "Out of stock"),
    (
        "SPLIT",
        "in_stock",
        "2 in stock, 3 on backorder — ships in 9 days",
    ),
];

async fn shows_every_state(browser: &Browser) {
    for (sku, state, text) in SHOWN {
        assert_eq!(
            browser.widget_status(sku).await,
            (state.into(), text.into()),
            "{sku}"
        );
    }
}

/// The backorder product: nothing on hand, 10 units due on `eta`, room for 3
/// more on backorder.
fn kettle(eta: stock_widget::logic::Date) -> ProductSettings {
    ProductSettings {
        backorders: BackorderPolicy::Allow,
        backorder_limit: Some(3),
        incoming: vec![PlannedOrder::new(10, eta)],
        ..product("Kettle", 0)
    }
}

/// The API with one product per state, and a storefront on another origin.
async fn shop() -> (TestServer, Storefront) {
    let (listener, origin) = Storefront::bind().await;
    let server = TestServer::start_with(Options {
        allow_origins: vec![origin],
        ..Options::default()
    })
    .await;
    let in_six_days = server.clock.today().plus_days(6);
    server.put_product("IN", product("Tee", 40)).await;
    server.put_product("BACK", kettle(in_six_days)).await;
    server.put_product("OUT", product("Vinyl", 0)).await;
    server
        .put_product(
            "SPLIT",
            ProductSettings {
                backorders: BackorderPolicy::Allow,
                lead_time_days: 9,
                ..product("Shoe", 2)
            },
        )
        .await;
    let api = server.base_url.clone();
    let storefront = Storefront::serve(
        listener,
        vec![
            ("/", page(&api, WIDGETS, "")),
            ("/hostile", page(&api, WIDGETS, HOSTILE_CSS)),
            ("/strict-csp", strict_csp_page(&api, WIDGETS)),
            (
                "/structured-data",
                page(&api, WIDGETS, "").replace("<stock-status ", "<stock-status structured-data "),
            ),
        ],
    );
    (server, storefront)
}

#[tokio::test]
async fn every_state_shows_on_a_page_from_another_origin() {
    let (_server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/")).await;
    shows_every_state(&browser).await;
    let events = browser.events().await;
    let changes: Vec<_> = events
        .iter()
        .filter(|event| event["type"] == "change")
        .collect();
    assert_eq!(changes.len(), 4, "{events:?}");
    assert!(
        changes
            .iter()
            .all(|event| event["bubbles"] == true && event["composed"] == true)
    );
    let split = changes
        .iter()
        .find(|event| event["sku"] == "SPLIT")
        .unwrap();
    assert_eq!(split["detail"]["backordered"], 3);
    // The loader asked while the wasm was still loading, and the widgets took
    // those answers: one request per quantity, none of their own.
    let timing = browser
        .eval(
            "const entries = performance.getEntriesByType('resource');
             const api = entries.filter((entry) => entry.name.includes('/api/v1/'));
             const wasm = entries.find((entry) => entry.name.endsWith('.wasm'));
             return { requests: api.length, asked_before_wasm_loaded: api.every((entry) => entry.startTime < wasm.responseEnd) };",
            vec![],
        )
        .await;
    assert_eq!(
        timing,
        json!({"requests": 2, "asked_before_wasm_loaded": true})
    );
    browser.close().await;
}

#[tokio::test]
async fn a_strict_csp_page_shows_the_styled_widget_without_violations() {
    let (_server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/strict-csp")).await;
    shows_every_state(&browser).await;
    open_form(&browser, "BACK").await;
    browser.shadow_element("BACK", ".sw-form").await;
    // Only the widget's own stylesheet lays these out this way.
    let styles = browser
        .eval(
            "const root = document.querySelector('stock-status[sku=BACK]').shadowRoot;
             const style = (selector) => getComputedStyle(root.querySelector(selector));
             return [style('.sw-row').display, style('.sw-form').display, style('.sw-form').borderTopStyle,
                     style('.sw-form .sw-button').fontWeight];",
            vec![],
        )
        .await;
    assert_eq!(styles, json!(["flex", "flex", "solid", "600"]));
    let violations = browser.eval("return window.__violations;", vec![]).await;
    assert_eq!(
        violations,
        json!([]),
        "no Content-Security-Policy violation"
    );
    browser.close().await;
}

/// The schema.org Offer the widget for `sku` keeps in the page's light DOM.
const OFFER_OF: &str = r#"const script = document.querySelector(`stock-status[sku="${arguments[0]}"] > script[type="application/ld+json"]`);
    return script ? JSON.parse(script.textContent) : null;"#;

#[tokio::test]
async fn structured_data_follows_what_the_widget_shows() {
    let (server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/structured-data")).await;
    for (sku, availability) in [
        ("IN", "https://schema.org/InStock"),
        ("BACK", "https://schema.org/BackOrder"),
        ("OUT", "https://schema.org/OutOfStock"),
        ("SPLIT", "https://schema.org/InStock"),
    ] {
        browser.widget_status(sku).await;
        let offer = browser.eval(OFFER_OF, vec![json!(sku)]).await;
        assert_eq!(offer["@type"], "Offer", "{sku}");
        assert_eq!(offer["sku"], sku);
        assert_eq!(offer["availability"], availability, "{sku}");
    }
    let back = browser.eval(OFFER_OF, vec![json!("BACK")]).await;
    let in_six_days = server.clock.today().plus_days(6).to_iso();
    assert_eq!(back["availabilityStarts"], in_six_days.as_str());
    // No supplier record: the window is the one day the ETA says.
    assert_eq!(
        back["deliveryLeadTime"],
        json!({"@type": "QuantitativeValue", "minValue": 6, "maxValue": 6, "unitCode": "DAY"})
    );
    // The shopper takes the last three backorder places: the widget shows
    // "Out of stock" and the Offer says so too.
    reserve_through_the_form(&browser, "BACK", Some("3"), "jane@example.com").await;
    browser
        .wait_for(
            "BACK to sell out",
            r#"return document.querySelector('stock-status[sku=BACK]').dataset.state === 'out_of_stock';"#,
            vec![],
        )
        .await;
    let back = browser.eval(OFFER_OF, vec![json!("BACK")]).await;
    assert_eq!(back["availability"], "https://schema.org/OutOfStock");
    assert!(back.get("availabilityStarts").is_none());
    browser.close().await;
}

async fn open_form(browser: &Browser, sku: &str) {
    let reserve = browser.shadow_element(sku, ".sw-row .sw-button").await;
    reserve.click().await.unwrap();
}

async fn type_quantity(browser: &Browser, sku: &str, quantity: &str) {
    let input = browser.shadow_element(sku, "[name=quantity]").await;
    input.clear().await.unwrap();
    input.send_keys(quantity).await.unwrap();
}

async fn type_email(browser: &Browser, sku: &str, email: &str) {
    let input = browser.shadow_element(sku, "[name=email]").await;
    input.send_keys(email).await.unwrap();
}

async fn submit(browser: &Browser, sku: &str) {
    let button = browser
        .shadow_element(sku, ".sw-form button[type=submit]")
        .await;
    button.click().await.unwrap();
}

async fn reserve_through_the_form(
    browser: &Browser,
    sku: &str,
    quantity: Option<&str>,
    email: &str,
) {
    open_form(browser, sku).await;
    if let Some(quantity) = quantity {
        type_quantity(browser, sku, quantity).await;
    }
    type_email(browser, sku, email).await;
    submit(browser, sku).await;
}

#[tokio::test]
async fn reserving_a_backorder_confirms_it_and_tells_the_page() {
    let (server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/")).await;
    browser.widget_status("BACK").await;
    open_form(&browser, "BACK").await;
    // The preview follows the quantity, computed in the browser.
    type_quantity(&browser, "BACK", "2").await;
    browser
        .wait_for_text("BACK", ".sw-preview", "Backorder — ships in 6 days")
        .await;
    type_email(&browser, "BACK", "jane@example.com").await;
    submit(&browser, "BACK").await;

    let confirmation = browser
        .wait_for_text("BACK", ".sw-mine", "Reserved: 2")
        .await;
    assert!(confirmation.contains("Reference rsv_"), "{confirmation}");
    assert!(
        confirmation.contains("Expected to ship on Mar 8, 2026"),
        "{confirmation}"
    );
    let focused = browser
        .eval(
            "return document.querySelector('stock-status[sku=BACK]').shadowRoot.activeElement?.className;",
            vec![],
        )
        .await;
    assert_eq!(focused, json!("sw-mine"), "focus moves to the confirmation");

    let reservations = server.shop.reservations_of("BACK".into()).await.unwrap();
    assert_eq!(reservations.len(), 1);
    assert_eq!(reservations[0].quantity, 2);
    assert_eq!(reservations[0].email.as_str(), "jane@example.com");
    let events = browser.events().await;
    let reserved = events
        .iter()
        .find(|event| event["type"] == "reserved")
        .expect("a reserved event");
    assert_eq!(reserved["detail"]["id"], reservations[0].id.as_str());
    assert_eq!(reserved["sku"], "BACK");
    browser.close().await;
}

/// The merchant's purchase order slips while the shopper's page is open:
/// their "you reserved" panel follows and says what they were told before.
#[tokio::test]
async fn a_purchase_order_edited_later_moves_the_shoppers_window_in_place() {
    let (server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/")).await;
    browser.widget_status("BACK").await;
    reserve_through_the_form(&browser, "BACK", None, "jane@example.com").await;
    browser
        .wait_for_text("BACK", ".sw-mine", "Expected to ship on Mar 8, 2026")
        .await;

    let in_twenty_days = server.clock.today().plus_days(20);
    server.put_product("BACK", kettle(in_twenty_days)).await;
    let panel = browser
        .wait_for_text("BACK", ".sw-mine", "now ships in 20 days (was 6)")
        .await;
    assert!(panel.starts_with("You reserved 1"), "{panel}");
    // Told now: a reload shows the window without the news.
    browser.goto(&storefront.url("/")).await;
    let panel = browser
        .wait_for_text("BACK", ".sw-mine", "ships in 20 days")
        .await;
    assert!(!panel.contains("was"), "{panel}");
    browser.close().await;
}

#[tokio::test]
async fn invalid_input_is_explained_next_to_the_field() {
    let (server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/")).await;
    browser.widget_status("BACK").await;
    reserve_through_the_form(&browser, "BACK", Some("7"), "not-an-email").await;
    let quantity_error = browser
        .wait_for_text("BACK", "[name=quantity] + .sw-error", "from 1 to 3")
        .await;
    assert_eq!(quantity_error, "Enter a quantity from 1 to 3.");
    type_quantity(&browser, "BACK", "1").await;
    submit(&browser, "BACK").await;
    browser
        .wait_for_text("BACK", "[name=email] ~ .sw-error", "valid e-mail")
        .await;
    assert!(
        server
            .shop
            .reservations_of("BACK".into())
            .await
            .unwrap()
            .is_empty()
    );
    browser.close().await;
}

#[tokio::test]
async fn units_taken_while_the_form_is_open_are_shown_before_submitting() {
    let (server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/")).await;
    browser.widget_status("BACK").await;
    open_form(&browser, "BACK").await;
    type_quantity(&browser, "BACK", "3").await;
    type_email(&browser, "BACK", "late@example.com").await;
    // Meanwhile someone else takes two of the three backorder places: the
    // live stream tells the open form, which re-previews the shopper's 3.
    assert_eq!(
        server
            .reserve("BACK", 2, "early@example.com", None)
            .await
            .status,
        201
    );
    let preview = browser
        .wait_for_text("BACK", ".sw-preview", "Only 1 can be ordered")
        .await;
    assert_eq!(preview, "Only 1 can be ordered");
    let typed = browser
        .eval("return document.querySelector('stock-status[sku=BACK]').shadowRoot.querySelector('[name=quantity]').value;", vec![])
        .await;
    assert_eq!(typed, json!("3"), "the shopper's input stays");
    // Submitting 3 is stopped in the browser, with the reason at the field.
    submit(&browser, "BACK").await;
    browser
        .wait_for_text(
            "BACK",
            "[name=quantity] + .sw-error",
            "Enter a quantity from 1 to 1.",
        )
        .await;
    // And the shopper can finish with what is left.
    type_quantity(&browser, "BACK", "1").await;
    submit(&browser, "BACK").await;
    browser
        .wait_for_text("BACK", ".sw-mine", "Reserved: 1")
        .await;
    assert_eq!(
        server
            .shop
            .reservations_of("BACK".into())
            .await
            .unwrap()
            .len(),
        2
    );
    browser.close().await;
}

#[tokio::test]
async fn a_reservation_is_remembered_and_can_be_cancelled_after_reload() {
    let (server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/")).await;
    browser.widget_status("BACK").await;
    reserve_through_the_form(&browser, "BACK", None, "jane@example.com").await;
    browser
        .wait_for_text("BACK", ".sw-mine", "Reserved: 1")
        .await;

    browser.client.refresh().await.unwrap();
    let remembered = browser.wait_for_text("BACK", ".sw-mine", "ships in").await;
    assert!(
        remembered.starts_with("You reserved 1 — ships in 6 days"),
        "{remembered}"
    );
    browser
        .shadow_element("BACK", ".sw-mine button")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("BACK", ".sw-mine", "Your reservation is cancelled.")
        .await;
    let reservations = server.shop.reservations_of("BACK".into()).await.unwrap();
    assert!(reservations[0].cancelled);

    browser.client.refresh().await.unwrap();
    browser.widget_status("BACK").await;
    assert_eq!(
        browser.shadow_text("BACK", ".sw-mine").await,
        None,
        "a cancelled reservation is forgotten"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_api_going_down_shows_an_error_with_a_retry_and_recovers() {
    let (mut server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/")).await;
    assert_eq!(browser.widget_status("BACK").await.0, "backorder");

    server.stop().await;
    // Changing an attribute makes the widget ask again.
    browser
        .eval(
            "document.querySelector('stock-status[sku=BACK]').setAttribute('quantity', '2');",
            vec![],
        )
        .await;
    assert_eq!(
        browser.widget_status("BACK").await,
        ("error".into(), "Can't reach the store right now.".into())
    );
    let retry = browser.shadow_element("BACK", "button.sw-secondary").await;
    let events = browser.events().await;
    assert!(
        events
            .iter()
            .any(|event| event["type"] == "error" && event["detail"]["code"] == "unreachable")
    );

    server.resume().await;
    let _ = retry.click().await; // an automatic retry may have won already
    browser
        .wait_for_text("BACK", "[role=status]", "Backorder — ships in 6 days")
        .await;
    assert_eq!(browser.widget_status("BACK").await.0, "backorder");
    browser.close().await;
}

#[tokio::test]
async fn a_hostile_host_stylesheet_cannot_break_the_widget() {
    let (_server, storefront) = shop().await;
    let browser = Browser::start().await;
    browser.goto(&storefront.url("/hostile")).await;
    assert_eq!(
        browser.widget_status("IN").await,
        ("in_stock".into(), "In stock".into())
    );
    let looks = browser
        .eval(
            r#"const root = document.querySelector('stock-status[sku=BACK]').shadowRoot;
               const status = root.querySelector('.sw-status');
               const button = root.querySelector('.sw-button');
               const box = status.getBoundingClientRect();
               const style = getComputedStyle(status);
               return { width: box.width, height: box.height, visibility: style.visibility,
                        fontSize: parseFloat(style.fontSize), color: style.color,
                        button: button ? button.getBoundingClientRect().height : 0 };"#,
            vec![],
        )
        .await;
    assert!(looks["width"].as_f64().unwrap() > 50.0, "{looks}");
    assert!(looks["height"].as_f64().unwrap() > 10.0, "{looks}");
    assert_eq!(looks["visibility"], "visible");
    assert!(looks["fontSize"].as_f64().unwrap() >= 10.0, "{looks}");
    assert_ne!(looks["color"], "rgba(0, 0, 0, 0)", "{looks}");
    assert!(
        looks["button"].as_f64().unwrap() > 20.0,
        "the Reserve button stays usable: {looks}"
    );
    browser.close().await;
}
