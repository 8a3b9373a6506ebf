//! The change feed: every committed write that can change availability, in
//! commit order, and the products as they are after it.
//!
//! The store publishes here right after a commit, while it still holds the
//! writer, so the feed's order is the commit order and nothing is published
//! for a write that rolled back. The feed keeps the snapshot the availability
//! answers are computed from (filled on first read, replaced on every
//! publish, never expired or guessed) and tells the open event streams which
//! SKUs changed. No SQL and no HTTP here.

use crate::server::store::Product;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, watch};

/// How many recent changes a reconnecting stream can catch up from.
const RECENT_CHANGES: usize = 4096;
/// Changes a slow stream may fall behind before it re-reads everything.
const CHANNEL_CAPACITY: usize = 1024;

/// What one committed change touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changed {
    /// This product's settings, stock or queue.
    Product(String),
    /// The date: every `ships_in_days` may have moved.
    Day,
}

/// One entry of the feed: its position and what changed.
#[derive(Clone, Debug)]
pub struct Change {
    pub seq: u64,
    pub changed: Changed,
}

/// Where a client left off, as the `id` of the last event it saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// Which run of the server counted `seq`: positions from another run say nothing.
    pub run: String,
    pub seq: u64,
}

impl Position {
    pub fn parse(text: &str) -> Option<Position> {
        let (run, seq) = text.split_once('.')?;
        Some(Position {
            run: run.to_owned(),
            seq: seq.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.run, self.seq)
    }
}

/// What a reconnecting client must be sent again.
#[derive(Debug, PartialEq, Eq)]
pub enum CatchUp {
    /// These SKUs changed since its position (perhaps none).
    Skus(HashSet<String>),
    /// Everything: its position is from another run, too old, or a day passed.
    Everything,
}

#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    run: String,
    state: RwLock<State>,
    sender: broadcast::Sender<Change>,
    closing: watch::Sender<bool>,
}

struct State {
    seq: u64,
    products: HashMap<String, Arc<Product>>,
    recent: VecDeque<Change>,
}

impl Feed {
    pub fn new(run: String) -> Feed {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (closing, _) = watch::channel(false);
        Feed {
            inner: Arc::new(Inner {
                run,
                state: RwLock::new(State {
                    seq: 0,
                    products: HashMap::new(),
                    recent: VecDeque::with_capacity(RECENT_CHANGES),
                }),
                sender,
                closing,
            }),
        }
    }

    // The state is replaced field by field under the lock; a panic cannot
    // leave it half-written, so a poisoned lock is still good.
    fn state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Readers (every availability answer) do not wait for each other.
    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner
            .state
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The snapshot of `sku`, if read or written since the server started.
    pub fn product(&self, sku: &str) -> Option<Arc<Product>> {
        self.read_state().products.get(sku).cloned()
    }

    /// Keeps a product read from the database, unless a write has put a
    /// newer one in meanwhile (writers always replace; readers only fill).
    pub fn fill(&self, product: Product) -> Arc<Product> {
        let mut state = self.state();
        state
            .products
            .entry(product.sku.clone())
            .or_insert_with(|| Arc::new(product))
            .clone()
    }

    /// A committed write: replaces the snapshots and tells the streams.
    /// The store calls it after the commit, while it still holds the writer.
    pub fn publish(&self, products: Vec<Product>) {
        let mut state = self.state();
        for product in products {
            let sku = product.sku.clone();
            state.products.insert(sku.clone(), Arc::new(product));
            self.append(&mut state, Changed::Product(sku));
        }
    }

    /// The date changed: every stream re-checks every SKU.
    pub fn publish_day(&self) {
        let mut state = self.state();
        self.append(&mut state, Changed::Day);
    }

    fn append(&self, state: &mut State, changed: Changed) {
        state.seq += 1;
        let change = Change {
            seq: state.seq,
            changed,
        };
        if state.recent.len() == RECENT_CHANGES {
            state.recent.pop_front();
        }
        state.recent.push_back(change.clone());
        // No stream open is fine: nobody to tell.
        let _ = self.inner.sender.send(change);
    }

    /// The feed's current position (the last change published).
    pub fn position(&self) -> Position {
        Position {
            run: self.inner.run.clone(),
            seq: self.read_state().seq,
        }
    }

