//! The PostgreSQL store: one database behind any number of servers.
//!
//! Every write is one READ COMMITTED transaction that locks the rows of the
//! products it decides on (`SELECT … FOR UPDATE`) before the logic module
//! decides, so writes to one SKU queue on its row from every server while
//! other SKUs proceed. (SERIALIZABLE would abort and retry most writers of a
//! hot SKU instead of queueing them.) Races that remain — a deadlock, two
//! servers inserting one idempotency key — are retried a few times.
//!
//! Each write to a product notifies the other servers (a trigger's
//! `pg_notify`, migration 0011: delivered on commit, in commit order, also for
//! a row changed by hand); `follow.rs` listens and reloads the products named into
//! the application's feed. While that connection is down the feed drops its
//! snapshot, so nothing stale is served.

mod audit;
mod demand;
mod follow;
mod held;
mod notices;
mod outbox;
mod product_read;
mod reload;
mod rows;
mod suppliers;

use super::columns::Columns;
use super::{FailureKind, MayBeStoreFailure, StoreFailure, Tx, TxNotes, Work};
use anyhow::Context;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Row, Transaction};
use std::time::Duration;

/// The feed's reload of a product (`reload.rs`).
pub(super) fn feed_reload() -> &'static str {
    reload::statement()
}

/// The channel commits are announced on; payload `"<run> <sku>"` (the run
/// empty for a write from outside any server). Migration 0011 names it too.
const CHANGES_CHANNEL: &str = "stock_widget_changes";
/// Runs of one transaction that lost a race, at most.
const ATTEMPTS: u32 = 5;
/// How long a starting server waits for the database to come up.
const STARTUP_PATIENCE: Duration = Duration::from_secs(30);

/// Versioned schema changes, applied by sqlx's migrator under its advisory
/// lock: servers starting together apply them once.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "webhooks",
        include_str!("../migrations/postgres/0002_webhooks.sql"),
    ),
    (
        3,
        "suppliers",
        include_str!("../migrations/postgres/0003_suppliers.sql"),
    ),
    (
        4,
        "delay_notices",
        include_str!("../migrations/postgres/0004_delay_notices.sql"),
    ),
    (
        5,
        "mail",
        include_str!("../migrations/postgres/0005_mail.sql"),
    ),
    (
        6,
        "subscription_optin",
        include_str!("../migrations/postgres/0006_subscription_optin.sql"),
    ),
    (
        7,
        "demand",
        include_str!("../migrations/postgres/0007_demand.sql"),
    ),
    (
        8,
        "audit",
        include_str!("../migrations/postgres/0008_audit.sql"),
    ),
    (
        9,
        "waiting_index",
        include_str!("../migrations/postgres/0009_waiting_index.sql"),
    ),
    (
        10,
        "queue_epoch",
        include_str!("../migrations/postgres/0010_queue_epoch.sql"),
    ),
    (
        11,
        "announce_product_writes",
        include_str!("../migrations/postgres/0011_announce_product_writes.sql"),
    ),
    (
        12,
        "reservations_sku_unchecked",
        include_str!("../migrations/postgres/0012_reservations_sku_unchecked.sql"),
    ),
    (
        13,
        "seq_blocks",
        include_str!("../migrations/postgres/0013_seq_blocks.sql"),
    ),
    (
        14,
        "waiting_reads",
        include_str!("../migrations/postgres/0014_waiting_reads.sql"),
    ),
];

#[derive(Debug)]
struct EmbeddedMigrations;

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(
        self,
    ) -> super::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        (*description).into(),
                        MigrationType::Simple,
                        (*sql).into(),
                        false,
                    )
                })
                .collect())
        })
    }
}

#[derive(Clone)]
pub struct Postgres {
    pool: PgPool,
    transaction_timeout: Duration,
}

fn failure(error: sqlx::Error) -> StoreFailure {
    let kind = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => FailureKind::Unavailable,
        sqlx::Error::Database(database) => match database.code().as_deref() {
            // Serialization failure, deadlock.
            Some("40001" | "40P01") => FailureKind::Retry,
            Some("23505") if database.constraint() == Some("reservations_idempotency_key") => {
                FailureKind::Retry
            }
            // Connection exceptions, shutting down / starting up, too many
            // connections, cancelled by a timeout.
            Some(code)
                if code.starts_with("08")
                    || code.starts_with("57P")
                    || code == "53300"
                    || code == "57014" =>
            {
                FailureKind::Unavailable
            }
            _ => FailureKind::Fault,
        },
        _ => FailureKind::Fault,
    };
    StoreFailure {
        kind,
        error: error.into(),
    }
}

