//! `cargo xtask bench`: size, time to status, API throughput, contention,
//! memory, and the two stores (SQLite, PostgreSQL with one and three
//! servers), measured side by side in one run. Writes
//! `target/bench/results.json` and `target/bench/summary.md`;
//! `cargo xtask bench --stores` runs only the stores' comparison,
//! `cargo xtask bench --widget` only the widget's size, time to status and
//! click → form (`target/bench/widget.json`), `cargo xtask bench --insight`
//! only the insight list for 10 000 products (`target/bench/insight.json`),
//! `cargo xtask bench --contention` only the hot drop (256 clients on one
//! SKU) on the three setups against the machine's flush rate
//! (`target/bench/contention.json`).
//!
//! `server` starts the release server, `http` is a minimal client, `browser`
//! measures in Chromium (time to status, bytes on the wire, Lighthouse),
//! `wrk` the read throughput, `contention` the hot-SKU rush and the hot drop,
//! `flush` the machine's flush rate, `fanout` live updates; `stores` compares
//! the stores, `summary` writes the report.

mod browser;
mod contention;
mod event_loop;
mod fanout;
mod flush;
mod hot_drops;
mod http;
mod insight;
mod server;
mod setups;
mod stores;
mod summary;
mod wrk;

pub(crate) use contention::{Rush, contention};
pub(crate) use http::Connection;
pub(crate) use server::{Server, build_server, write_bench_www};

use crate::run::command;
use crate::{Result, setup, size, wasm_symbols, widget};
pub use contention::Keys;
use serde_json::{Value, json};

pub(crate) const OUT_DIR: &str = "target/bench";
pub(crate) const TOKEN: &str = "bench-admin-token";
/// Contention (`Rush::STANDARD`): this many clients race for `HOT_STOCK + HOT_LIMIT` units.
const CLIENTS: usize = 32;
pub(crate) const HOT_STOCK: u32 = 400;
pub(crate) const HOT_LIMIT: u32 = 200;

/// The tools, the release widget (its size report) and the release server
/// on a fresh SQLite database `name` with the demo catalogue.
fn prepare(name: &str) -> Result<(size::Report, Server)> {
    setup::ensure_all(true)?;
    setup::ensure_bench_tools()?;
    std::fs::create_dir_all(OUT_DIR).map_err(|e| format!("cannot create {OUT_DIR}: {e}"))?;
    let report = widget::build()?;
    build_server()?;
    let db = format!("{OUT_DIR}/{name}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    write_bench_www()?;
    Ok((report, Server::start(&db)?))
}

/// Size, time to status and click → form: what a widget change moves.
pub fn widget_only() -> Result {
    let (report, mut server) = prepare("bench-widget.db")?;
    let browser = browser::time_to_status(&server.base);
    server.stop();
    let browser = browser?;
    let results = json!({
        "first_download_brotli": report.first_download_brotli(),
        "total_brotli": report.total_brotli(),
        "time_to_status": browser["time_to_status"],
        "time_to_status_ratios": browser::time_ratios(&browser["time_to_status"]),
        "click_to_form": browser["click_to_form"],
    });
    let pretty = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(format!("{OUT_DIR}/widget.json"), &pretty).map_err(|e| e.to_string())?;
    println!("{pretty}");
    Ok(())
}

/// The insight list for 10 000 products with 90 days of demand each.
pub fn insight_only() -> Result {
    let results = insight::insight()?;
    let pretty = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(format!("{OUT_DIR}/insight.json"), &pretty).map_err(|e| e.to_string())?;
    println!("{pretty}");
    Ok(())
}

/// The hot drop on SQLite and PostgreSQL (one server, three) against the
/// machine's flush rate, measured before and after.
/// `keys`: the idempotency keys the reservations carry, if any.
pub fn contention_only(without_mail: bool, keys: Keys, repeats: usize) -> Result {
    let results = hot_drops::hot_drops(!without_mail, keys, repeats)?;
    let pretty = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    let file = match keys {
        Keys::None => "contention.json",
        Keys::Widget => "contention-keyed.json",
        Keys::Random => "contention-random-keys.json",
    };
    std::fs::write(format!("{OUT_DIR}/{file}"), &pretty).map_err(|e| e.to_string())?;
    println!("{}", hot_drops::hot_drops_summary(&results));
    println!("xtask bench: wrote {OUT_DIR}/{file}");
    Ok(())
}

pub fn run(only_stores: bool) -> Result {
    if only_stores {
        std::fs::create_dir_all(OUT_DIR).map_err(|e| format!("cannot create {OUT_DIR}: {e}"))?;
        build_server()?;
        let stores = stores::stores()?;
        let summary = stores::stores_summary(&stores);
        std::fs::write(format!("{OUT_DIR}/stores.json"), stores.to_string())
            .map_err(|e| e.to_string())?;
        println!("{summary}");
        return Ok(());
    }
    let (report, mut server) = prepare("bench.db")?;
    let contributors = wasm_symbols::largest_contributors()?;
    let machine = machine();
    eprintln!("xtask bench: server at {}", server.base);

    let browser = browser::time_to_status(&server.base)?;
    let lighthouse = browser::lighthouse(&server.base)?;
    let throughput = wrk::api_throughput(&server.base)?;
    let rss_after_reads = server.peak_rss_kib();
    let contention = contention(std::slice::from_ref(&server.base), &Rush::STANDARD)?;
    let fanout = fanout::live_fanout(&server.base, &server.base)?;
    let rss_after_writes = server.peak_rss_kib();
    server.stop();
    let stores = stores::stores()?;
    let insight = insight::insight()?;

    let results = json!({
        "machine": machine,
        "widget_size": {
            "files": report.files.iter().map(|f| json!({"name": f.name, "raw": f.raw, "gzip": f.gzip, "brotli": f.brotli})).collect::<Vec<_>>(),
            "total_brotli": report.total_brotli(),
            "budget_brotli": size::WHOLE_BUDGET,
            "first_download_brotli": report.first_download_brotli(),
            "first_download_budget_brotli": size::FIRST_DOWNLOAD_BUDGET,
            "largest_wasm_contributors": contributors,
        },
        "time_to_status": browser["time_to_status"],
        "time_to_status_ratios": browser::time_ratios(&browser["time_to_status"]),
        "click_to_form": browser["click_to_form"],
        "wire": browser::wire(&browser["wire"], report.total_brotli()),
        "lighthouse": lighthouse,
        "api_throughput": throughput,
        "contention": contention,
        "live_fanout": fanout,
        "server_peak_rss_kib": { "after_reads": rss_after_reads, "after_reservations": rss_after_writes },
        "stores": stores,
        "insight": insight,
    });
    let pretty = serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?;
    std::fs::write(format!("{OUT_DIR}/results.json"), pretty).map_err(|e| e.to_string())?;
    let summary = summary::summary(&results);
    std::fs::write(format!("{OUT_DIR}/summary.md"), &summary).map_err(|e| e.to_string())?;
    println!("{summary}");
    println!("xtask bench: wrote {OUT_DIR}/results.json and {OUT_DIR}/summary.md");
    Ok(())
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

/// The value at rank `p` (0 to 1, nearest rank) of `sorted`; 0 when empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

pub(crate) fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
