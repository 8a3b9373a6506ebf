//! The shopper's reservation, remembered per SKU in `localStorage` (through
//! gloo's raw handle, so no JSON library is bundled). Storage may be off
//! (private mode, blocked cookies): then nothing is remembered, nothing fails.

use super::mine::Remembered;
use gloo::storage::{LocalStorage, Storage};

fn key(api: &str, sku: &str) -> String {
    let mut key = String::from("stock-status:");
    key.push_str(api);
    key.push('|');
    key.push_str(sku);
    key
}

fn storage() -> Option<web_sys::Storage> {
    // `raw()` panics when storage is unavailable; check first.
    web_sys::window()?.local_storage().ok().flatten()?;
    Some(LocalStorage::raw())
}

pub fn remember(api: &str, sku: &str, reservation: &Remembered) {
    if let Some(storage) = storage() {
        let mut value = super::i18n::number(reservation.quantity);
        value.push(' ');
        value.push_str(&reservation.id);
        if let Some(told) = reservation.told {
            value.push(' ');
            value.push_str(&told.to_iso());
        }
        let _ = storage.set_item(&key(api, sku), &value);
    }
}

pub fn recall(api: &str, sku: &str) -> Option<Remembered> {
    let value = storage()?.get_item(&key(api, sku)).ok()??;
    // `quantity id [told]` (visits before ship windows wrote no date).
    let mut parts = value.split(' ');
    let quantity = parts.next()?.parse().ok()?;
    let id = parts.next()?.to_owned();
    Some(Remembered {
        id,
        quantity,
        told: parts.next().and_then(crate::logic::Date::parse_iso),
    })
}

pub fn forget(api: &str, sku: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(api, sku));
    }
}
