//! Persistence: the only module that speaks SQL.
//!
//! Two stores with one contract. SQLite (`sqlite.rs`) is the embedded
//! default: one writer connection behind a mutex, so every write holds the
//! whole database. PostgreSQL (`postgres.rs`) serves several servers: every
//! write locks the rows of the products it decides on (`SELECT … FOR
//! UPDATE`). Each operation (`operations.rs`, `reservations.rs`) is written
//! once against [`Tx`], the handful of row reads and writes both stores
//! implement; the logic module decides every change.
//!
//! After a commit the products the write changed go to the [`Feed`], whose
//! snapshot answers product reads without SQL. On PostgreSQL the commit also
//! notifies the other servers, whose feeds reload those products.

use crate::logic::{BackorderPolicy, Fill, Inventory, PurchaseOrder};
use crate::server::feed::Feed;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

/// A transaction's work in progress: boxed, so a `dyn Tx` can run it.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

mod operations;
mod outbox;
mod postgres;
mod reservations;
mod sqlite;
mod subscriptions;
mod webhooks;

pub use operations::BulkOutcome;
pub use reservations::{
    CancelOutcome, NewReservation, OperationError, QueuedReservation, ReceiptOutcome,
    ReservationRecord, ReservationState,
};
pub use subscriptions::{Subscribed, Subscription};
pub use webhooks::{
    Attempt, AttemptOutcome, Claim, Due, Endpoint, EndpointError, EndpointState, Finished,
    OutboxEvent,
};

/// Where the data lives: `--db` / `STOCK_WIDGET_DB`.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A `postgres://user:pass@host:port/dbname` URL.
    Postgres(String),
}

impl Database {
    /// A URL starting `postgres://` or `postgresql://` is PostgreSQL; anything else a file path.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres(text.to_owned())
        } else {
            Database::Sqlite(PathBuf::from(text))
        }
    }
}

impl std::str::FromStr for Database {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Database, Self::Err> {
        Ok(Database::parse(text))
    }
}

/// Never prints a PostgreSQL password (logs, `--help`, panics).
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Database::Postgres(url) => {
                let without_password = match (url.find("://"), url.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        let credentials = &url[scheme + 3..at];
                        match credentials.split_once(':') {
                            Some((user, _)) => {
                                format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
                            }
                            None => url.clone(),
                        }
                    }
                    _ => url.clone(),
                };
                f.write_str(&without_password)
            }
        }
    }
}

/// How the store connects (PostgreSQL only; SQLite has one writer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connections {
    /// Pooled connections per server.
    pub pool_size: u32,
    /// How long a request waits for a connection before it is answered 503:
    /// well inside the request timeout, so an outage fails fast.
    pub acquire_timeout: std::time::Duration,
    /// How long one transaction may take before it is abandoned (rolled
    /// back) and answered 503: a database that stopped answering without
    /// closing its connections must not hold requests until their timeout.
    pub transaction_timeout: std::time::Duration,
}

impl Default for Connections {
    fn default() -> Connections {
        Connections {
            pool_size: 10,
            acquire_timeout: std::time::Duration::from_secs(3),
            transaction_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// A product's settings as the merchant sets them (not its queue).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductSettings {
    pub name: String,
    pub stock: u32,
    pub safety_stock: u32,
    pub low_stock_threshold: u32,
    pub backorders: BackorderPolicy,
    pub backorder_limit: Option<u32>,
    pub lead_time_days: u32,
    pub incoming: Vec<PurchaseOrder>,
    /// Most units one e-mail address may hold on backorder; `None` = no cap.
    pub max_per_customer: Option<u32>,
}

/// A product with its current queue, ready for the logic module.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub inventory: Inventory,
    pub max_per_customer: Option<u32>,
    /// Counts the writes to this product: of two copies, the higher is newer.
    pub version: u64,
}

/// A reservation row as the placing operation writes it.
pub struct ReservationRow<'a> {
    pub id: &'a str,
    pub sku: &'a str,
    pub quantity: u32,
    pub from_stock: u32,
    pub email: &'a str,
    pub created_at: &'a str,
    pub idempotency_key: Option<&'a str>,
    /// What was asked, to spot a reused idempotency key.
    pub request: &'a str,
    /// The 201 body, replayed for the same key.
    pub response: &'a str,
}

