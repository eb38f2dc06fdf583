//! The case's hot paths: rendering the applicant's page (goal < 2 ms), and
//! the daily digest over 1,000 open cases (goal < 50 ms).
//!
//! Run: `cargo bench -p cbt --bench cases`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark's set-up stops at the first surprise, as a test does"
)]

use cbt::application::Application;
use cbt::case::{Action, Actor, Case, Change, Outcome};
use cbt::invoice::InvoiceNumber;
use cbt::pages::CaseView;
use cbt::templates::Templates;
use cbt::validate::{check, Checked};
use cbt::{Cents, NaiveDate};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn at(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("time"))
}

/// A case with a full history: paid, changed, in handling, completed.
fn case(
    rules: &cbt::Rules,
    application: &Application,
    n: u32,
    start: NaiveDate,
) -> (Case, Vec<cbt::case::Event>) {
    let mut case = Case::filed(
        format!("CBT-2027-{n:04}"),
        InvoiceNumber { year: 2027, seq: n },
        at(start),
        Cents(445_280),
        application.clone(),
        Vec::new(),
    );
    let mut events = vec![case.apply(Change::Filed, Actor::Applicant, at(start))];
    let staff = Actor::Secretariat { name: "S".into() };
    let day = |d: u64| start + chrono::Days::new(d);
    let steps = [
        (
            Action::RegisterPayment {
                date: day(3),
                amount: Cents(445_280),
                accept_difference: false,
            },
            staff.clone(),
            3,
        ),
        (Action::TakeIntoHandling, staff.clone(), 11),
        (
            Action::RequestCompletion {
                text: "Licht de termijn toe.".into(),
            },
            staff,
            15,
        ),
        (
            Action::AnswerCompletion {
                text: "Zie bijlage.".into(),
                documents: Vec::new(),
            },
            Actor::Applicant,
            20,
        ),
    ];
    for (action, actor, d) in steps {
        let change = case
            .decide(&action, &actor, at(day(d)), &rules.periods)
            .expect("allowed");
        events.push(case.apply(change, actor, at(day(d))));
    }
    let _ = Outcome::Refused;
    (case, events)
}

fn benches(c: &mut Criterion) {
    let rules = cbt::embedded_rules().expect("rules");
    let templates = Templates::embedded().expect("templates");
    let Ok(Checked::Valid(s)) = check(&rules.forms.application, &cbt::sample::application()) else {
        panic!("valid")
    };
    let application = Application::from_submission(&s, &rules.fees).expect("typed");
    let start = NaiveDate::from_ymd_opt(2027, 1, 4).expect("date");
    let (one, events) = case(&rules, &application, 1, start);
    let now = at(NaiveDate::from_ymd_opt(2027, 1, 30).expect("date"));
    let base = format!("/mijn-aanvraag/{}", "ab".repeat(32));

    c.bench_function("render the applicant's page", |b| {
        b.iter(|| {
            let view = CaseView::new(&rules, black_box(&one), &events, now, &base, None);
            cbt::pages::case_page(&rules, &templates, &view)
        })
    });

    let cases: Vec<Case> = (1..=1000)
        .map(|n| {
            case(
                &rules,
                &application,
                n,
                start + chrono::Days::new(u64::from(n % 60)),
            )
            .0
        })
        .collect();
    let morning = at(NaiveDate::from_ymd_opt(2027, 3, 15).expect("date"));
    let digest = cbt::digest::Digest::of(&cases, morning, &rules.periods);
    assert!(!digest.is_empty());
    c.bench_function("the daily digest over 1,000 open cases", |b| {
        b.iter(|| cbt::digest::Digest::of(black_box(&cases), morning, &rules.periods))
    });
}

criterion_group!(case_benches, benches);
criterion_main!(case_benches);
