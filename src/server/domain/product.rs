//! A product: its settings as the merchant sets them, and as the store
//! holds it with its backorder queue.

use super::{PurchaseOrderId, Sku, SupplierId, ValidationError};
use crate::api::whole_number;
use crate::logic::{BackorderPolicy, DEFAULT_LEAD_TIME_DAYS, Date, Inventory, PurchaseOrder};
use serde::{Deserialize, Serialize};

/// Longest product name.
pub const MAX_NAME_LENGTH: usize = 200;
/// Most open purchase orders per product.
pub const MAX_PURCHASE_ORDERS: usize = 50;
/// Ten years: a longer lead time is a typo, not a supply chain.
pub const MAX_LEAD_TIME_DAYS: u32 = 3650;

/// The chance a product's safety stock aims for of not running out during a
/// lead time: 0.5 to 0.999, 0.95 unless set (the logic's type: the insight
/// computes with it).
pub use crate::logic::ServiceLevel;

/// A service level the merchant sent, or why it is not one.
pub fn service_level(value: f64) -> Result<ServiceLevel, ValidationError> {
    ServiceLevel::new(value).ok_or_else(|| {
        ValidationError::new(
            "service_level",
            format!(
                "The service level is a number from {} to {}, like 0.95.",
                ServiceLevel::MIN,
                ServiceLevel::MAX
            ),
        )
    })
}

/// A product's settings as the merchant sets them (not its queue).
#[derive(Clone, Debug, PartialEq)]
pub struct ProductSettings {
    pub name: String,
    pub stock: u32,
    pub safety_stock: u32,
    pub low_stock_threshold: u32,
    pub backorders: BackorderPolicy,
    pub backorder_limit: Option<u32>,
    pub lead_time_days: u32,
    pub incoming: Vec<PlannedOrder>,
    /// Most units one e-mail address may hold on backorder; `None` = no cap.
    pub max_per_customer: Option<u32>,
    /// Who delivers it: its record and lead time then decide the ship window.
    pub supplier: Option<SupplierId>,
    pub service_level: ServiceLevel,
}

/// A purchase order as the merchant sets it; one without a number gets one
/// when it is saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedOrder {
    pub id: Option<PurchaseOrderId>,
    pub quantity: u32,
    pub eta: Date,
    pub ordered_on: Option<Date>,
}

impl PlannedOrder {
    /// An order without a number or an order date.
    pub fn new(quantity: u32, eta: Date) -> PlannedOrder {
        PlannedOrder {
            id: None,
            quantity,
            eta,
            ordered_on: None,
        }
    }
}

/// An open purchase order as the store holds it (in `products.incoming`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurchaseOrderLine {
    pub id: PurchaseOrderId,
    /// Units still to come.
    pub quantity: u32,
    pub eta: Date,
    pub ordered_on: Option<Date>,
    /// The day of its first receipt: its lateness is on its supplier's
    /// record from then on, once.
    pub received_on: Option<Date>,
}

impl PurchaseOrderLine {
    /// What the logic module knows of it.
    pub fn supply(&self) -> PurchaseOrder {
        PurchaseOrder {
            quantity: self.quantity,
            eta: self.eta,
        }
    }
}

/// A product with its current queue, ready for the logic module.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub sku: Sku,
    pub name: String,
    pub inventory: Inventory,
    pub max_per_customer: Option<u32>,
    /// Counts the writes to this product: of two copies, the higher is newer.
    pub version: u64,
    /// Counts the writes that changed its queue other than at the end
    /// (fills, cancellations): a copy with the same epoch and an older
    /// `version` lacks only the entries placed since.
    pub queue_epoch: u64,
    pub supplier: Option<SupplierId>,
    /// Its own lead time (the inventory's is the supplier's when it has one).
    pub lead_time_days: u32,
    /// Its open purchase orders, in the order of `inventory.incoming`: order
    /// `i` there is `orders[i].supply()`.
    pub orders: Vec<PurchaseOrderLine>,
    pub service_level: ServiceLevel,
    /// Where its position stood against its reorder point at the last check.
    pub reorder: ReorderMark,
}

/// What the last reorder check left on a product: whether its position was
/// at or below its reorder point, and that point with the day it holds for
/// (`None` once something it depends on changed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReorderMark {
    pub below: bool,
    pub point: Option<(crate::logic::Date, u32)>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderBody {
    /// At least 1.
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(minimum = 1)]
    pub quantity: u32,
    /// `YYYY-MM-DD`; a date in the past is an overdue order.
    #[schema(value_type = String, format = Date)]
    pub eta: Date,
    /// The merchant's purchase order number, unique per product; one is
    /// made (`po_…`) when omitted.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9._-]{1,64}$", min_length = 1, max_length = 64)]
    pub id: Option<String>,
    /// `YYYY-MM-DD`: when it was ordered.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub ordered_on: Option<Date>,
}

