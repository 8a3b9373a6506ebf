//! `cargo xtask bench`: size, time to status, API throughput, contention,
//! memory, and the two stores (SQLite, PostgreSQL with one and three
//! servers), measured side by side in one run. Writes
//! `target/bench/results.json` and `target/bench/summary.md`;
//! `cargo xtask bench --stores` runs only the stores' comparison.

use crate::run::command;
use crate::{Result, postgres, setup, size, wasm_symbols, widget};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const OUT_DIR: &str = "target/bench";
const SERVER_BIN: &str = "target/server/stock-widget";
pub(crate) const TOKEN: &str = "bench-admin-token";
/// `page:widgets`, measured in turns: the widget against the plain-JS reference, then more widgets.
const PAGES: [&str; 4] = [
    "bench.html:1",
    "bench-plain.html:1",
    "bench.html:24",
    "bench.html:100",
];
/// The demo pages the server shows, plus the collection without the widget (Lighthouse's baseline).
const BENCH_WWW: &str = "target/bench/www";
/// Contention: this many clients race for `HOT_STOCK + HOT_LIMIT` units.
const CLIENTS: usize = 32;
pub(crate) const HOT_STOCK: u32 = 400;
pub(crate) const HOT_LIMIT: u32 = 200;
/// Live updates: this many open availability streams hear one write.
const STREAMS: usize = 1000;

pub fn run(only_stores: bool) -> Result {
    if only_stores {
        std::fs::create_dir_all(OUT_DIR).map_err(|e| format!("cannot create {OUT_DIR}: {e}"))?;
        build_server()?;
        let stores = stores()?;
        let summary = stores_summary(&stores);
        std::fs::write(format!("{OUT_DIR}/stores.json"), stores.to_string())
            .map_err(|e| e.to_string())?;
        println!("{summary}");
        return Ok(());
    }
    setup::ensure_all(true)?;
    setup::ensure_bench_tools()?;
    std::fs::create_dir_all(OUT_DIR).map_err(|e| format!("cannot create {OUT_DIR}: {e}"))?;
    let report = widget::build()?;
    let contributors = wasm_symbols::largest_contributors()?;
    build_server()?;

    let db = format!("{OUT_DIR}/bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    write_bench_www()?;
    let mut server = Server::start(&db)?;
    let machine = machine();
    eprintln!("xtask bench: server at {}", server.base);

    let browser = time_to_status(&server.base)?;
    let lighthouse = lighthouse(&server.base)?;
    let throughput = api_throughput(&server.base)?;
    let rss_after_reads = server.peak_rss_kib();
    let contention = contention(std::slice::from_ref(&server.base))?;
    let fanout = live_fanout(&server.base, &server.base)?;
    let rss_after_writes = server.peak_rss_kib();
    server.stop();
    let stores = stores()?;

    let results = json!({
        "machine": machine,
        "widget_size": {
            "files": report.files.iter().map(|f| json!({"name": f.name, "raw": f.raw, "gzip": f.gzip, "brotli": f.brotli})).collect::<Vec<_>>(),
            "total_brotli": report.total_brotli(),
            "budget_brotli": size::BUDGET_BROTLI_BYTES,
            "largest_wasm_contributors": contributors,
        },
        "time_to_status": browser["time_to_status"],
        "time_to_status_ratios": time_ratios(&browser["time_to_status"]),
        "wire": wire(&browser["wire"], report.total_brotli()),
        "lighthouse": lighthouse,
        "api_throughput": throughput,
        "contention": contention,
        "live_fanout": fanout,
        "server_peak_rss_kib": { "after_reads": rss_after_reads, "after_reservations": rss_after_writes },
        "stores": stores,
    });
    let pretty = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(format!("{OUT_DIR}/results.json"), pretty).map_err(|e| e.to_string())?;
    let summary = summary(&results);
    std::fs::write(format!("{OUT_DIR}/summary.md"), &summary).map_err(|e| e.to_string())?;
    println!("{summary}");
    println!("xtask bench: wrote {OUT_DIR}/results.json and {OUT_DIR}/summary.md");
    Ok(())
}

pub(crate) fn build_server() -> Result {
    command(
        "cargo",
        &["build", "--profile", "server", "--bin", "stock-widget"],
    )
    .status_ok()
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0);
    let rustc = command("rustc", &["--version"])
        .output_text()
        .unwrap_or_default();
    json!({ "cpu": cpu, "cores": cores, "memory_gib": memory / 1024 / 1024, "rustc": rustc.trim() })
}

