//! `stock-widget import FILE.csv`: a catalog's stock from a spreadsheet.
//!
//! The whole file is read and checked first (the bulk API's rules, every
//! bad line reported with its line number and field); only a file without
//! errors is written, in one transaction. Purchase orders go in an optional
//! `incoming` column: `quantity@YYYY-MM-DD` or `id:quantity@YYYY-MM-DD`,
//! several separated by `;`; the optional `supplier` column names a supplier.

use crate::server::domain::catalog::{self, Item, ItemError};
use crate::server::domain::{ProductSettings, Sku, ValidationError};
use crate::server::input::from_json_value;
use crate::server::ops::{BulkOutcome, OperationError, Shop};
use crate::server::store::{Connections, Database};
use crate::server::{Clock, SystemClock};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The columns a file may have; the first three are required.
pub const COLUMNS: &[&str] = &[
    "sku",
    "name",
    "stock",
    "safety_stock",
    "low_stock_threshold",
    "backorders",
    "backorder_limit",
    "lead_time_days",
    "max_per_customer",
    "incoming",
    "supplier",
];
const REQUIRED: &[&str] = &["sku", "name", "stock"];
/// Columns holding a whole number.
const COUNTS: &[&str] = &[
    "stock",
    "safety_stock",
    "low_stock_threshold",
    "backorder_limit",
    "lead_time_days",
    "max_per_customer",
];

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

/// Reads and checks `file`, then writes it to `database` in one transaction.
pub async fn import(
    file: &Path,
    database: &Database,
    connections: Connections,
) -> Result<BulkOutcome, ImportError> {
    let (products, at) = read(file)?;
    let total = products.len();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let shop = Shop::connect(database, connections, clock)
        .await
        .map_err(ImportError::Store)?;
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
    let outcome = shop.put_products(products.clone(), written).await;
    ticker.abort();
    bar.finish_and_clear();
    outcome.map_err(|failure| match failure {
        OperationError::UnknownSupplier { skus } => {
            ImportError::Invalid(catalog::unknown_supplier(&products, &at, &skus))
        }
        OperationError::Store(failure) => ImportError::Store(failure.into()),
        other => ImportError::Store(anyhow::anyhow!("{other:?}")),
    })
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

/// The products of a file, checked, and the line of each.
type Lines = (Vec<(Sku, ProductSettings)>, Vec<u64>);

/// Every line, checked, with its line number; all valid, or every error.
fn read(file: &Path) -> Result<Lines, ImportError> {
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
    check_header(&headers)?;
    let bar = progress_bar(size, "checking");
    let mut items = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| ImportError::Unreadable(error.to_string()))?;
        let line = record.position().map_or(0, |position| position.line());
        bar.set_position(record.position().map_or(0, |position| position.byte()));
        let cell = |column: &str| {
            headers
                .iter()
                .position(|name| name == column)
                .and_then(|index| record.get(index))
                .filter(|value| !value.is_empty())
        };
        let sku = cell("sku")
            .map(str::to_owned)
            .ok_or_else(|| ValidationError::new("sku", "The SKU is required."));
        items.push(Item {
            at: line,
            sku,
            read: settings_json(&cell).and_then(from_json_value),
        });
    }
    bar.finish_and_clear();
    let at = items.iter().map(|item| item.at).collect();
    let products = catalog::check(items).map_err(ImportError::Invalid)?;
    Ok((products, at))
}

fn check_header(headers: &csv::StringRecord) -> Result<(), ImportError> {
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
        if !COLUMNS.contains(&name) {
            refuse(
                name,
                format!("Unknown column; the columns are {}.", COLUMNS.join(",")),
            );
        } else if headers.iter().take(index).any(|earlier| earlier == name) {
            refuse(name, "This column appears twice.".into());
        }
    }
    for required in REQUIRED {
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

/// A line's settings as the bulk API's JSON, so both are read by the same
/// rules; empty cells take the defaults.
fn settings_json<'a>(cell: &impl Fn(&str) -> Option<&'a str>) -> Result<Value, ValidationError> {
    let mut settings = Map::new();
    for column in COLUMNS.iter().skip(1) {
        let Some(text) = cell(column) else { continue };
        let value = if COUNTS.contains(column) {
            let count: u32 = text.parse().map_err(|_| {
                ValidationError::new(
                    column,
                    format!("{text:?} is not a whole number from 0 to 4294967295."),
                )
            })?;
            json!(count)
        } else if *column == "incoming" {
            incoming_json(text)?
        } else {
            json!(text)
        };
        settings.insert((*column).to_owned(), value);
    }
    Ok(Value::Object(settings))
}

/// `12@2026-12-01;PO-7:5@2027-01-15` → purchase orders (the number, and
/// `:`, optional).
fn incoming_json(text: &str) -> Result<Value, ValidationError> {
    let mut orders = Vec::new();
    for order in text
        .split(';')
        .map(str::trim)
        .filter(|order| !order.is_empty())
    {
        let bad = || {
            ValidationError::new(
                "incoming",
                format!(
                    "{order:?}: write each purchase order as quantity@YYYY-MM-DD or id:quantity@YYYY-MM-DD, separated by ';'."
                ),
            )
        };
        let (quantity, eta) = order.split_once('@').ok_or_else(bad)?;
        let (id, quantity) = match quantity.split_once(':') {
            Some((id, quantity)) => (Some(id.trim()), quantity),
            None => (None, quantity),
        };
        let quantity: u32 = quantity.trim().parse().map_err(|_| bad())?;
        let mut order = json!({ "quantity": quantity, "eta": eta.trim() });
        if let Some(id) = id {
            order["id"] = json!(id);
        }
        orders.push(order);
    }
    Ok(Value::Array(orders))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_orders_are_read_from_one_cell() {
        assert_eq!(
            incoming_json("12@2026-12-01; 5@2027-01-15;").unwrap(),
            json!([{"quantity": 12, "eta": "2026-12-01"}, {"quantity": 5, "eta": "2027-01-15"}])
        );
        assert_eq!(incoming_json("").unwrap(), json!([]));
        assert_eq!(
            incoming_json("PO-7:12@2026-12-01;3@2027-01-15").unwrap(),
            json!([{"id": "PO-7", "quantity": 12, "eta": "2026-12-01"}, {"quantity": 3, "eta": "2027-01-15"}])
        );
        let error = incoming_json("12 on 2026-12-01").unwrap_err();
        assert_eq!(error.field, "incoming");
    }
}
