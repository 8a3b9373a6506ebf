//! Product rows: settings, stock and supply, and the version that orders copies.

use super::StoreFailure;
use crate::logic::{BackorderPolicy, Inventory, PurchaseOrder};
use crate::server::domain::{Product, ProductSettings, Sku};

#[async_trait::async_trait]
pub trait ProductRows {
    /// The product with its backorder queue (the reservations with units
    /// still waiting, in `seq` order); in a write, its row is locked.
    async fn product(&mut self, sku: &Sku) -> Result<Option<Product>, StoreFailure>;
    /// Inserts the settings, replacing those of an existing product or
    /// (`CreateOnly`) leaving it alone; `false` when nothing was written.
    async fn write_settings(
        &mut self,
        sku: &Sku,
        settings: &ProductSettings,
        mode: SettingsWrite,
    ) -> Result<bool, StoreFailure>;
    /// Writes stock and supply.
    async fn write_inventory(
        &mut self,
        sku: &Sku,
        inventory: &Inventory,
    ) -> Result<(), StoreFailure>;
    async fn product_count(&mut self) -> Result<u64, StoreFailure>;
}

/// How [`ProductRows::write_settings`] treats a product that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsWrite {
    Replace,
    CreateOnly,
}

/// The settings write both stores run (`$N` numbered in order of first use).
const INSERT_SETTINGS: &str =
    "INSERT INTO products (sku, name, stock, safety_stock, low_stock_threshold, backorders,
                          backorder_limit, lead_time_days, incoming, max_per_customer)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const REPLACE_SETTINGS: &str = " ON CONFLICT (sku) DO UPDATE SET
        name = excluded.name, stock = excluded.stock, safety_stock = excluded.safety_stock,
        low_stock_threshold = excluded.low_stock_threshold, backorders = excluded.backorders,
        backorder_limit = excluded.backorder_limit, lead_time_days = excluded.lead_time_days,
        incoming = excluded.incoming, max_per_customer = excluded.max_per_customer,
        version = products.version + 1";
const KEEP_SETTINGS: &str = " ON CONFLICT (sku) DO NOTHING";

impl SettingsWrite {
    pub(super) fn sql(self) -> String {
        let conflict = match self {
            SettingsWrite::Replace => REPLACE_SETTINGS,
            SettingsWrite::CreateOnly => KEEP_SETTINGS,
        };
        format!("{INSERT_SETTINGS}{conflict}")
    }
}

/// A product's row (PostgreSQL adds `FOR UPDATE` in a write).
pub(super) const PRODUCT: &str =
    "SELECT name, stock, safety_stock, low_stock_threshold, backorders, backorder_limit,
            lead_time_days, incoming, max_per_customer, version
     FROM products WHERE sku = $1";
/// Its queue. A second statement on purpose: under PostgreSQL's READ
/// COMMITTED it takes a new snapshot, after the lock on the product was
/// granted, so it sees the reservations of the writer that lock waited for.
/// A subquery in the locking statement would read the queue as it was
/// before that wait, and let the backorder limit be passed.
pub(super) const QUEUE: &str =
    "SELECT seq, quantity - from_stock - filled AS outstanding FROM reservations
     WHERE sku = $1 AND status = 'reserved' AND from_stock + filled < quantity
     ORDER BY seq";
pub(super) const WRITE_INVENTORY: &str =
    "UPDATE products SET stock = $1, incoming = $2, version = version + 1 WHERE sku = $3";
pub(super) const COUNT: &str = "SELECT COUNT(*) AS products FROM products";

/// Purchase orders are stored as JSON text in both stores.
pub(super) fn encode_incoming(incoming: &[PurchaseOrder]) -> Result<String, StoreFailure> {
    Ok(serde_json::to_string(incoming).map_err(anyhow::Error::from)?)
}

pub(super) fn decode_incoming(text: &str) -> Result<Vec<PurchaseOrder>, StoreFailure> {
    use anyhow::Context;
    Ok(serde_json::from_str(text).context("corrupt incoming purchase orders")?)
}

pub(super) fn policy_name(policy: BackorderPolicy) -> &'static str {
    match policy {
        BackorderPolicy::Allow => "allow",
        BackorderPolicy::Deny => "deny",
    }
}

pub(super) fn policy_from_name(name: &str) -> BackorderPolicy {
    if name == "allow" {
        BackorderPolicy::Allow
    } else {
        BackorderPolicy::Deny
    }
}
