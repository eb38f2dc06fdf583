//! Invoices: what Dutch law requires on one, computed in whole cents, and
//! rendered as text, HTML and a one-page A4 PDF ([`pdf`]).
//!
//! The store assigns the number ([`InvoiceNumber`], one gapless sequence per
//! calendar year); everything else follows from the application, the fees
//! and the supplier's details in `content/data/supplier.toml`.

pub mod pdf;
pub mod vat;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::dates::dutch_date;
use crate::fees::FeeSchedule;
use crate::formats::{Email, VatId};
use crate::money::Cents;
pub use crate::supplier::Supplier;
pub use vat::VatTreatment;

/// `2026-0007`: the year and the place in that year's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InvoiceNumber {
    /// The year of the invoice date, in Amsterdam.
    pub year: i32,
    /// The place in that year's series, from 1.
    pub seq: u32,
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}", self.year, self.seq)
    }
}

/// What a document of the invoice series is: an invoice, or a credit
/// note that cancels one. A credit note has its own gapless series per
/// year (`C-2027-0001`, the CBT's decision: a separate series keeps the
/// invoices' numbers gapless and makes a credit note recognisable by its
/// number) and refers to the invoice it credits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DocumentKind {
    /// An invoice.
    #[default]
    Invoice,
    /// A credit note of the invoice `credits`, dated `credits_date`.
    CreditNote {
        /// The invoice credited.
        credits: InvoiceNumber,
        /// Its date.
        credits_date: NaiveDate,
    },
}

/// Why a text is not an invoice number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is geen factuurnummer (JJJJ-NNNN)")]
pub struct BadInvoiceNumber(pub String);

impl std::str::FromStr for InvoiceNumber {
    type Err = BadInvoiceNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadInvoiceNumber(s.to_string());
        let (year, seq) = s.split_once('-').ok_or_else(bad)?;
        if year.len() != 4
            || seq.len() < 4
            || !year.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let seq: u32 = seq.parse().map_err(|_| bad())?;
        if seq == 0 {
            return Err(bad());
        }
        Ok(InvoiceNumber {
            year: year.parse().map_err(|_| bad())?,
            seq,
        })
    }
}

/// The customer, as the applicant gave the invoice details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The name the invoice is made out to.
    pub name: String,
    /// Street and number.
    pub street: String,
    /// As typed for a foreign address; `1234 AB` for a Dutch one.
    pub postcode: String,
    /// City.
    pub city: String,
    /// Country, as a reader names it (`België`): what the invoice prints.
    pub country: String,
    /// Its code (`BE`), which decides the VAT ([`VatTreatment::of`]).
    /// Empty for a customer stored before the form had a list: then
    /// [`Customer::code`] reads it from the name.
    #[serde(default)]
    pub country_code: String,
    /// Where the invoice is mailed.
    pub email: Email,
    /// The customer's own reference, such as a purchase order number.
    pub extra: Option<String>,
    /// The customer's btw-id, printed on the invoice when given.
    pub vat_id: Option<VatId>,
}

impl Customer {
    /// The country's code: as stored, or found from the name.
    pub fn code(&self) -> &str {
        if self.country_code.is_empty() {
            crate::countries::parse(&self.country).map_or("", |c| c.code)
        } else {
            &self.country_code
        }
    }
}

/// The one line of an advice invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// What the invoice is for.
    pub description: String,
    /// The tariff applied (`commercieel`).
    pub tariff: String,
    /// The amount before VAT.
    pub excl_vat: Cents,
}

/// A complete invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// Unique, in a gapless series per year.
    pub number: InvoiceNumber,
    /// The invoice date: a date in Amsterdam ([`crate::dates`]).
    pub date: NaiveDate,
    /// The last day to pay.
    pub due_date: NaiveDate,
    /// Days between the invoice date and the due date.
    pub payment_term_days: u32,
    /// The CBT.
    pub supplier: Supplier,
    /// Who pays.
    pub customer: Customer,
    /// The application's reference, for the secretariat and the applicant.
    pub reference: String,
    /// What is invoiced.
    pub line: Line,
    /// The VAT rate.
    pub vat_percent: u32,
    /// The VAT, rounded half up to the cent.
    pub vat: Cents,
    /// What the customer pays.
    pub total: Cents,
    /// What the payer writes with the transfer.
    pub payment_reference: String,
    /// How the invoice treats VAT, by where the customer is.
    #[serde(default)]
    pub vat_treatment: VatTreatment,
    /// What the invoice says about VAT it does not charge ("Btw verlegd").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_note: Option<String>,
    /// The values on it that the CBT has not confirmed yet (what each is):
    /// the invoice then says it shows example data and is not valid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unconfirmed: Vec<String>,
    /// An invoice or a credit note.
    #[serde(default)]
    pub kind: DocumentKind,
}

