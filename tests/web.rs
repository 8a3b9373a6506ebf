//! Widget tests in headless Chromium (`wasm-bindgen-test`). The API is played
//! by a stub `fetch`, so every answer — good, bad or missing — can be staged.
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// An availability answer as the server would send it (today = 2026-03-02).
/// One argument per field keeps each fixture row on one line.
#[allow(clippy::too_many_arguments)]
fn availability(
    status: &str,
    available: u32,
    low: bool,
    max: &str,
    quantity: u32,
    from_stock: u32,
    backordered: u32,
    fulfillable: bool,
    days: Option<u32>,
) -> String {
    let (ship_date, ships_in_days) = match days {
        Some(days) => (format!("\"2026-03-{:02}\"", 2 + days), days.to_string()),
        None => ("null".into(), "null".into()),
    };
    let outlook = if max == "null" || max.parse::<u32>().unwrap_or(0) > available {
        r#"{"arrivals":[{"units":3,"date":"2026-03-08"}],"later":"2026-03-16"}"#
    } else {
        "null"
    };
    format!(
        r#"{{"sku":"SKU-1","name":"<img src=x onerror=alert(1)>","status":"{status}","available":{available},"low_stock":{low},"max_quantity":{max},"quantity":{quantity},"from_stock":{from_stock},"backordered":{backordered},"fulfillable":{fulfillable},"ship_date":{ship_date},"ships_in_days":{ships_in_days},"as_of":"2026-03-02T12:00:00Z","backorder_outlook":{outlook}}}"#
    )
}

/// Replaces `window.fetch`: `routes` is a JS array of
/// `{method, path, status, body}` or `{method, path, kind: "reject" | "hang" | "badjson"}`.
/// Every call is recorded in `window.__requests`.
fn stub_fetch(routes: &str) {
    let code = format!(
        r#"const routes = {routes};
        const method = (init && init.method) || 'GET';
        const headers = init && init.headers ? Object.fromEntries(init.headers.entries()) : {{}};
        window.__requests.push({{ url, method, headers, body: init && init.body }});
        for (const route of routes) {{
          if (route.method !== method || !url.includes(route.path)) continue;
          if (route.kind === 'reject') return Promise.reject(new TypeError('Failed to fetch'));
          if (route.kind === 'hang') return new Promise(() => {{}});
          const body = route.kind === 'badjson' ? '{{oops' : JSON.stringify(route.body);
          return Promise.resolve(new Response(body, {{ status: route.status, headers: {{ 'content-type': 'application/json' }} }}));
        }}
        return Promise.resolve(new Response('{{"error":{{"code":"not_found","message":"no route"}}}}', {{ status: 404 }}));"#
    );
    let stub = js_sys::Function::new_with_args("url, init", &code);
    let window = web_sys::window().unwrap();
    js_sys::Reflect::set(&window, &"__requests".into(), &js_sys::Array::new()).unwrap();
    js_sys::Reflect::set(&window, &"fetch".into(), &stub).unwrap();
    stub_event_source();
}

/// Replaces `window.EventSource` with one the test drives: every stream the
/// widget opens is recorded in `window.__sources`; `source.emit(json)` sends
/// it an `availability` event, `source.fail()` makes it give up (CLOSED).
fn stub_event_source() {
    js_sys::eval(
        r#"window.__sources = [];
        window.EventSource = class {
          constructor(url) { this.url = url; this.readyState = 0; this.listeners = []; this.closed = false; window.__sources.push(this); }
          addEventListener(type, listener) { if (type === 'availability') this.listeners.push(listener); }
          close() { this.closed = true; this.readyState = 2; }
          emit(data) { for (const listener of this.listeners) listener(new MessageEvent('availability', { data })); }
          fail() { this.readyState = 2; if (this.onerror) this.onerror(new Event('error')); }
        };"#,
    )
    .unwrap();
}

/// The streams opened since the stubs were installed: `(url, closed)`.
fn sources() -> Vec<(String, bool)> {
    let all: js_sys::Array = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__sources".into())
        .unwrap()
        .unchecked_into();
    all.iter()
        .map(|source| {
            (
                field(&source, &["url"]).as_string().unwrap(),
                field(&source, &["closed"]).as_bool().unwrap(),
            )
        })
        .collect()
}

fn open_sources() -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(_, closed)| !closed)
        .map(|(url, _)| url)
        .collect()
}

/// Sends `data` as an `availability` event on the newest open stream.
fn emit(data: &str) {
    js_sys::Function::new_with_args(
        "data",
        "window.__sources.filter(s => !s.closed).at(-1).emit(data)",
    )
    .call1(&JsValue::NULL, &data.into())
    .unwrap();
}

fn requests() -> js_sys::Array {
    js_sys::Reflect::get(&web_sys::window().unwrap(), &"__requests".into())
        .unwrap()
        .unchecked_into()
}

/// Stubs the API with one availability answer for every availability request.
fn stub_availability(body: &str) {
    stub_fetch(&format!("[{}]", get_route(body)));
}

fn get_route(body: &str) -> String {
    format!(r#"{{"method":"GET","path":"/availability","status":200,"body":{body}}}"#)
}

/// A host element with a recorder for the widget's events (`host.__events`).
fn host() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let element: HtmlElement = document
        .create_element("stock-status-test")
        .unwrap()
        .unchecked_into();
    document.body().unwrap().append_child(&element).unwrap();
    let record = js_sys::Function::new_with_args(
        "el",
        "el.__events = []; for (const t of ['change','reserved','subscribed','error']) el.addEventListener('stock-status:' + t, e => el.__events.push({type: t, detail: e.detail, bubbles: e.bubbles, composed: e.composed}));",
    );
    record.call1(&JsValue::NULL, &element).unwrap();
    element
}

