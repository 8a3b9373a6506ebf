//! Invariants of the shared inventory logic over random states and operation sequences.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use std::collections::BTreeMap;
use stock_widget::logic::{
    BackorderPolicy, Date, Insight, InsightInput, Inventory, InventoryError, Lateness,
    LeadTimeSource, PurchaseOrder, QueueEntry, ReservationKey, ServiceLevel, Signals, Status,
    WINDOW_DAYS, normal_quantile, signals,
};

fn today() -> Date {
    Date::parse_iso("2026-06-15").unwrap()
}

fn purchase_order() -> impl Strategy<Value = PurchaseOrder> {
    (1u32..40, -10i64..60).prop_map(|(quantity, offset)| PurchaseOrder {
        quantity,
        eta: Date::from_days_since_epoch(today().days_since_epoch() + offset),
    })
}

/// A supplier's record: days late of its received purchase orders (some
/// early), from none to more than it keeps.
fn supplier_record() -> impl Strategy<Value = Vec<i32>> {
    proptest::collection::vec(-6i32..25, 0..26)
}

/// When the unit at `position` arrives if every ETA holds: orders by ETA,
/// overdue ones today, units beyond them after the lead time but not before
/// the last order (the rule before supplier records).
fn eta_only_arrival(state: &Inventory, position: u64) -> Date {
    let mut orders: Vec<PurchaseOrder> = state
        .incoming
        .iter()
        .copied()
        .filter(|o| o.quantity > 0)
        .collect();
    orders.sort_by_key(|order| order.eta);
    let mut cumulative = 0u64;
    for order in &orders {
        cumulative += order.quantity as u64;
        if cumulative >= position {
            return order.eta.max(today());
        }
    }
    let after_lead = today().plus_days(state.lead_time_days);
    orders
        .last()
        .map_or(after_lead, |last| after_lead.max(last.eta))
}

fn inventory() -> impl Strategy<Value = Inventory> {
    (
        0u32..60,
        0u32..20,
        0u32..10,
        prop_oneof![Just(BackorderPolicy::Allow), Just(BackorderPolicy::Deny)],
        proptest::option::of(0u32..80),
        0u32..45,
        proptest::collection::vec(purchase_order(), 0..4),
        proptest::collection::vec(1u32..15, 0..5),
    )
        .prop_flat_map(|state| (Just(state), supplier_record()))
        .prop_map(
            |((stock, safety_stock, low, backorders, limit, lead, incoming, queued), record)| {
                Inventory {
                    stock,
                    safety_stock,
                    low_stock_threshold: low,
                    backorders,
                    backorder_limit: limit,
                    lead_time_days: lead,
                    incoming,
                    lateness: Lateness::from_record(&record),
                    stated_supply: None,
                    queue: queued
                        .into_iter()
                        .enumerate()
                        .map(|(index, outstanding)| QueueEntry {
                            reservation: 1_000 + index as u64,
                            outstanding,
                        })
                        .collect(),
                }
            },
        )
}

#[derive(Clone, Debug)]
enum Operation {
    Place(u32),
    Receive(u32),
    /// Cancels the n-th active reservation (modulo how many there are).
    Cancel(usize),
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        3 => (0u32..25).prop_map(Operation::Place),
        2 => (0u32..30).prop_map(Operation::Receive),
        2 => any::<usize>().prop_map(Operation::Cancel),
    ]
}

/// What the outside world (the server's reservations table) knows of a reservation.
#[derive(Clone, Copy, Debug)]
struct Booked {
    quantity: u32,
    /// Units it holds: taken from stock at placement or filled since.
    held: u32,
}

fn keys(queue: &[QueueEntry]) -> Vec<ReservationKey> {
    queue.iter().map(|entry| entry.reservation).collect()
}

