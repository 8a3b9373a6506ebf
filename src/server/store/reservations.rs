//! Reservation rows. The queue is not stored separately: it is the
//! reservations with units still waiting, in `seq` order.

use super::{StoreFailure, StoredPlacement};
use crate::logic::Fill;
use crate::server::domain::{Email, IdempotencyKey, ReservationId, ReservationRecord, Sku};
use std::collections::HashMap;

/// A reservation row as the placing operation writes it.
pub struct ReservationRow<'a> {
    pub id: &'a ReservationId,
    pub sku: &'a Sku,
    pub quantity: u32,
    pub from_stock: u32,
    pub email: &'a Email,
    pub created_at: &'a str,
    pub idempotency_key: Option<&'a IdempotencyKey>,
    /// What was asked, to spot a reused idempotency key.
    pub request: &'a str,
    /// The 201 body, replayed for the same key.
    pub response: &'a str,
    /// The likely ship date the shopper was told (`None`: nothing waits).
    pub told_ship_date: Option<crate::logic::Date>,
    pub lang: Option<&'a crate::server::domain::Lang>,
}

/// A reservation row a group commit's placement held back, at the `seq`
/// reserved for it ([`ReservationRows::reserve_seqs`]).
#[derive(Debug)]
pub struct HeldReservation {
    pub seq: u64,
    pub id: ReservationId,
    pub sku: Sku,
    pub quantity: u32,
    pub from_stock: u32,
    pub email: Email,
    pub created_at: String,
    pub idempotency_key: Option<IdempotencyKey>,
    pub request: String,
    pub response: String,
    pub told_ship_date: Option<crate::logic::Date>,
    pub lang: Option<crate::server::domain::Lang>,
}

impl HeldReservation {
    /// `row`, held at `seq`.
    pub fn at(seq: u64, row: &ReservationRow<'_>) -> HeldReservation {
        HeldReservation {
            seq,
            id: row.id.clone(),
            sku: row.sku.clone(),
            quantity: row.quantity,
            from_stock: row.from_stock,
            email: row.email.clone(),
            created_at: row.created_at.to_owned(),
            idempotency_key: row.idempotency_key.cloned(),
            request: row.request.to_owned(),
            response: row.response.to_owned(),
            told_ship_date: row.told_ship_date,
            lang: row.lang.cloned(),
        }
    }

    /// The row it holds.
    pub fn row(&self) -> ReservationRow<'_> {
        ReservationRow {
            id: &self.id,
            sku: &self.sku,
            quantity: self.quantity,
            from_stock: self.from_stock,
            email: &self.email,
            created_at: &self.created_at,
            idempotency_key: self.idempotency_key.as_ref(),
            request: &self.request,
            response: &self.response,
            told_ship_date: self.told_ship_date,
            lang: self.lang.as_ref(),
        }
    }
}

