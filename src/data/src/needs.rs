//! The fields the code reads, by the names the forms must give them.
//!
//! Editors own a form's labels, hints, order, messages and option labels
//! (`content/data/forms/*.toml`); the code owns the names and kinds of the
//! fields it turns into typed values (the invoice address, the contact's
//! email, the tariff, ...). This module is the one list of those, and
//! [`check`] holds a form definition to it when the data files are parsed:
//! by `build.rs`, by `cbt-site check` and at start-up. Renaming such a field
//! therefore fails the build with the file, the line and what to do, where
//! it used to build green and then make invoices without a name.
//!
//! Fields an editor adds beyond these (an extra optional question) need no
//! code: they are checked by their kind and shown with every other answer.

use crate::forms::{Field, FieldType, FormDef};
use crate::sources::DataError;

/// Whether the code can do without the field's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The form must mark it `required = true`: the code needs the answer.
    Required,
    /// The code copes without an answer; the form decides.
    Optional,
    /// Required exactly when another field has this value; the form must
    /// say `required_if = [field, value]`.
    RequiredIf(&'static str, &'static str),
    /// Required exactly when another field does not have this value; the
    /// form must say `required_unless = [field, value]`.
    RequiredUnless(&'static str, &'static str),
}

/// What the code needs of a choice field's option values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Options {
    /// Not a choice.
    None,
    /// Exactly these values, each with a label the form chooses.
    Exactly(&'static [&'static str]),
    /// Some of these values (an editor may leave a choice out).
    Within(&'static [&'static str]),
    /// One option per tariff: `options_from_fees = true`.
    FromFees,
}

/// One field the code reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The field's `name` in the form definition.
    pub name: &'static str,
    /// The kinds of field whose value the code can read; the first is
    /// the one to suggest.
    pub kinds: &'static [FieldType],
    /// Whether the answer must be there.
    pub presence: Presence,
    /// What the code needs of its options.
    pub options: Options,
    /// What the code does with it, for the editor who broke it (Dutch).
    pub used_for: &'static str,
}

/// The application form's field names, for the code that reads them.
pub mod application {
    /// The organisation's registered name.
    pub const ORGANISATION_NAME: &str = "organisatie_naam";
    /// The country where it is established.
    pub const ORGANISATION_COUNTRY: &str = "organisatie_land";
    /// Its KvK number, for an organisation in the Netherlands.
    pub const KVK: &str = "kvk_nummer";
    /// Its registration number abroad, for an organisation elsewhere.
    pub const REGISTRATION: &str = "registratienummer";
    /// Its kind, which is its tariff.
    pub const TARIFF: &str = "soort_organisatie";
    /// For its own organisation or as a representative.
    pub const ON_BEHALF: &str = "namens";
    /// [`ON_BEHALF`]'s value for its own organisation.
    pub const ON_BEHALF_OWN: &str = "eigen_organisatie";
    /// [`ON_BEHALF`]'s value for a representative.
    pub const ON_BEHALF_REPRESENTATIVE: &str = "vertegenwoordiger";
    /// The legal persons a representative applies for.
    pub const REPRESENTED: &str = "vertegenwoordigde_organisaties";
    /// The contact person's name.
    pub const CONTACT_NAME: &str = "contact_naam";
    /// The contact person's job title.
    pub const CONTACT_ROLE: &str = "contact_functie";
    /// The contact person's email address.
    pub const CONTACT_EMAIL: &str = "contact_email";
    /// The contact person's phone number.
    pub const CONTACT_PHONE: &str = "contact_telefoon";
    /// Whom the organisation wants to phone for longer.
    pub const RELATIONSHIP: &str = "relatie";
    /// The customer term applied for, in years.
    pub const TERM_YEARS: &str = "klanttermijn_jaren";
    /// The short motivation.
    pub const MOTIVATION: &str = "motivering";
    /// What the advice is to cover: a brand, a product, an activity.
    pub const SCOPE: &str = "reikwijdte";
    /// The balancing test itself.
    pub const DOCUMENT: &str = "balanstest";
    /// Documents that support it.
    pub const ATTACHMENTS: &str = "bijlagen";
    /// The name on the invoice.
    pub const INVOICE_NAME: &str = "factuur_naam";
    /// The invoice address: street and number.
    pub const INVOICE_STREET: &str = "factuur_straat";
    /// The invoice address: postcode.
    pub const INVOICE_POSTCODE: &str = "factuur_postcode";
    /// The invoice address: city.
    pub const INVOICE_CITY: &str = "factuur_plaats";
    /// The invoice address: country.
    pub const INVOICE_COUNTRY: &str = "factuur_land";
    /// Where the invoice is mailed.
    pub const INVOICE_EMAIL: &str = "factuur_email";
    /// The customer's own reference (a purchase order number).
    pub const INVOICE_REFERENCE: &str = "factuur_extra";
    /// The customer's btw-id.
    pub const VAT_ID: &str = "btw_nummer";
}