/// A product a transaction wrote, with its inventory as the transaction
/// first found it (`None`: the write created it): what changed is reported
/// to webhooks from the two.
#[derive(Clone, Debug)]
pub struct Touched {
    pub sku: String,
    pub before: Option<Inventory>,
}

/// What a write transaction did besides its rows, for after the commit.
#[derive(Debug, Default)]
pub struct TxNotes {
    pub touched: Vec<Touched>,
    /// Webhook deliveries the transaction's events made.
    pub deliveries: u64,
    /// The event types each enabled endpoint takes (`None`: all), read once
    /// per transaction by the first event.
    pub endpoints: Option<Vec<Option<Vec<crate::server::webhooks::events::EventType>>>>,
}

/// Why the database failed; nothing the client did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// A fault: I/O, corruption, a bug. Answered 500.
    Fault,
    /// The database cannot be reached or is restarting. Answered 503 with
    /// `Retry-After`; the server recovers by itself when it is back.
    Unavailable,
    /// This transaction lost a race another one won (a deadlock, a
    /// serialization failure, a duplicate idempotency key): run it again.
    Retry,
}

#[derive(Debug)]
pub struct StoreFailure {
    pub kind: FailureKind,
    pub error: anyhow::Error,
}

impl StoreFailure {
    pub fn fault(error: impl Into<anyhow::Error>) -> StoreFailure {
        StoreFailure {
            kind: FailureKind::Fault,
            error: error.into(),
        }
    }
}

impl From<anyhow::Error> for StoreFailure {
    fn from(error: anyhow::Error) -> StoreFailure {
        StoreFailure::fault(error)
    }
}

impl From<StoreFailure> for anyhow::Error {
    fn from(failure: StoreFailure) -> anyhow::Error {
        failure.error
    }
}

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

/// Errors an operation returns, which may carry a store failure: the
/// transaction runner retries those of kind [`FailureKind::Retry`].
pub trait MayBeStoreFailure {
    fn store_failure(&self) -> Option<&StoreFailure>;
}

impl MayBeStoreFailure for StoreFailure {
    fn store_failure(&self) -> Option<&StoreFailure> {
        Some(self)
    }
}

