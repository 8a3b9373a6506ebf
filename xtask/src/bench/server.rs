//! The release server the benchmarks measure, and the pages it serves.

use super::TOKEN;
use crate::Result;
use crate::run::command;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERVER_BIN: &str = "target/server/stock-widget";
/// The demo pages the server shows, plus the collection without the widget (Lighthouse's baseline).
const BENCH_WWW: &str = "target/bench/www";

/// Set to another build of the server (an older commit's, say) to measure
/// that one instead of this tree's: two runs compare the builds.
const SERVER_OVERRIDE: &str = "STOCK_WIDGET_BENCH_SERVER";

/// The server binary measured.
pub(super) fn server_bin() -> String {
    std::env::var(SERVER_OVERRIDE).unwrap_or_else(|_| SERVER_BIN.to_owned())
}

pub(crate) fn build_server() -> Result {
    if let Ok(other) = std::env::var(SERVER_OVERRIDE) {
        eprintln!("xtask bench: measuring {other} ({SERVER_OVERRIDE})");
        return Ok(());
    }
    command(
        "cargo",
        &["build", "--profile", "server", "--bin", "stock-widget"],
    )
    .status_ok()
}

/// The release server on a free port, with the demo catalog.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn start(db: &str) -> Result<Server> {
        Server::start_build(&server_bin(), db, true)
    }

    /// `build`, a server binary (another commit's, to compare with), on `db`;
    /// `demo`: with the demo catalogue, keeping every mail it writes to
    /// shoppers (as a server that mails them writes them), else without either.
    pub(crate) fn start_build(build: &str, db: &str, demo: bool) -> Result<Server> {
        let mut child = Command::new(build)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--www-dir",
                BENCH_WWW,
                "--db",
                db,
                "--admin-token",
                TOKEN,
                // The contention runs reserve thousands of times from one
                // address. A million a minute, not 0 (no limit): an older
                // build given through STOCK_WIDGET_BENCH_SERVER does not
                // accept 0.
                "--reservations-per-minute",
                "1000000",
            ])
            .args(if demo { &["--demo"][..] } else { &[][..] })
            .env("RUST_LOG", "warn,stock_widget=info")
            // `bench --webhooks` delivers to a receiver on loopback. The
            // variable, not the flag: an older build (STOCK_WIDGET_BENCH_SERVER)
            // that does not know it still starts.
            .env("STOCK_WIDGET_ALLOW_PRIVATE_WEBHOOKS", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {build}: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(start) = line.find("http://") {
                let base = line[start..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_string();
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines {});
                return Ok(Server { child, base });
            }
        }
        let _ = child.kill();
        Err("the server did not report its address".into())
    }

    /// Peak resident set size so far (`VmHWM`).
    pub(super) fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0)
    }

    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo pages, and `collection-without-widget.html`: the collection page
/// with the widget's script and elements taken out, Lighthouse's baseline.
pub(crate) fn write_bench_www() -> Result {
    copy_dir(std::path::Path::new("www"), std::path::Path::new(BENCH_WWW))?;
    let page = std::fs::read_to_string("www/collection.html").map_err(|e| e.to_string())?;
    let without: String = page
        .lines()
        .filter(|line| !line.contains("/widget/stock-widget.js"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(
        format!("{BENCH_WWW}/collection-without-widget.html"),
        without,
    )
    .map_err(|e| e.to_string())
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {to:?}: {e}"))?;
    for entry in std::fs::read_dir(from)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
