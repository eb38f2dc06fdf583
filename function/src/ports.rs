//! The function's ports: what the core needs from the outside world, as
//! traits. DynamoDB, S3 and SES implement them in [`crate::adapters::aws`]
//! (feature `aws`); a local folder implements them in
//! [`crate::adapters::local`] for `cbt-site serve`. One contract test suite
//! (`tests/contract/`) runs against every implementation.

use std::collections::BTreeMap;
use std::future::Future;

use cbt::address_check::{AddressCheck, AddressRole};
use cbt::application::Application;
use cbt::case::{Case, CaseDocument, Change, Event, State};
use cbt::contact::Enquiry;
use cbt::invoice::InvoiceNumber;
use cbt::mail::{MailKind, Message};
use cbt::Cents;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// An application checked and awaiting the applicant's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Random, unguessable: it is the only key to the draft.
    pub id: String,
    /// What the applicant entered, and whether it passed.
    pub content: DraftContent,
    /// The uploaded documents (the balancing test first), each kept under
    /// its `key` in [`Files`]. A draft stored when the form took one
    /// document has `document`: it reads as a list of none or one.
    #[serde(alias = "document", deserialize_with = "none_one_or_more", default)]
    pub documents: Vec<CaseDocument>,
    /// 1, and one more with every change: a check page confirms the
    /// version it showed, so a page left open in another tab cannot send
    /// answers that were changed since.
    #[serde(default = "first_version")]
    pub version: u32,
    /// When it was made.
    pub created: DateTime<Utc>,
    /// After this the draft is gone (DynamoDB TTL; the local store checks it).
    pub expires: DateTime<Utc>,
    /// Once the applicant sent it: the address check it waits for
    /// ([`cbt::address_check`]). Its `until` is then the draft's `expires`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<AddressCheck>,
    /// The roles whose addresses have confirmed: the store fills this in
    /// from what [`Store::confirm_address`] kept, never from the draft
    /// itself (two addresses may confirm at the same moment).
    #[serde(skip)]
    pub confirmed: Vec<AddressRole>,
}

/// `null`, one document (a draft stored before drafts kept several) or a
/// list.
fn none_one_or_more<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<CaseDocument>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        More(Vec<CaseDocument>),
        One(CaseDocument),
        None(()),
    }
    Ok(match Shape::deserialize(d)? {
        Shape::More(list) => list,
        Shape::One(doc) => vec![doc],
        Shape::None(()) => Vec::new(),
    })
}

fn first_version() -> u32 {
    1
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

/// A case and its history, as the store keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// The case as it stands.
    pub case: Case,
    /// Every event, oldest first.
    pub events: Vec<Event>,
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
    /// The amount the invoice asks.
    pub invoiced: Cents,
    /// What was applied for.
    pub application: Application,
    /// The balancing test, where it is kept for good.
    pub documents: Vec<CaseDocument>,
    /// The mails it causes, pending from `submitted`.
    pub mails: Vec<MailKind>,
    /// The invoice's payment term, for the new case's first deadline.
    pub payment_term_days: u32,
}

/// A new case: what [`ToFile::numbered`] makes, for the store to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The case, in its first state.
    pub case: Case,
    /// Its nearest deadline, for the store's index of cases by state and
    /// deadline.
    pub next_deadline: Option<NaiveDate>,
    /// Its first event.
    pub event: Event,
    /// The mails of its filing.
    pub mails: Vec<PendingMail>,
}

impl ToFile {
    /// `draft` confirmed at `now`, invoiced at `invoiced`, causing `mails`;
    /// `None` for a draft that cannot be confirmed (incomplete).
    pub fn new(
        draft: &Draft,
        now: DateTime<Utc>,
        invoiced: Cents,
        payment_term_days: u32,
        mails: &[MailKind],
    ) -> Option<ToFile> {
        let DraftContent::Complete { application } = &draft.content else {
            return None;
        };
        Some(ToFile {
            draft_id: draft.id.clone(),
            submitted: now,
            submitted_on: cbt::dates::local_date(now),
            invoiced,
            application: Application::clone(application),
            documents: draft.documents.clone(),
            mails: mails.to_vec(),
            payment_term_days,
        })
    }

