//! Reading the data files: their text, and errors that name file and line.
//!
//! serde and toml describe a mistake in English ("unknown field `rol`,
//! expected one of `title`, `role`"); an editor reads Dutch. [`toml_error`]
//! is the one place where such an error becomes a [`DataError`]. It reads
//! the shape of serde's messages (the wording of the provided methods of
//! `serde::de::Error`, the same since serde 1.0) and of toml's syntax
//! errors, looks up the field and the value at the error's span, and says
//! the same in Dutch: the nearest valid name, the allowed values, what
//! belongs where a value of the wrong kind stands. A message it does not
//! recognise comes from one of our own types (an amount, say), which speak
//! Dutch already, and is kept as it is.
//!
//! serde stops at the first mistake of a file. [`parse_toml_all`] finds the
//! others: it takes out what was wrong and tries again, so that an editor
//! fixes a file in one round instead of one round per mistake.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

/// The text of the data files, keyed by their path under `content/`
/// (`data/fees.toml`). The caller does the reading, so this crate stays
/// free of I/O: the generator reads the files on disk, the function uses
/// the copies embedded at compile time.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: BTreeMap<String, String>,
}

impl Sources {
    /// Adds (or replaces) the text of the file at `path`.
    pub fn insert(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
    }

    /// The text of the file at `path`.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// Every file's path, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Parses one file as TOML into `T`; the first of its problems (by
    /// line), as [`Sources::parse_all`] finds them.
    pub fn parse<T: DeserializeOwned>(&self, path: &str) -> Result<T, DataError> {
        self.parse_all(path).map_err(first)
    }

    /// Parses one file as TOML into `T`, with every problem of the file.
    pub fn parse_all<T: DeserializeOwned>(&self, path: &str) -> Result<T, Vec<DataError>> {
        let text = self.get(path).ok_or_else(|| {
            vec![DataError {
                file: path.to_string(),
                line: None,
                message: "het bestand ontbreekt".to_string(),
                hint: "Zet het bestand terug; zie README.md voor wat erin hoort.".to_string(),
            }]
        })?;
        parse_toml_all(path, text, 0)
    }
}

/// A mistake in a data file or front matter, for an editor to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DataError {
    /// Path of the file, as the editor knows it.
    pub file: String,
    /// 1-based line, when the mistake has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if !self.hint.is_empty() {
            write!(f, "\n  -> {}", self.hint)?;
        }
        Ok(())
    }
}

/// The first problem by line; a list from [`parse_toml_all`] is never empty.
fn first(mut errors: Vec<DataError>) -> DataError {
    if errors.is_empty() {
        // Unreachable: a failed parse reports at least its first mistake.
        return invalid("", "onbekende fout", "");
    }
    errors.swap_remove(0)
}

/// Parses TOML `text` from `file`, whose first line is line `line_offset + 1`
/// of the file (front matter starts after its `+++` line); the first of its
/// problems.
pub fn parse_toml<T: DeserializeOwned>(
    file: &str,
    text: &str,
    line_offset: usize,
) -> Result<T, DataError> {
    parse_toml_all(file, text, line_offset).map_err(first)
}

/// How many mistakes of one file are looked for; a file with more is
/// better fixed in rounds, and the search must end.
const MOST_PROBLEMS: usize = 50;

/// Parses TOML `text` from `file` (lines as for [`parse_toml`]) and reports
/// every problem, in the order of their lines: serde stops at the first, so
/// the entry it stopped at is taken out and the rest is read again. A
/// required field that was taken out is not reported missing as well. A
/// syntax error ends the search: what follows it cannot be read.
pub fn parse_toml_all<T: DeserializeOwned>(
    file: &str,
    text: &str,
    line_offset: usize,
) -> Result<T, Vec<DataError>> {
    // A correct file, the usual case, is read once.
    let mut error = match toml::from_str::<T>(text) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let Ok(mut root) = DeTable::parse(text) else {
        return Err(vec![toml_error(file, text, line_offset, &error)]);
    };
    let mut errors = Vec::new();
    let mut taken_out: Vec<TakenOut> = Vec::new();
    for _ in 0..MOST_PROBLEMS {
        // A required field is missing because it was taken out, or
        // because it is the misspelt field reported already.
        let consequence = missing_field(error.message()).is_some_and(|name| {
            taken_out.iter().any(|t| {
                Some(&t.table) == error.span().as_ref()
                    && (t.key == name || t.meant.as_deref() == Some(name))
            })
        });
        if !consequence {
            let variants = error
                .span()
                .filter(|_| not_a_variant(error.message()))
                .map(|span| allowed_variants::<T>(&root, &span))
                .unwrap_or_default();
            errors.push(describe(
                file,
                text,
                line_offset,
                &error,
                Some(root.get_ref()),
                &variants,
            ));
        }
        let Some(span) = error.span() else { break };
        let root_span = root.span();
        let Some(mut taken) = edit_table(root.get_mut(), root_span, &span, &Edit::Remove) else {
            break;
        };
        if let Serde::UnknownField { name, allowed } = Serde::read(error.message()) {
            taken.meant = nearest(name, &allowed).map(str::to_string);
        }
        taken_out.push(taken);
        match T::deserialize(toml::de::Deserializer::from(root.clone())) {
            // What is left reads: every problem is known.
            Ok(_) => break,
            Err(e) => error = e,
        }
    }
    errors.sort_by_key(|e| e.line);
    errors.dedup();
    Err(errors)
}

