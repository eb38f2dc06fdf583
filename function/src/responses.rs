//! Answers: Dutch pages, or JSON for clients that ask for it, and the
//! [`Failure`] every route returns when it cannot go on.

use bytes::Bytes;
use cbt::validate::FieldError;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::json;

use crate::handler::App;

/// What the client wants back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    /// A page.
    Html,
    /// JSON (`Accept: application/json` without `text/html`).
    Json,
}

impl Wants {
    /// From the request's `Accept` header.
    pub fn from_headers(headers: &HeaderMap) -> Wants {
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
}

/// What went wrong on our side: kept with the failure and logged once,
/// where the answer leaves ([`crate::handle`]). Never shown to visitors.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::ports::StoreError),
    /// The file store failed.
    #[error(transparent)]
    Files(#[from] crate::ports::FilesError),
    /// A page could not be rendered.
    #[error("pagina: {0}")]
    Page(#[from] cbt::templates::TemplateError),
    /// A checked post did not make an application: the form and the code
    /// disagree.
    #[error("formulier en code verschillen: {0}")]
    Answers(#[from] cbt::application::AnswerError),
    /// An invoice could not be made.
    #[error(transparent)]
    Invoice(#[from] cbt::invoice::InvoiceError),
    /// No random bytes for an id.
    #[error("geen toevalsgetal: {0}")]
    Random(String),
    /// A document a draft points at is gone.
    #[error("het document {0} van een concept is weg")]
    DocumentGone(String),
    /// A draft whose addresses confirmed cannot be filed: it is not
    /// complete, or its tariff is not in the fees.
    #[error("het concept {0} is bevestigd maar kan niet worden ingediend")]
    DraftIncomplete(String),
    /// A workspace mail could not be made or sent.
    #[error("e-mail: {0}")]
    Mail(String),
    /// A case could not be changed.
    #[error("aanvraag: {0}")]
    Case(#[from] crate::cases::ActError),
}

/// An answer that is not the happy path.
#[derive(Debug)]
pub struct Failure {
    pub(crate) status: StatusCode,
    /// For programs: a stable code.
    pub(crate) code: &'static str,
    /// For people: the page's heading.
    pub(crate) title: &'static str,
    pub(crate) paragraphs: Vec<String>,
    /// A full page already rendered (the form with its errors).
    pub(crate) page: Option<String>,
    pub(crate) errors: Vec<FieldError>,
    /// Why, when the cause is ours.
    pub(crate) cause: Option<Fault>,
}

impl Failure {
    pub(crate) fn new(
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
            cause: None,
        }
    }

    /// 503: a part of ours failed; nothing the visitor sent was kept.
    pub(crate) fn unavailable(cause: impl Into<Fault>) -> Failure {
        Failure {
            cause: Some(cause.into()),
            ..Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Er ging iets mis aan onze kant",
                &[
                    "Uw gegevens zijn niet verstuurd. Probeer het over enkele minuten opnieuw.",
                    "Lukt het dan nog niet, mail dan naar het secretariaat.",
                ],
            )
        }
    }

    /// The same failure, with a cause that did not change the answer but
    /// must be known (a kept upload that could not be kept).
    pub(crate) fn with_cause(mut self, cause: impl Into<Fault>) -> Failure {
        self.cause = Some(cause.into());
        self
    }

    /// Logs the cause, if any: the one place a failure is logged.
    pub(crate) fn log(&self) {
        if let Some(cause) = &self.cause {
            if self.status.is_server_error() {
                tracing::error!(error = %cause, status = self.status.as_u16(), code = self.code, "request failed");
            } else {
                tracing::warn!(error = %cause, status = self.status.as_u16(), code = self.code, "request answered with less than it should");
            }
        }
    }

    /// The failure as a page (or JSON).
    pub(crate) fn respond<S, M, F>(self, app: &App<S, M, F>, wants: Wants) -> Response<Bytes> {
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

/// 422: the form again, with what was entered, the errors, and the name
/// of a document kept from the post.
pub(crate) fn reject<S, M, F>(
    app: &App<S, M, F>,
    form: &cbt::FormDef,
    rejected: &cbt::validate::Rejected,
    kept: &cbt::pages::Kept,
) -> Failure {
    let mut failure = Failure::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "Niet alle gegevens zijn goed ingevuld",
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
        Err(e) => failure = failure.with_cause(e),
    }
    failure.errors.clone_from(&rejected.errors);
    failure
}

fn base_headers(builder: http::response::Builder) -> http::response::Builder {
    builder
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "same-origin")
}

fn with_body(builder: http::response::Builder, body: Bytes) -> Response<Bytes> {
    // Every header above is a valid constant: building cannot fail.
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}

/// A page.
pub(crate) fn html_response(status: StatusCode, html: String) -> Response<Bytes> {
    with_body(
        base_headers(Response::builder().status(status))
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8"),
        Bytes::from(html),
    )
}

/// JSON.
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Bytes> {
    with_body(
        base_headers(Response::builder().status(status))
            .header(header::CONTENT_TYPE, "application/json"),
        Bytes::from(value.to_string()),
    )
}

/// Plain text, when even the error page cannot be rendered.
pub(crate) fn plain_response(status: StatusCode, text: &str) -> Response<Bytes> {
    with_body(
        base_headers(Response::builder().status(status))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        Bytes::from(text.to_string()),
    )
}

/// 301 to a page of the site.
pub(crate) fn moved(location: &'static str) -> Response<Bytes> {
    let mut r = see_other(location);
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    r
}

/// 303 to `location`, after a post.
pub(crate) fn see_other(location: &str) -> Response<Bytes> {
    let mut r = with_body(
        base_headers(Response::builder().status(StatusCode::SEE_OTHER)),
        Bytes::new(),
    );
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}
