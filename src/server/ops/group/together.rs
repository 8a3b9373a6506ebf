//! One group's transaction: its requests one after the other, each kept or
//! undone on its own, and what they hand the next (primed products, held
//! writes, idempotency keys already looked up).

use super::members::Members;
use super::request::{Grouped, Writes};
use crate::server::domain::{Product, Sku};
use crate::server::ops::held_back;
use crate::server::store::{
    HeldBack, KeysAhead, MayBeStoreFailure, MayHold, StoreFailure, Tx, TxNotes,
};
use std::sync::Arc;

/// Why a group's transaction was rolled back.
pub(super) enum GroupFailure {
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
pub(super) enum Guard {
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
pub(super) async fn run_together(
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
        // Company: those waiting in the lane, and those already joined (its
        // idempotency key's lookup takes them in to ask for theirs too).
        MayHold::IfCompany(Arc::new(move || {
            members.waiting_to_join() + (members.len() as u32).saturating_sub(1)
        }))
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