#[async_trait::async_trait]
pub trait ReservationRows {
    /// The request fingerprint and response stored for an idempotency key.
    async fn placement_for_key(
        &mut self,
        key: &IdempotencyKey,
    ) -> Result<Option<(String, String)>, StoreFailure>;
    /// [`ReservationRows::placement_for_key`] for several keys: those used,
    /// with what they stored. One question per key unless the store asks
    /// in one statement (PostgreSQL: a round trip each).
    async fn placements_for_keys(
        &mut self,
        keys: &[IdempotencyKey],
    ) -> Result<HashMap<IdempotencyKey, StoredPlacement>, StoreFailure> {
        let mut found = HashMap::new();
        for key in keys {
            if let Some(stored) = self.placement_for_key(key).await? {
                found.insert(key.clone(), stored);
            }
        }
        Ok(found)
    }
    /// [`ReservationRows::placements_for_keys`] and
    /// [`ReservationRows::reserve_seqs`] at once, for a group's first
    /// placement (under the product's lock, as `reserve_seqs` asks):
    /// PostgreSQL asks both in one round trip.
    async fn placements_for_keys_and_seqs(
        &mut self,
        keys: &[IdempotencyKey],
        count: u32,
        after: u64,
    ) -> Result<(HashMap<IdempotencyKey, StoredPlacement>, Vec<u64>), StoreFailure> {
        let found = self.placements_for_keys(keys).await?;
        let seqs = self.reserve_seqs(count, after).await?;
        Ok((found, seqs))
    }
    /// The e-mail address and units still waiting of each reservation of
    /// `sku` that waits (the caller compares addresses, the same way on
    /// both stores: SQL's `lower` differs between them).
    async fn waiting_by_email(&mut self, sku: &Sku) -> Result<Vec<(Email, u32)>, StoreFailure>;
    /// Inserts the reservation; its `seq` (its place in the queue).
    async fn insert_reservation(&mut self, row: &ReservationRow<'_>) -> Result<u64, StoreFailure>;
    /// At least `count` new places in the queue, ascending, for rows
    /// inserted later in this transaction (PostgreSQL: whole blocks of 128;
    /// those left unused are gaps). Taken under the product's lock, so per SKU seq
    /// order stays commit order.
    /// (`after`: the last seq reserved and still held, not inserted yet;
    /// every one returned is greater.)
    async fn reserve_seqs(&mut self, count: u32, after: u64) -> Result<Vec<u64>, StoreFailure>;
    /// Inserts the rows at their reserved `seq`s (in one statement where the
    /// database takes it).
    async fn insert_reservations(&mut self, rows: &[HeldReservation]) -> Result<(), StoreFailure>;
    async fn apply_fills(&mut self, fills: &[Fill]) -> Result<(), StoreFailure>;
    async fn mark_cancelled(&mut self, seq: u64, now: &str) -> Result<(), StoreFailure>;
    async fn record(
        &mut self,
        id: &ReservationId,
    ) -> Result<Option<ReservationRecord>, StoreFailure>;
    async fn record_by_seq(&mut self, seq: u64) -> Result<ReservationRecord, StoreFailure>;
    async fn records_of(&mut self, sku: &Sku) -> Result<Vec<ReservationRecord>, StoreFailure>;
}

pub(super) const PLACEMENT_FOR_KEY: &str =
    "SELECT request, response FROM reservations WHERE idempotency_key = $1";
/// [`PLACEMENT_FOR_KEY`] for an array of keys (PostgreSQL).
pub(super) const PLACEMENTS_FOR_KEYS: &str = "SELECT idempotency_key, request, response
     FROM reservations WHERE idempotency_key = ANY($1)";
pub(super) const WAITING_BY_EMAIL: &str =
    "SELECT email, quantity - from_stock - filled AS outstanding FROM reservations
     WHERE sku = $1 AND status = 'reserved' AND quantity - from_stock - filled > 0";
pub(super) const INSERT: &str =
    "INSERT INTO reservations (id, sku, quantity, from_stock, filled, email, status,
                               created_at, idempotency_key, request, response,
                               told_ship_date, lang)
     VALUES ($1, $2, $3, $4, 0, $5, 'reserved', $6, $7, $8, $9, $10, $11)
     RETURNING seq";
/// The parameters of one row of [`insert_at_sql`].
pub(super) const INSERT_COLUMNS: usize = 12;
/// Inserts `rows` rows at given `seq`s, 12 parameters each (`overriding`:
/// PostgreSQL's `OVERRIDING SYSTEM VALUE`, for its identity column).
pub(super) fn insert_at_sql(rows: usize, overriding: &str) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let at = |column: usize| format!("${}", row * INSERT_COLUMNS + column);
            format!(
                "({}, {}, {}, {}, {}, 0, {}, 'reserved', {}, {}, {}, {}, {}, {})",
                at(1),
                at(2),
                at(3),
                at(4),
                at(5),
                at(6),
                at(7),
                at(8),
                at(9),
                at(10),
                at(11),
                at(12)
            )
        })
        .collect();
    format!(
        "INSERT INTO reservations (seq, id, sku, quantity, from_stock, filled, email, status,
                                   created_at, idempotency_key, request, response,
                                   told_ship_date, lang) {overriding}
         VALUES {}",
        values.join(", ")
    )
}
pub(super) const FILL: &str = "UPDATE reservations SET filled = filled + $1 WHERE seq = $2";
/// After fills or a cancellation: the queue of the reservation's product
/// changed other than at its end (`products.queue_epoch`).
pub(super) const QUEUE_REWRITTEN: &str = "UPDATE products SET queue_epoch = queue_epoch + 1
     WHERE sku = (SELECT sku FROM reservations WHERE seq = $1)";
pub(super) const CANCEL: &str =
    "UPDATE reservations SET status = 'cancelled', cancelled_at = $1 WHERE seq = $2";
/// The record's columns, read by name on both stores.
macro_rules! records {
    ($filter:literal) => {
        concat!(
            "SELECT seq, id, sku, quantity, from_stock, filled, email,
                    status = 'cancelled' AS cancelled, created_at, lang FROM reservations",
            $filter
        )
    };
}
pub(super) const BY_ID: &str = records!(" WHERE id = $1");
pub(super) const BY_SEQ: &str = records!(" WHERE seq = $1");
pub(super) const OF_PRODUCT: &str = records!(" WHERE sku = $1 ORDER BY seq");