/// `after` keeps `before`'s order: old entries may leave, new ones only join at the back.
fn keeps_queue_order(before: &[ReservationKey], after: &[ReservationKey]) -> bool {
    let (old, new): (Vec<ReservationKey>, Vec<ReservationKey>) =
        after.iter().partition(|key| before.contains(key));
    let old_first = after.iter().take(old.len()).copied().collect::<Vec<_>>() == old;
    let mut remaining = before.iter();
    let in_order = old
        .iter()
        .all(|key| remaining.any(|earlier| earlier == key));
    old_first && in_order && new.len() <= 1
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn quotes_split_exactly_and_never_promise_beyond_capacity(state in inventory(), quantity in 1u32..200) {
        let quote = state.quote(quantity, today()).unwrap();
        prop_assert_eq!(quote.from_stock + quote.backordered, quantity);
        prop_assert!(quote.from_stock <= state.available());
        prop_assert_eq!(quote.fulfillable, state.max_quantity().is_none_or(|max| quantity <= max));
        if let Some(max) = quote.max_quantity {
            prop_assert_eq!(max, state.available() + state.backorder_capacity().unwrap());
        }
        prop_assert_eq!(quote.ship_date.is_some(), quote.fulfillable && quote.backordered > 0);
        if let Some(date) = quote.ship_date {
            prop_assert!(date >= today());
            prop_assert_eq!(quote.ships_in_days, Some(date.days_after(today()) as u32));
        }
    }

    #[test]
    fn status_agrees_with_max_quantity(state in inventory()) {
        let status = state.status();
        prop_assert_eq!(status == Status::InStock, state.available() > 0);
        prop_assert_eq!(status == Status::OutOfStock, state.max_quantity() == Some(0));
        prop_assert_eq!(state.is_low_stock(), state.available() > 0 && state.available() <= state.low_stock_threshold);
    }

    #[test]
    fn signals_are_the_edges_of_available(before in inventory(), after in inventory()) {
        let said = signals(Some(before.standing()), &after);
        prop_assert_eq!(said.back_in_stock, before.status() != Status::InStock && after.status() == Status::InStock);
        prop_assert_eq!(said.low_stock, after.is_low_stock() && !before.is_low_stock());
        prop_assert_eq!(signals(Some(after.standing()), &after), Signals::default(), "no change, nothing to say");
    }

    #[test]
    fn later_positions_never_ship_earlier(state in inventory(), position in 1u64..300) {
        let here = state.arrival_of_position(position, today());
        let next = state.arrival_of_position(position + 1, today());
        prop_assert!(here <= next);
        prop_assert!(here >= today());
        let estimates = state.estimates(today());
        for pair in estimates.windows(2) {
            prop_assert!(pair[0].ship_date <= pair[1].ship_date);
            prop_assert_eq!(pair[0].last_position + 1, pair[1].first_position);
        }
    }

    #[test]
    fn larger_requests_never_ship_earlier(state in inventory(), quantity in 1u32..100) {
        let smaller = state.quote(quantity, today()).unwrap();
        let larger = state.quote(quantity + 1, today()).unwrap();
        if let (Some(small), Some(large)) = (smaller.ship_date, larger.ship_date) {
            prop_assert!(small <= large);
        }
    }

    /// What the widget previews from a public answer is what the server commits.
    #[test]
    fn browser_preview_quotes_exactly_like_the_server(state in inventory(), quantity in 1u32..150) {
        let outlook = state.backorder_outlook(today());
        let preview = Inventory::from_outlook(state.available(), state.backorder_capacity(), &outlook);
        let server = state.quote(quantity, today()).unwrap();
        let browser = preview.quote(quantity, today()).unwrap();
        prop_assert_eq!(browser.status, server.status);
        prop_assert_eq!(browser.max_quantity, server.max_quantity);
        prop_assert_eq!((browser.from_stock, browser.backordered), (server.from_stock, server.backordered));
        prop_assert_eq!(browser.fulfillable, server.fulfillable);
        prop_assert_eq!(browser.ship_date, server.ship_date);
        prop_assert_eq!(browser.ships_in_days, server.ships_in_days);
        prop_assert_eq!(browser.ship_date_latest, server.ship_date_latest);
        prop_assert_eq!(browser.ships_in_days_latest, server.ships_in_days_latest);
    }

    /// Every ship window: today ≤ likely ≤ latest, for quotes and estimates.
    #[test]
    fn windows_never_start_before_today_or_end_before_they_start(state in inventory(), position in 1u64..300, quantity in 1u32..150) {
        let (likely, latest) = state.window_of_position(position, today());
        prop_assert!(today() <= likely && likely <= latest);
        let quote = state.quote(quantity, today()).unwrap();
        prop_assert_eq!(quote.ship_date.is_some(), quote.ship_date_latest.is_some());
        if let (Some(likely), Some(latest)) = (quote.ship_date, quote.ship_date_latest) {
            prop_assert!(today() <= likely && likely <= latest);
            prop_assert_eq!(quote.ships_in_days_latest, Some(latest.days_after(today()) as u32));
        }
        for estimate in state.estimates(today()) {
            prop_assert!(today() <= estimate.ship_date && estimate.ship_date <= estimate.ship_date_latest);
        }
    }

    /// A supplier that was late every time never makes a date earlier than the
    /// ETAs alone would.
    #[test]
    fn a_late_supplier_never_moves_a_date_earlier(state in inventory(), late in proptest::collection::vec(1i32..25, 3..26), position in 1u64..300) {
        let state = Inventory { lateness: Lateness::from_record(&late), ..state };
        let (likely, _) = state.window_of_position(position, today());
        prop_assert!(likely >= eta_only_arrival(&state, position));
    }

    /// Fewer than three received purchase orders say nothing: the ETAs hold,
    /// and the window is one day.
    #[test]
    fn fewer_than_three_records_change_nothing(state in inventory(), record in proptest::collection::vec(-6i32..25, 0..3), position in 1u64..300) {
        let state = Inventory { lateness: Lateness::from_record(&record), ..state };
        let expected = eta_only_arrival(&state, position);
        prop_assert_eq!(state.window_of_position(position, today()), (expected, expected));
    }

    /// Random placements, receipts and cancellations: units are conserved, nobody is
    /// promised more than capacity allows, and the queue keeps its order.
    #[test]
    fn operation_sequences_keep_every_invariant(
        initial in inventory().prop_map(|mut state| { state.queue.clear(); state }),
        operations in proptest::collection::vec(operation(), 1..40),
    ) {
        let mut state = initial.clone();
        let mut booked: BTreeMap<ReservationKey, Booked> = BTreeMap::new();
        let mut next_key: ReservationKey = 1;
        let mut received: u64 = 0;

        for operation in operations {
            let before = state.clone();
            match operation {
                Operation::Place(quantity) => {
                    let max_before = before.max_quantity();
                    match before.place(quantity, next_key, today()) {
                        Ok((after, placement)) => {
                            prop_assert!(quantity >= 1);
                            prop_assert_eq!(placement.from_stock + placement.backordered, quantity);
                            prop_assert!(max_before.is_none_or(|max| quantity <= max));
                            prop_assert_eq!(after.stock, before.stock - placement.from_stock);
                            if let (BackorderPolicy::Allow, Some(limit)) = (before.backorders, before.backorder_limit) {
                                prop_assert!(after.queued() <= (limit as u64).max(before.queued()));
                            }
                            if before.backorders == BackorderPolicy::Deny {
                                prop_assert_eq!(placement.backordered, 0);
                            }
                            booked.insert(next_key, Booked { quantity, held: placement.from_stock });
                            next_key += 1;
                            state = after;
                        }
                        Err(InventoryError::InvalidQuantity) => prop_assert_eq!(quantity, 0),
                        Err(InventoryError::QuantityUnavailable { max_quantity }) => {
                            prop_assert_eq!(Some(max_quantity), max_before);
                            prop_assert!(quantity > max_quantity);
                        }
                    }
                }
                Operation::Receive(units) => match before.receive(units) {
                    Ok((after, receipt)) => {
                        let filled: u32 = receipt.fills.iter().map(|fill| fill.units).sum();
                        prop_assert_eq!(filled + receipt.to_stock, units);
                        prop_assert_eq!(after.stock, before.stock + receipt.to_stock);
                        let supply_before: u64 = before.incoming.iter().map(|o| o.quantity as u64).sum();
                        let supply_after: u64 = after.incoming.iter().map(|o| o.quantity as u64).sum();
                        prop_assert_eq!(supply_after, supply_before.saturating_sub(units as u64));
                        for fill in &receipt.fills {
                            booked.get_mut(&fill.reservation).unwrap().held += fill.units;
                        }
                        received += units as u64;
                        state = after;
                    }
                    Err(error) => {
                        prop_assert_eq!(error, InventoryError::InvalidQuantity);
                        prop_assert_eq!(units, 0);
                    }
                },
                Operation::Cancel(pick) => {
                    if booked.is_empty() {
                        continue;
                    }
                    let key = *booked.keys().nth(pick % booked.len()).unwrap();
                    let cancelled = booked.remove(&key).unwrap();
                    let (after, cancellation) = before.cancel(key, cancelled.held);
                    prop_assert_eq!(cancellation.left_queue, cancelled.quantity - cancelled.held);
                    let passed_on: u32 = cancellation.fills.iter().map(|fill| fill.units).sum();
                    prop_assert_eq!(passed_on + cancellation.to_stock, cancelled.held);
                    for fill in &cancellation.fills {
                        prop_assert!(fill.reservation != key);
                        booked.get_mut(&fill.reservation).unwrap().held += fill.units;
                    }
                    state = after;
                }
            }

            // Queue order is preserved: entries only leave or join at the back.
            prop_assert!(keeps_queue_order(&keys(&before.queue), &keys(&state.queue)));
            // The queue holds exactly the outstanding units of the live reservations.
            for entry in &state.queue {
                let reservation = booked[&entry.reservation];
                prop_assert_eq!(entry.outstanding, reservation.quantity - reservation.held);
                prop_assert!(entry.outstanding > 0);
            }
            let outstanding: u64 = booked.values().map(|b| (b.quantity - b.held) as u64).sum();
            prop_assert_eq!(state.queued(), outstanding);
            // Units are conserved: what was on hand plus what arrived is in stock or held.
            let held: u64 = booked.values().map(|b| b.held as u64).sum();
            prop_assert_eq!(state.stock as u64 + held, initial.stock as u64 + received);
        }
    }
}

