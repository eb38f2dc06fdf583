//! The formats of the values people type into the CBT's forms, and the kinds
//! of document they may upload.
//!
//! Every rule lives here once so that the browser hint, the server check and
//! the invoice agree. The functions are forgiving in what they accept, because
//! people paste numbers from letters, PDFs and phones with spaces, dots,
//! dashes and invisible characters, and refusing an unambiguous value only
//! costs them time. They are strict in what they return, because the returned
//! form is what gets stored and printed: one spelling per value, so that two
//! ways of writing the same KvK number never become two different customers
//! and an invoice never shows a btw-id or IBAN that does not check.
//!
//! Values that end up in mail headers (names, subjects, the reply address)
//! must not carry a line break: a line break there lets a sender add headers
//! of their own (header injection). That is why a line break inside a
//! one-line value is an error the applicant sees, not something silently
//! cleaned away.
//!
//! An uploaded document is recognised by its bytes, never by its name or the
//! type the browser claims, because both are whatever the uploader chose.
//! The ZIP-based formats are recognised from their headers alone, with a small
//! hand parser: nothing is decompressed, so a zip bomb costs nothing.
//!
//! All of this runs on raw input from the internet, so no function here may
//! panic on any input: every read of a byte goes through `get`, every offset
//! taken from a file is added with overflow checks, and there is no floating
//! point.

/// Why a value does not pass; the form code turns this into the field's Dutch
/// message by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Wrong shape or check digit.
    #[error("invalid")]
    Invalid,
    /// Contains a line break (CR, LF, U+2028/2029, NEL, VT, FF).
    #[error("one_line")]
    NotOneLine,
}

impl FormatError {
    /// The stable code the form definitions key their messages on.
    pub fn code(self) -> &'static str {
        match self {
            Invalid => "invalid",
            NotOneLine => "one_line",
        }
    }
}

use FormatError::{Invalid, NotOneLine};

/// Characters that change how text looks or reads without being visible:
/// pasted along from word processors, or planted to disguise a value (a
/// right-to-left override can make an IBAN read differently from what it is).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Everything a mail client or a header parser may treat as the end of a line.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Word processors turn a typed dash into one of these; people mean `-`.
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// Drops what people add to make a number readable: any whitespace, the
/// invisible characters, and whatever `also` names.
fn compact(input: &str, also: impl Fn(char) -> bool) -> String {
    input
        .chars()
        .filter(|&c| !(c.is_whitespace() || is_invisible(c) || also(c)))
        .collect()
}

fn without_invisibles(input: &str) -> String {
    input.chars().filter(|&c| !is_invisible(c)).collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Cleans free text (a multi-line answer): trims, makes every line end a
/// single LF, and removes control and invisible characters, so what is
/// stored is what the reader of the application sees.
pub fn clean_text(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Cleans a one-line value (a name, a subject) and refuses a line break
/// inside it. Line breaks at either end are trimmed away like other
/// whitespace: they cannot start a header once gone, and a stray newline
/// pasted along is not worth an error.
pub fn one_line(input: &str) -> Result<String, FormatError> {
    let visible = without_invisibles(input);
    let core = visible.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    if core.chars().any(is_line_break) {
        return Err(NotOneLine);
    }
    let mut out = String::with_capacity(core.len());
    let mut gap = false;
    for c in core.chars() {
        if c.is_whitespace() {
            gap = true;
        } else if !c.is_control() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        }
    }
    Ok(out)
}

/// The longest customer's reference ([`normalize_reference`]).
pub const REFERENCE_MAX_CHARS: usize = 20;

/// A customer's own reference for the invoice, as purchase-order numbers
/// are (`4500012345`, `PO-2026/0042`, `INK 26.113`): 1 to
/// [`REFERENCE_MAX_CHARS`] characters, letters and digits (ASCII), with
/// single spaces and the separators `-`, `/`, `.` and `_` between them.
/// The field is the CBT's "extra informatie factuur (bijv. PO-nummer)",
/// narrowed by its own decision to what such numbers are: it is printed
/// on an invoice and in a mail under the commission's name, so it must
/// not carry a sentence ("LET OP: ons IBAN is gewijzigd ...").
pub fn normalize_reference(input: &str) -> Result<String, FormatError> {
    let value = one_line(input)?;
    let separator = |c: char| matches!(c, ' ' | '-' | '/' | '.' | '_');
    let chars: Vec<char> = value.chars().collect();
    let shaped = !chars.is_empty()
        && chars.len() <= REFERENCE_MAX_CHARS
        && chars
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || separator(*c))
        && chars.first().is_some_and(char::is_ascii_alphanumeric)
        && chars.last().is_some_and(char::is_ascii_alphanumeric)
        && chars
            .windows(2)
            .all(|w| !matches!(w, [a, b] if separator(*a) && separator(*b)));
    if shaped {
        Ok(value)
    } else {
        Err(Invalid)
    }
}

/// Whether `text` holds `=?`, the start of an RFC 2047 encoded word
/// (`=?utf-8?q?...?=`). Mail programs decode such a word in a header into
/// what it encodes, line breaks and bidi controls included, so no answer
/// that may become a header (a name, a subject) may carry one.
pub fn has_encoded_word(text: &str) -> bool {
    text.contains("=?")
}

/// A KvK number: 8 digits, stored without separators. A 12-digit branch
/// number (vestigingsnummer) is refused: the invoice needs the
/// organisation's number, and silently cutting one down would guess.
pub fn normalize_kvk(input: &str) -> Result<String, FormatError> {
    let digits = compact(input, |c| c == '.' || is_dash(c));
    if digits.len() == 8 && all_digits(&digits) {
        Ok(digits)
    } else {
        Err(Invalid)
    }
}

/// A Dutch postcode, stored as `1234 AB`. SA, SD and SS are never issued.
pub fn normalize_postcode_nl(input: &str) -> Result<String, FormatError> {
    let visible = without_invisibles(input);
    let t = visible.trim();
    let digits = t.get(..4).ok_or(Invalid)?;
    let rest = t.get(4..).ok_or(Invalid)?;
    if !all_digits(digits) || digits.starts_with('0') {
        return Err(Invalid);
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(is_dash).unwrap_or(rest).trim_start();
    if rest.len() != 2 || !rest.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Invalid);
    }
    let letters = rest.to_ascii_uppercase();
    if matches!(letters.as_str(), "SA" | "SD" | "SS") {
        return Err(Invalid);
    }
    Ok(format!("{digits} {letters}"))
}

/// The EU's VAT prefixes other than NL (Greece uses EL, Northern Ireland XI).
const EU_VAT_PREFIXES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// A btw-id, stored compact and uppercase (`NL004495445B01`). Dutch ids are
/// checked with both check-digit schemes in use; other EU ids only by
/// shape, since each country has its own scheme and VIES is the real check.
/// A Dutch id typed without its `NL` (`004495445B01`, as it is often
/// printed) gets it: nine digits, `B` and two digits is no other
/// country's shape.
pub fn normalize_vat_id(input: &str) -> Result<String, FormatError> {
    let id = compact(input, |c| c == '.' || is_dash(c)).to_ascii_uppercase();
    let id = if is_dutch_vat_shape(&id) {
        format!("NL{id}")
    } else {
        id
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Invalid);
    }
    let country = id.get(..2).ok_or(Invalid)?;
    let rest = id.get(2..).ok_or(Invalid)?;
    let valid = if country == "NL" {
        is_dutch_vat(&id, rest)
    } else {
        EU_VAT_PREFIXES.contains(&country) && (2..=12).contains(&rest.len())
    };
    if valid {
        Ok(id)
    } else {
        Err(Invalid)
    }
}

/// A btw-id typed without its country prefix: `prefix` (the invoice
/// address's country, [`vat_prefix`]) is put in front when the id does not
/// start with letters of its own, then it is checked as any id.
pub fn normalize_vat_id_in(input: &str, prefix: &str) -> Result<String, FormatError> {
    let id = compact(input, |c| c == '.' || is_dash(c)).to_ascii_uppercase();
    let unprefixed = id.bytes().next().is_some_and(|b| b.is_ascii_digit());
    if unprefixed && !is_dutch_vat_shape(&id) {
        normalize_vat_id(&format!("{prefix}{id}"))
    } else {
        normalize_vat_id(&id)
    }
}

/// The prefix of the btw-ids of the EU member state `country` (ISO 3166-1
/// alpha-2): its own code, but `EL` for Greece.
pub fn vat_prefix(country: &str) -> &str {
    if country == "GR" {
        "EL"
    } else {
        country
    }
}

