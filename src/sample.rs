//! The one sample application and contact message that every test and
//! benchmark posts (feature `sample`, which only their builds enable), in
//! each shape a client sends them: as a checked-in [`Posted`] form, as a
//! multipart or urlencoded body, or as JSON.
//!
//! The values are typed as people type them (spaces in numbers, a postcode
//! without its space, a btw-id in lower case), so that every path through
//! the checks also normalises.

use base64::Engine as _;

use crate::validate::{Posted, PostedFile};

/// The smallest file that is a PDF by its bytes.
pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// The name the sample's document is uploaded under.
pub const PDF_NAME: &str = "C:\\Users\\jan\\Balanstest 2026 (def).pdf";

/// The application form's fields, as a browser posts them (the document
/// apart).
pub fn application_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("organisatie_naam", "  Voorbeeld Energie B.V. "),
        ("kvk_nummer", "1234 5678"),
        ("soort_organisatie", "commercieel"),
        ("namens", "eigen_organisatie"),
        ("vertegenwoordigde_organisaties", ""),
        ("contact_naam", "Jan de Vries"),
        ("contact_functie", "Privacy officer"),
        ("contact_email", "jan.devries@Voorbeeld.NL"),
        ("contact_telefoon", "020-123 4567"),
        ("relatie", "oud_klanten"),
        ("klanttermijn_jaren", " 5 "),
        (
            "motivering",
            "Onze klanten sluiten contracten van vijf jaar.\r\nZij verwachten een belletje.",
        ),
        ("factuur_naam", "Voorbeeld Energie B.V."),
        ("factuur_straat", "Stationsplein 1"),
        ("factuur_postcode", "1012ab"),
        ("factuur_plaats", "Amsterdam"),
        ("factuur_land", "Nederland"),
        ("factuur_email", "crediteuren@voorbeeld.nl"),
        ("factuur_extra", "PO-12345"),
        ("btw_nummer", "nl 0044.95445 b01"),
        ("akkoord_factuur", "ja"),
        ("akkoord_privacy", "ja"),
        ("website", ""),
    ]
}

/// The contact form's fields.
pub fn contact_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("naam", "Els Jansen"),
        ("organisatie", "Stichting Voorbeeld"),
        ("email", "els@voorbeeld.nl"),
        ("telefoon", "06 1234 5678"),
        ("onderwerp", "Vraag over de termijn"),
        (
            "bericht",
            "Geldt de termijn ook voor oud-leden?\nMet groet, Els",
        ),
        ("akkoord_privacy", "ja"),
        ("website", ""),
    ]
}

/// The complete, valid application, with its document.
pub fn application() -> Posted {
    Posted {
        fields: owned(&application_fields()),
        files: vec![PostedFile {
            field: crate::needs::application::DOCUMENT.into(),
            filename: PDF_NAME.into(),
            bytes: PDF.to_vec(),
        }],
    }
}

/// The complete, valid contact message.
pub fn contact() -> Posted {
    Posted {
        fields: owned(&contact_fields()),
        files: Vec::new(),
    }
}

fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `posted` with `name` set to `value` (added when absent).
pub fn with(mut posted: Posted, name: &str, value: &str) -> Posted {
    posted.fields.retain(|(k, _)| k != name);
    posted.fields.push((name.to_string(), value.to_string()));
    posted
}

/// `fields` with `name` set to `value` (added when absent).
pub fn set<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value));
    fields
}

/// A multipart body as a browser sends it, with the document (file name,
/// bytes) as `balanstest`; the content type with its boundary, and the body.
pub fn multipart(fields: &[(&str, &str)], document: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----cbtboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = document {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n",
                crate::needs::application::DOCUMENT
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `fields` as `application/x-www-form-urlencoded`.
pub fn urlencoded(fields: &[(&str, &str)]) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    body.finish()
}

/// `fields` as a script posts them: JSON, with the document (file name,
/// bytes) in base64 under `balanstest`.
pub fn json(fields: &[(&str, &str)], document: Option<(&str, &[u8])>) -> serde_json::Value {
    let mut object: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    if let Some((name, bytes)) = document {
        object.insert(
            crate::needs::application::DOCUMENT.into(),
            serde_json::json!({
                "filename": name,
                "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
            }),
        );
    }
    serde_json::Value::Object(object)
}
