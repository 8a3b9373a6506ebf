//! Webhook endpoint rows. The SQL is the same on both stores: its `$N`
//! parameters are positional in PostgreSQL and, numbered in order of first
//! use, in SQLite.

use super::StoreFailure;
use crate::server::domain::{Disabled, Endpoint, EndpointId, EndpointState, EventType};

#[async_trait::async_trait]
pub trait EndpointRows {
    async fn insert_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreFailure>;
    /// Every endpoint, with how many deliveries wait for it.
    async fn endpoints(&mut self) -> Result<Vec<EndpointState>, StoreFailure>;
    /// The event types of each enabled endpoint (`None`: all).
    async fn endpoint_events(&mut self) -> Result<Vec<Option<Vec<EventType>>>, StoreFailure>;
    /// Removes the endpoint with its deliveries; `false` if there was none.
    async fn delete_endpoint(&mut self, id: &EndpointId) -> Result<bool, StoreFailure>;
    async fn disable_endpoint(
        &mut self,
        id: &EndpointId,
        at: &str,
        reason: &str,
    ) -> Result<(), StoreFailure>;
}

/// How an endpoint's event types are stored: `*`, or `,a,b,` so one `LIKE`
/// finds the endpoints that take a type.
pub(super) fn encode_events(events: &Option<Vec<EventType>>) -> String {
    match events {
        None => "*".to_owned(),
        Some(events) => {
            let mut text = String::from(",");
            for kind in events {
                text.push_str(kind.name());
                text.push(',');
            }
            text
        }
    }
}

pub(super) fn decode_events(text: &str) -> Option<Vec<EventType>> {
    if text == "*" {
        return None;
    }
    Some(text.split(',').filter_map(EventType::from_name).collect())
}

/// The `LIKE` pattern that finds endpoints taking `kind`.
pub(super) fn events_pattern(kind: EventType) -> String {
    format!("%,{},%", kind.name())
}

pub(super) fn disabled(at: Option<String>, reason: Option<String>) -> Option<Disabled> {
    at.map(|at| Disabled {
        at,
        reason: reason.unwrap_or_default(),
    })
}

pub(super) const INSERT_ENDPOINT: &str = "INSERT INTO webhook_endpoints (id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5)";
pub(super) const ENDPOINTS: &str =
    "SELECT p.id, p.url, p.events, p.secret, p.created_at, p.disabled_at, p.disabled_reason,
            (SELECT COUNT(*) FROM webhook_deliveries d
             WHERE d.endpoint_id = p.id AND d.state = 'pending') AS pending
     FROM webhook_endpoints p WHERE p.url <> 'mail:' ORDER BY p.created_at, p.id";
pub(super) const DELETE_ENDPOINT: &str =
    "DELETE FROM webhook_endpoints WHERE id = $1 AND url <> 'mail:'";
pub(super) const DISABLE_ENDPOINT: &str =
    "UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = $2 WHERE id = $3";
/// The endpoints an event may go to (an event is written only if one takes it).
pub(super) const ENABLED_ENDPOINTS: &str =
    "SELECT id, events FROM webhook_endpoints WHERE disabled_at IS NULL AND url <> 'mail:'";
/// [`ENABLED_ENDPOINTS`]' events as one column of another statement (an
/// array, or NULL for none), named `endpoint_events`.
pub(super) const ENABLED_ENDPOINT_EVENTS_COLUMN: &str = "(SELECT array_agg(events)
     FROM webhook_endpoints WHERE disabled_at IS NULL AND url <> 'mail:') AS endpoint_events";
