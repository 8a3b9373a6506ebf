//! Suppliers and their records on PostgreSQL.

use super::PgTx;
use crate::server::domain::{Sku, Supplier, SupplierId, SupplierReceipt, SupplierSettings};
use crate::server::store::suppliers::{self, record_length};
use crate::server::store::{StoreFailure, SupplierRows, columns};
use sqlx::postgres::PgConnection;

async fn with_record(
    connection: &mut PgConnection,
    mut supplier: Supplier,
) -> Result<Supplier, StoreFailure> {
    let rows = sqlx::query(suppliers::RECORD)
        .bind(supplier.id.as_str())
        .bind(record_length())
        .fetch_all(&mut *connection)
        .await?;
    supplier.record = rows
        .iter()
        .map(|row| columns::days_late(row))
        .collect::<Result<_, _>>()?;
    Ok(supplier)
}

/// The supplier with its record (also for a product's read, `rows.rs`).
pub(super) async fn load_supplier(
    connection: &mut PgConnection,
    id: &SupplierId,
) -> Result<Option<Supplier>, StoreFailure> {
    let Some(row) = sqlx::query(suppliers::SUPPLIER)
        .bind(id.as_str())
        .fetch_optional(&mut *connection)
        .await?
    else {
        return Ok(None);
    };
    let supplier = columns::supplier(&row)?;
    Ok(Some(with_record(connection, supplier).await?))
}

#[async_trait::async_trait]
impl SupplierRows for PgTx {
    async fn supplier(&mut self, id: &SupplierId) -> Result<Option<Supplier>, StoreFailure> {
        load_supplier(&mut self.tx, id).await
    }

    async fn suppliers(&mut self) -> Result<Vec<Supplier>, StoreFailure> {
        let rows = sqlx::query(suppliers::SUPPLIERS)
            .fetch_all(&mut *self.tx)
            .await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let supplier = columns::supplier(row)?;
            found.push(with_record(&mut self.tx, supplier).await?);
        }
        Ok(found)
    }

    async fn supplier_of(&mut self, sku: &Sku) -> Result<Option<SupplierId>, StoreFailure> {
        let row = sqlx::query(suppliers::SUPPLIER_OF)
            .bind(sku.as_str())
            .fetch_optional(&mut *self.tx)
            .await?;
        match row {
            Some(row) => columns::product_supplier(&row),
            None => Ok(None),
        }
    }

    async fn lock_supplier(&mut self, id: &SupplierId) -> Result<(), StoreFailure> {
        sqlx::query(suppliers::LOCK)
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn write_supplier(
        &mut self,
        id: &SupplierId,
        settings: &SupplierSettings,
    ) -> Result<(), StoreFailure> {
        sqlx::query(suppliers::WRITE)
            .bind(id.as_str())
            .bind(&settings.name)
            .bind(i64::from(settings.lead_time_days))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn add_to_record(&mut self, receipt: &SupplierReceipt) -> Result<(), StoreFailure> {
        sqlx::query(suppliers::ADD_TO_RECORD)
            .bind(receipt.supplier.as_str())
            .bind(receipt.sku.as_str())
            .bind(receipt.purchase_order.as_str())
            .bind(receipt.eta.to_iso())
            .bind(receipt.ordered_on.map(|date| date.to_iso()))
            .bind(receipt.received_on.to_iso())
            .bind(i64::from(receipt.days_late()))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn products_of_supplier(&mut self, id: &SupplierId) -> Result<Vec<Sku>, StoreFailure> {
        let rows = sqlx::query(suppliers::PRODUCTS_OF)
            .bind(id.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::product_sku(row)).collect()
    }

    async fn bump_version(&mut self, sku: &Sku) -> Result<(), StoreFailure> {
        sqlx::query(suppliers::BUMP_VERSION)
            .bind(sku.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
