//! The pages the function answers with: the form again with errors (GOV.UK
//! and NL Design System pattern), "check your answers", the confirmation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

use cbt::pages;
use cbt::sample::{application, with};
use cbt::summary;
use cbt::templates::Templates;
use cbt::validate::{check, Checked};
use cbt::Rules;

fn setup() -> (Rules, Templates) {
    (
        cbt::embedded_rules().expect("rules"),
        Templates::embedded().expect("templates"),
    )
}

#[test]
fn the_form_again_shows_every_error_and_keeps_every_value() {
    let (rules, templates) = setup();
    let form = &rules.forms.application;
    let posted = with(with(application(), "kvk_nummer", "12"), "contact_email", "");
    let rejected = check(form, &posted).expect_err("two errors");
    let html = pages::form_with_errors(
        &rules,
        &templates,
        form,
        &rejected.entered,
        &rejected.errors,
        Some("balanstest.pdf"),
    )
    .expect("renders");
    assert!(
        html.contains("<title>Fout: Aanvraag indienen | CBT</title>"),
        "the title starts with Fout:"
    );
    assert!(html.contains("<h2 id=\"aanvraag-fouten-titel\">Er is een probleem</h2>"));
    assert!(
        html.contains("tabindex=\"-1\" id=\"aanvraag-fouten\""),
        "the summary can take focus"
    );
    assert!(html.contains("<li><a href=\"#aanvraag-kvk_nummer\">Een KvK-nummer bestaat uit 8 cijfers, zoals 12345678</a></li>"));
    assert!(html.contains("<li><a href=\"#aanvraag-contact_email\">Vul het e-mailadres van de contactpersoon in</a></li>"));
    assert!(
        html.contains("id=\"aanvraag-kvk_nummer-fout\""),
        "the message stands by the field too"
    );
    assert!(
        html.contains("value=\"12\""),
        "the wrong value is kept to correct it"
    );
    assert!(
        html.contains("value=\"Voorbeeld Energie B.V.\""),
        "the right values are kept"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("aria-describedby=\"aanvraag-kvk_nummer-hint aanvraag-kvk_nummer-fout\""));
    assert!(html.contains("id=\"aanvraag-soort_organisatie-commercieel\" name=\"soort_organisatie\" value=\"commercieel\" checked"), "a chosen radio stays chosen");
    assert!(html.contains(
        "Onze klanten sluiten contracten van vijf jaar.\nZij verwachten een belletje.</textarea>"
    ));
    assert!(html.contains("balanstest.pdf</strong> is bewaard"));
    assert!(
        html.contains("<link rel=\"stylesheet\" href=\"/assets/style."),
        "same stylesheet as the site"
    );
}

#[test]
fn check_your_answers_lists_everything_with_change_links() {
    let (rules, templates) = setup();
    let Ok(Checked::Valid(s)) = check(&rules.forms.application, &application()) else {
        panic!("valid")
    };
    let rows = summary::rows(
        &rules.forms.application,
        &s.values,
        s.document.as_ref().map(|d| (d.filename.as_str(), d.size)),
    );
    assert!(rows.iter().all(|r| !r.value.is_empty()));
    let html = pages::check_answers(
        &rules,
        &templates,
        &pages::CheckPage {
            rows: &rows,
            draft_id: "d-123",
            version: 2,
            total: "€ 4.452,80",
            changed_meanwhile: false,
            two_addresses: true,
        },
    )
    .expect("renders");
    assert!(html.contains("<h1>Controleer uw aanvraag</h1>"));
    for row in &rows {
        assert!(
            html.contains(&format!(
                "<dt>{}</dt>",
                cbt::templates::escape_html(&row.label)
            )),
            "{}",
            row.label
        );
        assert!(
            html.contains(&format!(
                "/aanvraag/wijzigen?concept=d-123#{}\"",
                row.control_id
            )),
            "{}",
            row.control_id
        );
    }
    assert!(html.contains("<input type=\"hidden\" name=\"concept\" value=\"d-123\">"));
    // Its only script is the challenge's, from its own file (a form that
    // posts); the focus script is for pages with errors.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains("<script src=\"/assets/challenge."));
    assert!(html.contains("een naar het e-mailadres voor de factuur"));
    assert!(html.contains("Pas na die bevestiging is de aanvraag ingediend"));
    assert!(html.contains("action=\"/aanvraag/bevestig\""));
    assert!(html.contains("€ 4.452,80"));
    assert!(html.contains("Balanstest_2026__def.pdf (1 kB)"));
}

#[test]
fn the_confirmation_gives_the_reference_and_what_happens_next() {
    let (rules, templates) = setup();
    let c = pages::Confirmation {
        reference: "CBT-2026-0007",
        invoice_number: "2026-0007",
        invoice_email: "crediteuren@voorbeeld.nl",
        contact_email: "jan@voorbeeld.nl",
        payment_due: "2026-12-30".into(),
        total: "€ 4.452,80".into(),
        link: Some("https://www.balanstoetstelemarketing.nl/mijn-aanvraag/0123abcd"),
    };
    let html = pages::confirmation(&rules, &templates, &c).expect("renders");
    for needle in [
        "href=\"https://www.balanstoetstelemarketing.nl/mijn-aanvraag/0123abcd\"",
        "gemotiveerd en voldoende specifiek",
        "CBT-2026-0007",
        "30 december 2026",
        "crediteuren@voorbeeld.nl",
        "7 dagen na de betaling",
        "14 dagen",
        "8 weken",
        "10 weken",
        "aanvragen@balanstoetstelemarketing.nl",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let html = pages::message(
        &rules,
        &templates,
        "Deze aanvraag is verlopen",
        &["Begin opnieuw."],
    )
    .expect("renders");
    assert!(
        html.contains("<h1>Deze aanvraag is verlopen</h1>")
            && html.contains("<p>Begin opnieuw.</p>")
    );
}
