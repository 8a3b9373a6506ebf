//! Raw, gzip and brotli sizes of the files a page loads for the widget.

use crate::Result;
use std::io::Write;
use std::path::Path;

/// What every page with a widget fetches before its status shows (the
/// loader with its glue and the main wasm), in brotli bytes.
pub const FIRST_DOWNLOAD_BUDGET: u64 = 64 * 1024;
/// Everything a page may load from `/widget/`, the on-demand part included.
pub const WHOLE_BUDGET: u64 = 100 * 1024;

/// The on-demand parts the split writes (`split_*.wasm`, and shared
/// `chunk_*.wasm` when there are several parts): fetched only for a form.
pub fn is_on_demand(name: &str) -> bool {
    name.starts_with("split_") || name.starts_with("chunk_")
}

pub struct FileSize {
    pub name: String,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

pub struct Report {
    pub files: Vec<FileSize>,
}

pub fn measure(dir: &Path) -> Result<Report> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // What a page loads; the precompressed copies are the same files on
        // the wire, and the types and manifest are for developers' tools.
        if ![".js", ".wasm", ".css"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            continue;
        }
        let bytes = std::fs::read(entry.path())
            .map_err(|e| format!("cannot read {:?}: {e}", entry.path()))?;
        files.push(FileSize {
            name,
            raw: bytes.len() as u64,
            gzip: gzip_len(&bytes),
            brotli: brotli_len(&bytes),
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Report { files })
}

impl Report {
    /// Everything, the on-demand part included.
    pub fn total_brotli(&self) -> u64 {
        self.files.iter().map(|file| file.brotli).sum()
    }

    /// What a page fetches before its status shows.
    pub fn first_download_brotli(&self) -> u64 {
        self.files
            .iter()
            .filter(|file| !is_on_demand(&file.name))
            .map(|file| file.brotli)
            .sum()
    }

    /// `Err` when the first download or the whole widget is over its
    /// budget, so the build fails.
    pub fn check_budget(&self) -> Result {
        let mut over = Vec::new();
        for (what, bytes, budget) in self.budgets() {
            if bytes > budget {
                over.push(format!(
                    "{what} is {bytes} bytes brotli, over its budget of {budget}"
                ));
            }
        }
        if over.is_empty() {
            Ok(())
        } else {
            Err(over.join("; "))
        }
    }

    fn budgets(&self) -> [(&'static str, u64, u64); 2] {
        [
            (
                "the first download",
                self.first_download_brotli(),
                FIRST_DOWNLOAD_BUDGET,
            ),
            ("the whole widget", self.total_brotli(), WHOLE_BUDGET),
        ]
    }

    pub fn render(&self) -> String {
        let mut out =
            String::from("\nwidget size (bytes)                        raw      gzip    brotli\n");
        for file in &self.files {
            out.push_str(&format!(
                "  {:<38} {:>8} {:>9} {:>9}\n",
                file.name, file.raw, file.gzip, file.brotli
            ));
        }
        for (what, bytes, budget) in self.budgets() {
            let verdict = if bytes <= budget { "within" } else { "OVER" };
            out.push_str(&format!(
                "  {what}: {bytes} bytes brotli ({:.1} KB), {verdict} its {} KB budget\n",
                bytes as f64 / 1024.0,
                budget / 1024
            ));
        }
        out.push('\n');
        out
    }
}

fn gzip_len(bytes: &[u8]) -> u64 {
    gzip(bytes).len() as u64
}

fn brotli_len(bytes: &[u8]) -> u64 {
    brotli(bytes).len() as u64
}

/// `bytes` gzipped at the best level: what the server sends to gzip-only clients.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

/// `bytes` in brotli at the best quality: what the server sends to most browsers.
pub fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut output = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut output, &params)
        .expect("compressing in memory cannot fail");
    output
}
