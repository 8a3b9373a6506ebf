//! Installs the tools the build and tests need, skipping what is present.

use crate::Result;
use crate::run::{Cmd, command};
use std::path::Path;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where npm-installed tools go (inside target/, so `cargo clean` resets them).
pub const TOOLS_DIR: &str = "target/tools";
const BINARYEN_VERSION: &str = "132.0.0";
const ESBUILD_VERSION: &str = "0.28.2";
const TYPESCRIPT_VERSION: &str = "5.9.3";
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// The SMTP server the mail tests run (`tests/support/smtp.rs`).
const AIOSMTPD_VERSION: &str = "1.4.6";

pub fn ensure_all(browser: bool) -> Result {
    ensure_wasm_target()?;
    ensure_wasm_bindgen(None)?;
    ensure_node_tools(false, None)?;
    if browser {
        ensure_browser()?;
    }
    Ok(())
}

/// Everything `cargo xtask test` needs but the wasm target and the
/// wasm-bindgen CLI: Chromium and ChromeDriver and PostgreSQL's server (apt,
/// one transaction), wasm-opt, esbuild and tsc (npm, one call), schemathesis
/// (pip). All wait on the network and the disk rather than the CPU, so the
/// test command runs this beside its builds, with the output in `log`.
pub fn ensure_test_tools(log: &str) -> Result {
    let mut packages = Vec::new();
    if !browser_installed() {
        packages.extend(["chromium", "chromium-driver"]);
    }
    if !postgres_installed() {
        packages.push("postgresql");
    }
    if !packages.is_empty() {
        apt_install(&packages, Some(log))?;
    }
    ensure_node_tools(true, Some(log))?;
    ensure_schemathesis(Some(log))
}

/// rustfmt and clippy, for the test command's gates (rustup's default
/// profile has them; the minimal one does not).
pub fn ensure_components() -> Result {
    let have = |tool: &str| {
        command("cargo", &[tool, "--version"])
            .output_text()
            .is_some()
    };
    if have("fmt") && have("clippy") {
        return Ok(());
    }
    command("rustup", &["component", "add", "rustfmt", "clippy"]).status_ok()
}

pub fn ensure_wasm_target() -> Result {
    let installed = command("rustup", &["target", "list", "--installed"])
        .output_text()
        .unwrap_or_default();
    if installed
        .lines()
        .any(|line| line.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    command("rustup", &["target", "add", "wasm32-unknown-unknown"]).status_ok()
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock")
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_string());
        }
    }
    Err("Cargo.lock names no wasm-bindgen version".into())
}

/// The wasm-bindgen CLI matching Cargo.lock; `log` takes cargo's output
/// when it runs beside other work.
pub fn ensure_wasm_bindgen(log: Option<&str>) -> Result {
    let wanted = locked_wasm_bindgen_version()?;
    let have = command("wasm-bindgen", &["--version"])
        .output_text()
        .unwrap_or_default();
    let runner = command("wasm-bindgen-test-runner", &["--version"])
        .output_text()
        .unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(wanted.as_str()) && runner.contains(&wanted) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {wanted} (takes a few minutes, once)");
    // Without --locked: the CLI's lockfile pins a crate version that is no longer published.
    // Without its default `rustls-tls` feature: TLS is only for a WebDriver
    // reached over https, and ours is on loopback; leaving out rustls and ring
    // saves an eighth of the install's CPU time (opt-level 1 would save 4 %
    // more, for a slower bindgen on every test binary: not worth it).
    let cmd = command(
        "cargo",
        &[
            "install",
            "wasm-bindgen-cli",
            "--version",
            &wanted,
            "--no-default-features",
            // Not wasm2es6js: one binary fewer to compile and link.
            "--bin",
            "wasm-bindgen",
            "--bin",
            "wasm-bindgen-test-runner",
            "--force",
        ],
    );
    run(cmd, log)
}

fn run(cmd: Cmd, log: Option<&str>) -> Result {
    match log {
        Some(log) => cmd.logged(log),
        None => cmd.status_ok(),
    }
}

