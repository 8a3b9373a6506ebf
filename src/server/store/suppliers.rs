//! Supplier rows: settings, and each supplier's record of received
//! purchase orders.

use super::StoreFailure;
use crate::server::domain::{Sku, Supplier, SupplierId, SupplierReceipt, SupplierSettings};

#[async_trait::async_trait]
pub trait SupplierRows {
    /// The supplier with its record (its last [`crate::logic::RECORD_LENGTH`]
    /// received purchase orders, oldest first).
    async fn supplier(&mut self, id: &SupplierId) -> Result<Option<Supplier>, StoreFailure>;
    /// Every supplier with its record, by id.
    async fn suppliers(&mut self) -> Result<Vec<Supplier>, StoreFailure>;
    /// The supplier a product names, read without locking anything.
    async fn supplier_of(&mut self, sku: &Sku) -> Result<Option<SupplierId>, StoreFailure>;
    /// Takes the supplier's row lock (PostgreSQL; SQLite's writes are one
    /// at a time anyway). A write that changes a supplier's record or
    /// settings locks its products, so it takes this first: two such writes
    /// queue here instead of locking each other's products in a deadlock.
    async fn lock_supplier(&mut self, id: &SupplierId) -> Result<(), StoreFailure>;
    /// Creates the supplier or replaces its settings.
    async fn write_supplier(
        &mut self,
        id: &SupplierId,
        settings: &SupplierSettings,
    ) -> Result<(), StoreFailure>;
    /// Puts a purchase order's first receipt on its supplier's record.
    async fn add_to_record(&mut self, receipt: &SupplierReceipt) -> Result<(), StoreFailure>;
    /// The SKUs of the products the supplier delivers, in order.
    async fn products_of_supplier(&mut self, id: &SupplierId) -> Result<Vec<Sku>, StoreFailure>;
    /// Counts a write to the product that changed none of its own columns
    /// (its supplier's did).
    async fn bump_version(&mut self, sku: &Sku) -> Result<(), StoreFailure>;
}

pub(super) const SUPPLIER: &str = "SELECT id, name, lead_time_days FROM suppliers WHERE id = $1";
pub(super) const SUPPLIERS: &str = "SELECT id, name, lead_time_days FROM suppliers ORDER BY id";
pub(super) const SUPPLIER_OF: &str = "SELECT supplier FROM products WHERE sku = $1";
pub(super) const LOCK: &str = "SELECT id FROM suppliers WHERE id = $1 FOR UPDATE";
pub(super) const WRITE: &str =
    "INSERT INTO suppliers (id, name, lead_time_days) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, lead_time_days = excluded.lead_time_days";
/// The last `$2` received purchase orders' days late, oldest first.
pub(super) const RECORD: &str = "SELECT days_late FROM (
         SELECT days_late, received_on, seq FROM supplier_receipts WHERE supplier = $1
         ORDER BY received_on DESC, seq DESC LIMIT $2
     ) AS recent ORDER BY received_on, seq";
pub(super) const ADD_TO_RECORD: &str = "INSERT INTO supplier_receipts
         (supplier, sku, purchase_order, eta, ordered_on, received_on, days_late)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(super) const PRODUCTS_OF: &str = "SELECT sku FROM products WHERE supplier = $1 ORDER BY sku";
pub(super) const BUMP_VERSION: &str = "UPDATE products SET version = version + 1 WHERE sku = $1";

/// How many purchase orders a record holds.
pub(super) fn record_length() -> i64 {
    crate::logic::RECORD_LENGTH as i64
}
