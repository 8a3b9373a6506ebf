//! Demand history and observed lead times on SQLite.

use super::SqliteTx;
use crate::logic::Date;
use crate::server::domain::demand::DemandDay;
use crate::server::domain::{Sku, SupplierId};
use crate::server::store::demand::{self, BATCH, DayDemand};
use crate::server::store::suppliers::record_length;
use crate::server::store::{DemandRows, StoreFailure, columns};
use rusqlite::params;
use rusqlite::types::Value;

#[async_trait::async_trait]
impl DemandRows for SqliteTx<'_> {
    async fn add_demand(
        &mut self,
        sku: &Sku,
        day: Date,
        units: u32,
        backordered: u32,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(demand::ADD)?
            .execute(params![sku.as_str(), day.to_iso(), units, backordered])?;
        Ok(())
    }

    async fn replace_demand(&mut self, days: &[DemandDay]) -> Result<(), StoreFailure> {
        for batch in days.chunks(BATCH) {
            let values = batch.iter().flat_map(|day| {
                [
                    Value::Text(day.sku.to_string()),
                    Value::Text(day.day.to_iso()),
                    Value::Integer(i64::from(day.units)),
                ]
            });
            self.connection
                .prepare_cached(&demand::replace_sql(batch.len()))?
                .execute(rusqlite::params_from_iter(values))?;
        }
        Ok(())
    }

    async fn demand_of(
        &mut self,
        sku: &Sku,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayDemand>, StoreFailure> {
        self.all(
            demand::OF_PRODUCT,
            params![sku.as_str(), from.to_iso(), to.to_iso()],
            columns::day_demand,
        )
    }

    async fn demand_between(
        &mut self,
        from: Date,
        to: Date,
    ) -> Result<Vec<(Sku, Vec<DayDemand>)>, StoreFailure> {
        let rows = self.all(
            demand::BETWEEN,
            params![from.to_iso(), to.to_iso()],
            columns::sku_day_demand,
        )?;
        demand::by_product(rows)
            .into_iter()
            .map(|(sku, days)| Ok((columns::stored_sku(&sku)?, days)))
            .collect()
    }

    async fn unknown_products(&mut self, skus: &[Sku]) -> Result<Vec<Sku>, StoreFailure> {
        let mut known = Vec::new();
        for batch in demand::distinct(skus).chunks(BATCH) {
            known.extend(self.all(
                &demand::known_sql(batch.len()),
                rusqlite::params_from_iter(batch.iter().map(|sku| sku.as_str())),
                columns::product_sku,
            )?);
        }
        Ok(demand::unknown_among(skus, &known))
    }

    async fn observed_lead_times(
        &mut self,
        supplier: &SupplierId,
    ) -> Result<Vec<i32>, StoreFailure> {
        self.all(
            demand::LEAD_TIMES,
            params![supplier.as_str(), record_length()],
            columns::lead_time,
        )
    }

    async fn all_observed_lead_times(
        &mut self,
    ) -> Result<Vec<(SupplierId, Vec<i32>)>, StoreFailure> {
        let rows = self.all(
            demand::ALL_LEAD_TIMES,
            [record_length()],
            columns::supplier_lead_time,
        )?;
        demand::grouped(rows)
            .into_iter()
            .map(|(supplier, days)| Ok((columns::stored_supplier(&supplier)?, days)))
            .collect()
    }
}
