//! Products: their settings, one or many at once, and reads through the
//! feed's snapshot.

use super::{OperationError, Shop, audit, delays, issued};
use crate::logic::Inventory;
use crate::server::domain::{
    AuditOperation, Audited, DelayReason, Product, ProductSettings, PurchaseOrderId,
    PurchaseOrderLine, Sku, SupplierId, stock_change,
};
use crate::server::store::{SettingsWrite, StoreFailure, Touched, Tx};
use anyhow::Context;
use std::sync::Arc;

/// The settings' purchase orders as stored: a number given is kept (with
/// the day of its first receipt, when the product had that order), an
/// order without one gets a new number.
fn numbered(
    settings: &ProductSettings,
    existing: Option<&Product>,
) -> Result<Vec<PurchaseOrderLine>, StoreFailure> {
    settings
        .incoming
        .iter()
        .map(|order| {
            let id = match &order.id {
                Some(id) => id.clone(),
                None => issued(PurchaseOrderId::issue())?,
            };
            let received_on = existing
                .and_then(|product| product.orders.iter().find(|known| known.id == id))
                .and_then(|known| known.received_on);
            Ok(PurchaseOrderLine {
                id,
                quantity: order.quantity,
                eta: order.eta,
                ordered_on: order.ordered_on,
                received_on,
            })
        })
        .collect()
}

/// Saves the settings of a product this transaction read (and locked) as
/// `existing`. Notes that its availability may change.
async fn save_settings(
    tx: &mut dyn Tx,
    sku: &Sku,
    existing: &Product,
    settings: &ProductSettings,
) -> Result<(), StoreFailure> {
    touch(tx, sku, Some(&existing.inventory));
    let orders = numbered(settings, Some(existing))?;
    if delays::orders_changed(&existing.orders, &orders) {
        delays::note_reason(tx, sku, DelayReason::PurchaseOrderChanged);
    } else if existing.supplier != settings.supplier {
        delays::note_reason(tx, sku, DelayReason::SupplierReliability);
    }
    tx.write_settings(sku, settings, &orders, SettingsWrite::Replace)
        .await?;
    Ok(())
}

/// Every supplier the products name exists, or the SKUs naming one that
/// does not. (Suppliers are never deleted: one found stays.)
async fn check_suppliers(
    tx: &mut dyn Tx,
    products: &[(Sku, ProductSettings)],
) -> Result<(), OperationError> {
    let mut known: Vec<SupplierId> = Vec::new();
    let mut unknown = Vec::new();
    for (sku, settings) in products {
        let Some(supplier) = &settings.supplier else {
            continue;
        };
        if known.contains(supplier) {
            continue;
        }
        if tx.supplier(supplier).await?.is_some() {
            known.push(supplier.clone());
        } else {
            unknown.push(sku.clone());
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(OperationError::UnknownSupplier { skus: unknown })
    }
}

/// Creates a product this transaction found missing; `false` (nothing
/// written) when another transaction created it meanwhile — there was no
/// row to lock (PostgreSQL's insert waits for that one to commit).
async fn create_product(
    tx: &mut dyn Tx,
    sku: &Sku,
    settings: &ProductSettings,
) -> Result<bool, StoreFailure> {
    let orders = numbered(settings, None)?;
    let created = tx
        .write_settings(sku, settings, &orders, SettingsWrite::CreateOnly)
        .await?;
    if created {
        touch(tx, sku, None);
    }
    Ok(created)
}

/// Saves what an operation of the logic module changed (stock, supply:
/// `orders`) and notes that the product's availability may change. A
/// placement in a group holds the write back (`held_back.rs`).
pub(super) async fn save_inventory(
    tx: &mut dyn Tx,
    sku: &Sku,
    before: &Inventory,
    stock: u32,
    orders: &[PurchaseOrderLine],
) -> Result<(), StoreFailure> {
    touch(tx, sku, Some(before));
    if super::held_back::hold_inventory(tx, sku, stock, orders) {
        return Ok(());
    }
    tx.write_inventory(sku, stock, orders, 1).await
}

/// The first write to a SKU in a transaction keeps what it found.
pub(super) fn touch(tx: &mut dyn Tx, sku: &Sku, before: Option<&Inventory>) {
    let touched = &mut tx.notes().touched;
    if !touched.iter().any(|seen| seen.sku == *sku) {
        touched.push(Touched {
            sku: sku.clone(),
            before: before.map(Inventory::standing),
        });
    }
}

/// Creates the product or replaces its settings; returns whether it existed.
/// An existing product is read (and locked) first, so what changed is
/// known; a missing one is created, unless another transaction just did —
/// then that one is locked and replaced.
async fn write_product(
    tx: &mut dyn Tx,
    sku: &Sku,
    settings: &ProductSettings,
) -> Result<bool, StoreFailure> {
    if let Some(existing) = tx.product(sku).await? {
        save_settings(tx, sku, &existing, settings).await?;
        return Ok(true);
    }
    if create_product(tx, sku, settings).await? {
        return Ok(false);
    }
    let existing = tx
        .product(sku)
        .await?
        .context("a product created meanwhile is missing")?;
    save_settings(tx, sku, &existing, settings).await?;
    Ok(true)
}

async fn put_product(
    tx: &mut dyn Tx,
    product: &(Sku, ProductSettings),
) -> Result<Product, OperationError> {
    check_suppliers(tx, std::slice::from_ref(product)).await?;
    let (sku, settings) = product;
    write_product(tx, sku, settings).await?;
    let change = stock_change(audit::stock_before(tx, sku), settings.stock);
    audit::note(
        tx,
        Audited::new(AuditOperation::ProductPut, sku.as_str()).with_detail(change),
    );
    Ok(tx
        .product(sku)
        .await?
        .context("product vanished after saving it")
        .map_err(StoreFailure::fault)?)
}

/// Seeding: several servers starting on one empty database may seed it at
/// once, and a later one must not reset what an earlier one's shoppers took.
async fn add_product_if_missing(
    tx: &mut dyn Tx,
    sku: &Sku,
    settings: &ProductSettings,
) -> Result<bool, StoreFailure> {
    if tx.product(sku).await?.is_some() {
        return Ok(false);
    }
    create_product(tx, sku, settings).await
}

/// What a bulk write did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub created: Vec<String>,
    pub updated: Vec<String>,
}

