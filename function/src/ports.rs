//! The function's ports: what the core needs from the outside world, as
//! traits. DynamoDB, S3 and SES implement them in [`crate::adapters::aws`]
//! (feature `aws`); a local folder implements them in
//! [`crate::adapters::local`] for `cbt-site serve`. One contract test suite
//! (`tests/contract.rs`) runs against every implementation.

use std::collections::BTreeMap;
use std::future::Future;

use cbt::invoice::InvoiceNumber;
use cbt::mail::{MailKind, Message};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// An application checked and awaiting the applicant's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Random, unguessable: it is the only key to the draft.
    pub id: String,
    /// The normalised values, by field name.
    pub values: BTreeMap<String, String>,
    /// The uploaded document, kept under `document.key` in [`Files`].
    pub document: Option<StoredDocument>,
    /// False for a draft kept only so that a good upload survives a form
    /// with errors: its values never passed the checks, and it cannot be
    /// confirmed.
    #[serde(default)]
    pub complete: bool,
    pub created: DateTime<Utc>,
    /// After this the draft is gone (DynamoDB TTL; the local store checks it).
    pub expires: DateTime<Utc>,
}

/// Where an uploaded document is kept, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDocument {
    pub key: String,
    pub filename: String,
    pub content_type: String,
    pub size: usize,
}

/// An application: a confirmed draft with its reference and invoice number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub reference: String,
    pub invoice_number: InvoiceNumber,
    pub draft_id: String,
    /// The invoice date.
    pub submitted_on: NaiveDate,
    pub submitted: DateTime<Utc>,
    pub values: BTreeMap<String, String>,
    pub document: Option<StoredDocument>,
}

/// A contact message, kept for the retention period only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactMessage {
    pub id: String,
    pub received: DateTime<Utc>,
    pub values: BTreeMap<String, String>,
    pub expires: DateTime<Utc>,
}

/// Whose mail it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Owner {
    /// An application, by reference.
    Application(String),
    /// A contact message, by id.
    Contact(String),
}

/// A mail that must still go out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PendingMail {
    pub owner: Owner,
    pub kind: MailKind,
    /// When it became pending; the alarm looks at the oldest.
    pub since: DateTime<Utc>,
}

/// What confirming a draft did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub application: Application,
    /// False when the draft had been confirmed before: nothing new was
    /// numbered, and nothing must be sent again.
    pub created: bool,
}

/// The store failed; nothing was changed that the caller must undo.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("opslag niet bereikbaar: {0}")]
    Unavailable(String),
    #[error("opslag gaf onverwachte gegevens: {0}")]
    Corrupt(String),
    #[error("te veel gelijktijdige bevestigingen; probeer het opnieuw")]
    Contention,
}

/// Keeps drafts, applications (with the invoice counter), contact
/// messages, rate-limit counters and the status of every mail.
pub trait Store: Send + Sync {
    fn put_draft(&self, draft: &Draft) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The draft, if it exists and has not expired at `now`.
    fn get_draft(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Draft>, StoreError>> + Send;

    /// Turns `draft` into an application, atomically: the next invoice
    /// number of `submitted_on`'s year is taken and the application is
    /// stored with `mails` pending, or nothing happens. Confirming the same
    /// draft again returns the same application with `created: false`.
    fn confirm(
        &self,
        draft: &Draft,
        submitted: DateTime<Utc>,
        mails: &[MailKind],
    ) -> impl Future<Output = Result<Confirmed, StoreError>> + Send;

    /// The application a draft became, if it was confirmed.
    fn get_confirmed(
        &self,
        draft_id: &str,
    ) -> impl Future<Output = Result<Option<Application>, StoreError>> + Send;

    fn get_application(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Application>, StoreError>> + Send;

    /// Stores a contact message with `mails` pending.
    fn put_contact(
        &self,
        message: &ContactMessage,
        mails: &[MailKind],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn get_contact(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<ContactMessage>, StoreError>> + Send;

    /// Every mail still to be sent, oldest first.
    fn pending_mails(&self) -> impl Future<Output = Result<Vec<PendingMail>, StoreError>> + Send;

    /// Marks a pending mail as sent, with the mailer's message id.
    fn mail_sent(
        &self,
        owner: &Owner,
        kind: MailKind,
        message_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Counts one more post from `key` in the window that started at
    /// `window_start`, and returns the count so far (including this one).
    fn count_post(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;
}

/// Sending failed; the caller keeps the mail pending.
#[derive(Debug, thiserror::Error)]
#[error("verzenden mislukt: {0}")]
pub struct SendError(pub String);

/// Sends one message; returns the mail service's message id.
pub trait Mailer: Send + Sync {
    fn send(&self, message: &Message) -> impl Future<Output = Result<String, SendError>> + Send;
}

/// The file store failed.
#[derive(Debug, thiserror::Error)]
#[error("bestandsopslag: {0}")]
pub struct FilesError(pub String);

/// Keeps uploaded documents, privately.
pub trait Files: Send + Sync {
    fn put(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> impl Future<Output = Result<(), FilesError>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, FilesError>> + Send;
}
