//! Webhooks: the event types, the endpoints merchants register, and the
//! outbox's deliveries to them.

use super::ValidationError;
use serde::{Deserialize, Serialize};

/// Endpoints one shop may register: each event is written once per endpoint.
pub const MAX_ENDPOINTS: usize = 20;
/// Longest endpoint URL.
pub const MAX_URL_LENGTH: usize = 2048;

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

/// An endpoint as the merchant registered it.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    /// `None`: every type, including types added later.
    pub events: Option<Vec<EventType>>,
    pub secret: String,
    pub created_at: String,
    /// Why it was disabled (the receiver answered `410 Gone`); `None` = enabled.
    pub disabled: Option<Disabled>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Disabled {
    pub at: String,
    pub reason: String,
}

/// An endpoint with how many deliveries wait for it.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointState {
    pub endpoint: Endpoint,
    pub pending: u64,
}

/// An event as the outbox stores it.
pub struct OutboxEvent<'a> {
    pub id: &'a str,
    pub kind: EventType,
    pub sku: &'a str,
    pub body: &'a str,
    pub created_ms: i64,
}

/// A delivery to attempt now.
#[derive(Clone, Debug)]
pub struct Due {
    pub endpoint_id: String,
    pub event_seq: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub event_id: String,
    pub body: String,
    pub created_ms: i64,
    pub url: String,
    pub secret: String,
    /// Its line: the endpoint's events for this SKU go in order.
    pub sku: String,
    /// The lease this claim took: only its holder may finish the delivery.
    pub lease_until_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx: done.
    Delivered,
    /// Anything else (or no answer): tried again at `next_retry_ms`.
    Retrying,
    /// Retried for as long as events are kept: given up.
    Failed,
    /// `410 Gone`: the endpoint is disabled.
    Gone,
}

impl AttemptOutcome {
    pub fn name(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Retrying => "retrying",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::Gone => "gone",
        }
    }

    pub fn from_name(name: &str) -> AttemptOutcome {
        match name {
            "delivered" => AttemptOutcome::Delivered,
            "failed" => AttemptOutcome::Failed,
            "gone" => AttemptOutcome::Gone,
            _ => AttemptOutcome::Retrying,
        }
    }
}

/// What one attempt came to.
#[derive(Clone, Debug)]
pub struct Finished {
    pub endpoint_id: String,
    pub event_seq: i64,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub attempted_ms: i64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub outcome: AttemptOutcome,
    /// `Retrying` only.
    pub next_retry_ms: Option<i64>,
    /// The lease of the claim it finishes ([`Due::lease_until_ms`]).
    pub lease_until_ms: i64,
}

/// One attempt, as the deliveries log shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub event_id: String,
    pub event_type: String,
    pub attempt: u32,
    pub attempted_ms: i64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub outcome: AttemptOutcome,
    pub next_retry_ms: Option<i64>,
}

/// What to claim.
#[derive(Clone, Copy, Debug)]
pub enum Claim<'a> {
    /// The heads of all lines due at `now_ms`, at most `limit`.
    Due { now_ms: i64, limit: u32 },
    /// The head of one endpoint's line for one SKU, if due at `now_ms`.
    NextInLine {
        endpoint_id: &'a str,
        sku: &'a str,
        now_ms: i64,
    },
}

/// An endpoint's URL: http(s), a host, no credentials, at most [`MAX_URL_LENGTH`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(text: &str) -> Result<WebhookUrl, ValidationError> {
        let refuse = |message: String| ValidationError::new("url", message);
        if text.len() > MAX_URL_LENGTH {
            return Err(refuse(format!(
                "The URL is longer than {MAX_URL_LENGTH} characters."
            )));
        }
        let url = reqwest::Url::parse(text)
            .map_err(|_| refuse("Enter a full URL, like https://shop.example/hooks.".into()))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
            return Err(refuse(
                "The URL starts with https:// and names a host.".into(),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(
                "Put no user or password in the URL: verify the signature instead.".into(),
            ));
        }
        Ok(WebhookUrl(url.to_string()))
    }

    /// The OpenAPI pattern of the URLs [`WebhookUrl::parse`] may accept.
    pub const PATTERN: &'static str = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@]";

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}
