//! Reservations: placing, reading, cancelling, and filling them from receipts.
//!
//! Each operation is one transaction that loads the product and its queue,
//! asks the logic module, and writes what it decided.

use super::group::Writes;
use super::products::save_inventory;
use super::{OperationError, Shop, issued, outbox, suppliers};
use crate::api::{Reservation, ReservationStatus};
use crate::logic::{Date, customer_allowance};
use crate::server::domain::{
    CancelOutcome, EventType, NewReservation, QueuedReservation, ReceiptOutcome, ReceiptRequest,
    ReservationId, ReservationRecord, ReservationState, Sku, SupplierReceipt,
};
use crate::server::store::{ReservationRow, StoreFailure, Tx};
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

/// Checks and places. Reading the product locks it, so concurrent requests
/// for the same SKU (on any server) cannot both take the last units. With an
/// idempotency key, a repeated request gets the first response back and
/// places nothing. The key is looked up after the lock: a request racing the
/// first one with its key (on another server) waits for it on the product
/// and then replays it; with the key used for another SKU the two meet at the
/// key's unique index, and the loser runs again and is refused.
pub(crate) async fn place(
    tx: &mut dyn Tx,
    request: &NewReservation,
    today: Date,
    now: &str,
) -> Result<Reservation, OperationError> {
    let product = tx.product(&request.sku).await?;
    let placed = place_on(tx, request, product.as_ref(), today, now).await;
    let wrote = match &placed {
        Ok((_, wrote)) => *wrote,
        Err(error) => matches!(error, OperationError::Store(_)),
    };
    if let Some(product) = product
        && !wrote
    {
        // Refused or replayed, it left the product as it found it.
        tx.notes().untouched.push(product);
    }
    placed.map(|(reservation, _)| reservation)
}

/// [`place`] on the product as read (locked); `true`: it wrote.
async fn place_on(
    tx: &mut dyn Tx,
    request: &NewReservation,
    product: Option<&crate::server::domain::Product>,
    today: Date,
    now: &str,
) -> Result<(Reservation, bool), OperationError> {
    let fingerprint = request.fingerprint();
    let sku = &request.sku;
    if let Some(key) = &request.idempotency_key
        && let Some((earlier_request, response)) =
            super::held_back::placement_for_key(tx, key, product.is_some()).await?
    {
        if earlier_request != fingerprint {
            return Err(OperationError::IdempotencyKeyReused);
        }
        let replay = serde_json::from_str(&response)
            .context("corrupt stored response")
            .map_err(StoreFailure::fault)?;
        return Ok((replay, false));
    }
    let product = product.ok_or(OperationError::UnknownProduct)?;
    // The new entry's key is only used inside the returned state, which we
    // do not keep: the inserted row (and its seq) is what joins the queue.
    let (after, placement) = product
        .inventory
        .place(request.quantity.get(), 0, today)
        .map_err(OperationError::Inventory)?;
    if product.max_per_customer.is_some() && placement.backordered > 0 {
        // In the same transaction, under the product's lock: racing
        // requests from one address cannot pass the cap together.
        let customer = request.email.folded();
        let held = super::held_back::waiting_by_email(tx, sku)
            .await?
            .into_iter()
            .filter(|(email, _)| email.folded() == customer)
            .fold(0u32, |held, (_, units)| held.saturating_add(units));
        if let Some(allowed) = customer_allowance(product.max_per_customer, held)
            && placement.backordered > allowed
        {
            return Err(OperationError::CustomerLimit { allowed });
        }
    }
    save_inventory(tx, sku, &product.inventory, after.stock, &product.orders).await?;
    super::delays::note_appended_only(tx, sku);
    let id = issued(ReservationId::issue_at(tx.notes().now_ms))?;
    let response = Reservation {
        id: id.to_string(),
        sku: sku.to_string(),
        quantity: request.quantity.get(),
        from_stock: placement.from_stock,
        backordered: placement.backordered,
        filled: 0,
        outstanding: placement.backordered,
        status: if placement.backordered > 0 {
            ReservationStatus::Reserved
        } else {
            ReservationStatus::Ready
        },
        ship_date: placement.ship_date,
        ships_in_days: placement.ships_in_days,
        ship_date_latest: placement.ship_date_latest,
        ships_in_days_latest: placement.ships_in_days_latest,
        email: request.email.masked(),
        created_at: now.to_owned(),
    };
    let response_json = serde_json::to_string(&response)
        .context("encode the response")
        .map_err(StoreFailure::fault)?;
    let seq = super::held_back::insert_reservation(
        tx,
        &ReservationRow {
            id: &id,
            sku,
            quantity: request.quantity.get(),
            from_stock: placement.from_stock,
            email: &request.email,
            created_at: now,
            idempotency_key: request.idempotency_key.as_ref(),
            request: &fingerprint,
            response: &response_json,
            told_ship_date: placement.ship_date,
            lang: request.lang.as_ref(),
        },
    )
    .await?;
    tx.notes().left.push(left_by_placement(product, after, seq));
    // Demand is what was asked for: a later cancellation does not undo it.
    super::held_back::add_demand(
        tx,
        sku,
        today,
        request.quantity.get(),
        placement.backordered,
    )
    .await?;
    let record = ReservationRecord {
        seq: 0,
        id,
        sku: sku.clone(),
        quantity: request.quantity.get(),
        from_stock: placement.from_stock,
        filled: 0,
        email: request.email.clone(),
        cancelled: false,
        created_at: now.to_owned(),
        lang: request.lang.clone(),
    };
    outbox::emit_reservation(tx, EventType::ReservationCreated, &record).await?;
    if record.status() == ReservationStatus::Ready {
        // Its confirmation says it ships now: no "ready" mail.
        outbox::emit_reservation(tx, EventType::ReservationReady, &record).await?;
    }
    let window = placement.ship_date.zip(placement.ship_date_latest);
    super::mail::confirmation(tx, &record, &product.name, window).await?;
    Ok((response, true))
}

