//! The PostgreSQL store: one database behind any number of servers.
//!
//! Every write is one READ COMMITTED transaction that locks the rows of the
//! products it decides on (`SELECT … FOR UPDATE`) before the logic module
//! decides, so writes to one SKU queue on its row from every server while
//! other SKUs proceed. (SERIALIZABLE would abort and retry most writers of a
//! hot SKU instead of queueing them.) Races that remain — a deadlock, two
//! servers inserting one idempotency key — are retried a few times.
//!
//! Each commit notifies the other servers (`pg_notify`, delivered on commit,
//! in commit order); `follow` listens and reloads the products named into
//! this server's feed. While that connection is down the feed drops its
//! snapshot, so nothing stale is served.

use super::webhooks::{self as hooks, AttemptOutcome};
use super::{
    Attempt, Claim, Due, Endpoint, EndpointState, FailureKind, Finished, MayBeStoreFailure,
    OutboxEvent, Product, ProductSettings, ReservationRecord, ReservationRow, SettingsWrite,
    StoreFailure, Subscription, Tx, TxNotes, Work, decode_incoming, encode_incoming,
    policy_from_name, policy_name, subscriptions,
};
use crate::logic::{Fill, Inventory, QueueEntry};
use crate::server::feed::Feed;
use crate::server::webhooks::events::EventType;
use anyhow::Context;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Row, Transaction};
use std::time::Duration;

