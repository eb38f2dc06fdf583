//! The forms' checks, field by field, against the real definitions in
//! `content/data/forms/`: what passes (and how it is stored), what does
//! not (and what people and programs are told).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

use cbt::validate::{check, Checked, Posted, PostedFile, Rejected, Submission};
use cbt::Rules;

fn rules() -> Rules {
    cbt::embedded_rules().expect("the embedded rules parse")
}

use cbt::sample::{application, with, PDF};

fn valid(posted: &Posted) -> Submission {
    match check(&rules().forms.application, posted) {
        Ok(Checked::Valid(s)) => s,
        other => panic!("expected a valid application, got {other:#?}"),
    }
}

fn rejected(posted: &Posted) -> Rejected {
    match check(&rules().forms.application, posted) {
        Err(r) => r,
        other => panic!("expected errors, got {other:#?}"),
    }
}

#[test]
fn a_complete_application_passes_normalised() {
    let s = valid(&application());
    assert_eq!(s.form, "aanvraag");
    assert_eq!(s.get("organisatie_naam"), Some("Voorbeeld Energie B.V."));
    assert_eq!(s.get("kvk_nummer"), Some("12345678"));
    assert_eq!(s.get("contact_email"), Some("jan.devries@voorbeeld.nl"));
    assert_eq!(s.get("contact_telefoon"), Some("+31201234567"));
    assert_eq!(s.get("klanttermijn_jaren"), Some("5"));
    assert_eq!(
        s.get("motivering"),
        Some("Onze klanten sluiten contracten van vijf jaar.\nZij verwachten een belletje.")
    );
    assert_eq!(s.get("factuur_postcode"), Some("1012 AB"));
    assert_eq!(s.get("btw_nummer"), Some("NL004495445B01"));
    assert_eq!(s.get("akkoord_privacy"), Some("ja"));
    assert_eq!(
        s.get("vertegenwoordigde_organisaties"),
        None,
        "an empty optional field is absent"
    );
    assert_eq!(s.get("website"), None, "the honeypot is never kept");
    let doc = s.document.expect("the document");
    assert_eq!(doc.filename, "Balanstest_2026__def.pdf");
    assert_eq!(doc.kind, cbt::formats::DocumentKind::Pdf);
    assert_eq!(doc.size, PDF.len());
}

/// (field, value, expected code) for the application form.
const INVALID: &[(&str, &str, &str)] = &[
    ("organisatie_naam", "", "required"),
    ("organisatie_naam", "   ", "required"),
    ("organisatie_naam", "Voorbeeld\r\nBcc: x@y.nl", "one_line"),
    ("kvk_nummer", "1234567", "invalid"),
    ("kvk_nummer", "123456789012", "invalid"),
    ("kvk_nummer", "1234567a", "invalid"),
    ("soort_organisatie", "overheid", "invalid"),
    ("soort_organisatie", "", "required"),
    ("namens", "iemand", "invalid"),
    ("contact_email", "jan", "invalid"),
    ("contact_email", "a@b.nl, c@d.nl", "invalid"),
    ("contact_email", "Jan <jan@voorbeeld.nl>", "invalid"),
    (
        "contact_email",
        "jan@voorbeeld.nl\r\nBcc: x@y.nl",
        "invalid",
    ),
    ("contact_telefoon", "12345", "invalid"),
    ("contact_telefoon", "bel me", "invalid"),
    ("relatie", "", "required"),
    ("klanttermijn_jaren", "3", "too_small"),
    ("klanttermijn_jaren", "11", "too_large"),
    ("klanttermijn_jaren", "5,5", "invalid"),
    ("klanttermijn_jaren", "vijf", "invalid"),
    ("motivering", "", "required"),
    ("factuur_postcode", "0123 AB", "invalid"),
    ("factuur_postcode", "1234 SS", "invalid"),
    ("factuur_postcode", "12345", "invalid"),
    ("factuur_email", "factuur@", "invalid"),
    ("btw_nummer", "NL123456789B90", "invalid"),
    ("factuur_extra", "PO\n123", "one_line"),
    (
        "factuur_extra",
        "LET OP: ons IBAN is gewijzigd, betaal op NL12 EVIL 0123 4567 89",
        "invalid",
    ),
    ("factuur_extra", "PO 2026 / 0042", "invalid"),
    ("akkoord_factuur", "", "required"),
    ("akkoord_privacy", "nee", "invalid"),
];

