//! The JSON contract between the widget and the server (`/api/v1`).
//!
//! Plain data shared by both sides, so a field renamed here is renamed for both.
//! OpenAPI schemas are derived on the server build only.

use crate::logic::{BackorderOutlook, Date, Inventory, InventoryError, Status};
use serde::{Deserialize, Serialize};

/// The largest quantity one request may ask for.
pub const MAX_REQUEST_QUANTITY: u32 = 1_000_000;

/// Longest e-mail address (RFC 5321 path limit), in characters.
pub const MAX_EMAIL_LENGTH: usize = 254;

/// Longest local part (before the `@`) of an e-mail address, in characters.
pub const MAX_EMAIL_LOCAL_LENGTH: usize = 64;

/// A plausible e-mail address: `local@domain.tld`, no spaces, control
/// characters or list punctuation. Deliverability is the mail system's job.
/// The server enforces it; the widget checks it before sending.
pub fn is_plausible_email(email: &str) -> bool {
    // Lengths in characters, as the OpenAPI document's `maxLength` counts them.
    if email.is_empty() || email.chars().count() > MAX_EMAIL_LENGTH {
        return false;
    }
    let bad_char =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';');
    if email.chars().any(bad_char) {
        return false;
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let labels_ok = domain
        .split('.')
        .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    !local.is_empty()
        && local.chars().count() <= MAX_EMAIL_LOCAL_LENGTH
        && !local.contains('@')
        && domain.contains('.')
        && labels_ok
}

/// 32 lowercase hex digits: the time in milliseconds (its low 48 bits: until
/// the year 10889), then 80 random bits. The widget's `Idempotency-Key`s and
/// the server's reservation ids have this shape: as hard to guess as 80
/// random bits, and in the order of time, so the keys of a busy minute are
/// inserted at the end of their index (a few pages written per commit)
/// where random ones would each land on a page of its own.
pub fn time_ordered_hex(now_ms: u64, random: &[u8; 10]) -> String {
    let mut text = String::with_capacity(32);
    push_hex(&mut text, &(now_ms & 0xffff_ffff_ffff).to_be_bytes()[2..]);
    push_hex(&mut text, random);
    text
}

/// Appends `bytes` as lowercase hex (no formatting machinery per byte).
pub fn push_hex(text: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// `GET /api/v1/products/{sku}/availability?quantity=Q`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct Availability {
    pub sku: String,
    pub name: String,
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = String, example = "backorder"))]
    pub status: Status,
    /// Units that ship now.
    pub available: u32,
    pub low_stock: bool,
    /// The most one request may take; `null` = unlimited.
    pub max_quantity: Option<u32>,
    pub quantity: u32,
    pub from_stock: u32,
    pub backordered: u32,
    pub fulfillable: bool,
    /// `YYYY-MM-DD`, when the backordered part likely ships (from the
    /// purchase orders and the supplier's record); only when part of the
    /// request is backordered and it is fulfillable.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<String>, format = Date))]
    pub ship_date: Option<Date>,
    pub ships_in_days: Option<u32>,
    /// When it ships at the latest (the supplier's 90th percentile);
    /// `null` where `ship_date` is.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<String>, format = Date))]
    pub ship_date_latest: Option<Date>,
    #[serde(default)]
    pub ships_in_days_latest: Option<u32>,
    /// RFC 3339 time the answer was computed.
    pub as_of: String,
    /// The schema.org `Offer.availability` for this answer, for a shop's
    /// structured data: `https://schema.org/InStock`, `…/LimitedAvailability`
    /// (low stock), `…/BackOrder` or `…/OutOfStock`.
    #[serde(default)]
    #[cfg_attr(
        not(target_arch = "wasm32"),
        schema(example = "https://schema.org/BackOrder")
    )]
    pub schema_org_availability: String,
    /// When new backorders would arrive (after everyone already waiting), so
    /// the widget can preview other quantities with the shared logic; `null`
    /// when nothing can be backordered.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<Object>, example = json!({"arrivals": [{"units": 4, "date": "2026-12-04"}], "later": "2026-12-12", "arrivals_latest": [{"units": 4, "date": "2026-12-07"}], "later_latest": "2026-12-16"})))]
    pub backorder_outlook: Option<BackorderOutlook>,
}

