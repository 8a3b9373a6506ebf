//! Webhook endpoints and the delivery of the outbox's events to them.
//!
//! The rows are the same on both stores, and so is the SQL: its `$N`
//! parameters are positional in PostgreSQL and, numbered in order of first
//! use, in SQLite.

use super::{Store, StoreFailure, random_id};
use crate::server::clock::real_unix_millis;
use crate::server::webhooks::events::EventType;
use std::sync::Arc;

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

    pub(super) fn from_name(name: &str) -> AttemptOutcome {
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

pub(super) const INSERT_EVENT: &str =
    "INSERT INTO webhook_events (id, type, sku, body, created_ms) VALUES ($1, $2, $3, $4, $5)
     RETURNING seq";
/// The endpoints an event may go to (the outbox writes an event only if one takes it).
pub(super) const ENABLED_ENDPOINTS: &str =
    "SELECT id, events FROM webhook_endpoints WHERE disabled_at IS NULL";
pub(super) const FAN_OUT: &str =
    "INSERT INTO webhook_deliveries (endpoint_id, event_seq, sku, state, attempts, next_attempt_ms)
     SELECT id, $1, $2, 'pending', 0, $3 FROM webhook_endpoints
     WHERE disabled_at IS NULL AND (events = '*' OR events LIKE $4)";
pub(super) const INSERT_ENDPOINT: &str = "INSERT INTO webhook_endpoints (id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5)";
pub(super) const ENDPOINTS: &str =
    "SELECT p.id, p.url, p.events, p.secret, p.created_at, p.disabled_at, p.disabled_reason,
            (SELECT COUNT(*) FROM webhook_deliveries d
             WHERE d.endpoint_id = p.id AND d.state = 'pending') AS pending
     FROM webhook_endpoints p ORDER BY p.created_at, p.id";
pub(super) const DELETE_ENDPOINT: &str = "DELETE FROM webhook_endpoints WHERE id = $1";
/// Deliveries due, and first in line: no earlier pending delivery of the
/// same SKU to the same endpoint (in order per SKU). `$N` for the filter's
/// parameters. PostgreSQL adds `FOR UPDATE … SKIP LOCKED`.
macro_rules! first_in_line {
    ($filter:literal, $limit:literal) => {
        concat!(
            "SELECT d.endpoint_id, d.event_seq, d.attempts, e.id AS event_id, e.body, e.created_ms,
                    p.url, p.secret, d.sku
             FROM webhook_deliveries d
             JOIN webhook_events e ON e.seq = d.event_seq
             JOIN webhook_endpoints p ON p.id = d.endpoint_id
             WHERE d.state = 'pending' AND p.disabled_at IS NULL AND ",
            $filter,
            " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                               WHERE o.endpoint_id = d.endpoint_id AND o.sku = d.sku
                                 AND o.state = 'pending' AND o.event_seq < d.event_seq)
             ORDER BY d.event_seq LIMIT ",
            $limit
        )
    };
}
/// Every line's head that is due: `$1` now, `$2` how many.
pub(super) const DUE: &str = first_in_line!("d.next_attempt_ms <= $1", "$2");
/// One line's head, if due: `$1` endpoint, `$2` SKU, `$3` now.
pub(super) const NEXT_IN_LINE: &str = first_in_line!(
    "d.endpoint_id = $1 AND d.sku = $2 AND d.next_attempt_ms <= $3",
    "1"
);

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

/// A read that finds out whether a claim (a write) is worth it: the same
/// rows as `DUE` (a line whose head is retried or leased is not due).
pub(super) const ANY_DUE: &str = "SELECT COUNT(*) AS due FROM (SELECT 1 FROM webhook_deliveries d
       JOIN webhook_endpoints p ON p.id = d.endpoint_id
       WHERE d.state = 'pending' AND d.next_attempt_ms <= $1 AND p.disabled_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                         WHERE o.endpoint_id = d.endpoint_id AND o.sku = d.sku
                           AND o.state = 'pending' AND o.event_seq < d.event_seq)
       LIMIT 1) AS any_due";
pub(super) const LEASE: &str =
    "UPDATE webhook_deliveries SET next_attempt_ms = $1 WHERE endpoint_id = $2 AND event_seq = $3";
