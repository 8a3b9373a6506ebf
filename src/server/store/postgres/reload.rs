//! The change feed's read of a product another server changed: its row and
//! the part of its queue the feed's copy lacks, in one statement. One
//! statement is one snapshot without a transaction around it: one round
//! trip instead of four (begin, row, queue, commit). In a drop on three
//! servers each server reloads the product after every group the others
//! commit (BENCHMARKS.md §13, fifth round).

use super::product_read::load_product;
use crate::logic::QueueEntry;
use crate::server::domain::{Product, Sku};
use crate::server::store::StoreFailure;
use crate::server::store::columns;
use crate::server::store::products::{PRODUCT, QueueRead};
use sqlx::Row;
use sqlx::postgres::PgConnection;
use std::sync::LazyLock;

/// [`PRODUCT`] with its waiting entries as two arrays (`products::QUEUE`'s
/// condition, which the partial index matches): those after `$2` if the
/// row's `queue_epoch` is `$3` (the copy's), else all of them.
static PRODUCT_AND_QUEUE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT p.*, q.seqs AS queue_seqs, q.outstanding AS queue_outstanding
         FROM ({PRODUCT}) p,
         LATERAL (SELECT array_agg(seq ORDER BY seq) AS seqs,
                         array_agg(quantity - from_stock - filled ORDER BY seq) AS outstanding
                  FROM reservations
                  WHERE sku = $1 AND status = 'reserved' AND quantity - from_stock - filled > 0
                    AND seq > CASE WHEN p.queue_epoch = $3 THEN $2 ELSE 0 END) q"
    )
});

/// [`PRODUCT_AND_QUEUE`]'s text.
pub(in crate::server::store) fn statement() -> &'static str {
    PRODUCT_AND_QUEUE.as_str()
}

/// `sku` as it is now, given the feed's `copy` of it; `None`: no such product.
pub(super) async fn product_for_feed(
    reader: &mut PgConnection,
    sku: &Sku,
    copy: Option<&Product>,
) -> Result<Option<Product>, StoreFailure> {
    let after = copy
        .and_then(|copy| copy.inventory.queue.last())
        .map_or(0, |entry| entry.reservation);
    let copy_epoch = copy.map(|copy| copy.queue_epoch as i64);
    let Some(row) = sqlx::query(&PRODUCT_AND_QUEUE)
        .bind(sku.as_str())
        .bind(after as i64)
        .bind(copy_epoch)
        .fetch_optional(&mut *reader)
        .await?
    else {
        return Ok(None);
    };
    let mut product = columns::product(sku, &row)?;
    let seqs: Option<Vec<i64>> = row.try_get("queue_seqs")?;
    let outstanding: Option<Vec<i64>> = row.try_get("queue_outstanding")?;
    let read: Vec<QueueEntry> = seqs
        .unwrap_or_default()
        .into_iter()
        .zip(outstanding.unwrap_or_default())
        .map(|(seq, outstanding)| QueueEntry {
            reservation: seq as u64,
            outstanding: outstanding as u32,
        })
        .collect();
    let read_after_copy = copy_epoch == Some(product.queue_epoch as i64);
    product.inventory.queue = match QueueRead::of(&product, copy) {
        QueueRead::Copy(queue) => queue,
        QueueRead::After(mut queue, last) if read_after_copy && last == after => {
            queue.extend(read);
            queue
        }
        QueueRead::All if !read_after_copy => read,
        // A copy newer than the row, say: read it as a write would.
        _ => return in_one_snapshot(reader, sku, copy).await,
    };
    // A supplier's lead time and lateness come from another row: the
    // two statements need one snapshot around them.
    if product.supplier.is_some() {
        return in_one_snapshot(reader, sku, copy).await;
    }
    Ok(Some(product))
}

/// The product through `load_product`, in a read-only transaction.
async fn in_one_snapshot(
    reader: &mut PgConnection,
    sku: &Sku,
    copy: Option<&Product>,
) -> Result<Option<Product>, StoreFailure> {
    use sqlx::Connection;
    let mut tx = reader
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let product = load_product(&mut tx, sku, false, copy).await?;
    tx.commit().await?;
    Ok(product)
}