    /// The year whose invoice series numbers it: that of its date in
    /// Amsterdam, not of the UTC instant.
    pub fn year(&self) -> i32 {
        self.submitted_on.year()
    }

    /// The case numbered `seq` in [`ToFile::year`]'s series, its first
    /// event, and its pending mails.
    pub fn numbered(&self, seq: u32) -> NewCase {
        let invoice_number = InvoiceNumber {
            year: self.year(),
            seq,
        };
        let reference = cbt::follow_up::reference(invoice_number);
        let mut case = Case::filed(
            reference.clone(),
            invoice_number,
            self.submitted,
            self.invoiced,
            self.application.clone(),
            self.documents.clone(),
        );
        let event = case.apply(Change::Filed, cbt::case::Actor::Applicant, self.submitted);
        let mails = pending(
            &Owner::Application(reference),
            &self.mails,
            event.seq,
            self.submitted,
        );
        // A new case waits only for its payment.
        let next_deadline = self
            .submitted_on
            .checked_add_days(chrono::Days::new(u64::from(self.payment_term_days)));
        NewCase {
            case,
            next_deadline,
            event,
            mails,
        }
    }
}

/// `kinds` of mail of `owner` for occasion `seq`, pending from `since`.
pub fn pending(
    owner: &Owner,
    kinds: &[MailKind],
    seq: u32,
    since: DateTime<Utc>,
) -> Vec<PendingMail> {
    kinds
        .iter()
        .map(|kind| PendingMail {
            owner: owner.clone(),
            kind: *kind,
            seq,
            since,
        })
        .collect()
}

/// A change to a case: decided on `from_version`, kept only if the case is
/// still at that version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The case as it is after the change.
    pub case: Case,
    /// Its nearest deadline after the change, for the store's index.
    pub next_deadline: Option<NaiveDate>,
    /// The version it was decided on (`case.version - 1`).
    pub from_version: u32,
    /// The event that records it.
    pub event: Event,
    /// The mails it causes.
    pub mails: Vec<PendingMail>,
    /// Replaces the history (only when the retention ends: the events
    /// without their personal data).
    pub history: Option<Vec<Event>>,
}

/// A personal link to a case: only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// SHA-256 of the link's secret, hex.
    pub hash: String,
    /// The case it opens.
    pub reference: String,
    /// When it was made.
    pub created: DateTime<Utc>,
}

/// The link that confirms one address of a sent application: only its
/// hash is kept, like a personal link's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressLink {
    /// SHA-256 of the link's secret, hex.
    pub hash: String,
    /// The draft it confirms for.
    pub draft_id: String,
    /// Whose address.
    pub role: AddressRole,
    /// It works until the draft expires.
    pub expires: DateTime<Utc>,
}

/// What a member of the staff may do in the workspace (`/beheer/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Every action, and the staff list.
    Secretariaat,
    /// Reads the cases and adds notes.
    Commissie,
}

impl StaffRole {
    /// As the workspace shows it.
    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Secretariaat => "secretariaat",
            StaffRole::Commissie => "commissie",
        }
    }

    /// From its label (a form's value).
    pub fn from_label(label: &str) -> Option<StaffRole> {
        match label {
            "secretariaat" => Some(StaffRole::Secretariaat),
            "commissie" => Some(StaffRole::Commissie),
            _ => None,
        }
    }
}

/// A member of the secretariat or the commission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// Their address, in lower case: the key they sign in with.
    pub email: String,
    /// Their name, as the history shows it.
    pub name: String,
    /// What they may do.
    pub role: StaffRole,
    /// When they were added.
    pub added: DateTime<Utc>,
}

/// Everyone who may sign in: one list, changed only at the version it was
/// read at, so two members editing it at once lose nothing silently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffList {
    /// 0 for a list never saved; one more with every save.
    pub version: u32,
    /// The members, by address.
    pub members: Vec<StaffMember>,
}

