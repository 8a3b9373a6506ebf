//! Rows to values, written once: each backend's row reads its columns by
//! name through [`Columns`], and the mappers below build the records.

use super::StoreFailure;
use super::endpoints::{decode_events, disabled};
use super::products::{decode_incoming, policy_from_name};
use crate::logic::{Inventory, QueueEntry};
use crate::server::domain::{
    Attempt, AttemptOutcome, Due, Endpoint, EndpointState, Product, ReservationRecord, Subscription,
};
use anyhow::Context;

/// A row's columns by name. Whole numbers come as `i64` on both stores.
pub(super) trait Columns {
    fn text(&self, name: &str) -> Result<String, StoreFailure>;
    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreFailure>;
    fn int(&self, name: &str) -> Result<i64, StoreFailure>;
    fn optional_int(&self, name: &str) -> Result<Option<i64>, StoreFailure>;
    fn flag(&self, name: &str) -> Result<bool, StoreFailure>;

    /// A count that fits the logic's `u32`.
    fn count(&self, name: &str) -> Result<u32, StoreFailure> {
        let value = self.int(name)?;
        Ok(u32::try_from(value).with_context(|| format!("{name} out of range: {value}"))?)
    }

    fn optional_count(&self, name: &str) -> Result<Option<u32>, StoreFailure> {
        match self.optional_int(name)? {
            None => Ok(None),
            Some(value) => {
                Ok(Some(u32::try_from(value).with_context(|| {
                    format!("{name} out of range: {value}")
                })?))
            }
        }
    }
}

/// A product from its row (`products::PRODUCT`); its queue is read after it.
pub(super) fn product(sku: &str, row: &dyn Columns) -> Result<Product, StoreFailure> {
    Ok(Product {
        sku: sku.to_owned(),
        name: row.text("name")?,
        inventory: Inventory {
            stock: row.count("stock")?,
            safety_stock: row.count("safety_stock")?,
            low_stock_threshold: row.count("low_stock_threshold")?,
            backorders: policy_from_name(&row.text("backorders")?),
            backorder_limit: row.optional_count("backorder_limit")?,
            lead_time_days: row.count("lead_time_days")?,
            incoming: decode_incoming(&row.text("incoming")?)?,
            queue: Vec::new(),
        },
        max_per_customer: row.optional_count("max_per_customer")?,
        version: row.int("version")? as u64,
    })
}

/// One entry of a product's queue (`products::QUEUE`).
pub(super) fn queue_entry(row: &dyn Columns) -> Result<QueueEntry, StoreFailure> {
    Ok(QueueEntry {
        reservation: row.int("seq")? as u64,
        outstanding: row.count("outstanding")?,
    })
}

pub(super) fn record(row: &dyn Columns) -> Result<ReservationRecord, StoreFailure> {
    Ok(ReservationRecord {
        seq: row.int("seq")? as u64,
        id: row.text("id")?,
        sku: row.text("sku")?,
        quantity: row.count("quantity")?,
        from_stock: row.count("from_stock")?,
        filled: row.count("filled")?,
        email: row.text("email")?,
        cancelled: row.flag("cancelled")?,
        created_at: row.text("created_at")?,
    })
}

pub(super) fn subscription(row: &dyn Columns) -> Result<Subscription, StoreFailure> {
    Ok(Subscription {
        token: row.text("token")?,
        sku: row.text("sku")?,
        email: row.text("email")?,
        lang: row.optional_text("lang")?,
        created_at: row.text("created_at")?,
    })
}

/// A delivery a claim found, leased until `lease_until_ms`.
pub(super) fn due(row: &dyn Columns, lease_until_ms: i64) -> Result<Due, StoreFailure> {
    Ok(Due {
        endpoint_id: row.text("endpoint_id")?,
        event_seq: row.int("event_seq")?,
        attempts: row.count("attempts")?,
        event_id: row.text("event_id")?,
        body: row.text("body")?,
        created_ms: row.int("created_ms")?,
        url: row.text("url")?,
        secret: row.text("secret")?,
        sku: row.text("sku")?,
        lease_until_ms,
    })
}

pub(super) fn attempt(row: &dyn Columns) -> Result<Attempt, StoreFailure> {
    Ok(Attempt {
        event_id: row.text("event_id")?,
        event_type: row.text("type")?,
        attempt: row.count("attempt")?,
        attempted_ms: row.int("attempted_ms")?,
        status_code: row
            .optional_int("status_code")?
            .and_then(|code| u16::try_from(code).ok()),
        error: row.optional_text("error")?,
        outcome: AttemptOutcome::from_name(&row.text("outcome")?),
        next_retry_ms: row.optional_int("next_retry_ms")?,
    })
}

pub(super) fn endpoint_state(row: &dyn Columns) -> Result<EndpointState, StoreFailure> {
    Ok(EndpointState {
        endpoint: Endpoint {
            id: row.text("id")?,
            url: row.text("url")?,
            events: decode_events(&row.text("events")?),
            secret: row.text("secret")?,
            created_at: row.text("created_at")?,
            disabled: disabled(
                row.optional_text("disabled_at")?,
                row.optional_text("disabled_reason")?,
            ),
        },
        pending: row.int("pending")? as u64,
    })
}
