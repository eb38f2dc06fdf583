//! The letter on A4 pages: the blocks laid out first, page by page, with
//! their structure; then drawn, once the number of pages, which every
//! footer shows, is known.
//!
//! A page ends where its footer begins. A heading is kept with the first
//! lines after it; a paragraph leaves no single line at the foot of a
//! page (an orphan) nor carries one alone to the next (a widow); a list
//! item's label goes with its first line. A paragraph that runs on to the
//! next page stays one paragraph in the structure, as it is one for a
//! reader.

use krilla::destination::XyzDestination;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::tagging::{Identifier, ListNumbering, Node, Tag, TagGroup, TagKind, TagTree};
use krilla::Document;

use super::markup::{Block, FooterPart, Letter};
use crate::pdf::{
    self, Bold, Faces, Failure, Look, Pen, Regular, ACCENT, BODY, FOOTER, HEADING, LANGUAGE, LEFT,
    LETTERHEAD, MUTED, PAGE_H, RIGHT, RULE, SMALL, TOP,
};

/// The subject of the letter (its one level 1 heading).
const SUBJECT: Look = Look::new(Bold, 14.0, 18.0, ACCENT);
/// Level 2 headings: "Motivering".
const SECTION: Look = Look::new(Bold, 11.0, 15.0, ACCENT);
/// How far a list item's text is set in from its label, at least.
const LIST_INDENT: f32 = 14.0;
/// A quotation: set in, and grey, as there is no italic font.
const QUOTE: Look = Look::new(Regular, 10.0, 14.0, MUTED);
/// How far a quotation is set in.
const QUOTE_INDENT: f32 = 20.0;
/// The space between the footer's rule and the lowest line above it.
const FOOTER_GAP: f32 = 14.0;

/// What the letter says about its sender, for the letterhead.
pub(super) struct Sender<'a> {
    /// Name, address lines and email, in that order.
    pub(super) lines: Vec<&'a str>,
}

/// Something drawn on a page.
enum Op {
    /// One line of text on the baseline `y`, the span `span` of the
    /// structure.
    Text {
        look: Look,
        x: f32,
        y: f32,
        text: String,
        span: usize,
    },
    /// A rule across the page, an artifact.
    Rule { y: f32 },
}

/// A structure element being built, or one span of text in it.
enum Element {
    Group(TagKind, Vec<Element>),
    Span(usize),
}

/// The letter laid out: what each page shows and the structure it has.
pub(super) struct Laid {
    pages: Vec<Vec<Op>>,
    structure: Vec<Element>,
    spans: usize,
    /// The level 1 and 2 headings: text, page, and their top.
    outline: Vec<(String, usize, f32)>,
    footer_top: f32,
}

/// Lays out `letter` under the letterhead of `sender`.
pub(super) fn lay_out(faces: &Faces, sender: &Sender<'_>, letter: &Letter) -> Laid {
    // The footer's height with the widest numbers it can show.
    let widest = footer_text(&letter.footer, 888, 888);
    let footer_lines = faces.wrap(FOOTER, &widest, RIGHT - LEFT).len().max(1);
    let footer_top = pdf::footer_top(footer_lines);
    let mut layout = Layout {
        faces,
        pages: vec![Vec::new()],
        top: TOP,
        limit: footer_top + FOOTER_GAP,
        fresh: true,
        open: Vec::new(),
        root: Vec::new(),
        spans: 0,
        pending: Vec::new(),
        outline: Vec::new(),
        quoted: false,
    };
    layout.letterhead(sender);
    layout.blocks(&letter.blocks, LEFT, false);
    Laid {
        pages: layout.pages,
        structure: layout.root,
        spans: layout.spans,
        outline: layout.outline,
        footer_top,
    }
}

/// The footer of page `page` of `pages`.
fn footer_text(parts: &[FooterPart], page: usize, pages: usize) -> String {
    parts
        .iter()
        .map(|part| match part {
            FooterPart::Text(text) => text.clone(),
            FooterPart::Page => page.to_string(),
            FooterPart::Pages => pages.to_string(),
        })
        .collect()
}