/// The contact form's field names, for the code that reads them.
pub mod contact {
    /// The sender's name.
    pub const NAME: &str = "naam";
    /// The sender's organisation.
    pub const ORGANISATION: &str = "organisatie";
    /// The sender's email address: the answer goes there.
    pub const EMAIL: &str = "email";
    /// The sender's phone number.
    pub const PHONE: &str = "telefoon";
    /// The subject.
    pub const SUBJECT: &str = "onderwerp";
    /// The message.
    pub const MESSAGE: &str = "bericht";
}

/// The values of [`application::RELATIONSHIP`] the code knows.
pub const RELATIONSHIPS: &[&str] = &["oud_klanten", "oud_leden", "oud_donateurs"];

use FieldType::{
    Checkboxes, Country, Email, File, Kvk, Number, Postcode, Radio, Reference, Tel, Text, Textarea,
    VatId,
};

const fn need(
    name: &'static str,
    kinds: &'static [FieldType],
    presence: Presence,
    used_for: &'static str,
) -> Need {
    Need {
        name,
        kinds,
        presence,
        options: Options::None,
        used_for,
    }
}

/// What the code reads from the application form.
pub const APPLICATION: &[Need] = &[
    need(
        application::ORGANISATION_NAME,
        &[Text],
        Presence::Required,
        "de naam van de aanvrager in de e-mails",
    ),
    need(
        application::ORGANISATION_COUNTRY,
        &[Country],
        Presence::Required,
        "het land van de aanvrager, dat bepaalt of een KvK-nummer nodig is",
    ),
    need(
        application::KVK,
        &[Kvk],
        Presence::RequiredIf(
            application::ORGANISATION_COUNTRY,
            crate::countries::NETHERLANDS,
        ),
        "het KvK-nummer van een aanvrager in Nederland",
    ),
    need(
        application::REGISTRATION,
        &[Text],
        Presence::RequiredUnless(
            application::ORGANISATION_COUNTRY,
            crate::countries::NETHERLANDS,
        ),
        "het registratienummer van een aanvrager buiten Nederland",
    ),
    Need {
        options: Options::FromFees,
        ..need(
            application::TARIFF,
            &[Radio],
            Presence::Required,
            "het tarief op de factuur",
        )
    },
    Need {
        options: Options::Exactly(&[
            application::ON_BEHALF_OWN,
            application::ON_BEHALF_REPRESENTATIVE,
        ]),
        ..need(
            application::ON_BEHALF,
            &[Radio],
            Presence::Required,
            "of de aanvrager namens anderen aanvraagt",
        )
    },
    need(
        application::REPRESENTED,
        &[Textarea, Text],
        Presence::RequiredIf(
            application::ON_BEHALF,
            application::ON_BEHALF_REPRESENTATIVE,
        ),
        "de vertegenwoordigde rechtspersonen",
    ),
    need(
        application::CONTACT_NAME,
        &[Text],
        Presence::Required,
        "de aanhef van de bevestiging",
    ),
    need(
        application::CONTACT_ROLE,
        &[Text],
        Presence::Optional,
        "de functie van de contactpersoon",
    ),
    need(
        application::CONTACT_EMAIL,
        &[Email],
        Presence::Required,
        "het adres van de bevestiging",
    ),
    need(
        application::CONTACT_PHONE,
        &[Tel],
        Presence::Optional,
        "het telefoonnummer van de contactpersoon",
    ),
    Need {
        options: Options::Within(RELATIONSHIPS),
        ..need(
            application::RELATIONSHIP,
            &[Checkboxes],
            Presence::Required,
            "wie de aanvrager langer wil bellen",
        )
    },
    need(
        application::TERM_YEARS,
        &[Number],
        Presence::Required,
        "de gevraagde klanttermijn op de factuur",
    ),
    need(
        application::MOTIVATION,
        &[Textarea],
        Presence::Optional,
        "de toelichting voor het secretariaat",
    ),
    need(
        application::SCOPE,
        &[Textarea, Text],
        Presence::Optional,
        "waarop het advies betrekking heeft",
    ),
    need(
        application::DOCUMENT,
        &[File],
        Presence::Required,
        "de balanstest als bijlage voor het secretariaat",
    ),
    need(
        application::ATTACHMENTS,
        &[File],
        Presence::Optional,
        "de ondersteunende documenten voor het secretariaat",
    ),
    need(
        application::INVOICE_NAME,
        &[Text],
        Presence::Required,
        "de naam op de factuur",
    ),
    need(
        application::INVOICE_STREET,
        &[Text],
        Presence::Required,
        "het adres op de factuur",
    ),
    need(
        application::INVOICE_POSTCODE,
        &[Postcode],
        Presence::Required,
        "de postcode op de factuur",
    ),
    need(
        application::INVOICE_CITY,
        &[Text],
        Presence::Required,
        "de plaats op de factuur",
    ),
    need(
        application::INVOICE_COUNTRY,
        &[Country],
        Presence::Required,
        "het land op de factuur",
    ),
    need(
        application::INVOICE_EMAIL,
        &[Email],
        Presence::Required,
        "het adres waarnaar de factuur gaat",
    ),
    need(
        application::INVOICE_REFERENCE,
        &[Reference],
        Presence::Optional,
        "de referentie van de klant op de factuur",
    ),
    need(
        application::VAT_ID,
        &[VatId],
        Presence::Optional,
        "het btw-id van de klant op de factuur",
    ),
];