/// The npm tools, in one `npm install`: wasm-opt from binaryen (Debian's is
/// too old and breaks the wasm) and esbuild (minifies the JS glue and the
/// loader), both optional: without npm the widget is still built, only
/// larger; with `typescript`, `tsc` for the test that type-checks the
/// widget's `.d.ts`, which is required.
fn ensure_node_tools(typescript: bool, log: Option<&str>) -> Result {
    let mut specs = Vec::new();
    if wasm_opt_path().is_none() {
        specs.push(format!("binaryen@{BINARYEN_VERSION}"));
    }
    if esbuild_path().is_none() {
        specs.push(format!("esbuild@{ESBUILD_VERSION}"));
    }
    let need_tsc = typescript && tool_path("tsc").is_none();
    if need_tsc {
        specs.push(format!("typescript@{TYPESCRIPT_VERSION}"));
    }
    if specs.is_empty() {
        return Ok(());
    }
    let result = if command("npm", &["--version"]).output_text().is_none() {
        Err("npm not found".to_string())
    } else {
        npm_install(&specs, log)
    };
    match result {
        Err(error) if need_tsc => Err(error),
        Err(error) => {
            eprintln!(
                "xtask: could not install {} ({error}); the widget is built without wasm-opt or esbuild",
                specs.join(", ")
            );
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

pub fn wasm_opt_path() -> Option<String> {
    tool_path("wasm-opt")
}

/// Comes with binaryen, beside wasm-opt.
pub fn wasm_metadce_path() -> Option<String> {
    tool_path("wasm-metadce")
}

/// schemathesis (PyPI), in a venv under `target/tools`, for the API
/// contract test, and aiosmtpd beside it, the mail tests' SMTP server.
fn ensure_schemathesis(log: Option<&str>) -> Result {
    let venv = format!("{TOOLS_DIR}/venv");
    if !Path::new(&format!("{venv}/bin/python")).exists() {
        run(command("python3", &["-m", "venv", &venv]), log)?;
    }
    if !Path::new(&format!("{venv}/bin/aiosmtpd")).exists() {
        let pip = command(
            &format!("{venv}/bin/pip"),
            &[
                "install",
                "--quiet",
                &format!("aiosmtpd=={AIOSMTPD_VERSION}"),
            ],
        );
        run(pip, log)?;
    }
    if Path::new(&format!("{venv}/bin/st")).exists() {
        return Ok(());
    }
    let pip = command(
        &format!("{TOOLS_DIR}/venv/bin/pip"),
        &[
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ],
    );
    run(pip, log)
}

pub fn esbuild_path() -> Option<String> {
    tool_path("esbuild")
}

fn tool_path(name: &str) -> Option<String> {
    let path = format!("{TOOLS_DIR}/node_modules/.bin/{name}");
    Path::new(&path).exists().then_some(path)
}

/// PostgreSQL's server binaries (Debian's `postgresql`): the tests start
/// throwaway clusters of their own from them; no service is used.
pub fn ensure_postgres() -> Result {
    if postgres_installed() {
        return Ok(());
    }
    apt_install(&["postgresql"], None)
}

fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|versions| {
        versions
            .filter_map(std::result::Result::ok)
            .any(|version| version.path().join("bin/initdb").exists())
    })
}

fn ensure_browser() -> Result {
    if browser_installed() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"], None)
}

fn browser_installed() -> bool {
    Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()
}

/// wrk (apt) for the API load, playwright-core (npm; it drives Debian's
/// Chromium and downloads no browser) for time to status.
pub fn ensure_bench_tools() -> Result {
    if !Path::new("/usr/bin/wrk").exists() {
        apt_install(&["wrk"], None)?;
    }
    let mut specs = Vec::new();
    if !Path::new(&format!("{TOOLS_DIR}/node_modules/playwright-core")).exists() {
        specs.push("playwright-core@1.65.1".to_string());
    }
    // The last Lighthouse that runs on Node 20.
    if !Path::new(&format!("{TOOLS_DIR}/node_modules/lighthouse")).exists() {
        specs.push("lighthouse@12.2.3".to_string());
    }
    if specs.is_empty() {
        return Ok(());
    }
    npm_install(&specs, None)
}

/// Installs npm packages into the tools folder (not the project), in one
/// call. Saved in the folder's package.json, so installing one tool keeps the
/// others.
fn npm_install(specs: &[String], log: Option<&str>) -> Result {
    let mut args = vec!["install", "--prefix", TOOLS_DIR, "--no-audit", "--no-fund"];
    args.extend(specs.iter().map(String::as_str));
    run(command("npm", &args), log)
}

/// Installs Debian packages, as root or through sudo.
fn apt_install(packages: &[&str], log: Option<&str>) -> Result {
    let is_root = command("id", &["-u"])
        .output_text()
        .is_some_and(|uid| uid.trim() == "0");
    let (program, prefix): (&str, &[&str]) = if is_root {
        ("apt-get", &[])
    } else {
        ("sudo", &["apt-get"])
    };
    let mut update: Vec<&str> = prefix.to_vec();
    update.push("update");
    run(command(program, &update), log)?;
    let mut install: Vec<&str> = prefix.to_vec();
    // With recommends: the same install the brief verified (fonts included).
    install.extend(["install", "-y"]);
    install.extend(packages);
    run(
        command(program, &install).env("DEBIAN_FRONTEND", "noninteractive"),
        log,
    )
}
