//! SQLite persistence. The only module that speaks SQL.
//!
//! One connection behind a mutex: every write is a transaction that holds it,
//! so the check and the change for a SKU are one atomic step. WAL with
//! `synchronous = FULL` makes a commit durable before it returns. After the
//! commit, still holding the writer, the products the write changed go to the
//! [`Feed`], whose snapshot answers product reads without SQL.

use crate::logic::{BackorderPolicy, Inventory, PurchaseOrder, QueueEntry};
use crate::server::feed::Feed;
use anyhow::Context;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

mod reservations;
pub use reservations::{
    CancelOutcome, NewReservation, OperationError, QueuedReservation, ReceiptOutcome,
    ReservationRecord, ReservationState,
};

/// Schema changes, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE products (
    sku                 TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    stock               INTEGER NOT NULL CHECK (stock >= 0),
    safety_stock        INTEGER NOT NULL CHECK (safety_stock >= 0),
    low_stock_threshold INTEGER NOT NULL CHECK (low_stock_threshold >= 0),
    backorders          TEXT NOT NULL CHECK (backorders IN ('allow', 'deny')),
    backorder_limit     INTEGER CHECK (backorder_limit >= 0),
    lead_time_days      INTEGER NOT NULL CHECK (lead_time_days >= 0),
    incoming            TEXT NOT NULL -- JSON: [{"quantity": N, "eta": "YYYY-MM-DD"}]
) STRICT;

CREATE TABLE reservations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- queue order
    id          TEXT NOT NULL UNIQUE,              -- public, unguessable
    sku         TEXT NOT NULL REFERENCES products (sku),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    from_stock  INTEGER NOT NULL CHECK (from_stock >= 0),
    filled      INTEGER NOT NULL DEFAULT 0 CHECK (filled >= 0),
    email       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('reserved', 'cancelled')),
    created_at  TEXT NOT NULL,
    cancelled_at TEXT,
    idempotency_key TEXT UNIQUE,                   -- client-chosen, optional
    request     TEXT NOT NULL,                     -- what was asked, to spot a reused key
    response    TEXT NOT NULL,                     -- the 201 body, replayed for the same key
    CHECK (from_stock + filled <= quantity)
) STRICT;

CREATE INDEX reservations_waiting ON reservations (sku, seq)
    WHERE status = 'reserved' AND from_stock + filled < quantity;
"#,
    r#"
-- Most units one e-mail address may hold on backorder for a product; NULL = no cap.
ALTER TABLE products ADD COLUMN max_per_customer INTEGER CHECK (max_per_customer > 0);
CREATE INDEX reservations_by_customer ON reservations (sku, lower(email))
    WHERE status = 'reserved' AND from_stock + filled < quantity;
"#,
];

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

/// A write transaction that remembers the products it changed, so the store
/// can publish them once it commits. Everything else reads it as the
/// `rusqlite::Transaction` it wraps.
pub struct Write<'c> {
    tx: rusqlite::Transaction<'c>,
    changed: Vec<String>,
}

impl<'c> std::ops::Deref for Write<'c> {
    type Target = rusqlite::Transaction<'c>;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl Write<'_> {
    /// `sku`'s availability may differ after this write.
    fn changed(&mut self, sku: &str) {
        if !self.changed.iter().any(|seen| seen == sku) {
            self.changed.push(sku.to_owned());
        }
    }
}

/// Updates the columns an operation of the logic module may change.
pub fn save_inventory(
    tx: &mut Write<'_>,
    sku: &str,
    inventory: &Inventory,
) -> Result<(), StoreFailure> {
    tx.changed(sku);
    let incoming = serde_json::to_string(&inventory.incoming).context("encode purchase orders")?;
    tx.execute(
        "UPDATE products SET stock = ?2, incoming = ?3 WHERE sku = ?1",
        params![sku, inventory.stock, incoming],
    )?;
    Ok(())
}

/// A product with its current queue, ready for the logic module.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub inventory: Inventory,
    pub max_per_customer: Option<u32>,
}

/// The database failed (I/O, corruption, a bug): nothing the client did.
#[derive(Debug)]
pub struct StoreFailure(pub anyhow::Error);

impl From<anyhow::Error> for StoreFailure {
    fn from(error: anyhow::Error) -> StoreFailure {
        StoreFailure(error)
    }
}

impl From<rusqlite::Error> for StoreFailure {
    fn from(error: rusqlite::Error) -> StoreFailure {
        StoreFailure(error.into())
    }
}

