//! The hot-SKU rush: many clients reserving one product at once (the store
//! benchmarks' and `--contention`'s, `hot_drops.rs`).

use super::event_loop;
use super::http::{Connection, request};
use super::{CLIENTS, HOT_LIMIT, HOT_STOCK, TOKEN, percentile, round3};
use crate::Result;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One rush on the hot SKU `HOT`: `clients` clients reserve one unit at a
/// time until refused, for `stock + backorder_limit` units in all.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rush {
    pub(crate) clients: usize,
    pub(crate) stock: u32,
    pub(crate) backorder_limit: u32,
    /// One shopper reads the SKU's availability meanwhile (its latencies reported).
    pub(crate) reads: bool,
    /// Which `Idempotency-Key` each reservation carries, if any.
    pub(crate) keys: Keys,
}

/// The `Idempotency-Key`s a bench's reservations carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// No key (a client that never retries).
    None,
    /// One of its own per reservation, as the widget makes them: the time,
    /// then 80 random bits (`api::time_ordered_hex`). `--keyed`.
    Widget,
    /// One of its own per reservation, 128 random bits (an API client's
    /// UUIDv4, say): each lands on an index page of its own. `--random-keys`.
    Random,
}

impl Keys {
    /// The header line (or nothing) of the next reservation.
    pub(super) fn header(self, source: &mut KeySource) -> String {
        match self {
            Keys::None => String::new(),
            Keys::Widget => format!("Idempotency-Key: {}\r\n", source.time_ordered()),
            Keys::Random => format!("Idempotency-Key: {}\r\n", source.random()),
        }
    }
}

impl Rush {
    /// The rush of `bench`, `--stores` and `--webhooks`: 32 clients, 400 + 200 units.
    pub(crate) const STANDARD: Rush = Rush {
        clients: CLIENTS,
        stock: HOT_STOCK,
        backorder_limit: HOT_LIMIT,
        reads: true,
        keys: Keys::None,
    };

    fn allowed(&self) -> u64 {
        u64::from(self.stock) + u64::from(self.backorder_limit)
    }
}

/// What one client of the rush saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<f64>,
    created: u64,
    refused: u64,
    /// Any other answer, by status and error code; "no answer" when the
    /// connection failed (then it is opened again).
    other: BTreeMap<String, u64>,
}

fn auth() -> String {
    format!("Authorization: Bearer {TOKEN}\r\n")
}

/// Creates or replaces `sku` with `settings` through `base`'s admin API.
pub(super) fn put_product(base: &str, sku: &str, settings: &Value) -> Result {
    let path = format!("/api/v1/admin/products/{sku}");
    let (status, body) =
        Connection::open(base)?.send("PUT", &path, &auth(), &settings.to_string())?;
    if status != 200 && status != 201 {
        return Err(format!("cannot set up {sku}: {status} {body}"));
    }
    Ok(())
}

