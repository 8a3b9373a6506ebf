//! A calendar date without time zone, as a day number.
//!
//! Why not `time` or `chrono`: the widget ships this module to the browser,
//! and all the logic needs is "add days", "days between" and ISO-8601
//! parse/print. The conversions are Howard Hinnant's `days_from_civil`
//! algorithms (proleptic Gregorian calendar).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date, stored as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// Dates are limited to years 1..=9999 so every date prints as `YYYY-MM-DD`.
const MIN_DAY: i32 = -719_162; // 0001-01-01
const MAX_DAY: i32 = 2_932_896; // 9999-12-31

impl Date {
    /// The date `days` days after 1970-01-01, clamped to years 1..=9999.
    pub fn from_days_since_epoch(days: i64) -> Date {
        Date(days.clamp(MIN_DAY as i64, MAX_DAY as i64) as i32)
    }

    pub fn days_since_epoch(self) -> i64 {
        self.0 as i64
    }

    /// `None` when the day does not exist (e.g. February 30th) or the year is outside 1..=9999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// Adds days, saturating at the representable range.
    pub fn plus_days(self, days: u32) -> Date {
        Date::from_days_since_epoch(self.0 as i64 + days as i64)
    }

    /// Whole days from `earlier` to `self` (negative when `self` is earlier).
    pub fn days_after(self, earlier: Date) -> i64 {
        self.0 as i64 - earlier.0 as i64
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            bytes[range].iter().try_fold(0u32, |acc, &b| {
                b.is_ascii_digit().then(|| acc * 10 + (b - b'0') as u32)
            })
        };
        Date::from_ymd(number(0..4)? as i32, number(5..7)?, number(8..10)?)
    }

    /// Formats as `YYYY-MM-DD`.
    pub fn to_iso(self) -> String {
        let (year, month, day) = self.ymd();
        let mut out = String::with_capacity(10);
        push_digits(&mut out, year as u32, 4);
        out.push('-');
        push_digits(&mut out, month, 2);
        out.push('-');
        push_digits(&mut out, day, 2);
        out
    }
}

// Hand-rolled instead of `format!` to keep the formatting machinery out of the wasm.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for power in (0..width).rev() {
        let digit = (value / 10u32.pow(power)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400) as u32;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era as i32 - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097) as u32;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era as i32 + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_iso())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Date::parse_iso(&text)
            .ok_or_else(|| serde::de::Error::custom("expected a calendar date as YYYY-MM-DD"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn epoch_and_known_dates_round_trip() {
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(
            Date::from_ymd(2000, 3, 1).unwrap().days_since_epoch(),
            11_017
        );
        let leap_day = Date::parse_iso("2024-02-29").unwrap();
        assert_eq!(leap_day.to_iso(), "2024-02-29");
        assert_eq!(leap_day.plus_days(1).to_iso(), "2024-03-01");
        assert_eq!(
            Date::parse_iso("2026-12-31").unwrap().plus_days(1).to_iso(),
            "2027-01-01"
        );
    }

    #[test]
    fn rejects_impossible_or_malformed_dates() {
        for text in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "2026-01-0a",
            "",
        ] {
            assert_eq!(Date::parse_iso(text), None, "{text}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let start = Date::from_ymd(1900, 1, 1).unwrap();
        for offset in 0..146_097 {
            let date = start.plus_days(offset);
            let (y, m, d) = date.ymd();
            assert_eq!(Date::from_ymd(y, m, d), Some(date));
            assert_eq!(Date::parse_iso(&date.to_iso()), Some(date));
        }
    }
}
