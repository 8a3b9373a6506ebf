//! Read throughput with `wrk`: one server, or several at once.

use crate::Result;
use crate::run::command;
use serde_json::{Value, json};

/// wrk against availability and, right after, against /healthz: the machine's ceiling.
pub(super) fn api_throughput(base: &str) -> Result<Value> {
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

/// wrk against one product's availability on every server at once, 32
/// connections in all; the requests per second add up.
pub(super) fn spread_reads(bases: &[String]) -> Result<Value> {
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
