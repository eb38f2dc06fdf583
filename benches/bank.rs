//! A bank statement read and matched: 10,000 entries (about 9 MB, far more
//! than the CBT's account books in a year) against 5,000 open invoices.
//! Goal: well under a second, so the preview page answers at once.
//!
//! Run: `cargo bench -p cbt --bench bank`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark's set-up stops at the first surprise, as a test does"
)]

use cbt::bank::{match_entries, read_statement, OpenInvoice};
use cbt::Cents;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const ENTRIES: u32 = 10_000;
const OPEN: u32 = 5_000;

/// A CAMT.053.001.02 statement: every other credit names an open invoice,
/// a tenth of the entries are debits.
fn statement() -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2027-12-31T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
"#,
    );
    for n in 1..=ENTRIES {
        let direction = if n % 10 == 0 { "DBIT" } else { "CRDT" };
        let text = if n % 2 == 0 {
            format!("Factuur 2027-{:04} aanvraag balanstoets", n % OPEN + 1)
        } else {
            format!("Betaling {n} overige &amp; diversen")
        };
        xml.push_str(&format!(
            r#"<Ntry><Amt Ccy="EUR">4452.80</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2027-06-01</Dt></BookgDt><ValDt><Dt>2027-06-01</Dt></ValDt><AcctSvcrRef>REF{n:08}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="EUR">4452.80</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Nm>Organisatie {n} B.V.</Nm></Dbtr><DbtrAcct><Id><IBAN>NL02ABNA0123456789</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
"#
        ));
    }
    xml.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    xml
}

fn open() -> Vec<OpenInvoice> {
    (1..=OPEN)
        .map(|n| OpenInvoice {
            reference: format!("CBT-2027-{n:04}"),
            invoice_number: format!("2027-{n:04}"),
            amount: Cents(445_280),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let xml = statement();
    let open = open();
    eprintln!("statement: {} bytes, {ENTRIES} entries", xml.len());
    let read = read_statement(xml.as_bytes()).expect("a statement");
    assert_eq!(read.entries.len(), ENTRIES as usize);
    let mut group = c.benchmark_group("bank");
    group.sample_size(20);
    group.bench_function("read 10,000 entries", |b| {
        b.iter(|| read_statement(black_box(xml.as_bytes())).expect("read"));
    });
    group.bench_function("match 10,000 entries to 5,000 invoices", |b| {
        b.iter(|| match_entries(black_box(&read.entries), black_box(&open)));
    });
    group.bench_function("read and match", |b| {
        b.iter(|| {
            let s = read_statement(black_box(xml.as_bytes())).expect("read");
            match_entries(&s.entries, &open)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
