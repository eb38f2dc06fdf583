//! The contact form: check, store (for the retention period), mail.

use bytes::Bytes;
use cbt::contact::Enquiry;
use cbt::mail::MailKind;
use cbt::validate::{check, Checked};
use chrono::Duration;
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::admission::admit;
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
    let posted = admit(app, req).await?;
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
    // The secretariat always gets the message; the address typed into the
    // form gets its acknowledgement only within the day's limit of mails
    // to one address, whoever posts.
    let acknowledged = crate::limits::may_mail(app, enquiry.email.as_str()).await?;
    let message = ContactMessage {
        id: random_id()?,
        received: now,
        enquiry,
        expires: now + Duration::days(i64::from(app.rules.retention.contact_messages_days)),
        acknowledged,
    };
    let mails: &[MailKind] = if acknowledged {
        &CONTACT_MAILS
    } else {
        &[MailKind::ContactSecretariat]
    };
    app.store
        .put_contact(&message, mails)
        .await
        .map_err(Failure::unavailable)?;
    send_pending(app, &Owner::Contact(message.id)).await;
    Ok(if acknowledged {
        after(wants)
    } else {
        unacknowledged(wants)
    })
}

fn after(wants: Wants) -> Response<Bytes> {
    match wants {
        Wants::Json => json_response(StatusCode::OK, &json!({ "status": "received" })),
        Wants::Html => see_other("/contact/bedankt"),
    }
}

/// Received, but the address had its mails for today: the thank-you page
/// says that no acknowledgement comes, rather than promise one.
fn unacknowledged(wants: Wants) -> Response<Bytes> {
    match wants {
        Wants::Json => json_response(
            StatusCode::OK,
            &json!({ "status": "received", "acknowledged": false }),
        ),
        Wants::Html => see_other(&format!("/contact/bedankt?{NO_ACKNOWLEDGEMENT}")),
    }
}

/// The query of the thank-you page when no acknowledgement was sent.
const NO_ACKNOWLEDGEMENT: &str = "bevestiging=nee";

/// `GET /contact/bedankt`.
pub(crate) fn thanks<S, M, F>(app: &App<S, M, F>, query: &str, wants: Wants) -> Response<Bytes> {
    if wants == Wants::Json {
        return json_response(StatusCode::OK, &json!({ "status": "received" }));
    }
    let first = if query == NO_ACKNOWLEDGEMENT {
        "Wij hebben uw bericht ontvangen. Een bevestiging per e-mail sturen wij niet: naar uw e-mailadres zijn vandaag al zoveel e-mails van deze website gestuurd als wij per dag naar één adres sturen."
    } else {
        "Wij hebben uw bericht ontvangen en u een bevestiging per e-mail gestuurd."
    };
    match cbt::pages::message(
        &app.rules,
        &app.templates,
        "Bedankt voor uw bericht",
        &[
            first,
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
