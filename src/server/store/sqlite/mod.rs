//! The SQLite store: the embedded default.
//!
//! One writer connection: every write is a `BEGIN IMMEDIATE` transaction
//! that holds it, so the check and the change for a SKU are one atomic step.
//! Writers queue for it asynchronously (no thread is parked waiting), then
//! run on a blocking thread, since SQLite calls block. WAL with
//! `synchronous = FULL` makes a commit durable before it returns; read-only
//! connections see the last commit and never wait for a writer's fsync.
//! Rows are read by column name, as on PostgreSQL.

mod audit;
mod demand;
mod notices;
mod outbox;
mod rows;
mod suppliers;

use super::columns::Columns;
use super::{ChangeSink, FailureKind, MayBeStoreFailure, StoreFailure, Tx, TxNotes, Work};
use anyhow::Context;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Schema changes, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_schema.sql"),
    include_str!("../migrations/sqlite/0002_customer_cap.sql"),
    include_str!("../migrations/sqlite/0003_versions.sql"),
    include_str!("../migrations/sqlite/0004_webhooks.sql"),
    include_str!("../migrations/sqlite/0005_suppliers.sql"),
    include_str!("../migrations/sqlite/0006_delay_notices.sql"),
    include_str!("../migrations/sqlite/0007_mail.sql"),
    include_str!("../migrations/sqlite/0008_subscription_optin.sql"),
    include_str!("../migrations/sqlite/0009_demand.sql"),
    include_str!("../migrations/sqlite/0010_audit.sql"),
    include_str!("../migrations/sqlite/0011_waiting_index.sql"),
    include_str!("../migrations/sqlite/0012_queue_epoch.sql"),
    include_str!("../migrations/sqlite/0013_waiting_reads.sql"),
];

/// The writer connection, and a few read-only ones. The writer keeps up
/// to 64 MiB of pages (SQLite's default is 2 MiB): a hot drop's writes
/// touch the queue, the outbox and the mails, and pages read again from
/// the operating system's cache cost a system call and a copy each.
#[derive(Clone)]
pub struct Sqlite {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<[Arc<Mutex<Connection>>]>,
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
        // A checkpoint every 10 000 WAL pages (~40 MB), not SQLite's 1 000:
        // a drop's commits touch the same pages again and again (the key
        // index, the table's end), and a checkpoint writes each page once
        // however often the WAL holds it. With the widget's random keys:
        // ×1.21 reservations/s (median of four alternating runs), keyless
        // even (BENCHMARKS.md §13, seventh round). The WAL file keeps its
        // largest size; recovery after a crash reads at most that.
        writer.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 10000;",
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
            readers.push(Arc::new(Mutex::new(reader)));
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
        let connection = Arc::clone(&self.writer).lock_owned().await;
        blocking(connection, move |connection| {
            run(connection, "BEGIN IMMEDIATE", &work)
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
        let connection = Arc::clone(&self.readers[index]).lock_owned().await;
        blocking(connection, move |connection| {
            run(connection, "BEGIN DEFERRED", &work)
        })
        .await
    }

    /// Changes when another process commits to the file (SQLite counts
    /// other connections' commits per connection; this is the writer's, and
    /// the readers never commit).
    async fn data_version(&self) -> Result<i64, StoreFailure> {
        let connection = Arc::clone(&self.writer).lock_owned().await;
        blocking(connection, |connection| {
            Ok(connection.query_row("PRAGMA data_version", [], |row| row.get(0))?)
        })
        .await
    }

    /// Another process (`stock-widget import`, a second server by mistake)
    /// may write to the file; this server would not hear of it. Checked
    /// every second: then the sink starts again.
    pub async fn follow(self, sink: Arc<dyn ChangeSink>) {
        let mut seen = None;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let Ok(version) = self.data_version().await else {
                continue;
            };
            if seen.is_some_and(|seen| seen != version) {
                tracing::info!("another process wrote to the database: reading it again");
                sink.follow();
            }
            seen = Some(version);
        }
    }
}

/// One transaction. The work's future never waits on anything but SQLite
/// calls, which complete in place, so blocking on it here is blocking on SQLite.
fn run<T, E>(connection: &mut Connection, begin: &str, work: &impl Work<T, E>) -> Result<T, E>
where
    E: From<StoreFailure>,
{
    let mut tx = SqliteTx::begin(connection, begin)?;
    let value = tokio::runtime::Handle::current().block_on(work(&mut tx))?;
    tx.commit()?;
    Ok(value)
}

/// Runs `work` with the connection it holds on a blocking thread (SQLite calls block).
async fn blocking<T, E, F>(mut connection: OwnedMutexGuard<Connection>, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreFailure> + Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
{
    match tokio::task::spawn_blocking(move || work(&mut connection)).await {
        Ok(result) => result,
        Err(join_error) => Err(E::from(StoreFailure::fault(anyhow::anyhow!(
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

/// Columns by name (see `store::columns`).
impl Columns for rusqlite::Row<'_> {
    fn text(&self, name: &str) -> Result<String, StoreFailure> {
        Ok(self.get(name)?)
    }

    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreFailure> {
        Ok(self.get(name)?)
    }

    fn int(&self, name: &str) -> Result<i64, StoreFailure> {
        Ok(self.get(name)?)
    }

    fn optional_int(&self, name: &str) -> Result<Option<i64>, StoreFailure> {
        Ok(self.get(name)?)
    }

    fn flag(&self, name: &str) -> Result<bool, StoreFailure> {
        Ok(self.get(name)?)
    }

    fn real(&self, name: &str) -> Result<f64, StoreFailure> {
        Ok(self.get(name)?)
    }
}

impl SqliteTx<'_> {
    /// Every row `sql` finds, mapped.
    fn all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl Fn(&dyn Columns) -> Result<T, StoreFailure>,
    ) -> Result<Vec<T>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let mut rows = statement.query(params)?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            found.push(map(row)?);
        }
        Ok(found)
    }

    /// The first row `sql` finds, mapped.
    fn first<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl Fn(&dyn Columns) -> Result<T, StoreFailure>,
    ) -> Result<Option<T>, StoreFailure> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let mut rows = statement.query(params)?;
        rows.next()?.map(|row| map(row)).transpose()
    }
}

#[async_trait::async_trait]
impl Tx for SqliteTx<'_> {
    async fn begin_request(&mut self) -> Result<(), StoreFailure> {
        Ok(self.connection.execute_batch("SAVEPOINT request")?)
    }

    async fn end_request(&mut self, keep: bool, next: bool) -> Result<(), StoreFailure> {
        // Rolled back to, a savepoint stays: the next request starts there.
        Ok(self.connection.execute_batch(match (keep, next) {
            (true, true) => "RELEASE request; SAVEPOINT request",
            (true, false) => "RELEASE request",
            (false, true) => "ROLLBACK TO request",
            (false, false) => "ROLLBACK TO request; RELEASE request",
        })?)
    }

    fn notes(&mut self) -> &mut TxNotes {
        &mut self.notes
    }
}
