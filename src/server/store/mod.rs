//! Persistence: the only module that speaks SQL, and it only reads and
//! writes rows.
//!
//! Two backends with one contract. SQLite (`sqlite/`) is the embedded
//! default: one writer connection, so every write holds the whole database.
//! PostgreSQL (`postgres/`) serves several servers: every write locks the
//! rows of the products it decides on (`SELECT … FOR UPDATE`). The contract
//! is one small trait per aggregate — [`ProductRows`], [`ReservationRows`],
//! [`OutboxRows`], [`EndpointRows`], [`SubscriptionRows`], [`SupplierRows`], [`NoticeRows`],
//! [`DemandRows`], [`AuditRows`] —
//! gathered in
//! [`Tx`], one transaction. What an operation does with the rows (decide,
//! emit events, publish) lives above, in `server::ops`.
//!
//! May not touch: HTTP, the feed, the clock, the logic module's decisions.

use crate::server::domain::{Product, Sku};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

mod audit;
mod columns;
mod demand;
mod endpoints;
mod held;
mod keys;
mod notices;
mod outbox;
mod postgres;
mod products;
mod reservations;
mod sqlite;
mod subscriptions;
mod suppliers;

pub use audit::AuditRows;
pub use demand::{DayDemand, DemandRows};
pub use endpoints::EndpointRows;
pub use held::{HeldBack, HeldDemand, HeldInventory, HeldWrites, MayHold};
pub use keys::{KeyLookups, KeysAhead, StoredPlacement};
pub use notices::NoticeRows;
pub use outbox::OutboxRows;
pub use outbox::{MAIL_ENDPOINT, MAIL_URL, NEVER_MS};
pub use products::{ProductRows, SettingsWrite};
pub use reservations::{HeldReservation, ReservationRow, ReservationRows};
pub use subscriptions::SubscriptionRows;
pub use suppliers::SupplierRows;

/// A transaction's work in progress: boxed, so a `dyn Tx` can run it.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// A product a transaction wrote, with its inventory as the transaction
/// first found it (`None`: the write created it): what changed is reported
/// to webhooks from the two.
#[derive(Clone, Debug)]
pub struct Touched {
    pub sku: Sku,
    pub before: Option<crate::logic::Standing>,
}

/// What the operation running in a transaction noted besides its rows, for
/// the end of the transaction and after the commit (`server::ops`).
#[derive(Debug, Default)]
pub struct TxNotes {
    pub touched: Vec<Touched>,
    /// Webhook deliveries the transaction's events made.
    pub deliveries: u64,
    /// The event types each enabled endpoint takes (`None`: all), read once
    /// per transaction by the first event (PostgreSQL: by a write's first
    /// product read).
    pub endpoints: Option<Vec<Option<Vec<crate::server::domain::EventType>>>>,
    /// The time the operation runs at (milliseconds since 1970), from the
    /// application's clock: events are stamped with it.
    pub now_ms: i64,
    /// Why the products' ship dates may have moved, by SKU (the first
    /// reason noted for a SKU stands; none: `other`), for delay notices.
    pub delay_reasons: Vec<(Sku, crate::server::domain::DelayReason)>,
    /// Products whose queue this transaction only added to the end of
    /// (placements): the delay check may pass them by, unless a reason to
    /// check them was noted as well.
    pub appended_only: Vec<Sku>,
    /// The server mails shoppers: operations write mails into the outbox.
    pub mail: bool,
    /// The links mails carry (cancel pages, the public URL).
    pub links: Option<crate::server::domain::CancelLinks>,
    /// What the admin write did, for its line in the audit log (written
    /// when the shop acts for an admin caller; none: the write changed nothing).
    pub audit: Option<crate::server::domain::Audited>,
    /// Products exactly as this write transaction left them so far, read
    /// back by the request of a group commit before (whose row locks the
    /// transaction holds): the next read of each is answered from here,
    /// once, instead of the database. Only reads that come before any
    /// write to the product in a request may be answered so — the grouped
    /// operations read (and lock) a product before they write it.
    pub primed: Vec<Product>,
    /// Products exactly as the operation left them, where it knows (a
    /// placement: its stock, its queue with the new entry, its version):
    /// the read-back after the operation takes these instead of asking the
    /// database (a long queue is read once per request, not twice; debug
    /// builds read it all the same and check the two agree).
    pub left: Vec<Product>,
    /// Products the operation read (and locked) and left as it found them
    /// (a refused or replayed placement): a group commit may answer the
    /// next request's read from them.
    pub untouched: Vec<Product>,
    /// The product and demand writes of a group commit's placements, held
    /// back to be written once for many (`ops::held_back`).
    pub held_back: HeldBack,
    /// Idempotency keys looked up, a group's together (`keys.rs`).
    pub keys: KeyLookups,
    /// Copies of products as committed: a read of a product whose copy is
    /// current, or lacks only entries placed since, reads that much of its
    /// queue (debug builds read it all the same and check the two agree).
    pub committed: Committed,
}

