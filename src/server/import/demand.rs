//! `stock-widget import-demand FILE.csv`: the demand history from before,
//! from a spreadsheet, each line read by `PUT /api/v1/admin/demand`'s rules:
//! the columns `date,sku,units` (all three, in any order); a day named
//! replaces the units recorded for it; stock is never touched.

use super::{ImportError, Layout, Line, clock, read_lines, whole_number, write_with_progress};
use crate::server::domain::ValidationError;
use crate::server::domain::demand::{self, DemandItem};
use crate::server::input::from_json_value;
use crate::server::store::{Connections, Database};
use serde_json::{Map, Value, json};
use std::path::Path;

/// The columns of a demand file, all required.
pub const DEMAND_COLUMNS: &[&str] = &["date", "sku", "units"];
const LAYOUT: Layout = Layout {
    columns: DEMAND_COLUMNS,
    required: DEMAND_COLUMNS,
};

/// Reads and checks `file` (dates up to today, by the machine's clock in
/// UTC, as the server's), then writes it to `database` in one transaction;
/// returns the days set.
pub async fn import_demand(
    file: &Path,
    database: &Database,
    connections: Connections,
) -> Result<usize, ImportError> {
    let today = clock().today();
    let items = read_lines(file, &LAYOUT, |line| DemandItem {
        at: line.number,
        sku: line.cell("sku").map(str::to_owned),
        read: row_json(line).and_then(from_json_value),
    })?;
    let batch = demand::check(items, today);
    let total = batch.days.len();
    // A file with errors is refused there too, with every row besides that
    // names no product.
    write_with_progress(database, connections, total, |shop, written| async move {
        Ok(shop.put_demand(batch, written).await?)
    })
    .await
}

/// A line as the API's JSON row, so both are read by the same rules.
fn row_json(line: &Line) -> Result<Value, ValidationError> {
    let mut row = Map::new();
    for column in DEMAND_COLUMNS {
        let Some(text) = line.cell(column) else {
            continue;
        };
        let value = if *column == "units" {
            json!(whole_number(column, text)?)
        } else {
            json!(text)
        };
        row.insert((*column).to_owned(), value);
    }
    Ok(Value::Object(row))
}
