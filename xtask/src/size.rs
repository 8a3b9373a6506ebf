//! Raw, gzip and brotli sizes of the files a page loads for the widget.

use crate::Result;
use std::io::Write;
use std::path::Path;

/// Everything a page loads from `/widget/` must stay at or under this many
/// brotli bytes (80 KB: the budget set for a Leptos widget; see BENCHMARKS.md).
pub const BUDGET_BROTLI_BYTES: u64 = 80 * 1024;

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
    pub fn total_brotli(&self) -> u64 {
        self.files.iter().map(|file| file.brotli).sum()
    }

    /// `Err` when the widget is over its budget, so the build fails.
    pub fn check_budget(&self) -> Result {
        let total = self.total_brotli();
        if total > BUDGET_BROTLI_BYTES {
            return Err(format!(
                "the widget is {total} bytes brotli, over its budget of {BUDGET_BROTLI_BYTES}"
            ));
        }
        Ok(())
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
        let total = self.total_brotli();
        let verdict = if total <= BUDGET_BROTLI_BYTES {
            "within"
        } else {
            "OVER"
        };
        out.push_str(&format!(
            "  total brotli: {total} bytes ({:.1} KB), {verdict} the {} KB budget\n\n",
            total as f64 / 1024.0,
            BUDGET_BROTLI_BYTES / 1024
        ));
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
