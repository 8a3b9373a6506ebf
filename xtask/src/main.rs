//! `cargo xtask <command>`: the project's build and test automation, offline
//! and idempotent. Every command installs what it needs and skips what is there.
//!
//! - `dev`           build everything, then serve the demo store on 127.0.0.1:8080
//! - `test`          every test: native, wasm in headless Chromium, end-to-end;
//!   and the gates: `cargo fmt --check`, clippy on the host and on wasm
//! - `build-widget`  the release widget into `dist/widget/`, with a size report;
//!   `--why` adds its largest crates and functions
//! - `bench`         size, time to status, API throughput, contention, memory,
//!   SQLite vs PostgreSQL (`--stores`: only that), `--webhooks`: the outbox's cost,
//!   `--widget`: only size, time to status and click → form, `--insight`: only
//!   the insight list for 10 000 products, `--contention`: only the hot drop
//!   (256 clients on one SKU, three setups) against the machine's flush rate
//! - `setup`         only the installs (`--browser` adds Chromium + ChromeDriver,
//!   `--postgres` PostgreSQL's server binaries)

mod bench;
mod webhook_bench;
// The throwaway PostgreSQL clusters the tests use, for the stores' benchmark.
#[allow(dead_code)]
#[path = "../../tests/support/postgres.rs"]
mod postgres;
mod run;
mod setup;
mod size;
mod suite;
mod wasm_sections;
mod wasm_symbols;
mod widget;

use bench::Keys;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where generated files go.
pub const DIST_WIDGET: &str = "dist/widget";
/// The admin token of the local dev server: not a secret, it only guards loopback.
pub const DEV_ADMIN_TOKEN: &str = "dev-admin-token";

/// `--runs N` (1 when absent): how many times `bench --contention` runs.
fn runs_option(args: &[String]) -> Result<usize> {
    match args.iter().position(|arg| arg == "--runs") {
        None => Ok(1),
        Some(at) => args
            .get(at + 1)
            .and_then(|runs| runs.parse::<usize>().ok())
            .filter(|runs| (1..=20).contains(runs))
            .ok_or_else(|| "--runs takes a number from 1 to 20".to_string()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    if let Err(error) = std::env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {error}", root.display());
        return ExitCode::FAILURE;
    }
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev(&args[1..]),
        Some("test") => suite::run(),
        Some("bench") if args.iter().any(|arg| arg == "--webhooks") => webhook_bench::run(),
        Some("bench") if args.iter().any(|arg| arg == "--widget") => bench::widget_only(),
        Some("bench") if args.iter().any(|arg| arg == "--insight") => bench::insight_only(),
        Some("bench") if args.iter().any(|arg| arg == "--contention") => runs_option(&args)
            .and_then(|runs| {
                bench::contention_only(
                    args.iter().any(|arg| arg == "--without-mail"),
                    if args.iter().any(|arg| arg == "--random-keys") {
                        Keys::Random
                    } else if args.iter().any(|arg| arg == "--keyed") {
                        Keys::Widget
                    } else {
                        Keys::None
                    },
                    runs,
                )
            }),
        Some("bench") => bench::run(args.iter().any(|arg| arg == "--stores")),
        Some("build-widget") => build_widget(args.iter().any(|arg| arg == "--why")),
        Some("setup") => {
            setup::ensure_all(args.iter().any(|arg| arg == "--browser")).and_then(|()| {
                if args.iter().any(|arg| arg == "--postgres") {
                    setup::ensure_postgres()
                } else {
                    Ok(())
                }
            })
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <dev [serve options…] | test | bench [--stores | --webhooks | --widget | --insight | --contention [--without-mail] [--keyed | --random-keys] [--runs N]] | build-widget [--why] | setup [--browser] [--postgres]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the project")
        .to_path_buf()
}

pub type Result<T = ()> = std::result::Result<T, String>;

/// Builds the widget and the server, then runs `stock-widget serve --demo
/// --allow-private-webhooks` (webhooks to receivers on this machine).
fn dev(extra: &[String]) -> Result {
    setup::ensure_all(false)?;
    widget::build()?;
    std::fs::create_dir_all("target/dev").map_err(|e| format!("cannot create target/dev: {e}"))?;
    println!(
        "\nxtask: starting the dev server; open http://127.0.0.1:8080/ (admin token: {DEV_ADMIN_TOKEN})\n"
    );
    let mut args: Vec<String> = [
        "run",
        "--bin",
        "stock-widget",
        "--",
        "serve",
        "--demo",
        "--db",
        "target/dev/stock-widget.db",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Local receivers (a webhook catcher on localhost) are what development
    // uses; production servers keep the rule.
    if !extra.iter().any(|arg| arg == "--allow-private-webhooks") {
        args.push("--allow-private-webhooks".to_owned());
    }
    args.extend(extra.iter().cloned());
    run::command("cargo", &args)
        .env("STOCK_WIDGET_ADMIN_TOKEN", DEV_ADMIN_TOKEN)
        .status_ok()
}

/// The widget, failing when over its size budget; `why` lists what weighs most.
fn build_widget(why: bool) -> Result {
    setup::ensure_all(false)?;
    let report = widget::build()?;
    if why {
        let contributors = wasm_symbols::largest_contributors()?;
        for (kind, entries) in contributors.as_object().into_iter().flatten() {
            println!("largest {kind} (bytes of code before compression):");
            for entry in entries.as_array().into_iter().flatten() {
                println!(
                    "  {:>7}  {}",
                    entry["bytes"],
                    entry["name"].as_str().unwrap_or("")
                );
            }
        }
    }
    report.check_budget()
}
