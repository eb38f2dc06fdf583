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
        &pages::Kept::from([
            ("balanstest".to_string(), vec!["balanstest.pdf".to_string()]),
            (
                "bijlagen".to_string(),
                vec![
                    "Jaarverslag 2026.pdf".to_string(),
                    "Onderzoek.docx".to_string(),
                ],
            ),
        ]),
    )
    .expect("renders");
    assert!(
        html.contains("<title>Fout: Aanvraag indienen | CBT</title>"),
        "the title starts with Fout:"
    );
    assert!(html
        .contains("<h2 id=\"aanvraag-fouten-titel\">Niet alle gegevens zijn goed ingevuld</h2>"));
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
    assert!(
        html.contains("<p class=\"kept\" id=\"aanvraag-balanstest-bewaard\">Bewaard: <strong>balanstest.pdf</strong>; kies alleen een ander bestand om het te vervangen.</p>"),
        "the field itself says which document is kept"
    );
    assert!(
        html.contains("aria-describedby=\"aanvraag-balanstest-hint aanvraag-balanstest-bewaard\""),
        "and a screen reader reads it with the field"
    );
    assert!(
        html.contains("Bewaard: <strong>Jaarverslag 2026.pdf, Onderzoek.docx</strong>; kies alleen andere bestanden om ze te vervangen."),
        "each file field names its own kept documents"
    );
    let file_input = html
        .split("<input type=\"file\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("the file field");
    assert!(
        !file_input.contains(" required"),
        "a kept document need not be chosen again: {file_input}"
    );
    assert!(
        html.contains("name=\"contact_email\" value=\"\" required"),
        "a required field is announced as required"
    );
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
        &s.documents
            .iter()
            .map(summary::Upload::from)
            .collect::<Vec<_>>(),
    );
    assert!(rows.iter().all(|r| !r.value.is_empty()));
    let application =
        cbt::application::Application::from_submission(&s, &rules.fees).expect("typed");
    let due = cbt::invoice::due(&rules, &application).expect("a known tariff");
    let html = pages::check_answers(
        &rules,
        &templates,
        &pages::CheckPage {
            rows: &rows,
            draft_id: "d-123",
            version: 2,
            due: &due,
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
    // A screen reader hears "Wijzigen doelgroep", not the whole question
    // lower-cased; every hidden text is a few words.
    assert!(html.contains("Wijzigen<span class=\"visually-hidden\"> doelgroep</span>"));
    for row in &rows {
        assert!(
            row.short.split_whitespace().count() <= 4 && !row.short.ends_with(['?', '.']),
            "short name of {}: {:?}",
            row.field,
            row.short
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
    assert!(html.contains("€\u{a0}4.452,80"));
    assert!(html.contains("Door de aanvraag te versturen en daarna te bevestigen gaat u een betalingsverplichting aan."));
    assert!(html.contains("Btw (21%): €\u{a0}772,80"));
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
