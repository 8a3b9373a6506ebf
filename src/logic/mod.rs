//! The shared inventory rules: pure, deterministic, and compiled into both the
//! browser widget (to preview) and the server (to commit).
//!
//! No I/O, no clock, no browser or database types: `today` and the state come
//! in as arguments, results go out as values.

mod date;
mod insight;
mod inventory;
mod outcome;
mod signals;
mod supply;

pub use date::Date;
pub use insight::{
    Insight, InsightInput, LeadTime, LeadTimeSource, ORDER_COVER_DAYS, ServiceLevel, WINDOW_DAYS,
    normal_quantile, position,
};
pub use inventory::{
    BackorderPolicy, DEFAULT_LEAD_TIME_DAYS, Inventory, PurchaseOrder, QueueEntry,
};
pub use outcome::{
    Arrival, BackorderOutlook, Cancellation, Estimate, Fill, InventoryError, Placement, Quote,
    Receipt, ReservationKey, Status, customer_allowance,
};
pub use signals::{Signals, Standing, signals};
pub use supply::{Lateness, MIN_RECORDS, RECORD_LENGTH, Schedule, Window, order_window};

#[cfg(test)]
mod tests;
