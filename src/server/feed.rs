//! The change feed: every committed write that can change availability, in
//! commit order, and the products as they are after it.
//!
//! The store publishes here right after a commit (and, with PostgreSQL, when
//! another server's commit is heard), so nothing is published for a write
//! that rolled back. The feed keeps the snapshot the availability answers
//! are computed from (filled on first read, replaced by newer versions of a
//! product, never expired or guessed) and tells the open event streams which
//! SKUs changed. While it is not following the database (PostgreSQL's change
//! notices are cut off) it keeps no snapshot at all: every read goes to the
//! database. No SQL and no HTTP here.

use crate::server::domain::Product;
use crate::server::store::ChangeSink;
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
    /// Anything: the date moved (every `ships_in_days` may have), or the
    /// feed was cut off from the database for a while.
    Everything,
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
    /// Everything: its position is from another run, too old, or everything changed since.
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
    /// The snapshot may be trusted: every committed change reaches the feed.
    following: bool,
    /// Counts the times the snapshot was dropped; a read from an earlier
    /// generation may be stale and is not kept.
    generation: u64,
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
                    following: true,
                    generation: 0,
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

    /// Names this run of the server (in event ids and change notices).
    pub fn run(&self) -> &str {
        &self.inner.run
    }

    /// The snapshot of `sku`, if read or written since the server started
    /// and the feed has followed the database since.
    pub fn product(&self, sku: &str) -> Option<Arc<Product>> {
        self.read_state().products.get(sku).cloned()
    }

    /// Take this before reading a product from the database, to [`fill`](Feed::fill) with.
    pub fn generation(&self) -> u64 {
        self.read_state().generation
    }

    /// Keeps a product read from the database, unless a newer copy is there
    /// already, or the snapshot was dropped since the read began
    /// (`generation`), or the feed is not following the database.
    pub fn fill(&self, product: Product, generation: u64) -> Arc<Product> {
        let mut state = self.state();
        let product = Arc::new(product);
        if !state.following || state.generation != generation {
            return product;
        }
        match state.products.get(product.sku.as_str()) {
            Some(kept) if kept.version >= product.version => kept.clone(),
            _ => {
                state
                    .products
                    .insert(product.sku.to_string(), product.clone());
                product
            }
        }
    }

    /// Committed writes: replaces the snapshots (unless a newer copy is
    /// there already, or the snapshot was dropped since `generation` was
    /// taken — before the write began, or before the read of another
    /// server's change) and tells the streams.
    pub fn publish(&self, products: Vec<Product>, generation: u64) {
        let mut state = self.state();
        let keep = state.following && state.generation == generation;
        for product in products {
            let sku = product.sku.to_string();
            if let Some(kept) = state.products.get(&sku)
                && kept.version > product.version
            {
                // A later write was published first and told the streams.
                continue;
            }
            if keep {
                state.products.insert(sku.clone(), Arc::new(product));
            }
            self.append(&mut state, Changed::Product(sku));
        }
    }

    /// The date changed: every stream re-checks every SKU.
    pub fn publish_day(&self) {
        let mut state = self.state();
        self.append(&mut state, Changed::Everything);
    }

    /// Every change reaches the feed from now on: start a new snapshot, and
    /// have every stream re-check everything (changes may have been missed).
    pub fn follow(&self) {
        let mut state = self.state();
        state.products.clear();
        state.generation += 1;
        state.following = true;
        self.append(&mut state, Changed::Everything);
    }

    /// Changes may be missed from now on: drop the snapshot; reads go to the
    /// database until [`follow`](Feed::follow).
    pub fn unfollow(&self) {
        let mut state = self.state();
        state.products.clear();
        state.generation += 1;
        state.following = false;
    }

    pub fn is_following(&self) -> bool {
        self.read_state().following
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
                Changed::Everything => return CatchUp::Everything,
            }
        }
        CatchUp::Skus(skus)
    }

    /// Streams may run again: an application serves (again) on this shop.
    pub fn open(&self) {
        self.inner.closing.send_replace(false);
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

/// The store tells the feed what other writers committed.
impl ChangeSink for Feed {
    fn generation(&self) -> u64 {
        Feed::generation(self)
    }

    fn publish(&self, products: Vec<Product>, generation: u64) {
        Feed::publish(self, products, generation);
    }

    fn follow(&self) {
        Feed::follow(self);
    }

    fn unfollow(&self) {
        Feed::unfollow(self);
    }

    fn committed(&self, sku: &crate::server::domain::Sku) -> Option<Arc<Product>> {
        self.product(sku.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::{BackorderPolicy, Inventory};

    fn product(sku: &str, stock: u32) -> Product {
        versioned(sku, stock, 1)
    }

    fn versioned(sku: &str, stock: u32, version: u64) -> Product {
        Product {
            version,
            queue_epoch: 0,
            supplier: None,
            lead_time_days: 0,
            orders: Vec::new(),
            sku: crate::server::domain::Sku::parse(sku).unwrap(),
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
                lateness: crate::logic::Lateness::UNKNOWN,
                stated_supply: None,
            },
            max_per_customer: None,
            reorder: Default::default(),
            service_level: crate::server::domain::ServiceLevel::DEFAULT,
        }
    }

    #[test]
    fn an_older_copy_never_replaces_a_newer_one() {
        let feed = Feed::new("r".into());
        feed.publish(vec![versioned("A", 3, 2)], feed.generation());
        let kept = feed.fill(versioned("A", 9, 1), feed.generation());
        assert_eq!(kept.inventory.stock, 3);
        assert_eq!(feed.product("A").unwrap().inventory.stock, 3);
        // A first read fills; a newer read replaces.
        assert_eq!(
            feed.fill(product("B", 5), feed.generation())
                .inventory
                .stock,
            5
        );
        feed.fill(versioned("B", 4, 2), feed.generation());
        assert_eq!(feed.product("B").unwrap().inventory.stock, 4);
        // Two writes published out of order: the later write's copy stays,
        // and the late one tells no stream.
        let (mut changes, _) = feed.subscribe();
        feed.publish(vec![versioned("A", 1, 4)], feed.generation());
        feed.publish(vec![versioned("A", 2, 3)], feed.generation());
        assert_eq!(feed.product("A").unwrap().inventory.stock, 1);
        assert!(changes.try_recv().is_ok());
        assert!(changes.try_recv().is_err());
    }

    #[test]
    fn a_feed_cut_off_from_the_database_keeps_no_snapshot() {
        let feed = Feed::new("r".into());
        feed.publish(vec![product("A", 3)], feed.generation());
        let before = feed.generation();
        feed.unfollow();
        assert!(!feed.is_following());
        assert_eq!(feed.product("A"), None, "dropped with the feed");
        // Reads and writes meanwhile are not kept.
        feed.fill(product("B", 1), feed.generation());
        feed.publish(vec![versioned("A", 2, 2)], feed.generation());
        assert_eq!(feed.product("A"), None);
        assert_eq!(feed.product("B"), None);
        // Back: a read begun before the cut is not kept either, and every
        // stream is told to re-check everything.
        let (mut changes, _) = feed.subscribe();
        feed.follow();
        assert!(feed.is_following());
        assert_eq!(changes.try_recv().unwrap().changed, Changed::Everything);
        feed.fill(product("C", 1), before);
        assert_eq!(feed.product("C"), None);
        // Nor is a write that began before the cut, published after it.
        feed.publish(vec![product("D", 1)], before);
        assert_eq!(feed.product("D"), None);
        feed.fill(product("C", 1), feed.generation());
        assert!(feed.product("C").is_some());
    }

    #[test]
    fn a_resuming_client_gets_what_changed_since_its_position() {
        let feed = Feed::new("r".into());
        feed.publish(vec![product("A", 1)], feed.generation());
        let after_a = feed.position();
        feed.publish(vec![product("B", 1)], feed.generation());
        feed.publish(vec![product("C", 1)], feed.generation());
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
            feed.publish(vec![product("A", 1)], feed.generation());
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
