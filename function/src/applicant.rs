//! The applicant's own page of a case, under a personal link
//! (`/mijn-aanvraag/<secret>`): the state in words, what happens next, the
//! dates, the history, the invoice and the documents; and what the
//! applicant may do: change or supplement while the change window is open,
//! answer a completion request before its deadline, withdraw before
//! handling. Every action goes through [`crate::cases::act_on`], so the
//! rules decide and a conflicting change is refused, never lost.
//!
//! The pages carry a secret in their address: they are never cached, never
//! indexed, and send no `Referer` onwards.

use bytes::Bytes;
use cbt::application::Application;
use cbt::case::{Action, Actor, CaseDocument, Refusal};
use cbt::pages::{CaseView, Notice};
use cbt::validate::{check, check_upload, Checked, Posted, PostedFile};
use http::{header, HeaderValue, Request, Response, StatusCode};

use crate::admission::admit;
use crate::cases::{act_on, by_token, ActError};
use crate::drafts::query_value;
use crate::handler::{random_id, App};
use crate::outbox::{advice_key, invoice_key};
use crate::ports::{CaseRecord, Files, Mailer, Store};
use crate::responses::{html_response, see_other, Failure};
use crate::routes::{CasePage, CASE_PREFIX};

/// The most characters a completion's text may have.
const COMPLETION_MAX_CHARS: usize = 10_000;
/// The form field of an added document.
const DOCUMENT: &str = "document";
/// At most this many new links a day per case: the resend form must not
/// become a way to fill a contact person's mailbox.
const LINKS_PER_DAY: usize = 3;

/// The referrer policy of a page whose address holds a personal link's
/// secret: `strict-origin` sends the site's origin and never the path, so
/// the secret travels nowhere. Not `no-referrer`: under it Chromium posts
/// the page's own forms with `Origin: null`, which admission refuses.
pub(crate) const SECRET_REFERRER_POLICY: &str = "strict-origin";

/// Marks a response as one that carries a personal link's secret.
pub(crate) fn private(mut response: Response<Bytes>) -> Response<Bytes> {
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(SECRET_REFERRER_POLICY),
    );
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}

fn unknown_link() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "case_not_found",
        "Deze link werkt niet",
        &[
            "Controleer of u de hele link uit de e-mail heeft gebruikt.",
            "Een nieuwe link vraagt u aan op /mijn-aanvraag/link, met het referentienummer en het e-mailadres van de contactpersoon.",
        ],
    )
}

/// The notice a finished action leaves on the page (`?gedaan=...`): fixed
/// texts, so an address cannot make the page say anything else.
fn done_notice(query: &str) -> Option<Notice> {
    let text = match query_value(query, "gedaan")?.as_str() {
        "gewijzigd" => "Uw wijziging is opgeslagen. U ontvangt een bevestiging per e-mail.",
        "document" => "Het document is toegevoegd. U ontvangt een bevestiging per e-mail.",
        "klaar" => "Wij hebben genoteerd dat u geen wijzigingen meer heeft.",
        "aanvulling" => "Uw aanvulling is verstuurd. U ontvangt een bevestiging per e-mail.",
        "ingetrokken" => "Uw aanvraag is ingetrokken. U ontvangt een bevestiging per e-mail.",
        _ => return None,
    };
    Some(Notice {
        text: text.to_string(),
        error: false,
    })
}

/// `/mijn-aanvraag/<secret>/...`.
pub(crate) async fn handle<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    secret: &str,
    page: CasePage,
) -> Result<Response<Bytes>, Failure> {
    let query = req.uri().query().unwrap_or("").to_string();
    let posted = if req.method() == http::Method::POST {
        admit(app, req).await?
    } else {
        Posted::default()
    };
    let record = by_token(app, secret)
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(unknown_link)?;
    let base = format!("{CASE_PREFIX}/{secret}");
    let response = match page {
        CasePage::Overview => overview(app, &record, &base, done_notice(&query), StatusCode::OK)?,
        CasePage::Invoice => {
            let filename = format!("factuur-{}.pdf", record.case.invoice_number);
            download(app, &invoice_key(&filename), &filename, "application/pdf").await?
        }
        CasePage::Advice => {
            let filename = cbt::advice::letter_filename(&record.case.reference);
            download(
                app,
                &advice_key(&record.case.reference),
                &filename,
                "application/pdf",
            )
            .await?
        }
        CasePage::Document(n) => {
            let doc = record.case.documents.get(n).ok_or_else(unknown_link)?;
            download(app, &doc.key, &doc.filename, doc.kind.mime()).await?
        }
        CasePage::ChangeForm => change_form(app, &record, &base, None)?,
        CasePage::Change => change(app, record, &base, posted).await?,
        CasePage::AddDocument => add_document(app, record, &base, &posted).await?,
        CasePage::Finish => act(app, record, &base, &Action::FinishChanges, "klaar").await?,
        CasePage::Complete => complete(app, record, &base, &posted).await?,
        CasePage::WithdrawForm => html_response(
            StatusCode::OK,
            cbt::pages::withdraw_page(
                &app.rules,
                &app.templates,
                &record.case.reference,
                &base,
                record.case.payment.is_some(),
            )
            .map_err(Failure::unavailable)?,
        ),
        CasePage::Withdraw => {
            if posted.get("bevestig") != Some("ja") {
                see_other(&format!("{base}/intrekken"))
            } else {
                act(
                    app,
                    record,
                    &base,
                    &Action::Withdraw { credit_note: false },
                    "ingetrokken",
                )
                .await?
            }
        }
    };
    Ok(private(response))
}