/// The channel commits are announced on; payload `"<run> <sku>"`.
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
        include_str!("migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "webhooks",
        include_str!("migrations/postgres/0002_webhooks.sql"),
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
    /// This server's run id: its own notices need no reload.
    run: String,
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

impl Postgres {
    /// Connects, migrates (waiting up to 30 s for a database that is still
    /// starting) and starts following the other servers' changes.
    pub async fn connect(
        url: &str,
        connections: super::Connections,
        feed: Feed,
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
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(connections.pool_size)
            .acquire_timeout(connections.acquire_timeout)
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
        let following = listen(&pool.connect_options())
            .await
            .context("cannot listen for other servers' changes")?;
        feed.follow();
        let options = (*pool.connect_options()).clone();
        tokio::spawn(follow(options, feed.clone(), following));
        Ok(Postgres {
            pool,
            transaction_timeout: connections.transaction_timeout,
            run: feed.run().to_owned(),
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

    async fn attempt<T, E>(&self, write: bool, work: &impl Work<T, E>) -> Result<T, E>
    where
        E: From<StoreFailure>,
    {
        let tx = self.pool.begin().await.map_err(failure)?;
        let mut tx = PgTx {
            tx,
            write,
            run: &self.run,
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

/// How often an idle change feed checks that its connection still
/// carries notices (a notice to itself must come back within this), and how
/// long reloading one product may take.
const FEED_HEARTBEAT: Duration = Duration::from_secs(5);

/// The change feed's two connections: one listens, one reloads what it
/// hears. Neither comes from the requests' pool, so a pool busy with writes
/// (or a pool of one) never delays the propagation of their commits.
struct Following {
    listener: PgListener,
    reader: PgConnection,
}

async fn listen(options: &PgConnectOptions) -> Result<Following, sqlx::Error> {
    use sqlx::Connection;
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&own).await?;
    // Reconnecting is ours to do: the feed must know it was cut off.
    listener.eager_reconnect(false);
    listener.listen(CHANGES_CHANNEL).await?;
    let reader = PgConnection::connect_with(options).await?;
    Ok(Following { listener, reader })
}

/// Hears the other servers' commits and reloads what they changed into
/// this server's feed. When the connection drops, or a notice to itself
/// does not come back (a silent network failure), the feed stops trusting
/// its snapshot until this listens again (then every stream re-checks
/// everything).
async fn follow(options: PgConnectOptions, feed: Feed, first: Following) {
    let mut following = Some(first);
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut current = match following.take() {
            Some(current) => current,
            None => match listen(&options).await {
                Ok(current) => {
                    tracing::info!("following the database's changes again");
                    feed.follow();
                    backoff = Duration::from_millis(100);
                    current
                }
                Err(error) => {
                    tracing::debug!("cannot listen for changes yet: {error}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
        };
        let cause = hear(&mut current, &feed).await;
        tracing::warn!(
            "lost the database's change feed ({cause}); reading from the database until it is back"
        );
        feed.unfollow();
    }
}

/// Hears notices until the feed cannot be trusted; returns why.
async fn hear(current: &mut Following, feed: &Feed) -> String {
    let heartbeat = format!("{} ", feed.run());
    let mut echo_due = false;
    loop {
        // `try_recv` is cancel-safe: a timeout loses no notice.
        match tokio::time::timeout(FEED_HEARTBEAT, current.listener.try_recv()).await {
            Err(_idle) if echo_due => return "a notice to itself never came back".into(),
            Err(_idle) => {
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANGES_CHANNEL)
                    .bind(&heartbeat)
                    .execute(&mut current.reader);
                match tokio::time::timeout(FEED_HEARTBEAT, sent).await {
                    Ok(Ok(_)) => echo_due = true,
                    Ok(Err(error)) => return error.to_string(),
                    Err(_) => return "the reader connection stopped answering".into(),
                }
            }
            Ok(Ok(Some(notice))) => {
                // Any notice shows the connection carries them.
                echo_due = false;
                let reloaded = tokio::time::timeout(
                    FEED_HEARTBEAT,
                    reload(&mut current.reader, feed, notice.payload()),
                );
                match reloaded.await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => return error.to_string(),
                    Err(_) => return "reloading a product took too long".into(),
                }
            }
            Ok(Ok(None)) => return "the connection closed".into(),
            Ok(Err(error)) => return error.to_string(),
        }
    }
}

/// A notice `"<run> <sku>"`: unless it is this server's own (or a
/// heartbeat, with no SKU), the product as it is now goes to the feed.
async fn reload(reader: &mut PgConnection, feed: &Feed, payload: &str) -> Result<(), StoreFailure> {
    use sqlx::Connection;
    let Some((run, sku)) = payload.split_once(' ') else {
        return Ok(());
    };
    if run == feed.run() || sku.is_empty() {
        return Ok(());
    }
    let generation = feed.generation();
    // The product row and its queue from one snapshot.
    let mut tx = reader
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let product = load_product(&mut tx, sku, false).await?;
    tx.commit().await?;
    if let Some(product) = product {
        feed.publish(vec![product], generation);
    }
    Ok(())
}

fn count(row: &PgRow, column: &str) -> Result<u32, StoreFailure> {
    let value: i64 = row.try_get(column)?;
    Ok(u32::try_from(value).with_context(|| format!("{column} out of range: {value}"))?)
}

fn optional_count(row: &PgRow, column: &str) -> Result<Option<u32>, StoreFailure> {
    let value: Option<i64> = row.try_get(column)?;
    value
        .map(|value| {
            u32::try_from(value)
                .with_context(|| format!("{column} out of range: {value}"))
                .map_err(StoreFailure::fault)
        })
        .transpose()
}

async fn load_product(
    connection: &mut PgConnection,
    sku: &str,
    for_update: bool,
) -> Result<Option<Product>, StoreFailure> {
    let sql = if for_update {
        "SELECT name, stock, safety_stock, low_stock_threshold, backorders, backorder_limit,
                lead_time_days, incoming, max_per_customer, version
         FROM products WHERE sku = $1 FOR UPDATE"
    } else {
        "SELECT name, stock, safety_stock, low_stock_threshold, backorders, backorder_limit,
                lead_time_days, incoming, max_per_customer, version
         FROM products WHERE sku = $1"
    };
    let Some(row) = sqlx::query(sql)
        .bind(sku)
        .fetch_optional(&mut *connection)
        .await?
    else {
        return Ok(None);
    };
    let version: i64 = row.try_get("version")?;
    let mut inventory = Inventory {
        stock: count(&row, "stock")?,
        safety_stock: count(&row, "safety_stock")?,
        low_stock_threshold: count(&row, "low_stock_threshold")?,
        backorders: policy_from_name(row.try_get("backorders")?),
        backorder_limit: optional_count(&row, "backorder_limit")?,
        lead_time_days: count(&row, "lead_time_days")?,
        incoming: decode_incoming(row.try_get("incoming")?)?,
        queue: Vec::new(),
    };
    // A second statement on purpose: under READ COMMITTED it takes a new
    // snapshot, after the lock above was granted, so it sees the reservations
    // of the writer we waited for. A subquery in the locking statement would
    // read the queue as it was before that wait, and let the backorder limit
    // be passed.
    let waiting = sqlx::query(
        "SELECT seq, quantity - from_stock - filled AS outstanding FROM reservations
         WHERE sku = $1 AND status = 'reserved' AND from_stock + filled < quantity
         ORDER BY seq",
    )
    .bind(sku)
    .fetch_all(&mut *connection)
    .await?;
    for entry in &waiting {
        let seq: i64 = entry.try_get("seq")?;
        inventory.queue.push(QueueEntry {
            reservation: seq as u64,
            outstanding: count(entry, "outstanding")?,
        });
    }
    Ok(Some(Product {
        sku: sku.to_owned(),
        name: row.try_get("name")?,
        inventory,
        max_per_customer: optional_count(&row, "max_per_customer")?,
        version: version as u64,
    }))
}

const RECORD_COLUMNS: &str = "seq, id, sku, quantity, from_stock, filled, email, \
                              status = 'cancelled' AS cancelled, created_at";

fn record_from_row(row: &PgRow) -> Result<ReservationRecord, StoreFailure> {
    let seq: i64 = row.try_get("seq")?;
    Ok(ReservationRecord {
        seq: seq as u64,
        id: row.try_get("id")?,
        sku: row.try_get("sku")?,
        quantity: count(row, "quantity")?,
        from_stock: count(row, "from_stock")?,
        filled: count(row, "filled")?,
        email: row.try_get("email")?,
        cancelled: row.try_get("cancelled")?,
        created_at: row.try_get("created_at")?,
    })
}

pub struct PgTx<'a> {
    tx: Transaction<'static, sqlx::Postgres>,
    /// Reads of products lock their rows (`FOR UPDATE`).
    write: bool,
    run: &'a str,
    notes: TxNotes,
}

#[async_trait::async_trait]
impl Tx for PgTx<'_> {
    async fn product(&mut self, sku: &str) -> Result<Option<Product>, StoreFailure> {
        load_product(&mut self.tx, sku, self.write).await
    }

    async fn write_settings(
        &mut self,
        sku: &str,
        settings: &ProductSettings,
        mode: SettingsWrite,
    ) -> Result<bool, StoreFailure> {
        let written = sqlx::query(&mode.sql())
            .bind(sku)
            .bind(&settings.name)
            .bind(i64::from(settings.stock))
            .bind(i64::from(settings.safety_stock))
            .bind(i64::from(settings.low_stock_threshold))
            .bind(policy_name(settings.backorders))
            .bind(settings.backorder_limit.map(i64::from))
            .bind(i64::from(settings.lead_time_days))
            .bind(encode_incoming(&settings.incoming)?)
            .bind(settings.max_per_customer.map(i64::from))
            .execute(&mut *self.tx)
            .await?;
        Ok(written.rows_affected() > 0)
    }

    async fn write_inventory(
        &mut self,
        sku: &str,
        inventory: &Inventory,
    ) -> Result<(), StoreFailure> {
        sqlx::query(
            "UPDATE products SET stock = $2, incoming = $3, version = version + 1 WHERE sku = $1",
        )
        .bind(sku)
        .bind(i64::from(inventory.stock))
        .bind(encode_incoming(&inventory.incoming)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn product_count(&mut self) -> Result<u64, StoreFailure> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(count as u64)
    }

    async fn placement_for_key(
        &mut self,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreFailure> {
        let row =
            sqlx::query("SELECT request, response FROM reservations WHERE idempotency_key = $1")
                .bind(key)
                .fetch_optional(&mut *self.tx)
                .await?;
        row.map(|row| Ok((row.try_get("request")?, row.try_get("response")?)))
            .transpose()
    }

    async fn waiting_by_email(&mut self, sku: &str) -> Result<Vec<(String, u32)>, StoreFailure> {
        let rows = sqlx::query(
            "SELECT email, quantity - from_stock - filled AS waiting FROM reservations
             WHERE sku = $1 AND status = 'reserved' AND from_stock + filled < quantity",
        )
        .bind(sku)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("email")?, count(row, "waiting")?)))
            .collect()
    }

    async fn insert_reservation(&mut self, row: &ReservationRow<'_>) -> Result<(), StoreFailure> {
        sqlx::query(
            "INSERT INTO reservations (id, sku, quantity, from_stock, filled, email, status,
                                       created_at, idempotency_key, request, response)
             VALUES ($1, $2, $3, $4, 0, $5, 'reserved', $6, $7, $8, $9)",
        )
        .bind(row.id)
        .bind(row.sku)
        .bind(i64::from(row.quantity))
        .bind(i64::from(row.from_stock))
        .bind(row.email)
        .bind(row.created_at)
        .bind(row.idempotency_key)
        .bind(row.request)
        .bind(row.response)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn apply_fills(&mut self, fills: &[Fill]) -> Result<(), StoreFailure> {
        for fill in fills {
            sqlx::query("UPDATE reservations SET filled = filled + $2 WHERE seq = $1")
                .bind(fill.reservation as i64)
                .bind(i64::from(fill.units))
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn mark_cancelled(&mut self, seq: u64, now: &str) -> Result<(), StoreFailure> {
        sqlx::query(
            "UPDATE reservations SET status = 'cancelled', cancelled_at = $2 WHERE seq = $1",
        )
        .bind(seq as i64)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn record(&mut self, id: &str) -> Result<Option<ReservationRecord>, StoreFailure> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    async fn record_by_seq(&mut self, seq: u64) -> Result<ReservationRecord, StoreFailure> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE seq = $1");
        let row = sqlx::query(&sql)
            .bind(seq as i64)
            .fetch_one(&mut *self.tx)
            .await?;
        record_from_row(&row)
    }

    async fn records_of(&mut self, sku: &str) -> Result<Vec<ReservationRecord>, StoreFailure> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE sku = $1 ORDER BY seq");
        let rows = sqlx::query(&sql).bind(sku).fetch_all(&mut *self.tx).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn announce(&mut self, skus: &[String]) -> Result<(), StoreFailure> {
        for sku in skus {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANGES_CHANNEL)
                .bind(format!("{} {sku}", self.run))
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    fn notes(&mut self) -> &mut TxNotes {
        &mut self.notes
    }

    async fn insert_event(&mut self, event: &OutboxEvent<'_>) -> Result<u64, StoreFailure> {
        let seq: i64 = sqlx::query_scalar(hooks::INSERT_EVENT)
            .bind(event.id)
            .bind(event.kind.name())
            .bind(event.sku)
            .bind(event.body)
            .bind(event.created_ms)
            .fetch_one(&mut *self.tx)
            .await?;
        let fanned = sqlx::query(hooks::FAN_OUT)
            .bind(seq)
            .bind(event.sku)
            .bind(event.created_ms)
            .bind(hooks::events_pattern(event.kind))
            .execute(&mut *self.tx)
            .await?;
        Ok(fanned.rows_affected())
    }

    async fn insert_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreFailure> {
        sqlx::query(hooks::INSERT_ENDPOINT)
            .bind(&endpoint.id)
            .bind(&endpoint.url)
            .bind(hooks::encode_events(&endpoint.events))
            .bind(&endpoint.secret)
            .bind(&endpoint.created_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn endpoints(&mut self) -> Result<Vec<EndpointState>, StoreFailure> {
        let rows = sqlx::query(hooks::ENDPOINTS)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(EndpointState {
                    endpoint: Endpoint {
                        id: row.try_get("id")?,
                        url: row.try_get("url")?,
                        events: hooks::decode_events(row.try_get("events")?),
                        secret: row.try_get("secret")?,
                        created_at: row.try_get("created_at")?,
                        disabled: hooks::disabled(
                            row.try_get("disabled_at")?,
                            row.try_get("disabled_reason")?,
                        ),
                    },
                    pending: row.try_get::<i64, _>("pending")? as u64,
                })
            })
            .collect()
    }

    async fn endpoint_events(&mut self) -> Result<Vec<Option<Vec<EventType>>>, StoreFailure> {
        let rows = sqlx::query(hooks::ENABLED_ENDPOINTS)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|row| Ok(hooks::decode_events(row.try_get("events")?)))
            .collect()
    }

    async fn delete_endpoint(&mut self, id: &str) -> Result<bool, StoreFailure> {
        let deleted = sqlx::query(hooks::DELETE_ENDPOINT)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn due_deliveries(&mut self, now_ms: i64) -> Result<i64, StoreFailure> {
        Ok(sqlx::query_scalar(hooks::ANY_DUE)
            .bind(now_ms)
            .fetch_one(&mut *self.tx)
            .await?)
    }

    async fn claim_deliveries(
        &mut self,
        claim: Claim<'_>,
        lease_until_ms: i64,
    ) -> Result<Vec<Due>, StoreFailure> {
        relax_commit(&mut self.tx).await?;
        // Rows another server is claiming right now are skipped, not waited for.
        let rows = match claim {
            Claim::Due { now_ms, limit } => {
                let sql = format!("{} FOR UPDATE OF d SKIP LOCKED", hooks::DUE);
                sqlx::query(&sql)
                    .bind(now_ms)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *self.tx)
                    .await?
            }
            Claim::NextInLine {
                endpoint_id,
                sku,
                now_ms,
            } => {
                let sql = format!("{} FOR UPDATE OF d SKIP LOCKED", hooks::NEXT_IN_LINE);
                sqlx::query(&sql)
                    .bind(endpoint_id)
                    .bind(sku)
                    .bind(now_ms)
                    .fetch_all(&mut *self.tx)
                    .await?
            }
        };
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            due.push(Due {
                endpoint_id: row.try_get("endpoint_id")?,
                event_seq: row.try_get("event_seq")?,
                attempts: count(row, "attempts")?,
                event_id: row.try_get("event_id")?,
                body: row.try_get("body")?,
                created_ms: row.try_get("created_ms")?,
                url: row.try_get("url")?,
                secret: row.try_get("secret")?,
                sku: row.try_get("sku")?,
                lease_until_ms,
            });
        }
        for delivery in &due {
            sqlx::query(hooks::LEASE)
                .bind(lease_until_ms)
                .bind(&delivery.endpoint_id)
                .bind(delivery.event_seq)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(due)
    }

    async fn finish_delivery(&mut self, finished: &Finished) -> Result<bool, StoreFailure> {
        relax_commit(&mut self.tx).await?;
        let (state, next_attempt_ms) = hooks::finish_params(finished);
        let updated = sqlx::query(hooks::FINISH)
            .bind(state)
            .bind(i64::from(finished.attempt))
            .bind(next_attempt_ms)
            .bind(&finished.endpoint_id)
            .bind(finished.event_seq)
            .bind(finished.lease_until_ms)
            .execute(&mut *self.tx)
            .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(hooks::LOG_ATTEMPT)
            .bind(&finished.endpoint_id)
            .bind(finished.event_seq)
            .bind(i64::from(finished.attempt))
            .bind(finished.attempted_ms)
            .bind(finished.status_code.map(i64::from))
            .bind(&finished.error)
            .bind(finished.outcome.name())
            .bind(finished.next_retry_ms)
            .execute(&mut *self.tx)
            .await?;
        if finished.outcome == AttemptOutcome::Gone {
            sqlx::query(hooks::DISABLE_ENDPOINT)
                .bind(crate::server::clock::rfc3339(
                    finished.attempted_ms.div_euclid(1000),
                ))
                .bind("the receiver answered 410 Gone")
                .bind(&finished.endpoint_id)
                .execute(&mut *self.tx)
                .await?;
            sqlx::query(hooks::PARK_DELIVERIES)
                .bind(hooks::NEVER_MS)
                .bind(&finished.endpoint_id)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(true)
    }

    async fn attempts(
        &mut self,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreFailure> {
        let rows = sqlx::query(hooks::ATTEMPTS)
            .bind(endpoint_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Attempt {
                    event_id: row.try_get("event_id")?,
                    event_type: row.try_get("type")?,
                    attempt: count(row, "attempt")?,
                    attempted_ms: row.try_get("attempted_ms")?,
                    status_code: row
                        .try_get::<Option<i64>, _>("status_code")?
                        .and_then(|code| u16::try_from(code).ok()),
                    error: row.try_get("error")?,
                    outcome: AttemptOutcome::from_name(row.try_get("outcome")?),
                    next_retry_ms: row.try_get("next_retry_ms")?,
                })
            })
            .collect()
    }

    async fn prune_outbox(&mut self, before_ms: i64) -> Result<(), StoreFailure> {
        for statement in hooks::PRUNE {
            sqlx::query(statement)
                .bind(before_ms)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn subscription(
        &mut self,
        sku: &str,
        email_folded: &str,
    ) -> Result<Option<Subscription>, StoreFailure> {
        let row = sqlx::query(subscriptions::BY_EMAIL)
            .bind(sku)
            .bind(email_folded)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    async fn insert_subscription(
        &mut self,
        subscription: &Subscription,
        email_folded: &str,
    ) -> Result<(), StoreFailure> {
        sqlx::query(subscriptions::INSERT)
            .bind(&subscription.token)
            .bind(&subscription.sku)
            .bind(&subscription.email)
            .bind(email_folded)
            .bind(&subscription.lang)
            .bind(&subscription.created_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn take_subscriptions(&mut self, sku: &str) -> Result<Vec<Subscription>, StoreFailure> {
        let rows = sqlx::query(subscriptions::OF_PRODUCT)
            .bind(sku)
            .fetch_all(&mut *self.tx)
            .await?;
        sqlx::query(subscriptions::DELETE_OF_PRODUCT)
            .bind(sku)
            .execute(&mut *self.tx)
            .await?;
        rows.iter().map(subscription_from_row).collect()
    }

    async fn subscription_count(&mut self, sku: &str) -> Result<u64, StoreFailure> {
        let count: i64 = sqlx::query_scalar(subscriptions::COUNT)
            .bind(sku)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(count as u64)
    }

    async fn delete_subscription(&mut self, token: &str) -> Result<bool, StoreFailure> {
        let deleted = sqlx::query(subscriptions::DELETE)
            .bind(token)
            .execute(&mut *self.tx)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }
}

/// A delivery's bookkeeping need not wait for the disk: lost in a crash,
/// the delivery is sent again (at least once, and in order: the log is a
/// prefix, so a later commit cannot survive an earlier lost one). Saves two
/// fsyncs per delivery.
async fn relax_commit(tx: &mut Transaction<'static, sqlx::Postgres>) -> Result<(), StoreFailure> {
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn subscription_from_row(row: &PgRow) -> Result<Subscription, StoreFailure> {
    Ok(Subscription {
        token: row.try_get("token")?,
        sku: row.try_get("sku")?,
        email: row.try_get("email")?,
        lang: row.try_get("lang")?,
        created_at: row.try_get("created_at")?,
    })
}
