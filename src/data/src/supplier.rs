//! The CBT as supplier on its invoices (`content/data/supplier.toml`).
//! Every invoice shows these details, as Dutch law requires (name, address,
//! KvK number, btw-id) plus where to pay.

use serde::{Deserialize, Serialize};

use crate::sources::{invalid, DataError};

/// Where the supplier's details live, under `content/`.
pub const FILE: &str = "data/supplier.toml";

/// The CBT as supplier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Supplier {
    /// The legal name.
    pub name: String,
    /// Street and number.
    pub street: String,
    /// Postcode (`1234 AB`).
    pub postcode: String,
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
    /// KvK number, 8 digits.
    pub kvk: String,
    /// Btw-id.
    pub vat_id: String,
    /// Where invoices are paid.
    pub iban: String,
    /// The bank's BIC.
    pub bic: String,
    /// The address on invoices.
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
