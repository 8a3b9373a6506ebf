//! The shared inventory rules: pure, deterministic, and compiled into both the
//! browser widget (to preview) and the server (to commit).
//!
//! No I/O, no clock, no browser or database types: `today` and the state come
//! in as arguments, results go out as values.

mod date;
mod inventory;
mod signals;

pub use date::Date;
pub use inventory::{
    Arrival, BackorderOutlook, BackorderPolicy, Cancellation, DEFAULT_LEAD_TIME_DAYS, Estimate,
    Fill, Inventory, InventoryError, Placement, PurchaseOrder, QueueEntry, Quote, Receipt,
    ReservationKey, Status, customer_allowance,
};
pub use signals::{Signals, signals};

#[cfg(test)]
mod tests;
