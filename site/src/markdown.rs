//! Markdown to HTML (pulldown-cmark), with what the rest of the build needs
//! from it: heading ids and a table of contents, the links (with their line,
//! for the link check), a word count, and the `{{ name }}` values.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use cbt::DataError;
use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

/// One entry of a page's table of contents.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Heading {
    pub id: String,
    pub title: String,
    pub level: u8,
    pub children: Vec<Heading>,
}

/// A link written in Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdLink {
    pub target: String,
    /// Line in the source file.
    pub line: usize,
}

/// A Markdown body, rendered.
#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<Heading>,
    pub links: Vec<MdLink>,
    pub word_count: usize,
    /// The `{{ name }}` values the body uses, by name: a page that shows
    /// an unconfirmed value says so ([`cbt::Rules::unconfirmed_in`]).
    pub values: Vec<String>,
}

/// The names of the `{{ name }}` values in `body`, in order, once each.
pub fn value_names(body: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some((_, after)) = rest.split_once("{{") {
        let Some((inside, next)) = after.split_once("}}") else {
            break;
        };
        let name = inside.trim().to_string();
        if !names.contains(&name) {
            names.push(name);
        }
        rest = next;
    }
    names
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
}

/// Replaces `{{ name }}` with its value. Every unknown name is an error
/// with its line; text without `{{` is returned as it is, without a copy.
pub fn substitute<'a>(
    file: &str,
    body: &'a str,
    first_line: usize,
    values: &BTreeMap<String, String>,
) -> Result<Cow<'a, str>, Vec<DataError>> {
    if !body.contains("{{") {
        return Ok(Cow::Borrowed(body));
    }
    let mut out = String::with_capacity(body.len() + 64);
    let mut errors = Vec::new();
    let mut rest = body;
    let mut consumed = 0;
    while let Some((before, after)) = rest.split_once("{{") {
        out.push_str(before);
        let line = cbt::sources::line_of(body, consumed + before.len()) + first_line - 1;
        let Some((inside, next)) = after.split_once("}}") else {
            errors.push(DataError {
                file: file.to_string(),
                line: Some(line),
                message: "`{{` wordt niet afgesloten met `}}`".into(),
                hint: "Schrijf een waarde als {{ tarief.commercieel }}.".into(),
            });
            out.push_str("{{");
            out.push_str(after);
            rest = "";
            break;
        };
        let name = inside.trim();
        match values.get(name) {
            Some(v) => out.push_str(v),
            None => {
                let known: Vec<&str> = values.keys().map(String::as_str).collect();
                errors.push(DataError {
                    file: file.to_string(),
                    line: Some(line),
                    message: format!("onbekende waarde `{{{{ {name} }}}}`"),
                    hint: format!("Bekende waarden: {}.", known.join(", ")),
                });
            }
        }
        consumed += before.len() + "{{".len() + inside.len() + "}}".len();
        rest = next;
    }
    out.push_str(rest);
    if errors.is_empty() {
        Ok(Cow::Owned(out))
    } else {
        Err(errors)
    }
}

/// Renders `body`, whose first line is line `first_line` of its file.
pub fn render(body: &str, first_line: usize) -> Rendered {
    let parser = Parser::new_ext(body, options()).into_offset_iter();
    let mut events: Vec<Event<'_>> = Vec::with_capacity(body.len() / 8);
    let mut links = Vec::new();
    let mut word_count = 0;
    // Line counting walks the body once, in step with the increasing offsets.
    let mut line = first_line;
    let mut line_pos = 0;
    let bytes = body.as_bytes();
    for (event, range) in parser {
        match &event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                let upto = range.start.min(bytes.len());
                if upto > line_pos {
                    line += bytes[line_pos..upto]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count();
                    line_pos = upto;
                }
                links.push(MdLink {
                    target: dest_url.to_string(),
                    line,
                });
            }
            Event::Text(t) | Event::Code(t) => {
                word_count += t.split_whitespace().count();
            }
            _ => {}
        }
        events.push(event);
    }
    let toc = assign_heading_ids(&mut events);
    let mut html_out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut html_out, events.into_iter());
    Rendered {
        html: html_out,
        toc,
        links,
        word_count,
        values: Vec::new(),
    }
}

