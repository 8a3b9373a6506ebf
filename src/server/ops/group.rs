//! Group commit: many writes, one flush to disk.
//!
//! A hot drop sends shoppers to one product at once. Each write alone would
//! be its own transaction and its own flush; here the writes of shoppers
//! and of the checkout (reservations, cancellations, sales, receipts) that
//! arrive while their lane is committing wait, and the next transaction
//! runs them together, one after another in arrival order (at most
//! `Lane::max_group`: 64 on SQLite, 128 for a product on PostgreSQL). Each runs with everything that follows it
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

use super::{Shop, held_back};
use crate::server::domain::{IdempotencyKey, Product, ReservationId, Sku};
use crate::server::store::{
    HeldBack, KeysAhead, MayBeStoreFailure, MayHold, StoreFailure, Tx, TxNotes, Work, as_work,
};
pub(super) use lanes::{Lane, Lanes};
use members::Members;
pub(super) use request::Writes;
use request::{Grouped, Request};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Why a group's transaction was rolled back.
enum GroupFailure {
    /// The store failed: every request of the group gets the failure.
    Store(StoreFailure),
    /// Every request was refused (each has its answer): nothing to commit.
    NothingKept,
    /// A request without a savepoint failed in the store: run the group
    /// again with savepoints ([`Guard::Everyone`]).
    Unguarded,
}

impl From<StoreFailure> for GroupFailure {
    fn from(failure: StoreFailure) -> GroupFailure {
        GroupFailure::Store(failure)
    }
}

/// Only a store failure may be run again by the store (a lost race of
/// the group's own statements); a refusal stands.
impl MayBeStoreFailure for GroupFailure {
    fn store_failure(&self) -> Option<&StoreFailure> {
        match self {
            GroupFailure::Store(failure) => Some(failure),
            GroupFailure::NothingKept | GroupFailure::Unguarded => None,
        }
    }
}

/// How a group guards its requests against each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guard {
    /// A placement runs without a savepoint (a refused one wrote nothing,
    /// `Writes::MayHoldBack`); a store failure in one undoes the group.
    AtOnceOnly,
    /// Every request in a savepoint of its own: a store failure undoes
    /// only the request it failed.
    Everyone,
}

impl Guard {
    fn needs_savepoint(self, request: &dyn Grouped) -> bool {
        self == Guard::Everyone || request.writes() == Writes::AtOnce
    }
}

