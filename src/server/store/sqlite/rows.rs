//! Products, reservations and subscriptions on SQLite. The methods are
//! synchronous inside: SQLite calls complete in place.

use super::SqliteTx;
use crate::logic::Fill;
use crate::server::domain::{
    Email, IdempotencyKey, Product, ProductSettings, PurchaseOrderLine, ReorderMark, ReservationId,
    ReservationRecord, Sku, Subscription, SubscriptionToken,
};
use crate::server::store::columns;
use crate::server::store::products::{
    self, QueueRead, SettingsWrite, encode_incoming, policy_name, supplied_by,
};
use crate::server::store::{
    HeldReservation, ProductRows, ReservationRow, ReservationRows, StoreFailure, StoredPlacement,
    SubscriptionRows, SupplierRows, reservations, subscriptions,
};
use anyhow::Context;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};
use std::collections::HashMap;

/// The stored placements of a JSON array of keys: each key a seek in the
/// keys' index (`CROSS JOIN` keeps the array the outer loop).
const PLACEMENTS_FOR_KEYS: &str = "SELECT r.idempotency_key, r.request, r.response
     FROM json_each(?1) AS k CROSS JOIN reservations AS r ON r.idempotency_key = k.value";

#[async_trait::async_trait]
impl ProductRows for SqliteTx<'_> {
    async fn product(&mut self, sku: &Sku) -> Result<Option<Product>, StoreFailure> {
        if let Some(product) = self.notes.take_primed(sku) {
            return Ok(Some(product));
        }
        let Some(mut product) = self.first(products::PRODUCT, [sku.as_str()], |row| {
            columns::product(sku, row)
        })?
        else {
            return Ok(None);
        };
        let copy = self.notes.committed.copy(sku);
        product.inventory.queue = match QueueRead::of(&product, copy.as_deref()) {
            QueueRead::Copy(queue) => queue,
            QueueRead::After(mut queue, last) => {
                queue.extend(self.all(
                    products::QUEUE_AFTER,
                    params![sku.as_str(), last],
                    columns::queue_entry,
                )?);
                queue
            }
            QueueRead::All => self.all(products::QUEUE, [sku.as_str()], columns::queue_entry)?,
        };
        if cfg!(debug_assertions) && copy.is_some() {
            let read = self.all(products::QUEUE, [sku.as_str()], columns::queue_entry)?;
            assert_eq!(
                product.inventory.queue, read,
                "the queue from a copy of {sku}"
            );
        }
        if let Some(id) = product.supplier.clone()
            && let Some(supplier) = self.supplier(&id).await?
        {
            supplied_by(&mut product, &supplier);
        }
        Ok(Some(product))
    }

    async fn write_settings(
        &mut self,
        sku: &Sku,
        settings: &ProductSettings,
        orders: &[PurchaseOrderLine],
        mode: SettingsWrite,
    ) -> Result<bool, StoreFailure> {
        let written = self
            .connection
            .prepare_cached(&mode.sql())?
            .execute(params![
                sku.as_str(),
                settings.name,
                settings.stock,
                settings.safety_stock,
                settings.low_stock_threshold,
                policy_name(settings.backorders),
                settings.backorder_limit,
                settings.lead_time_days,
                encode_incoming(orders)?,
                settings.max_per_customer,
                settings.supplier.as_ref().map(|supplier| supplier.as_str()),
                settings.service_level.value(),
            ])?;
        Ok(written > 0)
    }

    async fn write_inventory(
        &mut self,
        sku: &Sku,
        stock: u32,
        orders: &[PurchaseOrderLine],
        writes: u32,
    ) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(products::WRITE_INVENTORY)?
            .execute(params![
                stock,
                encode_incoming(orders)?,
                writes,
                sku.as_str()
            ])?;
        Ok(())
    }

    async fn product_count(&mut self) -> Result<u64, StoreFailure> {
        Ok(self
            .connection
            .query_row(products::COUNT, [], |row| row.get("products"))?)
    }

    async fn all_products(&mut self) -> Result<Vec<Product>, StoreFailure> {
        let found = self.all(products::ALL_PRODUCTS, [], columns::product_with_sku)?;
        let queues = self.all(products::ALL_QUEUES, [], columns::sku_queue_entry)?;
        let suppliers = self.suppliers().await?;
        Ok(products::assemble(found, queues, &suppliers))
    }

    async fn set_reorder_mark(&mut self, sku: &Sku, mark: ReorderMark) -> Result<(), StoreFailure> {
        let (day, point) = match mark.point {
            Some((day, point)) => (Some(day.to_iso()), Some(point)),
            None => (None, None),
        };
        self.connection
            .prepare_cached(products::SET_REORDER_MARK)?
            .execute(rusqlite::params![mark.below, point, day, sku.as_str()])?;
        Ok(())
    }

    async fn forget_reorder_points(&mut self, skus: &[Sku]) -> Result<(), StoreFailure> {
        let mut forget = self
            .connection
            .prepare_cached(products::FORGET_REORDER_POINT)?;
        for sku in skus {
            forget.execute([sku.as_str()])?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ReservationRows for SqliteTx<'_> {
    async fn placement_for_key(
        &mut self,
        key: &IdempotencyKey,
    ) -> Result<Option<(String, String)>, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(reservations::PLACEMENT_FOR_KEY)?
            .query_row([key.as_str()], |row| {
                Ok((row.get("request")?, row.get("response")?))
            })
            .optional()?)
    }

    async fn placements_for_keys(
        &mut self,
        keys: &[IdempotencyKey],
    ) -> Result<HashMap<IdempotencyKey, StoredPlacement>, StoreFailure> {
        // One statement for a group's keys: one per key was 7 % of the
        // writer's time in a keyed drop.
        let texts: Vec<&str> = keys.iter().map(IdempotencyKey::as_str).collect();
        let texts = serde_json::to_string(&texts).context("the keys as JSON")?;
        let mut statement = self.connection.prepare_cached(PLACEMENTS_FOR_KEYS)?;
        let mut rows = statement.query([texts])?;
        let mut found = HashMap::new();
        while let Some(row) = rows.next()? {
            let key: String = row.get("idempotency_key")?;
            // Stored from a parsed key: it parses.
            let key = IdempotencyKey::parse(&key)
                .map_err(|error| anyhow::anyhow!("a stored idempotency key: {error:?}"))?;
            found.insert(key, (row.get("request")?, row.get("response")?));
        }
        Ok(found)
    }

    async fn waiting_by_email(&mut self, sku: &Sku) -> Result<Vec<(Email, u32)>, StoreFailure> {
        self.all(
            reservations::WAITING_BY_EMAIL,
            [sku.as_str()],
            columns::waiting,
        )
    }

    async fn insert_reservation(&mut self, row: &ReservationRow<'_>) -> Result<u64, StoreFailure> {
        let seq: i64 = self
            .connection
            .prepare_cached(reservations::INSERT)?
            .query_row(params_from_iter(values(None, row)), |inserted| {
                inserted.get("seq")
            })?;
        Ok(seq as u64)
    }

    async fn reserve_seqs(&mut self, count: u32, after: u64) -> Result<Vec<u64>, StoreFailure> {
        // The one writer: the next seqs are the ones after the highest
        // ever given (AUTOINCREMENT never gives one twice) and held.
        let last: i64 = self
            .connection
            .prepare_cached(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'reservations'), 0),
                            COALESCE((SELECT MAX(seq) FROM reservations), 0)) AS last",
            )?
            .query_row([], |row| row.get("last"))?;
        let first = (last as u64).max(after) + 1;
        Ok((first..first + u64::from(count)).collect())
    }

    async fn insert_reservations(&mut self, rows: &[HeldReservation]) -> Result<(), StoreFailure> {
        let mut insert = self
            .connection
            .prepare_cached(&reservations::insert_at_sql(1, ""))?;
        for held in rows {
            insert.execute(params_from_iter(values(Some(held.seq), &held.row())))?;
        }
        Ok(())
    }

    async fn apply_fills(&mut self, fills: &[Fill]) -> Result<(), StoreFailure> {
        let mut update = self.connection.prepare_cached(reservations::FILL)?;
        for fill in fills {
            update.execute(params![fill.units, fill.reservation])?;
        }
        if let Some(fill) = fills.first() {
            self.connection
                .prepare_cached(reservations::QUEUE_REWRITTEN)?
                .execute([fill.reservation])?;
        }
        Ok(())
    }

    async fn mark_cancelled(&mut self, seq: u64, now: &str) -> Result<(), StoreFailure> {
        self.connection
            .prepare_cached(reservations::CANCEL)?
            .execute(params![now, seq])?;
        self.connection
            .prepare_cached(reservations::QUEUE_REWRITTEN)?
            .execute([seq])?;
        Ok(())
    }

    async fn record(
        &mut self,
        id: &ReservationId,
    ) -> Result<Option<ReservationRecord>, StoreFailure> {
        self.first(reservations::BY_ID, [id.as_str()], columns::record)
    }

    async fn record_by_seq(&mut self, seq: u64) -> Result<ReservationRecord, StoreFailure> {
        Ok(self
            .first(reservations::BY_SEQ, [seq], columns::record)?
            .context("a queued reservation is missing")?)
    }

    async fn records_of(&mut self, sku: &Sku) -> Result<Vec<ReservationRecord>, StoreFailure> {
        self.all(reservations::OF_PRODUCT, [sku.as_str()], columns::record)
    }
}

