//! The invoice as a one-page A4 PDF, the document the customer receives.
//!
//! Written with [`krilla`], which subsets the fonts to the glyphs used,
//! embeds them with a ToUnicode map (so that é, ë, € and – can be
//! searched, copied and extracted), and checks the document against two
//! standards at once while it writes it:
//!
//! - PDF/A-3b, the archival form: invoices are kept for 7 years, and A-3
//!   can later carry the e-invoice (XML) as an attachment;
//! - PDF/UA-1, the accessible form: every piece of text is tagged, in
//!   reading order, as part of a section, heading, paragraph or table
//!   cell (the table has a header row, a body and its totals as footer
//!   rows); rules, shading and the footer, which repeats the letterhead,
//!   are artifacts. The document has a title, which viewers show instead
//!   of the file name (`DisplayDocTitle`), an outline entry, and the
//!   language `nl-NL`.
//!
//! A document that fails either check is not written
//! ([`PdfError::Invalid`]). What no program can check (that the reading
//! order makes sense, that a heading is one) is this module's work.
//!
//! The house style, the fonts (Liberation Sans, compiled in from `fonts/`),
//! the measuring, wrapping and drawing of text and the document's set-up
//! are [`crate::pdf`]'s, which the advice letter shares.
//!
//! The same invoice always gives the same bytes: krilla derives the
//! document's ids from its content, and the one date in it is the invoice
//! date.

use std::num::NonZeroU32;

use krilla::destination::XyzDestination;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::tagging::{TableHeaderScope, Tag, TagGroup, TagTree};

use super::{dutch_date, DocumentKind, Invoice};
use crate::formats::format_iban;
use crate::pdf::{
    self, address_lines, Bold, Failure, Look, Pen, BODY, CAPTION, DETAIL, FOOTER, H1, H2, HEADING,
    INK, LANGUAGE, LEFT, LETTERHEAD, RIGHT, RULE, SHADE, SMALL, TITLE, TOP,
};

/// Why an invoice could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The built-in font cannot be read: a broken build, not bad input.
    #[error("het ingebouwde lettertype {0} is onleesbaar")]
    Font(&'static str),
    /// A name, address or description is too long for one page.
    #[error("de factuur past niet op één pagina: een naam, adres of omschrijving is te lang")]
    TooLong,
    /// krilla found the document not PDF/A-3b or not PDF/UA-1: a fault in
    /// this module, which the tests are there to catch.
    #[error("de factuur voldoet niet aan PDF/A-3b en PDF/UA-1: {0}")]
    Invalid(String),
    /// krilla could not write the document.
    #[error("de PDF van de factuur kon niet worden geschreven: {0}")]
    Write(String),
}

/// Where the right-hand columns (supplier details, invoice details,
/// totals) start.
const COL2: f32 = 286.0;
/// Where the values next to those labels start.
const VALUES: f32 = COL2 + 84.0;
/// The right edge of the VAT-rate column in the table.
const COL_VAT: f32 = 424.0;
/// Inner padding of the table cells.
const PAD: f32 = 8.0;

const HEADER: Look = Look::new(Bold, 9.0, 12.0, INK);
const TOTAL: Look = Look::new(Bold, 11.0, 14.0, INK);

/// The totals' labels span the description and VAT-rate columns.
const TWO_COLUMNS: NonZeroU32 = NonZeroU32::MIN.saturating_add(1);

/// Renders `invoice` as a one-page A4 PDF.
pub fn render(invoice: &Invoice) -> Result<Vec<u8>, PdfError> {
    let faces = pdf::faces()?;
    let mut document = pdf::document()?;
    let size = pdf::a4()?;

    let mut tree = TagTree::new();
    {
        let mut page = document.start_page_with(size);
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            faces,
        };
        draw(&mut pen, invoice, &mut tree)?;
        surface.finish();
        page.finish();
    }
    document.set_tag_tree(tree);

    let title = format!("{} {}", invoice.title(), invoice.number_text());
    let mut outline = Outline::new();
    outline.push_child(OutlineNode::new(
        title.clone(),
        XyzDestination::new(0, Point::from_xy(0.0, 0.0)),
    ));
    document.set_outline(outline);

    document.set_metadata(
        Metadata::new()
            .title(title)
            .authors(vec![invoice.supplier.name.clone()])
            .description(format!(
                "{} {} aan {}",
                invoice.title(),
                invoice.number_text(),
                invoice.customer.name
            ))
            .creator("cbt".to_string())
            .language(LANGUAGE.to_string())
            .creation_date(pdf::creation_date(invoice.date))
            // Without it krilla derives the id from the title and author,
            // which name the invoice too; this says what the id stands for.
            .document_id(format!(
                "cbt-{}-{}",
                invoice.title().to_lowercase(),
                invoice.number_text()
            )),
    );

    Ok(pdf::finish(document)?)
}

