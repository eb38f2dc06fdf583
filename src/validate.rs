//! Checking a posted form against its definition ([`crate::forms`]).
//!
//! Forgiving in what it accepts, strict in what it keeps: every value that
//! passes comes out normalised (`1234 AB`, `+31201234567`), every value that
//! does not gets an error per field, with a code for programs and the
//! field's Dutch message for people. The values entered are always handed
//! back, so a form shown again loses nothing.

use std::collections::BTreeMap;

use serde::Serialize;

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
}

/// A document that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// The form field it was posted in.
    pub field: String,
    /// A safe file name, with the extension of what the bytes are.
    pub filename: String,
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
    /// The document, if one was uploaded.
    pub document: Option<Document>,
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
    /// `too_small`, `too_large`, `wrong_type`.
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
    /// An upload that passed its own checks, kept so that the applicant
    /// need not choose it again. Boxed: a rejection travels by value
    /// through every `Result`, the document rarely comes along.
    pub document: Option<Box<Document>>,
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

/// Checks `posted` against `def`.
pub fn check(def: &FormDef, posted: &Posted) -> Result<Checked, Rejected> {
    let mut errors = Vec::new();
    let mut values = BTreeMap::new();
    let mut entered = BTreeMap::new();
    let mut document = None;

    if def.fields().any(|f| {
        f.kind == FieldType::Honeypot && posted.get(&f.name).is_some_and(|v| !v.trim().is_empty())
    }) {
        return Ok(Checked::Bot);
    }
    let dutch_address = def
        .fields()
        .find(|f| f.kind == FieldType::Country)
        .map(|f| {
            posted
                .get(&f.name)
                .map(formats::clean_text)
                .unwrap_or_default()
        })
        .is_none_or(|country| formats::is_netherlands(&country));

    for field in def.fields() {
        if field.kind == FieldType::Honeypot {
            continue;
        }
        if field.kind == FieldType::File {
            match check_file(field, posted) {
                Ok(Some(doc)) => {
                    entered.insert(field.name.clone(), doc.filename.clone());
                    document = Some(doc);
                }
                Ok(None) if required(field, &values, posted) => {
                    errors.push(error(field, "required"));
                }
                Ok(None) => {}
                Err(code) => errors.push(error(field, code)),
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
        match check_value(field, &cleaned, dutch_address) {
            Ok(v) => {
                values.insert(field.name.clone(), v);
            }
            Err(code) => errors.push(error(field, code)),
        }
    }

    if errors.is_empty() {
        Ok(Checked::Valid(Submission {
            form: def.id.clone(),
            values,
            document,
        }))
    } else {
        Err(Rejected {
            errors,
            entered,
            document: document.map(Box::new),
        })
    }
}

/// Whether `field` must have a value, given the values checked so far.
fn required(field: &Field, values: &BTreeMap<String, String>, posted: &Posted) -> bool {
    match &field.required_if {
        Some((other, wanted)) => values
            .get(other)
            .map(String::as_str)
            .or_else(|| posted.get(other))
            .is_some_and(|v| v.trim() == wanted),
        None => field.required,
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

fn format_code(e: FormatError) -> &'static str {
    e.code()
}

/// The normalised value of a non-empty text field, or an error code.
fn check_value(field: &Field, value: &str, dutch_address: bool) -> Result<String, &'static str> {
    let v = match field.kind {
        FieldType::Text | FieldType::Country => {
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
        FieldType::Textarea => value.to_string(),
        FieldType::Email => formats::normalize_email(value).map_err(format_code)?,
        FieldType::Tel => formats::normalize_phone(value).map_err(format_code)?,
        FieldType::Kvk => formats::normalize_kvk(value).map_err(format_code)?,
        FieldType::VatId => formats::normalize_vat_id(value).map_err(format_code)?,
        FieldType::Reference => formats::normalize_reference(value).map_err(format_code)?,
        FieldType::Postcode if dutch_address => {
            formats::normalize_postcode_nl(value).map_err(format_code)?
        }
        FieldType::Postcode => formats::one_line(value).map_err(format_code)?,
        FieldType::Number => {
            let n = formats::parse_whole_number(value).map_err(format_code)?;
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
        FieldType::File | FieldType::Honeypot => return Err("invalid"),
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
    check_file(field, &renamed).map_err(|code| error(field, code))
}

/// The uploaded document of `field`: `Ok(None)` when none was chosen.
fn check_file(field: &Field, posted: &Posted) -> Result<Option<Document>, &'static str> {
    // A browser posts an empty part when no file was chosen.
    let Some(file) = posted
        .files
        .iter()
        .find(|f| f.field == field.name && !(f.bytes.is_empty() && f.filename.is_empty()))
    else {
        return Ok(None);
    };
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
    Ok(Some(Document {
        field: field.name.clone(),
        filename: safe_filename(&file.filename, kind),
        kind,
        size: file.bytes.len(),
        bytes: file.bytes.clone(),
    }))
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
