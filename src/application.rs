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
    /// Whom the organisation wants to phone for longer: one or more, in
    /// the form's order. A case stored when the form allowed one choice
    /// has `relationship` with one value; it reads as a list of one.
    #[serde(alias = "relationship", deserialize_with = "one_or_more")]
    pub relationships: Vec<Relationship>,
    /// The customer term applied for, in whole years.
    pub term_years: u32,
    /// What the advice is to cover (a brand, a product, an activity),
    /// when the applicant says; else the whole organisation.
    #[serde(default)]
    pub scope: Option<String>,
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
    /// Where it is established: a country code (`NL`, `BE`). Cases
    /// stored before the form asked are Dutch.
    #[serde(default = "netherlands")]
    pub country: String,
    /// Its KvK number: an organisation in the Netherlands has one.
    #[serde(default)]
    pub kvk: Option<Kvk>,
    /// Its number in its own country's register, for one elsewhere.
    #[serde(default)]
    pub registration: Option<String>,
    /// Its kind, which decides the fee: a key of the fee schedule.
    pub tariff: String,
}

fn netherlands() -> String {
    crate::countries::NETHERLANDS.to_string()
}

/// One relationship (as stored before several could be chosen) or a list.
fn one_or_more<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Relationship>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMore {
        One(Relationship),
        More(Vec<Relationship>),
    }
    Ok(match OneOrMore::deserialize(d)? {
        OneOrMore::One(r) => vec![r],
        OneOrMore::More(list) => list,
    })
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// Whom the organisation wants to phone, as the form's choices say it,
    /// in a Dutch sentence: "oud-klanten en oud-leden".
    pub fn audience(&self, form: &crate::FormDef) -> String {
        let field = form.field(field::RELATIONSHIP);
        let words: Vec<String> = self
            .relationships
            .iter()
            .map(|r| {
                field
                    .and_then(|f| f.options.iter().find(|o| o.value == r.value()))
                    .map_or_else(|| r.value().replace('_', "-"), |o| o.label.to_lowercase())
            })
            .collect();
        match words.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} en {last}", rest.join(", ")),
        }
    }

    /// The organisation's registration as a reader sees it: "KvK
    /// 12345678", or the country and number abroad.
    pub fn registration(&self) -> String {
        let o = &self.organisation;
        match (&o.kvk, &o.registration) {
            (Some(kvk), _) => format!("KvK {kvk}"),
            (None, Some(number)) => {
                let country =
                    crate::countries::by_code(&o.country).map_or(o.country.as_str(), |c| c.name);
                format!("{country}, registratienummer {number}")
            }
            (None, None) => String::new(),
        }
    }

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
        let chosen = a.required(field::RELATIONSHIP)?;
        let mut relationships = chosen
            .split(',')
            .map(|v| Relationship::from_value(v.trim()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid(field::RELATIONSHIP, chosen.clone()))?;
        relationships.sort_unstable();
        relationships.dedup();
        let country = a.required(field::ORGANISATION_COUNTRY)?;
        if crate::countries::by_code(&country).is_none() {
            return Err(invalid(field::ORGANISATION_COUNTRY, country));
        }
        let invoice_country = a.required(field::INVOICE_COUNTRY)?;
        let invoice_country = crate::countries::by_code(&invoice_country)
            .ok_or_else(|| invalid(field::INVOICE_COUNTRY, invoice_country.clone()))?;
        let term = a.required(field::TERM_YEARS)?;
        let term_years = term
            .parse::<u32>()
            .map_err(|_| invalid(field::TERM_YEARS, term.clone()))?;
        Ok(Application {
            organisation: Organisation {
                name: a.required(field::ORGANISATION_NAME)?,
                kvk: a.parsed_optional(field::KVK, Kvk::parse)?,
                registration: a.optional(field::REGISTRATION),
                country,
                tariff,
            },
            on_behalf,
            contact: ContactPerson {
                name: a.required(field::CONTACT_NAME)?,
                role: a.optional(field::CONTACT_ROLE),
                email: a.parsed(field::CONTACT_EMAIL, Email::parse)?,
                phone: a.parsed_optional(field::CONTACT_PHONE, Phone::parse)?,
            },
            relationships,
            term_years,
            scope: a.optional(field::SCOPE),
            motivation: a.optional(field::MOTIVATION),
            invoice: Customer {
                name: a.required(field::INVOICE_NAME)?,
                street: a.required(field::INVOICE_STREET)?,
                postcode: a.required(field::INVOICE_POSTCODE)?,
                city: a.required(field::INVOICE_CITY)?,
                country: invoice_country.name.to_string(),
                country_code: invoice_country.code.to_string(),
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
            documents: Vec::new(),
        }
    }

    fn complete() -> Vec<(&'static str, &'static str)> {
        vec![
            ("organisatie_naam", "Voorbeeld B.V."),
            ("organisatie_land", "NL"),
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
            ("factuur_land", "NL"),
            ("factuur_email", "factuur@voorbeeld.nl"),
            ("btw_nummer", "NL004495445B01"),
            ("een_extra_vraag", "ook bewaard"),
        ]
    }

    #[test]
    fn a_checked_post_becomes_typed_values() {
        let a = Application::from_submission(&submission(&complete()), &fees()).expect("valid");
        assert_eq!(
            a.organisation.kvk.as_ref().map(Kvk::as_str),
            Some("12345678")
        );
        assert_eq!(a.invoice.country, "Nederland");
        assert_eq!(a.invoice.country_code, "NL");
        assert_eq!(
            a.on_behalf,
            OnBehalf::Representative {
                organisations: "A B.V. 12345678\nB B.V. 87654321".into()
            }
        );
        assert_eq!(a.relationships, vec![Relationship::FormerDonors]);
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
            ("relatie", "oud_klanten,oud_abonnees"),
            ("organisatie_land", "XX"),
            ("factuur_land", "Atlantis"),
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
    fn several_relationships_and_a_foreign_organisation() {
        let mut pairs: Vec<_> = complete()
            .into_iter()
            .filter(|(k, _)| !matches!(*k, "relatie" | "kvk_nummer" | "organisatie_land"))
            .collect();
        pairs.extend([
            ("relatie", "oud_klanten,oud_donateurs"),
            ("organisatie_land", "BE"),
            ("registratienummer", "0123.456.749"),
            ("reikwijdte", "Het merk Voorbeeld"),
        ]);
        let a = Application::from_submission(&submission(&pairs), &fees()).expect("valid");
        assert_eq!(
            a.relationships,
            vec![Relationship::FormerCustomers, Relationship::FormerDonors]
        );
        assert_eq!(a.organisation.kvk, None);
        assert_eq!(a.registration(), "België, registratienummer 0123.456.749");
        assert_eq!(a.scope.as_deref(), Some("Het merk Voorbeeld"));
        let form = crate::embedded_rules().expect("rules").forms.application;
        assert_eq!(a.audience(&form), "oud-klanten en oud-donateurs");
    }

    /// A case stored before the form asked for the country, for several
    /// relationships and for a scope still reads, as a Dutch organisation
    /// with one relationship.
    #[test]
    fn an_application_stored_in_the_old_shape_still_reads() {
        let a = Application::from_submission(&submission(&complete()), &fees()).expect("valid");
        let mut json = serde_json::to_value(&a).expect("json");
        let object = json.as_object_mut().expect("object");
        object.remove("relationships");
        object.insert("relationship".into(), serde_json::json!("oud_leden"));
        object.remove("scope");
        let organisation = object
            .get_mut("organisation")
            .and_then(|o| o.as_object_mut())
            .expect("organisation");
        organisation.remove("country");
        organisation.remove("registration");
        let invoice = object
            .get_mut("invoice")
            .and_then(|o| o.as_object_mut())
            .expect("invoice");
        invoice.remove("country_code");
        let old: Application = serde_json::from_value(json).expect("the old shape reads");
        assert_eq!(old.relationships, vec![Relationship::FormerMembers]);
        assert_eq!(old.organisation.country, "NL");
        assert_eq!(old.invoice.code(), "NL");
        assert_eq!(old.scope, None);
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
