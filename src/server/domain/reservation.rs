//! A reservation: the request that places one, its row, and what the
//! operations on it return.

use super::{Email, IdempotencyKey, Lang, Quantity, ReservationId, Sku, ValidationError};
use crate::api::{Reservation, ReservationStatus};
use crate::logic::Estimate;

/// A placement request, already parsed.
#[derive(Clone, Debug)]
pub struct NewReservation {
    pub sku: Sku,
    pub quantity: Quantity,
    pub email: Email,
    pub idempotency_key: Option<IdempotencyKey>,
    /// The language of the shopper's e-mails (`None`: English).
    pub lang: Option<Lang>,
}

/// The languages the server writes e-mails in.
pub const MAIL_LANGS: [&str; 4] = ["en", "de", "fr", "es"];

/// A reservation's language: one of [`MAIL_LANGS`].
pub fn mail_lang(text: &str) -> Result<Lang, ValidationError> {
    if MAIL_LANGS.contains(&text) {
        Lang::parse(text)
    } else {
        Err(ValidationError::new(
            "lang",
            "A language is en, de, fr or es.",
        ))
    }
}

impl NewReservation {
    /// What makes two requests "the same" for an idempotency key. Stored
    /// with each keyed reservation and compared as text, so its bytes never
    /// change: the fields in this order (a JSON object's sorted keys, as a
    /// `json!` map wrote them before), from a plain struct (no map to build).
    pub fn fingerprint(&self) -> String {
        #[derive(serde::Serialize)]
        struct Fingerprint<'a> {
            email: &'a str,
            quantity: u32,
            sku: &'a str,
        }
        let fingerprint = Fingerprint {
            email: self.email.as_str(),
            quantity: self.quantity.get(),
            sku: self.sku.as_str(),
        };
        // Strings and a number: serializing cannot fail.
        serde_json::to_string(&fingerprint).unwrap_or_default()
    }
}

/// One row of the reservations table.
#[derive(Clone, Debug, PartialEq)]
pub struct ReservationRecord {
    /// Queue order; the logic module's `ReservationKey`.
    pub seq: u64,
    pub id: ReservationId,
    pub sku: Sku,
    pub quantity: u32,
    pub from_stock: u32,
    pub filled: u32,
    pub email: Email,
    pub cancelled: bool,
    pub created_at: String,
    /// The language of the shopper's e-mails (`None`: English).
    pub lang: Option<Lang>,
}

impl ReservationRecord {
    /// Units it holds: taken from stock, or filled since.
    pub fn held(&self) -> u32 {
        self.from_stock + self.filled
    }

    /// Backordered units still waiting for supply.
    pub fn outstanding(&self) -> u32 {
        if self.cancelled {
            0
        } else {
            self.quantity - self.held()
        }
    }

    pub fn status(&self) -> ReservationStatus {
        if self.cancelled {
            ReservationStatus::Cancelled
        } else if self.outstanding() == 0 {
            ReservationStatus::Ready
        } else {
            ReservationStatus::Reserved
        }
    }
}

/// A reservation with its current ship estimate (none when nothing waits).
#[derive(Clone, Debug, PartialEq)]
pub struct ReservationState {
    pub record: ReservationRecord,
    pub estimate: Option<Estimate>,
}

impl ReservationState {
    pub fn to_api(&self) -> Reservation {
        let record = &self.record;
        Reservation {
            id: record.id.to_string(),
            sku: record.sku.to_string(),
            quantity: record.quantity,
            from_stock: record.from_stock,
            backordered: record.quantity - record.from_stock,
            filled: record.filled,
            outstanding: record.outstanding(),
            status: record.status(),
            ship_date: self.estimate.map(|estimate| estimate.ship_date),
            ships_in_days: self.estimate.map(|estimate| estimate.ships_in_days),
            ship_date_latest: self.estimate.map(|estimate| estimate.ship_date_latest),
            ships_in_days_latest: self.estimate.map(|estimate| estimate.ships_in_days_latest),
            email: record.email.masked(),
            created_at: record.created_at.clone(),
        }
    }
}

/// A queued reservation as the merchant sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueuedReservation {
    pub record: ReservationRecord,
    pub estimate: Estimate,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptRequest {
    pub units: u32,
    /// The purchase order the units go to first; `None`: the earliest.
    pub purchase_order: Option<super::PurchaseOrderId>,
    pub received_on: crate::logic::Date,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptOutcome {
    /// Each reservation the receipt filled, after the fill, with how many units it got.
    pub filled: Vec<(ReservationRecord, u32)>,
    pub to_stock: u32,
    pub stock: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CancelOutcome {
    pub state: ReservationState,
    /// It had been cancelled before this request.
    pub already_cancelled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_keeps_the_bytes_stored_before() {
        let request = NewReservation {
            sku: Sku::parse("LAMP-1").unwrap(),
            quantity: Quantity::new(3).unwrap(),
            email: Email::parse("Ann@Example.com").unwrap(),
            idempotency_key: None,
            lang: None,
        };
        // What `json!({"sku", "quantity", "email"}).to_string()` wrote, and
        // rows with keys hold: sorted keys, no spaces.
        assert_eq!(
            request.fingerprint(),
            r#"{"email":"Ann@Example.com","quantity":3,"sku":"LAMP-1"}"#
        );
        let as_before = serde_json::json!({
            "sku": "LAMP-1",
            "quantity": 3,
            "email": "Ann@Example.com",
        });
        assert_eq!(request.fingerprint(), as_before.to_string());
    }
}
