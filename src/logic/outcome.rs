//! What the inventory's operations answer: the status and quote a shopper
//! sees, a placement's split, fills, estimates, and why a request is refused.

use super::date::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The caller's handle for a reservation in the backorder queue (the server uses its row id).
pub type ReservationKey = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InStock,
    Backorder,
    OutOfStock,
}

/// What a shopper would get for a quantity, today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub status: Status,
    pub available: u32,
    pub low_stock: bool,
    /// `None` = unlimited.
    pub max_quantity: Option<u32>,
    pub quantity: u32,
    pub from_stock: u32,
    pub backordered: u32,
    pub fulfillable: bool,
    /// Only for a fulfillable request with a backordered part: when it
    /// likely ships, and at the latest.
    pub ship_date: Option<Date>,
    pub ships_in_days: Option<u32>,
    pub ship_date_latest: Option<Date>,
    pub ships_in_days_latest: Option<u32>,
}

/// What a successful placement committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub from_stock: u32,
    pub backordered: u32,
    pub ship_date: Option<Date>,
    pub ships_in_days: Option<u32>,
    pub ship_date_latest: Option<Date>,
    pub ships_in_days_latest: Option<u32>,
}

/// Units handed to a queued reservation by a receipt or a cancellation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub reservation: ReservationKey,
    pub units: u32,
    /// Still outstanding after this fill; 0 = the reservation is complete.
    pub outstanding: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub fills: Vec<Fill>,
    /// Units left over after the queue, added to `stock`.
    pub to_stock: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancellation {
    /// The cancelled reservation's units that were still waiting in the queue.
    pub left_queue: u32,
    /// Its held units, passed on to the reservations waiting behind.
    pub fills: Vec<Fill>,
    /// Its held units that nobody was waiting for, back in `stock`.
    pub to_stock: u32,
}

/// Where a queued reservation stands and when its last unit is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub reservation: ReservationKey,
    pub outstanding: u32,
    /// 1-based queue positions of its first and last outstanding unit.
    pub first_position: u64,
    pub last_position: u64,
    /// When its last unit likely ships, and at the latest.
    pub ship_date: Date,
    pub ships_in_days: u32,
    pub ship_date_latest: Date,
    pub ships_in_days_latest: u32,
}

/// When units ordered now on backorder would arrive: the open supply left
/// after everyone already waiting. Enough to quote any quantity exactly as
/// the server would, without revealing the queue or the purchase orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackorderOutlook {
    /// Units not yet promised, by likely arrival date (never before `today`).
    pub arrivals: Vec<Arrival>,
    /// When units beyond all `arrivals` likely arrive.
    pub later: Date,
    /// The same units by the date they arrive at the latest; absent (an
    /// answer without windows): as likely.
    #[serde(default)]
    pub arrivals_latest: Option<Vec<Arrival>>,
    /// When units beyond all `arrivals_latest` arrive at the latest.
    #[serde(default)]
    pub later_latest: Option<Date>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    pub units: u32,
    pub date: Date,
}

/// How many more units one customer may put on backorder when the merchant
/// caps what a customer holds (`max_per_customer`; `None`: no cap), given the
/// units that customer already holds on backorder.
pub fn customer_allowance(max_per_customer: Option<u32>, held: u32) -> Option<u32> {
    max_per_customer.map(|cap| cap.saturating_sub(held))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InventoryError {
    /// A quantity of zero.
    InvalidQuantity,
    /// More than can be had; `max_quantity` can.
    QuantityUnavailable { max_quantity: u32 },
}

impl InventoryError {
    /// Stable machine-readable code (also the API's error code).
    pub fn code(&self) -> &'static str {
        match self {
            InventoryError::InvalidQuantity => "invalid_quantity",
            InventoryError::QuantityUnavailable { .. } => "quantity_unavailable",
        }
    }
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InventoryError::InvalidQuantity => f.write_str("The quantity must be at least 1."),
            InventoryError::QuantityUnavailable { max_quantity: 0 } => {
                f.write_str("This item is out of stock and cannot be ordered.")
            }
            InventoryError::QuantityUnavailable { max_quantity } => {
                write!(f, "Only {max_quantity} can be ordered right now.")
            }
        }
    }
}

impl std::error::Error for InventoryError {}