#[test]
fn every_rule_has_its_error_code_and_dutch_message() {
    let form = rules().forms.application;
    for (field, value, code) in INVALID {
        let r = rejected(&with(application(), field, value));
        assert_eq!(r.errors.len(), 1, "{field}={value:?}: {:#?}", r.errors);
        let e = &r.errors[0];
        assert_eq!(
            (e.field.as_str(), e.code),
            (*field, *code),
            "{field}={value:?}"
        );
        let expected = form
            .field(field)
            .and_then(|f| f.messages.get(*code))
            .unwrap_or_else(|| panic!("{field} has a message for {code}"));
        assert_eq!(&e.message, expected);
    }
}

#[test]
fn too_long_text_is_refused_by_the_configured_limit() {
    let r = rejected(&with(application(), "motivering", &"a".repeat(2001)));
    assert_eq!(r.errors[0].code, "too_long");
    assert_eq!(
        r.errors[0].message,
        "De toelichting mag hoogstens 2.000 tekens lang zijn"
    );
    valid(&with(application(), "motivering", &"é".repeat(2000)));
}

#[test]
fn a_foreign_address_takes_a_foreign_postcode() {
    let posted = with(
        with(application(), "factuur_land", "België"),
        "factuur_postcode",
        "1000",
    );
    assert_eq!(valid(&posted).get("factuur_postcode"), Some("1000"));
}

#[test]
fn representatives_must_name_whom_they_represent() {
    let posted = with(application(), "namens", "vertegenwoordiger");
    let r = rejected(&posted);
    assert_eq!(
        (r.errors[0].field.as_str(), r.errors[0].code),
        ("vertegenwoordigde_organisaties", "required")
    );
    let posted = with(
        posted,
        "vertegenwoordigde_organisaties",
        "A B.V. 12345678\nC B.V. 87654321",
    );
    assert_eq!(
        valid(&posted).get("vertegenwoordigde_organisaties"),
        Some("A B.V. 12345678\nC B.V. 87654321")
    );
}

#[test]
fn the_document_is_judged_by_its_bytes() {
    let mut posted = application();
    posted.files[0].bytes = b"MZ\x90\x00 not a pdf".to_vec();
    let r = rejected(&posted);
    assert_eq!(
        (r.errors[0].field.as_str(), r.errors[0].code),
        ("balanstest", "wrong_type")
    );
    assert_eq!(
        r.errors[0].message,
        "Het bestand moet een PDF, DOCX of ODT zijn"
    );

    let mut posted = application();
    posted.files[0].bytes = [PDF, &vec![b' '; 4 * 1024 * 1024]].concat();
    assert_eq!(rejected(&posted).errors[0].code, "too_large");

    let mut posted = application();
    posted.files.clear();
    assert_eq!(rejected(&posted).errors[0].code, "required");

    // A .docm saved as .docx: a Word document, with macros.
    let mut posted = application();
    posted.files[0].bytes = cbt::sample::docm();
    posted.files[0].filename = "balanstest.docx".into();
    let r = rejected(&posted);
    assert_eq!(r.errors[0].code, "macros");
    assert_eq!(
        r.errors[0].message,
        "Het bestand bevat macro’s. Sla het op zonder macro’s, als PDF, DOCX of ODT, en kies het opnieuw"
    );
    assert!(r.document.is_none(), "a document with macros is not kept");

    // What a browser sends when no file was chosen.
    let mut posted = application();
    posted.files[0] = PostedFile {
        field: "balanstest".into(),
        filename: String::new(),
        bytes: Vec::new(),
    };
    assert_eq!(rejected(&posted).errors[0].code, "required");
}

