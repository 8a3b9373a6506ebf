//! "Avoid backorders": from a product's recent demand and its supplier's lead
//! time, the safety stock and reorder point that keep it from running out,
//! whether to reorder now and how much.
//!
//! ```text
//! safety_stock  = ceil(z · √(L·σ² + μ²·σ_L²))
//! reorder_point = ceil(μ·L) + safety_stock
//! position      = stock + on order − backorders outstanding
//! suggested     = reorder_point + ceil(30·μ) − position   when position ≤ reorder_point
//! ```
//! μ, σ: daily demand over the last [`WINDOW_DAYS`] full days; L, σ_L: lead
//! time in days; z: the standard normal quantile of the service level.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::supply::MIN_RECORDS;

/// The full days before today that demand is measured over.
pub const WINDOW_DAYS: usize = 90;
/// A suggested order covers this many days of mean demand beyond the reorder point.
pub const ORDER_COVER_DAYS: f64 = 30.0;

/// Rounding slack for [`ceil_units`] and [`floor_days`]. Floating point can
/// land a hair off a whole number (93/90 · 30 is 31.000000000000004, 31 ÷
/// 93/90 is 29.999999999999996): ceil would order a unit too many, floor
/// claim a day too few. 1e-9 is far above that rounding error for anything
/// below a million units or days, and far below any real fraction here.
const SLACK: f64 = 1e-9;

/// Whole units that cover `x`: ceil, forgiving rounding error (see [`SLACK`]).
/// `as` saturates: NaN and negatives give 0, beyond `u32::MAX` gives `u32::MAX`.
fn ceil_units(x: f64) -> u32 {
    (x - SLACK).ceil() as u32
}

/// Whole days within `x`: floor, forgiving rounding error (see [`SLACK`]).
fn floor_days(x: f64) -> u32 {
    (x + SLACK).floor() as u32
}

/// The chance of not running out during a lead time that the safety stock
/// aims for: from 0.5 (no safety stock) to 0.999.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct ServiceLevel(f64);

impl ServiceLevel {
    pub const MIN: f64 = 0.5;
    pub const MAX: f64 = 0.999;
    pub const DEFAULT: ServiceLevel = ServiceLevel(0.95);

    /// `None` unless `value` is within [`Self::MIN`]..=[`Self::MAX`] (NaN is not).
    pub fn new(value: f64) -> Option<ServiceLevel> {
        (Self::MIN..=Self::MAX)
            .contains(&value)
            .then_some(ServiceLevel(value))
    }

    pub fn value(self) -> f64 {
        self.0
    }

    /// The standard normal quantile of the level: 0.95 → 1.6449; never negative.
    pub fn z(self) -> f64 {
        normal_quantile(self.0)
    }
}

impl Default for ServiceLevel {
    fn default() -> ServiceLevel {
        ServiceLevel::DEFAULT
    }
}

/// As the plain number.
impl Serialize for ServiceLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

/// From a plain number, rejecting one out of range.
impl<'de> Deserialize<'de> for ServiceLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ServiceLevel, D::Error> {
        let value = f64::deserialize(deserializer)?;
        ServiceLevel::new(value).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "expected a service level from 0.5 to 0.999, got {value}"
            ))
        })
    }
}

