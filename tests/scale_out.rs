//! Several servers on one PostgreSQL: the guarantees of one server hold
//! behind a load balancer. Each test runs the real binary three times against
//! its own throwaway cluster (fsync on), so crashes and database restarts
//! touch nothing else.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/mod.rs"]
mod support;

use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stock_widget::server::store::{Connections, Database};
use stock_widget::server::{Shop, SystemClock};
use support::postgres::Cluster;
use support::rush::{Ledger, reserve};
use support::{
    BINARY_ADMIN_TOKEN as TOKEN, ServerProcess, assert_reservations_present,
    assert_store_consistent, start_binary, wait_until,
};

/// Reservations come in bursts from one address here: lift the per-address
/// limit. The webhook receiver listens on loopback: allow it.
const SERVER_ARGS: &[&str] = &[
    "--reservations-per-minute",
    "1000000",
    "--request-timeout",
    "10",
    "--allow-private-webhooks",
];

struct Servers {
    // Dropped in this order: the servers first, then their database.
    processes: Vec<ServerProcess>,
    cluster: Cluster,
    database: String,
    urls: Vec<String>,
    http: reqwest::Client,
}

impl Servers {
    /// A fresh cluster and database, and three servers on it.
    async fn start() -> Servers {
        let cluster = Cluster::start(true);
        let database = cluster.create_database();
        let mut processes = Vec::new();
        let mut urls = Vec::new();
        for _ in 0..3 {
            let (process, url) = start_binary(&database, SERVER_ARGS);
            processes.push(process);
            urls.push(url);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        Servers {
            cluster,
            database,
            processes,
            urls,
            http,
        }
    }

    async fn put_product(&self, server: usize, sku: &str, settings: Value) {
        let response = self
            .http
            .put(format!("{}/api/v1/admin/products/{sku}", self.urls[server]))
            .bearer_auth(TOKEN)
            .json(&settings)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// The store as a fourth client sees it.
    async fn store(&self) -> Shop {
        Shop::connect(
            &Database::Postgres(self.database.clone()),
            Connections::default(),
            std::sync::Arc::new(SystemClock),
        )
        .await
        .unwrap()
    }

    /// `GET …/availability` of `sku` on `server`.
    async fn availability(&self, server: usize, sku: &str) -> Value {
        let url = &self.urls[server];
        let response = self
            .http
            .get(format!("{url}/api/v1/products/{sku}/availability"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn health(&self, server: usize) -> u16 {
        match self
            .http
            .get(format!("{}/healthz", self.urls[server]))
            .timeout(Duration::from_secs(2))
            .send()
            .await
        {
            Ok(response) => response.status().as_u16(),
            Err(_) => 0,
        }
    }

    async fn wait_until_healthy(&self, server: usize, expected: u16) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.health(server).await != expected {
            assert!(
                Instant::now() < deadline,
                "server {server}'s /healthz never answered {expected}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_starting_together_on_an_empty_database_migrate_and_seed_once() {
    let cluster = Cluster::start(false);
    let database = cluster.create_database();
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let database = database.clone();
            std::thread::spawn(move || start_binary(&database, &["--demo"]))
        })
        .collect();
    let mut processes = Vec::new();
    for start in starts {
        processes.push(start.join().expect("every server starts").0);
    }
    let store = Shop::connect(
        &Database::Postgres(database.clone()),
        Connections::default(),
        std::sync::Arc::new(SystemClock),
    )
    .await
    .unwrap();
    // The demo queue's early bird, placed by whichever server seeded first.
    assert_eq!(
        store
            .reservations_of("BIKE-CITY".into())
            .await
            .unwrap()
            .len(),
        1
    );
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&database)
        .await
        .unwrap();
    let (applied, versions): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(&mut connection)
            .await
            .unwrap();
    assert_eq!(applied, versions, "each migration applied once");
    let migrations =
        std::fs::read_dir(support::project_dir().join("src/server/store/migrations/postgres"))
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .is_ok_and(|entry| entry.path().extension().is_some_and(|ext| ext == "sql"))
            })
            .count() as i64;
    assert_eq!(versions, migrations, "every migration, each once");
    drop(processes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_hundred_reservations_over_three_servers_never_oversell() {
    let servers = Servers::start().await;
    servers
        .put_product(
            0,
            "HOT",
            json!({ "name": "Hot", "stock": 100, "backorders": "allow", "backorder_limit": 50 }),
        )
        .await;
    let mut requests = Vec::new();
    for index in 0..300 {
        let http = servers.http.clone();
        let url = servers.urls[index % 3].clone();
        requests.push(tokio::spawn(async move {
            let email = format!("shopper{index}@example.com");
            reserve(&http, &url, "HOT", 1, &email, None)
                .await
                .unwrap()
                .0
        }));
    }
    let mut statuses = Vec::new();
    for request in requests {
        statuses.push(request.await.unwrap());
    }
    let created = statuses.iter().filter(|status| **status == 201).count();
    let refused = statuses.iter().filter(|status| **status == 409).count();
    assert_eq!((created, refused), (150, 150), "statuses: {statuses:?}");

    let store = servers.store().await;
    let reservations = store.reservations_of("HOT".into()).await.unwrap();
    assert_eq!(reservations.len(), 150);
    assert_eq!(
        reservations.iter().filter(|r| r.from_stock == 1).count(),
        100
    );
    assert_eq!(
        reservations.iter().filter(|r| r.outstanding() == 1).count(),
        50
    );
    assert_store_consistent(&store, "HOT", 100).await;
    // Every server answers the same availability.
    for server in 0..3 {
        let body = servers.availability(server, "HOT").await;
        assert_eq!(body["status"], "out_of_stock", "server {server}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_to_three_servers_at_once_places_one_reservation() {
    let servers = Servers::start().await;
    // One unit each: a request that waited for the first one with its key
    // must replay it, not find the product sold out.
    for round in 0..10 {
        servers
            .put_product(
                0,
                &format!("KEYED-{round}"),
                json!({ "name": "Keyed", "stock": 1 }),
            )
            .await;
    }
    for round in 0..10 {
        let (sku, key) = (format!("KEYED-{round}"), format!("order-{round}"));
        let mut requests = Vec::new();
        for url in &servers.urls {
            let (http, url, sku, key) =
                (servers.http.clone(), url.clone(), sku.clone(), key.clone());
            requests.push(tokio::spawn(async move {
                reserve(&http, &url, &sku, 1, "same@example.com", Some(&key))
                    .await
                    .unwrap()
            }));
        }
        let mut ids = HashSet::new();
        for request in requests {
            let (status, body, _) = request.await.unwrap();
            assert_eq!(status, 201, "round {round}: {body}");
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "round {round}: one reservation, replayed");
        let store = servers.store().await;
        assert_eq!(store.reservations_of(sku.clone()).await.unwrap().len(), 1);
        assert_store_consistent(&store, &sku, 1).await;
    }
}

/// 96 shoppers rush one product over three servers (120 in stock, 60 more
/// on backorder), each request with its own idempotency key, a third of them
/// also sent at the same time to another server: exactly 180 units are
/// acknowledged, everyone else is refused, each key placed one reservation
/// (both its answers carry it), and then every server says sold out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_under_a_rush_sell_exact_stock_with_one_reservation_per_key() {
    let started = Instant::now();
    let servers = Servers::start().await;
    servers
        .put_product(
            0,
            "HOT",
            json!({ "name": "Hot", "stock": 120, "backorders": "allow", "backorder_limit": 60 }),
        )
        .await;
    let ledger = Arc::new(Ledger::default());
    let shoppers: Vec<_> = (0..96)
        .map(|client| {
            let (http, urls) = (servers.http.clone(), servers.urls.clone());
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move {
                let email = format!("c{client}@example.com");
                for n in 0.. {
                    let key = format!("rush-{client}-{n}");
                    let server = (client + n) % 3;
                    let send =
                        |server: usize| ledger.send(&http, &urls[server], "HOT", 1, &email, &key);
                    let answers = if n % 3 == 0 {
                        let (first, second) = tokio::join!(send(server), send((server + 1) % 3));
                        vec![first, second]
                    } else {
                        vec![send(server).await]
                    };
                    assert!(answers.iter().all(Option::is_some), "{key} unanswered");
                    if answers.iter().flatten().any(|answer| answer.sold_out()) {
                        return;
                    }
                }
            })
        })
        .collect();
    let rush = async {
        for shopper in shoppers {
            shopper.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(30), rush)
        .await
        .expect("the rush is over within 30 s");

    // Only 201s and 409s; one id per key, both of a doubled key's answers.
    let placements = ledger.placements();
    assert_eq!(placements.len(), 180, "acknowledged units: one each");
    assert!(ledger.answered_twice() > 0, "keys were sent twice");
    let store = servers.store().await;
    let rows = store.reservations_of("HOT".into()).await.unwrap();
    let row_ids: HashSet<String> = rows.iter().map(|row| row.id.to_string()).collect();
    let acknowledged: HashSet<String> = placements.values().cloned().collect();
    assert_eq!(rows.len(), 180);
    assert_eq!(row_ids, acknowledged, "each key, one row");
    assert_store_consistent(&store, "HOT", 120).await;
    for server in 0..3 {
        wait_until(
            &format!("server {server} to say HOT is sold out"),
            Duration::from_secs(10),
            || async { servers.availability(server, "HOT").await["max_quantity"] == 0 },
        )
        .await;
    }
    eprintln!(
        "three servers, one rush: {} refused, {} keys answered twice, {:?}",
        ledger.refused(),
        ledger.answered_twice(),
        started.elapsed()
    );
}

/// A status code (0: no answer) and the `Retry-After` that came with it.
type Answer = (u16, Option<String>);

/// Sends reservations from `clients` tasks, round robin over `urls`, until
/// `stop`; records every answer and every acknowledged id.
struct Load {
    answers: Arc<Mutex<Vec<Answer>>>,
    acknowledged: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(http: &reqwest::Client, urls: &[String], sku: &str, clients: usize) -> Load {
        let load = Load {
            answers: Arc::default(),
            acknowledged: Arc::default(),
            stop: Arc::default(),
            tasks: Vec::new(),
        };
        let mut tasks = Vec::new();
        for client in 0..clients {
            let (http, urls, sku) = (http.clone(), urls.to_vec(), sku.to_owned());
            let (answers, acknowledged, stop) = (
                Arc::clone(&load.answers),
                Arc::clone(&load.acknowledged),
                Arc::clone(&load.stop),
            );
            tasks.push(tokio::spawn(async move {
                let mut attempt = client;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    attempt += 1;
                    let url = &urls[attempt % urls.len()];
                    let email = format!("c{client}@example.com");
                    match reserve(&http, url, &sku, 1, &email, None).await {
                        Ok((status, body, retry_after)) => {
                            if status == 201 {
                                let id = body["id"].as_str().unwrap().to_owned();
                                acknowledged.lock().unwrap().push(id);
                            }
                            answers.lock().unwrap().push((status, retry_after));
                            if status == 503 {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                            }
                        }
                        // A killed server: its clients move on to the others.
                        Err(_) => answers.lock().unwrap().push((0, None)),
                    }
                }
            }));
        }
        Load { tasks, ..load }
    }

    fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    async fn finish(self) -> (Vec<Answer>, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        let answers = self.answers.lock().unwrap().clone();
        let acknowledged = self.acknowledged.lock().unwrap().clone();
        (answers, acknowledged)
    }
}

async fn wait_for_acknowledged(load: &Load, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while load.acknowledged() < count {
        assert!(
            Instant::now() < deadline,
            "the load stalled at {}",
            load.acknowledged()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_one_server_mid_load_loses_no_acknowledged_reservation() {
    let mut servers = Servers::start().await;
    servers
        .put_product(
            0,
            "HOT",
            json!({ "name": "Hot", "stock": 60, "backorders": "allow" }),
        )
        .await;
    let load = Load::start(&servers.http, &servers.urls, "HOT", 9);
    wait_for_acknowledged(&load, 60).await;
    servers.processes[1].kill().expect("SIGKILL");
    servers.processes[1].wait().unwrap();
    let killed_at = load.acknowledged();
    // The other two keep serving.
    wait_for_acknowledged(&load, killed_at + 60).await;
    let (answers, acknowledged) = load.finish().await;
    assert!(
        answers.iter().all(|(status, _)| matches!(status, 201 | 0)),
        "only 201s, and connection errors from the killed server"
    );
    assert_reservations_present(&servers.http, &servers.urls[2], &acknowledged).await;
    let store = servers.store().await;
    let reservations = store.reservations_of("HOT".into()).await.unwrap();
    assert!(reservations.len() >= acknowledged.len());
    assert_store_consistent(&store, "HOT", 60).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_mid_load_gives_only_503s_and_service_resumes() {
    let servers = Servers::start().await;
    servers
        .put_product(0, "HOT", json!({ "name": "Hot", "stock": 100000 }))
        .await;
    let load = Load::start(&servers.http, &servers.urls, "HOT", 6);
    wait_for_acknowledged(&load, 50).await;
    servers.cluster.restart(); // pg_ctl restart -m fast
    let restarted_at = load.acknowledged();
    // Service resumes without restarting the servers.
    for server in 0..3 {
        servers.wait_until_healthy(server, 200).await;
    }
    wait_for_acknowledged(&load, restarted_at + 50).await;
    let (answers, acknowledged) = load.finish().await;
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|(status, _)| !matches!(status, 201 | 503))
        .collect();
    assert!(unexpected.is_empty(), "only 201 and 503: {unexpected:?}");
    assert!(
        answers
            .iter()
            .filter(|(status, _)| *status == 503)
            .all(|(_, retry_after)| retry_after.as_deref() == Some("2")),
        "every 503 says when to retry"
    );
    eprintln!(
        "database restart: {} answers, {} × 503",
        answers.len(),
        answers.iter().filter(|(status, _)| *status == 503).count()
    );
    // Every 201 is durable.
    assert_reservations_present(&servers.http, &servers.urls[0], &acknowledged).await;
    let store = servers.store().await;
    assert_eq!(
        store.reservations_of("HOT".into()).await.unwrap().len(),
        acknowledged.len(),
        "a 503 placed nothing"
    );
    assert_store_consistent(&store, "HOT", 100000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn while_the_database_is_down_requests_fail_fast_and_health_says_why() {
    let servers = Servers::start().await;
    servers
        .put_product(0, "LAMP", json!({ "name": "Lamp", "stock": 5 }))
        .await;
    // Warm every server's snapshot: it must not answer from it once cut off.
    for url in &servers.urls {
        let status = servers
            .http
            .get(format!("{url}/api/v1/products/LAMP/availability"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    servers.cluster.stop();
    for server in 0..3 {
        servers.wait_until_healthy(server, 503).await;
    }
    let url = &servers.urls[1];
    let started = Instant::now();
    let (status, body, retry_after) = reserve(&servers.http, url, "LAMP", 1, "a@example.com", None)
        .await
        .unwrap();
    assert_eq!((status, retry_after.as_deref()), (503, Some("2")), "{body}");
    assert_eq!(body["error"]["code"], "store_unavailable");
    assert!(started.elapsed() < Duration::from_secs(5), "failed fast");
    let read = servers
        .http
        .get(format!("{url}/api/v1/products/LAMP/availability"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        503,
        "no answer from a snapshot nobody keeps current"
    );
    let live = servers
        .http
        .get(format!("{url}/livez"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200, "the process itself is fine");

    servers.cluster.start_again();
    servers.wait_until_healthy(1, 200).await;
    let (status, _, _) = reserve(&servers.http, url, "LAMP", 1, "a@example.com", None)
        .await
        .unwrap();
    assert_eq!(status, 201);
}

/// An availability stream on one server, read event by event.
struct Stream {
    response: reqwest::Response,
    seen: String,
}

impl Stream {
    async fn open(servers: &Servers, server: usize, sku: &str) -> Stream {
        let response = servers
            .http
            .get(format!(
                "{}/api/v1/availability/stream?skus={sku}",
                servers.urls[server]
            ))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        Stream {
            response,
            seen: String::new(),
        }
    }

    async fn next_event(&mut self) -> Value {
        loop {
            if let Some(start) = self.seen.find("data:")
                && let Some(end) = self.seen[start..].find('\n')
            {
                let data = self.seen[start + 5..start + end].trim().to_owned();
                self.seen.drain(..start + end);
                return serde_json::from_str(&data).unwrap();
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.response.chunk())
                .await
                .expect("an event within 5 s")
                .unwrap()
                .expect("the stream stays open");
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_receipt_through_one_server_reaches_a_stream_on_another_within_a_second() {
    let servers = Servers::start().await;
    servers
        .put_product(0, "LAMP", json!({ "name": "Lamp", "stock": 0 }))
        .await;
    let mut stream = Stream::open(&servers, 2, "LAMP").await;
    let first = stream.next_event().await;
    assert_eq!(first["status"], "out_of_stock");

    let sent = Instant::now();
    let receipt = servers
        .http
        .post(format!(
            "{}/api/v1/admin/products/LAMP/receipts",
            servers.urls[0]
        ))
        .bearer_auth(TOKEN)
        .json(&json!({ "quantity": 4 }))
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), 200);
    let update = stream.next_event().await;
    let latency = sent.elapsed();
    assert_eq!(update["available"], 4, "{update}");
    assert!(latency < Duration::from_secs(1), "took {latency:?}");
    eprintln!("receipt on server 1 → stream on server 3: {latency:?}");
    // The third server's own reads agree at once.
    let body: Value = servers
        .http
        .get(format!(
            "{}/api/v1/products/LAMP/availability",
            servers.urls[2]
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["available"], 4);
}

/// Placements that share a group hold their writes back, and the change
/// notices still reach the other servers: another server's stream hears of
/// the last unit going, and its feed's copy of the product (reloaded with
/// only the end of the queue it lacks) answers as the writer's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rush_through_one_server_reaches_a_stream_on_another() {
    let servers = Servers::start().await;
    let settings =
        json!({ "name": "Drop", "stock": 20, "backorders": "allow", "backorder_limit": 20 });
    servers.put_product(0, "DROP", settings).await;
    let mut stream = Stream::open(&servers, 2, "DROP").await;
    assert_eq!(stream.next_event().await["max_quantity"], 40);
    let rush: Vec<_> = (0..40)
        .map(|shopper| {
            let (http, url) = (servers.http.clone(), servers.urls[0].clone());
            tokio::spawn(async move {
                http.post(format!("{url}/api/v1/products/DROP/reservations"))
                    .json(&json!({ "quantity": 1, "email": format!("s{shopper}@example.com") }))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for placed in rush {
        assert_eq!(placed.await.unwrap(), 201);
    }
    // Each event is the state after some commit; the last is the sold-out one.
    while stream.next_event().await["max_quantity"] != 0 {}
    assert_eq!(
        servers.availability(2, "DROP").await,
        servers.availability(0, "DROP").await
    );
}

/// Every write to a product's row announces itself, whoever makes it: stock
/// corrected by hand in the database (no server involved) reaches a stream
/// on a server that had the product in its snapshot, and its answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_product_changed_by_hand_in_the_database_reaches_every_server() {
    let servers = Servers::start().await;
    servers
        .put_product(0, "MUG", json!({ "name": "Mug", "stock": 3 }))
        .await;
    let mut stream = Stream::open(&servers, 1, "MUG").await;
    assert_eq!(stream.next_event().await["available"], 3);
    assert_eq!(servers.availability(2, "MUG").await["available"], 3);

    let mut by_hand = <sqlx::PgConnection as sqlx::Connection>::connect(&servers.database)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET stock = 9 WHERE sku = 'MUG'")
        .execute(&mut by_hand)
        .await
        .unwrap();
    assert_eq!(stream.next_event().await["available"], 9);
    // The stream's server answers from the copy it just told of; each
    // other server hears the notice on its own connection, soon after.
    assert_eq!(servers.availability(1, "MUG").await["available"], 9);
    for server in [0, 2] {
        wait_until(
            "every server to answer 9",
            Duration::from_secs(5),
            || async { servers.availability(server, "MUG").await["available"] == 9 },
        )
        .await;
    }
}

/// Three servers' delivery workers share one outbox: every event reaches the
/// receiver, none twice, and each SKU's events in the order they happened
/// (whichever server took the write or sent the event).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_deliver_each_event_once_in_order_per_sku() {
    let receiver = support::receiver::Receiver::start().await;
    let servers = Servers::start().await;
    let (_, secret) = support::receiver::register(
        &servers.urls[0],
        TOKEN,
        &receiver.url,
        Some(&["reservation.created"]),
    )
    .await;
    let skus = ["WH-A", "WH-B", "WH-C"];
    for sku in skus {
        servers
            .put_product(
                0,
                sku,
                json!({ "name": sku, "stock": 0, "backorders": "allow" }),
            )
            .await;
    }
    // 60 reservations, round-robin over servers and SKUs, 6 clients at once.
    let mut clients = Vec::new();
    for client in 0..6 {
        let (http, urls) = (servers.http.clone(), servers.urls.clone());
        clients.push(tokio::spawn(async move {
            let mut placed = Vec::new();
            for n in 0..10 {
                let sku = skus[(client + n) % 3];
                let response = http
                    .post(format!(
                        "{}/api/v1/products/{sku}/reservations",
                        urls[n % 3]
                    ))
                    .json(&json!({ "quantity": 1, "email": format!("c{client}@example.com") }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let body: Value = response.json().await.unwrap();
                placed.push(body["id"].as_str().unwrap().to_owned());
            }
            placed
        }));
    }
    let mut placed = HashSet::new();
    for client in clients {
        placed.extend(client.await.unwrap());
    }
    // Every write is committed with its events. Once none is pending, each
    // was answered and nothing is left for any worker to claim, so no send
    // starts after this. (A duplicate claimed while its delivery was still
    // pending could in theory still be on its way here: the 1.5 s sleep this
    // replaces only narrowed that window, it did not close it.)
    support::wait_until_delivered(&servers.store().await, Duration::from_secs(30)).await;
    let arrivals = receiver.arrivals();
    assert_eq!(arrivals.len(), 60, "each event once");
    let mut delivered = HashSet::new();
    for arrival in &arrivals {
        arrival.verify(&secret).unwrap();
        delivered.insert(arrival.json()["data"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(delivered, placed, "every reservation reported");
    // Per SKU, arrival order is queue order (the reservations' seq).
    let store = servers.store().await;
    for sku in skus {
        let queue: Vec<String> = store
            .reservations_of(sku.into())
            .await
            .unwrap()
            .into_iter()
            .map(|record| record.id.into_string())
            .collect();
        let heard: Vec<String> = arrivals
            .iter()
            .map(|arrival| arrival.json()["data"].clone())
            .filter(|data| data["sku"] == sku)
            .map(|data| data["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(heard, queue, "{sku} in order");
    }
}

/// Bulk writes racing to create the same new SKUs on three servers: each
/// SKU is created by exactly one of them (the others find it and replace
/// its settings), so "created" is true and a product's before-state (what
/// webhooks compare) is never mistaken for "did not exist".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_bulk_writes_create_each_new_sku_once() {
    let servers = Servers::start().await;
    let products: Vec<Value> = (0..20)
        .map(|n| json!({ "sku": format!("NEW-{n:02}"), "name": "New", "stock": n }))
        .collect();
    let mut racers = Vec::new();
    for racer in 0..12 {
        let (http, url, body) = (
            servers.http.clone(),
            servers.urls[racer % 3].clone(),
            json!({ "products": products }),
        );
        racers.push(tokio::spawn(async move {
            let response = http
                .put(format!("{url}/api/v1/admin/products"))
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }));
    }
    let mut created = std::collections::HashMap::<String, usize>::new();
    for racer in racers {
        let outcome = racer.await.unwrap();
        for sku in outcome["created"].as_array().unwrap() {
            *created.entry(sku.as_str().unwrap().to_owned()).or_default() += 1;
        }
        assert_eq!(
            outcome["created"].as_array().unwrap().len()
                + outcome["updated"].as_array().unwrap().len(),
            20
        );
    }
    assert_eq!(
        created.len(),
        20,
        "every SKU created by someone: {created:?}"
    );
    assert!(created.values().all(|count| *count == 1), "{created:?}");
}
