//! What a group commit's placements hold back, to write once for many
//! (`ops::held_back`).

use super::HeldReservation;
use crate::server::domain::Sku;

/// Writes a group commit's placements hold back: each placement's stock
/// and supply, and the demand it added, in order. While they are held,
/// the primed copies (above) are the products' only current state.
#[derive(Debug, Default)]
pub struct HeldBack {
    /// The request running may hold its writes back (a placement in a
    /// group of several); otherwise it writes at once.
    pub allowed: bool,
    pub inventories: Vec<HeldInventory>,
    pub demand: Vec<HeldDemand>,
    /// The request running may hold its reservation's insert back too (a
    /// group without savepoints: an insert that fails there undoes the group).
    pub inserts: bool,
    pub reservations: Vec<HeldReservation>,
    /// Places in the queue reserved for this group's held inserts, unused yet.
    pub seqs: std::collections::VecDeque<u64>,
    /// How many to reserve when none are left: the requests of the group
    /// still to run.
    pub seqs_wanted: u32,
}

#[derive(Debug)]
pub struct HeldInventory {
    pub sku: Sku,
    pub stock: u32,
    pub orders: Vec<crate::server::domain::PurchaseOrderLine>,
}

#[derive(Debug)]
pub struct HeldDemand {
    pub sku: Sku,
    pub day: crate::logic::Date,
    pub units: u32,
    pub backordered: u32,
}

/// The held-back writes as written: merged per product and per day.
pub struct HeldWrites<'a> {
    pub reservations: &'a [HeldReservation],
    /// Each product's last stock and supply, and how many placements'
    /// writes it stands for (its `version` counts each).
    pub inventories: Vec<(&'a HeldInventory, u32)>,
    /// Each product's day of demand, summed.
    pub demand: Vec<HeldDemand>,
}