fn overview<S, M, F>(
    app: &App<S, M, F>,
    record: &CaseRecord,
    base: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response<Bytes>, Failure> {
    let view = CaseView::new(
        &app.rules,
        &record.case,
        &record.events,
        app.clock.now(),
        base,
        notice,
    );
    let page =
        cbt::pages::case_page(&app.rules, &app.templates, &view).map_err(Failure::unavailable)?;
    Ok(html_response(status, page))
}

pub(crate) async fn download<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    key: &str,
    filename: &str,
    content_type: &'static str,
) -> Result<Response<Bytes>, Failure> {
    let bytes = app
        .files
        .get(key)
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "document_not_found",
                "Dit document is er (nog) niet",
                &["Neem contact op met het secretariaat als u het nodig heeft."],
            )
        })?;
    let mut response = Response::new(Bytes::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Our own safe file names (letters, digits, - and _): no quoting issue.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Takes `action` as the applicant; on success back to the page with the
/// notice `done`, else the page with the refusal.
async fn act<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: CaseRecord,
    base: &str,
    action: &Action,
    done: &str,
) -> Result<Response<Bytes>, Failure> {
    let before = record.clone();
    match act_on(app, record, action, Actor::Applicant).await {
        Ok(_) => Ok(see_other(&format!("{base}?gedaan={done}"))),
        Err(e) => refused(app, &before, base, e),
    }
}

/// The page again, saying why the action did not happen.
fn refused<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: &CaseRecord,
    base: &str,
    error: ActError,
) -> Result<Response<Bytes>, Failure> {
    let text = match &error {
        ActError::Refused(refusal) => refusal.to_string(),
        ActError::Conflict => "De aanvraag is intussen gewijzigd; hieronder ziet u hoe zij er nu voor staat. Probeer het zo nodig opnieuw.".to_string(),
        ActError::NotFound => return Err(unknown_link()),
        ActError::Store(_) => return Err(Failure::unavailable(crate::responses::Fault::Case(error))),
    };
    overview(
        app,
        record,
        base,
        Some(Notice { text, error: true }),
        StatusCode::CONFLICT,
    )
}

/// The application form with the case's answers, posting to `wijzigen`.
fn change_form<S, M, F>(
    app: &App<S, M, F>,
    record: &CaseRecord,
    base: &str,
    rejected: Option<&cbt::validate::Rejected>,
) -> Result<Response<Bytes>, Failure> {
    let mut form = app.rules.forms.application.clone();
    form.action = format!("{base}/wijzigen");
    form.title = format!("Aanvraag {} wijzigen", record.case.reference);
    form.submit = "Wijzigingen opslaan".to_string();
    let kept = cbt::pages::kept_by_field(&record.case.documents);
    let (entered, errors) = match rejected {
        Some(r) => (&r.entered, r.errors.as_slice()),
        None => (&record.case.application.answers, &[][..]),
    };
    let page =
        cbt::pages::form_with_errors(&app.rules, &app.templates, &form, entered, errors, &kept)
            .map_err(Failure::unavailable)?;
    let status = if rejected.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html_response(status, page))
}

/// Keeps an uploaded document with the case.
async fn keep<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    reference: &str,
    doc: &cbt::validate::Document,
) -> Result<CaseDocument, Failure> {
    let key = format!("cases/{reference}/{}-{}", random_id()?, doc.filename);
    app.files
        .put(&key, &doc.bytes, doc.kind.mime())
        .await
        .map_err(Failure::unavailable)?;
    Ok(CaseDocument {
        field: doc.field.clone(),
        key,
        filename: doc.filename.clone(),
        shown_name: Some(doc.shown_name.clone()),
        kind: doc.kind,
        size: doc.size,
    })
}

async fn change<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: CaseRecord,
    base: &str,
    mut posted: Posted,
) -> Result<Response<Bytes>, Failure> {
    let form = &app.rules.forms.application;
    let document_field = cbt::needs::application::DOCUMENT;
    let new_file = posted
        .files
        .iter()
        .any(|f| f.field == document_field && !f.bytes.is_empty());
    // The balancing test the case has counts as chosen; a new file is an
    // extra document, never a replacement (the history keeps both).
    if !new_file {
        if let Some(doc) = record.case.documents.first() {
            let bytes = app
                .files
                .get(&doc.key)
                .await
                .map_err(Failure::unavailable)?
                .unwrap_or_default();
            posted.files.retain(|f| f.field != document_field);
            posted.files.push(PostedFile {
                field: document_field.into(),
                filename: doc.filename.clone(),
                bytes,
            });
        }
    }
    let submission = match check(form, &posted) {
        Ok(Checked::Valid(s)) => s,
        // A bot on a personal page: nothing happens, and it learns nothing.
        Ok(Checked::Bot) => return Ok(see_other(base)),
        Err(rejected) => return change_form(app, &record, base, Some(&rejected)),
    };
    let application =
        Application::from_submission(&submission, &app.rules.fees).map_err(Failure::unavailable)?;
    // Every file chosen now is an extra document; the balancing test put
    // back above is the case's already.
    let mut documents = Vec::new();
    for doc in submission
        .documents
        .iter()
        .filter(|d| new_file || d.field != document_field)
    {
        documents.push(keep(app, &record.case.reference, doc).await?);
    }
    act(
        app,
        record,
        base,
        &Action::Amend {
            application: Box::new(application),
            documents,
        },
        "gewijzigd",
    )
    .await
}