impl TxNotes {
    /// The primed copy of `sku`, taken: a later read asks the database.
    pub fn take_primed(&mut self, sku: &Sku) -> Option<Product> {
        let at = self.primed.iter().position(|product| product.sku == *sku)?;
        Some(self.primed.swap_remove(at))
    }
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

    /// A race this transaction lost: the runner runs it again.
    pub fn lost_race(why: &'static str) -> StoreFailure {
        StoreFailure {
            kind: FailureKind::Retry,
            error: anyhow::anyhow!(why),
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

/// One transaction: the rows of every aggregate, and the transaction's own
/// bookkeeping. In a write transaction, reading a product locks its row
/// until the end (PostgreSQL: `FOR UPDATE`; SQLite: the writer already holds
/// the database), so what is decided from it cannot be raced.
#[async_trait::async_trait]
pub trait Tx:
    ProductRows
    + ReservationRows
    + OutboxRows
    + EndpointRows
    + SubscriptionRows
    + SupplierRows
    + NoticeRows
    + DemandRows
    + AuditRows
    + Send
{
    /// Marks where the first request of a group commit begins (a savepoint).
    async fn begin_request(&mut self) -> Result<(), StoreFailure>;
    /// Keeps what the request since the savepoint wrote, or undoes it (its
    /// row locks go with it) while the transaction goes on; `next`: another
    /// request begins at once (one round trip for both on PostgreSQL).
    async fn end_request(&mut self, keep: bool, next: bool) -> Result<(), StoreFailure>;
    /// What the operation noted so far.
    fn notes(&mut self) -> &mut TxNotes;
    /// A group commit's held-back writes: the reservations, then each
    /// product's stock and supply, then the demand. PostgreSQL sends them
    /// as one statement: the product's lock is held over one round trip,
    /// not three.
    async fn write_held(&mut self, writes: &HeldWrites<'_>) -> Result<(), StoreFailure> {
        if !writes.reservations.is_empty() {
            self.insert_reservations(writes.reservations).await?;
        }
        for (held, count) in &writes.inventories {
            self.write_inventory(&held.sku, held.stock, &held.orders, *count)
                .await?;
        }
        for day in &writes.demand {
            self.add_demand(&day.sku, day.day, day.units, day.backordered)
                .await?;
        }
        Ok(())
    }
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
pub fn as_work<T, E, F: Work<T, E>>(work: F) -> F {
    work
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Told what other writers committed (another server, another process), so
/// a snapshot of the products can follow the database. The feed is one.
pub trait ChangeSink: Send + Sync + 'static {
    /// Taken before reading a changed product, handed back with it.
    fn generation(&self) -> u64;
    /// Products as another writer left them.
    fn publish(&self, products: Vec<Product>, generation: u64);
    /// Every change reaches the sink from now on; earlier ones may have been
    /// missed, so start again.
    fn follow(&self);
    /// Changes may be missed from now on.
    fn unfollow(&self);
    /// The product as the last commit this sink was told of left it, if it
    /// keeps one: a read may take its queue instead of reading it all
    /// (`products::QueueRead`).
    fn committed(&self, sku: &Sku) -> Option<Arc<Product>>;
}

/// Where a write transaction finds copies of products as committed (the
/// application's feed); none: it reads every queue in full.
#[derive(Clone, Default)]
pub struct Committed(Option<Arc<dyn ChangeSink>>);

impl Committed {
    pub fn kept_by(sink: Arc<dyn ChangeSink>) -> Committed {
        Committed(Some(sink))
    }

    pub(crate) fn copy(&self, sku: &Sku) -> Option<Arc<Product>> {
        self.0.as_ref().and_then(|sink| sink.committed(sku))
    }
}

impl std::fmt::Debug for Committed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Committed(kept)"
        } else {
            "Committed(none)"
        })
    }
}