/// Every product's settings in one transaction, in SKU order (several
/// writers lock rows in the same order, so they cannot deadlock); `written`
/// counts the products done, for a progress bar.
async fn put_products(
    tx: &mut dyn Tx,
    products: &[(Sku, ProductSettings)],
    written: &std::sync::atomic::AtomicUsize,
) -> Result<BulkOutcome, OperationError> {
    check_suppliers(tx, products).await?;
    let mut order: Vec<&(Sku, ProductSettings)> = products.iter().collect();
    order.sort_by(|a, b| a.0.cmp(&b.0));
    let mut outcome = BulkOutcome::default();
    for (sku, settings) in order {
        if write_product(tx, sku, settings).await? {
            outcome.updated.push(sku.to_string());
        } else {
            outcome.created.push(sku.to_string());
        }
        written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let what = Audited::new(
        AuditOperation::ProductsPutBulk,
        audit::count(products.len(), "product"),
    );
    let detail = format!(
        "{} created, {} updated",
        outcome.created.len(),
        outcome.updated.len()
    );
    audit::note(tx, what.with_detail(Some(detail)));
    Ok(outcome)
}

async fn products_in(tx: &mut dyn Tx, skus: &[Sku]) -> Result<Vec<Product>, StoreFailure> {
    let mut products = Vec::with_capacity(skus.len());
    for sku in skus {
        products.extend(tx.product(sku).await?);
    }
    Ok(products)
}

impl Shop {
    /// A product with its queue, from the feed's snapshot (read from the
    /// database the first time, or every time while the feed is not
    /// following the database).
    pub async fn product(&self, sku: &Sku) -> Result<Option<Arc<Product>>, StoreFailure> {
        Ok(self.products(vec![sku.clone()]).await?.pop())
    }

    /// The products among `skus` that exist, in the order asked.
    pub async fn products(&self, skus: Vec<Sku>) -> Result<Vec<Arc<Product>>, StoreFailure> {
        let mut found: Vec<Option<Arc<Product>>> = skus
            .iter()
            .map(|sku| self.feed.product(sku.as_str()))
            .collect();
        if found.iter().all(Option::is_some) {
            return Ok(found.into_iter().flatten().collect());
        }
        // Taken before reading: what was read under an older generation of
        // the feed may be stale and is not kept.
        let generation = self.feed.generation();
        let missing: Vec<Sku> = skus
            .iter()
            .zip(&found)
            .filter(|(_, product)| product.is_none())
            .map(|(sku, _)| sku.clone())
            .collect();
        let missing = Arc::new(missing);
        let loaded = self
            .read(move |tx| {
                let missing = Arc::clone(&missing);
                Box::pin(async move { products_in(tx, &missing).await })
            })
            .await?;
        for product in loaded {
            if let Some(index) = skus.iter().position(|sku| *sku == product.sku) {
                found[index] = Some(self.feed.fill(product, generation));
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    /// The product as the database has it, bypassing the snapshot.
    pub async fn product_from_database(&self, sku: &Sku) -> Result<Option<Product>, StoreFailure> {
        let sku = Arc::new(sku.clone());
        self.read(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { tx.product(&sku).await })
        })
        .await
    }

    /// Creates the product or replaces its settings; its reservations and
    /// queue stay. A supplier it names must exist.
    pub async fn put_product(
        &self,
        sku: Sku,
        settings: ProductSettings,
    ) -> Result<Product, OperationError> {
        let input = Arc::new((sku, settings));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move { put_product(tx, &input).await })
        })
        .await
    }

    /// Creates or replaces many products' settings, all or nothing: one
    /// transaction. `written` counts the products done (a progress bar);
    /// after a lost race the count starts again.
    pub async fn put_products(
        &self,
        products: Vec<(Sku, ProductSettings)>,
        written: Arc<std::sync::atomic::AtomicUsize>,
    ) -> Result<BulkOutcome, OperationError> {
        let products = Arc::new(products);
        self.write(move |tx| {
            let (products, written) = (Arc::clone(&products), Arc::clone(&written));
            written.store(0, std::sync::atomic::Ordering::Relaxed);
            Box::pin(async move { put_products(tx, &products, &written).await })
        })
        .await
    }

    /// Creates the product unless it exists; `false` when it did.
    pub async fn add_product_if_missing(
        &self,
        sku: Sku,
        settings: ProductSettings,
    ) -> Result<bool, StoreFailure> {
        let input = Arc::new((sku, settings));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move { add_product_if_missing(tx, &input.0, &input.1).await })
        })
        .await
    }

    pub async fn is_empty(&self) -> Result<bool, StoreFailure> {
        self.read(|tx| Box::pin(async move { Ok(tx.product_count().await? == 0) }))
            .await
    }
}
