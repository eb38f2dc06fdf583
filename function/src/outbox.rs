//! Mail goes out after the data is safe: a case, an event or a contact
//! message is stored with its mails pending, then [`send_pending`] sends
//! them; what fails stays pending, and the scheduled [`retry_pending`] sends
//! it later. Mails are rendered from what is stored, so a retry sends what
//! the first attempt would have; only a personal link is made anew for
//! each mail that carries one ([`crate::cases::mint_link`]: its secret
//! exists nowhere but in the mail).

use std::collections::BTreeMap;

use cbt::case::Event;
use cbt::mail::{Address, Attachment, MailKind, Message};
use chrono::{DateTime, Utc};

use crate::cases::mint_link;
use crate::handler::App;
use crate::ports::{
    CaseRecord, Files, FilesError, Mailer, Owner, PendingMail, Scan, Store, StoreError,
};

/// The mails of an application when it is filed, in the order they go out.
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

/// Why a mail could not be rendered; it stays pending.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file store failed.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// The sending address in the configuration is not one, or a template
    /// failed.
    #[error(transparent)]
    Mail(#[from] cbt::mail::MailError),
    /// The rules could not make the invoice or its mails.
    #[error(transparent)]
    FollowUp(#[from] cbt::follow_up::FollowUpError),
    /// The advice letter could not be made.
    #[error(transparent)]
    Letter(#[from] cbt::advice::LetterError),
    /// The case, event or message the mail belongs to is gone.
    #[error("{0} bestaat niet meer")]
    OwnerGone(String),
    /// A case's document is gone, or is no longer a document.
    #[error("het document {0} is weg of onleesbaar")]
    DocumentGone(String),
    /// The invoice made again for its credit note is not the one invoiced
    /// (the fees changed since): a person must make this credit note.
    #[error("de factuur van {0} is niet opnieuw te maken zoals zij is verstuurd")]
    InvoiceChanged(String),
    /// A stored digest cannot be read.
    #[error("het dagoverzicht van {0} is onleesbaar")]
    Digest(String),
}

/// The message id kept for a mail that was not sent because what it
/// belonged to is gone (an unconfirmed application, deleted).
pub const VOID: &str = "niet-verstuurd: verlopen";

/// The key under which the invoice PDF as sent is kept.
pub fn invoice_key(filename: &str) -> String {
    format!("invoices/{filename}")
}

/// The key under which the advice letter as sent is kept.
pub fn advice_key(reference: &str) -> String {
    format!(
        "cases/{reference}/{}",
        cbt::advice::letter_filename(reference)
    )
}

/// How long the secretariat's mail of a new application waits for the
/// malware scan of its document; then it goes without the document, and
/// says so. Under the pending-mail alarm's hour, and two retry runs long.
pub const SCAN_WAIT_MINUTES: i64 = 30;

/// What becomes of one pending mail now.
enum Rendered {
    /// The message, ready to send (boxed: the others carry nothing).
    Ready(Box<Message>),
    /// Not yet: it waits (for a malware scan) and stays pending.
    Waits,
    /// Never: what it belonged to is gone for good (an application that
    /// was never confirmed, deleted after its period). It is marked done.
    Void,
}

/// Renders the pending `mails` of one owner from what is stored.
async fn render<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    owner: &Owner,
    mails: &[&PendingMail],
) -> Result<Vec<(PendingMail, Rendered)>, OutboxError> {
    let from = Address::new(&app.config.mail_from, Some(&app.rules.site.title))?;
    let mut out = Vec::new();
    match owner {
        Owner::Application(reference) => {
            let record = app
                .store
                .get_case(reference)
                .await?
                .ok_or_else(|| OutboxError::OwnerGone(reference.clone()))?;
            for mail in mails {
                let rendered = render_case_mail(app, &record, mail, &from).await?;
                out.push((PendingMail::clone(mail), rendered));
            }
        }
        Owner::Draft(id) => {
            let draft = app.store.get_draft(id, app.clock.now()).await?;
            for mail in mails {
                let role = cbt::address_check::AddressRole::ALL
                    .into_iter()
                    .find(|r| r.mail() == mail.kind);
                let rendered = match (&draft, role) {
                    (Some(draft), Some(role)) => {
                        match crate::addresses::mail(app, draft, role, &from).await? {
                            Some(message) => Rendered::Ready(Box::new(message)),
                            None => Rendered::Void,
                        }
                    }
                    _ => Rendered::Void,
                };
                out.push((PendingMail::clone(mail), rendered));
            }
        }
        Owner::Contact(id) => {
            let message = app
                .store
                .get_contact(id, app.clock.now())
                .await?
                .ok_or_else(|| OutboxError::OwnerGone(format!("contactbericht {id}")))?;
            let reference = cbt::contact::reference(&message.id);
            let rendered = cbt::follow_up::contact(
                &app.rules,
                &app.templates,
                &cbt::follow_up::Received {
                    enquiry: &message.enquiry,
                    at: message.received,
                    reference: &reference,
                    acknowledged: message.acknowledged,
                },
                &from,
            )?;
            for mail in mails {
                if let Some(m) = rendered.iter().find(|m| m.kind == mail.kind) {
                    out.push((
                        PendingMail::clone(mail),
                        Rendered::Ready(Box::new(m.clone())),
                    ));
                }
            }
        }
        Owner::Delivery { message_id, report } => {
            let notice = crate::delivery::notice(app, message_id, report).await?;
            let message =
                cbt::case_mail::delivery_problem(&app.rules, &app.templates, &notice, &from)?;
            for mail in mails {
                out.push((
                    PendingMail::clone(mail),
                    Rendered::Ready(Box::new(message.clone())),
                ));
            }
        }
        Owner::Digest(date) => {
            let text = app
                .store
                .get_digest(*date)
                .await?
                .ok_or_else(|| OutboxError::OwnerGone(format!("dagoverzicht {date}")))?;
            let digest: cbt::digest::Digest =
                serde_json::from_str(&text).map_err(|_| OutboxError::Digest(date.to_string()))?;
            let message = cbt::case_mail::digest(&app.rules, &app.templates, &digest, &from)?;
            for mail in mails {
                out.push((
                    PendingMail::clone(mail),
                    Rendered::Ready(Box::new(message.clone())),
                ));
            }
        }
    }
    Ok(out)
}

/// One mail of a case: the filing's three from the rules' follow-up, the
/// others from the event they follow.
async fn render_case_mail<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: &CaseRecord,
    mail: &PendingMail,
    from: &Address,
) -> Result<Rendered, OutboxError> {
    let case = &record.case;
    // The secretariat's mail of a new application waits for the document's
    // malware scan (or says why it goes without it).
    let scan = match (mail.kind, case.documents.first()) {
        (MailKind::ApplicationSecretariat, Some(doc)) => {
            match document_scan(app, &doc.key, mail.since).await? {
                Some(scan) => scan,
                None => return Ok(Rendered::Waits),
            }
        }
        _ => cbt::follow_up::DocumentScan::NotScanned,
    };
    let link = if mail.kind.carries_link() {
        Some(mint_link(app, &case.reference).await?)
    } else {
        None
    };
    if APPLICATION_MAILS.contains(&mail.kind) {
        let mut documents = Vec::with_capacity(case.documents.len());
        for doc in &case.documents {
            let gone = || OutboxError::DocumentGone(doc.key.clone());
            let bytes = app.files.get(&doc.key).await?.ok_or_else(gone)?;
            let kind = cbt::formats::sniff_document(&bytes).ok_or_else(gone)?;
            documents.push(cbt::validate::Document {
                field: if doc.field.is_empty() {
                    cbt::needs::application::DOCUMENT.into()
                } else {
                    doc.field.clone()
                },
                filename: doc.filename.clone(),
                shown_name: doc.shown_name().to_string(),
                kind,
                size: bytes.len(),
                bytes,
            });
        }
        let filed = cbt::follow_up::Filed {
            application: &case.application,
            number: case.invoice_number,
            date: case.submitted_on,
            documents: &documents,
            scan,
            document_keys: case.documents.iter().map(|d| d.key.as_str()).collect(),
            link: link.as_deref(),
        };
        let follow_up = cbt::follow_up::application(&app.rules, &app.templates, &filed, from)?;
        return follow_up
            .mails
            .into_iter()
            .find(|m| m.kind == mail.kind)
            .map(|m| Rendered::Ready(Box::new(m)))
            .ok_or_else(|| OutboxError::OwnerGone(format!("{} {:?}", case.reference, mail.kind)));
    }
    let event: &Event = record
        .events
        .iter()
        .find(|e| e.seq == mail.seq)
        .ok_or_else(|| {
            OutboxError::OwnerGone(format!("{} gebeurtenis {}", case.reference, mail.seq))
        })?;
    let attachments = match mail.kind {
        MailKind::PaymentReminder => {
            let filename = format!("factuur-{}.pdf", case.invoice_number);
            let bytes = app
                .files
                .get(&invoice_key(&filename))
                .await?
                .ok_or_else(|| OutboxError::DocumentGone(invoice_key(&filename)))?;
            vec![Attachment {
                filename,
                content_type: "application/pdf".into(),
                bytes,
            }]
        }
        MailKind::CreditNote => {
            let credit = credit_note(app, case, cbt::dates::local_date(event.at)).await?;
            vec![Attachment {
                filename: credit.filename(),
                content_type: "application/pdf".into(),
                bytes: cbt::invoice::pdf::render(&credit)
                    .map_err(cbt::follow_up::FollowUpError::from)?,
            }]
        }
        MailKind::AdviceSent => {
            let bytes = advice_letter(app, case)?;
            vec![Attachment {
                filename: cbt::advice::letter_filename(&case.reference),
                content_type: "application/pdf".into(),
                bytes,
            }]
        }
        _ => Vec::new(),
    };
    Ok(Rendered::Ready(Box::new(cbt::case_mail::render(
        &app.rules,
        &app.templates,
        cbt::case_mail::Occasion {
            case,
            event,
            kind: mail.kind,
            link: link.as_deref(),
            attachments,
        },
        from,
    )?)))
}

