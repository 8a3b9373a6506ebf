//! `stock-widget import FILE.csv`: a catalog's stock from a spreadsheet,
//! each line read by the bulk API's rules. Purchase orders go in an optional
//! `incoming` column: `quantity@YYYY-MM-DD` or `id:quantity@YYYY-MM-DD`,
//! several separated by `;`; the optional `supplier` column names a
//! supplier, `service_level` is a number from 0.5 to 0.999.

use super::{ImportError, Layout, Line, read_lines, whole_number, write_with_progress};
use crate::server::domain::catalog::{self, Item};
use crate::server::domain::{ProductSettings, Sku, ValidationError};
use crate::server::input::from_json_value;
use crate::server::ops::{BulkOutcome, OperationError};
use crate::server::store::{Connections, Database};
use serde_json::{Map, Value, json};
use std::path::Path;

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
    "service_level",
];
const LAYOUT: Layout = Layout {
    columns: COLUMNS,
    required: &["sku", "name", "stock"],
};
/// Columns holding a whole number.
const COUNTS: &[&str] = &[
    "stock",
    "safety_stock",
    "low_stock_threshold",
    "backorder_limit",
    "lead_time_days",
    "max_per_customer",
];

/// Reads and checks `file`, then writes it to `database` in one transaction.
pub async fn import(
    file: &Path,
    database: &Database,
    connections: Connections,
) -> Result<BulkOutcome, ImportError> {
    let (products, at) = read(file)?;
    let total = products.len();
    write_with_progress(database, connections, total, |shop, written| async move {
        shop.put_products(products.clone(), written)
            .await
            .map_err(|failure| match failure {
                OperationError::UnknownSupplier { skus } => {
                    ImportError::Invalid(catalog::unknown_supplier(&products, &at, &skus))
                }
                other => other.into(),
            })
    })
    .await
}

/// The products of a file, checked, and the line of each.
type Lines = (Vec<(Sku, ProductSettings)>, Vec<u64>);

/// Every line, checked, with its line number; all valid, or every error.
fn read(file: &Path) -> Result<Lines, ImportError> {
    let items = read_lines(file, &LAYOUT, |line| {
        let sku = line
            .cell("sku")
            .map(str::to_owned)
            .ok_or_else(|| ValidationError::new("sku", "The SKU is required."));
        Item {
            at: line.number,
            sku,
            read: settings_json(line).and_then(from_json_value),
        }
    })?;
    let at = items.iter().map(|item| item.at).collect();
    let products = catalog::check(items).map_err(ImportError::Invalid)?;
    Ok((products, at))
}

/// A line's settings as the bulk API's JSON, so both are read by the same
/// rules; empty cells take the defaults.
fn settings_json(line: &Line) -> Result<Value, ValidationError> {
    let mut settings = Map::new();
    for column in COLUMNS.iter().skip(1) {
        let Some(text) = line.cell(column) else {
            continue;
        };
        let value = if COUNTS.contains(column) {
            json!(whole_number(column, text)?)
        } else if *column == "service_level" {
            let level = text
                .parse::<f64>()
                .ok()
                .filter(|level| level.is_finite())
                .ok_or_else(|| {
                    ValidationError::new(
                        column,
                        format!("{text:?} is not a number (a service level is 0.5 to 0.999)."),
                    )
                })?;
            json!(level)
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
