//! The webhook outbox and its endpoints on SQLite.

use super::SqliteTx;
use crate::server::domain::{
    Attempt, AttemptOutcome, Claim, Due, Endpoint, EndpointState, EventType, Finished, OutboxEvent,
};
use crate::server::store::endpoints::{self, decode_events, disabled, encode_events};
use crate::server::store::outbox::{self, finish_params};
use crate::server::store::{EndpointRows, OutboxRows, StoreFailure};
use rusqlite::params;

#[async_trait::async_trait]
impl OutboxRows for SqliteTx<'_> {
    async fn insert_event(&mut self, event: &OutboxEvent<'_>) -> Result<i64, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(outbox::INSERT_EVENT)?
            .query_row(
                params![
                    event.id,
                    event.kind.name(),
                    event.sku,
                    event.body,
                    event.created_ms
                ],
                |row| row.get("seq"),
            )?)
    }

    async fn fan_out(
        &mut self,
        event_seq: i64,
        sku: &str,
        kind: EventType,
        due_ms: i64,
    ) -> Result<u64, StoreFailure> {
        let deliveries = self
            .connection
            .prepare_cached(outbox::FAN_OUT)?
            .execute(params![
                event_seq,
                sku,
                due_ms,
                endpoints::events_pattern(kind)
            ])?;
        Ok(deliveries as u64)
    }

    async fn any_due(&mut self, now_ms: i64) -> Result<i64, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(outbox::ANY_DUE)?
            .query_row([now_ms], |row| row.get("due"))?)
    }

    async fn select_due(
        &mut self,
        claim: Claim<'_>,
        lease_until_ms: i64,
    ) -> Result<Vec<Due>, StoreFailure> {
        let to_due = |row: &rusqlite::Row<'_>| {
            Ok(Due {
                endpoint_id: row.get("endpoint_id")?,
                event_seq: row.get("event_seq")?,
                attempts: row.get("attempts")?,
                event_id: row.get("event_id")?,
                body: row.get("body")?,
                created_ms: row.get("created_ms")?,
                url: row.get("url")?,
                secret: row.get("secret")?,
                sku: row.get("sku")?,
                lease_until_ms,
            })
        };
        let due = match claim {
            Claim::Due { now_ms, limit } => self
                .connection
                .prepare_cached(outbox::DUE)?
                .query_map(params![now_ms, limit], to_due)?
                .collect::<Result<_, _>>()?,
            Claim::NextInLine {
                endpoint_id,
                sku,
                now_ms,
            } => self
                .connection
                .prepare_cached(outbox::NEXT_IN_LINE)?
                .query_map(params![endpoint_id, sku, now_ms], to_due)?
                .collect::<Result<_, _>>()?,
        };
        Ok(due)
    }

    async fn lease(
        &mut self,
        endpoint_id: &str,
        event_seq: i64,
        until_ms: i64,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(outbox::LEASE)?
            .execute(params![until_ms, endpoint_id, event_seq])?;
        Ok(())
    }

    async fn relax_durability(&mut self) -> Result<(), StoreFailure> {
        Ok(())
    }

    async fn update_delivery(&mut self, finished: &Finished) -> Result<bool, StoreFailure> {
        let (state, next_attempt_ms) = finish_params(finished);
        let updated = self
            .connection
            .prepare_cached(outbox::FINISH)?
            .execute(params![
                state,
                finished.attempt,
                next_attempt_ms,
                finished.endpoint_id,
                finished.event_seq,
                finished.lease_until_ms
            ])?;
        Ok(updated > 0)
    }

    async fn log_attempt(&mut self, finished: &Finished) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(outbox::LOG_ATTEMPT)?
            .execute(params![
                finished.endpoint_id,
                finished.event_seq,
                finished.attempt,
                finished.attempted_ms,
                finished.status_code,
                finished.error,
                finished.outcome.name(),
                finished.next_retry_ms
            ])?;
        Ok(())
    }

    async fn park_deliveries(
        &mut self,
        endpoint_id: &str,
        until_ms: i64,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(outbox::PARK_DELIVERIES)?
            .execute(params![until_ms, endpoint_id])?;
        Ok(())
    }

    async fn attempts(
        &mut self,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(outbox::ATTEMPTS)?;
        let rows = statement
            .query_map(params![endpoint_id, limit], |row| {
                Ok(Attempt {
                    event_id: row.get("event_id")?,
                    event_type: row.get("type")?,
                    attempt: row.get("attempt")?,
                    attempted_ms: row.get("attempted_ms")?,
                    status_code: row.get("status_code")?,
                    error: row.get("error")?,
                    outcome: AttemptOutcome::from_name(&row.get::<_, String>("outcome")?),
                    next_retry_ms: row.get("next_retry_ms")?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn prune_outbox(&mut self, before_ms: i64) -> Result<(), StoreFailure> {
        for statement in outbox::PRUNE {
            self.connection.execute(statement, [before_ms])?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl EndpointRows for SqliteTx<'_> {
    async fn insert_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreFailure> {
        self.connection.execute(
            endpoints::INSERT_ENDPOINT,
            params![
                endpoint.id,
                endpoint.url,
                encode_events(&endpoint.events),
                endpoint.secret,
                endpoint.created_at
            ],
        )?;
        Ok(())
    }

    async fn endpoints(&mut self) -> Result<Vec<EndpointState>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(endpoints::ENDPOINTS)?;
        let rows = statement
            .query_map([], |row| {
                Ok(EndpointState {
                    endpoint: Endpoint {
                        id: row.get("id")?,
                        url: row.get("url")?,
                        events: decode_events(&row.get::<_, String>("events")?),
                        secret: row.get("secret")?,
                        created_at: row.get("created_at")?,
                        disabled: disabled(row.get("disabled_at")?, row.get("disabled_reason")?),
                    },
                    pending: row.get("pending")?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn endpoint_events(&mut self) -> Result<Vec<Option<Vec<EventType>>>, StoreFailure> {
        let mut statement = self
            .connection
            .prepare_cached(endpoints::ENABLED_ENDPOINTS)?;
        let events = statement
            .query_map([], |row| row.get::<_, String>("events"))?
            .map(|events| events.map(|events| decode_events(&events)))
            .collect::<Result<_, _>>()?;
        Ok(events)
    }

    async fn delete_endpoint(&mut self, id: &str) -> Result<bool, StoreFailure> {
        Ok(self.connection.execute(endpoints::DELETE_ENDPOINT, [id])? > 0)
    }

    async fn disable_endpoint(
        &mut self,
        id: &str,
        at: &str,
        reason: &str,
    ) -> Result<(), StoreFailure> {
        self.connection
            .execute(endpoints::DISABLE_ENDPOINT, params![at, reason, id])?;
        Ok(())
    }
}
