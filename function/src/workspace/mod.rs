//! The secretariat's workspace at `/beheer/`: sign in ([`auth`]), every
//! case with its nearest deadline, one case with its answers, versions,
//! documents, mails and history, the actions on it ([`actions`]), the
//! staff list and the audit log ([`staff`]). Every action on a case is one
//! of the case's transitions through [`crate::cases::act_on`]: nothing here
//! bypasses the rules.
//!
//! Every answer is `Cache-Control: no-store` (as all the function's are),
//! unindexed, and sends no path onwards (a sign-in link's address holds
//! its secret). Pages need a live session; without one a page sends the
//! visitor to sign in, and a post is refused.

pub mod actions;
pub mod auth;
pub mod bank;
pub mod export;
pub mod passkeys;
pub mod staff;

use bytes::Bytes;
use cbt::case::Actor;
use cbt::pages::Notice;
use cbt::validate::Posted;
use cbt::workspace::{case_rows, state_by_key, state_counts, ListFilter, StaffCase, PREFIX};
use chrono::Datelike as _;
use http::{Request, Response, StatusCode};
use serde::Serialize;

use crate::admission::{admit, admit_signed_in};
use crate::applicant::private;
use crate::drafts::query_value;
use crate::handler::App;
use crate::outbox::{advice_key, invoice_key};
use crate::ports::{CaseRecord, Files, Mailer, Owner, Store};
use crate::responses::{html_response, see_other, Failure};
use crate::routes::{CaseFile, WorkspacePage};
use auth::SignedIn;

/// `/beheer/...`.
pub(crate) async fn handle<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    page: WorkspacePage,
) -> Result<Response<Bytes>, Failure> {
    let query = req.uri().query().unwrap_or("").to_string();
    let response = match page {
        WorkspacePage::SignInForm => sign_in_page(app, &query)?,
        WorkspacePage::SignInRequest => {
            let posted = admit(app, req).await?;
            auth::request_link(app, &posted).await?
        }
        WorkspacePage::SignInLink(secret) => link_page(app, &secret)?,
        WorkspacePage::SignInConfirm(secret) => {
            admit(app, req).await?;
            auth::use_link(app, &secret).await?
        }
        WorkspacePage::PasskeySignInBegin => {
            let headers = req.headers().clone();
            let posted = admit(app, req).await?;
            passkeys::begin_sign_in(app, &headers, &posted).await?
        }
        WorkspacePage::PasskeySignIn => {
            let headers = req.headers().clone();
            let posted = admit(app, req).await?;
            passkeys::finish_sign_in(app, &headers, &posted).await?
        }
        page => {
            let Some(signed_in) = auth::current(app, req.headers()).await? else {
                return Ok(private(if req.method() == http::Method::GET {
                    see_other(&format!("{PREFIX}/aanmelden"))
                } else {
                    return Err(signed_out());
                }));
            };
            let headers = req.headers().clone();
            let posted = if req.method() == http::Method::POST {
                let posted = admit_signed_in(app, req).await?;
                auth::check_csrf(&signed_in, &posted)?;
                posted
            } else {
                Posted::default()
            };
            signed_in_page(app, &signed_in, page, &query, &headers, posted).await?
        }
    };
    Ok(private(response))
}

fn signed_out() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "signed_out",
        "U bent niet (meer) aangemeld",
        &["Meld u opnieuw aan op /beheer/aanmelden. Er is niets gewijzigd."],
    )
}

async fn signed_in_page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    page: WorkspacePage,
    query: &str,
    headers: &http::HeaderMap,
    posted: Posted,
) -> Result<Response<Bytes>, Failure> {
    match page {
        WorkspacePage::SignOut => auth::sign_out(app, signed_in).await,
        WorkspacePage::Cases => case_list(app, signed_in, query).await,
        WorkspacePage::Case(reference) => {
            let record = case(app, &reference).await?;
            case_page(app, signed_in, &record, done_notice(query), StatusCode::OK).await
        }
        WorkspacePage::CaseFile(reference, file) => {
            let record = case(app, &reference).await?;
            case_file(app, &record, file).await
        }
        WorkspacePage::CaseAction(reference, action) => {
            let record = case(app, &reference).await?;
            actions::act(app, signed_in, record, action, &posted).await
        }
        WorkspacePage::Staff => staff::page(app, signed_in, None).await,
        WorkspacePage::StaffChange => staff::change(app, signed_in, &posted).await,
        WorkspacePage::Log => staff::log(app, signed_in).await,
        WorkspacePage::BankForm => bank::form(app, signed_in),
        WorkspacePage::BankPreview => bank::preview(app, signed_in, &posted).await,
        WorkspacePage::BankRegister => bank::register(app, signed_in, &posted).await,
        WorkspacePage::Export => export::csv(app, signed_in, query).await,
        WorkspacePage::Passkeys => passkeys::page(app, signed_in, query).await,
        WorkspacePage::PasskeyRegistrationBegin => {
            passkeys::begin_registration(app, headers, signed_in).await
        }
        WorkspacePage::PasskeyRegistration => {
            passkeys::finish_registration(app, headers, signed_in, &posted).await
        }
        WorkspacePage::PasskeyRemoval => passkeys::remove(app, signed_in, &posted).await,
        // Answered before a session is looked at.
        WorkspacePage::SignInForm
        | WorkspacePage::SignInRequest
        | WorkspacePage::SignInLink(_)
        | WorkspacePage::SignInConfirm(_)
        | WorkspacePage::PasskeySignInBegin
        | WorkspacePage::PasskeySignIn => Err(signed_out()),
    }
}

