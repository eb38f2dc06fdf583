//! Checking a posted form against its definition ([`crate::forms`]).
//!
//! Forgiving in what it accepts, strict in what it keeps: every value that
//! passes comes out normalised (`1234 AB`, `+31201234567`), every value that
//! does not gets an error per field, with a code for programs and the
//! field's Dutch message for people. The values entered are always handed
//! back, so a form shown again loses nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::countries::{self, Country};
use crate::formats::{self, DocumentKind, FormatError};
use crate::forms::{Field, FieldType, FormDef};

/// A form as posted, before any check.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    /// Text fields in the order posted; a name may repeat.
    pub fields: Vec<(String, String)>,
    /// Uploaded files.
    pub files: Vec<PostedFile>,
}

/// An uploaded file as posted.
#[derive(Debug, Clone)]
pub struct PostedFile {
    /// The form field it was posted in.
    pub field: String,
    /// The name the browser sent: shown, never trusted.
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Posted {
    /// The first value posted for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value posted for `name`, in order (boxes ticked in a group).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A document that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// The form field it was posted in.
    pub field: String,
    /// A safe file name, with the extension of what the bytes are.
    pub filename: String,
    /// The name as the applicant's computer gave it, to show them which
    /// file is kept (escaped where shown; never a path or a header).
    pub shown_name: String,
    /// What its bytes are.
    pub kind: DocumentKind,
    #[serde(skip)]
    /// Its bytes (not kept in JSON).
    pub bytes: Vec<u8>,
    /// Its size in bytes.
    pub size: usize,
}

/// A form that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submission {
    /// The form's id.
    pub form: String,
    /// Normalised values by field name; optional fields left empty are absent.
    pub values: BTreeMap<String, String>,
    /// The documents uploaded, in the order of the form's file fields
    /// (the balancing test first), each field's in the order posted.
    pub documents: Vec<Document>,
}

impl Submission {
    /// The value of field `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

/// One field's problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field.
    pub field: String,
    /// For programs: `required`, `invalid`, `one_line`, `too_long`,
    /// `too_small`, `too_large`, `too_large_total`, `wrong_type`,
    /// `other_country`.
    pub code: &'static str,
    /// For people, in Dutch.
    pub message: String,
}

/// A form that did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// In the order of the form.
    pub errors: Vec<FieldError>,
    /// What was entered (cleaned), to show the form again with it.
    pub entered: BTreeMap<String, String>,
    /// The uploads that passed their own checks, kept so that the
    /// applicant need not choose them again.
    pub documents: Vec<Document>,
}

/// What a check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Every check passed.
    Valid(Submission),
    /// The honeypot was filled: a bot. Answer as if all went well; keep
    /// and send nothing.
    Bot,
}

/// The country of each group's address, by the group's id: the value of
/// its country field (a code), or, for a group without one, the form's
/// first country field's. No country field at all: the Netherlands.
fn countries_by_group(
    def: &FormDef,
    posted: &Posted,
) -> BTreeMap<String, Option<&'static Country>> {
    let chosen = |f: &Field| {
        countries::parse(
            &posted
                .get(&f.name)
                .map(formats::clean_text)
                .unwrap_or_default(),
        )
    };
    let first = def
        .fields()
        .find(|f| f.kind == FieldType::Country)
        .map_or_else(|| countries::by_code(countries::NETHERLANDS), chosen);
    def.groups
        .iter()
        .map(|g| {
            let own = g.fields.iter().find(|f| f.kind == FieldType::Country);
            (g.id.clone(), own.map_or(first, chosen))
        })
        .collect()
}

