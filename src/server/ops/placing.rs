//! Placing reservations: the shared logic decides, under the product's lock,
//! from stock first and the rest on backorder; the answer is encoded once,
//! stored for replays of its key and sent as the `201`'s body.

use super::group::Writes;
use super::products::save_inventory;
use super::{OperationError, Shop, outbox};
use crate::api::{Reservation, ReservationStatus};
use crate::logic::{Date, customer_allowance};
use crate::server::domain::{
    EventType, NewReservation, Product, Quantity, ReservationId, ReservationRecord, Sku,
};
use crate::server::store::{ReservationRow, StoreFailure, Tx, Work, as_work};
use anyhow::Context;
use std::sync::Arc;

/// A write of [`Shop::write_together`]: a placement, or the checkout's sale.
#[derive(Clone, Debug)]
pub enum GroupedWrite {
    Place(NewReservation),
    Sell(Sku, Quantity),
}

/// Its answer: the placement's, or the product as the sale left it.
#[derive(Clone, Debug, PartialEq)]
pub enum GroupedAnswer {
    Placed(Placed),
    Sold(Product),
}

/// A placement's answer: the reservation, and its JSON as the `201` sends it.
/// Encoded once, when it is stored for replays of its key; a replay sends
/// the stored bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub reservation: Reservation,
    pub body: String,
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
) -> Result<Placed, OperationError> {
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
    placed.map(|(placed, _)| placed)
}

/// [`place`] on the product as read (locked); `true`: it wrote.
async fn place_on(
    tx: &mut dyn Tx,
    request: &NewReservation,
    product: Option<&Product>,
    today: Date,
    now: &str,
) -> Result<(Placed, bool), OperationError> {
    let sku = &request.sku;
    if let Some(key) = &request.idempotency_key
        && let Some((earlier_request, response)) =
            super::held_back::placement_for_key(tx, key, product.is_some()).await?
    {
        if earlier_request != request.fingerprint() {
            return Err(OperationError::IdempotencyKeyReused);
        }
        let reservation = serde_json::from_str(&response)
            .context("corrupt stored response")
            .map_err(StoreFailure::fault)?;
        let replay = Placed {
            reservation,
            body: response,
        };
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
    let id = ReservationId::issue_at(tx.notes().now_ms);
    let reservation = Reservation {
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
    let body = serde_json::to_string(&reservation)
        .context("encode the response")
        .map_err(StoreFailure::fault)?;
    // Only a key replays a placement: a key-less row keeps neither what was
    // asked nor the answer (~500 bytes less to write).
    let replayable = request.idempotency_key.is_some();
    let stored_request = if replayable {
        request.fingerprint()
    } else {
        String::new()
    };
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
            request: &stored_request,
            response: if replayable { &body } else { "" },
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
    Ok((Placed { reservation, body }, true))
}

/// Placing `request`: the work of one transaction (or one request of a group).
fn placing(
    request: NewReservation,
    today: Date,
    now: String,
) -> impl crate::server::store::Work<Placed, OperationError> {
    let input = Arc::new((request, now));
    crate::server::store::as_work(move |tx| {
        let input = Arc::clone(&input);
        Box::pin(async move { place(tx, &input.0, today, &input.1).await })
    })
}

/// The product as a placement left it: the logic's new state, its new
/// entry (keyed 0 while deciding) the inserted row, and the version its
/// inventory's write counted.
fn left_by_placement(product: &Product, after: crate::logic::Inventory, seq: u64) -> Product {
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
    Product {
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

impl Shop {
    pub async fn place(
        &self,
        request: NewReservation,
        today: Date,
        now: String,
    ) -> Result<Placed, OperationError> {
        let (sku, key) = (request.sku.clone(), request.idempotency_key.clone());
        self.place_grouped(&sku, key, placing(request, today, now))
            .await
    }

    /// Runs the writes as one group commit would, had they all arrived
    /// during one commit: one transaction, in this order; their answers in
    /// the same order. (Tests compare them with the same writes one at a
    /// time: [`Shop::place`], [`Shop::sell`].)
    pub async fn write_together(
        &self,
        writes: Vec<GroupedWrite>,
        today: Date,
        now: String,
    ) -> Vec<Result<GroupedAnswer, OperationError>> {
        let works = writes
            .into_iter()
            .map(|write| match write {
                GroupedWrite::Place(request) => {
                    let key = request.idempotency_key.clone();
                    let placing = Arc::new(placing(request, today, now.clone()));
                    let work: Box<dyn Work<GroupedAnswer, OperationError>> =
                        Box::new(as_work(move |tx| {
                            let placing = Arc::clone(&placing);
                            Box::pin(async move { (*placing)(tx).await.map(GroupedAnswer::Placed) })
                        }));
                    (work, Writes::MayHoldBack, key)
                }
                GroupedWrite::Sell(sku, quantity) => {
                    let sku = Arc::new(sku);
                    let work: Box<dyn Work<GroupedAnswer, OperationError>> =
                        Box::new(as_work(move |tx| {
                            let sku = Arc::clone(&sku);
                            Box::pin(async move {
                                super::demand::sell(tx, &sku, quantity, today)
                                    .await
                                    .map(GroupedAnswer::Sold)
                            })
                        }));
                    (work, Writes::AtOnce, None)
                }
            })
            .collect();
        self.write_as_one_group(works).await
    }
}
