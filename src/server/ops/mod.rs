//! Operations: what the server does, each in one transaction, and
//! everything that follows a commit.
//!
//! [`Shop`] is the one way in for the routes, the CLI and the webhook worker.
//! An operation reads rows through the store's traits, asks the logic
//! module, writes what it decided, and notes the products it touched. Before
//! the commit, [`Shop::write`] reads those products back, writes the events
//! their change calls for into the outbox (`outbox.rs`) (each write of a
//! product announces it to the other servers: the store sees to that); after
//! it, publishes them to the feed (the live
//! streams and the availability snapshot) and wakes the delivery worker.
//!
//! May not touch: SQL, HTTP.

mod audit;
mod delays;
mod demand;
mod group;
mod held_back;
mod insight;
mod mail;
mod outbox;
mod placing;
mod products;
mod reservations;
mod subscriptions;
mod suppliers;
mod webhooks;

pub use audit::AuditLog;
pub use insight::{ProductInsight, window_start};
pub use mail::KeptMail;
pub use placing::{GroupedAnswer, GroupedWrite, Placed};
pub use products::BulkOutcome;
pub use webhooks::EndpointError;

use crate::logic::InventoryError;
use crate::server::clock::Clock;
use crate::server::feed::Feed;
use crate::server::store::{
    Committed, Connections, Database, MayBeStoreFailure, Store, StoreFailure, Work, as_work,
};
use std::sync::Arc;

/// Why an operation was refused; nothing was changed.
#[derive(Debug)]
pub enum OperationError {
    UnknownProduct,
    Inventory(InventoryError),
    IdempotencyKeyReused,
    /// The e-mail address would hold more than the product's
    /// `max_per_customer` units on backorder; `allowed` more are possible.
    CustomerLimit {
        allowed: u32,
    },
    /// A subscription to "email me when it's back" for a product that ships now.
    InStock,
    /// The product has as many subscribers as it may.
    TooManySubscriptions,
    /// These products name a supplier that does not exist.
    UnknownSupplier {
        skus: Vec<crate::server::domain::Sku>,
    },
    /// A receipt names a purchase order the product does not have open.
    UnknownPurchaseOrder,
    /// A sale of more units than the product has in stock (`stock` it has).
    InsufficientStock {
        stock: u32,
    },
    /// These items of a batch are bad (every one of them); nothing was written.
    InvalidItems(Vec<crate::server::domain::catalog::ItemError>),
    Store(StoreFailure),
}

impl From<StoreFailure> for OperationError {
    fn from(failure: StoreFailure) -> OperationError {
        OperationError::Store(failure)
    }
}

impl MayBeStoreFailure for OperationError {
    fn store_failure(&self) -> Option<&StoreFailure> {
        match self {
            OperationError::Store(failure) => Some(failure),
            _ => None,
        }
    }
}

/// Is the database there? (`/healthz`)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseState {
    Reachable,
    Unreachable,
}

/// The shop's operations over its store, with the feed of what was
/// committed and the clock they run by.
#[derive(Clone)]
pub struct Shop {
    store: Store,
    feed: Feed,
    clock: Arc<dyn Clock>,
    /// Told when a commit made webhook deliveries: the worker sends them at once.
    deliveries_made: Arc<tokio::sync::Notify>,
    /// The one-click cancel links delay notices carry (`use_public_url`).
    links: Arc<std::sync::RwLock<Option<crate::server::domain::CancelLinks>>>,
    /// Operations write mails to shoppers (`send_mail`).
    mail: Arc<std::sync::atomic::AtomicBool>,
    /// Whom the writes are made for: each admin write then writes its line
    /// of the audit log (`acting_for`).
    actor: Option<Arc<crate::server::domain::Actor>>,
    /// The group commit's requests waiting in each busy lane (`group.rs`).
    lanes: Arc<group::Lanes>,
}

impl Shop {
    /// The feed trusts its snapshot only while it follows the database: at
    /// once for the embedded store (this process is its writer), from
    /// [`Shop::follow`] on for PostgreSQL (other servers write too).
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Shop {
        let feed = Feed::new(store.run_id().to_owned());
        if !store.is_embedded() {
            feed.unfollow();
        }
        Shop {
            store,
            feed,
            clock,
            deliveries_made: Arc::default(),
            links: Arc::default(),
            mail: Arc::default(),
            actor: None,
            lanes: Arc::default(),
        }
    }

    /// Opens the database (see [`Store::connect`]).
    pub async fn connect(
        database: &Database,
        connections: Connections,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Shop> {
        Ok(Shop::new(
            Store::connect(database, connections).await?,
            clock,
        ))
    }

    /// Starts the feed following what other writers commit; the task does
    /// so until aborted (the application holds it while it serves).
    pub async fn follow(&self) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        self.store.follow(Arc::new(self.feed.clone())).await
    }