/// What the malware scan of the document under `key` says for a mail
/// pending since `since`: `None` while the scan is pending and the mail
/// may still wait ([`SCAN_WAIT_MINUTES`]).
async fn document_scan<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    key: &str,
    since: DateTime<Utc>,
) -> Result<Option<cbt::follow_up::DocumentScan>, OutboxError> {
    use cbt::follow_up::DocumentScan;
    let waited = (app.clock.now() - since).num_minutes();
    Ok(Some(match app.files.scan(key).await? {
        Scan::Clean => DocumentScan::Clean,
        Scan::NotScanned => DocumentScan::NotScanned,
        Scan::Threat => {
            tracing::warn!(key, "the malware scan found a threat in an upload");
            DocumentScan::Threat
        }
        Scan::Failed(status) => DocumentScan::Failed(status),
        Scan::Pending if waited < SCAN_WAIT_MINUTES => return Ok(None),
        Scan::Pending => DocumentScan::Pending(waited),
        Scan::Missing => return Err(OutboxError::DocumentGone(key.to_string())),
    }))
}

/// The credit note of `case`'s invoice, dated `on`: the invoice made again
/// from the case (its filing's number and date) and credited, with the
/// number the store gives this case in the credit notes' series.
pub async fn credit_note<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    case: &cbt::case::Case,
    on: chrono::NaiveDate,
) -> Result<cbt::invoice::Invoice, OutboxError> {
    let invoice = cbt::follow_up::invoice_of(
        &app.rules,
        &case.application,
        case.invoice_number,
        case.submitted_on,
    )
    .map_err(cbt::follow_up::FollowUpError::from)?;
    if invoice.total != case.invoiced {
        return Err(OutboxError::InvoiceChanged(case.reference.clone()));
    }
    use chrono::Datelike as _;
    let number = app
        .store
        .assign_credit_note(&case.reference, on.year())
        .await?;
    Ok(invoice.credit_note(number, on))
}

