//! The SQLite store: the embedded default.
//!
//! One writer connection behind a mutex: every write is a `BEGIN IMMEDIATE`
//! transaction that holds it, so the check and the change for a SKU are one
//! atomic step. WAL with `synchronous = FULL` makes a commit durable before it
//! returns; read-only connections see the last commit and never wait for a
//! writer's fsync. SQLite calls block, so transactions run on blocking threads.

use super::webhooks::{self as hooks, AttemptOutcome};
use super::{
    Attempt, Claim, Due, Endpoint, EndpointState, FailureKind, Finished, MayBeStoreFailure,
    OutboxEvent, Product, ProductSettings, ReservationRecord, ReservationRow, SettingsWrite,
    StoreFailure, Subscription, Tx, TxNotes, Work, decode_incoming, encode_incoming,
    policy_from_name, policy_name, subscriptions,
};
use crate::logic::{Fill, Inventory, QueueEntry};
use crate::server::webhooks::events::EventType;
use anyhow::Context;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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
    r#"
-- Counts the writes to a product, so a server keeps the newest copy it hears of.
ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
"#,
    r#"
-- Webhooks from an outbox, and "email me when it's back" subscriptions.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL, -- '*' or ',type,type,'
    secret          TEXT NOT NULL, -- whsec_<base64>: signs every delivery
    created_at      TEXT NOT NULL,
    disabled_at     TEXT,          -- set when the receiver answered 410 Gone
    disabled_reason TEXT
) STRICT;

-- The outbox: written in the transaction of the change it reports.
CREATE TABLE webhook_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE, -- webhook-id: the same on every retry
    type       TEXT NOT NULL,
    sku        TEXT NOT NULL,
    body       TEXT NOT NULL,        -- the exact bytes that are signed and sent
    created_ms INTEGER NOT NULL
) STRICT;

-- One row per event and endpoint, made with the event.
CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL REFERENCES webhook_events (seq),
    sku             TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, event_seq)
) STRICT;
CREATE INDEX webhook_deliveries_line ON webhook_deliveries (endpoint_id, sku, event_seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
    WHERE state = 'pending';
-- Pruning: deliveries by event, events by age.
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);
CREATE INDEX webhook_events_by_age ON webhook_events (created_ms);

CREATE TABLE webhook_attempts (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id   TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_seq     INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    attempted_ms  INTEGER NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    outcome       TEXT NOT NULL,
    next_retry_ms INTEGER
) STRICT;
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);

CREATE TABLE subscriptions (
    token        TEXT PRIMARY KEY, -- unguessable: it unsubscribes
    sku          TEXT NOT NULL REFERENCES products (sku),
    email        TEXT NOT NULL,
    email_folded TEXT NOT NULL,
    lang         TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (sku, email_folded)
) STRICT;
"#,
];

/// The writer connection, and a few read-only ones.
#[derive(Clone)]
pub struct Sqlite {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
}

impl From<rusqlite::Error> for StoreFailure {
    fn from(error: rusqlite::Error) -> StoreFailure {
        // Busy past the busy timeout: another process holds the file.
        let busy = matches!(
            error.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        );
        StoreFailure {
            kind: if busy {
                FailureKind::Unavailable
            } else {
                FailureKind::Fault
            },
            error: error.into(),
        }
    }
}

