//! The function's core: a plain async function from an HTTP request to an
//! HTTP response, over the ports. Lambda ([`crate::event`]) and
//! `cbt-site serve` both call [`handle`].
//!
//! Routes:
//! - `POST /aanvraag`: check; invalid -> 422 with the form again; valid ->
//!   a draft (24 h) and "check your answers".
//! - `GET /aanvraag/wijzigen?concept=ID`: the form again with the draft's answers.
//! - `POST /aanvraag/bevestig` (`concept=ID`): number, store, mail; 303 to
//!   `/aanvraag/ontvangen?concept=ID`.
//! - `GET /aanvraag/ontvangen?concept=ID`: the confirmation page.
//! - `POST /contact`: check, store, mail; 303 to `/contact/bedankt`.
//! - `GET /contact/bedankt`: thank you.

use std::sync::Arc;

use bytes::Bytes;
use cbt::mail::{Address, MailKind, Message};
use cbt::templates::Templates;
use cbt::validate::{check, Checked, FieldError, Posted, Submission};
use cbt::Rules;
use chrono::{DateTime, Duration, Timelike, Utc};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::json;

use crate::body::{self, BodyError};
use crate::config::Config;
use crate::ports::{
    Application, ContactMessage, Draft, Files, Mailer, Owner, Store, StoredDocument,
};

/// Where the time comes from: the system, or a fixed moment in tests.
#[derive(Clone)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }
}

/// Everything the handler works with, built once per cold start.
pub struct App<S, M, F> {
    pub rules: Arc<Rules>,
    pub templates: Arc<Templates>,
    pub config: Config,
    pub store: S,
    pub mailer: M,
    pub files: F,
    pub clock: Clock,
}

/// What the client wants back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wants {
    Html,
    Json,
}

fn wants(headers: &HeaderMap) -> Wants {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("application/json") && !accept.contains("text/html") {
        Wants::Json
    } else {
        Wants::Html
    }
}

/// The mails of an application, in the order they go out.
pub const APPLICATION_MAILS: [MailKind; 3] = [
    MailKind::ApplicationConfirmation,
    MailKind::Invoice,
    MailKind::ApplicationSecretariat,
];
/// The mails of a contact message.
pub const CONTACT_MAILS: [MailKind; 2] = [
    MailKind::ContactSecretariat,
    MailKind::ContactAcknowledgement,
];

/// Handles one request. Never panics on input; every failure is a proper
/// page (or JSON, by `Accept`).
pub async fn handle<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
) -> Response<Bytes> {
    let wants = wants(req.headers());
    let path = req.uri().path().trim_end_matches('/').to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let result = match (req.method(), path.as_str()) {
        (&Method::POST, "/aanvraag") => post_application(app, req, wants).await,
        (&Method::POST, "/aanvraag/bevestig") => confirm(app, req, wants).await,
        (&Method::GET, "/aanvraag/wijzigen") => change(app, &query, wants).await,
        (&Method::GET, "/aanvraag/ontvangen") => received(app, &query, wants).await,
        (&Method::POST, "/contact") => post_contact(app, req, wants).await,
        (&Method::GET, "/contact/bedankt") => Ok(thanks(app, wants)),
        // Someone typing the form's address: the page with the form.
        (&Method::GET, "/contact") => Ok(moved("/contact/")),
        (&Method::GET, "/aanvraag") => Ok(moved("/aanvragen/")),
        (
            _,
            "/aanvraag"
            | "/aanvraag/bevestig"
            | "/aanvraag/wijzigen"
            | "/aanvraag/ontvangen"
            | "/contact"
            | "/contact/bedankt",
        ) => Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Deze pagina kan zo niet worden opgevraagd",
            &["Gebruik het formulier op de site."],
        )),
        _ => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Pagina niet gevonden",
            &["Deze pagina bestaat niet (meer)."],
        )),
    };
    match result {
        Ok(response) => response,
        Err(failure) => failure.respond(app, wants),
    }
}

/// An answer that is not the happy path.
pub struct Failure {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    paragraphs: Vec<String>,
    /// A full page already rendered (the form with its errors).
    page: Option<String>,
    errors: Vec<FieldError>,
}

