//! `cargo xtask bench --webhooks`: what the outbox costs the hot path, and
//! how fast the worker drains it. The same hot-SKU rush as `bench` (32
//! clients, 600 units), without a webhook endpoint and with one (a local
//! receiver answering 204 to every event), alternated twice, on SQLite and
//! on PostgreSQL; each run on a fresh database.

use crate::bench::{self, Connection, HOT_LIMIT, HOT_STOCK, OUT_DIR, Rush, Server, TOKEN};
use crate::{Result, postgres, setup};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The events one rush makes: every reservation is `created`; the ones taken
/// from stock are `ready` at once.
const EVENTS_PER_RUSH: u64 = (HOT_STOCK as u64) * 2 + HOT_LIMIT as u64;

/// A receiver that answers every request `204`, on keep-alive connections,
/// and counts them.
struct Receiver {
    url: String,
    received: Arc<AtomicU64>,
}

impl Receiver {
    fn start() -> Result<Receiver> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let url = format!(
            "http://{}/hooks",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let received = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    let _ = serve(stream, &counter);
                });
            }
        });
        Ok(Receiver { url, received })
    }

    fn count(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }
}

fn serve(stream: std::net::TcpStream, counter: &AtomicU64) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        counter.fetch_add(1, Ordering::SeqCst);
        writer.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")?;
    }
}

/// One rush on a fresh database, with or without an endpoint.
fn rush(database: &str, receiver: Option<&Receiver>) -> Result<Value> {
    let mut server = Server::start(database)?;
    if let Some(receiver) = receiver {
        let body = json!({ "url": receiver.url }).to_string();
        let auth = format!("Authorization: Bearer {TOKEN}\r\n");
        let (status, answer) =
            Connection::open(&server.base)?.send("POST", "/api/v1/admin/webhooks", &auth, &body)?;
        if status != 201 {
            return Err(format!("cannot register the endpoint: {status} {answer}"));
        }
    }
    let before = receiver.map_or(0, Receiver::count);
    let mut result = bench::contention(std::slice::from_ref(&server.base), &Rush::STANDARD)?;
    if let Some(receiver) = receiver {
        // From the rush's end until the last event arrived.
        let rush_over = Instant::now();
        let deadline = rush_over + Duration::from_secs(120);
        while receiver.count() - before < EVENTS_PER_RUSH && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let delivered = receiver.count() - before;
        let seconds = result["seconds"].as_f64().unwrap_or(0.0);
        result["events_delivered"] = json!(delivered);
        result["all_delivered"] = json!(delivered == EVENTS_PER_RUSH);
        result["drained_after_rush_ms"] = json!(rush_over.elapsed().as_millis() as u64);
        result["events_per_sec"] = json!(
            ((delivered as f64 / (seconds + rush_over.elapsed().as_secs_f64())) * 10.0).round()
                / 10.0
        );
    }
    server.stop();
    Ok(result)
}

pub fn run() -> Result {
    setup::ensure_postgres()?;
    std::fs::create_dir_all(OUT_DIR).map_err(|e| format!("cannot create {OUT_DIR}: {e}"))?;
    bench::build_server()?;
    bench::write_bench_www()?;
    let receiver = Receiver::start()?;
    let cluster = postgres::Cluster::start(true);
    let mut results = serde_json::Map::new();
    let mut summary = String::from(
        "\n## What the webhook outbox costs the hot path\n\n| store | endpoint | round | reservations/s | p50 ms | p99 ms | events delivered | drained after the rush, ms | zero oversell |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for store in ["sqlite", "postgres"] {
        let mut rates = [Vec::new(), Vec::new()];
        let mut runs = Vec::new();
        for round in 1..=2 {
            for (with, label) in [(false, "none"), (true, "one, answering 204")] {
                let database = if store == "sqlite" {
                    let path = format!("{OUT_DIR}/webhooks-{round}-{with}.db");
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{path}{suffix}"));
                    }
                    path
                } else {
                    cluster.create_database()
                };
                eprintln!("xtask bench: webhooks, {store}, endpoint {label}, round {round}");
                let result = rush(&database, with.then_some(&receiver))?;
                rates[usize::from(with)]
                    .push(result["reservations_per_sec"].as_f64().unwrap_or(0.0));
                summary.push_str(&format!(
                    "| {store} | {label} | {round} | {} | {} | {} | {} | {} | {} |\n",
                    result["reservations_per_sec"],
                    result["p50_ms"],
                    result["p99_ms"],
                    result
                        .get("events_delivered")
                        .map_or("—".into(), Value::to_string),
                    result
                        .get("drained_after_rush_ms")
                        .map_or("—".into(), Value::to_string),
                    result["zero_oversell"],
                ));
                runs.push(json!({ "endpoint": with, "round": round, "rush": result }));
            }
        }
        let mean = |values: &Vec<f64>| values.iter().sum::<f64>() / values.len().max(1) as f64;
        let ratio = bench::round3(mean(&rates[1]) / mean(&rates[0]).max(f64::MIN_POSITIVE));
        summary.push_str(&format!(
            "| {store} | **with / without** | | **{ratio}** | | | | | |\n"
        ));
        results.insert(
            store.into(),
            json!({ "runs": runs, "reservations_with_to_without": ratio }),
        );
    }
    std::fs::write(
        format!("{OUT_DIR}/webhooks.json"),
        Value::Object(results).to_string(),
    )
    .map_err(|e| e.to_string())?;
    println!("{summary}");
    Ok(())
}
