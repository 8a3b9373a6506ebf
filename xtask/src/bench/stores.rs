//! SQLite against PostgreSQL behind one server and behind three.

use super::contention::{Rush, contention};
use super::fanout::live_fanout;
use super::server::{Server, write_bench_www};
use super::setups::setups;
use super::wrk::spread_reads;
use super::{OUT_DIR, round3};
use crate::{Result, postgres, setup};
use serde_json::{Value, json};

/// The same reads and the same hot-SKU rush on SQLite, on PostgreSQL behind
/// one server and behind three, one after the other on this machine.
pub(super) fn stores() -> Result<Value> {
    setup::ensure_postgres()?;
    setup::ensure_bench_tools()?;
    write_bench_www()?;
    // fsync on: the reservations are as durable as SQLite's.
    let cluster = postgres::Cluster::start(true);
    let mut results = serde_json::Map::new();
    for (name, databases, durability) in setups(&cluster, &format!("{OUT_DIR}/stores.db")) {
        eprintln!("xtask bench: stores, {name}");
        let mut servers = Vec::new();
        for database in &databases {
            servers.push(Server::start(database)?);
        }
        let bases: Vec<String> = servers.iter().map(|server| server.base.clone()).collect();
        let reads = spread_reads(&bases)?;
        let mut rush = contention(&bases, &Rush::STANDARD)?;
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

pub(super) fn stores_summary(stores: &Value) -> String {
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
