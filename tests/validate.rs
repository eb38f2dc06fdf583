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

/// The sample PDF padded to exactly `size` bytes (still a PDF by its bytes).
fn pdf_of_size(size: usize) -> Vec<u8> {
    let mut bytes = PDF.to_vec();
    bytes.splice(9..9, std::iter::repeat_n(b' ', size - PDF.len()));
    bytes
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
    assert_eq!(s.get("akkoord_factuur"), Some("ja"));
    assert_eq!(s.get("organisatie_land"), Some("NL"));
    assert_eq!(s.get("factuur_land"), Some("NL"));
    assert_eq!(s.get("relatie"), Some("oud_klanten"));
    assert_eq!(
        s.get("vertegenwoordigde_organisaties"),
        None,
        "an empty optional field is absent"
    );
    assert_eq!(s.get("website"), None, "the honeypot is never kept");
    let doc = s.documents.into_iter().next().expect("the document");
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
    ("akkoord_factuur", "nee", "invalid"),
    ("relatie", "oud_abonnees", "invalid"),
    ("factuur_land", "XX", "invalid"),
    ("kvk_nummer", "", "required"),
    // A Dutch address takes a Dutch btw-id.
    ("btw_nummer", "BE0123456749", "other_country"),
    ("contact_telefoon", "0800-12345", "invalid"),
    ("contact_email", "jan@bü cher.de", "invalid"),
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
        "De toelichting mag maximaal 2.000 tekens lang zijn"
    );
    valid(&with(application(), "motivering", &"é".repeat(2000)));
}

#[test]
fn a_foreign_address_takes_a_foreign_postcode() {
    let posted = with(
        with(
            with(application(), "factuur_land", "België"),
            "factuur_postcode",
            "1000",
        ),
        "btw_nummer",
        "",
    );
    let s = valid(&posted);
    assert_eq!(s.get("factuur_postcode"), Some("1000"));
    assert_eq!(
        s.get("factuur_land"),
        Some("BE"),
        "a typed name becomes its code"
    );
    // The Dutch format holds for the Netherlands only: the organisation's
    // own country (another group) does not change the invoice's.
    let posted = with(
        with(application(), "organisatie_land", "BE"),
        "registratienummer",
        "0123.456.749",
    );
    let posted = with(posted, "kvk_nummer", "");
    assert_eq!(
        rejected(&with(posted, "factuur_postcode", "1000")).errors[0].code,
        "invalid"
    );
}

/// A Dutch organisation gives its KvK number; one elsewhere its country
/// and its own registration number, and no KvK number is asked.
#[test]
fn foreign_organisations_give_their_own_registration_number() {
    let abroad = with(
        with(application(), "organisatie_land", "BE"),
        "kvk_nummer",
        "",
    );
    let r = rejected(&abroad);
    assert_eq!(
        r.errors
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect::<Vec<_>>(),
        [("registratienummer", "required")]
    );
    assert_eq!(
        r.errors[0].message,
        "Vul het registratienummer van uw organisatie in"
    );
    let s = valid(&with(abroad, "registratienummer", " 0123.456.749 "));
    assert_eq!(s.get("registratienummer"), Some("0123.456.749"));
    assert_eq!(s.get("kvk_nummer"), None);
    // At home the KvK number is asked, a registration number is not.
    let r = rejected(&with(application(), "kvk_nummer", ""));
    assert_eq!(r.errors[0].field, "kvk_nummer");
    assert_eq!(r.errors.len(), 1);
}

/// Former customers, members and donors can be chosen together; each once,
/// in the form's order, whatever order the browser posts them in.
#[test]
fn several_relationships_can_be_chosen() {
    let mut posted = with(application(), "relatie", "oud_donateurs");
    posted.fields.push(("relatie".into(), "oud_klanten".into()));
    posted
        .fields
        .push(("relatie".into(), "oud_donateurs".into()));
    assert_eq!(
        valid(&posted).get("relatie"),
        Some("oud_klanten,oud_donateurs")
    );
    posted
        .fields
        .push(("relatie".into(), "oud_abonnees".into()));
    assert_eq!(rejected(&posted).errors[0].code, "invalid");
}