impl From<sqlx::Error> for StoreFailure {
    fn from(error: sqlx::Error) -> StoreFailure {
        failure(error)
    }
}

/// A pooled connection idle longer than this is checked before it is used
/// (the database may have closed it meanwhile, say in a restart); one used
/// within the last second is not: if it was closed, its BEGIN fails and
/// `Postgres::begin` takes the next. Every connection is also checked as it
/// goes back to the pool (sqlx), off the request's path.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

impl Postgres {
    /// Connects and migrates (waiting up to 30 s for a database that is
    /// still starting).
    pub async fn connect(
        url: &str,
        connections: super::Connections,
        run: &str,
    ) -> anyhow::Result<Postgres> {
        let options: PgConnectOptions = url.parse().context("--db: not a valid postgres:// URL")?;
        // A 201 promises the reservation is on disk: whatever the database's
        // default, this server's commits wait for the flush.
        let options = options.application_name("stock-widget").options([
            ("synchronous_commit", "on"),
            // Writes rely on row locks, not snapshots: whatever the
            // database's default, a write is READ COMMITTED (reads set
            // their own level).
            ("default_transaction_isolation", "read\\ committed"),
            // Names this server in the change notices its writes give
            // (migration 0011's trigger), so it does not reload its own.
            ("stock_widget.run", run),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(connections.pool_size)
            .acquire_timeout(connections.acquire_timeout)
            // A connection is checked (one round trip) only after it sat
            // idle: in a drop every group would wait for that round trip
            // before its BEGIN (1.1 ms from asking for a connection to BEGIN
            // done, 0.8 without: BENCHMARKS.md §13, seventh round).
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for > CHECK_AFTER_IDLE {
                        sqlx::Connection::ping(connection).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        let started = tokio::time::Instant::now();
        loop {
            match migrate(&pool).await {
                Ok(()) => break,
                Err(error) if started.elapsed() < STARTUP_PATIENCE => {
                    tracing::warn!("waiting for the database: {error:#}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => return Err(error.context("cannot prepare the database")),
            }
        }
        Ok(Postgres {
            pool,
            transaction_timeout: connections.transaction_timeout,
        })
    }

    pub async fn write<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        self.run(true, &work).await
    }

    pub async fn read<T, E>(&self, work: impl Work<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreFailure> + MayBeStoreFailure + Send + 'static,
    {
        self.run(false, &work).await
    }

    /// Runs `work` in a transaction; again when it lost a race, up to `ATTEMPTS` times.
    async fn run<T, E>(&self, write: bool, work: &impl Work<T, E>) -> Result<T, E>
    where
        E: From<StoreFailure> + MayBeStoreFailure,
    {
        let mut attempt = 1;
        loop {
            // Dropping an attempt drops its transaction: rolled back.
            let result =
                match tokio::time::timeout(self.transaction_timeout, self.attempt(write, work))
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err(E::from(StoreFailure {
                        kind: FailureKind::Unavailable,
                        error: anyhow::anyhow!(
                            "the database did not finish a transaction within {:?}",
                            self.transaction_timeout
                        ),
                    })),
                };
            let lost_race = result
                .as_ref()
                .err()
                .and_then(MayBeStoreFailure::store_failure)
                .is_some_and(|failure| failure.kind == FailureKind::Retry);
            if !lost_race || attempt == ATTEMPTS {
                return result;
            }
            attempt += 1;
            tracing::debug!(attempt, "a transaction lost a race; running it again");
        }
    }

    /// A transaction on a pooled connection. One taken unchecked (used
    /// within `CHECK_AFTER_IDLE`) may have died meanwhile, in a restart: its
    /// BEGIN fails and nothing was done, so the next is tried. Only while
    /// the pool had idle ones: a new connection that fails is the answer (a
    /// database that is down fails at once).
    async fn begin(&self) -> Result<Transaction<'static, sqlx::Postgres>, StoreFailure> {
        let mut tries = 0;
        loop {
            let had_idle = self.pool.num_idle() > 0;
            match self.pool.begin().await {
                Ok(tx) => return Ok(tx),
                // No connection came (or the pool is closing): nothing was lost to retry.
                Err(error @ (sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)) => {
                    return Err(failure(error));
                }
                Err(error) => {
                    let failure = failure(error);
                    tries += 1;
                    let again = failure.kind == FailureKind::Unavailable
                        && had_idle
                        && tries <= self.pool.options().get_max_connections();
                    if !again {
                        return Err(failure);
                    }
                    tracing::debug!(error = %failure.error, "a pooled connection was lost; taking another");
                }
            }
        }
    }

    async fn attempt<T, E>(&self, write: bool, work: &impl Work<T, E>) -> Result<T, E>
    where
        E: From<StoreFailure>,
    {
        let tx = self.begin().await?;
        let mut tx = PgTx {
            tx,
            write,
            notes: TxNotes::default(),
        };
        if !write {
            // One consistent snapshot for every statement of the read.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx.tx)
                .await
                .map_err(failure)?;
        }
        // An error drops `tx`, which rolls it back.
        let value = work(&mut tx).await?;
        tx.tx.commit().await.map_err(failure)?;
        Ok(value)
    }
}

async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    let migrator = Migrator::new(EmbeddedMigrations)
        .await
        .map_err(|error| anyhow::anyhow!("migrations: {error}"))?;
    migrator.run(pool).await?;
    Ok(())
}

/// One transaction. Its writes to products announce themselves (migration
/// 0011's trigger): nothing here sends a change notice.
pub struct PgTx {
    tx: Transaction<'static, sqlx::Postgres>,
    /// Reads of products lock their rows (`FOR UPDATE`).
    write: bool,
    notes: TxNotes,
}

#[async_trait::async_trait]
impl Tx for PgTx {
    async fn write_held(
        &mut self,
        writes: &crate::server::store::HeldWrites<'_>,
    ) -> Result<(), StoreFailure> {
        held::write_held(self, writes).await
    }

    async fn begin_request(&mut self) -> Result<(), StoreFailure> {
        sqlx::query("SAVEPOINT request")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn end_request(&mut self, keep: bool, next: bool) -> Result<(), StoreFailure> {
        // Undone, the savepoint gives back the row locks taken since, and
        // the change notices its writes gave. Rolled back to, a savepoint stays: the next request starts there.
        // Text without parameters goes as one simple query: one round trip.
        let statements = match (keep, next) {
            (true, true) => "RELEASE SAVEPOINT request; SAVEPOINT request",
            (true, false) => "RELEASE SAVEPOINT request",
            (false, true) => "ROLLBACK TO SAVEPOINT request",
            (false, false) => "ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request",
        };
        sqlx::Executor::execute(&mut *self.tx, statements).await?;
        Ok(())
    }

    fn notes(&mut self) -> &mut TxNotes {
        &mut self.notes
    }
}

/// Columns by name (see `store::columns`).
impl Columns for PgRow {
    fn text(&self, name: &str) -> Result<String, StoreFailure> {
        Ok(self.try_get(name)?)
    }

    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreFailure> {
        Ok(self.try_get(name)?)
    }

    fn int(&self, name: &str) -> Result<i64, StoreFailure> {
        Ok(self.try_get(name)?)
    }

    fn optional_int(&self, name: &str) -> Result<Option<i64>, StoreFailure> {
        Ok(self.try_get(name)?)
    }

    fn flag(&self, name: &str) -> Result<bool, StoreFailure> {
        Ok(self.try_get(name)?)
    }

    fn real(&self, name: &str) -> Result<f64, StoreFailure> {
        Ok(self.try_get(name)?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_trigger_announces_on_the_channel_the_servers_hear() {
        let trigger = super::MIGRATIONS
            .iter()
            .find(|(_, name, _)| *name == "announce_product_writes")
            .map(|(_, _, sql)| *sql)
            .unwrap_or_default();
        assert!(trigger.contains(&format!("pg_notify('{}'", super::CHANGES_CHANNEL)));
    }
}
