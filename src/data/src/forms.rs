//! The forms, defined as data (`content/data/forms/*.toml`): their fields
//! with Dutch label, hint, type, limits, `autocomplete` token and error
//! messages. The generator renders a form from its definition and the
//! function checks a post against the same definition, so the form a
//! browser shows is the form that is checked.

use serde::{Deserialize, Serialize};

use crate::fees::FeeSchedule;
use crate::needs;
use crate::sources::{invalid, DataError, Sources};

/// The application form's definition, under `content/`.
pub const APPLICATION_FILE: &str = "data/forms/aanvraag.toml";
/// The contact form's definition, under `content/`.
pub const CONTACT_FILE: &str = "data/forms/contact.toml";

/// One form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    /// Stable id (`aanvraag`), also the `id` of the `<form>` element.
    pub id: String,
    /// The heading of the page that shows the form again (with errors).
    pub title: String,
    /// Where the form posts to, relative to the function's base URL.
    pub action: String,
    /// Text of the submit button.
    pub submit: String,
    /// Fields in groups; a group with a legend becomes a `<fieldset>`.
    pub groups: Vec<Group>,
    /// A text with a link shown above the submit button, such as how the
    /// data is used (the privacy statement): information, not a box to
    /// tick.
    pub notice: Option<FormNotice>,
    /// Filled in by [`FormDef::resolve`]: whether a field uploads a file,
    /// which makes the form `multipart/form-data`.
    #[serde(default, skip_deserializing)]
    pub multipart: bool,
}

/// A text with a link, above a form's submit button.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormNotice {
    /// The text.
    pub text: String,
    /// The link after it.
    pub link: crate::site::Link,
}

/// Fields shown together.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Stable id, for the page's anchors.
    pub id: String,
    /// The fieldset's legend; none for fields that need no grouping.
    pub legend: Option<String>,
    /// A line under the legend.
    pub hint: Option<String>,
    /// The fields, in order.
    pub fields: Vec<Field>,
}

/// What kind of value a field takes; decides the HTML control and the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// One email address.
    Email,
    /// A phone number.
    Tel,
    /// A Dutch Chamber of Commerce number: 8 digits.
    Kvk,
    /// A postcode: Dutch (`1234 AB`) when the country is the Netherlands.
    Postcode,
    /// A country, from the list of [`crate::countries`]: what is posted
    /// and kept is its code (`BE`).
    Country,
    /// A Dutch or EU VAT id.
    VatId,
    /// A customer's own reference, such as a purchase-order number: short,
    /// letters, digits and a few separators ([`crate::formats::normalize_reference`]).
    Reference,
    /// A whole number within `min`..=`max`.
    Number,
    /// One of `options`.
    Radio,
    /// A box that must be ticked when required.
    Checkbox,
    /// Several of `options` (boxes to tick); kept as their values joined
    /// by commas, in the order of the options.
    Checkboxes,
    /// An uploaded document.
    File,
    /// Invisible to people; a bot that fills it is ignored.
    Honeypot,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The form field's `name` and (with the form id) its element id.
    pub name: String,
    /// Its kind (`type = "email"`).
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// What people read above the control.
    pub label: String,
    /// A few words for the field where its label is a whole question or
    /// sentence: a screen reader hears "Wijzigen doelgroep", not the
    /// question again. The label when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<String>,
    /// A line of help under the label.
    pub hint: Option<String>,
    /// Whether it must be filled in.
    #[serde(default)]
    pub required: bool,
    /// Required only when another field has a value: `["namens", "vertegenwoordiger"]`.
    pub required_if: Option<(String, String)>,
    /// Required only when another field has another value than this one:
    /// `["organisatie_land", "NL"]`.
    pub required_unless: Option<(String, String)>,
    /// The `autocomplete` token, so browsers fill it in.
    pub autocomplete: Option<String>,
    /// The most characters a text may have.
    pub max_length: Option<u32>,
    /// The smallest number accepted.
    pub min: Option<i64>,
    /// The largest number accepted.
    pub max: Option<i64>,
    /// Rows of a textarea.
    pub rows: Option<u32>,
    /// For `radio`: the choices. For `country`: not needed.
    #[serde(default)]
    pub options: Vec<Choice>,
    /// For `radio`: take the choices from the fees (one per tariff).
    #[serde(default)]
    pub options_from_fees: bool,
    /// For `file`: accepted extensions (`pdf`) and the largest size.
    #[serde(default)]
    pub accept: Vec<String>,
    /// For `file`: the largest upload, in bytes.
    pub max_bytes: Option<u64>,
    /// For `file`: several files may be chosen.
    #[serde(default)]
    pub multiple: bool,
    /// For `file`: the most bytes all uploads of the form may have
    /// together (a post has a limit as a whole).
    pub max_total_bytes: Option<u64>,
    /// Suffix shown after the input, such as `jaar`.
    pub suffix: Option<String>,
    /// The value a new, empty form starts with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// A link shown with the field, such as the privacy statement.
    pub link: Option<crate::site::Link>,
    /// The error messages, by code (`required`, `too_long`, `invalid`, ...).
    #[serde(default)]
    pub messages: std::collections::BTreeMap<String, String>,
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What is posted; the code may rely on it ([`crate::needs`]).
    pub value: String,
    /// What people read.
    pub label: String,
    /// A line of help under the label.
    pub hint: Option<String>,
}