#[derive(Serialize)]
struct SignInPage {
    sent: bool,
    signed_out: bool,
    secret: Option<String>,
}

fn sign_in_page<S, M, F>(app: &App<S, M, F>, query: &str) -> Result<Response<Bytes>, Failure> {
    let data = SignInPage {
        sent: query_value(query, "verstuurd").is_some(),
        signed_out: query_value(query, "afgemeld").is_some(),
        secret: None,
    };
    let page = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "aanmelden.html",
        "Aanmelden bij het beheer",
        None,
        &data,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}

/// The link's page: a button that signs in. A link is used up by the
/// post, not by opening it, so a mail filter that opens links to scan
/// them does not spend it.
fn link_page<S, M, F>(app: &App<S, M, F>, secret: &str) -> Result<Response<Bytes>, Failure> {
    let data = SignInPage {
        sent: false,
        signed_out: false,
        secret: crate::cases::is_token(secret).then(|| secret.to_string()),
    };
    let page = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "aanmelden.html",
        "Aanmelden bij het beheer",
        None,
        &data,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}

fn unknown_case() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "case_not_found",
        "Deze aanvraag bestaat niet",
        &["Zoek de aanvraag op in de lijst op /beheer/."],
    )
}

/// The case `reference`, or 404. Only references of our own shape are
/// looked up.
async fn case<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    reference: &str,
) -> Result<CaseRecord, Failure> {
    let shaped = reference.len() <= 20
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !shaped {
        return Err(unknown_case());
    }
    app.store
        .get_case(reference)
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(unknown_case)
}

/// Rows a page of the list shows: a screen reader or a phone must not get
/// 5,000 rows at once; the search and the filter find the rest.
pub const ROWS_PER_PAGE: usize = 200;

#[derive(Serialize)]
struct ListPage {
    rows: Vec<cbt::workspace::CaseRow>,
    states: Vec<cbt::workspace::StateCount>,
    state: Option<&'static str>,
    search: String,
    total: usize,
    /// How many the filter and search let through.
    found: usize,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
    /// Today and the first of its year, for the export's dates.
    today: String,
    year_start: String,
}

/// The list's address with its filter, search and page.
fn list_url(state: Option<&str>, search: &str, page: usize) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(s) = state {
        q.append_pair("status", s);
    }
    if !search.is_empty() {
        q.append_pair("zoek", search);
    }
    if page > 1 {
        q.append_pair("pagina", &page.to_string());
    }
    let q = q.finish();
    if q.is_empty() {
        format!("{PREFIX}/")
    } else {
        format!("{PREFIX}/?{q}")
    }
}

/// Every case the store has, in any state.
pub(crate) async fn all_cases<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
) -> Result<Vec<cbt::case::Case>, Failure> {
    app.store.all_cases().await.map_err(Failure::unavailable)
}

/// `GET /beheer/`: the list, filtered by `?status=` and `?zoek=`.
async fn case_list<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    query: &str,
) -> Result<Response<Bytes>, Failure> {
    let cases = all_cases(app).await?;
    let state = query_value(query, "status").and_then(|k| state_by_key(&k));
    let search: String = query_value(query, "zoek")
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let filter = ListFilter {
        state,
        search: search.clone(),
    };
    let today = cbt::dates::local_date(app.clock.now());
    let rows = case_rows(&cases, &app.rules.periods, today, &filter);
    let found = rows.len();
    let pages = found.div_ceil(ROWS_PER_PAGE).max(1);
    let page = query_value(query, "pagina")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let key = state.map(|s| s.key());
    let data = ListPage {
        rows: rows
            .into_iter()
            .skip((page - 1) * ROWS_PER_PAGE)
            .take(ROWS_PER_PAGE)
            .collect(),
        states: state_counts(&cases),
        state: key,
        total: cases.len(),
        found,
        page,
        pages,
        previous: (page > 1).then(|| list_url(key, &search, page - 1)),
        next: (page < pages).then(|| list_url(key, &search, page + 1)),
        search,
        today: today.to_string(),
        year_start: today.with_ordinal(1).unwrap_or(today).to_string(),
    };
    let page = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "zaken.html",
        "Aanvragen",
        Some(&signed_in.chrome("zaken")),
        &data,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}

