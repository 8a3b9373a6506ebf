//! The lanes requests queue in for a group commit, and the group's bound.

use super::request::Grouped;
use crate::server::domain::Sku;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

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

impl Lane {
    /// Requests in one of its transactions, at most: each waits for the
    /// whole group. SQLite's writer runs its groups back to back: 128 gave
    /// more reservations per flush than 64 in a drop of 256 clients (×1.13
    /// over seven paired runs, BENCHMARKS.md §13, sixth round), and the
    /// requests beyond wait ready for the next. On PostgreSQL a
    /// product's group spends most of a drop waiting for the row's lock,
    /// which the other servers' groups take in turn: a turn should carry
    /// everyone its server has waiting (with 64, a quarter of three
    /// servers' 85 clients each waited for a second turn); 256 made one
    /// server's p99 worse than 128 does (BENCHMARKS.md §13).
    pub(super) fn max_group(&self) -> usize {
        match self {
            Lane::Writer | Lane::Product(_) => 128,
            Lane::Elsewhere => 64,
        }
    }
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
