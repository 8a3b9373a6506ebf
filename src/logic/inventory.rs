//! Availability, backorder placement, ship dates from supply, first-come-first-served fill.
//!
//! Every operation takes `&self` and returns a new `Inventory` plus what happened,
//! so a failed operation cannot leave a half-changed state behind.

use super::date::Date;
use super::outcome::{
    Arrival, BackorderOutlook, Cancellation, Estimate, Fill, InventoryError, Placement, Quote,
    Receipt, ReservationKey, Status,
};
use super::supply::{Lateness, Schedule, order_window, unordered_window};
use serde::{Deserialize, Serialize};

/// Supplier lead time used when the merchant does not set one.
pub const DEFAULT_LEAD_TIME_DAYS: u32 = 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackorderPolicy {
    Allow,
    Deny,
}

/// An open purchase order: units the supplier will deliver on `eta`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    pub quantity: u32,
    pub eta: Date,
}

/// Units of one reservation still waiting for supply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    pub reservation: ReservationKey,
    pub outstanding: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    /// Units on hand and not yet promised to anyone.
    pub stock: u32,
    /// Units never promised online.
    pub safety_stock: u32,
    /// `0 < available <= threshold` is "low stock"; 0 turns it off.
    pub low_stock_threshold: u32,
    pub backorders: BackorderPolicy,
    /// Most units outstanding on backorder at once; `None` = unlimited. Ignored when denied.
    pub backorder_limit: Option<u32>,
    /// Lead time for units that no open purchase order covers.
    pub lead_time_days: u32,
    /// Open purchase orders, in the order the merchant entered them.
    pub incoming: Vec<PurchaseOrder>,
    /// Backordered units of earlier reservations, first come first served.
    pub queue: Vec<QueueEntry>,
    /// How late the supplier delivers ([`Lateness::UNKNOWN`]: the ETAs hold).
    pub lateness: Lateness,
    /// A browser's copy ([`Inventory::from_outlook`]): supply as a public
    /// answer states it, instead of `incoming` and `lateness`.
    pub stated_supply: Option<BackorderOutlook>,
}

impl Inventory {
    /// A product with the documented defaults: nothing on hand, backorders denied.
    pub fn new(stock: u32) -> Inventory {
        Inventory {
            stock,
            safety_stock: 0,
            low_stock_threshold: 0,
            backorders: BackorderPolicy::Deny,
            backorder_limit: None,
            lead_time_days: DEFAULT_LEAD_TIME_DAYS,
            incoming: Vec::new(),
            queue: Vec::new(),
            lateness: Lateness::UNKNOWN,
            stated_supply: None,
        }
    }

    /// Units that ship now.
    pub fn available(&self) -> u32 {
        self.stock.saturating_sub(self.safety_stock)
    }

    /// Units outstanding in the backorder queue.
    pub fn queued(&self) -> u64 {
        self.queue
            .iter()
            .map(|entry| entry.outstanding as u64)
            .sum()
    }

    /// More units that may go on backorder; `None` = unlimited.
    pub fn backorder_capacity(&self) -> Option<u32> {
        match (self.backorders, self.backorder_limit) {
            (BackorderPolicy::Deny, _) => Some(0),
            (BackorderPolicy::Allow, None) => None,
            (BackorderPolicy::Allow, Some(limit)) => {
                Some((limit as u64).saturating_sub(self.queued()) as u32)
            }
        }
    }

    /// The most one request may take; `None` = unlimited.
    pub fn max_quantity(&self) -> Option<u32> {
        self.backorder_capacity()
            .map(|capacity| self.available().saturating_add(capacity))
    }

    pub fn status(&self) -> Status {
        if self.available() > 0 {
            Status::InStock
        } else if self.backorder_capacity() != Some(0) {
            Status::Backorder
        } else {
            Status::OutOfStock
        }
    }

    pub fn is_low_stock(&self) -> bool {
        let available = self.available();
        available > 0 && available <= self.low_stock_threshold
    }

    /// What a request for `quantity` units would get on `today`.
    pub fn quote(&self, quantity: u32, today: Date) -> Result<Quote, InventoryError> {
        if quantity == 0 {
            return Err(InventoryError::InvalidQuantity);
        }
        let available = self.available();
        let max_quantity = self.max_quantity();
        let from_stock = quantity.min(available);
        let backordered = quantity - from_stock;
        let fulfillable = max_quantity.is_none_or(|max| quantity <= max);
        let window = (fulfillable && backordered > 0)
            .then(|| self.window_of_position(self.queued() + backordered as u64, today));
        Ok(Quote {
            status: self.status(),
            available,
            low_stock: self.is_low_stock(),
            max_quantity,
            quantity,
            from_stock,
            backordered,
            fulfillable,
            ship_date: window.map(|(likely, _)| likely),
            ships_in_days: window.map(|(likely, _)| days_until(likely, today)),
            ship_date_latest: window.map(|(_, latest)| latest),
            ships_in_days_latest: window.map(|(_, latest)| days_until(latest, today)),
        })
    }

