//! The server's one clock. Everything that needs "now" or "today" asks it, so
//! tests can pin time.

use crate::logic::Date;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const SECONDS_PER_DAY: i64 = 86_400;

pub trait Clock: Send + Sync + 'static {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn unix_seconds(&self) -> i64;

    /// Today's date in UTC.
    fn today(&self) -> Date {
        Date::from_days_since_epoch(self.unix_seconds().div_euclid(SECONDS_PER_DAY))
    }

    /// Now as RFC 3339 in UTC, e.g. `2026-11-28T07:52:17Z`.
    fn now_rfc3339(&self) -> String {
        rfc3339(self.unix_seconds())
    }
}

/// Wall-clock time, UTC.
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_seconds(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => elapsed.as_secs() as i64,
            Err(before_epoch) => -(before_epoch.duration().as_secs() as i64),
        }
    }

    /// Every answer carries the time: format it once per second and thread.
    fn now_rfc3339(&self) -> String {
        thread_local! {
            static LAST: std::cell::RefCell<(i64, String)> =
                const { std::cell::RefCell::new((i64::MIN, String::new())) };
        }
        let now = self.unix_seconds();
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if last.0 != now {
                *last = (now, rfc3339(now));
            }
            last.1.clone()
        })
    }
}

/// A clock that only moves when told to (tests).
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn at(date: Date) -> FixedClock {
        FixedClock(AtomicI64::new(
            date.days_since_epoch() * SECONDS_PER_DAY + 12 * 3600,
        ))
    }

    pub fn advance_days(&self, days: i64) {
        self.0.fetch_add(days * SECONDS_PER_DAY, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn unix_seconds(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Real time in milliseconds since 1970, whatever clock the shop's dates
/// follow: webhook deliveries are scheduled against it, and receivers check
/// `webhook-timestamp` against their own.
pub fn real_unix_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => elapsed.as_millis() as i64,
        Err(before_epoch) => -(before_epoch.duration().as_millis() as i64),
    }
}

pub fn rfc3339(unix_seconds: i64) -> String {
    let date = Date::from_days_since_epoch(unix_seconds.div_euclid(SECONDS_PER_DAY));
    let second_of_day = unix_seconds.rem_euclid(SECONDS_PER_DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date.to_iso(),
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_852_337), "2026-11-28T07:52:17Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn fixed_clock_moves_by_whole_days() {
        let start = Date::parse_iso("2026-02-27").unwrap();
        let clock = FixedClock::at(start);
        assert_eq!(clock.today(), start);
        clock.advance_days(2);
        assert_eq!(clock.today().to_iso(), "2026-03-01");
    }
}