impl Failure {
    fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        paragraphs: &[&str],
    ) -> Failure {
        Failure {
            status,
            code,
            title,
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            page: None,
            errors: Vec::new(),
        }
    }

    fn unavailable(what: &str) -> Failure {
        tracing::error!(what, "a port failed");
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Er ging iets mis aan onze kant",
            &[
                "Uw gegevens zijn niet verstuurd. Probeer het over enkele minuten opnieuw.",
                "Lukt het dan nog niet, mail dan naar het secretariaat.",
            ],
        )
    }

    fn respond<S, M, F>(self, app: &App<S, M, F>, wants: Wants) -> Response<Bytes> {
        match wants {
            Wants::Json => {
                let errors: Vec<_> = self
                    .errors
                    .iter()
                    .map(|e| json!({ "field": e.field, "code": e.code, "message": e.message }))
                    .collect();
                json_response(
                    self.status,
                    &json!({ "error": self.code, "message": self.title, "errors": errors }),
                )
            }
            Wants::Html => {
                let page = match self.page {
                    Some(page) => Ok(page),
                    None => {
                        let paragraphs: Vec<&str> =
                            self.paragraphs.iter().map(String::as_str).collect();
                        cbt::pages::message(&app.rules, &app.templates, self.title, &paragraphs)
                    }
                };
                match page {
                    Ok(html) => html_response(self.status, html),
                    Err(e) => {
                        tracing::error!(error = %e, "rendering an error page failed");
                        plain_response(self.status, self.title)
                    }
                }
            }
        }
    }
}

fn base_headers(builder: http::response::Builder) -> http::response::Builder {
    builder
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "same-origin")
}

fn html_response(status: StatusCode, html: String) -> Response<Bytes> {
    base_headers(Response::builder().status(status))
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Bytes::from(html))
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Bytes> {
    base_headers(Response::builder().status(status))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(value.to_string()))
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}

fn plain_response(status: StatusCode, text: &str) -> Response<Bytes> {
    base_headers(Response::builder().status(status))
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Bytes::from(text.to_string()))
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}

fn moved(location: &'static str) -> Response<Bytes> {
    let mut r = see_other(location);
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    r
}

fn see_other(location: &str) -> Response<Bytes> {
    let mut r = base_headers(Response::builder().status(StatusCode::SEE_OTHER))
        .body(Bytes::new())
        .unwrap_or_else(|_| Response::new(Bytes::new()));
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The checks every post goes through before its body is read: where it
/// comes from, how large it is, and how often this source posted.
async fn admit<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: &Request<Bytes>,
) -> Result<(), Failure> {
    if let Some(secret) = &app.config.origin_secret {
        let given = req
            .headers()
            .get("x-origin-verify")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !constant_time_eq(given, secret.as_bytes()) {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "Dit formulier kan alleen via onze eigen site worden verstuurd",
                &["Ga naar de site en vul het formulier daar in."],
            ));
        }
    }
    // Browsers send Origin with every POST; a missing one is a script,
    // which the rate limit still covers.
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
        if !app.config.allowed_origins.iter().any(|o| o == origin) {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "Dit formulier kan alleen via onze eigen site worden verstuurd",
                &["Ga naar de site en vul het formulier daar in."],
            ));
        }
    }
    if req.body().len() > app.config.max_body_bytes {
        return Err(too_large(app));
    }
    let now = app.clock.now();
    let window = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let address = match &app.config.origin_secret {
        Some(_) => viewer_address(req.headers()).unwrap_or_else(|| source_ip(req.headers())),
        None => source_ip(req.headers()),
    };
    let key = format!("ip#{address}");
    let count = app
        .store
        .count_post(&key, window, window + Duration::hours(2))
        .await
        .map_err(|e| Failure::unavailable(&e.to_string()))?;
    if count > app.config.rate_limit_per_hour {
        tracing::warn!(count, "rate limit reached");
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "U heeft te veel formulieren verstuurd",
            &["Probeer het over een uur opnieuw, of mail naar het secretariaat."],
        ));
    }
    Ok(())
}

