//! Demand history and observed lead times on PostgreSQL.

use super::PgTx;
use crate::logic::Date;
use crate::server::domain::demand::DemandDay;
use crate::server::domain::{Sku, SupplierId};
use crate::server::store::demand::{self, BATCH, DayDemand};
use crate::server::store::suppliers::record_length;
use crate::server::store::{DemandRows, StoreFailure, columns};
use tokio_stream::StreamExt;

#[async_trait::async_trait]
impl DemandRows for PgTx {
    async fn add_demand(
        &mut self,
        sku: &Sku,
        day: Date,
        units: u32,
        backordered: u32,
    ) -> Result<(), StoreFailure> {
        sqlx::query(demand::ADD)
            .bind(sku.as_str())
            .bind(day.to_iso())
            .bind(i64::from(units))
            .bind(i64::from(backordered))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn replace_demand(&mut self, days: &[DemandDay]) -> Result<(), StoreFailure> {
        for batch in days.chunks(BATCH) {
            let sql = demand::replace_sql(batch.len());
            let mut query = sqlx::query(&sql);
            for day in batch {
                query = query
                    .bind(day.sku.as_str())
                    .bind(day.day.to_iso())
                    .bind(i64::from(day.units));
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn demand_of(
        &mut self,
        sku: &Sku,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayDemand>, StoreFailure> {
        let rows = sqlx::query(demand::OF_PRODUCT)
            .bind(sku.as_str())
            .bind(from.to_iso())
            .bind(to.to_iso())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::day_demand(row)).collect()
    }

    async fn demand_between(
        &mut self,
        from: Date,
        to: Date,
    ) -> Result<Vec<(Sku, Vec<DayDemand>)>, StoreFailure> {
        // Mapped as they come: a catalog's 90 days are a million rows.
        let mut rows = sqlx::query(demand::BETWEEN)
            .bind(from.to_iso())
            .bind(to.to_iso())
            .fetch(&mut *self.tx);
        let mut read = Vec::new();
        while let Some(row) = rows.next().await {
            read.push(columns::sku_day_demand(&row?)?);
        }
        demand::by_product(read)
            .into_iter()
            .map(|(sku, days)| Ok((columns::stored_sku(&sku)?, days)))
            .collect()
    }

    async fn unknown_products(&mut self, skus: &[Sku]) -> Result<Vec<Sku>, StoreFailure> {
        let mut known = Vec::new();
        for batch in demand::distinct(skus).chunks(BATCH) {
            let sql = demand::known_sql(batch.len());
            let mut query = sqlx::query(&sql);
            for sku in batch {
                query = query.bind(sku.as_str());
            }
            for row in query.fetch_all(&mut *self.tx).await? {
                known.push(columns::product_sku(&row)?);
            }
        }
        Ok(demand::unknown_among(skus, &known))
    }

    async fn observed_lead_times(
        &mut self,
        supplier: &SupplierId,
    ) -> Result<Vec<i32>, StoreFailure> {
        let rows = sqlx::query(demand::LEAD_TIMES)
            .bind(supplier.as_str())
            .bind(record_length())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::lead_time(row)).collect()
    }

    async fn all_observed_lead_times(
        &mut self,
    ) -> Result<Vec<(SupplierId, Vec<i32>)>, StoreFailure> {
        let rows = sqlx::query(demand::ALL_LEAD_TIMES)
            .bind(record_length())
            .fetch_all(&mut *self.tx)
            .await?;
        let read = rows
            .iter()
            .map(|row| columns::supplier_lead_time(row))
            .collect::<Result<Vec<_>, _>>()?;
        demand::grouped(read)
            .into_iter()
            .map(|(supplier, days)| Ok((columns::stored_supplier(&supplier)?, days)))
            .collect()
    }
}