/// The release server on a free port, with the demo catalog.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn start(db: &str) -> Result<Server> {
        let mut child = Command::new(SERVER_BIN)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--www-dir",
                BENCH_WWW,
                "--demo",
                "--db",
                db,
                "--admin-token",
                TOKEN,
                // The contention run reserves hundreds of times from one address.
                "--reservations-per-minute",
                "1000000",
            ])
            .env("RUST_LOG", "warn,stock_widget=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {SERVER_BIN}: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(start) = line.find("http://") {
                let base = line[start..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_string();
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines {});
                return Ok(Server { child, base });
            }
        }
        let _ = child.kill();
        Err("the server did not report its address".into())
    }

    /// Peak resident set size so far (`VmHWM`).
    fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0)
    }

    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn time_to_status(base: &str) -> Result<Value> {
    // Next to node_modules, so the ES module import finds playwright-core.
    let script = format!("{}/time_to_status.mjs", setup::TOOLS_DIR);
    std::fs::write(&script, include_str!("../assets/time_to_status.mjs"))
        .map_err(|e| e.to_string())?;
    let mut args = vec![script, base.to_string()];
    args.extend(PAGES.iter().map(|page| page.to_string()));
    let output = Command::new("node")
        .args(&args)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "time to status failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("time to status printed no JSON: {e}"))
}

/// The widget against the plain-JS reference (one widget each), and 100
/// widgets against one: the goals are ≤ 1.3 × and ≤ 1.5 ×.
fn time_ratios(rows: &Value) -> Value {
    let median = |page: &str, widgets: u64| {
        rows.as_array()
            .into_iter()
            .flatten()
            .find(|row| row["page"] == page && row["widgets"] == widgets)
            .and_then(|row| row["median_ms"].as_f64())
            .unwrap_or(f64::NAN)
    };
    let one = median("bench.html", 1);
    json!({
        "widget_to_plain_js": round3(one / median("bench-plain.html", 1)),
        "hundred_to_one": round3(median("bench.html", 100) / one),
    })
}

pub(crate) fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The widget's bytes on the wire for the product page: cold (against the
/// brotli size + 2 KB of headers) and what a repeat visit still fetches.
fn wire(traffic: &Value, brotli_total: u64) -> Value {
    let widget_bytes: u64 = traffic["cold"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["url"].as_str().unwrap_or("").starts_with("/widget/"))
        .map(|entry| entry["transfer_bytes"].as_u64().unwrap_or(0))
        .sum();
    json!({
        "cold_widget_transfer_bytes": widget_bytes,
        "limit_bytes": brotli_total + 2048,
        "cold": traffic["cold"],
        "repeat_visit_fetches": traffic["repeat"],
    })
}

