//! Reservations: reading, cancelling, and filling them from receipts
//! (placing them: `placing.rs`).
//!
//! Each operation is one transaction that loads the product and its queue,
//! asks the logic module, and writes what it decided.

use super::products::save_inventory;
use super::{OperationError, Shop, outbox, suppliers};
use crate::logic::Date;
use crate::server::domain::{
    CancelOutcome, EventType, QueuedReservation, ReceiptOutcome, ReceiptRequest, ReservationId,
    ReservationRecord, ReservationState, Sku, SupplierReceipt,
};
use crate::server::store::{StoreFailure, Tx};
use anyhow::Context;
use std::sync::Arc;

/// The current estimate for a record, from its product's current state.
async fn current_state(
    tx: &mut dyn Tx,
    record: ReservationRecord,
    today: Date,
) -> Result<ReservationState, StoreFailure> {
    let estimate = if record.outstanding() > 0 {
        let product = tx
            .product(&record.sku)
            .await?
            .context("a reservation's product is missing")?;
        product.inventory.estimate(record.seq, today)
    } else {
        None
    };
    Ok(ReservationState { record, estimate })
}

/// Cancels (idempotently): held units go to the reservations behind it, then to stock.
async fn cancel(
    tx: &mut dyn Tx,
    id: &ReservationId,
    today: Date,
    now: &str,
) -> Result<Option<CancelOutcome>, StoreFailure> {
    let Some(unlocked) = tx.record(id).await? else {
        return Ok(None);
    };
    let product = tx
        .product(&unlocked.sku)
        .await?
        .context("a reservation's product is missing")?;
    // Read again under the product's lock: another server may have
    // cancelled it, or a receipt filled it, since.
    let record = tx.record(id).await?.context("a reservation vanished")?;
    if record.cancelled {
        let state = current_state(tx, record, today).await?;
        return Ok(Some(CancelOutcome {
            state,
            already_cancelled: true,
        }));
    }
    let (after, cancellation) = product.inventory.cancel(record.seq, record.held());
    tx.apply_fills(&cancellation.fills).await?;
    save_inventory(
        tx,
        &record.sku,
        &product.inventory,
        after.stock,
        &product.orders,
    )
    .await?;
    tx.mark_cancelled(record.seq, now).await?;
    let record = tx.record_by_seq(record.seq).await?;
    outbox::emit_reservation(tx, EventType::ReservationCancelled, &record).await?;
    // Units it held went to the reservations behind it: some may be ready now.
    for fill in &cancellation.fills {
        let filled = tx.record_by_seq(fill.reservation).await?;
        outbox::emit_if_ready(tx, &filled).await?;
    }
    Ok(Some(CancelOutcome {
        state: ReservationState {
            record,
            estimate: None,
        },
        already_cancelled: false,
    }))
}

