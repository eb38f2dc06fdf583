use super::*;

/// A CAMT.053 document of the given version around `statements` (each a
/// whole `<Stmt>`).
fn document(version: &str, statements: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2027-01-05T20:00:00</CreDtTm></GrpHdr>
{statements}</BkToCstmrStmt></Document>"#
    )
}

fn stmt(id: &str, iban: &str, entries: &str) -> String {
    format!(
        r#"<Stmt><Id>{id}</Id><Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2027-01-05</Dt></Dt></Bal>
{entries}</Stmt>"#
    )
}

/// A .02 entry, as Rabobank and ING write them.
fn ntry(key: &str, amount: &str, direction: &str, text: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2027-01-05</Dt></BookgDt><ValDt><Dt>2027-01-05</Dt></ValDt><AcctSvcrRef>{key}</AcctSvcrRef>
<NtryDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">1.00</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Nm>Betaler B.V.</Nm></Dbtr><Cdtr><Nm>Ontvanger</Nm></Cdtr></RltdPties>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
"#
    )
}

const IBAN: &str = "NL91ABNA0417164300";

fn read(xml: &str) -> Result<Statement, StatementError> {
    read_statement(xml.as_bytes())
}

#[test]
fn a_statement_of_version_02_is_read_entry_by_entry() {
    let xml = document(
        "02",
        &stmt(
            "S1",
            IBAN,
            &(ntry(
                "B1",
                "4452.80",
                "CRDT",
                "Factuur 2027-0001 &amp; &#x20AC; &lt;ok&gt;",
            ) + &ntry("B2", "12.5", "DBIT", "Kosten")),
        ),
    );
    let s = read(&xml).unwrap();
    assert_eq!(s.id, "S1");
    assert_eq!(s.account_iban, IBAN);
    assert_eq!(s.entries.len(), 2);
    let first = &s.entries[0];
    assert_eq!(first.key, "B1");
    assert_eq!(
        first.amount,
        Cents(445_280),
        "the entry's amount, not the transaction's"
    );
    assert!(first.credit);
    assert_eq!(first.booked, NaiveDate::from_ymd_opt(2027, 1, 5).unwrap());
    assert_eq!(first.reference_text, "Factuur 2027-0001 & € <ok>");
    assert_eq!(first.counterparty.as_deref(), Some("Betaler B.V."));
    let second = &s.entries[1];
    assert_eq!(second.amount, Cents(1_250));
    assert!(!second.credit);
    assert_eq!(
        second.counterparty.as_deref(),
        Some("Ontvanger"),
        "who was paid"
    );
}

#[test]
fn a_statement_of_version_08_is_read_with_its_wrapped_status_and_names() {
    let entry = r#"<Ntry><Amt Ccy="EUR">3618.90</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><DtTm>2027-03-28T01:30:00+01:00</DtTm></BookgDt>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Goede Doelen Stichting</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Ref>CBT-2027-0002</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls>
<AddtlNtryInf>SEPA OVERBOEKING</AddtlNtryInf></Ntry>"#;
    let s = read(&document("08", &stmt("S8", IBAN, entry))).unwrap();
    let e = &s.entries[0];
    assert_eq!(e.amount, Cents(361_890));
    assert_eq!(e.booked, NaiveDate::from_ymd_opt(2027, 3, 28).unwrap());
    assert_eq!(e.counterparty.as_deref(), Some("Goede Doelen Stichting"));
    assert_eq!(e.reference_text, "CBT-2027-0002 SEPA OVERBOEKING");
    assert_eq!(
        e.key, "S8/1",
        "no bank reference: the statement and the place"
    );
}