/// An entry taken out of a table: the table's span and the entry's key.
struct TakenOut {
    table: Range<usize>,
    key: String,
    /// For a misspelt field, the field it most likely meant.
    meant: Option<String>,
}

/// What to do with the entry found at a span.
enum Edit<'i> {
    Remove,
    Replace(DeValue<'i>),
}

/// Applies `edit` to the entry whose key or value is at `at`, somewhere in
/// `table` (whose own span is `table_span`).
fn edit_table<'i>(
    table: &mut DeTable<'i>,
    table_span: Range<usize>,
    at: &Range<usize>,
    edit: &Edit<'i>,
) -> Option<TakenOut> {
    // The innermost entry first: a list of tables shares its span with
    // its first table, and a missing field is that table's, not the list's.
    // Every entry is looked at: a table's span is its `[header]` only, so
    // spans do not say where its fields are.
    let inner = table.iter_mut().find_map(|(_, v)| edit_value(v, at, edit));
    if inner.is_some() {
        return inner;
    }
    let key = table
        .iter()
        .find(|(k, v)| k.span() == *at || v.span() == *at)
        .map(|(k, _)| k.get_ref().to_string())?;
    match edit {
        Edit::Remove => {
            table.remove(key.as_str());
        }
        Edit::Replace(new) => {
            if let Some(v) = table.get_mut(key.as_str()) {
                *v.get_mut() = new.clone();
            }
        }
    }
    Some(TakenOut {
        table: table_span,
        key,
        meant: None,
    })
}

/// Applies `edit` inside `value`, a table or an array holding `at`.
fn edit_value<'i>(
    value: &mut Spanned<DeValue<'i>>,
    at: &Range<usize>,
    edit: &Edit<'i>,
) -> Option<TakenOut> {
    let span = value.span();
    match value.get_mut() {
        DeValue::Table(t) => edit_table(t, span, at, edit),
        DeValue::Array(a) => edit_array(a, span, at, edit),
        _ => None,
    }
}

fn edit_array<'i>(
    array: &mut DeArray<'i>,
    array_span: Range<usize>,
    at: &Range<usize>,
    edit: &Edit<'i>,
) -> Option<TakenOut> {
    let inner = array.iter_mut().find_map(|item| edit_value(item, at, edit));
    if inner.is_some() {
        return inner;
    }
    let i = array.iter().position(|item| item.span() == *at)?;
    match edit {
        Edit::Remove => {
            // DeArray can grow but not shrink: build it again without the item.
            let mut rest = DeArray::new();
            for (j, item) in array.iter().enumerate() {
                if j != i {
                    rest.push(item.clone());
                }
            }
            *array = rest;
        }
        Edit::Replace(new) => {
            if let Some(item) = array.get_mut(i) {
                *item.get_mut() = new.clone();
            }
        }
    }
    Some(TakenOut {
        table: array_span,
        key: String::new(),
        meant: None,
    })
}

/// The field whose key or value is at `at` (for an item of a list: the
/// list's field), and the value.
fn entry_at<'t, 'i>(
    table: &'t DeTable<'i>,
    at: &Range<usize>,
) -> Option<(&'t str, &'t Spanned<DeValue<'i>>)> {
    for (k, v) in table.iter() {
        if k.span() == *at || v.span() == *at {
            return Some((k.get_ref().as_ref(), v));
        }
    }
    table.iter().find_map(|(k, v)| match v.get_ref() {
        DeValue::Table(t) => entry_at(t, at),
        DeValue::Array(a) => item_at(k.get_ref().as_ref(), a, at),
        _ => None,
    })
}