/// Checks `posted` against `def`.
pub fn check(def: &FormDef, posted: &Posted) -> Result<Checked, Rejected> {
    let mut errors = Vec::new();
    let mut values = BTreeMap::new();
    let mut entered = BTreeMap::new();
    let mut documents: Vec<Document> = Vec::new();

    if def.fields().any(|f| {
        f.kind == FieldType::Honeypot && posted.get(&f.name).is_some_and(|v| !v.trim().is_empty())
    }) {
        return Ok(Checked::Bot);
    }
    let countries = countries_by_group(def, posted);

    for group in &def.groups {
        let country = countries.get(&group.id).copied().flatten();
        for field in &group.fields {
            if field.kind == FieldType::Honeypot {
                continue;
            }
            if field.kind == FieldType::File {
                match check_files(field, posted) {
                    Ok(found) if found.is_empty() => {
                        if required(field, &values, posted) {
                            errors.push(error(field, "required"));
                        }
                    }
                    Ok(found) => {
                        let names: Vec<&str> = found.iter().map(|d| d.filename.as_str()).collect();
                        entered.insert(field.name.clone(), names.join(", "));
                        documents.extend(found);
                        let total: usize = documents.iter().map(|d| d.size).sum();
                        if field.max_total_bytes.is_some_and(|max| total as u64 > max) {
                            errors.push(error(field, "too_large_total"));
                        }
                    }
                    Err(code) => errors.push(error(field, code)),
                }
                continue;
            }
            if field.kind == FieldType::Checkboxes {
                let chosen: Vec<String> = posted
                    .all(&field.name)
                    .map(formats::clean_text)
                    .filter(|v| !v.is_empty())
                    .collect();
                if !chosen.is_empty() {
                    entered.insert(field.name.clone(), chosen.join(","));
                }
                if chosen.is_empty() {
                    if required(field, &values, posted) {
                        errors.push(error(field, "required"));
                    }
                } else if chosen
                    .iter()
                    .all(|v| field.options.iter().any(|o| &o.value == v))
                {
                    // In the order of the options, each once.
                    let ordered: Vec<&str> = field
                        .options
                        .iter()
                        .filter(|o| chosen.contains(&o.value))
                        .map(|o| o.value.as_str())
                        .collect();
                    values.insert(field.name.clone(), ordered.join(","));
                } else {
                    errors.push(error(field, "invalid"));
                }
                continue;
            }
            let raw = posted.get(&field.name).unwrap_or("");
            let cleaned = formats::clean_text(raw);
            if !cleaned.is_empty() {
                entered.insert(field.name.clone(), echoed(field, &cleaned));
            }
            if cleaned.is_empty() {
                if required(field, &values, posted) {
                    errors.push(error(field, "required"));
                }
                continue;
            }
            match check_value(field, &cleaned, country) {
                Ok(v) => {
                    values.insert(field.name.clone(), v);
                }
                Err(code) => errors.push(error(field, code)),
            }
        }
    }

    if errors.is_empty() {
        Ok(Checked::Valid(Submission {
            form: def.id.clone(),
            values,
            documents,
        }))
    } else {
        Err(Rejected {
            errors,
            entered,
            documents,
        })
    }
}

/// Whether `field` must have a value, given the values checked so far.
fn required(field: &Field, values: &BTreeMap<String, String>, posted: &Posted) -> bool {
    let other = |name: &str| {
        values
            .get(name)
            .map(String::as_str)
            .or_else(|| posted.get(name))
            .map(str::trim)
    };
    match (&field.required_if, &field.required_unless) {
        (Some((name, wanted)), _) => other(name).is_some_and(|v| v == wanted),
        (None, Some((name, wanted))) => other(name).is_none_or(|v| v != wanted),
        (None, None) => field.required,
    }
}

/// The most characters of a value handed back when no `max_length` says
/// it: more than any real answer of that kind.
fn echo_limit(field: &Field) -> usize {
    match (field.max_length, field.kind) {
        (Some(max), _) => max as usize,
        (None, FieldType::Email) => 320,
        (None, FieldType::Textarea) => 10_000,
        (None, FieldType::Text) => 1_000,
        (None, _) => 100,
    }
}

/// What is handed back of an entered value: at most the field's length.
/// A form shown again must not answer a 4 MB post of `"` with 26 MB of
/// `&quot;` (past Lambda's 6 MB response limit: an error on demand); what
/// is cut off was too long anyway, and the error says so.
fn echoed(field: &Field, value: &str) -> String {
    value.chars().take(echo_limit(field)).collect()
}

fn too_long(field: &Field, value: &str) -> bool {
    field
        .max_length
        .is_some_and(|max| value.chars().count() > max as usize)
}

