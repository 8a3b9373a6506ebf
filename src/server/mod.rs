//! The server: the authority on availability and reservations.
//!
//! Handlers parse input, call the store and the shared logic, and render JSON.
//! Only `store` talks to SQLite; only `clock` reads the time.

pub mod cli;
mod clock;
pub mod demo;
mod error;
mod input;
mod routes;
pub mod store;

pub use clock::{Clock, FixedClock, SystemClock};
pub use store::Store;

use axum::Router;
use axum::http::{HeaderValue, header};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// What a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
}

/// Everything `serve` needs, already parsed.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub demo: bool,
    pub admin_token: Option<String>,
    /// The demo storefront's pages.
    pub www_dir: PathBuf,
    /// The built widget (`cargo xtask build-widget` writes it).
    pub widget_dir: PathBuf,
}

/// The whole HTTP surface: API, health check, widget files and demo pages.
pub fn app(state: AppState, config: &Config) -> Router {
    // The widget's file names are stable, so caches must revalidate.
    let widget_files = Router::new()
        .fallback_service(ServeDir::new(&config.widget_dir))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ));
    Router::new()
        .nest("/api/v1", routes::api_router())
        .merge(routes::health_router())
        .nest_service("/widget", widget_files)
        .fallback_service(ServeDir::new(&config.www_dir))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A bound, not yet serving, server. Binding first lets callers (and tests)
/// learn the real address when they asked for port 0.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let store = Store::open(&config.db)?;
        Application::with_store(config, store, clock).await
    }

    pub async fn with_store(
        config: &Config,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        if config.demo {
            let seeded = demo::seed_if_empty(&store, clock.today()).await?;
            if seeded > 0 {
                tracing::info!(products = seeded, "seeded the demo catalog");
            }
        }
        let router = app(AppState { store, clock }, config);
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", config.addr))?;
        Ok(Application { listener, router })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
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
