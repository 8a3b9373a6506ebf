//! Writes a group commit's placements hold back.
//!
//! Each placement of a drop updates its product's row and adds to the
//! day's demand. In a group, one after the other in one transaction, that
//! is one new version of each row per placement: on PostgreSQL every later
//! statement that reaches the row walks past the versions before it (and
//! the foreign-key check of each new reservation locks a row a savepoint
//! just updated), so a group's cost grew with the square of its size. A
//! placement in a group therefore holds these two writes back; the group
//! writes each product once (its version counting every placement) and
//! each day's demand once.
//!
//! Held writes are safe only while nothing reads those rows from the
//! database: the next placement reads its product from the primed copy
//! (`TxNotes::primed`) and a placement's read-back is the state it wrote
//! (`TxNotes::left`). So the group (`group.rs`) lets only placements hold
//! back, and writes what is held before any other request runs, as soon
//! as a held product is no longer primed (a refused request took its
//! copy, an idempotency replay read it), and before the commit.

use crate::logic::Date;
use crate::server::domain::{Email, IdempotencyKey, Product, PurchaseOrderLine, Sku};
use crate::server::store::{
    HeldBack, HeldDemand, HeldInventory, HeldReservation, HeldWrites, ReservationRow, StoreFailure,
    Tx, TxNotes,
};

/// Holds the inventory write back if the request may; `false`: write it now.
pub(super) fn hold_inventory(
    tx: &mut dyn Tx,
    sku: &Sku,
    stock: u32,
    orders: &[PurchaseOrderLine],
) -> bool {
    let held = &mut tx.notes().held_back;
    let allowed = held.allowed();
    if allowed {
        held.inventories.push(HeldInventory {
            sku: sku.clone(),
            stock,
            orders: orders.to_vec(),
        });
    }
    allowed
}

/// Adds demand, or holds it back if the request may.
pub(super) async fn add_demand(
    tx: &mut dyn Tx,
    sku: &Sku,
    day: Date,
    units: u32,
    backordered: u32,
) -> Result<(), StoreFailure> {
    let held = &mut tx.notes().held_back;
    if !held.allowed() {
        return tx.add_demand(sku, day, units, backordered).await;
    }
    held.demand.push(HeldDemand {
        sku: sku.clone(),
        day,
        units,
        backordered,
    });
    Ok(())
}

/// Inserts the reservation, or holds the insert back if the request may
/// (at a `seq` reserved now, under the product's lock); its `seq`.
pub(super) async fn insert_reservation(
    tx: &mut dyn Tx,
    row: &ReservationRow<'_>,
) -> Result<u64, StoreFailure> {
    let held = &mut tx.notes().held_back;
    if !(held.allowed() && held.inserts) {
        if let Some(key) = row.idempotency_key {
            tx.notes().keys.inserted(key);
        }
        return tx.insert_reservation(row).await;
    }
    if let Some((wanted, after)) = seqs_to_reserve(held) {
        let seqs = tx.reserve_seqs(wanted, after).await?;
        tx.notes().held_back.seqs.extend(seqs);
    }
    let held = &mut tx.notes().held_back;
    let seq = held
        .seqs
        .pop_front()
        .ok_or_else(|| StoreFailure::fault(anyhow::anyhow!("no reserved seq")))?;
    held.reservations.push(HeldReservation::at(seq, row));
    Ok(seq)
}

/// How many seqs to reserve for held inserts, and the last one held: none
/// while reserved ones are left.
fn seqs_to_reserve(held: &HeldBack) -> Option<(u32, u64)> {
    // None left: more requests than the group had when it reserved (they
    // joined it). Past those held, which a store counting from its highest
    // row (SQLite) does not see yet.
    held.seqs.is_empty().then(|| {
        let after = held.reservations.last().map_or(0, |row| row.seq);
        (held.seqs_wanted.max(1), after)
    })
}

/// The request fingerprint and response stored for an idempotency key,
/// held back or in the database. `locked`: the placement's product was
/// found, so its row is locked (PostgreSQL) and the group's seqs may be
/// reserved with the lookup; a product that does not exist locks nothing.
pub(super) async fn placement_for_key(
    tx: &mut dyn Tx,
    key: &IdempotencyKey,
    locked: bool,
) -> Result<Option<(String, String)>, StoreFailure> {
    let held = tx
        .notes()
        .held_back
        .reservations
        .iter()
        .find(|row| row.idempotency_key.as_ref() == Some(key));
    if let Some(row) = held {
        return Ok(Some((row.request.clone(), row.response.clone())));
    }
    if let Some(known) = tx.notes().keys.known(key) {
        return Ok(known);
    }
    // With the keys of the group's requests after this one: one question.
    let keys = tx.notes().keys.to_look_up(key);
    if keys.len() == 1 {
        // Alone (a quiet server): the statement prepared for one key.
        return tx.placement_for_key(key).await;
    }
    // The group's first placement reserves its seqs in the same round trip
    // (it holds the product's lock already, as `reserve_seqs` asks).
    let held = &mut tx.notes().held_back;
    let found = match (locked && held.inserts && held.allowed())
        .then(|| seqs_to_reserve(held))
        .flatten()
    {
        Some((wanted, after)) => {
            let (found, seqs) = tx
                .placements_for_keys_and_seqs(&keys, wanted, after)
                .await?;
            tx.notes().held_back.seqs.extend(seqs);
            found
        }
        None => tx.placements_for_keys(&keys).await?,
    };
    let stored = found.get(key).cloned();
    tx.notes().keys.looked_up(keys, found);
    Ok(stored)
}

