//! Which VAT an invoice carries: by where the customer is, under the
//! general rule for services between businesses (the place of supply is
//! where the customer is established).
//!
//! The Belastingdienst on the rules this follows:
//! - services to customers abroad, the general rule (a business customer:
//!   taxed in its country; in the EU the VAT is reverse-charged to it):
//!   <https://www.belastingdienst.nl/wps/wcm/connect/bldcontentnl/belastingdienst/zakelijk/btw/btw_berekenen_aan_uw_klanten/btw_berekenen_bij_diensten/diensten_aan_het_buitenland/>
//! - what an invoice shows when the VAT is reverse-charged ("btw
//!   verlegd", the customer's btw-id next to one's own):
//!   <https://www.belastingdienst.nl/wps/wcm/connect/bldcontentnl/belastingdienst/zakelijk/btw/administratie_bijhouden/facturen_maken/factuureisen/>
//! - the btw-id of a customer in another member state is checked in
//!   VIES before the VAT is reverse-charged (the secretariat's task; the
//!   form checks its shape and country only):
//!   <https://www.belastingdienst.nl/wps/wcm/connect/bldcontentnl/belastingdienst/zakelijk/btw/btw_berekenen_aan_uw_klanten/btw_berekenen_bij_diensten/diensten_aan_het_buitenland/btw_id_controleren/>
//!
//! The rules and the invoice's words (`content/data/vat.toml`) are marked
//! unconfirmed until the CBT's accountant confirms them. Two choices here
//! are the CBT's: an organisation outside the EU counts as a business
//! (only legal persons apply, and they give a registration number), and
//! one in another member state without a btw-id is treated as a
//! non-business and pays Dutch VAT.

use serde::{Deserialize, Serialize};

use super::Customer;
use crate::countries;

/// How an invoice treats VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatTreatment {
    /// Dutch VAT at the schedule's rate: a customer in the Netherlands,
    /// or in another member state without a btw-id. (Every invoice made
    /// before this rule was one.)
    #[default]
    Dutch,
    /// A business in another EU member state with its btw-id: no Dutch
    /// VAT, the customer accounts for it ("btw verlegd").
    ReverseCharge,
    /// A business outside the EU: the service is taxed where it is, no
    /// Dutch VAT.
    OutsideEu,
}

impl VatTreatment {
    /// The treatment of an invoice to `customer`. A country the list does
    /// not know (a case stored with a country typed by hand) is treated
    /// as Dutch: the safe side, since Dutch VAT is never wrongly left off.
    pub fn of(customer: &Customer) -> VatTreatment {
        let Some(country) = countries::by_code(customer.code()) else {
            return VatTreatment::Dutch;
        };
        if country.code == countries::NETHERLANDS {
            VatTreatment::Dutch
        } else if !country.eu {
            VatTreatment::OutsideEu
        } else if customer.vat_id.as_ref().is_some_and(|id| {
            id.as_str()
                .starts_with(crate::formats::vat_prefix(country.code))
        }) {
            VatTreatment::ReverseCharge
        } else {
            VatTreatment::Dutch
        }
    }

    /// The VAT rate charged, in whole percent: the schedule's for Dutch
    /// VAT, else none.
    pub fn percent(self, dutch_percent: u32) -> u32 {
        match self {
            VatTreatment::Dutch => dutch_percent,
            VatTreatment::ReverseCharge | VatTreatment::OutsideEu => 0,
        }
    }

    /// What the invoice says about the VAT it does not charge
    /// (`content/data/vat.toml`); none for Dutch VAT.
    pub fn note(self, rules: &crate::VatRules) -> Option<String> {
        match self {
            VatTreatment::Dutch => None,
            VatTreatment::ReverseCharge => Some(rules.reverse_charge_note.clone()),
            VatTreatment::OutsideEu => Some(rules.outside_eu_note.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Email, VatId};

    fn customer(country: &str, vat_id: Option<&str>) -> Customer {
        Customer {
            name: "Klant".into(),
            street: "Straat 1".into(),
            postcode: "1000".into(),
            city: "Stad".into(),
            country: countries::by_code(country)
                .map_or(country, |c| c.name)
                .to_string(),
            country_code: country.to_string(),
            email: Email::parse("a@b.nl").expect("address"),
            extra: None,
            vat_id: vat_id.map(|v| VatId::parse(v).expect("btw-id")),
        }
    }

    #[test]
    fn the_four_cases() {
        use VatTreatment::{Dutch, OutsideEu, ReverseCharge};
        for (country, vat_id, want) in [
            ("NL", Some("NL004495445B01"), Dutch),
            ("NL", None, Dutch),
            ("BE", Some("BE0123456749"), ReverseCharge),
            ("DE", Some("DE123456789"), ReverseCharge),
            ("GR", Some("EL123456789"), ReverseCharge),
            ("DE", None, Dutch),
            // A btw-id of another country than the address's.
            ("DE", Some("BE0123456749"), Dutch),
            ("CH", None, OutsideEu),
            ("GB", None, OutsideEu),
            ("US", None, OutsideEu),
            ("CW", None, OutsideEu),
            ("XX", None, Dutch),
        ] {
            assert_eq!(
                VatTreatment::of(&customer(country, vat_id)),
                want,
                "{country} {vat_id:?}"
            );
        }
        assert_eq!(Dutch.percent(21), 21);
        assert_eq!(ReverseCharge.percent(21), 0);
        assert_eq!(OutsideEu.percent(21), 0);
    }

    #[test]
    fn a_customer_stored_with_a_typed_country_is_found() {
        let mut old = customer("BE", Some("BE0123456749"));
        old.country_code = String::new();
        old.country = "België".into();
        assert_eq!(VatTreatment::of(&old), VatTreatment::ReverseCharge);
        old.country = "Nederland".into();
        assert_eq!(VatTreatment::of(&old), VatTreatment::Dutch);
    }
}