fn item_at<'t, 'i>(
    key: &'t str,
    array: &'t DeArray<'i>,
    at: &Range<usize>,
) -> Option<(&'t str, &'t Spanned<DeValue<'i>>)> {
    if let Some(item) = array.iter().find(|item| item.span() == *at) {
        return Some((key, item));
    }
    array.iter().find_map(|item| match item.get_ref() {
        DeValue::Table(t) => entry_at(t, at),
        DeValue::Array(a) => item_at(key, a, at),
        _ => None,
    })
}

/// The values a field of an enum type allows, when it holds a value of
/// another kind (a number, a list): serde's message then names none, so
/// the file is read once more with text at that place, which serde does
/// answer with the list.
fn allowed_variants<T: DeserializeOwned>(
    root: &Spanned<DeTable<'_>>,
    at: &Range<usize>,
) -> Vec<String> {
    let mut probe = root.clone();
    let probe_span = probe.span();
    let text = Edit::Replace(DeValue::String(Cow::Borrowed("")));
    if edit_table(probe.get_mut(), probe_span, at, &text).is_none() {
        return Vec::new();
    }
    match T::deserialize(toml::de::Deserializer::from(probe)) {
        Err(e) if e.span().as_ref() == Some(at) => match Serde::read(e.message()) {
            Serde::UnknownVariant { allowed, .. } => {
                allowed.into_iter().map(str::to_string).collect()
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Turns a TOML error into a [`DataError`] in Dutch, with the line it
/// points at.
pub fn toml_error(file: &str, text: &str, line_offset: usize, e: &toml::de::Error) -> DataError {
    match DeTable::parse(text) {
        Ok(root) => describe(file, text, line_offset, e, Some(root.get_ref()), &[]),
        Err(_) => describe(file, text, line_offset, e, None, &[]),
    }
}

/// A serde message, read back into its parts.
enum Serde<'m> {
    UnknownField {
        name: &'m str,
        allowed: Vec<&'m str>,
    },
    MissingField(&'m str),
    InvalidType {
        expected: &'m str,
    },
    InvalidValue {
        expected: &'m str,
    },
    UnknownVariant {
        value: &'m str,
        allowed: Vec<&'m str>,
    },
    /// An enum met a value that is neither text nor a table.
    NotAVariant,
    DuplicateField(&'m str),
    /// Not serde's words: one of our own types' messages, in Dutch.
    Own(&'m str),
}

/// The names between backticks in `text`: `a`, `b` or `c` -> [a, b, c].
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// `name` from "missing field `name`".
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
}

/// toml's words for an enum given a number, a list or a table.
fn not_a_variant(message: &str) -> bool {
    message == "wanted string or table" || message.starts_with("wanted exactly 1 element")
}

impl<'m> Serde<'m> {
    fn read(message: &'m str) -> Serde<'m> {
        // "unknown field `x`, expected one of `a`, `b`" or ", there are no fields".
        let name_and_list = |rest: &'m str| {
            rest.split_once("`, expected ")
                .map(|(name, list)| (name, backticked(list)))
                .or_else(|| {
                    rest.split_once("`, there are no ")
                        .map(|(name, _)| (name, Vec::new()))
                })
        };
        if let Some((name, allowed)) = message
            .strip_prefix("unknown field `")
            .and_then(name_and_list)
        {
            return Serde::UnknownField { name, allowed };
        }
        if let Some((value, allowed)) = message
            .strip_prefix("unknown variant `")
            .and_then(name_and_list)
        {
            return Serde::UnknownVariant { value, allowed };
        }
        if let Some(name) = missing_field(message) {
            return Serde::MissingField(name);
        }
        if let Some(name) = message
            .strip_prefix("duplicate field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            return Serde::DuplicateField(name);
        }
        if let Some((_, expected)) = message
            .strip_prefix("invalid type: ")
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            return Serde::InvalidType { expected };
        }
        if let Some((_, expected)) = message
            .strip_prefix("invalid value: ")
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            return Serde::InvalidValue { expected };
        }
        if not_a_variant(message) {
            return Serde::NotAVariant;
        }
        Serde::Own(message)
    }
}

/// What a type expects, as serde's visitors name it, in the words of the
/// editors' manual.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Whole,
    NonNegative,
    Number,
    Boolean,
    Date,
    List,
    Table,
    Choice,
    Unknown,
}

impl Kind {
    fn of(expected: &str) -> Kind {
        let expected = expected.trim();
        match expected {
            "a string" | "a borrowed string" | "string" | "a character" | "char" => Kind::Text,
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "an integer" => Kind::Whole,
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => Kind::NonNegative,
            "f32" | "f64" | "a float" => Kind::Number,
            "a boolean" | "bool" => Kind::Boolean,
            "a TOML datetime" | "a datetime" | "a date" => Kind::Date,
            "a sequence" | "a tuple" | "a list" => Kind::List,
            "a map" | "map" => Kind::Table,
            _ if expected.starts_with("struct ") || expected.starts_with("a map") => Kind::Table,
            _ if expected.starts_with("enum ") || expected.contains("variant") => Kind::Choice,
            _ if expected.starts_with("tuple") => Kind::List,
            _ => Kind::Unknown,
        }
    }

    /// "`field` moet ... zijn".
    fn noun(self) -> &'static str {
        match self {
            Kind::Text => "tekst tussen aanhalingstekens",
            Kind::Whole => "een geheel getal",
            Kind::NonNegative => "een geheel getal van 0 of meer",
            Kind::Number => "een getal",
            Kind::Boolean => "true of false",
            Kind::Date => "een datum",
            Kind::List => "een lijst",
            Kind::Table => "een tabel met eigen velden",
            Kind::Choice => "een van de toegestane waarden",
            Kind::Unknown => "een ander soort waarde",
        }
    }
}

/// A value as an editor wrote it: "het getal 3150", "de tekst \"60\"".
fn found(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("de tekst \"{s}\""),
        DeValue::Integer(i) => format!("het getal {}", i.as_str()),
        DeValue::Float(f) => format!("het getal {}", f.as_str()),
        DeValue::Boolean(b) => format!("de waarde {b}"),
        DeValue::Datetime(d) => format!("de datum {d}"),
        DeValue::Array(_) => "een lijst".to_string(),
        DeValue::Table(_) => "een tabel".to_string(),
    }
}

