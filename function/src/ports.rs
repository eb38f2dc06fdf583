//! The function's ports: what the core needs from the outside world, as
//! traits. DynamoDB, S3 and SES implement them in [`crate::adapters::aws`]
//! (feature `aws`); a local folder implements them in
//! [`crate::adapters::local`] for `cbt-site serve`. One contract test suite
//! (`tests/contract.rs`) runs against every implementation.

use std::collections::BTreeMap;
use std::future::Future;

use cbt::application::Application;
use cbt::contact::Enquiry;
use cbt::invoice::InvoiceNumber;
use cbt::mail::{MailKind, Message};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// An application checked and awaiting the applicant's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Random, unguessable: it is the only key to the draft.
    pub id: String,
    /// What the applicant entered, and whether it passed.
    pub content: DraftContent,
    /// The uploaded document, kept under `document.key` in [`Files`].
    pub document: Option<StoredDocument>,
    /// When it was made.
    pub created: DateTime<Utc>,
    /// After this the draft is gone (DynamoDB TTL; the local store checks it).
    pub expires: DateTime<Utc>,
}

/// A draft's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DraftContent {
    /// Every check passed: the applicant may confirm it.
    Complete {
        /// The application as it will be filed.
        application: Box<Application>,
    },
    /// Kept only so that a good upload survives a form with errors: its
    /// answers never passed the checks, and it cannot be confirmed.
    Incomplete {
        /// What was entered, cleaned, by field name.
        entered: BTreeMap<String, String>,
    },
}

impl Draft {
    /// The answers by field name, to fill the form with ("Wijzigen").
    pub fn answers(&self) -> &BTreeMap<String, String> {
        match &self.content {
            DraftContent::Complete { application } => &application.answers,
            DraftContent::Incomplete { entered } => entered,
        }
    }
}

/// Where an uploaded document is kept, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDocument {
    /// Its key in [`Files`].
    pub key: String,
    /// The safe name it was uploaded under.
    pub filename: String,
    /// Its media type, from its bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub size: usize,
}

/// A confirmed application: numbered, dated, filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// `CBT-2026-0007`, from the invoice number.
    pub reference: String,
    /// Unique and gapless within its year.
    pub invoice_number: InvoiceNumber,
    /// The draft it was confirmed from.
    pub draft_id: String,
    /// The moment of confirmation.
    pub submitted: DateTime<Utc>,
    /// Its date in Amsterdam: the invoice date.
    pub submitted_on: NaiveDate,
    /// What was applied for.
    pub application: Application,
    /// The balancing test.
    pub document: Option<StoredDocument>,
}

/// A draft about to be filed: everything but its number. The core makes
/// it ([`ToFile::new`]) and says what a number makes of it
/// ([`ToFile::numbered`]); a store only takes the next number of
/// [`ToFile::year`] atomically and keeps the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToFile {
    /// The draft confirmed.
    pub draft_id: String,
    /// The moment of confirmation.
    pub submitted: DateTime<Utc>,
    /// Its date in Amsterdam, which decides the number's year.
    pub submitted_on: NaiveDate,
    /// What was applied for.
    pub application: Application,
    /// The balancing test, where it is kept for good.
    pub document: Option<StoredDocument>,
    /// The mails it causes, pending from `submitted`.
    pub mails: Vec<MailKind>,
}

impl ToFile {
    /// `draft` confirmed at `now`, causing `mails`; `None` for a draft that
    /// cannot be confirmed (incomplete).
    pub fn new(draft: &Draft, now: DateTime<Utc>, mails: &[MailKind]) -> Option<ToFile> {
        let DraftContent::Complete { application } = &draft.content else {
            return None;
        };
        Some(ToFile {
            draft_id: draft.id.clone(),
            submitted: now,
            submitted_on: cbt::dates::local_date(now),
            application: Application::clone(application),
            document: draft.document.clone(),
            mails: mails.to_vec(),
        })
    }

    /// The year whose invoice series numbers it: that of its date in
    /// Amsterdam, not of the UTC instant.
    pub fn year(&self) -> i32 {
        self.submitted_on.year()
    }

    /// The filing numbered `seq` in [`ToFile::year`]'s series, and its
    /// pending mails.
    pub fn numbered(&self, seq: u32) -> (Filing, Vec<PendingMail>) {
        let invoice_number = InvoiceNumber {
            year: self.year(),
            seq,
        };
        let reference = cbt::follow_up::reference(invoice_number);
        let owner = Owner::Application(reference.clone());
        let mails = self
            .mails
            .iter()
            .map(|kind| PendingMail {
                owner: owner.clone(),
                kind: *kind,
                since: self.submitted,
            })
            .collect();
        let filing = Filing {
            reference,
            invoice_number,
            draft_id: self.draft_id.clone(),
            submitted: self.submitted,
            submitted_on: self.submitted_on,
            application: self.application.clone(),
            document: self.document.clone(),
        };
        (filing, mails)
    }
}

/// A contact message, kept for the retention period only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactMessage {
    /// Random.
    pub id: String,
    /// When it came in.
    pub received: DateTime<Utc>,
    /// What it says.
    pub enquiry: Enquiry,
    /// When it is deleted.
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
    /// Whose mail.
    pub owner: Owner,
    /// Which mail.
    pub kind: MailKind,
    /// When it became pending; the alarm looks at the oldest.
    pub since: DateTime<Utc>,
}

/// What confirming a draft did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// The filing, new or from before.
    pub filing: Filing,
    /// False when the draft had been confirmed before: nothing new was
    /// numbered, and nothing must be sent again.
    pub created: bool,
}

/// The store failed; nothing was changed that the caller must undo.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer, or refused.
    #[error("opslag niet bereikbaar: {0}")]
    Unavailable(String),
    /// The store holds something the code cannot read.
    #[error("opslag gaf onverwachte gegevens: {0}")]
    Corrupt(String),
    /// Others kept taking the next number first.
    #[error("te veel gelijktijdige bevestigingen; probeer het opnieuw")]
    Contention,
}

/// Keeps drafts, applications (with the invoice counter), contact
/// messages, rate-limit counters and the status of every mail.
pub trait Store: Send + Sync {
    /// Keeps a draft until it expires.
    fn put_draft(&self, draft: &Draft) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The draft, if it exists and has not expired at `now`.
    fn get_draft(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Draft>, StoreError>> + Send;

    /// Files `to_file`, atomically: takes the next invoice number of
    /// [`ToFile::year`] and keeps [`ToFile::numbered`]'s filing and pending
    /// mails, or nothing at all. Filing the same draft again returns the
    /// first filing with `created: false`.
    fn confirm(
        &self,
        to_file: &ToFile,
    ) -> impl Future<Output = Result<Confirmed, StoreError>> + Send;

    /// The filing a draft became, if it was confirmed.
    fn get_confirmed(
        &self,
        draft_id: &str,
    ) -> impl Future<Output = Result<Option<Filing>, StoreError>> + Send;

    /// The filing with `reference`.
    fn get_filing(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Filing>, StoreError>> + Send;

    /// Stores a contact message with `mails` pending.
    fn put_contact(
        &self,
        message: &ContactMessage,
        mails: &[MailKind],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The contact message, if it exists and has not expired at `now`.
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
    /// Keeps `bytes` under `key`.
    fn put(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> impl Future<Output = Result<(), FilesError>> + Send;
    /// The bytes under `key`, if any.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, FilesError>> + Send;
}
