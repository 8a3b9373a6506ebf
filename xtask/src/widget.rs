//! Builds the release widget: cargo → wasm-split → wasm-bindgen → wasm-opt
//! → dist/widget/.
//!
//! The wasm is split where the widget marks it (`src/widget/on_demand.rs`):
//! the main module holds what a status needs, `split_*.wasm` what only the
//! forms reach, fetched by the page when a shopper may need it.

use crate::run::command;
use crate::setup::{esbuild_path, wasm_opt_path};
use crate::{DIST_WIDGET, Result, size};
use std::path::Path;

const WASM_OUT: &str = "target/wasm32-unknown-unknown/release/stock_widget.wasm";
/// Where the split modules and their JS loader are written, before wasm-bindgen.
const SPLIT_DIR: &str = "target/widget-split";
/// The split loader's module name, as the main wasm imports it.
const SPLIT_LINK: &str = "./__wasm_split.js";
/// wasm-bindgen's output name; `stock-widget.js` is the loader merchants load.
const CORE_NAME: &str = "stock-widget-core";

/// The features rustc's wasm32 target enables by default, for binaryen's tools.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

pub fn build() -> Result<size::Report> {
    compile()?;
    package()
}

/// The release wasm, with cargo (needs no other tool).
pub fn compile() -> Result {
    command(
        "cargo",
        &[
            "rustc",
            "--lib",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "--crate-type",
            "cdylib",
            "--features",
            "split",
        ],
    )
    // wasm-split reads the linker's relocations to move functions between modules.
    .env(
        "CARGO_ENCODED_RUSTFLAGS",
        &format!("-Clink-args=--emit-relocs\x1f{}", short_panic_paths()),
    )
    .status_ok()
}

/// The compiled wasm through wasm-bindgen, wasm-opt and esbuild into
/// `dist/widget/`, with its size report.
pub fn package() -> Result<size::Report> {
    let staging = "target/widget-staging";
    let _ = std::fs::remove_dir_all(staging);
    let parts = split()?;
    command(
        "wasm-bindgen",
        &[
            &format!("{SPLIT_DIR}/{CORE_NAME}.wasm"),
            "--target",
            "web",
            "--out-dir",
            staging,
            "--out-name",
            CORE_NAME,
            "--no-typescript",
            "--remove-name-section",
            "--remove-producers-section",
            // The split modules import the table, memory and shared globals
            // the linker exported; wasm-bindgen would drop those exports.
            "--keep-lld-exports",
        ],
    )
    .status_ok()?;
    let wasm = format!("{staging}/{CORE_NAME}_bg.wasm");
    drop_stream_exports(&wasm, &[])?;
    if !optimize(&wasm, &[])? {
        eprintln!("xtask: wasm-opt not available; skipping it");
    }
    for part in &parts {
        optimize(&format!("{SPLIT_DIR}/{part}"), &[])?;
    }
    copy(
        &format!("{SPLIT_DIR}/{SPLIT_LINK}"),
        &format!("{staging}/{SPLIT_LINK}"),
    )?;
    let _ = std::fs::remove_dir_all(DIST_WIDGET);
    std::fs::create_dir_all(DIST_WIDGET)
        .map_err(|e| format!("cannot create {DIST_WIDGET}: {e}"))?;
    // The loader imports the glue, which imports the split loader; bundled,
    // they are one minified request, and the glue's exports the loader never
    // imports are left out.
    let loader = format!("{staging}/stock-widget.js");
    copy("src/widget/loader.js", &loader)?;
    let mut scripts = vec![String::from("stock-widget.js")];
    if !bundle(&loader, &format!("{DIST_WIDGET}/stock-widget.js"))? {
        eprintln!("xtask: esbuild not available; the loader and glue are served as written");
        copy(&loader, &format!("{DIST_WIDGET}/stock-widget.js"))?;
        for glue in [format!("{CORE_NAME}.js"), SPLIT_LINK.replace("./", "")] {
            copy(
                &format!("{staging}/{glue}"),
                &format!("{DIST_WIDGET}/{glue}"),
            )?;
            scripts.push(glue);
        }
    }
    // Every wasm's name carries a hash of its bytes, so it can be cached
    // forever; the scripts that name it are rewritten to the hashed name.
    let mut renames = vec![hashed(&wasm, &format!("{CORE_NAME}_bg.wasm"))?];
    for part in &parts {
        renames.push(hashed(&format!("{SPLIT_DIR}/{part}"), part)?);
    }
    for script in &scripts {
        let path = format!("{DIST_WIDGET}/{script}");
        let mut text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
        for (plain, hashed) in &renames {
            text = text.replace(&format!("./{plain}"), &format!("./{hashed}"));
        }
        write(&path, text.as_bytes())?;
    }
    // For framework users: TypeScript types and the Custom Elements Manifest.
    copy(
        "src/widget/stock-widget.d.ts",
        &format!("{DIST_WIDGET}/stock-widget.d.ts"),
    )?;
    copy(
        "src/widget/custom-elements.json",
        &format!("{DIST_WIDGET}/custom-elements.json"),
    )?;
    precompress(Path::new(DIST_WIDGET))?;
    let report = size::measure(Path::new(DIST_WIDGET))?;
    print!("{}", report.render());
    Ok(report)
}

