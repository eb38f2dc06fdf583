//! Mail goes out after the data is safe: a filing or contact message is
//! stored with its mails pending, then [`send_pending`] sends them; what
//! fails stays pending, and the scheduled [`retry_pending`] sends it later.
//! Mails are rendered again from what is stored, deterministically, so a
//! retry sends what the first attempt would have.

use std::collections::BTreeMap;

use cbt::mail::{Address, MailKind, Message};
use chrono::{DateTime, Utc};

use crate::drafts::filed;
use crate::handler::App;
use crate::ports::{Files, FilesError, Mailer, Owner, Store, StoreError};

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

/// Why an owner's mails could not be rendered; they stay pending.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file store failed.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// The sending address in the configuration is not one.
    #[error(transparent)]
    Mail(#[from] cbt::mail::MailError),
    /// The rules could not make the mails.
    #[error(transparent)]
    FollowUp(#[from] cbt::follow_up::FollowUpError),
    /// The filing or message the mails belong to is gone.
    #[error("{0} bestaat niet meer")]
    OwnerGone(String),
    /// A filing's document is gone, or is no longer a document.
    #[error("het document {0} is weg of onleesbaar")]
    DocumentGone(String),
}

/// Renders the mails of `owner` from what is stored.
pub async fn mails_for<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    owner: &Owner,
) -> Result<Vec<Message>, OutboxError> {
    let from = Address::new(&app.config.mail_from, Some(&app.rules.site.title))?;
    match owner {
        Owner::Application(reference) => {
            let filing = app
                .store
                .get_filing(reference)
                .await?
                .ok_or_else(|| OutboxError::OwnerGone(reference.clone()))?;
            let document = match &filing.document {
                Some(doc) => {
                    let gone = || OutboxError::DocumentGone(doc.key.clone());
                    let bytes = app.files.get(&doc.key).await?.ok_or_else(gone)?;
                    let kind = cbt::formats::sniff_document(&bytes).ok_or_else(gone)?;
                    Some(cbt::validate::Document {
                        field: cbt::needs::application::DOCUMENT.into(),
                        filename: doc.filename.clone(),
                        kind,
                        size: bytes.len(),
                        bytes,
                    })
                }
                None => None,
            };
            let follow_up = cbt::follow_up::application(
                &app.rules,
                &app.templates,
                &filed(&filing, document.as_ref()),
                &from,
            )?;
            Ok(follow_up.mails)
        }
        Owner::Contact(id) => {
            let message = app
                .store
                .get_contact(id, app.clock.now())
                .await?
                .ok_or_else(|| OutboxError::OwnerGone(format!("contactbericht {id}")))?;
            Ok(cbt::follow_up::contact(
                &app.rules,
                &app.templates,
                &message.enquiry,
                cbt::dates::local_date(message.received),
                &from,
            )?)
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
            tracing::error!(error = %e, "listing pending mails failed; the retry sends them");
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
        // The invoice as sent is kept (7 years, with the filing): a later
        // change of fee or supplier details must not change a copy. No
        // copy, no mail: it waits for the retry.
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
                    tracing::error!(error = %e, kind = ?mail.kind, "sent, but not marked; the retry may send it again");
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, kind = ?mail.kind, "sending failed; stays pending");
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
    // One listing for the whole run, grouped by owner: each owner's mails
    // are rendered once.
    let mut by_owner: BTreeMap<&Owner, Vec<MailKind>> = BTreeMap::new();
    for p in &pending {
        by_owner.entry(&p.owner).or_default().push(p.kind);
    }
    let oldest = pending.iter().map(|p| p.since).min();
    let mut sent = 0;
    for (owner, kinds) in &by_owner {
        sent += send_kinds(app, owner, kinds).await;
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
