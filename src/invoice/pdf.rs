//! The invoice as a one-page A4 PDF, the document the customer receives.
//!
//! Written with [`pdf_writer`]. The text is set in Liberation Sans, regular
//! and bold, compiled into the binary from `fonts/` (SIL Open Font Licence,
//! see `fonts/LICENSE.txt`), so rendering reads no files. Each PDF embeds
//! only the glyphs its invoice uses ([`subsetter`]), as CID fonts with a
//! ToUnicode map, so that the text (é, ë, €, –) can be searched, copied and
//! extracted. Streams are deflated.
//!
//! The same invoice always gives the same bytes: the document has no random
//! id, and its creation date is the invoice date.

use std::cell::RefCell;

use chrono::Datelike;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use super::{dutch_date, Invoice};
use crate::formats::{format_iban, is_netherlands};

/// Why an invoice could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The built-in font cannot be read: a broken build, not bad input.
    #[error("het ingebouwde lettertype {0} is onleesbaar")]
    Font(&'static str),
    /// The font could not be reduced to the glyphs used.
    #[error("het lettertype {font} kon niet worden ingebed: {reason}")]
    Subset { font: &'static str, reason: String },
    /// A name, address or description is too long for one page.
    #[error("de factuur past niet op één pagina: een naam, adres of omschrijving is te lang")]
    TooLong,
}

static REGULAR: &[u8] = include_bytes!("fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("fonts/LiberationSans-Bold.ttf");

// A4 in points, with margins of 20 mm at the sides.
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

const INK: Color = Color(0.12, 0.12, 0.14);
const MUTED: Color = Color(0.40, 0.40, 0.44);
const ACCENT: Color = Color(0.07, 0.22, 0.40);
const RULE: Color = Color(0.72, 0.74, 0.78);
const SHADE: Color = Color(0.93, 0.94, 0.96);

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

/// Renders `invoice` as a one-page A4 PDF.
pub fn render(invoice: &Invoice) -> Result<Vec<u8>, PdfError> {
    let mut c = Canvas::new()?;
    let s = &invoice.supplier;
    let k = &invoice.customer;
    let iban = format_iban(&s.iban);

    // Letterhead: the supplier on the left, its numbers on the right.
    let width = COL2 - LEFT - 20.0;
    let mut y = c.paragraph(LETTERHEAD, LEFT, TOP - 12.0, width, &s.name) - 2.0;
    let supplier_address = address_lines(&s.street, &s.postcode, &s.city, &s.country);
    for line in &supplier_address {
        y = c.paragraph(SMALL, LEFT, y, width, line);
    }
    let mut ry = TOP - 10.0;
    for (label, value) in [
        ("KvK-nummer", s.kvk.as_str()),
        ("Btw-id", s.vat_id.as_str()),
        ("IBAN", iban.as_str()),
        ("BIC", s.bic.as_str()),
        ("E-mail", s.email.as_str()),
    ] {
        ry = c.labelled(DETAIL, ry, label, value);
    }
    let rule_y = y.min(ry) + 2.0;
    c.hline(RULE, 0.6, LEFT, RIGHT, rule_y);

    // The title, then the customer on the left and the invoice's
    // particulars on the right.
    let title_y = rule_y - 38.0;
    c.text(TITLE, LEFT, title_y, "Factuur");

    let top = title_y - 30.0;
    c.text(CAPTION, LEFT, top, "FACTUUR AAN");
    let width = COL2 - LEFT - 24.0;
    let mut y = c.paragraph(BODY.bold(), LEFT, top - 15.0, width, &k.name);
    for line in address_lines(&k.street, &k.postcode, &k.city, &k.country) {
        y = c.paragraph(BODY, LEFT, y, width, &line);
    }
    if k.vat_id.is_some() || k.extra.is_some() {
        y -= 4.0;
    }
    if let Some(vat_id) = &k.vat_id {
        y = c.paragraph(BODY, LEFT, y, width, &format!("Btw-id: {vat_id}"));
    }
    if let Some(extra) = &k.extra {
        y = c.paragraph(BODY, LEFT, y, width, &format!("Uw referentie: {extra}"));
    }

    let mut ry = top - 15.0;
    ry = c.labelled(
        BODY.bold(),
        ry,
        "Factuurnummer",
        &invoice.number.to_string(),
    );
    ry = c.labelled(BODY, ry, "Factuurdatum", &dutch_date(invoice.date));
    ry = c.labelled(BODY, ry, "Vervaldatum", &dutch_date(invoice.due_date));
    ry = c.labelled(BODY, ry, "Aanvraag", &invoice.reference);

    // The table: a header band, the one line, then the totals under the
    // amount column.
    let band_top = y.min(ry) - 20.0;
    c.fill_rect(SHADE, LEFT, band_top - 20.0, RIGHT - LEFT, 20.0);
    let head_y = band_top - 13.5;
    c.text(HEADER, LEFT + PAD, head_y, "Omschrijving");
    c.text_right(HEADER, COL_VAT, head_y, "Btw-tarief");
    c.text_right(HEADER, RIGHT - PAD, head_y, "Bedrag excl. btw");

    let row_y = band_top - 20.0 - 17.0;
    let width = COL_VAT - 62.0 - LEFT - PAD;
    let y = c.paragraph(BODY, LEFT + PAD, row_y, width, &invoice.line.description);
    let rate = format!("{}%", invoice.vat_percent);
    let excl_vat = invoice.line.excl_vat.to_string();
    c.text_right(BODY, COL_VAT, row_y, &rate);
    c.text_right(BODY, RIGHT - PAD, row_y, &excl_vat);
    let last_baseline = y + BODY.leading;
    let y = last_baseline - 9.0;
    c.hline(RULE, 0.6, LEFT, RIGHT, y);

    let y = y - 17.0;
    c.text(BODY, COL2, y, "Totaal excl. btw");
    c.text_right(BODY, RIGHT - PAD, y, &excl_vat);
    let y = y - 15.0;
    c.text(BODY, COL2, y, &format!("Btw {rate}"));
    c.text_right(BODY, RIGHT - PAD, y, &invoice.vat.to_string());
    let y = y - 8.0;
    c.hline(INK, 0.8, COL2, RIGHT, y);
    let y = y - 16.0;
    c.text(TOTAL, COL2, y, "Totaal incl. btw");
    c.text_right(TOTAL, RIGHT - PAD, y, &invoice.total.to_string());

    // The supply (an advance payment), and how to pay in a shaded box.
    let y = c.paragraph(SMALL, LEFT, y - 34.0, RIGHT - LEFT, &invoice.supply_note());

    let payment = format!(
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
    let lines = c.wrap(BODY, &payment, RIGHT - LEFT - 2.0 * inset);
    let box_top = y + SMALL.leading - 20.0;
    let box_height = 2.0 * inset + 11.0 + lines.len() as f32 * BODY.leading + 2.0;
    let body_bottom = box_top - box_height;
    c.fill_rect(SHADE, LEFT, body_bottom, RIGHT - LEFT, box_height);
    let y = box_top - inset - 9.0;
    c.text(HEADING, LEFT + inset, y, "Betaling");
    let mut y = y - 17.0;
    for line in &lines {
        c.text(BODY, LEFT + inset, y, line);
        y -= BODY.leading;
    }

    // The footer: the supplier once more, small and centred.
    let footer = format!(
        "{} \u{b7} {} \u{b7} KvK {} \u{b7} btw-id {} \u{b7} {}",
        s.name,
        supplier_address.join(", "),
        s.kvk,
        s.vat_id,
        s.email
    );
    let lines = c.wrap(FOOTER, &footer, RIGHT - LEFT);
    let footer_top = BOTTOM + lines.len() as f32 * FOOTER.leading + 4.0;
    if body_bottom < footer_top + 12.0 {
        return Err(PdfError::TooLong);
    }
    c.hline(RULE, 0.5, LEFT, RIGHT, footer_top);
    let mut y = footer_top - 12.0;
    for line in &lines {
        let x = (PAGE_W - c.width(FOOTER, line)) / 2.0;
        c.text(FOOTER, x, y, line);
        y -= FOOTER.leading;
    }

    c.finish(invoice)
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

/// Characters below this have their glyph looked up once per document.
const CACHED: usize = 0x250;

#[derive(Clone, Copy, PartialEq)]
struct Color(f32, f32, f32);

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

/// One of the two built-in fonts and the glyphs this document uses of it.
struct Font {
    /// Glyph and advance by character, for the characters below
    /// [`CACHED`], filled as they are met: a Dutch invoice looks up the
    /// same few dozen characters over and over.
    cache: RefCell<Vec<Option<(GlyphId, f32)>>>,
    /// The PostScript name.
    name: &'static str,
    data: &'static [u8],
    face: Face<'static>,
    /// Font units to thousandths of an em.
    scale: f32,
    /// Used glyphs, numbered anew from 1 in the order first used; the new
    /// number is the glyph's CID in the PDF.
    glyphs: GlyphRemapper,
    /// The character each CID stands for, for the ToUnicode map.
    chars: Vec<Option<char>>,
}

impl Font {
    fn new(name: &'static str, data: &'static [u8]) -> Result<Font, PdfError> {
        let face = Face::parse(data, 0).map_err(|_| PdfError::Font(name))?;
        let scale = 1000.0 / f32::from(face.units_per_em());
        Ok(Font {
            cache: RefCell::new(vec![None; CACHED]),
            name,
            data,
            face,
            scale,
            glyphs: GlyphRemapper::new(),
            chars: vec![None],
        })
    }

    /// The glyph for `c` and its advance in thousandths of an em.
    fn lookup(&self, c: char) -> (GlyphId, f32) {
        let slot = c as usize;
        if slot >= CACHED {
            let glyph = self.glyph(c);
            return (glyph, self.advance(glyph));
        }
        let mut cache = self.cache.borrow_mut();
        *cache[slot].get_or_insert_with(|| {
            let glyph = self.glyph(c);
            (glyph, self.advance(glyph))
        })
    }

    /// The glyph for `c`: white space the font lacks as a space, anything
    /// else it lacks as the empty box (`.notdef`).
    fn glyph(&self, c: char) -> GlyphId {
        self.face
            .glyph_index(c)
            .or_else(|| {
                c.is_whitespace()
                    .then(|| self.face.glyph_index(' '))
                    .flatten()
            })
            .unwrap_or(GlyphId(0))
    }

    /// Advance width of a glyph in thousandths of an em.
    fn advance(&self, glyph: GlyphId) -> f32 {
        self.face
            .glyph_hor_advance(glyph)
            .map_or(0.0, |a| f32::from(a) * self.scale)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.lookup(c).1).sum::<f32>() * size / 1000.0
    }

    /// The text as two-byte CIDs, noting the glyphs used.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let glyph = self.lookup(c).0 .0;
            let cid = self.glyphs.remap(glyph);
            let slot = usize::from(cid);
            if self.chars.len() <= slot {
                self.chars.resize(slot + 1, None);
            }
            if glyph != 0 && self.chars[slot].is_none() {
                self.chars[slot] = Some(c);
            }
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    /// A subset tag (`ABCDEF+`) that depends only on the glyphs used, so
    /// that the output is deterministic.
    fn tag(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for glyph in self.glyphs.remapped_gids() {
            for byte in glyph.to_be_bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        (0..6)
            .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
            .collect()
    }

    /// Writes the font as a Type 0 font with a CIDFontType2 descendant.
    fn write(&self, pdf: &mut Pdf, next: &mut Refs, font_ref: Ref) -> Result<(), PdfError> {
        let cid_ref = next.next();
        let descriptor_ref = next.next();
        let cmap_ref = next.next();
        let file_ref = next.next();
        let base_font = format!("{}+{}", self.tag(), self.name);
        let base_font = Name(base_font.as_bytes());
        let system_info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(font_ref)
            .base_font(base_font)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_ref)
            .to_unicode(cmap_ref);

        let mut cid = pdf.cid_font(cid_ref);
        cid.subtype(CidFontType::Type2)
            .base_font(base_font)
            .system_info(system_info)
            .font_descriptor(descriptor_ref)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let widths: Vec<f32> = self
            .glyphs
            .remapped_gids()
            .map(|g| self.advance(GlyphId(g)).round())
            .collect();
        cid.widths().consecutive(0, widths);
        cid.finish();

        let face = &self.face;
        let s = self.scale;
        let bbox = face.global_bounding_box();
        let weight = f32::from(face.weight().to_number());
        pdf.font_descriptor(descriptor_ref)
            .name(base_font)
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * s,
                f32::from(bbox.y_min) * s,
                f32::from(bbox.x_max) * s,
                f32::from(bbox.y_max) * s,
            ))
            .italic_angle(face.italic_angle())
            .ascent(f32::from(face.ascender()) * s)
            .descent(f32::from(face.descender()) * s)
            .cap_height(f32::from(face.capital_height().unwrap_or(face.ascender())) * s)
            .stem_v(10.0 + 0.244 * (weight - 50.0))
            .font_file2(file_ref);

        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
        for (cid, c) in self.chars.iter().enumerate() {
            if let (Some(c), Ok(cid)) = (c, u16::try_from(cid)) {
                cmap.pair(cid, *c);
            }
        }
        pdf.cmap(cmap_ref, &deflate(&cmap.finish()))
            .filter(Filter::FlateDecode);

        let subset =
            subsetter::subset(self.data, 0, &self.glyphs).map_err(|e| PdfError::Subset {
                font: self.name,
                reason: e.to_string(),
            })?;
        let length = i32::try_from(subset.len()).map_err(|_| PdfError::Subset {
            font: self.name,
            reason: "te groot".to_string(),
        })?;
        pdf.stream(file_ref, &deflate(&subset))
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), length);
        Ok(())
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 1)
}