/// The demo pages, and `collection-without-widget.html`: the collection page
/// with the widget's script and elements taken out, Lighthouse's baseline.
pub(crate) fn write_bench_www() -> Result {
    copy_dir(std::path::Path::new("www"), std::path::Path::new(BENCH_WWW))?;
    let page = std::fs::read_to_string("www/collection.html").map_err(|e| e.to_string())?;
    let without: String = page
        .lines()
        .filter(|line| !line.contains("/widget/stock-widget.js"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(
        format!("{BENCH_WWW}/collection-without-widget.html"),
        without,
    )
    .map_err(|e| e.to_string())
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {to:?}: {e}"))?;
    for entry in std::fs::read_dir(from)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Lighthouse (mobile, performance only) on the collection page with and
/// without the widget, three runs each in turns; the medians.
fn lighthouse(base: &str) -> Result<Value> {
    let cli = format!("{}/node_modules/lighthouse/cli/index.js", setup::TOOLS_DIR);
    let pages = [
        ("with_widget", "collection.html"),
        ("without_widget", "collection-without-widget.html"),
    ];
    let mut samples: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); pages.len()];
    for _ in 0..3 {
        for (index, (_, page)) in pages.iter().enumerate() {
            let output = Command::new("node")
                .args([
                    cli.as_str(),
                    &format!("{base}/{page}"),
                    "--only-categories=performance",
                    "--output=json",
                    "--quiet",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --disable-sync --no-first-run",
                ])
                .env("CHROME_PATH", "/usr/bin/chromium")
                .output()
                .map_err(|e| format!("cannot run lighthouse: {e}"))?;
            let report: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
                format!(
                    "lighthouse printed no report: {e}: {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            })?;
            let score = report["categories"]["performance"]["score"]
                .as_f64()
                .unwrap_or(0.0)
                * 100.0;
            let lcp = report["audits"]["largest-contentful-paint"]["numericValue"]
                .as_f64()
                .unwrap_or(0.0);
            samples[index].0.push(score);
            samples[index].1.push(lcp);
        }
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let mut results = serde_json::Map::new();
    for ((name, page), (mut scores, mut lcps)) in pages.iter().zip(samples) {
        results.insert(
            name.to_string(),
            json!({"page": page, "performance_score": median(&mut scores), "lcp_ms": round3(median(&mut lcps)), "scores": scores}),
        );
    }
    Ok(Value::Object(results))
}

/// wrk against availability and, right after, against /healthz: the machine's ceiling.
fn api_throughput(base: &str) -> Result<Value> {
    let targets = [
        (
            "availability",
            format!("{base}/api/v1/products/KETTLE-GOOSE/availability?quantity=2"),
        ),
        ("healthz", format!("{base}/healthz")),
    ];
    let mut results = serde_json::Map::new();
    for (name, url) in targets {
        let output = command("wrk", &["-t2", "-c32", "-d8s", "--latency", &url])
            .output_text()
            .ok_or("wrk failed")?;
        results.insert(name.to_string(), parse_wrk(&output));
    }
    let ratio = results["availability"]["requests_per_sec"]
        .as_f64()
        .unwrap_or(0.0)
        / results["healthz"]["requests_per_sec"]
            .as_f64()
            .unwrap_or(1.0);
    results.insert(
        "ratio_availability_to_healthz".into(),
        json!((ratio * 1000.0).round() / 1000.0),
    );
    results.insert(
        "load".into(),
        json!("wrk -t2 -c32 -d8s, loopback, server and load generator share the 2 cores"),
    );
    Ok(Value::Object(results))
}

fn parse_wrk(output: &str) -> Value {
    let mut result = serde_json::Map::new();
    for line in output.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            result.insert(
                "requests_per_sec".into(),
                json!(rest.trim().parse::<f64>().unwrap_or(0.0)),
            );
        }
        for (label, key) in [("50%", "p50_ms"), ("99%", "p99_ms")] {
            if let Some(rest) = line.strip_prefix(label) {
                result.insert(key.into(), json!(wrk_duration_ms(rest.trim())));
            }
        }
        if line.starts_with("Non-2xx") {
            result.insert(
                "non_2xx".into(),
                json!(line.split(':').nth(1).unwrap_or("").trim()),
            );
        }
    }
    Value::Object(result)
}

fn wrk_duration_ms(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().unwrap_or(0.0);
    match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        _ => value,
    }
}

