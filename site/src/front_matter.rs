//! Front matter: the TOML between the `+++` lines at the top of every
//! Markdown file, parsed into one strict struct per kind of file.
//!
//! Strict (`deny_unknown_fields`) so that a misspelt field is an error with
//! its line, not a setting that silently does nothing.

use cbt::sources::parse_toml_all;
use cbt::DataError;
use serde::{Deserialize, Serialize};

/// A Markdown file split into its front matter and its body.
#[derive(Debug)]
pub struct Split<'a> {
    pub front_matter: &'a str,
    /// Line (1-based) of the file on which the front matter starts.
    pub front_matter_line: usize,
    pub body: &'a str,
    /// Line (1-based) of the file on which the body starts.
    pub body_line: usize,
}

/// Splits `text` at its `+++` lines.
pub fn split<'a>(file: &str, text: &'a str) -> Result<Split<'a>, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let missing = || DataError {
        file: file.to_string(),
        line: Some(1),
        message: "de pagina begint niet met front matter tussen twee regels `+++`".into(),
        hint:
            "Zet bovenaan een regel `+++`, dan de velden (zoals title = \"...\"), dan weer `+++`."
                .into(),
    };
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or_else(missing)?;
    // The closing line: `+++` alone on a line.
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let closed = rest
                .split_at_checked(offset)
                .and_then(|(front_matter, after)| Some((front_matter, after.strip_prefix(line)?)));
            if let Some((front_matter, body)) = closed {
                let fm_lines = front_matter.matches('\n').count();
                return Ok(Split {
                    front_matter,
                    front_matter_line: 2,
                    body,
                    body_line: fm_lines + 3,
                });
            }
        }
        offset += line.len();
    }
    Err(DataError {
        file: file.to_string(),
        line: Some(1),
        message: "de front matter wordt niet afgesloten met een regel `+++`".into(),
        hint: "Zet na het laatste veld een regel met alleen `+++`.".into(),
    })
}

/// How a section's pages are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    /// Ordinary pages.
    #[default]
    Page,
    /// Questions with their answers (`veelgestelde-vragen/`).
    Faq,
    /// Members of the commission (`de-commissie/`).
    Member,
}

/// How a section orders its pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    #[default]
    Weight,
    Date,
    Title,
}

/// `_index.md`: a section (a folder of pages).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SectionMeta {
    pub title: String,
    pub description: Option<String>,
    #[serde(default)]
    pub weight: i64,
    pub template: Option<String>,
    #[serde(default)]
    pub page_kind: PageKind,
    /// False: the pages appear only inside the section's page (FAQ entries,
    /// members), not as pages of their own.
    #[serde(default = "yes")]
    pub render_pages: bool,
    #[serde(default)]
    pub sort_by: SortBy,
}

fn yes() -> bool {
    true
}

/// An ordinary page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    pub title: String,
    pub description: Option<String>,
    #[serde(default)]
    pub weight: i64,
    pub template: Option<String>,
    pub date: Option<toml::value::Datetime>,
    /// The day the page's account of the law was last checked: shown on
    /// the page as "Stand van zaken op ...", a date as `2026-12-01`.
    pub as_of: Option<toml::value::Datetime>,
    #[serde(default)]
    pub draft: bool,
}

impl PageMeta {
    /// [`PageMeta::as_of`] as Dutch text (`1 december 2026`); a value
    /// without a day (a time alone) is none.
    pub fn as_of_text(&self) -> Option<String> {
        let d = self.as_of.as_ref()?.date?;
        let date =
            cbt::NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))?;
        Some(cbt::dates::dutch_date(date))
    }
}

/// A question of the FAQ; its body is the answer.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaqMeta {
    /// The question.
    pub title: String,
    pub weight: i64,
    /// The question's `#anchor` on the FAQ page. Explicit, so that links to
    /// it survive a reworded question.
    pub anchor: String,
    /// A section (such as `de-commissie`) whose pages follow the answer.
    pub embed: Option<String>,
    #[serde(default)]
    pub draft: bool,
}

/// A member's role in the commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Role {
    #[serde(rename = "voorzitter")]
    Chair,
    #[serde(rename = "secretaris")]
    Secretary,
    #[serde(rename = "roulerend lid")]
    RotatingMember,
}

/// A member of the commission; the body is their experience.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemberMeta {
    /// The name as shown.
    pub title: String,
    pub role: Role,
    pub weight: i64,
    #[serde(default)]
    pub draft: bool,
}

/// Parses the front matter of `split` as `T`, with lines counted in the
/// file; every problem of it at once.
pub fn parse<T: serde::de::DeserializeOwned>(
    file: &str,
    split: &Split<'_>,
) -> Result<T, Vec<DataError>> {
    parse_toml_all(file, split.front_matter, split.front_matter_line - 1)
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
    fn splits_and_counts_lines() {
        let s = split("a.md", "+++\ntitle = \"A\"\nweight = 2\n+++\n\nHallo\n").unwrap();
        assert_eq!(s.front_matter, "title = \"A\"\nweight = 2\n");
        assert_eq!(s.body, "\nHallo\n");
        assert_eq!(s.body_line, 5);
        let s = split(
            "é.md",
            "\u{feff}+++\r\ntitle = \"Één\"\r\n+++ \r\nÉén €\r\n",
        )
        .unwrap();
        assert_eq!(s.front_matter, "title = \"Één\"\r\n");
        assert_eq!(s.body, "Één €\r\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn missing_or_unclosed_front_matter_is_an_error() {
        assert!(split("a.md", "title = 1\n")
            .unwrap_err()
            .message
            .contains("begint niet"));
        assert!(split("a.md", "+++\ntitle = 1\n")
            .unwrap_err()
            .message
            .contains("niet afgesloten"));
    }

    #[test]
    fn unknown_field_points_at_its_line() {
        let text = "+++\ntitle = \"A\"\ndescription = \"d\"\ntitel = \"B\"\n+++\n";
        let s = split("x.md", text).unwrap();
        let e = parse::<PageMeta>("x.md", &s).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, Some(4), "{e:?}");
        assert_eq!(e[0].message, "onbekend veld `titel`; bedoelt u `title`?");
    }

    #[test]
    fn role_is_one_of_three() {
        let s = split(
            "m.md",
            "+++\ntitle = \"A\"\nrole = \"lid\"\nweight = 1\n+++\n",
        )
        .unwrap();
        let e = parse::<MemberMeta>("m.md", &s).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, Some(3));
        assert_eq!(
            e[0].to_string(),
            "m.md:3: `role` kan niet \"lid\" zijn; bedoelt u \"roulerend lid\"?\n  \
             -> Kies een van: \"voorzitter\", \"secretaris\", \"roulerend lid\"."
        );
    }
}
