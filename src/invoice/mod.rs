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

use crate::data::{invalid, DataError};
use crate::fees::FeeSchedule;
use crate::money::Cents;

/// Where the supplier's details live, under `content/`.
pub const SUPPLIER_FILE: &str = "data/supplier.toml";

/// The CBT as supplier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Supplier {
    pub name: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub kvk: String,
    pub vat_id: String,
    pub iban: String,
    pub bic: String,
    pub email: String,
}

impl Supplier {
    /// Checks the numbers an invoice must get right, and normalises them.
    pub fn validate(mut self, file: &str) -> Result<Supplier, Vec<DataError>> {
        let mut errors = Vec::new();
        let mut fix =
            |value: &mut String,
             what: &str,
             example: &str,
             f: fn(&str) -> Result<String, crate::formats::FormatError>| {
                match f(value) {
                    Ok(v) => *value = v,
                    Err(_) => errors.push(invalid(
                        file,
                        format!("{what} \"{value}\" is niet geldig"),
                        format!("Bijvoorbeeld {example}."),
                    )),
                }
            };
        fix(
            &mut self.kvk,
            "het KvK-nummer",
            "\"12345678\" (8 cijfers)",
            crate::formats::normalize_kvk,
        );
        fix(
            &mut self.vat_id,
            "het btw-id",
            "\"NL004495445B01\"",
            crate::formats::normalize_vat_id,
        );
        fix(
            &mut self.iban,
            "de IBAN",
            "\"NL91ABNA0417164300\"",
            crate::formats::normalize_iban,
        );
        fix(
            &mut self.postcode,
            "de postcode",
            "\"1234 AB\"",
            crate::formats::normalize_postcode_nl,
        );
        fix(
            &mut self.email,
            "het e-mailadres",
            "\"aanvragen@balanstoetstelemarketing.nl\"",
            crate::formats::normalize_email,
        );
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// `2026-0007`: the year and the place in that year's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InvoiceNumber {
    pub year: i32,
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
    pub name: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub email: String,
    /// "Extra informatie factuur (bijv. PO-nummer)".
    pub extra: Option<String>,
    pub vat_id: Option<String>,
}

/// The one line of an advice invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    /// The tariff applied (`commercieel`).
    pub tariff: String,
    pub excl_vat: Cents,
}

/// A complete invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: InvoiceNumber,
    pub date: NaiveDate,
    pub due_date: NaiveDate,
    pub payment_term_days: u32,
    pub supplier: Supplier,
    pub customer: Customer,
    /// The application's reference, for the secretariat and the applicant.
    pub reference: String,
    pub line: Line,
    pub vat_percent: u32,
    pub vat: Cents,
    pub total: Cents,
    /// What the payer writes with the transfer.
    pub payment_reference: String,
}

/// What is needed to make an invoice besides the number and date.
pub struct InvoiceInput<'a> {
    pub supplier: &'a Supplier,
    pub fees: &'a FeeSchedule,
    pub payment_term_days: u32,
    pub customer: Customer,
    pub reference: &'a str,
    pub tariff: &'a str,
    pub customer_term_years: u32,
}

/// Why an invoice cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("onbekend tarief \"{0}\"")]
    UnknownTariff(String),
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

/// `30 november 2026`.
pub fn dutch_date(date: NaiveDate) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
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

    #[test]
    fn dutch_dates() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        assert_eq!(dutch_date(d), "30 november 2026");
    }
}
