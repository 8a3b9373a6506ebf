//! Which code makes the first download big: a names-preserving copy of the
//! main module of the split release build, read straight from its code and
//! name sections (`wasm_sections`).

use crate::run::command;
use crate::{Result, wasm_sections};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The main module as `cargo xtask build-widget` splits it, before wasm-bindgen.
const MAIN_WASM: &str = "target/widget-split/stock-widget-core.wasm";
const NAMED_DIR: &str = "target/widget-names";

/// `{"crates": [{name, bytes}], "functions": [{name, bytes}]}`, largest first.
pub fn largest_contributors() -> Result<Value> {
    let _ = std::fs::remove_dir_all(NAMED_DIR);
    command(
        "wasm-bindgen",
        &[
            MAIN_WASM,
            "--keep-lld-exports",
            "--target",
            "web",
            "--out-dir",
            NAMED_DIR,
            "--out-name",
            "named",
            "--no-typescript",
        ],
    )
    .status_ok()?;
    let wasm = format!("{NAMED_DIR}/named_bg.wasm");
    // -g keeps the names through the same optimisation the shipped file gets.
    crate::widget::drop_stream_exports(&wasm, &["-g"])?;
    crate::widget::optimize(&wasm, &["-g"])?;
    let bytes = std::fs::read(&wasm).map_err(|e| format!("cannot read {wasm}: {e}"))?;
    let functions = wasm_sections::function_sizes(&bytes).ok_or("cannot parse the wasm")?;
    let mut crates: BTreeMap<String, u64> = BTreeMap::new();
    for (name, size) in &functions {
        *crates.entry(crate_of(name)).or_default() += size;
    }
    let mut crates: Vec<_> = crates.into_iter().collect();
    crates.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    let mut functions = functions;
    functions.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    Ok(json!({
        "crates": crates.iter().take(15).map(|(name, bytes)| json!({"name": name, "bytes": bytes})).collect::<Vec<_>>(),
        "functions": functions.iter().take(40).map(|(name, bytes)| json!({"name": name, "bytes": bytes})).collect::<Vec<_>>(),
    }))
}

/// `tachys::view::…` → `tachys`; `<T as reactive_graph::…>` → `reactive_graph`.
fn crate_of(name: &str) -> String {
    let trimmed = name.trim_start_matches(['<', '&']);
    // `<f64 as core::fmt::Display>::fmt` belongs to the trait's crate.
    let trimmed = match trimmed.split_once(" as ") {
        Some((before, after)) if !before.contains("::") => after,
        _ => trimmed,
    };
    let first = trimmed.split("::").next().unwrap_or(trimmed);
    first.split('[').next().unwrap_or(first).trim().to_string()
}