/// Milliseconds, rounded to `places` decimals.
pub(super) fn ms(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

/// `rush.clients` clients reserve one unit at a time of the hot SKU until
/// they are refused, spread round robin over the servers at `bases`; the
/// clock starts once every client is connected.
pub(crate) fn contention(bases: &[String], rush: &Rush) -> Result<Value> {
    let base = bases[0].as_str();
    put_product(
        base,
        "HOT",
        &json!({"name": "Hot item", "stock": rush.stock, "backorders": "allow", "backorder_limit": rush.backorder_limit}),
    )?;
    // A shopper browsing during the rush: availability reads while the writes commit.
    let rush_over = Arc::new(AtomicBool::new(false));
    let reader = rush.reads.then(|| {
        let (base, rush_over) = (base.to_string(), Arc::clone(&rush_over));
        std::thread::spawn(move || -> Result<Vec<f64>> {
            let mut connection = Connection::open(&base)?;
            let mut read_latencies = Vec::new();
            while !rush_over.load(Ordering::Relaxed) && read_latencies.len() < 100_000 {
                let sent = Instant::now();
                connection.send("GET", "/api/v1/products/HOT/availability", "", "")?;
                read_latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(read_latencies)
        })
    });
    let allowed = rush.allowed();
    let hosts: Vec<String> = (0..rush.clients)
        .map(|client| {
            bases[client % bases.len()]
                .trim_start_matches("http://")
                .to_string()
        })
        .collect();
    let mut script = RushScript {
        keys: rush.keys,
        attempts_left: vec![allowed; rush.clients],
        sources: (0..rush.clients as u64).map(KeySource::new).collect(),
        hosts: hosts.clone(),
        all: Tally::default(),
    };
    let mut started = Instant::now();
    let ran = event_loop::run(&hosts, &mut script, || started = Instant::now());
    let elapsed = started.elapsed().as_secs_f64();
    rush_over.store(true, Ordering::Relaxed);
    let reads = match reader {
        Some(reader) => Some(reader.join().map_err(|_| "the reader panicked")??),
        None => None,
    };
    ran?;
    let mut all = script.all;
    all.latencies.sort_by(|a, b| a.total_cmp(b));
    // Asked of the last server: every server must agree nothing is left.
    // Another server's last commits reach its availability through the
    // change feed, a few milliseconds later: asked again until it agrees
    // (bounded), and how long that took is reported.
    let last = bases[bases.len() - 1].as_str();
    let mut connection = Connection::open(last)?;
    let ended = Instant::now();
    let availability = loop {
        let (_, answer) = connection.send("GET", "/api/v1/products/HOT/availability", "", "")?;
        let availability: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
        if availability["max_quantity"] == 0 || ended.elapsed() > SETTLE_WITHIN {
            break availability;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let settled_ms = ms(ended.elapsed().as_secs_f64() * 1000.0, 1);
    let other: u64 = all.other.values().sum();
    let mut result = json!({
        "clients": rush.clients,
        "stock": rush.stock,
        "backorder_limit": rush.backorder_limit,
        "allowed": allowed,
        "created": all.created,
        "refused": all.refused,
        "other_statuses": other,
        "other_status_codes": all.other.iter().map(|(answer, count)| (answer.clone(), json!(count))).collect::<serde_json::Map<_, _>>(),
        "max_quantity_after": availability["max_quantity"],
        "sold_out_shown_after_ms": settled_ms,
        "zero_oversell": all.created == allowed && other == 0 && availability["max_quantity"] == 0,
        "seconds": round3(elapsed),
        "reservations_per_sec": ((all.created as f64 / elapsed) * 10.0).round() / 10.0,
        "p50_ms": ms(percentile(&all.latencies, 0.50), 2),
        "p99_ms": ms(percentile(&all.latencies, 0.99), 2),
    });
    if let Some(mut reads) = reads {
        reads.sort_by(|a, b| a.total_cmp(b));
        result["reads_during_rush"] = json!({
            "count": reads.len(),
            "p50_ms": ms(percentile(&reads, 0.50), 2),
            "p99_ms": ms(percentile(&reads, 0.99), 2),
        });
    }
    Ok(result)
}

/// How long the last server may take to show the sold-out product after the
/// rush (its change feed catching up with the other servers' commits).
const SETTLE_WITHIN: Duration = Duration::from_secs(2);

/// Each client reserves one unit at a time, each reservation with its own
/// key if the rush has keys, until refused (at most `attempts_left`).
struct RushScript {
    keys: Keys,
    attempts_left: Vec<u64>,
    sources: Vec<KeySource>,
    hosts: Vec<String>,
    all: Tally,
}

impl event_loop::Script for RushScript {
    fn next_request(&mut self, client: usize) -> Option<Vec<u8>> {
        let left = &mut self.attempts_left[client];
        // Bounded: at most this many attempts per client.
        *left = left.checked_sub(1)?;
        // As the widget sends one: each reservation its own key.
        let key = self.keys.header(&mut self.sources[client]);
        let body = format!(r#"{{"quantity":1,"email":"client{client}@example.com"}}"#);
        let path = "/api/v1/products/HOT/reservations";
        Some(request(&self.hosts[client], "POST", path, &key, &body).into_bytes())
    }

    fn answered(&mut self, _client: usize, answer: Option<(u16, &[u8])>, latency_ms: f64) -> bool {
        let tally = &mut self.all;
        tally.latencies.push(latency_ms);
        match answer {
            Some((201, _)) => tally.created += 1,
            Some((409, _)) => {
                tally.refused += 1;
                return false;
            }
            Some((status, answer)) => {
                let code: Value = serde_json::from_slice(answer).unwrap_or(Value::Null);
                let code = code["error"]["code"].as_str().unwrap_or("");
                *tally.other.entry(format!("{status} {code}")).or_default() += 1;
            }
            None => *tally.other.entry("no answer".into()).or_default() += 1,
        }
        true
    }
}

/// The hot SKU's backorder queue as the admin API lists it
/// (`GET /api/v1/admin/products/HOT/reservations`): units and reservations.
pub(super) fn backorder_queue(base: &str) -> Result<Value> {
    let (status, body) = Connection::open(base)?.send(
        "GET",
        "/api/v1/admin/products/HOT/reservations",
        &auth(),
        "",
    )?;
    if status != 200 {
        return Err(format!("cannot list the hot SKU's queue: {status} {body}"));
    }
    let queue: Value =
        serde_json::from_str(&body).map_err(|e| format!("the queue's answer: {e}"))?;
    Ok(json!({
        "queued_units": queue["queued"],
        "reservations": queue["reservations"].as_array().map_or(0, Vec::len),
    }))
}

/// Where a client's keys come from: SplitMix64, seeded per client and by
/// the clock (unique enough for a bench, no dependency), and the clock.
pub(super) struct KeySource(u64);

impl KeySource {
    pub(super) fn new(client: u64) -> KeySource {
        KeySource(now_since_epoch().as_nanos() as u64 ^ client.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 32 hex digits as the widget makes them (`host::fresh_key`): the
    /// milliseconds (low 48 bits), then 80 random bits.
    fn time_ordered(&mut self) -> String {
        let now_ms = now_since_epoch().as_millis() as u64 & 0xffff_ffff_ffff;
        let random = self.next_u64();
        format!(
            "{now_ms:012x}{:04x}{:016x}",
            random & 0xffff,
            self.next_u64()
        )
    }

    /// 128 random bits in hex.
    fn random(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

fn now_since_epoch() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}
