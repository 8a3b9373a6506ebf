//! Demand: the sales the shop's checkout reports, and the merchant's history
//! from before. (A reservation's demand is written by `reservations::place`,
//! in its transaction.) Demand is what was asked for on a day: a later
//! cancellation does not undo it.

use super::products::save_inventory;
use super::{OperationError, Shop, audit};
use crate::logic::Date;
use crate::server::domain::demand::{DemandBatch, DemandDay};
use crate::server::domain::{AuditOperation, Audited, Product, Quantity, Sku, stock_change};
use crate::server::store::{DayDemand, StoreFailure, Tx};
use anyhow::Context;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rows written between two counts of the progress.
const PROGRESS_STEP: usize = 1000;

/// A sale in the shop's checkout: the units leave stock (never more than it
/// holds: what the shop sold was on its shelf) and count as today's demand.
pub(super) async fn sell(
    tx: &mut dyn Tx,
    sku: &Sku,
    quantity: Quantity,
    today: Date,
) -> Result<Product, OperationError> {
    let product = tx
        .product(sku)
        .await?
        .ok_or(OperationError::UnknownProduct)?;
    let stock = product.inventory.stock;
    let left = stock
        .checked_sub(quantity.get())
        .ok_or(OperationError::InsufficientStock { stock })?;
    save_inventory(tx, sku, &product.inventory, left, &product.orders).await?;
    tx.add_demand(sku, today, quantity.get(), 0).await?;
    let what = Audited::new(AuditOperation::ProductSale, sku.as_str());
    audit::note(tx, what.with_detail(stock_change(Some(stock), left)));
    Ok(tx
        .product(sku)
        .await?
        .context("a product vanished after a sale")
        .map_err(StoreFailure::fault)?)
}

/// The SKUs of a batch's good rows.
fn skus_of(days: &[DemandDay]) -> Vec<Sku> {
    days.iter().map(|day| day.sku.clone()).collect()
}

/// Replaces the batch's days, in (SKU, day) order (writers lock rows in the
/// same order, so they cannot deadlock); refused, with every row that names
/// no product, unless each does. `written` counts the rows done.
async fn put_demand(
    tx: &mut dyn Tx,
    batch: &DemandBatch,
    written: &AtomicUsize,
) -> Result<usize, OperationError> {
    let unknown = tx.unknown_products(&skus_of(&batch.days)).await?;
    if !unknown.is_empty() {
        return Err(OperationError::InvalidItems(
            batch.with_errors(batch.unknown_products(&unknown)),
        ));
    }
    let mut days = batch.days.clone();
    days.sort_by(|a, b| (&a.sku, a.day).cmp(&(&b.sku, b.day)));
    for step in days.chunks(PROGRESS_STEP) {
        tx.replace_demand(step).await?;
        written.fetch_add(step.len(), Ordering::Relaxed);
    }
    // Their history changed: their reorder points are worked out anew.
    let mut skus = skus_of(&days);
    skus.dedup();
    tx.forget_reorder_points(&skus).await?;
    let target = audit::count(days.len(), "day");
    audit::note(tx, Audited::new(AuditOperation::DemandPut, target));
    Ok(days.len())
}

impl Shop {
    /// The shop's checkout sold `quantity` units now: stock goes down (409
    /// when it holds fewer), today's demand up; low-stock and back-in-stock
    /// events and the live availability follow as for any change.
    pub async fn sell(&self, sku: Sku, quantity: Quantity) -> Result<Product, OperationError> {
        let today = self.clock.today();
        let sku = Arc::new(sku);
        self.write_grouped(&Arc::clone(&sku), move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { sell(tx, &sku, quantity, today).await })
        })
        .await
    }

    /// The merchant's history: sets the units of each day of the batch, all
    /// or nothing, in one transaction; stock is never touched. A batch with
    /// errors is refused with all of them, and with every good row that
    /// names no product besides. `written` counts the rows done (a progress
    /// bar); after a lost race the count starts again. Returns the days set.
    pub async fn put_demand(
        &self,
        batch: DemandBatch,
        written: Arc<AtomicUsize>,
    ) -> Result<usize, OperationError> {
        if !batch.errors.is_empty() {
            let skus = Arc::new(skus_of(&batch.days));
            let unknown = self
                .read(move |tx| {
                    let skus = Arc::clone(&skus);
                    Box::pin(async move { tx.unknown_products(&skus).await })
                })
                .await?;
            return Err(OperationError::InvalidItems(
                batch.with_errors(batch.unknown_products(&unknown)),
            ));
        }
        let batch = Arc::new(batch);
        self.write(move |tx| {
            let (batch, written) = (Arc::clone(&batch), Arc::clone(&written));
            written.store(0, Ordering::Relaxed);
            Box::pin(async move { put_demand(tx, &batch, &written).await })
        })
        .await
    }

    /// A product's demand on the days in `[from, to)` that have any.
    pub async fn demand_of(
        &self,
        sku: Sku,
        from: Date,
        to: Date,
    ) -> Result<Vec<DayDemand>, StoreFailure> {
        let sku = Arc::new(sku);
        self.read(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { tx.demand_of(&sku, from, to).await })
        })
        .await
    }
}
