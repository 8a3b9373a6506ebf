//! The server's one clock. Everything that needs "now" or "today" asks it, so
//! tests can pin time.

use crate::logic::Date;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub const SECONDS_PER_DAY: i64 = 86_400;

pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn unix_millis(&self) -> i64;

    /// Seconds since 1970-01-01T00:00:00Z.
    fn unix_seconds(&self) -> i64 {
        self.unix_millis().div_euclid(1000)
    }

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
    fn unix_millis(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => elapsed.as_millis() as i64,
            Err(before_epoch) => -(before_epoch.duration().as_millis() as i64),
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

/// A clock for tests: it starts at noon of a chosen day and runs at real
/// speed (webhook retries and leases still come due), and jumps when told.
/// From noon, a test has twelve hours before its date changes by itself.
pub struct TestClock {
    start_ms: i64,
    started: Instant,
    jumped_ms: AtomicI64,
}

impl TestClock {
    pub fn at(date: Date) -> TestClock {
        TestClock {
            start_ms: (date.days_since_epoch() * SECONDS_PER_DAY + 12 * 3600) * 1000,
            started: Instant::now(),
            jumped_ms: AtomicI64::new(0),
        }
    }

    pub fn advance_days(&self, days: i64) {
        self.advance_millis(days * SECONDS_PER_DAY * 1000);
    }

    pub fn advance_millis(&self, millis: i64) {
        self.jumped_ms.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn unix_millis(&self) -> i64 {
        self.start_ms
            + self.started.elapsed().as_millis() as i64
            + self.jumped_ms.load(Ordering::SeqCst)
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
    fn the_test_clock_starts_at_noon_and_jumps_when_told() {
        let start = Date::parse_iso("2026-02-27").unwrap();
        let clock = TestClock::at(start);
        assert!(clock.now_rfc3339().starts_with("2026-02-27T12:00"));
        assert_eq!(clock.today(), start);
        clock.advance_days(2);
        assert_eq!(clock.today().to_iso(), "2026-03-01");
    }
}