impl Sqlite {
    pub fn open(path: &Path) -> anyhow::Result<Sqlite> {
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
        Ok(Sqlite {
            writer: Arc::new(Mutex::new(writer)),
            readers: readers.into(),
            next_reader: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Runs `work` on the writer in one `BEGIN IMMEDIATE` transaction.
    /// Writers queue on the lock, so there are no races to retry.
    pub async fn write<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        let writer = Arc::clone(&self.writer);
        blocking(move || {
            let mut connection = lock(&writer);
            run(&mut connection, "BEGIN IMMEDIATE", &work)
        })
        .await
    }

    /// Changes when another process commits to the file (SQLite counts
    /// other connections' commits per connection; this is the writer's, and
    /// the readers never commit).
    pub async fn data_version(&self) -> Result<i64, StoreFailure> {
        let writer = Arc::clone(&self.writer);
        blocking(move || {
            let connection = lock(&writer);
            Ok(connection.query_row("PRAGMA data_version", [], |row| row.get(0))?)
        })
        .await
    }

    /// Runs `work` on a read-only connection, in one read transaction.
    pub async fn read<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let readers = Arc::clone(&self.readers);
        blocking(move || {
            let mut connection = lock(&readers[index]);
            run(&mut connection, "BEGIN DEFERRED", &work)
        })
        .await
    }
}

/// One transaction on a blocking thread. The work's future never waits on
/// anything but SQLite calls, which complete in place, so blocking on it here
/// is blocking on SQLite.
fn run<T, E>(connection: &mut Connection, begin: &str, work: &impl Work<T, E>) -> Result<T, E>
where
    E: From<StoreFailure>,
{
    let mut tx = SqliteTx::begin(connection, begin)?;
    let value = tokio::runtime::Handle::current().block_on(work(&mut tx))?;
    tx.commit()?;
    Ok(value)
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
        Err(join_error) => Err(E::from(StoreFailure::fault(anyhow::anyhow!(
            "database task failed: {join_error}"
        )))),
    }
}

/// A panic while holding a connection poisons its lock; the transaction was
/// rolled back on unwind (see `SqliteTx`'s `Drop`), so the connection is
/// still consistent.
fn lock(connection: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
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

/// A transaction begun by hand on a borrowed connection: `rusqlite`'s own
/// `Transaction` borrows the connection shared, which is not `Send`, and a
/// [`Tx`] must be. Rolled back when dropped unfinished (an error or a panic).
pub struct SqliteTx<'c> {
    connection: &'c mut Connection,
    finished: bool,
    notes: TxNotes,
}

impl<'c> SqliteTx<'c> {
    fn begin(connection: &'c mut Connection, begin: &str) -> Result<SqliteTx<'c>, StoreFailure> {
        connection.execute_batch(begin)?;
        Ok(SqliteTx {
            connection,
            finished: false,
            notes: TxNotes::default(),
        })
    }

    fn commit(mut self) -> Result<(), StoreFailure> {
        self.finished = true;
        if let Err(error) = self.connection.execute_batch("COMMIT") {
            let _ = self.connection.execute_batch("ROLLBACK");
            return Err(error.into());
        }
        Ok(())
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

const RECORD_COLUMNS: &str =
    "seq, id, sku, quantity, from_stock, filled, email, status = 'cancelled', created_at";

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ReservationRecord> {
    Ok(ReservationRecord {
        seq: row.get(0)?,
        id: row.get(1)?,
        sku: row.get(2)?,
        quantity: row.get(3)?,
        from_stock: row.get(4)?,
        filled: row.get(5)?,
        email: row.get(6)?,
        cancelled: row.get(7)?,
        created_at: row.get(8)?,
    })
}

impl SqliteTx<'_> {
    fn load_product(&self, sku: &str) -> Result<Option<Product>, StoreFailure> {
        let row = self
            .connection
            .prepare_cached(
                "SELECT name, stock, safety_stock, low_stock_threshold, backorders, backorder_limit,
                        lead_time_days, incoming, max_per_customer, version
                 FROM products WHERE sku = ?1",
            )?
            .query_row([sku], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    Inventory {
                        stock: row.get(1)?,
                        safety_stock: row.get(2)?,
                        low_stock_threshold: row.get(3)?,
                        backorders: policy_from_name(&row.get::<_, String>(4)?),
                        backorder_limit: row.get(5)?,
                        lead_time_days: row.get(6)?,
                        incoming: Vec::new(),
                        queue: Vec::new(),
                    },
                    row.get::<_, String>(7)?,
                    row.get::<_, Option<u32>>(8)?,
                    row.get::<_, u64>(9)?,
                ))
            })
            .optional()?;
        let Some((name, mut inventory, incoming, max_per_customer, version)) = row else {
            return Ok(None);
        };
        inventory.incoming = decode_incoming(&incoming)?;
        let mut waiting = self.connection.prepare_cached(
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
            version,
        }))
    }

    fn query_record(
        &self,
        filter: &str,
        value: &dyn rusqlite::ToSql,
    ) -> Result<Option<ReservationRecord>, StoreFailure> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE {filter} = ?1");
        Ok(self
            .connection
            .prepare_cached(&sql)?
            .query_row([value], record_from_row)
            .optional()?)
    }
}

