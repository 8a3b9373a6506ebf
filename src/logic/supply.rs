//! When supply arrives: a supplier's lateness from its record, each purchase
//! order's window (likely, at the latest), and the two schedules that turn a
//! queue position into a ship window.

use super::date::Date;
use super::outcome::Arrival;

/// How many of a supplier's latest received purchase orders its record keeps.
pub const RECORD_LENGTH: usize = 20;
/// Fewer received purchase orders than this say nothing: the ETA is trusted.
pub const MIN_RECORDS: usize = 3;

/// How late a supplier delivers: the median and 90th percentile of its
/// recent purchase orders' lateness in whole days, never below 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lateness {
    pub p50: u32,
    pub p90: u32,
    /// The record has at least [`MIN_RECORDS`] purchase orders; without
    /// that, an overdue order is still believed to come today.
    pub known: bool,
}

impl Lateness {
    /// No record: every ETA is trusted.
    pub const UNKNOWN: Lateness = Lateness {
        p50: 0,
        p90: 0,
        known: false,
    };

    /// From the days each received purchase order came after its ETA
    /// (negative: early), oldest first; only the last [`RECORD_LENGTH`]
    /// count. Percentiles by nearest rank: `sorted[ceil(q·n) − 1]`.
    pub fn from_record(days_late: &[i32]) -> Lateness {
        let recent = &days_late[days_late.len().saturating_sub(RECORD_LENGTH)..];
        if recent.len() < MIN_RECORDS {
            return Lateness::UNKNOWN;
        }
        let mut sorted = recent.to_vec();
        sorted.sort_unstable();
        let rank = |tenths: usize| {
            let index = (tenths * sorted.len()).div_ceil(10) - 1;
            sorted[index].max(0) as u32
        };
        Lateness {
            p50: rank(5),
            p90: rank(9),
            known: true,
        }
    }
}

/// When a purchase order due on `eta` likely arrives and arrives at the
/// latest. An order already later than its supplier's 90th percentile is no
/// longer believed: tomorrow at best, within the lead time at worst.
pub fn order_window(eta: Date, lateness: Lateness, lead_time_days: u32, today: Date) -> Window {
    if lateness.known && eta.plus_days(lateness.p90) < today {
        let likely = today.plus_days(1);
        return Window {
            likely,
            latest: today.plus_days(lead_time_days).max(likely),
        };
    }
    let likely = eta.plus_days(lateness.p50).max(today);
    Window {
        likely,
        latest: eta.plus_days(lateness.p90).max(likely),
    }
}

/// When units no purchase order covers arrive: ordered today, after the lead time.
pub fn unordered_window(lateness: Lateness, lead_time_days: u32, today: Date) -> Window {
    let arrival = today.plus_days(lead_time_days);
    Window {
        likely: arrival.plus_days(lateness.p50),
        latest: arrival.plus_days(lateness.p90),
    }
}

/// A likely date and a latest one, `likely <= latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub likely: Date,
    pub latest: Date,
}

/// Units by the date they arrive (sorted), and when units beyond them do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub arrivals: Vec<Arrival>,
    pub later: Date,
}

impl Schedule {
    /// `arrivals` in any order (sorted here, stable), `beyond` the date of
    /// units beyond them — never before the last of them.
    pub fn new(arrivals: &[Arrival], beyond: Date) -> Schedule {
        // Insertion sort: stable, a handful of orders, and far less code in
        // the widget's wasm than the standard library's sort.
        let mut sorted: Vec<Arrival> = Vec::with_capacity(arrivals.len());
        for arrival in arrivals.iter().filter(|arrival| arrival.units > 0) {
            let at = sorted.partition_point(|earlier| earlier.date <= arrival.date);
            sorted.insert(at, *arrival);
        }
        let later = sorted.last().map_or(beyond, |last| beyond.max(last.date));
        Schedule {
            arrivals: sorted,
            later,
        }
    }

    /// When the unit at 1-based `position` arrives.
    pub fn arrival(&self, position: u64) -> Date {
        let mut cumulative: u64 = 0;
        for arrival in &self.arrivals {
            cumulative += arrival.units as u64;
            if cumulative >= position {
                return arrival.date;
            }
        }
        self.later
    }

