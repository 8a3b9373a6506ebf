//! A product's read on PostgreSQL: its row (locked in a write), its queue
//! and its supplier; a write's first read also brings which events the
//! webhook endpoints take.

use super::suppliers::load_supplier;
use crate::logic::QueueEntry;
use crate::server::domain::{EventType, Product, Sku};
use crate::server::store::products::{self, QueueRead, supplied_by};
use crate::server::store::{StoreFailure, columns, endpoints};
use sqlx::Row;
use sqlx::postgres::PgConnection;
use std::sync::LazyLock;

pub(super) async fn load_product(
    connection: &mut PgConnection,
    sku: &Sku,
    for_update: bool,
    copy: Option<&Product>,
) -> Result<Option<Product>, StoreFailure> {
    load_product_with(connection, sku, for_update, copy, None).await
}

/// [`products::PRODUCT`], its row locked.
static LOCKED: LazyLock<String> = LazyLock::new(|| format!("{} FOR UPDATE", products::PRODUCT));
/// [`products::PRODUCT`] and the endpoints' events (`endpoint_events`).
static WITH_ENDPOINTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT p.*, {} FROM ({}) p",
        endpoints::ENABLED_ENDPOINT_EVENTS_COLUMN,
        products::PRODUCT
    )
});
/// [`WITH_ENDPOINTS`], its row locked.
static LOCKED_WITH_ENDPOINTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT p.*, {} FROM ({} FOR UPDATE) p",
        endpoints::ENABLED_ENDPOINT_EVENTS_COLUMN,
        products::PRODUCT
    )
});

/// What a write's events ask: which events each enabled endpoint takes.
pub(super) type EndpointEvents = Vec<Option<Vec<EventType>>>;

/// [`load_product`]; with `endpoints` (for a write's first read), the
/// statement also reads which events the webhook endpoints take, which the
/// write's events ask next: one round trip instead of two. Its snapshot is
/// the statement's, from before the lock's wait, as a read of them just
/// before the lock would be.
pub(super) async fn load_product_with(
    connection: &mut PgConnection,
    sku: &Sku,
    for_update: bool,
    copy: Option<&Product>,
    endpoints: Option<&mut Option<EndpointEvents>>,
) -> Result<Option<Product>, StoreFailure> {
    let sql = match (for_update, endpoints.is_some()) {
        (false, false) => products::PRODUCT,
        (true, false) => LOCKED.as_str(),
        (false, true) => WITH_ENDPOINTS.as_str(),
        (true, true) => LOCKED_WITH_ENDPOINTS.as_str(),
    };
    let Some(row) = sqlx::query(sql)
        .bind(sku.as_str())
        .fetch_optional(&mut *connection)
        .await?
    else {
        return Ok(None);
    };
    if let Some(endpoints) = endpoints {
        let events: Option<Vec<String>> = row.try_get("endpoint_events")?;
        *endpoints = Some(
            events
                .unwrap_or_default()
                .iter()
                .map(|events| endpoints::decode_events(events))
                .collect(),
        );
    }
    let mut product = columns::product(sku, &row)?;
    // A second statement on purpose (see `products::QUEUE`).
    product.inventory.queue = match QueueRead::of(&product, copy) {
        QueueRead::Copy(queue) => queue,
        QueueRead::After(mut queue, last) => {
            queue.extend(queue_after(connection, sku, last).await?);
            queue
        }
        QueueRead::All => queue_after(connection, sku, 0).await?,
    };
    if cfg!(debug_assertions) && copy.is_some() {
        let read = queue_after(connection, sku, 0).await?;
        assert_eq!(
            product.inventory.queue, read,
            "the queue from a copy of {sku}"
        );
    }
    if let Some(id) = product.supplier.clone()
        && let Some(supplier) = load_supplier(connection, &id).await?
    {
        supplied_by(&mut product, &supplier);
    }
    Ok(Some(product))
}

/// The product's queue after `seq` (all of it: 0).
async fn queue_after(
    connection: &mut PgConnection,
    sku: &Sku,
    seq: u64,
) -> Result<Vec<QueueEntry>, StoreFailure> {
    let rows = if seq == 0 {
        sqlx::query(products::QUEUE).bind(sku.as_str())
    } else {
        sqlx::query(products::QUEUE_AFTER)
            .bind(sku.as_str())
            .bind(seq as i64)
    }
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| columns::queue_entry(row))
        .collect::<Result<_, _>>()
}