/// The edges of each limit, from both sides (found by mutation testing:
/// only the values beyond them were tried).
#[test]
fn limits_hold_exactly_at_their_edges() {
    let term = rules().forms.application;
    let term = term.field("klanttermijn_jaren").expect("term field");
    let (min, max) = (term.min.expect("min"), term.max.expect("max"));
    for years in [min, max] {
        let s = valid(&with(
            application(),
            "klanttermijn_jaren",
            &years.to_string(),
        ));
        assert_eq!(
            s.get("klanttermijn_jaren"),
            Some(years.to_string().as_str())
        );
    }
    assert_eq!(
        rejected(&with(
            application(),
            "klanttermijn_jaren",
            &(min - 1).to_string()
        ))
        .errors[0]
            .code,
        "too_small"
    );
    assert_eq!(
        rejected(&with(
            application(),
            "klanttermijn_jaren",
            &(max + 1).to_string()
        ))
        .errors[0]
            .code,
        "too_large"
    );

    let form = rules().forms.application;
    let limit = form
        .field("balanstest")
        .and_then(|f| f.max_bytes)
        .expect("max_bytes") as usize;
    let sized = |size: usize| {
        let mut posted = application();
        let mut bytes = PDF.to_vec();
        bytes.splice(9..9, std::iter::repeat_n(b' ', size - PDF.len()));
        posted.files[0].bytes = bytes;
        posted
    };
    assert_eq!(valid(&sized(limit)).document.map(|d| d.size), Some(limit));
    assert_eq!(rejected(&sized(limit + 1)).errors[0].code, "too_large");

    let long = |n| with(application(), "organisatie_naam", &"x".repeat(n));
    valid(&long(200));
    assert_eq!(rejected(&long(201)).errors[0].code, "too_long");
}

#[test]
fn an_upload_with_a_name_but_no_bytes_is_not_a_document() {
    let mut posted = application();
    posted.files[0].bytes.clear();
    let r = rejected(&posted);
    assert_eq!(
        (r.errors[0].field.as_str(), r.errors[0].code),
        ("balanstest", "wrong_type")
    );
}

#[test]
fn kept_file_names_keep_letters_digits_dashes_and_underscores() {
    use cbt::formats::DocumentKind;
    use cbt::validate::safe_filename;
    assert_eq!(
        safe_filename("balans-test_2026.PDF", DocumentKind::Pdf),
        "balans-test_2026.pdf"
    );
    assert_eq!(
        safe_filename("C:\\map\\été (1).docx", DocumentKind::Docx),
        "t___1.docx"
    );
    assert_eq!(safe_filename("../../", DocumentKind::Odt), "balanstest.odt");
    assert_eq!(safe_filename("", DocumentKind::Pdf), "balanstest.pdf");
    assert_eq!(
        safe_filename(&"a".repeat(100), DocumentKind::Pdf).len(),
        80 + ".pdf".len()
    );
}

#[test]
fn errors_come_in_the_order_of_the_form_and_nothing_entered_is_lost() {
    let posted = with(
        with(
            with(application(), "factuur_postcode", "99"),
            "kvk_nummer",
            "12",
        ),
        "contact_email",
        "",
    );
    let r = rejected(&posted);
    let fields: Vec<&str> = r.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["kvk_nummer", "contact_email", "factuur_postcode"]);
    assert_eq!(r.entered.get("kvk_nummer").map(String::as_str), Some("12"));
    assert_eq!(
        r.entered.get("factuur_postcode").map(String::as_str),
        Some("99")
    );
    assert_eq!(
        r.entered.get("organisatie_naam").map(String::as_str),
        Some("Voorbeeld Energie B.V.")
    );
    assert!(
        r.document.is_some(),
        "a good upload is kept while other fields are fixed"
    );
}

#[test]
fn a_filled_honeypot_is_a_bot() {
    assert_eq!(
        check(
            &rules().forms.application,
            &with(application(), "website", "http://spam.example")
        ),
        Ok(Checked::Bot)
    );
    // Even when everything else is wrong: a bot learns nothing from errors.
    let bot = Posted {
        fields: vec![("website".into(), "x".into())],
        files: vec![],
    };
    assert_eq!(check(&rules().forms.contact, &bot), Ok(Checked::Bot));
}

#[test]
fn the_contact_form() {
    let form = rules().forms.contact;
    let posted = Posted {
        fields: [
            ("naam", "Els"),
            ("email", "els@voorbeeld.nl"),
            ("onderwerp", "Vraag"),
            ("bericht", "Hoe lang duurt het?"),
            ("akkoord_privacy", "on"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        files: vec![],
    };
    let Ok(Checked::Valid(s)) = check(&form, &posted) else {
        panic!("valid contact message")
    };
    assert_eq!(s.get("organisatie"), None);
    assert_eq!(s.get("akkoord_privacy"), Some("ja"));
    let r = check(&form, &Posted::default()).expect_err("empty");
    let codes: Vec<(&str, &str)> = r
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.code))
        .collect();
    assert_eq!(
        codes,
        [
            ("naam", "required"),
            ("email", "required"),
            ("onderwerp", "required"),
            ("bericht", "required"),
            ("akkoord_privacy", "required")
        ]
    );
    let long = Posted {
        fields: vec![("bericht".into(), "x".repeat(5001))],
        files: vec![],
    };
    let r = check(&form, &long).expect_err("too long");
    assert!(r.errors.iter().any(|e| e.field == "bericht"
        && e.code == "too_long"
        && e.message == "Uw bericht mag hoogstens 5.000 tekens lang zijn"));
}

