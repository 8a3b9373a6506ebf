//! `cargo xtask test`: the gates (formatting, clippy on the host and on
//! wasm) and every test suite, with one summary.
//!
//! Where the time goes on a fresh machine: installing (apt, npm, pip wait on
//! the network and the disk; the wasm-bindgen CLI compiles), then the builds
//! (the release widget, the native test binaries, the wasm test binaries),
//! then the suites. So:
//! - the installs run beside the builds: apt, npm and pip in one background
//!   thread, the CLI (which compiles in a target dir of its own) in another;
//! - the builds, which share `target/` and cargo's lock on it, follow each
//!   other, and each test binary is built once: the suites run what the
//!   builds made (`cargo test --test api` on PostgreSQL reuses the native build);
//! - clippy is the compiler of the test builds (`RUSTC_WORKSPACE_WRAPPER=
//!   clippy-driver`, which is how `cargo clippy` runs it): the same lints on
//!   the same targets as `cargo clippy --workspace --all-targets` and
//!   `cargo clippy --target wasm32-unknown-unknown --lib --tests`, without
//!   checking every dependency a second time. Any warning fails the gate (as
//!   `-D warnings` would), yet the tests still run.
//!
//! The summary gives each step's time, then the verdicts; its last line is
//! `N passed, N failed, N skipped`.

use crate::run::{Cmd, Tally, command};
use crate::{Result, setup, widget};
use std::time::{Duration, Instant};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Where the background installs write their output.
const INSTALL_LOG: &str = "target/xtask/installs.log";
const BINDGEN_LOG: &str = "target/xtask/wasm-bindgen-cli.log";

pub fn run() -> Result {
    let mut times = Times::new();
    setup::ensure_components()?;
    std::fs::create_dir_all("target/xtask")
        .map_err(|e| format!("cannot create target/xtask: {e}"))?;
    // The CLI first: the longest install, and the only one that competes
    // with the builds for the CPU.
    let bindgen = times.spawn("wasm-bindgen CLI (background)", || {
        setup::ensure_wasm_bindgen(Some(BINDGEN_LOG))
    });
    let installs = times.spawn("apt, npm, pip installs (background)", || {
        setup::ensure_test_tools(INSTALL_LOG)
    });
    let fmt = times.step("cargo fmt --all --check", || {
        command("cargo", &["fmt", "--all", "--check"]).status_ok()
    });
    setup::ensure_wasm_target()?;

    // The builds, one after the other (they share target/).
    let compiled = times.step("widget: release wasm build", widget::compile);
    let clippy = clippy_driver();
    let mut native_findings = 0;
    let native_build = times.step("native test build + clippy", || {
        linted(
            &clippy,
            &["test", "--workspace", "--all-targets", "--no-run"],
        )
        .diagnostics(&mut native_findings)
    });
    let mut wasm_findings = 0;
    let wasm_build = times.step("wasm test build + clippy", || {
        linted(
            &clippy,
            &[
                "test",
                "--target",
                WASM_TARGET,
                "--lib",
                "--tests",
                "--no-run",
            ],
        )
        .diagnostics(&mut wasm_findings)
    });

    times.join(bindgen)?;
    times.join(installs)?;
    compiled?;
    times.step("widget: wasm-bindgen, wasm-opt, esbuild", widget::package)?;

    let mut tally = Tally::default();
    let native = times.step("native tests", || {
        linted(
            &clippy,
            &["test", "--workspace", "--all-targets", "--no-fail-fast"],
        )
        .env("STOCK_WIDGET_CHROMEDRIVER", setup::CHROMEDRIVER)
        .tally(&mut tally)
    });
    // One contract, two stores: the same API suite on a throwaway PostgreSQL.
    let postgres = times.step("API tests on PostgreSQL", || {
        linted(&clippy, &["test", "--test", "api", "--no-fail-fast"])
            .env("STOCK_WIDGET_TEST_STORE", "postgres")
            .tally(&mut tally)
    });
    let wasm = times.step("wasm tests in Chromium", || {
        linted(
            &clippy,
            &[
                "test",
                "--target",
                WASM_TARGET,
                "--lib",
                "--tests",
                "--no-fail-fast",
            ],
        )
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "60")
        .tally(&mut tally)
    });

    let clippy_native = gate(&native_build, native_findings);
    let clippy_wasm = gate(&wasm_build, wasm_findings);
    println!("\nxtask test: where the time went");
    print!("{}", times.render());
    println!(
        "xtask test: fmt {}, clippy {}, clippy wasm {}, native {}, API on PostgreSQL {}, wasm {}",
        verdict(&fmt),
        verdict(&clippy_native),
        verdict(&clippy_wasm),
        verdict(&native),
        verdict(&postgres),
        verdict(&wasm)
    );
    println!(
        "{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    let failed: Vec<&str> = [
        ("formatting", &fmt),
        ("clippy", &clippy_native),
        ("clippy (wasm)", &clippy_wasm),
        ("native tests", &native),
        ("API tests on PostgreSQL", &postgres),
        ("wasm tests", &wasm),
    ]
    .into_iter()
    .filter(|(_, result)| result.is_err())
    .map(|(name, _)| name)
    .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join(", ")))
    }
}