    /// The schedule for whoever comes after the first `taken` units.
    pub fn after(&self, taken: u64) -> Schedule {
        let mut skip = taken;
        let mut arrivals = Vec::with_capacity(self.arrivals.len());
        for arrival in &self.arrivals {
            let skipped = skip.min(arrival.units as u64);
            skip -= skipped;
            let units = arrival.units - skipped as u32;
            if units > 0 {
                arrivals.push(Arrival {
                    units,
                    date: arrival.date,
                });
            }
        }
        Schedule {
            arrivals,
            later: self.later,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> Date {
        Date::from_ymd(2026, 3, 1).unwrap().plus_days(n)
    }

    #[test]
    fn fewer_than_three_records_trust_the_eta() {
        assert_eq!(Lateness::from_record(&[]), Lateness::UNKNOWN);
        assert_eq!(Lateness::from_record(&[9, 9]), Lateness::UNKNOWN);
        let overdue = order_window(day(2), Lateness::UNKNOWN, 14, day(5));
        assert_eq!(
            overdue,
            Window {
                likely: day(5),
                latest: day(5)
            }
        );
    }

    #[test]
    fn percentiles_are_nearest_rank_of_the_last_twenty_clamped_at_zero() {
        // 1..=10: p50 = sorted[ceil(5) - 1] = 5, p90 = sorted[ceil(9) - 1] = 9.
        let late: Vec<i32> = (1..=10).collect();
        assert_eq!(
            Lateness::from_record(&late),
            Lateness {
                p50: 5,
                p90: 9,
                known: true
            }
        );
        // Three records: p50 = sorted[1], p90 = sorted[2].
        assert_eq!(Lateness::from_record(&[4, -2, 1]).p50, 1);
        assert_eq!(Lateness::from_record(&[4, -2, 1]).p90, 4);
        // Early suppliers never make a date earlier than the ETA.
        assert_eq!(
            Lateness::from_record(&[-5, -3, -1]),
            Lateness {
                p50: 0,
                p90: 0,
                known: true
            }
        );
        // Only the last twenty count: thirty very late, then twenty on time.
        let mut record = vec![30; 30];
        record.extend([0; 20]);
        assert_eq!(Lateness::from_record(&record).p90, 0);
    }

    #[test]
    fn an_order_later_than_its_suppliers_p90_is_no_longer_believed() {
        let lateness = Lateness {
            p50: 2,
            p90: 4,
            known: true,
        };
        // Due day 10: likely day 12, at the latest day 14.
        assert_eq!(
            order_window(day(10), lateness, 7, day(1)),
            Window {
                likely: day(12),
                latest: day(14)
            }
        );
        // Day 13: late, but within p90 — likely today, latest day 14.
        assert_eq!(
            order_window(day(10), lateness, 7, day(13)),
            Window {
                likely: day(13),
                latest: day(14)
            }
        );
        // Day 15: beyond p90 — tomorrow at best, within the lead time at worst.
        assert_eq!(
            order_window(day(10), lateness, 7, day(15)),
            Window {
                likely: day(16),
                latest: day(22)
            }
        );
    }

    #[test]
    fn schedules_sort_skip_and_never_end_before_their_last_arrival() {
        let arrivals = [
            Arrival {
                units: 3,
                date: day(9),
            },
            Arrival {
                units: 2,
                date: day(4),
            },
        ];
        let schedule = Schedule::new(&arrivals, day(6));
        assert_eq!(schedule.arrival(1), day(4));
        assert_eq!(schedule.arrival(2), day(4));
        assert_eq!(schedule.arrival(3), day(9));
        assert_eq!(
            schedule.arrival(6),
            day(9),
            "beyond: not before the last order"
        );
        let rest = schedule.after(3);
        assert_eq!(
            rest.arrivals,
            vec![Arrival {
                units: 2,
                date: day(9)
            }]
        );
        assert_eq!(rest.arrival(3), day(9));
    }
}
