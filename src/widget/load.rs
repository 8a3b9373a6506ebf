//! The availability answer a widget shows, or why there is none: `Load`,
//! the failures (`FetchError`) with their words and retry delays, and which
//! button sits beside the status. Plain Rust, compiled for every target.

use super::i18n::{Locale, Strings};
use super::mine::Mine;
use super::wording::{quote_of, status_line};
use crate::api::Availability;
use crate::logic::Status;

/// Waits before automatic retries of a transient failure; then the shopper decides.
pub const RETRY_DELAYS_MS: [u32; 4] = [1_000, 2_000, 4_000, 8_000];

/// Why a request failed, in terms the widget can explain.
#[derive(Clone, Debug, PartialEq)]
pub enum FetchError {
    /// Network failure: the API is unreachable (or CORS refused us).
    Unreachable,
    /// No answer in time.
    Timeout,
    /// The API answered with an error status and, maybe, an error body.
    Status {
        status: u16,
        code: String,
        max_quantity: Option<u32>,
        field: Option<String>,
    },
    /// The body was not the JSON we expected.
    Malformed,
}

impl FetchError {
    /// Worth retrying by itself: the network or the server may recover.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Unreachable | FetchError::Timeout => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 408,
            FetchError::Malformed => false,
        }
    }

    /// The code a host page sees in `stock-status:error`.
    pub fn code(&self) -> &str {
        match self {
            FetchError::Unreachable => "unreachable",
            FetchError::Timeout => "timeout",
            FetchError::Status { code, .. } => code,
            FetchError::Malformed => "malformed_response",
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The availability answer, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Load {
    Loading,
    Ready(Availability),
    Failed(FetchError),
}

impl Load {
    /// The status of the last answer, if there is one.
    pub fn status(&self) -> Option<Status> {
        match self {
            Load::Ready(availability) => Some(availability.status),
            _ => None,
        }
    }

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

    /// The words of the status line.
    pub fn status_text(&self, locale: impl Locale) -> String {
        let strings = locale.strings();
        match self {
            Load::Loading => String::from(strings.loading),
            Load::Ready(availability) => status_line(locale, &quote_of(availability)),
            Load::Failed(error) => String::from(error_text(strings, error)),
        }
    }

    /// The most one reservation may take, when the answer says so.
    pub fn max_quantity(&self) -> Option<u32> {
        match self {
            Load::Ready(availability) => availability.max_quantity,
            _ => None,
        }
    }

    /// The button beside the status.
    pub fn action(&self, form_open: bool, mine: &Mine) -> Action {
        match self {
            Load::Failed(_) => Action::Retry,
            Load::Ready(availability)
                if can_reserve(availability) && !form_open && !mine.is_open() =>
            {
                Action::Reserve
            }
            _ => Action::None,
        }
    }

    /// The status line for `quantity` units, computed in the browser with the
    /// shared logic from the last answer; `None` when it cannot be honest.
    pub fn preview(&self, quantity: &str, locale: impl Locale) -> Option<String> {
        let Load::Ready(availability) = self else {
            return None;
        };
        let quantity = quantity.trim().parse::<u32>().ok()?;
        let (inventory, today) = availability.preview_inventory()?;
        let quote = inventory.quote(quantity, today).ok()?;
        Some(status_line(locale, &quote))
    }

    /// A refresh that failed for a moment keeps the last answer on screen
    /// (and the automatic retries go on); anything else shows the failure.
    pub fn keeps_through(&self, error: &FetchError) -> bool {
        error.is_transient() && matches!(self, Load::Ready(_))
    }

    /// A live update says nothing a shopper would see differently.
    pub fn already_shows(&self, availability: &Availability) -> bool {
        match self {
            Load::Ready(shown) => shown.shows_the_same_as(availability),
            _ => false,
        }
    }
}

/// How long to wait before asking again after failure number `attempt + 1`,
/// when the failure may pass by itself; then the shopper decides.
pub fn retry_delay(error: &FetchError, attempt: usize) -> Option<u32> {
    if error.is_transient() {
        RETRY_DELAYS_MS.get(attempt).copied()
    } else {
        None
    }
}

/// Which button sits beside the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Retry,
    Reserve,
    Notify,
}

pub fn error_text(strings: &Strings, error: &FetchError) -> &'static str {
    match error {
        FetchError::Unreachable => strings.unreachable,
        FetchError::Timeout => strings.timeout,
        FetchError::Malformed => strings.malformed,
        FetchError::Status { code, .. } if code == "unknown_product" => strings.unknown_product,
        FetchError::Status { status: 408, .. } => strings.timeout,
        FetchError::Status { status: 429, .. } => strings.too_many_attempts,
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
