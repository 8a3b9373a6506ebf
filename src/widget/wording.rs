//! The status line: what the widget says about a quote, the server's or the
//! browser's preview. Plain Rust, compiled for every target.

use super::i18n::{Locale, count, count_range, fill, number};
use crate::api::Availability;
use crate::logic::Quote;

/// The status line for a quote (the server's, or the browser's preview).
pub fn status_line(locale: impl Locale, quote: &Quote) -> String {
    let strings = locale.strings();
    let ships = || ships_in(locale, quote.ships_in_days, quote.ships_in_days_latest);
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
            Some(max) => count(locale, &strings.at_most, max),
        };
    }
    if quote.backordered == 0 {
        let low = if quote.low_stock {
            count(locale, &strings.only_left, quote.available)
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
        return joined(split, ships());
    }
    joined(String::from(strings.backorder), ships())
}

/// "ships in 14–18 days", "ships in 6 days", "ships today": the window in
/// days from its likely to its latest day (one number when they agree).
pub fn ships_in(locale: impl Locale, likely: Option<u32>, latest: Option<u32>) -> String {
    let strings = locale.strings();
    match (likely, latest) {
        (None, _) => String::new(),
        (Some(likely), Some(latest)) if latest > likely => {
            count_range(locale, &strings.ships_in, likely, latest)
        }
        (Some(0), _) => String::from(strings.ships_today),
        (Some(days), _) => count(locale, &strings.ships_in, days),
    }
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
        ship_date_latest: availability.ship_date_latest,
        ships_in_days_latest: availability.ships_in_days_latest,
    }
}
