//! The case timeline: which dates follow from the periods of the procedure
//! (`content/data/periods.toml`) and the dates known so far.
//!
//! Periods are calendar days and weeks, as the Reglement states them; a
//! date that falls on a weekend or holiday is not moved, because the
//! Reglement does not move it either.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::periods::Periods;

/// What has happened to a case so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CaseDates {
    /// The application was sent (and the invoice dated).
    pub submitted: Option<NaiveDate>,
    /// The fee was received.
    pub paid: Option<NaiveDate>,
    /// The CBT took the case into handling.
    pub in_handling: Option<NaiveDate>,
    /// The CBT asked the applicant to complete the application (art. 6.2).
    pub completion_requested: Option<NaiveDate>,
}

/// Every date that follows from [`CaseDates`]; `None` until its start is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The invoice must be paid by this date.
    pub payment_due: Option<NaiveDate>,
    /// The applicant may supplement or change the application until this date.
    pub amend_until: Option<NaiveDate>,
    /// The completed application is due on this date.
    pub completion_due: Option<NaiveDate>,
    /// The advice is due by this date.
    pub advice_due: Option<NaiveDate>,
    /// The CBT aims to advise by this date.
    pub advice_target: Option<NaiveDate>,
}

fn plus_days(date: Option<NaiveDate>, days: u32) -> Option<NaiveDate> {
    date.and_then(|d| d.checked_add_days(Days::new(u64::from(days))))
}

impl Timeline {
    /// The dates that follow from `dates` by `periods`.
    pub fn new(periods: &Periods, dates: CaseDates) -> Timeline {
        Timeline {
            payment_due: plus_days(dates.submitted, periods.payment_term_days),
            amend_until: plus_days(dates.paid, periods.amend_days_after_payment),
            completion_due: plus_days(dates.completion_requested, periods.complete_days),
            advice_due: plus_days(dates.in_handling, periods.advice_weeks.saturating_mul(7)),
            advice_target: plus_days(
                dates.paid,
                periods.target_weeks_after_payment.saturating_mul(7),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periods() -> Periods {
        Periods {
            max_customer_term_years: 3,
            amend_days_after_payment: 7,
            complete_days: 14,
            advice_weeks: 8,
            target_weeks_after_payment: 10,
            payment_term_days: 30,
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn nothing_is_due_before_it_starts() {
        let t = Timeline::new(&periods(), CaseDates::default());
        assert_eq!(
            t,
            Timeline {
                payment_due: None,
                amend_until: None,
                completion_due: None,
                advice_due: None,
                advice_target: None
            }
        );
        let t = Timeline::new(
            &periods(),
            CaseDates {
                submitted: Some(d(2026, 3, 2)),
                ..CaseDates::default()
            },
        );
        assert_eq!(t.payment_due, Some(d(2026, 4, 1)));
        assert_eq!(
            (t.amend_until, t.advice_due, t.advice_target),
            (None, None, None)
        );
    }

    #[test]
    fn a_full_case() {
        let t = Timeline::new(
            &periods(),
            CaseDates {
                submitted: Some(d(2026, 5, 4)),
                paid: Some(d(2026, 5, 20)),
                in_handling: Some(d(2026, 5, 28)),
                completion_requested: Some(d(2026, 6, 1)),
            },
        );
        assert_eq!(t.payment_due, Some(d(2026, 6, 3)));
        assert_eq!(t.amend_until, Some(d(2026, 5, 27)));
        assert_eq!(t.completion_due, Some(d(2026, 6, 15)));
        assert_eq!(t.advice_due, Some(d(2026, 7, 23)));
        assert_eq!(t.advice_target, Some(d(2026, 7, 29)));
    }

    #[test]
    fn across_the_year_end() {
        let t = Timeline::new(
            &periods(),
            CaseDates {
                submitted: Some(d(2026, 12, 15)),
                paid: Some(d(2026, 12, 28)),
                in_handling: Some(d(2027, 1, 4)),
                completion_requested: Some(d(2026, 12, 24)),
            },
        );
        assert_eq!(t.payment_due, Some(d(2027, 1, 14)));
        assert_eq!(t.amend_until, Some(d(2027, 1, 4)));
        assert_eq!(t.completion_due, Some(d(2027, 1, 7)));
        assert_eq!(t.advice_due, Some(d(2027, 3, 1)));
        assert_eq!(t.advice_target, Some(d(2027, 3, 8)));
    }

    #[test]
    fn leap_years() {
        let t = Timeline::new(
            &periods(),
            CaseDates {
                paid: Some(d(2028, 2, 25)),
                ..CaseDates::default()
            },
        );
        assert_eq!(t.amend_until, Some(d(2028, 3, 3)));
        let t = Timeline::new(
            &periods(),
            CaseDates {
                paid: Some(d(2027, 2, 25)),
                ..CaseDates::default()
            },
        );
        assert_eq!(t.amend_until, Some(d(2027, 3, 4)));
    }

    #[test]
    fn the_periods_are_configuration() {
        let mut p = periods();
        p.amend_days_after_payment = 10;
        p.advice_weeks = 6;
        let t = Timeline::new(
            &p,
            CaseDates {
                paid: Some(d(2026, 1, 1)),
                in_handling: Some(d(2026, 1, 1)),
                ..CaseDates::default()
            },
        );
        assert_eq!(t.amend_until, Some(d(2026, 1, 11)));
        assert_eq!(t.advice_due, Some(d(2026, 2, 12)));
    }

    #[test]
    fn the_end_of_the_calendar_does_not_panic() {
        let t = Timeline::new(
            &periods(),
            CaseDates {
                submitted: Some(NaiveDate::MAX),
                paid: Some(NaiveDate::MAX),
                ..CaseDates::default()
            },
        );
        assert_eq!((t.payment_due, t.amend_until), (None, None));
    }
}