/// The row reads and writes both stores implement, inside one transaction.
/// In a write transaction, reading a product locks its row until the end
/// (PostgreSQL: `FOR UPDATE`; SQLite: the writer already holds the database),
/// so what the logic decides from it cannot be raced.
#[async_trait::async_trait]
pub trait Tx: Send {
    /// The product with its backorder queue (the reservations with units
    /// still waiting, in `seq` order).
    async fn product(&mut self, sku: &str) -> Result<Option<Product>, StoreFailure>;
    /// Inserts the settings, replacing those of an existing product or
    /// (`CreateOnly`) leaving it alone; `false` when nothing was written. Use
    /// [`save_settings`] or [`create_product`], which record the change.
    async fn write_settings(
        &mut self,
        sku: &str,
        settings: &ProductSettings,
        mode: SettingsWrite,
    ) -> Result<bool, StoreFailure>;
    /// Writes stock and supply; use [`save_inventory`], which records the change.
    async fn write_inventory(
        &mut self,
        sku: &str,
        inventory: &Inventory,
    ) -> Result<(), StoreFailure>;
    async fn product_count(&mut self) -> Result<u64, StoreFailure>;
    /// The request fingerprint and response stored for an idempotency key.
    async fn placement_for_key(
        &mut self,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreFailure>;
    /// The e-mail address and units still waiting of each reservation of
    /// `sku` that waits (the caller compares addresses, the same way on
    /// both stores: SQL's `lower` differs between them).
    async fn waiting_by_email(&mut self, sku: &str) -> Result<Vec<(String, u32)>, StoreFailure>;
    async fn insert_reservation(&mut self, row: &ReservationRow<'_>) -> Result<(), StoreFailure>;
    async fn apply_fills(&mut self, fills: &[Fill]) -> Result<(), StoreFailure>;
    async fn mark_cancelled(&mut self, seq: u64, now: &str) -> Result<(), StoreFailure>;
    async fn record(&mut self, id: &str) -> Result<Option<ReservationRecord>, StoreFailure>;
    async fn record_by_seq(&mut self, seq: u64) -> Result<ReservationRecord, StoreFailure>;
    async fn records_of(&mut self, sku: &str) -> Result<Vec<ReservationRecord>, StoreFailure>;
    /// Tells the other servers these SKUs changed, when (and only if) this
    /// transaction commits. SQLite has no other servers.
    async fn announce(&mut self, skus: &[String]) -> Result<(), StoreFailure>;
    /// What this transaction wrote so far.
    fn notes(&mut self) -> &mut TxNotes;

    // The webhook outbox (`webhooks.rs`, `outbox.rs`).
    /// Writes an event and a pending delivery for each enabled endpoint that
    /// takes its type; returns how many deliveries.
    async fn insert_event(&mut self, event: &OutboxEvent<'_>) -> Result<u64, StoreFailure>;
    async fn insert_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreFailure>;
    /// The event types of each enabled endpoint (`None`: all).
    async fn endpoint_events(
        &mut self,
    ) -> Result<Vec<Option<Vec<crate::server::webhooks::events::EventType>>>, StoreFailure>;
    async fn endpoints(&mut self) -> Result<Vec<EndpointState>, StoreFailure>;
    /// Removes the endpoint with its deliveries; `false` if there was none.
    async fn delete_endpoint(&mut self, id: &str) -> Result<bool, StoreFailure>;
    /// How many deliveries are due at `now_ms` (0 or 1: it stops at one).
    async fn due_deliveries(&mut self, now_ms: i64) -> Result<i64, StoreFailure>;
    /// Pending deliveries that are due and first in line for their endpoint
    /// and SKU, leased until `lease_until_ms` (on PostgreSQL rows another
    /// server is claiming are skipped).
    async fn claim_deliveries(
        &mut self,
        claim: Claim<'_>,
        lease_until_ms: i64,
    ) -> Result<Vec<Due>, StoreFailure>;
    /// Writes the outcome under the claim's lease; `false` (nothing written)
    /// when the lease was lost to another claim.
    async fn finish_delivery(&mut self, finished: &Finished) -> Result<bool, StoreFailure>;
    /// An endpoint's latest attempts, newest first.
    async fn attempts(
        &mut self,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreFailure>;
    /// Forgets events, deliveries and attempts older than `before_ms`.
    async fn prune_outbox(&mut self, before_ms: i64) -> Result<(), StoreFailure>;

    // "Email me when it's back" (`subscriptions.rs`).
    async fn subscription(
        &mut self,
        sku: &str,
        email_folded: &str,
    ) -> Result<Option<Subscription>, StoreFailure>;
    async fn insert_subscription(
        &mut self,
        subscription: &Subscription,
        email_folded: &str,
    ) -> Result<(), StoreFailure>;
    /// Removes and returns a product's subscriptions, oldest first.
    async fn take_subscriptions(&mut self, sku: &str) -> Result<Vec<Subscription>, StoreFailure>;
    async fn subscription_count(&mut self, sku: &str) -> Result<u64, StoreFailure>;
    async fn delete_subscription(&mut self, token: &str) -> Result<bool, StoreFailure>;
}

/// How [`Tx::write_settings`] treats a product that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsWrite {
    Replace,
    CreateOnly,
}

/// The settings write both stores run (`$N` numbered in order of first use).
const INSERT_SETTINGS: &str =
    "INSERT INTO products (sku, name, stock, safety_stock, low_stock_threshold, backorders,
                          backorder_limit, lead_time_days, incoming, max_per_customer)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const REPLACE_SETTINGS: &str = " ON CONFLICT (sku) DO UPDATE SET
        name = excluded.name, stock = excluded.stock, safety_stock = excluded.safety_stock,
        low_stock_threshold = excluded.low_stock_threshold, backorders = excluded.backorders,
        backorder_limit = excluded.backorder_limit, lead_time_days = excluded.lead_time_days,
        incoming = excluded.incoming, max_per_customer = excluded.max_per_customer,
        version = products.version + 1";
const KEEP_SETTINGS: &str = " ON CONFLICT (sku) DO NOTHING";

impl SettingsWrite {
    fn sql(self) -> String {
        let conflict = match self {
            SettingsWrite::Replace => REPLACE_SETTINGS,
            SettingsWrite::CreateOnly => KEEP_SETTINGS,
        };
        format!("{INSERT_SETTINGS}{conflict}")
    }
}

/// Saves the settings of a product this transaction read (and locked);
/// `before` is its inventory as found. Records that its availability may change.
pub async fn save_settings(
    tx: &mut dyn Tx,
    sku: &str,
    before: Option<&Inventory>,
    settings: &ProductSettings,
) -> Result<(), StoreFailure> {
    touch(tx, sku, before);
    tx.write_settings(sku, settings, SettingsWrite::Replace)
        .await?;
    Ok(())
}

/// Creates a product this transaction found missing; `false` (nothing
/// written) when another transaction created it meanwhile — there was no
/// row to lock (PostgreSQL's insert waits for that one to commit).
pub async fn create_product(
    tx: &mut dyn Tx,
    sku: &str,
    settings: &ProductSettings,
) -> Result<bool, StoreFailure> {
    let created = tx
        .write_settings(sku, settings, SettingsWrite::CreateOnly)
        .await?;
    if created {
        touch(tx, sku, None);
    }
    Ok(created)
}

/// Saves what an operation of the logic module changed (stock, supply) and
/// records that the product's availability may change.
pub async fn save_inventory(
    tx: &mut dyn Tx,
    sku: &str,
    before: &Inventory,
    after: &Inventory,
) -> Result<(), StoreFailure> {
    touch(tx, sku, Some(before));
    tx.write_inventory(sku, after).await
}

/// The first write to a SKU in a transaction keeps what it found.
fn touch(tx: &mut dyn Tx, sku: &str, before: Option<&Inventory>) {
    let touched = &mut tx.notes().touched;
    if !touched.iter().any(|seen| seen.sku == sku) {
        touched.push(Touched {
            sku: sku.to_owned(),
            before: before.cloned(),
        });
    }
}

/// `prefix` + 128 random bits in hex: a reference nobody can guess or enumerate.
fn random_id(prefix: &str) -> Result<String, StoreFailure> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| StoreFailure::fault(anyhow::anyhow!("no randomness: {error}")))?;
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for byte in bytes {
        id.push_str(&format!("{byte:02x}"));
    }
    Ok(id)
}

