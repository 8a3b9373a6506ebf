//! Hears the other servers' commits and reloads what they changed into the
//! application's feed (a [`ChangeSink`]).

use super::{CHANGES_CHANNEL, Postgres, reload::product_for_feed};
use crate::server::store::{ChangeSink, StoreFailure};
use anyhow::Context;
use futures::FutureExt;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPoolOptions};
use std::sync::Arc;
use std::time::Duration;

impl Postgres {
    /// Listens (an error if it cannot), tells the sink it follows, then
    /// hears changes in a task of its own until that is aborted.
    pub async fn follow(
        &self,
        sink: Arc<dyn ChangeSink>,
        run: Arc<str>,
    ) -> anyhow::Result<tokio::task::JoinHandle<()>> {
        let following = listen(&self.pool.connect_options())
            .await
            .context("cannot listen for other servers' changes")?;
        sink.follow();
        let options = (*self.pool.connect_options()).clone();
        Ok(tokio::spawn(follow(options, sink, run, following)))
    }
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
async fn follow(
    options: PgConnectOptions,
    feed: Arc<dyn ChangeSink>,
    run: Arc<str>,
    first: Following,
) {
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
        let cause = hear(&mut current, feed.as_ref(), &run).await;
        tracing::warn!(
            "lost the database's change feed ({cause}); reading from the database until it is back"
        );
        feed.unfollow();
    }
}

/// Hears notices until the feed cannot be trusted; returns why.
async fn hear(current: &mut Following, feed: &dyn ChangeSink, run: &str) -> String {
    let heartbeat = format!("{run} ");
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
                // Those that came meanwhile too: during a rush a product
                // changes many times while one reload runs, and is read once.
                let mut payloads = vec![notice.payload().to_owned()];
                loop {
                    match current.listener.try_recv().now_or_never() {
                        None => break,
                        Some(Ok(Some(more))) => {
                            if !payloads.iter().any(|seen| seen == more.payload()) {
                                payloads.push(more.payload().to_owned());
                            }
                        }
                        Some(Ok(None)) => return "the connection closed".into(),
                        Some(Err(error)) => return error.to_string(),
                    }
                }
                for payload in &payloads {
                    let reloaded = tokio::time::timeout(
                        FEED_HEARTBEAT,
                        reload(&mut current.reader, feed, run, payload),
                    );
                    match reloaded.await {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => return error.to_string(),
                        Err(_) => return "reloading a product took too long".into(),
                    }
                }
            }
            Ok(Ok(None)) => return "the connection closed".into(),
            Ok(Err(error)) => return error.to_string(),
        }
    }
}

/// A notice `"<run> <sku>"`: unless it is this server's own (or a
/// heartbeat, with no SKU), the product as it is now goes to the feed.
async fn reload(
    reader: &mut PgConnection,
    feed: &dyn ChangeSink,
    own_run: &str,
    payload: &str,
) -> Result<(), StoreFailure> {
    let Some((run, sku)) = payload.split_once(' ') else {
        return Ok(());
    };
    if run == own_run || sku.is_empty() {
        return Ok(());
    }
    // A server wrote it, so it parses; a row written by hand may not: there
    // is nothing to reload then.
    let Ok(sku) = crate::server::domain::Sku::parse(sku) else {
        tracing::warn!("ignored a change notice for an invalid SKU: {sku:?}");
        return Ok(());
    };
    let generation = feed.generation();
    // What this server's feed holds of it: only what came since is read.
    let copy = feed.committed(&sku);
    let product = product_for_feed(reader, &sku, copy.as_deref()).await?;
    if let Some(product) = product {
        feed.publish(vec![product], generation);
    }
    Ok(())
}