/// `cargo ARGS` with clippy as the workspace's compiler. Every cargo command
/// of the test run sets the same, so none rebuilds what another built. Lints
/// are capped at warnings: a deny-by-default lint must fail the gate, not the
/// build the tests need (the warnings are counted instead).
fn linted(clippy: &str, args: &[&str]) -> Cmd {
    let cmd = command("cargo", args)
        .env("RUSTC_WORKSPACE_WRAPPER", clippy)
        .env(
            "CLIPPY_ARGS",
            "--cap-lints__CLIPPY_HACKERY__warn__CLIPPY_HACKERY__",
        );
    // CI builds a fresh checkout once: incremental compilation only costs
    // there (the workspace's native test build: 1m35s of CPU with it, 1m09s
    // without). Developers keep it.
    if std::env::var_os("CI").is_some() {
        cmd.env("CARGO_INCREMENTAL", "0")
    } else {
        cmd
    }
}

/// clippy-driver of the active toolchain (what `cargo clippy` runs).
fn clippy_driver() -> String {
    command("rustup", &["which", "clippy-driver"])
        .output_text()
        .map(|path| path.trim().to_string())
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| "clippy-driver".into())
}

/// A clippy gate: the build passed and printed no warning.
fn gate(build: &Result, findings: u64) -> Result {
    build.clone()?;
    if findings > 0 {
        return Err(format!("{findings} clippy or compiler warnings"));
    }
    Ok(())
}

fn verdict(result: &Result) -> &'static str {
    if result.is_ok() { "ok" } else { "FAILED" }
}

/// When each step started and how long it took.
struct Times {
    start: Instant,
    steps: Vec<(String, Duration, Duration)>,
}

type Background = (
    String,
    Duration,
    std::thread::JoinHandle<(Result, Duration)>,
);

impl Times {
    fn new() -> Times {
        Times {
            start: Instant::now(),
            steps: Vec::new(),
        }
    }

    fn step<T>(&mut self, name: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        let began = Instant::now();
        let result = work();
        self.steps
            .push((name.into(), began - self.start, began.elapsed()));
        result
    }

    fn spawn(&self, name: &str, work: impl FnOnce() -> Result + Send + 'static) -> Background {
        let began = Instant::now();
        let handle = std::thread::spawn(move || (work(), began.elapsed()));
        (name.into(), began - self.start, handle)
    }

    fn join(&mut self, (name, began, handle): Background) -> Result {
        let (result, took) = handle
            .join()
            .unwrap_or_else(|_| (Err(format!("{name} panicked")), Duration::ZERO));
        self.steps.push((name, began, took));
        result
    }

    fn render(&self) -> String {
        let mut steps = self.steps.clone();
        steps.sort_by_key(|step| step.1);
        let mut out = String::new();
        for (name, began, took) in steps {
            out.push_str(&format!(
                "  at {:>6}  {:>6}  {name}\n",
                clock(began),
                clock(took)
            ));
        }
        out.push_str(&format!("  total   {}", clock(self.start.elapsed())));
        // On a machine shared with other work, the CPU time tells more.
        if let Some(cpu) = children_cpu() {
            out.push_str(&format!(
                " ({} of CPU time in the commands it ran)",
                clock(cpu)
            ));
        }
        out.push('\n');
        out
    }
}

/// User + system time of the finished child processes and theirs
/// (`/proc/self/stat`'s cutime and cstime, in clock ticks of 1/100 s).
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// `4m07s`, or `12s`.
fn clock(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_minutes_and_seconds() {
        assert_eq!(clock(Duration::from_secs(12)), "12s");
        assert_eq!(clock(Duration::from_secs(247)), "4m07s");
    }

    #[test]
    fn the_cpu_time_of_finished_children_is_counted() {
        let before = children_cpu().expect("Linux has /proc/self/stat");
        command(
            "sh",
            &["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"],
        )
        .output_text()
        .expect("sh runs");
        assert!(children_cpu().unwrap() > before);
    }
}