/// Gives every heading an id (its own `{#id}`, else a slug of its text,
/// made unique on the page) and returns the two-level table of contents.
fn assign_heading_ids(events: &mut [Event<'_>]) -> Vec<Heading> {
    let mut used: HashSet<String> = HashSet::new();
    let mut flat: Vec<Heading> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i] {
            let level = *level;
            let explicit = id.as_ref().map(|s| s.to_string());
            let mut title = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    title.push_str(t);
                }
                j += 1;
            }
            let base = explicit.unwrap_or_else(|| {
                let s = slugify(&title);
                if s.is_empty() {
                    "kop".to_string()
                } else {
                    s
                }
            });
            let mut unique = base.clone();
            let mut n = 1;
            while !used.insert(unique.clone()) {
                unique = format!("{base}-{n}");
                n += 1;
            }
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(CowStr::from(unique.clone()));
            }
            flat.push(Heading {
                id: unique,
                title,
                level: level_number(level),
                children: Vec::new(),
            });
            i = j;
        }
        i += 1;
    }
    nest(flat)
}

fn level_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The shallowest level becomes the top of the table of contents and the
/// next level its children; deeper headings are left out, as in print.
fn nest(flat: Vec<Heading>) -> Vec<Heading> {
    let Some(top) = flat.iter().map(|h| h.level).min() else {
        return Vec::new();
    };
    let mut toc: Vec<Heading> = Vec::new();
    for h in flat {
        if h.level == top {
            toc.push(h);
        } else if h.level == top + 1 {
            match toc.last_mut() {
                Some(parent) => parent.children.push(h),
                None => toc.push(h),
            }
        }
    }
    toc
}

/// A URL- and id-safe slug: lowercase ASCII letters and digits, words joined
/// by `-`, Dutch diacritics folded (`Commerciële` -> `commerciele`).
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for ch in text.chars() {
        let folded = fold(ch);
        for c in folded.chars() {
            if c.is_ascii_alphanumeric() {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c.to_ascii_lowercase());
            } else if c.is_whitespace() || c == '-' || c == '_' || c == '/' {
                dash = true;
            }
        }
    }
    out
}

fn fold(ch: char) -> Cow<'static, str> {
    let s = match ch {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => "a",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ç' | 'Ç' => "c",
        'ñ' | 'Ñ' => "n",
        'ĳ' | 'Ĳ' => "ij",
        '–' | '—' => "-",
        _ => return Cow::Owned(ch.to_string()),
    };
    Cow::Borrowed(s)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Wat is er veranderd?"), "wat-is-er-veranderd");
        assert_eq!(
            slugify("Commerciële organisaties"),
            "commerciele-organisaties"
        );
        assert_eq!(slugify("1. Stap – één"), "1-stap-een");
        assert_eq!(slugify("  "), "");
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let r = render("# T\n\n## A b\n\n### C\n\n## A b\n\n## X {#eigen}\n", 1);
        assert!(r.html.contains("<h2 id=\"a-b\">A b</h2>"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"a-b-1\">"), "{}", r.html);
        assert!(r.html.contains("<h2 id=\"eigen\">X</h2>"), "{}", r.html);
        // h1 is the shallowest: it is the top; h2s are its children, h3 left out.
        assert_eq!(r.toc.len(), 1);
        assert_eq!(r.toc[0].children.len(), 3);
    }

    #[test]
    fn links_carry_their_line() {
        let r = render("Een\n\n[a](/x/)\n\nen [b](#y) en ![c](/c.png)\n", 7);
        let got: Vec<(&str, usize)> = r
            .links
            .iter()
            .map(|l| (l.target.as_str(), l.line))
            .collect();
        assert_eq!(got, vec![("/x/", 9), ("#y", 11), ("/c.png", 11)]);
    }

    #[test]
    fn tables_and_smart_punctuation() {
        let r = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n\"quote\" -- it's\n", 1);
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("“quote”"), "{}", r.html);
    }

    #[test]
    fn values_are_substituted_and_unknown_ones_reported() {
        let mut v = BTreeMap::new();
        v.insert("tarief.x".to_string(), "€ 1,00".to_string());
        let out = substitute("p.md", "Kost {{ tarief.x }}.\n", 4, &v).unwrap();
        assert_eq!(out, "Kost € 1,00.\n");
        assert!(matches!(
            substitute("p.md", "geen", 1, &v).unwrap(),
            Cow::Borrowed(_)
        ));
        let errs =
            substitute("p.md", "a\n{{ tarief.y }} {{tarief.x}}\n{{ open", 10, &v).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].line, Some(11));
        assert!(errs[0].message.contains("tarief.y"));
        assert!(errs[0].hint.contains("tarief.x"));
        assert_eq!(errs[1].line, Some(12));
        // Multibyte text next to the braces.
        let out = substitute("p.md", "é{{ tarief.x }}ë{{tarief.x}}", 1, &v).unwrap();
        assert_eq!(out, "é€ 1,00ë€ 1,00");
        let errs = substitute("p.md", "é\në{{ é }}\nü{{ ü", 1, &v).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs[0].message.contains("`{{ é }}`"), "{}", errs[0]);
        assert_eq!((errs[0].line, errs[1].line), (Some(2), Some(3)));
    }
}
