//! The answers of a form as people read them back: the "check your
//! answers" page, the confirmation mail and the secretariat's mail all
//! show these rows, so they cannot differ.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::forms::{FieldType, FormDef};

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The field's name.
    pub field: String,
    /// The field's label.
    pub label: String,
    /// The field's short name, for the hidden text of its "Wijzigen" link.
    pub short: String,
    /// The answer as text; may span lines (a textarea).
    pub value: String,
    /// The group's legend, to show rows under their heading.
    pub group: Option<String>,
    /// The id of the control on the form, for a "Wijzigen" link.
    pub control_id: String,
}

/// An uploaded document as the rows show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upload<'a> {
    /// The form field it was uploaded in; empty: the form's first file
    /// field (documents kept before they had a field).
    pub field: &'a str,
    /// Its name.
    pub filename: &'a str,
    /// Its size in bytes.
    pub size: usize,
}

impl<'a> From<&'a crate::validate::Document> for Upload<'a> {
    fn from(d: &'a crate::validate::Document) -> Upload<'a> {
        Upload {
            field: &d.field,
            filename: &d.filename,
            size: d.size,
        }
    }
}

impl<'a> From<&'a crate::case::CaseDocument> for Upload<'a> {
    fn from(d: &'a crate::case::CaseDocument) -> Upload<'a> {
        Upload {
            field: &d.field,
            filename: &d.filename,
            size: d.size,
        }
    }
}

/// The rows of `answers` (by field name) and the uploaded `documents`,
/// in the order of the form.
pub fn rows(
    def: &FormDef,
    answers: &BTreeMap<String, String>,
    documents: &[Upload<'_>],
) -> Vec<Row> {
    let get = |name: &str| answers.get(name).map(String::as_str);
    let first_file = def
        .fields()
        .find(|f| f.kind == FieldType::File)
        .map(|f| f.name.as_str());
    let mut rows = Vec::new();
    for group in &def.groups {
        for field in &group.fields {
            if field.kind == FieldType::Honeypot {
                continue;
            }
            let value = match field.kind {
                FieldType::File => documents
                    .iter()
                    .filter(|d| {
                        d.field == field.name
                            || (d.field.is_empty() && first_file == Some(field.name.as_str()))
                    })
                    .map(|d| format!("{} ({})", d.filename, size(d.size)))
                    .collect::<Vec<_>>()
                    .join(", "),
                FieldType::Radio | FieldType::Country => get(&field.name)
                    .and_then(|v| field.options.iter().find(|o| o.value == v))
                    .map(|o| o.label.clone())
                    .or_else(|| get(&field.name).map(str::to_string))
                    .unwrap_or_default(),
                FieldType::Checkboxes => {
                    let chosen: Vec<&str> =
                        get(&field.name).unwrap_or_default().split(',').collect();
                    field
                        .options
                        .iter()
                        .filter(|o| chosen.contains(&o.value.as_str()))
                        .map(|o| o.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
                FieldType::Checkbox => if get(&field.name).is_some() {
                    "Ja"
                } else {
                    "Nee"
                }
                .to_string(),
                FieldType::Number => match (get(&field.name), &field.suffix) {
                    (Some(v), Some(suffix)) => format!("{v} {suffix}"),
                    (Some(v), None) => v.to_string(),
                    _ => String::new(),
                },
                _ => get(&field.name).unwrap_or_default().to_string(),
            };
            // A conditional field that did not apply is left out; an
            // optional one left empty shows as such.
            if value.is_empty() && (field.required_if.is_some() || field.required_unless.is_some())
            {
                continue;
            }
            let control_id = match field.kind {
                FieldType::Radio | FieldType::Checkboxes => format!(
                    "{}-{}-{}",
                    def.id,
                    field.name,
                    field
                        .options
                        .first()
                        .map(|o| o.value.as_str())
                        .unwrap_or_default()
                ),
                _ => format!("{}-{}", def.id, field.name),
            };
            rows.push(Row {
                field: field.name.clone(),
                label: field.label.clone(),
                short: field.short.clone().unwrap_or_else(|| field.label.clone()),
                value: if value.is_empty() {
                    "Niet ingevuld".to_string()
                } else {
                    value
                },
                group: group.legend.clone(),
                control_id,
            });
        }
    }
    rows
}

/// `1,2 MB`, `340 kB`, as Dutch file sizes are written.
pub fn size(bytes: usize) -> String {
    if bytes >= 1_000_000 {
        let tenths = (bytes + 50_000) / 100_000;
        format!("{},{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} kB", bytes.div_ceil(1000).max(1))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::size(1), "1 kB");
        assert_eq!(super::size(340_000), "340 kB");
        assert_eq!(super::size(1_249_999), "1,2 MB");
        assert_eq!(super::size(4_194_304), "4,2 MB");
    }
}
