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
//! The text is set in Liberation Sans, regular and bold, compiled into the
//! binary from `fonts/` (SIL Open Font Licence, see `fonts/LICENSE.txt`),
//! so rendering reads no files. Glyphs and advances come from the fonts'
//! own tables through [`skrifa`], the reader krilla itself uses; there is
//! no shaping or kerning, so the width measured for wrapping is the width
//! drawn.
//!
//! The same invoice always gives the same bytes: krilla derives the
//! document's ids from its content, and the one date in it is the invoice
//! date.

use std::num::{NonZeroU16, NonZeroU32};
use std::sync::LazyLock;

use chrono::Datelike;
use krilla::color::rgb;
use krilla::configure::{Accessibility, Archival, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, SpanTag, TableHeaderScope, Tag, TagGroup, TagTree,
};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::{dutch_date, Invoice};
use crate::formats::{format_iban, is_netherlands};

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

static REGULAR: &[u8] = include_bytes!("fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("fonts/LiberationSans-Bold.ttf");

/// The language of every text on the invoice.
const LANGUAGE: &str = "nl-NL";

// A4 in points, with margins of 20 mm at the sides. Positions below are
// measured from the bottom of the page, as in PDF; krilla measures from
// the top, and [`Pen`] turns one into the other.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 56.69;
const RIGHT: f32 = PAGE_W - 56.69;
const TOP: f32 = PAGE_H - 50.0;
const BOTTOM: f32 = 36.0;
/// Where the right-hand columns (supplier details, invoice details,
/// totals) start.
const COL2: f32 = 286.0;
/// Where the values next to those labels start.
const VALUES: f32 = COL2 + 84.0;
/// The right edge of the VAT-rate column in the table.
const COL_VAT: f32 = 424.0;
/// Inner padding of the table cells.
const PAD: f32 = 8.0;

const INK: Color = Color(31, 31, 36);
const MUTED: Color = Color(102, 102, 112);
const ACCENT: Color = Color(18, 56, 102);
const RULE: Color = Color(184, 189, 199);
const SHADE: Color = Color(237, 240, 245);

const BODY: Look = Look::new(Regular, 10.0, 14.0, INK);
const SMALL: Look = Look::new(Regular, 9.5, 13.0, INK);
const DETAIL: Look = Look::new(Regular, 9.0, 12.5, INK);
const LETTERHEAD: Look = Look::new(Bold, 15.0, 18.0, ACCENT);
const TITLE: Look = Look::new(Bold, 22.0, 26.0, ACCENT);
const CAPTION: Look = Look::new(Bold, 8.5, 12.0, MUTED);
const HEADER: Look = Look::new(Bold, 9.0, 12.0, INK);
const HEADING: Look = Look::new(Bold, 10.5, 14.0, INK);
const TOTAL: Look = Look::new(Bold, 11.0, 14.0, INK);
const FOOTER: Look = Look::new(Regular, 7.5, 10.0, MUTED);

const H1: NonZeroU16 = NonZeroU16::MIN;
const H2: NonZeroU16 = NonZeroU16::MIN.saturating_add(1);
/// The totals' labels span the description and VAT-rate columns.
const TWO_COLUMNS: NonZeroU32 = NonZeroU32::MIN.saturating_add(1);

/// Renders `invoice` as a one-page A4 PDF.
pub fn render(invoice: &Invoice) -> Result<Vec<u8>, PdfError> {
    let faces = FACES.as_ref().map_err(Clone::clone)?;
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_B)
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    });
    let size = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| PdfError::Write("ongeldig paginaformaat".to_string()))?;

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

    let title = format!("Factuur {}", invoice.number);
    let mut outline = Outline::new();
    outline.push_child(OutlineNode::new(
        title.clone(),
        XyzDestination::new(0, Point::from_xy(0.0, 0.0)),
    ));
    document.set_outline(outline);

    let date = invoice.date;
    let created = DateTime::new(u16::try_from(date.year()).unwrap_or(0))
        .month(u8::try_from(date.month()).unwrap_or(1))
        .day(u8::try_from(date.day()).unwrap_or(1));
    document.set_metadata(
        Metadata::new()
            .title(title)
            .authors(vec![invoice.supplier.name.clone()])
            .description(format!(
                "Factuur {} aan {}",
                invoice.number, invoice.customer.name
            ))
            .creator("cbt".to_string())
            .language(LANGUAGE.to_string())
            .creation_date(created)
            // Without it krilla derives the id from the title and author,
            // which name the invoice too; this says what the id stands for.
            .document_id(format!("cbt-factuur-{}", invoice.number)),
    );

    document.finish().map_err(|error| match error {
        KrillaError::Validation(errors) => PdfError::Invalid(
            errors
                .iter()
                .map(|(error, _)| format!("{error:?}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => PdfError::Write(other.to_string()),
    })
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
    tree.push(pen.heading(H1, "Factuur", TITLE, LEFT, title_y, "Factuur"));

    let top = title_y - 30.0;
    let mut customer = TagGroup::new(Tag::Section);
    customer.push(pen.heading(H2, "Factuur aan", CAPTION, LEFT, top, "FACTUUR AAN"));
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
    let number = invoice.number.to_string();
    ry = pen.labelled(&mut details, BODY.bold(), ry, "Factuurnummer", &number);
    ry = pen.labelled(
        &mut details,
        BODY,
        ry,
        "Factuurdatum",
        &dutch_date(invoice.date),
    );
    ry = pen.labelled(
        &mut details,
        BODY,
        ry,
        "Vervaldatum",
        &dutch_date(invoice.due_date),
    );
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
    totals.push(pen.total(TOTAL, y, "Totaal incl. btw", &total));

    let mut table = TagGroup::new(Tag::Table);
    table.push(TagGroup::with_children(Tag::THead, vec![head.into()]));
    table.push(TagGroup::with_children(Tag::TBody, vec![row.into()]));
    table.push(totals);
    tree.push(table);

    // The supply (an advance payment), and how to pay in a shaded box.
    let mut note = TagGroup::new(Tag::P);
    let lines = pen.wrap(SMALL, &invoice.supply_note(), RIGHT - LEFT);
    let y = pen.lines(&mut note, SMALL, LEFT, y - 34.0, &lines);
    tree.push(note);

    let payment_text = format!(
        "Gelieve het totaalbedrag van {} binnen {} dagen, uiterlijk {}, over te maken op \
         IBAN {} (BIC {}) t.n.v. {}, onder vermelding van {}.",
        invoice.total,
        invoice.payment_term_days,
        dutch_date(invoice.due_date),
        iban,
        s.bic,
        s.name,
        invoice.payment_reference,
    );
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
    let footer_top = BOTTOM + lines.len() as f32 * FOOTER.leading + 4.0;
    if body_bottom < footer_top + 12.0 {
        return Err(PdfError::TooLong);
    }
    pen.surface
        .start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::Footer,
        )));
    pen.rule(RULE, 0.5, LEFT, RIGHT, footer_top);
    let mut y = footer_top - 12.0;
    for line in &lines {
        let x = (PAGE_W - pen.width(FOOTER, line.trim_end())) / 2.0;
        pen.glyphs(FOOTER, x, y, line);
        y -= FOOTER.leading;
    }
    pen.surface.end_tagged();
    Ok(())
}