/// Nine digits, `B`, two digits: a Dutch btw-id without its `NL`.
fn is_dutch_vat_shape(id: &str) -> bool {
    id.len() == 12
        && id.bytes().enumerate().all(|(i, b)| match i {
            9 => b == b'B',
            _ => b.is_ascii_digit(),
        })
}

/// `rest` is what follows `NL`: 9 digits, `B`, 2 digits. Number 000000000
/// and suffix B00 are never issued, yet 000000000 passes the 11-test.
fn is_dutch_vat(id: &str, rest: &str) -> bool {
    let (Some(number), Some(b), Some(suffix)) = (rest.get(..9), rest.get(9..10), rest.get(10..))
    else {
        return false;
    };
    all_digits(number)
        && b == "B"
        && suffix.len() == 2
        && all_digits(suffix)
        && suffix != "00"
        && number.bytes().any(|d| d != b'0')
        && (passes_eleven_test(number) || mod97(id) == Some(1))
}

/// The 11-test of Dutch numbers issued before 2020: weights 9 down to 2,
/// and -1 for the last digit.
fn passes_eleven_test(digits: &str) -> bool {
    let mut sum: i64 = 0;
    let mut count = 0;
    for (i, c) in digits.chars().enumerate() {
        let Some(d) = c.to_digit(10) else {
            return false;
        };
        let weight: i64 = match i {
            0..=7 => 9 - i as i64,
            8 => -1,
            _ => return false,
        };
        sum += weight * i64::from(d);
        count += 1;
    }
    count == 9 && sum.rem_euclid(11) == 0
}

/// ISO 7064 mod 97-10 over a string of digits and letters (A=10 … Z=35),
/// computed a digit at a time so that no big integer is needed. `None` when
/// the string holds anything else.
fn mod97(s: &str) -> Option<u32> {
    let mut r: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        let shifted = if v < 10 { r * 10 + v } else { r * 100 + v };
        r = shifted % 97;
    }
    Some(r)
}

/// An IBAN, stored compact and uppercase (`NL91ABNA0417164300`); show it
/// with [`format_iban`]. People write one in groups with spaces, dashes or
/// dots; all of those go. The length and the shape of the account part
/// follow the country (IBAN registry, through the `iban_validate` crate),
/// and so does the check. Check digits 00, 01 and 99 also pass mod 97 but
/// are never issued, so a value has one valid spelling.
pub fn normalize_iban(input: &str) -> Result<String, FormatError> {
    let iban = compact(input, |c| c == '.' || is_dash(c)).to_ascii_uppercase();
    if !iban.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Invalid);
    }
    let check = iban.get(2..4).ok_or(Invalid)?;
    if matches!(check, "00" | "01" | "99") {
        return Err(Invalid);
    }
    let parsed: iban::Iban = iban.parse().map_err(|_| Invalid)?;
    Ok(iban::IbanLike::electronic_str(&parsed).to_string())
}

/// Shows an IBAN in groups of four (`NL91 ABNA 0417 1643 00`), the way it
/// is printed on cards and read aloud; it accepts an IBAN in any spacing.
pub fn format_iban(iban: &str) -> String {
    let compact = compact(iban, |_| false).to_ascii_uppercase();
    let mut out = String::with_capacity(compact.len() + compact.len() / 4);
    for (i, c) in compact.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Whether a country as typed means the Netherlands. One list, for every
/// rule that differs for Dutch addresses (the postcode's format, the
/// country line printed on an invoice). An empty country counts as the
/// Netherlands: the form's default.
pub fn is_netherlands(country: &str) -> bool {
    crate::countries::parse(country).is_some_and(|c| c.code == crate::countries::NETHERLANDS)
}

/// Separators people put in phone numbers.
fn is_phone_separator(c: char) -> bool {
    c.is_whitespace()
        || is_invisible(c)
        || is_dash(c)
        || matches!(c, '.' | '(' | ')' | '[' | ']' | '/')
}

/// A phone number, stored in international form (`+31201234567`) so that
/// the secretariat can dial it from anywhere and two spellings compare equal.
/// Dutch numbers have 10 digits written nationally; foreign numbers need
/// their `+` or `00` and country code.
pub fn normalize_phone(input: &str) -> Result<String, FormatError> {
    let visible = without_invisibles(input);
    let t = visible.trim();
    // The country code in brackets, `(+31) 20 …` or `(0031) 20 …`: the
    // brackets mark it as optional for callers at home; it is the
    // international prefix all the same.
    let unbracketed;
    let t = match t.strip_prefix('(').and_then(|r| r.split_once(')')) {
        Some((code, rest)) if code.trim().starts_with('+') || code.trim().starts_with("00") => {
            unbracketed = format!("{} {rest}", code.trim());
            unbracketed.as_str()
        }
        _ => t,
    };
    let (international, rest) = match (t.strip_prefix('+'), t.strip_prefix("00")) {
        (Some(r), _) | (None, Some(r)) => (true, r.to_string()),
        (None, None) => (false, t.to_string()),
    };
    // In international notation a trunk zero in brackets, `+31 (0)20 …`,
    // is shown but never dialled.
    let rest = if international {
        rest.replacen("(0)", "", 1)
    } else {
        rest
    };
    let digits: String = rest.chars().filter(|&c| !is_phone_separator(c)).collect();
    if !all_digits(&digits) {
        return Err(Invalid);
    }
    let subscriber = if international {
        match digits.strip_prefix("31") {
            // A service number written internationally: +31 800 1234.
            Some(national) if is_service_prefix(national) => {
                return is_service_number(national)
                    .then(|| format!("+31{national}"))
                    .ok_or(Invalid);
            }
            // Written with the national trunk zero after +31, without brackets.
            Some(national) if national.len() == 10 => national.strip_prefix('0').ok_or(Invalid)?,
            Some(national) => national,
            None => {
                return if !digits.starts_with('0') && (8..=15).contains(&digits.len()) {
                    Ok(format!("+{digits}"))
                } else {
                    Err(Invalid)
                };
            }
        }
    } else {
        match digits.strip_prefix('0') {
            Some(national) if is_service_prefix(national) => {
                return is_service_number(national)
                    .then(|| format!("+31{national}"))
                    .ok_or(Invalid);
            }
            // Ten digits written nationally: the nine after the trunk zero,
            // as the last check asks.
            Some(national) => national,
            None => return Err(Invalid),
        }
    };
    if subscriber.len() == 9 && !subscriber.starts_with('0') {
        Ok(format!("+31{subscriber}"))
    } else {
        Err(Invalid)
    }
}

/// A Dutch service number without its trunk zero: 800 (free), 900, 906
/// and 909 (paid), then 4 or 7 digits: 0800 1234 or 0900 123 4567. Their
/// lengths differ from every other Dutch number's 10 digits.
fn is_service_number(national: &str) -> bool {
    is_service_prefix(national) && matches!(national.len(), 7 | 10)
}

fn is_service_prefix(national: &str) -> bool {
    ["800", "900", "906", "909"]
        .iter()
        .any(|prefix| national.starts_with(prefix))
}

/// Characters allowed in the local part: RFC 5322's `atext` and the dot.
/// Quoted local parts are refused: nobody needs one, and the quote, comma,
/// angle brackets and brackets they allow are what smuggles a second
/// address or a display name into a header.
fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b)
}

fn is_domain_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// One email address, nothing else: the reply address of a mail, so it
/// must not carry a line break, a second address or a display name. The
/// domain is lowercased (it is case-insensitive); the local part is kept as
/// typed, since the receiving server decides what its case means.
pub fn normalize_email(input: &str) -> Result<String, FormatError> {
    let t = input.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if t.len() > 254 {
        return Err(Invalid);
    }
    let (local, domain) = t.split_once('@').ok_or(Invalid)?;
    if !(1..=64).contains(&local.len())
        || !local.bytes().all(is_local_char)
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return Err(Invalid);
    }
    // An internationalised domain (bücher.de) is sent as punycode
    // (xn--bcher-kva.de): that is what mail servers and headers carry, and
    // what is stored. UTS 46 (the `idna` crate) maps it as browsers do.
    // UTS 46 drops invisible characters silently; here they are refused,
    // like everywhere else in an address.
    if domain.chars().any(is_invisible) {
        return Err(Invalid);
    }
    let domain = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii_strict(domain).map_err(|_| Invalid)?
    };
    if !(1..=253).contains(&domain.len()) || !domain.split('.').all(is_domain_label) {
        return Err(Invalid);
    }
    let (_, tld) = domain.rsplit_once('.').ok_or(Invalid)?;
    // A top-level domain is letters, or an internationalised one in punycode.
    let tld_ok = (tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
        || (tld.len() > 4 && tld.starts_with("xn--"));
    if !tld_ok {
        return Err(Invalid);
    }
    let address = format!("{local}@{domain}");
    if address.len() > 254 {
        return Err(Invalid);
    }
    Ok(address)
}

