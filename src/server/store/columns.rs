//! Rows to values, written once: each backend's row reads its columns by
//! name through [`Columns`], and the mappers below build the records. Text
//! that stands for a domain value (a SKU, an address, a reference) becomes
//! that value here; one our own database holds that no longer parses is a
//! fault, never a panic.

use super::StoreFailure;
use super::demand::DayDemand;
use super::endpoints::{decode_events, disabled};
use super::products::{decode_incoming, policy_from_name};
use crate::logic::{Date, Inventory, QueueEntry};
use crate::server::domain::{
    Actor, Attempt, AttemptOutcome, AuditEntry, AuditOperation, Audited, DelayMark, Due, Email,
    Endpoint, EndpointId, EndpointState, Lang, Product, PurchaseOrderLine, ReorderMark,
    ReservationId, ReservationRecord, ServiceLevel, Sku, Subscription, SubscriptionToken, Supplier,
    SupplierId, SupplierSettings,
};
use anyhow::Context;

/// A row's columns by name. Whole numbers come as `i64` on both stores.
pub(super) trait Columns {
    fn text(&self, name: &str) -> Result<String, StoreFailure>;
    fn optional_text(&self, name: &str) -> Result<Option<String>, StoreFailure>;
    fn int(&self, name: &str) -> Result<i64, StoreFailure>;
    fn optional_int(&self, name: &str) -> Result<Option<i64>, StoreFailure>;
    fn flag(&self, name: &str) -> Result<bool, StoreFailure>;
    fn real(&self, name: &str) -> Result<f64, StoreFailure>;

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

/// A column's text as the domain value `parse` makes of it; `what` names
/// that value in the fault (the text itself is not logged: it may be an
/// address).
fn parsed<T>(
    row: &dyn Columns,
    name: &str,
    what: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreFailure> {
    let text = row.text(name)?;
    parse(&text).ok_or_else(|| not_parsed(name, what))
}

fn not_parsed(name: &str, what: &str) -> StoreFailure {
    StoreFailure::fault(anyhow::anyhow!(
        "the stored column {name} no longer parses as {what}"
    ))
}

fn sku(row: &dyn Columns, name: &str) -> Result<Sku, StoreFailure> {
    parsed(row, name, "a SKU", |text| Sku::parse(text).ok())
}

fn email(row: &dyn Columns, name: &str) -> Result<Email, StoreFailure> {
    parsed(row, name, "an e-mail address", |text| {
        Email::parse(text).ok()
    })
}

/// The supplier a product's row names (its `supplier` column).
pub(super) fn product_supplier(row: &dyn Columns) -> Result<Option<SupplierId>, StoreFailure> {
    match row.optional_text("supplier")? {
        None => Ok(None),
        Some(text) => SupplierId::parse(&text, "supplier")
            .map(Some)
            .map_err(|_| not_parsed("supplier", "a supplier id")),
    }
}

/// A product from its row (`products::PRODUCT`); its queue is read after it.
/// Its supply is its own until [`super::products::supplied_by`] its supplier.
pub(super) fn product(sku: &Sku, row: &dyn Columns) -> Result<Product, StoreFailure> {
    let orders = decode_incoming(&row.text("incoming")?)?;
    let lead_time_days = row.count("lead_time_days")?;
    let supplier = product_supplier(row)?;
    Ok(Product {
        sku: sku.clone(),
        name: row.text("name")?,
        inventory: Inventory {
            stock: row.count("stock")?,
            safety_stock: row.count("safety_stock")?,
            low_stock_threshold: row.count("low_stock_threshold")?,
            backorders: policy_from_name(&row.text("backorders")?),
            backorder_limit: row.optional_count("backorder_limit")?,
            lead_time_days,
            incoming: orders.iter().map(PurchaseOrderLine::supply).collect(),
            queue: Vec::new(),
            // Without a supplier's record the ETAs hold.
            lateness: crate::logic::Lateness::UNKNOWN,
            stated_supply: None,
        },
        max_per_customer: row.optional_count("max_per_customer")?,
        version: row.int("version")? as u64,
        queue_epoch: row.int("queue_epoch")? as u64,
        supplier,
        lead_time_days,
        orders,
        service_level: ServiceLevel::new(row.real("service_level")?)
            .ok_or_else(|| not_parsed("service_level", "a service level"))?,
        reorder: ReorderMark {
            below: row.flag("below_reorder_point")?,
            point: match (
                row.optional_text("reorder_point_on")?,
                row.optional_count("reorder_point")?,
            ) {
                (Some(day), Some(point)) => Some((
                    Date::parse_iso(&day)
                        .ok_or_else(|| not_parsed("reorder_point_on", "a date"))?,
                    point,
                )),
                _ => None,
            },
        },
    })
}

/// A supplier's row (`suppliers::SUPPLIER`); its record is read after it.
pub(super) fn supplier(row: &dyn Columns) -> Result<Supplier, StoreFailure> {
    Ok(Supplier {
        id: parsed(row, "id", "a supplier id", |text| {
            SupplierId::parse(text, "id").ok()
        })?,
        settings: SupplierSettings {
            name: row.text("name")?,
            lead_time_days: row.count("lead_time_days")?,
        },
        record: Vec::new(),
    })
}

/// One purchase order's days late on a record (`suppliers::RECORD`).
pub(super) fn days_late(row: &dyn Columns) -> Result<i32, StoreFailure> {
    let days = row.int("days_late")?;
    Ok(i32::try_from(days).with_context(|| format!("days_late out of range: {days}"))?)
}

/// A SKU of a product (`suppliers::PRODUCTS_OF`).
pub(super) fn product_sku(row: &dyn Columns) -> Result<Sku, StoreFailure> {
    sku(row, "sku")
}

/// One entry of a product's queue (`products::QUEUE`).
/// A product from `products::ALL_PRODUCTS`, which names its SKU.
pub(super) fn product_with_sku(row: &dyn Columns) -> Result<Product, StoreFailure> {
    product(&sku(row, "sku")?, row)
}

/// A queue entry from `products::ALL_QUEUES`, with its product's SKU.
pub(super) fn sku_queue_entry(row: &dyn Columns) -> Result<(Sku, QueueEntry), StoreFailure> {
    Ok((sku(row, "sku")?, queue_entry(row)?))
}

pub(super) fn queue_entry(row: &dyn Columns) -> Result<QueueEntry, StoreFailure> {
    Ok(QueueEntry {
        reservation: row.int("seq")? as u64,
        outstanding: row.count("outstanding")?,
    })
}

pub(super) fn record(row: &dyn Columns) -> Result<ReservationRecord, StoreFailure> {
    Ok(ReservationRecord {
        seq: row.int("seq")? as u64,
        id: parsed(row, "id", "a reservation id", ReservationId::parse)?,
        sku: sku(row, "sku")?,
        quantity: row.count("quantity")?,
        from_stock: row.count("from_stock")?,
        filled: row.count("filled")?,
        email: email(row, "email")?,
        cancelled: row.flag("cancelled")?,
        created_at: row.text("created_at")?,
        lang: lang(row)?,
    })
}

/// A waiting reservation's address and units (`reservations::WAITING_BY_EMAIL`).
pub(super) fn waiting(row: &dyn Columns) -> Result<(Email, u32), StoreFailure> {
    Ok((email(row, "email")?, row.count("outstanding")?))
}

/// The optional `lang` column of reservations and subscriptions.
fn lang(row: &dyn Columns) -> Result<Option<Lang>, StoreFailure> {
    Ok(match row.optional_text("lang")? {
        None => None,
        Some(text) => Some(Lang::parse(&text).map_err(|_| not_parsed("lang", "a language tag"))?),
    })
}

pub(super) fn subscription(row: &dyn Columns) -> Result<Subscription, StoreFailure> {
    let lang = lang(row)?;
    Ok(Subscription {
        token: parsed(
            row,
            "token",
            "a subscription token",
            SubscriptionToken::parse,
        )?,
        sku: sku(row, "sku")?,
        email: email(row, "email")?,
        lang,
        confirmed: row.flag("confirmed")?,
        created_at: row.text("created_at")?,
    })
}

/// A delivery a claim found, leased until `lease_until_ms`.
pub(super) fn due(row: &dyn Columns, lease_until_ms: i64) -> Result<Due, StoreFailure> {
    Ok(Due {
        endpoint_id: parsed(row, "endpoint_id", "an endpoint id", EndpointId::parse)?,
        event_seq: row.int("event_seq")?,
        attempts: row.count("attempts")?,
        event_id: row.text("event_id")?,
        body: row.text("body")?,
        created_ms: row.int("created_ms")?,
        url: row.text("url")?,
        secret: row.text("secret")?,
        sku: sku(row, "sku")?,
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
            id: parsed(row, "id", "an endpoint id", EndpointId::parse)?,
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

fn optional_date(row: &dyn Columns, name: &str) -> Result<Option<Date>, StoreFailure> {
    match row.optional_text(name)? {
        None => Ok(None),
        Some(text) => Date::parse_iso(&text)
            .map(Some)
            .ok_or_else(|| not_parsed(name, "a date")),
    }
}

fn date(row: &dyn Columns, name: &str) -> Result<Date, StoreFailure> {
    optional_date(row, name)?.ok_or_else(|| not_parsed(name, "a date"))
}

/// A whole number of units; a day added to beyond `u32::MAX` reads as that.
fn units(row: &dyn Columns, name: &str) -> Result<u32, StoreFailure> {
    Ok(row.int(name)?.clamp(0, i64::from(u32::MAX)) as u32)
}

/// A day of a product's demand (`demand::OF_PRODUCT`).
pub(super) fn day_demand(row: &dyn Columns) -> Result<DayDemand, StoreFailure> {
    Ok((
        date(row, "day")?,
        units(row, "units")?,
        units(row, "backordered")?,
    ))
}

/// A day of some product's demand, with the SKU's text (`demand::BETWEEN`):
/// parsed once per product, by [`stored_sku`].
pub(super) fn sku_day_demand(row: &dyn Columns) -> Result<(String, DayDemand), StoreFailure> {
    Ok((row.text("sku")?, day_demand(row)?))
}

pub(super) fn stored_sku(text: &str) -> Result<Sku, StoreFailure> {
    Sku::parse(text).map_err(|_| not_parsed("sku", "a SKU"))
}

/// Days from a purchase order's order date to its first receipt
/// (`demand::LEAD_TIMES`).
pub(super) fn lead_time(row: &dyn Columns) -> Result<i32, StoreFailure> {
    let days = date(row, "received_on")?.days_after(date(row, "ordered_on")?);
    Ok(i32::try_from(days).with_context(|| format!("lead time out of range: {days}"))?)
}

/// A supplier's id (as text: parsed once per supplier, by
/// [`stored_supplier`]) and a lead time (`demand::ALL_LEAD_TIMES`).
pub(super) fn supplier_lead_time(row: &dyn Columns) -> Result<(String, i32), StoreFailure> {
    Ok((row.text("supplier")?, lead_time(row)?))
}

pub(super) fn stored_supplier(text: &str) -> Result<SupplierId, StoreFailure> {
    SupplierId::parse(text, "supplier").map_err(|_| not_parsed("supplier", "a supplier id"))
}

/// A reservation's delay-notice mark (`notices::MARKS`).
pub(super) fn delay_mark(row: &dyn Columns) -> Result<DelayMark, StoreFailure> {
    Ok(DelayMark {
        seq: row.int("seq")? as u64,
        told: optional_date(row, "told_ship_date")?,
        last_notice: optional_date(row, "last_notice_on")?,
    })
}

/// A stored secret (`notices::SECRET`).
pub(super) fn secret(row: &dyn Columns) -> Result<String, StoreFailure> {
    row.text("secret")
}

/// A line of the audit log (`audit::LINES`).
pub(super) fn audit_entry(row: &dyn Columns) -> Result<AuditEntry, StoreFailure> {
    Ok(AuditEntry {
        seq: row.int("seq")?,
        at: row.text("at")?,
        actor: Actor {
            token: row.text("token")?,
            address: row.text("address")?,
        },
        what: Audited {
            operation: parsed(row, "operation", "an audited operation", |text| {
                AuditOperation::from_name(text)
            })?,
            target: row.optional_text("target")?,
            detail: row.optional_text("detail")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A row of text and whole numbers, by column name.
    struct Row(HashMap<&'static str, &'static str>);

    impl Columns for Row {
        fn text(&self, name: &str) -> Result<String, StoreFailure> {
            Ok(self
                .0
                .get(name)
                .with_context(|| format!("no column {name}"))?
                .to_string())
        }
        fn optional_text(&self, name: &str) -> Result<Option<String>, StoreFailure> {
            Ok(self.0.get(name).map(|text| text.to_string()))
        }
        fn int(&self, name: &str) -> Result<i64, StoreFailure> {
            Ok(self.text(name)?.parse().context("not a number")?)
        }
        fn optional_int(&self, name: &str) -> Result<Option<i64>, StoreFailure> {
            Ok(self
                .0
                .get(name)
                .map(|text| text.parse())
                .transpose()
                .context("not a number")?)
        }
        fn flag(&self, name: &str) -> Result<bool, StoreFailure> {
            Ok(self.int(name)? != 0)
        }
        fn real(&self, name: &str) -> Result<f64, StoreFailure> {
            Ok(self.text(name)?.parse().context("not a number")?)
        }
    }

    fn reservation_row(changes: &[(&'static str, &'static str)]) -> Row {
        let mut row = Row(HashMap::from([
            ("seq", "1"),
            ("id", "rsv_0123456789abcdef0123456789abcdef"),
            ("sku", "MUG"),
            ("quantity", "2"),
            ("from_stock", "1"),
            ("filled", "0"),
            ("email", "jane@example.com"),
            ("cancelled", "0"),
            ("created_at", "2026-11-29T10:00:00Z"),
        ]));
        row.0.extend(changes.iter().copied());
        row
    }

    #[test]
    fn stored_text_becomes_domain_values() {
        let record = record(&reservation_row(&[])).unwrap();
        assert_eq!(record.id.as_str(), "rsv_0123456789abcdef0123456789abcdef");
        assert_eq!(record.sku.as_str(), "MUG");
        assert_eq!(record.email.as_str(), "jane@example.com");
    }

    #[test]
    fn stored_text_that_no_longer_parses_is_a_fault_naming_its_column() {
        for (column, bad) in [("id", "rsv_x"), ("sku", "a b"), ("email", "jane")] {
            let failure = record(&reservation_row(&[(column, bad)])).unwrap_err();
            assert_eq!(failure.kind, crate::server::store::FailureKind::Fault);
            let message = failure.to_string();
            assert!(message.contains(column), "{message}");
            assert!(!message.contains(bad), "the value is not logged: {message}");
        }
    }
}
