//! The contact form: check, store (for the retention period), mail.

use bytes::Bytes;
use cbt::contact::Enquiry;
use cbt::validate::{check, Checked};
use chrono::Duration;
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::admission::{admit, read_body};
use crate::handler::{random_id, App};
use crate::outbox::{send_pending, CONTACT_MAILS};
use crate::ports::{ContactMessage, Files, Mailer, Owner, Store};
use crate::responses::{
    html_response, json_response, plain_response, reject, see_other, Failure, Wants,
};

/// `POST /contact`.
pub(crate) async fn post<S: Store, M: Mailer, F: Files>(
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
            return Ok(after(wants));
        }
        Err(rejected) => return Err(reject(app, form, &rejected, &cbt::pages::Kept::new())),
    };
    let enquiry = Enquiry::from_submission(&submission).map_err(Failure::unavailable)?;
    let now = app.clock.now();
    let message = ContactMessage {
        id: random_id()?,
        received: now,
        enquiry,
        expires: now + Duration::days(i64::from(app.rules.retention.contact_messages_days)),
    };
    app.store
        .put_contact(&message, &CONTACT_MAILS)
        .await
        .map_err(Failure::unavailable)?;
    send_pending(app, &Owner::Contact(message.id)).await;
    Ok(after(wants))
}

fn after(wants: Wants) -> Response<Bytes> {
    match wants {
        Wants::Json => json_response(StatusCode::OK, &json!({ "status": "received" })),
        Wants::Html => see_other("/contact/bedankt"),
    }
}

/// `GET /contact/bedankt`.
pub(crate) fn thanks<S, M, F>(app: &App<S, M, F>, wants: Wants) -> Response<Bytes> {
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
        Err(e) => {
            tracing::error!(error = %e, "rendering the thank-you page failed");
            plain_response(StatusCode::OK, "Bedankt voor uw bericht.")
        }
    }
}