/// What to write instead, with the editor's own value where it fits.
fn fix(kind: Kind, field: &str, value: Option<&DeValue<'_>>, written: &str) -> String {
    let field = if field.is_empty() { "naam" } else { field };
    let digits = |s: &str| {
        !s.is_empty()
            && s.trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit())
    };
    match (kind, value) {
        (
            Kind::Text,
            Some(
                DeValue::Integer(_)
                | DeValue::Float(_)
                | DeValue::Boolean(_)
                | DeValue::Datetime(_),
            ),
        ) => {
            format!("Zet de waarde tussen dubbele aanhalingstekens: {field} = \"{written}\".")
        }
        (Kind::Text, _) => {
            format!("Schrijf tekst tussen dubbele aanhalingstekens, zoals {field} = \"...\".")
        }
        (Kind::Whole | Kind::NonNegative, Some(DeValue::String(s))) if digits(s) => {
            format!("Schrijf het getal zonder aanhalingstekens: {field} = {s}.")
        }
        (Kind::Whole | Kind::NonNegative, Some(DeValue::Float(_))) => {
            format!("Schrijf een geheel getal, zonder punt of komma, zoals {field} = 10.")
        }
        (Kind::Whole | Kind::NonNegative, _) => {
            format!("Schrijf een geheel getal zonder aanhalingstekens, zoals {field} = 10.")
        }
        (Kind::Number, _) => {
            format!("Schrijf een getal zonder aanhalingstekens, met een punt voor de decimalen, zoals {field} = 2.5.")
        }
        (Kind::Boolean, _) => {
            format!("Schrijf true (ja) of false (nee), zonder aanhalingstekens: {field} = true.")
        }
        (Kind::Date, Some(DeValue::String(s))) if !s.is_empty() => {
            format!("Schrijf de datum zonder aanhalingstekens, als jaar-maand-dag: {field} = {s}.")
        }
        (Kind::Date, _) => format!(
            "Schrijf de datum zonder aanhalingstekens, als jaar-maand-dag: {field} = 2026-01-31."
        ),
        (Kind::List, Some(DeValue::Array(_) | DeValue::Table(_)) | None) => {
            format!("Zet de waarden tussen vierkante haken, zoals {field} = [\"a\", \"b\"].")
        }
        (Kind::List, Some(_)) => {
            format!("Zet de waarden tussen vierkante haken: {field} = [{written}].")
        }
        (Kind::Table, _) => format!(
            "Hier hoort een tabel: een kop [{field}] met de velden eronder, of {field} = {{ ... }}."
        ),
        (Kind::Choice | Kind::Unknown, _) => {
            "Zie README.md, het deel \"For editors\", voor wat hier hoort.".to_string()
        }
    }
}