/// Splits the release wasm at the widget's split points into the main
/// module and the on-demand parts (their file names, returned) with the JS
/// that loads them, all in `SPLIT_DIR`.
fn split() -> Result<Vec<String>> {
    let _ = std::fs::remove_dir_all(SPLIT_DIR);
    let input = std::fs::read(WASM_OUT).map_err(|e| format!("cannot read {WASM_OUT}: {e}"))?;
    let main_out = format!("{SPLIT_DIR}/{CORE_NAME}.wasm");
    let main_module = format!("./{CORE_NAME}.js");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = Path::new(SPLIT_DIR);
    options.main_out_path = Path::new(&main_out);
    options.link_name = SPLIT_LINK;
    options.main_module = &main_module;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|e| format!("wasm-split failed: {e:#}"))?;
    let mut parts: Vec<String> = split
        .split_modules
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    parts.sort();
    Ok(parts)
}

/// Copies the wasm at `path` into the widget's folder under a name with its
/// content hash: (`plain` name, hashed name).
fn hashed(path: &str, plain: &str) -> Result<(String, String)> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let stem = plain.trim_end_matches(".wasm");
    let name = format!("{stem}.{}.wasm", content_hash(&bytes));
    write(&format!("{DIST_WIDGET}/{name}"), &bytes)?;
    Ok((plain.to_string(), name))
}

/// `wasm-opt -Oz` in place, with `extra` flags; `false` when wasm-opt is not installed.
pub fn optimize(wasm: &str, extra: &[&str]) -> Result<bool> {
    let Some(wasm_opt) = wasm_opt_path() else {
        return Ok(false);
    };
    // --converge repeats -Oz while it still shrinks the module;
    // --zero-filled-memory: a fresh wasm memory is all zeros, so zero data can go.
    let mut args = vec![
        wasm,
        "-Oz",
        "--converge",
        "--zero-filled-memory",
        "-o",
        wasm,
    ];
    args.extend(WASM_FEATURES);
    args.extend(extra);
    command(&wasm_opt, &args).status_ok()?;
    Ok(true)
}

/// Leptos 0.8 always enables server_fn's browser streams, whose `wasm-streams`
/// crate exports three JS classes (`IntoUnderlyingSource`, `…ByteSource`,
/// `…Sink`) the widget never uses. Exports are roots that no optimiser may
/// remove, so wasm-metadce (binaryen) drops them, and wasm-opt then drops the
/// code only they reached. Our loader never imports the classes, so the
/// bundler leaves their JS out too.
pub fn drop_stream_exports(wasm: &str, extra: &[&str]) -> Result {
    let Some(metadce) = crate::setup::wasm_metadce_path() else {
        return Ok(());
    };
    let bytes = std::fs::read(wasm).map_err(|e| format!("cannot read {wasm}: {e}"))?;
    let exports = crate::wasm_sections::export_names(&bytes).ok_or("cannot parse the wasm")?;
    let unused = |name: &str| name.contains("intounderlying");
    // The reachability graph wasm-metadce reads: one root reaching every export we keep.
    let node = |name: &str| format!("export:{name}");
    let mut graph = vec![serde_json::json!({
        "name": "loader",
        "root": true,
        "reaches": exports.iter().filter(|name| !unused(name)).map(|name| node(name)).collect::<Vec<_>>(),
    })];
    for name in &exports {
        graph.push(serde_json::json!({"name": node(name), "export": name}));
    }
    let graph_file = format!("{wasm}.graph.json");
    std::fs::write(&graph_file, serde_json::to_vec(&graph).expect("json"))
        .map_err(|e| format!("cannot write {graph_file}: {e}"))?;
    let mut args = vec![wasm, "--graph-file", &graph_file, "-o", wasm];
    args.extend(WASM_FEATURES);
    args.extend(extra);
    command(&metadce, &args)
        .output_text()
        .ok_or("wasm-metadce failed")?;
    Ok(())
}

/// Bundles the ES module `entry` and what it imports into one minified
/// file with esbuild; `false` when esbuild is not installed.
fn bundle(entry: &str, out: &str) -> Result<bool> {
    let Some(esbuild) = esbuild_path() else {
        return Ok(false);
    };
    command(
        &esbuild,
        &[
            entry,
            "--bundle",
            "--minify",
            "--format=esm",
            "--log-level=warning",
            &format!("--outfile={out}"),
        ],
    )
    .status_ok()?;
    Ok(true)
}

/// Panic locations carry source paths into the wasm; strip the long prefixes
/// (the cargo registry's source folders, this checkout) so they cost bytes, not kilobytes.
fn short_panic_paths() -> String {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".cargo"))
        });
    let mut prefixes = Vec::new();
    if let Some(sources) = cargo_home.map(|home| home.join("registry").join("src")) {
        for index in std::fs::read_dir(sources).into_iter().flatten().flatten() {
            prefixes.push(index.path().display().to_string());
        }
    }
    if let Ok(root) = std::env::current_dir() {
        prefixes.push(root.display().to_string());
    }
    prefixes
        .iter()
        .map(|prefix| format!("--remap-path-prefix={prefix}="))
        .collect::<Vec<_>>()
        .join("\x1f")
}

/// The first 10 hex digits of the SHA-256 of `bytes`: a file name that changes
/// exactly when the content does.
fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .take(5)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Writes `name.br` and `name.gz` beside every file, for the server to send
/// to clients that accept them (compressed once, at the best settings).
fn precompress(dir: &Path) -> Result {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path:?}: {e}"))?;
        let path = path.display().to_string();
        write(&format!("{path}.br"), &size::brotli(&bytes))?;
        write(&format!("{path}.gz"), &size::gzip(&bytes))?;
    }
    Ok(())
}

fn write(path: &str, bytes: &[u8]) -> Result {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {path}: {e}"))
}

fn copy(from: &str, to: &str) -> Result {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {from} to {to}: {e}"))
}
