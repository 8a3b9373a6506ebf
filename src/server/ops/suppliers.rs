//! Suppliers: their settings and record. A supplier's lead time and record
//! decide the ship windows of every product it delivers, so a change to
//! either is a change to each of those products (their versions count it,
//! and `Shop::write` reads them back, announces and publishes them).

use super::products::touch;
use super::{Shop, audit};
use crate::logic::Inventory;
use crate::server::domain::{AuditOperation, Audited, Sku, Supplier, SupplierId, SupplierSettings};
use crate::server::store::{StoreFailure, Tx};
use anyhow::Context;
use std::sync::Arc;

/// The supplier's products as they are before a change to the supplier.
pub(super) async fn products_before(
    tx: &mut dyn Tx,
    supplier: &SupplierId,
) -> Result<Vec<(Sku, Inventory)>, StoreFailure> {
    let mut found = Vec::new();
    for sku in tx.products_of_supplier(supplier).await? {
        if let Some(product) = tx.product(&sku).await? {
            found.push((sku, product.inventory));
        }
    }
    Ok(found)
}

/// The products of a supplier that changed: each a write of its own.
pub(super) async fn changed(
    tx: &mut dyn Tx,
    products: Vec<(Sku, Inventory)>,
) -> Result<(), StoreFailure> {
    // Their lead times (the supplier's, or its record's) changed: their
    // reorder points are worked out anew.
    let skus: Vec<Sku> = products.iter().map(|(sku, _)| sku.clone()).collect();
    tx.forget_reorder_points(&skus).await?;
    for (sku, before) in products {
        super::delays::note_reason(
            tx,
            &sku,
            crate::server::domain::DelayReason::SupplierReliability,
        );
        let already = tx.notes().touched.iter().any(|seen| seen.sku == sku);
        if !already {
            // A product this transaction wrote counted the write already.
            tx.bump_version(&sku).await?;
            touch(tx, &sku, Some(&before));
        }
    }
    Ok(())
}

/// Creates the supplier or replaces its settings; `true` when it is new.
async fn put_supplier(
    tx: &mut dyn Tx,
    id: &SupplierId,
    settings: &SupplierSettings,
) -> Result<(Supplier, bool), StoreFailure> {
    tx.lock_supplier(id).await?;
    let existed = tx.supplier(id).await?.is_some();
    let products = products_before(tx, id).await?;
    tx.write_supplier(id, settings).await?;
    changed(tx, products).await?;
    let supplier = tx
        .supplier(id)
        .await?
        .context("a supplier vanished after saving it")?;
    let what = Audited::new(AuditOperation::SupplierPut, id.as_str());
    audit::note(
        tx,
        what.with_detail((!existed).then(|| "created".to_owned())),
    );
    Ok((supplier, !existed))
}

impl Shop {
    /// Creates the supplier or replaces its settings (`true`: created);
    /// every product it delivers shows the new lead time.
    pub async fn put_supplier(
        &self,
        id: SupplierId,
        settings: SupplierSettings,
    ) -> Result<(Supplier, bool), StoreFailure> {
        let input = Arc::new((id, settings));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move { put_supplier(tx, &input.0, &input.1).await })
        })
        .await
    }

    pub async fn supplier(&self, id: SupplierId) -> Result<Option<Supplier>, StoreFailure> {
        let id = Arc::new(id);
        self.read(move |tx| {
            let id = Arc::clone(&id);
            Box::pin(async move { tx.supplier(&id).await })
        })
        .await
    }

    /// Every supplier, by id.
    pub async fn suppliers(&self) -> Result<Vec<Supplier>, StoreFailure> {
        self.read(|tx| Box::pin(async move { tx.suppliers().await }))
            .await
    }
}
