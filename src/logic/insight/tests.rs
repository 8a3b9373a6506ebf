//! Fixed histories. Every expected number was computed apart from this code,
//! with Python 3.11's standard library; each snippet runs after
//! `from statistics import mean, stdev, NormalDist; from math import ceil, floor, sqrt;
//! from fractions import Fraction as F; z = lambda p: NormalDist().inv_cdf(p)`.
//! Rational parts go through `Fraction`, so Python's own floating point
//! cannot hide a rounding slip. Invariants over random inputs live in
//! `tests/logic_properties.rs`.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// No supply, no stock, the product's 14 days, service level 0.95.
fn input(daily_demand: &[u32]) -> InsightInput<'_> {
    InsightInput {
        daily_demand,
        backordered_units: 0,
        stock: 0,
        on_order: 0,
        backorders_outstanding: 0,
        available: 0,
        observed_lead_times: &[],
        supplier_lead_time_days: None,
        product_lead_time_days: 14,
        service_level: ServiceLevel::DEFAULT,
    }
}

#[track_caller]
fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-9,
        "{actual} is not {expected}"
    );
}

#[test]
fn no_demand_needs_no_safety_stock_and_reorders_only_at_or_below_zero() {
    let none = [0; WINDOW_DAYS];
    let insight = Insight::from_input(&input(&none));
    // mean([0]*90), stdev([0]*90) -> 0, 0.0
    assert_eq!(insight.daily_demand_mean, 0.0);
    assert_eq!(insight.daily_demand_sd, 0.0);
    assert_eq!((insight.safety_stock, insight.reorder_point), (0, 0));
    assert_eq!(
        (insight.days_of_cover, insight.backorder_rate),
        (None, None)
    );
    assert_eq!(insight.lead_time_source, LeadTimeSource::Product);
    // Position 0 ≤ reorder point 0: needed, but nothing to order.
    assert_eq!(insight.position, 0);
    assert!(insight.reorder_needed);
    assert_eq!(insight.suggested_order_quantity, 0);

    let stocked = Insight::from_input(&InsightInput {
        stock: 5,
        available: 5,
        ..input(&none)
    });
    assert!(!stocked.reorder_needed);
    assert_eq!(stocked.suggested_order_quantity, 0);
    assert_eq!(stocked.days_of_cover, None);

    // Three units still owed: order them.
    let owing = Insight::from_input(&InsightInput {
        backorders_outstanding: 3,
        ..input(&none)
    });
    assert_eq!(owing.position, -3);
    assert!(owing.reorder_needed);
    assert_eq!(owing.suggested_order_quantity, 3);
}

#[test]
fn one_spike_of_ninety_units() {
    let mut days = [0; WINDOW_DAYS];
    days[45] = 90;
    let insight = Insight::from_input(&InsightInput {
        stock: 10,
        available: 10,
        backordered_units: 9,
        ..input(&days)
    });
    // d=[0]*90; d[45]=90; mean(d), stdev(d) -> 1, 9.486832980505138
    close(insight.daily_demand_mean, 1.0);
    close(insight.daily_demand_sd, 9.486832980505138);
    // z(0.95) -> 1.6448536269514715
    close(insight.z, 1.6448536269514715);
    assert_eq!(insight.service_level, 0.95);
    assert_eq!((insight.lead_time_days, insight.lead_time_sd), (14.0, 0.0));
    // ceil(z(0.95)*sqrt(14*stdev(d)**2 + 1*0)) -> 59
    assert_eq!(insight.safety_stock, 59);
    // ceil(F(90,90)*14) + 59 -> 73
    assert_eq!(insight.reorder_point, 73);
    assert_eq!(insight.position, 10);
    assert!(insight.reorder_needed);
    // 73 + ceil(F(90,90)*30) - 10 -> 93
    assert_eq!(insight.suggested_order_quantity, 93);
    // floor(F(10)/F(90,90)) -> 10
    assert_eq!(insight.days_of_cover, Some(10));
    // 9/90 -> 0.1
    assert_eq!(insight.backorder_rate, Some(0.1));
}

#[test]
fn intermittent_demand_with_two_observations_uses_the_suppliers_days() {
    let days: Vec<u32> = (1..=90)
        .map(|day| if day % 7 == 0 { 3 } else { 0 })
        .collect();
    let insight = Insight::from_input(&InsightInput {
        stock: 6,
        available: 6,
        on_order: 4,
        observed_lead_times: &[9, 12],
        supplier_lead_time_days: Some(10),
        service_level: ServiceLevel::new(0.99).unwrap(),
        ..input(&days)
    });
    // d=[3 if (i+1)%7==0 else 0 for i in range(90)]; sum(d), mean(d), stdev(d)
    //   -> 36, 0.4, 1.0255171345513574
    close(insight.daily_demand_mean, 0.4);
    close(insight.daily_demand_sd, 1.0255171345513574);
    assert_eq!(insight.lead_time_source, LeadTimeSource::Supplier);
    assert_eq!((insight.lead_time_days, insight.lead_time_sd), (10.0, 0.0));
    // z(0.99) -> 2.3263478740408408
    close(insight.z, 2.3263478740408408);
    // ceil(z(0.99)*sqrt(10*stdev(d)**2)) -> 8
    assert_eq!(insight.safety_stock, 8);
    // ceil(F(36,90)*10) + 8 -> 12
    assert_eq!(insight.reorder_point, 12);
    assert_eq!(insight.position, 10);
    assert!(insight.reorder_needed);
    // 12 + ceil(F(36,90)*30) - 10 -> 14
    assert_eq!(insight.suggested_order_quantity, 14);
    // floor(F(6)/F(36,90)) -> 15
    assert_eq!(insight.days_of_cover, Some(15));
    assert_eq!(insight.backorder_rate, Some(0.0));
}

