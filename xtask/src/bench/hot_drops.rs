//! `cargo xtask bench --contention`: the hot drop against the machine's
//! flush rate on the three setups of `setups.rs`, on this build and a
//! baseline build side by side.

use super::contention::{KeySource, Keys, Rush, backorder_queue, contention, ms, put_product};
use super::flush::{self, flush_rate};
use super::http::Connection;
use super::server::{self, Server, build_server, write_bench_www};
use super::{OUT_DIR, percentile, round3, setups};
use crate::{Result, postgres, setup};
use serde_json::{Value, json};
use std::time::Instant;

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
    keys: Keys::None,
};
/// `--contention`: reservations one client makes one after the other on a quiet server.
const QUIET_RESERVATIONS: usize = 300;
/// `--contention`: how long each flush-rate loop runs.
const FLUSH_SECONDS: f64 = 2.0;

/// One client, `count` reservations one after the other (each waits for
/// the previous answer) of a fresh product with that much stock.
fn quiet(base: &str, count: usize, keys: Keys) -> Result<Value> {
    put_product(
        base,
        "QUIET",
        &json!({"name": "Quiet item", "stock": count, "backorders": "deny"}),
    )?;
    let mut connection = Connection::open(base)?;
    let mut latencies = Vec::with_capacity(count);
    let mut created = 0;
    let mut source = KeySource::new(u64::MAX);
    for index in 0..count {
        let body = format!(r#"{{"quantity":1,"email":"quiet{index}@example.com"}}"#);
        let key = keys.header(&mut source);
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
fn drop_on(bases: &[String], keys: Keys) -> Result<Value> {
    let quiet = quiet(&bases[0], QUIET_RESERVATIONS, keys)?;
    let rush = contention(bases, &Rush { keys, ..DROP })?;
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
fn drop_with(build: &str, databases: &[String], mail: bool, keys: Keys) -> Result<Value> {
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
    let outcome = drop_on(&bases, keys);
    servers.iter_mut().for_each(Server::stop);
    outcome
}

/// `cargo xtask bench --contention`: on SQLite, PostgreSQL behind one server
/// and behind three (and on the baseline build too, when given), the quiet
/// reservations and the drop, each run between two measurements of the
/// flush rate: its reservations per flush divide by their mean. `mail`:
/// the servers run the demo, which writes (and keeps) a confirmation mail
/// per reservation, as a shop that mails its shoppers does; without, only
/// the reservations are written (`--without-mail`). `repeats` (`--runs N`):
/// all of it N times, on fresh databases, the builds' order alternating —
/// two runs of one build differed by up to 30 % on a shared machine, so one
/// pair of runs cannot tell a change of a few percent.
pub(super) fn hot_drops(mail: bool, keys: Keys, repeats: usize) -> Result<Value> {
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
    let mut flushes = vec![flush_rate(OUT_DIR, FLUSH_SECONDS)?];
    let mut runs = Vec::new();
    for repeat in 0..repeats.max(1) {
        // Fresh: a drop leaves its product sold out.
        let databases: Vec<_> = builds
            .iter()
            .map(|(build, _)| setups::setups(&cluster, &format!("{OUT_DIR}/contention-{build}.db")))
            .collect();
        let mut order: Vec<_> = builds.iter().zip(&databases).collect();
        if repeat % 2 == 1 {
            order.reverse();
        }
        for setup in 0..3 {
            for ((build, binary), setups) in order.iter().copied() {
                let (name, databases, durability) = &setups[setup];
                eprintln!("xtask bench: contention, {name} on {build}");
                // Each build starts with the cluster's pages on disk: the run
                // before does not leave its writes for this one to wait on.
                cluster.checkpoint();
                let mut run = drop_with(binary, databases, mail, keys)?;
                let before = flushes[flushes.len() - 1]["flushes_per_sec"].as_f64();
                let after = flush_rate(OUT_DIR, FLUSH_SECONDS)?;
                let around = (before.unwrap_or(0.0)
                    + after["flushes_per_sec"].as_f64().unwrap_or(0.0))
                    / 2.0;
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
                run["repeat"] = json!(repeat);
                runs.push(run);
            }
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
        "keys": format!("{keys:?}"),
        "builds": builds.iter().map(|(build, binary)| json!({"build": build, "binary": binary})).collect::<Vec<_>>(),
        "load": format!(
            "one client, {QUIET_RESERVATIONS} reservations one after the other on a fresh product; then one hot SKU (stock {}, backorder limit {}), {} clients each on its own keep-alive connection reserving 1 unit at a time until refused, round robin over the servers; a flush-rate loop before and after each run; servers, PostgreSQL and clients share the machine's cores",
            DROP.stock, DROP.backorder_limit, DROP.clients
        ) + match keys {
            Keys::None => "",
            Keys::Widget => "; each reservation (quiet and rush) with an Idempotency-Key of its own as the widget makes them, the time in milliseconds then 80 random bits (--keyed)",
            Keys::Random => "; each reservation (quiet and rush) with an Idempotency-Key of its own, 128 random bits (--random-keys)",
        },
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
        let build = match run["repeat"].as_u64() {
            Some(repeat) if repeat > 0 => {
                format!(
                    "{}, run {}",
                    run["build"].as_str().unwrap_or(""),
                    repeat + 1
                )
            }
            _ => run["build"].as_str().unwrap_or("").to_owned(),
        };
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
            "- {name}, {build}: {} × 201, {} × 409, {} other {} in {} s; queue after: {} units in {} reservations; max_quantity after: {} (shown by the last server {} ms after the rush)\n",
            rush["created"],
            rush["refused"],
            rush["other_statuses"],
            rush["other_status_codes"],
            rush["seconds"],
            run["backorder_queue_after"]["queued_units"],
            run["backorder_queue_after"]["reservations"],
            rush["max_quantity_after"],
            rush["sold_out_shown_after_ms"],
        ));
    }
    for setup in ["sqlite", "postgres_1_server", "postgres_3_servers"] {
        // Each repeat's pair: this build against the baseline in the same repeat.
        let of = |build: &str, repeat: &Value| {
            runs.iter().find(|run| {
                run["setup"] == setup && run["build"] == build && run["repeat"] == *repeat
            })
        };
        let pairs: Vec<(&Value, &Value)> = runs
            .iter()
            .filter(|run| run["setup"] == setup && run["build"] == "this_build")
            .filter_map(|this| Some((this, of("baseline", &this["repeat"])?)))
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let ratios = |path: &[&str]| -> Vec<f64> {
            let get = |run: &Value| path.iter().fold(run, |value, key| &value[*key]).as_f64();
            pairs
                .iter()
                .filter_map(|(this, base)| match (get(this), get(base)) {
                    (Some(a), Some(b)) if b > 0.0 => Some(round3(a / b)),
                    _ => None,
                })
                .collect()
        };
        let described = |mut ratios: Vec<f64>| {
            let each = ratios
                .iter()
                .map(f64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            ratios.sort_by(f64::total_cmp);
            let middle = ratios.len() / 2;
            let median = if ratios.len() % 2 == 1 {
                ratios[middle]
            } else {
                (ratios[middle - 1] + ratios[middle]) / 2.0
            };
            format!("**×{}** (each run: {each})", round3(median))
        };
        out.push_str(&format!(
            "\n{setup}: this build / baseline, median — reservations/s {}, rush p99 {}, quiet p50 {}",
            described(ratios(&["hot_sku_rush", "reservations_per_sec"])),
            described(ratios(&["hot_sku_rush", "p99_ms"])),
            described(ratios(&["quiet", "p50_ms"])),
        ));
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
