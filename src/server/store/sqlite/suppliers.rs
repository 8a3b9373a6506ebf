//! Suppliers and their records on SQLite.

use super::SqliteTx;
use crate::server::domain::{Sku, Supplier, SupplierId, SupplierReceipt, SupplierSettings};
use crate::server::store::suppliers::{self, record_length};
use crate::server::store::{StoreFailure, SupplierRows, columns};
use rusqlite::params;

impl SqliteTx<'_> {
    fn with_record(&self, mut supplier: Supplier) -> Result<Supplier, StoreFailure> {
        supplier.record = self.all(
            suppliers::RECORD,
            params![supplier.id.as_str(), record_length()],
            columns::days_late,
        )?;
        Ok(supplier)
    }
}

#[async_trait::async_trait]
impl SupplierRows for SqliteTx<'_> {
    async fn supplier(&mut self, id: &SupplierId) -> Result<Option<Supplier>, StoreFailure> {
        self.first(suppliers::SUPPLIER, [id.as_str()], columns::supplier)?
            .map(|supplier| self.with_record(supplier))
            .transpose()
    }

    async fn suppliers(&mut self) -> Result<Vec<Supplier>, StoreFailure> {
        self.all(suppliers::SUPPLIERS, [], columns::supplier)?
            .into_iter()
            .map(|supplier| self.with_record(supplier))
            .collect()
    }

    async fn supplier_of(&mut self, sku: &Sku) -> Result<Option<SupplierId>, StoreFailure> {
        Ok(self
            .first(
                suppliers::SUPPLIER_OF,
                [sku.as_str()],
                columns::product_supplier,
            )?
            .flatten())
    }

    /// Nothing to take: a SQLite write already excludes every other.
    async fn lock_supplier(&mut self, _id: &SupplierId) -> Result<(), StoreFailure> {
        Ok(())
    }

    async fn write_supplier(
        &mut self,
        id: &SupplierId,
        settings: &SupplierSettings,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(suppliers::WRITE)?
            .execute(params![id.as_str(), settings.name, settings.lead_time_days])?;
        Ok(())
    }

    async fn add_to_record(&mut self, receipt: &SupplierReceipt) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(suppliers::ADD_TO_RECORD)?
            .execute(params![
                receipt.supplier.as_str(),
                receipt.sku.as_str(),
                receipt.purchase_order.as_str(),
                receipt.eta.to_iso(),
                receipt.ordered_on.map(|date| date.to_iso()),
                receipt.received_on.to_iso(),
                receipt.days_late(),
            ])?;
        Ok(())
    }

    async fn products_of_supplier(&mut self, id: &SupplierId) -> Result<Vec<Sku>, StoreFailure> {
        self.all(suppliers::PRODUCTS_OF, [id.as_str()], columns::product_sku)
    }

    async fn bump_version(&mut self, sku: &Sku) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(suppliers::BUMP_VERSION)?
            .execute([sku.as_str()])?;
        Ok(())
    }
}
