//! Talking to the API with the browser's `fetch`. JSON is parsed by the
//! browser (`Response.json()`) and read into the shared `api` types with
//! `serde-wasm-bindgen`, so no JSON parser ships in the wasm. Every request
//! has a timeout and is aborted when the widget goes away.

pub use super::state::FetchError;

use crate::api::{
    Availability, AvailabilityList, ErrorBody, Reservation, SubscriptionConfirmation,
};
use gloo::timers::future::TimeoutFuture;
use serde::de::DeserializeOwned;
use std::pin::Pin;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestInit, Response};

/// How long a request may take before the shopper is told.
pub const TIMEOUT_MS: u32 = 5_000;

/// Aborts the request when dropped: a destroyed widget leaves nothing running.
struct AbortOnDrop(AbortController);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A successful answer: the parsed value and the raw object (for event details).
#[derive(Clone)]
pub struct Answer<T> {
    pub value: T,
    pub raw: JsValue,
}

/// A request on its way. Boxed: each kind of request is compiled once, not
/// into every task that waits for one (a smaller wasm).
pub type Pending<T> = Pin<Box<dyn Future<Output = Result<T, FetchError>>>>;

/// One exchange with the API: the parsed JSON of a 2xx answer, or why not.
fn request(
    method: &'static str,
    url: String,
    body: Option<String>,
    idempotency_key: Option<String>,
) -> Pending<JsValue> {
    Box::pin(exchange(method, url, body, idempotency_key))
}

async fn exchange(
    method: &'static str,
    url: String,
    body: Option<String>,
    idempotency_key: Option<String>,
) -> Result<JsValue, FetchError> {
    let window = web_sys::window().ok_or(FetchError::Unreachable)?;
    let controller = AbortController::new().map_err(|_| FetchError::Unreachable)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_signal(Some(&controller.signal()));
    let headers = Headers::new().map_err(|_| FetchError::Unreachable)?;
    let _ = headers.set("Accept", "application/json");
    if let Some(body) = &body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(body));
    }
    if let Some(key) = &idempotency_key {
        let _ = headers.set("Idempotency-Key", key);
    }
    init.set_headers(&headers);
    let guard = AbortOnDrop(controller);

    let exchange = async {
        let fetched = match prefetched(method, &url) {
            Some(answer) => answer,
            None => window.fetch_with_str_and_init(&url, &init),
        };
        let response: Response = JsFuture::from(fetched)
            .await
            .map_err(|_| FetchError::Unreachable)?
            .unchecked_into();
        let status = response.status();
        let json = match response.json() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .map_err(|_| FetchError::Malformed),
            Err(_) => Err(FetchError::Malformed),
        };
        Ok::<_, FetchError>((status, json))
    };
    let timeout = async {
        TimeoutFuture::new(TIMEOUT_MS).await;
        Err(FetchError::Timeout)
    };
    let (status, json) = race(exchange, timeout).await?;
    drop(guard);
    if (200..300).contains(&status) {
        return json;
    }
    // An error answer without our JSON shape (e.g. a proxy's HTML page).
    let body = json
        .ok()
        .and_then(|json| serde_wasm_bindgen::from_value::<ErrorBody>(json).ok());
    let (code, max_quantity, field) = match body {
        Some(ErrorBody { error }) => (error.code, error.max_quantity, error.field),
        None => (
            String::from(if status >= 500 {
                "server_error"
            } else {
                "http_error"
            }),
            None,
            None,
        ),
    };
    Err(FetchError::Status {
        status,
        code,
        max_quantity,
        field,
    })
}

/// The response to `GET url` that the loader already asked for while the
/// wasm loaded (`loader.js`), taken once; `None` when there is none.
fn prefetched(method: &str, url: &str) -> Option<js_sys::Promise> {
    if method != "GET" {
        return None;
    }
    let key = js_sys::Symbol::for_("stock-status:prefetched");
    let answers: js_sys::Map = js_sys::Reflect::get(&js_sys::global(), &key)
        .ok()?
        .dyn_into()
        .ok()?;
    let url = JsValue::from_str(url);
    let answer = answers.get(&url).dyn_into().ok()?;
    answers.delete(&url);
    Some(answer)
}

/// The first of two futures to finish.
async fn race<T>(first: impl Future<Output = T>, second: impl Future<Output = T>) -> T {
    use futures::future::{Either, select};
    let first = std::pin::pin!(first);
    let second = std::pin::pin!(second);
    match select(first, second).await {
        Either::Left((value, _)) | Either::Right((value, _)) => value,
    }
}

/// Reads an answer into `T`; anything missing or of the wrong type is malformed.
fn read<T: DeserializeOwned>(raw: &JsValue) -> Result<T, FetchError> {
    serde_wasm_bindgen::from_value(raw.clone()).map_err(|_| FetchError::Malformed)
}

