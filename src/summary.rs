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

/// The rows of `answers` (by field name) and the uploaded `document`
/// (its file name and size), in the order of the form.
pub fn rows(
    def: &FormDef,
    answers: &BTreeMap<String, String>,
    document: Option<(&str, usize)>,
) -> Vec<Row> {
    let get = |name: &str| answers.get(name).map(String::as_str);
    let mut rows = Vec::new();
    for group in &def.groups {
        for field in &group.fields {
            if field.kind == FieldType::Honeypot {
                continue;
            }
            let value = match field.kind {
                FieldType::File => match document {
                    Some((filename, bytes)) => format!("{filename} ({})", size(bytes)),
                    None => String::new(),
                },
                FieldType::Radio => get(&field.name)
                    .and_then(|v| field.options.iter().find(|o| o.value == v))
                    .map(|o| o.label.clone())
                    .unwrap_or_default(),
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
            if value.is_empty() && field.required_if.is_some() {
                continue;
            }
            let control_id = match field.kind {
                FieldType::Radio => format!(
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