/// Work done inside one transaction. `Fn`, not `FnOnce`: PostgreSQL runs it
/// again when it lost a race.
pub trait Work<T, E>:
    for<'t> Fn(&'t mut dyn Tx) -> BoxFuture<'t, Result<T, E>> + Send + Sync + 'static
{
}

impl<T, E, F> Work<T, E> for F where
    F: for<'t> Fn(&'t mut dyn Tx) -> BoxFuture<'t, Result<T, E>> + Send + Sync + 'static
{
}

/// Gives a closure the signature [`Work`] needs (closures infer it only
/// where they are passed straight to a function that asks for it).
fn as_work<T, E, F: Work<T, E>>(work: F) -> F {
    work
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// The database, and the feed of what was committed to it.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    feed: Feed,
    /// Told when a commit made webhook deliveries: the worker sends them at once.
    deliveries_made: Arc<tokio::sync::Notify>,
}

/// Is the database there? (`/healthz`)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseState {
    Reachable,
    Unreachable,
}

impl Store {
    /// Opens (creating if missing) a SQLite database and brings its schema up to date.
    pub fn open(path: &std::path::Path) -> anyhow::Result<Store> {
        Ok(Store {
            backend: Backend::Sqlite(sqlite::Sqlite::open(path)?),
            feed: Feed::new(run_id()?),
            deliveries_made: Arc::default(),
        })
    }

    /// Opens either store. PostgreSQL: connects the pool, applies pending
    /// migrations (one server at a time, under the migrator's lock) and
    /// starts following the other servers' changes.
    pub async fn connect(database: &Database, connections: Connections) -> anyhow::Result<Store> {
        match database {
            Database::Sqlite(path) => {
                let store = Store::open(path)?;
                store.notice_other_processes();
                Ok(store)
            }
            Database::Postgres(url) => {
                let feed = Feed::new(run_id()?);
                let backend = postgres::Postgres::connect(url, connections, feed.clone()).await?;
                Ok(Store {
                    backend: Backend::Postgres(backend),
                    feed,
                    deliveries_made: Arc::default(),
                })
            }
        }
    }

