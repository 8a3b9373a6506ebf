//! The options a merchant passes (attributes or `mount(element, options)`).

use super::i18n::Lang;
use serde::Deserialize;
use wasm_bindgen::{JsError, JsValue};

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetOptions {
    pub sku: String,
    /// Base URL of the API; the loader fills in the script's own origin.
    #[serde(default)]
    pub api: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub lang: Option<String>,
}

impl WidgetOptions {
    pub fn from_js(value: JsValue) -> Result<WidgetOptions, JsError> {
        // serde-wasm-bindgen reads only the fields it knows, so catch typos here.
        if value.is_object() {
            for key in js_sys::Object::keys(&value.clone().into()).iter() {
                let key = key.as_string().unwrap_or_default();
                if !matches!(key.as_str(), "sku" | "api" | "quantity" | "lang") {
                    let message = String::from("stock-status: unknown option `")
                        + &key
                        + "` (expected sku, api, quantity, lang)";
                    return Err(JsError::new(&message));
                }
            }
        }
        let options: WidgetOptions = serde_wasm_bindgen::from_value(value).map_err(|error| {
            JsError::new(&(String::from("stock-status: bad options: ") + &error.to_string()))
        })?;
        if options.sku.trim().is_empty() {
            return Err(JsError::new("stock-status: `sku` is required"));
        }
        if options.quantity == Some(0) || options.quantity > Some(crate::api::MAX_REQUEST_QUANTITY)
        {
            return Err(JsError::new(
                "stock-status: `quantity` must be a whole number from 1 to 1000000",
            ));
        }
        Ok(options)
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
