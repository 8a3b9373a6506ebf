//! The webhook outbox and its endpoints on SQLite.

use super::SqliteTx;
use crate::server::domain::{
    Attempt, Claim, Due, Endpoint, EndpointId, EndpointState, EventType, Finished, OutboxEvent, Sku,
};
use crate::server::store::columns::{self, Columns};
use crate::server::store::endpoints::{self, decode_events, encode_events};
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
                    event.sku.as_str(),
                    event.body,
                    event.created_ms
                ],
                |row| row.get("seq"),
            )?)
    }

    async fn fan_out(
        &mut self,
        event_seq: i64,
        sku: &Sku,
        kind: EventType,
        due_ms: i64,
    ) -> Result<u64, StoreFailure> {
        let deliveries = self
            .connection
            .prepare_cached(outbox::FAN_OUT)?
            .execute(params![
                event_seq,
                sku.as_str(),
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
        let to_due = |row: &dyn Columns| columns::due(row, lease_until_ms);
        match claim {
            Claim::Due { now_ms, limit } => self.all(outbox::DUE, params![now_ms, limit], to_due),
            Claim::NextInLine {
                endpoint_id,
                sku,
                now_ms,
            } => self.all(
                outbox::NEXT_IN_LINE,
                params![endpoint_id.as_str(), sku.as_str(), now_ms],
                to_due,
            ),
        }
    }

    async fn lease(
        &mut self,
        endpoint_id: &EndpointId,
        event_seq: i64,
        until_ms: i64,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(outbox::LEASE)?
            .execute(params![until_ms, endpoint_id.as_str(), event_seq])?;
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
                finished.endpoint_id.as_str(),
                finished.event_seq,
                finished.lease_until_ms
            ])?;
        Ok(updated > 0)
    }

    async fn log_attempt(&mut self, finished: &Finished) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(outbox::LOG_ATTEMPT)?
            .execute(params![
                finished.endpoint_id.as_str(),
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
        endpoint_id: &EndpointId,
        until_ms: i64,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(outbox::PARK_DELIVERIES)?
            .execute(params![until_ms, endpoint_id.as_str()])?;
        Ok(())
    }

    async fn attempts(
        &mut self,
        endpoint_id: &EndpointId,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreFailure> {
        self.all(
            outbox::ATTEMPTS,
            params![endpoint_id.as_str(), limit],
            columns::attempt,
        )
    }

    async fn prune_outbox(&mut self, before_ms: i64) -> Result<(), StoreFailure> {
        for statement in outbox::PRUNE {
            self.connection.execute(statement, [before_ms])?;
        }
        Ok(())
    }

    async fn insert_mail(
        &mut self,
        id: &str,
        body: &str,
        created_ms: i64,
    ) -> Result<(), StoreFailure> {
        let seq: i64 = self
            .connection
            .prepare_cached(outbox::INSERT_MAIL)?
            .query_row(params![id, body, created_ms], |row| row.get("seq"))?;
        self.connection
            .prepare_cached(outbox::INSERT_MAIL_DELIVERY)?
            .execute(params![outbox::MAIL_ENDPOINT, seq, id, created_ms])?;
        Ok(())
    }

    async fn mails(&mut self, limit: u32) -> Result<Vec<(String, i64)>, StoreFailure> {
        self.all(outbox::MAILS, params![limit], |row| {
            Ok((row.text("body")?, row.int("created_ms")?))
        })
    }
}

#[async_trait::async_trait]
impl EndpointRows for SqliteTx<'_> {
    async fn insert_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreFailure> {
        self.connection.execute(
            endpoints::INSERT_ENDPOINT,
            params![
                endpoint.id.as_str(),
                endpoint.url,
                encode_events(&endpoint.events),
                endpoint.secret,
                endpoint.created_at
            ],
        )?;
        Ok(())
    }

    async fn endpoints(&mut self) -> Result<Vec<EndpointState>, StoreFailure> {
        self.all(endpoints::ENDPOINTS, [], columns::endpoint_state)
    }

    async fn endpoint_events(&mut self) -> Result<Vec<Option<Vec<EventType>>>, StoreFailure> {
        self.all(endpoints::ENABLED_ENDPOINTS, [], |row| {
            Ok(decode_events(&row.text("events")?))
        })
    }

    async fn delete_endpoint(&mut self, id: &EndpointId) -> Result<bool, StoreFailure> {
        Ok(self
            .connection
            .execute(endpoints::DELETE_ENDPOINT, [id.as_str()])?
            > 0)
    }

    async fn disable_endpoint(
        &mut self,
        id: &EndpointId,
        at: &str,
        reason: &str,
    ) -> Result<(), StoreFailure> {
        self.connection.execute(
            endpoints::DISABLE_ENDPOINT,
            params![at, reason, id.as_str()],
        )?;
        Ok(())
    }
}