fn too_large<S, M, F>(app: &App<S, M, F>) -> Failure {
    let mb = app.config.max_body_bytes / (1024 * 1024);
    let mut f = Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "Wat u verstuurde is te groot",
        &[],
    );
    f.paragraphs = vec![format!("Een aanvraag mag met bijlage samen hoogstens {mb} MB zijn. Maak het document kleiner, of mail het naar het secretariaat.")];
    f
}

/// The header in which the trusted layer in front of the handler (the
/// Lambda event conversion, or `serve`) puts the client's address; both
/// drop a copy the client sent itself.
pub const SOURCE_IP_HEADER: &str = "x-cbt-source-ip";

/// The visitor's address as CloudFront reports it (`ip:port`, IPv6 without
/// brackets); only trusted when the request proved it came through CloudFront.
fn viewer_address(headers: &HeaderMap) -> Option<String> {
    let v = headers
        .get("cloudfront-viewer-address")?
        .to_str()
        .ok()?
        .trim();
    let (ip, _port) = v.rsplit_once(':')?;
    (!ip.is_empty()).then(|| ip.to_string())
}

/// Compares without stopping at the first difference, so the time taken
/// tells an attacker nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's address as the layer in front reports it.
pub fn source_ip(headers: &HeaderMap) -> String {
    headers
        .get(SOURCE_IP_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

async fn read_body<S, M, F>(app: &App<S, M, F>, req: Request<Bytes>) -> Result<Posted, Failure> {
    let (parts, bytes) = req.into_parts();
    body::parse(&parts.headers, bytes, app.config.max_body_bytes)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(_) => too_large(app),
            BodyError::UnsupportedType(_) => Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Dit soort inzending wordt niet ondersteund",
                &["Gebruik het formulier op de site."],
            ),
            BodyError::Malformed(why) => {
                tracing::warn!(why, "malformed body");
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    "Het formulier kwam beschadigd aan",
                    &["Probeer het opnieuw via het formulier op de site."],
                )
            }
        })
}

fn random_id() -> Result<String, Failure> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Failure::unavailable(&format!("random: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The form again with its errors. A document that passed its own checks
/// is kept in an incomplete draft, and the form posts back to that draft,
/// so the applicant need not choose the file again.
async fn keep_and_refuse<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    form: &cbt::FormDef,
    rejected: cbt::validate::Rejected,
) -> Failure {
    let Some(doc) = rejected.document.as_deref() else {
        return invalid_form(app, form, rejected, None);
    };
    let now = app.clock.now();
    let kept = async {
        let id = random_id()?;
        let key = format!("drafts/{id}/{}", doc.filename);
        app.files
            .put(&key, &doc.bytes, doc.kind.mime())
            .await
            .map_err(|e| Failure::unavailable(&e.to_string()))?;
        let draft = Draft {
            id: id.clone(),
            values: rejected.entered.clone(),
            document: Some(StoredDocument {
                key,
                filename: doc.filename.clone(),
                content_type: doc.kind.mime().to_string(),
                size: doc.size,
            }),
            complete: false,
            created: now,
            expires: now + Duration::hours(i64::from(app.config.draft_hours)),
        };
        app.store
            .put_draft(&draft)
            .await
            .map_err(|e| Failure::unavailable(&e.to_string()))?;
        Ok::<String, Failure>(id)
    }
    .await;
    match kept {
        Ok(id) => {
            let mut form = form.clone();
            form.action = format!("{}?concept={id}", form.action);
            let filename = doc.filename.clone();
            invalid_form(app, &form, rejected, Some(&filename))
        }
        // The form is still worth showing; the file must then be chosen again.
        Err(_) => invalid_form(app, form, rejected, None),
    }
}

fn invalid_form<S, M, F>(
    app: &App<S, M, F>,
    form: &cbt::FormDef,
    rejected: cbt::validate::Rejected,
    kept: Option<&str>,
) -> Failure {
    let mut failure = Failure::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "Er is een probleem",
        &[],
    );
    match cbt::pages::form_with_errors(
        &app.rules,
        &app.templates,
        form,
        &rejected.entered,
        &rejected.errors,
        kept,
    ) {
        Ok(page) => failure.page = Some(page),
        Err(e) => tracing::error!(error = %e, "rendering the form failed"),
    }
    failure.errors = rejected.errors;
    failure
}

