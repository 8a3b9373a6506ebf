//! Products, reservations and subscriptions on PostgreSQL.

use super::PgTx;
use super::product_read::load_product_with;
use crate::logic::Fill;
use crate::server::domain::{
    Email, IdempotencyKey, Product, ProductSettings, PurchaseOrderLine, ReorderMark, ReservationId,
    ReservationRecord, Sku, Subscription, SubscriptionToken,
};
use crate::server::store::columns;
use crate::server::store::products::{self, SettingsWrite, encode_incoming, policy_name};
use crate::server::store::{
    HeldReservation, ProductRows, ReservationRow, ReservationRows, StoreFailure, StoredPlacement,
    SubscriptionRows, reservations, subscriptions,
};
use sqlx::Row;
use std::collections::HashMap;

#[async_trait::async_trait]
impl ProductRows for PgTx {
    async fn product(&mut self, sku: &Sku) -> Result<Option<Product>, StoreFailure> {
        if self.write
            && let Some(product) = self.notes.take_primed(sku)
        {
            return Ok(Some(product));
        }
        let copy = self.notes.committed.copy(sku);
        // A write's first product read also reads the endpoints its events ask for.
        let endpoints =
            (self.write && self.notes.endpoints.is_none()).then_some(&mut self.notes.endpoints);
        load_product_with(&mut self.tx, sku, self.write, copy.as_deref(), endpoints).await
    }

    async fn write_settings(
        &mut self,
        sku: &Sku,
        settings: &ProductSettings,
        orders: &[PurchaseOrderLine],
        mode: SettingsWrite,
    ) -> Result<bool, StoreFailure> {
        let written = sqlx::query(&mode.sql())
            .bind(sku.as_str())
            .bind(&settings.name)
            .bind(i64::from(settings.stock))
            .bind(i64::from(settings.safety_stock))
            .bind(i64::from(settings.low_stock_threshold))
            .bind(policy_name(settings.backorders))
            .bind(settings.backorder_limit.map(i64::from))
            .bind(i64::from(settings.lead_time_days))
            .bind(encode_incoming(orders)?)
            .bind(settings.max_per_customer.map(i64::from))
            .bind(settings.supplier.as_ref().map(|supplier| supplier.as_str()))
            .bind(settings.service_level.value())
            .execute(&mut *self.tx)
            .await?;
        Ok(written.rows_affected() > 0)
    }

