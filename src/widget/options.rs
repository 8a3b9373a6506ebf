//! The options a merchant passes (attributes or `mount(element, options)`),
//! read with `serde-wasm-bindgen` into a plain struct.

use super::i18n::Lang;
use crate::api::MAX_REQUEST_QUANTITY;
use serde::Deserialize;
use serde_path_to_error::Segment;
use wasm_bindgen::{JsCast, JsError, JsValue};

#[derive(Clone, Debug, PartialEq)]
pub struct WidgetOptions {
    pub sku: String,
    /// Base URL of the API; the loader fills in the script's own origin.
    pub api: Option<String>,
    pub quantity: Option<u32>,
    pub lang: Option<String>,
}

/// `{sku, api?, quantity?, lang?}` as the page passed it. `quantity` is read
/// as a number and checked here, so `1.5` or `0` get our message.
/// (No `deny_unknown_fields`: serde-wasm-bindgen reads a struct's own fields
/// by name and never sees the others, so `from_js` checks the keys itself.)
#[derive(Deserialize)]
struct RawOptions {
    sku: Option<String>,
    api: Option<String>,
    quantity: Option<f64>,
    lang: Option<String>,
}

fn invalid(message: &str) -> JsError {
    JsError::new(&(String::from("stock-status: ") + message))
}

const OPTION_NAMES: [&str; 4] = ["sku", "api", "quantity", "lang"];

const QUANTITY_RULE: &str = "`quantity` must be a whole number from 1 to 1000000";

/// A whole number from 1 to `MAX_REQUEST_QUANTITY`.
fn parse_quantity(number: f64) -> Option<u32> {
    (number.fract() == 0.0 && (1.0..=MAX_REQUEST_QUANTITY as f64).contains(&number))
        .then_some(number as u32)
}

impl WidgetOptions {
    /// Reads `{sku, api?, quantity?, lang?}`, with an error that says what is wrong.
    pub fn from_js(options: JsValue) -> Result<WidgetOptions, JsError> {
        if !options.is_object() {
            return Err(invalid("options must be an object like { sku: 'SKU-1' }"));
        }
        for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !OPTION_NAMES.contains(&key.as_str()) {
                return Err(invalid(
                    &(String::from("unknown option `")
                        + &key
                        + "` (expected sku, api, quantity, lang)"),
                ));
            }
        }
        let deserializer = serde_wasm_bindgen::Deserializer::from(options);
        let raw: RawOptions = serde_path_to_error::deserialize(deserializer).map_err(|error| {
            // The path names the option whose value has the wrong type.
            match error.path().iter().next() {
                Some(Segment::Map { key }) if key == "quantity" => invalid(QUANTITY_RULE),
                Some(Segment::Map { key }) => {
                    invalid(&(String::from("`") + key + "` must be a string"))
                }
                _ => invalid(&error.into_inner().to_string()),
            }
        })?;
        let sku = raw.sku.unwrap_or_default();
        if sku.trim().is_empty() {
            return Err(invalid("`sku` is required"));
        }
        let quantity = match raw.quantity {
            None => None,
            Some(number) => Some(parse_quantity(number).ok_or_else(|| invalid(QUANTITY_RULE))?),
        };
        Ok(WidgetOptions {
            sku,
            api: raw.api,
            quantity,
            lang: raw.lang,
        })
    }
}

/// The `lang` option, else the page's `lang`, else the browser's language, else English.
pub fn resolve_lang(option: Option<&str>) -> Lang {
    let page = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
        .and_then(|root| root.get_attribute("lang"));
    let browser = web_sys::window().and_then(|window| window.navigator().language());
    [option.map(str::to_owned), page, browser]
        .into_iter()
        .flatten()
        .find_map(|tag| Lang::from_tag(&tag))
        .unwrap_or(Lang::En)
}

#[cfg(test)]
mod tests {
    use super::parse_quantity;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn quantities_are_whole_numbers_in_range() {
        assert_eq!(parse_quantity(1.0), Some(1));
        assert_eq!(parse_quantity(1_000_000.0), Some(1_000_000));
        for bad in [0.0, -1.0, 1.5, 1_000_001.0, f64::NAN, f64::INFINITY] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }
}
