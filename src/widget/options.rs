//! The options a merchant passes (attributes or `mount(element, options)`).

use super::i18n::Lang;
use wasm_bindgen::{JsError, JsValue};

#[derive(Clone, Debug, PartialEq)]
pub struct WidgetOptions {
    pub sku: String,
    /// Base URL of the API; the loader fills in the script's own origin.
    pub api: Option<String>,
    pub quantity: Option<u32>,
    pub lang: Option<String>,
}

fn invalid(message: &str) -> JsError {
    JsError::new(&(String::from("stock-status: ") + message))
}

/// An optional string option; `Err` when present but not a string.
fn optional_string(options: &JsValue, key: &str) -> Result<Option<String>, JsError> {
    let value =
        js_sys::Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_string() {
        Some(text) => Ok(Some(text)),
        None => Err(invalid(&(String::from("`") + key + "` must be a string"))),
    }
}

impl WidgetOptions {
    /// Reads `{sku, api?, quantity?, lang?}`, with an error that says what is wrong.
    /// (Read by hand rather than with serde: see ARCHITECTURE.md.)
    pub fn from_js(options: JsValue) -> Result<WidgetOptions, JsError> {
        if !options.is_object() {
            return Err(invalid("options must be an object like { sku: 'SKU-1' }"));
        }
        for key in js_sys::Object::keys(&options.clone().into()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !matches!(key.as_str(), "sku" | "api" | "quantity" | "lang") {
                return Err(invalid(
                    &(String::from("unknown option `")
                        + &key
                        + "` (expected sku, api, quantity, lang)"),
                ));
            }
        }
        let sku = optional_string(&options, "sku")?.unwrap_or_default();
        if sku.trim().is_empty() {
            return Err(invalid("`sku` is required"));
        }
        let quantity = js_sys::Reflect::get(&options, &JsValue::from_str("quantity"))
            .unwrap_or(JsValue::UNDEFINED);
        let quantity = if quantity.is_undefined() || quantity.is_null() {
            None
        } else {
            match quantity.as_f64() {
                Some(number)
                    if number.fract() == 0.0
                        && (1.0..=crate::api::MAX_REQUEST_QUANTITY as f64).contains(&number) =>
                {
                    Some(number as u32)
                }
                _ => {
                    return Err(invalid(
                        "`quantity` must be a whole number from 1 to 1000000",
                    ));
                }
            }
        };
        Ok(WidgetOptions {
            sku,
            api: optional_string(&options, "api")?,
            quantity,
            lang: optional_string(&options, "lang")?,
        })
    }

    pub fn api_base(&self) -> &str {
        self.api.as_deref().unwrap_or("").trim_end_matches('/')
    }

    pub fn quantity(&self) -> u32 {
        self.quantity.unwrap_or(1)
    }

    /// The `lang` option, else the page's `lang`, else the browser's language, else English.
    pub fn resolved_lang(&self, host: &web_sys::HtmlElement) -> Lang {
        let page = host
            .owner_document()
            .and_then(|document| document.document_element())
            .map(|root| root.get_attribute("lang").unwrap_or_default());
        let browser = web_sys::window().and_then(|window| window.navigator().language());
        [self.lang.clone(), page, browser]
            .into_iter()
            .flatten()
            .find_map(|tag| Lang::from_tag(&tag))
            .unwrap_or(Lang::En)
    }
}