    async fn write_inventory(
        &mut self,
        sku: &Sku,
        stock: u32,
        orders: &[PurchaseOrderLine],
        writes: u32,
    ) -> Result<(), StoreFailure> {
        sqlx::query(products::WRITE_INVENTORY)
            .bind(i64::from(stock))
            .bind(encode_incoming(orders)?)
            .bind(i64::from(writes))
            .bind(sku.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn product_count(&mut self) -> Result<u64, StoreFailure> {
        let row = sqlx::query(products::COUNT)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get::<i64, _>("products")? as u64)
    }

    async fn all_products(&mut self) -> Result<Vec<Product>, StoreFailure> {
        let rows = sqlx::query(products::ALL_PRODUCTS)
            .fetch_all(&mut *self.tx)
            .await?;
        let found = rows
            .iter()
            .map(|row| columns::product_with_sku(row))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = sqlx::query(products::ALL_QUEUES)
            .fetch_all(&mut *self.tx)
            .await?;
        let queues = rows
            .iter()
            .map(|row| columns::sku_queue_entry(row))
            .collect::<Result<Vec<_>, _>>()?;
        let suppliers = crate::server::store::SupplierRows::suppliers(self).await?;
        Ok(products::assemble(found, queues, &suppliers))
    }

    async fn set_reorder_mark(&mut self, sku: &Sku, mark: ReorderMark) -> Result<(), StoreFailure> {
        let (day, point) = match mark.point {
            Some((day, point)) => (Some(day.to_iso()), Some(i64::from(point))),
            None => (None, None),
        };
        sqlx::query(products::SET_REORDER_MARK)
            .bind(mark.below)
            .bind(point)
            .bind(day)
            .bind(sku.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn forget_reorder_points(&mut self, skus: &[Sku]) -> Result<(), StoreFailure> {
        for sku in skus {
            sqlx::query(products::FORGET_REORDER_POINT)
                .bind(sku.as_str())
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ReservationRows for PgTx {
    async fn placement_for_key(
        &mut self,
        key: &IdempotencyKey,
    ) -> Result<Option<(String, String)>, StoreFailure> {
        let row = sqlx::query(reservations::PLACEMENT_FOR_KEY)
            .bind(key.as_str())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|row| Ok((row.try_get("request")?, row.try_get("response")?)))
            .transpose()
    }

    async fn placements_for_keys(
        &mut self,
        keys: &[IdempotencyKey],
    ) -> Result<HashMap<IdempotencyKey, StoredPlacement>, StoreFailure> {
        let texts: Vec<&str> = keys.iter().map(IdempotencyKey::as_str).collect();
        // Planned each time with its keys (not prepared once): a plan kept
        // from when the table was small scans it, and in a drop the table
        // grows by thousands of rows a second before statistics catch up
        // (BENCHMARKS.md §13, sixth round: 2 ms a lookup instead of 0.2).
        let rows = sqlx::query(reservations::PLACEMENTS_FOR_KEYS)
            .persistent(false)
            .bind(texts)
            .fetch_all(&mut *self.tx)
            .await?;
        let mut found = HashMap::new();
        for row in rows {
            found_placement(&mut found, &row)?;
        }
        Ok(found)
    }

    async fn placements_for_keys_and_seqs(
        &mut self,
        keys: &[IdempotencyKey],
        count: u32,
        _after: u64,
    ) -> Result<(HashMap<IdempotencyKey, StoredPlacement>, Vec<u64>), StoreFailure> {
        let texts: Vec<&str> = keys.iter().map(IdempotencyKey::as_str).collect();
        // Not prepared, as `placements_for_keys`.
        let rows = sqlx::query(&format!(
            "SELECT seq, NULL AS idempotency_key, NULL AS request, NULL AS response
             FROM ({RESERVE_SEQS}) reserved
             UNION ALL
             SELECT NULL, idempotency_key, request, response
             FROM reservations WHERE idempotency_key = ANY($2)"
        ))
        .persistent(false)
        .bind(blocks_for(count))
        .bind(texts)
        .fetch_all(&mut *self.tx)
        .await?;
        let mut found = HashMap::new();
        let mut firsts = Vec::new();
        for row in rows {
            match row.try_get::<Option<i64>, _>("seq")? {
                Some(first) => firsts.push(first as u64),
                None => found_placement(&mut found, &row)?,
            }
        }
        Ok((found, seqs_of_blocks(firsts)))
    }

    async fn waiting_by_email(&mut self, sku: &Sku) -> Result<Vec<(Email, u32)>, StoreFailure> {
        let rows = sqlx::query(reservations::WAITING_BY_EMAIL)
            .bind(sku.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::waiting(row)).collect()
    }

    async fn insert_reservation(&mut self, row: &ReservationRow<'_>) -> Result<u64, StoreFailure> {
        let inserted = sqlx::query(reservations::INSERT)
            .bind(row.id.as_str())
            .bind(row.sku.as_str())
            .bind(i64::from(row.quantity))
            .bind(i64::from(row.from_stock))
            .bind(row.email.as_str())
            .bind(row.created_at)
            .bind(row.idempotency_key.map(IdempotencyKey::as_str))
            .bind(row.request)
            .bind(row.response)
            .bind(row.told_ship_date.map(crate::logic::Date::to_iso))
            .bind(row.lang.map(|lang| lang.as_str()))
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(inserted.try_get::<i64, _>("seq")? as u64)
    }

    async fn reserve_seqs(&mut self, count: u32, _after: u64) -> Result<Vec<u64>, StoreFailure> {
        // A sequence never gives a value twice: all are past `after`.
        let rows = sqlx::query(RESERVE_SEQS)
            .bind(blocks_for(count))
            .fetch_all(&mut *self.tx)
            .await?;
        let firsts = rows
            .iter()
            .map(|row| Ok(row.try_get::<i64, _>("seq")? as u64))
            .collect::<Result<Vec<_>, StoreFailure>>()?;
        Ok(seqs_of_blocks(firsts))
    }

    async fn insert_reservations(&mut self, rows: &[HeldReservation]) -> Result<(), StoreFailure> {
        if rows.is_empty() {
            return Ok(());
        }
        let query = sqlx::query(super::held::INSERT_UNNESTED);
        super::held::bind_reservations(query, rows)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn apply_fills(&mut self, fills: &[Fill]) -> Result<(), StoreFailure> {
        for fill in fills {
            sqlx::query(reservations::FILL)
                .bind(i64::from(fill.units))
                .bind(fill.reservation as i64)
                .execute(&mut *self.tx)
                .await?;
        }
        if let Some(fill) = fills.first() {
            sqlx::query(reservations::QUEUE_REWRITTEN)
                .bind(fill.reservation as i64)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    async fn mark_cancelled(&mut self, seq: u64, now: &str) -> Result<(), StoreFailure> {
        sqlx::query(reservations::CANCEL)
            .bind(now)
            .bind(seq as i64)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(reservations::QUEUE_REWRITTEN)
            .bind(seq as i64)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn record(
        &mut self,
        id: &ReservationId,
    ) -> Result<Option<ReservationRecord>, StoreFailure> {
        let row = sqlx::query(reservations::BY_ID)
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(|row| columns::record(row)).transpose()
    }

    async fn record_by_seq(&mut self, seq: u64) -> Result<ReservationRecord, StoreFailure> {
        let row = sqlx::query(reservations::BY_SEQ)
            .bind(seq as i64)
            .fetch_one(&mut *self.tx)
            .await?;
        columns::record(&row)
    }

    async fn records_of(&mut self, sku: &Sku) -> Result<Vec<ReservationRecord>, StoreFailure> {
        let rows = sqlx::query(reservations::OF_PRODUCT)
            .bind(sku.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::record(row)).collect()
    }
}

#[async_trait::async_trait]
impl SubscriptionRows for PgTx {
    async fn subscription(
        &mut self,
        sku: &Sku,
        email_folded: &str,
    ) -> Result<Option<Subscription>, StoreFailure> {
        let row = sqlx::query(subscriptions::BY_EMAIL)
            .bind(sku.as_str())
            .bind(email_folded)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref()
            .map(|row| columns::subscription(row))
            .transpose()
    }

    async fn insert_subscription(
        &mut self,
        subscription: &Subscription,
        email_folded: &str,
    ) -> Result<(), StoreFailure> {
        sqlx::query(subscriptions::INSERT)
            .bind(subscription.token.as_str())
            .bind(subscription.sku.as_str())
            .bind(subscription.email.as_str())
            .bind(email_folded)
            .bind(subscription.lang.as_ref().map(|lang| lang.as_str()))
            .bind(subscription.confirmed)
            .bind(&subscription.created_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn subscription_by_token(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<Option<Subscription>, StoreFailure> {
        let row = sqlx::query(subscriptions::BY_TOKEN)
            .bind(token.as_str())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref()
            .map(|row| columns::subscription(row))
            .transpose()
    }

    async fn confirm_subscription(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<bool, StoreFailure> {
        let confirmed = sqlx::query(subscriptions::CONFIRM)
            .bind(token.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(confirmed.rows_affected() > 0)
    }

    async fn confirmed_subscriptions_of(
        &mut self,
        sku: &Sku,
    ) -> Result<Vec<Subscription>, StoreFailure> {
        let rows = sqlx::query(subscriptions::OF_PRODUCT)
            .bind(sku.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|row| columns::subscription(row)).collect()
    }

    async fn delete_confirmed_subscriptions_of(&mut self, sku: &Sku) -> Result<(), StoreFailure> {
        sqlx::query(subscriptions::DELETE_OF_PRODUCT)
            .bind(sku.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn subscription_count(&mut self, sku: &Sku) -> Result<u64, StoreFailure> {
        let row = sqlx::query(subscriptions::COUNT)
            .bind(sku.as_str())
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get::<i64, _>("subscribers")? as u64)
    }

    async fn delete_subscription(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<bool, StoreFailure> {
        let deleted = sqlx::query(subscriptions::DELETE)
            .bind(token.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }
}

/// How many seqs one `nextval` of the reservations' identity gives: its
/// increment (migration 0013). A block is `nextval` … `nextval + SEQ_BLOCK - 1`.
const SEQ_BLOCK: u64 = 128;
/// `$1` blocks of seqs: the first seq of each (in no particular order). The
/// sequence is looked up once, not once per block.
const RESERVE_SEQS: &str = "SELECT nextval(sequence) AS seq
     FROM (SELECT pg_get_serial_sequence('reservations', 'seq')::regclass AS sequence) s,
          generate_series(1, $1)";

/// How many blocks hold `count` seqs.
fn blocks_for(count: u32) -> i64 {
    u64::from(count.max(1)).div_ceil(SEQ_BLOCK) as i64
}

/// Every seq of the blocks that begin at `firsts`, ascending.
fn seqs_of_blocks(mut firsts: Vec<u64>) -> Vec<u64> {
    firsts.sort_unstable();
    firsts
        .into_iter()
        .flat_map(|first| first..first + SEQ_BLOCK)
        .collect()
}

/// Notes a stored placement's row (`idempotency_key`, `request`, `response`) in `found`.
fn found_placement(
    found: &mut HashMap<IdempotencyKey, StoredPlacement>,
    row: &sqlx::postgres::PgRow,
) -> Result<(), StoreFailure> {
    let key: String = row.try_get("idempotency_key")?;
    // Stored from a parsed key: it parses.
    let key = IdempotencyKey::parse(&key).map_err(|error| {
        StoreFailure::fault(anyhow::anyhow!("a stored idempotency key: {error:?}"))
    })?;
    found.insert(key, (row.try_get("request")?, row.try_get("response")?));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seqs_come_in_whole_blocks_in_order() {
        assert_eq!(blocks_for(0), 1);
        assert_eq!(blocks_for(128), 1);
        assert_eq!(blocks_for(129), 2);
        let seqs = seqs_of_blocks(vec![257, 1]);
        assert_eq!(seqs.len(), 256);
        assert_eq!(
            (seqs[0], seqs[127], seqs[128], seqs[255]),
            (1, 128, 257, 384)
        );
    }
}