#[async_trait::async_trait]
impl SubscriptionRows for SqliteTx<'_> {
    async fn subscription(
        &mut self,
        sku: &Sku,
        email_folded: &str,
    ) -> Result<Option<Subscription>, StoreFailure> {
        self.first(
            subscriptions::BY_EMAIL,
            [sku.as_str(), email_folded],
            columns::subscription,
        )
    }

    async fn insert_subscription(
        &mut self,
        subscription: &Subscription,
        email_folded: &str,
    ) -> Result<(), StoreFailure> {
        self.connection.execute(
            subscriptions::INSERT,
            params![
                subscription.token.as_str(),
                subscription.sku.as_str(),
                subscription.email.as_str(),
                email_folded,
                subscription.lang.as_ref().map(|lang| lang.as_str()),
                subscription.confirmed,
                subscription.created_at
            ],
        )?;
        Ok(())
    }

    async fn subscription_by_token(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<Option<Subscription>, StoreFailure> {
        self.first(
            subscriptions::BY_TOKEN,
            [token.as_str()],
            columns::subscription,
        )
    }

    async fn confirm_subscription(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<bool, StoreFailure> {
        Ok(self
            .connection
            .execute(subscriptions::CONFIRM, [token.as_str()])?
            > 0)
    }

    async fn confirmed_subscriptions_of(
        &mut self,
        sku: &Sku,
    ) -> Result<Vec<Subscription>, StoreFailure> {
        self.all(
            subscriptions::OF_PRODUCT,
            [sku.as_str()],
            columns::subscription,
        )
    }

    async fn delete_confirmed_subscriptions_of(&mut self, sku: &Sku) -> Result<(), StoreFailure> {
        self.connection
            .execute(subscriptions::DELETE_OF_PRODUCT, [sku.as_str()])?;
        Ok(())
    }

    async fn delete_subscription(
        &mut self,
        token: &SubscriptionToken,
    ) -> Result<bool, StoreFailure> {
        Ok(self
            .connection
            .execute(subscriptions::DELETE, [token.as_str()])?
            > 0)
    }

    async fn subscription_count(&mut self, sku: &Sku) -> Result<u64, StoreFailure> {
        Ok(self
            .connection
            .prepare_cached(subscriptions::COUNT)?
            .query_row([sku.as_str()], |row| row.get("subscribers"))?)
    }
}

/// A reservation row's parameters, in the order of `reservations::INSERT`
/// (after its `seq` when it has one: `insert_at_sql`).
fn values(seq: Option<u64>, row: &ReservationRow<'_>) -> Vec<Value> {
    let text = |text: &str| Value::Text(text.to_owned());
    let optional = |text: Option<String>| text.map_or(Value::Null, Value::Text);
    let mut values = Vec::with_capacity(12);
    values.extend(seq.map(|seq| Value::Integer(seq as i64)));
    values.extend([
        text(row.id.as_str()),
        text(row.sku.as_str()),
        Value::Integer(i64::from(row.quantity)),
        Value::Integer(i64::from(row.from_stock)),
        text(row.email.as_str()),
        text(row.created_at),
        optional(row.idempotency_key.map(|key| key.as_str().to_owned())),
        text(row.request),
        text(row.response),
        optional(row.told_ship_date.map(crate::logic::Date::to_iso)),
        optional(row.lang.map(|lang| lang.as_str().to_owned())),
    ]);
    values
}