impl From<StoreFailure> for anyhow::Error {
    fn from(failure: StoreFailure) -> anyhow::Error {
        failure.0
    }
}

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// The writer connection, and a few read-only ones: in WAL mode readers see
/// the last commit and never wait for a writer's fsync.
#[derive(Clone)]
pub struct Store {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
    feed: Feed,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        let mut writer = Connection::open(path)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        writer.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        migrate(&mut writer)?;
        let count = std::thread::available_parallelism().map_or(2, |cores| cores.get().clamp(2, 8));
        let mut readers = Vec::with_capacity(count);
        for _ in 0..count {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            reader.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")?;
            readers.push(Mutex::new(reader));
        }
        Ok(Store {
            writer: Arc::new(Mutex::new(writer)),
            readers: readers.into(),
            next_reader: Arc::new(AtomicUsize::new(0)),
            feed: Feed::new(run_id()?),
        })
    }

    /// The committed changes and the snapshot they keep.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Runs `work` on the writer in a blocking thread, inside one
    /// `BEGIN IMMEDIATE` transaction: committed when `work` returns `Ok`,
    /// rolled back (nothing changes) when it returns `Err`. Writers queue on
    /// the lock, so a check and the change it allows are one atomic step.
    /// The products `work` changed are published to the feed after the
    /// commit, in commit order; a rolled-back write publishes nothing.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + Send + 'static,
        F: FnOnce(&mut Write<'_>) -> Result<T, E> + Send + 'static,
    {
        let writer = Arc::clone(&self.writer);
        let feed = self.feed.clone();
        blocking(move || {
            let mut connection = lock(&writer);
            let tx = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|error| E::from(StoreFailure::from(error)))?;
            let mut write = Write {
                tx,
                changed: Vec::new(),
            };
            let value = work(&mut write)?;
            let Write { tx, changed } = write;
            let mut products = Vec::with_capacity(changed.len());
            for sku in &changed {
                products.extend(load_product(&tx, sku)?);
            }
            tx.commit()
                .map_err(|error| E::from(StoreFailure::from(error)))?;
            feed.publish(products);
            Ok(value)
        })
        .await
    }

    /// Runs `work` on a read-only connection, in one read transaction (one
    /// consistent snapshot).
    pub async fn read<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
    {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let readers = Arc::clone(&self.readers);
        blocking(move || {
            let mut connection = lock(&readers[index]);
            let tx = connection
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(|error| E::from(StoreFailure::from(error)))?;
            let value = work(&tx)?;
            tx.commit()
                .map_err(|error| E::from(StoreFailure::from(error)))?;
            Ok(value)
        })
        .await
    }

    /// A product with its queue, from the feed's snapshot (read from the
    /// database the first time).
    pub async fn product(&self, sku: String) -> Result<Option<Arc<Product>>, StoreFailure> {
        if let Some(product) = self.feed.product(&sku) {
            return Ok(Some(product));
        }
        let loaded = self.product_from_database(sku).await?;
        Ok(loaded.map(|product| self.feed.fill(product)))
    }

    /// The products among `skus` that exist, in the order asked.
    pub async fn products(&self, skus: Vec<String>) -> Result<Vec<Arc<Product>>, StoreFailure> {
        let mut found: Vec<Option<Arc<Product>>> =
            skus.iter().map(|sku| self.feed.product(sku)).collect();
        let unknown: Vec<String> = skus
            .iter()
            .zip(&found)
            .filter(|(_, product)| product.is_none())
            .map(|(sku, _)| sku.clone())
            .collect();
        if !unknown.is_empty() {
            let loaded = self
                .read(move |tx| {
                    let mut products = Vec::with_capacity(unknown.len());
                    for sku in &unknown {
                        products.extend(load_product(tx, sku)?);
                    }
                    Ok::<_, StoreFailure>(products)
                })
                .await?;
            for product in loaded {
                let index = skus.iter().position(|sku| *sku == product.sku);
                if let Some(index) = index {
                    found[index] = Some(self.feed.fill(product));
                }
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    /// The product as the database has it, bypassing the snapshot.
    pub async fn product_from_database(
        &self,
        sku: String,
    ) -> Result<Option<Product>, StoreFailure> {
        self.read(move |tx| load_product(tx, &sku)).await
    }

    /// Creates the product or replaces its settings; its reservations and queue stay.
    pub async fn put_product(
        &self,
        sku: String,
        settings: ProductSettings,
    ) -> Result<Product, StoreFailure> {
        self.transaction(move |tx| {
            save_settings(tx, &sku, &settings)?;
            Ok(load_product(tx, &sku)?.context("product vanished after saving it")?)
        })
        .await
    }

    pub async fn is_empty(&self) -> Result<bool, StoreFailure> {
        self.read(|tx| {
            let count: i64 = tx.query_row("SELECT COUNT(*) FROM products", [], |row| row.get(0))?;
            Ok(count == 0)
        })
        .await
    }
}

/// Runs `work` on a blocking thread (SQLite calls block).
async fn blocking<T, E, F>(work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreFailure> + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(join_error) => Err(E::from(StoreFailure(anyhow::anyhow!(
            "database task failed: {join_error}"
        )))),
    }
}

/// A panic while holding a connection poisons its lock; the transaction was
/// rolled back on unwind, so the connection is still consistent.
fn lock(connection: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
}

/// Names this run of the server in event ids, so a client's position from
/// an earlier run is recognised as such.
fn run_id() -> anyhow::Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no randomness for the run id: {error}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn migrate(connection: &mut Connection) -> anyhow::Result<()> {
    let applied: usize = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    anyhow::ensure!(
        applied <= MIGRATIONS.len(),
        "the database was written by a newer stock-widget (schema {applied})"
    );
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", index + 1)?;
        transaction.commit()?;
    }
    Ok(())
}

