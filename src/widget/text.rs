//! What the shopper reads. English for now.

use super::http::FetchError;
use crate::api::Availability;
use crate::logic::Status;

/// The one-line status for an availability answer.
pub fn status_line(availability: &Availability) -> String {
    match availability.status {
        Status::InStock if availability.low_stock => {
            String::from("In stock — only ") + &availability.available.to_string() + " left"
        }
        Status::InStock => String::from("In stock"),
        Status::Backorder => match availability.ships_in_days {
            Some(days) => String::from("Backorder — ") + &ships_in(days),
            None => String::from("Backorder"),
        },
        Status::OutOfStock => String::from("Out of stock"),
    }
}

pub fn ships_in(days: u32) -> String {
    match days {
        0 => String::from("ships today"),
        1 => String::from("ships in 1 day"),
        days => String::from("ships in ") + &days.to_string() + " days",
    }
}

pub fn error_line(error: &FetchError) -> &'static str {
    match error {
        FetchError::Status {
            code: Some(code), ..
        } if code == "unknown_product" => "This product is not available here.",
        FetchError::Unreachable => "Availability could not be loaded. Check your connection.",
        FetchError::Status { .. } | FetchError::Malformed => {
            "Availability is unavailable right now."
        }
    }
}

pub const LOADING: &str = "Checking availability…";
