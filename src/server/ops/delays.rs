//! Delay notices: a reservation whose likely ship date moved later than
//! its shopper was told gets one `reservation.delayed`, in the transaction
//! of the write that moved it (`Shop::write`) or of the check at each day
//! change ([`Shop::check_delays`]); at most one per reservation per day.

use super::{Shop, outbox};
use crate::logic::Date;
use crate::server::domain::{
    CancelLinks, DelayMark, DelayReason, EventType, NoticeDecision, Product, PurchaseOrderLine,
    Sku, new_link_secret, notice_decision,
};
use crate::server::store::{StoreFailure, Tx};
use crate::server::webhooks::events::{DelayedData, ReservationData};
use std::sync::Arc;

/// The name of the cancel links' secret in the shared table.
const LINK_SECRET: &str = "cancel_links";

/// Notes why this transaction may move the product's ship dates; the
/// first reason noted for a SKU stands.
pub(super) fn note_reason(tx: &mut dyn Tx, sku: &Sku, reason: DelayReason) {
    let reasons = &mut tx.notes().delay_reasons;
    if !reasons.iter().any(|(seen, _)| seen == sku) {
        reasons.push((sku.clone(), reason));
    }
}

/// A placement only adds to the end of `sku`'s queue, and an estimate
/// depends on the units ahead and the supply alone (not on stock): no
/// reservation already waiting can ship later, and the new one was told
/// its estimate as it was placed. Its delay check is passed by.
pub(super) fn note_appended_only(tx: &mut dyn Tx, sku: &Sku) {
    let appended = &mut tx.notes().appended_only;
    if !appended.contains(sku) {
        appended.push(sku.clone());
    }
}

/// Did the purchase orders change (one added, removed, or its quantity or
/// expected arrival changed)?
pub(super) fn orders_changed(before: &[PurchaseOrderLine], after: &[PurchaseOrderLine]) -> bool {
    before.len() != after.len()
        || before.iter().zip(after).any(|(old, new)| {
            old.id != new.id || old.quantity != new.quantity || old.eta != new.eta
        })
}

/// Checks every waiting reservation of `product` (as this transaction
/// leaves it): records the date of those never told, and writes a notice
/// for each that ships later than told, unless it had one today.
pub(super) async fn check(
    tx: &mut dyn Tx,
    product: &Product,
    today: Date,
    reason: DelayReason,
    links: Option<&CancelLinks>,
) -> Result<(), StoreFailure> {
    if product.inventory.queue.is_empty() {
        return Ok(());
    }
    let marks = tx.delay_marks(&product.sku).await?;
    // By reservation: a hot drop's queue is long, and every write checks it.
    let marks: std::collections::HashMap<_, _> =
        marks.into_iter().map(|mark| (mark.seq, mark)).collect();
    for estimate in product.inventory.estimates(today) {
        let Some(mark) = marks.get(&estimate.reservation) else {
            continue;
        };
        match notice_decision(mark.told, mark.last_notice, today, estimate.ship_date) {
            NoticeDecision::Nothing => {}
            NoticeDecision::Record => {
                tx.write_delay_mark(&DelayMark {
                    told: Some(estimate.ship_date),
                    ..*mark
                })
                .await?;
            }
            NoticeDecision::Notice => {
                tx.write_delay_mark(&DelayMark {
                    seq: mark.seq,
                    told: Some(estimate.ship_date),
                    last_notice: Some(today),
                })
                .await?;
                let record = tx.record_by_seq(mark.seq).await?;
                let data = DelayedData {
                    reservation: ReservationData::of(&record),
                    previous_ship_date: mark.told.unwrap_or(estimate.ship_date),
                    ship_date: estimate.ship_date,
                    ship_date_latest: estimate.ship_date_latest,
                    reason,
                    cancel_url: links.map(|links| links.url(&record.id)),
                };
                outbox::emit(tx, EventType::ReservationDelayed, &record.sku, &data).await?;
                let window = (estimate.ship_date, estimate.ship_date_latest);
                let previous = data.previous_ship_date;
                super::mail::delayed(tx, &record, &product.name, previous, window, reason).await?;
            }
        }
    }
    Ok(())
}

/// The check `Shop::write` runs on the products a write touched.
pub(super) async fn check_touched(
    tx: &mut dyn Tx,
    products: &[Product],
    today: Date,
    links: Option<&CancelLinks>,
) -> Result<(), StoreFailure> {
    for product in products {
        let noted = tx
            .notes()
            .delay_reasons
            .iter()
            .find(|(sku, _)| *sku == product.sku)
            .map(|(_, reason)| *reason);
        if noted.is_none() && tx.notes().appended_only.contains(&product.sku) {
            continue;
        }
        let reason = noted.unwrap_or(DelayReason::Other);
        check(tx, product, today, reason, links).await?;
    }
    Ok(())
}

/// The day-change check: every product with reservations waiting. A move
/// now is due to an order past its expected arrival when the product has
/// one open, else to a move earlier that day that waited for today.
async fn check_all(
    tx: &mut dyn Tx,
    today: Date,
    links: Option<&CancelLinks>,
) -> Result<u64, StoreFailure> {
    let deliveries = tx.notes().deliveries;
    for sku in tx.skus_waiting().await? {
        let Some(product) = tx.product(&sku).await? else {
            continue;
        };
        let overdue = product.orders.iter().any(|order| order.eta < today);
        let reason = if overdue {
            DelayReason::PurchaseOrderOverdue
        } else {
            DelayReason::Other
        };
        check(tx, &product, today, reason, links).await?;
    }
    Ok(tx.notes().deliveries - deliveries)
}

impl Shop {
    /// Loads (or, first on this database, creates) the secret the cancel
    /// links are signed with, and builds them on `public_url`.
    pub async fn use_public_url(&self, public_url: &str) -> Result<CancelLinks, StoreFailure> {
        let candidate = super::issued(new_link_secret())?;
        let candidate = Arc::new(candidate);
        let secret = self
            .write(move |tx| {
                let candidate = Arc::clone(&candidate);
                Box::pin(async move { tx.shared_secret(LINK_SECRET, &candidate).await })
            })
            .await?;
        let links = CancelLinks::new(public_url, &secret);
        *self
            .links
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(links.clone());
        Ok(links)
    }

    /// The cancel links, once [`Shop::use_public_url`] set them.
    pub fn cancel_links(&self) -> Option<CancelLinks> {
        self.links
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The day-change check over every product with reservations waiting,
    /// in one transaction; returns the deliveries its notices made.
    pub async fn check_delays(&self) -> Result<u64, StoreFailure> {
        let today = self.clock.today();
        let links = self.cancel_links();
        self.write(move |tx| {
            let links = links.clone();
            Box::pin(async move { check_all(tx, today, links.as_ref()).await })
        })
        .await
    }
}
