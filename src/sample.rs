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
        ("organisatie_land", "NL"),
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
        ("factuur_land", "NL"),
        ("factuur_email", "crediteuren@voorbeeld.nl"),
        ("factuur_extra", "PO-12345"),
        ("btw_nummer", "nl 0044.95445 b01"),
        ("akkoord_factuur", "ja"),
        ("website", ""),
    ]
}

/// The four kinds of applicant whose invoices differ, each as it types
/// its answers: a Belgian company with a btw-id (typed without its `BE`),
/// a German non-profit without one, a Swiss company, and a Dutch
/// foundation. `application_fields` with these answers changed.
pub mod applicants {
    use super::{application_fields, set};

    fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut f = application_fields();
        for (k, v) in changes {
            f = set(f, k, v);
        }
        f
    }

    /// A Belgian company with a btw-id: the VAT is reverse-charged.
    pub fn belgian_company() -> Vec<(&'static str, &'static str)> {
        with(&[
            ("organisatie_naam", "Voorbeeld Belgium NV"),
            ("organisatie_land", "BE"),
            ("kvk_nummer", ""),
            ("registratienummer", "0123.456.749"),
            ("contact_telefoon", "(+32) 2 123 45 67"),
            ("contact_email", "an.peeters@voorbeeld.be"),
            ("factuur_naam", "Voorbeeld Belgium NV"),
            ("factuur_straat", "Wetstraat 16"),
            ("factuur_postcode", "1000"),
            ("factuur_plaats", "Brussel"),
            ("factuur_land", "BE"),
            ("factuur_email", "facturen@voorbeeld.be"),
            ("btw_nummer", "0123.456.749"),
        ])
    }

    /// A German non-profit without a btw-id: Dutch VAT. It ticks two
    /// relationships, and its addresses have an internationalised domain.
    pub fn german_non_profit() -> Vec<(&'static str, &'static str)> {
        let mut f = with(&[
            ("organisatie_naam", "Förderverein Grünes Leben e.V."),
            ("organisatie_land", "DE"),
            ("kvk_nummer", ""),
            (
                "registratienummer",
                "VR 12345 B (Amtsgericht Charlottenburg)",
            ),
            ("soort_organisatie", "non_profit"),
            ("contact_telefoon", "+49 30 12345678"),
            ("contact_email", "vorstand@grünes-leben.de"),
            ("contact_functie", ""),
            ("relatie", "oud_leden"),
            ("factuur_naam", "Förderverein Grünes Leben e.V."),
            ("factuur_straat", "Unter den Linden 1"),
            ("factuur_postcode", "10117"),
            ("factuur_plaats", "Berlin"),
            ("factuur_land", "DE"),
            ("factuur_email", "kasse@grünes-leben.de"),
            ("factuur_extra", ""),
            ("btw_nummer", ""),
        ]);
        f.push(("relatie", "oud_donateurs"));
        f
    }

    /// A Swiss company: no Dutch VAT.
    pub fn swiss_company() -> Vec<(&'static str, &'static str)> {
        with(&[
            ("organisatie_naam", "Beispiel Energie AG"),
            ("organisatie_land", "CH"),
            ("kvk_nummer", ""),
            ("registratienummer", "CHE-123.456.789"),
            ("contact_telefoon", "+41 44 123 45 67"),
            ("contact_email", "recht@beispiel.ch"),
            ("factuur_naam", "Beispiel Energie AG"),
            ("factuur_straat", "Bahnhofstrasse 1"),
            ("factuur_postcode", "8001"),
            ("factuur_plaats", "Zürich"),
            ("factuur_land", "CH"),
            ("factuur_email", "kreditoren@beispiel.ch"),
            ("btw_nummer", ""),
        ])
    }

    /// A Dutch foundation: Dutch VAT, the non-profit fee.
    pub fn dutch_foundation() -> Vec<(&'static str, &'static str)> {
        with(&[
            ("organisatie_naam", "Stichting Voorbeeldfonds"),
            ("kvk_nummer", "87654321"),
            ("soort_organisatie", "non_profit"),
            ("contact_functie", ""),
            ("contact_telefoon", "0800-1234"),
            ("contact_email", "fondsenwerving@voorbeeldfonds.nl"),
            ("relatie", "oud_donateurs"),
            (
                "reikwijdte",
                "De telefonische fondsenwerving voor het programma Schoon Water",
            ),
            ("factuur_naam", "Stichting Voorbeeldfonds"),
            ("factuur_straat", "Herengracht 100"),
            ("factuur_postcode", "1015 BS"),
            ("factuur_plaats", "Amsterdam"),
            ("factuur_email", "administratie@voorbeeldfonds.nl"),
            ("factuur_extra", ""),
            ("btw_nummer", ""),
        ])
    }
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
    let files: Vec<(&str, &str, &[u8])> = document
        .map(|(name, bytes)| (crate::needs::application::DOCUMENT, name, bytes))
        .into_iter()
        .collect();
    multipart_files(fields, &files)
}

/// A multipart body with `files` as (field, file name, bytes), several in
/// one field as a browser sends a `multiple` choice.
pub fn multipart_files(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> (String, Vec<u8>) {
    let boundary = "----cbtboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
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

/// A ZIP of `entries`, stored without compression: enough for the checks,
/// which read only the directory's names.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&0u16.to_le_bytes()); // flags
        common.extend_from_slice(&0u16.to_le_bytes()); // method: stored
        common.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
        common.extend_from_slice(&0u32.to_le_bytes()); // crc (not checked)
        common.extend_from_slice(&len.to_le_bytes());
        common.extend_from_slice(&len.to_le_bytes());
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(entries.len()).unwrap_or(u16::MAX);
    let directory_offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
    let directory_len = u32::try_from(central.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0]); // disks
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&directory_len.to_le_bytes());
    out.extend_from_slice(&directory_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

/// A Word document with macros, saved under a `.docx` name: what a
/// `.docm` is inside.
pub fn docm() -> Vec<u8> {
    zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
        ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0"),
    ])
}