/// The address as printed: street, postcode and city, and the country
/// unless it is the Netherlands.
fn address_lines(street: &str, postcode: &str, city: &str, country: &str) -> Vec<String> {
    let mut lines = vec![
        street.trim().to_string(),
        format!("{postcode} {city}").trim().to_string(),
    ];
    if !is_netherlands(country) {
        lines.push(country.trim().to_string());
    }
    lines.retain(|l| !l.is_empty());
    lines
}

/// Both fonts, read once per process: krilla hashes a font's data when it
/// loads it, which would otherwise cost every invoice that time again.
static FACES: LazyLock<Result<Faces, PdfError>> = LazyLock::new(|| {
    Ok(Faces {
        regular: Face::new("LiberationSans", REGULAR)?,
        bold: Face::new("LiberationSans-Bold", BOLD)?,
    })
});

struct Faces {
    regular: Face,
    bold: Face,
}

/// One of the built-in fonts: krilla's handle to embed it, and its tables
/// to find glyphs and measure text.
struct Face {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn new(name: &'static str, data: &'static [u8]) -> Result<Face, PdfError> {
        let font_ref = FontRef::new(data).map_err(|_| PdfError::Font(name))?;
        let units_per_em = font_ref
            .metrics(Size::unscaled(), LocationRef::default())
            .units_per_em;
        if units_per_em == 0 {
            return Err(PdfError::Font(name));
        }
        Ok(Face {
            font: Font::new(data.into(), 0).ok_or(PdfError::Font(name))?,
            charmap: font_ref.charmap(),
            metrics: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: f32::from(units_per_em),
        })
    }