async fn post_application<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    admit(app, &req).await?;
    let changing = req.uri().query().and_then(|q| query_value(q, "concept"));
    let mut posted = read_body(app, req).await?;
    let form = &app.rules.forms.application;
    // A draft being changed: its document counts as chosen unless a new one is.
    let previous = match changing {
        Some(id) => app
            .store
            .get_draft(&id, app.clock.now())
            .await
            .map_err(|e| Failure::unavailable(&e.to_string()))?,
        None => None,
    };
    let has_new_file = posted.files.iter().any(|f| !f.bytes.is_empty());
    if let (Some(draft), false) = (&previous, has_new_file) {
        if let Some(doc) = &draft.document {
            let bytes = app
                .files
                .get(&doc.key)
                .await
                .map_err(|e| Failure::unavailable(&e.to_string()))?
                .unwrap_or_default();
            posted.files.retain(|f| f.field != "balanstest");
            posted.files.push(cbt::validate::PostedFile {
                field: "balanstest".into(),
                filename: doc.filename.clone(),
                bytes,
            });
        }
    }
    let submission = match check(form, &posted) {
        Ok(Checked::Valid(s)) => s,
        Ok(Checked::Bot) => {
            tracing::info!(metric = "honeypot", "a bot filled the honeypot");
            return Ok(see_other("/aanvraag/ontvangen?concept=0"));
        }
        Err(rejected) => return Err(keep_and_refuse(app, form, rejected).await),
    };
    let now = app.clock.now();
    let id = random_id()?;
    let document = match &submission.document {
        Some(doc) => {
            let key = format!("drafts/{id}/{}", doc.filename);
            app.files
                .put(&key, &doc.bytes, doc.kind.mime())
                .await
                .map_err(|e| Failure::unavailable(&e.to_string()))?;
            Some(StoredDocument {
                key,
                filename: doc.filename.clone(),
                content_type: doc.kind.mime().to_string(),
                size: doc.size,
            })
        }
        None => None,
    };
    let draft = Draft {
        complete: true,
        id: id.clone(),
        values: submission.values.clone(),
        document,
        created: now,
        expires: now + Duration::hours(i64::from(app.config.draft_hours)),
    };
    app.store
        .put_draft(&draft)
        .await
        .map_err(|e| Failure::unavailable(&e.to_string()))?;
    let rows = cbt::summary::rows(form, &submission);
    match wants {
        Wants::Json => Ok(json_response(
            StatusCode::OK,
            &json!({ "draft": id, "expires": draft.expires, "answers": rows }),
        )),
        Wants::Html => {
            let total = fee_total(app, &submission);
            let page = cbt::pages::check_answers(&app.rules, &app.templates, &rows, &id, &total)
                .map_err(|e| Failure::unavailable(&e.to_string()))?;
            Ok(html_response(StatusCode::OK, page))
        }
    }
}

fn fee_total<S, M, F>(app: &App<S, M, F>, submission: &Submission) -> String {
    submission
        .get("soort_organisatie")
        .and_then(|k| app.rules.fees.tariff(k))
        .map(|t| t.total.to_string())
        .unwrap_or_default()
}

fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// 410, not 404: CloudFront shows the site's own 404 page for every 404 of
/// the distribution, which would hide this explanation.
fn expired() -> Failure {
    Failure::new(
        StatusCode::GONE,
        "draft_not_found",
        "Deze aanvraag is verlopen of onbekend",
        &["Een aanvraag die niet binnen 24 uur is bevestigd, wordt niet bewaard. Er is niets verstuurd en u betaalt niets.", "Vul het aanvraagformulier opnieuw in."],
    )
}

