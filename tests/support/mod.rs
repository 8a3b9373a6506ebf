//! Test helpers shared by the native test binaries: a real server on an
//! ephemeral port, with a temporary database and a pinned clock.
//!
//! The database is SQLite, or PostgreSQL when `STOCK_WIDGET_TEST_STORE=postgres`
//! (`cargo xtask test` runs the API suite both ways): one contract, two stores.
#![allow(dead_code)] // each test binary uses a different part

pub mod postgres;
pub mod receiver;
pub mod rush;
pub mod smtp;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use stock_widget::logic::Date;
use stock_widget::server::domain::{OutboundPolicy, ProductSettings, Sku};
use stock_widget::server::store::{Connections, Database};
use stock_widget::server::webhooks::{DeliveryConfig, RetryPolicy};
use stock_widget::server::{Application, Config, Limits, MailConfig, Shop, TestClock, WriteLimit};
use tokio::sync::oneshot;

/// Polls `check` until it holds; fails, naming `what`, if it still does not
/// after `within`. Tests wait for a condition with this rather than sleep
/// for a guessed time.
pub async fn wait_until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {within:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until no enabled webhook endpoint of `shop`'s database has a
/// pending delivery. Events are written to the outbox in the transaction of
/// the change they report, and a delivery stops being pending only after its
/// receiver answered (and a receiver records a request before answering): so
/// once this holds, everything the writes acknowledged so far emitted has
/// arrived, and nothing more will. This is what a test waits for before it
/// asserts that something was *not* sent.
pub async fn wait_until_delivered(shop: &Shop, within: Duration) {
    wait_until("every webhook delivery to be answered", within, || async {
        shop.endpoints()
            .await
            .expect("read the webhook endpoints")
            .iter()
            .filter(|state| state.endpoint.disabled.is_none())
            .all(|state| state.pending == 0)
    })
    .await;
}

/// Which store the suite runs against.
pub fn on_postgres() -> bool {
    std::env::var("STOCK_WIDGET_TEST_STORE").is_ok_and(|store| store == "postgres")
}

/// A fresh, empty database for one test: a SQLite file in a temporary
/// directory, or a new database in the shared throwaway PostgreSQL cluster.
pub struct TestDatabase {
    pub database: Database,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn new() -> TestDatabase {
        if on_postgres() {
            let url = postgres::shared().create_database();
            TestDatabase {
                database: Database::Postgres(url),
                _dir: None,
            }
        } else {
            TestDatabase::sqlite()
        }
    }

    /// Always SQLite (tests of SQLite itself).
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        TestDatabase {
            database: Database::Sqlite(dir.path().join("test.db")),
            _dir: Some(dir),
        }
    }

    /// The value for `--db`.
    pub fn arg(&self) -> String {
        match &self.database {
            Database::Sqlite(path) => path.to_string_lossy().into_owned(),
            Database::Postgres(url) => url.clone(),
        }
    }

    /// Another connection to the same database (a second server, a
    /// reopened one), on its own clock at the test's day.
    pub async fn open(&self) -> Shop {
        self.open_with(Arc::new(TestClock::at(test_today()))).await
    }

    /// Another connection to the same database, on `clock`.
    pub async fn open_with(&self, clock: Arc<TestClock>) -> Shop {
        Shop::connect(&self.database, Connections::default(), clock)
            .await
            .expect("open the test database")
    }
}

/// The date every test server believes it is, unless a test moves its clock.
pub fn test_today() -> Date {
    Date::parse_iso("2026-03-02").unwrap()
}

pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct TestServer {
    pub base_url: String,
    pub shop: Shop,
    pub clock: Arc<TestClock>,
    pub admin_token: Option<String>,
    config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub database: Arc<TestDatabase>,
}

pub struct Options {
    pub demo: bool,
    /// The admin token [`TestServer::admin`] sends.
    pub admin_token: Option<String>,
    /// Admin tokens the server also takes.
    pub more_admin_tokens: Vec<String>,
    /// Tokens for the admin `GET`s only.
    pub read_only_tokens: Vec<String>,
    pub allow_origins: Vec<String>,
    pub limits: Limits,
    pub write_limit: WriteLimit,
    pub webhooks: DeliveryConfig,
    pub mail: MailConfig,
}

