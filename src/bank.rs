//! Bank statements: a CAMT.053 file (the ISO 20022 end-of-day statement
//! every Dutch bank exports) read into its booked entries, and the credits
//! among them matched to the invoices that wait for payment.
//!
//! Reading is strict where a mistake would cost money and lenient where
//! banks differ harmlessly:
//! - A DTD or an entity other than XML's five is refused outright: a
//!   statement never has one, and an "entity bomb" would otherwise grow a
//!   few hundred bytes into gigabytes.
//! - Any version of `camt.053.001` is read (banks send .02 and .08): the
//!   elements used here have the same names in both, except the status,
//!   which .08 wraps in `<Cd>`; both are understood. Other messages (a
//!   CAMT.054 notification, a pain file) are refused by name.
//! - Only booked entries (`BOOK`) count; pending and informational ones are
//!   skipped, so a payment is registered once it is on the account.
//! - Amounts are euro cents read from the text, never through floating
//!   point; another currency is refused with the entry named.
//!
//! Matching ([`match_entries`]) never guesses: a credit is matched only
//! when its description names exactly one open invoice (by its number,
//! written with or without the hyphen, or by the case reference) and the
//! amount is exactly that invoice's. Everything else is put before a person
//! as doubtful or unmatched. All invoices of a tariff have the same amount,
//! so the amount alone says nothing and is never used on its own.
//!
//! No I/O here: the workspace (in `cbt-function`) keeps the file and
//! registers the payments.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::Cents;

/// The largest statement read. A year of the CBT's statements is a few
/// hundred kilobytes; this leaves room for a bank's whole-account export
/// (10,000 entries are about 9 MB) and bounds the memory a file can take.
pub const MAX_STATEMENT_BYTES: usize = 16 * 1024 * 1024;

/// Deeper nesting than any CAMT.053 has (about 12) is a damaged or hostile
/// file, not a statement.
const MAX_DEPTH: usize = 64;

const NAMESPACE_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.";

/// A statement: the account and its booked entries, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's own identification (`Stmt/Id`; of the first, when
    /// the file holds several days).
    pub id: String,
    /// The account, as the bank wrote it (no spaces).
    pub account_iban: String,
    /// The booked entries.
    pub entries: Vec<Entry>,
}

/// One booked entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What identifies the entry at the bank (`AcctSvcrRef`), or, when a
    /// bank leaves that out, the statement's id and the entry's place in
    /// it. With the account it says whether this entry was read before.
    pub key: String,
    /// The day it was booked.
    pub booked: NaiveDate,
    /// The amount, always positive; [`Entry::credit`] says which way.
    pub amount: Cents,
    /// Money in (`CRDT`) rather than out (`DBIT`).
    pub credit: bool,
    /// The payer's description: unstructured lines, a structured creditor
    /// reference and the bank's additional information, joined by spaces.
    pub reference_text: String,
    /// The payer's (or, for a debit, the payee's) name, when given.
    pub counterparty: Option<String>,
}

/// Why a statement was not read. The text is for the secretariat; the
/// variant for a program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Larger than [`MAX_STATEMENT_BYTES`].
    #[error(
        "Het bestand is te groot ({bytes} bytes; een bankafschrift mag hier ten hoogste {max} bytes zijn). Vraag bij de bank een afschrift over minder dagen op."
    )]
    TooLarge {
        /// The file's size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A DTD or a declared entity: never in a statement.
    #[error(
        "Het bestand bevat een DTD of entiteiten. Een bankafschrift heeft die niet; het is daarom niet gelezen."
    )]
    Dtd,
    /// Well-formed XML, but not a CAMT.053 statement.
    #[error(
        "Dit is geen CAMT.053-bankafschrift (het bestand is {found}). Download bij de bank het dagafschrift in het formaat CAMT.053."
    )]
    NotCamt053 {
        /// What the file is instead, in words.
        found: String,
    },
    /// Not well-formed XML, or cut off.
    #[error(
        "Het bestand is beschadigd of onvolledig ({why}, bij byte {position}). Download het afschrift opnieuw."
    )]
    Damaged {
        /// Where the reader stopped.
        position: u64,
        /// What it found, as the XML reader says it.
        why: String,
    },
    /// An entry that cannot be read as money booked on a day.
    #[error("Boeking {index} van het afschrift is niet te lezen: {why}.")]
    BadEntry {
        /// The entry's place in the file, from 1.
        index: usize,
        /// What is wrong with it.
        why: String,
    },
    /// More than one account in one file: each is read on its own.
    #[error(
        "Het bestand bevat afschriften van meer dan één rekening ({0}). Lees alleen de rekening van de CBT in."
    )]
    SeveralAccounts(String),
    /// No account at all.
    #[error("Het afschrift noemt geen rekening (IBAN). Download het afschrift opnieuw.")]
    NoAccount,
}