/// The standard normal quantile (inverse CDF) of `p`: −∞ at 0, +∞ at 1, NaN
/// outside 0..=1 or for NaN.
#[expect(
    clippy::excessive_precision,
    reason = "the coefficients as published, so they can be checked against the paper"
)]
pub fn normal_quantile(p: f64) -> f64 {
    // Wichura, M. J. (1988), Algorithm AS 241 (PPND16), Applied Statistics 37(3): 477–484; ~1e-16.
    const CENTRAL_NUM: [f64; 8] = [
        2.5090809287301226727e3,
        3.3430575583588128105e4,
        6.7265770927008700853e4,
        4.5921953931549871457e4,
        1.3731693765509461125e4,
        1.9715909503065514427e3,
        1.3314166789178437745e2,
        3.3871328727963666080e0,
    ];
    const CENTRAL_DEN: [f64; 8] = [
        5.2264952788528545610e3,
        2.8729085735721942674e4,
        3.9307895800092710610e4,
        2.1213794301586595867e4,
        5.3941960214247511077e3,
        6.8718700749205790830e2,
        4.2313330701600911252e1,
        1.0,
    ];
    const NEAR_NUM: [f64; 8] = [
        7.74545014278341407640e-4,
        2.27238449892691845833e-2,
        2.41780725177450611770e-1,
        1.27045825245236838258e0,
        3.64784832476320460504e0,
        5.76949722146069140550e0,
        4.63033784615654529590e0,
        1.42343711074968357734e0,
    ];
    const NEAR_DEN: [f64; 8] = [
        1.05075007164441684324e-9,
        5.47593808499534494600e-4,
        1.51986665636164571966e-2,
        1.48103976427480074590e-1,
        6.89767334985100004550e-1,
        1.67638483018380384940e0,
        2.05319162663775882187e0,
        1.0,
    ];
    const FAR_NUM: [f64; 8] = [
        2.01033439929228813265e-7,
        2.71155556874348757815e-5,
        1.24266094738807843860e-3,
        2.65321895265761230930e-2,
        2.96560571828504891230e-1,
        1.78482653991729133580e0,
        5.46378491116411436990e0,
        6.65790464350110377720e0,
    ];
    const FAR_DEN: [f64; 8] = [
        2.04426310338993978564e-15,
        1.42151175831644588870e-7,
        1.84631831751005468180e-5,
        7.86869131145613259100e-4,
        1.48753612908506148525e-2,
        1.36929880922735805310e-1,
        5.99832206555887937690e-1,
        1.0,
    ];
    // Horner's rule, highest power first.
    fn polynomial(coefficients: &[f64; 8], x: f64) -> f64 {
        coefficients.iter().fold(0.0, |sum, c| sum * x + c)
    }

    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * polynomial(&CENTRAL_NUM, r) / polynomial(&CENTRAL_DEN, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    if tail == 0.0 {
        return if q < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let r = (-tail.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        polynomial(&NEAR_NUM, r) / polynomial(&NEAR_DEN, r)
    } else {
        let r = r - 5.0;
        polynomial(&FAR_NUM, r) / polynomial(&FAR_DEN, r)
    };
    if q < 0.0 { -x } else { x }
}

/// Where the lead time came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTimeSource {
    /// The supplier's received purchase orders (at least [`MIN_RECORDS`]).
    Observed,
    /// The supplier's configured lead time.
    Supplier,
    /// The product's configured lead time.
    Product,
}

/// A lead time in days, with its sample standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeadTime {
    pub days: f64,
    /// 0 unless observed.
    pub sd: f64,
    pub source: LeadTimeSource,
}

impl LeadTime {
    /// The mean and sample sd of `observed` (received_on − ordered_on of the
    /// supplier's latest received purchase orders; the caller keeps the last
    /// [`super::RECORD_LENGTH`]) when there are at least [`MIN_RECORDS`],
    /// else the supplier's configured days, else the product's.
    ///
    /// A negative observation (received before ordered: a typing error in a
    /// date) counts as 0, the shortest lead time there is; it still counts
    /// as an observation, as the order was received.
    pub fn from_sources(
        observed: &[i64],
        supplier_days: Option<u32>,
        product_days: u32,
    ) -> LeadTime {
        if observed.len() >= MIN_RECORDS {
            let (days, sd) = mean_and_sd(observed.iter().map(|&days| days.max(0) as f64));
            return LeadTime {
                days,
                sd,
                source: LeadTimeSource::Observed,
            };
        }
        let (days, source) = match supplier_days {
            Some(days) => (days, LeadTimeSource::Supplier),
            None => (product_days, LeadTimeSource::Product),
        };
        LeadTime {
            days: days as f64,
            sd: 0.0,
            source,
        }
    }
}

/// The mean and the sample standard deviation (n − 1); 0 for what is not defined.
fn mean_and_sd(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (count, sum) = values.clone().fold((0usize, 0.0), |(count, sum), value| {
        (count + 1, sum + value)
    });
    if count == 0 {
        return (0.0, 0.0);
    }
    let mean = sum / count as f64;
    if count < 2 {
        return (mean, 0.0);
    }
    let squares: f64 = values.map(|value| (value - mean) * (value - mean)).sum();
    (mean, (squares / (count - 1) as f64).sqrt())
}

