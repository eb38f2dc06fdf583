//! The advice letter: the PDF the applicant receives when the commission
//! records its advice.
//!
//! The letter's wording is the template `templates/advice/brief.txt`,
//! which editors change like the mails (see its opening comment for the
//! values it receives and its markup). This module fills it with the
//! letter's values, reads the result as blocks (headings, paragraphs,
//! label and value rows, lists), adds the commission's motivation
//! (Markdown) where the template puts it, and sets the whole on as many
//! A4 pages as it needs, in the house style of the invoice
//! ([`crate::pdf`]): the same fonts, colours and letterhead, PDF/A-3b and
//! tagged PDF/UA-1, the same bytes for the same letter.
//!
//! What the applicant and the commission wrote is data, never template
//! source or markup: the template receives it as values, and every value
//! it prints is marked as such ([`markup`]), so that no name, address or
//! motivation can add a heading, break a line, number a page or run
//! template code.

mod layout;
mod markup;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use chrono::NaiveDate;
use krilla::metadata::Metadata;
use serde::Serialize;
use tera::Tera;

use crate::case::{Case, Outcome};
use crate::formats::is_netherlands;
use crate::pdf::{self, Failure};
use crate::supplier::Supplier;
use crate::templates::chain;

/// The letter's template, under `templates/`.
pub const TEMPLATE: &str = "advice/brief.txt";

/// Everything the advice letter says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdviceLetter<'a> {
    /// The CBT, as on its invoices: the letterhead and the closing.
    pub sender: &'a Supplier,
    /// The case's reference, `CBT-2027-0001`.
    pub reference: &'a str,
    /// The letter's date: the day the advice was sent.
    pub date: NaiveDate,
    /// To whom.
    pub addressee: Addressee<'a>,
    /// What was applied for.
    pub request: Request<'a>,
    /// Granted, with its term and validity, or refused.
    pub outcome: &'a Outcome,
    /// The commission's reasons, in Markdown.
    pub motivation: &'a str,
}

/// The organisation the letter is addressed to, at its invoice address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addressee<'a> {
    /// The organisation's name.
    pub organisation: &'a str,
    /// The contact person's name; without one (or blank), the letter
    /// greets "heer, mevrouw".
    pub contact: Option<&'a str>,
    /// Street and number.
    pub street: &'a str,
    /// Postcode.
    pub postcode: &'a str,
    /// City.
    pub city: &'a str,
    /// Country; printed only when it is not the Netherlands.
    pub country: &'a str,
}

/// What the organisation applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The customer term asked for, in years.
    pub term_years: u32,
    /// Whom it wants to phone, as Dutch text that fits in a sentence:
    /// `oud-klanten`.
    pub audience: &'a str,
}

impl<'a> AdviceLetter<'a> {
    /// The letter for `case`'s advice, from `sender`, addressed to the
    /// organisation's contact at its invoice address; `audience` says whom
    /// it wants to phone (the label of its answer, in words that fit in a
    /// sentence). `None` while the case has no advice.
    pub fn for_case(
        case: &'a Case,
        sender: &'a Supplier,
        audience: &'a str,
    ) -> Option<AdviceLetter<'a>> {
        let advice = case.advice.as_ref()?;
        let application = &case.application;
        let address = &application.invoice;
        Some(AdviceLetter {
            sender,
            reference: &case.reference,
            date: advice.sent_on,
            addressee: Addressee {
                organisation: &application.organisation.name,
                contact: Some(&application.contact.name),
                street: &address.street,
                postcode: &address.postcode,
                city: &address.city,
                country: &address.country,
            },
            request: Request {
                term_years: application.term_years,
                audience,
            },
            outcome: &advice.outcome,
            motivation: &advice.motivation,
        })
    }
}

/// Why a letter could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    /// The template does not parse or render, or misses what the letter
    /// needs: the editors' file, not the letter's values.
    #[error("het sjabloon van de adviesbrief ({template}) klopt niet: {0}", template = TEMPLATE)]
    Template(String),
    /// The built-in font cannot be read: a broken build, not bad input.
    #[error("het ingebouwde lettertype {0} is onleesbaar")]
    Font(&'static str),
    /// krilla found the letter not PDF/A-3b or not PDF/UA-1: a fault in
    /// this module, which the tests are there to catch.
    #[error("de adviesbrief voldoet niet aan PDF/A-3b en PDF/UA-1: {0}")]
    Invalid(String),
    /// krilla could not write the document.
    #[error("de PDF van de adviesbrief kon niet worden geschreven: {0}")]
    Write(String),
}

impl From<Failure> for LetterError {
    fn from(failure: Failure) -> LetterError {
        match failure {
            Failure::Font(name) => LetterError::Font(name),
            Failure::Invalid(message) => LetterError::Invalid(message),
            Failure::Write(message) => LetterError::Write(message),
        }
    }
}

/// The file name the letter is sent under: `advies-CBT-2027-0001.pdf`.
/// Anything in `reference` other than letters, digits and `-` becomes a
/// `-`, so the name is safe in a mail header and on any disk.
pub fn letter_filename(reference: &str) -> String {
    let safe: String = reference
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("advies-{safe}.pdf")
}

/// Renders `letter` as a PDF from the template built into this binary.
pub fn render_pdf(letter: &AdviceLetter<'_>) -> Result<Vec<u8>, LetterError> {
    let tera = EMBEDDED.as_ref().map_err(Clone::clone)?;
    render_with(tera, letter)
}

