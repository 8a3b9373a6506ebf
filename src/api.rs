//! The JSON contract between the widget and the server (`/api/v1`).
//!
//! Plain data shared by both sides, so a field renamed here is renamed for both.
//! OpenAPI schemas are derived on the server build only.

use crate::logic::{Date, Quote, Status};
use serde::{Deserialize, Serialize};

/// `GET /api/v1/products/{sku}/availability?quantity=Q`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct Availability {
    pub sku: String,
    pub name: String,
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = String, example = "backorder"))]
    pub status: Status,
    /// Units that ship now.
    pub available: u32,
    pub low_stock: bool,
    /// The most one request may take; `null` = unlimited.
    pub max_quantity: Option<u32>,
    pub quantity: u32,
    pub from_stock: u32,
    pub backordered: u32,
    pub fulfillable: bool,
    /// `YYYY-MM-DD`; only when part of the request is backordered and it is fulfillable.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<String>, format = Date))]
    pub ship_date: Option<Date>,
    pub ships_in_days: Option<u32>,
    /// RFC 3339 time the answer was computed.
    pub as_of: String,
}

impl Availability {
    pub fn from_quote(sku: String, name: String, quote: Quote, as_of: String) -> Availability {
        Availability {
            sku,
            name,
            status: quote.status,
            available: quote.available,
            low_stock: quote.low_stock,
            max_quantity: quote.max_quantity,
            quantity: quote.quantity,
            from_stock: quote.from_stock,
            backordered: quote.backordered,
            fulfillable: quote.fulfillable,
            ship_date: quote.ship_date,
            ships_in_days: quote.ships_in_days,
            as_of,
        }
    }
}

/// Every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unknown_product`, `invalid_request`, ...
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `quantity_unavailable`: the most that can be had now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_quantity: Option<u32>,
}
