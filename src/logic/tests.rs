//! Hand-worked cases. Invariants over random states live in `tests/logic_properties.rs`.

use super::*;
// The same cases run natively and, under `wasm-bindgen-test`, in Chromium:
// the rules the widget previews with are the rules the server commits with.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn today() -> Date {
    Date::parse_iso("2026-03-10").unwrap()
}

fn po(quantity: u32, days: i64) -> PurchaseOrder {
    PurchaseOrder {
        quantity,
        eta: Date::from_days_since_epoch(today().days_since_epoch() + days),
    }
}

fn allowing(stock: u32) -> Inventory {
    Inventory {
        backorders: BackorderPolicy::Allow,
        ..Inventory::new(stock)
    }
}

fn with_queue(mut inventory: Inventory, outstanding: &[u32]) -> Inventory {
    inventory.queue = outstanding
        .iter()
        .enumerate()
        .map(|(index, &outstanding)| QueueEntry {
            reservation: 100 + index as u64,
            outstanding,
        })
        .collect();
    inventory
}

#[test]
fn issue_example_ships_with_the_second_purchase_order() {
    let inventory = with_queue(
        Inventory {
            lead_time_days: 30,
            incoming: vec![po(10, 5), po(20, 12)],
            ..allowing(3)
        },
        &[8],
    );
    let quote = inventory.quote(6, today()).unwrap();
    assert_eq!((quote.from_stock, quote.backordered), (3, 3));
    assert!(quote.fulfillable);
    assert_eq!(quote.ships_in_days, Some(12));
    assert_eq!(quote.ship_date, Some(today().plus_days(12)));
    // Two units fewer stay within the first purchase order.
    assert_eq!(inventory.quote(5, today()).unwrap().ships_in_days, Some(5));
}

#[test]
fn deny_never_backorders() {
    let inventory = Inventory {
        incoming: vec![po(50, 3)],
        ..Inventory::new(2)
    };
    let quote = inventory.quote(3, today()).unwrap();
    assert_eq!(quote.status, Status::InStock);
    assert_eq!(quote.max_quantity, Some(2));
    assert!(!quote.fulfillable);
    assert_eq!(quote.ship_date, None);
    assert_eq!(
        inventory.place(3, 1, today()).unwrap_err(),
        InventoryError::QuantityUnavailable { max_quantity: 2 }
    );
    assert_eq!(Inventory::new(0).status(), Status::OutOfStock);
}

#[test]
fn allow_without_limit_is_unlimited() {
    let inventory = allowing(0);
    let quote = inventory.quote(1_000_000, today()).unwrap();
    assert_eq!(quote.status, Status::Backorder);
    assert_eq!(quote.max_quantity, None);
    assert!(quote.fulfillable);
    assert_eq!(quote.ships_in_days, Some(DEFAULT_LEAD_TIME_DAYS));
}

#[test]
fn limit_reached_exactly_turns_out_of_stock() {
    let inventory = with_queue(
        Inventory {
            backorder_limit: Some(5),
            ..allowing(0)
        },
        &[2, 2],
    );
    assert_eq!(inventory.status(), Status::Backorder);
    assert_eq!(inventory.max_quantity(), Some(1));
    let (full, placement) = inventory.place(1, 7, today()).unwrap();
    assert_eq!(placement.backordered, 1);
    assert_eq!(full.status(), Status::OutOfStock);
    assert_eq!(full.max_quantity(), Some(0));
    assert_eq!(
        full.place(1, 8, today()).unwrap_err(),
        InventoryError::QuantityUnavailable { max_quantity: 0 }
    );
}

#[test]
fn safety_stock_above_stock_means_nothing_available() {
    let inventory = Inventory {
        safety_stock: 10,
        low_stock_threshold: 5,
        ..Inventory::new(4)
    };
    assert_eq!(inventory.available(), 0);
    assert!(!inventory.is_low_stock());
    assert_eq!(inventory.status(), Status::OutOfStock);
    let allowed = Inventory {
        backorders: BackorderPolicy::Allow,
        ..inventory
    };
    let quote = allowed.quote(2, today()).unwrap();
    assert_eq!((quote.from_stock, quote.backordered), (0, 2));
}

#[test]
fn low_stock_is_between_zero_and_threshold() {
    let at = |stock| {
        Inventory {
            low_stock_threshold: 3,
            ..Inventory::new(stock)
        }
        .is_low_stock()
    };
    assert!(!at(0));
    assert!(at(1));
    assert!(at(3));
    assert!(!at(4));
    assert!(!Inventory::new(1).is_low_stock(), "threshold 0 is off");
}

#[test]
fn overdue_purchase_order_counts_as_today() {
    let inventory = Inventory {
        incoming: vec![po(5, -4)],
        ..allowing(0)
    };
    let quote = inventory.quote(2, today()).unwrap();
    assert_eq!(quote.ship_date, Some(today()));
    assert_eq!(quote.ships_in_days, Some(0));
}