/// Runs the requests (more than one) in this transaction, one after the
/// other, each kept or undone on its own.
async fn run_together(
    tx: &mut dyn Tx,
    members: &Arc<Members>,
    guard: Guard,
) -> Result<(), GroupFailure> {
    // Debug builds check held-back writes against these.
    let mut latest = Vec::new();
    // A savepoint is open for the request about to run.
    let Some(first) = members.get(0) else {
        return Ok(());
    };
    let mut guarded = guard.needs_savepoint(first.as_ref());
    if guarded {
        tx.begin_request().await?;
    }
    let mut at = 0;
    let mut kept_any = false;
    while let Some(request) = members.get(at) {
        // Each request notes its own changes; the webhook endpoints read
        // once serve the whole group, the products the requests before
        // read back answer its first reads of them, and the placements'
        // held-back writes wait for the group's end.
        let notes = std::mem::take(tx.notes());
        let mut keys = notes.keys;
        keys.set_ahead(Some(keys_ahead(members, at)));
        *tx.notes() = TxNotes {
            endpoints: notes.endpoints,
            primed: notes.primed,
            keys,
            held_back: HeldBack {
                may_hold: may_hold(request.as_ref(), members, at),
                // Held inserts fail together: only where a failure undoes the group.
                inserts: guard == Guard::AtOnceOnly,
                seqs_wanted: (members.len() - at) as u32,
                ..notes.held_back
            },
            ..TxNotes::default()
        };
        let held_before = held_back::mark(tx.notes());
        let was_primed: Vec<Sku> = tx.notes().primed.iter().map(|p| p.sku.clone()).collect();
        let keep = request.run(tx).await;
        kept_any |= keep;
        // What it read and left as it was primes the next request, if the
        // transaction still holds its lock: kept, or undone with nothing
        // to undo, or locked before the savepoint that was undone.
        let untouched: Vec<Product> = std::mem::take(&mut tx.notes().untouched)
            .into_iter()
            .filter(|product| keep || !guarded || was_primed.contains(&product.sku))
            .collect();
        primed_with(&mut tx.notes().primed, untouched);
        if keep {
            // Nothing after its read-back wrote them.
            primed_with(&mut tx.notes().primed, request.products());
            if cfg!(debug_assertions) {
                primed_with(&mut latest, request.products());
            }
        } else {
            if !guarded {
                if request.failed_in_store() {
                    return Err(GroupFailure::Unguarded);
                }
                debug_assert!(
                    tx.notes().touched.is_empty(),
                    "a placement refused after it wrote"
                );
            }
            held_back::undo_to(tx.notes(), held_before);
        }
        // Those that came meanwhile join here.
        let next = members.get(at + 1);
        let write_held = held_back::any(tx.notes())
            && (next
                .as_ref()
                .is_none_or(|next| next.writes() == Writes::AtOnce)
                || held_back::unprimed(tx.notes()));
        let next_guarded = next
            .as_ref()
            .is_some_and(|next| guard.needs_savepoint(next.as_ref()));
        if guarded {
            // Released (or rolled back to) and the next one begun in one
            // step, unless the held writes come in between: outside any
            // request's savepoint, nobody's undo takes them.
            tx.end_request(keep, next_guarded && !write_held).await?;
        }
        if write_held {
            match held_back::write(tx, &latest).await {
                Ok(()) => {}
                // Whose insert failed is not known: all of them run again, guarded.
                Err(_) if guard == Guard::AtOnceOnly => return Err(GroupFailure::Unguarded),
                Err(failure) => return Err(failure.into()),
            }
        }
        if next_guarded && (write_held || !guarded) {
            tx.begin_request().await?;
        }
        guarded = next_guarded;
        at += 1;
    }
    if !kept_any {
        // Rolled back: a transaction that only locked rows needs no flush.
        return Err(GroupFailure::NothingKept);
    }
    Ok(())
}

/// Whether the request at `at` holds its writes back: a placement does in
/// a group of several; begun alone, only if company came by its first
/// write (alone, it writes as a write alone does).
fn may_hold(request: &dyn Grouped, members: &Arc<Members>, at: usize) -> MayHold {
    if request.writes() != Writes::MayHoldBack {
        MayHold::No
    } else if at == 0 && members.len() == 1 && members.takes_company() {
        let members = Arc::clone(members);
        MayHold::IfCompany(Arc::new(move || members.waiting_to_join()))
    } else {
        MayHold::Yes
    }
}

/// The idempotency keys of the requests after the one at `at`.
fn keys_ahead(members: &Arc<Members>, at: usize) -> KeysAhead {
    let members = Arc::clone(members);
    Arc::new(move || {
        (at + 1..)
            .map_while(|next| members.get(next))
            .filter_map(|request| request.idempotency_key())
            .collect()
    })
}

/// `products` replace the copies of theirs in `primed`; the others stand
/// (no request wrote them since they were read back).
fn primed_with(primed: &mut Vec<Product>, products: Vec<Product>) {
    for product in products {
        match primed.iter_mut().find(|seen| seen.sku == product.sku) {
            Some(seen) => *seen = product,
            None => primed.push(product),
        }
    }
}

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
    pub(super) async fn write_together<T, E, W>(
        &self,
        works: Vec<(W, Option<IdempotencyKey>)>,
        writes: Writes,
    ) -> Vec<Result<T, E>>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
        W: Work<T, E>,
    {
        let (requests, answers): (Vec<_>, Vec<_>) = works
            .into_iter()
            .map(|(work, key)| self.request(work, writes, key))
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
                    super::outbox::read_endpoints(tx).await?;
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