/// The valid name nearest to what was typed, if one is near enough to be
/// a likely slip: a letter or two off (`rol`, `titel`), another case, or
/// part of the name (`lid` for `roulerend lid`).
fn nearest<'a>(typed: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() {
        return None;
    }
    allowed
        .iter()
        .map(|&a| {
            let lower = a.to_lowercase();
            (a, strsim::damerau_levenshtein(&typed, &lower), lower)
        })
        .filter(|(_, distance, lower)| {
            let length = lower.chars().count();
            let close = *distance <= (length / 3).max(1) && *distance < length;
            let part = typed.chars().count() >= 3
                && (lower.contains(typed.as_str()) || typed.contains(lower.as_str()));
            close || part
        })
        .min_by_key(|(_, distance, _)| *distance)
        .map(|(a, _, _)| a)
}

fn list(names: &[&str], quote: &str) -> String {
    names
        .iter()
        .map(|n| format!("{quote}{n}{quote}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const SYNTAX_HINT: &str =
    "Controleer de TOML-syntaxis: tekst tussen dubbele aanhalingstekens, één `naam = waarde` per regel.";

/// A syntax error (the text is no TOML at all), in Dutch.
fn syntax(message: &str, at: Option<&str>) -> (String, String) {
    let (what, expected) = message.split_once(", expected ").unwrap_or((message, ""));
    let (message, hint) = if what.starts_with("invalid basic string")
        || what.starts_with("invalid literal string")
        || what.starts_with("invalid multi-line")
    {
        if expected.contains('"') || expected.contains('\'') {
            (
                "de tekst wordt niet afgesloten met een aanhalingsteken".to_string(),
                "Sluit de tekst af met \" op dezelfde regel; tekst over meer regels staat tussen \"\"\" en \"\"\".".to_string(),
            )
        } else {
            (
                "de tekst tussen aanhalingstekens bevat een teken dat daar niet mag".to_string(),
                "Een tab of ander onzichtbaar teken mag er niet in; schrijf een \\ als \\\\."
                    .to_string(),
            )
        }
    } else if what.starts_with("string values must be quoted") {
        (
            "na `=` staat geen waarde, of tekst zonder aanhalingstekens".to_string(),
            "Zet tekst tussen dubbele aanhalingstekens, zoals title = \"De regeling\"; getallen, true en false staan er zonder.".to_string(),
        )
    } else if what.starts_with("key with no value") || what.starts_with("missing assignment") {
        (
            "na de naam van het veld ontbreekt `=`".to_string(),
            "Schrijf het veld als naam = waarde, zoals title = \"De regeling\".".to_string(),
        )
    } else if what.starts_with("duplicate key") {
        let name = at.unwrap_or_default().trim();
        (
            format!("`{name}` staat twee keer in dezelfde tabel"),
            "Laat er één staan: verwijder of hernoem de andere.".to_string(),
        )
    } else if what.starts_with("unclosed array table") {
        (
            "de kop van de tabel wordt niet afgesloten met `]]`".to_string(),
            "Schrijf de kop als [[naam]] op een eigen regel.".to_string(),
        )
    } else if what.starts_with("unclosed table") {
        (
            "de kop van de tabel wordt niet afgesloten met `]`".to_string(),
            "Schrijf de kop als [naam] op een eigen regel.".to_string(),
        )
    } else if what.starts_with("unclosed array") {
        (
            "de lijst wordt niet afgesloten met `]`".to_string(),
            "Zet de waarden tussen [ en ], gescheiden door komma's.".to_string(),
        )
    } else if what.starts_with("unclosed inline table") {
        (
            "de tabel tussen `{` en `}` wordt niet afgesloten met `}`".to_string(),
            "Zet de velden tussen { en } op één regel, gescheiden door komma's.".to_string(),
        )
    } else if what.starts_with("unexpected key or value") || what.starts_with("unexpected content")
    {
        (
            "na de waarde staat nog iets op dezelfde regel".to_string(),
            "Zet elk veld op een eigen regel; een opmerking begint met #.".to_string(),
        )
    } else if what.starts_with("unquoted keys cannot be empty") || what.starts_with("invalid key") {
        (
            "voor `=` staat geen geldige naam".to_string(),
            "Een naam bestaat uit letters, cijfers, - en _, zoals title.".to_string(),
        )
    } else if what.starts_with("missing escaped value") {
        (
            "na een backslash (\\) staat een teken dat daar niet mag".to_string(),
            "Schrijf een backslash als \\\\, of zet de tekst tussen enkele aanhalingstekens."
                .to_string(),
        )
    } else {
        (
            "dit is geen geldige TOML".to_string(),
            SYNTAX_HINT.to_string(),
        )
    };
    (format!("TOML-syntaxis: {message}"), hint)
}

/// The Dutch [`DataError`] for `e`; `tree` is the file as parsed (none when
/// it does not parse), `variants` the values an enum allows when `e` does
/// not name them.
fn describe(
    file: &str,
    text: &str,
    line_offset: usize,
    e: &toml::de::Error,
    tree: Option<&DeTable<'_>>,
    variants: &[String],
) -> DataError {
    let span = e.span();
    let line = span
        .as_ref()
        .map(|span| line_of(text, span.start) + line_offset);
    let written = span
        .as_ref()
        .and_then(|span| text.get(span.clone()))
        .unwrap_or_default();
    let Some(tree) = tree else {
        let (message, hint) = syntax(e.message().trim(), Some(written));
        return DataError {
            file: file.to_string(),
            line,
            message,
            hint,
        };
    };
    let entry = span.as_ref().and_then(|span| entry_at(tree, span));
    let field = entry.map(|(k, _)| k).unwrap_or_default();
    let value = entry.map(|(_, v)| v.get_ref());
    let named = |what: &str| {
        if field.is_empty() {
            format!("deze waarde {what}")
        } else {
            format!("`{field}` {what}")
        }
    };
    let (message, hint) = match Serde::read(e.message().trim()) {
        Serde::UnknownField { name, allowed } => {
            let message = match nearest(name, &allowed) {
                Some(near) => format!("onbekend veld `{name}`; bedoelt u `{near}`?"),
                None => format!("onbekend veld `{name}`"),
            };
            let hint = if allowed.is_empty() {
                "Hier zijn geen velden toegestaan; verwijder de regel.".to_string()
            } else {
                format!(
                    "Toegestaan zijn hier: {}. Verbeter de naam of verwijder de regel.",
                    list(&allowed, "`")
                )
            };
            (message, hint)
        }
        Serde::MissingField(name) => (
            format!("het verplichte veld `{name}` ontbreekt"),
            format!(
                "Voeg een regel `{name} = ...` toe; README.md, het deel \"For editors\", zegt wat erin hoort."
            ),
        ),
        Serde::UnknownVariant { value: wrong, allowed } => {
            let message = match nearest(wrong, &allowed) {
                Some(near) => named(&format!("kan niet \"{wrong}\" zijn; bedoelt u \"{near}\"?")),
                None => named(&format!("kan niet \"{wrong}\" zijn")),
            };
            (message, format!("Kies een van: {}.", list(&allowed, "\"")))
        }
        Serde::NotAVariant => {
            let what = value.map(found).unwrap_or_else(|| "iets anders".to_string());
            let allowed: Vec<&str> = variants.iter().map(String::as_str).collect();
            let hint = if allowed.is_empty() {
                "Schrijf een van de toegestane waarden tussen dubbele aanhalingstekens; zie README.md, het deel \"For editors\".".to_string()
            } else {
                format!(
                    "Kies een van, tussen dubbele aanhalingstekens: {}.",
                    list(&allowed, "\"")
                )
            };
            (
                named(&format!(
                    "moet een van de toegestane waarden zijn, als tekst, maar hier staat {what}"
                )),
                hint,
            )
        }
        Serde::InvalidType { expected } | Serde::InvalidValue { expected } => {
            let kind = Kind::of(expected);
            let what = value.map(found).unwrap_or_else(|| "iets anders".to_string());
            let message = if kind == Kind::Unknown {
                named(&format!("kan hier niet {what} zijn"))
            } else {
                named(&format!("moet {} zijn, maar hier staat {what}", kind.noun()))
            };
            (message, fix(kind, field, value, written))
        }
        Serde::DuplicateField(name) => (
            format!("het veld `{name}` staat twee keer in deze tabel"),
            "Laat er één staan: verwijder of hernoem de andere.".to_string(),
        ),
        // serde's and toml's rarer words (a list of the wrong length, say):
        // no English for an editor, but where and what to read.
        Serde::Own(message) if is_english(message) => (
            named("heeft hier een waarde die niet past"),
            "Zie README.md, het deel \"For editors\", voor wat hier hoort.".to_string(),
        ),
        Serde::Own(message) if field.is_empty() => (message.to_string(), String::new()),
        Serde::Own(message) => (format!("`{field}`: {message}"), String::new()),
    };
    DataError {
        file: file.to_string(),
        line,
        message,
        hint,
    }
}

/// Whether `message` is serde's or toml's English rather than one of our
/// own types' Dutch: those start with none of these words.
fn is_english(message: &str) -> bool {
    [
        "invalid ",
        "unknown ",
        "missing ",
        "wanted ",
        "expected ",
        "duplicate ",
        "unexpected ",
        "unsupported ",
    ]
    .iter()
    .any(|word| message.starts_with(word))
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A [`DataError`] for a value that parsed but breaks a rule.
pub fn invalid(file: &str, message: impl Into<String>, hint: impl Into<String>) -> DataError {
    DataError {
        file: file.to_string(),
        line: None,
        message: message.into(),
        hint: hint.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "read only through Debug: the test is about parsing"
    )]
    struct T {
        a: u32,
    }

    #[test]
    fn unknown_field_names_its_line() {
        let e = parse_toml::<T>("x.toml", "a = 1\nb = 2\n", 3).unwrap_err();
        assert_eq!(e.line, Some(5));
        assert_eq!(e.message, "onbekend veld `b`");
        assert!(e.to_string().starts_with("x.toml:5: onbekend veld"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "read only through Debug: the test is about parsing"
    )]
    struct Member {
        title: String,
        role: Role,
        weight: i64,
        #[serde(default)]
        draft: bool,
        date: Option<toml::value::Datetime>,
    }

    #[derive(Debug, serde::Deserialize)]
    enum Role {
        #[serde(rename = "voorzitter")]
        Chair,
        #[serde(rename = "secretaris")]
        Secretary,
        #[serde(rename = "roulerend lid")]
        RotatingMember,
    }

    fn member(text: &str) -> DataError {
        parse_toml::<Member>("lid.md", text, 1).unwrap_err()
    }

    /// What an editor reads has no English in it: none of serde's or
    /// toml's words (the names of fields, between backticks, aside).
    fn assert_dutch(e: &DataError) {
        let text: String = e.to_string().split('`').step_by(2).collect();
        for english in [
            "unknown", "missing", "invalid", "expected", "field", "variant", "type:", "string",
            "integer", "wanted", "key", "unclosed", "value",
        ] {
            assert!(!text.contains(english), "{english:?} in: {text}");
        }
    }

    #[test]
    fn an_unknown_field_is_named_in_dutch_with_the_nearest_valid_one() {
        let e = member("title = \"A\"\nrol = \"voorzitter\"\nweight = 1\n");
        assert_eq!(e.line, Some(3), "{e}");
        assert_eq!(e.message, "onbekend veld `rol`; bedoelt u `role`?");
        assert!(
            e.hint
                .contains("`title`, `role`, `weight`, `draft`, `date`"),
            "lists the fields allowed: {e}"
        );
        assert_dutch(&e);
        // Nothing near: no guess, still the list.
        let e = member("title = \"A\"\nrole = \"voorzitter\"\nweight = 1\nbeschrijving = \"x\"\n");
        assert_eq!(e.message, "onbekend veld `beschrijving`");
        assert!(e.hint.contains("`title`"), "{e}");
        assert_dutch(&e);
    }

    #[test]
    fn a_missing_field_is_named_in_dutch() {
        let e = member("title = \"A\"\nrole = \"voorzitter\"\n");
        assert_eq!(e.message, "het verplichte veld `weight` ontbreekt");
        assert!(e.hint.contains("weight = "), "{e}");
        assert_eq!(e.line, Some(2));
        assert_dutch(&e);
    }

    #[test]
    fn a_value_of_the_wrong_kind_says_what_belongs_there() {
        let e = member("title = 3150\nrole = \"voorzitter\"\nweight = 1\n");
        assert_eq!(e.line, Some(2), "{e}");
        assert_eq!(
            e.message,
            "`title` moet tekst tussen aanhalingstekens zijn, maar hier staat het getal 3150"
        );
        assert!(e.hint.contains("title = \"3150\""), "{e}");
        assert_dutch(&e);

        let e = member("title = \"A\"\nrole = \"voorzitter\"\nweight = \"60\"\n");
        assert_eq!(e.line, Some(4), "{e}");
        assert_eq!(
            e.message,
            "`weight` moet een geheel getal zijn, maar hier staat de tekst \"60\""
        );
        assert!(e.hint.contains("weight = 60"), "{e}");
        assert_dutch(&e);

        let e = member("title = \"A\"\nrole = \"voorzitter\"\nweight = 1\ndraft = \"ja\"\n");
        assert!(
            e.message.starts_with("`draft` moet true of false zijn"),
            "{e}"
        );
        assert_dutch(&e);
        let e = member("title = \"A\"\nrole = \"voorzitter\"\nweight = 1\ndate = \"2026-01-31\"\n");
        assert!(e.message.starts_with("`date` moet een datum zijn"), "{e}");
        assert!(e.hint.contains("date = 2026-01-31"), "{e}");
        assert_dutch(&e);
    }

    #[test]
    fn a_value_that_is_not_allowed_lists_the_allowed_ones() {
        let e = member("title = \"A\"\nrole = \"lid\"\nweight = 1\n");
        assert_eq!(e.line, Some(3), "{e}");
        assert_eq!(
            e.message,
            "`role` kan niet \"lid\" zijn; bedoelt u \"roulerend lid\"?"
        );
        assert_eq!(
            e.hint,
            "Kies een van: \"voorzitter\", \"secretaris\", \"roulerend lid\"."
        );
        assert_dutch(&e);
    }

    #[test]
    fn toml_syntax_is_explained_in_dutch() {
        for (text, line, says) in [
            ("title = \"A\nweight = 1\n", 2, "niet afgesloten"),
            ("title = A\n", 2, "aanhalingstekens"),
            ("title \"A\"\n", 2, "`=`"),
            (
                "title = \"A\"\ntitle = \"B\"\n",
                3,
                "`title` staat twee keer",
            ),
            ("title = \"A\" weight = 1\n", 2, "op dezelfde regel"),
        ] {
            let e = member(text);
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.message.starts_with("TOML-syntaxis: "), "{e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
            assert_dutch(&e);
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "read only through Debug: the test is about parsing"
    )]
    struct Fees {
        vat_percent: u32,
        tariffs: Vec<Tariff>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "read only through Debug: the test is about parsing"
    )]
    struct Tariff {
        key: String,
        label: String,
        excl_vat: String,
    }

    #[test]
    fn every_problem_of_a_file_is_found_in_lists_of_tables_too() {
        let text =
            "vat_percent = -21\n\n[[tariffs]]\nkey = \"a\"\nlable = \"A\"\nexcl_vat = \"1.00\"\n\n\
                    [[tariffs]]\nkey = \"b\"\nlabel = \"B\"\nexcl_vat = 2\nprijs = 3\n";
        let e = parse_toml_all::<Fees>("data/fees.toml", text, 0).unwrap_err();
        let shown: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "data/fees.toml:1: `vat_percent` moet een geheel getal van 0 of meer zijn, maar hier staat het getal -21\n  \
                 -> Schrijf een geheel getal zonder aanhalingstekens, zoals vat_percent = 10.",
                "data/fees.toml:5: onbekend veld `lable`; bedoelt u `label`?\n  \
                 -> Toegestaan zijn hier: `key`, `label`, `excl_vat`. Verbeter de naam of verwijder de regel.",
                "data/fees.toml:11: `excl_vat` moet tekst tussen aanhalingstekens zijn, maar hier staat het getal 2\n  \
                 -> Zet de waarde tussen dubbele aanhalingstekens: excl_vat = \"2\".",
                "data/fees.toml:12: onbekend veld `prijs`\n  \
                 -> Toegestaan zijn hier: `key`, `label`, `excl_vat`. Verbeter de naam of verwijder de regel.",
            ]
        );
        for e in &e {
            assert_dutch(e);
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(
        dead_code,
        reason = "read only through Debug: the test is about parsing"
    )]
    struct Pair {
        pair: (u32, u32),
    }

    #[test]
    fn a_rarer_mistake_is_dutch_too() {
        let e = parse_toml::<Pair>("p.toml", "pair = [1]\n", 0).unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert_eq!(e.message, "`pair` heeft hier een waarde die niet past");
        assert_dutch(&e);
    }

    #[test]
    fn missing_file_is_reported() {
        let e = Sources::default().parse::<T>("data/x.toml").unwrap_err();
        assert_eq!(e.file, "data/x.toml");
        assert!(e.message.contains("ontbreekt"));
    }

    #[test]
    fn line_of_counts_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
