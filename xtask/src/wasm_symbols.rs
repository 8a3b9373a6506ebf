//! Which code makes the wasm big: a names-preserving copy of the release
//! build, read straight from its code and name sections.

use crate::Result;
use crate::run::command;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const RELEASE_WASM: &str = "target/wasm32-unknown-unknown/release/stock_widget.wasm";
const NAMED_DIR: &str = "target/widget-names";

/// `{"crates": [{name, bytes}], "functions": [{name, bytes}]}`, largest first.
pub fn largest_contributors() -> Result<Value> {
    let _ = std::fs::remove_dir_all(NAMED_DIR);
    command(
        "wasm-bindgen",
        &[
            RELEASE_WASM,
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
    let functions = function_sizes(&bytes).ok_or("cannot parse the wasm")?;
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

fn leb(bytes: &[u8], position: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(*position)?;
        *position += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte < 0x80 {
            return Some(value);
        }
        shift += 7;
    }
}

/// `(name, body bytes)` for every function defined in the module.
fn function_sizes(bytes: &[u8]) -> Option<Vec<(String, u64)>> {
    let mut position = 8; // magic + version
    let mut imported_functions = 0u64;
    let mut bodies = Vec::new();
    let mut names = BTreeMap::new();
    while position < bytes.len() {
        let id = bytes[position];
        position += 1;
        let size = leb(bytes, &mut position)? as usize;
        let start = position;
        match id {
            2 => imported_functions = count_imported_functions(bytes, position)?,
            10 => {
                let mut at = position;
                for _ in 0..leb(bytes, &mut at)? {
                    let body_start = at;
                    let length = leb(bytes, &mut at)? as usize;
                    at += length;
                    bodies.push((at - body_start) as u64);
                }
            }
            0 => {
                let mut at = position;
                let length = leb(bytes, &mut at)? as usize;
                if bytes.get(at..at + length)? == b"name" {
                    at += length;
                    while at < start + size {
                        let kind = bytes[at];
                        at += 1;
                        let sub_size = leb(bytes, &mut at)? as usize;
                        let sub_end = at + sub_size;
                        if kind == 1 {
                            for _ in 0..leb(bytes, &mut at)? {
                                let index = leb(bytes, &mut at)?;
                                let length = leb(bytes, &mut at)? as usize;
                                names.insert(
                                    index,
                                    String::from_utf8_lossy(bytes.get(at..at + length)?)
                                        .into_owned(),
                                );
                                at += length;
                            }
                        }
                        at = sub_end;
                    }
                }
            }
            _ => {}
        }
        position = start + size;
    }
    Some(
        bodies
            .into_iter()
            .enumerate()
            .map(|(index, size)| {
                let name = names
                    .get(&(index as u64 + imported_functions))
                    .cloned()
                    .unwrap_or_else(|| "?".into());
                (name, size)
            })
            .collect(),
    )
}

fn count_imported_functions(bytes: &[u8], mut at: usize) -> Option<u64> {
    let mut functions = 0;
    for _ in 0..leb(bytes, &mut at)? {
        for _ in 0..2 {
            let length = leb(bytes, &mut at)? as usize;
            at += length;
        }
        let kind = *bytes.get(at)?;
        at += 1;
        match kind {
            0 => {
                leb(bytes, &mut at)?;
                functions += 1;
            }
            1 => {
                at += 1; // element type
                let flags = leb(bytes, &mut at)?;
                leb(bytes, &mut at)?;
                if flags & 1 == 1 {
                    leb(bytes, &mut at)?;
                }
            }
            2 => {
                let flags = leb(bytes, &mut at)?;
                leb(bytes, &mut at)?;
                if flags & 1 == 1 {
                    leb(bytes, &mut at)?;
                }
            }
            3 => at += 2, // value type + mutability
            _ => {
                at += 1;
                leb(bytes, &mut at)?;
            }
        }
    }
    Some(functions)
}

/// The names of the module's exports.
pub fn export_names(bytes: &[u8]) -> Option<Vec<String>> {
    let mut position = 8; // magic + version
    while position < bytes.len() {
        let id = bytes[position];
        position += 1;
        let size = leb(bytes, &mut position)? as usize;
        if id == 7 {
            let mut at = position;
            let mut names = Vec::new();
            for _ in 0..leb(bytes, &mut at)? {
                let length = leb(bytes, &mut at)? as usize;
                names.push(String::from_utf8_lossy(bytes.get(at..at + length)?).into_owned());
                at += length + 1; // name, then the export's kind
                leb(bytes, &mut at)?; // and its index
            }
            return Some(names);
        }
        position += size;
    }
    Some(Vec::new())
}