async fn change<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    query: &str,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    let id = query_value(query, "concept").ok_or_else(expired)?;
    let draft = app
        .store
        .get_draft(&id, app.clock.now())
        .await
        .map_err(|e| Failure::unavailable(&e.to_string()))?
        .ok_or_else(expired)?;
    if wants == Wants::Json {
        return Ok(json_response(
            StatusCode::OK,
            &json!({ "draft": draft.id, "values": draft.values }),
        ));
    }
    let mut form = app.rules.forms.application.clone();
    // The changed form posts back with the draft, so its document is kept.
    form.action = format!("/aanvraag?concept={id}");
    let kept = draft.document.as_ref().map(|d| d.filename.as_str());
    let page =
        cbt::pages::form_with_errors(&app.rules, &app.templates, &form, &draft.values, &[], kept)
            .map_err(|e| Failure::unavailable(&e.to_string()))?;
    Ok(html_response(StatusCode::OK, page))
}

async fn confirm<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    admit(app, &req).await?;
    let posted = read_body(app, req).await?;
    let id = posted
        .get("concept")
        .map(str::to_string)
        .ok_or_else(expired)?;
    let now = app.clock.now();
    let draft = match app
        .store
        .get_draft(&id, now)
        .await
        .map_err(|e| Failure::unavailable(&e.to_string()))?
    {
        Some(d) => d,
        // Confirmed before and since expired: still show its confirmation.
        None => match app
            .store
            .get_confirmed(&id)
            .await
            .map_err(|e| Failure::unavailable(&e.to_string()))?
        {
            Some(_) => return Ok(confirmed_response(&id, wants)),
            None => return Err(expired()),
        },
    };
    // A draft kept only for its document never passed the checks.
    if !draft.complete {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "draft_incomplete",
            "Deze aanvraag is nog niet compleet",
            &["Vul het aanvraagformulier verder in; daarna ziet u uw antwoorden en kunt u de aanvraag versturen."],
        ));
    }
    // The document moves out of `drafts/` (which the bucket's lifecycle
    // rule empties after a day or two) to where applications are kept.
    let draft = keep_document(app, draft).await?;
    let confirmed = app
        .store
        .confirm(&draft, now, &APPLICATION_MAILS)
        .await
        .map_err(|e| Failure::unavailable(&e.to_string()))?;
    if confirmed.created {
        tracing::info!(reference = %confirmed.application.reference, "application stored");
        send_pending(
            app,
            &Owner::Application(confirmed.application.reference.clone()),
        )
        .await;
    }
    Ok(confirmed_response(&id, wants))
}

fn confirmed_response(draft_id: &str, wants: Wants) -> Response<Bytes> {
    let location = format!("/aanvraag/ontvangen?concept={draft_id}");
    match wants {
        Wants::Json => {
            let mut r = json_response(StatusCode::SEE_OTHER, &json!({ "location": location }));
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Wants::Html => see_other(&location),
    }
}

async fn received<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    query: &str,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    let id = query_value(query, "concept").ok_or_else(expired)?;
    // The honeypot's answer: looks like a success, reveals nothing.
    if id == "0" {
        return Ok(html_response(
            StatusCode::OK,
            cbt::pages::message(
                &app.rules,
                &app.templates,
                "Uw aanvraag is ontvangen",
                &["U ontvangt een bevestiging per e-mail."],
            )
            .map_err(|e| Failure::unavailable(&e.to_string()))?,
        ));
    }
    let application = app
        .store
        .get_confirmed(&id)
        .await
        .map_err(|e| Failure::unavailable(&e.to_string()))?
        .ok_or_else(expired)?;
    let invoice = cbt::application::invoice(
        &app.rules,
        &submission_of(&application),
        application.invoice_number,
        application.submitted_on,
    )
    .map_err(|e| Failure::unavailable(&e.to_string()))?;
    if wants == Wants::Json {
        return Ok(json_response(
            StatusCode::OK,
            &json!({ "reference": application.reference, "invoice_number": invoice.number.to_string(), "total_cents": invoice.total.0, "payment_due": invoice.due_date }),
        ));
    }
    let get = |k: &str| {
        application
            .values
            .get(k)
            .map(String::as_str)
            .unwrap_or_default()
    };
    let c = cbt::pages::Confirmation {
        reference: &application.reference,
        invoice_number: &invoice.number.to_string(),
        invoice_email: get("factuur_email"),
        contact_email: get("contact_email"),
        payment_due: invoice.due_date.to_string(),
        total: invoice.total.to_string(),
    };
    let page = cbt::pages::confirmation(&app.rules, &app.templates, &c)
        .map_err(|e| Failure::unavailable(&e.to_string()))?;
    Ok(html_response(StatusCode::OK, page))
}