pub fn parse<T: DeserializeOwned>(raw: JsValue) -> Result<Answer<T>, FetchError> {
    Ok(Answer {
        value: read(&raw)?,
        raw,
    })
}

fn encode(component: &str) -> String {
    String::from(js_sys::encode_uri_component(component))
}

pub fn availability_url(api: &str, sku: &str, quantity: u32) -> String {
    let mut url = String::from(api);
    url.push_str("/api/v1/products/");
    url.push_str(&encode(sku));
    url.push_str("/availability?quantity=");
    url.push_str(&super::i18n::number(quantity));
    url
}

/// `{api}{path}?skus=A,B,…&quantity=Q`: the batch and the stream.
pub fn list_url(api: &str, path: &str, skus: &[&str], quantity: u32) -> String {
    let mut url = String::from(api);
    url.push_str(path);
    url.push_str("?skus=");
    for (index, sku) in skus.iter().enumerate() {
        if index > 0 {
            url.push(',');
        }
        url.push_str(&encode(sku));
    }
    url.push_str("&quantity=");
    url.push_str(&super::i18n::number(quantity));
    url
}

fn reservation_url(api: &str, id: &str) -> String {
    let mut url = String::from(api);
    url.push_str("/api/v1/reservations/");
    url.push_str(&encode(id));
    url
}

/// Reads the answer to `request` as a `T`.
fn answer<T: DeserializeOwned + 'static>(request: Pending<JsValue>) -> Pending<Answer<T>> {
    Box::pin(async move { parse(request.await?) })
}

pub fn fetch_availability(api: &str, sku: &str, quantity: u32) -> Pending<Answer<Availability>> {
    answer(request(
        "GET",
        availability_url(api, sku, quantity),
        None,
        None,
    ))
}

/// `GET /api/v1/availability?skus=…`: each found item, parsed and raw.
pub fn fetch_availability_list(
    api: &str,
    skus: &[&str],
    quantity: u32,
) -> Pending<Vec<Answer<Availability>>> {
    let url = list_url(api, "/api/v1/availability", skus, quantity);
    let request = request("GET", url, None, None);
    Box::pin(async move { read_list(request.await?) })
}

fn read_list(raw: JsValue) -> Result<Vec<Answer<Availability>>, FetchError> {
    let list: AvailabilityList = read(&raw)?;
    // Each item's own object goes with it, as the detail of its widget's event.
    let raw_items: js_sys::Array = js_sys::Reflect::get(&raw, &"items".into())
        .ok()
        .and_then(|items| items.dyn_into().ok())
        .ok_or(FetchError::Malformed)?;
    Ok(list
        .items
        .into_iter()
        .zip(raw_items.iter())
        .map(|(value, raw)| Answer { value, raw })
        .collect())
}

/// `{api}/api/v1/products/{sku}/{what}`
fn product_url(api: &str, sku: &str, what: &str) -> String {
    let mut url = String::from(api);
    url.push_str("/api/v1/products/");
    url.push_str(&encode(sku));
    url.push('/');
    url.push_str(what);
    url
}

/// A JSON body: the e-mail address and one more field.
fn email_body(email: &str, fields: &[(&str, JsValue)]) -> String {
    let body = js_sys::Object::new();
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&body, &(*name).into(), value);
    }
    let _ = js_sys::Reflect::set(&body, &"email".into(), &JsValue::from_str(email));
    js_sys::JSON::stringify(&body)
        .map(String::from)
        .unwrap_or_default()
}

/// A reservation (`lang`: the widget's, for the shop's mails to the shopper).
pub fn create_reservation(
    api: &str,
    sku: &str,
    quantity: u32,
    email: &str,
    lang: &str,
    idempotency_key: &str,
) -> Pending<Answer<Reservation>> {
    let fields = [
        ("quantity", JsValue::from(quantity)),
        ("lang", JsValue::from_str(lang)),
    ];
    answer(request(
        "POST",
        product_url(api, sku, "reservations"),
        Some(email_body(email, &fields)),
        Some(idempotency_key.to_owned()),
    ))
}

/// "Email me when it's back" (`lang`: the widget's, for the merchant's mailer).
pub fn subscribe(
    api: &str,
    sku: &str,
    email: &str,
    lang: &str,
) -> Pending<Answer<SubscriptionConfirmation>> {
    answer(request(
        "POST",
        product_url(api, sku, "subscriptions"),
        Some(email_body(email, &[("lang", JsValue::from_str(lang))])),
        None,
    ))
}

pub fn get_reservation(api: &str, id: &str) -> Pending<Answer<Reservation>> {
    answer(request("GET", reservation_url(api, id), None, None))
}

pub fn cancel_reservation(api: &str, id: &str) -> Pending<Answer<Reservation>> {
    answer(request("DELETE", reservation_url(api, id), None, None))
}