impl StaffList {
    /// The member with `email` (any case).
    pub fn member(&self, email: &str) -> Option<&StaffMember> {
        self.members
            .iter()
            .find(|m| m.email.eq_ignore_ascii_case(email))
    }
}

/// A sign-in link to the workspace: single use, short-lived; only its hash
/// is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLink {
    /// SHA-256 of the link's secret, hex.
    pub hash: String,
    /// Whose link.
    pub email: String,
    /// It works until then.
    pub expires: DateTime<Utc>,
}

/// A signed-in member's session: only the hash of the cookie's value is
/// kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the cookie's value, hex.
    pub hash: String,
    /// Whose session.
    pub email: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// When it started: it ends 12 hours later whatever happens.
    pub created: DateTime<Utc>,
    /// When it was last used: it ends 2 hours after that.
    pub last_seen: DateTime<Utc>,
    /// The earlier of the two ends (the store's expiry).
    pub expires: DateTime<Utc>,
}

/// One line of the staff audit log: a sign-in, a failed sign-in, a change
/// to the staff list, an import (what a case's history does not hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an address, or "onbekend adres").
    pub who: String,
    /// What happened, in Dutch.
    pub what: String,
}

/// A bank statement's entry that registered a payment: kept so that
/// reading the same statement again registers nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankEntry {
    /// The entry's stable key (the statement's reference for it).
    pub key: String,
    /// The case it paid.
    pub reference: String,
    /// When it was read in.
    pub at: DateTime<Utc>,
}

/// A staff member's passkey: the credential as webauthn-rs keeps it, and
/// what the member sees of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRecord {
    /// The member's WebAuthn user handle (a UUID made from the address:
    /// see `workspace::passkeys`), under which their passkeys are kept.
    pub user: String,
    /// The credential's id, base64url.
    pub id: String,
    /// Whose passkey.
    pub email: String,
    /// The name the member gave it ("laptop", "telefoon").
    pub label: String,
    /// When it was registered.
    pub created: DateTime<Utc>,
    /// When it last signed in.
    pub last_used: Option<DateTime<Utc>>,
    /// webauthn-rs's `Passkey` (public key, counter), as JSON.
    pub credential: String,
}

/// A passkey registration or sign-in under way: the state webauthn-rs
/// needs to finish it, kept here rather than in the browser (a state the
/// browser could hand back twice would allow a replay). Single use, valid
/// a few minutes; only the hash of its id is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    /// SHA-256 of the id the browser holds, hex.
    pub hash: String,
    /// For a registration, whose; for a sign-in, the address given.
    pub email: String,
    /// webauthn-rs's state, as JSON.
    pub state: String,
    /// It can be finished until then.
    pub expires: DateTime<Utc>,
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
    /// Whether the sender gets an acknowledgement: not when the address
    /// had as many mails from the site that day as it may.
    #[serde(default = "acknowledged")]
    pub acknowledged: bool,
}

/// Messages kept before the acknowledgement could be left out had one.
fn acknowledged() -> bool {
    true
}

/// Whose mail it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Owner {
    /// A case, by reference.
    Application(String),
    /// A contact message, by id.
    Contact(String),
    /// The secretariat's daily digest, by its date.
    Digest(NaiveDate),
    /// A sent application awaiting its address check, by its draft's id.
    Draft(String),
    /// The secretariat's notice of a mail service's report.
    Delivery {
        /// The mailer's id of the mail the report is about.
        message_id: String,
        /// The report's id ([`Report::id`]).
        report: String,
    },
}

/// What the mail service reported about a mail after it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Unique per report and recipient (SES's feedback id, or the delay's
    /// time, with the address), so a report delivered twice is kept once.
    pub key: String,
    /// When the mail service saw it.
    pub at: DateTime<Utc>,
    /// What happened.
    pub problem: cbt::delivery::Problem,
}