/// What the code reads from the contact form.
pub const CONTACT: &[Need] = &[
    need(
        contact::NAME,
        &[Text],
        Presence::Required,
        "de aanhef van de ontvangstbevestiging",
    ),
    need(
        contact::ORGANISATION,
        &[Text],
        Presence::Optional,
        "de organisatie van de afzender",
    ),
    need(
        contact::EMAIL,
        &[Email],
        Presence::Required,
        "het adres van het antwoord",
    ),
    need(
        contact::PHONE,
        &[Tel],
        Presence::Optional,
        "het telefoonnummer van de afzender",
    ),
    need(
        contact::SUBJECT,
        &[Text],
        Presence::Required,
        "het onderwerp van de e-mails",
    ),
    need(
        contact::MESSAGE,
        &[Textarea],
        Presence::Required,
        "het bericht voor het secretariaat",
    ),
];

/// Holds `def` (from `file`, whose text is `text`) to `needs`: every field
/// there, of a kind the code reads, as required as the code needs, with the
/// option values the code knows. Every problem, with its line.
pub fn check(file: &str, text: &str, def: &FormDef, needs: &[Need]) -> Vec<DataError> {
    let mut errors = Vec::new();
    for need in needs {
        let Some(field) = def.field(need.name) else {
            errors.push(missing(file, text, def, needs, need));
            continue;
        };
        let at = |message: String, hint: String| DataError {
            file: file.to_string(),
            line: line_of_field(text, need.name),
            message,
            hint,
        };
        if !need.kinds.contains(&field.kind) {
            errors.push(at(
                format!(
                    "het veld \"{}\" heeft type = \"{}\"; de code leest er {} uit en kan alleen type = {} aan",
                    need.name,
                    field.kind.name(),
                    need.used_for,
                    kinds_list(need.kinds)
                ),
                format!("Zet type = \"{}\" terug.", first_kind(need)),
            ));
        }
        if let Some(problem) = presence_problem(field, need.presence) {
            errors.push(at(
                format!("het veld \"{}\" {problem}", need.name),
                presence_hint(need.presence),
            ));
        }
        errors
            .extend(options_problem(field, need.options).map(|(message, hint)| at(message, hint)));
    }
    errors
}

