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
        let _ = storage.set_item(&key(api, sku), &value);
    }
}

pub fn recall(api: &str, sku: &str) -> Option<Remembered> {
    let value = storage()?.get_item(&key(api, sku)).ok()??;
    let (quantity, id) = value.split_once(' ')?;
    Some(Remembered {
        id: id.to_owned(),
        quantity: quantity.parse().ok()?,
    })
}

pub fn forget(api: &str, sku: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(api, sku));
    }
}