/// The balancing test and supporting documents: each judged by its bytes,
/// all together within the limit of one post.
#[test]
fn supporting_documents_are_checked_one_by_one_and_together() {
    let mut posted = application();
    for name in ["onderzoek.pdf", "bijlage.pdf"] {
        posted.files.push(PostedFile {
            field: "bijlagen".into(),
            filename: name.into(),
            bytes: PDF.to_vec(),
        });
    }
    let s = valid(&posted);
    let fields: Vec<(&str, &str)> = s
        .documents
        .iter()
        .map(|d| (d.field.as_str(), d.filename.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("balanstest", "Balanstest_2026__def.pdf"),
            ("bijlagen", "onderzoek.pdf"),
            ("bijlagen", "bijlage.pdf")
        ]
    );
    // One that is not a document by its bytes.
    let mut bad = posted.clone();
    bad.files.push(PostedFile {
        field: "bijlagen".into(),
        filename: "virus.pdf".into(),
        bytes: b"MZ\x90\x00".to_vec(),
    });
    let r = rejected(&bad);
    assert_eq!(
        (r.errors[0].field.as_str(), r.errors[0].code),
        ("bijlagen", "wrong_type")
    );
    assert_eq!(r.documents.len(), 1, "the balancing test is kept");
    // Together larger than one post may be, each within its own limit.
    let big = |n: usize| {
        let mut bytes = PDF.to_vec();
        bytes.splice(9..9, std::iter::repeat_n(b' ', n));
        bytes
    };
    let mut heavy = application();
    heavy.files[0].bytes = big(2_500_000);
    heavy.files.push(PostedFile {
        field: "bijlagen".into(),
        filename: "groot.pdf".into(),
        bytes: big(2_000_000),
    });
    let r = rejected(&heavy);
    assert_eq!(
        (r.errors[0].field.as_str(), r.errors[0].code),
        ("bijlagen", "too_large_total")
    );
    assert_eq!(
        r.errors[0].message,
        "De bestanden zijn samen groter dan 4 MB. Kies minder of kleinere bestanden"
    );
}

/// A btw-id fits the invoice address's country: typed without its
/// prefix it gets that country's; an address outside the EU has none.
#[test]
fn the_btw_id_follows_the_invoice_country() {
    let abroad = |country: &str, vat: &str| {
        with(
            with(
                with(application(), "factuur_land", country),
                "factuur_postcode",
                "1000",
            ),
            "btw_nummer",
            vat,
        )
    };
    for (country, typed, stored) in [
        ("BE", "0123.456.749", "BE0123456749"),
        ("BE", "BE 0123 456 749", "BE0123456749"),
        ("BE", "be0123456749", "BE0123456749"),
        ("GR", "123456789", "EL123456789"),
        ("DE", "DE 123 456 789", "DE123456789"),
        ("NL", "004495445B01", "NL004495445B01"),
        ("NL", "0044.95.445.B01", "NL004495445B01"),
    ] {
        let posted = if country == "NL" {
            with(application(), "btw_nummer", typed)
        } else {
            abroad(country, typed)
        };
        assert_eq!(
            valid(&posted).get("btw_nummer"),
            Some(stored),
            "{country} {typed}"
        );
    }
    for (country, typed) in [
        ("DE", "BE0123456749"),
        ("CH", "CHE-123.456.789 MWST"),
        ("CH", "DE123456789"),
    ] {
        let r = rejected(&abroad(country, typed));
        assert_eq!(
            (r.errors[0].field.as_str(), r.errors[0].code),
            ("btw_nummer", "other_country"),
            "{country} {typed}"
        );
    }
    assert_eq!(rejected(&abroad("BE", "1")).errors[0].code, "invalid");
}

