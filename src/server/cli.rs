//! Command-line interface: `stock-widget serve | import | import-demand ...`.

use super::domain::OutboundPolicy;
use super::store::{Connections, Database};
use super::webhooks::{DeliveryConfig, RetryPolicy};
use super::{Config, Limits, WriteLimit};
use axum::http::HeaderName;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "stock-widget",
    version,
    about = "Live stock availability and backorder reservations"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the widget files and the demo storefront.
    Serve(Box<ServeArgs>),
    /// Create or update products from a CSV file, all or nothing: the whole
    /// file is checked first, and written in one transaction.
    Import(ImportArgs),
    /// Set past days' demand from a CSV file, all or nothing: the whole
    /// file is checked first, and written in one transaction.
    ImportDemand(ImportDemandArgs),
    /// Print the fingerprint (tok_ and 8 hex digits) of each token read from
    /// stdin, one per line or separated by commas: how the server's log and
    /// its admin requests name them.
    TokenFingerprint,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The CSV file: a header line, then one product per line. Columns:
    /// sku,name,stock (required), safety_stock, low_stock_threshold,
    /// backorders (allow|deny), backorder_limit, lead_time_days,
    /// max_per_customer, incoming (purchase orders: quantity@YYYY-MM-DD,
    /// several separated by ';'), supplier, service_level (0.5 to 0.999).
    /// Empty cells take the defaults.
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, clap::Args)]
pub struct ImportDemandArgs {
    /// The CSV file: the header date,sku,units (in any order), then one
    /// product's day per line: the date (YYYY-MM-DD, today at the latest),
    /// an existing product's SKU, the units asked for that day (sold and
    /// reserved). Each day named replaces what was recorded for it; stock
    /// is never touched.
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
}

/// `--db`, shared by `serve` and the imports.
#[derive(Debug, clap::Args)]
pub struct StoreArg {
    /// Where the data lives: a SQLite file (created if missing), or a
    /// PostgreSQL URL `postgres://user:pass@host:port/dbname` that several
    /// servers share.
    #[arg(
        long,
        env = "STOCK_WIDGET_DB",
        default_value = "stock-widget.db",
        value_name = "PATH|URL",
        hide_env_values = true
    )]
    pub db: Database,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub store: StoreArg,
    /// PostgreSQL: connections this server keeps in its pool.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: u32,
    /// Seed the demo catalog when the store has no products.
    #[arg(long)]
    pub demo: bool,
    /// Bearer token for the whole admin API (repeatable, or several
    /// separated by commas: while one is rolled over, both work). Without
    /// any (and without a read-only one) the admin API is off.
    #[arg(
        long = "admin-token",
        env = "STOCK_WIDGET_ADMIN_TOKEN",
        value_name = "TOKEN",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub admin_tokens: Vec<String>,
    /// Bearer token for the admin API's GETs only (repeatable, or separated
    /// by commas): dashboards, purchasing systems. Any other request with it
    /// is 403 read_only_token.
    #[arg(
        long = "read-only-token",
        env = "STOCK_WIDGET_READ_ONLY_TOKEN",
        value_name = "TOKEN",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub read_only_tokens: Vec<String>,
    /// Folder with the storefront pages served at `/`.
    #[arg(long, default_value = "www")]
    pub www_dir: PathBuf,
    /// Folder with the built widget served at `/widget/`.
    #[arg(long, default_value = "dist/widget")]
    pub widget_dir: PathBuf,
    /// An origin whose pages may call the public API, e.g. https://shop.example
    /// (repeatable; `*` allows any). The server's own origin always works.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// The address shoppers reach this server at, e.g. https://stock.shop.example:
    /// the one-click cancel links in delay notices start with it (default:
    /// http:// and the address the server listens on).
    #[arg(long, env = "STOCK_WIDGET_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Seconds a client has to send a request's headers; also how long an
    /// idle keep-alive connection stays open.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds a request may take before it is answered `408`.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Open connections at most; more are closed at once (and logged).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Live availability streams open at most (each also holds a connection);
    /// more are answered 503 with Retry-After.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_streams: u64,
    /// Seconds between heartbeat comments on an idle availability stream, so
    /// proxies keep it open.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub stream_heartbeat: u64,
    /// Reservations one client address may place or cancel per minute (and at
    /// once). 0 turns the limit off: for load tests, and behind a front end
    /// that limits clients itself.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub reservations_per_minute: u32,
    /// Wrong admin tokens one client address may send per minute (a quarter
    /// of them at once); beyond that its admin requests, even with a right
    /// token, are answered 429 with Retry-After.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub failed_logins_per_minute: u32,
    /// Behind a proxy: the header it puts the client's address in, e.g.
    /// X-Forwarded-For (its last entry counts). Never trusted unless set.
    #[arg(long, value_name = "HEADER")]
    pub client_ip_header: Option<HeaderName>,
    /// Milliseconds before a failed webhook delivery is tried again; the
    /// wait doubles after each failure (up to 6 hours), for up to 3 days.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub webhook_first_retry_ms: u64,
    /// Seconds a webhook receiver has to answer.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub webhook_timeout: u64,
    /// Let webhooks go to loopback, private, link-local and other non-public
    /// addresses (refused by default, at registration and at every send).
    /// For local development and tests only (`cargo xtask dev` sets it): a
    /// production server should not, or the admin API can make it call into
    /// its own network.
    #[arg(
        long,
        env = "STOCK_WIDGET_ALLOW_PRIVATE_WEBHOOKS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_private_webhooks: bool,
    /// Mail shoppers through this SMTP server: smtp://[user:pass@]host:port
    /// (STARTTLS when offered) or smtps://… (TLS from the start). Needs
    /// --mail-from. With --demo and no SMTP server, mails are only kept
    /// (GET /api/v1/admin/mail).
    #[arg(
        long,
        env = "STOCK_WIDGET_SMTP_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub smtp_url: Option<String>,
    /// The sender of shoppers' mails, e.g. 'Shop <shop@example.com>'.
    #[arg(long, env = "STOCK_WIDGET_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
}