/// Only under the claim's own lease: a server whose lease ran out (and whose
/// delivery another server took over) changes nothing.
pub(super) const FINISH: &str =
    "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_ms = $3
     WHERE endpoint_id = $4 AND event_seq = $5 AND state = 'pending' AND next_attempt_ms = $6";
/// Nothing to log if the endpoint was deleted meanwhile.
pub(super) const LOG_ATTEMPT: &str =
    "INSERT INTO webhook_attempts (endpoint_id, event_seq, attempt, attempted_ms, status_code,
                                   error, outcome, next_retry_ms)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8
     WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1)";
pub(super) const DISABLE_ENDPOINT: &str =
    "UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = $2 WHERE id = $3";
/// A disabled endpoint's deliveries are never due: claims do not scan them.
pub(super) const PARK_DELIVERIES: &str = "UPDATE webhook_deliveries SET next_attempt_ms = $1 WHERE endpoint_id = $2 AND state = 'pending'";
/// Never: the due time of a disabled endpoint's deliveries.
pub(super) const NEVER_MS: i64 = i64::MAX;
pub(super) const ATTEMPTS: &str =
    "SELECT e.id AS event_id, e.type, a.attempt, a.attempted_ms, a.status_code, a.error, a.outcome,
            a.next_retry_ms
     FROM webhook_attempts a JOIN webhook_events e ON e.seq = a.event_seq
     WHERE a.endpoint_id = $1 ORDER BY a.seq DESC LIMIT $2";
/// Old attempts; old deliveries that are done, or wait for a disabled
/// endpoint; then events nothing refers to. (A pending delivery to an
/// enabled endpoint is given up by the worker after 3 days, then pruned.)
pub(super) const PRUNE: [&str; 3] = [
    "DELETE FROM webhook_attempts WHERE attempted_ms < $1",
    "DELETE FROM webhook_deliveries
     WHERE event_seq IN (SELECT seq FROM webhook_events WHERE created_ms < $1)
       AND (state <> 'pending'
            OR endpoint_id IN (SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL))",
    "DELETE FROM webhook_events WHERE created_ms < $1
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = webhook_events.seq)",
];

/// Why an endpoint could not be added.
#[derive(Debug)]
pub enum EndpointError {
    TooMany { limit: usize },
    Store(StoreFailure),
}

impl From<StoreFailure> for EndpointError {
    fn from(failure: StoreFailure) -> EndpointError {
        EndpointError::Store(failure)
    }
}

impl super::MayBeStoreFailure for EndpointError {
    fn store_failure(&self) -> Option<&StoreFailure> {
        match self {
            EndpointError::Store(failure) => Some(failure),
            EndpointError::TooMany { .. } => None,
        }
    }
}

/// Endpoints one shop may register: each event is written once per endpoint.
pub const MAX_ENDPOINTS: usize = 20;

