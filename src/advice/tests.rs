//! The advice letter: its pages and footers, its text as extracted, the
//! two standards and the structure, its bytes, both outcomes, and that no
//! value or motivation can change its template or its layout.

use chrono::NaiveDate;
use lopdf::Object;

use super::*;
use crate::pdf::check::{collapse, dict, pdftotext, qpdf_check, structure, text_string};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn sender() -> Supplier {
    Supplier {
        name: "Commissie Balanstoets Telemarketing".into(),
        street: "Voorbeeldstraat 1".into(),
        postcode: "1234 AB".into(),
        city: "Amsterdam".into(),
        country: "Nederland".into(),
        kvk: "12345678".into(),
        vat_id: "NL004495445B01".into(),
        iban: "NL91ABNA0417164300".into(),
        bic: "ABNANL2A".into(),
        email: "aanvragen@balanstoetstelemarketing.nl".into(),
    }
}

fn granted(term_years: u32) -> Outcome {
    Outcome::Granted {
        term_years,
        valid_until: date(2029, 1, 15),
    }
}

/// A typical motivation: two paragraphs around a short list.
const MOTIVATION: &str = "De Commissie heeft de belangenafweging van Voorbeeld B.V. beoordeeld. \
Zij weegt het belang van de organisatie om oud-klanten te benaderen af tegen het belang van \
de consument om niet ongevraagd te worden gebeld.\n\n\
- De organisatie biedt oud-klanten een eenvoudige afmeldmogelijkheid.\n\
- Het aantal klachten over telefonische benadering is laag.\n\n\
Op grond hiervan acht de Commissie een klanttermijn van vijf jaar aanvaardbaar.";

fn letter<'a>(sender: &'a Supplier, outcome: &'a Outcome, motivation: &'a str) -> AdviceLetter<'a> {
    AdviceLetter {
        sender,
        reference: "CBT-2027-0001",
        date: date(2027, 1, 15),
        addressee: Addressee {
            organisation: "Voorbeeld B.V.",
            contact: Some("Jan Jansen"),
            street: "Kerkstraat 12",
            postcode: "3511 AB",
            city: "Utrecht",
            country: "Nederland",
        },
        request: Request {
            term_years: 5,
            audience: "oud-klanten",
        },
        outcome,
        motivation,
    }
}

