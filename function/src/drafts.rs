//! The application, from the post to the confirmation: a checked post
//! becomes a draft (24 hours) that the applicant reads back; confirming it
//! files it ([`ToFile`]: numbered, stored and mailed in one step); the
//! confirmation page reads the filing.
//!
//! Uploads are kept under `drafts/<draft id>/` (the bucket's lifecycle rule
//! empties it after a day or two) and move to `applications/<draft id>/`
//! when the draft is filed.

use bytes::Bytes;
use cbt::application::Application;
use cbt::case::CaseDocument;
use cbt::pages::{kept_by_field, Kept};
use cbt::validate::{check, Checked, Document, PostedFile, Rejected};
use cbt::FormDef;
use chrono::Duration;
use http::{header, HeaderValue, Request, Response, StatusCode};
use serde_json::json;

use crate::admission::{admit, read_body};
use crate::cases::{is_token, mint_link, token_hash};
use crate::handler::{random_id, App};
use crate::outbox::{send_pending, APPLICATION_MAILS};
use crate::ports::{Draft, DraftContent, Files, Mailer, Owner, Store, ToFile};
use crate::responses::{html_response, json_response, reject, see_other, Failure, Fault, Wants};

/// The query parameter and form field that carry a draft's id.
const DRAFT: &str = "concept";
/// The query parameter that carries a personal link's secret to the
/// confirmation page.
const KEY: &str = "sleutel";
/// The check page's form field with the draft version it shows.
const VERSION: &str = "versie";
/// The check page's query parameter: the answers changed in another tab.
const CHANGED: &str = "gewijzigd";

pub(crate) fn query_value(query: &str, name: &str) -> Option<String> {
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

/// Keeps `content` and the uploaded `documents` as a draft: a new one, or
/// the next version of `previous` when the applicant changes it. One
/// draft per application however often it is changed, so only one can
/// ever be filed. Each file's key starts with its place in the list, so
/// two uploads of the same name stay two files. The one place drafts are
/// made.
async fn keep_draft<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    previous: Option<&Draft>,
    content: DraftContent,
    uploads: &[Document],
) -> Result<Draft, Failure> {
    let id = match previous {
        Some(d) => d.id.clone(),
        None => random_id()?,
    };
    let mut documents = Vec::with_capacity(uploads.len());
    for (i, doc) in uploads.iter().enumerate() {
        let key = format!("drafts/{id}/{}-{}", i + 1, doc.filename);
        app.files
            .put(&key, &doc.bytes, doc.kind.mime())
            .await
            .map_err(Failure::unavailable)?;
        documents.push(CaseDocument {
            field: doc.field.clone(),
            key,
            filename: doc.filename.clone(),
            shown_name: Some(doc.shown_name.clone()),
            kind: doc.kind,
            size: doc.size,
        });
    }
    let now = app.clock.now();
    let draft = Draft {
        id,
        content,
        documents,
        version: previous.map_or(1, |d| d.version + 1),
        created: previous.map_or(now, |d| d.created),
        // A change gives the applicant the whole time again.
        expires: now + Duration::hours(i64::from(app.rules.retention.drafts_hours)),
    };
    app.store
        .put_draft(&draft)
        .await
        .map_err(Failure::unavailable)?;
    Ok(draft)
}

/// Where the check page of draft `id` is: the answer to the form's post
/// (post, redirect, get), so reloading it, Back and Forward post nothing.
fn check_location(id: &str) -> String {
    format!("/aanvraag/controle?{DRAFT}={id}")
}