fn kinds_list(kinds: &[FieldType]) -> String {
    kinds
        .iter()
        .map(|k| format!("\"{}\"", k.name()))
        .collect::<Vec<_>>()
        .join(" of ")
}

fn first_kind(need: &Need) -> &'static str {
    need.kinds.first().map_or("text", |k| k.name())
}

fn missing(file: &str, text: &str, def: &FormDef, needs: &[Need], need: &Need) -> DataError {
    // A field the code does not know, of a kind it could read, with a
    // name like the lost one: most likely the same field, renamed.
    let renamed = def
        .fields()
        .filter(|f| need.kinds.contains(&f.kind) && !needs.iter().any(|n| n.name == f.name))
        .min_by_key(|f| strsim::levenshtein(&f.name, need.name));
    let (line, hint) = match renamed {
        Some(f) => (
            line_of_field(text, &f.name),
            format!(
                "Is dit veld \"{}\" hernoemd? Zet name = \"{}\" terug: de naam is voor de code, het label (label = \"...\") is wat bezoekers lezen en mag wel anders.",
                f.name, need.name
            ),
        ),
        None => (
            None,
            format!(
                "Voeg het veld weer toe: [[groups.fields]] met name = \"{}\" en type = \"{}\".",
                need.name,
                first_kind(need)
            ),
        ),
    };
    DataError {
        file: file.to_string(),
        line,
        message: format!(
            "het veld \"{}\" ontbreekt; de code heeft het nodig voor {}",
            need.name, need.used_for
        ),
        hint,
    }
}

fn presence_problem(field: &Field, presence: Presence) -> Option<String> {
    match presence {
        Presence::Optional => None,
        Presence::Required
            if field.required && field.required_if.is_none() && field.required_unless.is_none() =>
        {
            None
        }
        Presence::Required => Some("moet verplicht zijn".to_string()),
        Presence::RequiredIf(other, value) => match &field.required_if {
            Some((o, v))
                if o == other
                    && v == value
                    && !field.required
                    && field.required_unless.is_none() =>
            {
                None
            }
            _ => Some(format!(
                "moet alleen verplicht zijn als \"{other}\" de waarde \"{value}\" heeft"
            )),
        },
        Presence::RequiredUnless(other, value) => match &field.required_unless {
            Some((o, v))
                if o == other && v == value && !field.required && field.required_if.is_none() =>
            {
                None
            }
            _ => Some(format!(
                "moet alleen verplicht zijn als \"{other}\" een andere waarde dan \"{value}\" heeft"
            )),
        },
    }
}

fn presence_hint(presence: Presence) -> String {
    match presence {
        Presence::Required => "Zet required = true (en geen required_if).".to_string(),
        Presence::RequiredIf(other, value) => {
            format!("Zet required_if = [\"{other}\", \"{value}\"] en laat required weg.")
        }
        Presence::RequiredUnless(other, value) => {
            format!("Zet required_unless = [\"{other}\", \"{value}\"] en laat required weg.")
        }
        Presence::Optional => String::new(),
    }
}

