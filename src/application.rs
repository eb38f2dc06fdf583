//! An application as typed values: what the rules act on.
//!
//! The form ([`crate::forms`]) is data that editors change; the code reads
//! only the fields listed in [`crate::needs`], whose presence and kinds the
//! data check guarantees. [`Application::from_submission`] turns a checked
//! post into this value once, so the invoice, the mails and the summary
//! take typed values and never look a field up by a name an editor could
//! change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fees::FeeSchedule;
use crate::formats::{Email, FormatError, Kvk, Phone, VatId};
use crate::invoice::Customer;
use crate::needs::application as field;
use crate::validate::Submission;

/// A complete application, as the applicant sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// The organisation that applies.
    pub organisation: Organisation,
    /// For itself, or for several legal persons it represents.
    pub on_behalf: OnBehalf,
    /// The person the secretariat deals with.
    pub contact: ContactPerson,
    /// Whom the organisation wants to phone for longer.
    pub relationship: Relationship,
    /// The customer term applied for, in whole years.
    pub term_years: u32,
    /// The short motivation, when the form asks for one.
    pub motivation: Option<String>,
    /// Who pays: the invoice's customer.
    pub invoice: Customer,
    /// Every answer as the form normalised it, by field name, including
    /// fields the code does not read: what the check page, the mails and
    /// the secretariat show, and what "Wijzigen" fills the form with.
    pub answers: BTreeMap<String, String>,
}

/// The organisation that applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Its registered name.
    pub name: String,
    /// Its KvK number.
    pub kvk: Kvk,
    /// Its kind, which decides the fee: a key of the fee schedule.
    pub tariff: String,
}

/// For whom the advice is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OnBehalf {
    /// The organisation itself.
    OwnOrganisation,
    /// Several legal persons, by a representative.
    Representative {
        /// Their names and KvK numbers, one per line, as given.
        organisations: String,
    },
}

/// The person the secretariat deals with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPerson {
    /// Full name.
    pub name: String,
    /// Job title, when given.
    pub role: Option<String>,
    /// Where the confirmation goes.
    pub email: Email,
    /// Phone number, when given.
    pub phone: Option<Phone>,
}

/// Whom the organisation wants to phone after the three years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relationship {
    /// Former customers.
    #[serde(rename = "oud_klanten")]
    FormerCustomers,
    /// Former members.
    #[serde(rename = "oud_leden")]
    FormerMembers,
    /// Former donors.
    #[serde(rename = "oud_donateurs")]
    FormerDonors,
}

impl Relationship {
    /// The option's value on the form ([`crate::needs::RELATIONSHIPS`]).
    pub fn value(self) -> &'static str {
        match self {
            Relationship::FormerCustomers => "oud_klanten",
            Relationship::FormerMembers => "oud_leden",
            Relationship::FormerDonors => "oud_donateurs",
        }
    }

    fn from_value(value: &str) -> Option<Relationship> {
        [
            Relationship::FormerCustomers,
            Relationship::FormerMembers,
            Relationship::FormerDonors,
        ]
        .into_iter()
        .find(|r| r.value() == value)
    }
}

/// A checked post that does not make an application: the form definition
/// and the code disagree, which the data check (`crate::needs`) exists to
/// prevent. A fault of the build, never of the applicant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// A field the code needs has no answer.
    #[error("het antwoord op \"{0}\" ontbreekt")]
    Missing(&'static str),
    /// An answer is not what its field's kind promises.
    #[error("het antwoord op \"{field}\" is geen geldige waarde: {value:?}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What it held.
        value: String,
    },
}

/// Reads a checked post's answers by the names in [`crate::needs`].
pub(crate) struct Answers<'a>(pub(crate) &'a BTreeMap<String, String>);

impl Answers<'_> {
    pub(crate) fn optional(&self, name: &'static str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    pub(crate) fn required(&self, name: &'static str) -> Result<String, AnswerError> {
        self.optional(name).ok_or(AnswerError::Missing(name))
    }

    pub(crate) fn parsed<T>(
        &self,
        name: &'static str,
        parse: fn(&str) -> Result<T, FormatError>,
    ) -> Result<T, AnswerError> {
        let value = self.required(name)?;
        parse(&value).map_err(|_| AnswerError::Invalid { field: name, value })
    }

    pub(crate) fn parsed_optional<T>(
        &self,
        name: &'static str,
        parse: fn(&str) -> Result<T, FormatError>,
    ) -> Result<Option<T>, AnswerError> {
        match self.optional(name) {
            None => Ok(None),
            Some(value) => parse(&value)
                .map(Some)
                .map_err(|_| AnswerError::Invalid { field: name, value }),
        }
    }
}

