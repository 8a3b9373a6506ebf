//! Reservations: placing, reading, cancelling, and filling them from receipts.
//!
//! Each operation is one transaction that loads the product and its queue,
//! asks the logic module, and writes what it decided. The queue is not stored
//! separately: it is the reservations with units still waiting, in `seq` order.

use super::{Store, StoreFailure, load_product, save_inventory};
use crate::api::{Reservation, ReservationStatus};
use crate::logic::{Date, Estimate, Fill, InventoryError, customer_allowance};
use crate::server::input::mask_email;
use anyhow::Context;
use rusqlite::{OptionalExtension, Transaction, params};

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
    Store(StoreFailure),
}

impl From<StoreFailure> for OperationError {
    fn from(failure: StoreFailure) -> OperationError {
        OperationError::Store(failure)
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

const RECORD_COLUMNS: &str =
    "seq, id, sku, quantity, from_stock, filled, email, status = 'cancelled', created_at";

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ReservationRecord> {
    Ok(ReservationRecord {
        seq: row.get(0)?,
        id: row.get(1)?,
        sku: row.get(2)?,
        quantity: row.get(3)?,
        from_stock: row.get(4)?,
        filled: row.get(5)?,
        email: row.get(6)?,
        cancelled: row.get(7)?,
        created_at: row.get(8)?,
    })
}

fn load_record(tx: &Transaction<'_>, id: &str) -> Result<Option<ReservationRecord>, StoreFailure> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE id = ?1");
    Ok(tx.query_row(&sql, [id], record_from_row).optional()?)
}

fn load_record_by_seq(tx: &Transaction<'_>, seq: u64) -> Result<ReservationRecord, StoreFailure> {
    let sql = format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE seq = ?1");
    Ok(tx.query_row(&sql, [seq], record_from_row)?)
}

/// The current estimate for a record, from its product's current state.
fn current_state(
    tx: &Transaction<'_>,
    record: ReservationRecord,
    today: Date,
) -> Result<ReservationState, StoreFailure> {
    let estimate = if record.outstanding() > 0 {
        let product =
            load_product(tx, &record.sku)?.context("a reservation's product is missing")?;
        product.inventory.estimate(record.seq, today)
    } else {
        None
    };
    Ok(ReservationState { record, estimate })
}

fn apply_fills(tx: &Transaction<'_>, fills: &[Fill]) -> Result<(), StoreFailure> {
    let mut update =
        tx.prepare_cached("UPDATE reservations SET filled = filled + ?2 WHERE seq = ?1")?;
    for fill in fills {
        update.execute(params![fill.reservation, fill.units])?;
    }
    Ok(())
}

/// 128 random bits: a reference nobody can guess or enumerate.
fn new_reservation_id() -> Result<String, StoreFailure> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| StoreFailure(anyhow::anyhow!("no randomness: {error}")))?;
    let mut id = String::from("rsv_");
    for byte in bytes {
        id.push_str(&format!("{byte:02x}"));
    }
    Ok(id)
}

impl Store {
    /// Checks and places in one transaction, so concurrent requests for the
    /// same SKU cannot both take the last units. With an idempotency key, a
    /// repeated request gets the first response back and places nothing.
    pub async fn place(
        &self,
        request: NewReservation,
        today: Date,
        now: String,
    ) -> Result<Reservation, OperationError> {
        self.transaction(move |tx| {
            let fingerprint = request.fingerprint();
            if let Some(key) = &request.idempotency_key {
                let earlier: Option<(String, String)> = tx
                    .query_row(
                        "SELECT request, response FROM reservations WHERE idempotency_key = ?1",
                        [key],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()
                    .map_err(StoreFailure::from)?;
                if let Some((earlier_request, response)) = earlier {
                    if earlier_request != fingerprint {
                        return Err(OperationError::IdempotencyKeyReused);
                    }
                    let replay = serde_json::from_str(&response).context("corrupt stored response").map_err(StoreFailure)?;
                    return Ok(replay);
                }
            }
            let product = load_product(tx, &request.sku)?.ok_or(OperationError::UnknownProduct)?;
            // The new entry's key is only used inside the returned state, which we
            // do not keep: the inserted row (and its seq) is what joins the queue.
            let (after, placement) = product
                .inventory
                .place(request.quantity, 0, today)
                .map_err(OperationError::Inventory)?;
            if product.max_per_customer.is_some() && placement.backordered > 0 {
                // In the same transaction as the placement: racing requests
                // from one address cannot pass the cap together.
                let held: u32 = tx
                    .query_row(
                        "SELECT COALESCE(SUM(quantity - from_stock - filled), 0) FROM reservations
                         WHERE sku = ?1 AND lower(email) = lower(?2)
                           AND status = 'reserved' AND from_stock + filled < quantity",
                        params![request.sku, request.email],
                        |row| row.get(0),
                    )
                    .map_err(StoreFailure::from)?;
                if let Some(allowed) = customer_allowance(product.max_per_customer, held)
                    && placement.backordered > allowed
                {
                    return Err(OperationError::CustomerLimit { allowed });
                }
            }
            save_inventory(tx, &request.sku, &after)?;
            let id = new_reservation_id()?;
            let response = Reservation {
                id: id.clone(),
                sku: request.sku.clone(),
                quantity: request.quantity,
                from_stock: placement.from_stock,
                backordered: placement.backordered,
                filled: 0,
                outstanding: placement.backordered,
                status: if placement.backordered > 0 { ReservationStatus::Reserved } else { ReservationStatus::Ready },
                ship_date: placement.ship_date,
                ships_in_days: placement.ships_in_days,
                email: mask_email(&request.email),
                created_at: now.clone(),
            };
            let response_json = serde_json::to_string(&response).context("encode the response").map_err(StoreFailure)?;
            tx.execute(
                "INSERT INTO reservations (id, sku, quantity, from_stock, filled, email, status, created_at,
                                           idempotency_key, request, response)
                 VALUES (?1, ?2, ?3, ?4, 0, ?5, 'reserved', ?6, ?7, ?8, ?9)",
                params![
                    id,
                    request.sku,
                    request.quantity,
                    placement.from_stock,
                    request.email,
                    now,
                    request.idempotency_key,
                    fingerprint,
                    response_json
                ],
            )
            .map_err(StoreFailure::from)?;
            Ok(response)
        })
        .await
    }

