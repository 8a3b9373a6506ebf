//! The options a merchant passes (attributes or `mount(element, options)`),
//! read option by option with `serde-wasm-bindgen`.

use super::i18n::Lang;
use super::part::Prefetch;
use crate::api::MAX_REQUEST_QUANTITY;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsError, JsValue};

#[derive(Clone, Debug, PartialEq)]
pub struct WidgetOptions {
    pub sku: String,
    /// Base URL of the API; the loader fills in the script's own origin.
    pub api: Option<String>,
    pub quantity: Option<u32>,
    pub lang: Option<String>,
    /// Also write a schema.org `Offer` as JSON-LD into the page.
    pub structured_data: bool,
    /// When the forms' part is fetched before it is needed.
    pub prefetch: Prefetch,
}

fn invalid(message: &str) -> JsError {
    JsError::new(&(String::from("stock-status: ") + message))
}

const OPTION_NAMES: [&str; 6] = [
    "sku",
    "api",
    "quantity",
    "lang",
    "structuredData",
    "prefetch",
];

/// One option, read with serde-wasm-bindgen (`undefined` and `null` are `None`).
/// Read one by one, so a wrong type is reported with the option's name.
fn read<T: DeserializeOwned>(options: &js_sys::Object, key: &str) -> Result<Option<T>, ()> {
    let value =
        js_sys::Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    serde_wasm_bindgen::from_value(value).map_err(|_| ())
}

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
        let options: &js_sys::Object = options.unchecked_ref();
        for key in js_sys::Object::keys(options).iter() {
            let key = key.as_string().unwrap_or_default();
            if !OPTION_NAMES.contains(&key.as_str()) {
                return Err(invalid(
                    &(String::from("unknown option `")
                        + &key
                        + "` (expected sku, api, quantity, lang, structuredData, prefetch)"),
                ));
            }
        }
        let text = |key: &str| -> Result<Option<String>, JsError> {
            read(options, key)
                .map_err(|_| invalid(&(String::from("`") + key + "` must be a string")))
        };
        let sku = text("sku")?;
        let api = text("api")?;
        let lang = text("lang")?;
        let prefetch_rule = || invalid("`prefetch` must be \"idle\" or \"intent\"");
        let prefetch = match text("prefetch").map_err(|_| prefetch_rule())? {
            None => Prefetch::Idle,
            Some(word) => Prefetch::parse(&word).ok_or_else(prefetch_rule)?,
        };
        let structured_data: Option<bool> = read(options, "structuredData")
            .map_err(|_| invalid("`structuredData` must be true or false"))?;
        let quantity: Option<f64> =
            read(options, "quantity").map_err(|_| invalid(QUANTITY_RULE))?;
        let sku = sku.unwrap_or_default();
        if sku.trim().is_empty() {
            return Err(invalid("`sku` is required"));
        }
        let quantity = match quantity {
            None => None,
            Some(number) => Some(parse_quantity(number).ok_or_else(|| invalid(QUANTITY_RULE))?),
        };
        Ok(WidgetOptions {
            sku,
            api,
            quantity,
            lang,
            structured_data: structured_data.unwrap_or(false),
            prefetch,
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