    /// The glyph for `c` and its advance in ems, or nothing for a character
    /// that is not drawn at all (a control or invisible format character).
    ///
    /// PDF/A forbids the empty box (`.notdef`) for a character the font
    /// lacks: white space becomes a space, anything else a white square
    /// (□, the visible sign of a missing character), which krilla still
    /// maps to the character itself (as ActualText) for extraction.
    fn glyph(&self, c: char) -> Option<(GlyphId, f32)> {
        if is_unprintable(c) {
            return None;
        }
        let found = |c: char| self.charmap.map(c).filter(|g| g.to_u32() != 0);
        let glyph = found(c)
            .or_else(|| c.is_whitespace().then(|| found(' ')).flatten())
            .or_else(|| found('\u{25A1}'))
            .or_else(|| found('?'))?;
        let advance = self.metrics.advance_width(glyph).unwrap_or(0.0) / self.units_per_em;
        Some((GlyphId::new(glyph.to_u32()), advance))
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .filter_map(|c| self.glyph(c))
            .map(|(_, advance)| advance)
            .sum::<f32>()
            * size
    }

    /// `text` as glyphs, each with the bytes of `text` it stands for.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .filter_map(|(i, c)| {
                let (glyph, advance) = self.glyph(c)?;
                Some(KrillaGlyph::new(
                    glyph,
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                ))
            })
            .collect()
    }
}

/// Characters that have no place on paper: controls, and the invisible
/// formatting characters that word processors paste along (zero-width
/// spaces, direction marks, the byte-order mark). PDF/UA forbids mapping
/// a glyph to some of them.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{AD}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
}

#[derive(Clone, Copy, PartialEq)]
struct Color(u8, u8, u8);

impl Color {
    fn paint(self) -> krilla::paint::Paint {
        rgb::Color::new(self.0, self.1, self.2).into()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Regular,
    Bold,
}
use Style::{Bold, Regular};

/// How a piece of text looks: font, size, line distance and colour.
#[derive(Clone, Copy, PartialEq)]
struct Look {
    font: Style,
    size: f32,
    leading: f32,
    color: Color,
}

impl Look {
    const fn new(font: Style, size: f32, leading: f32, color: Color) -> Look {
        Look {
            font,
            size,
            leading,
            color,
        }
    }

    const fn bold(self) -> Look {
        Look { font: Bold, ..self }
    }

    /// The same size, for the label before a value.
    const fn label(self) -> Look {
        Look {
            font: Regular,
            color: MUTED,
            ..self
        }
    }
}

/// Draws on the page. Text goes in as tagged spans, pushed into the
/// structure element given; rules and shading as artifacts.
struct Pen<'a, 'p> {
    surface: &'a mut Surface<'p>,
    faces: &'static Faces,
}

impl Pen<'_, '_> {
    fn face(&self, style: Style) -> &'static Face {
        match style {
            Regular => &self.faces.regular,
            Bold => &self.faces.bold,
        }
    }

    fn width(&self, look: Look, text: &str) -> f32 {
        self.face(look.font).width(text, look.size)
    }