/// Hands out object numbers.
struct Refs(i32);

impl Refs {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

/// The page being drawn: its content stream and fonts.
struct Canvas {
    content: Content,
    regular: Font,
    bold: Font,
    font: Option<(Style, f32)>,
    fill: Option<Color>,
}

impl Canvas {
    fn new() -> Result<Canvas, PdfError> {
        Ok(Canvas {
            content: Content::new(),
            regular: Font::new("LiberationSans", REGULAR)?,
            bold: Font::new("LiberationSans-Bold", BOLD)?,
            font: None,
            fill: None,
        })
    }

    fn font(&self, style: Style) -> &Font {
        match style {
            Regular => &self.regular,
            Bold => &self.bold,
        }
    }

    fn width(&self, look: Look, text: &str) -> f32 {
        self.font(look.font).width(text, look.size)
    }

    fn set_fill(&mut self, color: Color) {
        if self.fill != Some(color) {
            self.content.set_fill_rgb(color.0, color.1, color.2);
            self.fill = Some(color);
        }
    }

    /// One line of text starting at `x` on the baseline `y`.
    fn text(&mut self, look: Look, x: f32, y: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.set_fill(look.color);
        let (encoded, name) = match look.font {
            Regular => (self.regular.encode(text), Name(b"F1")),
            Bold => (self.bold.encode(text), Name(b"F2")),
        };
        self.content.begin_text();
        // The font is part of the text state, which outlives `ET`.
        if self.font != Some((look.font, look.size)) {
            self.content.set_font(name, look.size);
            self.font = Some((look.font, look.size));
        }
        self.content.next_line(x, y);
        self.content.show(Str(&encoded));
        self.content.end_text();
    }

