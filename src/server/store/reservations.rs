//! Reservations: placing, reading, cancelling, and filling them from receipts.
//!
//! Each operation is one transaction that loads the product and its queue,
//! asks the logic module, and writes what it decided. The queue is not stored
//! separately: it is the reservations with units still waiting, in `seq` order.

use super::{
    MayBeStoreFailure, ReservationRow, Store, StoreFailure, Tx, outbox, random_id, save_inventory,
};
use crate::api::{Reservation, ReservationStatus};
use crate::logic::{Date, Estimate, InventoryError, customer_allowance};
use crate::server::input::mask_email;
use crate::server::webhooks::events::EventType;
use anyhow::Context;
use std::sync::Arc;

/// A placement request, already validated.
#[derive(Clone, Debug)]
pub struct NewReservation {
    pub sku: String,
    pub quantity: u32,
    pub email: String,
    pub idempotency_key: Option<String>,
}

impl NewReservation {
    /// What makes two requests "the same" for an idempotency key.
    fn fingerprint(&self) -> String {
        serde_json::json!({ "sku": self.sku, "quantity": self.quantity, "email": self.email })
            .to_string()
    }
}

/// Why an operation was refused; nothing was changed.
#[derive(Debug)]
pub enum OperationError {
    UnknownProduct,
    Inventory(InventoryError),
    IdempotencyKeyReused,
    /// The e-mail address would hold more than the product's
    /// `max_per_customer` units on backorder; `allowed` more are possible.
    CustomerLimit {
        allowed: u32,
    },
    /// A subscription to "email me when it's back" for a product that ships now.
    InStock,
    /// The product has as many subscribers as it may.
    TooManySubscriptions,
    Store(StoreFailure),
}

impl From<StoreFailure> for OperationError {
    fn from(failure: StoreFailure) -> OperationError {
        OperationError::Store(failure)
    }
}

impl MayBeStoreFailure for OperationError {
    fn store_failure(&self) -> Option<&StoreFailure> {
        match self {
            OperationError::Store(failure) => Some(failure),
            _ => None,
        }
    }
}

/// One row of the reservations table.
#[derive(Clone, Debug, PartialEq)]
pub struct ReservationRecord {
    /// Queue order; the logic module's `ReservationKey`.
    pub seq: u64,
    pub id: String,
    pub sku: String,
    pub quantity: u32,
    pub from_stock: u32,
    pub filled: u32,
    pub email: String,
    pub cancelled: bool,
    pub created_at: String,
}

impl ReservationRecord {
    /// Units it holds: taken from stock, or filled since.
    pub fn held(&self) -> u32 {
        self.from_stock + self.filled
    }

    /// Backordered units still waiting for supply.
    pub fn outstanding(&self) -> u32 {
        if self.cancelled {
            0
        } else {
            self.quantity - self.held()
        }
    }

    pub fn status(&self) -> ReservationStatus {
        if self.cancelled {
            ReservationStatus::Cancelled
        } else if self.outstanding() == 0 {
            ReservationStatus::Ready
        } else {
            ReservationStatus::Reserved
        }
    }
}

/// A reservation with its current ship estimate (none when nothing waits).
#[derive(Clone, Debug, PartialEq)]
pub struct ReservationState {
    pub record: ReservationRecord,
    pub estimate: Option<Estimate>,
}

impl ReservationState {
    pub fn to_api(&self) -> Reservation {
        let record = &self.record;
        Reservation {
            id: record.id.clone(),
            sku: record.sku.clone(),
            quantity: record.quantity,
            from_stock: record.from_stock,
            backordered: record.quantity - record.from_stock,
            filled: record.filled,
            outstanding: record.outstanding(),
            status: record.status(),
            ship_date: self.estimate.map(|estimate| estimate.ship_date),
            ships_in_days: self.estimate.map(|estimate| estimate.ships_in_days),
            email: mask_email(&record.email),
            created_at: record.created_at.clone(),
        }
    }
}

