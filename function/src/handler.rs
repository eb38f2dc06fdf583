//! The function's core: [`handle`], a plain async function from an HTTP
//! request to an HTTP response over the ports, and [`App`], what it works
//! with. Lambda ([`crate::event`]) and `cbt-site serve` both call it.
//!
//! The routes are in [`crate::routes`]; the checks before a post is read
//! in [`crate::admission`]; the application's drafts and filing in
//! [`crate::drafts`]; the contact form in [`crate::contact`]; mail and its
//! retry in [`crate::outbox`]; pages, JSON and failures in
//! [`crate::responses`]. A failure is logged once, here, as it leaves.

use std::sync::Arc;

use bytes::Bytes;
use cbt::templates::Templates;
use cbt::Rules;
use chrono::{DateTime, Utc};
use http::{Method, Request, Response};

use crate::admission::{admit_origin, admit_page};
pub use crate::admission::{source_ip, SOURCE_IP_HEADER};
use crate::config::Config;
pub use crate::outbox::{
    retry_pending, send_pending, RetryReport, APPLICATION_MAILS, CONTACT_MAILS,
};
use crate::ports::{Files, Mailer, Store};
use crate::responses::{moved, Failure, Fault, Wants};
use crate::routes::{route, Route};
use crate::{addresses, applicant, contact, drafts, workspace};

/// Where the time comes from: the system, or a fixed moment in tests.
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system's clock (which `faketime` can move).
    System,
    /// Always this moment.
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// The moment now.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }
}

/// Everything the handler works with, built once per cold start.
pub struct App<S, M, F> {
    /// The shared rules (fees, periods, forms, ...).
    pub rules: Arc<Rules>,
    /// The pages' and mails' templates.
    pub templates: Arc<Templates>,
    /// The deployment's settings.
    pub config: Config,
    /// Where drafts, filings and messages are kept.
    pub store: S,
    /// What sends mail.
    pub mailer: M,
    /// Where documents are kept.
    pub files: F,
    /// Where the time comes from.
    pub clock: Clock,
}

/// A new random id: 128 bits as hex, the only key to what it names.
pub(crate) fn random_id() -> Result<String, Failure> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Failure::unavailable(Fault::Random(e.to_string())))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Handles one request. Never panics on input; every failure is a proper
/// page (or JSON, by `Accept`).
pub async fn handle<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
) -> Response<Bytes> {
    let wants = Wants::from_headers(req.headers());
    let accepts = crate::compression::accepts_gzip(req.headers());
    let query = req.uri().query().unwrap_or("").to_string();
    // HEAD is answered as GET is, without the body.
    let head = req.method() == Method::HEAD;
    let mut req = req;
    if head {
        *req.method_mut() = Method::GET;
    }
    let routed = route(req.method(), req.uri().path());
    // Pages pass the same door as posts: the origin secret and a limit.
    let admitted = match (&routed, req.method()) {
        // The workspace counts no pages: staff read many. Its own door
        // checks the origin and the session.
        (Ok(Route::Workspace(_)), &Method::GET) => admit_origin(app, &req),
        (Ok(_), &Method::GET) => admit_page(app, &req).await,
        _ => Ok(()),
    };
    let result = match admitted.and(routed) {
        Ok(Route::PostApplication) => drafts::post(app, req, wants).await,
        Ok(Route::Confirm) => drafts::confirm(app, req, wants).await,
        Ok(Route::Check) => drafts::check_page(app, &query).await,
        Ok(Route::Change) => drafts::change(app, &query, wants).await,
        Ok(Route::Received) => drafts::received(app, &query, wants).await,
        Ok(Route::PostContact) => contact::post(app, req, wants).await,
        Ok(Route::Thanks) => Ok(contact::thanks(app, &query, wants)),
        Ok(Route::FormPage(page)) => Ok(moved(page)),
        Ok(Route::ResendForm) => applicant::resend_form(app, &query),
        Ok(Route::Resend) => applicant::resend(app, req).await,
        Ok(Route::Case { secret, page }) => applicant::handle(app, req, &secret, page).await,
        // Boxed: the workspace's futures are large, and the handler's own
        // future must stay small on a thread's stack.
        Ok(Route::Workspace(page)) => Box::pin(workspace::handle(app, req, page)).await,
        Ok(Route::AddressPage { secret }) => addresses::page(app, &secret).await,
        Ok(Route::ConfirmAddress { secret }) => addresses::confirm(app, req, &secret).await,
        Err(failure) => Err(failure),
    };
    let response = result.unwrap_or_else(|failure| {
        failure.log();
        failure.respond(app, wants)
    });
    let mut response = crate::compression::gzip(accepts, response);
    if head {
        *response.body_mut() = Bytes::new();
    }
    response
}