/// A stored application as the shared rules' submission (document bytes
/// are fetched separately, when a mail needs them).
pub fn submission_of(application: &Application) -> Submission {
    Submission {
        form: "aanvraag".into(),
        values: application.values.clone(),
        document: None,
    }
}

async fn post_contact<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    admit(app, &req).await?;
    let posted = read_body(app, req).await?;
    let form = &app.rules.forms.contact;
    let submission = match check(form, &posted) {
        Ok(Checked::Valid(s)) => s,
        Ok(Checked::Bot) => {
            tracing::info!(metric = "honeypot", "a bot filled the honeypot");
            return Ok(after_contact(wants));
        }
        Err(rejected) => return Err(invalid_form(app, form, rejected, None)),
    };
    let now = app.clock.now();
    let message = ContactMessage {
        id: random_id()?,
        received: now,
        values: submission.values,
        expires: now + Duration::days(i64::from(app.config.contact_retention_days)),
    };
    app.store
        .put_contact(&message, &CONTACT_MAILS)
        .await
        .map_err(|e| Failure::unavailable(&e.to_string()))?;
    send_pending(app, &Owner::Contact(message.id.clone())).await;
    Ok(after_contact(wants))
}

fn after_contact(wants: Wants) -> Response<Bytes> {
    match wants {
        Wants::Json => json_response(StatusCode::OK, &json!({ "status": "received" })),
        Wants::Html => see_other("/contact/bedankt"),
    }
}

fn thanks<S, M, F>(app: &App<S, M, F>, wants: Wants) -> Response<Bytes> {
    if wants == Wants::Json {
        return json_response(StatusCode::OK, &json!({ "status": "received" }));
    }
    match cbt::pages::message(
        &app.rules,
        &app.templates,
        "Bedankt voor uw bericht",
        &[
            "Wij hebben uw bericht ontvangen en u een bevestiging per e-mail gestuurd.",
            "Het secretariaat neemt zo snel mogelijk contact met u op.",
        ],
    ) {
        Ok(page) => html_response(StatusCode::OK, page),
        Err(_) => plain_response(StatusCode::OK, "Bedankt voor uw bericht."),
    }
}

/// Copies a draft's document to `applications/<draft id>/`, and returns the
/// draft pointing there. Keyed by the draft, so a second confirmation of the
/// same draft copies to the same place.
async fn keep_document<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    mut draft: Draft,
) -> Result<Draft, Failure> {
    if let Some(doc) = draft.document.as_mut() {
        if doc.key.starts_with("drafts/") {
            let bytes = app
                .files
                .get(&doc.key)
                .await
                .map_err(|e| Failure::unavailable(&e.to_string()))?
                .ok_or_else(|| Failure::unavailable("the draft's document is gone"))?;
            let key = format!("applications/{}/{}", draft.id, doc.filename);
            app.files
                .put(&key, &bytes, &doc.content_type)
                .await
                .map_err(|e| Failure::unavailable(&e.to_string()))?;
            doc.key = key;
        }
    }
    Ok(draft)
}

/// Renders the mails of `owner` again from what is stored; deterministic,
/// so a retry sends what the first attempt would have.
pub async fn mails_for<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    owner: &Owner,
) -> Result<Vec<Message>, String> {
    let from = Address::new(&app.config.mail_from, Some(&app.rules.site.title))
        .map_err(|e| e.to_string())?;
    match owner {
        Owner::Application(reference) => {
            let application = app
                .store
                .get_application(reference)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("application {reference} is gone"))?;
            let mut submission = submission_of(&application);
            if let Some(doc) = &application.document {
                let bytes = app
                    .files
                    .get(&doc.key)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("document {} is gone", doc.key))?;
                let kind = cbt::formats::sniff_document(&bytes)
                    .ok_or("the stored document is no longer a document")?;
                submission.document = Some(cbt::validate::Document {
                    field: "balanstest".into(),
                    filename: doc.filename.clone(),
                    kind,
                    size: bytes.len(),
                    bytes,
                });
            }
            cbt::application::follow_up(
                &app.rules,
                &app.templates,
                &submission,
                application.invoice_number,
                application.submitted_on,
                &from,
            )
            .map(|f| f.mails)
            .map_err(|e| e.to_string())
        }
        Owner::Contact(id) => {
            let message = app
                .store
                .get_contact(id, app.clock.now())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("contact message {id} is gone"))?;
            let submission = Submission {
                form: "contact".into(),
                values: message.values,
                document: None,
            };
            cbt::application::contact_mails(
                &app.rules,
                &app.templates,
                &submission,
                message.received.date_naive(),
                &from,
            )
            .map_err(|e| e.to_string())
        }
    }
}

