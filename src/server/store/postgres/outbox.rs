//! The webhook outbox and its endpoints on PostgreSQL.

use super::PgTx;
use crate::server::domain::{
    Attempt, Claim, Due, Endpoint, EndpointId, EndpointState, EventType, Finished, OutboxEvent, Sku,
};
use crate::server::store::columns::{self, Columns};
use crate::server::store::endpoints::{self, decode_events, encode_events};
use crate::server::store::outbox::{self, finish_params};
use crate::server::store::{EndpointRows, OutboxRows, StoreFailure};
use sqlx::Row;

#[async_trait::async_trait]
impl OutboxRows for PgTx {
    async fn insert_event(&mut self, event: &OutboxEvent<'_>) -> Result<i64, StoreFailure> {
        let row = sqlx::query(outbox::INSERT_EVENT)
            .bind(event.id)
            .bind(event.kind.name())
            .bind(event.sku.as_str())
            .bind(event.body)
            .bind(event.created_ms)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get("seq")?)
    }

    async fn fan_out(
        &mut self,
        event_seq: i64,
        sku: &Sku,
        kind: EventType,
        due_ms: i64,
    ) -> Result<u64, StoreFailure> {
        let fanned = sqlx::query(outbox::FAN_OUT)
            .bind(event_seq)
            .bind(sku.as_str())
            .bind(due_ms)
            .bind(endpoints::events_pattern(kind))
            .execute(&mut *self.tx)
            .await?;
        Ok(fanned.rows_affected())
    }

    async fn any_due(&mut self, now_ms: i64) -> Result<i64, StoreFailure> {
        let row = sqlx::query(outbox::ANY_DUE)
            .bind(now_ms)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get("due")?)
    }

    async fn select_due(
        &mut self,
        claim: Claim<'_>,
        lease_until_ms: i64,
    ) -> Result<Vec<Due>, StoreFailure> {
        // Rows another server is claiming right now are skipped, not waited for.
        let rows = match claim {
            Claim::Due { now_ms, limit } => {
                let sql = format!("{} FOR UPDATE OF d SKIP LOCKED", outbox::DUE);
                sqlx::query(&sql)
                    .bind(now_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *self.tx)
                    .await?
            }
            Claim::NextInLine {
                endpoint_id,
                sku,
                now_ms,
            } => {
                let sql = format!("{} FOR UPDATE OF d SKIP LOCKED", outbox::NEXT_IN_LINE);
                sqlx::query(&sql)
                    .bind(endpoint_id.as_str())
                    .bind(sku.as_str())
                    .bind(now_ms)
                    .fetch_all(&mut *self.tx)
                    .await?
            }
        };
        rows.iter()
            .map(|row| columns::due(row, lease_until_ms))
            .collect()
    }

    async fn lease(
        &mut self,
        endpoint_id: &EndpointId,
        event_seq: i64,
        until_ms: i64,
    ) -> Result<(), StoreFailure> {
        sqlx::query(outbox::LEASE)
            .bind(until_ms)
            .bind(endpoint_id.as_str())
            .bind(event_seq)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// A delivery's bookkeeping need not wait for the disk: lost in a crash,
    /// the delivery is sent again (at least once, and in order: the log is a
    /// prefix, so a later commit cannot survive an earlier lost one). Saves
    /// two fsyncs per delivery.
    async fn relax_durability(&mut self) -> Result<(), StoreFailure> {
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn update_delivery(&mut self, finished: &Finished) -> Result<bool, StoreFailure> {
        let (state, next_attempt_ms) = finish_params(finished);
        let updated = sqlx::query(outbox::FINISH)
            .bind(state)
            .bind(i64::from(finished.attempt))
            .bind(next_attempt_ms)
            .bind(finished.endpoint_id.as_str())
            .bind(finished.event_seq)
            .bind(finished.lease_until_ms)
            .execute(&mut *self.tx)
            .await?;
        Ok(updated.rows_affected() > 0)
    }

    async fn log_attempt(&mut self, finished: &Finished) -> Result<(), StoreFailure> {
        sqlx::query(outbox::LOG_ATTEMPT)
            .bind(finished.endpoint_id.as_str())
            .bind(finished.event_seq)
            .bind(i64::from(finished.attempt))
            .bind(finished.attempted_ms)
            .bind(finished.status_code.map(i64::from))
            .bind(&finished.error)
            .bind(finished.outcome.name())
            .bind(finished.next_retry_ms)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn park_deliveries(
        &mut self,
        endpoint_id: &EndpointId,
        until_ms: i64,
    ) -> Result<(), StoreFailure> {
        sqlx::query(outbox::PARK_DELIVERIES)
            .bind(until_ms)
            .bind(endpoint_id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn attempts(
        &mut self,
        endpoint_id: &EndpointId,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreFailure> {
        let rows = sqlx::query(outbox::ATTEMPTS)
            .bind(endpoint_id.as_str())
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::attempt(row)).collect()
    }

    async fn prune_outbox(&mut self, before_ms: i64) -> Result<(), StoreFailure> {
        for statement in outbox::PRUNE {
            sqlx::query(statement)
                .bind(before_ms)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn insert_mail(
        &mut self,
        id: &str,
        body: &str,
        created_ms: i64,
    ) -> Result<(), StoreFailure> {
        let row = sqlx::query(outbox::INSERT_MAIL)
            .bind(id)
            .bind(body)
            .bind(created_ms)
            .fetch_one(&mut *self.tx)
            .await?;
        let seq: i64 = row.try_get("seq")?;
        sqlx::query(outbox::INSERT_MAIL_DELIVERY)
            .bind(outbox::MAIL_ENDPOINT)
            .bind(seq)
            .bind(id)
            .bind(created_ms)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn mails(&mut self, limit: u32) -> Result<Vec<(String, i64)>, StoreFailure> {
        let rows = sqlx::query(outbox::MAILS)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|row| Ok((row.text("body")?, row.int("created_ms")?)))
            .collect()
    }
}

#[async_trait::async_trait]
impl EndpointRows for PgTx {
    async fn insert_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreFailure> {
        sqlx::query(endpoints::INSERT_ENDPOINT)
            .bind(endpoint.id.as_str())
            .bind(&endpoint.url)
            .bind(encode_events(&endpoint.events))
            .bind(&endpoint.secret)
            .bind(&endpoint.created_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn endpoints(&mut self) -> Result<Vec<EndpointState>, StoreFailure> {
        let rows = sqlx::query(endpoints::ENDPOINTS)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|row| columns::endpoint_state(row))
            .collect()
    }

    async fn endpoint_events(&mut self) -> Result<Vec<Option<Vec<EventType>>>, StoreFailure> {
        let rows = sqlx::query(endpoints::ENABLED_ENDPOINTS)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|row| Ok(decode_events(&row.text("events")?)))
            .collect()
    }

    async fn delete_endpoint(&mut self, id: &EndpointId) -> Result<bool, StoreFailure> {
        let deleted = sqlx::query(endpoints::DELETE_ENDPOINT)
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn disable_endpoint(
        &mut self,
        id: &EndpointId,
        at: &str,
        reason: &str,
    ) -> Result<(), StoreFailure> {
        sqlx::query(endpoints::DISABLE_ENDPOINT)
            .bind(at)
            .bind(reason)
            .bind(id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
