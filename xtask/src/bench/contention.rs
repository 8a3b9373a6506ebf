//! The hot-SKU rush: many clients reserving one product at once.

use super::http::Connection;
use super::{CLIENTS, HOT_LIMIT, HOT_STOCK, TOKEN};
use crate::Result;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// `CLIENTS` clients reserve one unit at a time of one hot SKU until they
/// are refused, spread round robin over the servers at `bases`.
pub(crate) fn contention(bases: &[String]) -> Result<Value> {
    let base = bases[0].as_str();
    let settings = json!({"name": "Hot item", "stock": HOT_STOCK, "backorders": "allow", "backorder_limit": HOT_LIMIT}).to_string();
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, body) =
        Connection::open(base)?.send("PUT", "/api/v1/admin/products/HOT", &auth, &settings)?;
    if status != 200 {
        return Err(format!("cannot set up the hot product: {status} {body}"));
    }
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let counts = Arc::new(Mutex::new((0u64, 0u64, 0u64))); // created, refused, other
    // A shopper browsing during the rush: availability reads while the writes commit.
    let rush_over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (base, rush_over) = (base.to_string(), Arc::clone(&rush_over));
        std::thread::spawn(move || -> Result<Vec<f64>> {
            let mut connection = Connection::open(&base)?;
            let mut read_latencies = Vec::new();
            while !rush_over.load(std::sync::atomic::Ordering::Relaxed)
                && read_latencies.len() < 100_000
            {
                let sent = Instant::now();
                connection.send("GET", "/api/v1/products/HOT/availability", "", "")?;
                read_latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(read_latencies)
        })
    };
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (base, latencies, counts) = (
                bases[client % bases.len()].clone(),
                Arc::clone(&latencies),
                Arc::clone(&counts),
            );
            std::thread::spawn(move || -> Result {
                let mut connection = Connection::open(&base)?;
                let body = format!(r#"{{"quantity":1,"email":"client{client}@example.com"}}"#);
                // Bounded: at most this many attempts per client.
                for _ in 0..(HOT_STOCK + HOT_LIMIT) {
                    let sent = Instant::now();
                    let (status, _) =
                        connection.send("POST", "/api/v1/products/HOT/reservations", "", &body)?;
                    latencies
                        .lock()
                        .unwrap()
                        .push(sent.elapsed().as_secs_f64() * 1000.0);
                    let mut counts = counts.lock().unwrap();
                    match status {
                        201 => counts.0 += 1,
                        409 => {
                            counts.1 += 1;
                            return Ok(());
                        }
                        _ => counts.2 += 1,
                    }
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "a client panicked")??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    rush_over.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut reads = reader.join().map_err(|_| "the reader panicked")??;
    reads.sort_by(|a, b| a.total_cmp(b));
    let read_percentile = |p: f64| {
        reads
            .get(((reads.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let (created, refused, other) = *counts.lock().unwrap();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    // Asked of the last server: every server must agree nothing is left.
    let last = bases[bases.len() - 1].as_str();
    let (_, availability) =
        Connection::open(last)?.send("GET", "/api/v1/products/HOT/availability", "", "")?;
    let availability: Value = serde_json::from_str(&availability).unwrap_or(Value::Null);
    let allowed = (HOT_STOCK + HOT_LIMIT) as u64;
    Ok(json!({
        "clients": CLIENTS,
        "allowed": allowed,
        "created": created,
        "refused": refused,
        "other_statuses": other,
        "zero_oversell": created == allowed && other == 0 && availability["max_quantity"] == 0,
        "seconds": (elapsed * 1000.0).round() / 1000.0,
        "reservations_per_sec": ((created as f64 / elapsed) * 10.0).round() / 10.0,
        "p50_ms": (percentile(0.50) * 100.0).round() / 100.0,
        "p99_ms": (percentile(0.99) * 100.0).round() / 100.0,
        "reads_during_rush": {
            "count": reads.len(),
            "p50_ms": (read_percentile(0.50) * 100.0).round() / 100.0,
            "p99_ms": (read_percentile(0.99) * 100.0).round() / 100.0,
        },
    }))
}
