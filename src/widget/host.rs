//! What the host page sees: `data-state`, DOM events, performance marks.

use crate::api::{self, Availability, schema_org_availability};
use crate::logic::Status;
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

/// The JSON-LD element the widget owns among the target's children.
const OFFER_SELECTOR: &str = ":scope > script[data-stock-status-offer]";

/// Writes the schema.org `Offer` for `availability` as JSON-LD into `target`'s
/// light DOM, where search engines read structured data, replacing the last
/// one. The availability follows the same rule as the server's
/// `schema_org_availability`; a backorder says when it starts, and its ship
/// window in days as `deliveryLeadTime`.
pub fn write_offer(target: &HtmlElement, availability: &Availability) {
    let offer = js_sys::Object::new();
    let field = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&offer, &key.into(), &value.into());
    };
    field("@context", "https://schema.org");
    field("@type", "Offer");
    field("sku", &availability.sku);
    field(
        "availability",
        schema_org_availability(availability.status, availability.low_stock),
    );
    if let (Status::Backorder, Some(date)) = (availability.status, availability.ship_date) {
        field("availabilityStarts", &date.to_iso());
    }
    if let (Status::Backorder, Some(likely), Some(latest)) = (
        availability.status,
        availability.ships_in_days,
        availability.ships_in_days_latest,
    ) {
        let lead_time = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = js_sys::Reflect::set(&lead_time, &key.into(), &value);
        };
        set("@type", "QuantitativeValue".into());
        set("minValue", likely.into());
        set("maxValue", latest.into());
        set("unitCode", "DAY".into());
        let _ = js_sys::Reflect::set(&offer, &"deliveryLeadTime".into(), &lead_time);
    }
    let Ok(json) = js_sys::JSON::stringify(&offer) else {
        return;
    };
    let existing = target.query_selector(OFFER_SELECTOR).ok().flatten();
    let script = match existing {
        Some(script) => script,
        None => {
            let Some(script) = target
                .owner_document()
                .and_then(|document| document.create_element("script").ok())
            else {
                return;
            };
            let _ = script.set_attribute("type", "application/ld+json");
            let _ = script.set_attribute("data-stock-status-offer", "");
            let _ = target.append_child(&script);
            script
        }
    };
    script.set_text_content(json.as_string().as_deref());
}

/// Removes the JSON-LD an earlier mount wrote, if any.
pub fn remove_offer(target: &HtmlElement) {
    if let Ok(Some(script)) = target.query_selector(OFFER_SELECTOR) {
        script.remove();
    }
}

pub fn set_state(host: &HtmlElement, state: &str) {
    let _ = host.set_attribute("data-state", state);
}

/// Dispatches `stock-status:<name>` on the host; it bubbles and crosses shadow roots.
pub fn emit(host: &HtmlElement, name: &str, detail: &JsValue) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(detail);
    let mut event_name = String::from("stock-status:");
    event_name.push_str(name);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(&event_name, &init) {
        let _ = host.dispatch_event(&event);
    }
}

/// `{code, message}` for `stock-status:error`.
pub fn error_detail(code: &str, message: &str) -> JsValue {
    let detail = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&detail, &"code".into(), &code.into());
    let _ = js_sys::Reflect::set(&detail, &"message".into(), &message.into());
    detail.into()
}

/// `stock-status:ready:<sku>`, so pages and benchmarks can time the first status.
pub fn mark_ready(sku: &str) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let mut name = String::from("stock-status:ready:");
        name.push_str(sku);
        let _ = performance.mark(&name);
    }
}

/// A fresh `Idempotency-Key`: the time, then 80 random bits
/// ([`api::time_ordered_hex`]), so a drop's keys are inserted together at the
/// end of the server's key index. `getRandomValues` works on plain-HTTP
/// pages too, unlike `randomUUID`.
pub fn fresh_key() -> String {
    // Math.random first, in case the Web Crypto API is missing.
    let mut random = [0u8; 10];
    for byte in random.iter_mut() {
        *byte = (js_sys::Math::random() * 256.0) as u8;
    }
    if let Some(crypto) = web_sys::window().and_then(|window| window.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut random);
    }
    // A clock before 1970 counts as 1970: the key is still unique by its random bits.
    api::time_ordered_hex(js_sys::Date::now() as u64, &random)
}

/// Resolves when the browser is idle (`requestIdleCallback`, or a short
/// timeout where there is none), so background work yields to the page's.
pub async fn idle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(window) = web_sys::window() else {
            let _ = resolve.call0(&JsValue::UNDEFINED);
            return;
        };
        if window.request_idle_callback(&resolve).is_err() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 200);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
