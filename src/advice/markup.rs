//! The letter's text as blocks: the template's output read by its small
//! markup, and the commission's motivation read as Markdown.
//!
//! Every value the template prints reaches its output marked as data
//! ([`mark_data`], the template engine's escape function): wrapped in two
//! private-use characters, with its line breaks turned into spaces. The
//! markup is only recognised in the template's own text, so a name that
//! starts with `# ` or `- `, or holds `|` or `{pagina}`, is printed as
//! it is and never becomes a heading, a list, a row or a page number; and
//! no value can end a line. The markers never reach the page.

use pulldown_cmark::{Event, Options, Parser, Tag as Md, TagEnd};

/// Opens a value in the template's output.
const DATA_OPEN: char = '\u{E000}';
/// Closes it.
const DATA_CLOSE: char = '\u{E001}';
/// Stands for the motivation: the value of `motivering`.
const MOTIVATION_MARK: char = '\u{E002}';
/// The motivation's value, as the template receives it.
pub(super) const MOTIVATION: &str = "\u{E002}";

/// The letter as read from the template's output.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Letter {
    /// The document's title (`@titel`).
    pub(super) title: String,
    /// The footer of every page (`@voet`).
    pub(super) footer: Vec<FooterPart>,
    /// The body, in reading order.
    pub(super) blocks: Vec<Block>,
}

/// A piece of the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FooterPart {
    /// Text as it is.
    Text(String),
    /// `{pagina}`: this page's number.
    Page,
    /// `{paginas}`: the number of pages.
    Pages,
}

/// A block of the letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Block {
    /// A heading, level 1 to 6.
    Heading {
        /// Its level.
        level: u16,
        /// Its text, one line.
        text: String,
    },
    /// A paragraph: its lines as given, each wrapped on its own.
    Paragraph(Vec<String>),
    /// Label and value pairs (`| Datum | 15 januari 2027`).
    Rows(Vec<(String, String)>),
    /// A list; numbered from `start` when it has one.
    List {
        /// The first number of a numbered list.
        start: Option<u64>,
        /// Each item's blocks.
        items: Vec<Vec<Block>>,
    },
    /// A quotation.
    Quote(Vec<Block>),
}

/// The template engine's escape function: `value` as data. The
/// motivation's mark passes unchanged, so that the template can place the
/// motivation; the values are [`clean`]ed before they reach the template,
/// so no value can pose as it.
///
/// An empty value stays empty: Tera escapes a value also where it tests
/// it (`{% if aan.land %}`), and an empty value must stay false there.
pub(super) fn mark_data(value: &str) -> String {
    if value == MOTIVATION || value.is_empty() {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2 * DATA_OPEN.len_utf8());
    out.push(DATA_OPEN);
    out.extend(value.chars().filter(|c| !is_mark(*c)).map(
        |c| {
            if breaks_line(c) {
                ' '
            } else {
                c
            }
        },
    ));
    out.push(DATA_CLOSE);
    out
}

/// `value` without the characters this module gives a meaning.
pub(super) fn clean(value: &str) -> String {
    value.chars().filter(|c| !is_mark(*c)).collect()
}

fn is_mark(c: char) -> bool {
    matches!(c, DATA_OPEN | DATA_CLOSE | MOTIVATION_MARK)
}

/// Characters that end a line for [`str::lines`], or would on paper.
fn breaks_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The text as printed: the data marks removed.
fn visible(text: &str) -> String {
    text.chars()
        .filter(|c| *c != DATA_OPEN && *c != DATA_CLOSE)
        .collect::<String>()
        .trim()
        .to_string()
}

/// What is open while the lines are read.
enum Open {
    Nothing,
    Paragraph(Vec<String>),
    List(Vec<Vec<Block>>),
    Rows(Vec<(String, String)>),
}

impl Open {
    /// Closes it into `blocks`.
    fn close(&mut self, blocks: &mut Vec<Block>) {
        match std::mem::replace(self, Open::Nothing) {
            Open::Nothing => {}
            Open::Paragraph(lines) => blocks.push(Block::Paragraph(lines)),
            Open::List(items) => blocks.push(Block::List { start: None, items }),
            Open::Rows(rows) => blocks.push(Block::Rows(rows)),
        }
    }
}

