//! The server: the authority on availability and reservations.
//!
//! Layers, each using only those below it: `domain` (values parsed once) →
//! `store` (rows) → `ops` (operations and what follows their commits) →
//! `routes` and `cli`. Only `store` talks to the database; only `clock`
//! reads the time. See ARCHITECTURE.md.

mod auth;
pub mod cli;
mod clock;
pub mod demo;
pub mod domain;
mod error;
mod feed;
pub mod import;
pub mod input;
pub mod ops;
mod rate_limit;
mod routes;
mod static_files;
pub mod store;
pub mod webhooks;

pub use auth::{Access, AdminCaller, fingerprint};
pub use clock::{Clock, SystemClock, TestClock};
pub use ops::Shop;
pub use rate_limit::WriteLimit;
pub use store::Store;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

/// What a handler can reach: one `Arc`, so the per-request copy axum makes
/// for each extractor is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub shop: Shop,
    pub clock: Arc<dyn Clock>,
    /// The admin and read-only tokens; none: the admin API is off.
    pub admin_tokens: auth::AdminTokens,
    /// Wrong admin tokens per client address.
    pub failed_logins: Arc<rate_limit::FailedLogins>,
    /// One permit per open availability stream.
    pub streams: Arc<tokio::sync::Semaphore>,
    /// How often an idle stream gets a comment, so proxies keep it open.
    pub stream_heartbeat: std::time::Duration,
    /// Which webhook URLs registration takes (the worker checks every send).
    pub outbound: domain::OutboundPolicy,
}

/// Everything `serve` needs, already parsed.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub db: store::Database,
    /// How the PostgreSQL store pools its connections.
    pub connections: store::Connections,
    pub demo: bool,
    /// Tokens for the whole admin API (several while one is rolled over);
    /// with none and no read-only token the admin API is off.
    pub admin_tokens: Vec<String>,
    /// Tokens for the admin API's `GET`s only.
    pub read_only_tokens: Vec<String>,
    /// The demo storefront's pages.
    pub www_dir: PathBuf,
    /// The built widget (`cargo xtask build-widget` writes it).
    pub widget_dir: PathBuf,
    /// Origins whose pages may call the public API (`*` = any).
    pub allow_origins: Vec<String>,
    /// Where shoppers reach the server (the cancel links in delay notices);
    /// `None`: `http://` and the address it listens on.
    pub public_url: Option<String>,
    /// What one client may hold of the server.
    pub limits: Limits,
    /// How often one client may place or cancel reservations.
    pub write_limit: WriteLimit,
    /// How webhooks are delivered.
    pub webhooks: webhooks::DeliveryConfig,
    /// E-mail to shoppers.
    pub mail: MailConfig,
}

/// `--smtp-url` and `--mail-from`: with both, the server mails shoppers;
/// in the demo without an SMTP URL, mails are kept for the admin preview.
#[derive(Clone, Default)]
pub struct MailConfig {
    pub smtp_url: Option<String>,
    pub from: Option<String>,
}

impl std::fmt::Debug for MailConfig {
    /// The URL may hold a password: only whether there is one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "…"))
            .field("from", &self.from)
            .finish()
    }
}

impl MailConfig {
    /// Where the outbox's mails go; `None`: the server writes none.
    fn mailer(
        &self,
        demo: bool,
        timeout: std::time::Duration,
    ) -> anyhow::Result<Option<webhooks::smtp::Mailer>> {
        match (&self.smtp_url, &self.from) {
            (Some(url), Some(from)) => Ok(Some(webhooks::smtp::Mailer::smtp(url, from, timeout)?)),
            (Some(_), None) => anyhow::bail!("--smtp-url needs --mail-from"),
            (None, _) if demo => Ok(Some(webhooks::smtp::Mailer::Keep)),
            (None, _) => Ok(None),
        }
    }
}