fn mount(host: &HtmlElement, lang: &str, quantity: u32) -> stock_widget::widget::WidgetHandle {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"sku".into(), &"SKU-1".into()).unwrap();
    js_sys::Reflect::set(&options, &"api".into(), &"https://api.test".into()).unwrap();
    js_sys::Reflect::set(&options, &"lang".into(), &lang.into()).unwrap();
    js_sys::Reflect::set(&options, &"quantity".into(), &quantity.into()).unwrap();
    stock_widget::widget::mount(host.clone(), options.into()).unwrap()
}

fn state(host: &HtmlElement) -> String {
    host.get_attribute("data-state").unwrap_or_default()
}

fn find(host: &HtmlElement, selector: &str) -> Option<web_sys::Element> {
    host.shadow_root()
        .unwrap()
        .query_selector(selector)
        .unwrap()
}

fn text(host: &HtmlElement, selector: &str) -> String {
    find(host, selector)
        .and_then(|element| element.text_content())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn events(host: &HtmlElement, kind: &str) -> Vec<JsValue> {
    let all: js_sys::Array = js_sys::Reflect::get(host, &"__events".into())
        .unwrap()
        .unchecked_into();
    all.iter()
        .filter(|event| js_sys::Reflect::get(event, &"type".into()).unwrap() == kind)
        .collect()
}

fn field(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |value, key| {
        js_sys::Reflect::get(&value, &(*key).into()).unwrap()
    })
}

/// Polls until `done` holds (at most ~8 s).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        TimeoutFuture::new(20).await;
    }
    panic!("timed out waiting for {what}");
}

async fn settled(host: &HtmlElement) {
    until("the widget to leave loading", || state(host) != "loading").await;
    TimeoutFuture::new(0).await;
}

/// The element focused inside the widget's shadow root.
fn focused(host: &HtmlElement) -> Option<web_sys::Element> {
    let active = field(&host.shadow_root().unwrap().into(), &["activeElement"]);
    active.dyn_into().ok()
}

fn click(host: &HtmlElement, selector: &str) {
    find(host, selector)
        .expect(selector)
        .unchecked_into::<HtmlElement>()
        .click();
}

