//! Group commit: many writes, one flush to disk.
//!
//! A hot drop sends shoppers to one product at once. Each write alone would
//! be its own transaction and its own flush; here the writes of shoppers
//! and of the checkout (reservations, cancellations, sales, receipts) that
//! arrive while their lane is committing wait, and the next transaction
//! runs them together, one after another in arrival order (at most
//! `Lane::max_group`: 128 on SQLite and for a product on PostgreSQL). Each runs with everything that follows it
//! (`Shop::with_what_follows`: events, mails, the audit line), exactly as
//! it would alone: a refused request (409, its idempotency replay, its
//! per-customer cap) undoes only what it wrote — its savepoint; a placement
//! refuses before it writes, so it runs bare ([`Guard`]) — and the next one
//! decides on what the ones before it left. The placements' product and
//! demand writes are held back and written once (`held_back.rs`). Nobody
//! is answered before the commit that holds their write; then the products
//! go to the feed (the last state of each) and every request gets its own
//! answer.
//!
//! A lone request starts a transaction at once: nothing waits for company.
//! Company that comes while a group is still deciding joins it
//! (`group/members.rs`), unless the group is one request that writes at once.
//! A request that lost a race (PostgreSQL: a deadlock, one idempotency key
//! inserted by two servers) is undone and runs again in the next group, so
//! the locks the others took cannot hold it; a group whose transaction
//! fails answers each of its requests with that failure.
//!
//! Lanes: SQLite has one writer, so every group request shares one lane
//! (the delivery worker's claims and outcomes too: a drop's mails are
//! finished in the groups that write them).
//! On PostgreSQL requests for one SKU share one (they queue on its row
//! anyway); other SKUs' lanes run beside it, each holding one connection,
//! and a group locks one product, so groups on several servers cannot
//! deadlock each other.

use super::Shop;
use crate::server::domain::{IdempotencyKey, Product, ReservationId, Sku};
use crate::server::store::{MayBeStoreFailure, StoreFailure, Work, as_work};
pub(super) use lanes::{Lane, Lanes};
use members::Members;
pub(super) use request::Writes;
use request::{Grouped, Request};
use std::collections::VecDeque;
use std::sync::Arc;
use together::{GroupFailure, Guard, run_together};
use tokio::sync::oneshot;

/// The last state of each product, in the order of their last writes.
fn latest_of_each(products: Vec<Product>) -> Vec<Product> {
    let mut latest: Vec<Product> = Vec::with_capacity(products.len());
    for product in products.into_iter().rev() {
        if !latest.iter().any(|seen| seen.sku == product.sku) {
            latest.push(product);
        }
    }
    latest.reverse();
    latest
}

impl Shop {
    /// Runs `work` for `sku` as one request of a group commit: the answer
    /// it would have had alone, once the transaction holding it committed.
    pub(super) async fn write_grouped<T, E>(&self, sku: &Sku, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        self.write_in_lane(self.lane(sku), work).await
    }

    /// [`Shop::write_grouped`] for a placement (`Writes::MayHoldBack`) and its key.
    pub(super) async fn place_grouped<T, E>(
        &self,
        sku: &Sku,
        key: Option<IdempotencyKey>,
        work: impl Work<T, E>,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        let lane = self.lane(sku);
        self.queued(lane, work, Writes::MayHoldBack, key).await
    }

