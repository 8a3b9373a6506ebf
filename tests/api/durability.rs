//! Every acknowledged reservation survives a SIGKILL in the middle of a load,
//! once per idempotency key.

use crate::support::rush::{Ledger, reserve};
use crate::support::{
    BINARY_ADMIN_TOKEN as TOKEN, TestDatabase, assert_reservations_present,
    assert_reservations_present_with, assert_store_consistent, start_binary, wait_until,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
/// One address reserves hundreds of times here: lift the per-address limit.
const HEAVY_WRITER: &[&str] = &["--reservations-per-minute", "1000000"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_reservations_survive_sigkill() {
    let database = TestDatabase::new().await;
    let db = database.arg();
    let (mut server, url) = start_binary(&db, HEAVY_WRITER);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let put = http
        .put(format!("{url}/api/v1/admin/products/HOT"))
        .bearer_auth(TOKEN)
        .json(&json!({ "name": "Hot", "stock": 40, "backorders": "allow" }))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (http, url, acknowledged) = (http.clone(), url.clone(), Arc::clone(&acknowledged));
        clients.push(tokio::spawn(async move {
            for attempt in 0..200 {
                let sent = http
                    .post(format!("{url}/api/v1/products/HOT/reservations"))
                    .json(&json!({ "quantity": 1 + attempt % 2, "email": format!("c{client}@example.com") }))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 201 => {
                        let body: Value = response.json().await.unwrap();
                        acknowledged.lock().unwrap().push(body["id"].as_str().unwrap().to_owned());
                    }
                    Ok(response) => panic!("unexpected {}", response.status()),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Kill it mid-load, without warning.
    wait_until(
        "60 acknowledged reservations",
        Duration::from_secs(60),
        || {
            let count = acknowledged.lock().unwrap().len();
            async move { count >= 60 }
        },
    )
    .await;
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 60);

    let (mut restarted, url) = start_binary(&db, HEAVY_WRITER);
    assert_reservations_present(&http, &url, &acknowledged).await;
    let store = database.open().await;
    let reservations = store.reservations_of("HOT".into()).await.unwrap();
    assert!(reservations.len() >= acknowledged.len());
    assert_store_consistent(&store, "HOT", 40).await;
    let _ = restarted.kill();
    let _ = restarted.wait();
}

/// A rush on one product that sells out across a SIGKILL: the server the
/// clients send to (it moves when the killed one is restarted), and what
/// went unanswered.
struct Rush {
    url: RwLock<String>,
    ledger: Ledger,
    /// Set just before the kill: a request unanswered before it is a fault.
    killing: AtomicBool,
    /// Keys whose request got no answer and was not sent again.
    abandoned: Mutex<Vec<String>>,
    unanswered_while_up: Mutex<Vec<String>>,
}

impl Rush {
    fn url(&self) -> String {
        self.url.read().unwrap().clone()
    }

    async fn wait_for_restart(&self, failed: &str) {
        wait_until("the restarted server", Duration::from_secs(30), || {
            let moved = self.url() != failed;
            async move { moved }
        })
        .await;
    }

    /// One shopper: a fresh key per request, 1 or 2 units, until sold out.
    /// A retrying checkout sends each request twice at once and, unanswered,
    /// sends it again to the restarted server; the others give the key up.
    async fn shop(&self, http: reqwest::Client, client: usize, retrying: bool) {
        let email = format!("c{client}@example.com");
        for n in 0.. {
            let (key, quantity) = (format!("rush-{client}-{n}"), 1 + (client + n) as u64 % 2);
            let sold_out = loop {
                let url = self.url();
                let send = || self.ledger.send(&http, &url, "HOT", quantity, &email, &key);
                let answered = if retrying {
                    let (first, second) = tokio::join!(send(), send());
                    first.zip(second).map(|(a, b)| a.sold_out() || b.sold_out())
                } else {
                    send().await.map(|answer| answer.sold_out())
                };
                if let Some(sold_out) = answered {
                    break sold_out;
                }
                if !self.killing.load(Ordering::SeqCst) {
                    self.unanswered_while_up.lock().unwrap().push(key.clone());
                }
                self.wait_for_restart(&url).await;
                if !retrying {
                    self.abandoned.lock().unwrap().push(key.clone());
                    break false;
                }
            };
            if sold_out {
                return;
            }
        }
    }
}

/// 64 shoppers rush one product (150 in stock, 100 more on backorder), each
/// request with its own idempotency key, a quarter of the shoppers sending
/// each of theirs twice at once;
/// the server is SIGKILLed mid-rush and restarted on the same database, and
/// the rush sells the product out on it. Every acknowledged reservation
/// survives with its quantity, each key placed at most one (an unanswered
/// key at most once), replays answer the same id, nothing oversells.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_keyed_rush_across_a_sigkill_keeps_each_acknowledged_reservation_once() {
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(60), keyed_rush_across_a_sigkill())
        .await
        .expect("the rush is over within 60 s");
    eprintln!("keyed rush across a SIGKILL: {:?}", started.elapsed());
}

async fn keyed_rush_across_a_sigkill() {
    let database = TestDatabase::new().await;
    let db = database.arg();
    let (mut server, url) = start_binary(&db, HEAVY_WRITER);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(128)
        .build()
        .unwrap();
    let put = http
        .put(format!("{url}/api/v1/admin/products/HOT"))
        .bearer_auth(TOKEN)
        .json(
            &json!({ "name": "Hot", "stock": 150, "backorders": "allow", "backorder_limit": 100 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let rush = Arc::new(Rush {
        url: RwLock::new(url),
        ledger: Ledger::default(),
        killing: AtomicBool::new(false),
        abandoned: Mutex::default(),
        unanswered_while_up: Mutex::default(),
    });
    let shoppers: Vec<_> = (0..64)
        .map(|client| {
            let (rush, http) = (Arc::clone(&rush), http.clone());
            tokio::spawn(async move { rush.shop(http, client, client % 4 == 0).await })
        })
        .collect();
    wait_until("80 acknowledged keys", Duration::from_secs(30), || {
        let placed = rush.ledger.placed();
        async move { placed >= 80 }
    })
    .await;
    rush.killing.store(true, Ordering::SeqCst);
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let placed_before_the_kill = rush.ledger.placed();
    let (_restarted, url) = tokio::task::spawn_blocking(move || start_binary(&db, HEAVY_WRITER))
        .await
        .unwrap();
    *rush.url.write().unwrap() = url.clone();
    for shopper in shoppers {
        shopper.await.unwrap();
    }
    let unanswered = rush.unanswered_while_up.lock().unwrap().clone();
    assert!(unanswered.is_empty(), "unanswered while up: {unanswered:?}");

    // One id per key, whatever answered it; some refused once sold out.
    let placements = rush.ledger.placements();
    assert!(placements.len() >= placed_before_the_kill);
    assert!(rush.ledger.refused() > 0, "the rush sold the product out");
    assert!(rush.ledger.answered_twice() > 0, "keys were sent twice");
    let held: Vec<(String, u64)> = placements
        .iter()
        .map(|(key, id)| (id.clone(), rush.ledger.request(key).0))
        .collect();
    assert_reservations_present_with(&http, &url, &held).await;

    let store = database.open().await;
    let rows = store.reservations_of("HOT".into()).await.unwrap();
    let row_ids: HashSet<String> = rows.iter().map(|row| row.id.to_string()).collect();
    // Sent again, an acknowledged key replays its reservation.
    for (key, id) in &placements {
        let (quantity, email) = rush.ledger.request(key);
        let (status, body, _) = reserve(&http, &url, "HOT", quantity, &email, Some(key))
            .await
            .unwrap();
        assert_eq!(
            (status, body["id"].as_str()),
            (201, Some(id.as_str())),
            "{key}: {body}"
        );
    }
    // Rows no answer acknowledged are keys given up unanswered, each once:
    // sent again, such a key replays its row; one that never landed is refused.
    let acknowledged: HashSet<String> = placements.values().cloned().collect();
    let unacknowledged: HashSet<String> = row_ids.difference(&acknowledged).cloned().collect();
    let abandoned = rush.abandoned.lock().unwrap().clone();
    let mut landed = HashSet::new();
    for key in &abandoned {
        let (quantity, email) = rush.ledger.request(key);
        let (status, body, _) = reserve(&http, &url, "HOT", quantity, &email, Some(key))
            .await
            .unwrap();
        match status {
            201 => {
                let id = body["id"].as_str().unwrap().to_owned();
                assert!(unacknowledged.contains(&id), "{key} placed {id} anew");
                assert!(landed.insert(id), "{key} replays another key's row");
            }
            409 => assert_eq!(body["error"]["max_quantity"], 0, "{key}: {body}"),
            _ => panic!("{key}: {status} {body}"),
        }
    }
    assert_eq!(landed, unacknowledged, "every row is one key's");
    assert_eq!(rows.len(), placements.len() + landed.len());
    assert_eq!(
        store.reservations_of("HOT".into()).await.unwrap().len(),
        rows.len(),
        "sending keys again placed nothing"
    );
    eprintln!(
        "{} keys acknowledged ({placed_before_the_kill} before the kill), {} given up of which {} landed, {} refused",
        placements.len(),
        abandoned.len(),
        landed.len(),
        rush.ledger.refused()
    );

    // Sold out exactly: 150 from stock, 100 on backorder, not a unit more.
    let units: u64 = rows.iter().map(|row| u64::from(row.quantity)).sum();
    assert_eq!(units, 250);
    assert_store_consistent(&store, "HOT", 150).await;
    let product: Value = http
        .get(format!("{url}/api/v1/admin/products/HOT"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &product["stock"],
            &product["queued"],
            &product["max_quantity"]
        ),
        (&json!(0), &json!(100), &json!(0)),
        "{product}"
    );
}