/// The notice a finished action leaves (`?gedaan=...`): fixed texts.
fn done_notice(query: &str) -> Option<Notice> {
    let text = match query_value(query, "gedaan")?.as_str() {
        "betaling" => "De betaling is geregistreerd.",
        "behandeling" => "De aanvraag is in behandeling genomen; de aanvrager krijgt bericht.",
        "weigeren" => {
            "De aanvraag is niet in behandeling genomen; de aanvrager krijgt de reden per e-mail."
        }
        "aanvulling" => "Het verzoek om aanvulling is verstuurd.",
        "advies" => "Het advies is vastgelegd en met de adviesbrief verstuurd.",
        "intrekken" => "De aanvraag is ingetrokken.",
        "notitie" => "De notitie is toegevoegd.",
        _ => return None,
    };
    Some(Notice {
        text: text.to_string(),
        error: false,
    })
}

#[derive(Serialize)]
struct CasePage<'a> {
    #[serde(flatten)]
    case: StaffCase,
    /// What a refused form had, to show it again.
    form: &'a std::collections::BTreeMap<String, String>,
    /// A payment whose amount differs waits for confirmation.
    confirm_amount: Option<String>,
    /// The credit note's number, once it has one.
    credit_note: Option<String>,
}

/// `GET /beheer/zaak/<reference>`, or the page again after a refusal.
pub(crate) async fn case_page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    record: &CaseRecord,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response<Bytes>, Failure> {
    case_page_with(
        app,
        signed_in,
        record,
        notice,
        status,
        &Default::default(),
        None,
    )
    .await
}

/// The case's page, with what a refused form had.
pub(crate) async fn case_page_with<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    record: &CaseRecord,
    notice: Option<Notice>,
    status: StatusCode,
    form: &std::collections::BTreeMap<String, String>,
    confirm_amount: Option<String>,
) -> Result<Response<Bytes>, Failure> {
    let mails = mails(app, &record.case.reference).await?;
    let actor: Actor = signed_in.actor();
    let case = StaffCase::new(
        &app.rules,
        &record.case,
        &record.events,
        mails,
        &actor,
        app.clock.now(),
        notice,
    );
    let credit_note = app
        .store
        .credit_note_of(&record.case.reference)
        .await
        .map_err(Failure::unavailable)?
        .map(cbt::invoice::credit_note_number);
    let title = format!("Aanvraag {}", record.case.reference);
    let page = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "zaak.html",
        &title,
        Some(&signed_in.chrome("zaken")),
        &CasePage {
            case,
            form,
            confirm_amount,
            credit_note,
        },
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(status, page))
}

/// The case's mails: those sent, with what the mail service reported, and
/// those still waiting.
async fn mails<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    reference: &str,
) -> Result<Vec<cbt::workspace::MailRow>, Failure> {
    let owner = Owner::Application(reference.to_string());
    let mut sent = app
        .store
        .sent_mails(&owner)
        .await
        .map_err(Failure::unavailable)?;
    sent.sort_by_key(|m| m.sent_at);
    let mut rows: Vec<cbt::workspace::MailRow> = sent
        .iter()
        .map(|m| {
            let problems: Vec<cbt::delivery::Problem> =
                m.reports.iter().map(|r| r.problem.clone()).collect();
            cbt::workspace::MailRow::new(m.mail.kind, Some(m.sent_at), &problems)
        })
        .collect();
    let pending = app
        .store
        .pending_mails()
        .await
        .map_err(Failure::unavailable)?;
    rows.extend(
        pending
            .iter()
            .filter(|p| p.owner == owner)
            .map(|p| cbt::workspace::MailRow::new(p.kind, None, &[])),
    );
    Ok(rows)
}

/// A case's file, through the function: never a public or lasting URL.
async fn case_file<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: &CaseRecord,
    file: CaseFile,
) -> Result<Response<Bytes>, Failure> {
    let case = &record.case;
    let (key, filename, mime) = match file {
        CaseFile::Invoice => {
            let filename = format!("factuur-{}.pdf", case.invoice_number);
            (invoice_key(&filename), filename, "application/pdf")
        }
        CaseFile::Advice => (
            advice_key(&case.reference),
            cbt::advice::letter_filename(&case.reference),
            "application/pdf",
        ),
        CaseFile::CreditNote => {
            let number = app
                .store
                .credit_note_of(&case.reference)
                .await
                .map_err(Failure::unavailable)?
                .ok_or_else(unknown_case)?;
            let filename = format!(
                "creditnota-{}.pdf",
                cbt::invoice::credit_note_number(number)
            );
            (invoice_key(&filename), filename, "application/pdf")
        }
        CaseFile::Document(n) => {
            // Only the case's own documents, by their place in its list:
            // no name from the address reaches the file store.
            let doc = case.documents.get(n).ok_or_else(unknown_case)?;
            (doc.key.clone(), doc.filename.clone(), doc.kind.mime())
        }
    };
    crate::applicant::download(app, &key, &filename, mime).await
}