/// What an insight is computed from, owned (`InsightInput` borrows).
#[derive(Clone, Debug)]
struct Figures {
    demand: Vec<u32>,
    lead_times: Vec<i64>,
    backordered: u64,
    stock: u32,
    on_order: u64,
    outstanding: u64,
    available: u32,
    supplier_days: Option<u32>,
    product_days: u32,
}

impl Figures {
    fn input(&self, service_level: ServiceLevel) -> InsightInput<'_> {
        InsightInput {
            daily_demand: &self.demand,
            backordered_units: self.backordered,
            stock: self.stock,
            on_order: self.on_order,
            backorders_outstanding: self.outstanding,
            available: self.available,
            observed_lead_times: &self.lead_times,
            supplier_lead_time_days: self.supplier_days,
            product_lead_time_days: self.product_days,
            service_level,
        }
    }

    /// Units demanded over the window (the last `WINDOW_DAYS` days given).
    fn demanded(&self) -> u64 {
        let skip = self.demand.len().saturating_sub(WINDOW_DAYS);
        self.demand[skip..].iter().map(|&units| units as u64).sum()
    }

    /// The lead time as a fraction (total days, count), the way the spec picks it:
    /// at least three observations (negatives as 0), else the supplier's, else the product's.
    fn lead_time(&self) -> (u128, u128, LeadTimeSource) {
        if self.lead_times.len() >= 3 {
            let total: u128 = self
                .lead_times
                .iter()
                .map(|&days| days.max(0) as u128)
                .sum();
            return (
                total,
                self.lead_times.len() as u128,
                LeadTimeSource::Observed,
            );
        }
        match self.supplier_days {
            Some(days) => (days as u128, 1, LeadTimeSource::Supplier),
            None => (self.product_days as u128, 1, LeadTimeSource::Product),
        }
    }
}