// The methods are synchronous inside: SQLite calls complete in place.
#[async_trait::async_trait]
impl Tx for SqliteTx<'_> {
    async fn product(&mut self, sku: &str) -> Result<Option<Product>, StoreFailure> {
        self.load_product(sku)
    }

    async fn write_settings(
        &mut self,
        sku: &str,
        settings: &ProductSettings,
        mode: SettingsWrite,
    ) -> Result<bool, StoreFailure> {
        let written = self
            .connection
            .prepare_cached(&mode.sql())?
            .execute(params![
                sku,
                settings.name,
                settings.stock,
                settings.safety_stock,
                settings.low_stock_threshold,
                policy_name(settings.backorders),
                settings.backorder_limit,
                settings.lead_time_days,
                encode_incoming(&settings.incoming)?,
                settings.max_per_customer,
            ])?;
        Ok(written > 0)
    }

    async fn write_inventory(
        &mut self,
        sku: &str,
        inventory: &Inventory,
    ) -> Result<(), StoreFailure> {
        self.connection.execute(
            "UPDATE products SET stock = ?2, incoming = ?3, version = version + 1 WHERE sku = ?1",
            params![sku, inventory.stock, encode_incoming(&inventory.incoming)?],
        )?;
        Ok(())
    }

    async fn product_count(&mut self) -> Result<u64, StoreFailure> {
        Ok(self
            .connection
            .query_row("SELECT COUNT(*) FROM products", [], |row| row.get(0))?)
    }

    async fn placement_for_key(
        &mut self,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(
                "SELECT request, response FROM reservations WHERE idempotency_key = ?1",
            )?
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?)
    }

    async fn waiting_by_email(&mut self, sku: &str) -> Result<Vec<(String, u32)>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(
            "SELECT email, quantity - from_stock - filled FROM reservations
             WHERE sku = ?1 AND status = 'reserved' AND from_stock + filled < quantity",
        )?;
        let rows = statement
            .query_map([sku], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn insert_reservation(&mut self, row: &ReservationRow<'_>) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(
                "INSERT INTO reservations (id, sku, quantity, from_stock, filled, email, status,
                                           created_at, idempotency_key, request, response)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, 'reserved', ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                row.id,
                row.sku,
                row.quantity,
                row.from_stock,
                row.email,
                row.created_at,
                row.idempotency_key,
                row.request,
                row.response
            ])?;
        Ok(())
    }

    async fn apply_fills(&mut self, fills: &[Fill]) -> Result<(), StoreFailure> {
        let mut update = self
            .connection
            .prepare_cached("UPDATE reservations SET filled = filled + ?2 WHERE seq = ?1")?;
        for fill in fills {
            update.execute(params![fill.reservation, fill.units])?;
        }
        Ok(())
    }

    async fn mark_cancelled(&mut self, seq: u64, now: &str) -> Result<(), StoreFailure> {
        self.connection.execute(
            "UPDATE reservations SET status = 'cancelled', cancelled_at = ?2 WHERE seq = ?1",
            params![seq, now],
        )?;
        Ok(())
    }

    async fn record(&mut self, id: &str) -> Result<Option<ReservationRecord>, StoreFailure> {
        self.query_record("id", &id)
    }

    async fn record_by_seq(&mut self, seq: u64) -> Result<ReservationRecord, StoreFailure> {
        Ok(self
            .query_record("seq", &seq)?
            .context("a queued reservation is missing")?)
    }

    async fn records_of(&mut self, sku: &str) -> Result<Vec<ReservationRecord>, StoreFailure> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE sku = ?1 ORDER BY seq");
        let mut statement = self.connection.prepare(&sql)?;
        let records = statement
            .query_map([sku], record_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(records)
    }

    async fn announce(&mut self, _skus: &[String]) -> Result<(), StoreFailure> {
        Ok(())
    }

    fn notes(&mut self) -> &mut TxNotes {
        &mut self.notes
    }

    async fn insert_event(&mut self, event: &OutboxEvent<'_>) -> Result<u64, StoreFailure> {
        let seq: i64 = self
            .connection
            .prepare_cached(hooks::INSERT_EVENT)?
            .query_row(
                params![
                    event.id,
                    event.kind.name(),
                    event.sku,
                    event.body,
                    event.created_ms
                ],
                |row| row.get(0),
            )?;
        let deliveries = self
            .connection
            .prepare_cached(hooks::FAN_OUT)?
            .execute(params![
                seq,
                event.sku,
                event.created_ms,
                hooks::events_pattern(event.kind)
            ])?;
        Ok(deliveries as u64)
    }

    async fn insert_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreFailure> {
        self.connection.execute(
            hooks::INSERT_ENDPOINT,
            params![
                endpoint.id,
                endpoint.url,
                hooks::encode_events(&endpoint.events),
                endpoint.secret,
                endpoint.created_at
            ],
        )?;
        Ok(())
    }

    async fn endpoints(&mut self) -> Result<Vec<EndpointState>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(hooks::ENDPOINTS)?;
        let rows = statement
            .query_map([], |row| {
                Ok(EndpointState {
                    endpoint: Endpoint {
                        id: row.get(0)?,
                        url: row.get(1)?,
                        events: hooks::decode_events(&row.get::<_, String>(2)?),
                        secret: row.get(3)?,
                        created_at: row.get(4)?,
                        disabled: hooks::disabled(row.get(5)?, row.get(6)?),
                    },
                    pending: row.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn endpoint_events(&mut self) -> Result<Vec<Option<Vec<EventType>>>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(hooks::ENABLED_ENDPOINTS)?;
        let events = statement
            .query_map([], |row| row.get::<_, String>(1))?
            .map(|events| events.map(|events| hooks::decode_events(&events)))
            .collect::<Result<_, _>>()?;
        Ok(events)
    }

    async fn delete_endpoint(&mut self, id: &str) -> Result<bool, StoreFailure> {
        Ok(self.connection.execute(hooks::DELETE_ENDPOINT, [id])? > 0)
    }

    async fn due_deliveries(&mut self, now_ms: i64) -> Result<i64, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(hooks::ANY_DUE)?
            .query_row([now_ms], |row| row.get(0))?)
    }

    async fn claim_deliveries(
        &mut self,
        claim: Claim<'_>,
        lease_until_ms: i64,
    ) -> Result<Vec<Due>, StoreFailure> {
        let to_due = |row: &rusqlite::Row<'_>| {
            Ok(Due {
                endpoint_id: row.get(0)?,
                event_seq: row.get(1)?,
                attempts: row.get(2)?,
                event_id: row.get(3)?,
                body: row.get(4)?,
                created_ms: row.get(5)?,
                url: row.get(6)?,
                secret: row.get(7)?,
                sku: row.get(8)?,
                lease_until_ms,
            })
        };
        let due: Vec<Due> = match claim {
            Claim::Due { now_ms, limit } => self
                .connection
                .prepare_cached(hooks::DUE)?
                .query_map(params![now_ms, limit], to_due)?
                .collect::<Result<_, _>>()?,
            Claim::NextInLine {
                endpoint_id,
                sku,
                now_ms,
            } => self
                .connection
                .prepare_cached(hooks::NEXT_IN_LINE)?
                .query_map(params![endpoint_id, sku, now_ms], to_due)?
                .collect::<Result<_, _>>()?,
        };
        let mut lease = self.connection.prepare_cached(hooks::LEASE)?;
        for delivery in &due {
            lease.execute(params![
                lease_until_ms,
                delivery.endpoint_id,
                delivery.event_seq
            ])?;
        }
        Ok(due)
    }

    async fn finish_delivery(&mut self, finished: &Finished) -> Result<bool, StoreFailure> {
        let (state, next_attempt_ms) = hooks::finish_params(finished);
        let updated = self
            .connection
            .prepare_cached(hooks::FINISH)?
            .execute(params![
                state,
                finished.attempt,
                next_attempt_ms,
                finished.endpoint_id,
                finished.event_seq,
                finished.lease_until_ms
            ])?;
        if updated == 0 {
            return Ok(false);
        }
        self.connection
            .prepare_cached(hooks::LOG_ATTEMPT)?
            .execute(params![
                finished.endpoint_id,
                finished.event_seq,
                finished.attempt,
                finished.attempted_ms,
                finished.status_code,
                finished.error,
                finished.outcome.name(),
                finished.next_retry_ms
            ])?;
        if finished.outcome == AttemptOutcome::Gone {
            self.connection.execute(
                hooks::DISABLE_ENDPOINT,
                params![
                    crate::server::clock::rfc3339(finished.attempted_ms.div_euclid(1000)),
                    "the receiver answered 410 Gone",
                    finished.endpoint_id
                ],
            )?;
            self.connection.execute(
                hooks::PARK_DELIVERIES,
                params![hooks::NEVER_MS, finished.endpoint_id],
            )?;
        }
        Ok(true)
    }

    async fn attempts(
        &mut self,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(hooks::ATTEMPTS)?;
        let rows = statement
            .query_map(params![endpoint_id, limit], |row| {
                Ok(Attempt {
                    event_id: row.get(0)?,
                    event_type: row.get(1)?,
                    attempt: row.get(2)?,
                    attempted_ms: row.get(3)?,
                    status_code: row.get(4)?,
                    error: row.get(5)?,
                    outcome: AttemptOutcome::from_name(&row.get::<_, String>(6)?),
                    next_retry_ms: row.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn prune_outbox(&mut self, before_ms: i64) -> Result<(), StoreFailure> {
        for statement in hooks::PRUNE {
            self.connection.execute(statement, [before_ms])?;
        }
        Ok(())
    }

    async fn subscription(
        &mut self,
        sku: &str,
        email_folded: &str,
    ) -> Result<Option<Subscription>, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(subscriptions::BY_EMAIL)?
            .query_row([sku, email_folded], subscription_from_row)
            .optional()?)
    }

    async fn insert_subscription(
        &mut self,
        subscription: &Subscription,
        email_folded: &str,
    ) -> Result<(), StoreFailure> {
        self.connection.execute(
            subscriptions::INSERT,
            params![
                subscription.token,
                subscription.sku,
                subscription.email,
                email_folded,
                subscription.lang,
                subscription.created_at
            ],
        )?;
        Ok(())
    }

    async fn take_subscriptions(&mut self, sku: &str) -> Result<Vec<Subscription>, StoreFailure> {
        let taken = self
            .connection
            .prepare_cached(subscriptions::OF_PRODUCT)?
            .query_map([sku], subscription_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        self.connection
            .execute(subscriptions::DELETE_OF_PRODUCT, [sku])?;
        Ok(taken)
    }

    async fn delete_subscription(&mut self, token: &str) -> Result<bool, StoreFailure> {
        Ok(self.connection.execute(subscriptions::DELETE, [token])? > 0)
    }

    async fn subscription_count(&mut self, sku: &str) -> Result<u64, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(subscriptions::COUNT)?
            .query_row([sku], |row| row.get(0))?)
    }
}

fn subscription_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        token: row.get(0)?,
        sku: row.get(1)?,
        email: row.get(2)?,
        lang: row.get(3)?,
        created_at: row.get(4)?,
    })
}
