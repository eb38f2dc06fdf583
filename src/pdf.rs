//! What the CBT's PDFs share: the house style (A4, margins, colours, the
//! looks of text), the built-in fonts and how text is measured, wrapped
//! and drawn, the tagging of what is drawn, and the set-up and finish of a
//! document that is PDF/A-3b and PDF/UA-1 at once. The invoice
//! ([`crate::invoice::pdf`]) and the advice letter ([`crate::advice`]) are
//! both made with these pieces, so that they look like one sender's
//! papers and meet the standards the same way.
//!
//! The text is set in Liberation Sans, regular and bold, compiled into the
//! binary from `invoice/fonts/` (SIL Open Font Licence, see
//! `invoice/fonts/LICENSE.txt`), so rendering reads no files. Glyphs and
//! advances come from the fonts' own tables through [`skrifa`], the reader
//! krilla itself uses; there is no shaping or kerning, so the width
//! measured for wrapping is the width drawn.

use std::num::NonZeroU16;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use krilla::color::rgb;
use krilla::configure::{Accessibility, Archival, ConfigurationBuilder};
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::DateTime;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{Artifact, ArtifactType, ContentTag, Identifier, SpanTag, Tag, TagGroup};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::formats::is_netherlands;

/// Why a document could not be made, before each document names it in its
/// own error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A built-in font cannot be read: a broken build, not bad input.
    Font(&'static str),
    /// krilla found the document not PDF/A-3b or not PDF/UA-1.
    Invalid(String),
    /// krilla could not write the document.
    Write(String),
}

static REGULAR: &[u8] = include_bytes!("invoice/fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("invoice/fonts/LiberationSans-Bold.ttf");

/// The language of every text the CBT sends.
pub(crate) const LANGUAGE: &str = "nl-NL";

// A4 in points, with margins of 20 mm at the sides. Positions are measured
// from the bottom of the page, as in PDF; krilla measures from the top,
// and [`Pen`] turns one into the other.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const LEFT: f32 = 56.69;
pub(crate) const RIGHT: f32 = PAGE_W - 56.69;
pub(crate) const TOP: f32 = PAGE_H - 50.0;
pub(crate) const BOTTOM: f32 = 36.0;

pub(crate) const INK: Color = Color(31, 31, 36);
pub(crate) const MUTED: Color = Color(102, 102, 112);
pub(crate) const ACCENT: Color = Color(18, 56, 102);
pub(crate) const RULE: Color = Color(184, 189, 199);
pub(crate) const SHADE: Color = Color(237, 240, 245);

pub(crate) const BODY: Look = Look::new(Regular, 10.0, 14.0, INK);
pub(crate) const SMALL: Look = Look::new(Regular, 9.5, 13.0, INK);
pub(crate) const DETAIL: Look = Look::new(Regular, 9.0, 12.5, INK);
pub(crate) const LETTERHEAD: Look = Look::new(Bold, 15.0, 18.0, ACCENT);
pub(crate) const TITLE: Look = Look::new(Bold, 22.0, 26.0, ACCENT);
pub(crate) const CAPTION: Look = Look::new(Bold, 8.5, 12.0, MUTED);
pub(crate) const HEADING: Look = Look::new(Bold, 10.5, 14.0, INK);
pub(crate) const FOOTER: Look = Look::new(Regular, 7.5, 10.0, MUTED);

pub(crate) const H1: NonZeroU16 = NonZeroU16::MIN;
pub(crate) const H2: NonZeroU16 = NonZeroU16::MIN.saturating_add(1);

/// Both fonts, read once per process: krilla hashes a font's data when it
/// loads it, which would otherwise cost every document that time again.
static FACES: LazyLock<Result<Faces, Failure>> = LazyLock::new(|| {
    Ok(Faces {
        regular: Face::new("LiberationSans", REGULAR)?,
        bold: Face::new("LiberationSans-Bold", BOLD)?,
    })
});

/// The built-in fonts.
pub(crate) fn faces() -> Result<&'static Faces, Failure> {
    FACES.as_ref().map_err(Clone::clone)
}

/// A document that krilla checks against PDF/A-3b and PDF/UA-1 as it
/// writes it, with tagging on.
pub(crate) fn document() -> Result<Document, Failure> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_B)
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| Failure::Write(format!("{e:?}")))?;
    Ok(Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    }))
}

/// An A4 page.
pub(crate) fn a4() -> Result<PageSettings, Failure> {
    PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| Failure::Write("ongeldig paginaformaat".to_string()))
}

/// `date` as the document's creation date: the one date in the document,
/// so that the same document always gives the same bytes.
pub(crate) fn creation_date(date: NaiveDate) -> DateTime {
    DateTime::new(u16::try_from(date.year()).unwrap_or(0))
        .month(u8::try_from(date.month()).unwrap_or(1))
        .day(u8::try_from(date.day()).unwrap_or(1))
}

