//! The secretariat's daily digest: what needs attention today, from every
//! open case. Sent at 08:00 in Amsterdam; with nothing to report, no mail.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, State};
use crate::dates::{dutch_date, local_date};
use crate::periods::Periods;

/// Change windows that close within this many days are listed.
pub const CLOSING_WITHIN_DAYS: u64 = 2;
/// Advices due within this many days (or overdue) are listed.
pub const ADVICE_WITHIN_DAYS: u64 = 7;
/// Targets within this many days (or passed) are at risk.
pub const TARGET_WITHIN_DAYS: u64 = 14;

/// One case in a section of the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The case.
    pub reference: String,
    /// The applicant.
    pub organisation: String,
    /// The date that puts it here, as Dutch text.
    pub date: String,
    /// Days left (negative: days late).
    pub days: i64,
    /// Days left in words: "nog 3 dagen", "vandaag", "2 dagen te laat".
    pub days_text: String,
}

/// What needs attention on one day.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Digest {
    /// The day, as Dutch text.
    pub date: String,
    /// Filed in the last 24 hours.
    pub new_applications: Vec<Line>,
    /// Not paid past the due date.
    pub payments_overdue: Vec<Line>,
    /// Change windows closing soon: the case may be taken into handling after.
    pub change_windows_closing: Vec<Line>,
    /// Completion requests whose deadline passed without an answer.
    pub completions_overdue: Vec<Line>,
    /// Advices due within a week, or overdue.
    pub advice_due: Vec<Line>,
    /// The target date (weeks after payment) is near or passed.
    pub targets_at_risk: Vec<Line>,
}

impl Digest {
    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.new_applications.is_empty()
            && self.payments_overdue.is_empty()
            && self.change_windows_closing.is_empty()
            && self.completions_overdue.is_empty()
            && self.advice_due.is_empty()
            && self.targets_at_risk.is_empty()
    }

    /// The digest of `cases` at `now`.
    pub fn of(cases: &[Case], now: DateTime<Utc>, periods: &Periods) -> Digest {
        let today = local_date(now);
        let within = |days: u64| today.checked_add_days(Days::new(days)).unwrap_or(today);
        let mut digest = Digest {
            date: dutch_date(today),
            ..Digest::default()
        };
        let mut sorted: Vec<&Case> = cases.iter().filter(|c| !c.state.is_closed()).collect();
        sorted.sort_by(|a, b| a.reference.cmp(&b.reference));
        for case in sorted {
            let line = |date: NaiveDate| line(case, date, today);
            let t = case.deadlines(periods, today);
            if now - case.submitted <= chrono::Duration::hours(24) && case.submitted <= now {
                digest.new_applications.push(line(case.submitted_on));
            }
            if let Some(due) = t.payment_due.filter(|d| *d < today) {
                digest.payments_overdue.push(line(due));
            }
            if let Some(until) = t
                .amend_until
                .filter(|u| *u >= today && *u <= within(CLOSING_WITHIN_DAYS))
                .filter(|_| case.state == State::Betaald)
            {
                digest.change_windows_closing.push(line(until));
            }
            if let Some(due) = t.completion_due.filter(|d| *d < today) {
                digest.completions_overdue.push(line(due));
            }
            if let Some(due) = t.advice_due.filter(|d| *d <= within(ADVICE_WITHIN_DAYS)) {
                digest.advice_due.push(line(due));
            }
            if let Some(target) = t.advice_target.filter(|d| *d <= within(TARGET_WITHIN_DAYS)) {
                digest.targets_at_risk.push(line(target));
            }
        }
        digest
    }
}

fn line(case: &Case, date: NaiveDate, today: NaiveDate) -> Line {
    let days = (date - today).num_days();
    Line {
        reference: case.reference.clone(),
        organisation: case.application.organisation.name.clone(),
        date: dutch_date(date),
        days,
        days_text: days_text(days),
    }
}