/// Reads the template's output (`rendered`); the motivation goes where
/// the template put `{{ motivering }}`. An error says, in Dutch, what is
/// wrong with the template.
pub(super) fn parse(rendered: &str, motivation: &str) -> Result<Letter, String> {
    let mut title = None;
    let mut footer = None;
    let mut blocks = Vec::new();
    let mut open = Open::Nothing;
    let mut last_level = 1;
    let mut motivation_placed = false;

    for raw in rendered.lines() {
        let line = raw.trim();
        if line.is_empty() {
            open.close(&mut blocks);
            continue;
        }
        if line.contains(MOTIVATION_MARK) {
            if line != MOTIVATION {
                return Err(
                    "{{ motivering }} moet op een regel van zichzelf staan, zonder andere tekst"
                        .to_string(),
                );
            }
            if motivation_placed {
                return Err("{{ motivering }} staat er meer dan eens in".to_string());
            }
            open.close(&mut blocks);
            blocks.extend(markdown(motivation, last_level));
            motivation_placed = true;
            continue;
        }
        if visible(line).is_empty() {
            // Only values of nothing but white space: the line is left
            // out, and it separates nothing.
            continue;
        }
        if let Some(directive) = line.strip_prefix('@') {
            let (name, value) = directive.split_once(' ').unwrap_or((directive, ""));
            match name {
                "titel" => title = Some(visible(value)),
                "voet" => footer = Some(footer_parts(value)),
                _ => return Err(format!("onbekende opdracht “@{}”", visible(name))),
            }
            continue;
        }
        if let Some((level, text)) = heading(line) {
            open.close(&mut blocks);
            last_level = level;
            blocks.push(Block::Heading {
                level,
                text: visible(text),
            });
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            if !matches!(open, Open::List(_)) {
                open.close(&mut blocks);
                open = Open::List(Vec::new());
            }
            if let Open::List(items) = &mut open {
                items.push(vec![Block::Paragraph(vec![visible(item)])]);
            }
            continue;
        }
        if let Some(row) = line.strip_prefix('|') {
            if !matches!(open, Open::Rows(_)) {
                open.close(&mut blocks);
                open = Open::Rows(Vec::new());
            }
            if let Open::Rows(rows) = &mut open {
                rows.push(row_parts(row));
            }
            continue;
        }
        if !matches!(open, Open::Paragraph(_)) {
            open.close(&mut blocks);
            open = Open::Paragraph(Vec::new());
        }
        if let Open::Paragraph(lines) = &mut open {
            lines.push(visible(line));
        }
    }
    open.close(&mut blocks);

    let title = title
        .filter(|t| !t.is_empty())
        .ok_or("de regel “@titel …” (de titel van het document) ontbreekt of is leeg")?;
    let footer = footer.ok_or("de regel “@voet …” (de voettekst van elke pagina) ontbreekt")?;
    if !motivation_placed {
        return Err("{{ motivering }} ontbreekt: de motivering moet in de brief staan".to_string());
    }
    Ok(Letter {
        title,
        footer,
        blocks,
    })
}

/// `# Kop` (level 1) to `### Kop` (level 3): the level and the text.
fn heading(line: &str) -> Option<(u16, &str)> {
    let text = line.trim_start_matches('#');
    let level = line.chars().take_while(|c| *c == '#').count();
    let level = u16::try_from(level).ok().filter(|l| (1..=3).contains(l))?;
    Some((level, text.strip_prefix(' ')?))
}

/// ` Datum | 15 januari 2027 |`: the label and the value, split at the
/// first `|` of the template's own text (a `|` in a value stays in it).
fn row_parts(row: &str) -> (String, String) {
    let mut label = String::new();
    let mut value = String::new();
    let mut in_data = false;
    let mut split = false;
    for c in row.chars() {
        match c {
            DATA_OPEN => in_data = true,
            DATA_CLOSE => in_data = false,
            '|' if !in_data && !split => {
                split = true;
                continue;
            }
            _ => {}
        }
        if split {
            value.push(c);
        } else {
            label.push(c);
        }
    }
    // A closing `|`, as Markdown tables have, is the template's too.
    let value = value.trim_end();
    let value = value.strip_suffix('|').unwrap_or(value);
    (visible(&label), visible(value))
}

/// The footer's text with `{pagina}` and `{paginas}` in the template's own
/// text as page numbers; in a value they are text.
fn footer_parts(text: &str) -> Vec<FooterPart> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut data = String::new();
    let mut in_data = false;
    let flush_literal = |literal: &mut String, parts: &mut Vec<FooterPart>| {
        let mut rest = literal.as_str();
        while let Some((before, after)) = rest.split_once('{') {
            push_text(parts, before);
            if let Some(after) = after.strip_prefix("pagina}") {
                parts.push(FooterPart::Page);
                rest = after;
            } else if let Some(after) = after.strip_prefix("paginas}") {
                parts.push(FooterPart::Pages);
                rest = after;
            } else {
                push_text(parts, "{");
                rest = after;
            }
        }
        push_text(parts, rest);
        literal.clear();
    };
    for c in text.trim().chars() {
        match c {
            DATA_OPEN => {
                flush_literal(&mut literal, &mut parts);
                in_data = true;
            }
            DATA_CLOSE => {
                push_text(&mut parts, &data);
                data.clear();
                in_data = false;
            }
            c if in_data => data.push(c),
            c => literal.push(c),
        }
    }
    push_text(&mut parts, &data);
    flush_literal(&mut literal, &mut parts);
    parts
}