    /// The committed changes and the snapshot they keep.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Notified after a commit that made webhook deliveries.
    pub fn deliveries_made(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.deliveries_made)
    }

    /// SQLite is a file beside the server: reachable while the server runs.
    /// PostgreSQL is reachable while the feed follows it.
    pub fn database_state(&self) -> DatabaseState {
        if self.store.is_embedded() || self.feed.is_following() {
            DatabaseState::Reachable
        } else {
            DatabaseState::Unreachable
        }
    }

    /// Runs `work` in one write transaction: committed when it returns `Ok`,
    /// rolled back (nothing changes) when it returns `Err`, with everything
    /// that follows it in the transaction ([`Shop::with_what_follows`]),
    /// published to this server's feed after the commit.
    pub async fn write<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        // Taken before the transaction: if the snapshot is dropped meanwhile,
        // what this write read back may be older than what follows.
        let generation = self.feed.generation();
        let work = self.with_what_follows(work);
        let shop = self.clone();
        // A task of its own: a request dropped mid-write (its timeout, a
        // client gone) must not stop a commit from reaching the feed.
        let committed = tokio::spawn(async move {
            let done = shop.store.write(work).await?;
            shop.published(done.products, done.deliveries, generation);
            Ok(done.value)
        });
        match committed.await {
            Ok(result) => result,
            Err(failed) => Err(E::from(StoreFailure::fault(anyhow::anyhow!(
                "the write task failed: {failed}"
            )))),
        }
    }

    /// `work`, and what follows it in its transaction: the products it
    /// touched are read back, what that changed is written to the webhook
    /// outbox (back in stock, low stock, the subscribers to tell, the
    /// reservations that now ship later than their shoppers were told, a
    /// position at its reorder point). A shop acting for someone writes what the work
    /// noted to the audit log. Runs alone ([`Shop::write`]) or as one request
    /// of a group commit (`group.rs`).
    fn with_what_follows<T, E>(&self, work: impl Work<T, E>) -> impl Work<Done<T>, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        let now_ms = self.clock.unix_millis();
        let today = self.clock.today();
        let links = Arc::new(self.cancel_links());
        let mail = self.sends_mail();
        let work = Arc::new(work);
        let actor = self.actor.clone();
        let committed = Committed::kept_by(Arc::new(self.feed.clone()));
        as_work(move |tx| {
            let work = Arc::clone(&work);
            let links = Arc::clone(&links);
            let actor = actor.clone();
            let committed = committed.clone();
            Box::pin(async move {
                tx.notes().now_ms = now_ms;
                tx.notes().mail = mail;
                tx.notes().links = links.as_ref().clone();
                tx.notes().committed = committed;
                let value = work(&mut *tx).await?;
                if let Some(actor) = &actor {
                    audit::record(&mut *tx, actor, now_ms).await?;
                }
                let touched = tx.notes().touched.clone();
                let mut products = Vec::with_capacity(touched.len());
                for change in &touched {
                    products.extend(read_back(&mut *tx, &change.sku).await?);
                }
                outbox::report_product_changes(&mut *tx, &touched, &products).await?;
                // Ship dates this write moved later: the shoppers are told.
                delays::check_touched(&mut *tx, &products, today, links.as_ref().as_ref()).await?;
                // Positions this write took to their reorder point: purchasing is told.
                insight::check_touched(&mut *tx, &mut products, today).await?;
                let deliveries = tx.notes().deliveries;
                Ok::<_, E>(Done {
                    value,
                    products,
                    deliveries,
                })
            })
        })
    }

    /// After a commit: its products to the feed, its deliveries to the worker.
    fn published(
        &self,
        products: Vec<crate::server::domain::Product>,
        deliveries: u64,
        generation: u64,
    ) {
        self.feed.publish(products, generation);
        if deliveries > 0 {
            self.deliveries_made.notify_one();
        }
    }

    /// What a server does at start and at each day change: the delay check
    /// over every product with a queue, and forgetting the audit log's lines
    /// older than 90 days.
    pub async fn daily(&self) -> Result<(), StoreFailure> {
        self.check_delays().await?;
        self.forget_old_audit().await?;
        Ok(())
    }

    /// Runs `work` in one read-only transaction (one consistent snapshot).
    pub async fn read<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        self.store.read(work).await
    }
}

/// A product the operation wrote, as it left it: the copy it noted, else read.
async fn read_back(
    tx: &mut dyn crate::server::store::Tx,
    sku: &crate::server::domain::Sku,
) -> Result<Option<crate::server::domain::Product>, StoreFailure> {
    let notes = tx.notes();
    let Some(at) = notes.left.iter().position(|product| product.sku == *sku) else {
        return tx.product(sku).await;
    };
    let left = notes.left.swap_remove(at);
    // Held back, the row is written (and checked) at the group's end.
    if cfg!(debug_assertions) && !held_back::holds(notes, sku) {
        let stored = tx.product(sku).await?;
        assert_eq!(
            stored.as_ref(),
            Some(&left),
            "a placement's copy of its product"
        );
    }
    Ok(Some(left))
}

/// What a write's transaction gave: its value, the products it left (for
/// the feed) and the webhook deliveries it made.
struct Done<T> {
    value: T,
    products: Vec<crate::server::domain::Product>,
    deliveries: u64,
}

/// A new reference (`rsv_…`, `sub_…`, `ep_…`, `msg_…`), or a store fault.
fn reference(prefix: &str) -> Result<String, StoreFailure> {
    issued(crate::server::domain::new_reference(prefix))
}

/// A new reference of a domain type: `issued(ReservationId::issue())`.
fn issued<T>(issue: Result<T, getrandom::Error>) -> Result<T, StoreFailure> {
    issue.map_err(|error| StoreFailure::fault(anyhow::anyhow!("no randomness: {error}")))
}

#[cfg(test)]
mod tests;