impl FieldType {
    /// Every kind, in the order above.
    pub const ALL: [FieldType; 15] = [
        FieldType::Text,
        FieldType::Textarea,
        FieldType::Email,
        FieldType::Tel,
        FieldType::Kvk,
        FieldType::Postcode,
        FieldType::Country,
        FieldType::VatId,
        FieldType::Reference,
        FieldType::Number,
        FieldType::Radio,
        FieldType::Checkbox,
        FieldType::Checkboxes,
        FieldType::File,
        FieldType::Honeypot,
    ];

    /// The name a form definition uses (`type = "vat_id"`).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Textarea => "textarea",
            FieldType::Email => "email",
            FieldType::Tel => "tel",
            FieldType::Kvk => "kvk",
            FieldType::Postcode => "postcode",
            FieldType::Country => "country",
            FieldType::VatId => "vat_id",
            FieldType::Reference => "reference",
            FieldType::Number => "number",
            FieldType::Radio => "radio",
            FieldType::Checkbox => "checkbox",
            FieldType::Checkboxes => "checkboxes",
            FieldType::File => "file",
            FieldType::Honeypot => "honeypot",
        }
    }
}

impl Field {
    /// Every error code the check can give this field: each needs a message.
    pub fn codes(&self) -> Vec<&'static str> {
        let mut codes = Vec::new();
        if self.required || self.required_if.is_some() || self.required_unless.is_some() {
            codes.push("required");
        }
        match self.kind {
            FieldType::Text => codes.push("one_line"),
            FieldType::Country => codes.push("invalid"),
            FieldType::Email | FieldType::Tel | FieldType::Kvk => {
                codes.push("invalid");
            }
            // A btw-id also has to fit the country of its address.
            FieldType::VatId => codes.extend(["invalid", "other_country"]),
            FieldType::Postcode | FieldType::Reference => codes.extend(["invalid", "one_line"]),
            FieldType::Number => codes.push("invalid"),
            FieldType::Radio | FieldType::Checkbox | FieldType::Checkboxes => {
                codes.push("invalid");
            }
            FieldType::File => {
                codes.extend(["too_large", "wrong_type"]);
                if self.max_total_bytes.is_some() {
                    codes.push("too_large_total");
                }
            }
            FieldType::Textarea | FieldType::Honeypot => {}
        }
        if self.max_length.is_some()
            && !matches!(
                self.kind,
                FieldType::Radio
                    | FieldType::Checkbox
                    | FieldType::Checkboxes
                    | FieldType::Country
                    | FieldType::File
                    | FieldType::Honeypot
            )
        {
            codes.push("too_long");
        }
        if self.kind == FieldType::Number {
            if self.min.is_some() {
                codes.push("too_small");
            }
            if self.max.is_some() {
                codes.push("too_large");
            }
        }
        codes
    }
}

/// Both forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forms {
    /// The application form.
    pub application: FormDef,
    /// The contact form.
    pub contact: FormDef,
}