    /// SQLite: another process (`stock-widget import`, a second server by
    /// mistake) may write to the file; this server would not hear of it.
    /// Checked every second: then the snapshot starts again and every
    /// stream re-checks everything.
    fn notice_other_processes(&self) {
        let Backend::Sqlite(sqlite) = &self.backend else {
            return;
        };
        let (sqlite, feed) = (sqlite.clone(), self.feed.clone());
        tokio::spawn(async move {
            let mut seen = None;
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let Ok(version) = sqlite.data_version().await else {
                    continue;
                };
                if seen.is_some_and(|seen| seen != version) {
                    tracing::info!("another process wrote to the database: reading it again");
                    feed.follow();
                }
                seen = Some(version);
            }
        });
    }

    /// The committed changes and the snapshot they keep.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Notified after a commit that made webhook deliveries.
    pub fn deliveries_made(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.deliveries_made)
    }

    /// SQLite is a file beside the server: reachable while the server runs.
    /// PostgreSQL is reachable while the change feed's connection is up.
    pub fn database_state(&self) -> DatabaseState {
        match &self.backend {
            Backend::Sqlite(_) => DatabaseState::Reachable,
            Backend::Postgres(_) if self.feed.is_following() => DatabaseState::Reachable,
            Backend::Postgres(_) => DatabaseState::Unreachable,
        }
    }

    /// Runs `work` in one write transaction: committed when it returns `Ok`,
    /// rolled back (nothing changes) when it returns `Err`. The products it
    /// changed are read back inside the transaction, what that changed is
    /// written to the webhook outbox (back in stock, low stock, the
    /// subscribers to tell), they are announced to the other servers on
    /// commit, and published to this server's feed after it.
    pub async fn write<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        // Taken before the transaction: if the snapshot is dropped meanwhile,
        // what this write read back may be older than what follows.
        let generation = self.feed.generation();
        let work = Arc::new(work);
        let work = as_work(move |tx| {
            let work = Arc::clone(&work);
            Box::pin(async move {
                let value = work(&mut *tx).await?;
                let touched = tx.notes().touched.clone();
                let mut products = Vec::with_capacity(touched.len());
                for change in &touched {
                    products.extend(tx.product(&change.sku).await?);
                }
                outbox::report_product_changes(&mut *tx, &touched, &products).await?;
                let skus: Vec<String> = touched.into_iter().map(|change| change.sku).collect();
                tx.announce(&skus).await?;
                let deliveries = tx.notes().deliveries;
                Ok::<_, E>((value, products, deliveries))
            })
        });
        let store = self.clone();
        // A task of its own: a request dropped mid-write (its timeout, a
        // client gone) must not stop a commit from reaching the feed.
        let committed = tokio::spawn(async move {
            let (value, products, deliveries) = match &store.backend {
                Backend::Sqlite(sqlite) => sqlite.write(work).await?,
                Backend::Postgres(postgres) => postgres.write(work).await?,
            };
            store.feed.publish(products, generation);
            if deliveries > 0 {
                store.deliveries_made.notify_one();
            }
            Ok(value)
        });
        match committed.await {
            Ok(result) => result,
            Err(failed) => Err(E::from(StoreFailure::fault(anyhow::anyhow!(
                "the write task failed: {failed}"
            )))),
        }
    }

    /// Runs `work` in one read-only transaction (one consistent snapshot).
    pub async fn read<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.read(work).await,
            Backend::Postgres(postgres) => postgres.read(work).await,
        }
    }
}

/// Names this run of the server in event ids and change notices, so a
/// client's position from another run (or server) is recognised as such.
fn run_id() -> anyhow::Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness for the run id: {error}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Purchase orders are stored as JSON text in both stores.
fn encode_incoming(incoming: &[PurchaseOrder]) -> Result<String, StoreFailure> {
    Ok(serde_json::to_string(incoming).map_err(anyhow::Error::from)?)
}

fn decode_incoming(text: &str) -> Result<Vec<PurchaseOrder>, StoreFailure> {
    use anyhow::Context;
    Ok(serde_json::from_str(text).context("corrupt incoming purchase orders")?)
}

fn policy_name(policy: BackorderPolicy) -> &'static str {
    match policy {
        BackorderPolicy::Allow => "allow",
        BackorderPolicy::Deny => "deny",
    }
}

fn policy_from_name(name: &str) -> BackorderPolicy {
    if name == "allow" {
        BackorderPolicy::Allow
    } else {
        BackorderPolicy::Deny
    }
}

#[cfg(test)]
mod tests;
