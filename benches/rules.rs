//! The shared rules' hot path, per application: check the post, render
//! every mail, render the invoice PDF. Goal: the three under 2 ms on one core.
//! Once per case, later: the advice letter's PDF.
//!
//! Run: `cargo bench -p cbt --bench rules`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark's set-up stops at the first surprise, as a test does"
)]

use cbt::advice::{self, AdviceLetter};
use cbt::application::Application;
use cbt::case::{Advice, Case, Outcome};
use cbt::follow_up::{self, Filed};
use cbt::invoice::InvoiceNumber;
use cbt::mail::Address;
use cbt::money::Cents;
use cbt::templates::Templates;
use cbt::validate::{check, Checked, Posted};
use cbt::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// The sample application with a realistic upload: a balancing test of
/// some 200 kB.
fn posted() -> Posted {
    let mut posted = cbt::sample::application();
    for file in &mut posted.files {
        file.bytes.splice(9..9, std::iter::repeat_n(b' ', 200_000));
    }
    posted
}

/// The commission's reasons in a typical advice.
const MOTIVATION: &str = "De Commissie heeft de belangenafweging van de organisatie \
beoordeeld. Zij weegt het belang van de organisatie om oud-klanten na het einde van de \
klantrelatie te benaderen af tegen het belang van de consument om niet ongevraagd te worden \
gebeld.\n\n\
- De organisatie wijst oud-klanten bij elk gesprek op hun recht om zich af te melden.\n\
- Het aantal klachten over telefonische benadering is laag.\n\n\
De organisatie heeft aannemelijk gemaakt dat haar oud-klanten een langere termijn \
verwachten. Op grond hiervan acht de Commissie een klanttermijn van vijf jaar aanvaardbaar.";

fn benches(c: &mut Criterion) {
    let rules = cbt::embedded_rules().expect("rules");
    let templates = Templates::embedded().expect("templates");
    let posted = posted();
    let from = Address::new("noreply@balanstoetstelemarketing.nl", None).expect("from");
    let date = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let number = InvoiceNumber { year: 2026, seq: 7 };
    let Ok(Checked::Valid(submission)) = check(&rules.forms.application, &posted) else {
        panic!("valid")
    };
    let application = Application::from_submission(&submission, &rules.fees).expect("typed");
    let filed = Filed {
        application: &application,
        number,
        date,
        documents: &submission.documents,
        scan: follow_up::DocumentScan::Clean,
        document_keys: Vec::new(),
        link: None,
    };
    let invoice = follow_up::invoice(&rules, &filed).expect("invoice");

    c.bench_function("check one application", |b| {
        b.iter(|| {
            let Ok(Checked::Valid(s)) =
                check(black_box(&rules.forms.application), black_box(&posted))
            else {
                panic!("valid")
            };
            Application::from_submission(&s, &rules.fees)
        })
    });
    c.bench_function("render the invoice PDF", |b| {
        b.iter(|| cbt::invoice::pdf::render(black_box(&invoice)))
    });
    // A typical advice: granted, a motivation of three paragraphs and a
    // short list, on one page.
    let mut case = Case::filed(
        "CBT-2026-0007".into(),
        number,
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 11, 0, 0)
            .single()
            .expect("time"),
        Cents(445_280),
        application.clone(),
        Vec::new(),
    );
    case.advice = Some(Advice {
        outcome: Outcome::Granted {
            term_years: 5,
            valid_until: NaiveDate::from_ymd_opt(2029, 3, 31).expect("date"),
        },
        motivation: MOTIVATION.into(),
        sent_on: NaiveDate::from_ymd_opt(2027, 3, 1).expect("date"),
    });
    let letter = AdviceLetter::for_case(&case, &rules.supplier, "oud-klanten").expect("advice");
    let pdf = advice::render_pdf(&letter).expect("letter");
    let pages = lopdf::Document::load_mem(&pdf)
        .expect("PDF")
        .get_pages()
        .len();
    println!("advice letter PDF: {} bytes, {pages} page(s)", pdf.len());
    let mut group = c.benchmark_group("advice letter");
    group.bench_function("render the advice letter PDF", |b| {
        b.iter(|| advice::render_pdf(black_box(&letter)))
    });
    group.finish();
    c.bench_function("invoice, PDF and all three mails", |b| {
        b.iter(|| follow_up::application(&rules, &templates, black_box(&filed), &from))
    });
    c.bench_function("all three: check, mails, PDF", |b| {
        b.iter(|| {
            let Ok(Checked::Valid(s)) = check(&rules.forms.application, black_box(&posted)) else {
                panic!("valid")
            };
            let application = Application::from_submission(&s, &rules.fees).expect("typed");
            let filed = Filed {
                application: &application,
                number,
                date,
                documents: &s.documents,
                scan: follow_up::DocumentScan::Clean,
                document_keys: Vec::new(),
                link: None,
            };
            follow_up::application(&rules, &templates, &filed, &from)
        })
    });
}

criterion_group!(rules_benches, benches);
criterion_main!(rules_benches);
