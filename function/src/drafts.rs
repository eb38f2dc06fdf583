//! The application, from the post to the filing: a checked post becomes a
//! draft (24 hours) that the applicant reads back; sending it starts the
//! address check ([`crate::addresses`]: a mail with a link to each address
//! the application mails to); once every address confirmed, [`file`] files
//! it ([`ToFile`]: numbered, stored and mailed in one step). The page after
//! sending shows the check until it is done, then the filing.
//!
//! Uploads are kept under `drafts/<draft id>/` (the bucket's lifecycle rule
//! empties it after a day or two), move to `unconfirmed/<draft id>/` when
//! the draft is sent (kept as long as an unconfirmed application, by a rule
//! of its own), and to `applications/<draft id>/` when it is filed.

use bytes::Bytes;
use cbt::application::Application;
use cbt::case::CaseDocument;
use cbt::pages::{kept_by_field, Kept};
use cbt::validate::{check, Checked, Document, PostedFile, Rejected};
use cbt::FormDef;
use chrono::Duration;
use http::{header, HeaderValue, Request, Response, StatusCode};
use serde_json::json;

use crate::admission::admit;
use crate::cases::{is_token, token_hash};
use crate::handler::{random_id, App};
use crate::outbox::{send_pending, APPLICATION_MAILS};
use crate::ports::{pending, Draft, DraftContent, Files, Mailer, Owner, Store, ToFile};
use crate::responses::{html_response, json_response, reject, see_other, Failure, Fault, Wants};
use cbt::address_check::AddressCheck;

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