    /// [`Shop::write_grouped`] for a write that decides on no product (the
    /// delivery worker's claims and outcomes): on SQLite it joins the
    /// writer's groups; on PostgreSQL a lane of its own.
    pub(super) async fn write_grouped_elsewhere<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        let lane = if self.store.is_embedded() {
            Lane::Writer
        } else {
            Lane::Elsewhere
        };
        self.write_in_lane(lane, work).await
    }

    /// [`Shop::write_grouped`] in a lane already known.
    pub(super) async fn write_in_lane<T, E>(
        &self,
        lane: Lane,
        work: impl Work<T, E>,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        self.queued(lane, work, Writes::AtOnce, None).await
    }

    async fn queued<T, E>(
        &self,
        lane: Lane,
        work: impl Work<T, E>,
        writes: Writes,
        key: Option<IdempotencyKey>,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        let (request, answer) = self.request(work, writes, key);
        self.enqueue(lane, request);
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(E::from(StoreFailure::fault(anyhow::anyhow!(
                "a group commit ended without answering"
            )))),
        }
    }

    /// Runs the works as one group (in one transaction, in this order), as
    /// the lanes would if they all arrived during one commit; the answers
    /// in the same order. For tests that compare a group's answers with
    /// the same requests' answers one by one.
    pub(super) async fn write_as_one_group<T, E, W>(
        &self,
        works: Vec<(W, Writes, Option<IdempotencyKey>)>,
    ) -> Vec<Result<T, E>>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
        W: Work<T, E>,
    {
        let (requests, answers): (Vec<_>, Vec<_>) = works
            .into_iter()
            .map(|(work, writes, key)| self.request(work, writes, key))
            .unzip();
        let mut group = requests;
        while !group.is_empty() {
            group = self.commit_group(group, None).await;
        }
        let mut results = Vec::with_capacity(answers.len());
        for answer in answers {
            results.push(answer.await.unwrap_or_else(|_| {
                Err(E::from(StoreFailure::fault(anyhow::anyhow!(
                    "a group commit ended without answering"
                ))))
            }));
        }
        results
    }

    fn request<T, E>(
        &self,
        work: impl Work<T, E>,
        writes: Writes,
        key: Option<IdempotencyKey>,
    ) -> (Arc<dyn Grouped>, oneshot::Receiver<Result<T, E>>)
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let request = Request::new(self.with_what_follows(work), writes, key, reply);
        (Arc::new(request), answer)
    }

    /// The lane of a reservation's product (its SKU never changes); none:
    /// no such reservation. SQLite's one lane needs no question.
    pub(super) async fn lane_of_reservation(
        &self,
        id: &ReservationId,
    ) -> Result<Option<Lane>, StoreFailure> {
        if self.store.is_embedded() {
            return Ok(Some(Lane::Writer));
        }
        let id = Arc::new(id.clone());
        let sku = self
            .read(move |tx| {
                let id = Arc::clone(&id);
                Box::pin(async move {
                    Ok::<_, StoreFailure>(tx.record(&id).await?.map(|record| record.sku))
                })
            })
            .await?;
        Ok(sku.map(Lane::Product))
    }

    fn lane(&self, sku: &Sku) -> Lane {
        if self.store.is_embedded() {
            Lane::Writer
        } else {
            Lane::Product(sku.clone())
        }
    }

    /// Queues the request in its lane, and starts the lane if it was idle.
    fn enqueue(&self, lane: Lane, request: Arc<dyn Grouped>) {
        let mut waiting = self.lanes.waiting();
        if let Some(queue) = waiting.get_mut(&lane) {
            queue.push_back(request);
            return;
        }
        waiting.insert(lane.clone(), VecDeque::from([request]));
        drop(waiting);
        tokio::spawn(self.clone().run_lane(lane));
    }

    /// Commits the lane's waiting requests, a group at a time, until none wait.
    async fn run_lane(self, lane: Lane) {
        loop {
            let group: Vec<_> = {
                let mut waiting = self.lanes.waiting();
                let Some(queue) = waiting.get_mut(&lane) else {
                    return;
                };
                if queue.is_empty() {
                    waiting.remove(&lane);
                    return;
                }
                let size = queue.len().min(lane.max_group());
                queue.drain(..size).collect()
            };
            // A task of its own: a panic fails its group (their answers
            // are dropped: 500), not the lane.
            let shop = self.clone();
            let joins = Some((Arc::clone(&self.lanes), lane.clone()));
            let again = tokio::spawn(async move { shop.commit_group(group, joins).await })
                .await
                .unwrap_or_default();
            if !again.is_empty() {
                // They came first: they go first.
                let mut waiting = self.lanes.waiting();
                let queue = waiting.entry(lane.clone()).or_default();
                for request in again.into_iter().rev() {
                    queue.push_front(request);
                }
            }
        }
    }

    /// One transaction for the group (and those that join it from `joins`,
    /// its lane); answers everyone but those that lost a race, which are
    /// returned to run again.
    async fn commit_group(
        &self,
        group: Vec<Arc<dyn Grouped>>,
        joins: Option<(Arc<Lanes>, Lane)>,
    ) -> Vec<Arc<dyn Grouped>> {
        // Taken before the transaction, as for a write alone.
        let generation = self.feed.generation();
        // A lone request that writes at once stays alone: joining would
        // change how its refusal is undone (the whole transaction). A
        // placement refuses before it writes, so even alone it takes
        // whoever comes while it waits (on PostgreSQL, for the product's
        // lock): else the first request after each commit would spend a
        // turn of that lock, across servers, on itself.
        let alone = group.len() == 1 && group.iter().all(|lone| lone.writes() == Writes::AtOnce);
        let members = Arc::new(Members::new(group, joins.filter(|_| !alone)));
        // Placements first run bare; a store failure in one sends the
        // group back to run again with every request in a savepoint.
        let mut guard = Guard::AtOnceOnly;
        let failed = loop {
            let members = Arc::clone(&members);
            let work = as_work(move |tx| {
                let members = Arc::clone(&members);
                Box::pin(async move {
                    if alone && let Some(lone) = members.get(0) {
                        // Alone, it needs no savepoint: refused, the whole
                        // transaction is undone, as for a write alone.
                        return match lone.run(tx).await {
                            true => Ok(()),
                            false => Err(GroupFailure::NothingKept),
                        };
                    }
                    run_together(tx, &members, guard).await
                })
            });
            match self.store.write(work).await {
                Ok(()) | Err(GroupFailure::NothingKept) => break None,
                Err(GroupFailure::Unguarded) => guard = Guard::Everyone,
                Err(GroupFailure::Store(failure)) => break Some(failure),
            }
        };
        let group = members.all();
        if let Some(failure) = failed {
            for request in &group {
                request.fail(&failure);
            }
            return Vec::new();
        }
        let (again, done): (Vec<_>, Vec<_>) = group
            .iter()
            .cloned()
            .partition(|request| request.runs_again());
        let mut products = Vec::new();
        let mut deliveries = 0;
        for request in &done {
            let (written, made) = request.take_published();
            products.extend(written);
            deliveries += made;
        }
        // Published before anyone is answered: a shopper told 201 who reads
        // the availability next sees their reservation in it.
        self.published(latest_of_each(products), deliveries, generation);
        for request in &done {
            request.answer();
        }
        again
    }
}

mod lanes;
mod members;
mod request;
#[cfg(test)]
mod tests;
mod together;