/// A minimal HTTP/1.1 client on one keep-alive connection (no dependency, no pool).
pub(crate) struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    pub(crate) fn open(base: &str) -> Result<Connection> {
        let host = base.trim_start_matches("http://").to_string();
        let stream = TcpStream::connect(&host).map_err(|e| format!("connect {host}: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
        stream.set_nodelay(true).ok();
        Ok(Connection {
            stream: BufReader::new(stream),
            host,
        })
    }

    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &str,
    ) -> Result<(u16, String)> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
            self.host,
            body.len()
        );
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut status_line = String::new();
        self.stream
            .read_line(&mut status_line)
            .map_err(|e| e.to_string())?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("no status")?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.stream
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.stream
            .read_exact(&mut body)
            .map_err(|e| e.to_string())?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// `STREAMS` clients hold `GET /availability/stream` open on one product;
/// one reservation changes it: how long until every stream has the change,
/// counted from just before the write was sent.
/// `STREAMS` streams open on `stream_base` hear one reservation placed
/// through `write_base` (another server: the change crosses the database).
fn live_fanout(stream_base: &str, write_base: &str) -> Result<Value> {
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

/// The same reads and the same hot-SKU rush on SQLite, on PostgreSQL behind
/// one server and behind three, one after the other on this machine.
fn stores() -> Result<Value> {
    setup::ensure_postgres()?;
    setup::ensure_bench_tools()?;
    write_bench_www()?;
    // fsync on: the reservations are as durable as SQLite's.
    let cluster = postgres::Cluster::start(true);
    let sqlite = format!("{OUT_DIR}/stores.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{sqlite}{suffix}"));
    }
    let one = cluster.create_database();
    let three = cluster.create_database();
    let setups: [(&str, Vec<String>, &str); 3] = [
        (
            "sqlite",
            vec![sqlite],
            "WAL, synchronous=FULL: every 201 is on disk",
        ),
        (
            "postgres_1_server",
            vec![one],
            "synchronous_commit=on, fsync=on: every 201 is on disk",
        ),
        (
            "postgres_3_servers",
            vec![three; 3],
            "synchronous_commit=on, fsync=on: every 201 is on disk",
        ),
    ];
    let mut results = serde_json::Map::new();
    for (name, databases, durability) in setups {
        eprintln!("xtask bench: stores, {name}");
        let mut servers = Vec::new();
        for database in &databases {
            servers.push(Server::start(database)?);
        }
        let bases: Vec<String> = servers.iter().map(|server| server.base.clone()).collect();
        let reads = spread_reads(&bases)?;
        let mut rush = contention(&bases)?;
        rush["durability"] = json!(durability);
        // The streams on the last server, the write through the first.
        let fanout = live_fanout(&bases[bases.len() - 1], &bases[0])?;
        for server in &mut servers {
            server.stop();
        }
        results.insert(
            name.into(),
            json!({ "servers": bases.len(), "availability": reads, "hot_sku_rush": rush, "live_fanout": fanout }),
        );
    }
    let rate = |name: &str, path: &[&str]| {
        path.iter()
            .fold(&results[name], |value, key| &value[*key])
            .as_f64()
            .unwrap_or(0.0)
    };
    let ratio = |a: f64, b: f64| if b > 0.0 { round3(a / b) } else { 0.0 };
    let reads = ["availability", "requests_per_sec"];
    let writes = ["hot_sku_rush", "reservations_per_sec"];
    let ratios = json!({
        "reads_postgres_1_to_sqlite": ratio(rate("postgres_1_server", &reads), rate("sqlite", &reads)),
        "reads_postgres_3_to_1": ratio(rate("postgres_3_servers", &reads), rate("postgres_1_server", &reads)),
        "reservations_postgres_1_to_sqlite": ratio(rate("postgres_1_server", &writes), rate("sqlite", &writes)),
        "reservations_postgres_3_to_1": ratio(rate("postgres_3_servers", &writes), rate("postgres_1_server", &writes)),
    });
    results.insert("ratios".into(), ratios);
    results.insert(
        "load".into(),
        json!("wrk, 32 connections in all split over the servers, 8 s; the rush: 32 clients, 600 units; fan-out: streams on the last server, the write through the first; servers, PostgreSQL and load generators share the 2 cores"),
    );
    Ok(Value::Object(results))
}

