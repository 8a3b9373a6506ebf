//! What the widget knows and says, apart from the DOM: plain data and pure
//! functions, so the rules for wording and validation are easy to follow.

use super::http::FetchError;
use super::i18n::{Lang, Strings, count, fill, number};
use super::storage::Remembered;
use crate::api::{Availability, Reservation};
use crate::logic::{Quote, Status};

#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Loading,
    Ready(Availability),
    Failed(FetchError),
}

impl Load {
    /// The host's `data-state`, for the merchant's CSS.
    pub fn data_state(&self) -> &'static str {
        match self {
            Load::Loading => "loading",
            Load::Ready(availability) => match availability.status {
                Status::InStock => "in_stock",
                Status::Backorder => "backorder",
                Status::OutOfStock => "out_of_stock",
            },
            Load::Failed(_) => "error",
        }
    }
}

/// The shopper's own reservation of this product, if any.
#[derive(Clone, Debug, PartialEq)]
pub enum Mine {
    Nothing,
    /// Remembered from an earlier visit; its current state is being fetched.
    Checking(Remembered),
    /// Placed just now: show the confirmation.
    Placed(Reservation),
    /// Placed earlier and still open.
    Open(Reservation),
    Cancelled,
}

/// The open reservation form.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub quantity: String,
    pub email: String,
    pub quantity_error: Option<String>,
    pub email_error: Option<String>,
    pub notice: Option<String>,
    pub submitting: bool,
    /// One key per attempt: retries of the same attempt reuse it.
    pub idempotency_key: String,
}

/// The status line for a quote (the server's, or the browser's preview).
pub fn status_line(lang: Lang, strings: &Strings, quote: &Quote) -> String {
    let ships = |days: Option<u32>| match days {
        Some(0) => String::from(strings.ships_today),
        Some(days) => count(lang, &strings.ships_in, days),
        None => String::new(),
    };
    let joined = |first: String, second: String| {
        if second.is_empty() {
            first
        } else {
            first + " — " + &second
        }
    };
    if !quote.fulfillable {
        return match quote.max_quantity {
            Some(0) | None => String::from(strings.out_of_stock),
            Some(max) => count(lang, &strings.at_most, max),
        };
    }
    if quote.backordered == 0 {
        let low = if quote.low_stock {
            count(lang, &strings.only_left, quote.available)
        } else {
            String::new()
        };
        return joined(String::from(strings.in_stock), low);
    }
    if quote.from_stock > 0 {
        let split = fill(
            &fill(strings.split, "n", &number(quote.from_stock)),
            "m",
            &number(quote.backordered),
        );
        return joined(split, ships(quote.ships_in_days));
    }
    joined(String::from(strings.backorder), ships(quote.ships_in_days))
}

pub fn quote_of(availability: &Availability) -> Quote {
    Quote {
        status: availability.status,
        available: availability.available,
        low_stock: availability.low_stock,
        max_quantity: availability.max_quantity,
        quantity: availability.quantity,
        from_stock: availability.from_stock,
        backordered: availability.backordered,
        fulfillable: availability.fulfillable,
        ship_date: availability.ship_date,
        ships_in_days: availability.ships_in_days,
    }
}

pub fn error_text(strings: &Strings, error: &FetchError) -> &'static str {
    match error {
        FetchError::Unreachable => strings.unreachable,
        FetchError::Timeout => strings.timeout,
        FetchError::Malformed => strings.malformed,
        FetchError::Status { code, .. } if code == "unknown_product" => strings.unknown_product,
        FetchError::Status { status, .. } if *status >= 500 => strings.server_error,
        FetchError::Status { .. } => strings.malformed,
    }
}

/// Shoppers may reserve when part of the request (or a capped request) would be backordered.
pub fn can_reserve(availability: &Availability) -> bool {
    let room_beyond_stock = availability
        .max_quantity
        .is_none_or(|max| max > availability.available);
    room_beyond_stock && (availability.backordered > 0 || !availability.fulfillable)
}