impl Availability {
    /// The answer for `quantity` units of a product on `today`.
    pub fn new(
        sku: String,
        name: String,
        inventory: &Inventory,
        quantity: u32,
        today: Date,
        as_of: String,
    ) -> Result<Availability, InventoryError> {
        let quote = inventory.quote(quantity, today)?;
        let backorder_outlook =
            (inventory.backorder_capacity() != Some(0)).then(|| inventory.backorder_outlook(today));
        Ok(Availability {
            sku,
            name,
            status: quote.status,
            available: quote.available,
            low_stock: quote.low_stock,
            max_quantity: quote.max_quantity,
            quantity: quote.quantity,
            from_stock: quote.from_stock,
            backordered: quote.backordered,
            fulfillable: quote.fulfillable,
            ship_date: quote.ship_date,
            ships_in_days: quote.ships_in_days,
            ship_date_latest: quote.ship_date_latest,
            ships_in_days_latest: quote.ships_in_days_latest,
            as_of,
            schema_org_availability: String::from(schema_org_availability(
                quote.status,
                quote.low_stock,
            )),
            backorder_outlook,
        })
    }

    /// Both answers show a shopper the same: they differ at most in `as_of`.
    /// The stream sends a SKU again only when this is false; the widget
    /// ignores a stream event for which it is true.
    pub fn shows_the_same_as(&self, other: &Availability) -> bool {
        *self
            == Availability {
                as_of: self.as_of.clone(),
                ..other.clone()
            }
    }

    /// The date the answer was computed for (the server's `today`, UTC).
    pub fn today(&self) -> Option<Date> {
        self.as_of.get(..10).and_then(Date::parse_iso)
    }

    /// The inventory the browser can rebuild from this answer, to preview
    /// other quantities exactly as the server would quote them.
    pub fn preview_inventory(&self) -> Option<(Inventory, Date)> {
        let today = self.today()?;
        let capacity = self
            .max_quantity
            .map(|max| max.saturating_sub(self.available));
        let outlook = match &self.backorder_outlook {
            Some(outlook) => outlook.clone(),
            // Nothing can be backordered: stock alone decides.
            None if capacity == Some(0) => BackorderOutlook {
                arrivals: Vec::new(),
                later: today,
                arrivals_latest: None,
                later_latest: None,
            },
            // Backorders are possible but their supply is unknown: no honest preview.
            None => return None,
        };
        Some((
            Inventory::from_outlook(self.available, capacity, &outlook),
            today,
        ))
    }
}

/// The schema.org availability of a product in `status`. Backorders are
/// `BackOrder`, never `InStock`: a shop that prints InStock for them tells
/// search engines the item ships now.
pub fn schema_org_availability(status: Status, low_stock: bool) -> &'static str {
    match status {
        Status::InStock if low_stock => "https://schema.org/LimitedAvailability",
        Status::InStock => "https://schema.org/InStock",
        Status::Backorder => "https://schema.org/BackOrder",
        Status::OutOfStock => "https://schema.org/OutOfStock",
    }
}

/// Every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unknown_product`, `invalid_request`, ...
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `quantity_unavailable`: the most that can be had now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_quantity: Option<u32>,
}

/// `GET /api/v1/availability?skus=A,B,C&quantity=Q`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct AvailabilityList {
    pub items: Vec<Availability>,
    /// Requested SKUs that no product has.
    #[serde(default)]
    pub missing: Vec<String>,
}

/// Whole numbers in request bodies. JSON does not tell `5` from `5.0`, and
/// JSON Schema's `integer` takes both, so the API takes both; a fraction,
/// a negative number or one too large for the field is an error.
pub mod whole_number {
    use serde::de::{Deserializer, Error, Visitor};
    use std::fmt;

    struct Whole;