/// An invoice that waits for its payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    /// The case's reference (`CBT-2027-0001`).
    pub reference: String,
    /// The invoice's number (`2027-0001`).
    pub invoice_number: String,
    /// What it asks, VAT included.
    pub amount: Cents,
}

/// An entry and what matching made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The entry.
    pub entry: Entry,
    /// What it pays, if anything.
    pub outcome: MatchOutcome,
}

/// What an entry pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOutcome {
    /// Exactly one open invoice named, with exactly its amount.
    Matched {
        /// The case the payment belongs to.
        reference: String,
    },
    /// An invoice is named, but something does not fit: a person decides.
    Doubtful {
        /// The cases it may belong to.
        candidates: Vec<String>,
        /// Why it was not matched, in Dutch.
        why: String,
    },
    /// A credit that names no open invoice.
    Unmatched,
    /// Money out: nothing to match.
    Debit,
}

/// Reads a CAMT.053 statement.
pub fn read_statement(xml: &[u8]) -> Result<Statement, StatementError> {
    if xml.len() > MAX_STATEMENT_BYTES {
        return Err(StatementError::TooLarge {
            bytes: xml.len(),
            max: MAX_STATEMENT_BYTES,
        });
    }
    // ISO 20022 messages are UTF-8.
    let xml = std::str::from_utf8(xml).map_err(|e| StatementError::Damaged {
        position: e.valid_up_to() as u64,
        why: "het is geen UTF-8".into(),
    })?;
    let mut reader = Reader::from_str(xml.strip_prefix('\u{feff}').unwrap_or(xml));
    let mut walk = Walk::default();
    // The file is read to its end before its kind is judged: a damaged
    // file is "damaged", whatever its first element says.
    loop {
        let position = reader.buffer_position();
        let damaged = |why: String| StatementError::Damaged { position, why };
        match reader.read_event() {
            Err(e) => return Err(damaged(e.to_string())),
            Ok(Event::DocType(_)) => return Err(StatementError::Dtd),
            Ok(Event::Start(start)) => {
                if walk.path.len() >= MAX_DEPTH {
                    return Err(damaged("te diep genest".into()));
                }
                let (name, currency, namespace) = element(&start).map_err(damaged)?;
                walk.open(name, currency, namespace);
            }
            Ok(Event::Empty(start)) => {
                let (name, currency, namespace) = element(&start).map_err(damaged)?;
                walk.open(name.clone(), currency, namespace);
                walk.close(&name).map_err(damaged)?;
            }
            Ok(Event::End(end)) => {
                let name = end.local_name().as_ref().to_string();
                walk.close(&name).map_err(damaged)?;
            }
            Ok(Event::Text(text)) => {
                walk.text
                    .push_str(&text.xml_content(XmlVersion::Implicit1_0));
            }
            Ok(Event::CData(data)) => {
                walk.text
                    .push_str(&data.xml_content(XmlVersion::Implicit1_0));
            }
            Ok(Event::GeneralRef(reference)) => walk.text.push(resolve(&reference)?),
            Ok(Event::Eof) => {
                if let Some(open) = walk.path.last() {
                    return Err(damaged(format!("het element <{open}> is niet afgesloten")));
                }
                break;
            }
            Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_)) => {}
        }
    }
    walk.finish()
}