/// An uploaded document, checked like the balancing test; or the page
/// with the problem.
async fn upload<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: &CaseRecord,
    base: &str,
    posted: &Posted,
) -> Result<Result<Option<CaseDocument>, Response<Bytes>>, Failure> {
    let Some(field) = app
        .rules
        .forms
        .application
        .field(cbt::needs::application::DOCUMENT)
    else {
        return Ok(Ok(None));
    };
    match check_upload(field, DOCUMENT, posted) {
        Ok(Some(doc)) => Ok(Ok(Some(keep(app, &record.case.reference, &doc).await?))),
        Ok(None) => Ok(Ok(None)),
        Err(e) => Ok(Err(overview(
            app,
            record,
            base,
            Some(Notice {
                text: e.message,
                error: true,
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        )?)),
    }
}

async fn add_document<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: CaseRecord,
    base: &str,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let document = match upload(app, &record, base, posted).await? {
        Ok(Some(doc)) => doc,
        Ok(None) => {
            return overview(
                app,
                &record,
                base,
                Some(Notice {
                    text: "Kies het document dat u wilt toevoegen.".to_string(),
                    error: true,
                }),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(page) => return Ok(page),
    };
    let application = record.case.application.clone();
    act(
        app,
        record,
        base,
        &Action::Amend {
            application: Box::new(application),
            documents: vec![document],
        },
        "document",
    )
    .await
}

async fn complete<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: CaseRecord,
    base: &str,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let text = cbt::formats::clean_text(posted.get("aanvulling").unwrap_or_default());
    if text.chars().count() > COMPLETION_MAX_CHARS {
        return overview(
            app,
            &record,
            base,
            Some(Notice {
                text: "Uw aanvulling mag maximaal 10.000 tekens lang zijn. Zet een langere toelichting in een document."
                    .to_string(),
                error: true,
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let documents = match upload(app, &record, base, posted).await? {
        Ok(doc) => doc.into_iter().collect(),
        Err(page) => return Ok(page),
    };
    act(
        app,
        record,
        base,
        &Action::AnswerCompletion { text, documents },
        "aanvulling",
    )
    .await
}

/// `GET /mijn-aanvraag/link`.
pub(crate) fn resend_form<S, M, F>(
    app: &App<S, M, F>,
    query: &str,
) -> Result<Response<Bytes>, Failure> {
    let sent = query_value(query, "verstuurd").is_some();
    let page =
        cbt::pages::link_page(&app.rules, &app.templates, sent).map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}

/// `POST /mijn-aanvraag/link`: a new link to the contact person, when the
/// reference and the address belong together. The answer is the same
/// whether they do or not, so the form tells nobody which references
/// exist or whose address is whose.
pub(crate) async fn resend<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
) -> Result<Response<Bytes>, Failure> {
    let posted = admit(app, req).await?;
    let same_answer = see_other("/mijn-aanvraag/link?verstuurd=1");
    if posted.get("website").is_some_and(|v| !v.trim().is_empty()) {
        return Ok(same_answer);
    }
    let reference = posted
        .get("referentie")
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let email = cbt::formats::Email::parse(posted.get("email").unwrap_or_default()).ok();
    // Only references of our own shape are looked up.
    let shaped = reference.len() <= 20
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let (Some(email), true) = (email, shaped) else {
        return Ok(same_answer);
    };
    let Some(record) = app
        .store
        .get_case(&reference)
        .await
        .map_err(Failure::unavailable)?
    else {
        return Ok(same_answer);
    };
    let matches = record
        .case
        .application
        .contact
        .email
        .as_str()
        .eq_ignore_ascii_case(email.as_str());
    let day_ago = app.clock.now() - chrono::Duration::hours(24);
    let recent = record
        .events
        .iter()
        .filter(|e| e.change == cbt::case::Change::LinkSent && e.at > day_ago)
        .count();
    // The daily limit of mails to one address counts these too.
    if matches
        && recent < LINKS_PER_DAY
        && crate::limits::may_mail(app, record.case.application.contact.email.as_str()).await?
    {
        match act_on(app, record, &Action::SendLink, Actor::Applicant).await {
            Ok(_) | Err(ActError::Refused(Refusal::Invalid(_)) | ActError::Conflict) => {}
            Err(e) => {
                return Err(Failure::unavailable(crate::responses::Fault::Case(e)));
            }
        }
    }
    Ok(same_answer)
}
