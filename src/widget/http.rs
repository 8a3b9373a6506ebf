//! Talking to the API with the browser's `fetch`; JSON is parsed by the
//! browser (`Response.json()`), not by a bundled parser.

use crate::api::Availability;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// Why a request failed, in terms the view can explain.
#[derive(Clone, Debug, PartialEq)]
pub enum FetchError {
    /// Network failure: the API is unreachable.
    Unreachable,
    /// The API answered with an error status and, maybe, an error code.
    Status { status: u16, code: Option<String> },
    /// The body was not the JSON we expected.
    Malformed,
}

fn encode(component: &str) -> String {
    String::from(js_sys::encode_uri_component(component))
}

pub async fn fetch_availability(
    api: &str,
    sku: &str,
    quantity: u32,
) -> Result<Availability, FetchError> {
    let mut url = String::from(api);
    url.push_str("/api/v1/products/");
    url.push_str(&encode(sku));
    url.push_str("/availability?quantity=");
    url.push_str(&quantity.to_string());
    let window = web_sys::window().ok_or(FetchError::Unreachable)?;
    let response: Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|_| FetchError::Unreachable)?
        .unchecked_into();
    let body = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    if !response.ok() {
        let code = body
            .and_then(|body| serde_wasm_bindgen::from_value::<crate::api::ErrorBody>(body).ok())
            .map(|body| body.error.code);
        return Err(FetchError::Status {
            status: response.status(),
            code,
        });
    }
    let body = body.ok_or(FetchError::Malformed)?;
    serde_wasm_bindgen::from_value(body).map_err(|_| FetchError::Malformed)
}