/// What is needed to make an invoice besides the number and date.
pub struct InvoiceInput<'a> {
    /// The CBT.
    pub supplier: &'a Supplier,
    /// The fee schedule.
    pub fees: &'a FeeSchedule,
    /// The payment term.
    pub payment_term_days: u32,
    /// Who pays.
    pub customer: Customer,
    /// The application's reference.
    pub reference: &'a str,
    /// The tariff's key.
    pub tariff: &'a str,
    /// The customer term applied for, for the description.
    pub customer_term_years: u32,
    /// The invoice's words for VAT it does not charge.
    pub vat: &'a crate::VatRules,
    /// What the CBT has not confirmed among the values the invoice uses
    /// ([`crate::Rules::unconfirmed_in`] of [`INVOICE_READS`]).
    pub unconfirmed: Vec<String>,
}

/// The data files an invoice reads: an unconfirmed value in them makes
/// every invoice an example.
pub const INVOICE_READS: &[(&str, &str)] = &[
    (crate::supplier::FILE, ""),
    (crate::fees::FILE, ""),
    (crate::vat::FILE, ""),
    (crate::periods::FILE, "payment_term_days"),
];

/// What an application's invoice will ask, before it is made: the check
/// page shows it, and the case keeps its total as the amount to be paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// The fee before VAT.
    pub excl_vat: Cents,
    /// The VAT rate charged.
    pub vat_percent: u32,
    /// The VAT charged.
    pub vat: Cents,
    /// What is paid.
    pub total: Cents,
    /// How the VAT is treated.
    pub treatment: VatTreatment,
    /// What the invoice says about VAT it does not charge.
    pub note: Option<String>,
}

/// What the invoice of `application` will ask; `None` for a tariff the
/// fees do not know.
pub fn due(rules: &crate::Rules, application: &crate::application::Application) -> Option<Due> {
    let tariff = rules.fees.tariff(&application.organisation.tariff)?;
    let treatment = VatTreatment::of(&application.invoice);
    let vat_percent = treatment.percent(rules.fees.vat_percent);
    let vat = tariff.excl_vat.percent(vat_percent);
    Some(Due {
        excl_vat: tariff.excl_vat,
        vat_percent,
        vat,
        total: tariff.excl_vat + vat,
        treatment,
        note: treatment.note(&rules.vat),
    })
}

/// What the CBT has not confirmed among what the invoice to `customer`
/// reads, each as its note says it. Of the texts for VAT not charged
/// (`vat.toml`), only the one this invoice prints counts.
pub fn unconfirmed(rules: &crate::Rules, customer: &Customer) -> Vec<String> {
    // The one text of vat.toml this invoice prints, if any.
    let printed = match VatTreatment::of(customer) {
        VatTreatment::Dutch => None,
        VatTreatment::ReverseCharge => Some("reverse_charge_note"),
        VatTreatment::OutsideEu => Some("outside_eu_note"),
    };
    rules
        .unconfirmed_in(INVOICE_READS)
        .into_iter()
        .filter(|u| {
            u.file != crate::vat::FILE || printed.is_some_and(|key| u.concerns(&u.file, key))
        })
        .map(|u| format!("{} ({})", u.note, u.shown))
        .collect()
}

/// Why an invoice cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// The tariff is not in the fee schedule.
    #[error("onbekend tarief \"{0}\"")]
    UnknownTariff(String),
    /// The due date would be past the end of the calendar.
    #[error("de vervaldatum valt buiten de kalender")]
    DateOutOfRange,
}

impl Invoice {
    /// Makes the invoice numbered `number`, dated `date`.
    pub fn new(
        input: InvoiceInput<'_>,
        number: InvoiceNumber,
        date: NaiveDate,
    ) -> Result<Invoice, InvoiceError> {
        let tariff = input
            .fees
            .tariff(input.tariff)
            .ok_or_else(|| InvoiceError::UnknownTariff(input.tariff.to_string()))?;
        let due_date = date
            .checked_add_days(chrono::Days::new(u64::from(input.payment_term_days)))
            .ok_or(InvoiceError::DateOutOfRange)?;
        let treatment = VatTreatment::of(&input.customer);
        let vat_percent = treatment.percent(input.fees.vat_percent);
        let vat = tariff.excl_vat.percent(vat_percent);
        let description = format!(
            "Adviesaanvraag Commissie Balanstoets Telemarketing: klanttermijn van {} jaar ({}), referentie {}",
            input.customer_term_years,
            tariff.label.to_lowercase(),
            input.reference
        );
        Ok(Invoice {
            number,
            date,
            due_date,
            payment_term_days: input.payment_term_days,
            supplier: input.supplier.clone(),
            customer: input.customer,
            reference: input.reference.to_string(),
            line: Line {
                description,
                tariff: tariff.key.clone(),
                excl_vat: tariff.excl_vat,
            },
            vat_percent,
            vat,
            total: tariff.excl_vat + vat,
            payment_reference: format!("Factuur {number}"),
            vat_treatment: treatment,
            vat_note: treatment.note(input.vat),
            unconfirmed: input.unconfirmed,
            kind: DocumentKind::Invoice,
        })
    }