/// `POST /aanvraag` (and `?concept=ID` when changing a draft).
pub(crate) async fn post<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    admit(app, &req).await?;
    let changing = req.uri().query().and_then(|q| query_value(q, DRAFT));
    let mut posted = read_body(app, req).await?;
    let form = &app.rules.forms.application;
    // A draft being changed: its document counts as chosen unless a new one is.
    let previous = match changing {
        Some(id) => app
            .store
            .get_draft(&id, app.clock.now())
            .await
            .map_err(Failure::unavailable)?,
        None => None,
    };
    // Sent already (from another tab): a change now would change nothing
    // that is filed. The confirmation says where changes go from here.
    if let Some(d) = &previous {
        if app
            .store
            .get_confirmed(&d.id)
            .await
            .map_err(Failure::unavailable)?
            .is_some()
        {
            return Ok(see_other(&format!("/aanvraag/ontvangen?{DRAFT}={}", d.id)));
        }
    }
    // Each file field whose files are not chosen again keeps the draft's.
    let chosen_again: Vec<String> = posted
        .files
        .iter()
        .filter(|f| !f.bytes.is_empty())
        .map(|f| f.field.clone())
        .collect();
    for doc in previous.iter().flat_map(|d| d.documents.iter()) {
        let field = if doc.field.is_empty() {
            cbt::needs::application::DOCUMENT
        } else {
            doc.field.as_str()
        };
        if chosen_again.iter().any(|f| f == field) {
            continue;
        }
        // Gone (the draft outlived its upload): the form then asks for
        // the file again, as for any missing document.
        let bytes = app
            .files
            .get(&doc.key)
            .await
            .map_err(Failure::unavailable)?
            .unwrap_or_default();
        posted
            .files
            .retain(|f| !(f.field == field && f.bytes.is_empty()));
        // Under the applicant's own name, so the page keeps showing it;
        // its safe name comes out the same.
        posted.files.push(PostedFile {
            field: field.to_string(),
            filename: doc.shown_name().to_string(),
            bytes,
        });
    }
    let submission = match check(form, &posted) {
        Ok(Checked::Valid(s)) => s,
        Ok(Checked::Bot) => {
            tracing::info!(metric = "honeypot", "a bot filled the honeypot");
            return Ok(see_other("/aanvraag/ontvangen?concept=0"));
        }
        Err(rejected) => return Err(keep_and_refuse(app, form, previous.as_ref(), rejected).await),
    };
    let application =
        Application::from_submission(&submission, &app.rules.fees).map_err(Failure::unavailable)?;
    // A tariff the rules do not know cannot be invoiced: refused before a
    // draft is kept.
    due_for(app, &application)?;
    let draft = keep_draft(
        app,
        previous.as_ref(),
        DraftContent::Complete {
            application: Box::new(application),
        },
        &submission.documents,
    )
    .await?;
    match wants {
        Wants::Json => {
            let uploads: Vec<cbt::summary::Upload<'_>> = draft
                .documents
                .iter()
                .map(cbt::summary::Upload::from)
                .collect();
            let rows = cbt::summary::rows(form, draft.answers(), &uploads);
            Ok(json_response(
                StatusCode::OK,
                &json!({ "draft": draft.id, "version": draft.version, "expires": draft.expires, "answers": rows }),
            ))
        }
        Wants::Html => Ok(see_other(&check_location(&draft.id))),
    }
}

/// What `application` will pay, its VAT by where the customer is.
fn due_for<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    application: &Application,
) -> Result<cbt::invoice::Due, Failure> {
    cbt::invoice::due(&app.rules, application).ok_or_else(|| {
        Failure::unavailable(cbt::application::AnswerError::Invalid {
            field: cbt::needs::application::TARIFF,
            value: application.organisation.tariff.clone(),
        })
    })
}

/// `GET /aanvraag/controle?concept=ID`: the answers to read back, as long
/// as the draft lives; once it is sent, the confirmation.
pub(crate) async fn check_page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    query: &str,
) -> Result<Response<Bytes>, Failure> {
    let id = query_value(query, DRAFT).ok_or_else(expired)?;
    if app
        .store
        .get_confirmed(&id)
        .await
        .map_err(Failure::unavailable)?
        .is_some()
    {
        return Ok(see_other(&format!("/aanvraag/ontvangen?{DRAFT}={id}")));
    }
    let draft = app
        .store
        .get_draft(&id, app.clock.now())
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(expired)?;
    let DraftContent::Complete { application } = &draft.content else {
        // Not complete yet: the form, with what was entered.
        return Ok(see_other(&format!("/aanvraag/wijzigen?{DRAFT}={id}")));
    };
    let form = &app.rules.forms.application;
    let uploads: Vec<cbt::summary::Upload<'_>> = draft
        .documents
        .iter()
        .map(cbt::summary::Upload::from)
        .collect();
    let rows = cbt::summary::rows(form, draft.answers(), &uploads);
    let due = due_for(app, application)?;
    let page = cbt::pages::check_answers(
        &app.rules,
        &app.templates,
        &cbt::pages::CheckPage {
            rows: &rows,
            draft_id: &draft.id,
            version: draft.version,
            due: &due,
            changed_meanwhile: query_value(query, CHANGED).is_some(),
        },
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}

/// The form again with its errors. A document that passed its own checks
/// is kept in an incomplete draft, and the form posts back to that draft,
/// so the applicant need not choose the file again.
async fn keep_and_refuse<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    form: &FormDef,
    previous: Option<&Draft>,
    rejected: Rejected,
) -> Failure {
    if rejected.documents.is_empty() {
        return reject(app, form, &rejected, &Kept::new());
    }
    let content = DraftContent::Incomplete {
        entered: rejected.entered.clone(),
    };
    match keep_draft(app, previous, content, &rejected.documents).await {
        Ok(draft) => {
            let mut form = form.clone();
            form.action = format!("{}?{DRAFT}={}", form.action, draft.id);
            reject(app, &form, &rejected, &kept_by_field(&draft.documents))
        }
        // The form is still worth showing; the file must then be chosen
        // again. The failure to keep it is logged with the answer.
        Err(failure) => {
            let form = reject(app, form, &rejected, &Kept::new());
            match failure.cause {
                Some(cause) => form.with_cause(cause),
                None => form,
            }
        }
    }
}

