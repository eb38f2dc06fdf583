//! Values that still need the CBT's confirmation.
//!
//! The seed text (the CBT's own words) gives the fees, the periods of the
//! procedure and the members; it does not give the CBT's address, KvK
//! number, btw-id or IBAN, the invoice's payment term, the longest term an
//! applicant may ask for, the retention periods, and more. Those values are
//! in `content/data/` all the same, so that the site, the forms and the
//! invoice work, but none of them may go live unconfirmed. An editor marks
//! such a value with a comment behind it on the same line:
//!
//! ```toml
//! payment_term_days = 30 # te bevestigen: de betalingstermijn van de factuur
//! ```
//!
//! The text after the colon says, in Dutch, what the CBT must confirm; the
//! site's notice and the production check show it. Confirming is deleting
//! the comment (after changing the value, if the CBT wants another one).
//!
//! [`find`] reads the marks of one file with the spans of the TOML parser,
//! so a mark belongs to the value that ends on its line and knows that
//! value's key; a mark on a line without a value is a mistake, reported
//! with its line, since it would otherwise guard nothing.

use std::ops::Range;

use serde::Serialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::sources::{line_of, DataError};

/// The words that start a mark, after the `#`.
pub const MARK: &str = "te bevestigen";

/// A value that the CBT has not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unconfirmed {
    /// The data file, under `content/` (`data/supplier.toml`).
    pub file: String,
    /// The line of the value, from 1.
    pub line: usize,
    /// Where the value is in the file, as a path of keys: `kvk`,
    /// `groups[aanvraag].fields[klanttermijn_jaren].max`.
    pub key: String,
    /// The value as written (`"12345678"`, `30`).
    pub value: String,
    /// The value as a reader sees it: a text without its quotes.
    pub shown: String,
    /// What the CBT must confirm, in Dutch: the text after the mark.
    pub note: String,
}

impl Unconfirmed {
    /// The mark as a problem of a production build: the value may not go
    /// live before the CBT confirms it.
    pub fn problem(&self) -> DataError {
        DataError {
            file: self.file.clone(),
            line: Some(self.line),
            message: format!(
                "nog niet bevestigd door de CBT: {} ({} = {})",
                self.note, self.key, self.value
            ),
            hint: format!(
                "Laat de CBT de waarde bevestigen, pas haar zo nodig aan, en haal dan `# {MARK}: ...` achter de waarde weg."
            ),
        }
    }

    /// Whether this mark is on `key` of `file`, or on a key under it
    /// (`key` empty: anywhere in the file).
    pub fn concerns(&self, file: &str, key: &str) -> bool {
        self.file == file
            && (key.is_empty()
                || self.key == key
                || self
                    .key
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('[')))
    }
}

/// A value and where it is: its path of keys and the span of its text.
struct Leaf {
    key: String,
    span: Range<usize>,
}

/// The marks of one data file (`file`, with `text`), in the order of their
/// lines; a mark that belongs to no value is an error. A file that is not
/// valid TOML has no marks: its syntax error is reported where it is read.
pub fn find(file: &str, text: &str) -> Result<Vec<Unconfirmed>, Vec<DataError>> {
    let Ok(root) = DeTable::parse(text) else {
        return Ok(Vec::new());
    };
    let mut leaves = Vec::new();
    walk_table(root.get_ref(), "", &mut leaves);
    let mut marks = Vec::new();
    let mut claimed = std::collections::BTreeSet::new();
    let mut errors = Vec::new();
    for leaf in leaves {
        let end = leaf.span.end.min(text.len());
        let rest = text.get(end..).unwrap_or_default();
        let rest = rest.split('\n').next().unwrap_or_default();
        let Some(note) = mark_in(rest) else {
            continue;
        };
        let line = line_of(text, end.saturating_sub(1));
        claimed.insert(line);
        if note.is_empty() {
            errors.push(DataError {
                file: file.to_string(),
                line: Some(line),
                message: format!("`# {MARK}` zegt niet wat de CBT moet bevestigen"),
                hint: format!("Schrijf erachter wat het is, zoals `# {MARK}: de betalingstermijn van de factuur`."),
            });
            continue;
        }
        let value = text
            .get(leaf.span.clone())
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let shown = shorten(
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(&value),
        );
        let value = shorten(&value);
        marks.push(Unconfirmed {
            file: file.to_string(),
            line,
            key: leaf.key,
            shown,
            value,
            note: note.to_string(),
        });
    }
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if !claimed.contains(&number) && mark_in(line).is_some() {
            errors.push(DataError {
                file: file.to_string(),
                line: Some(number),
                message: format!("`# {MARK}` staat niet achter een waarde"),
                hint: format!(
                    "Zet de markering op de regel van de waarde zelf, achter de waarde: `sleutel = waarde # {MARK}: wat de CBT moet bevestigen`."
                ),
            });
        }
    }
    if errors.is_empty() {
        marks.sort_by_key(|m| m.line);
        Ok(marks)
    } else {
        Err(errors)
    }
}