#[test]
fn eta_ties_keep_entry_order_and_sort_by_date() {
    let inventory = Inventory {
        incoming: vec![po(4, 9), po(1, 2), po(3, 2)],
        ..allowing(0)
    };
    let schedule = inventory.supply_schedule();
    assert_eq!(
        schedule.iter().map(|o| o.quantity).collect::<Vec<_>>(),
        vec![1, 3, 4]
    );
    assert_eq!(inventory.quote(4, today()).unwrap().ships_in_days, Some(2));
    assert_eq!(inventory.quote(5, today()).unwrap().ships_in_days, Some(9));
}

#[test]
fn queue_beyond_all_incoming_waits_for_lead_time_but_not_before_last_order() {
    let short_lead = Inventory {
        lead_time_days: 3,
        incoming: vec![po(2, 20)],
        ..allowing(0)
    };
    assert_eq!(
        short_lead.quote(3, today()).unwrap().ships_in_days,
        Some(20)
    );
    let long_lead = Inventory {
        lead_time_days: 40,
        ..short_lead.clone()
    };
    assert_eq!(long_lead.quote(3, today()).unwrap().ships_in_days, Some(40));
    assert_eq!(long_lead.quote(2, today()).unwrap().ships_in_days, Some(20));
}

#[test]
fn zero_lead_time_ships_today() {
    let inventory = Inventory {
        lead_time_days: 0,
        ..allowing(0)
    };
    assert_eq!(inventory.quote(1, today()).unwrap().ships_in_days, Some(0));
}

#[test]
fn split_takes_stock_first_and_quotes_only_the_backordered_part() {
    let inventory = Inventory {
        lead_time_days: 10,
        ..allowing(80)
    };
    let (after, placement) = inventory.place(100, 1, today()).unwrap();
    assert_eq!((placement.from_stock, placement.backordered), (80, 20));
    assert_eq!(placement.ships_in_days, Some(10));
    assert_eq!(after.stock, 0);
    assert_eq!(
        after.queue,
        vec![QueueEntry {
            reservation: 1,
            outstanding: 20
        }]
    );
    let (_, in_stock) = inventory.place(5, 2, today()).unwrap();
    assert_eq!((in_stock.backordered, in_stock.ship_date), (0, None));
}

#[test]
fn zero_quantity_is_rejected_everywhere() {
    let inventory = allowing(5);
    assert_eq!(
        inventory.quote(0, today()),
        Err(InventoryError::InvalidQuantity)
    );
    assert_eq!(
        inventory.place(0, 1, today()).unwrap_err(),
        InventoryError::InvalidQuantity
    );
    assert_eq!(
        inventory.receive(0).unwrap_err(),
        InventoryError::InvalidQuantity
    );
}

#[test]
fn receive_fills_first_come_first_served_then_stock_and_reduces_earliest_orders() {
    let inventory = Inventory {
        incoming: vec![po(4, 10), po(3, 5)],
        ..with_queue(allowing(0), &[2, 3])
    };
    let (after, receipt) = inventory.receive(4).unwrap();
    assert_eq!(
        receipt.fills,
        vec![
            Fill {
                reservation: 100,
                units: 2,
                outstanding: 0
            },
            Fill {
                reservation: 101,
                units: 2,
                outstanding: 1
            },
        ]
    );
    assert_eq!(receipt.to_stock, 0);
    assert_eq!(
        after.queue,
        vec![QueueEntry {
            reservation: 101,
            outstanding: 1
        }]
    );
    assert_eq!(
        after.incoming,
        vec![po(3, 10)],
        "the order due in 5 days is used up first"
    );
    let (after, receipt) = after.receive(6).unwrap();
    assert_eq!(receipt.to_stock, 5);
    assert_eq!(after.stock, 5);
    assert!(after.queue.is_empty());
    assert!(after.incoming.is_empty());
}

#[test]
fn cancel_passes_held_units_down_the_queue_and_moves_everyone_up() {
    let inventory = with_queue(
        Inventory {
            lead_time_days: 7,
            ..allowing(0)
        },
        &[2, 3, 4],
    );
    // Reservation 101 took 2 from stock earlier and still waits for 3.
    let (after, cancellation) = inventory.cancel(101, 2);
    assert_eq!(cancellation.left_queue, 3);
    assert_eq!(
        cancellation.fills,
        vec![Fill {
            reservation: 100,
            units: 2,
            outstanding: 0
        }]
    );
    assert_eq!(cancellation.to_stock, 0);
    assert_eq!(
        after.queue,
        vec![QueueEntry {
            reservation: 102,
            outstanding: 4
        }]
    );
    let estimate = after.estimate(102, today()).unwrap();
    assert_eq!((estimate.first_position, estimate.last_position), (1, 4));
    assert_eq!(estimate.ships_in_days, 7);
}