    /// Changes from now on, and the position they start after. Subscribe
    /// before reading the current state, so nothing falls in between.
    pub fn subscribe(&self) -> (broadcast::Receiver<Change>, Position) {
        // Publishing takes the write lock: no change slips between the two.
        let state = self.read_state();
        let receiver = self.inner.sender.subscribe();
        (
            receiver,
            Position {
                run: self.inner.run.clone(),
                seq: state.seq,
            },
        )
    }

    /// What changed since `since`, for a client resuming from it.
    pub fn since(&self, since: &Position) -> CatchUp {
        let state = self.read_state();
        if since.run != self.inner.run || since.seq > state.seq {
            return CatchUp::Everything;
        }
        // The oldest change kept must directly follow `since`, or some are lost.
        let oldest_kept = state.recent.front().map_or(state.seq + 1, |c| c.seq);
        if since.seq + 1 < oldest_kept {
            return CatchUp::Everything;
        }
        let mut skus = HashSet::new();
        for change in state.recent.iter().filter(|c| c.seq > since.seq) {
            match &change.changed {
                Changed::Product(sku) => {
                    skus.insert(sku.clone());
                }
                Changed::Day => return CatchUp::Everything,
            }
        }
        CatchUp::Skus(skus)
    }

    /// Tells every stream to end (the server is shutting down).
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Becomes `true` when the server shuts down.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::{BackorderPolicy, Inventory};

    fn product(sku: &str, stock: u32) -> Product {
        Product {
            sku: sku.into(),
            name: sku.into(),
            inventory: Inventory {
                stock,
                safety_stock: 0,
                low_stock_threshold: 0,
                backorders: BackorderPolicy::Deny,
                backorder_limit: None,
                lead_time_days: 0,
                incoming: Vec::new(),
                queue: Vec::new(),
            },
            max_per_customer: None,
        }
    }

    #[test]
    fn a_read_never_replaces_what_a_write_published() {
        let feed = Feed::new("r".into());
        feed.publish(vec![product("A", 3)]);
        let kept = feed.fill(product("A", 9));
        assert_eq!(kept.inventory.stock, 3);
        assert_eq!(feed.product("A").unwrap().inventory.stock, 3);
        // A first read fills.
        assert_eq!(feed.fill(product("B", 5)).inventory.stock, 5);
    }

    #[test]
    fn a_resuming_client_gets_what_changed_since_its_position() {
        let feed = Feed::new("r".into());
        feed.publish(vec![product("A", 1)]);
        let after_a = feed.position();
        feed.publish(vec![product("B", 1)]);
        feed.publish(vec![product("C", 1)]);
        let expected: HashSet<String> = ["B".to_string(), "C".to_string()].into();
        assert_eq!(feed.since(&after_a), CatchUp::Skus(expected));
        assert_eq!(feed.since(&feed.position()), CatchUp::Skus(HashSet::new()));
        // Another run, a position from the future, or a day in between: everything.
        let other_run = Position {
            run: "other".into(),
            seq: 1,
        };
        assert_eq!(feed.since(&other_run), CatchUp::Everything);
        let future = Position {
            run: "r".into(),
            seq: 99,
        };
        assert_eq!(feed.since(&future), CatchUp::Everything);
        feed.publish_day();
        assert_eq!(feed.since(&after_a), CatchUp::Everything);
    }

    #[test]
    fn a_position_older_than_what_is_kept_gets_everything() {
        let feed = Feed::new("r".into());
        let start = feed.position();
        for _ in 0..RECENT_CHANGES + 1 {
            feed.publish(vec![product("A", 1)]);
        }
        assert_eq!(feed.since(&start), CatchUp::Everything);
        let recent = Position {
            run: "r".into(),
            seq: feed.position().seq - 10,
        };
        assert_eq!(feed.since(&recent), CatchUp::Skus(["A".to_string()].into()));
    }

    #[test]
    fn positions_print_and_parse() {
        let position = Position {
            run: "k3x".into(),
            seq: 42,
        };
        assert_eq!(Position::parse(&position.to_string()), Some(position));
        assert_eq!(Position::parse("garbage"), None);
        assert_eq!(Position::parse("a.b"), None);
    }
}