/// Days left in words.
pub fn days_text(days: i64) -> String {
    match days {
        0 => "vandaag".into(),
        1 => "nog 1 dag".into(),
        -1 => "1 dag te laat".into(),
        d if d > 0 => format!("nog {d} dagen"),
        d => format!("{} dagen te laat", -d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Action, Actor, Change, Outcome};
    use crate::invoice::InvoiceNumber;
    use crate::Cents;
    use chrono::TimeZone;

    fn periods() -> Periods {
        crate::embedded_rules().expect("rules").periods
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).expect("time"))
    }

    fn case(n: u32, filed: NaiveDate) -> Case {
        let rules = crate::embedded_rules().expect("rules");
        let Ok(crate::validate::Checked::Valid(s)) =
            crate::validate::check(&rules.forms.application, &crate::sample::application())
        else {
            panic!("valid")
        };
        let application =
            crate::application::Application::from_submission(&s, &rules.fees).expect("typed");
        let mut case = Case::filed(
            format!("CBT-2027-{n:04}"),
            InvoiceNumber { year: 2027, seq: n },
            at(filed, 9),
            Cents(445_280),
            application,
            Vec::new(),
        );
        case.apply(Change::Filed, Actor::Applicant, at(filed, 9));
        case
    }

    fn act(case: &mut Case, action: Action, date: NaiveDate) {
        let actor = match action {
            Action::AnswerCompletion { .. } => Actor::Applicant,
            _ => Actor::Secretariat { name: "S".into() },
        };
        let change = case
            .decide(&action, &actor, at(date, 9), &periods())
            .expect("allowed");
        case.apply(change, actor, at(date, 9));
    }

    #[test]
    fn each_section_and_nothing_to_report() {
        let now = at(d(2027, 3, 1), 7); // 08:00 in Amsterdam
        let new = case(1, d(2027, 2, 28));
        let unpaid = case(2, d(2027, 1, 4)); // due 3 February
        let mut closing = case(3, d(2027, 2, 20));
        act(
            &mut closing,
            Action::RegisterPayment {
                date: d(2027, 2, 22),
                amount: Cents(445_280),
                accept_difference: false,
            },
            d(2027, 2, 22),
        ); // window until 1 March
        let mut late = case(4, d(2026, 12, 1));
        for (action, date) in [
            (
                Action::RegisterPayment {
                    date: d(2026, 12, 5),
                    amount: Cents(445_280),
                    accept_difference: false,
                },
                d(2026, 12, 5),
            ),
            (Action::TakeIntoHandling, d(2027, 1, 4)), // advice due 1 March
            (
                Action::RequestCompletion {
                    text: "Vul aan.".into(),
                },
                d(2027, 2, 1),
            ), // due 15 February
        ] {
            act(&mut late, action, date);
        }
        let mut done = case(5, d(2026, 12, 1));
        done.state = State::AdviesUitgebracht;
        let digest = Digest::of(&[done, late, closing, unpaid, new], now, &periods());
        let refs = |lines: &[Line]| {
            lines
                .iter()
                .map(|l| l.reference.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(refs(&digest.new_applications), ["CBT-2027-0001"]);
        assert_eq!(refs(&digest.payments_overdue), ["CBT-2027-0002"]);
        assert_eq!(digest.payments_overdue[0].days_text, "26 dagen te laat");
        assert_eq!(refs(&digest.change_windows_closing), ["CBT-2027-0003"]);
        assert_eq!(digest.change_windows_closing[0].days_text, "vandaag");
        assert_eq!(refs(&digest.completions_overdue), ["CBT-2027-0004"]);
        assert_eq!(refs(&digest.advice_due), ["CBT-2027-0004"]);
        assert_eq!(refs(&digest.targets_at_risk), ["CBT-2027-0004"]);
        assert_eq!(digest.date, "1 maart 2027");
        assert!(!digest.is_empty());

        assert!(Digest::of(&[], now, &periods()).is_empty());
        // A refused advice closes a case: nothing to report on it.
        let mut closed = case(6, d(2027, 1, 1));
        closed.state = State::Ingetrokken;
        let _ = Outcome::Refused;
        assert!(Digest::of(&[closed], now, &periods()).is_empty());
    }

    #[test]
    fn days_in_words() {
        assert_eq!(days_text(0), "vandaag");
        assert_eq!(days_text(1), "nog 1 dag");
        assert_eq!(days_text(5), "nog 5 dagen");
        assert_eq!(days_text(-1), "1 dag te laat");
        assert_eq!(days_text(-3), "3 dagen te laat");
    }
}
