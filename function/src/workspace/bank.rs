//! "Bankafschrift inlezen": a CAMT.053 statement read ([`cbt::bank`]),
//! its credits matched to the open invoices, shown as a preview (matched,
//! doubtful, unmatched), and on confirmation the matched ones registered
//! as payments by [`cbt::case::Actor::BankImport`].
//!
//! Between the preview and the confirmation the file is kept in the file
//! store under its SHA-256 (`statements/<hash>.xml`): the confirmation
//! posts only the hash, and the statement is read and matched again then,
//! against the invoices as they are at that moment. Reading the same
//! statement twice registers nothing twice: each entry is claimed in the
//! store once ([`crate::ports::Store::claim_bank_entry`]), and a paid
//! invoice is no longer open.

use bytes::Bytes;
use cbt::bank::{match_entries, read_statement, MatchOutcome, Matched, OpenInvoice, Statement};
use cbt::case::{Action, Actor, State};
use cbt::pages::Notice;
use cbt::validate::Posted;
use http::{Response, StatusCode};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::all_cases;
use super::auth::{audit, SignedIn};
use crate::cases::{act_on, ActError};
use crate::handler::App;
use crate::ports::{BankEntry, Files, Mailer, Store};
use crate::responses::{html_response, Failure};

/// The form field of the file.
const FILE_FIELD: &str = "afschrift";

fn secretariat_only() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "secretariat_only",
        "Dit is voor het secretariaat",
        &["Alleen het secretariaat leest bankafschriften in."],
    )
}

/// One entry as the preview shows it.
#[derive(Debug, Serialize)]
struct Row {
    booked: String,
    amount: String,
    counterparty: String,
    description: String,
    /// The case it pays or may pay.
    references: Vec<String>,
    why: Option<String>,
}

impl Row {
    fn new(m: &Matched) -> Row {
        let e = &m.entry;
        let (references, why) = match &m.outcome {
            MatchOutcome::Matched { reference } => (vec![reference.clone()], None),
            MatchOutcome::Doubtful { candidates, why } => (candidates.clone(), Some(why.clone())),
            MatchOutcome::Unmatched | MatchOutcome::Debit => (Vec::new(), None),
        };
        Row {
            booked: cbt::dates::dutch_date(e.booked),
            amount: e.amount.to_string(),
            counterparty: e.counterparty.clone().unwrap_or_default(),
            description: e.reference_text.clone(),
            references,
            why,
        }
    }
}

/// A registration that was refused or failed, for the result page.
#[derive(Debug, Serialize)]
struct Refused {
    reference: String,
    why: String,
}

/// One of the preview's tables.
#[derive(Debug, Serialize)]
struct Group {
    title: &'static str,
    /// The heading of the last column (the case, or why in doubt), if any.
    column: Option<&'static str>,
    rows: Vec<Row>,
}

#[derive(Debug, Default, Serialize)]
struct BankPage {
    notice: Option<Notice>,
    /// The preview's statement, for the confirmation.
    hash: Option<String>,
    account: String,
    /// Matched, doubtful, unmatched: one table each.
    groups: Vec<Group>,
    to_register: usize,
    debits: usize,
    /// After the confirmation: what was registered, and what not.
    registered: Vec<String>,
    refused: Vec<Refused>,
    done: bool,
}

fn render<S, M, F>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    page: &BankPage,
    status: StatusCode,
) -> Result<Response<Bytes>, Failure> {
    let html = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "bank.html",
        "Bankafschrift inlezen",
        Some(&signed_in.chrome("bank")),
        page,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(status, html))
}

/// `GET /beheer/bank`: the form.
pub(crate) fn form<S, M, F>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
) -> Result<Response<Bytes>, Failure> {
    if !signed_in.is_secretariat() {
        return Err(secretariat_only());
    }
    render(app, signed_in, &BankPage::default(), StatusCode::OK)
}

fn refused_page<S, M, F>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    text: String,
) -> Result<Response<Bytes>, Failure> {
    let page = BankPage {
        notice: Some(Notice { text, error: true }),
        ..BankPage::default()
    };
    render(app, signed_in, &page, StatusCode::UNPROCESSABLE_ENTITY)
}

fn statement_key(hash: &str) -> String {
    format!("statements/{hash}.xml")
}

/// The invoices that wait for their payment.
async fn open_invoices<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
) -> Result<Vec<OpenInvoice>, Failure> {
    Ok(all_cases(app)
        .await?
        .into_iter()
        .filter(|c| c.state == State::Ontvangen && c.payment.is_none())
        .map(|c| OpenInvoice {
            reference: c.reference.clone(),
            invoice_number: c.invoice_number.to_string(),
            amount: c.invoiced,
        })
        .collect())
}