    impl Visitor<'_> for Whole {
        type Value = u64;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a whole number")
        }

        fn visit_u64<E: Error>(self, value: u64) -> Result<u64, E> {
            Ok(value)
        }

        fn visit_i64<E: Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value).map_err(|_| E::custom("a whole number, not negative"))
        }

        fn visit_f64<E: Error>(self, value: f64) -> Result<u64, E> {
            if value.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&value) {
                Ok(value as u64)
            } else {
                Err(E::custom("a whole number"))
            }
        }
    }

    fn whole<'de, D: Deserializer<'de>, T: TryFrom<u64>>(deserializer: D) -> Result<T, D::Error> {
        let value = deserializer.deserialize_any(Whole)?;
        T::try_from(value).map_err(|_| D::Error::custom("a whole number in range"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<u64>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        whole(deserializer)
    }

    /// For `Option` fields: `null` (or absent, with `#[serde(default)]`) is `None`.
    pub mod option {
        use serde::{Deserialize, Deserializer};

        pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<u64>>(
            deserializer: D,
        ) -> Result<Option<T>, D::Error> {
            #[derive(Deserialize)]
            struct Wrapped(#[serde(deserialize_with = "super::whole")] u64);
            match Option::<Wrapped>::deserialize(deserializer)? {
                None => Ok(None),
                Some(Wrapped(value)) => T::try_from(value)
                    .map(Some)
                    .map_err(|_| serde::de::Error::custom("a whole number in range")),
            }
        }
    }
}

/// `POST /api/v1/products/{sku}/reservations` body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReservationRequest {
    /// 1 to 1,000,000.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = u32, minimum = 1, maximum = 1000000))]
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub quantity: u64,
    pub email: String,
    /// The shopper's language for the e-mails the server sends (`en`, the
    /// default, `de`, `fr` or `es`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), schema(pattern = "^(en|de|fr|es)$"))]
    pub lang: Option<String>,
}

/// `POST /api/v1/products/{sku}/subscriptions` body: "email me when it's back".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    pub email: String,
    /// The shopper's language (`en`, `de`, `fr`, `es`, …: 2 to 8 letters and
    /// `-`), passed to the mailer in the events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        not(target_arch = "wasm32"),
        schema(pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?$")
    )]
    pub lang: Option<String>,
}

/// A subscription as the shopper sees it. Its token (which unsubscribes) is
/// never shown here: it reaches the shopper in the merchant's e-mail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct SubscriptionConfirmation {
    pub sku: String,
    /// Masked, like a reservation's.
    pub email: String,
    /// `false` while the address waits for its confirmation (the server
    /// mails shoppers itself: double opt-in, a mail with the link); only
    /// confirmed subscribers are told. `true` when the server does not mail
    /// (and when a backend leaves it out).
    #[serde(default = "confirmed_unless_said")]
    pub confirmed: bool,
    pub created_at: String,
}

fn confirmed_unless_said() -> bool {
    true
}

/// The lifecycle of a reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Placed; some units may still be waiting for supply.
    Reserved,
    /// Every unit is on hand for the shopper.
    Ready,
    Cancelled,
}

/// A reservation as the shopper sees it: the 201 of a placement, and `GET /reservations/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(utoipa::ToSchema))]
pub struct Reservation {
    /// Unguessable reference; whoever has it can see and cancel the reservation.
    pub id: String,
    pub sku: String,
    pub quantity: u32,
    /// Units taken from stock when it was placed.
    pub from_stock: u32,
    /// Units that went on backorder when it was placed.
    pub backordered: u32,
    /// Backordered units filled by receipts (or cancellations) since.
    pub filled: u32,
    /// Backordered units still waiting.
    pub outstanding: u32,
    pub status: ReservationStatus,
    /// When the last waiting unit likely ships; `null` when nothing waits.
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<String>, format = Date))]
    pub ship_date: Option<Date>,
    pub ships_in_days: Option<u32>,
    /// When it ships at the latest; `null` where `ship_date` is.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schema(value_type = Option<String>, format = Date))]
    pub ship_date_latest: Option<Date>,
    #[serde(default)]
    pub ships_in_days_latest: Option<u32>,
    /// Masked, e.g. `j***@example.com`.
    pub email: String,
    /// RFC 3339.
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ordered_hex_is_the_time_then_the_random_bits_and_sorts_by_time() {
        let random = [0xab; 10];
        let key = time_ordered_hex(0x0123_4567_89ab, &random);
        assert_eq!(key, "0123456789ababababababababababab");
        // Later keys sort after earlier ones whatever their random bits.
        assert!(
            time_ordered_hex(1_796_000_000_000, &[0xff; 10])
                < time_ordered_hex(1_796_000_000_001, &[0; 10])
        );
        // Only the low 48 bits of the time: always 32 digits.
        assert_eq!(time_ordered_hex(u64::MAX, &[0; 10]).len(), 32);
        assert!(time_ordered_hex(u64::MAX, &[0; 10]).starts_with("ffffffffffff0000"));
    }
}