/// The number without the unit printed beside its field: people type
/// "5 jaar" when the form says "jaar" after the box.
fn without_unit<'a>(value: &'a str, unit: Option<&str>) -> &'a str {
    let t = value.trim();
    let Some(unit) = unit.map(str::trim).filter(|u| !u.is_empty()) else {
        return t;
    };
    let cut = t.len().saturating_sub(unit.len());
    match (t.get(..cut), t.get(cut..)) {
        (Some(number), Some(end)) if end.eq_ignore_ascii_case(unit) => number.trim_end(),
        _ => t,
    }
}

fn format_code(e: FormatError) -> &'static str {
    e.code()
}

/// A btw-id for an address in `country`: Dutch for the Netherlands, the
/// country's own for another member state (typed without its prefix, it
/// gets it); an address outside the EU has none the invoice could use.
fn check_vat_id(value: &str, country: Option<&Country>) -> Result<String, &'static str> {
    // An unknown country has its own error; the id is checked as any.
    let Some(country) = country else {
        return formats::normalize_vat_id(value).map_err(format_code);
    };
    if !country.eu {
        return Err("other_country");
    }
    let prefix = formats::vat_prefix(country.code);
    let id = formats::normalize_vat_id_in(value, prefix).map_err(format_code)?;
    if id.starts_with(prefix) {
        Ok(id)
    } else {
        Err("other_country")
    }
}

/// The normalised value of a non-empty text field, or an error code;
/// `country` is that of the field's group (an address's own).
fn check_value(
    field: &Field,
    value: &str,
    country: Option<&Country>,
) -> Result<String, &'static str> {
    let dutch_address = country.is_none_or(|c| c.code == countries::NETHERLANDS);
    let v = match field.kind {
        FieldType::Text => {
            let v = formats::one_line(value).map_err(format_code)?;
            // A one-line answer may become a header (a name as the display
            // name of an address, a subject): an RFC 2047 encoded word in
            // it would be decoded by mail programs into whatever it hides,
            // line breaks and direction overrides included.
            if formats::has_encoded_word(&v) {
                return Err(ENCODED_WORD);
            }
            v
        }
        FieldType::Country => countries::parse(value)
            .map(|c| c.code.to_string())
            .ok_or("invalid")?,
        FieldType::Textarea => value.to_string(),
        FieldType::Email => formats::normalize_email(value).map_err(format_code)?,
        FieldType::Tel => formats::normalize_phone(value).map_err(format_code)?,
        FieldType::Kvk => formats::normalize_kvk(value).map_err(format_code)?,
        FieldType::VatId => check_vat_id(value, country)?,
        FieldType::Reference => formats::normalize_reference(value).map_err(format_code)?,
        FieldType::Postcode if dutch_address => {
            formats::normalize_postcode_nl(value).map_err(format_code)?
        }
        FieldType::Postcode => formats::one_line(value).map_err(format_code)?,
        FieldType::Number => {
            let n = formats::parse_whole_number(without_unit(value, field.suffix.as_deref()))
                .map_err(format_code)?;
            if field.min.is_some_and(|min| n < min) {
                return Err("too_small");
            }
            if field.max.is_some_and(|max| n > max) {
                return Err("too_large");
            }
            n.to_string()
        }
        FieldType::Radio => {
            let v = value.trim();
            if !field.options.iter().any(|o| o.value == v) {
                return Err("invalid");
            }
            v.to_string()
        }
        // Browsers send "on" for a box without a value; ours sends "ja".
        FieldType::Checkbox => {
            if !matches!(value.trim(), "ja" | "on") {
                return Err("invalid");
            }
            "ja".to_string()
        }
        FieldType::Checkboxes | FieldType::File | FieldType::Honeypot => return Err("invalid"),
    };
    if too_long(field, &v) {
        return Err("too_long");
    }
    Ok(v)
}

/// The document posted as `posted_as`, checked by the rules of `field`
/// (the kinds it accepts, its largest size): `Ok(None)` when none was
/// chosen, else the document or the field's error.
pub fn check_upload(
    field: &Field,
    posted_as: &str,
    posted: &Posted,
) -> Result<Option<Document>, FieldError> {
    let renamed = Posted {
        fields: Vec::new(),
        files: posted
            .files
            .iter()
            .filter(|f| f.field == posted_as)
            .map(|f| PostedFile {
                field: field.name.clone(),
                ..f.clone()
            })
            .collect(),
    };
    check_files(field, &renamed)
        .map(|found| found.into_iter().next())
        .map_err(|code| error(field, code))
}