/// Webhook retries in tenths of a second, not seconds: a test waits for them.
/// Private addresses allowed (`--allow-private-webhooks`): the receivers
/// listen on loopback. `tests/api/outbound.rs` turns it off.
pub fn quick_webhooks() -> DeliveryConfig {
    DeliveryConfig {
        retry: RetryPolicy {
            first_retry: std::time::Duration::from_millis(100),
            max_retry: std::time::Duration::from_millis(800),
            ..RetryPolicy::default()
        },
        timeout: std::time::Duration::from_secs(5),
        poll: std::time::Duration::from_millis(100),
        outbound: OutboundPolicy::ALLOW_PRIVATE,
        ..DeliveryConfig::default()
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            demo: false,
            admin_token: Some("test-admin-token".into()),
            more_admin_tokens: Vec::new(),
            read_only_tokens: Vec::new(),
            allow_origins: Vec::new(),
            limits: Limits::default(),
            // Tests reserve in bursts from one address; the limit's own test sets it.
            write_limit: WriteLimit {
                per_minute: 1_000_000,
                client_ip_header: None,
            },
            webhooks: quick_webhooks(),
            mail: MailConfig::default(),
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> TestServer {
        TestServer::start_on(Arc::new(TestDatabase::new().await), options).await
    }

    /// A server on an existing database (several servers on one PostgreSQL).
    pub async fn start_on(database: Arc<TestDatabase>, options: Options) -> TestServer {
        let config = Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            db: database.database.clone(),
            connections: Connections::default(),
            demo: options.demo,
            admin_tokens: options
                .admin_token
                .iter()
                .chain(&options.more_admin_tokens)
                .cloned()
                .collect(),
            read_only_tokens: options.read_only_tokens.clone(),
            www_dir: project_dir().join("www"),
            widget_dir: project_dir().join("dist/widget"),
            allow_origins: options.allow_origins.clone(),
            public_url: None,
            limits: options.limits,
            write_limit: options.write_limit.clone(),
            webhooks: options.webhooks,
            mail: options.mail.clone(),
        };
        let clock = Arc::new(TestClock::at(test_today()));
        let shop = database.open_with(Arc::clone(&clock)).await;
        let mut server = TestServer {
            base_url: String::new(),
            shop,
            clock,
            admin_token: options.admin_token,
            config,
            shutdown: None,
            running: None,
            database,
        };
        server.run().await;
        server
    }

    async fn run(&mut self) {
        let application = Application::with_shop(&self.config, self.shop.clone())
            .await
            .expect("start the server");
        // A restart reuses the address, so pages keep pointing at it.
        self.config.addr = application.local_addr();
        self.base_url = format!("http://{}", application.local_addr());
        let (shutdown, stopped) = oneshot::channel::<()>();
        self.shutdown = Some(shutdown);
        self.running = Some(tokio::spawn(application.run_until(async move {
            let _ = stopped.await;
        })));
    }

    /// Takes the server down (the database stays), as an outage would.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(running) = self.running.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), running).await;
        }
    }

    /// Brings it back on the same address and database.
    pub async fn resume(&mut self) {
        self.run().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn put_product(&self, sku: &str, settings: ProductSettings) {
        self.shop
            .put_product(Sku::parse(sku).expect("a test SKU"), settings)
            .await
            .expect("save the product");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Settings for a product with `stock` units, backorders denied, no supply.
pub fn product(name: &str, stock: u32) -> ProductSettings {
    ProductSettings {
        name: name.into(),
        stock,
        safety_stock: 0,
        low_stock_threshold: 0,
        backorders: stock_widget::logic::BackorderPolicy::Deny,
        backorder_limit: None,
        lead_time_days: 14,
        incoming: Vec::new(),
        max_per_customer: None,
        supplier: None,
        service_level: stock_widget::server::domain::ServiceLevel::DEFAULT,
    }
}

/// A JSON response: status and body (`Null` when the body is not JSON).
pub struct Reply {
    pub status: u16,
    pub body: serde_json::Value,
}

impl TestServer {
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap()
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http().get(self.url(path))).await
    }

    /// `POST /api/v1/products/{sku}/reservations`, optionally with an idempotency key.
    pub async fn reserve(&self, sku: &str, quantity: u64, email: &str, key: Option<&str>) -> Reply {
        let mut request = self
            .http()
            .post(self.url(&format!("/api/v1/products/{sku}/reservations")))
            .json(&serde_json::json!({ "quantity": quantity, "email": email }));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http().request(method, self.url(path));
        match &self.admin_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }
}

