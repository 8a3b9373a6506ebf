//! The OpenAPI document against the real server, fuzzed by schemathesis
//! (`cargo xtask test` installs it into `target/tools/venv`): every check,
//! a fixed seed, stateful runs along the document's links, admin operations
//! with the token. A request the schema allows must be accepted, one it
//! forbids refused, and every answer documented.

use crate::support::{Options, TestServer};
use stock_widget::server::WriteLimit;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_contract_failure() {
    let root = crate::support::project_dir();
    let st = root.join("target/tools/venv/bin/st");
    assert!(
        st.exists(),
        "schemathesis is installed by `cargo xtask test` (into target/tools/venv)"
    );
    let server = TestServer::start_with(Options {
        demo: true,
        // The fuzzer places thousands of reservations from one address.
        write_limit: WriteLimit {
            per_minute: 1_000_000,
            client_ip_header: None,
        },
        // Its `ignored_auth` check sends wrong tokens to every admin
        // operation, and then needs the right one to keep working.
        limits: stock_widget::server::Limits {
            failed_logins_per_minute: 1_000_000,
            ..stock_widget::server::Limits::default()
        },
        // The fuzzer registers endpoints at any host the URL pattern
        // allows: this server sends no webhooks (no worker slots), so
        // nothing leaves the machine.
        webhooks: stock_widget::server::webhooks::DeliveryConfig {
            concurrency: 0,
            ..crate::support::quick_webhooks()
        },
        ..Options::default()
    })
    .await;
    let token = server.admin_token.clone().expect("an admin token");
    // The contract is the HTTP layer's, the same on both stores: the full
    // run on SQLite; on PostgreSQL a shorter one with the same seed, for
    // what only that store refuses (text it cannot hold, its number
    // ranges), so the suite stays within its ten minutes.
    let examples = if crate::support::on_postgres() {
        "40"
    } else {
        "120"
    };
    let output = tokio::process::Command::new(st)
        .current_dir(&root)
        .env("PYTHONPATH", root.join("tests/schemathesis"))
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("NO_COLOR", "1")
        .args([
            "--config-file",
            "tests/schemathesis/schemathesis.toml",
            "run",
        ])
        .arg(server.url("/api/v1/openapi.json"))
        .args(["--checks", "all", "--max-examples", examples, "--seed", "1"])
        // An event stream's 200 never ends, so a fuzzer would wait on it
        // forever; tests/api/stream.rs covers it.
        .args(["--exclude-path", "/api/v1/availability/stream"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .output()
        .await
        .expect("run schemathesis");
    let report = String::from_utf8_lossy(&output.stdout);
    let generated = report
        .lines()
        .find_map(|line| line.trim().split_once(" generated"))
        .and_then(|(count, _)| count.trim().parse::<u32>().ok())
        .unwrap_or(0);
    assert!(
        output.status.success() && report.contains("No issues found"),
        "schemathesis reported failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(generated >= 500, "only {generated} requests generated");
}