/// Whether `id` has the shape of a draft's id ([`random_id`]: 32 hex
/// digits); nothing else is looked up.
fn is_draft_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// A draft id as given: none is an expired draft (410), one of another
/// shape a page that does not exist (404), and neither reaches the store
/// or the log.
fn draft_id(given: Option<&str>) -> Result<String, Failure> {
    match given {
        None => Err(expired()),
        Some(id) if is_draft_id(id) => Ok(id.to_string()),
        Some(_) => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Pagina niet gevonden",
            &["Deze pagina bestaat niet (meer)."],
        )),
    }
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
        check: None,
        confirmed: Vec::new(),
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
    let changing = req.uri().query().and_then(|q| query_value(q, DRAFT));
    let mut posted = admit(app, req).await?;
    let form = &app.rules.forms.application;
    // A draft being changed: its document counts as chosen unless a new one is.
    let previous = match changing {
        Some(id) => app
            .store
            .get_draft(&draft_id(Some(&id))?, app.clock.now())
            .await
            .map_err(Failure::unavailable)?,
        None => None,
    };
    // Sent already (from another tab): a change now would change nothing
    // that is sent or filed. The page after sending says where changes go
    // from here.
    if let Some(d) = &previous {
        if d.check.is_some()
            || app
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
    let id = draft_id(query_value(query, DRAFT).as_deref())?;
    let received = see_other(&format!("/aanvraag/ontvangen?{DRAFT}={id}"));
    if app
        .store
        .get_confirmed(&id)
        .await
        .map_err(Failure::unavailable)?
        .is_some()
    {
        return Ok(received);
    }
    let draft = app
        .store
        .get_draft(&id, app.clock.now())
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(expired)?;
    if draft.check.is_some() {
        // Sent for its address check: the page that shows it.
        return Ok(received);
    }
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
            two_addresses: cbt::address_check::roles(application).len() > 1,
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
    let id = draft_id(query_value(query, DRAFT).as_deref())?;
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

/// `POST /aanvraag/bevestig`: the applicant sends the application. It
/// starts the address check: the draft is kept as sent, and each address
/// it mails to gets a mail with a link that confirms it. Nothing is
/// numbered or invoiced yet. Sent again ("Stuur de e-mail opnieuw"), the
/// addresses still to confirm get a new mail, within the daily limit of
/// mails to an address. Twice at once sends once.
pub(crate) async fn confirm<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    let posted = admit(app, req).await?;
    let id = draft_id(posted.get(DRAFT))?;
    let now = app.clock.now();
    let after = sent_response(&id, false, wants);
    // Filed before: the page says so.
    if app
        .store
        .get_confirmed(&id)
        .await
        .map_err(Failure::unavailable)?
        .is_some()
    {
        return Ok(after);
    }
    let draft = app
        .store
        .get_draft(&id, now)
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(expired)?;
    let DraftContent::Complete { application } = &draft.content else {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "draft_incomplete",
            "Deze aanvraag is nog niet compleet",
            &["Vul het aanvraagformulier verder in; daarna ziet u uw antwoorden en kunt u de aanvraag versturen."],
        ));
    };
    // Sent for its address check before: "Stuur de e-mail opnieuw" (which
    // posts no version) mails the addresses still waiting again.
    // Otherwise, confirmed on a page that shows an older version (another
    // tab changed the answers since): read them back first.
    let shown = posted.get(VERSION).and_then(|v| v.parse::<u32>().ok());
    match (&draft.check, shown) {
        // A check page sent again (another tab, Back): sent already, so
        // the page that shows the check; only its own button mails again.
        (Some(_), Some(_)) => return Ok(after),
        (None, Some(v)) if v != draft.version => {
            return Ok(see_other(&format!("{}&{CHANGED}=1", check_location(&id))));
        }
        _ => {}
    }
    let check = match &draft.check {
        Some(check) => check.again(),
        None => AddressCheck::new(application, now, &app.rules.retention),
    };
    let waiting = check.waiting(&draft.confirmed);
    if waiting.is_empty() {
        // Every address confirmed, and the filing did not finish (the
        // store failed then): file it now.
        file(app, draft).await?;
        return Ok(after);
    }
    // Each address gets no more mails a day than the limit, whoever asks.
    for role in &waiting {
        let email = role.email(application);
        if !crate::limits::may_mail(app, email.as_str()).await? {
            return Err(Failure {
                paragraphs: vec![
                    format!("Naar {email} zijn vandaag al zoveel e-mails van deze website gestuurd als wij per dag naar één adres sturen. Probeer het morgen opnieuw, of mail het secretariaat op {}.", app.rules.site.secretariat.email),
                ],
                ..Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "address_limited",
                    "Wij kunnen nu geen e-mail naar dit adres sturen",
                    &[],
                )
            });
        }
    }
    let sends = check.sends;
    let again = draft.check.is_some();
    let mut sent = keep_document(app, draft, "unconfirmed").await?;
    sent.expires = check.until;
    sent.check = Some(check);
    let kinds: Vec<_> = waiting.iter().map(|r| r.mail()).collect();
    let owner = Owner::Draft(id.clone());
    let mails = pending(&owner, &kinds, sends, now);
    if app
        .store
        .submit_draft(&sent, &mails)
        .await
        .map_err(Failure::unavailable)?
    {
        tracing::info!(sends, "application sent for its address check");
        send_pending(app, &owner).await;
    }
    Ok(sent_response(&id, again, wants))
}

/// Files a draft whose addresses all confirmed: numbered, stored and
/// mailed in one step ([`Store::confirm`]); filing it again finds the
/// first filing and sends nothing.
pub(crate) async fn file<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    draft: Draft,
) -> Result<cbt::case::Case, Failure> {
    let now = app.clock.now();
    let draft = keep_document(app, draft, "applications").await?;
    // What the invoice asks, its VAT by where the customer is.
    let invoiced = match &draft.content {
        DraftContent::Complete { application } => {
            cbt::invoice::due(&app.rules, application).map(|d| d.total)
        }
        DraftContent::Incomplete { .. } => None,
    };
    let to_file = invoiced
        .and_then(|invoiced| {
            ToFile::new(
                &draft,
                now,
                invoiced,
                app.rules.periods.payment_term_days,
                &APPLICATION_MAILS,
            )
        })
        .ok_or_else(|| Failure::unavailable(Fault::DraftIncomplete(draft.id.clone())))?;
    let confirmed = app
        .store
        .confirm(&to_file)
        .await
        .map_err(Failure::unavailable)?;
    if confirmed.created {
        tracing::info!(reference = %confirmed.case.reference, "application filed");
        send_pending(app, &Owner::Application(confirmed.case.reference.clone())).await;
    }
    Ok(confirmed.case)
}