/// A count typed into a form (years, customers). Whole and not negative; a
/// unit or a decimal is refused rather than guessed at, and nine digits is
/// more than any count the forms ask for while far from overflowing.
pub fn parse_whole_number(input: &str) -> Result<i64, FormatError> {
    let t = input.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    if digits.len() > 9 || !all_digits(digits) {
        return Err(Invalid);
    }
    digits.parse().map_err(|_| Invalid)
}

/// A value that passed its format's check, in its one stored spelling.
/// Code that holds one needs no second check, and cannot confuse it with
/// any other text: the types say which check a value passed.
macro_rules! checked_value {
    ($(#[$doc:meta])* $name:ident, $normalize:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `input` and keeps its normalised spelling.
            pub fn parse(input: &str) -> Result<$name, FormatError> {
                $normalize(input).map($name)
            }

            /// The normalised text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = FormatError;
            fn from_str(input: &str) -> Result<$name, FormatError> {
                $name::parse(input)
            }
        }

        impl TryFrom<String> for $name {
            type Error = FormatError;
            fn try_from(input: String) -> Result<$name, FormatError> {
                $name::parse(&input)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

checked_value!(
    /// One email address ([`normalize_email`]): safe as a recipient or a
    /// reply address.
    Email,
    normalize_email
);
impl Email {
    /// The address put in place of a person's address when their data is
    /// no longer kept: it can never be delivered (`.invalid`, RFC 2606).
    pub fn removed() -> Email {
        Email("verwijderd@verwijderd.invalid".to_string())
    }
}

checked_value!(
    /// A phone number in international form ([`normalize_phone`]).
    Phone,
    normalize_phone
);
checked_value!(
    /// A KvK number of 8 digits ([`normalize_kvk`]).
    Kvk,
    normalize_kvk
);
checked_value!(
    /// A Dutch or EU btw-id ([`normalize_vat_id`]).
    VatId,
    normalize_vat_id
);

/// The kinds of document an applicant may upload, recognised by their bytes,
/// never by their name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DocumentKind {
    /// A PDF.
    Pdf,
    /// A Word document (Office Open XML).
    Docx,
    /// An OpenDocument text.
    Odt,
}

impl DocumentKind {
    /// The extension the stored file gets, whatever the upload was called.
    pub fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Docx => "docx",
            DocumentKind::Odt => "odt",
        }
    }

    /// The media type to send the file with, whatever the browser claimed.
    pub fn mime(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocumentKind::Odt => "application/vnd.oasis.opendocument.text",
        }
    }
}

const PDF_HEADER: &[u8] = b"%PDF-";
const PDF_TRAILER: &[u8] = b"%%EOF";
/// PDF readers find the header up to this far into the file.
const PDF_HEADER_WINDOW: usize = 1024;
const PDF_TRAILER_WINDOW: usize = 1024;

const ZIP_LOCAL: &[u8] = b"PK\x03\x04";
const ZIP_CENTRAL: &[u8] = b"PK\x01\x02";
const ZIP_END: &[u8] = b"PK\x05\x06";
const ZIP_END_LEN: usize = 22;
const ZIP_CENTRAL_LEN: usize = 46;
const ZIP_LOCAL_LEN: usize = 30;
/// The end record plus the longest comment it can carry.
const ZIP_END_SEARCH: usize = ZIP_END_LEN + 65_535;

const ODT_MIME: &[u8] = b"application/vnd.oasis.opendocument.text";