    /// One line of text ending at `right`.
    fn text_right(&mut self, look: Look, right: f32, y: f32, text: &str) {
        let x = right - self.width(look, text);
        self.text(look, x, y, text);
    }

    /// `text` broken into lines no wider than `max`: at spaces, and within
    /// a word only when the word alone is too wide. No-break spaces hold.
    fn wrap(&self, look: Look, text: &str, max: f32) -> Vec<String> {
        let font = self.font(look.font);
        let size = look.size;
        let space = font.width(" ", size);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut line_width = 0.0;
        let words = text
            .split(|c: char| c.is_whitespace() && c != '\u{a0}')
            .filter(|w| !w.is_empty());
        for word in words {
            let width = font.width(word, size);
            if !line.is_empty() && line_width + space + width <= max {
                line.push(' ');
                line.push_str(word);
                line_width += space + width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line_width = 0.0;
            for c in word.chars() {
                let w = font.lookup(c).1 * size / 1000.0;
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

    /// `text` wrapped to `width`, the first baseline at `y`; returns the
    /// baseline for what follows.
    fn paragraph(&mut self, look: Look, x: f32, mut y: f32, width: f32, text: &str) -> f32 {
        for line in self.wrap(look, text, width) {
            self.text(look, x, y, &line);
            y -= look.leading;
        }
        y
    }

    /// A label in the right-hand column and its value, wrapped, beside it;
    /// returns the baseline for the next.
    fn labelled(&mut self, value: Look, y: f32, label: &str, text: &str) -> f32 {
        self.text(value.label(), COL2, y, label);
        self.paragraph(value, VALUES, y, RIGHT - VALUES, text)
    }

    fn fill_rect(&mut self, color: Color, x: f32, y: f32, w: f32, h: f32) {
        self.set_fill(color);
        self.content.rect(x, y, w, h);
        self.content.fill_nonzero();
    }

    fn hline(&mut self, color: Color, width: f32, x1: f32, x2: f32, y: f32) {
        self.content.set_stroke_rgb(color.0, color.1, color.2);
        self.content.set_line_width(width);
        self.content.move_to(x1, y);
        self.content.line_to(x2, y);
        self.content.stroke();
    }

    fn finish(self, invoice: &Invoice) -> Result<Vec<u8>, PdfError> {
        let mut refs = Refs(0);
        let catalog = refs.next();
        let pages = refs.next();
        let page = refs.next();
        let contents = refs.next();
        let info = refs.next();
        let regular = refs.next();
        let bold = refs.next();

        let mut pdf = Pdf::new();
        let mut cat = pdf.catalog(catalog);
        cat.pages(pages).lang(TextStr("nl-NL"));
        cat.viewer_preferences().display_doc_title(true);
        cat.finish();
        pdf.pages(pages).kids([page]).count(1);
        let mut p = pdf.page(page);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(pages)
            .contents(contents);
        p.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        p.finish();
        pdf.stream(contents, &deflate(&self.content.finish()))
            .filter(Filter::FlateDecode);

        let date = invoice.date;
        let creation = Date::new(u16::try_from(date.year()).unwrap_or(0))
            .month(date.month() as u8)
            .day(date.day() as u8);
        pdf.document_info(info)
            .title(TextStr(&format!("Factuur {}", invoice.number)))
            .author(TextStr(&invoice.supplier.name))
            .subject(TextStr(&format!(
                "Factuur {} aan {}",
                invoice.number, invoice.customer.name
            )))
            .creator(TextStr("cbt"))
            .creation_date(creation);

        self.regular.write(&mut pdf, &mut refs, regular)?;
        self.bold.write(&mut pdf, &mut refs, bold)?;
        Ok(pdf.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoice::{Customer, InvoiceNumber, Line, Supplier};
    use crate::money::Cents;
    use chrono::NaiveDate;

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
                email: "inkoop@voorbeeld.nl".into(),
                extra: Some("PO-12345".into()),
                vat_id: Some("NL002455799B11".into()),
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

    /// The page count and the text of the PDF, whitespace (including
    /// no-break spaces and line ends) collapsed to single spaces.
    fn read(pdf: &[u8]) -> (usize, String) {
        let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
        let pages = doc.get_pages().len();
        let text = doc.extract_text(&[1]).expect("text");
        let words: Vec<&str> = text
            .split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .collect();
        (pages, words.join(" "))
    }

    #[test]
    fn renders_every_required_element_on_one_page() {
        let invoice = sample();
        let pdf = render(&invoice).expect("render");
        assert!(pdf.starts_with(b"%PDF-"));
        let (pages, text) = read(&pdf);
        assert_eq!(pages, 1);
        for needed in [
            "Factuur",
            "Commissie Balanstoets Telemarketing",
            "Voorbeeldstraat 1",
            "1234 AB Amsterdam",
            "KvK",
            "12345678",
            "NL004495445B01",
            "aanvragen@balanstoetstelemarketing.nl",
            "Voorbeeld B.V.",
            "Kerkstraat 12",
            "3511 AB Utrecht",
            "Btw-id: NL002455799B11",
            "Uw referentie: PO-12345",
            "2026-0001",
            "30 november 2026",
            "30 december 2026",
            "CBT-2026-0001",
            &invoice.line.description,
            "3.680,00",
            "21%",
            "772,80",
            "€ 4.452,80",
            "Vooruitbetaling van het advies; datum van de vooruitbetaling: uiterlijk 30 december 2026",
            "NL91 ABNA 0417 1643 00",
            "ABNANL2A",
            "binnen 30 dagen",
            "onder vermelding van Factuur 2026-0001.",
        ] {
            assert!(text.contains(needed), "{needed:?} missing from {text:?}");
        }
    }

    #[test]
    fn the_same_invoice_gives_the_same_bytes() {
        let invoice = sample();
        assert_eq!(render(&invoice), render(&invoice));
        let mut other = invoice.clone();
        other.number.seq = 2;
        assert_ne!(render(&invoice), render(&other));
    }

    #[test]
    fn dutch_characters_survive() {
        let mut invoice = sample();
        invoice.customer.name = "Café Ëxtra – Groß & Zoon".into();
        invoice.customer.country = "België".into();
        let (_, text) = read(&render(&invoice).expect("render"));
        assert!(text.contains("Café Ëxtra – Groß & Zoon"), "{text}");
        assert!(text.contains("België"), "{text}");
        assert!(text.contains("€ 3.680,00"), "{text}");
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
        invoice.customer.vat_id = Some("NL123456789B01".into());
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