/// An element's local name, its `Ccy` and the namespace its prefix (or
/// none) stands for, where it declares that.
type Element = (String, Option<String>, Option<String>);

fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let name = start.local_name().as_ref().to_string();
    let prefix = start.name().prefix().map(|p| p.as_ref().to_string());
    let mut currency = None;
    let mut namespace = None;
    for a in start.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.as_ref();
        let declares = match &prefix {
            Some(p) => key.strip_prefix("xmlns:") == Some(p.as_str()),
            None => key == "xmlns",
        };
        if declares || key == "Ccy" {
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| e.to_string())?
                .into_owned();
            if declares {
                namespace = Some(value);
            } else {
                currency = Some(value);
            }
        }
    }
    Ok((name, currency, namespace))
}

/// XML's five entities and character references; anything else would need
/// a DTD.
fn resolve(reference: &BytesRef<'_>) -> Result<char, StatementError> {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return Ok(c);
    }
    match &*reference.clone().into_inner() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        _ => Err(StatementError::Dtd),
    }
}

/// The reader's state: where it is, and what it has gathered.
#[derive(Debug, Default)]
struct Walk {
    path: Vec<String>,
    text: String,
    namespace: Option<String>,
    root: Option<String>,
    id: Option<String>,
    accounts: Vec<String>,
    /// Inside `Stmt`: its id, for the keys of entries without one.
    statement_id: String,
    entry: Option<EntryDraft>,
    entries: Vec<Entry>,
    /// Entries seen, booked or not, for the messages.
    seen: usize,
    /// The first bad entry: reported once the file is known to be a
    /// statement at all.
    error: Option<StatementError>,
}

#[derive(Debug, Default)]
struct EntryDraft {
    amount: Option<String>,
    currency: Option<String>,
    credit: Option<String>,
    status: Option<String>,
    booked: Option<String>,
    key: Option<String>,
    texts: Vec<String>,
    debtor: Option<String>,
    creditor: Option<String>,
}

/// The path below the innermost `Ntry` (empty outside one).
fn below_entry(path: &[String]) -> Vec<&str> {
    let Some(at) = path.iter().rposition(|n| n == "Ntry") else {
        return Vec::new();
    };
    path.get(at + 1..)
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .collect()
}

impl Walk {
    fn open(&mut self, name: String, currency: Option<String>, namespace: Option<String>) {
        if self.path.is_empty() && self.root.is_none() {
            self.root = Some(name.clone());
            self.namespace = namespace;
        }
        self.text.clear();
        if name == "Ntry" && self.path.last().is_some_and(|p| p == "Stmt") {
            self.entry = Some(EntryDraft::default());
        }
        self.path.push(name);
        let amount = below_entry(&self.path) == ["Amt"];
        if let Some(entry) = self.entry.as_mut().filter(|_| amount) {
            entry.currency = currency;
        }
    }