/// Writes `document`, or says which check it failed.
pub(crate) fn finish(document: Document) -> Result<Vec<u8>, Failure> {
    document.finish().map_err(|error| match error {
        KrillaError::Validation(errors) => Failure::Invalid(
            errors
                .iter()
                .map(|(error, _)| format!("{error:?}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => Failure::Write(other.to_string()),
    })
}

/// The address as printed: street, postcode and city, and the country
/// unless it is the Netherlands.
pub(crate) fn address_lines(
    street: &str,
    postcode: &str,
    city: &str,
    country: &str,
) -> Vec<String> {
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

/// The regular and the bold font.
pub(crate) struct Faces {
    regular: Face,
    bold: Face,
}

impl Faces {
    /// The font of `style`.
    pub(crate) fn face(&self, style: Style) -> &Face {
        match style {
            Regular => &self.regular,
            Bold => &self.bold,
        }
    }

    /// The width of `text` as `look` draws it.
    pub(crate) fn width(&self, look: Look, text: &str) -> f32 {
        self.face(look.font).width(text, look.size)
    }

    /// `text` broken into lines no wider than `max`: at spaces, and within
    /// a word only when the word alone is too wide. No-break spaces hold.
    /// A line broken at a space keeps it at its end, invisible, so that
    /// the words stay apart when the text is read out or copied.
    pub(crate) fn wrap(&self, look: Look, text: &str, max: f32) -> Vec<String> {
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
}

/// One of the built-in fonts: krilla's handle to embed it, and its tables
/// to find glyphs and measure text.
pub(crate) struct Face {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn new(name: &'static str, data: &'static [u8]) -> Result<Face, Failure> {
        let font_ref = FontRef::new(data).map_err(|_| Failure::Font(name))?;
        let units_per_em = font_ref
            .metrics(Size::unscaled(), LocationRef::default())
            .units_per_em;
        if units_per_em == 0 {
            return Err(Failure::Font(name));
        }
        Ok(Face {
            font: Font::new(data.into(), 0).ok_or(Failure::Font(name))?,
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
pub(crate) fn is_unprintable(c: char) -> bool {
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

/// A colour of the house style, in sRGB.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct Color(u8, u8, u8);

impl Color {
    fn paint(self) -> krilla::paint::Paint {
        rgb::Color::new(self.0, self.1, self.2).into()
    }
}

/// Regular or bold.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Style {
    Regular,
    Bold,
}
pub(crate) use Style::{Bold, Regular};

/// How a piece of text looks: font, size, line distance and colour.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) struct Look {
    pub(crate) font: Style,
    pub(crate) size: f32,
    pub(crate) leading: f32,
    pub(crate) color: Color,
}

impl Look {
    pub(crate) const fn new(font: Style, size: f32, leading: f32, color: Color) -> Look {
        Look {
            font,
            size,
            leading,
            color,
        }
    }

    pub(crate) const fn bold(self) -> Look {
        Look { font: Bold, ..self }
    }

    /// The same size, for the label before a value.
    pub(crate) const fn label(self) -> Look {
        Look {
            font: Regular,
            color: MUTED,
            ..self
        }
    }
}

/// Draws on a page. Text goes in as tagged spans, pushed into the
/// structure element given; rules and shading as artifacts.
pub(crate) struct Pen<'a, 'p> {
    pub(crate) surface: &'a mut Surface<'p>,
    pub(crate) faces: &'static Faces,
}

impl Pen<'_, '_> {
    pub(crate) fn width(&self, look: Look, text: &str) -> f32 {
        self.faces.width(look, text)
    }

    /// One line of text starting at `x` on the baseline `y`, untagged: for
    /// use inside a tagged section or an artifact.
    pub(crate) fn glyphs(&mut self, look: Look, x: f32, y: f32, text: &str) {
        let face = self.faces.face(look.font);
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

    /// One line of text starting at `x` on the baseline `y`, as a tagged
    /// span; nothing for a text with nothing to draw.
    pub(crate) fn span(&mut self, look: Look, x: f32, y: f32, text: &str) -> Option<Identifier> {
        if text.chars().all(is_unprintable) {
            return None;
        }
        let id = self
            .surface
            .start_tagged(ContentTag::Span(SpanTag::empty()));
        self.glyphs(look, x, y, text);
        self.surface.end_tagged();
        Some(id)
    }

    /// One line of text starting at `x` on the baseline `y`, as a span of
    /// `into`.
    pub(crate) fn text(&mut self, into: &mut TagGroup, look: Look, x: f32, y: f32, text: &str) {
        if let Some(id) = self.span(look, x, y, text) {
            into.push(id);
        }
    }

    /// One line of text ending at `right`.
    pub(crate) fn text_right(
        &mut self,
        into: &mut TagGroup,
        look: Look,
        right: f32,
        y: f32,
        text: &str,
    ) {
        let x = right - self.width(look, text);
        self.text(into, look, x, y, text);
    }

    /// `text` broken into lines no wider than `max` ([`Faces::wrap`]).
    pub(crate) fn wrap(&self, look: Look, text: &str, max: f32) -> Vec<String> {
        self.faces.wrap(look, text, max)
    }

    /// `lines` from the baseline `y` down, as spans of `into`; returns the
    /// baseline for what follows.
    pub(crate) fn lines(
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
    pub(crate) fn paragraph(
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
    pub(crate) fn heading(
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

    /// A horizontal rule, untagged.
    pub(crate) fn rule(&mut self, color: Color, width: f32, x1: f32, x2: f32, y: f32) {
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
    pub(crate) fn hline(&mut self, color: Color, width: f32, x1: f32, x2: f32, y: f32) {
        self.surface
            .start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::Layout,
            )));
        self.rule(color, width, x1, x2, y);
        self.surface.end_tagged();
    }

    /// A shaded rectangle behind text, its lower left corner at `x`, `y`,
    /// as a background artifact.
    pub(crate) fn band(&mut self, color: Color, x: f32, y: f32, w: f32, h: f32) {
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

    /// A footer: a rule at `top` and `lines` centred under it, all one
    /// artifact (it repeats what the page says elsewhere, or numbers the
    /// page: nothing to read out).
    pub(crate) fn footer(&mut self, top: f32, lines: &[String]) {
        self.surface
            .start_tagged(ContentTag::Artifact(Artifact::with_kind(
                ArtifactType::Footer,
            )));
        self.rule(RULE, 0.5, LEFT, RIGHT, top);
        let mut y = top - 12.0;
        for line in lines {
            let x = (PAGE_W - self.width(FOOTER, line.trim_end())) / 2.0;
            self.glyphs(FOOTER, x, y, line);
            y -= FOOTER.leading;
        }
        self.surface.end_tagged();
    }
}

/// Where a footer of `lines` starts: its rule, above the bottom margin.
pub(crate) fn footer_top(lines: usize) -> f32 {
    BOTTOM + lines as f32 * FOOTER.leading + 4.0
}

/// What the documents' tests check with: their text as lopdf and poppler
/// read it, qpdf's check, and the catalogue, metadata and structure.
#[cfg(test)]
pub(crate) mod check {
    use lopdf::{Dictionary, Object};

    /// Whitespace (including no-break spaces and line ends) collapsed to
    /// single spaces.
    pub(crate) fn collapse(text: &str) -> String {
        text.split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The text as poppler's `pdftotext` extracts it in content order
    /// (`-raw`; it also reads the ActualText of substituted glyphs), of
    /// one page or all, or `None` without poppler.
    pub(crate) fn pdftotext(pdf: &[u8], page: Option<usize>) -> Option<String> {
        let dir = std::env::temp_dir().join(format!("cbt-pdf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{:016x}.pdf", fnv(pdf)));
        std::fs::write(&path, pdf).expect("write");
        let mut command = std::process::Command::new("pdftotext");
        command.arg("-raw");
        if let Some(page) = page {
            command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
        }
        let out = command.arg(&path).arg("-").output();
        std::fs::remove_file(&path).ok();
        let Ok(out) = out else {
            may_skip("pdftotext");
            return None;
        };
        assert!(out.status.success(), "pdftotext: {out:?}");
        Some(collapse(&String::from_utf8(out.stdout).expect("UTF-8")))
    }

    /// `qpdf --check` finds nothing wrong, or qpdf is missing (see
    /// [`may_skip`]).
    pub(crate) fn qpdf_check(pdf: &[u8]) {
        let path = std::env::temp_dir().join(format!(
            "cbt-qpdf-{}-{:016x}.pdf",
            std::process::id(),
            fnv(pdf)
        ));
        std::fs::write(&path, pdf).expect("write");
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

    /// Whether `tool` may be missing: yes on a developer's machine (the
    /// check is then skipped, and says so), no in `tests/run`, which
    /// installs it and sets `CBT_REQUIRE_TOOLS=1`.
    pub(crate) fn may_skip(tool: &str) -> bool {
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

    pub(crate) fn dict<'a>(doc: &'a lopdf::Document, object: &'a Object) -> &'a Dictionary {
        doc.dereference(object)
            .expect("reference")
            .1
            .as_dict()
            .expect("dictionary")
    }

    pub(crate) fn text_string(object: &Object) -> String {
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

    /// The structure elements' roles under `kids`, depth first, with
    /// their depth below the document element.
    pub(crate) fn structure(doc: &lopdf::Document, kids: &Object, out: &mut Vec<(usize, String)>) {
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
}
