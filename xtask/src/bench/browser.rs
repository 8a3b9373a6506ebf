//! In headless Chromium: time to status (a Node + playwright-core script),
//! the widget's bytes on the wire, and Lighthouse.

use super::round3;
use crate::{Result, setup};
use serde_json::{Value, json};
use std::process::Command;

/// `page:widgets`, measured in turns: the widget against the plain-JS reference, then more widgets.
const PAGES: [&str; 5] = [
    "bench.html:1",
    "bench-plain.html:1",
    "bench.html:24",
    "bench-plain.html:24",
    "bench.html:100",
];

pub(super) fn time_to_status(base: &str) -> Result<Value> {
    // Next to node_modules, so the ES module import finds playwright-core.
    let script = format!("{}/time_to_status.mjs", setup::TOOLS_DIR);
    std::fs::write(&script, include_str!("../../assets/time_to_status.mjs"))
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

/// The widget against the plain-JS reference (1 and 24 widgets each), and
/// 100 widgets against one: the goals are ≤ 1.2 ×, ≤ 1.3 × and ≤ 1.5 ×.
pub(super) fn time_ratios(rows: &Value) -> Value {
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
        "widgets_24_to_plain_js_24": round3(median("bench.html", 24) / median("bench-plain.html", 24)),
        "hundred_to_one": round3(median("bench.html", 100) / one),
    })
}

/// The widget's bytes on the wire for the product page: cold (against the
/// brotli size + 2 KB of headers) and what a repeat visit still fetches.
pub(super) fn wire(traffic: &Value, brotli_total: u64) -> Value {
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

/// Lighthouse (mobile, performance only) on the collection page with and
/// without the widget, three runs each in turns; the medians.
pub(super) fn lighthouse(base: &str) -> Result<Value> {
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
