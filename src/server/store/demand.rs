//! Demand rows: per product and day, the units asked for (sold, reserved)
//! and how many of them went on backorder; and the lead times suppliers'
//! records show (from ordering to the first receipt).

use super::StoreFailure;
use crate::logic::Date;
use crate::server::domain::demand::DemandDay;
use crate::server::domain::{Sku, SupplierId};

/// A day of a product's demand: the day, the units asked for, and how many
/// of them went on backorder.
pub type DayDemand = (Date, u32, u32);

#[async_trait::async_trait]
pub trait DemandRows {
    /// Adds to a product's day (a sale, a reservation placed): created at
    /// 0 when the day has no row yet.
    async fn add_demand(
        &mut self,
        sku: &Sku,
        day: Date,
        units: u32,
        backordered: u32,
    ) -> Result<(), StoreFailure>;
    /// Sets the units of these days (the merchant's history; each product's
    /// day at most once); a day's `backordered` stays as it was (0 for a new
    /// one). Every SKU must name a product.
    async fn replace_demand(&mut self, days: &[DemandDay]) -> Result<(), StoreFailure>;
    /// One product's days in `[from, to)` that have a row, by day.
    async fn demand_of(
        &mut self,
        sku: &Sku,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayDemand>, StoreFailure>;
    /// Every product's days in `[from, to)` that have a row, in one query:
    /// by SKU (in byte order, on both stores), each product's by day; a
    /// product without a day there is absent.
    async fn demand_between(
        &mut self,
        from: Date,
        to: Date,
    ) -> Result<Vec<(Sku, Vec<DayDemand>)>, StoreFailure>;
    /// The SKUs among `skus` that no product has, in the order given.
    async fn unknown_products(&mut self, skus: &[Sku]) -> Result<Vec<Sku>, StoreFailure>;
    /// The supplier's observed lead times: for its last
    /// [`crate::logic::RECORD_LENGTH`] received purchase orders that have an
    /// order date, the days from `ordered_on` to the first receipt, oldest
    /// first (negative if the order date was after it).
    async fn observed_lead_times(
        &mut self,
        supplier: &SupplierId,
    ) -> Result<Vec<i32>, StoreFailure>;
    /// The same for every supplier that has one, in one query, by id (in
    /// byte order).
    async fn all_observed_lead_times(
        &mut self,
    ) -> Result<Vec<(SupplierId, Vec<i32>)>, StoreFailure>;
}

pub(super) const ADD: &str = "INSERT INTO demand (sku, day, units, backordered)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (sku, day) DO UPDATE SET units = demand.units + excluded.units,
         backordered = demand.backordered + excluded.backordered";
pub(super) const OF_PRODUCT: &str = "SELECT day, units, backordered FROM demand
     WHERE sku = $1 AND day >= $2 AND day < $3 ORDER BY day";
/// A range of `demand_by_day`, read from the index alone. In no order on
/// purpose: a catalog's 90 days are a million rows, which PostgreSQL would
/// sort on disk (seconds); [`by_product`] groups them in memory instead.
pub(super) const BETWEEN: &str = "SELECT sku, day, units, backordered FROM demand
     WHERE day >= $1 AND day < $2";
/// The last `$2` received purchase orders with an order date, oldest first
/// (as `suppliers::RECORD`).
pub(super) const LEAD_TIMES: &str = "SELECT ordered_on, received_on FROM (
         SELECT ordered_on, received_on, seq FROM supplier_receipts
         WHERE supplier = $1 AND ordered_on IS NOT NULL
         ORDER BY received_on DESC, seq DESC LIMIT $2
     ) AS recent ORDER BY received_on, seq";
/// The same for every supplier, numbered newest first within each.
pub(super) const ALL_LEAD_TIMES: &str = "SELECT supplier, ordered_on, received_on FROM (
         SELECT supplier, ordered_on, received_on, seq, ROW_NUMBER() OVER (
             PARTITION BY supplier ORDER BY received_on DESC, seq DESC) AS newest
         FROM supplier_receipts WHERE ordered_on IS NOT NULL
     ) AS recent WHERE newest <= $1 ORDER BY supplier, received_on, seq";

