//! Installs the tools the build and tests need, skipping what is present.

use crate::Result;
use crate::run::command;
use std::path::Path;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where npm-installed tools go (inside target/, so `cargo clean` resets them).
pub const TOOLS_DIR: &str = "target/tools";
const BINARYEN_VERSION: &str = "132.0.0";
const ESBUILD_VERSION: &str = "0.28.2";
const TYPESCRIPT_VERSION: &str = "5.9.3";
const SCHEMATHESIS_VERSION: &str = "4.32.5";

pub fn ensure_all(browser: bool) -> Result {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    ensure_binaryen();
    ensure_esbuild();
    if browser {
        ensure_browser()?;
    }
    Ok(())
}

fn ensure_wasm_target() -> Result {
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

fn ensure_wasm_bindgen() -> Result {
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
    command(
        "cargo",
        &[
            "install",
            "wasm-bindgen-cli",
            "--version",
            &wanted,
            "--force",
        ],
    )
    .status_ok()
}

/// wasm-opt from npm's binaryen (Debian's is too old and breaks the wasm).
/// Optional: without npm the widget is still built, only larger.
fn ensure_binaryen() {
    if wasm_opt_path().is_some() {
        return;
    }
    if command("npm", &["--version"]).output_text().is_none() {
        eprintln!("xtask: npm not found; the widget will be built without wasm-opt");
        return;
    }
    let result = npm_install(&format!("binaryen@{BINARYEN_VERSION}"));
    if let Err(error) = result {
        eprintln!("xtask: could not install binaryen ({error}); building without wasm-opt");
    }
}

pub fn wasm_opt_path() -> Option<String> {
    tool_path("wasm-opt")
}

/// esbuild from npm minifies the JS glue and the loader. Optional: without
/// npm the widget is still built, only larger.
fn ensure_esbuild() {
    if esbuild_path().is_some() || command("npm", &["--version"]).output_text().is_none() {
        return;
    }
    if let Err(error) = npm_install(&format!("esbuild@{ESBUILD_VERSION}")) {
        eprintln!("xtask: could not install esbuild ({error}); the JS will not be minified");
    }
}

/// Comes with binaryen, beside wasm-opt.
pub fn wasm_metadce_path() -> Option<String> {
    tool_path("wasm-metadce")
}

/// schemathesis (PyPI), in a venv under `target/tools`, for the API contract test.
pub fn ensure_schemathesis() -> Result {
    if Path::new(&format!("{TOOLS_DIR}/venv/bin/st")).exists() {
        return Ok(());
    }
    command("python3", &["-m", "venv", &format!("{TOOLS_DIR}/venv")]).status_ok()?;
    command(
        &format!("{TOOLS_DIR}/venv/bin/pip"),
        &[
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ],
    )
    .status_ok()
}

/// TypeScript's `tsc`, for the test that type-checks the widget's `.d.ts`.
pub fn ensure_typescript() -> Result {
    if tool_path("tsc").is_some() {
        return Ok(());
    }
    npm_install(&format!("typescript@{TYPESCRIPT_VERSION}"))
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
    let installed = std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|versions| {
        versions
            .filter_map(std::result::Result::ok)
            .any(|version| version.path().join("bin/initdb").exists())
    });
    if installed {
        return Ok(());
    }
    apt_install(&["postgresql"])
}

fn ensure_browser() -> Result {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver"])
}

/// wrk (apt) for the API load, playwright-core (npm; it drives Debian's
/// Chromium and downloads no browser) for time to status.
pub fn ensure_bench_tools() -> Result {
    if !Path::new("/usr/bin/wrk").exists() {
        apt_install(&["wrk"])?;
    }
    if !Path::new(&format!("{TOOLS_DIR}/node_modules/playwright-core")).exists() {
        npm_install("playwright-core@1.65.1")?;
    }
    // The last Lighthouse that runs on Node 20.
    if !Path::new(&format!("{TOOLS_DIR}/node_modules/lighthouse")).exists() {
        npm_install("lighthouse@12.2.3")?;
    }
    Ok(())
}

/// Installs an npm package into the tools folder (not the project). Saved in
/// the folder's package.json, so installing one tool keeps the others.
fn npm_install(spec: &str) -> Result {
    command(
        "npm",
        &[
            "install",
            "--prefix",
            TOOLS_DIR,
            "--no-audit",
            "--no-fund",
            spec,
        ],
    )
    .status_ok()
}

/// Installs Debian packages, as root or through sudo.
fn apt_install(packages: &[&str]) -> Result {
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
    command(program, &update).status_ok()?;
    let mut install: Vec<&str> = prefix.to_vec();
    // With recommends: the same install the brief verified (fonts included).
    install.extend(["install", "-y"]);
    install.extend(packages);
    command(program, &install)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status_ok()
}
