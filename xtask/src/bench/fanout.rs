//! Live updates: how fast one write reaches many open availability streams.

use super::TOKEN;
use super::http::Connection;
use crate::Result;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Live updates: this many open availability streams hear one write.
const STREAMS: usize = 1000;

/// `STREAMS` clients hold `GET /availability/stream` open on one product on
/// `stream_base`; one reservation placed through `write_base` (another
/// server: the change crosses the database) changes it: how long until every
/// stream has the change, counted from just before the write was sent.
pub(super) fn live_fanout(stream_base: &str, write_base: &str) -> Result<Value> {
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let settings = json!({"name": "Watched item", "stock": 100_000}).to_string();
    let (status, body) = Connection::open(write_base)?.send(
        "PUT",
        "/api/v1/admin/products/WATCHED",
        &auth,
        &settings,
    )?;
    if status != 200 {
        return Err(format!(
            "cannot set up the watched product: {status} {body}"
        ));
    }
    let host = stream_base.trim_start_matches("http://").to_string();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::result::Result<(), String>>();
    let (heard_tx, heard_rx) = std::sync::mpsc::channel::<Instant>();
    for _ in 0..STREAMS {
        let (host, ready_tx, heard_tx) = (host.clone(), ready_tx.clone(), heard_tx.clone());
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let watch = || -> std::result::Result<Instant, String> {
                    let mut stream = TcpStream::connect(&host).map_err(|e| e.to_string())?;
                    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
                    let request = format!("GET /api/v1/availability/stream?skus=WATCHED HTTP/1.1\r\nHost: {host}\r\n\r\n");
                    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
                    // Each event is one write, so its name arrives whole.
                    let mut seen = String::new();
                    let mut buffer = [0u8; 4096];
                    let mut told_ready = false;
                    loop {
                        let read = stream.read(&mut buffer).map_err(|e| e.to_string())?;
                        if read == 0 {
                            return Err("the stream ended".into());
                        }
                        seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
                        let events = seen.matches("event: availability").count();
                        if events >= 1 && !told_ready {
                            told_ready = true;
                            let _ = ready_tx.send(Ok(()));
                        }
                        if events >= 2 {
                            return Ok(Instant::now());
                        }
                    }
                };
                match watch() {
                    Ok(at) => {
                        let _ = heard_tx.send(at);
                    }
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                    }
                }
            })
            .map_err(|e| format!("cannot start a stream thread: {e}"))?;
    }
    drop((ready_tx, heard_tx));
    for _ in 0..STREAMS {
        ready_rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "a stream never opened".to_string())??;
    }
    let start = Instant::now();
    let (status, body) = Connection::open(write_base)?.send(
        "POST",
        "/api/v1/products/WATCHED/reservations",
        "",
        r#"{"quantity": 1, "email": "fanout@example.com"}"#,
    )?;
    let write_ms = start.elapsed().as_secs_f64() * 1000.0;
    if status != 201 {
        return Err(format!("the watched reservation failed: {status} {body}"));
    }
    let mut latencies: Vec<f64> = Vec::with_capacity(STREAMS);
    for _ in 0..STREAMS {
        let at = heard_rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "a stream never heard the change".to_string())?;
        latencies.push(at.duration_since(start).as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let at =
        |q: f64| (latencies[((latencies.len() - 1) as f64 * q) as usize] * 10.0).round() / 10.0;
    Ok(json!({
        "streams": STREAMS,
        "p50_ms": at(0.5),
        "p99_ms": at(0.99),
        "max_ms": at(1.0),
        "write_ms": (write_ms * 10.0).round() / 10.0,
    }))
}