    /// One line of text starting at `x` on the baseline `y`, untagged: for
    /// use inside a tagged section or an artifact.
    fn glyphs(&mut self, look: Look, x: f32, y: f32, text: &str) {
        let face = self.face(look.font);
        let glyphs = face.glyphs(text);
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(Fill {
            paint: look.color.paint(),
            ..Fill::default()
        }));
        self.surface.draw_glyphs(
            Point::from_xy(x, PAGE_H - y),
            &glyphs,
            face.font.clone(),
            text,
            look.size,
            false,
        );
    }

    /// One line of text starting at `x` on the baseline `y`, as a span of
    /// `into`.
    fn text(&mut self, into: &mut TagGroup, look: Look, x: f32, y: f32, text: &str) {
        if text.chars().all(is_unprintable) {
            return;
        }
        let id = self
            .surface
            .start_tagged(ContentTag::Span(SpanTag::empty()));
        self.glyphs(look, x, y, text);
        self.surface.end_tagged();
        into.push(id);
    }

    /// One line of text ending at `right`.
    fn text_right(&mut self, into: &mut TagGroup, look: Look, right: f32, y: f32, text: &str) {
        let x = right - self.width(look, text);
        self.text(into, look, x, y, text);
    }

    /// `text` broken into lines no wider than `max`: at spaces, and within
    /// a word only when the word alone is too wide. No-break spaces hold.
    /// A line broken at a space keeps it at its end, invisible, so that
    /// the words stay apart when the text is read out or copied.
    fn wrap(&self, look: Look, text: &str, max: f32) -> Vec<String> {
        let face = self.face(look.font);
        let size = look.size;
        let space = face.width(" ", size);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut line_width = 0.0;
        let words = text
            .split(|c: char| c.is_whitespace() && c != '\u{a0}')
            .filter(|w| !w.is_empty());
        for word in words {
            let width = face.width(word, size);
            if !line.is_empty() && line_width + space + width <= max {
                line.push(' ');
                line.push_str(word);
                line_width += space + width;
                continue;
            }
            if !line.is_empty() {
                line.push(' ');
                lines.push(std::mem::take(&mut line));
            }
            line_width = 0.0;
            for c in word.chars() {
                let w = face.glyph(c).map_or(0.0, |(_, advance)| advance * size);
                if !line.is_empty() && line_width + w > max {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += w;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// `lines` from the baseline `y` down, as spans of `into`; returns the
    /// baseline for what follows.
    fn lines(
        &mut self,
        into: &mut TagGroup,
        look: Look,
        x: f32,
        mut y: f32,
        lines: &[String],
    ) -> f32 {
        for line in lines {
            self.text(into, look, x, y, line);
            y -= look.leading;
        }
        y
    }

    /// `text` wrapped to `width`, the first baseline at `y`, as a paragraph
    /// of `into`; returns the baseline for what follows.
    fn paragraph(
        &mut self,
        into: &mut TagGroup,
        look: Look,
        x: f32,
        y: f32,
        width: f32,
        text: &str,
    ) -> f32 {
        let mut paragraph = TagGroup::new(Tag::P);
        let lines = self.wrap(look, text, width);
        let y = self.lines(&mut paragraph, look, x, y, &lines);
        into.push(paragraph);
        y
    }

    /// A heading of one line; `title` is what it says, as a reader would
    /// name it.
    fn heading(
        &mut self,
        level: NonZeroU16,
        title: &str,
        look: Look,
        x: f32,
        y: f32,
        text: &str,
    ) -> TagGroup {
        let mut heading = TagGroup::new(Tag::Hn(level, Some(title.to_string())));
        self.text(&mut heading, look, x, y, text);
        heading
    }

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

    /// A horizontal rule, untagged.
    fn rule(&mut self, color: Color, width: f32, x1: f32, x2: f32, y: f32) {
        let mut path = PathBuilder::new();
        path.move_to(x1, PAGE_H - y);
        path.line_to(x2, PAGE_H - y);
        if let Some(path) = path.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                paint: color.paint(),
                width,
                ..Stroke::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
    }

    /// A horizontal rule, as a layout artifact.
    fn hline(&mut self, color: Color, width: f32, x1: f32, x2: f32, y: f32) {
        self.surface
            .start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::Layout,
            )));
        self.rule(color, width, x1, x2, y);
        self.surface.end_tagged();
    }

    /// A shaded rectangle behind text, its lower left corner at `x`, `y`,
    /// as a background artifact.
    fn band(&mut self, color: Color, x: f32, y: f32, w: f32, h: f32) {
        let Some(rect) = Rect::from_xywh(x, PAGE_H - y - h, w, h) else {
            return;
        };
        let mut path = PathBuilder::new();
        path.push_rect(rect);
        let Some(path) = path.finish() else {
            return;
        };
        self.surface
            .start_tagged(ContentTag::Artifact(Artifact::new(
                ArtifactType::Background,
                Some(rect),
            )));
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(Fill {
            paint: color.paint(),
            ..Fill::default()
        }));
        self.surface.draw_path(&path);
        self.surface.end_tagged();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Email, VatId};
    use crate::invoice::{Customer, InvoiceNumber, Line, Supplier};
    use crate::money::Cents;
    use chrono::NaiveDate;
    use lopdf::{Dictionary, Object};

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
        }
    }

    /// Whitespace (including no-break spaces and line ends) collapsed to
    /// single spaces.
    fn collapse(text: &str) -> String {
        text.split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The page count and the text of the PDF as lopdf extracts it.
    fn read(pdf: &[u8]) -> (usize, String) {
        let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
        let pages = doc.get_pages().len();
        let text = doc.extract_text(&[1]).expect("text");
        (pages, collapse(&text))
    }

    /// The text as poppler's `pdftotext` extracts it in content order
    /// (`-raw`; it also reads the ActualText of substituted glyphs), or
    /// `None` without poppler.
    fn pdftotext(pdf: &[u8]) -> Option<String> {
        let dir = std::env::temp_dir().join(format!("cbt-pdf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{:016x}.pdf", fnv(pdf)));
        std::fs::write(&path, pdf).expect("write");
        let out = std::process::Command::new("pdftotext")
            .arg("-raw")
            .arg(&path)
            .arg("-")
            .output();
        std::fs::remove_file(&path).ok();
        let Ok(out) = out else {
            may_skip("pdftotext");
            return None;
        };
        assert!(out.status.success(), "pdftotext: {out:?}");
        Some(collapse(&String::from_utf8(out.stdout).expect("UTF-8")))
    }

    /// Whether `tool` may be missing: yes on a developer's machine (the
    /// check is then skipped, and says so), no in `tests/run`, which
    /// installs it and sets `CBT_REQUIRE_TOOLS=1`.
    fn may_skip(tool: &str) -> bool {
        assert!(
            std::env::var("CBT_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{tool} is not installed (apt-get install qpdf poppler-utils; tests/run does)"
        );
        println!("{tool} is not installed: its check is skipped (tests/run installs it)");
        true
    }

    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn dict<'a>(doc: &'a lopdf::Document, object: &'a Object) -> &'a Dictionary {
        doc.dereference(object)
            .expect("reference")
            .1
            .as_dict()
            .expect("dictionary")
    }

    fn text_string(object: &Object) -> String {
        let bytes = object.as_str().expect("string");
        match bytes {
            [0xfe, 0xff, rest @ ..] => String::from_utf16(
                &rest
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect::<Vec<_>>(),
            )
            .expect("UTF-16"),
            _ => String::from_utf8(bytes.to_vec()).expect("PDFDocEncoding in ASCII"),
        }
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
            "Vooruitbetaling van het advies; datum van de vooruitbetaling: uiterlijk 30 december 2026",
            "binnen 30 dagen, uiterlijk 30 december 2026",
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
        match pdftotext(&pdf) {
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

    /// The structure elements' roles under `kids`, depth first, with
    /// their depth below the document element.
    fn structure(doc: &lopdf::Document, kids: &Object, out: &mut Vec<(usize, String)>) {
        fn walk(doc: &lopdf::Document, kid: &Object, depth: usize, out: &mut Vec<(usize, String)>) {
            let Ok((_, object)) = doc.dereference(kid) else {
                return;
            };
            match object {
                Object::Array(kids) => {
                    for kid in kids {
                        walk(doc, kid, depth, out);
                    }
                }
                Object::Dictionary(element) => {
                    let Ok(role) = element.get(b"S").and_then(Object::as_name) else {
                        return; // a marked-content reference
                    };
                    out.push((depth, String::from_utf8_lossy(role).into_owned()));
                    if let Ok(kids) = element.get(b"K") {
                        walk(doc, kids, depth + 1, out);
                    }
                }
                _ => {}
            }
        }
        walk(doc, kids, 0, out);
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
        let pdf = render(&sample()).expect("render");
        let path = std::env::temp_dir().join(format!("cbt-qpdf-{}.pdf", std::process::id()));
        std::fs::write(&path, &pdf).expect("write");
        let out = std::process::Command::new("qpdf")
            .arg("--check")
            .arg(&path)
            .output();
        std::fs::remove_file(&path).ok();
        let Ok(out) = out else {
            may_skip("qpdf");
            return;
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "qpdf --check: {out:?}");
        assert!(
            stdout.contains("No syntax or stream encoding errors found"),
            "{stdout}"
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
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
        if let Some(text) = pdftotext(&pdf) {
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
        if let Some(text) = pdftotext(&pdf) {
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