/// Stock arrives: fills the queue first come first served, the rest goes to stock.
/// Units arrive: they go to the purchase order the receipt names first,
/// then the earliest others. The first receipt of each order they reach
/// puts its lateness on its supplier's record, once, which every product of
/// that supplier shows.
async fn receive(
    tx: &mut dyn Tx,
    sku: &Sku,
    request: &ReceiptRequest,
) -> Result<ReceiptOutcome, OperationError> {
    // A first receipt changes the supplier's record and so locks its other
    // products: the supplier's lock comes before any product's.
    let locked = tx.supplier_of(sku).await?;
    if let Some(supplier) = &locked {
        tx.lock_supplier(supplier).await?;
    }
    let product = tx
        .product(sku)
        .await?
        .ok_or(OperationError::UnknownProduct)?;
    if product.supplier != locked {
        // Its supplier changed between the two reads: start over.
        return Err(
            StoreFailure::lost_race("a product's supplier changed during a receipt").into(),
        );
    }
    let first = match &request.purchase_order {
        None => None,
        Some(id) => Some(
            product
                .orders
                .iter()
                .position(|order| order.id == *id)
                .ok_or(OperationError::UnknownPurchaseOrder)?,
        ),
    };
    let (after, receipt) = product
        .inventory
        .receive_into(request.units, first)
        .map_err(OperationError::Inventory)?;
    let mut orders = Vec::with_capacity(product.orders.len());
    let mut first_receipts = Vec::new();
    for (order, left) in product.orders.iter().zip(&after.incoming) {
        let mut order = order.clone();
        if left.quantity < order.quantity && order.received_on.is_none() {
            order.received_on = Some(request.received_on);
            if let Some(supplier) = &product.supplier {
                first_receipts.push(SupplierReceipt {
                    supplier: supplier.clone(),
                    sku: sku.clone(),
                    purchase_order: order.id.clone(),
                    eta: order.eta,
                    ordered_on: order.ordered_on,
                    received_on: request.received_on,
                });
            }
        }
        order.quantity = left.quantity;
        if order.quantity > 0 {
            orders.push(order);
        }
    }
    let others = match &product.supplier {
        Some(supplier) if !first_receipts.is_empty() => {
            suppliers::products_before(tx, supplier).await?
        }
        _ => Vec::new(),
    };
    for first_receipt in &first_receipts {
        tx.add_to_record(first_receipt).await?;
    }
    tx.apply_fills(&receipt.fills).await?;
    save_inventory(tx, sku, &product.inventory, after.stock, &orders).await?;
    suppliers::changed(tx, others).await?;
    let mut filled = Vec::with_capacity(receipt.fills.len());
    for fill in &receipt.fills {
        let record = tx.record_by_seq(fill.reservation).await?;
        outbox::emit_if_ready(tx, &record).await?;
        filled.push((record, fill.units));
    }
    Ok(ReceiptOutcome {
        filled,
        to_stock: receipt.to_stock,
        stock: after.stock,
    })
}

async fn queue(
    tx: &mut dyn Tx,
    sku: &Sku,
    today: Date,
) -> Result<Option<Vec<QueuedReservation>>, StoreFailure> {
    let Some(product) = tx.product(sku).await? else {
        return Ok(None);
    };
    let mut queue = Vec::new();
    for estimate in product.inventory.estimates(today) {
        let record = tx.record_by_seq(estimate.reservation).await?;
        queue.push(QueuedReservation { record, estimate });
    }
    Ok(Some(queue))
}

impl Shop {
    pub async fn reservation(
        &self,
        id: ReservationId,
        today: Date,
    ) -> Result<Option<ReservationState>, StoreFailure> {
        let id = Arc::new(id);
        self.read(move |tx| {
            let id = Arc::clone(&id);
            Box::pin(async move {
                match tx.record(&id).await? {
                    Some(record) => Ok(Some(current_state(tx, record, today).await?)),
                    None => Ok(None),
                }
            })
        })
        .await
    }

    pub async fn cancel(
        &self,
        id: ReservationId,
        today: Date,
        now: String,
    ) -> Result<Option<CancelOutcome>, StoreFailure> {
        let Some(lane) = self.lane_of_reservation(&id).await? else {
            return Ok(None);
        };
        let input = Arc::new((id, now));
        self.write_in_lane(lane, move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move { cancel(tx, &input.0, today, &input.1).await })
        })
        .await
    }

    pub async fn receive(
        &self,
        sku: Sku,
        request: ReceiptRequest,
    ) -> Result<ReceiptOutcome, OperationError> {
        let lane = sku.clone();
        let input = Arc::new((sku, request));
        self.write_grouped(&lane, move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move {
                let (sku, request) = (&input.0, &input.1);
                let outcome = receive(tx, sku, request).await?;
                super::audit::note_receipt(tx, sku, request.units, outcome.stock);
                Ok(outcome)
            })
        })
        .await
    }

    /// The backorder queue of a product, in order, with current estimates.
    pub async fn queue(
        &self,
        sku: Sku,
        today: Date,
    ) -> Result<Option<Vec<QueuedReservation>>, StoreFailure> {
        let sku = Arc::new(sku);
        self.read(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { queue(tx, &sku, today).await })
        })
        .await
    }

    /// Every reservation of a SKU, oldest first (tests and audits); none
    /// for text that is not a SKU.
    pub async fn reservations_of(
        &self,
        sku: String,
    ) -> Result<Vec<ReservationRecord>, StoreFailure> {
        let Ok(sku) = Sku::parse(&sku) else {
            return Ok(Vec::new());
        };
        let sku = Arc::new(sku);
        self.read(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { tx.records_of(&sku).await })
        })
        .await
    }
}