impl Forms {
    /// Parses both forms and holds each to what the code reads from it
    /// ([`crate::needs`]); `fees` gives the tariff choices.
    pub fn parse(sources: &Sources, fees: Option<&FeeSchedule>) -> Result<Forms, Vec<DataError>> {
        let mut errors = Vec::new();
        let mut load = |file: &str, needs: &[needs::Need]| {
            let def = match sources.parse::<FormDef>(file) {
                Ok(def) => def,
                Err(e) => {
                    errors.push(e);
                    return None;
                }
            };
            let (def, mut problems) = def.resolve(file, fees);
            let text = sources.get(file).unwrap_or_default();
            problems.extend(needs::check(file, text, &def, needs));
            if problems.is_empty() {
                Some(def)
            } else {
                errors.extend(problems);
                None
            }
        };
        let application = load(APPLICATION_FILE, needs::APPLICATION);
        let contact = load(CONTACT_FILE, needs::CONTACT);
        match (application, contact) {
            (Some(application), Some(contact)) => Ok(Forms {
                application,
                contact,
            }),
            _ => Err(errors),
        }
    }
}

impl FormDef {
    /// All fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.groups.iter().flat_map(|g| g.fields.iter())
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().find(|f| f.name == name)
    }

    /// Fills in what follows from the fees, and checks what TOML cannot;
    /// every problem found, with the definition as far as it goes.
    fn resolve(mut self, file: &str, fees: Option<&FeeSchedule>) -> (FormDef, Vec<DataError>) {
        let mut errors = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        let all: Vec<(String, FieldType)> =
            self.fields().map(|f| (f.name.clone(), f.kind)).collect();
        for group in &mut self.groups {
            for field in &mut group.fields {
                if !names.insert(field.name.clone()) {
                    errors.push(invalid(
                        file,
                        format!("het veld \"{}\" staat er twee keer in", field.name),
                        "Geef elk veld een eigen name.",
                    ));
                }
                if field.name.is_empty()
                    || !field
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    errors.push(invalid(
                        file,
                        format!("name = \"{}\": alleen a-z, 0-9 en _", field.name),
                        "Bijvoorbeeld name = \"organisatie_naam\".",
                    ));
                }
                if field.options_from_fees {
                    match fees {
                        Some(fees) => {
                            field.options = fees
                                .tariffs
                                .iter()
                                .map(|t| Choice {
                                    value: t.key.clone(),
                                    label: t.label.clone(),
                                    hint: Some(format!(
                                        "{} excl. btw, {} incl. {}% btw",
                                        t.excl_vat, t.total, fees.vat_percent
                                    )),
                                })
                                .collect();
                        }
                        // The fees' own error is reported already; saying
                        // here that the options are missing too adds noise.
                        None => continue,
                    }
                }
                if field.kind == FieldType::Country && field.options.is_empty() {
                    field.options = crate::countries::for_choice()
                        .into_iter()
                        .map(|c| Choice {
                            value: c.code.to_string(),
                            label: c.name.to_string(),
                            hint: None,
                        })
                        .collect();
                }
                if matches!(field.kind, FieldType::Radio | FieldType::Checkboxes)
                    && field.options.is_empty()
                {
                    errors.push(invalid(
                        file,
                        format!("het keuzeveld \"{}\" heeft geen opties", field.name),
                        "Voeg [[...options]] toe of zet options_from_fees = true.",
                    ));
                }
                if let Some((other, _)) = field
                    .required_if
                    .as_ref()
                    .or(field.required_unless.as_ref())
                {
                    if !all.iter().any(|(n, _)| n == other) {
                        errors.push(invalid(
                            file,
                            format!(
                                "{}: required_if of required_unless noemt het onbekende veld \"{other}\"",
                                field.name
                            ),
                            "Noem een veld van dit formulier.",
                        ));
                    }
                }
                let missing: Vec<&str> = field
                    .codes()
                    .into_iter()
                    .filter(|c| !field.messages.contains_key(*c))
                    .collect();
                if !missing.is_empty() {
                    errors.push(invalid(
                        file,
                        format!("het veld \"{}\" mist een foutmelding voor: {}", field.name, missing.join(", ")),
                        "Voeg die toe aan messages, zoals messages = { required = \"Vul ... in\" }.",
                    ));
                }
                if field.kind == FieldType::File
                    && (field.accept.is_empty() || field.max_bytes.is_none())
                {
                    errors.push(invalid(
                        file,
                        format!(
                            "het bestandsveld \"{}\" mist accept of max_bytes",
                            field.name
                        ),
                        "Bijvoorbeeld accept = [\"pdf\"] en max_bytes = 4194304.",
                    ));
                }
            }
        }
        self.multipart = all.iter().any(|(_, k)| *k == FieldType::File);
        (self, errors)
    }
}