    /// Open purchase orders by `eta`; orders with the same `eta` keep their order.
    pub fn supply_schedule(&self) -> Vec<PurchaseOrder> {
        let mut schedule: Vec<PurchaseOrder> = Vec::with_capacity(self.incoming.len());
        for order in self.incoming.iter().filter(|order| order.quantity > 0) {
            let at = schedule.partition_point(|earlier| earlier.eta <= order.eta);
            schedule.insert(at, *order);
        }
        schedule
    }

    /// Supply as it likely arrives and as it arrives at the latest: each
    /// purchase order in its window, units beyond them after the lead time.
    /// Units fill the queue in the order they arrive, so each schedule is
    /// sorted by its own dates.
    pub fn schedules(&self, today: Date) -> (Schedule, Schedule) {
        if let Some(stated) = &self.stated_supply {
            return (
                Schedule::new(&stated.arrivals, stated.later),
                Schedule::new(
                    stated.arrivals_latest.as_ref().unwrap_or(&stated.arrivals),
                    stated.later_latest.unwrap_or(stated.later),
                ),
            );
        }
        let mut likely = Vec::with_capacity(self.incoming.len());
        let mut latest = Vec::with_capacity(self.incoming.len());
        for order in &self.incoming {
            let window = order_window(order.eta, self.lateness, self.lead_time_days, today);
            likely.push(Arrival {
                units: order.quantity,
                date: window.likely,
            });
            latest.push(Arrival {
                units: order.quantity,
                date: window.latest,
            });
        }
        let beyond = unordered_window(self.lateness, self.lead_time_days, today);
        (
            Schedule::new(&likely, beyond.likely),
            Schedule::new(&latest, beyond.latest),
        )
    }

    /// When the unit at 1-based queue `position` likely ships, and at the latest.
    pub fn window_of_position(&self, position: u64, today: Date) -> (Date, Date) {
        let (likely, latest) = self.schedules(today);
        (likely.arrival(position), latest.arrival(position))
    }

    /// When the unit at 1-based queue `position` likely arrives.
    pub fn arrival_of_position(&self, position: u64, today: Date) -> Date {
        self.window_of_position(position, today).0
    }

    /// The supply that new backorders would get, after the current queue.
    pub fn backorder_outlook(&self, today: Date) -> BackorderOutlook {
        let (likely, latest) = self.schedules(today);
        let queued = self.queued();
        let (likely, latest) = (likely.after(queued), latest.after(queued));
        BackorderOutlook {
            arrivals: likely.arrivals,
            later: likely.later,
            arrivals_latest: Some(latest.arrivals),
            later_latest: Some(latest.later),
        }
    }

    /// The inventory a shopper's browser can rebuild from a public availability
    /// answer: `available` units now, room for `backorder_capacity` more
    /// (`None` = unlimited), supply as in `outlook`. Its quotes equal the
    /// full inventory's for every quantity.
    pub fn from_outlook(
        available: u32,
        backorder_capacity: Option<u32>,
        outlook: &BackorderOutlook,
    ) -> Inventory {
        Inventory {
            backorders: if backorder_capacity == Some(0) {
                BackorderPolicy::Deny
            } else {
                BackorderPolicy::Allow
            },
            backorder_limit: backorder_capacity,
            stated_supply: Some(outlook.clone()),
            ..Inventory::new(available)
        }
    }

    /// Takes `quantity` units: from stock first, the rest joins the back of the queue.
    pub fn place(
        &self,
        quantity: u32,
        reservation: ReservationKey,
        today: Date,
    ) -> Result<(Inventory, Placement), InventoryError> {
        let quote = self.quote(quantity, today)?;
        if !quote.fulfillable {
            // A finite max: unlimited capacity is always fulfillable.
            let max_quantity = quote.max_quantity.unwrap_or(u32::MAX);
            return Err(InventoryError::QuantityUnavailable { max_quantity });
        }
        // Room for the new entry: a long queue is copied once, not twice.
        let mut next = self.with_room_in_queue(usize::from(quote.backordered > 0));
        next.stock -= quote.from_stock;
        if quote.backordered > 0 {
            next.queue.push(QueueEntry {
                reservation,
                outstanding: quote.backordered,
            });
        }
        let placement = Placement {
            from_stock: quote.from_stock,
            backordered: quote.backordered,
            ship_date: quote.ship_date,
            ships_in_days: quote.ships_in_days,
            ship_date_latest: quote.ship_date_latest,
            ships_in_days_latest: quote.ships_in_days_latest,
        };
        Ok((next, placement))
    }