fn push_text(parts: &mut Vec<FooterPart>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(FooterPart::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(FooterPart::Text(text.to_string()));
    }
}

/// The motivation's Markdown as blocks, its headings under the template's
/// heading of level `base` (so `#` in the motivation is one level below
/// "Motivering", and no level is skipped, which PDF/UA asks).
///
/// Emphasis, strong text and code are printed as plain text; a link as
/// its text with the address in brackets (the letter is read on paper
/// too); HTML as the text it is. Nothing the commission writes is lost.
pub(super) fn markdown(text: &str, base: u16) -> Vec<Block> {
    let mut builder = Builder::default();
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        builder.event(event);
    }
    builder.flush();
    let mut blocks = match builder.frames.pop() {
        Some(Frame::Container(blocks)) => blocks,
        _ => Vec::new(),
    };
    relevel(&mut blocks, base);
    blocks
}

/// A container being filled while the Markdown is read.
enum Frame {
    /// The motivation itself, a quotation or a list item.
    Container(Vec<Block>),
    /// A list: its items so far.
    List(Option<u64>, Vec<Vec<Block>>),
}

struct Builder {
    /// The open containers; the first is the motivation itself.
    frames: Vec<Frame>,
    /// The text of the block being read, by line.
    lines: Vec<String>,
    /// The level of the heading being read.
    heading: Option<u16>,
    /// In a code or HTML block, where line ends are kept.
    literal: bool,
    /// The open links: address, and the text shown so far.
    links: Vec<(String, String)>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            frames: vec![Frame::Container(Vec::new())],
            lines: vec![String::new()],
            heading: None,
            literal: false,
            links: Vec::new(),
        }
    }
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text)
            | Event::Code(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text)
            | Event::Html(text)
            | Event::InlineHtml(text) => self.text(&text),
            Event::FootnoteReference(label) => self.text(&format!("[{label}]")),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.lines.push(String::new()),
            Event::Rule => self.flush(),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Md<'_>) {
        match tag {
            Md::Paragraph => self.flush(),
            Md::Heading { level, .. } => {
                self.flush();
                self.heading = Some(level as u16);
            }
            Md::BlockQuote(_) => {
                self.flush();
                self.frames.push(Frame::Container(Vec::new()));
            }
            Md::CodeBlock(_) | Md::HtmlBlock => {
                self.flush();
                self.literal = true;
            }
            Md::List(start) => {
                self.flush();
                self.frames.push(Frame::List(start, Vec::new()));
            }
            Md::Item => {
                self.flush();
                self.frames.push(Frame::Container(Vec::new()));
            }
            Md::Link { dest_url, .. } => self.links.push((dest_url.to_string(), String::new())),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) => self.flush(),
            TagEnd::CodeBlock | TagEnd::HtmlBlock => {
                self.flush();
                self.literal = false;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                if let Some(Frame::Container(blocks)) = self.frames.pop() {
                    self.push(Block::Quote(blocks));
                }
            }
            TagEnd::Item => {
                self.flush();
                if let Some(Frame::Container(blocks)) = self.frames.pop() {
                    if let Some(Frame::List(_, items)) = self.frames.last_mut() {
                        items.push(blocks);
                    }
                }
            }
            TagEnd::List(_) => {
                self.flush();
                if let Some(Frame::List(start, items)) = self.frames.pop() {
                    self.push(Block::List { start, items });
                }
            }
            TagEnd::Link => {
                if let Some((address, shown)) = self.links.pop() {
                    let address = address.strip_prefix("mailto:").unwrap_or(&address);
                    if !address.is_empty() && shown.trim() != address {
                        self.text(&format!(" ({address})"));
                    }
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        for (_, shown) in &mut self.links {
            shown.push_str(text);
        }
        let mut parts = text.split('\n');
        if let (Some(first), Some(line)) = (parts.next(), self.lines.last_mut()) {
            line.push_str(first);
        }
        for part in parts {
            if self.literal {
                self.lines.push(part.to_string());
            } else if let Some(line) = self.lines.last_mut() {
                line.push(' ');
                line.push_str(part);
            }
        }
    }

    /// Ends the text being read as a heading or a paragraph.
    fn flush(&mut self) {
        let mut lines: Vec<String> = std::mem::replace(&mut self.lines, vec![String::new()])
            .into_iter()
            .map(|l| l.trim().to_string())
            .collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        while lines.first().is_some_and(String::is_empty) {
            lines.remove(0);
        }
        let heading = self.heading.take();
        if lines.is_empty() {
            return;
        }
        let block = match heading {
            Some(level) => Block::Heading {
                level,
                text: lines.join(" "),
            },
            None => Block::Paragraph(lines),
        };
        self.push(block);
    }

    fn push(&mut self, block: Block) {
        match self.frames.last_mut() {
            Some(Frame::Container(blocks)) => blocks.push(block),
            // Text straight in a list, outside its items, cannot come
            // from the parser; keep it as an item rather than lose it.
            Some(Frame::List(_, items)) => items.push(vec![block]),
            None => self.frames.push(Frame::Container(vec![block])),
        }
    }
}

