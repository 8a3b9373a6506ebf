//! The hot-SKU rush: many clients reserving one product at once; and
//! `cargo xtask bench --contention`, the hot drop against the machine's flush
//! rate on the three setups of `setups.rs`.

use super::flush::{self, flush_rate};
use super::http::Connection;
use super::server::{self, Server, build_server, write_bench_www};
use super::{CLIENTS, HOT_LIMIT, HOT_STOCK, OUT_DIR, TOKEN, percentile, round3, setups};
use crate::{Result, postgres, setup};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;

/// One rush on the hot SKU `HOT`: `clients` clients reserve one unit at a
/// time until refused, for `stock + backorder_limit` units in all.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rush {
    pub(crate) clients: usize,
    pub(crate) stock: u32,
    pub(crate) backorder_limit: u32,
    /// One shopper reads the SKU's availability meanwhile (its latencies reported).
    pub(crate) reads: bool,
    /// Each reservation carries an `Idempotency-Key` of its own, as the widget sends.
    pub(crate) keyed: bool,
}

impl Rush {
    /// The rush of `bench`, `--stores` and `--webhooks`: 32 clients, 400 + 200 units.
    pub(crate) const STANDARD: Rush = Rush {
        clients: CLIENTS,
        stock: HOT_STOCK,
        backorder_limit: HOT_LIMIT,
        reads: true,
        keyed: false,
    };

    fn allowed(&self) -> u64 {
        u64::from(self.stock) + u64::from(self.backorder_limit)
    }
}

/// `--contention`: a hot drop. 32 000 units: one to two seconds at 16 000 to
/// 35 000 reservations/s (a machine whose disk flushes 19 000 times a
/// second; 8 000 units were over in a quarter of a second there, too short
/// to measure a rate), and still bounded (under a minute) at the few hundred
/// per second of a server without group commit. No reads: only the writes.
const DROP: Rush = Rush {
    clients: 256,
    stock: 30_000,
    backorder_limit: 2_000,
    reads: false,
    keyed: false,
};
/// `--contention`: reservations one client makes one after the other on a quiet server.
const QUIET_RESERVATIONS: usize = 300;
/// `--contention`: how long each flush-rate loop runs.
const FLUSH_SECONDS: f64 = 2.0;

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
fn put_product(base: &str, sku: &str, settings: &Value) -> Result {
    let path = format!("/api/v1/admin/products/{sku}");
    let (status, body) =
        Connection::open(base)?.send("PUT", &path, &auth(), &settings.to_string())?;
    if status != 200 && status != 201 {
        return Err(format!("cannot set up {sku}: {status} {body}"));
    }
    Ok(())
}