/// The advice letter of a case that has its advice.
pub fn advice_letter<S, M, F>(
    app: &App<S, M, F>,
    case: &cbt::case::Case,
) -> Result<Vec<u8>, OutboxError> {
    // Whom they want to phone, as the form's choices say it, in a sentence.
    let audience = case.application.audience(&app.rules.forms.application);
    let letter = cbt::advice::AdviceLetter::for_case(case, &app.rules.supplier, &audience)
        .ok_or_else(|| OutboxError::OwnerGone(format!("{} advies", case.reference)))?;
    Ok(cbt::advice::render_pdf(&letter)?)
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
            tracing::error!(error = %e, "listing pending mails failed; the retry sends them");
            return 0;
        }
    };
    let mine: Vec<&PendingMail> = pending.iter().filter(|p| &p.owner == owner).collect();
    send_mails(app, owner, &mine).await
}

/// How long a sender's claim on a pending mail lasts. Longer than the
/// Lambda may run (`Timeout` in `deploy/template.yaml`, checked by
/// `function/tests/iam_policy.rs`), so a claim that runs out belongs to a
/// sender that is gone.
pub const MAIL_LEASE: chrono::Duration = chrono::Duration::seconds(120);

/// Claims each of `mails`; returns those this caller may send.
async fn claim<'a, S: Store, M, F>(
    app: &App<S, M, F>,
    mails: &[&'a PendingMail],
) -> Vec<&'a PendingMail> {
    let now = app.clock.now();
    let mut mine = Vec::new();
    for mail in mails {
        match app.store.claim_mail(mail, now, now + MAIL_LEASE).await {
            Ok(true) => mine.push(*mail),
            // Sent or being sent by another request: not ours.
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, kind = ?mail.kind, "claiming a mail failed; the retry sends it")
            }
        }
    }
    mine
}