/// The statement read and matched, or the page that says why not.
async fn read_and_match<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    xml: &[u8],
) -> Result<Result<(Statement, Vec<Matched>), String>, Failure> {
    let statement = match read_statement(xml) {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(error = ?e, "a bank statement was refused");
            return Ok(Err(e.to_string()));
        }
    };
    let open = open_invoices(app).await?;
    let matched = match_entries(&statement.entries, &open);
    Ok(Ok((statement, matched)))
}

/// `POST /beheer/bank`: the file read, kept, and previewed.
pub(crate) async fn preview<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    if !signed_in.is_secretariat() {
        return Err(secretariat_only());
    }
    let Some(file) = posted
        .files
        .iter()
        .find(|f| f.field == FILE_FIELD && !f.bytes.is_empty())
    else {
        return refused_page(
            app,
            signed_in,
            "Kies het bankafschrift (een CAMT.053-bestand, .xml).".into(),
        );
    };
    let (statement, matched) = match read_and_match(app, &file.bytes).await? {
        Ok(read) => read,
        Err(why) => return refused_page(app, signed_in, why),
    };
    let hash: String = Sha256::digest(&file.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    app.files
        .put(&statement_key(&hash), &file.bytes, "application/xml")
        .await
        .map_err(Failure::unavailable)?;
    let mut page = BankPage {
        hash: Some(hash),
        account: cbt::formats::format_iban(&statement.account_iban),
        ..BankPage::default()
    };
    let mut groups = [
        ("Gekoppeld", Some("Aanvraag"), Vec::new()),
        ("Twijfel", Some("Waarom"), Vec::new()),
        ("Niet gekoppeld", None, Vec::new()),
    ];
    for m in &matched {
        let at = match m.outcome {
            MatchOutcome::Matched { .. } => 0,
            MatchOutcome::Doubtful { .. } => 1,
            MatchOutcome::Unmatched => 2,
            MatchOutcome::Debit => {
                page.debits += 1;
                continue;
            }
        };
        if let Some((_, _, rows)) = groups.get_mut(at) {
            rows.push(Row::new(m));
        }
    }
    page.to_register = groups[0].2.len();
    page.groups = groups
        .into_iter()
        .map(|(title, column, rows)| Group {
            title,
            column,
            rows,
        })
        .collect();
    render(app, signed_in, &page, StatusCode::OK)
}

/// `POST /beheer/bank/registreren`: the kept statement read and matched
/// again, and each match registered once.
pub(crate) async fn register<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    if !signed_in.is_secretariat() {
        return Err(secretariat_only());
    }
    let hash = posted.get("afschrift").unwrap_or_default();
    let xml = if crate::cases::is_token(hash) {
        app.files
            .get(&statement_key(hash))
            .await
            .map_err(Failure::unavailable)?
    } else {
        None
    };
    let Some(xml) = xml else {
        return refused_page(
            app,
            signed_in,
            "Dit bankafschrift is niet (meer) bekend. Lees het opnieuw in.".into(),
        );
    };
    let (statement, matched) = match read_and_match(app, &xml).await? {
        Ok(read) => read,
        Err(why) => return refused_page(app, signed_in, why),
    };
    let now = app.clock.now();
    let mut page = BankPage {
        done: true,
        account: cbt::formats::format_iban(&statement.account_iban),
        ..BankPage::default()
    };
    for m in &matched {
        let MatchOutcome::Matched { reference } = &m.outcome else {
            continue;
        };
        let entry = BankEntry {
            key: format!("{}#{}", statement.account_iban, m.entry.key),
            reference: reference.clone(),
            at: now,
        };
        if !app
            .store
            .claim_bank_entry(&entry)
            .await
            .map_err(Failure::unavailable)?
        {
            // Read before: registered then, or refused then.
            continue;
        }
        let action = Action::RegisterPayment {
            date: m.entry.booked,
            amount: m.entry.amount,
            accept_difference: false,
        };
        let outcome = match app.store.get_case(reference).await {
            Ok(Some(record)) => act_on(app, record, &action, Actor::BankImport).await,
            Ok(None) => Err(ActError::NotFound),
            Err(e) => Err(ActError::from(e)),
        };
        match outcome {
            Ok(_) => page.registered.push(reference.clone()),
            Err(e) => page.refused.push(Refused {
                reference: reference.clone(),
                why: e.to_string(),
            }),
        }
    }
    audit(
        app,
        &signed_in.member.email,
        format!(
            "Bankafschrift {} ingelezen: {} betaling(en) geregistreerd, {} niet",
            statement.id,
            page.registered.len(),
            page.refused.len()
        ),
    )
    .await?;
    page.notice = Some(Notice {
        text: format!("{} betaling(en) geregistreerd.", page.registered.len()),
        error: false,
    });
    render(app, signed_in, &page, StatusCode::OK)
}