/// A label waiting for the line it goes with.
struct Label {
    look: Look,
    x: f32,
    text: String,
    span: usize,
}

struct Layout<'f> {
    faces: &'f Faces,
    pages: Vec<Vec<Op>>,
    /// The top of the free space on the current page.
    top: f32,
    /// How low a line may reach.
    limit: f32,
    /// Nothing is on the current page's body yet: no space before it.
    fresh: bool,
    /// The structure elements that are open, innermost last.
    open: Vec<(TagKind, Vec<Element>)>,
    /// The finished top-level elements.
    root: Vec<Element>,
    spans: usize,
    /// Labels to draw beside the next line.
    pending: Vec<Label>,
    outline: Vec<(String, usize, f32)>,
    /// Inside a quotation.
    quoted: bool,
}

impl Layout<'_> {
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.top = TOP;
        self.fresh = true;
    }

    fn op(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Space before a block; none at the top of a page.
    fn gap(&mut self, height: f32) {
        if !self.fresh {
            self.top -= height;
        }
    }

    /// Room left on this page for lines of `leading`.
    fn room(&self, leading: f32) -> usize {
        let room = ((self.top - self.limit) / leading).floor();
        if room > 0.0 {
            room as usize
        } else {
            0
        }
    }

    /// A new page unless `height` fits on this one.
    fn keep(&mut self, height: f32) {
        if !self.fresh && self.top - height < self.limit {
            self.new_page();
        }
    }

    fn open(&mut self, tag: impl Into<TagKind>) {
        self.open.push((tag.into(), Vec::new()));
    }

    fn close(&mut self) {
        if let Some((tag, children)) = self.open.pop() {
            self.push(Element::Group(tag, children));
        }
    }

    fn push(&mut self, element: Element) {
        match self.open.last_mut() {
            Some((_, children)) => children.push(element),
            None => self.root.push(element),
        }
    }

    /// A new span in the open element.
    fn span(&mut self) -> usize {
        let span = self.spans;
        self.spans += 1;
        self.push(Element::Span(span));
        span
    }

    /// One line at `x`, on a new page if this one is full; the labels
    /// waiting go on its baseline.
    fn line(&mut self, look: Look, x: f32, text: &str) {
        if self.room(look.leading) == 0 && !self.fresh {
            self.new_page();
        }
        let y = self.top - look.size;
        // The labels first: programs that read the text in the order it
        // is drawn (copying, pdftotext, untagged readers) get "Datum 15
        // januari 2027", not the other way round.
        for label in std::mem::take(&mut self.pending) {
            self.op(Op::Text {
                look: label.look,
                x: label.x,
                y,
                text: label.text,
                span: label.span,
            });
        }
        let span = self.span();
        self.op(Op::Text {
            look,
            x,
            y,
            text: text.to_string(),
            span,
        });
        self.top -= look.leading;
        self.fresh = false;
    }

    /// `lines` from the top of the free space down, breaking pages with
    /// neither an orphan nor a widow where the lines allow it.
    fn lines(&mut self, look: Look, x: f32, lines: &[String]) {
        let mut rest = lines;
        while !rest.is_empty() {
            let room = self.room(look.leading);
            let mut take = rest.len();
            if take > room {
                take = room;
                if rest.len() - take == 1 {
                    // Two lines go over rather than one.
                    take = take.saturating_sub(1);
                }
                if take < 2 && !self.fresh {
                    self.new_page();
                    continue;
                }
                take = take.max(1);
            }
            let (now, later) = rest.split_at(take.min(rest.len()));
            for line in now {
                self.line(look, x, line);
            }
            rest = later;
            if !rest.is_empty() {
                self.new_page();
            }
        }
    }

    /// The sender's name, address and email at the top of the first page,
    /// with a rule under them, as on the invoice.
    fn letterhead(&mut self, sender: &Sender<'_>) {
        self.open(Tag::Section);
        // The name's baseline where the invoice has it.
        self.top = TOP - 12.0 + LETTERHEAD.size;
        for (i, text) in sender.lines.iter().enumerate() {
            let look = if i == 0 { LETTERHEAD } else { SMALL };
            if i == 1 {
                self.top -= 2.0;
            }
            self.open(Tag::P);
            let lines = self.faces.wrap(look, text, RIGHT - LEFT);
            self.lines(look, LEFT, &lines);
            self.close();
        }
        self.close();
        let rule = self.top - 4.0;
        self.op(Op::Rule { y: rule });
        self.top = rule - 22.0;
        self.fresh = false;
    }

    /// `blocks` at `x`; closer together in a list item, whose blocks
    /// belong to one point.
    fn blocks(&mut self, blocks: &[Block], x: f32, in_item: bool) {
        let mut previous: Option<&Block> = None;
        for block in blocks {
            if let Some(previous) = previous {
                let space = space_between(previous, block);
                self.gap(if in_item { space.min(3.0) } else { space });
            }
            self.block(block, x);
            previous = Some(block);
        }
    }

    fn block(&mut self, block: &Block, x: f32) {
        let width = RIGHT - x;
        match block {
            Block::Heading { level, text } => {
                let look = match level {
                    1 => SUBJECT,
                    2 => SECTION,
                    _ => HEADING,
                };
                let lines = self.faces.wrap(look, text, width);
                // With the heading, the first two lines of what follows.
                self.keep(lines.len() as f32 * look.leading + 4.0 + 2.0 * BODY.leading);
                let level = std::num::NonZeroU16::new(*level).unwrap_or(pdf::H1);
                self.open(Tag::Hn(level, Some(text.clone())));
                if level <= pdf::H2 {
                    let page = self.pages.len() - 1;
                    self.outline.push((text.clone(), page, self.top));
                }
                self.lines(look, x, &lines);
                self.close();
            }
            Block::Paragraph(lines) => {
                let lines: Vec<String> = lines
                    .iter()
                    .flat_map(|line| {
                        let wrapped = self.faces.wrap(BODY, line, width);
                        if wrapped.is_empty() {
                            vec![String::new()]
                        } else {
                            wrapped
                        }
                    })
                    .collect();
                let look = if self.quoted { QUOTE } else { BODY };
                self.open(Tag::P);
                self.lines(look, x, &lines);
                self.close();
            }
            Block::Rows(rows) => {
                let label = BODY.label();
                let column = rows
                    .iter()
                    .map(|(l, _)| self.faces.width(label, l))
                    .fold(0.0, f32::max)
                    .min(width / 3.0)
                    + 12.0;
                for (name, value) in rows {
                    let names = self.faces.wrap(label, name, column - 12.0);
                    let values = self.faces.wrap(BODY, value, width - column);
                    let height = names.len().max(values.len()).max(1);
                    self.keep(height as f32 * BODY.leading);
                    self.open(Tag::P);
                    // The label first, then the value, in reading order;
                    // each line of the label beside a line of the value.
                    let spans: Vec<usize> = names.iter().map(|_| self.span()).collect();
                    for i in 0..height {
                        if let (Some(text), Some(span)) = (names.get(i), spans.get(i)) {
                            // The label ends with a space, so that label
                            // and value read apart when the text is
                            // extracted.
                            let text = if i + 1 == names.len() {
                                format!("{text} ")
                            } else {
                                text.clone()
                            };
                            self.pending.push(Label {
                                look: label,
                                x,
                                text,
                                span: *span,
                            });
                        }
                        let value = values.get(i).map_or("", String::as_str);
                        self.line(BODY, x + column, value);
                    }
                    self.close();
                }
            }
            Block::List { start, items } => {
                let labels: Vec<String> = (0..items.len())
                    .map(|i| match start {
                        Some(first) => format!("{}.", first.saturating_add(i as u64)),
                        None => "\u{2022}".to_string(),
                    })
                    .collect();
                let indent = labels
                    .iter()
                    .map(|l| self.faces.width(BODY, l) + 6.0)
                    .fold(LIST_INDENT, f32::max);
                let numbering = if start.is_some() {
                    ListNumbering::Decimal
                } else {
                    ListNumbering::Disc
                };
                self.open(Tag::L(numbering));
                for (i, (item, text)) in items.iter().zip(labels).enumerate() {
                    if i > 0 {
                        self.gap(3.0);
                    }
                    self.open(Tag::LI);
                    self.open(Tag::Lbl);
                    let span = self.span();
                    self.close();
                    self.pending.push(Label {
                        look: BODY,
                        x,
                        text,
                        span,
                    });
                    self.open(Tag::LBody);
                    self.blocks(item, x + indent, true);
                    self.close();
                    self.close();
                    // An item with no text drops its label too.
                    self.pending.clear();
                }
                self.close();
            }
            Block::Quote(inner) => {
                let quoted = std::mem::replace(&mut self.quoted, true);
                self.open(Tag::BlockQuote);
                self.blocks(inner, x + QUOTE_INDENT, false);
                self.close();
                self.quoted = quoted;
            }
        }
    }
}