/// A queued reservation as the merchant sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueuedReservation {
    pub record: ReservationRecord,
    pub estimate: Estimate,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptOutcome {
    /// Each reservation the receipt filled, after the fill, with how many units it got.
    pub filled: Vec<(ReservationRecord, u32)>,
    pub to_stock: u32,
    pub stock: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CancelOutcome {
    pub state: ReservationState,
    /// It had been cancelled before this request.
    pub already_cancelled: bool,
}

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
pub(super) async fn place(
    tx: &mut dyn Tx,
    request: &NewReservation,
    today: Date,
    now: &str,
) -> Result<Reservation, OperationError> {
    let fingerprint = request.fingerprint();
    let product = tx.product(&request.sku).await?;
    if let Some(key) = &request.idempotency_key
        && let Some((earlier_request, response)) = tx.placement_for_key(key).await?
    {
        if earlier_request != fingerprint {
            return Err(OperationError::IdempotencyKeyReused);
        }
        let replay = serde_json::from_str(&response)
            .context("corrupt stored response")
            .map_err(StoreFailure::fault)?;
        return Ok(replay);
    }
    let product = product.ok_or(OperationError::UnknownProduct)?;
    // The new entry's key is only used inside the returned state, which we
    // do not keep: the inserted row (and its seq) is what joins the queue.
    let (after, placement) = product
        .inventory
        .place(request.quantity, 0, today)
        .map_err(OperationError::Inventory)?;
    if product.max_per_customer.is_some() && placement.backordered > 0 {
        // In the same transaction, under the product's lock: racing
        // requests from one address cannot pass the cap together.
        let customer = request.email.to_lowercase();
        let held = tx
            .waiting_by_email(&request.sku)
            .await?
            .into_iter()
            .filter(|(email, _)| email.to_lowercase() == customer)
            .fold(0u32, |held, (_, units)| held.saturating_add(units));
        if let Some(allowed) = customer_allowance(product.max_per_customer, held)
            && placement.backordered > allowed
        {
            return Err(OperationError::CustomerLimit { allowed });
        }
    }
    save_inventory(tx, &request.sku, &product.inventory, &after).await?;
    let id = random_id("rsv_")?;
    let response = Reservation {
        id: id.clone(),
        sku: request.sku.clone(),
        quantity: request.quantity,
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
        email: mask_email(&request.email),
        created_at: now.to_owned(),
    };
    let response_json = serde_json::to_string(&response)
        .context("encode the response")
        .map_err(StoreFailure::fault)?;
    tx.insert_reservation(&ReservationRow {
        id: &id,
        sku: &request.sku,
        quantity: request.quantity,
        from_stock: placement.from_stock,
        email: &request.email,
        created_at: now,
        idempotency_key: request.idempotency_key.as_deref(),
        request: &fingerprint,
        response: &response_json,
    })
    .await?;
    let record = ReservationRecord {
        seq: 0,
        id,
        sku: request.sku.clone(),
        quantity: request.quantity,
        from_stock: placement.from_stock,
        filled: 0,
        email: request.email.clone(),
        cancelled: false,
        created_at: now.to_owned(),
    };
    outbox::emit_reservation(tx, EventType::ReservationCreated, &record).await?;
    outbox::emit_if_ready(tx, &record).await?;
    Ok(response)
}

/// Cancels (idempotently): held units go to the reservations behind it, then to stock.
async fn cancel(
    tx: &mut dyn Tx,
    id: &str,
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
    save_inventory(tx, &record.sku, &product.inventory, &after).await?;
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
async fn receive(tx: &mut dyn Tx, sku: &str, units: u32) -> Result<ReceiptOutcome, OperationError> {
    let product = tx
        .product(sku)
        .await?
        .ok_or(OperationError::UnknownProduct)?;
    let (after, receipt) = product
        .inventory
        .receive(units)
        .map_err(OperationError::Inventory)?;
    tx.apply_fills(&receipt.fills).await?;
    save_inventory(tx, sku, &product.inventory, &after).await?;
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
    sku: &str,
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

impl Store {
    pub async fn place(
        &self,
        request: NewReservation,
        today: Date,
        now: String,
    ) -> Result<Reservation, OperationError> {
        let input = Arc::new((request, now));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move { place(tx, &input.0, today, &input.1).await })
        })
        .await
    }

    pub async fn reservation(
        &self,
        id: String,
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
        id: String,
        today: Date,
        now: String,
    ) -> Result<Option<CancelOutcome>, StoreFailure> {
        let input = Arc::new((id, now));
        self.write(move |tx| {
            let input = Arc::clone(&input);
            Box::pin(async move { cancel(tx, &input.0, today, &input.1).await })
        })
        .await
    }

    pub async fn receive(&self, sku: String, units: u32) -> Result<ReceiptOutcome, OperationError> {
        let sku = Arc::new(sku);
        self.write(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { receive(tx, &sku, units).await })
        })
        .await
    }

    /// The backorder queue of a product, in order, with current estimates.
    pub async fn queue(
        &self,
        sku: String,
        today: Date,
    ) -> Result<Option<Vec<QueuedReservation>>, StoreFailure> {
        let sku = Arc::new(sku);
        self.read(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { queue(tx, &sku, today).await })
        })
        .await
    }

    /// Every reservation of a SKU, oldest first (tests and audits).
    pub async fn reservations_of(
        &self,
        sku: String,
    ) -> Result<Vec<ReservationRecord>, StoreFailure> {
        let sku = Arc::new(sku);
        self.read(move |tx| {
            let sku = Arc::clone(&sku);
            Box::pin(async move { tx.records_of(&sku).await })
        })
        .await
    }
}
