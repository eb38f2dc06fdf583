//! The texts an invoice prints when it carries no Dutch VAT
//! (`content/data/vat.toml`). Which invoice carries which is a rule of
//! the code (`cbt::invoice::vat`), by where the customer is; the words
//! are the CBT's accountant's to confirm, so they are data.

use serde::{Deserialize, Serialize};

/// Where the texts live, under `content/`.
pub const FILE: &str = "data/vat.toml";

/// The invoice's words for VAT that is not charged.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VatRules {
    /// A business customer in another EU member state with a VAT id: the
    /// customer accounts for the VAT (reverse charge).
    pub reverse_charge_note: String,
    /// A business customer outside the EU: the service is taxed where the
    /// customer is established, so no Dutch VAT.
    pub outside_eu_note: String,
}