#[test]
fn steady_demand_with_an_observed_lead_time() {
    let days = [5; WINDOW_DAYS];
    let insight = Insight::from_input(&InsightInput {
        stock: 40,
        available: 40,
        on_order: 20,
        observed_lead_times: &[7, 9, 8, 10],
        supplier_lead_time_days: Some(30),
        ..input(&days)
    });
    // mean([5]*90), stdev([5]*90) -> 5, 0.0
    close(insight.daily_demand_mean, 5.0);
    assert_eq!(insight.daily_demand_sd, 0.0);
    assert_eq!(insight.lead_time_source, LeadTimeSource::Observed);
    // lt=[7,9,8,10]; mean(lt), stdev(lt) -> 8.5, 1.2909944487358056
    close(insight.lead_time_days, 8.5);
    close(insight.lead_time_sd, 1.2909944487358056);
    // ceil(z(0.95)*sqrt(8.5*0 + 5**2*stdev(lt)**2)) -> 11
    assert_eq!(insight.safety_stock, 11);
    // ceil(F(5)*F(17,2)) + 11 -> 54
    assert_eq!(insight.reorder_point, 54);
    // Position 60 is above 54: nothing to order.
    assert_eq!(insight.position, 60);
    assert!(!insight.reorder_needed);
    assert_eq!(insight.suggested_order_quantity, 0);
    // floor(F(40)/5) -> 8
    assert_eq!(insight.days_of_cover, Some(8));
}

#[test]
fn a_negative_position_and_a_negative_lead_time_observation() {
    let days: Vec<u32> = [1, 3].repeat(45);
    let insight = Insight::from_input(&InsightInput {
        stock: 2,
        on_order: 5,
        backorders_outstanding: 20,
        backordered_units: 30,
        // Received three days before ordered: counts as 0 days.
        observed_lead_times: &[-3, 5, 7],
        ..input(&days)
    });
    // d=[1,3]*45; mean(d), stdev(d) -> 2, 1.0056022847309865
    close(insight.daily_demand_mean, 2.0);
    close(insight.daily_demand_sd, 1.0056022847309865);
    // lt=[0,5,7]; mean(lt), stdev(lt) -> 4, 3.605551275463989
    assert_eq!(insight.lead_time_source, LeadTimeSource::Observed);
    close(insight.lead_time_days, 4.0);
    close(insight.lead_time_sd, 3.605551275463989);
    // ceil(z(0.95)*sqrt(4*stdev(d)**2 + 2**2*stdev(lt)**2)) -> 13
    assert_eq!(insight.safety_stock, 13);
    // ceil(F(180,90)*4) + 13 -> 21
    assert_eq!(insight.reorder_point, 21);
    // 2 + 5 - 20
    assert_eq!(insight.position, -13);
    assert!(insight.reorder_needed);
    // 21 + ceil(F(180,90)*30) - (-13) -> 94
    assert_eq!(insight.suggested_order_quantity, 94);
    // Nothing to sell: no day of cover.
    assert_eq!(insight.days_of_cover, Some(0));
    // 30/180
    close(insight.backorder_rate.unwrap(), 30.0 / 180.0);
}

#[test]
fn whole_numbers_that_floating_point_misses_are_not_rounded_the_wrong_way() {
    // 93 units: μ = 93/90. In f64, μ·30 is 31.000000000000004 and 31/μ is
    // 29.999999999999996 (Python: 30*(93/90), 31/(93/90)); plain ceil and floor
    // would give 32 and 29.
    let days: Vec<u32> = [3].repeat(31).into_iter().chain([0; 59]).collect();
    let insight = Insight::from_input(&InsightInput {
        stock: 31,
        available: 31,
        supplier_lead_time_days: Some(30),
        // z(0.5) -> 0.0: no safety stock, only the rational parts.
        service_level: ServiceLevel::new(0.5).unwrap(),
        ..input(&days)
    });
    assert_eq!(insight.z, 0.0);
    assert_eq!(insight.safety_stock, 0);
    // ceil(F(93,90)*30) -> 31
    assert_eq!(insight.reorder_point, 31);
    // At the reorder point: needed. 31 + ceil(F(93,90)*30) - 31 -> 31
    assert!(insight.reorder_needed);
    assert_eq!(insight.suggested_order_quantity, 31);
    // floor(F(31)/F(93,90)) -> 30
    assert_eq!(insight.days_of_cover, Some(30));
}

