//! Reading the API's answers straight from the objects `Response.json()`
//! made. Hand-written instead of serde: serde's error messages alone pull
//! ~10 KB of float formatting into the wasm (see ARCHITECTURE.md). Anything
//! missing or of the wrong type makes the whole answer `None` (malformed).

use crate::api::{Availability, ErrorDetail, Reservation, ReservationStatus};
use crate::logic::{Arrival, BackorderOutlook, Date, Status};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// A type that can be read from a JSON value the browser parsed.
pub trait FromJs: Sized {
    fn from_js(value: &JsValue) -> Option<Self>;
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn absent(value: &JsValue) -> bool {
    value.is_null() || value.is_undefined()
}

fn string(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

fn whole(value: &JsValue) -> Option<u32> {
    let number = value.as_f64()?;
    (number >= 0.0 && number <= u32::MAX as f64 && number.fract() == 0.0).then_some(number as u32)
}

fn count(object: &JsValue, key: &str) -> Option<u32> {
    whole(&get(object, key))
}

/// `Some(None)` for `null` or absent, `None` when present but not a count.
fn optional_count(object: &JsValue, key: &str) -> Option<Option<u32>> {
    let value = get(object, key);
    if absent(&value) {
        Some(None)
    } else {
        whole(&value).map(Some)
    }
}

fn flag(object: &JsValue, key: &str) -> Option<bool> {
    get(object, key).as_bool()
}

fn date(value: &JsValue) -> Option<Date> {
    Date::parse_iso(&value.as_string()?)
}

fn optional_date(object: &JsValue, key: &str) -> Option<Option<Date>> {
    let value = get(object, key);
    if absent(&value) {
        Some(None)
    } else {
        date(&value).map(Some)
    }
}

impl FromJs for BackorderOutlook {
    fn from_js(value: &JsValue) -> Option<BackorderOutlook> {
        let arrivals: Array = get(value, "arrivals").dyn_into().ok()?;
        let arrivals = arrivals
            .iter()
            .map(|arrival| {
                Some(Arrival {
                    units: count(&arrival, "units")?,
                    date: date(&get(&arrival, "date"))?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(BackorderOutlook {
            arrivals,
            later: date(&get(value, "later"))?,
        })
    }
}

impl FromJs for Availability {
    fn from_js(value: &JsValue) -> Option<Availability> {
        let status = match string(value, "status")?.as_str() {
            "in_stock" => Status::InStock,
            "backorder" => Status::Backorder,
            "out_of_stock" => Status::OutOfStock,
            _ => return None,
        };
        let outlook = get(value, "backorder_outlook");
        Some(Availability {
            sku: string(value, "sku")?,
            name: string(value, "name")?,
            status,
            available: count(value, "available")?,
            low_stock: flag(value, "low_stock")?,
            max_quantity: optional_count(value, "max_quantity")?,
            quantity: count(value, "quantity")?,
            from_stock: count(value, "from_stock")?,
            backordered: count(value, "backordered")?,
            fulfillable: flag(value, "fulfillable")?,
            ship_date: optional_date(value, "ship_date")?,
            ships_in_days: optional_count(value, "ships_in_days")?,
            as_of: string(value, "as_of")?,
            backorder_outlook: if absent(&outlook) {
                None
            } else {
                Some(BackorderOutlook::from_js(&outlook)?)
            },
        })
    }
}

impl FromJs for Reservation {
    fn from_js(value: &JsValue) -> Option<Reservation> {
        let status = match string(value, "status")?.as_str() {
            "reserved" => ReservationStatus::Reserved,
            "ready" => ReservationStatus::Ready,
            "cancelled" => ReservationStatus::Cancelled,
            _ => return None,
        };
        Some(Reservation {
            id: string(value, "id")?,
            sku: string(value, "sku")?,
            quantity: count(value, "quantity")?,
            from_stock: count(value, "from_stock")?,
            backordered: count(value, "backordered")?,
            filled: count(value, "filled")?,
            outstanding: count(value, "outstanding")?,
            status,
            ship_date: optional_date(value, "ship_date")?,
            ships_in_days: optional_count(value, "ships_in_days")?,
            email: string(value, "email")?,
            created_at: string(value, "created_at")?,
        })
    }
}

/// The `error` object of an error answer.
impl FromJs for ErrorDetail {
    fn from_js(value: &JsValue) -> Option<ErrorDetail> {
        let error = get(value, "error");
        Some(ErrorDetail {
            code: string(&error, "code")?,
            message: string(&error, "message").unwrap_or_default(),
            field: string(&error, "field"),
            max_quantity: optional_count(&error, "max_quantity").flatten(),
        })
    }
}
