//! The lanes requests queue in for a group commit, and the group's bound.

use super::request::Grouped;
use crate::server::domain::Sku;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// Requests in one transaction, at most: each waits for the whole group.
pub(super) const MAX_GROUP: usize = 64;

/// Which requests may share a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(in crate::server::ops) enum Lane {
    /// SQLite: the one writer.
    Writer,
    /// PostgreSQL: one product's requests.
    Product(Sku),
    /// PostgreSQL: the requests for no product (the delivery worker's).
    Elsewhere,
}

/// The requests waiting in each busy lane. A lane is listed while a task
/// runs its groups, and only then.
#[derive(Default)]
pub(in crate::server::ops) struct Lanes {
    waiting: Mutex<HashMap<Lane, VecDeque<Arc<dyn Grouped>>>>,
}

impl Lanes {
    pub(super) fn waiting(&self) -> MutexGuard<'_, HashMap<Lane, VecDeque<Arc<dyn Grouped>>>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