#[test]
fn a_prefixed_document_and_several_days_of_one_account_are_read() {
    let xml = format!(
        r#"<camt:Document xmlns:camt="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><camt:BkToCstmrStmt>{}{}</camt:BkToCstmrStmt></camt:Document>"#,
        stmt("D1", IBAN, &ntry("B1", "1.00", "CRDT", "a"))
            .replace('<', "<camt:")
            .replace("<camt:/", "</camt:"),
        stmt("D2", IBAN, &ntry("B2", "2.00", "CRDT", "b"))
            .replace('<', "<camt:")
            .replace("<camt:/", "</camt:"),
    );
    let s = read(&xml).unwrap();
    assert_eq!(s.id, "D1", "the first day's id");
    assert_eq!(
        s.entries.iter().map(|e| e.amount.0).collect::<Vec<_>>(),
        [100, 200]
    );
}

#[test]
fn pending_and_informational_entries_are_skipped() {
    let pending = ntry("P", "9.99", "CRDT", "x").replace("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>");
    let info = ntry("I", "9.99", "CRDT", "x").replace("<Sts>BOOK</Sts>", "<Sts>INFO</Sts>");
    let booked = ntry("B", "1.00", "CRDT", "x");
    let s = read(&document(
        "02",
        &stmt("S", IBAN, &(pending + &info + &booked)),
    ))
    .unwrap();
    assert_eq!(s.entries.len(), 1);
    assert_eq!(s.entries[0].key, "B");
}

#[test]
fn amounts_are_read_as_cents_or_refused_with_the_entry_named() {
    for (text, cents) in [
        ("4452.80", 445_280),
        ("4452.8", 445_280),
        ("4452", 445_200),
        ("0.01", 1),
    ] {
        let s = read(&document(
            "02",
            &stmt("S", IBAN, &ntry("B", text, "CRDT", "x")),
        ))
        .unwrap();
        assert_eq!(s.entries[0].amount, Cents(cents), "{text}");
    }
    for bad in [
        "4.452,80",
        "4452.",
        ".80",
        "4452.801",
        "-1.00",
        "1e3",
        "",
        "99999999999999999999",
    ] {
        let xml = document(
            "02",
            &stmt(
                "S",
                IBAN,
                &(ntry("A", "1.00", "CRDT", "ok") + &ntry("B", bad, "CRDT", "x")),
            ),
        );
        let err = read(&xml).unwrap_err();
        assert!(
            matches!(err, StatementError::BadEntry { index: 2, .. }),
            "{bad}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("Boeking 2 van het afschrift"),
            "{err}"
        );
    }
}