impl Report {
    /// A short id for keys and file names: the first 16 hex digits of the
    /// SHA-256 of [`Report::key`].
    pub fn id(&self) -> String {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(self.key.as_bytes());
        hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

/// A mail that went out, and what the mail service reported since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMail {
    /// The mail, as it was pending.
    pub mail: PendingMail,
    /// The mailer's id.
    pub message_id: String,
    /// When it went (by the store's clock; the epoch for mails kept
    /// before this was).
    #[serde(default)]
    pub sent_at: DateTime<Utc>,
    /// Bounces, complaints and delays, oldest first.
    #[serde(default)]
    pub reports: Vec<Report>,
}

/// What keeping a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// No mail of ours has that id (another system's, or purged).
    Unknown,
    /// This report was kept before: nothing changed.
    Again,
    /// Kept, with its notice pending if one was given.
    New(SentMail),
}

/// A mail that must still go out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PendingMail {
    /// Whose mail.
    pub owner: Owner,
    /// Which mail.
    pub kind: MailKind,
    /// The occasion: the case's event it follows (0 for a contact message
    /// or a digest), so the same kind can go out more than once.
    #[serde(default)]
    pub seq: u32,
    /// When it became pending; the alarm looks at the oldest.
    pub since: DateTime<Utc>,
}

/// What a purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Items deleted from the store.
    pub items: usize,
    /// The files of the drafts that went, for the caller to delete.
    pub files: Vec<String>,
}

/// What confirming a draft did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// The case, new or from before.
    pub case: Case,
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
    /// The case changed since the change was decided: nothing was kept.
    #[error("de aanvraag is intussen gewijzigd")]
    Conflict,
}