/// `GET /aanvraag/wijzigen?concept=ID`: the form with the draft's answers.
pub(crate) async fn change<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    query: &str,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    let id = query_value(query, DRAFT).ok_or_else(expired)?;
    let draft = app
        .store
        .get_draft(&id, app.clock.now())
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(expired)?;
    if wants == Wants::Json {
        return Ok(json_response(
            StatusCode::OK,
            &json!({ "draft": draft.id, "values": draft.answers() }),
        ));
    }
    let mut form = app.rules.forms.application.clone();
    // The changed form posts back with the draft, so its document is kept.
    form.action = format!("/aanvraag?{DRAFT}={id}");
    let kept = kept_by_field(&draft.documents);
    let page = cbt::pages::form_with_errors(
        &app.rules,
        &app.templates,
        &form,
        draft.answers(),
        &[],
        &kept,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}

/// `POST /aanvraag/bevestig`: files the draft and sends its mails; twice
/// is harmless (the second finds the first filing).
pub(crate) async fn confirm<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    admit(app, &req).await?;
    let posted = read_body(app, req).await?;
    let id = posted.get(DRAFT).map(str::to_string).ok_or_else(expired)?;
    let now = app.clock.now();
    let Some(draft) = app
        .store
        .get_draft(&id, now)
        .await
        .map_err(Failure::unavailable)?
    else {
        // Confirmed before and since expired: still show its confirmation.
        return match app
            .store
            .get_confirmed(&id)
            .await
            .map_err(Failure::unavailable)?
        {
            Some(case) => {
                let link = mint_link(app, &case.reference)
                    .await
                    .map_err(Failure::unavailable)?;
                Ok(confirmed_response(&id, link_secret(&link), wants))
            }
            None => Err(expired()),
        };
    };
    // Confirmed on a page that shows an older version (another tab
    // changed the answers since): read them back first. Filed before:
    // the store answers with that filing below.
    let shown = posted.get(VERSION).and_then(|v| v.parse::<u32>().ok());
    if shown.is_some_and(|v| v != draft.version)
        && app
            .store
            .get_confirmed(&id)
            .await
            .map_err(Failure::unavailable)?
            .is_none()
    {
        return Ok(see_other(&format!("{}&{CHANGED}=1", check_location(&id))));
    }
    let draft = keep_document(app, draft).await?;
    // What the invoice asks, its VAT by where the customer is.
    let invoiced = match &draft.content {
        DraftContent::Complete { application } => {
            cbt::invoice::due(&app.rules, application).map(|d| d.total)
        }
        DraftContent::Incomplete { .. } => None,
    };
    let to_file = invoiced.and_then(|invoiced| {
        ToFile::new(
            &draft,
            now,
            invoiced,
            app.rules.periods.payment_term_days,
            &APPLICATION_MAILS,
        )
    });
    let Some(to_file) = to_file else {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "draft_incomplete",
            "Deze aanvraag is nog niet compleet",
            &["Vul het aanvraagformulier verder in; daarna ziet u uw antwoorden en kunt u de aanvraag versturen."],
        ));
    };
    let confirmed = app
        .store
        .confirm(&to_file)
        .await
        .map_err(Failure::unavailable)?;
    let reference = confirmed.case.reference;
    if confirmed.created {
        tracing::info!(reference = %reference, "application filed");
        send_pending(app, &Owner::Application(reference.clone())).await;
    }
    // The confirmation page shows a personal link of its own; the mail
    // carries another. A second confirmation gets a new one too.
    let link = mint_link(app, &reference)
        .await
        .map_err(Failure::unavailable)?;
    Ok(confirmed_response(&id, link_secret(&link), wants))
}