/// The database: runs transactions of row reads and writes.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Names this run of the server in change notices, so it skips its own.
    run: Arc<str>,
}

impl Store {
    /// Opens (creating if missing) a SQLite database and brings its schema up to date.
    pub fn open(path: &std::path::Path) -> anyhow::Result<Store> {
        Ok(Store {
            backend: Backend::Sqlite(sqlite::Sqlite::open(path)?),
            run: run_id()?.into(),
        })
    }

    /// Opens either store. PostgreSQL: connects the pool and applies pending
    /// migrations (one server at a time, under the migrator's lock).
    pub async fn connect(database: &Database, connections: Connections) -> anyhow::Result<Store> {
        match database {
            Database::Sqlite(path) => Store::open(path),
            Database::Postgres(url) => {
                let run = run_id()?;
                let backend = postgres::Postgres::connect(url, connections, &run).await?;
                Ok(Store {
                    backend: Backend::Postgres(backend),
                    run: run.into(),
                })
            }
        }
    }

    /// Names this run of the server (change notices, event-stream positions).
    pub fn run_id(&self) -> &str {
        &self.run
    }

    /// Starts telling `sink` what other writers commit; the returned task
    /// does so until aborted. PostgreSQL: listens to the other servers'
    /// notices (an error if it cannot start). SQLite: notices, once a
    /// second, that another process wrote to the file.
    pub async fn follow(
        &self,
        sink: Arc<dyn ChangeSink>,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        match &self.backend {
            Backend::Sqlite(sqlite) => Ok(tokio::spawn(sqlite.clone().follow(sink))),
            Backend::Postgres(postgres) => postgres.follow(sink, Arc::clone(&self.run)).await,
        }
    }

    /// Runs `work` in one write transaction: committed when it returns `Ok`,
    /// rolled back (nothing changes) when it returns `Err`. PostgreSQL runs
    /// it again when it lost a race.
    pub async fn write<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.write(work).await,
            Backend::Postgres(postgres) => postgres.write(work).await,
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

    /// SQLite is a file beside the server: it is there while the server runs.
    pub fn is_embedded(&self) -> bool {
        matches!(self.backend, Backend::Sqlite(_))
    }
}

/// The statements that read a product's queue: the write's read (all of it,
/// and the entries after a seq) and, on PostgreSQL, the feed's reload. Each
/// must find the waiting entries through the waiting index, whatever the
/// planner's statistics say; the tests read their plans.
pub fn queue_reads(postgres: bool) -> Vec<&'static str> {
    let mut reads = vec![products::QUEUE, products::QUEUE_AFTER];
    if postgres {
        reads.push(postgres::feed_reload());
    }
    reads
}

/// Names this run of the server in event ids and change notices, so a
/// client's position from another run (or server) is recognised as such.
fn run_id() -> anyhow::Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness for the run id: {error}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}
