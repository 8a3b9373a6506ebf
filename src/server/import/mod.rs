//! `stock-widget import FILE.csv` (stock, `stock.rs`) and
//! `stock-widget import-demand FILE.csv` (demand history, `demand.rs`): a
//! spreadsheet into the store, all or nothing.
//!
//! What both share is here: the whole file is read and checked first (its
//! header against the columns the import takes, then every line by the
//! API's rules, every bad line reported with its line number and field);
//! only a file without errors is written, in one long transaction, with a
//! progress bar on a terminal.

mod demand;
mod stock;

pub use demand::{DEMAND_COLUMNS, import_demand};
pub use stock::{COLUMNS, import};

use crate::server::domain::ValidationError;
use crate::server::domain::catalog::ItemError;
use crate::server::ops::{OperationError, Shop};
use crate::server::store::{Connections, Database};
use crate::server::{Clock, SystemClock};
use indicatif::{ProgressBar, ProgressStyle};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Why nothing was imported.
#[derive(Debug)]
pub enum ImportError {
    /// The file cannot be read as CSV (or at all).
    Unreadable(String),
    /// These lines are wrong; nothing was written.
    Invalid(Vec<ItemError>),
    /// The database failed; nothing was written.
    Store(anyhow::Error),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Unreadable(why) => write!(f, "cannot read the file: {why}"),
            ImportError::Invalid(errors) => {
                for error in errors {
                    writeln!(
                        f,
                        "line {}{}: {}: {}",
                        error.at,
                        error
                            .sku
                            .as_deref()
                            .map(|sku| format!(" ({sku})"))
                            .unwrap_or_default(),
                        error.field,
                        error.message
                    )?;
                }
                write!(
                    f,
                    "{} bad line{}: nothing was imported",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                )
            }
            ImportError::Store(error) => write!(f, "nothing was imported: {error:#}"),
        }
    }
}

impl From<OperationError> for ImportError {
    /// A refusal the import's own checks did not foresee: the store's.
    fn from(failure: OperationError) -> ImportError {
        match failure {
            OperationError::InvalidItems(items) => ImportError::Invalid(items),
            OperationError::Store(failure) => ImportError::Store(failure.into()),
            other => ImportError::Store(anyhow::anyhow!("{other:?}")),
        }
    }
}

/// How long the import's one transaction may take. A request's transaction
/// is cut at 10 s so a stuck database cannot hold requests; an import is a
/// batch job the merchant watches (with a progress bar) and may interrupt,
/// and tens of thousands of lines in one transaction can take longer.
pub const IMPORT_TRANSACTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// The connections an import uses: the defaults, with its longer transaction.
pub fn import_connections() -> Connections {
    Connections {
        transaction_timeout: IMPORT_TRANSACTION_TIMEOUT,
        ..Connections::default()
    }
}

/// The columns an import takes: in any order, the required ones present,
/// none twice, no other.
struct Layout {
    columns: &'static [&'static str],
    required: &'static [&'static str],
}

/// One line of a file: its number, and its cells by column name.
struct Line<'a> {
    number: u64,
    headers: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
}

impl Line<'_> {
    /// The cell of `column`; `None` when the file has no such column or the
    /// cell is empty.
    fn cell(&self, column: &str) -> Option<&str> {
        self.headers
            .iter()
            .position(|name| name == column)
            .and_then(|index| self.record.get(index))
            .filter(|value| !value.is_empty())
    }
}

/// The clock an import runs by (the server's: the machine's, in UTC).
fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Every line of `file`, read by `read` once the header passed `layout`
/// (with a progress bar over the file while it is read).
fn read_lines<T>(
    file: &Path,
    layout: &Layout,
    mut read: impl FnMut(&Line) -> T,
) -> Result<Vec<T>, ImportError> {
    let size = std::fs::metadata(file)
        .map_err(|error| ImportError::Unreadable(format!("{}: {error}", file.display())))?
        .len();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|error| ImportError::Unreadable(error.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|error| ImportError::Unreadable(error.to_string()))?
        .clone();
    check_header(&headers, layout)?;
    let bar = progress_bar(size, "checking");
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| ImportError::Unreadable(error.to_string()))?;
        let position = record.position();
        bar.set_position(position.map_or(0, |position| position.byte()));
        lines.push(read(&Line {
            number: position.map_or(0, |position| position.line()),
            headers: &headers,
            record: &record,
        }));
    }
    bar.finish_and_clear();
    Ok(lines)
}

fn check_header(headers: &csv::StringRecord, layout: &Layout) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    let mut refuse = |field: &str, message: String| {
        errors.push(ItemError {
            at: 1,
            sku: None,
            field: field.to_owned(),
            message,
        })
    };
    for (index, name) in headers.iter().enumerate() {
        if !layout.columns.contains(&name) {
            refuse(
                name,
                format!(
                    "Unknown column; the columns are {}.",
                    layout.columns.join(",")
                ),
            );
        } else if headers.iter().take(index).any(|earlier| earlier == name) {
            refuse(name, "This column appears twice.".into());
        }
    }
    for required in layout.required {
        if !headers.iter().any(|name| name == *required) {
            refuse(required, "This column is required.".into());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Invalid(errors))
    }
}

/// A cell holding a whole number of `column`.
fn whole_number(column: &str, text: &str) -> Result<u32, ValidationError> {
    text.parse().map_err(|_| {
        ValidationError::new(
            column,
            format!("{text:?} is not a whole number from 0 to {}.", u32::MAX),
        )
    })
}

/// Connects to `database` and runs `write` (one transaction) with a
/// progress bar over `total` items that it counts in its counter. The
/// write goes in the audit log as the command line's (`cli`, `local`).
async fn write_with_progress<T, F, Fut>(
    database: &Database,
    connections: Connections,
    total: usize,
    write: F,
) -> Result<T, ImportError>
where
    F: FnOnce(Shop, Arc<AtomicUsize>) -> Fut,
    Fut: Future<Output = Result<T, ImportError>>,
{
    let shop = Shop::connect(database, connections, clock())
        .await
        .map_err(ImportError::Store)?
        .acting_for(crate::server::domain::Actor::cli());
    let written = Arc::new(AtomicUsize::new(0));
    let bar = progress_bar(total as u64, "writing");
    let ticker = {
        let (bar, written) = (bar.clone(), Arc::clone(&written));
        tokio::spawn(async move {
            loop {
                bar.set_position(written.load(Ordering::Relaxed) as u64);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let outcome = write(shop, written).await;
    ticker.abort();
    bar.finish_and_clear();
    outcome
}

fn progress_bar(length: u64, what: &'static str) -> ProgressBar {
    // Drawn on a terminal only (stderr); hidden in pipes and logs.
    let bar = ProgressBar::new(length);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:8} [{bar:40}] {pos}/{len} ({percent}%, {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what);
    bar
}
