//! Demand history: how many units of a product were asked for on a day.
//! The merchant's history from before (`PUT /api/v1/admin/demand`,
//! `stock-widget import-demand FILE.csv`) is checked here, row by row, with
//! one set of rules: every bad row is reported (where, which field, why),
//! a product's day appears once, and nothing is written unless every row
//! passes.

use super::catalog::ItemError;
use super::{Sku, ValidationError};
use crate::api::whole_number;
use crate::logic::Date;
use serde::Deserialize;
use std::collections::HashMap;

/// Most rows in one `PUT /api/v1/admin/demand`.
pub const MAX_DEMAND_ROWS: usize = 10_000;

/// One product's demand on one day, as the merchant states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandDay {
    pub sku: Sku,
    pub day: Date,
    pub units: u32,
}

/// One row of `PUT /api/v1/admin/demand` (and one line of the CSV).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandRowBody {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: String,
    /// `YYYY-MM-DD`, today at the latest (the shop's day, UTC).
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// Units asked for that day: sold, and reserved.
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(minimum = 0)]
    pub units: u32,
}

/// One row as read: where it is (its index, or its line), its SKU as sent
/// when that is text (to name it in errors), and the row or why it cannot
/// be read.
pub struct DemandItem {
    pub at: u64,
    pub sku: Option<String>,
    pub read: Result<DemandRowBody, ValidationError>,
}

/// A batch of rows, checked: the good ones (with where each was) and every
/// error. Whether each SKU names a product is the store's to say: the
/// operation that writes them asks (see [`DemandBatch::unknown_products`]).
#[derive(Clone, Debug, Default)]
pub struct DemandBatch {
    pub days: Vec<DemandDay>,
    /// Where each of `days` was, in the same order.
    pub at: Vec<u64>,
    pub errors: Vec<ItemError>,
}

/// Checks every row against the rules of a history: a SKU, a date no later
/// than `today`, a whole number of units, each product's day once.
pub fn check(items: Vec<DemandItem>, today: Date) -> DemandBatch {
    let mut batch = DemandBatch::default();
    let mut first_seen: HashMap<(Sku, Date), u64> = HashMap::new();
    for item in items {
        let refuse = |error: ValidationError| ItemError {
            at: item.at,
            sku: item.sku.clone(),
            field: error.field,
            message: error.message,
        };
        let checked = item.read.and_then(|row| {
            let sku = Sku::parse(&row.sku)?;
            if row.date > today {
                return Err(ValidationError::new(
                    "date",
                    format!(
                        "{} is after today ({}): history is of days that were.",
                        row.date.to_iso(),
                        today.to_iso()
                    ),
                ));
            }
            Ok(DemandDay {
                sku,
                day: row.date,
                units: row.units,
            })
        });
        let day = match checked {
            Ok(day) => day,
            Err(error) => {
                batch.errors.push(refuse(error));
                continue;
            }
        };
        let key = (day.sku.clone(), day.day);
        if let Some(first) = first_seen.get(&key) {
            batch.errors.push(refuse(ValidationError::new(
                "date",
                format!(
                    "This SKU's {} appears twice (first at {first}).",
                    day.day.to_iso()
                ),
            )));
            continue;
        }
        first_seen.insert(key, item.at);
        batch.at.push(item.at);
        batch.days.push(day);
    }
    batch
}

impl DemandBatch {
    /// The rows whose SKU is among `skus` (no product has them), as errors.
    pub fn unknown_products(&self, skus: &[Sku]) -> Vec<ItemError> {
        self.days
            .iter()
            .zip(&self.at)
            .filter(|(day, _)| skus.contains(&day.sku))
            .map(|(day, at)| ItemError {
                at: *at,
                sku: Some(day.sku.to_string()),
                field: "sku".into(),
                message: format!("No product has the SKU {:?}.", day.sku.as_str()),
            })
            .collect()
    }

    /// Its errors and `more`, in the order of the rows.
    pub fn with_errors(&self, more: Vec<ItemError>) -> Vec<ItemError> {
        let mut errors = self.errors.clone();
        errors.extend(more);
        errors.sort_by_key(|error| error.at);
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    fn item(at: u64, sku: &str, day: &str, units: u32) -> DemandItem {
        DemandItem {
            at,
            sku: Some(sku.into()),
            read: Ok(DemandRowBody {
                sku: sku.into(),
                date: date(day),
                units,
            }),
        }
    }

    #[test]
    fn every_bad_row_is_named_and_the_good_ones_kept_in_order() {
        let today = date("2026-03-02");
        let batch = check(
            vec![
                item(0, "MUG", "2026-03-01", 4),
                item(1, "MUG", "2026-03-03", 1),
                item(2, "bad sku", "2026-03-01", 1),
                item(3, "MUG", "2026-03-02", 0),
                item(4, "MUG", "2026-03-01", 9),
                DemandItem {
                    at: 5,
                    sku: None,
                    read: Err(ValidationError::new("units", "not a number")),
                },
                item(6, "CUP", "2026-03-01", 2),
            ],
            today,
        );
        let named: Vec<(u64, &str)> = batch
            .errors
            .iter()
            .map(|error| (error.at, error.field.as_str()))
            .collect();
        assert_eq!(named, [(1, "date"), (2, "sku"), (4, "date"), (5, "units")]);
        assert!(batch.errors[2].message.contains("first at 0"));
        assert_eq!(batch.at, [0, 3, 6]);
        assert_eq!(batch.days[1].units, 0, "a day without demand is a day");
        let unknown = batch.unknown_products(&[Sku::parse("CUP").unwrap()]);
        assert_eq!((unknown[0].at, unknown[0].field.as_str()), (6, "sku"));
        let all = batch.with_errors(unknown);
        assert_eq!(
            all.iter().map(|error| error.at).collect::<Vec<_>>(),
            [1, 2, 4, 5, 6]
        );
    }
}
