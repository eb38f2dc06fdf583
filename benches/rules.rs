//! The shared rules' hot path, per application: check the post, render
//! every mail, render the invoice PDF. Goal: the three under 2 ms on one core.
//!
//! Run: `cargo bench -p cbt --bench rules`.

use cbt::application::follow_up;
use cbt::invoice::InvoiceNumber;
use cbt::mail::Address;
use cbt::templates::Templates;
use cbt::validate::{check, Checked, Posted, PostedFile};
use cbt::{NaiveDate, Rules};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn posted() -> Posted {
    let fields = [
        ("organisatie_naam", "Voorbeeld Energie B.V."),
        ("kvk_nummer", "1234 5678"),
        ("soort_organisatie", "commercieel"),
        ("namens", "eigen_organisatie"),
        ("contact_naam", "Jan de Vries"),
        ("contact_functie", "Privacy officer"),
        ("contact_email", "jan.devries@voorbeeld.nl"),
        ("contact_telefoon", "020-123 4567"),
        ("relatie", "oud_klanten"),
        ("klanttermijn_jaren", "5"),
        ("motivering", "Onze klanten sluiten contracten van vijf jaar en verwachten dat wij hen daarna nog benaderen."),
        ("factuur_naam", "Voorbeeld Energie B.V."),
        ("factuur_straat", "Stationsplein 1"),
        ("factuur_postcode", "1012ab"),
        ("factuur_plaats", "Amsterdam"),
        ("factuur_land", "Nederland"),
        ("factuur_email", "crediteuren@voorbeeld.nl"),
        ("factuur_extra", "PO-12345"),
        ("btw_nummer", "NL004495445B01"),
        ("akkoord_factuur", "ja"),
        ("akkoord_privacy", "ja"),
        ("website", ""),
    ];
    let mut pdf = PDF.to_vec();
    // A realistic upload: a balancing test of some 200 kB.
    pdf.splice(9..9, std::iter::repeat_n(b' ', 200_000));
    Posted {
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        files: vec![PostedFile {
            field: "balanstest".into(),
            filename: "balanstest.pdf".into(),
            bytes: pdf,
        }],
    }
}

fn benches(c: &mut Criterion) {
    let rules = Rules::embedded().expect("rules");
    let templates = Templates::embedded().expect("templates");
    let posted = posted();
    let from = Address::new("noreply@balanstoetstelemarketing.nl", None).expect("from");
    let date = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let number = InvoiceNumber { year: 2026, seq: 7 };
    let Ok(Checked::Valid(submission)) = check(&rules.forms.application, &posted) else {
        panic!("valid")
    };
    let invoice = cbt::application::invoice(&rules, &submission, number, date).expect("invoice");

    c.bench_function("check one application", |b| {
        b.iter(|| check(black_box(&rules.forms.application), black_box(&posted)))
    });
    c.bench_function("render the invoice PDF", |b| {
        b.iter(|| cbt::invoice::pdf::render(black_box(&invoice)))
    });
    c.bench_function("invoice, PDF and all three mails", |b| {
        b.iter(|| {
            follow_up(
                &rules,
                &templates,
                black_box(&submission),
                number,
                date,
                &from,
            )
        })
    });
    c.bench_function("all three: check, mails, PDF", |b| {
        b.iter(|| {
            let Ok(Checked::Valid(s)) = check(&rules.forms.application, black_box(&posted)) else {
                panic!("valid")
            };
            follow_up(&rules, &templates, &s, number, date, &from)
        })
    });
}

criterion_group!(rules_benches, benches);
criterion_main!(rules_benches);