#[test]
fn the_lead_time_comes_from_observations_then_the_supplier_then_the_product() {
    let two = LeadTime::from_sources(&[9, 12], Some(10), 21);
    assert_eq!(
        two,
        LeadTime {
            days: 10.0,
            sd: 0.0,
            source: LeadTimeSource::Supplier
        }
    );
    let no_supplier = LeadTime::from_sources(&[9, 12], None, 21);
    assert_eq!(
        no_supplier,
        LeadTime {
            days: 21.0,
            sd: 0.0,
            source: LeadTimeSource::Product
        }
    );
    // mean([9,12,15]), stdev([9,12,15]) -> 12, 3.0
    let three = LeadTime::from_sources(&[9, 12, 15], None, 21);
    assert_eq!(three.source, LeadTimeSource::Observed);
    close(three.days, 12.0);
    close(three.sd, 3.0);
    // Absurd observations do not panic.
    let absurd = LeadTime::from_sources(&[i64::MAX, i64::MIN, i64::MAX], None, 21);
    assert!(absurd.days.is_finite() && absurd.sd.is_finite());
}

#[test]
fn demand_days_not_given_count_as_zero_and_only_the_last_ninety_count() {
    let mut full = [0; WINDOW_DAYS];
    full[WINDOW_DAYS - 1] = 90;
    let expected = Insight::from_input(&input(&full));
    assert_eq!(Insight::from_input(&input(&[90])), expected);
    let longer: Vec<u32> = [1000; 10].into_iter().chain(full).collect();
    assert_eq!(Insight::from_input(&input(&longer)), expected);
    assert_eq!(Insight::from_input(&input(&[])).daily_demand_mean, 0.0);
}

#[test]
fn normal_quantile_agrees_with_python() {
    // [(p, z(p)) for p in (0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999, 1e-6, 1e-12, 0.02, 0.999999)]
    let expected = [
        (0.5, 0.0),
        (0.8, 0.8416212335729144),
        (0.9, 1.2815515655446008),
        (0.95, 1.6448536269514715),
        (0.975, 1.9599639845400536),
        (0.99, 2.3263478740408408),
        (0.999, 3.090232306167813),
        (1e-6, -4.753424308822899),
        (1e-12, -7.034483825301132),
        (0.02, -2.0537489106318225),
        (0.999999, 4.753424308817089),
    ];
    for (p, z) in expected {
        close(normal_quantile(p), z);
    }
    assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
    assert_eq!(normal_quantile(1.0), f64::INFINITY);
    assert!(normal_quantile(-0.1).is_nan());
    assert!(normal_quantile(1.5).is_nan());
    assert!(normal_quantile(f64::NAN).is_nan());
}

#[test]
fn service_levels_are_from_one_half_to_0_999() {
    assert_eq!(ServiceLevel::default().value(), 0.95);
    assert_eq!(ServiceLevel::new(0.5).map(ServiceLevel::value), Some(0.5));
    assert_eq!(
        ServiceLevel::new(0.999).map(ServiceLevel::value),
        Some(0.999)
    );
    for outside in [0.4999, 0.9991, 1.0, 0.0, -0.95, f64::NAN, f64::INFINITY] {
        assert_eq!(ServiceLevel::new(outside), None, "{outside}");
    }
    close(ServiceLevel::DEFAULT.z(), 1.6448536269514715);
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn service_levels_and_insights_as_json() {
    let level: ServiceLevel = serde_json::from_str("0.97").unwrap();
    assert_eq!(level.value(), 0.97);
    assert_eq!(serde_json::to_string(&level).unwrap(), "0.97");
    let error = serde_json::from_str::<ServiceLevel>("1.2").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("expected a service level from 0.5 to 0.999, got 1.2"),
        "{error}"
    );
    assert!(serde_json::from_str::<ServiceLevel>("\"0.9\"").is_err());

    let insight = Insight::from_input(&InsightInput {
        observed_lead_times: &[7, 9, 8],
        ..input(&[5; WINDOW_DAYS])
    });
    let json = serde_json::to_value(&insight).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "daily_demand_mean",
        "daily_demand_sd",
        "lead_time_days",
        "lead_time_source",
        "lead_time_sd",
        "service_level",
        "z",
        "safety_stock",
        "reorder_point",
        "position",
        "reorder_needed",
        "suggested_order_quantity",
        "days_of_cover",
        "backorder_rate",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(json["lead_time_source"], "observed");
    assert_eq!(json["service_level"], 0.95);
    assert_eq!(json["backorder_rate"], 0.0);
    let idle = serde_json::to_value(Insight::from_input(&input(&[]))).unwrap();
    assert_eq!(idle["days_of_cover"], serde_json::Value::Null);
    assert_eq!(idle["backorder_rate"], serde_json::Value::Null);
    assert_eq!(
        serde_json::to_value(LeadTimeSource::Supplier).unwrap(),
        "supplier"
    );
    assert_eq!(
        serde_json::to_value(LeadTimeSource::Product).unwrap(),
        "product"
    );
}