/// Keeps drafts, cases (with the invoice counter and their history),
/// personal links, contact messages, rate-limit counters, digests and the
/// status of every mail.
pub trait Store: Send + Sync {
    /// Keeps a draft until it expires.
    fn put_draft(&self, draft: &Draft) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The draft, if it exists and has not expired at `now`, with the
    /// roles that confirmed its addresses.
    fn get_draft(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Draft>, StoreError>> + Send;

    /// Files `to_file`, atomically: takes the next invoice number of
    /// [`ToFile::year`] and keeps [`ToFile::numbered`]'s case, first event
    /// and pending mails, or nothing at all. Filing the same draft again
    /// returns the first case with `created: false`.
    fn confirm(
        &self,
        to_file: &ToFile,
    ) -> impl Future<Output = Result<Confirmed, StoreError>> + Send;

    /// Keeps `draft`, sent for its address check, with `mails` pending,
    /// all or nothing, if the draft kept before had its mails asked for
    /// fewer times than `draft.check` says (or was not sent): true when
    /// this call kept it. Two clicks on "send" send the mails once.
    fn submit_draft(
        &self,
        draft: &Draft,
        mails: &[PendingMail],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Keeps the hash of a link that confirms an address.
    fn put_address_link(
        &self,
        link: &AddressLink,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The address link with `hash`, if it exists and has not expired at
    /// `now`.
    fn address_link(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<AddressLink>, StoreError>> + Send;

    /// Keeps that the address of `role` confirmed the draft `draft_id` at
    /// `at` (until `expires`, with the draft); a second confirmation of a
    /// role changes nothing. [`Store::get_draft`] then lists the role in
    /// [`Draft::confirmed`].
    fn confirm_address(
        &self,
        draft_id: &str,
        role: AddressRole,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The case a draft became, if it was confirmed.
    fn get_confirmed(
        &self,
        draft_id: &str,
    ) -> impl Future<Output = Result<Option<Case>, StoreError>> + Send;

    /// The case with `reference`, and its history.
    fn get_case(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<CaseRecord>, StoreError>> + Send;

    /// Keeps `transition` if the case is still at its `from_version`, all
    /// or nothing; [`StoreError::Conflict`] when it is not.
    fn transition(
        &self,
        transition: &Transition,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The cases in `state`, nearest deadline first.
    fn cases_in(&self, state: State) -> impl Future<Output = Result<Vec<Case>, StoreError>> + Send;

    /// The credit note of case `reference`: its number in the credit
    /// notes' gapless series of `year`, given out now, or the number it was
    /// given before (a case has at most one credit note; asking again,
    /// after a failed mail, gives the same number, so no number is lost).
    fn assign_credit_note(
        &self,
        reference: &str,
        year: i32,
    ) -> impl Future<Output = Result<InvoiceNumber, StoreError>> + Send;

    /// The credit note number case `reference` was given, if any.
    fn credit_note_of(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<InvoiceNumber>, StoreError>> + Send;

    /// Every case, in any state (the workspace's list), in no set order.
    fn all_cases(&self) -> impl Future<Output = Result<Vec<Case>, StoreError>> + Send;

    /// Removes a case, its history, its links and its mail records: when
    /// the last of its retention periods ends.
    fn remove_case(&self, reference: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Keeps a personal link's hash.
    fn put_token(&self, token: &Token) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The case a personal link's hash opens.
    fn token_case(
        &self,
        hash: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Keeps the digest of `date` (JSON) with its `mails` pending, if none
    /// was kept for that date: true when this call kept it, so one run a
    /// day sends it.
    fn claim_digest(
        &self,
        date: NaiveDate,
        digest: &str,
        mails: &[PendingMail],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The digest kept for `date`.
    fn get_digest(
        &self,
        date: NaiveDate,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

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

    /// Deletes what expired before `now` (drafts, contact messages,
    /// rate-limit counts). DynamoDB does this by itself (TTL, within about
    /// two days; reads never return an expired item) and S3's lifecycle
    /// rule deletes the drafts' uploads, so there it deletes nothing.
    fn purge_expired(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Purged, StoreError>> + Send;

    /// Every mail still to be sent, oldest first.
    fn pending_mails(&self) -> impl Future<Output = Result<Vec<PendingMail>, StoreError>> + Send;

    /// Claims a pending mail for sending until `until`: true when this
    /// caller may send it now, because it is still pending and nobody
    /// holds an unexpired claim on it. A confirmation and the scheduled
    /// retry that reach the same mail at once thus send it once. A claim
    /// ends when the mail is marked sent, released, or at `until` (a
    /// sender that died mid-way).
    fn claim_mail(
        &self,
        mail: &PendingMail,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Gives up a claim after a failed send, so the next retry need not
    /// wait for it to run out. Harmless when the mail is gone.
    fn release_mail(
        &self,
        mail: &PendingMail,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks a pending mail as sent, with the mailer's message id.
    fn mail_sent(
        &self,
        mail: &PendingMail,
        message_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The mails of `owner` that went out, with their reports.
    fn sent_mails(
        &self,
        owner: &Owner,
    ) -> impl Future<Output = Result<Vec<SentMail>, StoreError>> + Send;

    /// The mail the mailer knows as `message_id`.
    fn sent_mail(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<SentMail>, StoreError>> + Send;

    /// Keeps `report` with the mail `message_id`, and `notice` pending, in
    /// one step; a report kept before changes nothing (the mail service
    /// may deliver one twice).
    fn record_report(
        &self,
        message_id: &str,
        report: &Report,
        notice: Option<&PendingMail>,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// Everyone who may sign in to the workspace.
    fn staff(&self) -> impl Future<Output = Result<StaffList, StoreError>> + Send;

    /// Keeps `list` if the list kept is at `list.version - 1`;
    /// [`StoreError::Conflict`] when it is not.
    fn save_staff(&self, list: &StaffList) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Keeps a sign-in link's hash until it expires.
    fn put_sign_in(&self, link: &SignInLink)
        -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes the sign-in link with `hash`: returns it and deletes it, in
    /// one step, if it exists and has not expired at `now`. Two clicks on
    /// one link sign in once.
    fn take_sign_in(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<SignInLink>, StoreError>> + Send;

    /// Keeps a session (new, or used again) until its `expires`.
    fn put_session(&self, session: &Session)
        -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session with `hash`, if it exists and has not expired at `now`.
    fn session(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Ends the session with `hash` ("Afmelden"); none is fine.
    fn end_session(&self, hash: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds a line to the staff audit log.
    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The newest `limit` lines of the audit log, newest first.
    fn audit_log(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// Keeps a passkey (new, or with its counter and use updated).
    fn put_passkey(
        &self,
        passkey: &PasskeyRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The passkeys of the user handle `user`, oldest first.
    fn passkeys(
        &self,
        user: &str,
    ) -> impl Future<Output = Result<Vec<PasskeyRecord>, StoreError>> + Send;

    /// Removes the passkey `id` of `user`; none is fine.
    fn delete_passkey(
        &self,
        user: &str,
        id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Keeps a passkey ceremony until it expires.
    fn put_ceremony(
        &self,
        ceremony: &Ceremony,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes the ceremony with `hash`: returns it and deletes it, in one
    /// step, if it exists and has not expired at `now`.
    fn take_ceremony(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Ceremony>, StoreError>> + Send;

    /// Keeps that a bank statement's entry paid a case, if no entry with
    /// that key was kept before: true when this call kept it.
    fn claim_bank_entry(
        &self,
        entry: &BankEntry,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

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
    /// Sends `message`.
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
    /// Deletes the file under `key`; no file is fine.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), FilesError>> + Send;
    /// What the malware scan says of the file under `key`.
    fn scan(&self, key: &str) -> impl Future<Output = Result<Scan, FilesError>> + Send;
}

/// What a malware scan says of a stored file. In AWS, GuardDuty Malware
/// Protection for S3 tags every new object with its result; locally a
/// stand-in knows only the EICAR test file (the README says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// Scanned: nothing found.
    Clean,
    /// Scanned: a threat found.
    Threat,
    /// Not scanned yet.
    Pending,
    /// The scan could not judge it (GuardDuty's `UNSUPPORTED`,
    /// `ACCESS_DENIED`, `FAILED`), with the status as given.
    Failed(String),
    /// This store does not scan (GuardDuty switched off).
    NotScanned,
    /// No file under that key.
    Missing,
}

// Every port through an `Arc` as well: `serve` makes the function again
// after an edit and hands each version the same adapters (one store lock,
// one outbox numbering).

impl<T: Store> Store for std::sync::Arc<T> {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StoreError> {
        T::put_draft(self, draft).await
    }
    async fn get_draft(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Draft>, StoreError> {
        T::get_draft(self, id, now).await
    }
    async fn submit_draft(&self, draft: &Draft, mails: &[PendingMail]) -> Result<bool, StoreError> {
        T::submit_draft(self, draft, mails).await
    }
    async fn put_address_link(&self, link: &AddressLink) -> Result<(), StoreError> {
        T::put_address_link(self, link).await
    }
    async fn address_link(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AddressLink>, StoreError> {
        T::address_link(self, hash, now).await
    }
    async fn confirm_address(
        &self,
        draft_id: &str,
        role: AddressRole,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        T::confirm_address(self, draft_id, role, at, expires).await
    }
    async fn confirm(&self, to_file: &ToFile) -> Result<Confirmed, StoreError> {
        T::confirm(self, to_file).await
    }
    async fn get_confirmed(&self, draft_id: &str) -> Result<Option<Case>, StoreError> {
        T::get_confirmed(self, draft_id).await
    }
    async fn get_case(&self, reference: &str) -> Result<Option<CaseRecord>, StoreError> {
        T::get_case(self, reference).await
    }
    async fn transition(&self, transition: &Transition) -> Result<(), StoreError> {
        T::transition(self, transition).await
    }
    async fn cases_in(&self, state: State) -> Result<Vec<Case>, StoreError> {
        T::cases_in(self, state).await
    }
    async fn all_cases(&self) -> Result<Vec<Case>, StoreError> {
        T::all_cases(self).await
    }
    async fn assign_credit_note(
        &self,
        reference: &str,
        year: i32,
    ) -> Result<InvoiceNumber, StoreError> {
        T::assign_credit_note(self, reference, year).await
    }
    async fn credit_note_of(&self, reference: &str) -> Result<Option<InvoiceNumber>, StoreError> {
        T::credit_note_of(self, reference).await
    }
    async fn remove_case(&self, reference: &str) -> Result<(), StoreError> {
        T::remove_case(self, reference).await
    }
    async fn put_token(&self, token: &Token) -> Result<(), StoreError> {
        T::put_token(self, token).await
    }
    async fn token_case(&self, hash: &str) -> Result<Option<String>, StoreError> {
        T::token_case(self, hash).await
    }
    async fn claim_digest(
        &self,
        date: NaiveDate,
        digest: &str,
        mails: &[PendingMail],
    ) -> Result<bool, StoreError> {
        T::claim_digest(self, date, digest, mails).await
    }
    async fn get_digest(&self, date: NaiveDate) -> Result<Option<String>, StoreError> {
        T::get_digest(self, date).await
    }
    async fn put_contact(
        &self,
        message: &ContactMessage,
        mails: &[MailKind],
    ) -> Result<(), StoreError> {
        T::put_contact(self, message, mails).await
    }
    async fn get_contact(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ContactMessage>, StoreError> {
        T::get_contact(self, id, now).await
    }
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        T::purge_expired(self, now).await
    }
    async fn pending_mails(&self) -> Result<Vec<PendingMail>, StoreError> {
        T::pending_mails(self).await
    }
    async fn claim_mail(
        &self,
        mail: &PendingMail,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        T::claim_mail(self, mail, now, until).await
    }
    async fn release_mail(&self, mail: &PendingMail) -> Result<(), StoreError> {
        T::release_mail(self, mail).await
    }
    async fn sent_mails(&self, owner: &Owner) -> Result<Vec<SentMail>, StoreError> {
        T::sent_mails(self, owner).await
    }
    async fn sent_mail(&self, message_id: &str) -> Result<Option<SentMail>, StoreError> {
        T::sent_mail(self, message_id).await
    }
    async fn record_report(
        &self,
        message_id: &str,
        report: &Report,
        notice: Option<&PendingMail>,
    ) -> Result<Recorded, StoreError> {
        T::record_report(self, message_id, report, notice).await
    }
    async fn mail_sent(&self, mail: &PendingMail, message_id: &str) -> Result<(), StoreError> {
        T::mail_sent(self, mail, message_id).await
    }
    async fn staff(&self) -> Result<StaffList, StoreError> {
        T::staff(self).await
    }
    async fn save_staff(&self, list: &StaffList) -> Result<(), StoreError> {
        T::save_staff(self, list).await
    }
    async fn put_sign_in(&self, link: &SignInLink) -> Result<(), StoreError> {
        T::put_sign_in(self, link).await
    }
    async fn take_sign_in(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        T::take_sign_in(self, hash, now).await
    }
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        T::put_session(self, session).await
    }
    async fn session(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        T::session(self, hash, now).await
    }
    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        T::end_session(self, hash).await
    }
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        T::audit(self, entry).await
    }
    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        T::audit_log(self, limit).await
    }
    async fn claim_bank_entry(&self, entry: &BankEntry) -> Result<bool, StoreError> {
        T::claim_bank_entry(self, entry).await
    }
    async fn put_passkey(&self, passkey: &PasskeyRecord) -> Result<(), StoreError> {
        T::put_passkey(self, passkey).await
    }
    async fn passkeys(&self, user: &str) -> Result<Vec<PasskeyRecord>, StoreError> {
        T::passkeys(self, user).await
    }
    async fn delete_passkey(&self, user: &str, id: &str) -> Result<(), StoreError> {
        T::delete_passkey(self, user, id).await
    }
    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StoreError> {
        T::put_ceremony(self, ceremony).await
    }
    async fn take_ceremony(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError> {
        T::take_ceremony(self, hash, now).await
    }
    async fn count_post(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        T::count_post(self, key, window_start, expires).await
    }
}

impl<T: Mailer> Mailer for std::sync::Arc<T> {
    async fn send(&self, message: &Message) -> Result<String, SendError> {
        T::send(self, message).await
    }
}

impl<T: Files> Files for std::sync::Arc<T> {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), FilesError> {
        T::put(self, key, bytes, content_type).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FilesError> {
        T::get(self, key).await
    }
    async fn delete(&self, key: &str) -> Result<(), FilesError> {
        T::delete(self, key).await
    }
    async fn scan(&self, key: &str) -> Result<Scan, FilesError> {
        T::scan(self, key).await
    }
}