#[test]
fn an_entry_missing_what_money_needs_is_refused() {
    let cases = [
        (
            ntry("B", "1.00", "CRDT", "x").replace(
                "Ccy=\"EUR\">1.00</Amt><CdtDbtInd",
                "Ccy=\"USD\">1.00</Amt><CdtDbtInd",
            ),
            "in USD",
        ),
        (
            ntry("B", "1.00", "CRDT", "x").replace(
                "<Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd",
                "<Amt>1.00</Amt><CdtDbtInd",
            ),
            "geen valuta",
        ),
        (ntry("B", "1.00", "RVSL", "x"), "bij- of afgeschreven"),
        (
            ntry("B", "1.00", "CRDT", "x").replace("<BookgDt><Dt>2027-01-05</Dt></BookgDt>", ""),
            "geen boekdatum",
        ),
        (
            ntry("B", "1.00", "CRDT", "x")
                .replace("2027-01-05</Dt></BookgDt>", "2027-02-30</Dt></BookgDt>"),
            "geen datum",
        ),
        (
            "<Ntry><CdtDbtInd>CRDT</CdtDbtInd></Ntry>".to_string(),
            "geen bedrag",
        ),
    ];
    for (entry, says) in cases {
        let err = read(&document("02", &stmt("S", IBAN, &entry))).unwrap_err();
        assert!(
            matches!(err, StatementError::BadEntry { index: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(says), "{says}: {err}");
    }
}

#[test]
fn a_dtd_or_an_unknown_entity_is_refused_before_it_grows() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Document>&lol2;</Document>"#;
    assert_eq!(read(bomb), Err(StatementError::Dtd));
    let undeclared = document("02", &stmt("S", IBAN, &ntry("B", "1.00", "CRDT", "&lol;")));
    assert_eq!(read(&undeclared), Err(StatementError::Dtd));
    assert!(StatementError::Dtd
        .to_string()
        .contains("DTD of entiteiten"));
}

#[test]
fn a_damaged_file_says_where() {
    let whole = document("02", &stmt("S", IBAN, &ntry("B", "1.00", "CRDT", "x")));
    let cut = whole.get(..whole.len() - 30).unwrap();
    let err = read(cut).unwrap_err();
    assert!(matches!(err, StatementError::Damaged { .. }), "{err:?}");
    assert!(
        err.to_string().contains("beschadigd of onvolledig"),
        "{err}"
    );
    // Damaged wins over "not a statement": the file is judged whole.
    assert!(matches!(
        read("<Document><BkToCstmrStmt>"),
        Err(StatementError::Damaged { .. })
    ));
    let crossed = read("<Document><A></Document></A>").unwrap_err();
    assert!(
        matches!(crossed, StatementError::Damaged { position, .. } if position > 0),
        "{crossed:?}"
    );
    let deep = format!(
        "{}{}",
        "<a>".repeat(MAX_DEPTH + 1),
        "</a>".repeat(MAX_DEPTH + 1)
    );
    let err = read(&deep).unwrap_err();
    assert!(err.to_string().contains("te diep genest"), "{err}");
    let nested_ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
    assert!(
        matches!(read(&nested_ok), Err(StatementError::NotCamt053 { .. })),
        "64 deep is still read"
    );
}

#[test]
fn another_message_is_named() {
    let camt054 = r#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>"#;
    let err = read(camt054).unwrap_err();
    assert_eq!(
        err,
        StatementError::NotCamt053 {
            found: "een ISO 20022-bericht CAMT.054".into()
        }
    );
    assert!(err.to_string().contains("geen CAMT.053"), "{err}");
    let bare = read("<Document/>").unwrap_err();
    assert!(
        bare.to_string().contains("<Document> zonder naamruimte"),
        "{bare}"
    );
    let other =
        read(r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"#)
            .unwrap_err();
    assert!(
        other.to_string().contains("naamruimte urn:oasis"),
        "{other}"
    );
    let empty = read("").unwrap_err();
    assert_eq!(
        empty,
        StatementError::NotCamt053 {
            found: "leeg".into()
        }
    );
    let root_only_wrong = read(r#"<Stmt xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>"#);
    assert!(matches!(
        root_only_wrong,
        Err(StatementError::NotCamt053 { .. })
    ));
}

#[test]
fn one_account_a_file() {
    let two = document(
        "02",
        &(stmt("A", IBAN, "") + &stmt("B", "NL 02 ABNA 0123 4567 89", "")),
    );
    assert_eq!(
        read(&two),
        Err(StatementError::SeveralAccounts(format!(
            "{IBAN}, NL02ABNA0123456789"
        )))
    );
    let same_twice = document("02", &(stmt("A", IBAN, "") + &stmt("B", IBAN, "")));
    assert!(read(&same_twice).is_ok());
    let none = document("02", "<Stmt><Id>S</Id></Stmt>");
    assert_eq!(read(&none), Err(StatementError::NoAccount));
}

#[test]
fn a_file_over_the_limit_is_not_read() {
    let big = vec![b' '; MAX_STATEMENT_BYTES + 1];
    let err = read_statement(&big).unwrap_err();
    assert_eq!(
        err,
        StatementError::TooLarge {
            bytes: MAX_STATEMENT_BYTES + 1,
            max: MAX_STATEMENT_BYTES
        }
    );
    assert!(err.to_string().contains("te groot"));
    let at_limit = vec![b' '; MAX_STATEMENT_BYTES];
    assert!(!matches!(
        read_statement(&at_limit),
        Err(StatementError::TooLarge { .. })
    ));
}

fn credit(key: &str, euros: i64, text: &str) -> Entry {
    Entry {
        key: key.into(),
        booked: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap(),
        amount: Cents(euros),
        credit: true,
        reference_text: text.into(),
        counterparty: None,
    }
}

fn open(n: u32) -> OpenInvoice {
    OpenInvoice {
        reference: format!("CBT-2027-{n:04}"),
        invoice_number: format!("2027-{n:04}"),
        amount: Cents(445_280),
    }
}

fn outcomes(entries: &[Entry]) -> Vec<MatchOutcome> {
    let open: Vec<OpenInvoice> = (1..=3).map(open).collect();
    match_entries(entries, &open)
        .into_iter()
        .map(|m| m.outcome)
        .collect()
}

fn matched(n: u32) -> MatchOutcome {
    MatchOutcome::Matched {
        reference: format!("CBT-2027-{n:04}"),
    }
}

#[test]
fn a_credit_naming_one_invoice_with_its_amount_is_matched_however_the_number_is_written() {
    for text in [
        "Factuur 2027-0001",
        "factuur 20270001",
        "2027 0001",
        "CBT-2027-0001 aanvraag",
        "kenmerk:2027.0001",
        "2027/0001, dank u",
    ] {
        assert_eq!(
            outcomes(&[credit("B", 445_280, text)]),
            [matched(1)],
            "{text}"
        );
    }
}

#[test]
fn anything_less_certain_goes_to_a_person() {
    let got = outcomes(&[
        credit("B1", 400_000, "factuur 2027-0001 deel"),
        credit("B2", 445_280, "2027-0001 en 2027-0002"),
        credit("B3", 445_280, "gift"),
        credit("B4", 445_280, "202700012"),
        credit("B5", 445_280, "2027-0009"),
        Entry {
            credit: false,
            ..credit("B6", 445_280, "2027-0003")
        },
    ]);
    assert_eq!(
        got[0],
        MatchOutcome::Doubtful {
            candidates: vec!["CBT-2027-0001".into()],
            why: "Het bedrag (€\u{a0}4.000,00) wijkt af van de factuur (€\u{a0}4.452,80).".into(),
        }
    );
    assert!(matches!(&got[1], MatchOutcome::Doubtful { candidates, .. } if candidates.len() == 2));
    assert_eq!(
        got[2],
        MatchOutcome::Unmatched,
        "the amount alone says nothing"
    );
    assert_eq!(
        got[3],
        MatchOutcome::Unmatched,
        "a longer number is another number"
    );
    assert_eq!(got[4], MatchOutcome::Unmatched, "not an open invoice");
    assert_eq!(got[5], MatchOutcome::Debit);
}

#[test]
fn one_invoice_paid_twice_on_one_statement_is_matched_once() {
    let got = outcomes(&[
        credit("B1", 445_280, "2027-0002"),
        credit("B2", 445_280, "2027-0002 nogmaals"),
        credit("B3", 445_280, "zie 2027-0002 2027-0002"),
    ]);
    assert_eq!(got[0], matched(2));
    assert_eq!(
        got[1],
        MatchOutcome::Doubtful {
            candidates: vec!["CBT-2027-0002".into()],
            why: "Deze factuur is op dit afschrift al betaald (boeking B1).".into(),
        }
    );
    assert!(
        matches!(&got[2], MatchOutcome::Doubtful { .. }),
        "named twice is still one"
    );
}

#[test]
fn outcomes_read_in_dutch() {
    assert_eq!(matched(1).to_string(), "gekoppeld aan CBT-2027-0001");
    assert_eq!(MatchOutcome::Unmatched.to_string(), "niet gekoppeld");
    assert_eq!(MatchOutcome::Debit.to_string(), "afschrijving");
    let doubt = MatchOutcome::Doubtful {
        candidates: vec![],
        why: "x".into(),
    };
    assert_eq!(doubt.to_string(), "twijfel: x");
}