/// A shop's range: mostly quiet days, up to 1 000 units a day, histories
/// shorter and longer than the window, lead times up to a year (a few
/// negative, from a mistyped date).
fn figures() -> impl Strategy<Value = Figures> {
    let day = prop_oneof![3 => Just(0u32), 2 => 0u32..20, 1 => 0u32..1_000];
    (
        proptest::collection::vec(day, 0..WINDOW_DAYS + 10),
        proptest::collection::vec(-5i64..365, 0..21),
        0u64..500,
        0u32..5_000,
        0u64..3_000,
        0u64..3_000,
        0u32..5_000,
        proptest::option::of(0u32..365),
        0u32..365,
    )
        .prop_map(
            |(
                demand,
                lead_times,
                backordered,
                stock,
                on_order,
                outstanding,
                available,
                supplier_days,
                product_days,
            )| {
                Figures {
                    demand,
                    lead_times,
                    backordered,
                    stock,
                    on_order,
                    outstanding,
                    available,
                    supplier_days,
                    product_days,
                }
            },
        )
}

/// Anything the types allow.
fn extreme_figures() -> impl Strategy<Value = Figures> {
    (
        proptest::collection::vec(
            prop_oneof![Just(u32::MAX), Just(0u32), any::<u32>()],
            0..WINDOW_DAYS + 10,
        ),
        proptest::collection::vec(
            prop_oneof![Just(i64::MAX), Just(i64::MIN), any::<i64>()],
            0..25,
        ),
        any::<u64>(),
        prop_oneof![Just(u32::MAX), any::<u32>()],
        any::<u64>(),
        any::<u64>(),
        prop_oneof![Just(u32::MAX), any::<u32>()],
        proptest::option::of(any::<u32>()),
        any::<u32>(),
    )
        .prop_map(
            |(
                demand,
                lead_times,
                backordered,
                stock,
                on_order,
                outstanding,
                available,
                supplier_days,
                product_days,
            )| {
                Figures {
                    demand,
                    lead_times,
                    backordered,
                    stock,
                    on_order,
                    outstanding,
                    available,
                    supplier_days,
                    product_days,
                }
            },
        )
}