/// Draws the page and builds its structure, in reading order.
fn draw(pen: &mut Pen<'_, '_>, invoice: &Invoice, tree: &mut TagTree) -> Result<(), PdfError> {
    let s = &invoice.supplier;
    let k = &invoice.customer;
    let iban = format_iban(&s.iban);

    // Letterhead: the supplier on the left, its numbers on the right.
    let mut supplier = TagGroup::new(Tag::Section);
    let width = COL2 - LEFT - 20.0;
    let mut y = pen.paragraph(&mut supplier, LETTERHEAD, LEFT, TOP - 12.0, width, &s.name) - 2.0;
    let supplier_address = address_lines(&s.street, &s.postcode, &s.city, &s.country);
    for line in &supplier_address {
        y = pen.paragraph(&mut supplier, SMALL, LEFT, y, width, line);
    }
    let mut ry = TOP - 10.0;
    for (label, value) in [
        ("KvK-nummer", s.kvk.as_str()),
        ("Btw-id", s.vat_id.as_str()),
        ("IBAN", iban.as_str()),
        ("BIC", s.bic.as_str()),
        ("E-mail", s.email.as_str()),
    ] {
        ry = pen.labelled(&mut supplier, DETAIL, ry, label, value);
    }
    tree.push(supplier);
    let rule_y = y.min(ry) + 2.0;
    pen.hline(RULE, 0.6, LEFT, RIGHT, rule_y);

    // The title, then the customer on the left and the invoice's
    // particulars on the right.
    let title_y = rule_y - 38.0;
    let heading = if invoice.unconfirmed.is_empty() {
        invoice.title().to_string()
    } else {
        format!("{} (voorbeeldgegevens)", invoice.title())
    };
    tree.push(pen.heading(H1, &heading, TITLE, LEFT, title_y, &heading));

    let mut top = title_y - 30.0;
    // An invoice made from values the CBT has not confirmed says so, under
    // its title, before anything else is read.
    if !invoice.unconfirmed.is_empty() {
        let text = format!(
            "Voorbeeldgegevens: deze factuur is niet geldig. De CBT moet nog bevestigen: {}.",
            invoice.unconfirmed.join("; ")
        );
        let mut warning = TagGroup::new(Tag::P);
        let lines = pen.wrap(SMALL, &text, RIGHT - LEFT);
        let y = pen.lines(&mut warning, SMALL, LEFT, top + 12.0, &lines);
        tree.push(warning);
        top = y - 8.0;
    }
    let mut customer = TagGroup::new(Tag::Section);
    let to = format!("{} aan", invoice.title());
    customer.push(pen.heading(H2, &to, CAPTION, LEFT, top, &to.to_uppercase()));
    let width = COL2 - LEFT - 24.0;
    let mut y = pen.paragraph(&mut customer, BODY.bold(), LEFT, top - 15.0, width, &k.name);
    for line in address_lines(&k.street, &k.postcode, &k.city, &k.country) {
        y = pen.paragraph(&mut customer, BODY, LEFT, y, width, &line);
    }
    if k.vat_id.is_some() || k.extra.is_some() {
        y -= 4.0;
    }
    if let Some(vat_id) = &k.vat_id {
        let text = format!("Btw-id: {vat_id}");
        y = pen.paragraph(&mut customer, BODY, LEFT, y, width, &text);
    }
    if let Some(extra) = &k.extra {
        let text = format!("Uw referentie: {extra}");
        y = pen.paragraph(&mut customer, BODY, LEFT, y, width, &text);
    }
    tree.push(customer);

    let mut details = TagGroup::new(Tag::Section);
    let mut ry = top - 15.0;
    let number = invoice.number_text();
    let word = invoice.title();
    ry = pen.labelled(
        &mut details,
        BODY.bold(),
        ry,
        &format!("{word}nummer"),
        &number,
    );
    ry = pen.labelled(
        &mut details,
        BODY,
        ry,
        &format!("{word}datum"),
        &dutch_date(invoice.date),
    );
    ry = match invoice.kind {
        DocumentKind::Invoice => pen.labelled(
            &mut details,
            BODY,
            ry,
            "Vervaldatum",
            &dutch_date(invoice.due_date),
        ),
        DocumentKind::CreditNote { credits, .. } => {
            pen.labelled(&mut details, BODY, ry, "Bij factuur", &credits.to_string())
        }
    };
    ry = pen.labelled(&mut details, BODY, ry, "Aanvraag", &invoice.reference);
    tree.push(details);

    // The table: a header band, the one line, then the totals under the
    // amount column, as the table's footer rows.
    let band_top = y.min(ry) - 20.0;
    pen.band(SHADE, LEFT, band_top - 20.0, RIGHT - LEFT, 20.0);
    let head_y = band_top - 13.5;
    let mut head = TagGroup::new(Tag::TR);
    let mut cell = TagGroup::new(Tag::TH(TableHeaderScope::Column));
    pen.text(&mut cell, HEADER, LEFT + PAD, head_y, "Omschrijving");
    head.push(cell);
    let mut cell = TagGroup::new(Tag::TH(TableHeaderScope::Column));
    pen.text_right(&mut cell, HEADER, COL_VAT, head_y, "Btw-tarief");
    head.push(cell);
    let mut cell = TagGroup::new(Tag::TH(TableHeaderScope::Column));
    pen.text_right(&mut cell, HEADER, RIGHT - PAD, head_y, "Bedrag excl. btw");
    head.push(cell);

    let row_y = band_top - 20.0 - 17.0;
    let width = COL_VAT - 62.0 - LEFT - PAD;
    let rate = format!("{}%", invoice.vat_percent);
    let excl_vat = invoice.line.excl_vat.to_string();
    let mut row = TagGroup::new(Tag::TR);
    let mut cell = TagGroup::new(Tag::TD);
    let lines = pen.wrap(BODY, &invoice.line.description, width);
    let y = pen.lines(&mut cell, BODY, LEFT + PAD, row_y, &lines);
    row.push(cell);
    let mut cell = TagGroup::new(Tag::TD);
    pen.text_right(&mut cell, BODY, COL_VAT, row_y, &rate);
    row.push(cell);
    let mut cell = TagGroup::new(Tag::TD);
    pen.text_right(&mut cell, BODY, RIGHT - PAD, row_y, &excl_vat);
    row.push(cell);
    let last_baseline = y + BODY.leading;
    let y = last_baseline - 9.0;
    pen.hline(RULE, 0.6, LEFT, RIGHT, y);

    let mut totals = TagGroup::new(Tag::TFoot);
    let y = y - 17.0;
    totals.push(pen.total(BODY, y, "Totaal excl. btw", &excl_vat));
    let y = y - 15.0;
    let vat = invoice.vat.to_string();
    totals.push(pen.total(BODY, y, &format!("Btw {rate}"), &vat));
    let y = y - 8.0;
    pen.hline(INK, 0.8, COL2, RIGHT, y);
    let y = y - 16.0;
    let total = invoice.total.to_string();
    totals.push(pen.total(TOTAL, y, invoice.total_label(), &total));

    let mut table = TagGroup::new(Tag::Table);
    table.push(TagGroup::with_children(Tag::THead, vec![head.into()]));
    table.push(TagGroup::with_children(Tag::TBody, vec![row.into()]));
    table.push(totals);
    tree.push(table);

    // The VAT not charged, the supply (an advance payment), and how to
    // pay in a shaded box.
    let mut y = y - 34.0;
    if let Some(vat_note) = &invoice.vat_note {
        let mut note = TagGroup::new(Tag::P);
        let lines = pen.wrap(BODY.bold(), vat_note, RIGHT - LEFT);
        y = pen.lines(&mut note, BODY.bold(), LEFT, y, &lines) - 4.0;
        tree.push(note);
    }
    let mut note = TagGroup::new(Tag::P);
    let lines = pen.wrap(SMALL, &invoice.supply_note(), RIGHT - LEFT);
    let y = pen.lines(&mut note, SMALL, LEFT, y, &lines);
    tree.push(note);

    let payment_text = invoice.payment_text();
    let inset = 12.0;
    let lines = pen.wrap(BODY, &payment_text, RIGHT - LEFT - 2.0 * inset);
    let box_top = y + SMALL.leading - 20.0;
    let box_height = 2.0 * inset + 11.0 + lines.len() as f32 * BODY.leading + 2.0;
    let body_bottom = box_top - box_height;
    pen.band(SHADE, LEFT, body_bottom, RIGHT - LEFT, box_height);
    let mut payment = TagGroup::new(Tag::Section);
    let y = box_top - inset - 9.0;
    payment.push(pen.heading(H2, "Betaling", HEADING, LEFT + inset, y, "Betaling"));
    let mut paragraph = TagGroup::new(Tag::P);
    pen.lines(&mut paragraph, BODY, LEFT + inset, y - 17.0, &lines);
    payment.push(paragraph);
    tree.push(payment);

    // The footer: the supplier once more, small and centred. It repeats
    // the letterhead, so it is an artifact, not read out twice.
    let footer = format!(
        "{} \u{b7} {} \u{b7} KvK {} \u{b7} btw-id {} \u{b7} {}",
        s.name,
        supplier_address.join(", "),
        s.kvk,
        s.vat_id,
        s.email
    );
    let lines = pen.wrap(FOOTER, &footer, RIGHT - LEFT);
    let footer_top = pdf::footer_top(lines.len());
    if body_bottom < footer_top + 12.0 {
        return Err(PdfError::TooLong);
    }
    pen.footer(footer_top, &lines);
    Ok(())
}