/// Each waiting reservation's address and units waiting, held back or in
/// the database.
pub(super) async fn waiting_by_email(
    tx: &mut dyn Tx,
    sku: &Sku,
) -> Result<Vec<(Email, u32)>, StoreFailure> {
    let mut waiting = tx.waiting_by_email(sku).await?;
    let held = &tx.notes().held_back.reservations;
    waiting.extend(
        held.iter()
            .filter(|row| row.sku == *sku && row.quantity > row.from_stock)
            .map(|row| (row.email.clone(), row.quantity - row.from_stock)),
    );
    Ok(waiting)
}

/// Holds `sku`'s product write back: its database row is not its state.
pub(super) fn holds(notes: &TxNotes, sku: &Sku) -> bool {
    notes
        .held_back
        .inventories
        .iter()
        .any(|held| held.sku == *sku)
}

/// How much was held before a request: a request undone takes its own
/// held writes with it.
pub(super) struct Mark {
    inventories: usize,
    demand: usize,
    reservations: usize,
}

pub(super) fn mark(notes: &TxNotes) -> Mark {
    Mark {
        inventories: notes.held_back.inventories.len(),
        demand: notes.held_back.demand.len(),
        reservations: notes.held_back.reservations.len(),
    }
}

pub(super) fn undo_to(notes: &mut TxNotes, mark: Mark) {
    notes.held_back.inventories.truncate(mark.inventories);
    notes.held_back.demand.truncate(mark.demand);
    notes.held_back.reservations.truncate(mark.reservations);
}

/// Is something held?
pub(super) fn any(notes: &TxNotes) -> bool {
    let held = &notes.held_back;
    !held.inventories.is_empty() || !held.demand.is_empty() || !held.reservations.is_empty()
}

/// Must what is held be written before the next placement reads? (A held
/// product has no primed copy: the next read would ask the database.)
pub(super) fn unprimed(notes: &TxNotes) -> bool {
    notes
        .held_back
        .inventories
        .iter()
        .any(|held| !notes.primed.iter().any(|product| product.sku == held.sku))
}

/// Writes what is held: the reservations, each product's last stock and supply, its version
/// counting every write held, and each product's day of demand summed.
/// Debug builds then read each product back and check it against `latest`
/// (the state the last request that wrote it read back).
pub(super) async fn write(tx: &mut dyn Tx, latest: &[Product]) -> Result<(), StoreFailure> {
    let reservations = std::mem::take(&mut tx.notes().held_back.reservations);
    let inventories = std::mem::take(&mut tx.notes().held_back.inventories);
    let demand = std::mem::take(&mut tx.notes().held_back.demand);
    let mut inventories_once: Vec<(&HeldInventory, u32)> = Vec::new();
    for held in &inventories {
        match inventories_once
            .iter_mut()
            .find(|(seen, _)| seen.sku == held.sku)
        {
            Some(entry) => *entry = (held, entry.1 + 1),
            None => inventories_once.push((held, 1)),
        }
    }
    let mut days: Vec<HeldDemand> = Vec::new();
    for held in demand {
        match days
            .iter_mut()
            .find(|day| day.sku == held.sku && day.day == held.day)
        {
            Some(day) => {
                day.units += held.units;
                day.backordered += held.backordered;
            }
            None => days.push(held),
        }
    }
    let writes = HeldWrites {
        reservations: &reservations,
        inventories: inventories_once,
        demand: days,
    };
    tx.write_held(&writes).await?;
    // Their keys are in the database now: what a lookup found before (that
    // they were unused) is stale, and the held rows that answered for them
    // are gone. A request after this one with such a key (the same request
    // sent twice) must ask the database, and replay.
    for key in reservations
        .iter()
        .filter_map(|row| row.idempotency_key.as_ref())
    {
        tx.notes().keys.inserted(key);
    }
    let last = writes.inventories;
    if cfg!(debug_assertions) {
        // Read from the database, not the primed copies (kept for the next request).
        let primed = std::mem::take(&mut tx.notes().primed);
        for (held, _) in &last {
            let stored = tx.product(&held.sku).await?;
            let expected = latest.iter().find(|product| product.sku == held.sku);
            assert_eq!(stored.as_ref(), expected, "a held-back product write");
        }
        tx.notes().primed = primed;
    }
    Ok(())
}
