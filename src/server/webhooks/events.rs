//! The events the server reports to merchants' endpoints, and their bodies.
//!
//! A body is `{"type": …, "timestamp": …, "data": {…}}` (Standard Webhooks).
//! It is written once, into the outbox, in the transaction of the change it
//! reports; every retry sends the same bytes under the same `webhook-id`.

use crate::server::store::ReservationRecord;
use serde::{Deserialize, Serialize};

/// Every event type, exactly as merchants subscribe to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventType {
    #[serde(rename = "reservation.created")]
    ReservationCreated,
    #[serde(rename = "reservation.cancelled")]
    ReservationCancelled,
    /// All its units are held: it can ship.
    #[serde(rename = "reservation.ready")]
    ReservationReady,
    /// Available went from 0 to more.
    #[serde(rename = "product.back_in_stock")]
    ProductBackInStock,
    /// Available went to `1..=low_stock_threshold`.
    #[serde(rename = "product.low_stock")]
    ProductLowStock,
    #[serde(rename = "subscription.created")]
    SubscriptionCreated,
    /// One per subscriber when their product is back; they are then unsubscribed.
    #[serde(rename = "subscription.notify")]
    SubscriptionNotify,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::ReservationCreated,
        EventType::ReservationCancelled,
        EventType::ReservationReady,
        EventType::ProductBackInStock,
        EventType::ProductLowStock,
        EventType::SubscriptionCreated,
        EventType::SubscriptionNotify,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventType::ReservationCreated => "reservation.created",
            EventType::ReservationCancelled => "reservation.cancelled",
            EventType::ReservationReady => "reservation.ready",
            EventType::ProductBackInStock => "product.back_in_stock",
            EventType::ProductLowStock => "product.low_stock",
            EventType::SubscriptionCreated => "subscription.created",
            EventType::SubscriptionNotify => "subscription.notify",
        }
    }

    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

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
            id: &record.id,
            sku: &record.sku,
            quantity: record.quantity,
            from_stock: record.from_stock,
            backordered: record.quantity - record.from_stock,
            filled: record.filled,
            outstanding: record.outstanding(),
            status: record.status(),
            email: &record.email,
            created_at: &record.created_at,
        }
    }
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
    pub created_at: &'a str,
    /// `subscription.notify` only: units that ship now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<u32>,
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
