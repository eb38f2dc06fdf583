//! Invoices: what Dutch law requires on one, computed in whole cents, and
//! rendered as text, HTML and a one-page A4 PDF ([`pdf`]).
//!
//! The store assigns the number ([`InvoiceNumber`], one gapless sequence per
//! calendar year); everything else follows from the application, the fees
//! and the supplier's details in `content/data/supplier.toml`.

pub mod pdf;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::dates::dutch_date;
use crate::fees::FeeSchedule;
use crate::formats::{Email, VatId};
use crate::money::Cents;
pub use crate::supplier::Supplier;

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
    /// Country, as typed.
    pub country: String,
    /// Where the invoice is mailed.
    pub email: Email,
    /// The customer's own reference, such as a purchase order number.
    pub extra: Option<String>,
    /// The customer's btw-id, printed on the invoice when given.
    pub vat_id: Option<VatId>,
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
            vat_percent: input.fees.vat_percent,
            vat: tariff.vat,
            total: tariff.total,
            payment_reference: format!("Factuur {number}"),
        })
    }

    /// The supply: the advice is paid in advance, so the invoice states
    /// that it concerns an advance payment, dated the invoice date.
    pub fn supply_note(&self) -> String {
        format!(
            "Vooruitbetaling van het advies; datum van de vooruitbetaling: uiterlijk {}",
            dutch_date(self.due_date)
        )
    }
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