/// What people really type, in the form: service numbers, a country code
/// in brackets, an internationalised domain.
#[test]
fn formats_people_type_pass_the_form() {
    for (typed, stored) in [
        ("0800 1234", "+318001234"),
        ("0900-123 45 67", "+319001234567"),
        ("0906 1234567", "+319061234567"),
        ("0909-1234", "+319091234"),
        ("(+31) 20 123 4567", "+31201234567"),
        ("(0032) 2 123 45 67", "+3221234567"),
    ] {
        let s = valid(&with(application(), "contact_telefoon", typed));
        assert_eq!(s.get("contact_telefoon"), Some(stored), "{typed}");
    }
    for (typed, stored) in [
        ("jan@bücher.de", "jan@xn--bcher-kva.de"),
        ("Jan@Café.NL", "Jan@xn--caf-dma.nl"),
    ] {
        let s = valid(&with(application(), "contact_email", typed));
        assert_eq!(s.get("contact_email"), Some(stored), "{typed}");
    }
}

/// Job title and phone number may be left out.
#[test]
fn job_title_phone_and_scope_are_optional() {
    let posted = with(
        with(application(), "contact_functie", ""),
        "contact_telefoon",
        "",
    );
    let s = valid(&posted);
    assert_eq!(
        (
            s.get("contact_functie"),
            s.get("contact_telefoon"),
            s.get("reikwijdte")
        ),
        (None, None, None)
    );
    let s = valid(&with(application(), "reikwijdte", "Het merk Voorbeeld"));
    assert_eq!(s.get("reikwijdte"), Some("Het merk Voorbeeld"));
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
    assert!(r.documents.is_empty(), "a document with macros is not kept");

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
        posted.files[0].bytes = pdf_of_size(size);
        posted
    };
    assert_eq!(
        valid(&sized(limit)).documents.first().map(|d| d.size),
        Some(limit)
    );
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
        !r.documents.is_empty(),
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
        ]
    );
    let long = Posted {
        fields: vec![("bericht".into(), "x".repeat(5001))],
        files: vec![],
    };
    let r = check(&form, &long).expect_err("too long");
    assert!(r.errors.iter().any(|e| e.field == "bericht"
        && e.code == "too_long"
        && e.message == "Uw bericht mag maximaal 5.000 tekens lang zijn"));
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

/// The form prints "jaar" after the years box, so people type it too.
#[test]
fn the_years_may_be_typed_with_the_unit_beside_the_field() {
    for typed in ["5 jaar", "5jaar", " 5 Jaar ", "5\u{a0}jaar"] {
        let s = valid(&with(application(), "klanttermijn_jaren", typed));
        assert_eq!(s.get("klanttermijn_jaren"), Some("5"), "typed {typed:?}");
    }
    for typed in ["jaar", "5 jaren", "5 maanden", "vijf jaar", "jaar 5"] {
        assert_eq!(
            rejected(&with(application(), "klanttermijn_jaren", typed)).errors[0].code,
            "invalid",
            "typed {typed:?}"
        );
    }
    assert_eq!(
        rejected(&with(application(), "klanttermijn_jaren", "11 jaar")).errors[0].code,
        "too_large"
    );
}

/// A document added later (on the applicant's own page, posted under its
/// own name) is checked by the balancing test's rules: kept when good,
/// refused with the field's message when not, nothing when none was chosen.
#[test]
fn a_document_added_later_is_checked_by_the_same_rules() {
    use cbt::validate::check_upload;
    let form = rules().forms.application;
    let field = form.field("balanstest").expect("the document field");
    let posted = |bytes: &[u8]| Posted {
        fields: Vec::new(),
        files: vec![PostedFile {
            field: "document".into(),
            filename: "Aanvulling mei.pdf".into(),
            bytes: bytes.to_vec(),
        }],
    };
    let doc = check_upload(field, "document", &posted(PDF))
        .expect("a PDF passes")
        .expect("and is kept");
    assert_eq!(doc.field, "balanstest");
    assert_eq!(doc.filename, "Aanvulling_mei.pdf");
    assert_eq!(doc.shown_name, "Aanvulling mei.pdf");
    assert_eq!(doc.size, PDF.len());
    let refused = check_upload(field, "document", &posted(b"MZ\x90\x00 not a document"))
        .expect_err("an executable is refused");
    assert_eq!(
        (refused.field.as_str(), refused.code),
        ("balanstest", "wrong_type")
    );
    assert!(!refused.message.is_empty());
    let other_name = check_upload(field, "iets-anders", &posted(PDF)).expect("nothing chosen");
    assert!(
        other_name.is_none(),
        "a file under another name is not this one"
    );
}