/// Recognises a PDF, DOCX or ODT from its bytes. A file that starts as a ZIP
/// is judged as a ZIP only, and a ZIP that claims to be both an ODT and a
/// DOCX is neither: an ambiguous file would be opened as one thing by the
/// secretariat and checked as another here.
pub fn sniff_document(bytes: &[u8]) -> Option<DocumentKind> {
    if bytes.starts_with(ZIP_LOCAL) {
        sniff_zip(bytes)
    } else if is_pdf(bytes) {
        Some(DocumentKind::Pdf)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn is_pdf(bytes: &[u8]) -> bool {
    let head_end = bytes.len().min(PDF_HEADER_WINDOW + PDF_HEADER.len());
    let tail_start = bytes.len().saturating_sub(PDF_TRAILER_WINDOW);
    let head = bytes.get(..head_end).unwrap_or_default();
    let tail = bytes.get(tail_start..).unwrap_or_default();
    contains(head, PDF_HEADER) && contains(tail, PDF_TRAILER)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    let field: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(usize::from(u16::from_le_bytes(field)))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let field: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(field)).ok()
}

fn sniff_zip(bytes: &[u8]) -> Option<DocumentKind> {
    // A ZIP whose directory cannot be read is truncated or crafted: neither
    // word processors nor the secretariat could open it, whatever it starts with.
    let names = central_directory_names(bytes)?;
    let odt = first_entry_is_odt_mimetype(bytes).unwrap_or(false);
    let docx = names.contains(&b"[Content_Types].xml".as_slice())
        && names.contains(&b"word/document.xml".as_slice());
    match (odt, docx) {
        (true, false) => Some(DocumentKind::Odt),
        (false, true) => Some(DocumentKind::Docx),
        _ => None,
    }
}

/// Whether a DOCX or ODT carries macros or other code a word processor
/// runs: a `.docm` saved as `.docx` (`word/vbaProject.bin`), ActiveX
/// controls (`word/activeX/`), an OpenDocument's Basic or scripts
/// (`Basic/`, `Scripts/`). Judged by the names in the ZIP's directory, so
/// nothing is decompressed; a PDF, or what is no ZIP, has none of these.
pub fn has_macros(bytes: &[u8]) -> bool {
    if !bytes.starts_with(ZIP_LOCAL) {
        return false;
    }
    let Some(names) = central_directory_names(bytes) else {
        return false;
    };
    names.iter().any(|name| {
        let lower = name.to_ascii_lowercase();
        lower.ends_with(b"vbaproject.bin")
            || lower.ends_with(b"vbadata.xml")
            || lower.starts_with(b"word/activex/")
            || lower.starts_with(b"basic/")
            || lower.starts_with(b"scripts/")
    })
}

/// OpenDocument puts its type first and uncompressed, precisely so that it
/// can be read from the first bytes.
fn first_entry_is_odt_mimetype(bytes: &[u8]) -> Option<bool> {
    if bytes.get(..4)? != ZIP_LOCAL {
        return Some(false);
    }
    let flags = u16_at(bytes, 6)?;
    let method = u16_at(bytes, 8)?;
    let compressed = u32_at(bytes, 18)?;
    let uncompressed = u32_at(bytes, 22)?;
    let name_len = u16_at(bytes, 26)?;
    let extra_len = u16_at(bytes, 28)?;
    let name_end = ZIP_LOCAL_LEN.checked_add(name_len)?;
    let name = bytes.get(ZIP_LOCAL_LEN..name_end)?;
    let data_start = name_end.checked_add(extra_len)?;
    let data = bytes.get(data_start..data_start.checked_add(compressed)?)?;
    let encrypted = flags & 1 != 0;
    Some(
        !encrypted
            && method == 0
            && compressed == uncompressed
            && name == b"mimetype"
            && data == ODT_MIME,
    )
}

/// The position of the End Of Central Directory record: the last signature
/// whose comment fits in the file, since a comment may itself contain the
/// signature.
fn find_end_record(bytes: &[u8]) -> Option<usize> {
    let last = bytes.len().checked_sub(ZIP_END_LEN)?;
    let first = bytes.len().saturating_sub(ZIP_END_SEARCH);
    (first..=last).rev().find(|&at| {
        bytes.get(at..at + ZIP_END.len()) == Some(ZIP_END)
            && u16_at(bytes, at + 20)
                .and_then(|comment| (at + ZIP_END_LEN).checked_add(comment))
                .is_some_and(|end| end <= bytes.len())
    })
}

/// The names the central directory lists, each bounds-checked; `None` for
/// anything that is not a plain single-disk ZIP with a consistent directory.
fn central_directory_names(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let end = find_end_record(bytes)?;
    let disk = u16_at(bytes, end + 4)?;
    let directory_disk = u16_at(bytes, end + 6)?;
    let entries_here = u16_at(bytes, end + 8)?;
    let entries = u16_at(bytes, end + 10)?;
    let size = u32_at(bytes, end + 12)?;
    let offset = u32_at(bytes, end + 16)?;
    if disk != 0 || directory_disk != 0 || entries_here != entries {
        return None;
    }
    let directory_end = offset.checked_add(size)?;
    if directory_end > end {
        return None;
    }
    let directory = bytes.get(offset..directory_end)?;
    let mut names = Vec::with_capacity(entries);
    let mut at: usize = 0;
    for _ in 0..entries {
        if directory.get(at..at.checked_add(ZIP_CENTRAL.len())?)? != ZIP_CENTRAL {
            return None;
        }
        let name_len = u16_at(directory, at.checked_add(28)?)?;
        let extra_len = u16_at(directory, at.checked_add(30)?)?;
        let comment_len = u16_at(directory, at.checked_add(32)?)?;
        let name_start = at.checked_add(ZIP_CENTRAL_LEN)?;
        let name_end = name_start.checked_add(name_len)?;
        names.push(directory.get(name_start..name_end)?);
        at = name_end.checked_add(extra_len)?.checked_add(comment_len)?;
        if at > directory.len() {
            return None;
        }
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    // ---- text -------------------------------------------------------------

    #[test]
    fn error_codes() {
        assert_eq!(Invalid.code(), "invalid");
        assert_eq!(NotOneLine.code(), "one_line");
        assert_eq!(Invalid.to_string(), Invalid.code());
        assert_eq!(NotOneLine.to_string(), NotOneLine.code());
    }

    #[test]
    fn clean_text_table() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("   ", ""),
            ("  hallo  ", "hallo"),
            ("a\r\nb", "a\nb"),
            ("a\rb", "a\nb"),
            ("a\r\r\nb", "a\n\nb"),
            ("a\n\nb", "a\n\nb"),
            ("kolom\tkolom", "kolom\tkolom"),
            ("a\u{0}b\u{7}c\u{1B}[31m", "abc[31m"),
            ("a\u{7F}b\u{85}c", "abc"),
            ("a\u{0B}b\u{0C}c", "abc"),
            ("\u{FEFF}tekst", "tekst"),
            ("zero\u{200B}width\u{200D}", "zerowidth"),
            ("\u{202E}lmth.exe\u{202C}", "lmth.exe"),
            ("\u{2066}iso\u{2069}", "iso"),
            ("\u{200B} a \u{200B}", "a"),
            ("café – “quote” €", "café – “quote” €"),
            ("\n\nregel 1\nregel 2\n\n", "regel 1\nregel 2"),
        ];
        for (input, want) in cases {
            assert_eq!(clean_text(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn one_line_table() {
        let ok: &[(&str, &str)] = &[
            ("Jan Jansen", "Jan Jansen"),
            ("  Jan   Jansen  ", "Jan Jansen"),
            ("Jan\tJansen", "Jan Jansen"),
            ("Jan \t \u{A0} Jansen", "Jan Jansen"),
            ("Jan\u{0}Jansen", "JanJansen"),
            ("\u{200B}Jan\u{202E} Jansen", "Jan Jansen"),
            ("Jansen B.V.\n", "Jansen B.V."),
            // A line or paragraph separator pasted along at an end is
            // whitespace like a newline there, not a second line.
            ("Jansen B.V.\u{2028}", "Jansen B.V."),
            ("\u{2029}Jansen", "Jansen"),
            ("\r\nJansen\r\n", "Jansen"),
            ("", ""),
            ("Stichting Ærø — ‘Zuid’", "Stichting Ærø — ‘Zuid’"),
        ];
        for (input, want) in ok {
            assert_eq!(one_line(input).as_deref(), Ok(*want), "input {input:?}");
        }
        let header_injection: &[&str] = &[
            "Vraag\r\nBcc: victim@example.com",
            "Vraag\nBcc: victim@example.com",
            "Vraag\rBcc: victim@example.com",
            "Vraag\u{85}Bcc: victim@example.com",
            "Vraag\u{2028}Bcc: victim@example.com",
            "Vraag\u{2029}Bcc: victim@example.com",
            "Vraag\u{0B}Bcc: victim@example.com",
            "Vraag\u{0C}Bcc: victim@example.com",
            "Vraag\u{200B}\r\n\u{200B}Bcc: x@y.nl",
            "a\r\n\r\nbody",
            "Naam%0d%0a\nTo: x@y.nl",
        ];
        for input in header_injection {
            assert_eq!(one_line(input), Err(NotOneLine), "input {input:?}");
        }
    }

    // ---- KvK, postcode ----------------------------------------------------

    #[test]
    fn kvk_table() {
        let ok: &[(&str, &str)] = &[
            ("12345678", "12345678"),
            ("1234 5678", "12345678"),
            ("12.34.56.78", "12345678"),
            ("1234-5678", "12345678"),
            (" 12345678 ", "12345678"),
            ("1234\u{2013}5678", "12345678"),
            ("\u{200B}12345678", "12345678"),
            ("01234567", "01234567"),
        ];
        for (input, want) in ok {
            assert_eq!(
                normalize_kvk(input).as_deref(),
                Ok(*want),
                "input {input:?}"
            );
        }
        let bad = [
            "",
            "1234567",
            "123456789",
            "123456789012",
            "0000 0000 1234",
            "1234567a",
            "KvK 12345678",
            "1234/5678",
            "١٢٣٤٥٦٧٨",
            "+12345678",
        ];
        for input in bad {
            assert_eq!(normalize_kvk(input), Err(Invalid), "input {input:?}");
        }
    }

    #[test]
    fn postcode_table() {
        let ok: &[(&str, &str)] = &[
            ("1234ab", "1234 AB"),
            ("1234 AB", "1234 AB"),
            ("1234-AB", "1234 AB"),
            ("1234 ab", "1234 AB"),
            ("1234aB", "1234 AB"),
            (" 1234  AB ", "1234 AB"),
            ("1234 - ab", "1234 AB"),
            ("9999ZZ", "9999 ZZ"),
            ("1000 AA", "1000 AA"),
            ("1234 SB", "1234 SB"),
            ("1234 AS", "1234 AS"),
            ("1234\tab", "1234 AB"),
        ];
        for (input, want) in ok {
            assert_eq!(
                normalize_postcode_nl(input).as_deref(),
                Ok(*want),
                "input {input:?}"
            );
        }
        let bad = [
            "", "0123 AB", "1234 SA", "1234 SS", "1234 SD", "1234 sa", "12345 AB", "1234 A",
            "1234 ABC", "123 AB", "1234", "AB 1234", "1234--AB", "1234 A1", "1234 ÅB", "12é4 AB",
        ];
        for input in bad {
            assert_eq!(
                normalize_postcode_nl(input),
                Err(Invalid),
                "input {input:?}"
            );
        }
    }

    // ---- btw-id ------------------------------------------------------------

    #[test]
    fn vat_table() {
        let ok: &[(&str, &str)] = &[
            ("NL004495445B01", "NL004495445B01"),
            ("NL002455799B11", "NL002455799B11"),
            ("NL000099998B57", "NL000099998B57"),
            ("NL123456782B01", "NL123456782B01"),
            ("NL004495445B02", "NL004495445B02"),
            ("nl004495445b01", "NL004495445B01"),
            ("NL 0044.95.445 B01", "NL004495445B01"),
            ("NL-004495445-B01", "NL004495445B01"),
            (" NL004495445B01\u{200B}", "NL004495445B01"),
            ("DE123456789", "DE123456789"),
            ("BE 0123.456.749", "BE0123456749"),
            ("EL123456789", "EL123456789"),
            ("XI123456789", "XI123456789"),
            ("FR12345678901", "FR12345678901"),
            ("ATU12345678", "ATU12345678"),
            ("ESX1234567X", "ESX1234567X"),
            ("IE1234567WA", "IE1234567WA"),
            ("CY12", "CY12"),
            // A Dutch id without its NL, as often printed.
            ("004495445B01", "NL004495445B01"),
            ("0044.95.445.B01", "NL004495445B01"),
            ("004495445 b 01", "NL004495445B01"),
        ];
        for (input, want) in ok {
            assert_eq!(
                normalize_vat_id(input).as_deref(),
                Ok(*want),
                "input {input:?}"
            );
        }
        let bad = [
            "",
            "NL",
            "NL123456789B90",
            "NL004495446B01",
            "NL004495445B00",
            "NL000000000B01",
            "NL004495445C01",
            "NL00449544B01",
            "NL0044954455B01",
            "NL004495445B1",
            "NL004495445B011",
            "004495446B01",
            "GR123456789",
            "GB123456789",
            "US123456789",
            "DE1",
            "DE1234567890123",
            "DE12345678_9",
            "DE 12345678/9",
            "ÄT123456789",
        ];
        for input in bad {
            assert_eq!(normalize_vat_id(input), Err(Invalid), "input {input:?}");
        }
    }

    /// A Dutch btw-id typed without `NL` stays Dutch whatever the
    /// invoice address's country, also with the dots or dashes people type
    /// (found by mutation testing: only the bare form was tried).
    #[test]
    fn a_dutch_id_typed_without_its_prefix_is_recognised_through_dots_and_dashes() {
        for typed in ["004495445B01", "004495445-B01", "004.495.445.B01"] {
            assert_eq!(
                normalize_vat_id_in(typed, "BE").as_deref(),
                Ok("NL004495445B01"),
                "{typed}"
            );
        }
        assert_eq!(
            normalize_vat_id_in("0123.456.749", "BE").as_deref(),
            Ok("BE0123456749")
        );
    }

    #[test]
    fn check_digit_helpers() {
        assert!(passes_eleven_test("004495445"));
        assert!(!passes_eleven_test("002455799"));
        assert!(!passes_eleven_test("00449544"));
        assert!(!passes_eleven_test("0044954450"));
        assert_eq!(mod97("NL002455799B11"), Some(1));
        assert_eq!(mod97("ABNA0417164300NL91"), Some(1));
        assert_eq!(mod97("A_"), None);
        assert_eq!(mod97(""), Some(0));
    }

    // ---- IBAN --------------------------------------------------------------

    #[test]
    fn iban_table() {
        let ok: &[(&str, &str)] = &[
            ("NL91ABNA0417164300", "NL91ABNA0417164300"),
            ("nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
            ("  NL91ABNA0417164300\t", "NL91ABNA0417164300"),
            ("NL91\u{A0}ABNA\u{200B}0417164300", "NL91ABNA0417164300"),
            ("DE89370400440532013000", "DE89370400440532013000"),
            ("BE68539007547034", "BE68539007547034"),
            ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
            ("NO9386011117947", "NO9386011117947"),
            ("NL91-ABNA-0417-1643-00", "NL91ABNA0417164300"),
            ("NL91.ABNA.0417.1643.00", "NL91ABNA0417164300"),
            ("nl91 abna\u{2013}0417 1643.00", "NL91ABNA0417164300"),
            ("DE89-3704-0044-0532-0130-00", "DE89370400440532013000"),
            (
                "FR14 2004 1010 0505 0001 3M02 606",
                "FR1420041010050500013M02606",
            ),
        ];
        for (input, want) in ok {
            assert_eq!(
                normalize_iban(input).as_deref(),
                Ok(*want),
                "input {input:?}"
            );
        }
        let bad = [
            "",
            "NL91ABNA0417164301",
            "NL91ABNA041716430",
            "NL91ABNA04171643000",
            "NL91ABN00417164300",
            "NL91/ABNA/0417/1643/00",
            // Each country its own length: one short, one long.
            "DE8937040044053201300",
            "BE685390075470341",
            "NL9IABNA0417164300",
            "9191ABNA0417164300",
            "DE89370400440532013001",
            "BE6853900754703",
            "NO938601111794",
            "XX00",
            "NL91ABNA0417164300NL91ABNA0417164300",
            "NL91ABNA0417_64300",
            "NLÜ1ABNA0417164300",
        ];
        for input in bad {
            assert_eq!(normalize_iban(input), Err(Invalid), "input {input:?}");
        }
    }

    /// Valid check digits do not make a valid IBAN: the shape counts too
    /// (found by mutation testing).
    #[test]
    fn iban_with_good_check_digits_but_a_bad_shape_is_refused() {
        let good = with_check("NL", "ABNA0417164300");
        assert_eq!(normalize_iban(&good), Ok(good.clone()));
        for bban in [
            "AB1A0417164300",  // a digit in the bank code
            "ABNA041716430",   // a short account
            "ABNA04171643001", // a long account
            "ABNA041716430A",  // a letter in the account
        ] {
            let iban = with_check("NL", bban);
            assert_eq!(
                mod97(&format!("{bban}NL{}", iban.get(2..4).unwrap_or_default())),
                Some(1)
            );
            assert_eq!(normalize_iban(&iban), Err(Invalid), "{iban}");
        }
        let lower = with_check("nl", "ABNA0417164300");
        assert_eq!(normalize_iban(&lower), Ok(good));
        let short = with_check("BE", "5390075470");
        assert_eq!(short.len(), 14);
        assert_eq!(
            normalize_iban(&short),
            Err(Invalid),
            "shorter than any IBAN"
        );
        let long = with_check("LC", &"1".repeat(31));
        assert_eq!(long.len(), 35);
        assert_eq!(normalize_iban(&long), Err(Invalid), "longer than any IBAN");
    }

    /// Check digits 99 and 01 pass mod 97 exactly when 02 and 98 do, but
    /// only 02..=98 are issued.
    #[test]
    fn iban_refuses_unissued_check_digits() {
        for (issued, alias) in [("02", "99"), ("98", "01")] {
            let found = (0..100_000u32)
                .map(|n| with_check("NL", &format!("ABNA{n:010}")))
                .find(|iban| iban.get(2..4) == Some(issued));
            let Some(iban) = found else {
                panic!("no NL IBAN with check digits {issued} among the first 100000");
            };
            assert_eq!(normalize_iban(&iban), Ok(iban.clone()));
            let aliased = format!("NL{alias}{}", iban.get(4..).unwrap_or_default());
            let rearranged = format!("{}NL{alias}", iban.get(4..).unwrap_or_default());
            assert_eq!(mod97(&rearranged), Some(1), "{aliased} passes mod 97");
            assert_eq!(normalize_iban(&aliased), Err(Invalid), "{aliased}");
        }
    }

    #[test]
    fn format_iban_table() {
        let cases: &[(&str, &str)] = &[
            ("NL91ABNA0417164300", "NL91 ABNA 0417 1643 00"),
            ("nl91 abna 0417164300", "NL91 ABNA 0417 1643 00"),
            ("DE89370400440532013000", "DE89 3704 0044 0532 0130 00"),
            ("BE68539007547034", "BE68 5390 0754 7034"),
            ("", ""),
            ("NL9", "NL9"),
            ("éé€ab", "éé€A B"),
        ];
        for (input, want) in cases {
            assert_eq!(format_iban(input), *want, "input {input:?}");
        }
    }

    // ---- phone -------------------------------------------------------------

    #[test]
    fn phone_table() {
        let ok: &[(&str, &str)] = &[
            ("020-123 4567", "+31201234567"),
            ("020 1234567", "+31201234567"),
            ("(020) 123 45 67", "+31201234567"),
            ("020.123.45.67", "+31201234567"),
            ("020/1234567", "+31201234567"),
            ("+31 (0)6 12345678", "+31612345678"),
            ("+31(0)612345678", "+31612345678"),
            ("06 1234 5678", "+31612345678"),
            ("06-12345678", "+31612345678"),
            ("+31 6 12345678", "+31612345678"),
            ("+31612345678", "+31612345678"),
            ("+31 06 12345678", "+31612345678"),
            ("0031 6 12345678", "+31612345678"),
            ("0031 (0)20 123 4567", "+31201234567"),
            (" 0612345678 ", "+31612345678"),
            ("+32 2 123 45 67", "+3221234567"),
            ("0032 2 123 45 67", "+3221234567"),
            ("+44 (0)20 7946 0958", "+442079460958"),
            ("+49 30 12345678", "+493012345678"),
            ("+1 (202) 555-0123", "+12025550123"),
            ("+49 1234567", "+491234567"),
            ("+49 123456", "+49123456"),
            ("0012345678", "+12345678"),
            ("+123456789012345", "+123456789012345"),
            // The country code in brackets.
            ("(+31) 20 123 4567", "+31201234567"),
            ("(+31) (0)20 123 4567", "+31201234567"),
            ("(0031) 6 1234 5678", "+31612345678"),
            ("(+32) 2 123 45 67", "+3221234567"),
            ("( +49 ) 30 12345678", "+493012345678"),
            // Service numbers: 0800, 0900, 0906, 0909, with 4 or 7 digits.
            ("0800-1234", "+318001234"),
            ("0800 123 4567", "+318001234567"),
            ("0900-1234", "+319001234"),
            ("0900 123 45 67", "+319001234567"),
            ("0906-1234567", "+319061234567"),
            ("0909 1234", "+319091234"),
            ("+31 800 1234", "+318001234"),
            ("+31 (0)900 123 4567", "+319001234567"),
        ];
        for (input, want) in ok {
            assert_eq!(
                normalize_phone(input).as_deref(),
                Ok(*want),
                "input {input:?}"
            );
        }
        let bad = [
            "",
            "+",
            "00",
            "bel mij",
            "06-1234567",
            "06-123456789",
            "612345678",
            "0000000000",
            "+31 20 123456",
            "+31 20 12345678",
            "+31 0 0123 4567",
            "+310012345678",
            "0800-12345",
            "0800-123456",
            "0900-12345678",
            "0901 1234",
            "+31 800 12345",
            "(+31 20 123 4567",
            "+49 12345",
            "0049 12345",
            "+1234567890123456",
            "+0 12345678",
            "+ 0 1234 5678",
            "020-123 4567 x12",
            "06 1234 567a",
            "06+12345678",
            "+31 6 1234 5678\nBcc: x",
            "+٣١٦١٢٣٤٥٦٧٨",
        ];
        for input in bad {
            assert_eq!(normalize_phone(input), Err(Invalid), "input {input:?}");
        }
    }

    // ---- email -------------------------------------------------------------

    /// A top-level domain is letters, or punycode longer than its `xn--`
    /// (found by mutation testing).
    #[test]
    fn top_level_domains() {
        for ok in ["a@b.nl", "a@b.museum", "a@b.xn--p1ai", "a@b.xn--9"] {
            assert!(normalize_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a@b.c",
            "a@b.c0m12",
            "a@b.12345",
            "a@b.xn--",
            "a@b.xn-9a",
            "a@b.n1",
        ] {
            assert_eq!(normalize_email(bad), Err(Invalid), "{bad}");
        }
    }

    #[test]
    fn email_table() {
        let long_label = "a".repeat(63);
        let long_local = "b".repeat(64);
        let ok_long = format!("{long_local}@{long_label}.nl");
        let too_long_local = format!("{}@b.nl", "a".repeat(65));
        let too_long_label = format!("a@{}.nl", "b".repeat(64));
        let too_long_domain = format!("a@{}.nl", vec!["c".repeat(60); 5].join("."));
        let domain_190 = format!("{0}.{0}.{1}.nl", "d".repeat(63), "d".repeat(59));
        let total_255 = format!("{long_local}@{domain_190}");
        let total_254 = format!("{}@{domain_190}", "b".repeat(63));
        let ok: Vec<(&str, String)> = vec![
            (
                "aanvragen@balanstoetstelemarketing.nl",
                "aanvragen@balanstoetstelemarketing.nl".into(),
            ),
            ("  Jan.Jansen@Example.NL  ", "Jan.Jansen@example.nl".into()),
            (
                "jan+cbt@sub.example.co.uk",
                "jan+cbt@sub.example.co.uk".into(),
            ),
            ("o'brien@example.ie", "o'brien@example.ie".into()),
            (
                "a_b-c!#$%&*/=?^`{|}~@x-y.nl",
                "a_b-c!#$%&*/=?^`{|}~@x-y.nl".into(),
            ),
            ("a@b.nl", "a@b.nl".into()),
            ("x@1.2.example", "x@1.2.example".into()),
            ("x@example.xn--p1ai", "x@example.xn--p1ai".into()),
            ("\u{FEFF}a@b.nl\u{200B}", "a@b.nl".into()),
            (&ok_long, ok_long.clone()),
            // Internationalised domain names, sent as punycode.
            ("jan@bücher.de", "jan@xn--bcher-kva.de".into()),
            ("jan@BÜCHER.de", "jan@xn--bcher-kva.de".into()),
            ("a@café.nl", "a@xn--caf-dma.nl".into()),
            (
                "info@stichting-zeeën.nl",
                "info@xn--stichting-zeen-ilb.nl".into(),
            ),
            ("post@例え.jp", "post@xn--r8jz45g.jp".into()),
            (&total_254, total_254.clone()),
        ];
        for (input, want) in &ok {
            assert_eq!(
                normalize_email(input).as_deref(),
                Ok(want.as_str()),
                "input {input:?}"
            );
        }
        let bad: Vec<&str> = vec![
            "",
            "a",
            "@b.nl",
            "a@",
            "a@b",
            "a@b.",
            "a@.nl",
            "a@b..nl",
            "a@@b.nl",
            "a@b@c.nl",
            ".a@b.nl",
            "a.@b.nl",
            "a..b@c.nl",
            "a@b.nl, c@d.nl",
            "a@b.nl,c@d.nl",
            "a@b.nl;c@d.nl",
            "a@b.nl\r\nBcc: x@y.nl",
            "a@b.nl\nBcc: x@y.nl",
            "a@b.nl\u{2028}Bcc: x@y.nl",
            "a@b.nl%0d%0aBcc:x@y.nl",
            "Naam <a@b.nl>",
            "<a@b.nl>",
            "\"a b\"@c.nl",
            "\"a\"@c.nl",
            "a(comment)@b.nl",
            "a@[127.0.0.1]",
            "a b@c.nl",
            "a@b c.nl",
            "a\t@b.nl",
            "a\u{0}@b.nl",
            "a@-b.nl",
            "a@b-.nl",
            "a@b.n",
            "a@b.n1",
            "a@b.123",
            "a@b_c.nl",
            "jöran@b.nl",
            "a@ca fé.nl",
            "a@-café.nl",
            "a@café..nl",
            "a@b.nl\u{200B}x",
            &too_long_local,
            &too_long_label,
            &too_long_domain,
            &total_255,
        ];
        for input in bad {
            assert_eq!(normalize_email(input), Err(Invalid), "input {input:?}");
        }
    }

    // ---- whole numbers -----------------------------------------------------

    #[test]
    fn whole_number_table() {
        let ok: &[(&str, i64)] = &[
            ("5", 5),
            (" 5 ", 5),
            ("+5", 5),
            ("0", 0),
            ("007", 7),
            ("999999999", 999_999_999),
            ("\t12\n", 12),
        ];
        for (input, want) in ok {
            assert_eq!(parse_whole_number(input), Ok(*want), "input {input:?}");
        }
        let bad = [
            "",
            " ",
            "+",
            "-1",
            "5.5",
            "5,5",
            "5 jaar",
            "1 000",
            "1000000000",
            "++5",
            "0x10",
            "1e3",
            "٥",
            "５",
        ];
        for input in bad {
            assert_eq!(parse_whole_number(input), Err(Invalid), "input {input:?}");
        }
    }

    // ---- documents ---------------------------------------------------------

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// The end record is looked for only as far back as the longest
    /// comment reaches: bytes after that are not the ZIP's (found by
    /// mutation testing).
    #[test]
    fn the_zip_end_record_is_sought_within_a_comments_reach() {
        let docx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ]);
        let near = [docx.as_slice(), &[b' '; 1_000]].concat();
        assert_eq!(sniff_document(&near), Some(DocumentKind::Docx));
        let far = [docx.as_slice(), &vec![b' '; 70_000]].concat();
        assert_eq!(sniff_document(&far), None);
    }

    /// Only a single-disk ZIP is read: an end record that puts this part,
    /// or its directory, on another disk is refused, whatever else fits
    /// (found by mutation testing).
    #[test]
    fn a_zip_spread_over_disks_is_not_a_document() {
        let docx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ]);
        assert_eq!(sniff_document(&docx), Some(DocumentKind::Docx));
        let end = docx.len() - ZIP_END_LEN;
        for field in [4, 6] {
            let mut other_disk = docx.clone();
            other_disk[end + field] = 1;
            assert_eq!(sniff_document(&other_disk), None, "disk field at {field}");
        }
    }

    /// A ZIP with stored (uncompressed) entries: local headers, central
    /// directory, end record. Real enough for `unzip -t`.
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            let mut common = Vec::new();
            common.extend_from_slice(&20u16.to_le_bytes()); // version needed
            common.extend_from_slice(&0u16.to_le_bytes()); // flags
            common.extend_from_slice(&0u16.to_le_bytes()); // method: stored
            common.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            common.extend_from_slice(&crc32(data).to_le_bytes());
            common.extend_from_slice(&(data.len() as u32).to_le_bytes());
            common.extend_from_slice(&(data.len() as u32).to_le_bytes());
            common.extend_from_slice(&(name.len() as u16).to_le_bytes());
            common.extend_from_slice(&0u16.to_le_bytes()); // extra length

            out.extend_from_slice(ZIP_LOCAL);
            out.extend_from_slice(&common);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);

            central.extend_from_slice(ZIP_CENTRAL);
            central.extend_from_slice(&20u16.to_le_bytes()); // version made by
            central.extend_from_slice(&common);
            central.extend_from_slice(&0u16.to_le_bytes()); // comment length
            central.extend_from_slice(&0u16.to_le_bytes()); // disk
            central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let directory_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(ZIP_END);
        out.extend_from_slice(&[0, 0, 0, 0]); // disks
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&directory_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        out
    }

    fn odt() -> Vec<u8> {
        zip(&[
            ("mimetype", ODT_MIME),
            ("content.xml", b"<office:document-content/>"),
            ("META-INF/manifest.xml", b"<manifest:manifest/>"),
        ])
    }

    fn docx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", b"<w:document/>"),
        ])
    }

    const PDF: &[u8] =
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

    fn set_u16(bytes: &mut [u8], at: usize, value: u16) {
        if let Some(field) = bytes.get_mut(at..at + 2) {
            field.copy_from_slice(&value.to_le_bytes());
        }
    }

    fn set_u32(bytes: &mut [u8], at: usize, value: u32) {
        if let Some(field) = bytes.get_mut(at..at + 4) {
            field.copy_from_slice(&value.to_le_bytes());
        }
    }

    fn end_record(bytes: &[u8]) -> usize {
        bytes.len() - ZIP_END_LEN
    }

    #[test]
    fn document_kinds() {
        assert_eq!(DocumentKind::Pdf.extension(), "pdf");
        assert_eq!(DocumentKind::Docx.extension(), "docx");
        assert_eq!(DocumentKind::Odt.extension(), "odt");
        assert_eq!(DocumentKind::Pdf.mime(), "application/pdf");
        assert_eq!(
            DocumentKind::Docx.mime(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(DocumentKind::Odt.mime().as_bytes(), ODT_MIME);
    }

    #[test]
    fn reference_table() {
        for (input, expected) in [
            ("4500012345", Some("4500012345")),
            (" PO-2026/0042 ", Some("PO-2026/0042")),
            ("INK 26.113", Some("INK 26.113")),
            ("INK   26.113", Some("INK 26.113")),
            ("a", Some("a")),
            ("KP_7", Some("KP_7")),
            ("12345678901234567890", Some("12345678901234567890")),
            ("123456789012345678901", None),
            ("LET OP: ons IBAN is gewijzigd, betaal op NL12 EVIL", None),
            ("IBAN:NL12", None),
            ("-12", None),
            ("12-", None),
            ("12--3", None),
            ("12 / 3", None),
            ("PO\n123", None),
            ("PO#123", None),
            ("Bestelnr. 12", None),
            ("inkoopnr é1", None),
            ("=?utf-8?q?x?=", None),
            ("", None),
        ] {
            let got = normalize_reference(input).ok();
            assert_eq!(got.as_deref(), expected, "{input:?}");
        }
        assert_eq!(normalize_reference("PO\n123"), Err(NotOneLine));
    }

    /// A `.docm` renamed `.docx` is still a Word document, with its macros
    /// in `word/vbaProject.bin`: that, ActiveX, and OpenDocument Basic or
    /// scripts are what [`has_macros`] finds; plain documents have none.
    #[test]
    fn macros_are_found_by_their_entries() {
        assert!(!has_macros(&docx()));
        assert!(!has_macros(&odt()));
        assert!(!has_macros(PDF));
        assert!(!has_macros(b"PK\x03\x04 not a zip at all"));
        let docm = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
            ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0"),
        ]);
        assert_eq!(sniff_document(&docm), Some(DocumentKind::Docx));
        assert!(has_macros(&docm));
        for entry in [
            "word/VBAPROJECT.BIN",
            "word/vbaData.xml",
            "word/activeX/activeX1.xml",
            "Basic/Standard/Module1.xml",
            "Scripts/python/evil.py",
        ] {
            let bytes = zip(&[
                ("[Content_Types].xml", b"<Types/>"),
                ("word/document.xml", b"<w:document/>"),
                (entry, b"x"),
            ]);
            assert!(has_macros(&bytes), "{entry}");
        }
        // A name that merely mentions one is not one.
        let bytes = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
            ("word/media/basic/scripts.png", b"x"),
        ]);
        assert!(!has_macros(&bytes));
    }

    /// A directory whose records run past its own end, or past the end
    /// record, is no ZIP a word processor wrote (found by mutation testing).
    #[test]
    fn zip_records_past_the_end_are_refused() {
        let good = docx();
        assert_eq!(sniff_document(&good), Some(DocumentKind::Docx));
        let end = end_record(&good);
        let directory = u32_at(&good, end + 16).expect("offset");
        let size = u32_at(&good, end + 12).expect("size");

        // The first entry's name runs past the directory.
        let mut bytes = good.clone();
        set_u16(
            &mut bytes,
            directory + 28,
            u16::try_from(size).expect("small"),
        );
        assert_eq!(sniff_document(&bytes), None);
        // Its extra field does.
        let mut bytes = good.clone();
        set_u16(
            &mut bytes,
            directory + 30,
            u16::try_from(size).expect("small"),
        );
        assert_eq!(sniff_document(&bytes), None);
        // The directory claims more than lies before the end record.
        let mut bytes = good.clone();
        set_u32(
            &mut bytes,
            end + 12,
            u32::try_from(size + 1).expect("small"),
        );
        assert_eq!(sniff_document(&bytes), None);
        // It claims an entry more than it holds.
        let mut bytes = good.clone();
        let entries = u16_at(&good, end + 10).expect("entries");
        let more = u16::try_from(entries + 1).expect("small");
        set_u16(&mut bytes, end + 8, more);
        set_u16(&mut bytes, end + 10, more);
        assert_eq!(sniff_document(&bytes), None);
        // Its comment runs past the end of the file.
        let mut bytes = good;
        set_u16(&mut bytes, end + 20, 1);
        assert_eq!(sniff_document(&bytes), None);
    }

    #[test]
    fn sniffs_the_three_kinds() {
        assert_eq!(sniff_document(PDF), Some(DocumentKind::Pdf));
        assert_eq!(sniff_document(&odt()), Some(DocumentKind::Odt));
        assert_eq!(sniff_document(&docx()), Some(DocumentKind::Docx));
    }

    #[test]
    fn pdf_edges() {
        let mut junk_before = vec![b' '; 1024];
        junk_before.extend_from_slice(PDF);
        assert_eq!(sniff_document(&junk_before), Some(DocumentKind::Pdf));

        let mut too_much_before = vec![b' '; 1025];
        too_much_before.extend_from_slice(PDF);
        assert_eq!(sniff_document(&too_much_before), None);

        let mut trailer_far_back = PDF.to_vec();
        trailer_far_back.extend(std::iter::repeat_n(b'x', 1020));
        assert_eq!(sniff_document(&trailer_far_back), None);

        let mut trailer_just_in = PDF.to_vec();
        trailer_just_in.extend(std::iter::repeat_n(b'x', 1024 - 6));
        assert_eq!(sniff_document(&trailer_just_in), Some(DocumentKind::Pdf));

        assert_eq!(sniff_document(b"%PDF-1.4\n"), None, "no trailer");
        assert_eq!(sniff_document(b"%%EOF"), None, "no header");
        assert_eq!(sniff_document(b"%PDF-%%EOF"), Some(DocumentKind::Pdf));
        assert_eq!(sniff_document(b"%PDF"), None);
    }

    #[test]
    fn names_do_not_matter_bytes_do() {
        // A PDF uploaded as "aanvraag.docx" is a PDF; a program uploaded as
        // "aanvraag.pdf" is nothing we accept.
        assert_eq!(sniff_document(PDF), Some(DocumentKind::Pdf));
        assert_eq!(sniff_document(b"MZ\x90\x00\x03\x00\x00\x00"), None);
        assert_eq!(sniff_document(b"\x7FELF\x02\x01\x01"), None);
        assert_eq!(sniff_document(b"<html><body>%PDF-</body></html>"), None);
        assert_eq!(sniff_document(b"{\\rtf1\\ansi hallo}"), None);
        assert_eq!(
            sniff_document(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"),
            None,
            "old .doc"
        );
    }

    #[test]
    fn rejects_other_and_broken_zips() {
        let no_document = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<x/>"),
        ]);
        assert_eq!(sniff_document(&no_document), None, "a spreadsheet");
        let no_types = zip(&[("word/document.xml", b"<w:document/>")]);
        assert_eq!(sniff_document(&no_types), None);
        let spreadsheet = zip(&[(
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        )]);
        assert_eq!(sniff_document(&spreadsheet), None);
        let mimetype_second = zip(&[("content.xml", b"<x/>"), ("mimetype", ODT_MIME)]);
        assert_eq!(sniff_document(&mimetype_second), None);
        let both = zip(&[
            ("mimetype", ODT_MIME),
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ]);
        assert_eq!(sniff_document(&both), None, "ambiguous");
        assert_eq!(sniff_document(&zip(&[])), None);

        let mut deflated = odt();
        set_u16(&mut deflated, 8, 8);
        assert_eq!(sniff_document(&deflated), None, "mimetype compressed");
        let mut encrypted = odt();
        set_u16(&mut encrypted, 6, 1);
        assert_eq!(sniff_document(&encrypted), None, "mimetype encrypted");

        let mut outside = docx();
        let end = end_record(&outside);
        set_u32(&mut outside, end + 16, u32::MAX);
        assert_eq!(sniff_document(&outside), None, "directory offset outside");
        let mut oversized = docx();
        set_u32(&mut oversized, end + 12, u32::MAX);
        assert_eq!(sniff_document(&oversized), None, "directory size outside");
        let mut more_entries = docx();
        set_u16(&mut more_entries, end + 8, 4);
        set_u16(&mut more_entries, end + 10, 4);
        assert_eq!(sniff_document(&more_entries), None, "entry count too high");
        let mut multi_disk = docx();
        set_u16(&mut multi_disk, end + 4, 1);
        assert_eq!(sniff_document(&multi_disk), None, "split archive");
        let mut long_comment = docx();
        set_u16(&mut long_comment, end + 20, 1);
        assert_eq!(sniff_document(&long_comment), None, "comment past the end");
        let mut long_name = docx();
        let directory = u32_at(&long_name, end + 16).unwrap_or_default();
        set_u16(&mut long_name, directory + 28, u16::MAX);
        assert_eq!(sniff_document(&long_name), None, "name past the directory");
    }

    #[test]
    fn tolerates_what_real_zips_carry() {
        let mut commented = docx();
        let end = end_record(&commented);
        let comment = b"PK\x05\x06 comment with a fake end record";
        set_u16(&mut commented, end + 20, comment.len() as u16);
        commented.extend_from_slice(comment);
        assert_eq!(sniff_document(&commented), Some(DocumentKind::Docx));

        let mut trailing = odt();
        trailing.extend_from_slice(b"\0\0\0\0");
        assert_eq!(sniff_document(&trailing), Some(DocumentKind::Odt));
    }

    #[test]
    fn truncations_never_panic_and_never_pass() {
        for whole in [odt(), docx()] {
            for len in 0..whole.len() {
                let prefix = whole.get(..len).unwrap_or_default();
                assert_eq!(sniff_document(prefix), None, "prefix of {len} bytes");
            }
        }
        for len in 0..PDF.len() {
            let prefix = PDF.get(..len).unwrap_or_default();
            let _ = sniff_document(prefix);
        }
    }

    #[test]
    fn odd_inputs() {
        assert_eq!(sniff_document(b""), None);
        assert_eq!(sniff_document(b"PK"), None);
        assert_eq!(sniff_document(b"PK\x03\x04"), None);
        let mut end_only = b"PK\x03\x04".to_vec();
        end_only.extend_from_slice(b"PK\x05\x06");
        end_only.extend_from_slice(&[0xFF; 18]);
        assert_eq!(sniff_document(&end_only), None);
        let mut random = 0x1234_5678u32;
        let noise: Vec<u8> = (0..10_000)
            .map(|_| {
                random ^= random << 13;
                random ^= random >> 17;
                random ^= random << 5;
                random.to_le_bytes()[0]
            })
            .collect();
        assert_eq!(sniff_document(&noise), None);
        assert_eq!(sniff_document(&vec![0u8; 70_000]), None);
    }

    // ---- properties --------------------------------------------------------

    fn with_check(country: &str, bban: &str) -> String {
        let remainder = mod97(&format!("{bban}{country}00")).unwrap_or_default();
        format!("{country}{:02}{bban}", 98 - remainder)
    }

    type Normalizer = fn(&str) -> Result<String, FormatError>;

    const NORMALIZERS: [(&str, Normalizer); 7] = [
        ("kvk", normalize_kvk),
        ("postcode", normalize_postcode_nl),
        ("vat", normalize_vat_id),
        ("iban", normalize_iban),
        ("phone", normalize_phone),
        ("email", normalize_email),
        ("one_line", one_line),
    ];

    fn check_all(s: &str) -> Result<(), TestCaseError> {
        let cleaned = clean_text(s);
        prop_assert_eq!(&clean_text(&cleaned), &cleaned);
        prop_assert!(!cleaned.contains('\r'));
        let _ = parse_whole_number(s);
        let _ = format_iban(s);
        for (name, normalize) in NORMALIZERS {
            if let Ok(once) = normalize(s) {
                prop_assert_eq!(normalize(&once), Ok(once.clone()), "{} of {:?}", name, s);
            }
        }
        if let Ok(line) = one_line(s) {
            prop_assert!(!line.contains('\n') && !line.contains('\r'), "{:?}", line);
            prop_assert!(!line.chars().any(is_line_break), "{:?}", line);
        }
        Ok(())
    }

    fn mutate(mut bytes: Vec<u8>, edits: &[(Index, u8)], keep: Option<Index>) -> Vec<u8> {
        if bytes.is_empty() {
            return bytes;
        }
        for (at, value) in edits {
            let i = at.index(bytes.len());
            if let Some(b) = bytes.get_mut(i) {
                *b = *value;
            }
        }
        if let Some(keep) = keep {
            bytes.truncate(keep.index(bytes.len() + 1));
        }
        bytes
    }

    proptest! {
        #[test]
        fn any_string_is_safe(s in any::<String>()) {
            check_all(&s)?;
        }

        #[test]
        fn printable_string_is_safe(s in "\\PC*") {
            check_all(&s)?;
        }

        #[test]
        fn line_breaks_never_survive(s in "[a-z \t\r\n\u{85}\u{0B}\u{0C}\u{2028}\u{2029}\u{200B}\u{0}]{0,24}") {
            check_all(&s)?;
            if let Ok(line) = one_line(&s) {
                prop_assert!(!line.chars().any(|c| c.is_control() || is_line_break(c)));
            }
        }

        #[test]
        fn shaped_values_are_idempotent(
            kvk in "[0-9 .-]{6,14}",
            postcode in " ?[0-9]{4}[ -]{0,2}[a-zA-Z]{2} ?",
            vat in "(NL|nl|DE|EL|GR) ?[0-9.]{9,11}[Bb]?[0-9]{2}",
            phone in "(\\+|00)?(31)? ?(\\(0\\))?[0-9 ()-]{7,16}",
            email in "[a-zA-Z0-9._%+-]{1,12}@[a-zA-Z0-9-]{1,10}(\\.[a-zA-Z0-9-]{1,8}){0,2}\\.[a-zA-Z]{2,6}",
            number in "[ +]?[0-9]{1,11} ?",
        ) {
            for s in [&kvk, &postcode, &vat, &phone, &email, &number] {
                check_all(s)?;
            }
        }

        #[test]
        fn generated_ibans_pass_and_stay(
            german in "[0-9]{18}",
            bank in "[A-Z]{4}",
            account in "[0-9]{10}",
            separator in "[ .-]",
        ) {
            for iban in [with_check("DE", &german), with_check("NL", &format!("{bank}{account}"))] {
                prop_assume!(!matches!(iban.get(2..4), Some("01" | "99" | "00")));
                let once = normalize_iban(&format_iban(&iban).to_lowercase());
                prop_assert_eq!(once.as_deref(), Ok(iban.as_str()));
                let grouped = format_iban(&iban).replace(' ', &separator);
                let again = normalize_iban(&grouped);
                prop_assert_eq!(again.as_deref(), Ok(iban.as_str()));
                check_all(&iban)?;
            }
        }

        #[test]
        fn generated_dutch_vat_ids_pass_and_stay(number in "[0-9]{8}[1-9]") {
            // Choose the suffix that makes mod 97 come out at 1.
            let base = mod97(&format!("NL{number}B")).unwrap_or_default();
            let suffix = (97 + 1 - (base * 100) % 97) % 97;
            prop_assume!(suffix != 0);
            let id = format!("nl {number} b{suffix:02}");
            let once = normalize_vat_id(&id);
            prop_assert_eq!(&once, &Ok(id.to_ascii_uppercase().replace(' ', "")));
            check_all(&id)?;
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
            let _ = sniff_document(&bytes);
            let mut zipped = ZIP_LOCAL.to_vec();
            zipped.extend_from_slice(&bytes);
            let _ = sniff_document(&zipped);
        }

        #[test]
        fn mutated_zips_never_panic(
            kind in 0usize..3,
            edits in prop::collection::vec((any::<Index>(), any::<u8>()), 0..12),
            keep in proptest::option::of(any::<Index>()),
        ) {
            let original = match kind {
                0 => odt(),
                1 => docx(),
                _ => PDF.to_vec(),
            };
            let _ = sniff_document(&mutate(original, &edits, keep));
        }

        #[test]
        fn zips_with_extreme_header_fields_never_panic(
            kind in any::<bool>(),
            fields in prop::collection::vec((any::<Index>(), prop_oneof![Just(0u8), Just(0xFF), Just(0x7F), Just(0x80)]), 1..6),
        ) {
            let original = if kind { odt() } else { docx() };
            let _ = sniff_document(&mutate(original, &fields, None));
        }
    }
}