/// Rows per statement of a batch: 3 000 parameters, well inside both
/// databases' limits (SQLite 32 766, PostgreSQL 65 535).
pub(super) const BATCH: usize = 1000;

/// `VALUES ($1, $2, $3), ($4, $5, $6), …`: `rows` rows of `columns`.
fn values(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// Sets `rows` days' units (`sku`, `day`, `units` each).
pub(super) fn replace_sql(rows: usize) -> String {
    format!(
        "INSERT INTO demand (sku, day, units) VALUES {}
         ON CONFLICT (sku, day) DO UPDATE SET units = excluded.units",
        values(rows, 3)
    )
}

/// Which of `count` SKUs a product has.
pub(super) fn known_sql(count: usize) -> String {
    let list: Vec<String> = (1..=count).map(|index| format!("${index}")).collect();
    format!(
        "SELECT sku FROM products WHERE sku IN ({})",
        list.join(", ")
    )
}

/// Each SKU once, for [`known_sql`].
pub(super) fn distinct(skus: &[Sku]) -> Vec<&Sku> {
    let mut seen = std::collections::HashSet::new();
    skus.iter().filter(|sku| seen.insert(*sku)).collect()
}

/// The SKUs among `skus` not in `known`, in order.
pub(super) fn unknown_among(skus: &[Sku], known: &[Sku]) -> Vec<Sku> {
    let known: std::collections::HashSet<&Sku> = known.iter().collect();
    let mut unknown: Vec<Sku> = Vec::new();
    for sku in skus {
        if !known.contains(sku) && !unknown.contains(sku) {
            unknown.push(sku.clone());
        }
    }
    unknown
}

/// Rows into groups by key, the groups in byte order of the key (the same
/// on both stores, whatever a database's collation), each keeping the
/// order of its rows.
pub(super) fn grouped<V>(rows: impl IntoIterator<Item = (String, V)>) -> Vec<(String, Vec<V>)> {
    let mut groups: std::collections::HashMap<String, Vec<V>> = std::collections::HashMap::new();
    for (key, value) in rows {
        groups.entry(key).or_default().push(value);
    }
    let mut groups: Vec<(String, Vec<V>)> = groups.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    groups
}

/// [`BETWEEN`]'s rows as products by SKU, each product's days by day.
pub(super) fn by_product(
    rows: impl IntoIterator<Item = (String, DayDemand)>,
) -> Vec<(String, Vec<DayDemand>)> {
    let mut products = grouped(rows);
    for (_, days) in &mut products {
        days.sort_unstable_by_key(|(day, _, _)| *day);
    }
    products
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_number_their_parameters_in_order() {
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert!(replace_sql(1).contains("VALUES ($1, $2, $3)"));
        assert!(known_sql(2).ends_with("IN ($1, $2)"));
    }

    #[test]
    fn rows_of_a_key_are_one_group_in_byte_order() {
        let rows = [("b", 1), ("A", 2), ("b", 3), ("A", 4)];
        let groups = grouped(rows.map(|(key, value)| (key.to_owned(), value)));
        let expected = [("A".to_owned(), vec![2, 4]), ("b".to_owned(), vec![1, 3])];
        assert_eq!(groups, expected);
        let day = |text| Date::parse_iso(text).unwrap();
        let products = by_product([
            ("B".to_owned(), (day("2026-03-02"), 1, 0)),
            ("B".to_owned(), (day("2026-03-01"), 2, 0)),
        ]);
        assert_eq!(
            products,
            [(
                "B".to_owned(),
                vec![(day("2026-03-01"), 2, 0), (day("2026-03-02"), 1, 0)]
            )]
        );
        let sku = |text| Sku::parse(text).unwrap();
        assert_eq!(
            unknown_among(&[sku("A"), sku("B"), sku("B")], &[sku("A")]),
            [sku("B")]
        );
    }
}
