//! Suppliers: who delivers a product, how long they take, and their record
//! of delivering late or early.

use super::product::{checked_lead_time, checked_name};
use super::{PurchaseOrderId, Sku, SupplierId, ValidationError};
use crate::api::whole_number;
use crate::logic::{Date, MIN_RECORDS, RECORD_LENGTH};
use serde::{Deserialize, Serialize};

/// `PUT /api/v1/admin/suppliers/{id}`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierBody {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Days from ordering to delivery, 0 to 3650: for units no open purchase
    /// order covers, of every product it supplies.
    #[serde(deserialize_with = "whole_number::deserialize")]
    #[schema(minimum = 0, maximum = 3650)]
    pub lead_time_days: u32,
}

/// A supplier's settings, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierSettings {
    pub name: String,
    pub lead_time_days: u32,
}

impl SupplierBody {
    pub fn validate(self) -> Result<SupplierSettings, ValidationError> {
        Ok(SupplierSettings {
            name: checked_name(&self.name)?,
            lead_time_days: checked_lead_time(self.lead_time_days)?,
        })
    }
}

/// A supplier with its record: the days late of its last received purchase
/// orders (negative: early), oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Supplier {
    pub id: SupplierId,
    pub settings: SupplierSettings,
    pub record: Vec<i32>,
}

/// How a supplier delivered its last [`RECORD_LENGTH`] purchase orders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reliability {
    /// The purchase orders these figures are over (at most 20).
    pub purchase_orders_received: u32,
    /// Median days late (negative: early), by nearest rank; null with fewer than 3.
    pub days_late_p50: Option<i32>,
    /// 90th percentile of days late, by nearest rank; null with fewer than 3.
    pub days_late_p90: Option<i32>,
    /// Share delivered on or before the ETA, 0 to 1; null with none.
    pub on_time_rate: Option<f64>,
}

impl Reliability {
    /// From days late, oldest first; only the last [`RECORD_LENGTH`] count.
    pub fn from_record(days_late: &[i32]) -> Reliability {
        let recent = &days_late[days_late.len().saturating_sub(RECORD_LENGTH)..];
        let mut sorted = recent.to_vec();
        sorted.sort_unstable();
        let known = sorted.len() >= MIN_RECORDS;
        let rank = |tenths: usize| known.then(|| sorted[(tenths * sorted.len()).div_ceil(10) - 1]);
        let on_time = sorted.iter().filter(|&&days| days <= 0).count();
        Reliability {
            purchase_orders_received: sorted.len() as u32,
            days_late_p50: rank(5),
            days_late_p90: rank(9),
            on_time_rate: (!sorted.is_empty()).then(|| on_time as f64 / sorted.len() as f64),
        }
    }
}

/// The first receipt of a purchase order, on its supplier's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierReceipt {
    pub supplier: SupplierId,
    pub sku: Sku,
    pub purchase_order: PurchaseOrderId,
    pub eta: Date,
    pub ordered_on: Option<Date>,
    pub received_on: Date,
}

impl SupplierReceipt {
    /// Days after its ETA it came (negative: early).
    pub fn days_late(&self) -> i32 {
        self.received_on
            .days_after(self.eta)
            .clamp(i32::MIN as i64, i32::MAX as i64) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_than_three_say_nothing_of_percentiles() {
        let none = Reliability::from_record(&[]);
        assert_eq!(none.purchase_orders_received, 0);
        assert_eq!(none.days_late_p50, None);
        assert_eq!(none.on_time_rate, None);
        let two = Reliability::from_record(&[3, -1]);
        assert_eq!(two.days_late_p90, None);
        assert_eq!(two.on_time_rate, Some(0.5));
    }

    #[test]
    fn percentiles_by_nearest_rank_of_the_last_twenty() {
        let record = Reliability::from_record(&[5, -2, 0, 1]);
        assert_eq!(record.days_late_p50, Some(0), "sorted -2 0 1 5: the 2nd");
        assert_eq!(record.days_late_p90, Some(5), "ceil(3.6) = 4th");
        assert_eq!(record.on_time_rate, Some(0.5));
        let mut long = vec![100; 5];
        long.extend([1; 20]);
        let recent = Reliability::from_record(&long);
        assert_eq!(recent.purchase_orders_received, 20);
        assert_eq!(
            recent.days_late_p90,
            Some(1),
            "the old hundreds no longer count"
        );
    }

    #[test]
    fn names_and_lead_times_are_checked() {
        let body = |name: &str, lead_time_days| SupplierBody {
            name: name.into(),
            lead_time_days,
        };
        assert_eq!(body(" ", 3).validate().unwrap_err().field, "name");
        assert_eq!(
            body("A", 3651).validate().unwrap_err().field,
            "lead_time_days"
        );
        assert_eq!(body(" Acme ", 0).validate().unwrap().name, "Acme");
    }
}