impl Application {
    /// The application in a post that passed the application form's
    /// checks; `fees` knows the tariffs.
    pub fn from_submission(
        submission: &Submission,
        fees: &FeeSchedule,
    ) -> Result<Application, AnswerError> {
        let a = Answers(&submission.values);
        let invalid = |field: &'static str, value: String| AnswerError::Invalid { field, value };
        let tariff = a.required(field::TARIFF)?;
        if fees.tariff(&tariff).is_none() {
            return Err(invalid(field::TARIFF, tariff));
        }
        let on_behalf = match a.required(field::ON_BEHALF)?.as_str() {
            field::ON_BEHALF_OWN => OnBehalf::OwnOrganisation,
            field::ON_BEHALF_REPRESENTATIVE => OnBehalf::Representative {
                organisations: a.required(field::REPRESENTED)?,
            },
            other => return Err(invalid(field::ON_BEHALF, other.to_string())),
        };
        let relationship = a.required(field::RELATIONSHIP)?;
        let relationship = Relationship::from_value(&relationship)
            .ok_or_else(|| invalid(field::RELATIONSHIP, relationship.clone()))?;
        let term = a.required(field::TERM_YEARS)?;
        let term_years = term
            .parse::<u32>()
            .map_err(|_| invalid(field::TERM_YEARS, term.clone()))?;
        Ok(Application {
            organisation: Organisation {
                name: a.required(field::ORGANISATION_NAME)?,
                kvk: a.parsed(field::KVK, Kvk::parse)?,
                tariff,
            },
            on_behalf,
            contact: ContactPerson {
                name: a.required(field::CONTACT_NAME)?,
                role: a.optional(field::CONTACT_ROLE),
                email: a.parsed(field::CONTACT_EMAIL, Email::parse)?,
                phone: a.parsed_optional(field::CONTACT_PHONE, Phone::parse)?,
            },
            relationship,
            term_years,
            motivation: a.optional(field::MOTIVATION),
            invoice: Customer {
                name: a.required(field::INVOICE_NAME)?,
                street: a.required(field::INVOICE_STREET)?,
                postcode: a.required(field::INVOICE_POSTCODE)?,
                city: a.required(field::INVOICE_CITY)?,
                country: a.required(field::INVOICE_COUNTRY)?,
                email: a.parsed(field::INVOICE_EMAIL, Email::parse)?,
                extra: a.optional(field::INVOICE_REFERENCE),
                vat_id: a.parsed_optional(field::VAT_ID, VatId::parse)?,
            },
            answers: submission.values.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fees() -> FeeSchedule {
        crate::embedded_rules().expect("rules").fees
    }

    fn submission(pairs: &[(&str, &str)]) -> Submission {
        Submission {
            form: "aanvraag".into(),
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            document: None,
        }
    }

    fn complete() -> Vec<(&'static str, &'static str)> {
        vec![
            ("organisatie_naam", "Voorbeeld B.V."),
            ("kvk_nummer", "12345678"),
            ("soort_organisatie", "commercieel"),
            ("namens", "vertegenwoordiger"),
            (
                "vertegenwoordigde_organisaties",
                "A B.V. 12345678\nB B.V. 87654321",
            ),
            ("contact_naam", "Jan de Vries"),
            ("contact_email", "jan@voorbeeld.nl"),
            ("relatie", "oud_donateurs"),
            ("klanttermijn_jaren", "5"),
            ("factuur_naam", "Voorbeeld B.V."),
            ("factuur_straat", "Straat 1"),
            ("factuur_postcode", "1234 AB"),
            ("factuur_plaats", "Amsterdam"),
            ("factuur_land", "Nederland"),
            ("factuur_email", "factuur@voorbeeld.nl"),
            ("btw_nummer", "NL004495445B01"),
            ("een_extra_vraag", "ook bewaard"),
        ]
    }

    #[test]
    fn a_checked_post_becomes_typed_values() {
        let a = Application::from_submission(&submission(&complete()), &fees()).expect("valid");
        assert_eq!(a.organisation.kvk.as_str(), "12345678");
        assert_eq!(
            a.on_behalf,
            OnBehalf::Representative {
                organisations: "A B.V. 12345678\nB B.V. 87654321".into()
            }
        );
        assert_eq!(a.relationship, Relationship::FormerDonors);
        assert_eq!(a.term_years, 5);
        assert_eq!(
            (a.contact.role, a.contact.phone, a.motivation),
            (None, None, None)
        );
        assert_eq!(
            a.invoice.vat_id.map(String::from).as_deref(),
            Some("NL004495445B01")
        );
        assert_eq!(a.invoice.extra, None);
        assert_eq!(
            a.answers.get("een_extra_vraag").map(String::as_str),
            Some("ook bewaard")
        );
    }

    #[test]
    fn a_post_the_form_could_not_have_passed_is_a_typed_error() {
        let without = |name: &str| {
            let pairs: Vec<_> = complete().into_iter().filter(|(k, _)| *k != name).collect();
            Application::from_submission(&submission(&pairs), &fees())
        };
        assert_eq!(
            without("factuur_naam"),
            Err(AnswerError::Missing("factuur_naam"))
        );
        assert_eq!(
            without("vertegenwoordigde_organisaties"),
            Err(AnswerError::Missing("vertegenwoordigde_organisaties"))
        );
        let with = |name: &'static str, value: &'static str| {
            let mut pairs: Vec<_> = complete().into_iter().filter(|(k, _)| *k != name).collect();
            pairs.push((name, value));
            Application::from_submission(&submission(&pairs), &fees())
        };
        for (name, value) in [
            ("soort_organisatie", "overheid"),
            ("namens", "iemand"),
            ("relatie", "oud_abonnees"),
            ("klanttermijn_jaren", "vijf"),
            ("contact_email", "geen adres"),
            ("kvk_nummer", "123"),
            ("btw_nummer", "NL123"),
        ] {
            assert_eq!(
                with(name, value),
                Err(AnswerError::Invalid {
                    field: name,
                    value: value.to_string()
                }),
                "{name}"
            );
        }
        assert_eq!(
            with("namens", "eigen_organisatie").map(|a| a.on_behalf),
            Ok(OnBehalf::OwnOrganisation)
        );
    }

    #[test]
    fn relationships_are_the_values_the_needs_list() {
        for value in crate::needs::RELATIONSHIPS {
            let r = Relationship::from_value(value).expect("known");
            assert_eq!(r.value(), *value);
            assert_eq!(
                serde_json::to_value(r).expect("json"),
                serde_json::json!(value)
            );
        }
    }
}