/// Milliseconds, rounded to `places` decimals.
fn ms(value: f64, places: i32) -> f64 {
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
    let start = Arc::new(Barrier::new(rush.clients + 1));
    let workers: Vec<_> = (0..rush.clients)
        .map(|client| {
            let (base, start) = (bases[client % bases.len()].clone(), Arc::clone(&start));
            let keyed = rush.keyed;
            std::thread::spawn(move || -> Result<Tally> {
                let connection = Connection::open(&base);
                // Every client waits here, connected or not, so the rush cannot hang.
                start.wait();
                let mut connection = connection?;
                let body = format!(r#"{{"quantity":1,"email":"client{client}@example.com"}}"#);
                let mut tally = Tally::default();
                // Bounded: at most this many attempts per client.
                for attempt in 0..allowed {
                    // As the widget sends one: each reservation its own key.
                    let key = key_header(keyed, &format!("rush-{client}-{attempt}"));
                    let sent = Instant::now();
                    let answer =
                        connection.send("POST", "/api/v1/products/HOT/reservations", &key, &body);
                    tally.latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    match answer {
                        Ok((201, _)) => tally.created += 1,
                        Ok((409, _)) => {
                            tally.refused += 1;
                            break;
                        }
                        Ok((status, answer)) => {
                            let code: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
                            let code = code["error"]["code"].as_str().unwrap_or("").to_owned();
                            *tally.other.entry(format!("{status} {code}")).or_default() += 1;
                        }
                        Err(_) => {
                            *tally.other.entry("no answer".into()).or_default() += 1;
                            connection = Connection::open(&base)?;
                        }
                    }
                }
                Ok(tally)
            })
        })
        .collect();
    start.wait();
    let started = Instant::now();
    let mut all = Tally::default();
    let mut failure = None;
    for worker in workers {
        match worker.join().map_err(|_| "a client panicked".to_string()) {
            Ok(Ok(tally)) => {
                all.latencies.extend(tally.latencies);
                all.created += tally.created;
                all.refused += tally.refused;
                for (status, count) in tally.other {
                    *all.other.entry(status).or_default() += count;
                }
            }
            Ok(Err(error)) | Err(error) => failure = Some(error),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    rush_over.store(true, Ordering::Relaxed);
    let reads = match reader {
        Some(reader) => Some(reader.join().map_err(|_| "the reader panicked")??),
        None => None,
    };
    if let Some(error) = failure {
        return Err(error);
    }
    all.latencies.sort_by(|a, b| a.total_cmp(b));
    // Asked of the last server: every server must agree nothing is left.
    let last = bases[bases.len() - 1].as_str();
    let (_, availability) =
        Connection::open(last)?.send("GET", "/api/v1/products/HOT/availability", "", "")?;
    let availability: Value = serde_json::from_str(&availability).unwrap_or(Value::Null);
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

/// The hot SKU's backorder queue as the admin API lists it
/// (`GET /api/v1/admin/products/HOT/reservations`): units and reservations.
fn backorder_queue(base: &str) -> Result<Value> {
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

/// One client, `count` reservations one after the other (each waits for
/// the previous answer) of a fresh product with that much stock.
/// The header line of a fresh `Idempotency-Key`, or none.
fn key_header(keyed: bool, key: &str) -> String {
    if keyed {
        format!("Idempotency-Key: {key}\r\n")
    } else {
        String::new()
    }
}

fn quiet(base: &str, count: usize, keyed: bool) -> Result<Value> {
    put_product(
        base,
        "QUIET",
        &json!({"name": "Quiet item", "stock": count, "backorders": "deny"}),
    )?;
    let mut connection = Connection::open(base)?;
    let mut latencies = Vec::with_capacity(count);
    let mut created = 0;
    for index in 0..count {
        let body = format!(r#"{{"quantity":1,"email":"quiet{index}@example.com"}}"#);
        let key = key_header(keyed, &format!("quiet-{index}"));
        let sent = Instant::now();
        let (status, _) =
            connection.send("POST", "/api/v1/products/QUIET/reservations", &key, &body)?;
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
        created += u64::from(status == 201);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok(json!({
        "reservations": count,
        "created": created,
        "p50_ms": ms(percentile(&latencies, 0.50), 3),
        "p99_ms": ms(percentile(&latencies, 0.99), 3),
    }))
}

/// The quiet reservations (first: nothing else is pending on the server
/// then, not even the drop's mails), the drop and the queue check on one setup.
fn drop_on(bases: &[String], keyed: bool) -> Result<Value> {
    let quiet = quiet(&bases[0], QUIET_RESERVATIONS, keyed)?;
    let rush = contention(bases, &Rush { keyed, ..DROP })?;
    let queue = backorder_queue(&bases[0])?;
    let limit = u64::from(DROP.backorder_limit);
    let queue_agrees = queue["queued_units"] == limit && queue["reservations"] == limit;
    Ok(json!({
        "servers": bases.len(),
        "zero_oversold": rush["zero_oversell"] == true && queue_agrees,
        "hot_sku_rush": rush,
        "backorder_queue_after": queue,
        "queue_agrees": queue_agrees,
        "quiet": quiet,
    }))
}

/// Set to another build of the server (the commit before a change, say):
/// `--contention` then runs every setup on that build too, just before this
/// tree's, so the two are compared side by side in one run.
const BASELINE: &str = "STOCK_WIDGET_BENCH_BASELINE";

/// Starts the setup's servers of `build`, runs the drop on them, stops them.
fn drop_with(build: &str, databases: &[String], mail: bool, keyed: bool) -> Result<Value> {
    let mut servers = Vec::new();
    for database in databases {
        match Server::start_build(build, database, mail) {
            Ok(server) => servers.push(server),
            Err(error) => {
                servers.iter_mut().for_each(Server::stop);
                return Err(error);
            }
        }
    }
    let bases: Vec<String> = servers.iter().map(|server| server.base.clone()).collect();
    let outcome = drop_on(&bases, keyed);
    servers.iter_mut().for_each(Server::stop);
    outcome
}

/// `cargo xtask bench --contention`: on SQLite, PostgreSQL behind one server
/// and behind three (and on the baseline build too, when given), the quiet
/// reservations and the drop, each run between two measurements of the
/// flush rate: its reservations per flush divide by their mean. `mail`:
/// the servers run the demo, which writes (and keeps) a confirmation mail
/// per reservation, as a shop that mails its shoppers does; without, only
/// the reservations are written (`--without-mail`).
pub(super) fn hot_drops(mail: bool, keyed: bool) -> Result<Value> {
    setup::ensure_postgres()?;
    std::fs::create_dir_all(OUT_DIR).map_err(|e| format!("cannot create {OUT_DIR}: {e}"))?;
    build_server()?;
    write_bench_www()?;
    let mut builds = Vec::new();
    if let Ok(baseline) = std::env::var(BASELINE) {
        builds.push(("baseline", baseline));
    }
    builds.push(("this_build", server::server_bin()));
    // fsync on: the reservations are as durable as SQLite's.
    let cluster = postgres::Cluster::start(true);
    let databases: Vec<_> = builds
        .iter()
        .map(|(build, _)| setups::setups(&cluster, &format!("{OUT_DIR}/contention-{build}.db")))
        .collect();
    let mut flushes = vec![flush_rate(OUT_DIR, FLUSH_SECONDS)?];
    let mut runs = Vec::new();
    for setup in 0..3 {
        for ((build, binary), setups) in builds.iter().zip(&databases) {
            let (name, databases, durability) = &setups[setup];
            eprintln!("xtask bench: contention, {name} on {build}");
            // Each build starts with the cluster's pages on disk: the run
            // before does not leave its writes for this one to wait on.
            cluster.checkpoint();
            let mut run = drop_with(binary, databases, mail, keyed)?;
            let before = flushes[flushes.len() - 1]["flushes_per_sec"].as_f64();
            let after = flush_rate(OUT_DIR, FLUSH_SECONDS)?;
            let around =
                (before.unwrap_or(0.0) + after["flushes_per_sec"].as_f64().unwrap_or(0.0)) / 2.0;
            flushes.push(after);
            let reservations = run["hot_sku_rush"]["reservations_per_sec"]
                .as_f64()
                .unwrap_or(0.0);
            run["setup"] = json!(name);
            run["build"] = json!(build);
            run["durability"] = json!(durability);
            run["flushes_per_sec_around"] = json!(ms(around, 1));
            run["reservations_per_flush"] = json!(if around > 0.0 {
                round3(reservations / around)
            } else {
                0.0
            });
            runs.push(run);
        }
    }
    drop(cluster);
    Ok(json!({
        "machine": super::machine(),
        "flush_rate": {
            "method": flush::METHOD,
            "directory": OUT_DIR,
            "same_filesystem_as_postgres": flush::same_filesystem_as_temp(OUT_DIR),
            "measurements": flushes,
        },
        "mail": mail,
        "keyed": keyed,
        "builds": builds.iter().map(|(build, binary)| json!({"build": build, "binary": binary})).collect::<Vec<_>>(),
        "load": format!(
            "one client, {QUIET_RESERVATIONS} reservations one after the other on a fresh product; then one hot SKU (stock {}, backorder limit {}), {} clients each on its own keep-alive connection reserving 1 unit at a time until refused, round robin over the servers; a flush-rate loop before and after each run; servers, PostgreSQL and clients share the machine's cores",
            DROP.stock, DROP.backorder_limit, DROP.clients
        ) + if keyed { "; each reservation (quiet and rush) with an Idempotency-Key of its own, as the widget sends (--keyed)" } else { "" },
        "runs": runs,
    }))
}

/// The Markdown table of `hot_drops`, and this build's ratios to the baseline.
pub(super) fn hot_drops_summary(results: &Value) -> String {
    let mut out = format!(
        "\n## Hot drops: 256 clients on one SKU, against the flush rate ({})\n\n| store | servers | build | reservations/s | flush rate/s around it | reservations per flush | p50 ms | p99 ms | zero oversold | quiet p50 ms | quiet p99 ms |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |\n",
        if results["mail"] == false {
            "without mail"
        } else {
            "a confirmation mail per reservation"
        }
    );
    let mut statuses = String::new();
    let runs = results["runs"].as_array().cloned().unwrap_or_default();
    for run in &runs {
        let rush = &run["hot_sku_rush"];
        let name = run["setup"].as_str().unwrap_or("");
        let build = run["build"].as_str().unwrap_or("");
        out.push_str(&format!(
            "| {name} | {} | {build} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            run["servers"],
            rush["reservations_per_sec"],
            run["flushes_per_sec_around"],
            run["reservations_per_flush"],
            rush["p50_ms"],
            rush["p99_ms"],
            run["zero_oversold"],
            run["quiet"]["p50_ms"],
            run["quiet"]["p99_ms"],
        ));
        statuses.push_str(&format!(
            "- {name}, {build}: {} × 201, {} × 409, {} other {} in {} s; queue after: {} units in {} reservations; max_quantity after: {}\n",
            rush["created"],
            rush["refused"],
            rush["other_statuses"],
            rush["other_status_codes"],
            rush["seconds"],
            run["backorder_queue_after"]["queued_units"],
            run["backorder_queue_after"]["reservations"],
            rush["max_quantity_after"],
        ));
    }
    let find = |setup: &str, build: &str| {
        runs.iter()
            .find(|run| run["setup"] == setup && run["build"] == build)
            .cloned()
    };
    for setup in ["sqlite", "postgres_1_server", "postgres_3_servers"] {
        if let (Some(base), Some(this)) = (find(setup, "baseline"), find(setup, "this_build")) {
            let ratio = |path: &[&str]| {
                let get = |run: &Value| path.iter().fold(run, |value, key| &value[*key]).as_f64();
                match (get(&this), get(&base)) {
                    (Some(a), Some(b)) if b > 0.0 => round3(a / b),
                    _ => 0.0,
                }
            };
            out.push_str(&format!(
                "\n{setup}: this build / baseline — reservations/s **×{}**, rush p99 ×{}, quiet p50 **×{}**",
                ratio(&["hot_sku_rush", "reservations_per_sec"]),
                ratio(&["hot_sku_rush", "p99_ms"]),
                ratio(&["quiet", "p50_ms"]),
            ));
        }
    }
    let rates: Vec<String> = results["flush_rate"]["measurements"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|m| m["flushes_per_sec"].to_string())
                .collect()
        })
        .unwrap_or_default();
    out.push_str(&format!(
        "\n\nFlush rate ({}), measured before the first run and after each: {}/s.\n\n{statuses}",
        results["flush_rate"]["method"].as_str().unwrap_or(""),
        rates.join(", "),
    ));
    out
}