/// A motivation of `n` numbered considerations, each a long paragraph,
/// with a list now and then.
fn long_motivation(n: usize) -> String {
    (1..=n)
        .map(|i| {
            let mut text = format!(
                "Overweging {i}. De Commissie heeft bij deze overweging gekeken naar de aard van \
                 de klantrelatie, de duur daarvan, de wijze waarop de organisatie haar oud-klanten \
                 informeert over hun recht om zich af te melden, en het aantal klachten dat zij \
                 over telefonische benadering heeft ontvangen."
            );
            if i % 4 == 0 {
                text.push_str("\n\n- een eerste punt bij deze overweging\n- een tweede punt");
            }
            text
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Each page's text as lopdf extracts it, white space collapsed.
fn page_texts(pdf: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
    let pages = u32::try_from(doc.get_pages().len()).expect("pages");
    (1..=pages)
        .map(|n| collapse(&doc.extract_text(&[n]).expect("text")))
        .collect()
}

/// The structure's elements, depth first, with their depth below the
/// document element.
fn roles(pdf: &[u8]) -> Vec<(usize, String)> {
    let doc = lopdf::Document::load_mem(pdf).expect("PDF");
    let catalog = doc.catalog().expect("catalog");
    let root = dict(
        &doc,
        catalog.get(b"StructTreeRoot").expect("StructTreeRoot"),
    );
    let mut roles = Vec::new();
    structure(&doc, root.get(b"K").expect("K"), &mut roles);
    roles
}

/// The roles of the elements right under the document element.
fn top_roles(pdf: &[u8]) -> Vec<String> {
    roles(pdf)
        .into_iter()
        .filter(|(depth, _)| *depth == 1)
        .map(|(_, role)| role)
        .collect()
}

/// What a granted letter must say, as extracted.
fn granted_sentences() -> Vec<&'static str> {
    vec![
        "Commissie Balanstoets Telemarketing Voorbeeldstraat 1 1234 AB Amsterdam aanvragen@balanstoetstelemarketing.nl",
        "Voorbeeld B.V. t.a.v. Jan Jansen Kerkstraat 12 3511 AB Utrecht",
        "Datum 15 januari 2027",
        "Ons kenmerk CBT-2027-0001",
        "Advies over uw aanvraag voor een langere klanttermijn",
        "Geachte Jan Jansen,",
        "om advies gevraagd over het voornemen om oud-klanten tot 5 jaar na het einde van de klantrelatie telefonisch te benaderen.",
        "De Commissie adviseert positief over uw aanvraag.",
        "Zij acht een klanttermijn van 5 jaar aanvaardbaar",
        "Dit advies is geldig tot en met 15 januari 2029.",
        "Motivering De Commissie heeft de belangenafweging van Voorbeeld B.V. beoordeeld.",
        "De organisatie biedt oud-klanten een eenvoudige afmeldmogelijkheid.",
        "Op grond hiervan acht de Commissie een klanttermijn van vijf jaar aanvaardbaar.",
        "Tegen dit advies staat geen bezwaar of beroep open.",
        "Het advies is geldig voor de periode die de Commissie heeft vastgesteld",
        "Verandert een van die factoren, dan vervalt het advies en is een nieuwe aanvraag nodig.",
        "Met vriendelijke groet, Commissie Balanstoets Telemarketing Secretariaat: Voorbeeldstraat 1, 1234 AB Amsterdam aanvragen@balanstoetstelemarketing.nl",
        "Commissie Balanstoets Telemarketing · kenmerk CBT-2027-0001 · pagina 1 van 1",
    ]
}

#[test]
fn a_short_letter_is_one_a4_page_with_every_key_sentence() {
    let s = sender();
    let outcome = granted(5);
    let pdf = render_pdf(&letter(&s, &outcome, MOTIVATION)).expect("render");
    assert!(pdf.starts_with(b"%PDF-1.7"));
    let texts = page_texts(&pdf);
    assert_eq!(texts.len(), 1, "{texts:?}");
    for needed in granted_sentences() {
        assert!(
            texts[0].contains(needed),
            "{needed:?} missing from {texts:?}"
        );
    }
    // The Netherlands is not written on a Dutch address.
    assert!(!texts[0].contains("Nederland"), "{texts:?}");
    match pdftotext(&pdf, None) {
        Some(text) => {
            for needed in granted_sentences() {
                assert!(text.contains(needed), "{needed:?} missing from {text:?}");
            }
        }
        None => println!("pdftotext is not installed: text checked with lopdf only"),
    }

    let doc = lopdf::Document::load_mem(&pdf).expect("PDF");
    for (_, id) in doc.get_pages() {
        let page = doc.get_dictionary(id).expect("page");
        let media_box: Vec<f32> = page
            .get(b"MediaBox")
            .and_then(Object::as_array)
            .expect("MediaBox")
            .iter()
            .map(|n| n.as_float().expect("number"))
            .collect();
        assert_eq!(media_box, [0.0, 0.0, 595.28, 841.89]);
    }
}

#[test]
fn a_long_motivation_runs_over_pages_each_with_its_footer() {
    let s = sender();
    let outcome = granted(5);
    let motivation = long_motivation(40);
    let pdf = render_pdf(&letter(&s, &outcome, &motivation)).expect("render");
    let texts = page_texts(&pdf);
    let pages = texts.len();
    assert!(pages >= 3, "{pages} pages");
    for (i, text) in texts.iter().enumerate() {
        let footer = format!(
            "Commissie Balanstoets Telemarketing · kenmerk CBT-2027-0001 · pagina {} van {pages}",
            i + 1
        );
        assert!(text.contains(&footer), "page {}: {text}", i + 1);
        if let Some(text) = pdftotext(&pdf, Some(i + 1)) {
            assert!(text.contains(&footer), "page {}: {text}", i + 1);
        }
    }
    // The letterhead on the first page only; the closing on the last.
    assert!(texts[0].starts_with("Commissie Balanstoets Telemarketing Voorbeeldstraat 1"));
    assert!(!texts[1].contains("Voorbeeldstraat 1"), "{}", texts[1]);
    assert!(texts[pages - 1].contains("Met vriendelijke groet,"));
    // Every consideration once, whole, in order, across the pages.
    let all = texts.join(" ");
    let mut from = 0;
    for i in 1..=40 {
        let needle = format!(
            "Overweging {i}. De Commissie heeft bij deze overweging gekeken naar de aard van de \
             klantrelatie"
        );
        let at = all
            .get(from..)
            .and_then(|rest| rest.find(&needle))
            .unwrap_or_else(|| panic!("{needle:?} missing or out of order"));
        from += at + needle.len();
        assert_eq!(all.matches(&needle).count(), 1, "{needle}");
    }
    // One paragraph that runs over a page is one paragraph.
    let paragraphs = roles(&pdf).iter().filter(|(_, r)| r == "P").count();
    // The sample's motivation has two paragraphs and two list items; this
    // one forty paragraphs and ten lists of two.
    let expected = granted_paragraphs() - 4 + 40 + 20;
    assert_eq!(paragraphs, expected);
}

/// The paragraphs of the granted sample letter, its lists' items and
/// the letterhead's lines included.
fn granted_paragraphs() -> usize {
    let s = sender();
    let outcome = granted(5);
    let pdf = render_pdf(&letter(&s, &outcome, MOTIVATION)).expect("render");
    roles(&pdf).iter().filter(|(_, r)| r == "P").count()
}

#[test]
fn is_pdf_a_3b_and_tagged_pdf_ua_1_in_reading_order() {
    let s = sender();
    let outcome = granted(5);
    let pdf = render_pdf(&letter(&s, &outcome, MOTIVATION)).expect("render");
    let doc = lopdf::Document::load_mem(&pdf).expect("PDF");
    let catalog = doc.catalog().expect("catalog");

    assert_eq!(text_string(catalog.get(b"Lang").expect("Lang")), "nl-NL");
    let mark_info = dict(&doc, catalog.get(b"MarkInfo").expect("MarkInfo"));
    assert!(mark_info
        .get(b"Marked")
        .and_then(Object::as_bool)
        .expect("Marked"));
    let viewer = dict(
        &doc,
        catalog
            .get(b"ViewerPreferences")
            .expect("ViewerPreferences"),
    );
    assert!(viewer
        .get(b"DisplayDocTitle")
        .and_then(Object::as_bool)
        .expect("DisplayDocTitle"));
    assert!(catalog.get(b"Outlines").is_ok(), "an outline");

    let (_, metadata) = doc
        .dereference(catalog.get(b"Metadata").expect("Metadata"))
        .expect("metadata");
    let xmp = metadata.as_stream().expect("stream");
    let xmp = String::from_utf8(xmp.content.clone()).expect("XMP in UTF-8");
    for needed in [
        "<pdfaid:part>3</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        "<pdfuaid:part>1</pdfuaid:part>",
        "Advies CBT-2027-0001",
        "Commissie Balanstoets Telemarketing",
        "<xmp:CreateDate>2027-01-15",
        "nl-NL",
    ] {
        assert!(xmp.contains(needed), "{needed:?} missing from {xmp}");
    }
    let info = dict(&doc, doc.trailer.get(b"Info").expect("Info"));
    assert_eq!(
        text_string(info.get(b"Title").expect("Title")),
        "Advies CBT-2027-0001"
    );
    assert_eq!(
        text_string(info.get(b"Author").expect("Author")),
        "Commissie Balanstoets Telemarketing"
    );
    assert!(text_string(info.get(b"CreationDate").expect("date")).starts_with("D:20270115"));

    assert_eq!(
        top_roles(&pdf),
        [
            "Sect", // the letterhead
            "P",    // the address
            "P",    // Datum
            "P",    // Ons kenmerk
            "H1",   // the subject
            "P",    // Geachte
            "P",    // what was asked
            "H2",   // Advies
            "P",    // positive, valid until
            "H2",   // Motivering
            "P", "L", "P", "H2", // what the advice means
            "L", "P", // questions
            "P", // the closing
        ]
    );
    // Lists as PDF/UA has them: items with a label and a body.
    let all = roles(&pdf);
    let list = all.iter().position(|(_, r)| r == "L").expect("a list");
    let item: Vec<&str> = all
        .get(list + 1..list + 5)
        .expect("an item")
        .iter()
        .map(|(_, r)| r.as_str())
        .collect();
    assert_eq!(item, ["LI", "Lbl", "LBody", "P"]);
    assert_eq!(all.iter().filter(|(_, r)| r == "LI").count(), 5);
}

#[test]
fn the_same_letter_gives_the_same_bytes() {
    let s = sender();
    let outcome = granted(5);
    let motivation = long_motivation(12);
    let first = render_pdf(&letter(&s, &outcome, &motivation)).expect("render");
    assert_eq!(
        first,
        render_pdf(&letter(&s, &outcome, &motivation)).expect("render")
    );
    let mut later = letter(&s, &outcome, &motivation);
    later.date = date(2027, 1, 16);
    assert_ne!(first, render_pdf(&later).expect("render"));
}

#[test]
fn qpdf_finds_nothing_wrong() {
    let s = sender();
    let outcome = granted(5);
    qpdf_check(&render_pdf(&letter(&s, &outcome, MOTIVATION)).expect("render"));
    let motivation = long_motivation(40);
    qpdf_check(&render_pdf(&letter(&s, &Outcome::Refused, &motivation)).expect("render"));
}

#[test]
fn a_refused_advice_says_so_and_gives_no_validity_date() {
    let s = sender();
    let pdf = render_pdf(&letter(&s, &Outcome::Refused, MOTIVATION)).expect("render");
    let texts = page_texts(&pdf);
    assert_eq!(texts.len(), 1);
    let text = &texts[0];
    for needed in [
        "De Commissie adviseert negatief over uw aanvraag.",
        "Zij acht een klanttermijn van 5 jaar voor oud-klanten niet aanvaardbaar.",
        "Motivering De Commissie heeft de belangenafweging",
        "Tegen dit advies staat geen bezwaar of beroep open.",
        "dan kunt u een nieuwe aanvraag indienen.",
        "pagina 1 van 1",
    ] {
        assert!(text.contains(needed), "{needed:?} missing from {text}");
    }
    for absent in ["positief", "geldig tot", "tot en met", "2029"] {
        assert!(!text.contains(absent), "{absent:?} in {text}");
    }
    if let Some(text) = pdftotext(&pdf, None) {
        assert!(text.contains("De Commissie adviseert negatief"), "{text}");
        assert!(!text.contains("geldig tot"), "{text}");
    }
}

#[test]
fn a_shorter_term_than_asked_for_is_pointed_out() {
    let s = sender();
    let outcome = granted(4);
    let text =
        page_texts(&render_pdf(&letter(&s, &outcome, MOTIVATION)).expect("render")).join(" ");
    assert!(
        text.contains("klanttermijn van 4 jaar aanvaardbaar"),
        "{text}"
    );
    assert!(
        text.contains("Dat is korter dan de 5 jaar die u heeft aangevraagd"),
        "{text}"
    );
    let outcome = granted(5);
    let text =
        page_texts(&render_pdf(&letter(&s, &outcome, MOTIVATION)).expect("render")).join(" ");
    assert!(!text.contains("korter"), "{text}");
}

#[test]
fn markdown_in_the_motivation_is_structure_and_template_code_is_text() {
    let s = sender();
    let outcome = granted(5);
    let motivation = "Eerste alinea met *nadruk*, **vet** en `code`.\n\n\
        ## Overwegingen\n\n\
        1. Een\n2. Twee\n\n\
        > Een citaat uit de aanvraag.\n\n\
        {{ kenmerk }} en {% if advies.positief %}ja{% endif %} en {# commentaar #} en {{ motivering }}\n\n\
        Tekst <script>alert(1)</script> en [de Code](https://example.nl/code)\n\n\
        # Slot\n\nLaatste alinea.";
    let pdf = render_pdf(&letter(&s, &outcome, motivation)).expect("render");
    let text = page_texts(&pdf).join(" ");
    for needed in [
        "Eerste alinea met nadruk, vet en code.",
        "Overwegingen 1. Een 2. Twee",
        "Een citaat uit de aanvraag.",
        "{{ kenmerk }} en {% if advies.positief %}ja{% endif %} en {# commentaar #} en {{ motivering }}",
        "Tekst <script>alert(1)</script> en de Code (https://example.nl/code)",
        "Slot Laatste alinea.",
    ] {
        assert!(text.contains(needed), "{needed:?} missing from {text}");
    }
    assert!(!text.contains('*'), "{text}");
    assert!(!text.contains('`'), "{text}");

    let top = top_roles(&pdf);
    let motivering = top
        .iter()
        .position(|r| r == "H2")
        .and_then(|advies| {
            top.iter()
                .skip(advies + 1)
                .position(|r| r == "H2")
                .map(|m| advies + 1 + m)
        })
        .expect("Motivering");
    let section: Vec<&str> = top
        .get(motivering..motivering + 9)
        .expect("the motivation")
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        section,
        ["H2", "P", "H3", "L", "BlockQuote", "P", "P", "H3", "P"]
    );
    assert_eq!(top.iter().filter(|r| *r == "H1").count(), 1, "{top:?}");
}

#[test]
fn values_are_printed_as_they_are_and_never_change_the_letter() {
    let s = sender();
    let outcome = granted(5);
    let mut hostile = letter(&s, &outcome, MOTIVATION);
    hostile.addressee = Addressee {
        organisation: "# Kop {{ kenmerk }}\n- lijst",
        contact: Some("Jan\r\n## Jansen {% raw %}"),
        street: "| Datum | 1 april",
        postcode: "@titel Ander",
        city: "{pagina} \u{E002}",
        country: "Nederland",
    };
    hostile.request.audience = "{{ motivering }}";
    let pdf = render_pdf(&hostile).expect("render");
    let texts = page_texts(&pdf);
    assert_eq!(texts.len(), 1, "{texts:?}");
    let text = &texts[0];
    for needed in [
        "# Kop {{ kenmerk }} - lijst",
        "t.a.v. Jan ## Jansen {% raw %}",
        "| Datum | 1 april",
        "@titel Ander {pagina}",
        "Geachte Jan ## Jansen {% raw %},",
        "voornemen om {{ motivering }} tot 5 jaar",
        "pagina 1 van 1",
    ] {
        assert!(text.contains(needed), "{needed:?} missing from {text}");
    }
    // The motivation once, and the structure of the ordinary letter.
    assert_eq!(
        text.matches("Op grond hiervan acht de Commissie").count(),
        1
    );
    let sample = render_pdf(&letter(&s, &outcome, MOTIVATION)).expect("render");
    assert_eq!(top_roles(&pdf), top_roles(&sample));
    let doc = lopdf::Document::load_mem(&pdf).expect("PDF");
    let info = dict(&doc, doc.trailer.get(b"Info").expect("Info"));
    assert_eq!(
        text_string(info.get(b"Title").expect("Title")),
        "Advies CBT-2027-0001"
    );

    // A name longer than a line, with no space to break at, wraps.
    let long = "X".repeat(300);
    hostile.addressee.organisation = &long;
    let text = page_texts(&render_pdf(&hostile).expect("render")).join(" ");
    assert_eq!(text.matches('X').count(), 2 * 300, "address and sentence");
}

#[test]
fn without_a_contact_the_letter_greets_sir_or_madam() {
    let s = sender();
    let outcome = granted(5);
    for contact in [None, Some("  ")] {
        let mut l = letter(&s, &outcome, MOTIVATION);
        l.addressee.contact = contact;
        let text = page_texts(&render_pdf(&l).expect("render")).join(" ");
        assert!(text.contains("Geachte heer, mevrouw,"), "{text}");
        assert!(!text.contains("t.a.v."), "{text}");
        assert!(text.contains("Voorbeeld B.V. Kerkstraat 12"), "{text}");
    }
}

#[test]
fn the_country_only_abroad_and_dutch_characters_survive() {
    let s = sender();
    let outcome = granted(5);
    let mut l = letter(&s, &outcome, "Café Ëxtra – Groß & Zoon; 東京 \u{1F600}.");
    l.addressee.country = "België";
    l.addressee.organisation = "Café Ëxtra – Groß & Zoon";
    let pdf = render_pdf(&l).expect("render");
    let text = page_texts(&pdf).join(" ");
    assert!(text.contains("3511 AB Utrecht België"), "{text}");
    assert!(text.contains("Café Ëxtra – Groß & Zoon"), "{text}");
    if let Some(text) = pdftotext(&pdf, None) {
        assert!(
            text.contains("Café Ëxtra – Groß & Zoon; 東京 \u{1F600}."),
            "{text}"
        );
    }
    l.addressee.country = "the Netherlands";
    let text = page_texts(&render_pdf(&l).expect("render")).join(" ");
    assert!(!text.contains("Netherlands"), "{text}");
}

#[test]
fn an_empty_motivation_still_gives_a_valid_letter() {
    let s = sender();
    let outcome = granted(5);
    let pdf = render_pdf(&letter(&s, &outcome, "")).expect("render");
    let text = page_texts(&pdf).join(" ");
    assert!(
        text.contains("Motivering Wat dit advies voor u betekent"),
        "{text}"
    );
}

#[test]
fn mistakes_in_the_template_are_named() {
    let s = sender();
    let outcome = granted(5);
    let l = letter(&s, &outcome, MOTIVATION);
    let render = |source: &str| {
        letter_templates(&[(TEMPLATE, source)]).and_then(|tera| render_with(&tera, &l))
    };
    for (source, needle) in [
        ("@titel x\n@voet y\n{% if %}", "brief.txt"),
        (
            "@titel x\n@voet y\n{{ onbekend }}\n{{ motivering }}",
            "onbekend",
        ),
        ("@titel x\n@voet y\nTekst", "{{ motivering }} ontbreekt"),
        ("@voet y\n{{ motivering }}", "@titel"),
        (
            "@titel x\n@voet y\nZie {{ motivering }}",
            "regel van zichzelf",
        ),
    ] {
        match render(source) {
            Err(LetterError::Template(message)) => {
                assert!(message.contains(needle), "{message:?} for {source:?}");
                let shown = LetterError::Template(message).to_string();
                assert!(
                    shown.starts_with(
                        "het sjabloon van de adviesbrief (advice/brief.txt) klopt niet: "
                    ),
                    "{shown}"
                );
            }
            other => panic!("{source:?}: {other:?}"),
        }
    }
    // A template of the markup alone makes a letter.
    let pdf =
        render("@titel Advies {{ kenmerk }}\n@voet {pagina}/{paginas}\n# Advies\n{{ motivering }}")
            .expect("render");
    let text = page_texts(&pdf).join(" ");
    assert!(text.contains("Advies De Commissie heeft"), "{text}");
    assert!(text.ends_with("1/1"), "{text}");
}

#[test]
fn the_template_never_lets_a_value_through_unmarked() {
    let (_, source) = crate::embedded::TEMPLATES
        .iter()
        .find(|(name, _)| *name == TEMPLATE)
        .expect("the letter's template is embedded");
    // Its comments may name what it must not do.
    let mut code = String::new();
    let mut rest = *source;
    while let Some((before, after)) = rest.split_once("{#") {
        code.push_str(before);
        rest = after.split_once("#}").map_or("", |(_, after)| after);
    }
    code.push_str(rest);
    let squeezed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(!squeezed.contains("|safe"), "{TEMPLATE} uses | safe");
    assert!(
        !squeezed.contains("autoescape"),
        "{TEMPLATE} turns escaping off"
    );
}

#[test]
fn file_names() {
    assert_eq!(letter_filename("CBT-2027-0001"), "advies-CBT-2027-0001.pdf");
    assert_eq!(letter_filename(" ../a b\r\n"), "advies----a-b.pdf");
    assert_eq!(letter_filename("CBT-2027-é"), "advies-CBT-2027--.pdf");
}

#[test]
fn the_letter_of_a_case() {
    let rules = crate::embedded_rules().expect("rules");
    let Ok(crate::validate::Checked::Valid(submission)) =
        crate::validate::check(&rules.forms.application, &crate::sample::application())
    else {
        panic!("the sample passes")
    };
    let application =
        crate::application::Application::from_submission(&submission, &rules.fees).expect("typed");
    let filed = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 1, 4, 10, 0, 0)
        .single()
        .expect("time");
    let mut case = Case::filed(
        "CBT-2027-0001".into(),
        crate::invoice::InvoiceNumber { year: 2027, seq: 1 },
        filed,
        crate::money::Cents(445_280),
        application,
        Vec::new(),
    );
    let s = sender();
    assert!(AdviceLetter::for_case(&case, &s, "oud-klanten").is_none());
    case.advice = Some(crate::case::Advice {
        outcome: granted(5),
        motivation: MOTIVATION.into(),
        sent_on: date(2027, 3, 1),
    });
    let l = AdviceLetter::for_case(&case, &s, "oud-klanten").expect("a letter");
    assert_eq!(l.reference, "CBT-2027-0001");
    assert_eq!(l.date, date(2027, 3, 1));
    assert_eq!(l.addressee.organisation, case.application.organisation.name);
    assert_eq!(
        l.addressee.contact,
        Some(case.application.contact.name.as_str())
    );
    assert_eq!(l.addressee.street, case.application.invoice.street);
    assert_eq!(l.request.term_years, case.application.term_years);
    assert_eq!(l.outcome, &granted(5));
    let text = page_texts(&render_pdf(&l).expect("render")).join(" ");
    assert!(text.contains("Datum 1 maart 2027"), "{text}");
    assert!(
        text.contains(&format!("Geachte {},", case.application.contact.name)),
        "{text}"
    );
}