/// The embedded letter templates, parsed once per process.
static EMBEDDED: LazyLock<Result<Tera, LetterError>> = LazyLock::new(|| {
    let files: Vec<(&str, &str)> = crate::embedded::TEMPLATES
        .iter()
        .copied()
        .filter(|(name, _)| name.starts_with("advice/"))
        .collect();
    letter_templates(&files)
});

/// A template engine for letters: the project's filters, and every value
/// a `.txt` template prints marked as data ([`markup::mark_data`]) instead
/// of escaped for HTML.
fn letter_templates(files: &[(&str, &str)]) -> Result<Tera, LetterError> {
    let mut tera = Tera::default();
    tera.add_raw_templates(files.iter().copied())
        .map_err(|e| LetterError::Template(chain(&e)))?;
    crate::templates::register(&mut tera);
    tera.autoescape_on(vec![".txt"]);
    tera.set_escape_fn(markup::mark_data);
    Ok(tera)
}

fn render_with(tera: &Tera, letter: &AdviceLetter<'_>) -> Result<Vec<u8>, LetterError> {
    let faces = pdf::faces()?;
    let text = letter_text(tera, letter)?;
    let parsed = markup::parse(&text, letter.motivation).map_err(LetterError::Template)?;
    let s = letter.sender;
    let mut sender_lines = vec![s.name.as_str()];
    let address = pdf::address_lines(&s.street, &s.postcode, &s.city, &s.country);
    sender_lines.extend(address.iter().map(String::as_str));
    sender_lines.push(s.email.as_str());
    let laid = layout::lay_out(
        faces,
        &layout::Sender {
            lines: sender_lines,
        },
        &parsed,
    );
    let metadata = Metadata::new()
        .authors(vec![s.name.clone()])
        .creator("cbt".to_string())
        .creation_date(pdf::creation_date(letter.date))
        // Without it krilla derives the id from the title and author;
        // this says what the id stands for.
        .document_id(format!("cbt-advies-{}", letter.reference));
    Ok(layout::draw(faces, laid, &parsed, metadata)?)
}

/// The template's output for `letter`, before its markup is read.
fn letter_text(tera: &Tera, letter: &AdviceLetter<'_>) -> Result<String, LetterError> {
    let context = tera::Context::from_serialize(Values::of(letter))
        .map_err(|e| LetterError::Template(chain(&e)))?;
    tera.render(TEMPLATE, &context)
        .map_err(|e| LetterError::Template(chain(&e)))
}

/// The values the template receives, by the Dutch names it uses (listed
/// at the top of `templates/advice/brief.txt`). Text is [`markup::clean`]:
/// no value can pose as the motivation's mark.
#[derive(Serialize)]
struct Values {
    afzender: Party,
    kenmerk: String,
    /// `2027-01-15`, for the `datum` filter.
    datum: String,
    aan: Party,
    aanvraag: Applied,
    advies: Advised,
    /// Where the motivation goes.
    motivering: &'static str,
}

#[derive(Serialize)]
struct Party {
    /// The organisation (or the CBT).
    naam: String,
    /// The contact person; empty when there is none.
    contactpersoon: String,
    straat: String,
    postcode: String,
    plaats: String,
    /// Empty for the Netherlands.
    land: String,
    email: String,
}

#[derive(Serialize)]
struct Applied {
    termijn_jaren: u32,
    doelgroep: String,
}

#[derive(Serialize)]
struct Advised {
    positief: bool,
    /// The term granted; 0 when refused.
    termijn_jaren: u32,
    /// The last valid day (`2029-01-15`); empty when refused.
    geldig_tot: String,
}

impl Values {
    fn of(letter: &AdviceLetter<'_>) -> Values {
        let clean = |s: &str| markup::clean(s.trim());
        let land = |country: &str| {
            if is_netherlands(country) {
                String::new()
            } else {
                clean(country)
            }
        };
        let s = letter.sender;
        let a = &letter.addressee;
        let (positief, termijn_jaren, geldig_tot) = match letter.outcome {
            Outcome::Granted {
                term_years,
                valid_until,
            } => (
                true,
                *term_years,
                valid_until.format("%Y-%m-%d").to_string(),
            ),
            Outcome::Refused => (false, 0, String::new()),
        };
        Values {
            afzender: Party {
                naam: clean(&s.name),
                contactpersoon: String::new(),
                straat: clean(&s.street),
                postcode: clean(&s.postcode),
                plaats: clean(&s.city),
                land: land(&s.country),
                email: clean(&s.email),
            },
            kenmerk: clean(letter.reference),
            datum: letter.date.format("%Y-%m-%d").to_string(),
            aan: Party {
                naam: clean(a.organisation),
                contactpersoon: a.contact.map(clean).unwrap_or_default(),
                straat: clean(a.street),
                postcode: clean(a.postcode),
                plaats: clean(a.city),
                land: land(a.country),
                email: String::new(),
            },
            aanvraag: Applied {
                termijn_jaren: letter.request.term_years,
                doelgroep: clean(letter.request.audience),
            },
            advies: Advised {
                positief,
                termijn_jaren,
                geldig_tot,
            },
            motivering: markup::MOTIVATION,
        }
    }
}
