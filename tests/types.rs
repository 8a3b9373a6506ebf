//! What framework users get besides the script: the TypeScript types and the
//! Custom Elements Manifest, checked against the widget they describe.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn a_usage_file_type_checks_against_the_declarations_with_strict_tsc() {
    let root = project_dir();
    assert!(
        root.join("dist/widget/stock-widget.d.ts").exists(),
        "build the widget first: `cargo xtask build-widget` (`cargo xtask test` does)"
    );
    let tsc = root.join("target/tools/node_modules/.bin/tsc");
    assert!(
        tsc.exists(),
        "TypeScript is installed by `cargo xtask test` (or `npm install --prefix target/tools typescript`)"
    );
    let output = Command::new(tsc)
        .current_dir(&root)
        .args([
            "--strict",
            "--noEmit",
            "--target",
            "es2022",
            "--lib",
            "es2022,dom",
            "--module",
            "esnext",
            "--moduleResolution",
            "bundler",
            "--jsx",
            "preserve",
            "tests/types/usage.tsx",
        ])
        .output()
        .expect("run tsc");
    assert!(
        output.status.success(),
        "tsc found errors (each @ts-expect-error must be one):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The manifest's element entry.
fn manifest_element() -> Value {
    let manifest: Value = serde_json::from_str(&read(
        &project_dir().join("src/widget/custom-elements.json"),
    ))
    .expect("custom-elements.json is JSON");
    assert_eq!(manifest["schemaVersion"], "2.1.0");
    manifest["modules"][0]["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|declaration| declaration["tagName"] == "stock-status")
        .cloned()
        .expect("a stock-status declaration")
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_manifest_lists_the_attributes_the_element_observes() {
    let loader = read(&project_dir().join("src/widget/loader.js"));
    let line = loader
        .lines()
        .find(|line| line.contains("observedAttributes"))
        .unwrap();
    let observed: BTreeSet<String> = line
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert_eq!(names(&manifest_element()["attributes"]), observed);
}

#[test]
fn the_manifest_lists_every_css_custom_property_the_styles_read() {
    let css = read(&project_dir().join("src/widget/widget.css"));
    let used: BTreeSet<String> = css
        .split("var(")
        .skip(1)
        .filter_map(|rest| rest.split([',', ')']).next())
        .filter(|name| name.starts_with("--stock-status-"))
        .map(str::to_owned)
        .collect();
    assert_eq!(names(&manifest_element()["cssProperties"]), used);
}

#[test]
fn the_manifest_lists_the_events_the_widget_dispatches() {
    // What the widget does by itself and what the shopper's actions do.
    let sources = ["controller.rs", "actions.rs"]
        .map(|file| read(&project_dir().join("src/widget").join(file)))
        .join("\n");
    let dispatched: BTreeSet<String> = sources
        .split(".emit(\"")
        .skip(1)
        .map(|rest| format!("stock-status:{}", &rest[..rest.find('"').unwrap()]))
        .collect();
    assert_eq!(dispatched.len(), 4, "{dispatched:?}");
    assert_eq!(names(&manifest_element()["events"]), dispatched);
}
