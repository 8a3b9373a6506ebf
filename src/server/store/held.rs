//! What a group commit's placements hold back, to write once for many
//! (`ops::held_back`).

use super::HeldReservation;
use crate::server::domain::Sku;

/// Writes a group commit's placements hold back: each placement's stock
/// and supply, and the demand it added, in order. While they are held,
/// the primed copies (above) are the products' only current state.
#[derive(Debug, Default)]
pub struct HeldBack {
    /// Whether the request running may hold its writes back.
    pub may_hold: MayHold,
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

impl HeldBack {
    /// The request running holds its writes back: decided at its first
    /// write, and kept for the others.
    pub fn allowed(&mut self) -> bool {
        if let MayHold::IfCompany(waiting) = &self.may_hold {
            let waiting = waiting();
            self.may_hold = if waiting > 0 {
                self.seqs_wanted += waiting;
                MayHold::Yes
            } else {
                MayHold::No
            };
        }
        matches!(self.may_hold, MayHold::Yes)
    }
}

/// Whether a request holds its writes back (`HeldBack::allowed`).
#[derive(Clone, Default)]
pub enum MayHold {
    /// It writes at once: not a placement.
    #[default]
    No,
    /// A placement in a group of several.
    Yes,
    /// A placement that began its group alone: it holds back only if, by
    /// its first write, requests wait to join the group (how many, this
    /// says). Alone it writes as a write alone would.
    IfCompany(std::sync::Arc<dyn Fn() -> u32 + Send + Sync>),
}

impl std::fmt::Debug for MayHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MayHold::No => "No",
            MayHold::Yes => "Yes",
            MayHold::IfCompany(_) => "IfCompany",
        })
    }
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