/// Moves the field `name` into the group `to` (found by mutation testing:
/// with the shipped forms every country-dependent field sits beside its
/// own country field, so the rule for the others was never tried).
fn moved(name: &str, to: &str) -> cbt::FormDef {
    let mut form = rules().forms.application;
    let mut field = None;
    for group in &mut form.groups {
        if let Some(at) = group.fields.iter().position(|f| f.name == name) {
            field = Some(group.fields.remove(at));
        }
    }
    let field = field.expect("the field");
    form.groups
        .iter_mut()
        .find(|g| g.id == to)
        .expect("the group")
        .fields
        .push(field);
    form
}

#[test]
fn a_group_without_a_country_takes_the_forms_first() {
    // A postcode among the contact person's fields follows the
    // organisation's country: Belgian here, so "1000" is a postcode.
    let form = moved("factuur_postcode", "contactpersoon");
    let belgian = Posted {
        fields: cbt::sample::applicants::belgian_company()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..application()
    };
    match check(&form, &belgian) {
        Ok(Checked::Valid(s)) => assert_eq!(s.get("factuur_postcode"), Some("1000")),
        other => panic!("a Belgian postcode in a Belgian organisation's form: {other:#?}"),
    }
    // A Dutch organisation: the same field wants a Dutch postcode.
    let dutch = with(application(), "factuur_postcode", "1000");
    let Err(r) = check(&form, &dutch) else {
        panic!("\"1000\" is no Dutch postcode");
    };
    assert_eq!(r.errors[0].field, "factuur_postcode");
}

#[test]
fn a_field_takes_only_the_kinds_it_accepts() {
    // An editor who accepts only PDF: a Word document is refused by its
    // bytes, whatever its name.
    let mut form = rules().forms.application;
    for group in &mut form.groups {
        for field in &mut group.fields {
            if field.name == "balanstest" {
                field.accept = vec!["pdf".into()];
            }
        }
    }
    let mut posted = application();
    posted.files[0].bytes = cbt::sample::zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
    ]);
    posted.files[0].filename = "balanstest.docx".into();
    let Err(r) = check(&form, &posted) else {
        panic!("a DOCX where only PDF is accepted");
    };
    assert_eq!(
        (r.errors[0].field.as_str(), r.errors[0].code),
        ("balanstest", "wrong_type")
    );
    // The shipped form takes it.
    valid(&posted);
}

#[test]
fn documents_together_exactly_at_the_limit_pass() {
    let form = rules().forms.application;
    let total = form
        .field("bijlagen")
        .and_then(|f| f.max_total_bytes)
        .expect("max_total_bytes") as usize;
    let mut posted = application();
    posted.files[0].bytes = pdf_of_size(total / 2);
    posted.files.push(PostedFile {
        field: "bijlagen".into(),
        filename: "bijlage.pdf".into(),
        bytes: pdf_of_size(total - total / 2),
    });
    let sizes: usize = valid(&posted).documents.iter().map(|d| d.size).sum();
    assert_eq!(sizes, total);
    posted.files[1].bytes.push(b' ');
    assert_eq!(rejected(&posted).errors[0].code, "too_large_total");
}

#[test]
fn chosen_boxes_are_shown_again_with_the_errors() {
    let mut posted = with(application(), "organisatie_naam", "");
    posted.fields.retain(|(k, _)| k != "relatie");
    posted.fields.push(("relatie".into(), "oud_klanten".into()));
    posted
        .fields
        .push(("relatie".into(), "oud_donateurs".into()));
    let r = rejected(&posted);
    assert_eq!(
        r.entered.get("relatie").map(String::as_str),
        Some("oud_klanten,oud_donateurs")
    );
    // None chosen: nothing to show again (the boxes stay empty).
    posted.fields.retain(|(k, _)| k != "relatie");
    let r = rejected(&posted);
    assert_eq!(r.entered.get("relatie"), None);
}