/// A field too long comes back cut to its own maximum: a 4.4 MB post of
/// `"` once came back as 26 MB of `&quot;`, past Lambda's 6 MB response.
#[test]
fn what_is_handed_back_is_at_most_a_fields_length() {
    let quotes = "\"".repeat(4_400_000);
    let r = rejected(&with(application(), "motivering", &quotes));
    assert_eq!(r.errors[0].code, "too_long");
    assert_eq!(r.entered["motivering"].chars().count(), 2000);
    // A field without max_length has a bound of its kind.
    let r = rejected(&with(application(), "contact_email", &quotes));
    assert_eq!(r.errors[0].code, "invalid");
    assert_eq!(r.entered["contact_email"].chars().count(), 320);
    let r = rejected(&with(application(), "kvk_nummer", &quotes));
    assert_eq!(r.entered["kvk_nummer"].chars().count(), 100);
    // What fits is handed back whole.
    let r = rejected(&with(application(), "kvk_nummer", "12"));
    assert_eq!(r.entered["kvk_nummer"], "12");
}

/// An RFC 2047 encoded word in a one-line answer would be decoded by mail
/// programs (into CR/LF and direction overrides) wherever the answer
/// becomes a header: refused in every one-line field, with a message even
/// where the form definition names none.
#[test]
fn encoded_words_are_refused_in_one_line_answers() {
    let word = "=?utf-8?q?Eva=0D=0ABcc:_x@evil.example?=";
    for field in ["contact_naam", "factuur_naam", "organisatie_naam"] {
        let r = rejected(&with(application(), field, word));
        assert_eq!(r.errors.len(), 1, "{field}");
        assert_eq!(r.errors[0].code, "encoded_word", "{field}");
        assert!(
            r.errors[0]
                .message
                .contains("mag de tekencombinatie “=?” niet bevatten"),
            "{}",
            r.errors[0].message
        );
    }
    let r = rejected(&with(application(), "contact_naam", "Eva =? de Vries"));
    assert_eq!(
        r.errors[0].message,
        "“Naam” mag de tekencombinatie “=?” niet bevatten"
    );
    // An equals sign or a question mark alone is fine.
    valid(&with(application(), "contact_naam", "Eva = de Vries?"));
    let form = rules().forms.contact;
    let posted = Posted {
        fields: [
            ("naam", word),
            ("email", "els@voorbeeld.nl"),
            ("onderwerp", "=?iso-8859-1?q?x?="),
            ("bericht", "Een =? in de tekst zelf is geen kop."),
            ("akkoord_privacy", "on"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        files: vec![],
    };
    let r = check(&form, &posted).expect_err("refused");
    let codes: Vec<(&str, &str)> = r
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.code))
        .collect();
    assert_eq!(
        codes,
        [("naam", "encoded_word"), ("onderwerp", "encoded_word")]
    );
}

mod no_input_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn the_checker_never_panics(
            fields in proptest::collection::vec(("[a-z_]{1,30}|organisatie_naam|kvk_nummer|contact_email|klanttermijn_jaren|factuur_postcode|btw_nummer|namens|website", "\\PC{0,80}"), 0..40),
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            name in "\\PC{0,40}",
        ) {
            let posted = Posted { fields, files: vec![PostedFile { field: "balanstest".into(), filename: name, bytes }] };
            let rules = rules();
            let _ = check(&rules.forms.application, &posted);
            let _ = check(&rules.forms.contact, &posted);
        }

        #[test]
        fn every_field_survives_any_value(value in "\\PC{0,200}") {
            let rules = rules();
            for field in rules.forms.application.fields() {
                let _ = check(&rules.forms.application, &with(application(), &field.name, &value));
            }
        }
    }
}
