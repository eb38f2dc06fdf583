//! Dates as people read them and as the rules count them: calendar dates
//! in Europe/Amsterdam.
//!
//! Instants are kept in UTC (the store, the logs, expiry times); every
//! date that a person reads or that a rule counts from (the invoice date
//! and the year of its number series, due dates, deadlines, the dates in
//! mails and pages) is the date on the calendar in Amsterdam at that
//! instant. An application confirmed at 00:30 on 1 January in Amsterdam is
//! invoiced on 1 January, in that year's series, although it is still 31
//! December in UTC; the daylight-saving changes move the hour of midnight
//! in UTC, which the time zone database knows.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Amsterdam;

/// The calendar date in Amsterdam at `instant`.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&Amsterdam).date_naive()
}

/// The hour on the clock in Amsterdam at `instant` (0 to 23).
pub fn local_hour(instant: DateTime<Utc>) -> u32 {
    use chrono::Timelike;
    instant.with_timezone(&Amsterdam).hour()
}

/// The instant the day `date` starts in Amsterdam (midnight there; on a
/// day whose midnight the clock skips, the first instant of the day).
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    Amsterdam
        .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN)),
            |t| t.with_timezone(&Utc),
        )
}

/// The time on the clock in Amsterdam at `instant`: `09:05`.
pub fn local_time(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Amsterdam)
        .format("%H:%M")
        .to_string()
}

/// `30 november 2026`, as Dutch texts write a date.
pub fn dutch_date(date: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let month = MONTHS
        .get(date.month0() as usize)
        .copied()
        .unwrap_or_default();
    format!("{} {month} {}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }

    #[test]
    fn new_year_comes_an_hour_earlier_in_amsterdam() {
        assert_eq!(local_date(utc(2026, 12, 31, 22, 59)), date(2026, 12, 31));
        assert_eq!(local_date(utc(2026, 12, 31, 23, 0)), date(2027, 1, 1));
        assert_eq!(local_date(utc(2026, 12, 31, 23, 30)), date(2027, 1, 1));
    }

    #[test]
    fn midnight_moves_with_summer_time() {
        // Summer time starts on 28 March 2027 at 01:00 UTC: midnight is at
        // 23:00 UTC before it and at 22:00 UTC after it.
        assert_eq!(local_date(utc(2027, 3, 27, 22, 59)), date(2027, 3, 27));
        assert_eq!(local_date(utc(2027, 3, 27, 23, 0)), date(2027, 3, 28));
        assert_eq!(local_date(utc(2027, 3, 28, 21, 59)), date(2027, 3, 28));
        assert_eq!(local_date(utc(2027, 3, 28, 22, 0)), date(2027, 3, 29));
        // It ends on 31 October 2027 at 01:00 UTC.
        assert_eq!(local_date(utc(2027, 10, 30, 21, 59)), date(2027, 10, 30));
        assert_eq!(local_date(utc(2027, 10, 30, 22, 0)), date(2027, 10, 31));
        assert_eq!(local_date(utc(2027, 10, 31, 22, 59)), date(2027, 10, 31));
        assert_eq!(local_date(utc(2027, 10, 31, 23, 0)), date(2027, 11, 1));
    }

    #[test]
    fn eight_in_the_morning_in_winter_and_summer() {
        assert_eq!(local_hour(utc(2027, 1, 15, 7, 0)), 8);
        assert_eq!(local_hour(utc(2027, 7, 15, 6, 0)), 8);
        assert_eq!(local_hour(utc(2027, 7, 15, 5, 59)), 7);
    }

    #[test]
    fn a_day_starts_at_midnight_in_amsterdam() {
        assert_eq!(start_of_day(date(2026, 12, 1)), utc(2026, 11, 30, 23, 0));
        assert_eq!(start_of_day(date(2027, 7, 15)), utc(2027, 7, 14, 22, 0));
    }

    #[test]
    fn the_time_on_the_clock_in_amsterdam() {
        assert_eq!(local_time(utc(2027, 1, 15, 8, 5)), "09:05");
        assert_eq!(local_time(utc(2027, 7, 15, 22, 30)), "00:30");
    }

    #[test]
    fn dutch_dates() {
        assert_eq!(dutch_date(date(2026, 11, 30)), "30 november 2026");
        assert_eq!(dutch_date(date(2027, 1, 1)), "1 januari 2027");
    }
}
