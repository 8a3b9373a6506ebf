//! The options a merchant passes (attributes or `mount(element, options)`).

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
        let options: WidgetOptions = serde_wasm_bindgen::from_value(value).map_err(|error| {
            JsError::new(&(String::from("stock-status: bad options: ") + &error.to_string()))
        })?;
        if options.sku.trim().is_empty() {
            return Err(JsError::new("stock-status: `sku` is required"));
        }
        if options.quantity == Some(0) {
            return Err(JsError::new("stock-status: `quantity` must be at least 1"));
        }
        Ok(options)
    }

    pub fn api_base(&self) -> &str {
        self.api.as_deref().unwrap_or("").trim_end_matches('/')
    }

    pub fn quantity(&self) -> u32 {
        self.quantity.unwrap_or(1)
    }
}