/// `PUT /api/v1/admin/products/{sku}`: the whole settings; omitted fields take their defaults.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductSettingsBody {
    pub name: String,
    #[serde(deserialize_with = "whole_number::deserialize")]
    pub stock: u32,
    #[serde(default, deserialize_with = "whole_number::deserialize")]
    pub safety_stock: u32,
    /// 0 turns "low stock" off.
    #[serde(default, deserialize_with = "whole_number::deserialize")]
    pub low_stock_threshold: u32,
    /// `allow` or `deny` (default).
    #[serde(default = "deny")]
    #[schema(value_type = String, example = "allow")]
    pub backorders: BackorderPolicy,
    /// Most units outstanding on backorder at once; null = unlimited.
    #[serde(default, deserialize_with = "whole_number::option::deserialize")]
    pub backorder_limit: Option<u32>,
    /// Default 14; at most 3650.
    #[serde(
        default = "default_lead_time",
        deserialize_with = "whole_number::deserialize"
    )]
    pub lead_time_days: u32,
    #[serde(default)]
    pub incoming: Vec<PurchaseOrderBody>,
    /// Most units one e-mail address may hold on backorder (at least 1); null = no cap.
    #[serde(default, deserialize_with = "whole_number::option::deserialize")]
    #[schema(minimum = 1)]
    pub max_per_customer: Option<u32>,
    /// The id of the supplier that delivers it (see `/api/v1/admin/suppliers`);
    /// null = none.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64)]
    pub supplier: Option<String>,
    /// The chance its safety stock aims for of not running out during a
    /// lead time: 0.5 to 0.999; default 0.95.
    #[serde(default = "default_service_level")]
    #[schema(minimum = 0.5, maximum = 0.999, example = 0.95)]
    pub service_level: f64,
}

fn deny() -> BackorderPolicy {
    BackorderPolicy::Deny
}

fn default_lead_time() -> u32 {
    DEFAULT_LEAD_TIME_DAYS
}

fn default_service_level() -> f64 {
    ServiceLevel::DEFAULT.value()
}

/// A name as sent: 1 to `MAX_NAME_LENGTH` characters (counted as sent, as
/// the OpenAPI `maxLength` does), no control characters; kept trimmed.
pub(super) fn checked_name(sent: &str) -> Result<String, ValidationError> {
    let name = sent.trim().to_owned();
    if name.is_empty()
        || sent.chars().count() > MAX_NAME_LENGTH
        || sent.chars().any(char::is_control)
    {
        return Err(ValidationError::new(
            "name",
            format!("The name has 1 to {MAX_NAME_LENGTH} characters, without control characters."),
        ));
    }
    Ok(name)
}

/// A lead time of at most `MAX_LEAD_TIME_DAYS`.
pub(super) fn checked_lead_time(days: u32) -> Result<u32, ValidationError> {
    if days > MAX_LEAD_TIME_DAYS {
        return Err(ValidationError::new(
            "lead_time_days",
            format!("The lead time is at most {MAX_LEAD_TIME_DAYS} days."),
        ));
    }
    Ok(days)
}

impl ProductSettingsBody {
    /// The rules every way of setting a product applies (the single `PUT`,
    /// the bulk `PUT`, the CSV import).
    pub fn validate(self) -> Result<ProductSettings, ValidationError> {
        // The length counts what was sent, as the OpenAPI `maxLength` does.
        let name = checked_name(&self.name)?;
        checked_lead_time(self.lead_time_days)?;
        if self.incoming.len() > MAX_PURCHASE_ORDERS {
            return Err(ValidationError::new(
                "incoming",
                format!("At most {MAX_PURCHASE_ORDERS} open purchase orders."),
            ));
        }
        if self.incoming.iter().any(|order| order.quantity == 0) {
            return Err(ValidationError::new(
                "incoming",
                "Each purchase order has a quantity of at least 1.",
            ));
        }
        let mut incoming = Vec::with_capacity(self.incoming.len());
        for (index, order) in self.incoming.into_iter().enumerate() {
            let id = match &order.id {
                None => None,
                Some(text) => {
                    let field = format!("incoming[{index}].id");
                    let id = PurchaseOrderId::parse(text, &field)?;
                    if incoming
                        .iter()
                        .any(|earlier: &PlannedOrder| earlier.id.as_ref() == Some(&id))
                    {
                        return Err(ValidationError::new(
                            &field,
                            "Each purchase order id appears once per product.",
                        ));
                    }
                    Some(id)
                }
            };
            incoming.push(PlannedOrder {
                id,
                quantity: order.quantity,
                eta: order.eta,
                ordered_on: order.ordered_on,
            });
        }
        let supplier = self
            .supplier
            .as_deref()
            .map(|text| SupplierId::parse(text, "supplier"))
            .transpose()?;
        if self.max_per_customer == Some(0) {
            return Err(ValidationError::new(
                "max_per_customer",
                "The cap per customer is at least 1, or null for none.",
            ));
        }
        let service_level = service_level(self.service_level)?;
        Ok(ProductSettings {
            service_level,
            max_per_customer: self.max_per_customer,
            name,
            stock: self.stock,
            safety_stock: self.safety_stock,
            low_stock_threshold: self.low_stock_threshold,
            backorders: self.backorders,
            backorder_limit: self.backorder_limit,
            lead_time_days: self.lead_time_days,
            incoming,
            supplier,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_level_is_from_half_to_nearly_always() {
        for level in [0.5, 0.95, 0.999] {
            assert_eq!(service_level(level).unwrap().value(), level);
        }
        for level in [0.3, 0.4999, 1.0, f64::NAN, f64::INFINITY, -0.95] {
            let error = service_level(level).unwrap_err();
            assert_eq!(error.field, "service_level", "{level}");
        }
        assert_eq!(ServiceLevel::default().value(), 0.95);
    }
}