/// wrk against one product's availability on every server at once, 32
/// connections in all; the requests per second add up.
fn spread_reads(bases: &[String]) -> Result<Value> {
    let connections = (32 / bases.len()).max(1).to_string();
    let threads = (2 / bases.len()).max(1).to_string();
    let runs: Vec<_> = bases
        .iter()
        .map(|base| {
            let url = format!("{base}/api/v1/products/KETTLE-GOOSE/availability?quantity=2");
            let (connections, threads) = (connections.clone(), threads.clone());
            std::thread::spawn(move || {
                command(
                    "wrk",
                    &[
                        "-t",
                        &threads,
                        "-c",
                        &connections,
                        "-d8s",
                        "--latency",
                        &url,
                    ],
                )
                .output_text()
                .map(|output| parse_wrk(&output))
            })
        })
        .collect();
    let mut total = 0.0;
    let mut p99: f64 = 0.0;
    for run in runs {
        let result = run
            .join()
            .map_err(|_| "wrk thread panicked")?
            .ok_or("wrk failed")?;
        total += result["requests_per_sec"].as_f64().unwrap_or(0.0);
        p99 = p99.max(result["p99_ms"].as_f64().unwrap_or(0.0));
    }
    Ok(json!({ "requests_per_sec": total.round(), "worst_p99_ms": p99 }))
}

fn stores_summary(stores: &Value) -> String {
    let mut out = String::from(
        "\n## Stores: SQLite vs PostgreSQL, one server vs three\n\n| store | servers | availability reads/s | worst p99 ms | hot-SKU reservations/s | p50 ms | p99 ms | zero oversell | 1000 streams hear a write: p50 / max ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n",
    );
    for name in ["sqlite", "postgres_1_server", "postgres_3_servers"] {
        let row = &stores[name];
        out.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} / {} |\n",
            row["servers"],
            row["availability"]["requests_per_sec"],
            row["availability"]["worst_p99_ms"],
            row["hot_sku_rush"]["reservations_per_sec"],
            row["hot_sku_rush"]["p50_ms"],
            row["hot_sku_rush"]["p99_ms"],
            row["hot_sku_rush"]["zero_oversell"],
            row["live_fanout"]["p50_ms"],
            row["live_fanout"]["max_ms"],
        ));
    }
    let ratios = &stores["ratios"];
    out.push_str(&format!(
        "\nReads: PostgreSQL 1 server / SQLite **{}**, 3 servers / 1 **{}**. Reservations: PostgreSQL 1 server / SQLite **{}**, 3 servers / 1 **{}**.\n",
        ratios["reads_postgres_1_to_sqlite"],
        ratios["reads_postgres_3_to_1"],
        ratios["reservations_postgres_1_to_sqlite"],
        ratios["reservations_postgres_3_to_1"],
    ));
    out
}