/// Limits that keep slow or idle clients from holding the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A request's headers must arrive within this; it also ends a keep-alive
    /// connection that stays idle this long before its next request.
    pub header_timeout: std::time::Duration,
    /// A request must be answered within this (`408` otherwise).
    pub request_timeout: std::time::Duration,
    /// Open connections at most; more are closed at once, with a log line.
    pub max_connections: usize,
    /// Open availability streams at most (each also holds a connection);
    /// more are answered `503` with `Retry-After`.
    pub max_streams: usize,
    /// How often an idle availability stream gets a heartbeat comment.
    pub stream_heartbeat: std::time::Duration,
    /// Wrong admin tokens one client address may send per minute (a quarter
    /// of them at once); beyond that its admin requests get `429`.
    pub failed_logins_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: std::time::Duration::from_secs(10),
            request_timeout: std::time::Duration::from_secs(30),
            max_connections: 10_000,
            max_streams: 5_000,
            stream_heartbeat: std::time::Duration::from_secs(15),
            failed_logins_per_minute: 20,
        }
    }
}

/// CORS for the public API: the configured origins plus the server's own
/// loopback origins, for the widget's GET/POST/DELETE with JSON and an
/// `Idempotency-Key`.
pub fn cors_layer(allow_origins: &[String], own_port: Option<u16>) -> anyhow::Result<CorsLayer> {
    let origin =
        if allow_origins.iter().any(|origin| origin == "*") {
            AllowOrigin::any()
        } else {
            let mut origins = Vec::new();
            for origin in allow_origins {
                let trimmed = origin.trim_end_matches('/');
                anyhow::ensure!(
                    trimmed.starts_with("http://") || trimmed.starts_with("https://"),
                    "--allow-origin {origin:?}: an origin looks like https://shop.example"
                );
                origins.push(HeaderValue::from_str(trimmed).map_err(|_| {
                    anyhow::anyhow!("--allow-origin {origin:?} is not a valid origin")
                })?);
            }
            if let Some(port) = own_port {
                for host in ["127.0.0.1", "localhost"] {
                    origins.push(HeaderValue::from_str(&format!("http://{host}:{port}"))?);
                }
            }
            AllowOrigin::list(origins)
        };
    Ok(CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .max_age(std::time::Duration::from_secs(600)))
}

/// The whole HTTP surface: API, health check, widget files and demo pages.
pub fn app(state: AppState, config: &Config, cors: CorsLayer) -> Router {
    let writes = rate_limit::config(&config.write_limit);
    if let Some(writes) = &writes {
        rate_limit::spawn_cleanup(writes);
    }
    rate_limit::spawn_failed_logins_cleanup(&state.failed_logins);
    // A request that takes too long is answered `408` with the usual error body.
    let timeout = tower::ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(
            |_: tower::BoxError| async { error::ApiError::request_timeout() },
        ))
        .layer(tower::timeout::TimeoutLayer::new(
            config.limits.request_timeout,
        ));
    let routes = Router::new()
        .nest_service("/api/v1", routes::api_router(&state, cors, writes.as_ref()))
        .merge(routes::health_router())
        .merge(routes::pages_router(writes.as_ref()))
        .nest_service("/widget", static_files::widget_files(&config.widget_dir))
        .fallback_service(static_files::www_files(&config.www_dir))
        .with_state(state);
    // Around the routers, not `Router::layer` on each route (see `api_router`).
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(timeout)
            .service(routes),
    )
}

/// Stops a task when the server stops, however `run_until` returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A bound, not yet serving, server. Binding first lets callers (and tests)
/// learn the real address when they asked for port 0.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    feed: feed::Feed,
    clock: Arc<dyn Clock>,
    /// For the check at each day change.
    shop: Shop,
    deliveries: webhooks::delivery::Worker,
    /// The feed following the database: started here, stopped with the server.
    following: AbortOnDrop,
}