/// The admin token of servers started with [`start_binary`].
pub const BINARY_ADMIN_TOKEN: &str = "binary-admin-token";

/// A server process that is killed when dropped, so a failing test leaves
/// none behind. Reads as the `Child` it wraps.
pub struct ServerProcess(std::process::Child);

impl std::ops::Deref for ServerProcess {
    type Target = std::process::Child;

    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for ServerProcess {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the real `stock-widget serve` on `db` (a SQLite path or a
/// PostgreSQL URL) with `extra` arguments (a free port unless they name one);
/// returns the process and its base URL, read from its "ready" line. Kill it
/// to simulate a crash.
pub fn start_binary(db: &str, extra: &[&str]) -> (ServerProcess, String) {
    start_binary_with_env(db, extra, &[])
}

/// [`start_binary`] with more environment variables (they override its
/// `STOCK_WIDGET_ADMIN_TOKEN`).
pub fn start_binary_with_env(
    db: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (ServerProcess, String) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_stock-widget"));
    command.args(["serve", "--db", db]);
    if !extra.contains(&"--addr") {
        command.args(["--addr", "127.0.0.1:0"]);
    }
    command
        .env("STOCK_WIDGET_ADMIN_TOKEN", BINARY_ADMIN_TOKEN)
        .envs(env.iter().copied());
    let mut child = ServerProcess(
        command
            .args(extra)
            .current_dir(project_dir())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start stock-widget"),
    );
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    // STOCK_WIDGET_TEST_SERVER_LOGS=1 shows what the servers log.
    let echo = std::env::var_os("STOCK_WIDGET_TEST_SERVER_LOGS").is_some();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if echo {
                eprintln!("[server] {line}");
            }
            if let Some(start) = line.find("http://") {
                let url = line[start..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_owned();
                let _ = sender.send(url);
            }
        }
    });
    let url = receiver
        .recv_timeout(std::time::Duration::from_secs(40))
        .expect("the server says it is ready");
    (child, url)
}

/// Every acknowledged reservation is readable through the server at `url`.
pub async fn assert_reservations_present(http: &reqwest::Client, url: &str, ids: &[String]) {
    for id in ids {
        read_acknowledged(http, url, id).await;
    }
}

/// Every acknowledged reservation, given with its quantity, is readable
/// through the server at `url` and holds that quantity.
pub async fn assert_reservations_present_with(
    http: &reqwest::Client,
    url: &str,
    reservations: &[(String, u64)],
) {
    for (id, quantity) in reservations {
        let body = read_acknowledged(http, url, id).await;
        assert_eq!(body["quantity"], *quantity, "reservation {id}: {body}");
    }
}

async fn read_acknowledged(http: &reqwest::Client, url: &str, id: &str) -> serde_json::Value {
    let response = http
        .get(format!("{url}/api/v1/reservations/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "acknowledged reservation {id} was lost"
    );
    response.json().await.unwrap()
}

/// The store agrees with itself: stock plus what the reservations took
/// from it is what the merchant set, the queue is exactly the units still
/// waiting, and once stock ran out nothing jumped the queue.
pub async fn assert_store_consistent(shop: &Shop, sku: &str, initial_stock: u64) {
    let reservations = shop.reservations_of(sku.into()).await.unwrap();
    let product = shop
        .product_from_database(&Sku::parse(sku).unwrap())
        .await
        .unwrap()
        .unwrap();
    let from_stock: u64 = reservations.iter().map(|r| u64::from(r.from_stock)).sum();
    let waiting: u64 = reservations
        .iter()
        .map(|r| u64::from(r.outstanding()))
        .sum();
    assert_eq!(
        u64::from(product.inventory.stock) + from_stock,
        initial_stock
    );
    assert_eq!(product.inventory.queued(), waiting);
    if let Some(first) = reservations.iter().position(|r| r.outstanding() > 0) {
        assert!(reservations[first + 1..].iter().all(|r| r.from_stock == 0));
    }
}
