//! Webhooks: the event types, the endpoints merchants register, and the
//! outbox's deliveries to them.

use super::{EndpointId, Sku, ValidationError};
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
    /// Its likely ship date moved later than the shopper was told: tell
    /// them the new date and offer to cancel (`cancel_url`).
    #[serde(rename = "reservation.delayed")]
    ReservationDelayed,
    /// Available went from 0 to more.
    #[serde(rename = "product.back_in_stock")]
    ProductBackInStock,
    /// Available went to `1..=low_stock_threshold`.
    #[serde(rename = "product.low_stock")]
    ProductLowStock,
    /// Its position (stock + on order − backordered) fell to or below its
    /// reorder point: time to order (the data has the numbers).
    #[serde(rename = "product.reorder_point")]
    ProductReorderPoint,
    #[serde(rename = "subscription.created")]
    SubscriptionCreated,
    /// One per subscriber when their product is back; they are then unsubscribed.
    #[serde(rename = "subscription.notify")]
    SubscriptionNotify,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::ReservationCreated,
        EventType::ReservationCancelled,
        EventType::ReservationReady,
        EventType::ReservationDelayed,
        EventType::ProductBackInStock,
        EventType::ProductLowStock,
        EventType::ProductReorderPoint,
        EventType::SubscriptionCreated,
        EventType::SubscriptionNotify,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventType::ReservationCreated => "reservation.created",
            EventType::ReservationCancelled => "reservation.cancelled",
            EventType::ReservationReady => "reservation.ready",
            EventType::ReservationDelayed => "reservation.delayed",
            EventType::ProductBackInStock => "product.back_in_stock",
            EventType::ProductLowStock => "product.low_stock",
            EventType::ProductReorderPoint => "product.reorder_point",
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
    pub id: EndpointId,
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
    pub sku: &'a Sku,
    pub body: &'a str,
    pub created_ms: i64,
}

/// A delivery to attempt now.
#[derive(Clone, Debug)]
pub struct Due {
    pub endpoint_id: EndpointId,
    pub event_seq: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub event_id: String,
    pub body: String,
    pub created_ms: i64,
    pub url: String,
    pub secret: String,
    /// Its line: the endpoint's events for this SKU go in order.
    pub sku: Sku,
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
    pub endpoint_id: EndpointId,
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
        endpoint_id: &'a EndpointId,
        sku: &'a Sku,
        now_ms: i64,
    },
}

/// An endpoint's URL: `http(s)://`, a host name or IPv4 address, an
/// optional port, path and query; no credentials, no fragment, no percent
/// escapes, at most [`MAX_URL_LENGTH`]. A plain grammar on purpose: the
/// OpenAPI document states it as its pattern, so what the schema allows is
/// exactly what the server takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(String);

/// The grammar of [`WebhookUrl`], in the syntax JSON Schema and the `regex`
/// crate read alike. The last label of a name starts with a letter, so a
/// name is never taken for an IPv4 address.
const URL_PATTERN: &str = concat!(
    "^https?://",
    "(",
    "([A-Za-z0-9]+(-[A-Za-z0-9]+)*[.])*[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*",
    "|",
    "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])[.]){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])",
    ")",
    "(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9][0-9]|6[0-4][0-9][0-9][0-9]|[1-5][0-9][0-9][0-9][0-9]|[1-9][0-9]{0,3}))?",
    "(/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?",
    "([?][A-Za-z0-9._~!$&'()*+,;=:@/?-]*)?",
    "$"
);

impl WebhookUrl {
    pub fn parse(text: &str) -> Result<WebhookUrl, ValidationError> {
        static GRAMMAR: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let grammar =
            GRAMMAR.get_or_init(|| regex::Regex::new(URL_PATTERN).expect("a valid pattern"));
        let refuse = || {
            ValidationError::new(
                "url",
                format!(
                    "Enter a full http(s) URL of at most {MAX_URL_LENGTH} characters, like https://shop.example/hooks, without a user, password or #fragment."
                ),
            )
        };
        if text.len() > MAX_URL_LENGTH || !grammar.is_match(text) {
            return Err(refuse());
        }
        let url = reqwest::Url::parse(text).map_err(|_| refuse())?;
        Ok(WebhookUrl(url.to_string()))
    }

    /// The OpenAPI pattern of exactly the URLs [`WebhookUrl::parse`] takes.
    pub const PATTERN: &'static str = URL_PATTERN;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_plain_http_urls() {
        for good in [
            "https://shop.example/hooks/stock",
            "http://127.0.0.1:9/hooks",
            "https://a-b.c9.example:8443/x?y=1&z=a,b",
            "http://localhost",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ftp://shop.example/",
            "https://user:pass@shop.example/",
            "https://shop.example/#frag",
            "https://shop.example/%zz",
            "https://1.2.3.999/",
            "https://-shop.example/",
            "https://shop.example:65536/",
            "https://xn--a.example/",
            "//shop.example/",
            "https://shop.example/a b",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
        let long = format!("https://shop.example/{}", "a".repeat(MAX_URL_LENGTH));
        assert!(WebhookUrl::parse(&long).is_err());
    }
}
