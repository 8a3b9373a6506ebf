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

/// Compares a product before and after one change. A product that did not
/// exist before signals nothing: it is new, not back.
pub fn signals(before: Option<&Inventory>, after: &Inventory) -> Signals {
    let Some(before) = before else {
        return Signals::default();
    };
    Signals {
        back_in_stock: before.available() == 0 && after.available() > 0,
        low_stock: !before.is_low_stock() && after.is_low_stock(),
    }
}
