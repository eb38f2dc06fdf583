//! Fixtures shared by the shared rules' integration tests.
#![allow(dead_code)]

use cbt::validate::{Posted, PostedFile};

pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A complete, valid application, as a browser posts it.
pub fn application() -> Posted {
    let fields = [
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
    ];
    Posted {
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        files: vec![PostedFile {
            field: "balanstest".into(),
            filename: "C:\\Users\\jan\\Balanstest 2026 (def).pdf".into(),
            bytes: PDF.to_vec(),
        }],
    }
}

pub fn with(mut posted: Posted, name: &str, value: &str) -> Posted {
    posted.fields.retain(|(k, _)| k != name);
    posted.fields.push((name.to_string(), value.to_string()));
    posted
}
