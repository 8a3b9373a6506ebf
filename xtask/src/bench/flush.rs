//! The machine's flush rate: how many small writes per second the
//! filesystem of the databases makes durable, one after the other. A durable
//! commit waits for at least one such flush, so a store that commits each
//! reservation on its own cannot reserve faster than this; reservations/s
//! divided by it is how many reservations one flush carries.

use super::percentile;
use crate::Result;
use serde_json::{Value, json};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::time::{Duration, Instant};

/// One write: PostgreSQL's WAL page size, about a reservation's commit.
const BLOCK: usize = 8 * 1024;
/// The file written into, preallocated: like a WAL segment (16 MiB).
const FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How the loop flushes, for the report.
pub(super) const METHOD: &str = "8 KiB written at successive offsets of a preallocated 16 MiB file, each followed by File::sync_data (fdatasync: the data and the cache flush, not the inode's times), one at a time";

/// Writes and flushes `BLOCK`s in `dir` for `seconds`: flushes per second,
/// and the p50 / p99 of one flush (write included).
///
/// `sync_data`, not `sync_all`: overwriting a preallocated file changes no
/// metadata a reader needs, which is what PostgreSQL's WAL does (its
/// `wal_sync_method` is `fdatasync` on Linux) and SQLite's WAL nearly (it
/// reuses its file after a checkpoint); `sync_all` would add an inode write.
pub(super) fn flush_rate(dir: &str, seconds: f64) -> Result<Value> {
    let path = format!("{dir}/flush-rate.bin");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot create {path}: {e}"))?;
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..FILE_BYTES / zeros.len() as u64 {
        file.write_all(&zeros).map_err(|e| e.to_string())?;
    }
    file.sync_all().map_err(|e| e.to_string())?;
    let block = vec![0x5au8; BLOCK];
    let mut latencies = Vec::new();
    let mut offset = 0u64;
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    while Instant::now() < until {
        let flush = Instant::now();
        file.write_all_at(&block, offset)
            .map_err(|e| e.to_string())?;
        file.sync_data().map_err(|e| e.to_string())?;
        latencies.push(flush.elapsed().as_secs_f64() * 1000.0);
        offset = (offset + BLOCK as u64) % FILE_BYTES;
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok(json!({
        "flushes": latencies.len(),
        "seconds": super::round3(elapsed),
        "flushes_per_sec": ((latencies.len() as f64 / elapsed) * 10.0).round() / 10.0,
        "p50_ms": (percentile(&latencies, 0.50) * 1000.0).round() / 1000.0,
        "p99_ms": (percentile(&latencies, 0.99) * 1000.0).round() / 1000.0,
    }))
}

/// Whether `dir` and the system's temporary folder (where the benchmark's
/// PostgreSQL cluster lives) are on one filesystem: then the flush rate
/// measured in `dir` is the one both stores wait for.
pub(super) fn same_filesystem_as_temp(dir: &str) -> bool {
    let device = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.dev()).ok();
    let here = device(std::path::Path::new(dir));
    here.is_some() && here == device(&std::env::temp_dir())
}
