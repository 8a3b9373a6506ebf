//! What a change to a product tells the people who follow it: the merchant's
//! systems (webhooks) and the shoppers waiting for it to come back.

use super::Inventory;

/// The transitions one committed change made. Each is an edge, not a level:
/// a product that stays low on stock is reported once, when it became low.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// Units ship now, and none did before.
    pub back_in_stock: bool,
    /// Available went to `1..=low_stock_threshold` from outside it.
    pub low_stock: bool,
}

/// What the signals compare of a product, kept from before a change: a
/// few numbers, not the inventory (its queue can be thousands long).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// Units on hand.
    pub stock: u32,
    pub available: u32,
    pub low_stock: bool,
}

impl Inventory {
    pub fn standing(&self) -> Standing {
        Standing {
            stock: self.stock,
            available: self.available(),
            low_stock: self.is_low_stock(),
        }
    }
}

/// Compares a product before and after one change. A product that did not
/// exist before signals nothing: it is new, not back.
pub fn signals(before: Option<Standing>, after: &Inventory) -> Signals {
    let Some(before) = before else {
        return Signals::default();
    };
    Signals {
        back_in_stock: before.available == 0 && after.available() > 0,
        low_stock: !before.low_stock && after.is_low_stock(),
    }
}