    pub async fn reservation(
        &self,
        id: String,
        today: Date,
    ) -> Result<Option<ReservationState>, StoreFailure> {
        self.read(move |tx| match load_record(tx, &id)? {
            Some(record) => Ok(Some(current_state(tx, record, today)?)),
            None => Ok(None),
        })
        .await
    }

    /// Cancels (idempotently): held units go to the reservations behind it, then to stock.
    pub async fn cancel(
        &self,
        id: String,
        today: Date,
        now: String,
    ) -> Result<Option<CancelOutcome>, StoreFailure> {
        self.transaction(move |tx| {
            let Some(record) = load_record(tx, &id)? else {
                return Ok(None);
            };
            if record.cancelled {
                let state = current_state(tx, record, today)?;
                return Ok(Some(CancelOutcome {
                    state,
                    already_cancelled: true,
                }));
            }
            let product =
                load_product(tx, &record.sku)?.context("a reservation's product is missing")?;
            let (after, cancellation) = product.inventory.cancel(record.seq, record.held());
            apply_fills(tx, &cancellation.fills)?;
            save_inventory(tx, &record.sku, &after)?;
            tx.execute(
                "UPDATE reservations SET status = 'cancelled', cancelled_at = ?2 WHERE seq = ?1",
                params![record.seq, now],
            )?;
            let record = load_record_by_seq(tx, record.seq)?;
            Ok(Some(CancelOutcome {
                state: ReservationState {
                    record,
                    estimate: None,
                },
                already_cancelled: false,
            }))
        })
        .await
    }

    /// Stock arrives: fills the queue first come first served, the rest goes to stock.
    pub async fn receive(&self, sku: String, units: u32) -> Result<ReceiptOutcome, OperationError> {
        self.transaction(move |tx| {
            let product = load_product(tx, &sku)?.ok_or(OperationError::UnknownProduct)?;
            let (after, receipt) = product
                .inventory
                .receive(units)
                .map_err(OperationError::Inventory)?;
            apply_fills(tx, &receipt.fills)?;
            save_inventory(tx, &sku, &after)?;
            let mut filled = Vec::with_capacity(receipt.fills.len());
            for fill in &receipt.fills {
                filled.push((load_record_by_seq(tx, fill.reservation)?, fill.units));
            }
            Ok(ReceiptOutcome {
                filled,
                to_stock: receipt.to_stock,
                stock: after.stock,
            })
        })
        .await
    }

    /// The backorder queue of a product, in order, with current estimates.
    pub async fn queue(
        &self,
        sku: String,
        today: Date,
    ) -> Result<Option<Vec<QueuedReservation>>, StoreFailure> {
        self.read(move |tx| {
            let Some(product) = load_product(tx, &sku)? else {
                return Ok(None);
            };
            let mut queue = Vec::new();
            for estimate in product.inventory.estimates(today) {
                let record = load_record_by_seq(tx, estimate.reservation)?;
                queue.push(QueuedReservation { record, estimate });
            }
            Ok(Some(queue))
        })
        .await
    }

    /// Every reservation of a SKU, oldest first (tests and audits).
    pub async fn reservations_of(
        &self,
        sku: String,
    ) -> Result<Vec<ReservationRecord>, StoreFailure> {
        self.read(move |tx| {
            let sql =
                format!("SELECT {RECORD_COLUMNS} FROM reservations WHERE sku = ?1 ORDER BY seq");
            let mut statement = tx.prepare(&sql)?;
            let records = statement
                .query_map([sku], record_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(records)
        })
        .await
    }
}