    /// The credit note numbered `number` (of the credit notes' series),
    /// dated `date`, that cancels this invoice: every amount negated, the
    /// same customer, line, VAT treatment and notes.
    pub fn credit_note(&self, number: InvoiceNumber, date: NaiveDate) -> Invoice {
        Invoice {
            number,
            date,
            due_date: date,
            payment_term_days: 0,
            line: Line {
                description: format!(
                    "Creditering van factuur {}: {}",
                    self.number, self.line.description
                ),
                excl_vat: Cents(-self.line.excl_vat.0),
                ..self.line.clone()
            },
            vat: Cents(-self.vat.0),
            total: Cents(-self.total.0),
            payment_reference: format!("Creditnota {}", credit_note_number(number)),
            kind: DocumentKind::CreditNote {
                credits: self.number,
                credits_date: self.date,
            },
            ..self.clone()
        }
    }

    /// The number as printed: `2027-0001`, or `C-2027-0001` for a credit
    /// note.
    pub fn number_text(&self) -> String {
        match self.kind {
            DocumentKind::Invoice => self.number.to_string(),
            DocumentKind::CreditNote { .. } => credit_note_number(self.number),
        }
    }

    /// "Factuur" or "Creditnota".
    pub fn title(&self) -> &'static str {
        match self.kind {
            DocumentKind::Invoice => "Factuur",
            DocumentKind::CreditNote { .. } => "Creditnota",
        }
    }

    /// The file name it is sent under: `factuur-2027-0001.pdf`,
    /// `creditnota-C-2027-0001.pdf`.
    pub fn filename(&self) -> String {
        format!("{}-{}.pdf", self.title().to_lowercase(), self.number_text())
    }

    /// The supply: the advice is paid in advance, so the invoice says it
    /// asks an advance payment. The date of that payment is not known
    /// when the invoice is made (the due date is the last day to pay, not
    /// the day of payment), so none is printed; the advice, the supply,
    /// follows the payment.
    pub fn supply_note(&self) -> String {
        match self.kind {
            DocumentKind::Invoice => "Factuur voor vooruitbetaling: de CBT brengt het advies uit nadat de betaling is ontvangen."
                .to_string(),
            DocumentKind::CreditNote { credits, credits_date } => format!(
                "Deze creditnota vervalt factuur {credits} van {} voor het volledige bedrag.",
                dutch_date(credits_date)
            ),
        }
    }

    /// How to pay, in one sentence.
    pub fn payment_text(&self) -> String {
        if let DocumentKind::CreditNote { credits, .. } = self.kind {
            // What happens to money already paid is the secretariat's to
            // arrange; the credit note only cancels the claim.
            return format!(
                "U hoeft factuur {credits} niet (meer) te betalen. Heeft u al betaald, dan neemt het secretariaat ({}) contact met u op over de terugbetaling van {}.",
                self.supplier.email,
                Cents(-self.total.0),
            );
        }
        format!(
            "Maak het bedrag van {} uiterlijk {} ({} dagen na de factuurdatum) over naar IBAN {} (BIC {}) ten name van {}, onder vermelding van {}.",
            self.total,
            dutch_date(self.due_date),
            self.payment_term_days,
            crate::formats::format_iban(&self.supplier.iban),
            self.supplier.bic,
            self.supplier.name,
            self.payment_reference,
        )
    }

    /// What the total is called: with VAT, or (none charged) the amount due.
    pub fn total_label(&self) -> &'static str {
        if let DocumentKind::CreditNote { .. } = self.kind {
            return "Totaal creditnota";
        }
        match self.vat_treatment {
            VatTreatment::Dutch => "Totaal incl. btw",
            VatTreatment::ReverseCharge | VatTreatment::OutsideEu => "Te betalen",
        }
    }
}

/// `C-2027-0001`: a credit note's number.
pub fn credit_note_number(number: InvoiceNumber) -> String {
    format!("C-{number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_and_parse() {
        let n = InvoiceNumber { year: 2026, seq: 7 };
        assert_eq!(n.to_string(), "2026-0007");
        assert_eq!("2026-0007".parse::<InvoiceNumber>(), Ok(n));
        assert_eq!(
            "2026-12345".parse::<InvoiceNumber>().map(|n| n.seq),
            Ok(12345)
        );
        for bad in [
            "",
            "2026",
            "2026-7",
            "26-0007",
            "2026-0000",
            "2026-00a7",
            "2026/0007",
        ] {
            assert!(bad.parse::<InvoiceNumber>().is_err(), "{bad}");
        }
    }
}
