//! SQLite persistence. The only module that speaks SQL.
//!
//! One connection behind a mutex: every write is a transaction that holds it,
//! so the check and the change for a SKU are one atomic step. WAL with
//! `synchronous = FULL` makes a commit durable before it returns.

use crate::logic::{BackorderPolicy, Inventory, PurchaseOrder, QueueEntry};
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

/// Updates the columns an operation of the logic module may change.
pub fn save_inventory(
    tx: &rusqlite::Transaction<'_>,
    sku: &str,
    inventory: &Inventory,
) -> Result<(), StoreFailure> {
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
    /// One connection: a slice only so that both kinds share `in_transaction`.
    writer: Arc<[Mutex<Connection>]>,
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
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
            writer: Arc::from(vec![Mutex::new(writer)]),
            readers: readers.into(),
            next_reader: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Runs `work` on the writer in a blocking thread, inside one
    /// `BEGIN IMMEDIATE` transaction: committed when `work` returns `Ok`,
    /// rolled back (nothing changes) when it returns `Err`. Writers queue on
    /// the lock, so a check and the change it allows are one atomic step.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
    {
        let writer = Arc::clone(&self.writer);
        in_transaction(writer, 0, TransactionBehavior::Immediate, work).await
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
        in_transaction(readers, index, TransactionBehavior::Deferred, work).await
    }

    pub async fn product(&self, sku: String) -> Result<Option<Product>, StoreFailure> {
        self.read(move |tx| load_product(tx, &sku)).await
    }

    /// The products among `skus` that exist, in the order asked.
    pub async fn products(&self, skus: Vec<String>) -> Result<Vec<Product>, StoreFailure> {
        self.read(move |tx| {
            let mut products = Vec::with_capacity(skus.len());
            for sku in &skus {
                products.extend(load_product(tx, sku)?);
            }
            Ok(products)
        })
        .await
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

/// Locks `connections[index]` in a blocking thread and runs `work` in a transaction.
async fn in_transaction<T, E, F>(
    connections: Arc<[Mutex<Connection>]>,
    index: usize,
    behavior: TransactionBehavior,
    work: F,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreFailure> + Send + 'static,
    F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
{
    let joined = tokio::task::spawn_blocking(move || {
        // A panic while holding the lock poisons it; the transaction was
        // rolled back on unwind, so the connection is still consistent.
        let mut connection = connections[index]
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let transaction = connection
            .transaction_with_behavior(behavior)
            .map_err(|error| E::from(StoreFailure::from(error)))?;
        let value = work(&transaction)?;
        transaction
            .commit()
            .map_err(|error| E::from(StoreFailure::from(error)))?;
        Ok(value)
    })
    .await;
    match joined {
        Ok(result) => result,
        Err(join_error) => Err(E::from(StoreFailure(anyhow::anyhow!(
            "database task failed: {join_error}"
        )))),
    }
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
    tx: &rusqlite::Transaction<'_>,
    sku: &str,
    settings: &ProductSettings,
) -> Result<(), StoreFailure> {
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
}
