//! The events the server reports to merchants' endpoints, and their bodies.
//!
//! A body is `{"type": …, "timestamp": …, "data": {…}}` (Standard Webhooks).
//! It is written once, into the outbox, in the transaction of the change it
//! reports; every retry sends the same bytes under the same `webhook-id`.

pub use crate::server::domain::EventType;
use crate::server::domain::{ReservationRecord, Subscription};
use serde::Serialize;

/// `data` of the `reservation.*` events. The address is whole: the
/// receiver is the merchant's own system, which writes to the shopper.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReservationData<'a> {
    pub id: &'a str,
    pub sku: &'a str,
    pub quantity: u32,
    pub from_stock: u32,
    pub backordered: u32,
    /// Backordered units filled since.
    pub filled: u32,
    /// Backordered units still waiting for supply.
    pub outstanding: u32,
    pub status: crate::api::ReservationStatus,
    pub email: &'a str,
    pub created_at: &'a str,
}

impl<'a> ReservationData<'a> {
    pub fn of(record: &'a ReservationRecord) -> ReservationData<'a> {
        ReservationData {
            id: record.id.as_str(),
            sku: record.sku.as_str(),
            quantity: record.quantity,
            from_stock: record.from_stock,
            backordered: record.quantity - record.from_stock,
            filled: record.filled,
            outstanding: record.outstanding(),
            status: record.status(),
            email: record.email.as_str(),
            created_at: &record.created_at,
        }
    }
}

/// `data` of `reservation.delayed`: the reservation, the date the shopper
/// was told and the new window, why it moved, and the link that cancels it
/// in one click (for the notice the merchant's mailer writes).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DelayedData<'a> {
    #[serde(flatten)]
    pub reservation: ReservationData<'a>,
    pub previous_ship_date: crate::logic::Date,
    pub ship_date: crate::logic::Date,
    pub ship_date_latest: crate::logic::Date,
    pub reason: crate::server::domain::DelayReason,
    /// `{public URL}/reservations/{id}/cancel?token=…`.
    pub cancel_url: Option<String>,
}

/// `data` of the `product.*` events.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProductData<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    /// Units that ship now.
    pub available: u32,
    pub stock: u32,
    pub low_stock_threshold: u32,
}

/// `data` of the `subscription.*` events: enough for the mailer to write,
/// and the token for its unsubscribe link (`DELETE /api/v1/subscriptions/{token}`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubscriptionData<'a> {
    pub token: &'a str,
    pub sku: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    /// The widget's language when they subscribed (`en`, `de`, …), if it said.
    pub lang: Option<&'a str>,
    /// `false` until the shopper confirms the address (when the server
    /// mails shoppers itself); always `true` otherwise.
    pub confirmed: bool,
    pub created_at: &'a str,
    /// `subscription.notify` only: units that ship now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<u32>,
}

impl<'a> SubscriptionData<'a> {
    /// A subscription's `data`; `available` for `subscription.notify`.
    pub fn of(
        subscription: &'a Subscription,
        name: &'a str,
        available: Option<u32>,
    ) -> SubscriptionData<'a> {
        SubscriptionData {
            token: subscription.token.as_str(),
            sku: subscription.sku.as_str(),
            name,
            email: subscription.email.as_str(),
            lang: subscription.lang.as_ref().map(|lang| lang.as_str()),
            confirmed: subscription.confirmed,
            created_at: &subscription.created_at,
            available,
        }
    }
}

/// The body of one event, as sent.
pub fn body(kind: EventType, timestamp: &str, data: &impl Serialize) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Body<'a, D> {
        #[serde(rename = "type")]
        kind: &'static str,
        timestamp: &'a str,
        data: &'a D,
    }
    serde_json::to_string(&Body {
        kind: kind.name(),
        timestamp,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in EventType::ALL {
            assert_eq!(EventType::from_name(kind.name()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.name().to_owned())
            );
        }
        assert_eq!(EventType::from_name("reservation.updated"), None);
    }

    #[test]
    fn a_body_has_type_timestamp_and_data() {
        let text = body(
            EventType::ProductLowStock,
            "2026-11-29T10:00:00Z",
            &serde_json::json!({"sku": "A"}),
        )
        .unwrap();
        assert_eq!(
            text,
            r#"{"type":"product.low_stock","timestamp":"2026-11-29T10:00:00Z","data":{"sku":"A"}}"#
        );
    }
}