/// Placing `request`: the work of one transaction (or one request of a group).
fn placing(
    request: NewReservation,
    today: Date,
    now: String,
) -> impl crate::server::store::Work<Reservation, OperationError> {
    let input = Arc::new((request, now));
    crate::server::store::as_work(move |tx| {
        let input = Arc::clone(&input);
        Box::pin(async move { place(tx, &input.0, today, &input.1).await })
    })
}

/// The product as a placement left it: the logic's new state, its new
/// entry (keyed 0 while deciding) the inserted row, and the version its
/// inventory's write counted.
fn left_by_placement(
    product: &crate::server::domain::Product,
    after: crate::logic::Inventory,
    seq: u64,
) -> crate::server::domain::Product {
    let mut inventory = after;
    // The new entry is the one keyed 0 (every other has its row's seq).
    if let Some(entry) = inventory
        .queue
        .iter_mut()
        .rev()
        .find(|entry| entry.reservation == 0)
    {
        entry.reservation = seq;
    }
    // Field by field: the queue it had before is not copied only to be replaced.
    crate::server::domain::Product {
        sku: product.sku.clone(),
        name: product.name.clone(),
        inventory,
        max_per_customer: product.max_per_customer,
        version: product.version + 1,
        queue_epoch: product.queue_epoch,
        supplier: product.supplier.clone(),
        lead_time_days: product.lead_time_days,
        orders: product.orders.clone(),
        service_level: product.service_level,
        reorder: product.reorder,
    }
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
    pub async fn place(
        &self,
        request: NewReservation,
        today: Date,
        now: String,
    ) -> Result<Reservation, OperationError> {
        let (sku, key) = (request.sku.clone(), request.idempotency_key.clone());
        self.place_grouped(&sku, key, placing(request, today, now))
            .await
    }

    /// Places the requests as one group commit would, had they all arrived
    /// during one commit: one transaction, in this order; their answers in
    /// the same order. (Tests compare them with placing one at a time.)
    pub async fn place_together(
        &self,
        requests: Vec<NewReservation>,
        today: Date,
        now: String,
    ) -> Vec<Result<Reservation, OperationError>> {
        let works = requests
            .into_iter()
            .map(|request| {
                let key = request.idempotency_key.clone();
                (placing(request, today, now.clone()), key)
            })
            .collect();
        self.write_together(works, Writes::MayHoldBack).await
    }

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
