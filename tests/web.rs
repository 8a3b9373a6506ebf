//! Widget tests in headless Chromium (`wasm-bindgen-test`).
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use stock_widget::api::Availability;
use stock_widget::logic::{Date, Status};
use stock_widget::widget::view::{Load, StatusView};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn availability(
    status: Status,
    available: u32,
    low_stock: bool,
    ships_in_days: Option<u32>,
) -> Availability {
    Availability {
        sku: "SKU-1".into(),
        name: "Test product".into(),
        status,
        available,
        low_stock,
        max_quantity: Some(10),
        quantity: 1,
        from_stock: available.min(1),
        backordered: if available > 0 { 0 } else { 1 },
        fulfillable: true,
        ship_date: ships_in_days.map(|days| Date::parse_iso("2026-03-02").unwrap().plus_days(days)),
        ships_in_days,
        as_of: "2026-03-02T12:00:00Z".into(),
    }
}

fn container() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let element: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&element).unwrap();
    element
}

fn status_text(element: &web_sys::HtmlElement) -> String {
    element
        .query_selector("[role=status]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap()
        .trim()
        .to_owned()
}

#[wasm_bindgen_test]
async fn renders_each_state_in_a_polite_live_region() {
    let cases = [
        (
            Load::Ready(availability(Status::InStock, 40, false, None)),
            "In stock",
        ),
        (
            Load::Ready(availability(Status::InStock, 2, true, None)),
            "In stock — only 2 left",
        ),
        (
            Load::Ready(availability(Status::Backorder, 0, false, Some(12))),
            "Backorder — ships in 12 days",
        ),
        (
            Load::Ready(availability(Status::Backorder, 0, false, Some(1))),
            "Backorder — ships in 1 day",
        ),
        (
            Load::Ready(availability(Status::Backorder, 0, false, Some(0))),
            "Backorder — ships today",
        ),
        (
            Load::Ready(availability(Status::OutOfStock, 0, false, None)),
            "Out of stock",
        ),
        (Load::Loading, "Checking availability…"),
    ];
    for (load, expected) in cases {
        let element = container();
        let (load, _) = signal(load);
        let _handle =
            leptos::mount::mount_to(element.clone(), move || view! { <StatusView load=load /> });
        leptos::task::tick().await;
        assert_eq!(status_text(&element), expected);
        let region = element.query_selector("[role=status]").unwrap().unwrap();
        assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));
    }
}

#[wasm_bindgen_test]
async fn unreachable_api_sets_the_error_state_on_the_host() {
    let host = container();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"sku".into(), &"SKU-1".into()).unwrap();
    // Port 9 (discard) on loopback: nothing listens, the fetch fails fast.
    js_sys::Reflect::set(&options, &"api".into(), &"http://127.0.0.1:9".into()).unwrap();
    let _handle = stock_widget::widget::mount(host.clone(), options.into()).unwrap();
    assert_eq!(host.get_attribute("data-state").as_deref(), Some("loading"));
    for _ in 0..100 {
        if host.get_attribute("data-state").as_deref() == Some("error") {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    assert_eq!(host.get_attribute("data-state").as_deref(), Some("error"));
    let root = host.shadow_root().expect("an open shadow root");
    assert_eq!(
        root.query_selector("[role=status]")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap()
            .trim(),
        "Availability could not be loaded. Check your connection."
    );
}

#[wasm_bindgen_test]
fn bad_options_throw_an_error_that_says_what_is_wrong() {
    let host = container();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"quantity".into(), &2.into()).unwrap();
    let error = stock_widget::widget::mount(host.clone(), options.into())
        .err()
        .expect("missing sku is refused");
    let error: js_sys::Error = wasm_bindgen::JsValue::from(error).unchecked_into();
    assert!(
        String::from(error.message()).contains("sku"),
        "{}",
        String::from(error.message())
    );
}