/// One product's figures the insight is computed from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InsightInput<'a> {
    /// Units demanded on each full day before today, oldest first; the last
    /// [`WINDOW_DAYS`] count. Days not given (a shorter slice) count as days
    /// without demand, i.e. 0, before the first one given.
    pub daily_demand: &'a [u32],
    /// Units placed as backorders over the same days.
    pub backordered_units: u64,
    pub stock: u32,
    /// Units on open purchase orders, not yet received.
    pub on_order: u64,
    /// Backordered units still waiting to be filled.
    pub backorders_outstanding: u64,
    /// What the shop can sell now.
    pub available: u32,
    /// Lead times of the supplier's latest received purchase orders, in days:
    /// see [`LeadTime::from_sources`].
    pub observed_lead_times: &'a [i64],
    pub supplier_lead_time_days: Option<u32>,
    pub product_lead_time_days: u32,
    pub service_level: ServiceLevel,
}

/// Whether and how much to reorder so that backorders are rare.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Insight {
    /// μ: units per day over the window.
    pub daily_demand_mean: f64,
    /// σ: sample standard deviation of the daily units.
    pub daily_demand_sd: f64,
    /// L
    pub lead_time_days: f64,
    pub lead_time_source: LeadTimeSource,
    /// σ_L
    pub lead_time_sd: f64,
    pub service_level: f64,
    pub z: f64,
    pub safety_stock: u32,
    pub reorder_point: u32,
    /// Stock + on order − backorders outstanding; negative when more is owed.
    pub position: i64,
    /// `position <= reorder_point`.
    pub reorder_needed: bool,
    /// Enough to bring the position to the reorder point plus
    /// [`ORDER_COVER_DAYS`] of mean demand; 0 unless a reorder is needed,
    /// and 0 too without demand at position 0 (needed, nothing to order).
    pub suggested_order_quantity: u32,
    /// Whole days `available` lasts at mean demand; `None` without demand.
    pub days_of_cover: Option<u32>,
    /// Backordered units ÷ units demanded over the window; `None` without demand.
    pub backorder_rate: Option<f64>,
}

/// Stock + units on open purchase orders − backordered units still
/// outstanding: what the shop will have once what it ordered is in and
/// what it promised is out (negative: promised more than that).
pub fn position(stock: u32, on_order: u64, backorders_outstanding: u64) -> i64 {
    let position = stock as i128 + on_order as i128 - backorders_outstanding as i128;
    position.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

impl Insight {
    /// The formulas at the top of this module. Nothing panics: sums are
    /// taken in wider integers and every figure saturates at its type's ends.
    pub fn from_input(input: &InsightInput<'_>) -> Insight {
        let given = input.daily_demand;
        let recent = &given[given.len().saturating_sub(WINDOW_DAYS)..];
        let missing = WINDOW_DAYS - recent.len();
        let days =
            std::iter::repeat_n(0.0, missing).chain(recent.iter().map(|&units| units as f64));
        let (mean, sd) = mean_and_sd(days);
        let demanded: u64 = recent.iter().map(|&units| units as u64).sum();

        let lead = LeadTime::from_sources(
            input.observed_lead_times,
            input.supplier_lead_time_days,
            input.product_lead_time_days,
        );
        let z = input.service_level.z();
        let spread = lead.days * sd * sd + mean * mean * lead.sd * lead.sd;
        let safety_stock = ceil_units(z * spread.sqrt());
        let reorder_point = ceil_units(mean * lead.days).saturating_add(safety_stock);

        let position = position(input.stock, input.on_order, input.backorders_outstanding);
        let reorder_needed = position <= reorder_point as i64;
        let suggested_order_quantity = if reorder_needed {
            let target = reorder_point as i128 + ceil_units(ORDER_COVER_DAYS * mean) as i128;
            (target - position as i128).clamp(0, u32::MAX as i128) as u32
        } else {
            0
        };

        Insight {
            daily_demand_mean: mean,
            daily_demand_sd: sd,
            lead_time_days: lead.days,
            lead_time_source: lead.source,
            lead_time_sd: lead.sd,
            service_level: input.service_level.value(),
            z,
            safety_stock,
            reorder_point,
            position,
            reorder_needed,
            suggested_order_quantity,
            days_of_cover: (demanded > 0).then(|| floor_days(input.available as f64 / mean)),
            backorder_rate: (demanded > 0)
                .then(|| input.backordered_units as f64 / demanded as f64),
        }
    }
}

#[cfg(test)]
mod tests;
