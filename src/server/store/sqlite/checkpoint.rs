//! Checkpoints beside the writer. SQLite's automatic checkpoint runs inside
//! the commit that takes the log past 1 000 pages: that commit copies the
//! pages into the database file and waits for its fsync, and during a rush
//! every group behind it waits too. Here a connection of its own copies
//! them (`PASSIVE`: it never blocks the writer or a reader) a moment after
//! writes; the writer's own automatic checkpoint stays as a backstop at a
//! larger log. A commit is durable in the log as before: a checkpoint only
//! moves committed pages.

use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How long after a write the log is copied, at most.
const CHECKPOINT_AFTER: Duration = Duration::from_millis(200);
/// The writer's automatic checkpoint, in pages: only if this one falls behind.
pub(super) const BACKSTOP_PAGES: u32 = 10_000;

/// Tells the checkpointer that the log grew; it stops with the last handle.
#[derive(Clone)]
pub(super) struct Checkpointer {
    written: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Starts a thread with a connection of its own to `path`.
    pub(super) fn start(path: &Path) -> anyhow::Result<Checkpointer> {
        let connection = Connection::open(path)?;
        connection.execute_batch("PRAGMA busy_timeout = 5000;")?;
        let written = Arc::new(AtomicBool::new(false));
        let watched = Arc::downgrade(&written);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_while_open(&connection, &watched))?;
        Ok(Checkpointer { written })
    }

    /// After a write transaction.
    pub(super) fn written(&self) {
        self.written.store(true, Ordering::Relaxed);
    }
}

fn checkpoint_while_open(connection: &Connection, watched: &Weak<AtomicBool>) {
    loop {
        std::thread::sleep(CHECKPOINT_AFTER);
        let Some(written) = watched.upgrade() else {
            return;
        };
        if !written.swap(false, Ordering::Relaxed) {
            continue;
        }
        // (busy, pages in the log, pages copied): nothing to act on; a
        // failure is retried after the next write.
        if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            row.get::<_, i64>(0)
        }) {
            tracing::warn!("checkpointing the database failed: {error}");
            written.store(true, Ordering::Relaxed);
        }
    }
}
