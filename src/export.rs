//! The export for the bookkeeping: the invoices and credit notes of a
//! period as CSV, one row a document, for the CBT's bookkeeper to import.
//!
//! The form is what spreadsheet and bookkeeping programs read without
//! settings: RFC 4180 (comma, double quotes where needed, CRLF), UTF-8
//! with a byte order mark so that Excel shows "é" as "é", ISO dates, and
//! amounts as plain numbers with a point (`4452.80`, a credit note
//! `-4452.80`), never with a thousands separator or a euro sign. Which
//! columns, and that amounts are exported with a point rather than a
//! comma, is the CBT's decision; the header names them in Dutch.
//!
//! A text field that a spreadsheet would run as a formula (it begins with
//! `=`, `+`, `-`, `@`, a tab or a carriage return: an organisation's name
//! is typed by an applicant) is written with a leading `'`, as OWASP
//! advises for CSV injection.

use chrono::NaiveDate;

use crate::Cents;

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// An invoice.
    Factuur,
    /// A credit note.
    Creditnota,
}

impl ExportKind {
    fn word(self) -> &'static str {
        match self {
            ExportKind::Factuur => "factuur",
            ExportKind::Creditnota => "creditnota",
        }
    }
}

/// One document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// Invoice or credit note.
    pub kind: ExportKind,
    /// Its number (`2027-0001`, `C-2027-0001`).
    pub number: String,
    /// Its date.
    pub date: NaiveDate,
    /// The case.
    pub reference: String,
    /// Who is invoiced.
    pub customer: String,
    /// The amount without VAT (negative on a credit note).
    pub net: Cents,
    /// The VAT.
    pub vat: Cents,
    /// The amount with VAT.
    pub gross: Cents,
    /// The rate, as the invoice writes it (`21%`).
    pub vat_rate: String,
    /// For a credit note: the invoice it credits.
    pub refers_to: Option<String>,
}

/// The header row, in the order of the columns.
pub const HEADER: [&str; 10] = [
    "Soort",
    "Nummer",
    "Datum",
    "Zaak",
    "Klant",
    "Bedrag excl. btw",
    "Btw",
    "Bedrag incl. btw",
    "Btw-tarief",
    "Crediteert factuur",
];

/// `4452.80`, `-4452.80`, `0.05`.
fn amount(c: Cents) -> String {
    let sign = if c.0 < 0 { "-" } else { "" };
    let abs = c.0.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A text as a spreadsheet will show it, never run it.
fn text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// The rows as one CSV document, header first, in the order given.
pub fn invoices_csv(rows: &[ExportRow]) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(&mut out);
    let mut records = vec![HEADER.map(str::to_string).to_vec()];
    records.extend(rows.iter().map(|r| {
        vec![
            r.kind.word().to_string(),
            text(&r.number),
            r.date.format("%Y-%m-%d").to_string(),
            text(&r.reference),
            text(&r.customer),
            amount(r.net),
            amount(r.vat),
            amount(r.gross),
            text(&r.vat_rate),
            r.refers_to.as_deref().map(text).unwrap_or_default(),
        ]
    }));
    for record in records {
        // Writing into memory does not fail: csv reports only the
        // writer's own I/O errors.
        writer.write_record(&record).ok();
    }
    // Dropping flushes into `out`.
    drop(writer);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: ExportKind, number: &str, customer: &str, gross: i64) -> ExportRow {
        ExportRow {
            kind,
            number: number.into(),
            date: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap(),
            reference: "CBT-2027-0001".into(),
            customer: customer.into(),
            net: Cents(gross * 100 / 121),
            vat: Cents(gross - gross * 100 / 121),
            gross: Cents(gross),
            vat_rate: "21%".into(),
            refers_to: (kind == ExportKind::Creditnota).then(|| "2027-0001".into()),
        }
    }

    fn read_back(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).unwrap();
        let body = text.strip_prefix('\u{feff}').expect("a byte order mark");
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(body.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn invoices_and_credit_notes_read_back_column_for_column() {
        let bytes = invoices_csv(&[
            row(
                ExportKind::Factuur,
                "2027-0001",
                "Voorbeeld, \"Energie\" B.V.",
                445_280,
            ),
            row(
                ExportKind::Creditnota,
                "C-2027-0001",
                "Café Ünïcode\nTweede regel",
                -445_280,
            ),
        ]);
        assert!(bytes.ends_with(b"\r\n"));
        let rows = read_back(&bytes);
        assert_eq!(rows[0], HEADER);
        assert_eq!(
            rows[1],
            [
                "factuur",
                "2027-0001",
                "2027-01-05",
                "CBT-2027-0001",
                "Voorbeeld, \"Energie\" B.V.",
                "3680.00",
                "772.80",
                "4452.80",
                "21%",
                ""
            ]
        );
        assert_eq!(rows[2][0], "creditnota");
        assert_eq!(rows[2][4], "Café Ünïcode\nTweede regel");
        assert_eq!(&rows[2][5..8], ["-3680.00", "-772.80", "-4452.80"]);
        assert_eq!(rows[2][9], "2027-0001");
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn only_the_header_when_there_is_nothing() {
        let bytes = invoices_csv(&[]);
        assert_eq!(
            bytes,
            "\u{feff}Soort,Nummer,Datum,Zaak,Klant,Bedrag excl. btw,Btw,Bedrag incl. btw,Btw-tarief,Crediteert factuur\r\n".as_bytes()
        );
    }

    #[test]
    fn a_formula_is_shown_not_run() {
        for name in [
            "=HYPERLINK(\"http://x\")",
            "+31 Energie",
            "-x",
            "@SUM(A1)",
            "\tTab",
            "\rCR",
        ] {
            let rows = read_back(&invoices_csv(&[row(
                ExportKind::Factuur,
                "2027-0001",
                name,
                100,
            )]));
            assert_eq!(rows[1][4], format!("'{name}"), "{name:?}");
        }
        let rows = read_back(&invoices_csv(&[row(
            ExportKind::Factuur,
            "2027-0001",
            "Gewoon B.V.",
            100,
        )]));
        assert_eq!(rows[1][4], "Gewoon B.V.");
    }

    #[test]
    fn amounts_are_plain_numbers() {
        assert_eq!(amount(Cents(0)), "0.00");
        assert_eq!(amount(Cents(5)), "0.05");
        assert_eq!(amount(Cents(-5)), "-0.05");
        assert_eq!(amount(Cents(123_456_789)), "1234567.89");
    }
}
