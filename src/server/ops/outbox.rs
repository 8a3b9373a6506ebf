//! Writes events into the webhook outbox, inside the transaction of the
//! change they report: committed with it, or never written at all.

use super::reference;
use crate::logic::signals;
use crate::server::clock::rfc3339;
use crate::server::domain::{EventType, OutboxEvent, Product, ReservationRecord, Sku};
use crate::server::store::{FailureKind, StoreFailure, Touched, Tx};
use crate::server::webhooks::events::{self, ProductData, ReservationData, SubscriptionData};
use anyhow::Context;

/// Does an enabled endpoint take `kind`? (Asked of the database once per
/// transaction, and a group's requests share one transaction; on
/// PostgreSQL a write's first product read brought the answer along.)
async fn taken(tx: &mut dyn Tx, kind: EventType) -> Result<bool, StoreFailure> {
    let endpoints = match tx.notes().endpoints.take() {
        Some(endpoints) => endpoints,
        None => tx.endpoint_events().await?,
    };
    let taken = endpoints
        .iter()
        .any(|events| events.as_ref().is_none_or(|events| events.contains(&kind)));
    tx.notes().endpoints = Some(endpoints);
    Ok(taken)
}

/// Writes one event (and its deliveries) in this transaction, if an
/// endpoint takes it: an event nobody takes is not kept (an endpoint
/// registered later gets the events written from then on). Returns how
/// many deliveries it made.
pub(super) async fn emit(
    tx: &mut dyn Tx,
    kind: EventType,
    sku: &Sku,
    data: &(impl serde::Serialize + Sync),
) -> Result<u64, StoreFailure> {
    if !taken(tx, kind).await? {
        return Ok(0);
    }
    let created_ms = tx.notes().now_ms;
    let body = events::body(kind, &rfc3339(created_ms.div_euclid(1000)), data)
        .context("encode an event")?;
    let id = reference("msg_")?;
    let seq = tx
        .insert_event(&OutboxEvent {
            id: &id,
            kind,
            sku,
            body: &body,
            created_ms,
        })
        .await?;
    // One pending delivery for each endpoint that takes it, due now.
    let deliveries = tx.fan_out(seq, sku, kind, created_ms).await?;
    tx.notes().deliveries += deliveries;
    Ok(deliveries)
}

pub(super) async fn emit_reservation(
    tx: &mut dyn Tx,
    kind: EventType,
    record: &ReservationRecord,
) -> Result<(), StoreFailure> {
    emit(tx, kind, &record.sku, &ReservationData::of(record)).await?;
    Ok(())
}

/// `reservation.ready` (and its mail) if all the reservation's units are
/// held now.
pub(super) async fn emit_if_ready(
    tx: &mut dyn Tx,
    record: &ReservationRecord,
) -> Result<(), StoreFailure> {
    if record.status() == crate::api::ReservationStatus::Ready {
        emit_reservation(tx, EventType::ReservationReady, record).await?;
        super::mail::ready(tx, record).await?;
    }
    Ok(())
}

/// What the transaction's writes did to each product, as events: back in
/// stock (then every confirmed subscriber is told and unsubscribed), low on stock.
pub(super) async fn report_product_changes(
    tx: &mut dyn Tx,
    touched: &[Touched],
    products: &[Product],
) -> Result<(), StoreFailure> {
    for product in products {
        let before = touched
            .iter()
            .find(|change| change.sku == product.sku)
            .and_then(|change| change.before);
        let said = signals(before, &product.inventory);
        let data = ProductData {
            sku: product.sku.as_str(),
            name: &product.name,
            available: product.inventory.available(),
            stock: product.inventory.stock,
            low_stock_threshold: product.inventory.low_stock_threshold,
        };
        if said.back_in_stock {
            emit(tx, EventType::ProductBackInStock, &product.sku, &data).await?;
        }
        if said.low_stock {
            emit(tx, EventType::ProductLowStock, &product.sku, &data).await?;
        }
        // Subscribers are told (and let go) only if a mailer hears of it
        // (this server's mail, or an endpoint's); otherwise they wait for
        // the next time it comes back.
        let mails = tx.notes().mail;
        if said.back_in_stock && (mails || taken(tx, EventType::SubscriptionNotify).await?) {
            let subscriptions = tx.confirmed_subscriptions_of(&product.sku).await?;
            tx.delete_confirmed_subscriptions_of(&product.sku).await?;
            for subscription in subscriptions {
                let data = SubscriptionData::of(
                    &subscription,
                    &product.name,
                    Some(product.inventory.available()),
                );
                let deliveries =
                    emit(tx, EventType::SubscriptionNotify, &product.sku, &data).await?;
                let available = product.inventory.available();
                super::mail::back_in_stock(tx, &subscription, &product.name, available).await?;
                if deliveries == 0 && !mails {
                    // The endpoint was removed since this transaction looked
                    // (PostgreSQL, READ COMMITTED): run it again rather than
                    // let the subscribers go untold.
                    return Err(StoreFailure {
                        kind: FailureKind::Retry,
                        error: anyhow::anyhow!("the webhook endpoints changed mid-transaction"),
                    });
                }
            }
        }
    }
    Ok(())
}
