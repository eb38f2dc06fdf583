//! Reading the data files: their text, and errors that name file and line.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;

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

    /// Parses one file as TOML into `T`.
    pub fn parse<T: DeserializeOwned>(&self, path: &str) -> Result<T, DataError> {
        let text = self.get(path).ok_or_else(|| DataError {
            file: path.to_string(),
            line: None,
            message: "het bestand ontbreekt".to_string(),
            hint: "Zet het bestand terug; zie README.md voor wat erin hoort.".to_string(),
        })?;
        parse_toml(path, text, 0)
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

/// Parses TOML `text` from `file`, whose first line is line `line_offset + 1`
/// of the file (front matter starts after its `+++` line).
pub fn parse_toml<T: DeserializeOwned>(
    file: &str,
    text: &str,
    line_offset: usize,
) -> Result<T, DataError> {
    toml::from_str(text).map_err(|e| toml_error(file, text, line_offset, &e))
}

/// Turns a TOML error into a [`DataError`] with the line it points at.
pub fn toml_error(file: &str, text: &str, line_offset: usize, e: &toml::de::Error) -> DataError {
    let line = e.span().map(|span| line_of(text, span.start) + line_offset);
    let message = e.message().trim().to_string();
    let hint = if message.starts_with("unknown field") {
        "Verwijder of hernoem dit veld; de toegestane velden staan in de melding en in README.md."
    } else if message.starts_with("missing field") {
        "Voeg dit verplichte veld toe."
    } else {
        "Controleer de TOML-syntaxis: tekst tussen dubbele aanhalingstekens, één `naam = waarde` per regel."
    };
    DataError {
        file: file.to_string(),
        line,
        message,
        hint: hint.to_string(),
    }
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
        assert!(e.message.contains("unknown field `b`"), "{}", e.message);
        assert!(e.to_string().starts_with("x.toml:5: unknown field"));
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