/// The note of a mark in `rest`, the text of a line after a value (or a
/// whole line): `Some("")` for a mark without one.
fn mark_in(rest: &str) -> Option<&str> {
    let comment = rest.split_once('#')?;
    // Only a comment: text before the `#` belongs to a value, and a `#`
    // inside a string is no comment (the value's span ends after it).
    let before = comment.0.trim();
    if !(before.is_empty() || before == "," || before == "]" || before == "],") {
        return None;
    }
    let words = comment.1.trim_start();
    let after = words
        .get(..MARK.len())
        .filter(|w| w.eq_ignore_ascii_case(MARK))
        .and_then(|_| words.get(MARK.len()..))?;
    let note = after.trim_start();
    let note = note.strip_prefix(':').unwrap_or(note);
    Some(note.trim())
}

fn shorten(value: &str) -> String {
    const MOST: usize = 80;
    if value.chars().count() <= MOST {
        value.to_string()
    } else {
        let cut: String = value.chars().take(MOST - 1).collect();
        format!("{cut}…")
    }
}

fn walk_table(table: &DeTable<'_>, prefix: &str, leaves: &mut Vec<Leaf>) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        walk_value(value, path, leaves);
    }
}

fn walk_value(value: &Spanned<DeValue<'_>>, path: String, leaves: &mut Vec<Leaf>) {
    match value.get_ref() {
        DeValue::Table(t) => walk_table(t, &path, leaves),
        DeValue::Array(items)
            if items
                .iter()
                .any(|i| matches!(i.get_ref(), DeValue::Table(_))) =>
        {
            for (i, item) in items.iter().enumerate() {
                let name = match item.get_ref() {
                    DeValue::Table(t) => ["name", "key", "id"]
                        .iter()
                        .find_map(|k| match t.get(*k).map(Spanned::get_ref) {
                            Some(DeValue::String(s)) => Some(s.to_string()),
                            _ => None,
                        })
                        .unwrap_or_else(|| (i + 1).to_string()),
                    _ => (i + 1).to_string(),
                };
                walk_value(item, format!("{path}[{name}]"), leaves);
            }
        }
        _ => leaves.push(Leaf {
            key: path,
            span: value.span(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_names_its_value_line_and_note() {
        let text = "# Een bestand.\nname = \"CBT\"\nkvk = \"12345678\" # te bevestigen: het KvK-nummer van de CBT\n\n[section]\ndays = 30  #Te Bevestigen:  de termijn \n";
        let marks = find("data/x.toml", text).expect("marks");
        assert_eq!(
            marks,
            vec![
                Unconfirmed {
                    file: "data/x.toml".into(),
                    line: 3,
                    key: "kvk".into(),
                    value: "\"12345678\"".into(),
                    shown: "12345678".into(),
                    note: "het KvK-nummer van de CBT".into(),
                },
                Unconfirmed {
                    file: "data/x.toml".into(),
                    line: 6,
                    key: "section.days".into(),
                    value: "30".into(),
                    shown: "30".into(),
                    note: "de termijn".into(),
                },
            ]
        );
        assert_eq!(
            marks[0].problem().to_string().lines().next(),
            Some("data/x.toml:3: nog niet bevestigd door de CBT: het KvK-nummer van de CBT (kvk = \"12345678\")")
        );
    }

    #[test]
    fn items_of_a_list_are_named_by_their_name() {
        let text = "[[groups]]\nid = \"g\"\n[[groups.fields]]\nname = \"jaren\"\nmax = 10 # te bevestigen: de langste termijn\n[[groups.fields]]\nlabel = \"x\" # te bevestigen: een label\n";
        let marks = find("f.toml", text).expect("marks");
        let keys: Vec<&str> = marks.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            ["groups[g].fields[jaren].max", "groups[g].fields[2].label"]
        );
        assert!(marks[0].concerns("f.toml", "groups[g].fields[jaren]"));
        assert!(marks[0].concerns("f.toml", ""));
        assert!(!marks[0].concerns("f.toml", "groups[g].fields[jar]"));
        assert!(!marks[0].concerns("g.toml", ""));
    }

    #[test]
    fn a_hash_inside_a_string_is_no_mark() {
        let text = "a = \"kamer # te bevestigen: nee\"\nb = [\"x\", # te bevestigen: nee\n\"y\"] # te bevestigen: de lijst\n";
        let marks = find("f.toml", text).expect("marks");
        assert_eq!(marks.len(), 1, "{marks:?}");
        assert_eq!((marks[0].key.as_str(), marks[0].line), ("b", 3));
    }

    #[test]
    fn a_mark_without_a_value_or_a_note_is_a_mistake() {
        let errors = find(
            "f.toml",
            "# te bevestigen: alles hieronder\na = 1\nb = 2 # te bevestigen\n",
        )
        .expect_err("two mistakes");
        let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(3), Some(1)]);
        assert!(errors[0].message.contains("zegt niet wat"), "{}", errors[0]);
        assert!(
            errors[1].message.contains("niet achter een waarde"),
            "{}",
            errors[1]
        );
        // A comment that only mentions the words is no mark.
        assert_eq!(
            find("f.toml", "# Waarden met te bevestigen erachter.\na = 1\n"),
            Ok(vec![])
        );
    }

    #[test]
    fn a_file_that_does_not_read_has_no_marks() {
        assert_eq!(find("f.toml", "a = = 1 # te bevestigen: x\n"), Ok(vec![]));
    }
}
