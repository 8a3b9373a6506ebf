//! Webhook endpoints, and the bookkeeping of delivering the outbox's
//! events to them: claiming what is due under a lease, and recording each
//! attempt's outcome. Written once over the store's rows; the time is the
//! shop's clock.

use super::{Shop, audit, issued};
use crate::server::clock::rfc3339;
use crate::server::domain::{
    Attempt, AttemptOutcome, AuditOperation, Audited, Claim, Due, Endpoint, EndpointId,
    EndpointState, EventType, Finished, MAX_ENDPOINTS, Sku, WebhookUrl,
};
use crate::server::store::{MayBeStoreFailure, NEVER_MS, StoreFailure, Tx};
use std::sync::Arc;

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

impl MayBeStoreFailure for EndpointError {
    fn store_failure(&self) -> Option<&StoreFailure> {
        match self {
            EndpointError::Store(failure) => Some(failure),
            EndpointError::TooMany { .. } => None,
        }
    }
}

/// Leases the deliveries a claim finds: only this claim may finish them
/// until `lease_until_ms`.
async fn claim(
    tx: &mut dyn Tx,
    claim: Claim<'_>,
    lease_until_ms: i64,
) -> Result<Vec<Due>, StoreFailure> {
    tx.relax_durability().await?;
    let due = tx.select_due(claim, lease_until_ms).await?;
    for delivery in &due {
        tx.lease(&delivery.endpoint_id, delivery.event_seq, lease_until_ms)
            .await?;
    }
    Ok(due)
}

/// Writes an attempt's outcome under its lease; `false` when the lease was
/// lost. `410 Gone` disables the endpoint and parks its deliveries (a
/// disabled endpoint's deliveries are never due: claims do not scan them).
async fn finish(tx: &mut dyn Tx, finished: &Finished) -> Result<bool, StoreFailure> {
    tx.relax_durability().await?;
    if !tx.update_delivery(finished).await? {
        return Ok(false);
    }
    tx.log_attempt(finished).await?;
    if finished.outcome == AttemptOutcome::Gone {
        let at = rfc3339(finished.attempted_ms.div_euclid(1000));
        tx.disable_endpoint(&finished.endpoint_id, &at, "the receiver answered 410 Gone")
            .await?;
        tx.park_deliveries(&finished.endpoint_id, NEVER_MS).await?;
    }
    Ok(true)
}

impl Shop {
    /// Registers an endpoint; events written from now on are delivered to it.
    pub async fn add_endpoint(
        &self,
        url: WebhookUrl,
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
                    id: issued(EndpointId::issue())?,
                    url: input.0.as_str().to_owned(),
                    events: input.1.clone(),
                    secret: input.2.clone(),
                    created_at: input.3.clone(),
                    disabled: None,
                };
                tx.insert_endpoint(&endpoint).await?;
                let what = Audited::new(AuditOperation::WebhookCreate, endpoint.id.as_str());
                audit::note(tx, what);
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
    pub async fn remove_endpoint(&self, id: EndpointId) -> Result<bool, StoreFailure> {
        let id = Arc::new(id);
        self.write(move |tx| {
            let id = Arc::clone(&id);
            Box::pin(async move {
                let deleted = tx.delete_endpoint(&id).await?;
                if deleted {
                    audit::note(tx, Audited::new(AuditOperation::WebhookDelete, id.as_str()));
                }
                Ok(deleted)
            })
        })
        .await
    }

    /// The endpoint's latest attempts, newest first; `None` if there is no such endpoint.
    pub async fn attempts_of(
        &self,
        id: EndpointId,
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
    /// write lock (SQLite's one writer, another process's import).
    pub async fn claim_deliveries(
        &self,
        lease_ms: i64,
        limit: u32,
        look_first: bool,
    ) -> Result<Vec<Due>, StoreFailure> {
        if look_first {
            let clock = Arc::clone(&self.clock);
            let due = self
                .read(move |tx| {
                    let now_ms = clock.unix_millis();
                    Box::pin(async move { tx.any_due(now_ms).await })
                })
                .await?;
            if due == 0 {
                return Ok(Vec::new());
            }
        }
        let clock = Arc::clone(&self.clock);
        // Grouped: during a drop, every commit wakes the worker.
        self.write_grouped_elsewhere(move |tx| {
            let now_ms = clock.unix_millis();
            Box::pin(
                async move { claim(tx, Claim::Due { now_ms, limit }, now_ms + lease_ms).await },
            )
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
        next_in_line: Option<(Sku, i64)>,
    ) -> Result<(bool, Option<Due>), StoreFailure> {
        let input = Arc::new((finished, next_in_line));
        let clock = Arc::clone(&self.clock);
        // Grouped: a drop's mails are finished as fast as it writes them.
        self.write_grouped_elsewhere(move |tx| {
            let input = Arc::clone(&input);
            let now_ms = clock.unix_millis();
            Box::pin(async move {
                let (finished, next_in_line) = &*input;
                if !finish(tx, finished).await? {
                    return Ok((false, None));
                }
                let Some((sku, lease_ms)) = next_in_line else {
                    return Ok((true, None));
                };
                if finished.outcome != AttemptOutcome::Delivered {
                    return Ok((true, None));
                }
                let next = Claim::NextInLine {
                    endpoint_id: &finished.endpoint_id,
                    sku,
                    now_ms,
                };
                let next = claim(tx, next, now_ms + lease_ms).await?;
                Ok((true, next.into_iter().next()))
            })
        })
        .await
    }

    /// Forgets events, deliveries and attempts older than `keep`.
    pub async fn prune_outbox(&self, keep: std::time::Duration) -> Result<(), StoreFailure> {
        let before_ms = self.clock.unix_millis() - keep.as_millis() as i64;
        self.write(move |tx| Box::pin(async move { tx.prune_outbox(before_ms).await }))
            .await
    }
}
