//! `target/bench/summary.md` from the results.

use super::stores::stores_summary;
use serde_json::Value;

pub(super) fn summary(results: &Value) -> String {
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
    out.push_str(&format!(
        "\nFirst download (before the status shows): **{}** bytes brotli, budget {} bytes.\n",
        size["first_download_brotli"], size["first_download_budget_brotli"]
    ));
    out.push_str(&format!("\nWhole widget (with the on-demand forms): **{}** bytes brotli, budget {} bytes.\n\nLargest contributors to the wasm (bytes of code before compression):\n\n", size["total_brotli"], size["budget_brotli"]));
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
        "\n1 widget / plain-JS reference: **{}** (goal ≤ 1.2); 24 widgets / 24 plain-JS: **{}** (goal ≤ 1.3); 100 widgets / 1 widget: **{}** (goal ≤ 1.5).\n",
        ratios["widget_to_plain_js"], ratios["widgets_24_to_plain_js_24"], ratios["hundred_to_one"]
    ));
    out.push_str("\n## Click → form visible (backorder product, cold page)\n\n| forms' part | median ms | min | max | loads |\n| --- | ---: | ---: | ---: | ---: |\n");
    for row in results["click_to_form"].as_array().into_iter().flatten() {
        let part = if row["prefetched"] == true {
            "prefetched (idle)"
        } else {
            "not fetched before the click"
        };
        out.push_str(&format!(
            "| {part} | {:.1} | {:.1} | {:.1} | {} |\n",
            row["median_ms"].as_f64().unwrap_or(0.0),
            row["min_ms"].as_f64().unwrap_or(0.0),
            row["max_ms"].as_f64().unwrap_or(0.0),
            row["loads"]
        ));
    }
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
    let i = &results["insight"];
    out.push_str(&format!(
        "\n## Insight at catalog scale\n\n{} products × {} days of demand (SQLite, release server): `GET /api/v1/admin/insight` median {} ms (slowest {} ms, {} bytes), the CSV median {} ms, one product's {} ms; budget {} ms. Importing the history took {} s.\n",
        i["products"], i["days"], i["list_json_ms"]["median"], i["list_json_ms"]["slowest"], i["list_json_ms"]["bytes"],
        i["list_csv_ms"]["median"], i["one_product_ms"], i["budget_ms"], i["import_demand_seconds"]
    ));
    out
}