    /// A copy whose queue has room for `extra` more entries.
    fn with_room_in_queue(&self, extra: usize) -> Inventory {
        let mut queue = Vec::with_capacity(self.queue.len() + extra);
        queue.extend_from_slice(&self.queue);
        Inventory {
            queue,
            incoming: self.incoming.clone(),
            stated_supply: self.stated_supply.clone(),
            ..*self
        }
    }

    /// Stock arrives: it fills the queue first come first served, the rest goes
    /// to `stock`, and the earliest purchase orders are reduced by `quantity`.
    pub fn receive(&self, quantity: u32) -> Result<(Inventory, Receipt), InventoryError> {
        if quantity == 0 {
            return Err(InventoryError::InvalidQuantity);
        }
        let mut next = self.clone();
        let (fills, to_stock) = next.fill_queue(quantity);
        next.incoming = reduce_supply(&self.supply_schedule(), quantity);
        Ok((next, Receipt { fills, to_stock }))
    }

    /// Like [`Inventory::receive`], but the units go to the purchase order at
    /// index `first` of `incoming` before the others (then the earliest by
    /// `eta`, as `receive` does); `None` or an index past the end: earliest
    /// first. `incoming` keeps its order and length — order `i` of the result
    /// is order `i` reduced, perhaps to 0 — so the caller can tell which
    /// orders the units went to.
    pub fn receive_into(
        &self,
        quantity: u32,
        first: Option<usize>,
    ) -> Result<(Inventory, Receipt), InventoryError> {
        if quantity == 0 {
            return Err(InventoryError::InvalidQuantity);
        }
        let mut next = self.clone();
        let (fills, to_stock) = next.fill_queue(quantity);
        let mut order: Vec<usize> = Vec::with_capacity(self.incoming.len());
        for (index, po) in self.incoming.iter().enumerate() {
            if Some(index) == first {
                continue;
            }
            let at = order.partition_point(|&earlier| self.incoming[earlier].eta <= po.eta);
            order.insert(at, index);
        }
        if let Some(first) = first.filter(|&first| first < self.incoming.len()) {
            order.insert(0, first);
        }
        let mut remaining = quantity;
        for index in order {
            let po = &mut next.incoming[index];
            let taken = remaining.min(po.quantity);
            po.quantity -= taken;
            remaining -= taken;
        }
        Ok((next, Receipt { fills, to_stock }))
    }

    /// Cancels a reservation that holds `held` units (taken from stock or filled
    /// since): those go to the reservations waiting behind, then to `stock`; its
    /// outstanding units leave the queue, and everyone behind moves up.
    pub fn cancel(&self, reservation: ReservationKey, held: u32) -> (Inventory, Cancellation) {
        let mut next = self.clone();
        let left_queue = next
            .queue
            .iter()
            .filter(|entry| entry.reservation == reservation)
            .map(|entry| entry.outstanding)
            .sum();
        next.queue.retain(|entry| entry.reservation != reservation);
        let (fills, to_stock) = next.fill_queue(held);
        (
            next,
            Cancellation {
                left_queue,
                fills,
                to_stock,
            },
        )
    }

    /// The current estimate of one queued reservation; `None` when it is not waiting.
    pub fn estimate(&self, reservation: ReservationKey, today: Date) -> Option<Estimate> {
        self.estimates(today)
            .into_iter()
            .find(|estimate| estimate.reservation == reservation)
    }

    /// Current estimates of every queued reservation, in queue order.
    pub fn estimates(&self, today: Date) -> Vec<Estimate> {
        let (likely, latest) = self.schedules(today);
        let mut before: u64 = 0;
        let mut estimates = Vec::with_capacity(self.queue.len());
        for entry in self.queue.iter().filter(|entry| entry.outstanding > 0) {
            let first_position = before + 1;
            let last_position = before + entry.outstanding as u64;
            before = last_position;
            let ship_date = likely.arrival(last_position);
            let ship_date_latest = latest.arrival(last_position);
            estimates.push(Estimate {
                reservation: entry.reservation,
                outstanding: entry.outstanding,
                first_position,
                last_position,
                ship_date,
                ships_in_days: days_until(ship_date, today),
                ship_date_latest,
                ships_in_days_latest: days_until(ship_date_latest, today),
            });
        }
        estimates
    }