/// The secret at the end of a personal link.
fn link_secret(link: &str) -> &str {
    link.rsplit('/').next().unwrap_or_default()
}

fn confirmed_response(draft_id: &str, secret: &str, wants: Wants) -> Response<Bytes> {
    let location = format!("/aanvraag/ontvangen?{DRAFT}={draft_id}&{KEY}={secret}");
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

/// Copies a complete draft's documents from `drafts/` to
/// `applications/<draft id>/`, where filed applications keep them, and
/// returns the draft pointing there. Keyed by the draft, so a second
/// confirmation copies to the same place.
async fn keep_document<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    mut draft: Draft,
) -> Result<Draft, Failure> {
    if !matches!(draft.content, DraftContent::Complete { .. }) {
        return Ok(draft);
    }
    for doc in &mut draft.documents {
        if let Some(rest) = doc.key.strip_prefix("drafts/") {
            let rest = rest.to_string();
            let bytes = app
                .files
                .get(&doc.key)
                .await
                .map_err(Failure::unavailable)?
                .ok_or_else(|| Failure::unavailable(Fault::DocumentGone(doc.key.clone())))?;
            // `rest` is `<draft id>/<n>-<name>`, or `<draft id>/<name>`
            // for a draft kept before drafts took several documents.
            let key = format!("applications/{rest}");
            app.files
                .put(&key, &bytes, doc.kind.mime())
                .await
                .map_err(Failure::unavailable)?;
            doc.key = key;
        }
    }
    Ok(draft)
}

/// `GET /aanvraag/ontvangen?concept=ID`: the confirmation.
pub(crate) async fn received<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    query: &str,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    let id = query_value(query, DRAFT).ok_or_else(expired)?;
    // The honeypot's answer: looks like a success, reveals nothing.
    if id == "0" {
        let page = cbt::pages::message(
            &app.rules,
            &app.templates,
            "Uw aanvraag is ontvangen",
            &["U ontvangt een bevestiging per e-mail."],
        )
        .map_err(Failure::unavailable)?;
        return Ok(html_response(StatusCode::OK, page));
    }
    let case = app
        .store
        .get_confirmed(&id)
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(expired)?;
    let payment_due = case
        .submitted_on
        .checked_add_days(chrono::Days::new(u64::from(
            app.rules.periods.payment_term_days,
        )))
        .unwrap_or(case.submitted_on);
    if wants == Wants::Json {
        return Ok(json_response(
            StatusCode::OK,
            &json!({ "reference": case.reference, "invoice_number": case.invoice_number.to_string(), "total_cents": case.invoiced.0, "payment_due": payment_due }),
        ));
    }
    // The link is shown only when its secret opens this very case: a
    // crafted address cannot make the page show another link.
    let secret = query_value(query, KEY).filter(|s| is_token(s));
    let link = match secret {
        Some(secret) => match app
            .store
            .token_case(&token_hash(&secret))
            .await
            .map_err(Failure::unavailable)?
        {
            Some(reference) if reference == case.reference => {
                Some(format!("{}/mijn-aanvraag/{secret}", app.config.site_url))
            }
            _ => None,
        },
        None => None,
    };
    let c = cbt::pages::Confirmation {
        reference: &case.reference,
        invoice_number: &case.invoice_number.to_string(),
        invoice_email: case.application.invoice.email.as_str(),
        contact_email: case.application.contact.email.as_str(),
        payment_due: payment_due.to_string(),
        total: case.invoiced.to_string(),
        link: link.as_deref(),
    };
    let page =
        cbt::pages::confirmation(&app.rules, &app.templates, &c).map_err(Failure::unavailable)?;
    let mut response = html_response(StatusCode::OK, page);
    // The address holds a personal link's secret: it must not travel on.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(crate::applicant::SECRET_REFERRER_POLICY),
    );
    Ok(response)
}