    /// Closes the innermost element; `Err` says how the file is damaged.
    fn close(&mut self, name: &str) -> Result<(), String> {
        let text = std::mem::take(&mut self.text);
        let text = text.trim();
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        match path.as_slice() {
            [.., "Stmt", "Id"] => {
                self.statement_id = text.to_string();
                if self.id.is_none() {
                    self.id = Some(text.to_string());
                }
            }
            [.., "Stmt", "Acct", "Id", "IBAN"] => {
                let iban: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                if !self.accounts.contains(&iban) {
                    self.accounts.push(iban);
                }
            }
            _ => {}
        }
        let below = below_entry(&self.path);
        if let Some(entry) = self.entry.as_mut() {
            let text = Some(text.to_string()).filter(|t| !t.is_empty());
            match below.as_slice() {
                ["Amt"] => entry.amount = text,
                ["CdtDbtInd"] => entry.credit = text,
                ["Sts"] | ["Sts", "Cd"] if text.is_some() => entry.status = text,
                ["BookgDt", "Dt"] => entry.booked = text,
                ["BookgDt", "DtTm"] => {
                    entry.booked = text.map(|t| t.chars().take(10).collect());
                }
                ["AcctSvcrRef"] if text.is_some() => entry.key = text,
                [.., "RmtInf", "Ustrd"] | [.., "CdtrRefInf", "Ref"] | ["AddtlNtryInf"] => {
                    entry.texts.extend(text);
                }
                // .02 writes `Dbtr/Nm`, .08 `Dbtr/Pty/Nm`; the first wins.
                [.., "RltdPties", "Dbtr", "Nm"] | [.., "RltdPties", "Dbtr", "Pty", "Nm"]
                    if entry.debtor.is_none() =>
                {
                    entry.debtor = text;
                }
                [.., "RltdPties", "Cdtr", "Nm"] | [.., "RltdPties", "Cdtr", "Pty", "Nm"]
                    if entry.creditor.is_none() =>
                {
                    entry.creditor = text;
                }
                _ => {}
            }
        }
        match self.path.pop() {
            Some(last) if last == name => {}
            Some(last) => return Err(format!("</{name}> sluit <{last}>")),
            None => return Err(format!("</{name}> zonder begin")),
        }
        if name == "Ntry" && self.path.last().is_some_and(|p| p == "Stmt") {
            if let Some(draft) = self.entry.take() {
                self.seen += 1;
                match self.entry_of(draft) {
                    Ok(Some(entry)) => self.entries.push(entry),
                    Ok(None) => {}
                    Err(e) => {
                        self.error.get_or_insert(e);
                    }
                }
            }
        }
        Ok(())
    }

    fn entry_of(&self, draft: EntryDraft) -> Result<Option<Entry>, StatementError> {
        let index = self.seen;
        let bad = |why: String| StatementError::BadEntry { index, why };
        if draft.status.as_deref().is_some_and(|s| s != "BOOK") {
            return Ok(None);
        }
        let amount = draft
            .amount
            .ok_or_else(|| bad("er staat geen bedrag in".into()))?;
        match draft.currency.as_deref() {
            Some("EUR") => {}
            Some(other) => return Err(bad(format!("het bedrag is in {other}, niet in euro"))),
            None => return Err(bad("het bedrag noemt geen valuta".into())),
        }
        let amount = cents(&amount).ok_or_else(|| bad(format!("\"{amount}\" is geen bedrag")))?;
        let credit = match draft.credit.as_deref() {
            Some("CRDT") => true,
            Some("DBIT") => false,
            _ => {
                return Err(bad(
                    "er staat niet in of het geld bij- of afgeschreven is".into()
                ))
            }
        };
        let booked = draft
            .booked
            .ok_or_else(|| bad("er staat geen boekdatum in".into()))?;
        let booked = NaiveDate::parse_from_str(&booked, "%Y-%m-%d")
            .map_err(|_| bad(format!("\"{booked}\" is geen datum")))?;
        Ok(Some(Entry {
            key: draft
                .key
                .unwrap_or_else(|| format!("{}/{index}", self.statement_id)),
            booked,
            amount,
            credit,
            reference_text: draft.texts.join(" "),
            // The other party: who paid a credit, who was paid a debit.
            counterparty: if credit { draft.debtor } else { draft.creditor },
        }))
    }