impl Store {
    /// Registers an endpoint; events written from now on are delivered to it.
    pub async fn add_endpoint(
        &self,
        url: String,
        events: Option<Vec<EventType>>,
        secret: String,
        now: String,
    ) -> Result<Endpoint, EndpointError> {
        let input = Arc::new((url, events, secret, now));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move {
                if tx.endpoints().await?.len() >= MAX_ENDPOINTS {
                    return Err(EndpointError::TooMany {
                        limit: MAX_ENDPOINTS,
                    });
                }
                let endpoint = Endpoint {
                    id: random_id("ep_")?,
                    url: input.0.clone(),
                    events: input.1.clone(),
                    secret: input.2.clone(),
                    created_at: input.3.clone(),
                    disabled: None,
                };
                tx.insert_endpoint(&endpoint).await?;
                Ok(endpoint)
            })
        })
        .await
    }

    pub async fn endpoints(&self) -> Result<Vec<EndpointState>, StoreFailure> {
        self.read(|tx| Box::pin(async move { tx.endpoints().await }))
            .await
    }

    /// `false` when there was no such endpoint.
    pub async fn remove_endpoint(&self, id: String) -> Result<bool, StoreFailure> {
        let id = Arc::new(id);
        self.write(move |tx| {
            let id = Arc::clone(&id);
            Box::pin(async move { tx.delete_endpoint(&id).await })
        })
        .await
    }

    /// The endpoint's latest attempts, newest first; `None` if there is no such endpoint.
    pub async fn attempts_of(
        &self,
        id: String,
        limit: u32,
    ) -> Result<Option<(EndpointState, Vec<Attempt>)>, StoreFailure> {
        let id = Arc::new(id);
        self.read(move |tx| {
            let id = Arc::clone(&id);
            Box::pin(async move {
                let endpoints = tx.endpoints().await?;
                let Some(endpoint) = endpoints.into_iter().find(|state| state.endpoint.id == *id)
                else {
                    return Ok(None);
                };
                Ok(Some((endpoint, tx.attempts(&id, limit).await?)))
            })
        })
        .await
    }

    /// Takes the deliveries due, leasing them to this server for `lease_ms`
    /// from when the transaction runs (so a claim that waited for the
    /// database does not hand out a lease already spent): if the server dies
    /// mid-send they are tried again when it runs out. With `look_first`, a
    /// read finds out whether there is any, so an idle poll never takes the
    /// write lock (SQLite's one writer, another process's import). `at`:
    /// the time to claim at (tests); `None` is the time of the transaction.
    pub async fn claim_deliveries(
        &self,
        lease_ms: i64,
        limit: u32,
        look_first: bool,
        at: Option<i64>,
    ) -> Result<Vec<Due>, StoreFailure> {
        if look_first {
            let due = self
                .read(move |tx| {
                    Box::pin(
                        async move { tx.due_deliveries(at.unwrap_or_else(real_unix_millis)).await },
                    )
                })
                .await?;
            if due == 0 {
                return Ok(Vec::new());
            }
        }
        self.write(move |tx| {
            Box::pin(async move {
                let now_ms = at.unwrap_or_else(real_unix_millis);
                tx.claim_deliveries(Claim::Due { now_ms, limit }, now_ms + lease_ms)
                    .await
            })
        })
        .await
    }

    /// Records an attempt; `false` when the claim's lease was lost (another
    /// claim took the delivery over). With `next_in_line`, after a delivery,
    /// in the same transaction, claims the next event of its line (endpoint
    /// and SKU) if it is due, for `lease_ms`: a busy SKU's events follow
    /// each other without a round through the queue.
    pub async fn finish_delivery(
        &self,
        finished: Finished,
        next_in_line: Option<(String, i64)>,
        at: Option<i64>,
    ) -> Result<(bool, Option<Due>), StoreFailure> {
        let input = Arc::new((finished, next_in_line));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move {
                let (finished, next_in_line) = &*input;
                if !tx.finish_delivery(finished).await? {
                    return Ok((false, None));
                }
                let Some((sku, lease_ms)) = next_in_line else {
                    return Ok((true, None));
                };
                if finished.outcome != AttemptOutcome::Delivered {
                    return Ok((true, None));
                }
                let now_ms = at.unwrap_or_else(real_unix_millis);
                let next = Claim::NextInLine {
                    endpoint_id: &finished.endpoint_id,
                    sku,
                    now_ms,
                };
                let next = tx.claim_deliveries(next, now_ms + lease_ms).await?;
                Ok((true, next.into_iter().next()))
            })
        })
        .await
    }

    pub async fn prune_outbox(&self, before_ms: i64) -> Result<(), StoreFailure> {
        self.write(move |tx| Box::pin(async move { tx.prune_outbox(before_ms).await }))
            .await
    }
}

/// The delivery row's new state and next attempt time.
pub(super) fn finish_params(finished: &Finished) -> (&'static str, i64) {
    match finished.outcome {
        AttemptOutcome::Delivered => ("delivered", finished.attempted_ms),
        AttemptOutcome::Failed => ("failed", finished.attempted_ms),
        AttemptOutcome::Retrying => (
            "pending",
            finished.next_retry_ms.unwrap_or(finished.attempted_ms),
        ),
        // Kept pending: not attempted while the endpoint is disabled.
        AttemptOutcome::Gone => ("pending", finished.attempted_ms),
    }
}
