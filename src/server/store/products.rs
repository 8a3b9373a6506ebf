//! Product rows: settings, stock and supply, and the version that orders copies.

use super::StoreFailure;
use crate::logic::{BackorderPolicy, Date, Lateness, QueueEntry};
use crate::server::domain::{
    Product, ProductSettings, PurchaseOrderId, PurchaseOrderLine, ReorderMark, Sku, Supplier,
    SupplierId,
};
use serde::Deserialize;

#[async_trait::async_trait]
pub trait ProductRows {
    /// The product with its backorder queue (the reservations with units
    /// still waiting, in `seq` order); in a write, its row is locked.
    async fn product(&mut self, sku: &Sku) -> Result<Option<Product>, StoreFailure>;
    /// Inserts the settings with the open purchase orders as numbered
    /// (`orders`, not `settings.incoming`), replacing those of an existing
    /// product or (`CreateOnly`) leaving it alone; `false` when nothing was
    /// written.
    async fn write_settings(
        &mut self,
        sku: &Sku,
        settings: &ProductSettings,
        orders: &[PurchaseOrderLine],
        mode: SettingsWrite,
    ) -> Result<bool, StoreFailure>;
    /// Writes stock and supply; the version counts `writes` writes (one,
    /// or a group commit's placements written as one).
    async fn write_inventory(
        &mut self,
        sku: &Sku,
        stock: u32,
        orders: &[PurchaseOrderLine],
        writes: u32,
    ) -> Result<(), StoreFailure>;
    async fn product_count(&mut self) -> Result<u64, StoreFailure>;
    /// Every product with its queue and its supplier's record applied, in
    /// three queries whatever the catalog's size (the insight list).
    async fn all_products(&mut self) -> Result<Vec<Product>, StoreFailure>;
    /// Keeps what a reorder check found (`Product::reorder`).
    async fn set_reorder_mark(&mut self, sku: &Sku, mark: ReorderMark) -> Result<(), StoreFailure>;
    /// Forgets the products' reorder points (what they depend on changed).
    async fn forget_reorder_points(&mut self, skus: &[Sku]) -> Result<(), StoreFailure>;
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
                          backorder_limit, lead_time_days, incoming, max_per_customer, supplier,
                          service_level)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const REPLACE_SETTINGS: &str = " ON CONFLICT (sku) DO UPDATE SET
        name = excluded.name, stock = excluded.stock, safety_stock = excluded.safety_stock,
        low_stock_threshold = excluded.low_stock_threshold, backorders = excluded.backorders,
        backorder_limit = excluded.backorder_limit, lead_time_days = excluded.lead_time_days,
        incoming = excluded.incoming, max_per_customer = excluded.max_per_customer,
        supplier = excluded.supplier, service_level = excluded.service_level,
        version = products.version + 1, reorder_point_on = NULL";
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
            lead_time_days, incoming, max_per_customer, version, queue_epoch, supplier,
            service_level, below_reorder_point, reorder_point, reorder_point_on
     FROM products WHERE sku = $1";
/// Its queue. A second statement on purpose: under PostgreSQL's READ
/// COMMITTED it takes a new snapshot, after the lock on the product was
/// granted, so it sees the reservations of the writer that lock waited for.
/// A subquery in the locking statement would read the queue as it was
/// before that wait, and let the backorder limit be passed.
pub(super) const QUEUE: &str =
    "SELECT seq, quantity - from_stock - filled AS outstanding FROM reservations
     WHERE sku = $1 AND status = 'reserved' AND quantity - from_stock - filled > 0
     ORDER BY seq";
/// The end of its queue: the entries after `seq` (`$2`), to add to a copy
/// with the same `queue_epoch` ([`QueueRead::After`]).
pub(super) const QUEUE_AFTER: &str =
    "SELECT seq, quantity - from_stock - filled AS outstanding FROM reservations
     WHERE sku = $1 AND status = 'reserved' AND quantity - from_stock - filled > 0 AND seq > $2
     ORDER BY seq";
/// Every product's row, with its SKU.
pub(super) const ALL_PRODUCTS: &str =
    "SELECT sku, name, stock, safety_stock, low_stock_threshold, backorders, backorder_limit,
            lead_time_days, incoming, max_per_customer, version, queue_epoch, supplier,
            service_level, below_reorder_point, reorder_point, reorder_point_on
     FROM products";
/// Every queue (as `QUEUE`), each product's in `seq` order.
pub(super) const ALL_QUEUES: &str =
    "SELECT sku, seq, quantity - from_stock - filled AS outstanding FROM reservations
     WHERE status = 'reserved' AND quantity - from_stock - filled > 0
     ORDER BY sku, seq";