/// The uploaded documents of `field`: none when none was chosen, one for
/// a field that takes one (the first posted), each posted for a field
/// that takes several; or the field's error for the first that fails.
fn check_files(field: &Field, posted: &Posted) -> Result<Vec<Document>, &'static str> {
    // A browser posts an empty part when no file was chosen.
    let chosen = posted
        .files
        .iter()
        .filter(|f| f.field == field.name && !(f.bytes.is_empty() && f.filename.is_empty()))
        .take(if field.multiple { usize::MAX } else { 1 });
    chosen.map(|file| check_file(field, file)).collect()
}

/// One uploaded file, checked by the rules of `field`.
fn check_file(field: &Field, file: &PostedFile) -> Result<Document, &'static str> {
    if field
        .max_bytes
        .is_some_and(|max| file.bytes.len() as u64 > max)
    {
        return Err("too_large");
    }
    let kind = formats::sniff_document(&file.bytes).ok_or("wrong_type")?;
    if !field.accept.iter().any(|ext| ext == kind.extension()) {
        return Err("wrong_type");
    }
    if formats::has_macros(&file.bytes) {
        return Err(MACROS);
    }
    Ok(Document {
        field: field.name.clone(),
        filename: safe_filename(&file.filename, kind),
        shown_name: shown_filename(&file.filename, kind),
        kind,
        size: file.bytes.len(),
        bytes: file.bytes.clone(),
    })
}

/// The browser's name for a file, as its owner knows it: without a path,
/// control or direction characters, and at most 100 characters; the safe
/// name when nothing is left.
pub fn shown_filename(name: &str, kind: DocumentKind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let shown: String = formats::clean_text(base)
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .take(100)
        .collect();
    match shown.trim() {
        "" => safe_filename(name, kind),
        t => t.to_string(),
    }
}

/// A name that is safe in a mail header, a path and a page: the browser's
/// name reduced to letters, digits, `-` and `_`, with the extension of what
/// the bytes really are.
pub fn safe_filename(name: &str, kind: DocumentKind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let trimmed = clean.trim_matches('_').to_string();
    clean = if trimmed.is_empty() {
        "balanstest".to_string()
    } else {
        trimmed
    };
    format!("{clean}.{}", kind.extension())
}

/// The code of a one-line answer holding `=?`, the start of an encoded
/// word. Not among [`Field::codes`]: the form definitions need not name a
/// message for it, the sentence below says it for every field (a
/// definition's own `messages.encoded_word` goes first).
pub const ENCODED_WORD: &str = "encoded_word";

/// The code of a document with macros (a `.docm` saved as `.docx`): not
/// among [`Field::codes`] either, with its own sentence below.
pub const MACROS: &str = "macros";

/// The field's message for `code`. Every code a field can give has a
/// message in its definition (the data check requires it: `Field::codes`);
/// the plain sentence is for a definition made in code without one.
fn error(field: &Field, code: &'static str) -> FieldError {
    let message = field
        .messages
        .get(code)
        .cloned()
        .unwrap_or_else(|| match code {
            ENCODED_WORD => format!(
                "“{}” mag de tekencombinatie “=?” niet bevatten",
                field.label
            ),
            MACROS => "Het bestand bevat macro’s. Sla het op zonder macro’s, als PDF, DOCX of ODT, en kies het opnieuw".to_string(),
            _ => format!("“{}” is niet goed ingevuld", field.label),
        });
    FieldError {
        field: field.name.clone(),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_without_the_message_still_says_which_field() {
        let def: FormDef = toml::from_str(
            "id = \"t\"\ntitle = \"T\"\naction = \"/t\"\nsubmit = \"S\"\n[[groups]]\nid = \"g\"\n[[groups.fields]]\nname = \"naam\"\ntype = \"text\"\nlabel = \"Naam\"\nrequired = true\n",
        )
        .expect("a definition");
        let rejected = check(&def, &Posted::default()).expect_err("required");
        assert_eq!(rejected.errors[0].code, "required");
        assert_eq!(rejected.errors[0].message, "“Naam” is niet goed ingevuld");
    }
}