fn service_level() -> impl Strategy<Value = ServiceLevel> {
    prop_oneof![
        Just(ServiceLevel::MIN),
        Just(ServiceLevel::MAX),
        ServiceLevel::MIN..=ServiceLevel::MAX,
    ]
    .prop_map(|level| ServiceLevel::new(level).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A higher service level never asks for less safety stock (it is a
    /// `u32`, so never below 0), nor a lower reorder point.
    #[test]
    fn safety_stock_never_shrinks_as_the_service_level_grows(figures in figures(), a in service_level(), b in service_level()) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(low.z() <= high.z());
        let lower = Insight::from_input(&figures.input(low));
        let higher = Insight::from_input(&figures.input(high));
        prop_assert!(lower.safety_stock <= higher.safety_stock);
        prop_assert!(lower.reorder_point <= higher.reorder_point);
    }

    /// reorder_point − safety_stock is ceil(μ·L) exactly: checked in whole
    /// numbers (μ·L = units · lead days / (90 · observations)), so a float
    /// slip either way shows.
    #[test]
    fn the_reorder_point_is_lead_time_demand_plus_safety_stock(figures in figures(), level in service_level()) {
        let insight = Insight::from_input(&figures.input(level));
        let (lead_total, lead_count, source) = figures.lead_time();
        prop_assert_eq!(insight.lead_time_source, source);
        prop_assert!(insight.reorder_point >= insight.safety_stock);
        let lead_time_demand = (figures.demanded() as u128 * lead_total).div_ceil(WINDOW_DAYS as u128 * lead_count);
        prop_assert_eq!((insight.reorder_point - insight.safety_stock) as u128, lead_time_demand);
        prop_assert!((insight.daily_demand_mean - figures.demanded() as f64 / WINDOW_DAYS as f64).abs() < 1e-9);
        if source != LeadTimeSource::Observed {
            prop_assert_eq!(insight.lead_time_sd, 0.0);
        }
    }

    /// What holds exactly: reorder_needed ⇔ position ≤ reorder_point; not
    /// needed ⇒ suggested 0; needed ⇒ position + suggested = reorder_point +
    /// ceil(30·μ) (= ceil(units/3), in whole numbers). So suggested > 0 ⇔
    /// needed, except with no demand at position 0 (needed, nothing to
    /// order); with demand, an order lifts the position above the reorder point.
    #[test]
    fn a_reorder_is_needed_at_or_below_the_reorder_point_and_lifts_the_position_above_it(figures in figures(), level in service_level()) {
        let insight = Insight::from_input(&figures.input(level));
        let position = figures.stock as i64 + figures.on_order as i64 - figures.outstanding as i64;
        prop_assert_eq!(insight.position, position);
        prop_assert_eq!(insight.reorder_needed, position <= insight.reorder_point as i64);
        let demanded = figures.demanded();
        if insight.reorder_needed {
            let after = position + insight.suggested_order_quantity as i64;
            prop_assert_eq!(after, insight.reorder_point as i64 + demanded.div_ceil(3) as i64);
            if demanded > 0 {
                prop_assert!(after > insight.reorder_point as i64);
            }
        } else {
            prop_assert_eq!(insight.suggested_order_quantity, 0);
        }
        prop_assert_eq!(
            insight.suggested_order_quantity > 0,
            insight.reorder_needed && !(demanded == 0 && position == 0)
        );
    }

    /// Days of cover are floor(available / μ), in whole numbers
    /// floor(available · 90 / units); none without demand, like the backorder rate.
    #[test]
    fn days_of_cover_and_backorder_rate_need_demand(figures in figures(), level in service_level()) {
        let insight = Insight::from_input(&figures.input(level));
        let demanded = figures.demanded();
        prop_assert_eq!(insight.days_of_cover.is_none(), insight.daily_demand_mean == 0.0);
        prop_assert_eq!(insight.days_of_cover.is_none(), demanded == 0);
        prop_assert_eq!(insight.backorder_rate.is_none(), demanded == 0);
        let days = (figures.available as u64 * WINDOW_DAYS as u64).checked_div(demanded);
        prop_assert_eq!(insight.days_of_cover, days.map(|days| days as u32));
        if demanded > 0 {
            prop_assert_eq!(insight.backorder_rate, Some(figures.backordered as f64 / demanded as f64));
        }
    }

    /// Nothing panics, whatever the numbers (`u32::MAX` stock, lead times of
    /// `i64::MIN`/`MAX` days): figures saturate, and the rules that survive
    /// saturation still hold.
    #[test]
    fn insights_never_panic_on_extreme_figures(figures in extreme_figures(), level in service_level()) {
        let insight = Insight::from_input(&figures.input(level));
        prop_assert!(insight.daily_demand_mean.is_finite() && insight.daily_demand_sd.is_finite());
        prop_assert!(insight.lead_time_days.is_finite() && insight.lead_time_sd.is_finite());
        prop_assert!(insight.z.is_finite() && insight.z >= 0.0);
        prop_assert!(insight.reorder_point >= insight.safety_stock);
        let position = (figures.stock as i128 + figures.on_order as i128 - figures.outstanding as i128)
            .clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        prop_assert_eq!(insight.position, position);
        prop_assert_eq!(insight.reorder_needed, position <= insight.reorder_point as i64);
        if !insight.reorder_needed {
            prop_assert_eq!(insight.suggested_order_quantity, 0);
        } else {
            let gap = insight.reorder_point as i128 - position as i128;
            prop_assert!(insight.suggested_order_quantity as i128 >= gap.min(u32::MAX as i128));
        }
        prop_assert_eq!(insight.days_of_cover.is_none(), insight.daily_demand_mean == 0.0);
        prop_assert_eq!(insight.backorder_rate.is_none(), insight.daily_demand_mean == 0.0);
    }

    #[test]
    fn the_normal_quantile_increases(a in 0.0f64..1.0, b in 0.0f64..1.0) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(normal_quantile(low) <= normal_quantile(high));
    }
}