pub(super) const SET_REORDER_MARK: &str = "UPDATE products
     SET below_reorder_point = $1, reorder_point = $2, reorder_point_on = $3 WHERE sku = $4";
pub(super) const FORGET_REORDER_POINT: &str =
    "UPDATE products SET reorder_point_on = NULL WHERE sku = $1";
pub(super) const WRITE_INVENTORY: &str =
    "UPDATE products SET stock = $1, incoming = $2, version = version + $3 WHERE sku = $4";
pub(super) const COUNT: &str = "SELECT COUNT(*) AS products FROM products";

/// How much of a product's queue a read takes from the database, given the
/// copy of the product its last known commit left (the feed's).
#[derive(Debug)]
pub(super) enum QueueRead {
    /// The copy is of this version: its queue is the queue.
    Copy(Vec<QueueEntry>),
    /// Only placements since (the same `queue_epoch`): the copy's queue,
    /// then the entries after this `seq` ([`QUEUE_AFTER`]).
    After(Vec<QueueEntry>, u64),
    /// No copy, or the queue changed within: all of it ([`QUEUE`]).
    All,
}

impl QueueRead {
    /// For `row` (a product as its row reads, queue not yet read).
    pub(super) fn of(row: &Product, copy: Option<&Product>) -> QueueRead {
        match copy {
            Some(copy) if copy.queue_epoch == row.queue_epoch && copy.version <= row.version => {
                let queue = copy.inventory.queue.clone();
                if copy.version == row.version {
                    QueueRead::Copy(queue)
                } else {
                    // Seqs grow with commits, per product: what was placed
                    // since comes after the copy's last entry.
                    let last = queue.last().map_or(0, |entry| entry.reservation);
                    QueueRead::After(queue, last)
                }
            }
            _ => QueueRead::All,
        }
    }
}

/// Purchase orders are stored as JSON text in both stores.
pub(super) fn encode_incoming(incoming: &[PurchaseOrderLine]) -> Result<String, StoreFailure> {
    Ok(serde_json::to_string(incoming).map_err(anyhow::Error::from)?)
}

/// A purchase order as stored: rows written before purchase orders had
/// numbers have neither `id` nor dates.
#[derive(Deserialize)]
struct StoredOrder {
    id: Option<String>,
    quantity: u32,
    eta: Date,
    #[serde(default)]
    ordered_on: Option<Date>,
    #[serde(default)]
    received_on: Option<Date>,
}

/// The stored orders; one without a number gets `po_` and its place (1, 2,
/// …): the same on every read, kept by the next write.
pub(super) fn decode_incoming(text: &str) -> Result<Vec<PurchaseOrderLine>, StoreFailure> {
    use anyhow::Context;
    let stored: Vec<StoredOrder> =
        serde_json::from_str(text).context("corrupt incoming purchase orders")?;
    stored
        .into_iter()
        .enumerate()
        .map(|(index, order)| {
            let id = order.id.unwrap_or_else(|| format!("po_{}", index + 1));
            Ok(PurchaseOrderLine {
                id: PurchaseOrderId::parse(&id, "id")
                    .context("a stored purchase order id no longer parses")?,
                quantity: order.quantity,
                eta: order.eta,
                ordered_on: order.ordered_on,
                received_on: order.received_on,
            })
        })
        .collect()
}

/// Puts the queues and the suppliers' records on the products read with
/// `ALL_PRODUCTS` (both stores read the same three answers).
pub(super) fn assemble(
    mut found: Vec<Product>,
    queues: Vec<(Sku, crate::logic::QueueEntry)>,
    suppliers: &[Supplier],
) -> Vec<Product> {
    use std::collections::HashMap;
    let mut by_sku: HashMap<Sku, Vec<crate::logic::QueueEntry>> = HashMap::new();
    for (sku, entry) in queues {
        by_sku.entry(sku).or_default().push(entry);
    }
    let suppliers: HashMap<&SupplierId, &Supplier> = suppliers
        .iter()
        .map(|supplier| (&supplier.id, supplier))
        .collect();
    for product in &mut found {
        product.inventory.queue = by_sku.remove(&product.sku).unwrap_or_default();
        let supplier = product.supplier.as_ref().and_then(|id| suppliers.get(id));
        if let Some(supplier) = supplier {
            supplied_by(product, supplier);
        }
    }
    found
}

/// A product of a supplier: the supplier's lead time for units beyond its
/// purchase orders, and the lateness of the supplier's record.
pub(super) fn supplied_by(product: &mut Product, supplier: &Supplier) {
    product.inventory.lead_time_days = supplier.settings.lead_time_days;
    product.inventory.lateness = Lateness::from_record(&supplier.record);
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