/// The space between two blocks.
fn space_between(previous: &Block, next: &Block) -> f32 {
    match (previous, next) {
        (Block::Heading { .. }, _) => 4.0,
        (_, Block::Heading { level: 1, .. }) => 16.0,
        (_, Block::Heading { level: 2, .. }) => 12.0,
        (_, Block::Heading { .. }) => 10.0,
        _ => 7.0,
    }
}

/// Draws the laid-out letter: its pages, each with its footer, its
/// structure, outline and metadata.
pub(super) fn draw(
    faces: &'static Faces,
    laid: Laid,
    letter: &Letter,
    metadata: Metadata,
) -> Result<Vec<u8>, Failure> {
    let mut document: Document = pdf::document()?;
    let size = pdf::a4()?;
    let pages = laid.pages.len();
    let mut ids: Vec<Option<Identifier>> = vec![None; laid.spans];
    for (index, ops) in laid.pages.into_iter().enumerate() {
        let mut page = document.start_page_with(size.clone());
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            faces,
        };
        for op in ops {
            match op {
                Op::Text {
                    look,
                    x,
                    y,
                    text,
                    span,
                } => {
                    let id = pen.span(look, x, y, &text);
                    if let Some(slot) = ids.get_mut(span) {
                        *slot = id;
                    }
                }
                Op::Rule { y } => pen.hline(RULE, 0.6, LEFT, RIGHT, y),
            }
        }
        let footer = footer_text(&letter.footer, index + 1, pages);
        let lines = faces.wrap(FOOTER, &footer, RIGHT - LEFT);
        pen.footer(laid.footer_top, &lines);
        surface.finish();
        page.finish();
    }

    let mut tree = TagTree::new();
    for element in laid.structure {
        if let Some(node) = node(element, &ids) {
            tree.push(node);
        }
    }
    document.set_tag_tree(tree);

    let mut title = OutlineNode::new(
        letter.title.clone(),
        XyzDestination::new(0, Point::from_xy(0.0, 0.0)),
    );
    for (text, page, top) in laid.outline {
        title.push_child(OutlineNode::new(
            text,
            XyzDestination::new(page, Point::from_xy(0.0, PAGE_H - top)),
        ));
    }
    let mut outline = Outline::new();
    outline.push_child(title);
    document.set_outline(outline);
    document.set_metadata(
        metadata
            .title(letter.title.clone())
            .language(LANGUAGE.to_string()),
    );
    pdf::finish(document)
}

/// The structure element with the identifiers of what was drawn; an
/// element with nothing drawn in it is left out.
fn node(element: Element, ids: &[Option<Identifier>]) -> Option<Node> {
    match element {
        Element::Span(span) => ids.get(span).copied().flatten().map(Node::Leaf),
        Element::Group(tag, children) => {
            let children: Vec<Node> = children
                .into_iter()
                .filter_map(|child| node(child, ids))
                .collect();
            (!children.is_empty()).then(|| Node::Group(TagGroup::with_children(tag, children)))
        }
    }
}