fn type_into(host: &HtmlElement, selector: &str, value: &str) {
    let input: web_sys::HtmlInputElement = find(host, selector).expect(selector).unchecked_into();
    input.set_value(value);
    input
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn each_state_has_its_text_data_state_and_change_event() {
    let cases = [
        (
            availability("in_stock", 40, false, "40", 1, 1, 0, true, None),
            1,
            "in_stock",
            "In stock",
        ),
        (
            availability("in_stock", 1, true, "1", 1, 1, 0, true, None),
            1,
            "in_stock",
            "In stock — only 1 left",
        ),
        (
            availability("backorder", 0, false, "null", 1, 0, 1, true, Some(12)),
            1,
            "backorder",
            "Backorder — ships in 12 days",
        ),
        (
            availability("backorder", 0, false, "null", 1, 0, 1, true, Some(1)),
            1,
            "backorder",
            "Backorder — ships in 1 day",
        ),
        (
            availability("backorder", 0, false, "null", 1, 0, 1, true, Some(0)),
            1,
            "backorder",
            "Backorder — ships today",
        ),
        (
            availability("out_of_stock", 0, false, "0", 1, 0, 1, false, None),
            1,
            "out_of_stock",
            "Out of stock",
        ),
        (
            availability("in_stock", 2, false, "null", 5, 2, 3, true, Some(9)),
            5,
            "in_stock",
            "2 in stock, 3 on backorder — ships in 9 days",
        ),
        (
            availability("in_stock", 2, false, "4", 10, 2, 8, false, None),
            10,
            "in_stock",
            "Only 4 can be ordered",
        ),
    ];
    for (body, quantity, data_state, expected) in cases {
        stub_fetch(&format!("[{}]", get_route(&body)));
        let host = host();
        let _widget = mount(&host, "en", quantity);
        assert_eq!(state(&host), "loading", "set before the first frame");
        settled(&host).await;
        assert_eq!(state(&host), data_state, "{expected}");
        assert_eq!(text(&host, "[role=status]"), expected);
        let region = find(&host, "[role=status]").unwrap();
        assert_eq!(region.get_attribute("aria-live").as_deref(), Some("polite"));
        let changes = events(&host, "change");
        assert_eq!(changes.len(), 1);
        assert_eq!(field(&changes[0], &["bubbles"]), JsValue::TRUE);
        assert_eq!(field(&changes[0], &["composed"]), JsValue::TRUE);
        assert_eq!(
            field(&changes[0], &["detail", "quantity"]),
            JsValue::from(quantity)
        );
        // Server text is text: the product name's markup never becomes an element.
        assert!(find(&host, "img").is_none());
    }
}

#[wasm_bindgen_test]
async fn other_languages_use_their_words_and_plurals() {
    let cases = [
        ("de", Some(6), "Nachbestellung — Versand in 6 Tagen"),
        ("de-AT", Some(1), "Nachbestellung — Versand in 1 Tag"),
        (
            "fr",
            Some(6),
            "En réapprovisionnement — expédié sous 6 jours",
        ),
        (
            "fr",
            Some(1),
            "En réapprovisionnement — expédié sous 1 jour",
        ),
        ("es", Some(6), "Bajo pedido — se envía en 6 días"),
        ("es", Some(0), "Bajo pedido — se envía hoy"),
        ("xx", Some(2), "Backorder — ships in 2 days"),
    ];
    for (lang, days, expected) in cases {
        stub_availability(&availability(
            "backorder",
            0,
            false,
            "null",
            1,
            0,
            1,
            true,
            days,
        ));
        let host = host();
        let _widget = mount(&host, lang, 1);
        settled(&host).await;
        assert_eq!(text(&host, "[role=status]"), expected, "{lang}");
        let spoken = find(&host, ".sw").unwrap().get_attribute("lang").unwrap();
        assert_eq!(
            spoken,
            if lang == "xx" { "en" } else { &lang[..2] },
            "{lang}"
        );
    }
}

#[wasm_bindgen_test]
async fn the_form_caps_the_quantity_and_previews_without_requests() {
    stub_availability(&availability(
        "in_stock", 2, false, "4", 10, 2, 8, false, None,
    ));
    let host = host();
    let _widget = mount(&host, "en", 10);
    settled(&host).await;
    click(&host, ".sw-row .sw-button");
    TimeoutFuture::new(0).await;
    let quantity: web_sys::HtmlInputElement =
        find(&host, "[name=quantity]").unwrap().unchecked_into();
    assert_eq!(quantity.value(), "4", "capped at the most that can be had");
    assert_eq!(quantity.get_attribute("max").as_deref(), Some("4"));
    assert_eq!(
        focused(&host),
        Some(quantity.clone().unchecked_into()),
        "focus moves to it"
    );
    // Labels point at their inputs.
    let label = find(&host, ".sw-field label").unwrap();
    assert_eq!(label.text_content().as_deref(), Some("Quantity"));
    assert_eq!(label.get_attribute("for"), Some(quantity.id()));
    assert_eq!(
        text(&host, ".sw-preview"),
        "2 in stock, 2 on backorder — ships in 6 days"
    );

    let before = requests().length();
    type_into(&host, "[name=quantity]", "1");
    TimeoutFuture::new(0).await;
    assert_eq!(text(&host, ".sw-preview"), "In stock");
    type_into(&host, "[name=quantity]", "3");
    TimeoutFuture::new(0).await;
    assert_eq!(
        text(&host, ".sw-preview"),
        "2 in stock, 1 on backorder — ships in 6 days"
    );
    assert_eq!(
        requests().length(),
        before,
        "the preview is computed in the browser"
    );
    click(&host, ".sw-form .sw-link"); // "Not now"
    TimeoutFuture::new(0).await;
    assert!(find(&host, ".sw-form").is_none());
    assert_eq!(
        focused(&host),
        find(&host, ".sw-row .sw-button"),
        "back to the button that opened it"
    );
}

#[wasm_bindgen_test]
async fn the_form_explains_invalid_fields_and_sends_nothing() {
    stub_availability(&availability(
        "backorder",
        0,
        false,
        "3",
        1,
        0,
        1,
        true,
        Some(6),
    ));
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    click(&host, ".sw-row .sw-button");
    TimeoutFuture::new(0).await;
    type_into(&host, "[name=quantity]", "9");
    type_into(&host, "[name=email]", "jane@");
    click(&host, ".sw-form button[type=submit]");
    TimeoutFuture::new(0).await;
    assert_eq!(
        text(&host, "[name=quantity] + .sw-error"),
        "Enter a quantity from 1 to 3."
    );
    let quantity = find(&host, "[name=quantity]").unwrap();
    assert_eq!(focused(&host), Some(quantity.clone()), "the field at fault");
    assert_eq!(
        quantity.get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    type_into(&host, "[name=quantity]", "2");
    click(&host, ".sw-form button[type=submit]");
    TimeoutFuture::new(0).await;
    assert_eq!(
        text(&host, "[name=email] ~ .sw-error"),
        "Enter a valid e-mail address, like name@example.com."
    );
    assert_eq!(focused(&host), find(&host, "[name=email]"));
    let posts = requests()
        .iter()
        .filter(|request| field(request, &["method"]) == "POST")
        .count();
    assert_eq!(posts, 0);
}

#[wasm_bindgen_test]
async fn submitting_sends_an_idempotency_key_and_confirms() {
    let reservation = r#"{"id":"rsv_0123456789abcdef0123456789abcdef","sku":"SKU-1","quantity":2,"from_stock":0,"backordered":2,"filled":0,"outstanding":2,"status":"reserved","ship_date":"2026-03-08","ships_in_days":6,"email":"j***@example.com","created_at":"2026-03-02T12:00:00Z"}"#;
    stub_fetch(&format!(
        r#"[{}, {{"method":"POST","path":"/reservations","status":201,"body":{reservation}}}]"#,
        get_route(&availability(
            "backorder",
            0,
            false,
            "3",
            1,
            0,
            1,
            true,
            Some(6)
        ))
    ));
    let _ = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear();
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    click(&host, ".sw-row .sw-button");
    TimeoutFuture::new(0).await;
    type_into(&host, "[name=quantity]", "2");
    type_into(&host, "[name=email]", "jane@example.com");
    click(&host, ".sw-form button[type=submit]");
    click(&host, ".sw-form button[type=submit]"); // a double click
    until("the confirmation", || {
        text(&host, ".sw-mine").starts_with("Reserved: 2")
    })
    .await;
    let confirmation = text(&host, ".sw-mine");
    assert_eq!(
        focused(&host),
        find(&host, ".sw-mine"),
        "focus moves to the confirmation"
    );
    assert!(
        confirmation.contains("Reference rsv_0123456789abcdef0123456789abcdef"),
        "{confirmation}"
    );
    assert!(
        confirmation.contains("Expected to ship on Mar 8, 2026."),
        "{confirmation}"
    );

    let posts: Vec<JsValue> = requests()
        .iter()
        .filter(|request| field(request, &["method"]) == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "a double click posts once");
    let key = field(&posts[0], &["headers", "idempotency-key"])
        .as_string()
        .unwrap();
    assert_eq!(key.len(), 32);
    // The time comes first (ordered in the server's key index), to the millisecond.
    let sent_ms = u64::from_str_radix(&key[..12], 16).unwrap() as f64;
    assert!((js_sys::Date::now() - sent_ms).abs() < 60_000.0, "{key}");
    assert_eq!(
        field(&posts[0], &["body"]).as_string().unwrap(),
        // The widget's language goes along, for the shop's mails.
        r#"{"quantity":2,"lang":"en","email":"jane@example.com"}"#
    );
    let reserved = events(&host, "reserved");
    assert_eq!(reserved.len(), 1);
    assert_eq!(
        field(&reserved[0], &["detail", "id"]),
        "rsv_0123456789abcdef0123456789abcdef"
    );
    let stored = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("stock-status:https://api.test|SKU-1")
        .unwrap();
    // Quantity, reference, and the ship date the shopper was told.
    assert_eq!(
        stored.as_deref(),
        Some("2 rsv_0123456789abcdef0123456789abcdef 2026-03-08")
    );
}

#[wasm_bindgen_test]
async fn out_of_stock_takes_an_email_to_write_when_it_is_back() {
    let confirmation = r#"{"sku":"SKU-1","email":"a***@example.com","confirmed":true,"created_at":"2026-03-02T12:00:00Z"}"#;
    stub_fetch(&format!(
        r#"[{}, {{"method":"POST","path":"/subscriptions","status":201,"body":{confirmation}}}]"#,
        get_route(&availability(
            "out_of_stock",
            0,
            false,
            "0",
            1,
            0,
            1,
            false,
            None
        ))
    ));
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    assert_eq!(text(&host, ".sw-row .sw-button"), "Email me when it's back");
    click(&host, ".sw-row .sw-button");
    TimeoutFuture::new(0).await;
    let quantity = find(&host, "[name=quantity]")
        .unwrap()
        .parent_element()
        .unwrap();
    assert!(
        quantity.has_attribute("hidden"),
        "an address is all it asks"
    );
    assert_eq!(focused(&host), find(&host, "[name=email]"));
    assert_eq!(
        text(&host, "[name=email] ~ .sw-hint"),
        "One e-mail when it's back, nothing else."
    );
    assert!(
        find(&host, ".sw-row .sw-button").is_none(),
        "the form is open"
    );
    type_into(&host, "[name=email]", "ann@");
    click(&host, ".sw-form button[type=submit]");
    TimeoutFuture::new(0).await;
    assert_eq!(
        text(&host, "[name=email] ~ .sw-error"),
        "Enter a valid e-mail address, like name@example.com."
    );
    type_into(&host, "[name=email]", " ann@example.com ");
    click(&host, ".sw-form button[type=submit]");
    click(&host, ".sw-form button[type=submit]"); // a double click
    until("the confirmation", || {
        text(&host, ".sw-done") == "We'll e-mail you when it's back."
    })
    .await;
    let done = find(&host, ".sw-done").unwrap();
    assert_eq!(done.get_attribute("role").as_deref(), Some("status"));
    assert_eq!(
        focused(&host),
        Some(done),
        "focus moves to the confirmation"
    );
    assert!(find(&host, ".sw-form").is_none());
    assert!(
        find(&host, ".sw-row .sw-button").is_none(),
        "asked once is enough"
    );
    let posts: Vec<JsValue> = requests()
        .iter()
        .filter(|request| field(request, &["method"]) == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "a double click posts once");
    assert!(
        field(&posts[0], &["url"])
            .as_string()
            .unwrap()
            .ends_with("/api/v1/products/SKU-1/subscriptions")
    );
    assert_eq!(
        field(&posts[0], &["body"]).as_string().unwrap(),
        r#"{"lang":"en","email":"ann@example.com"}"#
    );
    let subscribed = events(&host, "subscribed");
    assert_eq!(subscribed.len(), 1);
    assert_eq!(
        field(&subscribed[0], &["detail", "email"]),
        "a***@example.com"
    );
}

#[wasm_bindgen_test]
async fn every_failure_ends_in_a_message_with_a_retry() {
    let cases = [
        (
            r#"{"method":"GET","path":"/availability","kind":"reject"}"#,
            "unreachable",
            "Can't reach the store right now.",
        ),
        (
            r#"{"method":"GET","path":"/availability","status":503,"body":{"error":{"code":"internal","message":"down"}}}"#,
            "internal",
            "The store had a problem.",
        ),
        (
            r#"{"method":"GET","path":"/availability","kind":"badjson","status":200}"#,
            "malformed_response",
            "The store sent an answer we can't read.",
        ),
        (
            r#"{"method":"GET","path":"/availability","status":200,"body":{"unexpected":true}}"#,
            "malformed_response",
            "The store sent an answer we can't read.",
        ),
        (
            r#"{"method":"GET","path":"/availability","status":404,"body":{"error":{"code":"unknown_product","message":"No"}}}"#,
            "unknown_product",
            "This product isn't available here.",
        ),
    ];
    for (route, code, message) in cases {
        stub_fetch(&format!("[{route}]"));
        let host = host();
        let widget = mount(&host, "en", 1);
        settled(&host).await;
        assert_eq!(state(&host), "error", "{code}");
        assert_eq!(text(&host, "[role=status]"), message);
        assert_eq!(text(&host, "button.sw-secondary"), "Try again");
        let errors = events(&host, "error");
        assert_eq!(field(&errors[0], &["detail", "code"]), code);
        assert_eq!(field(&errors[0], &["detail", "message"]), message);
        drop(widget);
    }
}

#[wasm_bindgen_test]
async fn a_silent_api_times_out_instead_of_spinning_forever() {
    stub_fetch(r#"[{"method":"GET","path":"/availability","kind":"hang"}]"#);
    let host = host();
    let _widget = mount(&host, "en", 1);
    until("the timeout", || state(&host) == "error").await;
    assert_eq!(
        text(&host, "[role=status]"),
        "The store is taking too long to answer."
    );
}

#[wasm_bindgen_test]
async fn retry_button_asks_again_and_recovers() {
    stub_fetch(
        r#"[{"method":"GET","path":"/availability","status":404,"body":{"error":{"code":"unknown_product","message":"No"}}}]"#,
    );
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    stub_availability(&availability(
        "in_stock", 40, false, "40", 1, 1, 0, true, None,
    ));
    click(&host, "button.sw-secondary");
    until("recovery", || state(&host) == "in_stock").await;
    assert_eq!(text(&host, "[role=status]"), "In stock");
}

#[wasm_bindgen_test]
async fn destroying_the_widget_stops_its_retries() {
    stub_fetch(r#"[{"method":"GET","path":"/availability","kind":"reject"}]"#);
    let host = host();
    let mut widget = mount(&host, "en", 1);
    settled(&host).await;
    assert_eq!(requests().length(), 1);
    widget.destroy();
    assert_eq!(text(&host, "[role=status]"), "", "unmounted");
    // The first automatic retry would have come after one second.
    TimeoutFuture::new(1_500).await;
    assert_eq!(
        requests().length(),
        1,
        "no timer or request outlives the widget"
    );
}

#[wasm_bindgen_test]
fn bad_options_throw_an_error_that_says_what_is_wrong() {
    let host = host();
    for (options, expected) in [
        (r#"{"quantity": 2}"#, "sku"),
        (r#"{"sku": "A", "quantity": 0}"#, "quantity"),
        (r#"{"sku": "A", "quantity": "two"}"#, "quantity"),
        (r#"{"sku": "A", "quantity": 1.5}"#, "quantity"),
        (r#"{"sku": 7}"#, "`sku` must be a string"),
        (r#""A""#, "object"),
        (r#"{"sku": "A", "colour": "red"}"#, "colour"),
    ] {
        let options = js_sys::JSON::parse(options).unwrap();
        let error = stock_widget::widget::mount(host.clone(), options)
            .err()
            .unwrap_or_else(|| panic!("{expected}: refused"));
        let error: js_sys::Error = JsValue::from(error).unchecked_into();
        let message = String::from(error.message());
        assert!(message.contains(expected), "{message}");
    }
}

fn mount_sku(host: &HtmlElement, sku: &str) -> stock_widget::widget::WidgetHandle {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"sku".into(), &sku.into()).unwrap();
    js_sys::Reflect::set(&options, &"api".into(), &"https://api.test".into()).unwrap();
    stock_widget::widget::mount(host.clone(), options.into()).unwrap()
}

#[wasm_bindgen_test]
async fn widgets_mounted_together_share_one_request() {
    let in_stock =
        availability("in_stock", 40, false, "40", 1, 1, 0, true, None).replace("SKU-1", "A");
    let out =
        availability("out_of_stock", 0, false, "0", 1, 0, 1, false, None).replace("SKU-1", "B");
    stub_fetch(&format!(
        r#"[{{"method":"GET","path":"/availability?skus=","status":200,"body":{{"items":[{in_stock},{out}],"missing":["C"]}}}}]"#
    ));
    let hosts = [host(), host(), host(), host()];
    let _widgets: Vec<_> = hosts
        .iter()
        .zip(["A", "B", "C", "A"])
        .map(|(host, sku)| mount_sku(host, sku))
        .collect();
    for host in &hosts {
        settled(host).await;
    }
    assert_eq!(requests().length(), 1, "one request for four widgets");
    let url = field(&requests().get(0), &["url"]).as_string().unwrap();
    assert_eq!(
        url,
        "https://api.test/api/v1/availability?skus=A,B,C&quantity=1"
    );
    let states: Vec<String> = hosts.iter().map(state).collect();
    assert_eq!(states, ["in_stock", "out_of_stock", "error", "in_stock"]);
    assert_eq!(
        text(&hosts[2], "[role=status]"),
        "This product isn't available here."
    );
}

#[wasm_bindgen_test]
async fn a_backend_without_the_batch_endpoint_is_asked_one_by_one() {
    let body = availability("in_stock", 40, false, "40", 1, 1, 0, true, None);
    // Only the single endpoint exists: the batch URL falls through to the stub's 404.
    stub_fetch(&format!(
        r#"[{{"method":"GET","path":"/products/","status":200,"body":{body}}}]"#
    ));
    let hosts = [host(), host()];
    let _widgets: Vec<_> = hosts.iter().map(|host| mount_sku(host, "SKU-1")).collect();
    for host in &hosts {
        settled(host).await;
    }
    assert_eq!(
        hosts.iter().map(state).collect::<Vec<_>>(),
        ["in_stock", "in_stock"]
    );
    assert_eq!(
        requests().length(),
        3,
        "the batch, then one request per widget"
    );
}

#[wasm_bindgen_test]
async fn a_leptos_app_can_put_the_component_in_its_own_view() {
    use leptos::prelude::*;
    use stock_widget::widget::StockStatus;

    stub_availability(&availability(
        "backorder",
        0,
        false,
        "null",
        2,
        0,
        2,
        true,
        Some(12),
    ));
    // The app's own element; `host()` records the events that bubble up to it.
    let app = host();
    let handle = leptos::mount::mount_to(app.clone(), || {
        view! {
            <main>
                <StockStatus sku="SKU-1" api="https://api.test" quantity=2 lang="en" />
            </main>
        }
    });
    let light = |selector: &str| app.query_selector(selector).unwrap();
    let root = light("main > .sw").expect("the component renders in the app's own DOM");
    assert_eq!(root.get_attribute("data-state").as_deref(), Some("loading"));
    until("the status", || {
        root.get_attribute("data-state").as_deref() == Some("backorder")
    })
    .await;
    assert_eq!(
        light("[role=status]")
            .unwrap()
            .text_content()
            .unwrap()
            .trim(),
        "Backorder — ships in 12 days"
    );
    let changes = events(&app, "change");
    assert_eq!(changes.len(), 1, "the change event bubbles to the app");
    assert_eq!(
        field(&changes[0], &["detail", "quantity"]),
        JsValue::from(2)
    );
    // The reserve button works in the light DOM too.
    light(".sw-row .sw-button")
        .unwrap()
        .unchecked_into::<HtmlElement>()
        .click();
    TimeoutFuture::new(0).await;
    let quantity: web_sys::HtmlInputElement = light("[name=quantity]").unwrap().unchecked_into();
    assert_eq!(quantity.value(), "2");
    drop(handle);
    assert!(light(".sw").is_none(), "unmounting removes the widget");
}

/// Every element under `root` that `selector` matches.
fn select_all(root: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    let all = js_sys::Function::new_with_args(
        "root, selector",
        "return [...root.querySelectorAll(selector)]",
    )
    .call2(&JsValue::NULL, root, &selector.into())
    .unwrap();
    all.unchecked_into::<js_sys::Array>()
        .iter()
        .map(JsCast::unchecked_into)
        .collect()
}

/// Two `StockStatus` in one Leptos view share a document: each form's labels
/// and descriptions must name its own inputs, not the other widget's.
#[wasm_bindgen_test]
async fn two_widgets_in_one_leptos_view_each_label_their_own_inputs() {
    use leptos::prelude::*;
    use stock_widget::widget::StockStatus;

    let backorder = availability("backorder", 0, false, "null", 1, 0, 1, true, Some(6));
    stub_fetch(&format!(
        r#"[{{"method":"GET","path":"/availability?skus=","status":200,"body":{{"items":[{backorder}],"missing":[]}}}}]"#
    ));
    let app = host();
    let handle = leptos::mount::mount_to(app.clone(), || {
        view! {
            <StockStatus sku="SKU-1" api="https://api.test" lang="en" />
            <StockStatus sku="SKU-1" api="https://api.test" lang="en" />
        }
    });
    let widgets = || select_all(&app, ".sw");
    until("both statuses", || {
        widgets()
            .iter()
            .all(|root| root.get_attribute("data-state").as_deref() == Some("backorder"))
    })
    .await;
    for root in widgets() {
        let button = root.query_selector(".sw-row .sw-button").unwrap().unwrap();
        button.unchecked_into::<HtmlElement>().click();
    }
    TimeoutFuture::new(0).await;
    let document = web_sys::window().unwrap().document().unwrap();
    let mut ids = Vec::new();
    for root in widgets() {
        let labels = select_all(&root, "label");
        assert_eq!(labels.len(), 2, "quantity and e-mail");
        for label in labels {
            let id = label.get_attribute("for").expect("a label names its input");
            let input = document
                .get_element_by_id(&id)
                .expect("an element with that id");
            assert!(
                root.contains(Some(&input)),
                "{id} is in the label's own widget"
            );
            assert_eq!(input.tag_name(), "INPUT");
            ids.push(id);
        }
        for input in select_all(&root, "input") {
            let described_by = input.get_attribute("aria-describedby").unwrap();
            for id in described_by.split(' ') {
                let description = document.get_element_by_id(id).expect(id);
                assert!(
                    root.contains(Some(&description)),
                    "{id} describes its own input"
                );
                ids.push(id.to_owned());
            }
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "no id twice on the page: {ids:?}");
    drop(handle);
}

/// What the loader does while the wasm loads: an answer already asked for `url`.
fn prefetch(url: &str, body: &str) {
    let code = format!(
        r#"const answers = globalThis[Symbol.for('stock-status:prefetched')] ||= new Map();
        answers.set({url:?}, Promise.resolve(new Response({body:?}, {{ status: 200, headers: {{ 'content-type': 'application/json' }} }})));"#
    );
    js_sys::Function::new_no_args(&code)
        .call0(&JsValue::NULL)
        .unwrap();
}

#[wasm_bindgen_test]
async fn the_answer_the_loader_prefetched_is_used_once_instead_of_asking_again() {
    stub_availability(&availability(
        "in_stock", 40, false, "40", 1, 1, 0, true, None,
    ));
    let body = availability("backorder", 0, false, "null", 1, 0, 1, true, Some(5));
    prefetch(
        "https://api.test/api/v1/products/SKU-1/availability?quantity=1",
        &body,
    );
    let first = host();
    let _first = mount(&first, "en", 1);
    settled(&first).await;
    assert_eq!(text(&first, "[role=status]"), "Backorder — ships in 5 days");
    assert_eq!(requests().length(), 0, "no request of its own");
    // Taken once: the next widget for the same URL asks the API.
    let second = host();
    let _second = mount(&second, "en", 1);
    settled(&second).await;
    assert_eq!(text(&second, "[role=status]"), "In stock");
    assert_eq!(requests().length(), 1);
}

#[wasm_bindgen_test]
async fn with_structured_data_the_page_gets_a_schema_org_offer_in_its_light_dom() {
    stub_availability(&availability(
        "backorder",
        0,
        false,
        "null",
        1,
        0,
        1,
        true,
        Some(6),
    ));
    let offer_of = |host: &HtmlElement| {
        host.query_selector(":scope > script[type='application/ld+json']")
            .unwrap()
            .map(|script| js_sys::JSON::parse(&script.text_content().unwrap()).unwrap())
    };
    let plain = host();
    let _plain = mount(&plain, "en", 1);
    settled(&plain).await;
    assert!(offer_of(&plain).is_none(), "nothing without the option");

    let marked = host();
    let options = js_sys::Object::new();
    for (key, value) in [("sku", "SKU-1"), ("api", "https://api.test")] {
        js_sys::Reflect::set(&options, &key.into(), &value.into()).unwrap();
    }
    js_sys::Reflect::set(&options, &"structuredData".into(), &JsValue::TRUE).unwrap();
    let mut widget = stock_widget::widget::mount(marked.clone(), options.into()).unwrap();
    settled(&marked).await;
    let offer = offer_of(&marked).expect("an Offer beside the widget");
    assert_eq!(field(&offer, &["@context"]), "https://schema.org");
    assert_eq!(field(&offer, &["@type"]), "Offer");
    assert_eq!(field(&offer, &["sku"]), "SKU-1");
    assert_eq!(
        field(&offer, &["availability"]),
        "https://schema.org/BackOrder"
    );
    assert_eq!(field(&offer, &["availabilityStarts"]), "2026-03-08");
    // Mounted again without the option, the widget takes its Offer away.
    widget.destroy();
    let _again = mount(&marked, "en", 1);
    assert!(offer_of(&marked).is_none());
}

#[wasm_bindgen_test]
async fn widgets_of_a_page_share_one_live_stream_and_follow_it() {
    let a = availability("in_stock", 40, false, "40", 1, 1, 0, true, None).replace("SKU-1", "A");
    let b = availability("in_stock", 7, false, "7", 1, 1, 0, true, None).replace("SKU-1", "B");
    stub_fetch(&format!(
        r#"[{{"method":"GET","path":"/availability?skus=","status":200,"body":{{"items":[{a},{b}],"missing":[]}}}}]"#
    ));
    let hosts = [host(), host(), host()];
    let mut widgets: Vec<_> = hosts
        .iter()
        .zip(["A", "B", "A"])
        .map(|(host, sku)| Some(mount_sku(host, sku)))
        .collect();
    for host in &hosts {
        settled(host).await;
    }
    until("the stream to open", || !open_sources().is_empty()).await;
    TimeoutFuture::new(50).await;
    assert_eq!(
        open_sources(),
        ["https://api.test/api/v1/availability/stream?skus=A,B&quantity=1"],
        "one stream for the page's widgets"
    );

    // The stream's opening state equals what is shown: nothing happens.
    emit(&b);
    TimeoutFuture::new(50).await;
    assert_eq!(
        events(&hosts[1], "change").len(),
        1,
        "no event for the same state"
    );

    // A sells out: both of its widgets follow, B's does not move.
    let sold_out =
        availability("out_of_stock", 0, false, "0", 1, 0, 1, false, None).replace("SKU-1", "A");
    emit(&sold_out);
    for host in [&hosts[0], &hosts[2]] {
        until("A to sell out", || text(host, ".sw-text") == "Out of stock").await;
        assert_eq!(state(host), "out_of_stock");
        let changes = events(host, "change");
        assert_eq!(changes.len(), 2);
        assert_eq!(field(&changes[1], &["detail", "status"]), "out_of_stock");
    }
    assert_eq!(state(&hosts[1]), "in_stock");
    assert_eq!(events(&hosts[1], "change").len(), 1);

    // The last widget of B goes: the page's stream is reopened without B.
    widgets[1].take();
    until("the stream to follow", || {
        open_sources() == ["https://api.test/api/v1/availability/stream?skus=A&quantity=1"]
    })
    .await;
    // The last widget of the page goes: no stream stays open.
    widgets.clear();
    TimeoutFuture::new(50).await;
    assert!(open_sources().is_empty(), "{:?}", sources());
}

#[wasm_bindgen_test]
async fn the_live_region_speaks_only_when_the_status_category_changes() {
    stub_availability(&availability("in_stock", 5, true, "5", 1, 1, 0, true, None));
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    until("the stream to open", || !open_sources().is_empty()).await;
    assert_eq!(text(&host, "[role=status]"), "In stock — only 5 left");

    emit(&availability("in_stock", 4, true, "4", 1, 1, 0, true, None));
    until("the new count", || {
        text(&host, ".sw-text") == "In stock — only 4 left"
    })
    .await;
    assert_eq!(
        text(&host, "[role=status]"),
        "In stock — only 5 left",
        "a count moving within the category is not announced"
    );

    emit(&availability(
        "backorder",
        0,
        false,
        "null",
        1,
        0,
        1,
        true,
        Some(6),
    ));
    until("the backorder to be announced", || {
        text(&host, "[role=status]") == "Backorder — ships in 6 days"
    })
    .await;
    assert_eq!(text(&host, ".sw-text"), "Backorder — ships in 6 days");
    assert_eq!(state(&host), "backorder");
}

#[wasm_bindgen_test]
async fn an_open_form_keeps_its_input_and_previews_the_new_numbers() {
    stub_availability(&availability(
        "backorder",
        0,
        false,
        "null",
        1,
        0,
        1,
        true,
        Some(6),
    ));
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    until("the stream to open", || !open_sources().is_empty()).await;
    click(&host, ".sw-row .sw-button");
    TimeoutFuture::new(0).await;
    type_into(&host, "[name=quantity]", "3");
    TimeoutFuture::new(0).await;
    assert!(
        text(&host, ".sw-preview").starts_with("Backorder"),
        "{}",
        text(&host, ".sw-preview")
    );

    // Others reserved: only 2 can be backordered now.
    emit(&availability(
        "backorder",
        0,
        false,
        "2",
        1,
        0,
        1,
        true,
        Some(6),
    ));
    until("the new preview", || {
        text(&host, ".sw-preview") == "Only 2 can be ordered"
    })
    .await;
    let input: web_sys::HtmlInputElement = find(&host, "[name=quantity]").unwrap().unchecked_into();
    assert_eq!(input.value(), "3", "the shopper's input stays");
    assert_eq!(input.get_attribute("max").as_deref(), Some("2"));
}

#[wasm_bindgen_test]
async fn without_a_stream_the_page_refetches_later_and_shows_no_error() {
    let body = availability("in_stock", 40, false, "40", 1, 1, 0, true, None);
    stub_availability(&body);
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    until("the stream to open", || !open_sources().is_empty()).await;
    let asked = requests().length();
    // The backend has no stream (or refused it): the source gives up.
    js_sys::eval("window.__sources.at(-1).fail()").unwrap();
    TimeoutFuture::new(1_000).await;
    assert_eq!(state(&host), "in_stock", "the status shown stays");
    assert!(
        events(&host, "error").is_empty(),
        "a missing stream is no error"
    );
    assert_eq!(sources().len(), 1, "no tight reconnect loop");
    assert_eq!(requests().length(), asked, "nothing asked at once");
    // After the backoff (5 s ± 20 %): the statuses again, and a new try at a stream.
    until("the fallback's re-fetch", || requests().length() > asked).await;
    until("a new stream", || {
        open_sources().len() == 1 && sources().len() == 2
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_race_lost_at_the_server_shows_what_is_left() {
    let conflict = r#"{"error":{"code":"quantity_unavailable","message":"Only 1 can be reserved.","max_quantity":1}}"#;
    stub_fetch(&format!(
        r#"[{}, {{"method":"POST","path":"/reservations","status":409,"body":{conflict}}}]"#,
        get_route(&availability(
            "backorder",
            0,
            false,
            "3",
            1,
            0,
            1,
            true,
            Some(6)
        ))
    ));
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    click(&host, ".sw-row .sw-button");
    TimeoutFuture::new(0).await;
    type_into(&host, "[name=quantity]", "3");
    type_into(&host, "[name=email]", "late@example.com");
    click(&host, ".sw-form button[type=submit]");
    until("the notice", || {
        text(&host, ".sw-notice").starts_with("Someone just took")
    })
    .await;
    assert_eq!(
        text(&host, ".sw-notice"),
        "Someone just took some of these. You can still reserve up to 1."
    );
    let input: web_sys::HtmlInputElement = find(&host, "[name=quantity]").unwrap().unchecked_into();
    assert_eq!(input.value(), "1", "the quantity is capped to what is left");
}

/// Makes the page look hidden or shown, as switching tabs does.
fn set_page_hidden(hidden: bool) {
    js_sys::Function::new_with_args(
        "hidden",
        "Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
         document.dispatchEvent(new Event('visibilitychange'));",
    )
    .call1(&JsValue::NULL, &hidden.into())
    .unwrap();
}

#[wasm_bindgen_test]
async fn a_hidden_page_closes_its_stream_and_catches_up_when_shown() {
    stub_availability(&availability("in_stock", 5, true, "5", 1, 1, 0, true, None));
    let host = host();
    let _widget = mount(&host, "en", 1);
    settled(&host).await;
    until("the stream to open", || open_sources().len() == 1).await;

    set_page_hidden(true);
    assert!(open_sources().is_empty(), "a hidden page keeps no stream");
    set_page_hidden(false);
    assert_eq!(open_sources().len(), 1, "shown again: a new stream");
    assert_eq!(sources().len(), 2);
    // The new stream's opening state is the catch-up.
    emit(&availability(
        "out_of_stock",
        0,
        false,
        "0",
        1,
        0,
        1,
        false,
        None,
    ));
    until("the catch-up", || state(&host) == "out_of_stock").await;
    // Restore the real property for the tests after this one.
    js_sys::eval("delete document.hidden").unwrap();
}

/// Sends `data` as an `availability` event on the open stream whose URL ends with `part`.
fn emit_on(part: &str, data: &str) {
    js_sys::Function::new_with_args(
        "part, data",
        "window.__sources.find(s => !s.closed && s.url.endsWith(part)).emit(data)",
    )
    .call2(&JsValue::NULL, &part.into(), &data.into())
    .unwrap();
}

#[wasm_bindgen_test]
async fn a_stream_for_one_quantity_never_speaks_for_another() {
    stub_availability(&availability(
        "in_stock", 5, false, "5", 1, 1, 0, true, None,
    ));
    let (one, ten) = (host(), host());
    let _one = mount(&one, "en", 1);
    let _ten = mount(&ten, "en", 10);
    settled(&one).await;
    settled(&ten).await;
    until("a stream per quantity", || open_sources().len() == 2).await;
    let shown_for_ten = text(&ten, ".sw-text");
    emit_on(
        "quantity=1",
        &availability("out_of_stock", 0, false, "0", 1, 0, 1, false, None),
    );
    until("the quantity-1 widget", || state(&one) == "out_of_stock").await;
    TimeoutFuture::new(50).await;
    assert_eq!(
        text(&ten, ".sw-text"),
        shown_for_ten,
        "the other quantity's widget stays"
    );
    assert_eq!(events(&ten, "change").len(), 1);
}