/// Where the applicant goes after sending: the page that shows the
/// address check, and later the filing.
fn sent_response(draft_id: &str, again: bool, wants: Wants) -> Response<Bytes> {
    let again = if again { "&opnieuw=1" } else { "" };
    let location = format!("/aanvraag/ontvangen?{DRAFT}={draft_id}{again}");
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

/// Copies a complete draft's documents to `<prefix>/<draft id>/`
/// (`unconfirmed` when it is sent, `applications` when it is filed), where
/// a rule of the bucket keeps them as long as such an application is kept,
/// and returns the draft pointing there. Keyed by the draft, so doing it
/// again copies to the same place.
async fn keep_document<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    mut draft: Draft,
    prefix: &str,
) -> Result<Draft, Failure> {
    if !matches!(draft.content, DraftContent::Complete { .. }) {
        return Ok(draft);
    }
    for doc in &mut draft.documents {
        // `<n>-<name>`, or `<name>` for a draft kept before drafts took
        // several documents.
        let name = doc.key.rsplit('/').next().unwrap_or(&doc.filename);
        let key = format!("{prefix}/{}/{name}", draft.id);
        if doc.key == key {
            continue;
        }
        match app
            .files
            .get(&doc.key)
            .await
            .map_err(Failure::unavailable)?
        {
            Some(bytes) => app
                .files
                .put(&key, &bytes, doc.kind.mime())
                .await
                .map_err(Failure::unavailable)?,
            // Moved already by the same step a moment ago (a double
            // click): the copy is there.
            None if app
                .files
                .get(&key)
                .await
                .map_err(Failure::unavailable)?
                .is_some() => {}
            None => return Err(Failure::unavailable(Fault::DocumentGone(doc.key.clone()))),
        }
        // The old copy goes now, not when its prefix's rule or the purge
        // would find it (the purge knows only the draft's keys).
        if let Err(e) = app.files.delete(&doc.key).await {
            tracing::warn!(error = %e, "the document's old copy stays until its prefix expires");
        }
        doc.key = key;
    }
    Ok(draft)
}

/// `GET /aanvraag/ontvangen?concept=ID`: the confirmation.
pub(crate) async fn received<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    query: &str,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    let given = query_value(query, DRAFT);
    // The honeypot's answer: looks like a success, reveals nothing.
    if given.as_deref() == Some("0") {
        let page = cbt::pages::message(
            &app.rules,
            &app.templates,
            "Uw aanvraag is ontvangen",
            &["U ontvangt een bevestiging per e-mail."],
        )
        .map_err(Failure::unavailable)?;
        return Ok(html_response(StatusCode::OK, page));
    }
    let id = draft_id(given.as_deref())?;
    let Some(case) = app
        .store
        .get_confirmed(&id)
        .await
        .map_err(Failure::unavailable)?
    else {
        return waiting_page(app, &id, query, wants).await;
    };
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

/// The page of a sent application that waits for its address check.
async fn waiting_page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    id: &str,
    query: &str,
    wants: Wants,
) -> Result<Response<Bytes>, Failure> {
    let draft = app
        .store
        .get_draft(id, app.clock.now())
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(expired)?;
    let (Some(check), DraftContent::Complete { application }) = (&draft.check, &draft.content)
    else {
        return Err(expired());
    };
    let two = check.roles.len() > 1;
    let addresses: Vec<cbt::pages::Waiting<'_>> = check
        .roles
        .iter()
        .map(|role| cbt::pages::Waiting {
            email: role.email(application).as_str(),
            role: cbt::pages::role_words(*role, two),
            confirmed: draft.confirmed.contains(role),
        })
        .collect();
    if wants == Wants::Json {
        return Ok(json_response(
            StatusCode::OK,
            &json!({ "status": "waiting_for_addresses", "addresses": addresses, "until": check.until }),
        ));
    }
    let page = cbt::pages::sent_page(
        &app.rules,
        &app.templates,
        id,
        &addresses,
        check.until,
        query_value(query, "opnieuw").is_some(),
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}