impl ServeArgs {
    pub fn into_config(self) -> Config {
        Config {
            addr: self.addr,
            db: self.store.db,
            connections: Connections {
                pool_size: self.db_pool_size,
                // Fail fast: well inside the request timeout.
                acquire_timeout: Duration::from_secs(self.request_timeout.clamp(1, 3)),
                transaction_timeout: Duration::from_secs((self.request_timeout / 2).clamp(1, 10)),
            },
            demo: self.demo,
            admin_tokens: tokens(self.admin_tokens),
            read_only_tokens: tokens(self.read_only_tokens),
            www_dir: self.www_dir,
            widget_dir: self.widget_dir,
            allow_origins: self.allow_origins,
            public_url: self.public_url.filter(|url| !url.is_empty()),
            limits: Limits {
                header_timeout: Duration::from_secs(self.header_timeout),
                request_timeout: Duration::from_secs(self.request_timeout),
                max_connections: self.max_connections as usize,
                max_streams: self.max_streams as usize,
                stream_heartbeat: Duration::from_secs(self.stream_heartbeat),
                failed_logins_per_minute: self.failed_logins_per_minute,
            },
            write_limit: WriteLimit {
                per_minute: self.reservations_per_minute,
                client_ip_header: self.client_ip_header,
            },
            webhooks: DeliveryConfig {
                retry: RetryPolicy {
                    first_retry: Duration::from_millis(self.webhook_first_retry_ms),
                    ..RetryPolicy::default()
                },
                timeout: Duration::from_secs(self.webhook_timeout),
                outbound: OutboundPolicy {
                    allow_private: self.allow_private_webhooks,
                },
                ..DeliveryConfig::default()
            },
            mail: super::MailConfig {
                smtp_url: self.smtp_url.filter(|url| !url.is_empty()),
                from: self.mail_from.filter(|from| !from.is_empty()),
            },
        }
    }
}

/// The tokens as given, without surrounding spaces (`a, b`) or empty ones.
fn tokens(given: Vec<String>) -> Vec<String> {
    given
        .into_iter()
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Config {
        let cli = Cli::try_parse_from(["stock-widget", "serve"].iter().chain(args))
            .expect("the arguments parse");
        match cli.command {
            Command::Serve(args) => args.into_config(),
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn admin_tokens_repeat_and_split_on_commas() {
        let config = serve(&[
            "--admin-token",
            "first-admin-token,second-admin-token",
            "--admin-token",
            " third-admin-token ",
            "--admin-token",
            "",
            "--read-only-token",
            "dashboard-token,,purchasing-token",
        ]);
        assert_eq!(
            config.admin_tokens,
            [
                "first-admin-token",
                "second-admin-token",
                "third-admin-token"
            ]
        );
        assert_eq!(
            config.read_only_tokens,
            ["dashboard-token", "purchasing-token"]
        );
    }

    #[test]
    fn failed_logins_are_limited_to_20_a_minute_unless_told() {
        assert_eq!(serve(&[]).limits.failed_logins_per_minute, 20);
        let config = serve(&["--failed-logins-per-minute", "5"]);
        assert_eq!(config.limits.failed_logins_per_minute, 5);
        assert!(
            Cli::try_parse_from(["stock-widget", "serve", "--failed-logins-per-minute", "0"])
                .is_err()
        );
    }

    #[test]
    fn reservations_are_limited_to_10_a_minute_unless_told_and_0_is_no_limit() {
        assert_eq!(serve(&[]).write_limit.per_minute, 10);
        let config = serve(&["--reservations-per-minute", "0"]);
        assert_eq!(config.write_limit.per_minute, 0);
        assert!(
            Cli::try_parse_from([
                "stock-widget",
                "serve",
                "--reservations-per-minute",
                "1000001"
            ])
            .is_err()
        );
    }

    #[test]
    fn token_fingerprint_is_a_command() {
        let cli = Cli::try_parse_from(["stock-widget", "token-fingerprint"]).unwrap();
        assert!(matches!(cli.command, Command::TokenFingerprint));
    }
}