pub fn save_settings(
    tx: &mut Write<'_>,
    sku: &str,
    settings: &ProductSettings,
) -> Result<(), StoreFailure> {
    tx.changed(sku);
    let incoming = serde_json::to_string(&settings.incoming).context("encode purchase orders")?;
    let backorders = match settings.backorders {
        BackorderPolicy::Allow => "allow",
        BackorderPolicy::Deny => "deny",
    };
    tx.execute(
        "INSERT INTO products (sku, name, stock, safety_stock, low_stock_threshold, backorders,
                               backorder_limit, lead_time_days, incoming, max_per_customer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (sku) DO UPDATE SET
            name = excluded.name, stock = excluded.stock, safety_stock = excluded.safety_stock,
            low_stock_threshold = excluded.low_stock_threshold, backorders = excluded.backorders,
            backorder_limit = excluded.backorder_limit, lead_time_days = excluded.lead_time_days,
            incoming = excluded.incoming, max_per_customer = excluded.max_per_customer",
        params![
            sku,
            settings.name,
            settings.stock,
            settings.safety_stock,
            settings.low_stock_threshold,
            backorders,
            settings.backorder_limit,
            settings.lead_time_days,
            incoming,
            settings.max_per_customer,
        ],
    )?;
    Ok(())
}

pub fn load_product(
    tx: &rusqlite::Transaction<'_>,
    sku: &str,
) -> Result<Option<Product>, StoreFailure> {
    let row = tx
        .query_row(
            "SELECT name, stock, safety_stock, low_stock_threshold, backorders, backorder_limit,
                    lead_time_days, incoming, max_per_customer
             FROM products WHERE sku = ?1",
            [sku],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    Inventory {
                        stock: row.get(1)?,
                        safety_stock: row.get(2)?,
                        low_stock_threshold: row.get(3)?,
                        backorders: if row.get::<_, String>(4)? == "allow" {
                            BackorderPolicy::Allow
                        } else {
                            BackorderPolicy::Deny
                        },
                        backorder_limit: row.get(5)?,
                        lead_time_days: row.get(6)?,
                        incoming: Vec::new(),
                        queue: Vec::new(),
                    },
                    row.get::<_, String>(7)?,
                    row.get::<_, Option<u32>>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((name, mut inventory, incoming, max_per_customer)) = row else {
        return Ok(None);
    };
    inventory.incoming =
        serde_json::from_str(&incoming).context("corrupt incoming purchase orders")?;
    let mut waiting = tx.prepare_cached(
        "SELECT seq, quantity - from_stock - filled FROM reservations
         WHERE sku = ?1 AND status = 'reserved' AND from_stock + filled < quantity
         ORDER BY seq",
    )?;
    inventory.queue = waiting
        .query_map([sku], |row| {
            Ok(QueueEntry {
                reservation: row.get(0)?,
                outstanding: row.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(Product {
        sku: sku.to_owned(),
        name,
        inventory,
        max_per_customer,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::Date;

    fn settings() -> ProductSettings {
        ProductSettings {
            name: "Trail Runner".into(),
            stock: 5,
            safety_stock: 1,
            low_stock_threshold: 2,
            backorders: BackorderPolicy::Allow,
            backorder_limit: Some(10),
            lead_time_days: 21,
            incoming: vec![PurchaseOrder {
                quantity: 3,
                eta: Date::parse_iso("2026-12-01").unwrap(),
            }],
            max_per_customer: Some(4),
        }
    }

    #[tokio::test]
    async fn products_survive_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = Store::open(&path).unwrap();
        assert!(store.is_empty().await.unwrap());
        store.put_product("TR-1".into(), settings()).await.unwrap();
        drop(store);

        let reopened = Store::open(&path).unwrap();
        let product = reopened.product("TR-1".into()).await.unwrap().unwrap();
        assert_eq!(product.name, "Trail Runner");
        assert_eq!(product.inventory.stock, 5);
        assert_eq!(product.inventory.backorder_limit, Some(10));
        assert_eq!(product.inventory.incoming, settings().incoming);
        assert_eq!(product.max_per_customer, Some(4));
        assert!(reopened.product("NOPE".into()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn putting_settings_again_replaces_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.db")).unwrap();
        store.put_product("TR-1".into(), settings()).await.unwrap();
        let changed = ProductSettings {
            stock: 0,
            backorders: BackorderPolicy::Deny,
            ..settings()
        };
        let product = store.put_product("TR-1".into(), changed).await.unwrap();
        assert_eq!(product.inventory.stock, 0);
        assert_eq!(product.inventory.backorders, BackorderPolicy::Deny);
    }

    /// A small deterministic generator: the same "random" writes every run.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, sides: u32) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % u64::from(sides)) as u32
        }
    }

    #[tokio::test]
    async fn the_snapshot_answers_what_the_database_answers_after_random_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.db")).unwrap();
        let today = Date::parse_iso("2026-03-02").unwrap();
        let skus = ["A", "B", "C"];
        for sku in skus {
            store.put_product(sku.into(), settings()).await.unwrap();
        }
        let mut dice = Dice(0x5eed);
        let mut placed: Vec<String> = Vec::new();
        for step in 0..300 {
            let sku = skus[dice.roll(3) as usize].to_string();
            match dice.roll(4) {
                0 => {
                    let request = NewReservation {
                        sku: sku.clone(),
                        quantity: 1 + dice.roll(6),
                        email: format!("shopper{}@example.com", dice.roll(4)),
                        idempotency_key: None,
                    };
                    if let Ok(reservation) = store.place(request, today, "now".into()).await {
                        placed.push(reservation.id);
                    }
                }
                1 if !placed.is_empty() => {
                    let id = placed[dice.roll(placed.len() as u32) as usize].clone();
                    store.cancel(id, today, "now".into()).await.unwrap();
                }
                2 => {
                    let _ = store.receive(sku.clone(), 1 + dice.roll(8)).await;
                }
                _ => {
                    let changed = ProductSettings {
                        stock: dice.roll(6),
                        safety_stock: dice.roll(2),
                        backorders: if dice.roll(2) == 0 {
                            BackorderPolicy::Allow
                        } else {
                            BackorderPolicy::Deny
                        },
                        backorder_limit: Some(dice.roll(12)),
                        max_per_customer: Some(1 + dice.roll(5)),
                        ..settings()
                    };
                    store.put_product(sku.clone(), changed).await.unwrap();
                }
            }
            for sku in skus {
                let snapshot = store.product(sku.into()).await.unwrap().unwrap();
                let database = store
                    .product_from_database(sku.into())
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(*snapshot, database, "step {step}, {sku}");
            }
        }
        assert!(placed.len() > 20, "the walk placed reservations");
    }

    #[tokio::test]
    async fn a_change_is_published_only_once_it_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = Store::open(&path).unwrap();
        store.put_product("TR-1".into(), settings()).await.unwrap();
        let (mut changes, _) = store.feed().subscribe();
        // Another connection to the file: it sees only committed data.
        let outsider = Connection::open(&path).unwrap();
        let stock_outside = move || -> u32 {
            outsider
                .query_row("SELECT stock FROM products WHERE sku = 'TR-1'", [], |row| {
                    row.get(0)
                })
                .unwrap()
        };
        let watcher = tokio::spawn(async move {
            let change = changes.recv().await.unwrap();
            (change, stock_outside())
        });
        let outcome = store.receive("TR-1".into(), 7).await.unwrap();
        let (change, stock_when_told) = watcher.await.unwrap();
        assert_eq!(
            change.changed,
            crate::server::feed::Changed::Product("TR-1".into())
        );
        assert_eq!(stock_when_told, outcome.stock, "told before the commit");

        // A write that fails publishes nothing.
        let (mut changes, _) = store.feed().subscribe();
        let refused = store.receive("TR-1".into(), 0).await;
        assert!(refused.is_err());
        assert!(
            changes.try_recv().is_err(),
            "a rolled-back write was published"
        );
    }
}