#[test]
fn estimates_follow_queue_positions() {
    let inventory = Inventory {
        lead_time_days: 30,
        incoming: vec![po(3, 4)],
        ..with_queue(allowing(0), &[2, 2])
    };
    let estimates = inventory.estimates(today());
    assert_eq!(estimates[0].ships_in_days, 4);
    assert_eq!(
        (estimates[1].first_position, estimates[1].last_position),
        (3, 4)
    );
    assert_eq!(estimates[1].ships_in_days, 30);
    assert_eq!(inventory.estimate(999, today()), None);
}

#[test]
fn huge_numbers_saturate_instead_of_overflowing() {
    let inventory = Inventory {
        backorder_limit: Some(u32::MAX),
        ..allowing(u32::MAX)
    };
    assert_eq!(inventory.max_quantity(), Some(u32::MAX));
    let quote = inventory.quote(u32::MAX, today()).unwrap();
    assert!(quote.fulfillable);
    let far = Inventory {
        lead_time_days: u32::MAX,
        ..allowing(0)
    };
    assert!(far.quote(1, today()).unwrap().ship_date.is_some());
}

#[test]
fn every_error_has_a_code_and_a_message() {
    for error in [
        InventoryError::InvalidQuantity,
        InventoryError::QuantityUnavailable { max_quantity: 0 },
        InventoryError::QuantityUnavailable { max_quantity: 4 },
    ] {
        assert!(!error.code().is_empty());
        assert!(error.to_string().ends_with('.'));
    }
    assert!(
        InventoryError::QuantityUnavailable { max_quantity: 4 }
            .to_string()
            .contains('4')
    );
}

#[test]
fn a_cap_per_customer_leaves_what_the_customer_does_not_hold_yet() {
    assert_eq!(customer_allowance(None, 7), None, "no cap");
    assert_eq!(customer_allowance(Some(5), 0), Some(5));
    assert_eq!(customer_allowance(Some(5), 3), Some(2));
    assert_eq!(customer_allowance(Some(5), 5), Some(0));
    assert_eq!(
        customer_allowance(Some(5), 9),
        Some(0),
        "a lowered cap takes nothing back"
    );
}

#[test]
fn signals_fire_on_the_edge_not_the_level() {
    let empty = Inventory {
        low_stock_threshold: 3,
        ..Inventory::new(0)
    };
    let two = Inventory {
        stock: 2,
        ..empty.clone()
    };
    let ten = Inventory {
        stock: 10,
        ..empty.clone()
    };
    let back = signals(Some(empty.standing()), &two);
    assert!(
        back.back_in_stock && back.low_stock,
        "0 → 2 is back, and low"
    );
    assert_eq!(
        signals(Some(empty.standing()), &ten),
        Signals {
            back_in_stock: true,
            low_stock: false
        }
    );
    assert_eq!(
        signals(Some(ten.standing()), &two),
        Signals {
            back_in_stock: false,
            low_stock: true
        }
    );
    assert_eq!(
        signals(Some(two.standing()), &two),
        Signals::default(),
        "still low: said already"
    );
    assert_eq!(
        signals(Some(two.standing()), &empty),
        Signals::default(),
        "sold out is not low"
    );
    assert_eq!(
        signals(None, &ten),
        Signals::default(),
        "a new product is not back"
    );
    let held_back = Inventory {
        stock: 4,
        safety_stock: 4,
        ..empty.clone()
    };
    assert!(
        !signals(Some(empty.standing()), &held_back).back_in_stock,
        "safety stock does not ship"
    );
}

#[test]
fn an_outlook_without_windows_previews_one_day_windows() {
    // What a backend from before ship windows sends: likely dates only.
    let outlook = BackorderOutlook {
        arrivals: vec![Arrival {
            units: 3,
            date: today().plus_days(4),
        }],
        later: today().plus_days(9),
        arrivals_latest: None,
        later_latest: None,
    };
    let preview = Inventory::from_outlook(0, None, &outlook);
    let quote = preview.quote(5, today()).unwrap();
    assert_eq!(quote.ship_date, Some(today().plus_days(9)));
    assert_eq!(quote.ship_date_latest, quote.ship_date);
}

#[test]
fn a_late_supplier_widens_the_window_of_every_position() {
    let inventory = Inventory {
        lateness: Lateness::from_record(&[1, 2, 3, 4, 10]),
        incoming: vec![po(2, 5)],
        lead_time_days: 7,
        ..allowing(0)
    };
    // p50 = sorted[ceil(2.5) - 1] = 3, p90 = sorted[ceil(4.5) - 1] = 10.
    assert_eq!(
        inventory.window_of_position(2, today()),
        (today().plus_days(8), today().plus_days(15))
    );
    // Beyond the order: the lead time plus p50, plus p90.
    assert_eq!(
        inventory.window_of_position(3, today()),
        (today().plus_days(10), today().plus_days(17))
    );
}