    /// Hands `units` to the queue in order; returns the fills and what is left for stock.
    fn fill_queue(&mut self, units: u32) -> (Vec<Fill>, u32) {
        let mut remaining = units;
        let mut fills = Vec::new();
        for entry in self.queue.iter_mut() {
            if remaining == 0 {
                break;
            }
            let taken = remaining.min(entry.outstanding);
            if taken == 0 {
                continue;
            }
            entry.outstanding -= taken;
            remaining -= taken;
            fills.push(Fill {
                reservation: entry.reservation,
                units: taken,
                outstanding: entry.outstanding,
            });
        }
        self.queue.retain(|entry| entry.outstanding > 0);
        self.stock = self.stock.saturating_add(remaining);
        (fills, remaining)
    }
}

fn days_until(date: Date, today: Date) -> u32 {
    date.days_after(today).clamp(0, u32::MAX as i64) as u32
}

/// The schedule after `received` units arrived, earliest orders first.
fn reduce_supply(schedule: &[PurchaseOrder], received: u32) -> Vec<PurchaseOrder> {
    let mut remaining = received;
    let mut reduced = Vec::with_capacity(schedule.len());
    for order in schedule {
        let taken = remaining.min(order.quantity);
        remaining -= taken;
        if order.quantity > taken {
            reduced.push(PurchaseOrder {
                quantity: order.quantity - taken,
                eta: order.eta,
            });
        }
    }
    reduced
}

#[cfg(test)]
mod receive_into_tests {
    use super::*;

    fn today() -> Date {
        Date::parse_iso("2026-03-10").unwrap()
    }

    fn po(quantity: u32, days: u32) -> PurchaseOrder {
        PurchaseOrder {
            quantity,
            eta: today().plus_days(days),
        }
    }

    fn with_orders(incoming: Vec<PurchaseOrder>) -> Inventory {
        Inventory {
            backorders: BackorderPolicy::Allow,
            incoming,
            ..Inventory::new(0)
        }
    }

    fn quantities(inventory: &Inventory) -> Vec<u32> {
        inventory
            .incoming
            .iter()
            .map(|order| order.quantity)
            .collect()
    }

    #[test]
    fn the_named_order_is_reduced_first_and_orders_keep_their_places() {
        let inventory = with_orders(vec![po(4, 10), po(3, 5), po(6, 20)]);
        let (after, receipt) = inventory.receive_into(5, Some(2)).unwrap();
        assert_eq!(quantities(&after), vec![4, 3, 1]);
        assert_eq!(receipt.to_stock, 5);
        assert_eq!(after.stock, 5);
    }

    #[test]
    fn units_beyond_the_named_order_go_to_the_earliest_others() {
        let inventory = with_orders(vec![po(4, 10), po(3, 5), po(2, 20)]);
        let (after, _) = inventory.receive_into(6, Some(2)).unwrap();
        assert_eq!(
            quantities(&after),
            vec![3, 0, 0],
            "the named order, then the one due in 5 days, then the one due in 10"
        );
    }

    #[test]
    fn without_a_name_it_reduces_what_receive_reduces() {
        let inventory = with_orders(vec![po(4, 10), po(3, 5), po(2, 10)]);
        for units in 1..=12 {
            let (into, into_receipt) = inventory.receive_into(units, None).unwrap();
            let (plain, plain_receipt) = inventory.receive(units).unwrap();
            assert_eq!(into_receipt, plain_receipt);
            assert_eq!(into.supply_schedule(), plain.supply_schedule(), "{units}");
            assert_eq!(into.stock, plain.stock);
            assert_eq!(into.incoming.len(), 3, "orders keep their places");
        }
    }

    #[test]
    fn an_index_past_the_end_is_no_name_and_zero_units_are_refused() {
        let inventory = with_orders(vec![po(4, 10), po(3, 5)]);
        let (after, _) = inventory.receive_into(2, Some(7)).unwrap();
        assert_eq!(quantities(&after), vec![4, 1]);
        assert_eq!(
            inventory.receive_into(0, Some(0)).unwrap_err(),
            InventoryError::InvalidQuantity
        );
    }

    #[test]
    fn the_queue_is_filled_as_receive_fills_it() {
        let mut inventory = with_orders(vec![po(4, 10), po(3, 5)]);
        inventory.queue = vec![QueueEntry {
            reservation: 1,
            outstanding: 2,
        }];
        let (after, receipt) = inventory.receive_into(3, Some(0)).unwrap();
        assert_eq!(receipt.fills.len(), 1);
        assert_eq!(receipt.to_stock, 1);
        assert!(after.queue.is_empty());
        assert_eq!(quantities(&after), vec![1, 3]);
    }
}