/// Gives the claims on `mails` back, for the retry.
async fn release<S: Store, M, F>(app: &App<S, M, F>, mails: &[&PendingMail]) {
    for mail in mails {
        if let Err(e) = app.store.release_mail(mail).await {
            tracing::warn!(error = %e, kind = ?mail.kind, "releasing a claim failed; it runs out by itself");
        }
    }
}

/// Sends `mails` of `owner` (all pending), each only after claiming it:
/// a mail goes out once even when a request and the retry reach it
/// together. (A sender that dies between the mailer's acceptance and the
/// marking leaves the mail pending: after its claim runs out the retry
/// sends it again. That is the one way a mail can go twice; nothing
/// without a mailer-side idempotency key can close it.)
async fn send_mails<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    owner: &Owner,
    mails: &[&PendingMail],
) -> usize {
    let mails = claim(app, mails).await;
    if mails.is_empty() {
        return 0;
    }
    let rendered = match render(app, owner, &mails).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "rendering mails failed; they stay pending");
            release(app, &mails).await;
            return 0;
        }
    };
    let mut sent = 0;
    'mails: for (pending, rendered) in &rendered {
        let mail = match rendered {
            Rendered::Ready(mail) => mail,
            Rendered::Waits => {
                tracing::info!(kind = ?pending.kind, "waits for the malware scan");
                // The next retry may look again at once.
                release(app, &[pending]).await;
                continue;
            }
            Rendered::Void => {
                if let Err(e) = app.store.mail_sent(pending, VOID).await {
                    tracing::error!(error = %e, "a mail of something gone could not be set aside");
                }
                continue;
            }
        };
        // What goes out is kept as sent: the invoice (7 years, with the
        // case) and the advice letter. A later change of fee, supplier
        // details or template must not change a copy. No copy, no mail:
        // it waits for the retry.
        let keep = match mail.kind {
            MailKind::Invoice | MailKind::CreditNote => {
                Some(|a: &Attachment| invoice_key(&a.filename))
            }
            _ => None,
        };
        for a in mail
            .attachments
            .iter()
            .filter(|a| a.content_type == "application/pdf")
        {
            let key = match (keep, mail.kind, owner) {
                (Some(key), _, _) => key(a),
                (None, MailKind::AdviceSent, Owner::Application(reference)) => {
                    advice_key(reference)
                }
                _ => continue,
            };
            if let Err(e) = app.files.put(&key, &a.bytes, &a.content_type).await {
                tracing::warn!(error = %e, "keeping a PDF as sent failed; the mail waits for the retry");
                release(app, &[pending]).await;
                continue 'mails;
            }
        }
        match app.mailer.send(mail).await {
            Ok(message_id) => match app.store.mail_sent(pending, &message_id).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    tracing::error!(error = %e, kind = ?mail.kind, "sent, but not marked; the retry may send it again");
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, kind = ?mail.kind, "sending failed; stays pending");
                release(app, &[pending]).await;
            }
        }
    }
    sent
}

/// The scheduled retry: every pending mail, once more. Idempotent: a mail
/// that went out is no longer pending.
pub async fn retry_pending<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
) -> Result<RetryReport, StoreError> {
    let pending = app.store.pending_mails().await?;
    // One listing for the whole run, grouped by owner: each owner's case
    // is read once.
    let mut by_owner: BTreeMap<&Owner, Vec<&PendingMail>> = BTreeMap::new();
    for p in &pending {
        by_owner.entry(&p.owner).or_default().push(p);
    }
    let oldest = pending.iter().map(|p| p.since).min();
    let mut sent = 0;
    for (owner, mails) in &by_owner {
        sent += send_mails(app, owner, mails).await;
    }
    let left = app.store.pending_mails().await?;
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

/// What a retry run did; logged, and the alarm reads its age.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetryReport {
    /// Mails pending when the run started.
    pub pending_before: usize,
    /// Mails sent by this run.
    pub sent: usize,
    /// Mails still pending after it.
    pub pending_after: usize,
    /// When the oldest mail pending at the start became pending.
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Seconds the oldest pending mail has waited (0 when none): a number,
    /// for the alarm's metric filter.
    pub oldest_pending_age_seconds: i64,
}
