//! The requests of one group: those it started with, and those that join
//! while it runs. A request that reaches its lane while the lane's
//! transaction is still deciding joins that transaction instead of waiting
//! for the next: nothing waits for company, but company that came is
//! taken. On PostgreSQL a group spends most of a drop waiting for the
//! product's lock, which the other servers' groups hold; whoever arrived
//! meanwhile is decided and committed with it.

use super::lanes::{Lane, Lanes};
use super::request::Grouped;
use std::sync::{Arc, Mutex, MutexGuard};

pub(super) struct Members {
    requests: Mutex<Vec<Arc<dyn Grouped>>>,
    /// Where joiners come from; none: the group is fixed (a test's).
    lane: Option<(Arc<Lanes>, Lane)>,
}

impl Members {
    pub(super) fn new(requests: Vec<Arc<dyn Grouped>>, lane: Option<(Arc<Lanes>, Lane)>) -> Self {
        Members {
            requests: Mutex::new(requests),
            lane,
        }
    }

    fn requests(&self) -> MutexGuard<'_, Vec<Arc<dyn Grouped>>> {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The request at `at`: past the last, those waiting in the lane join
    /// first (up to the lane's `max_group` in all).
    pub(super) fn get(&self, at: usize) -> Option<Arc<dyn Grouped>> {
        let mut requests = self.requests();
        if at >= requests.len()
            && let Some((lanes, lane)) = &self.lane
            && requests.len() < lane.max_group()
            && let Some(queue) = lanes.waiting().get_mut(lane)
        {
            let joining = queue.len().min(lane.max_group() - requests.len());
            requests.extend(queue.drain(..joining));
        }
        requests.get(at).cloned()
    }

    /// Requests that come to the lane join this group.
    pub(super) fn takes_company(&self) -> bool {
        self.lane.is_some()
    }

    /// How many wait in the lane that would join this group now.
    pub(super) fn waiting_to_join(&self) -> u32 {
        let Some((lanes, lane)) = &self.lane else {
            return 0;
        };
        let waiting = lanes.waiting().get(lane).map_or(0, |queue| queue.len());
        let room = lane.max_group().saturating_sub(self.len());
        waiting.min(room) as u32
    }

    /// How many there are now.
    pub(super) fn len(&self) -> usize {
        self.requests().len()
    }

    /// Every member, in order.
    pub(super) fn all(&self) -> Vec<Arc<dyn Grouped>> {
        self.requests().clone()
    }
}