/// The headings of `blocks` moved under `base`: the highest one level
/// below it, none deeper than one below the heading before it, none
/// below level 6.
fn relevel(blocks: &mut [Block], base: u16) {
    fn highest(blocks: &[Block]) -> Option<u16> {
        blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level, .. } => Some(*level),
                Block::List { items, .. } => items.iter().filter_map(|i| highest(i)).min(),
                Block::Quote(inner) => highest(inner),
                Block::Paragraph(_) | Block::Rows(_) => None,
            })
            .min()
    }
    fn walk(blocks: &mut [Block], base: u16, top: u16, previous: &mut u16) {
        for block in blocks {
            match block {
                Block::Heading { level, .. } => {
                    let wanted = base + 1 + level.saturating_sub(top);
                    *level = wanted.min(*previous + 1).min(6);
                    *previous = *level;
                }
                Block::List { items, .. } => {
                    for item in items {
                        walk(item, base, top, previous);
                    }
                }
                Block::Quote(inner) => walk(inner, base, top, previous),
                Block::Paragraph(_) | Block::Rows(_) => {}
            }
        }
    }
    if let Some(top) = highest(blocks) {
        let mut previous = base;
        walk(blocks, base, top, &mut previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(value: &str) -> String {
        mark_data(value)
    }

    fn letter(body: &str) -> Letter {
        let text = format!(
            "@titel Advies\n@voet pagina {{pagina}} van {{paginas}}\n{body}\n{MOTIVATION}\n"
        );
        parse(&text, "").expect("parses")
    }

    #[test]
    fn the_markup() {
        let text = format!(
            "\n@titel Advies {k}\n@voet {k} · pagina {{pagina}} van {{paginas}}\n\n{o}\nKerkstraat 12\n{empty}\n\n| Datum | {d} |\n| Ons kenmerk | {k}\n\n# Onderwerp\n\nGeachte {n},\n\n## Motivering\n{MOTIVATION}\n\n- een\n- twee\ndaarna\n",
            k = data("CBT-2027-0001"),
            o = data("Voorbeeld B.V."),
            empty = data(""),
            d = data("15 januari 2027"),
            n = data("Jan Jansen"),
        );
        let letter = parse(&text, "Eerste.\n\n# Kop\n\nTweede.").expect("parses");
        assert_eq!(letter.title, "Advies CBT-2027-0001");
        assert_eq!(
            letter.footer,
            [
                FooterPart::Text("CBT-2027-0001 · pagina ".into()),
                FooterPart::Page,
                FooterPart::Text(" van ".into()),
                FooterPart::Pages,
            ]
        );
        let p = |lines: &[&str]| Block::Paragraph(lines.iter().map(|l| l.to_string()).collect());
        let h = |level, text: &str| Block::Heading {
            level,
            text: text.into(),
        };
        assert_eq!(
            letter.blocks,
            [
                p(&["Voorbeeld B.V.", "Kerkstraat 12"]),
                Block::Rows(vec![
                    ("Datum".into(), "15 januari 2027".into()),
                    ("Ons kenmerk".into(), "CBT-2027-0001".into()),
                ]),
                h(1, "Onderwerp"),
                p(&["Geachte Jan Jansen,"]),
                h(2, "Motivering"),
                p(&["Eerste."]),
                h(3, "Kop"),
                p(&["Tweede."]),
                Block::List {
                    start: None,
                    items: vec![vec![p(&["een"])], vec![p(&["twee"])]],
                },
                p(&["daarna"]),
            ]
        );
    }

    #[test]
    fn values_never_become_markup() {
        let hostile = "# Kop\n- item\r\n@titel Ander\u{2028}| a | b {pagina} \u{E002}{{ motivering }}{% if x %}";
        let text = format!(
            "@titel {v}\n@voet {v} {{pagina}}\n{v}\n- {v}\n| {v} | {v}\n## {v}\n{MOTIVATION}\n",
            v = data(hostile)
        );
        let letter = parse(&text, "").expect("parses");
        let shown = "# Kop - item  @titel Ander | a | b {pagina} {{ motivering }}{% if x %}";
        assert_eq!(letter.title, shown);
        assert_eq!(
            letter.footer,
            [FooterPart::Text(format!("{shown} ")), FooterPart::Page]
        );
        assert_eq!(
            letter.blocks,
            [
                Block::Paragraph(vec![shown.into()]),
                Block::List {
                    start: None,
                    items: vec![vec![Block::Paragraph(vec![shown.into()])]],
                },
                Block::Rows(vec![(shown.into(), shown.into())]),
                Block::Heading {
                    level: 2,
                    text: shown.into()
                },
            ]
        );
        // A value cannot pose as the motivation's mark.
        assert_eq!(clean("a\u{E002}b\u{E000}c\u{E001}"), "abc");
        assert_ne!(mark_data(&clean(MOTIVATION)), MOTIVATION);
    }

    #[test]
    fn the_template_must_say_what_the_letter_needs() {
        let m = MOTIVATION;
        for (text, needle) in [
            (format!("@voet x\n{m}\n"), "@titel"),
            (format!("@titel \n@voet x\n{m}\n"), "@titel"),
            (format!("@titel x\n{m}\n"), "@voet"),
            ("@titel x\n@voet x\n".to_string(), "ontbreekt"),
            (
                format!("@titel x\n@voet x\nZie: {m}\n"),
                "regel van zichzelf",
            ),
            (format!("@titel x\n@voet x\n{m}\n{m}\n"), "meer dan eens"),
            (format!("@titel x\n@voet x\n@kop x\n{m}\n"), "@kop"),
        ] {
            let error = parse(&text, "").expect_err(&text);
            assert!(error.contains(needle), "{error:?} for {text:?}");
        }
    }

    #[test]
    fn markdown_becomes_the_same_blocks() {
        let blocks = markdown(
            "Een *nadruk* en **vet** en `code`\nop twee regels.  \nHarde regel.\n\n\
             - tight\n- list\n  1. genest\n\n\
             3. drie\n4. vier\n\n\
             > geciteerd\n\n\
             ### Diep\n\n#### Dieper\n\n# Hoog\n\n\
             [de site](https://example.nl) en <https://example.nl/b> en [mail](mailto:a@b.nl)\n\n\
             <b>html</b> {{ x }} {% y %}\n\n```\ncode\n  blok\n```\n",
            2,
        );
        let p = |lines: &[&str]| Block::Paragraph(lines.iter().map(|l| l.to_string()).collect());
        assert_eq!(
            blocks,
            [
                p(&["Een nadruk en vet en code op twee regels.", "Harde regel."]),
                Block::List {
                    start: None,
                    items: vec![
                        vec![p(&["tight"])],
                        vec![
                            p(&["list"]),
                            Block::List {
                                start: Some(1),
                                items: vec![vec![p(&["genest"])]],
                            }
                        ],
                    ],
                },
                Block::List {
                    start: Some(3),
                    items: vec![vec![p(&["drie"])], vec![p(&["vier"])]],
                },
                Block::Quote(vec![p(&["geciteerd"])]),
                Block::Heading {
                    level: 3,
                    text: "Diep".into()
                },
                Block::Heading {
                    level: 4,
                    text: "Dieper".into()
                },
                Block::Heading {
                    level: 3,
                    text: "Hoog".into()
                },
                p(&["de site (https://example.nl) en https://example.nl/b en mail (a@b.nl)"]),
                p(&["<b>html</b> {{ x }} {% y %}"]),
                p(&["code", "blok"]),
            ]
        );
        // A heading that starts deep is not left skipping levels.
        let blocks = markdown("###### Zes", 2);
        assert_eq!(
            blocks,
            [Block::Heading {
                level: 3,
                text: "Zes".into()
            }]
        );
    }

    #[test]
    fn an_empty_motivation_gives_no_blocks() {
        assert!(markdown("", 2).is_empty());
        assert!(markdown("   \n\n", 2).is_empty());
        assert_eq!(letter("Tekst").blocks.len(), 1);
    }
}
