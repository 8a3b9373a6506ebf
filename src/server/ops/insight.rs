//! The merchant's insight: each product's demand over the last
//! [`WINDOW_DAYS`] full days, its lead time (observed, the supplier's, or
//! its own) and what the logic derives from them (safety stock, reorder
//! point, suggested order). Read for the insight routes, and checked on
//! every write to a product: when its position falls to or below its
//! reorder point, `product.reorder_point` is written (once per crossing).

use super::{Shop, outbox};
use crate::logic::{Date, Insight, InsightInput, WINDOW_DAYS, position};
use crate::server::domain::{EventType, Product, ReorderMark, Sku, SupplierId};
use crate::server::store::{DayDemand, StoreFailure, Tx};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// One product's insight: the numbers, what they were computed from, and
/// its demand day by day (oldest first, days without demand as 0).
#[derive(Clone, Debug, PartialEq)]
pub struct ProductInsight {
    pub sku: Sku,
    pub name: String,
    pub supplier: Option<SupplierId>,
    pub stock: u32,
    pub available: u32,
    /// Units on the product's open purchase orders.
    pub on_order: u64,
    /// Backordered units still waiting for supply.
    pub backorders_outstanding: u64,
    /// The safety stock the product is set to hold now (`numbers` has the
    /// suggested one).
    pub safety_stock_setting: u32,
    pub numbers: Insight,
    pub demand: Vec<(Date, u32)>,
}

/// The window's first day: the [`WINDOW_DAYS`] full days before `today`.
pub fn window_start(today: Date) -> Date {
    Date::from_days_since_epoch(today.days_since_epoch() - WINDOW_DAYS as i64)
}

/// Units on the product's open purchase orders.
fn on_order(product: &Product) -> u64 {
    product
        .orders
        .iter()
        .map(|order| u64::from(order.quantity))
        .sum()
}

/// The insight of `product` from its demand rows in the window (any order,
/// days without a row count as 0) and its supplier's observed lead times.
pub fn insight_of(
    product: &Product,
    rows: &[DayDemand],
    observed: &[i32],
    today: Date,
) -> ProductInsight {
    let start = window_start(today);
    let mut daily = vec![0u32; WINDOW_DAYS];
    let mut backordered = 0u64;
    for &(day, units, backordered_units) in rows {
        let index = day.days_after(start);
        if (0..WINDOW_DAYS as i64).contains(&index) {
            daily[index as usize] = daily[index as usize].saturating_add(units);
            backordered += u64::from(backordered_units);
        }
    }
    let inventory = &product.inventory;
    let on_order = on_order(product);
    let observed: Vec<i64> = observed.iter().map(|&days| i64::from(days)).collect();
    let numbers = Insight::from_input(&InsightInput {
        daily_demand: &daily,
        backordered_units: backordered,
        stock: inventory.stock,
        on_order,
        backorders_outstanding: inventory.queued(),
        available: inventory.available(),
        observed_lead_times: &observed,
        // A product of a supplier carries the supplier's lead time
        // (`supplied_by`); its own stays in `lead_time_days`.
        supplier_lead_time_days: product.supplier.as_ref().map(|_| inventory.lead_time_days),
        product_lead_time_days: product.lead_time_days,
        service_level: product.service_level,
    });
    ProductInsight {
        sku: product.sku.clone(),
        name: product.name.clone(),
        supplier: product.supplier.clone(),
        stock: inventory.stock,
        available: inventory.available(),
        on_order,
        backorders_outstanding: inventory.queued(),
        safety_stock_setting: inventory.safety_stock,
        numbers,
        demand: (0..WINDOW_DAYS)
            .map(|index| (start.plus_days(index as u32), daily[index]))
            .collect(),
    }
}

/// One product's insight, in a transaction.
async fn insight_in(
    tx: &mut dyn Tx,
    product: &Product,
    today: Date,
) -> Result<ProductInsight, StoreFailure> {
    let rows = tx
        .demand_of(&product.sku, window_start(today), today)
        .await?;
    let observed = match &product.supplier {
        Some(supplier) => tx.observed_lead_times(supplier).await?,
        None => Vec::new(),
    };
    Ok(insight_of(product, &rows, &observed, today))
}