    fn finish(self) -> Result<Statement, StatementError> {
        let Some(root) = self.root else {
            return Err(StatementError::NotCamt053 {
                found: "leeg".into(),
            });
        };
        let namespace = self.namespace.unwrap_or_default();
        if root != "Document" || !namespace.starts_with(NAMESPACE_PREFIX) {
            return Err(StatementError::NotCamt053 {
                found: describe(&root, &namespace),
            });
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut accounts = self.accounts;
        if accounts.len() > 1 {
            return Err(StatementError::SeveralAccounts(accounts.join(", ")));
        }
        let Some(account_iban) = accounts.pop() else {
            return Err(StatementError::NoAccount);
        };
        Ok(Statement {
            id: self.id.unwrap_or_default(),
            account_iban,
            entries: self.entries,
        })
    }
}

/// What a file that is not a CAMT.053 is, in words.
fn describe(root: &str, namespace: &str) -> String {
    let message = namespace
        .strip_prefix("urn:iso:std:iso:20022:tech:xsd:")
        .map(|m| m.split('.').take(2).collect::<Vec<_>>().join("."));
    match message {
        Some(m) if !m.is_empty() => format!("een ISO 20022-bericht {}", m.to_uppercase()),
        _ if namespace.is_empty() => format!("XML met het element <{root}> zonder naamruimte"),
        _ => format!("XML in de naamruimte {namespace}"),
    }
}

impl fmt::Display for MatchOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchOutcome::Matched { reference } => write!(f, "gekoppeld aan {reference}"),
            MatchOutcome::Doubtful { why, .. } => write!(f, "twijfel: {why}"),
            MatchOutcome::Unmatched => f.write_str("niet gekoppeld"),
            MatchOutcome::Debit => f.write_str("afschrijving"),
        }
    }
}

/// `4452.80`, `4452.8` or `4452` as cents; never through floating point.
fn cents(text: &str) -> Option<Cents> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && frac.is_empty())
    {
        return None;
    }
    let euros: i64 = whole.parse().ok()?;
    let part: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    euros.checked_mul(100)?.checked_add(part).map(Cents)
}

/// The invoice numbers a description may name: every run of digits in a
/// word once `-`, `.` and `/` are taken out (`2027-0001`, `CBT-2027-0001`),
/// and two digit-only words together (`2027 0001`).
fn named_numbers(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '.' | '/')))
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .filter(|c| !matches!(c, '-' | '.' | '/'))
                .collect()
        })
        .collect();
    let mut found = Vec::new();
    for word in &words {
        let mut run = String::new();
        for c in word.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() {
                run.push(c);
            } else if !run.is_empty() {
                found.push(std::mem::take(&mut run));
            }
        }
    }
    for pair in words.windows(2) {
        if let [a, b] = pair {
            if !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
            {
                found.push(format!("{a}{b}"));
            }
        }
    }
    found
}

fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// Matches each entry to the open invoices: see the module's notes for the
/// rule. Runs in time linear in entries plus invoices.
pub fn match_entries(entries: &[Entry], open: &[OpenInvoice]) -> Vec<Matched> {
    let by_number: HashMap<String, &OpenInvoice> = open
        .iter()
        .map(|i| (digits(&i.invoice_number), i))
        .collect();
    let mut paid_here: HashMap<&str, &str> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let outcome = if entry.credit {
            let mut named: Vec<&OpenInvoice> = Vec::new();
            for number in named_numbers(&entry.reference_text) {
                if let Some(invoice) = by_number.get(&number) {
                    if !named.iter().any(|n| n.reference == invoice.reference) {
                        named.push(invoice);
                    }
                }
            }
            match named.as_slice() {
                [] => MatchOutcome::Unmatched,
                [one] if one.amount != entry.amount => MatchOutcome::Doubtful {
                    candidates: vec![one.reference.clone()],
                    why: format!(
                        "Het bedrag ({}) wijkt af van de factuur ({}).",
                        entry.amount, one.amount
                    ),
                },
                [one] => match paid_here.get(one.reference.as_str()) {
                    Some(earlier) => MatchOutcome::Doubtful {
                        candidates: vec![one.reference.clone()],
                        why: format!(
                            "Deze factuur is op dit afschrift al betaald (boeking {earlier})."
                        ),
                    },
                    None => {
                        paid_here.insert(&one.reference, &entry.key);
                        MatchOutcome::Matched {
                            reference: one.reference.clone(),
                        }
                    }
                },
                several => MatchOutcome::Doubtful {
                    candidates: several.iter().map(|i| i.reference.clone()).collect(),
                    why: "De omschrijving noemt meer dan één openstaande factuur.".into(),
                },
            }
        } else {
            MatchOutcome::Debit
        };
        out.push(Matched {
            entry: entry.clone(),
            outcome,
        });
    }
    out
}

#[cfg(test)]
mod tests;