impl Application {
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let shop = Shop::connect(&config.db, config.connections, clock).await?;
        Application::with_shop(config, shop).await
    }

    /// Binds and starts following the database; serving starts with
    /// [`Application::run_until`].
    pub async fn with_shop(config: &Config, shop: Shop) -> anyhow::Result<Application> {
        let admin_tokens = auth::AdminTokens::new(&config.admin_tokens, &config.read_only_tokens)?;
        let clock = Arc::clone(shop.clock());
        let following = AbortOnDrop(shop.follow().await?);
        if config.demo {
            let seeded = demo::seed_if_empty(&shop, clock.today()).await?;
            if seeded > 0 {
                tracing::info!(products = seeded, "seeded the demo catalog");
            }
        }
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", config.addr))?;
        let cors = cors_layer(&config.allow_origins, Some(listener.local_addr()?.port()))?;
        let public_url = match &config.public_url {
            Some(url) => {
                anyhow::ensure!(
                    url.starts_with("http://") || url.starts_with("https://"),
                    "--public-url {url:?}: a URL looks like https://stock.shop.example"
                );
                url.clone()
            }
            None => format!("http://{}", listener.local_addr()?),
        };
        shop.use_public_url(&public_url).await?;
        admin_tokens.log();
        let failed_logins = Arc::new(rate_limit::FailedLogins::new(
            config.limits.failed_logins_per_minute,
            config.write_limit.client_ip_header.clone(),
        ));
        let feed = shop.feed().clone();
        let mailer = config.mail.mailer(config.demo, config.webhooks.timeout)?;
        if mailer.is_some() {
            shop.send_mail();
        }
        let deliveries = webhooks::delivery::Worker::new(shop.clone(), config.webhooks, mailer)?;
        let router = app(
            AppState(Arc::new(Shared {
                shop: shop.clone(),
                clock: clock.clone(),
                admin_tokens,
                failed_logins,
                streams: Arc::new(tokio::sync::Semaphore::new(config.limits.max_streams)),
                stream_heartbeat: config.limits.stream_heartbeat,
                outbound: config.webhooks.outbound,
            })),
            config,
            cors,
        );
        Ok(Application {
            listener,
            router,
            limits: config.limits,
            feed,
            clock,
            shop,
            deliveries,
            following,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    /// Each connection is served by hyper with the header timeout; beyond
    /// `max_connections` new ones are closed at once.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
        use hyper_util::server::conn::auto;
        use hyper_util::service::TowerToHyperService;

        let Application {
            listener,
            router,
            limits,
            feed,
            clock,
            shop,
            deliveries,
            following,
        } = self;
        // A shop outlives an application that stopped (tests resume one).
        feed.open();
        tokio::spawn(announce_new_days(feed.clone(), clock, shop));
        // Webhooks are sent while the server serves.
        let _deliveries = AbortOnDrop(deliveries.spawn());
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(limits.header_timeout));
        let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut warned_full = false;
        loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors, say: wait instead of spinning.
                        tracing::warn!("cannot accept a connection: {error}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let Ok(permit) = connections.clone().try_acquire_owned() else {
                if !warned_full {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: closing new connections until some end"
                    );
                    warned_full = true;
                }
                drop(stream);
                continue;
            };
            warned_full = false;
            // Each request knows its connection's peer (the rate limits key on it).
            let service = tower::ServiceBuilder::new()
                .map_request(
                    move |mut request: axum::http::Request<hyper::body::Incoming>| {
                        request
                            .extensions_mut()
                            .insert(axum::extract::ConnectInfo(peer));
                        request
                    },
                )
                .service(router.clone());
            let service = TowerToHyperService::new(service);
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        }
        drop(listener);
        // Event streams end; in-flight requests finish (within the request
        // timeout); idle connections close now.
        feed.close();
        if tokio::time::timeout(limits.request_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the request timeout: closing them");
        }
        drop(following);
        Ok(())
    }
}

/// At midnight every `ships_in_days` moves: the feed tells the streams, and
/// the reservations that now ship later than their shoppers were told get
/// their notices, and the audit log forgets lines older than 90 days
/// (`Shop::daily`). Also checks once at start, so a
/// server that was down over midnight misses no day; a check that fails is
/// tried again a minute later. Looks at the clock each second, until the
/// server shuts down.
async fn announce_new_days(feed: feed::Feed, clock: Arc<dyn Clock>, shop: Shop) {
    let mut closing = feed.closing();
    let mut today = clock.today();
    let mut checked = None;
    let mut next_try = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = closing.wait_for(|closing| *closing) => return,
            _ = tick.tick() => {}
        }
        let now = clock.today();
        if now != today {
            today = now;
            feed.publish_day();
            next_try = tokio::time::Instant::now();
        }
        if checked != Some(today) && tokio::time::Instant::now() >= next_try {
            match shop.daily().await {
                Ok(()) => checked = Some(today),
                Err(error) => {
                    tracing::warn!("the day's checks failed (again in a minute): {error}");
                    next_try = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
                }
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