/// Sends the pending mails of `owner`; what fails stays pending for the
/// scheduled retry. Never fails the request: the data is safe already.
pub async fn send_pending<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    owner: &Owner,
) -> usize {
    let pending = match app.store.pending_mails().await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "listing pending mails failed");
            return 0;
        }
    };
    let kinds: Vec<MailKind> = pending
        .iter()
        .filter(|p| &p.owner == owner)
        .map(|p| p.kind)
        .collect();
    send_kinds(app, owner, &kinds).await
}

/// Sends the `kinds` of mail of `owner` that are pending.
async fn send_kinds<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    owner: &Owner,
    kinds: &[MailKind],
) -> usize {
    if kinds.is_empty() {
        return 0;
    }
    let mails = match mails_for(app, owner).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "rendering mails failed; they stay pending");
            return 0;
        }
    };
    let mut sent = 0;
    'mails: for mail in mails.iter().filter(|m| kinds.contains(&m.kind)) {
        // The invoice as sent is kept (7 years, with the application): a
        // later change of fee or supplier details must not change a copy.
        // No copy, no mail: it waits for the retry.
        if mail.kind == MailKind::Invoice {
            for a in mail
                .attachments
                .iter()
                .filter(|a| a.content_type == "application/pdf")
            {
                let key = format!("invoices/{}", a.filename);
                if let Err(e) = app.files.put(&key, &a.bytes, &a.content_type).await {
                    tracing::warn!(error = %e, "keeping the invoice PDF failed; the mail waits for the retry");
                    continue 'mails;
                }
            }
        }
        match app.mailer.send(mail).await {
            Ok(message_id) => match app.store.mail_sent(owner, mail.kind, &message_id).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    tracing::error!(error = %e, kind = ?mail.kind, "sent, but not marked; the retry may send it again")
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, kind = ?mail.kind, "sending failed; stays pending")
            }
        }
    }
    sent
}

/// The scheduled retry: every pending mail, once more. Idempotent: a mail
/// that went out is no longer pending.
pub async fn retry_pending<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
) -> Result<RetryReport, String> {
    let pending = app.store.pending_mails().await.map_err(|e| e.to_string())?;
    // One listing for the whole run, grouped by owner: each owner's mails
    // are rendered once.
    let mut by_owner: std::collections::BTreeMap<&Owner, Vec<MailKind>> =
        std::collections::BTreeMap::new();
    for p in &pending {
        by_owner.entry(&p.owner).or_default().push(p.kind);
    }
    let oldest = pending.iter().map(|p| p.since).min();
    let mut sent = 0;
    for (owner, kinds) in &by_owner {
        sent += send_kinds(app, owner, kinds).await;
    }
    let left = app.store.pending_mails().await.map_err(|e| e.to_string())?;
    let age = left
        .iter()
        .map(|p| p.since)
        .min()
        .map_or(0, |t| (app.clock.now() - t).num_seconds().max(0));
    Ok(RetryReport {
        pending_before: pending.len(),
        sent,
        pending_after: left.len(),
        oldest_pending: oldest,
        oldest_pending_age_seconds: age,
    })
}

/// What a retry run did; logged, and the alarm reads `oldest_pending`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetryReport {
    pub pending_before: usize,
    pub sent: usize,
    pub pending_after: usize,
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Seconds the oldest pending mail has waited (0 when none): a number,
    /// for the alarm's metric filter.
    pub oldest_pending_age_seconds: i64,
}
