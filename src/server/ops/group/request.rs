//! One request of a group commit, whatever its answer's type: its work,
//! what its run gave, and its reply.

use super::super::Done;
use crate::server::domain::{IdempotencyKey, Product};
use crate::server::store::{BoxFuture, FailureKind, MayBeStoreFailure, StoreFailure, Tx, Work};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// How a request of a group writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::server::ops) enum Writes {
    /// Every row at once.
    AtOnce,
    /// A placement: its product and demand writes may be held back and
    /// written once for the group's placements (`held_back.rs`), and it
    /// refuses (an error not the store's) only before it writes anything,
    /// so it needs no savepoint of its own.
    MayHoldBack,
}

/// Runs of a request that keeps losing races, at most.
const ATTEMPTS: u32 = 5;

/// One request of a group, whatever its answer's type.
pub(super) trait Grouped: Send + Sync {
    /// Runs it in the group's transaction; `true`: keep what it wrote.
    fn run<'t>(&'t self, tx: &'t mut dyn Tx) -> BoxFuture<'t, bool>;
    fn writes(&self) -> Writes;
    /// Its idempotency key, if it is a placement that has one.
    fn idempotency_key(&self) -> Option<IdempotencyKey>;
    /// The products its run left, as it read them back (none if refused).
    fn products(&self) -> Vec<Product>;
    /// It failed in the store (a fault, a lost race): it may have written.
    fn failed_in_store(&self) -> bool;
    /// It lost a race and may run again.
    fn runs_again(&self) -> bool;
    /// Its group committed: what it leaves for the feed and the delivery worker.
    fn take_published(&self) -> (Vec<Product>, u64);
    /// Its group committed: its answer.
    fn answer(&self);
    /// Its group's transaction failed.
    fn fail(&self, failure: &StoreFailure);
}

pub(super) struct Request<T, E, W> {
    work: W,
    writes: Writes,
    /// A placement's idempotency key, looked up with the group's (`store::keys`).
    key: Option<IdempotencyKey>,
    outcome: Mutex<Option<Result<Done<T>, E>>>,
    reply: Mutex<Option<oneshot::Sender<Result<T, E>>>>,
    runs: AtomicU32,
}

impl<T, E, W> Request<T, E, W> {
    pub(super) fn new(
        work: W,
        writes: Writes,
        key: Option<IdempotencyKey>,
        reply: oneshot::Sender<Result<T, E>>,
    ) -> Self {
        Request {
            work,
            writes,
            key,
            outcome: Mutex::new(None),
            reply: Mutex::new(Some(reply)),
            runs: AtomicU32::new(0),
        }
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T, E, W> Grouped for Request<T, E, W>
where
    T: Send + 'static,
    E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    W: Work<Done<T>, E>,
{
    fn run<'t>(&'t self, tx: &'t mut dyn Tx) -> BoxFuture<'t, bool> {
        Box::pin(async move {
            self.runs.fetch_add(1, Ordering::Relaxed);
            let outcome = (self.work)(tx).await;
            let keep = outcome.is_ok();
            *locked(&self.outcome) = Some(outcome);
            keep
        })
    }

    fn writes(&self) -> Writes {
        self.writes
    }

    fn idempotency_key(&self) -> Option<IdempotencyKey> {
        self.key.clone()
    }

    fn products(&self) -> Vec<Product> {
        match locked(&self.outcome).as_ref() {
            Some(Ok(done)) => done.products.clone(),
            _ => Vec::new(),
        }
    }

    fn failed_in_store(&self) -> bool {
        locked(&self.outcome)
            .as_ref()
            .and_then(|outcome| outcome.as_ref().err())
            .is_some_and(|error| error.store_failure().is_some())
    }

    fn runs_again(&self) -> bool {
        let lost_race = locked(&self.outcome)
            .as_ref()
            .and_then(|outcome| outcome.as_ref().err())
            .and_then(MayBeStoreFailure::store_failure)
            .is_some_and(|failure| failure.kind == FailureKind::Retry);
        lost_race && self.runs.load(Ordering::Relaxed) < ATTEMPTS
    }

    fn take_published(&self) -> (Vec<Product>, u64) {
        match locked(&self.outcome).as_mut() {
            Some(Ok(done)) => (std::mem::take(&mut done.products), done.deliveries),
            _ => (Vec::new(), 0),
        }
    }

    fn answer(&self) {
        let answer = match locked(&self.outcome).take() {
            Some(Ok(done)) => Ok(done.value),
            Some(Err(error)) => Err(error),
            None => Err(E::from(StoreFailure::fault(anyhow::anyhow!(
                "a request of a group commit did not run"
            )))),
        };
        if let Some(reply) = locked(&self.reply).take() {
            // The client may be gone: its write stands all the same.
            let _ = reply.send(answer);
        }
    }

    fn fail(&self, failure: &StoreFailure) {
        if let Some(reply) = locked(&self.reply).take() {
            let _ = reply.send(Err(E::from(StoreFailure {
                kind: failure.kind,
                error: anyhow::anyhow!("{failure}"),
            })));
        }
    }
}
