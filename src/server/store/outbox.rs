//! The webhook outbox's rows: events, one delivery per event and endpoint,
//! and the attempts log. The SQL is the same on both stores (PostgreSQL adds
//! `FOR UPDATE … SKIP LOCKED` to claims).

use super::StoreFailure;
use crate::server::domain::{
    Attempt, AttemptOutcome, Claim, Due, EndpointId, EventType, Finished, OutboxEvent, Sku,
};

#[async_trait::async_trait]
pub trait OutboxRows {
    /// Writes an event; returns its `seq`.
    async fn insert_event(&mut self, event: &OutboxEvent<'_>) -> Result<i64, StoreFailure>;
    /// A pending delivery of the event for each enabled endpoint that takes
    /// `kind`, due at `due_ms`; returns how many.
    async fn fan_out(
        &mut self,
        event_seq: i64,
        sku: &Sku,
        kind: EventType,
        due_ms: i64,
    ) -> Result<u64, StoreFailure>;
    /// How many deliveries are due at `now_ms` (0 or 1: it stops at one).
    async fn any_due(&mut self, now_ms: i64) -> Result<i64, StoreFailure>;
    /// Pending deliveries that are due and first in line for their endpoint
    /// and SKU (on PostgreSQL, rows another server is claiming are skipped),
    /// to be leased until `lease_until_ms`.
    async fn select_due(
        &mut self,
        claim: Claim<'_>,
        lease_until_ms: i64,
    ) -> Result<Vec<Due>, StoreFailure>;
    async fn lease(
        &mut self,
        endpoint_id: &EndpointId,
        event_seq: i64,
        until_ms: i64,
    ) -> Result<(), StoreFailure>;
    /// This transaction need not wait for the disk (delivery bookkeeping:
    /// lost in a crash, a delivery is only sent again). SQLite: no change.
    async fn relax_durability(&mut self) -> Result<(), StoreFailure>;
    /// Writes the attempt's outcome on its delivery, only under the
    /// attempt's own lease; `false` (nothing written) when it was lost.
    async fn update_delivery(&mut self, finished: &Finished) -> Result<bool, StoreFailure>;
    /// Logs the attempt (unless its endpoint was deleted meanwhile).
    async fn log_attempt(&mut self, finished: &Finished) -> Result<(), StoreFailure>;
    /// Makes an endpoint's pending deliveries due at `until_ms`.
    async fn park_deliveries(
        &mut self,
        endpoint_id: &EndpointId,
        until_ms: i64,
    ) -> Result<(), StoreFailure>;
    /// An endpoint's latest attempts, newest first.
    async fn attempts(
        &mut self,
        endpoint_id: &EndpointId,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreFailure>;
    /// Forgets events, deliveries and attempts older than `before_ms`.
    async fn prune_outbox(&mut self, before_ms: i64) -> Result<(), StoreFailure>;
    /// Writes a mail (an event of type `mail`, its body the message) with
    /// its one delivery, to [`MAIL_ENDPOINT`], due at `created_ms`. Each
    /// mail is a line of its own (its id as the line's key): a mail that is
    /// retried keeps no other waiting.
    async fn insert_mail(
        &mut self,
        id: &str,
        body: &str,
        created_ms: i64,
    ) -> Result<(), StoreFailure>;
    /// The newest mails written: each body and its `created_ms`.
    async fn mails(&mut self, limit: u32) -> Result<Vec<(String, i64)>, StoreFailure>;
}

/// The outbox's endpoint for mails (migration `0007_mail`/`0005_mail`).
pub const MAIL_ENDPOINT: &str = "ep_00000000000000000000000000000000";
/// Its URL: the delivery worker sends these by SMTP.
pub const MAIL_URL: &str = "mail:";
pub(super) const INSERT_MAIL: &str =
    "INSERT INTO webhook_events (id, type, sku, body, created_ms) VALUES ($1, 'mail', $1, $2, $3)
     RETURNING seq";
pub(super) const INSERT_MAIL_DELIVERY: &str =
    "INSERT INTO webhook_deliveries (endpoint_id, event_seq, sku, state, attempts, next_attempt_ms)
     VALUES ($1, $2, $3, 'pending', 0, $4)";
pub(super) const MAILS: &str = "SELECT body, created_ms FROM webhook_events WHERE type = 'mail'
     ORDER BY seq DESC LIMIT $1";

pub(super) const INSERT_EVENT: &str =
    "INSERT INTO webhook_events (id, type, sku, body, created_ms) VALUES ($1, $2, $3, $4, $5)
     RETURNING seq";
pub(super) const FAN_OUT: &str =
    "INSERT INTO webhook_deliveries (endpoint_id, event_seq, sku, state, attempts, next_attempt_ms)
     SELECT id, $1, $2, 'pending', 0, $3 FROM webhook_endpoints
     WHERE disabled_at IS NULL AND (events = '*' OR events LIKE $4)";
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
/// A disabled endpoint's deliveries are never due: claims do not scan them.
pub(super) const PARK_DELIVERIES: &str = "UPDATE webhook_deliveries SET next_attempt_ms = $1 WHERE endpoint_id = $2 AND state = 'pending'";
/// Never: the due time of a disabled endpoint's deliveries.
pub const NEVER_MS: i64 = i64::MAX;
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