fn options_problem(field: &Field, options: Options) -> Option<(String, String)> {
    let values: Vec<&str> = field.options.iter().map(|o| o.value.as_str()).collect();
    let known = |allowed: &[&str]| {
        allowed
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match options {
        Options::None => None,
        Options::FromFees if field.options_from_fees => None,
        Options::FromFees => Some((
            format!("de keuzes van \"{}\" moeten de tarieven zijn", field.name),
            "Zet options_from_fees = true en laat options weg; de tarieven staan in data/fees.toml.".to_string(),
        )),
        Options::Exactly(allowed) => {
            let mut have = values.clone();
            have.sort_unstable();
            let mut want = allowed.to_vec();
            want.sort_unstable();
            (have != want).then(|| {
                (
                    format!(
                        "de keuzes van \"{}\" moeten precies de waarden {} hebben",
                        field.name,
                        known(allowed)
                    ),
                    "Verander alleen de labels (label = \"...\") van de keuzes, niet hun value.".to_string(),
                )
            })
        }
        Options::Within(allowed) => {
            let unknown: Vec<&str> = values
                .iter()
                .copied()
                .filter(|v| !allowed.contains(v))
                .collect();
            if unknown.is_empty() && !values.is_empty() {
                None
            } else {
                Some((
                    format!(
                        "de keuzes van \"{}\" mogen alleen de waarden {} hebben",
                        field.name,
                        known(allowed)
                    ),
                    "Verander alleen de labels (label = \"...\") van de keuzes; een nieuwe waarde vraagt een wijziging in de code.".to_string(),
                ))
            }
        }
    }
}

/// The line of `name = "<name>"` in a form definition's text.
pub fn line_of_field(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let Some(rest) = line.trim_start().strip_prefix("name") else {
                return false;
            };
            let Some(value) = rest.trim_start().strip_prefix('=') else {
                return false;
            };
            value.trim().trim_matches('"') == name
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::{Forms, APPLICATION_FILE, CONTACT_FILE};
    use crate::Sources;

    const APPLICATION_TOML: &str = include_str!("../../../content/data/forms/aanvraag.toml");
    const CONTACT_TOML: &str = include_str!("../../../content/data/forms/contact.toml");
    const FEES_TOML: &str = include_str!("../../../content/data/fees.toml");

    /// The forms' problems with `application` as the application form.
    fn problems(application: &str) -> Vec<DataError> {
        let mut sources = Sources::default();
        sources.insert(APPLICATION_FILE, application);
        sources.insert(CONTACT_FILE, CONTACT_TOML);
        sources.insert(crate::fees::FILE, FEES_TOML);
        let fees = sources
            .parse::<crate::fees::FeeFile>(crate::fees::FILE)
            .map_err(|e| vec![e])
            .and_then(|f| f.into_schedule(crate::fees::FILE))
            .expect("the real fees parse");
        Forms::parse(&sources, Some(&fees))
            .err()
            .unwrap_or_default()
    }

    fn edited(from: &str, to: &str) -> String {
        assert!(APPLICATION_TOML.contains(from), "{from:?} is in the form");
        APPLICATION_TOML.replacen(from, to, 1)
    }

    #[test]
    fn the_real_forms_have_every_field_the_code_reads() {
        assert_eq!(problems(APPLICATION_TOML), vec![]);
    }

    #[test]
    fn a_renamed_field_names_the_field_the_file_and_the_line() {
        let text = edited("name = \"factuur_naam\"", "name = \"naam_factuur\"");
        let errors = problems(&text);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        let e = &errors[0];
        assert_eq!(e.file, APPLICATION_FILE);
        assert_eq!(e.line, line_of_field(&text, "naam_factuur"));
        assert!(e.line.is_some());
        assert!(e.message.contains("\"factuur_naam\" ontbreekt"), "{e}");
        assert!(e.message.contains("de naam op de factuur"), "{e}");
        assert!(e.hint.contains("name = \"factuur_naam\""), "{e}");
    }

    #[test]
    fn every_field_the_code_reads_is_guarded() {
        for need in APPLICATION {
            let text = edited(
                &format!("name = \"{}\"", need.name),
                &format!("name = \"{}_oud\"", need.name),
            );
            let errors = problems(&text);
            assert!(
                errors
                    .iter()
                    .any(|e| e.message.contains(&format!("\"{}\" ontbreekt", need.name))),
                "renaming {} gave {errors:#?}",
                need.name
            );
        }
    }

    #[test]
    fn a_removed_field_without_a_likely_rename_says_how_to_add_it() {
        let start = APPLICATION_TOML
            .find("name = \"btw_nummer\"")
            .expect("field");
        let block_start = APPLICATION_TOML
            .get(..start)
            .and_then(|t| t.rfind("[[groups.fields]]"))
            .expect("block");
        let block_end = APPLICATION_TOML
            .get(start..)
            .and_then(|t| t.find("[[groups"))
            .map(|i| i + start)
            .expect("next");
        let text = format!(
            "{}{}",
            APPLICATION_TOML.get(..block_start).expect("head"),
            APPLICATION_TOML.get(block_end..).expect("tail")
        );
        let errors = problems(&text);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].line, None);
        assert!(
            errors[0].hint.contains("type = \"vat_id\""),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn a_kind_the_code_cannot_read_is_refused() {
        let text = edited(
            "name = \"contact_email\"\ntype = \"email\"",
            "name = \"contact_email\"\ntype = \"text\"",
        );
        let errors = problems(&text);
        let kind = errors
            .iter()
            .find(|e| e.message.contains("type = \"text\""))
            .unwrap_or_else(|| panic!("{errors:#?}"));
        assert_eq!(kind.hint, "Zet type = \"email\" terug.");
        assert_eq!(kind.line, line_of_field(&text, "contact_email"));
        assert!(kind.line.is_some());
    }

    #[test]
    fn a_field_the_code_needs_stays_required() {
        let text = edited(
            "label = \"Naam op de factuur\"\nrequired = true",
            "label = \"Naam op de factuur\"\nrequired = false",
        );
        let errors = problems(&text);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0].message.contains("moet verplicht zijn"),
            "{}",
            errors[0]
        );
        let text = edited(
            "required_if = [\"namens\", \"vertegenwoordiger\"]",
            "required = true",
        );
        let errors = problems(&text);
        assert!(
            errors[0]
                .message
                .contains("alleen verplicht zijn als \"namens\""),
            "{errors:#?}"
        );
    }

    #[test]
    fn option_values_are_the_codes_and_labels_the_editors() {
        let text = edited(
            "value = \"vertegenwoordiger\"",
            "value = \"namens_anderen\"",
        );
        let errors = problems(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("precies de waarden")),
            "{errors:#?}"
        );
        let text = edited(
            "label = \"Voor de eigen organisatie\"",
            "label = \"Voor mijn eigen organisatie\"",
        );
        assert_eq!(problems(&text), vec![], "a label is the editors'");
        let text = edited("value = \"oud_leden\"", "value = \"oud_abonnees\"");
        assert!(problems(&text)
            .iter()
            .any(|e| e.message.contains("mogen alleen de waarden")));
        let text = edited(
            "options_from_fees = true",
            "options = [{ value = \"a\", label = \"A\" }]",
        );
        assert!(problems(&text)
            .iter()
            .any(|e| e.message.contains("moeten de tarieven zijn")));
    }

    #[test]
    fn lines_are_found_by_name() {
        let text = "a = 1\n  name   =  \"x\"\nname = \"y\"\nnamespace = \"x\"\n";
        assert_eq!(line_of_field(text, "x"), Some(2));
        assert_eq!(line_of_field(text, "y"), Some(3));
        assert_eq!(line_of_field(text, "z"), None);
    }

    #[test]
    fn the_kinds_are_named_as_the_files_write_them() {
        #[derive(serde::Deserialize)]
        struct T {
            t: FieldType,
        }
        for kind in FieldType::ALL {
            let parsed: T = toml::from_str(&format!("t = \"{}\"", kind.name())).expect("parses");
            assert_eq!(parsed.t, kind);
        }
    }
}