impl From<Failure> for PdfError {
    fn from(failure: Failure) -> PdfError {
        match failure {
            Failure::Font(name) => PdfError::Font(name),
            Failure::Invalid(message) => PdfError::Invalid(message),
            Failure::Write(message) => PdfError::Write(message),
        }
    }
}

/// What only the invoice draws: its label and value column, its totals.
impl Pen<'_, '_> {
    /// A label in the right-hand column and its value, wrapped, beside it,
    /// as one paragraph of `into`; returns the baseline for the next.
    fn labelled(
        &mut self,
        into: &mut TagGroup,
        value: Look,
        y: f32,
        label: &str,
        text: &str,
    ) -> f32 {
        let mut paragraph = TagGroup::new(Tag::P);
        // The space ends the label, so that label and value read apart.
        self.text(&mut paragraph, value.label(), COL2, y, &format!("{label} "));
        let lines = self.wrap(value, text, RIGHT - VALUES);
        let y = self.lines(&mut paragraph, value, VALUES, y, &lines);
        into.push(paragraph);
        y
    }

    /// A row of the totals under the table: the label across the first two
    /// columns, the amount in the third.
    fn total(&mut self, look: Look, y: f32, label: &str, amount: &str) -> TagGroup {
        let mut header =
            TagGroup::new(Tag::TH(TableHeaderScope::Row).with_col_span(Some(TWO_COLUMNS)));
        self.text(&mut header, look, COL2, y, label);
        let mut cell = TagGroup::new(Tag::TD);
        self.text_right(&mut cell, look, RIGHT - PAD, y, amount);
        TagGroup::with_children(Tag::TR, vec![header.into(), cell.into()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Email, VatId};
    use crate::invoice::{Customer, InvoiceNumber, Line, Supplier};
    use crate::money::Cents;
    use crate::pdf::check::{collapse, dict, pdftotext, qpdf_check, structure, text_string};
    use chrono::NaiveDate;
    use lopdf::Object;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn sample() -> Invoice {
        let number = InvoiceNumber { year: 2026, seq: 1 };
        Invoice {
            number,
            date: date(2026, 11, 30),
            due_date: date(2026, 12, 30),
            payment_term_days: 30,
            supplier: Supplier {
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
            },
            customer: Customer {
                name: "Voorbeeld B.V.".into(),
                street: "Kerkstraat 12".into(),
                postcode: "3511 AB".into(),
                city: "Utrecht".into(),
                country: "Nederland".into(),
                country_code: "NL".into(),
                email: Email::parse("inkoop@voorbeeld.nl").expect("address"),
                extra: Some("PO-12345".into()),
                vat_id: Some(VatId::parse("NL002455799B11").expect("btw-id")),
            },
            reference: "CBT-2026-0001".into(),
            line: Line {
                description: "Adviesaanvraag Commissie Balanstoets Telemarketing: klanttermijn van 3 jaar (commercieel), referentie CBT-2026-0001".into(),
                tariff: "commercieel".into(),
                excl_vat: Cents(368_000),
            },
            vat_percent: 21,
            vat: Cents(77_280),
            total: Cents(445_280),
            payment_reference: format!("Factuur {number}"),
            vat_treatment: crate::invoice::VatTreatment::Dutch,
            vat_note: None,
            kind: DocumentKind::Invoice,
            unconfirmed: Vec::new(),
        }
    }

    /// The page count and the text of the PDF as lopdf extracts it.
    fn read(pdf: &[u8]) -> (usize, String) {
        let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
        let pages = doc.get_pages().len();
        let text = doc.extract_text(&[1]).expect("text");
        (pages, collapse(&text))
    }

    /// Every legal element the law and the tax authority ask of an invoice,
    /// and what the customer needs to pay it.
    fn legal_elements(invoice: &Invoice) -> Vec<String> {
        [
            "Factuur",
            "Commissie Balanstoets Telemarketing",
            "Voorbeeldstraat 1",
            "1234 AB Amsterdam",
            "KvK-nummer 12345678",
            "Btw-id NL004495445B01",
            "aanvragen@balanstoetstelemarketing.nl",
            "Voorbeeld B.V.",
            "Kerkstraat 12",
            "3511 AB Utrecht",
            "Btw-id: NL002455799B11",
            "Uw referentie: PO-12345",
            "Factuurnummer 2026-0001",
            "Factuurdatum 30 november 2026",
            "Vervaldatum 30 december 2026",
            "CBT-2026-0001",
            invoice.line.description.as_str(),
            "Totaal excl. btw € 3.680,00",
            "Btw 21% € 772,80",
            "21%",
            "Totaal incl. btw € 4.452,80",
            "Factuur voor vooruitbetaling: de CBT brengt het advies uit nadat de betaling is ontvangen.",
            "uiterlijk 30 december 2026 (30 dagen na de factuurdatum)",
            "IBAN NL91 ABNA 0417 1643 00 (BIC ABNANL2A)",
            "onder vermelding van Factuur 2026-0001.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn renders_every_required_element_on_one_a4_page() {
        let invoice = sample();
        let pdf = render(&invoice).expect("render");
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let (pages, text) = read(&pdf);
        assert_eq!(pages, 1);
        for needed in legal_elements(&invoice) {
            assert!(text.contains(&needed), "{needed:?} missing from {text:?}");
        }
        match pdftotext(&pdf, None) {
            Some(text) => {
                for needed in legal_elements(&invoice) {
                    assert!(text.contains(&needed), "{needed:?} missing from {text:?}");
                }
            }
            None => println!("pdftotext is not installed: text checked with lopdf only"),
        }

        let doc = lopdf::Document::load_mem(&pdf).expect("PDF");
        let page = doc.get_dictionary(doc.get_pages()[&1]).expect("page");
        let media_box: Vec<f32> = page
            .get(b"MediaBox")
            .and_then(Object::as_array)
            .expect("MediaBox")
            .iter()
            .map(|n| n.as_float().expect("number"))
            .collect();
        assert_eq!(media_box, [0.0, 0.0, 595.28, 841.89]);
    }

    /// A credit note: its own number, the invoice it credits, negative
    /// amounts, every element of the invoice, one page, valid and tagged.
    #[test]
    fn a_credit_note_carries_its_number_the_invoice_and_negative_amounts() {
        let invoice = sample();
        let credit = invoice.credit_note(InvoiceNumber { year: 2027, seq: 3 }, date(2027, 1, 15));
        assert_eq!(credit.filename(), "creditnota-C-2027-0003.pdf");
        // Nothing to pay: due on its own date, no term, and a transfer
        // (a refund) names the credit note, not the invoice.
        assert_eq!(credit.due_date, date(2027, 1, 15));
        assert_eq!(credit.payment_term_days, 0);
        assert_eq!(credit.payment_reference, "Creditnota C-2027-0003");
        let pdf = render(&credit).expect("render");
        let (pages, text) = read(&pdf);
        assert_eq!(pages, 1);
        for needed in [
            "Creditnota",
            "CREDITNOTA AAN",
            "Creditnotanummer C-2027-0003",
            "Creditnotadatum 15 januari 2027",
            "Bij factuur 2026-0001",
            "Voorbeeld B.V.",
            "Btw-id: NL002455799B11",
            "KvK-nummer 12345678",
            "Btw-id NL004495445B01",
            "Creditering van factuur 2026-0001",
            "Totaal excl. btw € -3.680,00",
            "Btw 21% € -772,80",
            "Totaal creditnota € -4.452,80",
            "Deze creditnota vervalt factuur 2026-0001 van 30 november 2026 voor het volledige bedrag.",
            "terugbetaling van € 4.452,80",
        ] {
            assert!(text.contains(needed), "{needed:?} missing from {text:?}");
        }
        assert!(!text.contains("Vervaldatum"));
        qpdf_check(&pdf);
        let again = render(&credit).expect("render");
        assert_eq!(pdf, again, "deterministic");
    }

    #[test]
    fn is_pdf_a_3b_and_tagged_for_pdf_ua_1() {
        let invoice = sample();
        let pdf = render(&invoice).expect("render");
        let doc = lopdf::Document::load_mem(&pdf).expect("PDF");
        let catalog = doc.catalog().expect("catalog");

        let lang = catalog.get(b"Lang").expect("Lang");
        assert_eq!(text_string(lang), "nl-NL");
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

        let (_, metadata) = doc
            .dereference(catalog.get(b"Metadata").expect("Metadata"))
            .expect("metadata");
        let xmp = metadata.as_stream().expect("stream");
        let xmp = String::from_utf8(xmp.content.clone()).expect("XMP in UTF-8");
        for needed in [
            "<pdfaid:part>3</pdfaid:part>",
            "<pdfaid:conformance>B</pdfaid:conformance>",
            "<pdfuaid:part>1</pdfuaid:part>",
            "Factuur 2026-0001",
            "Commissie Balanstoets Telemarketing",
            "<xmp:CreateDate>2026-11-30",
            "nl-NL",
        ] {
            assert!(xmp.contains(needed), "{needed:?} missing from {xmp}");
        }

        let info = dict(&doc, doc.trailer.get(b"Info").expect("Info"));
        assert_eq!(
            text_string(info.get(b"Title").expect("Title")),
            "Factuur 2026-0001"
        );
        assert_eq!(
            text_string(info.get(b"Author").expect("Author")),
            "Commissie Balanstoets Telemarketing"
        );
        assert!(text_string(info.get(b"CreationDate").expect("date")).starts_with("D:20261130"));

        // The structure, in reading order.
        let root = dict(
            &doc,
            catalog.get(b"StructTreeRoot").expect("StructTreeRoot"),
        );
        let mut roles = Vec::new();
        structure(&doc, root.get(b"K").expect("K"), &mut roles);
        let top: Vec<&str> = roles
            .iter()
            .filter(|(depth, _)| *depth == 1)
            .map(|(_, role)| role.as_str())
            .collect();
        assert_eq!(top, ["Sect", "H1", "Sect", "Sect", "Table", "P", "Sect"]);
        let all: Vec<&str> = roles.iter().map(|(_, role)| role.as_str()).collect();
        for role in ["H2", "THead", "TBody", "TFoot", "TR", "TH", "TD"] {
            assert!(all.contains(&role), "no {role} in {all:?}");
        }
        assert_eq!(all.iter().filter(|r| **r == "TH").count(), 6, "{all:?}");
    }

    #[test]
    fn the_same_invoice_gives_the_same_bytes() {
        let invoice = sample();
        let first = render(&invoice).expect("render");
        assert_eq!(first, render(&invoice).expect("render"));
        let mut other = invoice;
        other.number.seq = 2;
        assert_ne!(first, render(&other).expect("render"));
    }

    #[test]
    fn qpdf_finds_nothing_wrong() {
        qpdf_check(&render(&sample()).expect("render"));
    }

    #[test]
    fn dutch_characters_survive() {
        let mut invoice = sample();
        invoice.customer.name = "Café Ëxtra – Groß & Zoon".into();
        invoice.customer.country = "België".into();
        let pdf = render(&invoice).expect("render");
        let (_, text) = read(&pdf);
        assert!(text.contains("Café Ëxtra – Groß & Zoon"), "{text}");
        assert!(text.contains("België"), "{text}");
        assert!(text.contains("€ 3.680,00"), "{text}");
        if let Some(text) = pdftotext(&pdf, None) {
            assert!(text.contains("Café Ëxtra – Groß & Zoon"), "{text}");
            assert!(text.contains("België"), "{text}");
        }
    }

    #[test]
    fn the_country_line_only_abroad() {
        let mut invoice = sample();
        invoice.customer.country = "the Netherlands".into();
        let (_, text) = read(&render(&invoice).expect("render"));
        assert!(!text.contains("Netherlands"), "{text}");
        invoice.customer.country = "Duitsland".into();
        let (_, text) = read(&render(&invoice).expect("render"));
        assert!(text.contains("3511 AB Utrecht Duitsland"), "{text}");
    }

    #[test]
    fn characters_the_font_lacks_still_give_a_valid_pdf() {
        let mut invoice = sample();
        // CJK and an emoji the font lacks; a zero-width space, a
        // byte-order mark and a control character that have no place on
        // paper.
        invoice.customer.name = "Tōkyō 東京 \u{1F600} B.V.\u{200B}\u{FEFF}\u{7}".into();
        let pdf = render(&invoice).expect("render");
        let (pages, text) = read(&pdf);
        assert_eq!(pages, 1);
        // lopdf reads no ActualText: it sees only that the squares are there.
        assert!(text.contains("Tōkyō "), "{text}");
        assert!(text.contains(" B.V. Kerkstraat 12"), "{text}");
        if let Some(text) = pdftotext(&pdf, None) {
            assert!(text.contains("Tōkyō 東京 \u{1F600} B.V. "), "{text}");
        }
    }

    #[test]
    fn long_names_and_descriptions_wrap_and_stay_on_one_page() {
        let mut invoice = sample();
        invoice.customer.name = "Stichting tot Bevordering van Verantwoorde Telefonische Verkoop en Klantcontact in Nederland, België en Luxemburg (afdeling Noord-Holland)".into();
        invoice.customer.street =
            "Lange Leidsedwarsstraat 1234 bis, derde verdieping achter".into();
        invoice.customer.extra =
            Some("Inkooporder PO-2026-000123456, kostenplaats 4711-Telemarketing-Advies".into());
        invoice.line.description = "Adviesaanvraag Commissie Balanstoets Telemarketing: klanttermijn van 3 jaar (commercieel), referentie CBT-2026-0001. ".repeat(4).trim_end().to_string();
        invoice.customer.vat_id = Some(VatId::parse("NL004495445B01").expect("btw-id"));
        let pdf = render(&invoice).expect("render");
        let (pages, text) = read(&pdf);
        assert_eq!(pages, 1);
        for needed in [
            invoice.customer.name.as_str(),
            invoice.customer.street.as_str(),
            invoice.line.description.as_str(),
            "Uw referentie: Inkooporder PO-2026-000123456, kostenplaats 4711-Telemarketing-Advies",
            "4.452,80",
        ] {
            assert!(text.contains(needed), "{needed:?} missing from {text:?}");
        }
        // One word wider than its column is broken within the word.
        invoice.customer.name = "X".repeat(120);
        let (pages, text) = read(&render(&invoice).expect("render"));
        assert_eq!(pages, 1);
        assert_eq!(text.matches('X').count(), 120);
    }

    #[test]
    fn text_too_long_for_one_page_is_refused() {
        let mut invoice = sample();
        invoice.line.description = "Heel lange omschrijving. ".repeat(200);
        assert_eq!(render(&invoice), Err(PdfError::TooLong));
    }
}