/// The reorder list's order: reorder needed first, then fewest days of
/// cover (no demand: last), then by SKU.
fn reorder_order(a: &ProductInsight, b: &ProductInsight) -> std::cmp::Ordering {
    let cover = |item: &ProductInsight| item.numbers.days_of_cover.unwrap_or(u32::MAX);
    b.numbers
        .reorder_needed
        .cmp(&a.numbers.reorder_needed)
        .then(cover(a).cmp(&cover(b)))
        .then(a.sku.as_str().cmp(b.sku.as_str()))
}

/// Every product's insight, reorder list first, in a handful of queries.
async fn all_insights(tx: &mut dyn Tx, today: Date) -> Result<Vec<ProductInsight>, StoreFailure> {
    let products = tx.all_products().await?;
    let demand: HashMap<Sku, Vec<DayDemand>> = tx
        .demand_between(window_start(today), today)
        .await?
        .into_iter()
        .collect();
    let observed: HashMap<SupplierId, Vec<i32>> =
        tx.all_observed_lead_times().await?.into_iter().collect();
    let mut insights: Vec<ProductInsight> = products
        .iter()
        .map(|product| {
            let rows = demand.get(&product.sku).map_or(&[][..], Vec::as_slice);
            let lead_times = product
                .supplier
                .as_ref()
                .and_then(|supplier| observed.get(supplier))
                .map_or(&[][..], Vec::as_slice);
            insight_of(product, rows, lead_times, today)
        })
        .collect();
    insights.sort_by(reorder_order);
    Ok(insights)
}

/// `data` of `product.reorder_point`: the product and its numbers.
#[derive(Serialize)]
struct ReorderData<'a> {
    sku: &'a str,
    name: &'a str,
    supplier: Option<&'a str>,
    stock: u32,
    available: u32,
    on_order: u64,
    backorders_outstanding: u64,
    #[serde(flatten)]
    numbers: &'a Insight,
}

/// The check `Shop::write` runs on the products a write touched: a product
/// whose position is now at or below its reorder point, and was not at the
/// last check, gets `product.reorder_point`; one back above is noted, so
/// the next fall is told again. The reorder point is kept on the product
/// for the day (`Product::reorder`): most writes only compare the position
/// with it; it is worked out again on a new day, or after something it
/// depends on changed and forgot it (settings, the supplier, the history).
/// Each product leaves with the mark it now has in the store (the feed
/// publishes these copies).
pub(super) async fn check_touched(
    tx: &mut dyn Tx,
    products: &mut [Product],
    today: Date,
) -> Result<(), StoreFailure> {
    for product in products.iter_mut() {
        let mut worked_out = None;
        let point = match product.reorder.point {
            Some((day, point)) if day == today => point,
            _ => {
                let insight = insight_in(tx, product, today).await?;
                let point = insight.numbers.reorder_point;
                worked_out = Some(insight);
                point
            }
        };
        let inventory = &product.inventory;
        let below =
            position(inventory.stock, on_order(product), inventory.queued()) <= i64::from(point);
        let mark = ReorderMark {
            below,
            point: Some((today, point)),
        };
        if mark == product.reorder {
            continue;
        }
        tx.set_reorder_mark(&product.sku, mark).await?;
        let was_below = std::mem::replace(&mut product.reorder, mark).below;
        if below && !was_below {
            let insight = match worked_out {
                Some(insight) => insight,
                None => insight_in(tx, product, today).await?,
            };
            let data = ReorderData {
                sku: product.sku.as_str(),
                name: &product.name,
                supplier: product.supplier.as_ref().map(SupplierId::as_str),
                stock: insight.stock,
                available: insight.available,
                on_order: insight.on_order,
                backorders_outstanding: insight.backorders_outstanding,
                numbers: &insight.numbers,
            };
            outbox::emit(tx, EventType::ProductReorderPoint, &product.sku, &data).await?;
        }
    }
    Ok(())
}

impl Shop {
    /// One product's insight (`None`: no such product).
    pub async fn insight(&self, sku: Sku) -> Result<Option<ProductInsight>, StoreFailure> {
        let today = self.clock.today();
        let sku = Arc::new(sku);
        self.read(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move {
                match tx.product(&sku).await? {
                    Some(product) => Ok(Some(insight_in(tx, &product, today).await?)),
                    None => Ok(None),
                }
            })
        })
        .await
    }

    /// Every product's insight: reorder needed first, then fewest days of cover.
    pub async fn insights(&self) -> Result<Vec<ProductInsight>, StoreFailure> {
        let today = self.clock.today();
        self.read(move |tx| Box::pin(async move { all_insights(tx, today).await }))
            .await
    }
}