fn summary(results: &Value) -> String {
    let mut out = String::from("# stock-widget benchmark\n\n");
    let machine = &results["machine"];
    out.push_str(&format!(
        "Machine: {} ({} cores, {} GiB), {}. Command: `cargo xtask bench`.\n\n",
        machine["cpu"].as_str().unwrap_or("?"),
        machine["cores"],
        machine["memory_gib"],
        machine["rustc"].as_str().unwrap_or("?")
    ));
    let size = &results["widget_size"];
    out.push_str(
        "## Widget size (bytes)\n\n| file | raw | gzip | brotli |\n| --- | ---: | ---: | ---: |\n",
    );
    for file in size["files"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            file["name"].as_str().unwrap_or(""),
            file["raw"],
            file["gzip"],
            file["brotli"]
        ));
    }
    out.push_str(&format!("\nTotal brotli: **{}** bytes, budget {} bytes.\n\nLargest contributors to the wasm (bytes of code before compression):\n\n", size["total_brotli"], size["budget_brotli"]));
    for entry in size["largest_wasm_contributors"]["crates"]
        .as_array()
        .into_iter()
        .flatten()
        .take(10)
    {
        out.push_str(&format!(
            "- {}: {}\n",
            entry["name"].as_str().unwrap_or(""),
            entry["bytes"]
        ));
    }
    out.push_str("\n## Time to status (headless Chromium, loopback)\n\n| page | widgets | median ms | min | max | loads | API requests |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for row in results["time_to_status"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {} | {} |\n",
            row["page"].as_str().unwrap_or(""),
            row["widgets"],
            row["median_ms"].as_f64().unwrap_or(0.0),
            row["min_ms"].as_f64().unwrap_or(0.0),
            row["max_ms"].as_f64().unwrap_or(0.0),
            row["loads"],
            row["api_requests"]
        ));
    }
    let ratios = &results["time_to_status_ratios"];
    out.push_str(&format!(
        "\n1 widget / plain-JS reference: **{}** (goal ≤ 1.3); 100 widgets / 1 widget: **{}** (goal ≤ 1.5).\n",
        ratios["widget_to_plain_js"], ratios["hundred_to_one"]
    ));
    let wire = &results["wire"];
    out.push_str(&format!(
        "\n## Bytes on the wire (demo product page)\n\nCold visit, widget files: **{}** bytes transferred (limit: brotli size + 2 KB = {}). A repeat visit still fetches: {}.\n",
        wire["cold_widget_transfer_bytes"], wire["limit_bytes"], wire["repeat_visit_fetches"]
    ));
    let lighthouse = &results["lighthouse"];
    out.push_str(&format!(
        "\n## Lighthouse (mobile, performance; median of 3)\n\n| page | score | LCP ms |\n| --- | ---: | ---: |\n| collection with the widget | {} | {} |\n| collection without it | {} | {} |\n",
        lighthouse["with_widget"]["performance_score"], lighthouse["with_widget"]["lcp_ms"],
        lighthouse["without_widget"]["performance_score"], lighthouse["without_widget"]["lcp_ms"]
    ));
    let api = &results["api_throughput"];
    out.push_str("\n## API throughput (wrk -t2 -c32 -d8s)\n\n| endpoint | requests/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |\n");
    for name in ["availability", "healthz"] {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            name, api[name]["requests_per_sec"], api[name]["p50_ms"], api[name]["p99_ms"]
        ));
    }
    out.push_str(&format!(
        "\nRatio availability / healthz: **{}**\n",
        api["ratio_availability_to_healthz"]
    ));
    let c = &results["contention"];
    out.push_str(&format!(
        "\n## Reservations under contention\n\n{} clients, {} units allowed (stock + backorder limit): {} created, {} refused, zero oversell: **{}**. {} reservations/s, p50 {} ms, p99 {} ms (durable commits). Meanwhile one shopper reading availability: {} reads, p50 {} ms, p99 {} ms.\n",
        c["clients"], c["allowed"], c["created"], c["refused"], c["zero_oversell"], c["reservations_per_sec"], c["p50_ms"], c["p99_ms"],
        c["reads_during_rush"]["count"], c["reads_during_rush"]["p50_ms"], c["reads_during_rush"]["p99_ms"]
    ));
    let f = &results["live_fanout"];
    out.push_str(&format!(
        "\n## Live updates\n\n{} open availability streams, one reservation (its durable commit included): every stream had the change after p50 {} ms, p99 {} ms, max {} ms (the write's own answer: {} ms).\n",
        f["streams"], f["p50_ms"], f["p99_ms"], f["max_ms"], f["write_ms"]
    ));
    let rss = &results["server_peak_rss_kib"];
    out.push_str(&format!("\n## Server memory\n\nPeak RSS: {} KiB after the read load, {} KiB after the reservations.\n", rss["after_reads"], rss["after_reservations"]));
    out.push_str(&stores_summary(&results["stores"]));
    out
}
