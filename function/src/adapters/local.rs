//! The ports on a local folder, so the whole site runs with working forms
//! on a laptop: no AWS account, no emulator.
//!
//! Layout under the data folder:
//! - `store/`: one JSON file per item, a folder per kind: `drafts`,
//!   `cases` (each case as it stands, with its nearest deadline),
//!   `events/<reference>/` (its history, one file per event), `confirmed`
//!   (draft -> reference), `counters` (the invoice counter per year),
//!   `tokens` (personal links' hashes), `address_links` (the hashes of the
//!   links that confirm a sent application's addresses) and
//!   `address_confirmed` (which did), `digests`, `contacts`, `pending`
//!   mail (and `leases`, senders' claims on it), `sent` mail, `ratelimit`;
//!   `credit_notes` (a case's credit note number; its counter is
//!   `counters/C-<year>`); for the workspace `staff` (the staff list), `sign_ins` and `sessions`
//!   (hashes), `audit` (one file per line) and `bank_entries`;
//! - `uploads/`: the uploaded documents;
//! - `outbox/`: every mail as a `.eml` file a person can open.
//!
//! One lock serialises the store's changes: `serve` runs one process, and
//! within it concurrent requests are safe. Files are written to a temporary
//! name and renamed, so a crash never leaves half an item.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cbt::case::{Case, Event, State};
use cbt::mail::{MailKind, Message};
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::ports::*;

/// Gives every write its own temporary name: two writers of one file (a
/// double click) must not share one.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically.
async fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}

/// A key made safe as a file name: what is not `[A-Za-z0-9_-]` becomes `_`
/// plus its hex, so distinct keys stay distinct.
fn file_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// The store in `dir/store/`.
pub struct LocalStore {
    dir: PathBuf,
    lock: Mutex<()>,
    /// Every case as last read, with the `cases/` folder's modification
    /// time then: every write renames a file into that folder, which
    /// changes the time, so an unchanged time means unchanged cases (also
    /// when another process or another `LocalStore` wrote). Reading 5,000
    /// files for each look at the list would take seconds.
    cases: std::sync::Mutex<Option<(std::time::SystemTime, std::sync::Arc<Vec<StoredCase>>)>>,
}

#[derive(Serialize, Deserialize)]
struct Counter {
    last: u32,
}

#[derive(Serialize, Deserialize)]
struct RateCount {
    count: u32,
    expires: DateTime<Utc>,
}

/// That one address of a sent application confirmed it.
#[derive(Serialize, Deserialize)]
struct AddressConfirmed {
    draft_id: String,
    role: cbt::address_check::AddressRole,
    at: DateTime<Utc>,
    expires: DateTime<Utc>,
}

/// A sender's claim on a pending mail (`leases/`, beside `pending/`).
#[derive(Serialize, Deserialize)]
struct Lease {
    until: DateTime<Utc>,
}

/// Where the mail the mailer knows by an id is kept (`sent-ids/`).
#[derive(Serialize, Deserialize)]
struct SentIndex {
    key: String,
    owner: Owner,
}

/// A case as kept: with its nearest deadline, the index's sort key.
#[derive(Clone, Serialize, Deserialize)]
struct StoredCase {
    case: Case,
    next_deadline: Option<NaiveDate>,
}

impl LocalStore {
    pub fn new(data_dir: impl AsRef<Path>) -> LocalStore {
        LocalStore {
            dir: data_dir.as_ref().join("store"),
            lock: Mutex::new(()),
            cases: std::sync::Mutex::new(None),
        }
    }

    fn path(&self, kind: &str, key: &str) -> PathBuf {
        self.dir.join(kind).join(format!("{}.json", file_name(key)))
    }

    async fn read<T: DeserializeOwned>(
        &self,
        kind: &str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        match tokio::fs::read(self.path(kind, key)).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("{kind}/{key}: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn write<T: Serialize>(
        &self,
        kind: &str,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec_pretty(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        write_atomic(&self.path(kind, key), &bytes)
            .await
            .map_err(unavailable)
    }

    async fn remove(&self, kind: &str, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(kind, key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Every stored case, from the cache while `cases/` is unchanged.
    async fn stored_cases(&self) -> Result<std::sync::Arc<Vec<StoredCase>>, StoreError> {
        let modified = match tokio::fs::metadata(self.dir.join("cases")).await {
            Ok(m) => m.modified().map_err(unavailable)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(std::sync::Arc::new(Vec::new()))
            }
            Err(e) => return Err(unavailable(e)),
        };
        let cached = self
            .cases
            .lock()
            .map_err(|_| unavailable("the case cache's lock is poisoned"))?
            .clone();
        if let Some((at, cases)) = cached {
            if at == modified {
                return Ok(cases);
            }
        }
        let cases = std::sync::Arc::new(self.all::<StoredCase>("cases").await?);
        // A file's time has the kernel's coarse clock (a few ms): a write in
        // the same tick as the last one would leave the time unchanged. Only
        // a time safely in the past proves that every later write shows.
        let settled = std::time::SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age >= std::time::Duration::from_millis(100));
        if settled {
            *self
                .cases
                .lock()
                .map_err(|_| unavailable("the case cache's lock is poisoned"))? =
                Some((modified, cases.clone()));
        }
        Ok(cases)
    }

    async fn all<T: DeserializeOwned>(&self, kind: &str) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut entries = match tokio::fs::read_dir(self.dir.join(kind)).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(unavailable(e)),
        };
        while let Some(entry) = entries.next_entry().await.map_err(unavailable)? {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                // Another request may remove an item (a mail just sent)
                // between the listing and the reading: it is simply gone.
                let bytes = match tokio::fs::read(&path).await {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(unavailable(e)),
                };
                out.push(
                    serde_json::from_slice(&bytes)
                        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display())))?,
                );
            }
        }
        Ok(out)
    }

    fn pending_key(mail: &PendingMail) -> String {
        let (t, id) = match &mail.owner {
            Owner::Application(r) => ("app", r.clone()),
            Owner::Contact(i) => ("contact", i.clone()),
            Owner::Digest(date) => ("digest", date.to_string()),
            Owner::Draft(i) => ("draft", i.clone()),
            Owner::Delivery { message_id, report } => {
                ("delivery", format!("{}-{report}", file_name(message_id)))
            }
        };
        format!("{t}-{id}-{}-{}", mail.kind.template(), mail.seq)
    }

    async fn put_pending(&self, mails: &[PendingMail]) -> Result<(), StoreError> {
        for mail in mails {
            self.write("pending", &Self::pending_key(mail), mail)
                .await?;
        }
        Ok(())
    }

    fn events_kind(reference: &str) -> String {
        format!("events/{}", file_name(reference))
    }

    async fn write_event(&self, reference: &str, event: &Event) -> Result<(), StoreError> {
        self.write(
            &Self::events_kind(reference),
            &format!("{:06}", event.seq),
            event,
        )
        .await
    }

    /// Removes the files of `kind` for which `expired` says so.
    async fn purge<T: DeserializeOwned>(
        &self,
        kind: &str,
        expired: impl Fn(&T) -> bool,
    ) -> Result<usize, StoreError> {
        let mut removed = 0;
        let mut entries = match tokio::fs::read_dir(self.dir.join(kind)).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(unavailable(e)),
        };
        while let Some(entry) = entries.next_entry().await.map_err(unavailable)? {
            let path = entry.path();
            let Ok(bytes) = tokio::fs::read(&path).await else {
                continue;
            };
            if serde_json::from_slice::<T>(&bytes).is_ok_and(|item| expired(&item)) {
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(unavailable(e)),
                }
            }
        }
        Ok(removed)
    }
}

impl Store for LocalStore {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("drafts", &draft.id, draft).await
    }

    async fn get_draft(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Draft>, StoreError> {
        let Some(mut draft) = self
            .read::<Draft>("drafts", id)
            .await?
            .filter(|d| d.expires > now)
        else {
            return Ok(None);
        };
        for role in cbt::address_check::AddressRole::ALL {
            let key = format!("{id}-{}", role.key());
            if self
                .read::<AddressConfirmed>("address_confirmed", &key)
                .await?
                .is_some()
            {
                draft.confirmed.push(role);
            }
        }
        Ok(Some(draft))
    }

    async fn submit_draft(&self, draft: &Draft, mails: &[PendingMail]) -> Result<bool, StoreError> {
        let _guard = self.lock.lock().await;
        let sends = |d: &Draft| d.check.as_ref().map_or(0, |c| c.sends);
        let before = self
            .read::<Draft>("drafts", &draft.id)
            .await?
            .map_or(0, |d| sends(&d));
        if before >= sends(draft) {
            return Ok(false);
        }
        self.write("drafts", &draft.id, draft).await?;
        self.put_pending(mails).await?;
        Ok(true)
    }

    async fn put_address_link(&self, link: &AddressLink) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("address_links", &link.hash, link).await
    }

    async fn address_link(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AddressLink>, StoreError> {
        Ok(self
            .read::<AddressLink>("address_links", hash)
            .await?
            .filter(|l| l.expires > now))
    }

    async fn confirm_address(
        &self,
        draft_id: &str,
        role: cbt::address_check::AddressRole,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let key = format!("{draft_id}-{}", role.key());
        if self
            .read::<AddressConfirmed>("address_confirmed", &key)
            .await?
            .is_some()
        {
            return Ok(());
        }
        self.write(
            "address_confirmed",
            &key,
            &AddressConfirmed {
                draft_id: draft_id.to_string(),
                role,
                at,
                expires,
            },
        )
        .await
    }

    async fn confirm(&self, to_file: &ToFile) -> Result<Confirmed, StoreError> {
        let _guard = self.lock.lock().await;
        if let Some(reference) = self.read::<String>("confirmed", &to_file.draft_id).await? {
            let stored = self
                .read::<StoredCase>("cases", &reference)
                .await?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("{reference} is confirmed but missing"))
                })?;
            return Ok(Confirmed {
                case: stored.case,
                created: false,
            });
        }
        let year = to_file.year();
        let last = self
            .read::<Counter>("counters", &year.to_string())
            .await?
            .map_or(0, |c| c.last);
        let seq = last
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt(format!("counter {year} is full")))?;
        let new = to_file.numbered(seq);
        let reference = new.case.reference.clone();
        // Order matters for a crash between writes: the case first, then
        // the counter, then the marker; a rerun then finds the number taken
        // (the case exists) and cannot hand it out twice.
        if self
            .read::<StoredCase>("cases", &reference)
            .await?
            .is_some()
        {
            return Err(StoreError::Corrupt(format!(
                "{reference} exists but the counter says {last}"
            )));
        }
        self.write_event(&reference, &new.event).await?;
        self.write(
            "cases",
            &reference,
            &StoredCase {
                case: new.case.clone(),
                next_deadline: new.next_deadline,
            },
        )
        .await?;
        self.put_pending(&new.mails).await?;
        self.write("counters", &year.to_string(), &Counter { last: seq })
            .await?;
        self.write("confirmed", &to_file.draft_id, &reference)
            .await?;
        Ok(Confirmed {
            case: new.case,
            created: true,
        })
    }

    async fn get_confirmed(&self, draft_id: &str) -> Result<Option<Case>, StoreError> {
        match self.read::<String>("confirmed", draft_id).await? {
            Some(reference) => Ok(self
                .read::<StoredCase>("cases", &reference)
                .await?
                .map(|s| s.case)),
            None => Ok(None),
        }
    }

    async fn get_case(&self, reference: &str) -> Result<Option<CaseRecord>, StoreError> {
        let Some(stored) = self.read::<StoredCase>("cases", reference).await? else {
            return Ok(None);
        };
        let mut events: Vec<Event> = self.all(&Self::events_kind(reference)).await?;
        events.sort_by_key(|e| e.seq);
        Ok(Some(CaseRecord {
            case: stored.case,
            events,
        }))
    }

    async fn transition(&self, transition: &Transition) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let reference = &transition.case.reference;
        let current = self
            .read::<StoredCase>("cases", reference)
            .await?
            .ok_or(StoreError::Conflict)?;
        if current.case.version != transition.from_version {
            return Err(StoreError::Conflict);
        }
        if let Some(history) = &transition.history {
            let kind = Self::events_kind(reference);
            for old in self.all::<Event>(&kind).await? {
                self.remove(&kind, &format!("{:06}", old.seq)).await?;
            }
            for event in history {
                self.write_event(reference, event).await?;
            }
        }
        self.write_event(reference, &transition.event).await?;
        self.put_pending(&transition.mails).await?;
        self.write(
            "cases",
            reference,
            &StoredCase {
                case: transition.case.clone(),
                next_deadline: transition.next_deadline,
            },
        )
        .await
    }

    async fn assign_credit_note(
        &self,
        reference: &str,
        year: i32,
    ) -> Result<cbt::invoice::InvoiceNumber, StoreError> {
        let _guard = self.lock.lock().await;
        if let Some(number) = self
            .read::<cbt::invoice::InvoiceNumber>("credit_notes", reference)
            .await?
        {
            return Ok(number);
        }
        let key = format!("C-{year}");
        let last = self
            .read::<Counter>("counters", &key)
            .await?
            .map_or(0, |c| c.last);
        let number = cbt::invoice::InvoiceNumber {
            year,
            seq: last + 1,
        };
        // The case's number first: a crash between the two writes leaves
        // the counter behind, and the next credit note then fails loudly on
        // the number taken instead of skipping one.
        self.write("credit_notes", reference, &number).await?;
        self.write("counters", &key, &Counter { last: number.seq })
            .await?;
        Ok(number)
    }

    async fn credit_note_of(
        &self,
        reference: &str,
    ) -> Result<Option<cbt::invoice::InvoiceNumber>, StoreError> {
        self.read("credit_notes", reference).await
    }

    async fn all_cases(&self) -> Result<Vec<Case>, StoreError> {
        Ok(self
            .stored_cases()
            .await?
            .iter()
            .map(|s| s.case.clone())
            .collect())
    }

    async fn cases_in(&self, state: State) -> Result<Vec<Case>, StoreError> {
        let mut cases: Vec<StoredCase> = self
            .stored_cases()
            .await?
            .iter()
            .filter(|s| s.case.state == state)
            .cloned()
            .collect();
        // As DynamoDB's index sorts: by deadline, none last, then reference.
        cases.sort_by(|a, b| {
            (a.next_deadline.unwrap_or(NaiveDate::MAX), &a.case.reference)
                .cmp(&(b.next_deadline.unwrap_or(NaiveDate::MAX), &b.case.reference))
        });
        Ok(cases.into_iter().map(|s| s.case).collect())
    }

    async fn remove_case(&self, reference: &str) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let kind = Self::events_kind(reference);
        for old in self.all::<Event>(&kind).await? {
            self.remove(&kind, &format!("{:06}", old.seq)).await?;
        }
        let owner = Owner::Application(reference.to_string());
        self.purge::<Token>("tokens", |t| t.reference == reference)
            .await?;
        self.purge::<SentMail>("sent", |m| m.mail.owner == owner)
            .await?;
        self.purge::<SentIndex>("sent-ids", |i| i.owner == owner)
            .await?;
        self.remove("cases", reference).await
    }

    async fn put_token(&self, token: &Token) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("tokens", &token.hash, token).await
    }

    async fn token_case(&self, hash: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .read::<Token>("tokens", hash)
            .await?
            .map(|t| t.reference))
    }

    async fn claim_digest(
        &self,
        date: NaiveDate,
        digest: &str,
        mails: &[PendingMail],
    ) -> Result<bool, StoreError> {
        let _guard = self.lock.lock().await;
        if self
            .read::<String>("digests", &date.to_string())
            .await?
            .is_some()
        {
            return Ok(false);
        }
        self.write("digests", &date.to_string(), &digest).await?;
        self.put_pending(mails).await?;
        Ok(true)
    }

    async fn get_digest(&self, date: NaiveDate) -> Result<Option<String>, StoreError> {
        self.read("digests", &date.to_string()).await
    }

    async fn put_contact(
        &self,
        message: &ContactMessage,
        mails: &[MailKind],
    ) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("contacts", &message.id, message).await?;
        let owner = Owner::Contact(message.id.clone());
        self.put_pending(&pending(&owner, mails, 0, message.received))
            .await
    }

    async fn get_contact(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ContactMessage>, StoreError> {
        Ok(self
            .read::<ContactMessage>("contacts", id)
            .await?
            .filter(|m| m.expires > now))
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        let _guard = self.lock.lock().await;
        let files = self
            .all::<Draft>("drafts")
            .await?
            .into_iter()
            .filter(|d| d.expires <= now)
            .flat_map(|d| d.documents.into_iter().map(|doc| doc.key))
            .collect();
        // A contact message's mails (and the addresses their reports
        // name) go with the message.
        let gone: Vec<Owner> = self
            .all::<ContactMessage>("contacts")
            .await?
            .into_iter()
            .filter(|m| m.expires <= now)
            .map(|m| Owner::Contact(m.id))
            .collect();
        let items = self.purge::<Draft>("drafts", |d| d.expires <= now).await?
            + self
                .purge::<ContactMessage>("contacts", |m| m.expires <= now)
                .await?
            + self
                .purge::<SentMail>("sent", |m| gone.contains(&m.mail.owner))
                .await?
            + self
                .purge::<SentIndex>("sent-ids", |i| gone.contains(&i.owner))
                .await?
            + self
                .purge::<RateCount>("ratelimit", |c| c.expires <= now)
                .await?
            + self
                .purge::<AddressLink>("address_links", |l| l.expires <= now)
                .await?
            + self
                .purge::<AddressConfirmed>("address_confirmed", |c| c.expires <= now)
                .await?
            + self
                .purge::<SignInLink>("sign_ins", |l| l.expires <= now)
                .await?
            + self
                .purge::<Session>("sessions", |l| l.expires <= now)
                .await?;
        Ok(Purged { items, files })
    }

    async fn pending_mails(&self) -> Result<Vec<PendingMail>, StoreError> {
        let mut all: Vec<PendingMail> = self.all("pending").await?;
        all.sort_by(|a, b| {
            (a.since, &a.owner, a.kind, a.seq).cmp(&(b.since, &b.owner, b.kind, b.seq))
        });
        Ok(all)
    }

    async fn claim_mail(
        &self,
        mail: &PendingMail,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _guard = self.lock.lock().await;
        let key = Self::pending_key(mail);
        if self.read::<PendingMail>("pending", &key).await?.is_none() {
            return Ok(false);
        }
        if let Some(held) = self.read::<Lease>("leases", &key).await? {
            if held.until > now {
                return Ok(false);
            }
        }
        self.write("leases", &key, &Lease { until }).await?;
        Ok(true)
    }

    async fn release_mail(&self, mail: &PendingMail) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.remove("leases", &Self::pending_key(mail)).await
    }

    async fn mail_sent(&self, mail: &PendingMail, message_id: &str) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let key = Self::pending_key(mail);
        self.remove("leases", &key).await?;
        self.write(
            "sent",
            &key,
            &SentMail {
                mail: mail.clone(),
                message_id: message_id.to_string(),
                sent_at: Utc::now(),
                reports: Vec::new(),
            },
        )
        .await?;
        self.write(
            "sent-ids",
            message_id,
            &SentIndex {
                key: key.clone(),
                owner: mail.owner.clone(),
            },
        )
        .await?;
        self.remove("pending", &key).await
    }

    async fn sent_mails(&self, owner: &Owner) -> Result<Vec<SentMail>, StoreError> {
        let mut mine: Vec<SentMail> = self
            .all::<SentMail>("sent")
            .await?
            .into_iter()
            .filter(|m| &m.mail.owner == owner)
            .collect();
        mine.sort_by(|a, b| {
            (a.sent_at, a.mail.kind, a.mail.seq).cmp(&(b.sent_at, b.mail.kind, b.mail.seq))
        });
        Ok(mine)
    }

    async fn sent_mail(&self, message_id: &str) -> Result<Option<SentMail>, StoreError> {
        match self.read::<SentIndex>("sent-ids", message_id).await? {
            Some(index) => self.read("sent", &index.key).await,
            None => Ok(None),
        }
    }

    async fn record_report(
        &self,
        message_id: &str,
        report: &Report,
        notice: Option<&PendingMail>,
    ) -> Result<Recorded, StoreError> {
        let _guard = self.lock.lock().await;
        let Some(index) = self.read::<SentIndex>("sent-ids", message_id).await? else {
            return Ok(Recorded::Unknown);
        };
        let Some(mut sent) = self.read::<SentMail>("sent", &index.key).await? else {
            return Ok(Recorded::Unknown);
        };
        if sent.reports.iter().any(|r| r.key == report.key) {
            return Ok(Recorded::Again);
        }
        sent.reports.push(report.clone());
        if let Some(notice) = notice {
            self.put_pending(std::slice::from_ref(notice)).await?;
        }
        self.write("sent", &index.key, &sent).await?;
        Ok(Recorded::New(sent))
    }

    async fn staff(&self) -> Result<StaffList, StoreError> {
        Ok(self.read("staff", "list").await?.unwrap_or_default())
    }

    async fn save_staff(&self, list: &StaffList) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let kept: StaffList = self.read("staff", "list").await?.unwrap_or_default();
        if kept.version + 1 != list.version {
            return Err(StoreError::Conflict);
        }
        self.write("staff", "list", list).await
    }

    async fn put_sign_in(&self, link: &SignInLink) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("sign_ins", &link.hash, link).await
    }

    async fn take_sign_in(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        let _guard = self.lock.lock().await;
        let link = self.read::<SignInLink>("sign_ins", hash).await?;
        if link.is_some() {
            self.remove("sign_ins", hash).await?;
        }
        Ok(link.filter(|l| l.expires > now))
    }

    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("sessions", &session.hash, session).await
    }

    async fn session(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        Ok(self
            .read::<Session>("sessions", hash)
            .await?
            .filter(|s| s.expires > now))
    }

    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.remove("sessions", hash).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        // The time first, so the names sort; a counter keeps two lines of
        // one instant apart.
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let key = format!(
            "{}-{}-{n:08}",
            entry.at.format("%Y%m%dT%H%M%S%.6f"),
            std::process::id()
        );
        self.write("audit", &key, entry).await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut all = self.all::<AuditEntry>("audit").await?;
        all.sort_by_key(|b| std::cmp::Reverse(b.at));
        all.truncate(limit);
        Ok(all)
    }

    async fn claim_bank_entry(&self, entry: &BankEntry) -> Result<bool, StoreError> {
        let _guard = self.lock.lock().await;
        if self
            .read::<BankEntry>("bank_entries", &entry.key)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        self.write("bank_entries", &entry.key, entry).await?;
        Ok(true)
    }

    async fn put_passkey(&self, passkey: &PasskeyRecord) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write(
            "passkeys",
            &format!("{}_{}", passkey.user, passkey.id),
            passkey,
        )
        .await
    }

    async fn passkeys(&self, user: &str) -> Result<Vec<PasskeyRecord>, StoreError> {
        let mut all: Vec<PasskeyRecord> = self
            .all::<PasskeyRecord>("passkeys")
            .await?
            .into_iter()
            .filter(|p| p.user == user)
            .collect();
        all.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(all)
    }

    async fn delete_passkey(&self, user: &str, id: &str) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.remove("passkeys", &format!("{user}_{id}")).await
    }

    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("ceremonies", &ceremony.hash, ceremony).await
    }

    async fn take_ceremony(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError> {
        let _guard = self.lock.lock().await;
        let ceremony = self.read::<Ceremony>("ceremonies", hash).await?;
        if ceremony.is_some() {
            self.remove("ceremonies", hash).await?;
        }
        Ok(ceremony.filter(|c| c.expires > now))
    }

    async fn count_post(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let _guard = self.lock.lock().await;
        let item = format!("{key}-{}", window_start.timestamp());
        let count = self
            .read::<RateCount>("ratelimit", &item)
            .await?
            .map_or(0, |c| c.count)
            + 1;
        self.write("ratelimit", &item, &RateCount { count, expires })
            .await?;
        Ok(count)
    }
}

/// Uploaded documents in `dir/uploads/`.
pub struct LocalFiles {
    dir: PathBuf,
}

impl LocalFiles {
    pub fn new(data_dir: impl AsRef<Path>) -> LocalFiles {
        LocalFiles {
            dir: data_dir.as_ref().join("uploads"),
        }
    }

    fn path(&self, key: &str) -> Result<PathBuf, FilesError> {
        // Keys are ours (`drafts/<hex>/<safe name>`), but a path must never
        // leave the folder whatever a key holds.
        if key
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
            || key.contains('\\')
        {
            return Err(FilesError(format!("unsafe key {key:?}")));
        }
        Ok(self.dir.join(key))
    }
}

impl Files for LocalFiles {
    async fn put(&self, key: &str, bytes: &[u8], _content_type: &str) -> Result<(), FilesError> {
        write_atomic(&self.path(key)?, bytes)
            .await
            .map_err(|e| FilesError(e.to_string()))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FilesError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FilesError(e.to_string())),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), FilesError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(FilesError(e.to_string())),
        }
    }

    /// The local stand-in for GuardDuty: it knows one threat, the EICAR
    /// test file (what scanners agree to report, so a test can upload a
    /// "virus" safely), and calls everything else clean. It scans no more
    /// than that; the README says so.
    async fn scan(&self, key: &str) -> Result<Scan, FilesError> {
        Ok(match self.get(key).await? {
            None => Scan::Missing,
            Some(bytes) if contains(&bytes, EICAR) => Scan::Threat,
            Some(_) => Scan::Clean,
        })
    }
}

/// The EICAR anti-virus test file's signature, in two halves in the
/// source, so that a scanner on a developer's machine does not flag this
/// file itself.
pub const EICAR: &[u8] = concat!(
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
    "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
)
.as_bytes();

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every mail as a `.eml` file in `dir/outbox/`.
pub struct Outbox {
    dir: PathBuf,
    sequence: AtomicU64,
    print_sign_in: bool,
}

impl Outbox {
    pub fn new(data_dir: impl AsRef<Path>) -> Outbox {
        Outbox {
            dir: data_dir.as_ref().join("outbox"),
            sequence: AtomicU64::new(0),
            print_sign_in: false,
        }
    }

    /// Also prints each workspace sign-in link on stderr: `cbt-site serve
    /// --staff` gets a newcomer inside without opening a mail file.
    pub fn printing_sign_in_links(mut self) -> Outbox {
        self.print_sign_in = true;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for Outbox {
    async fn send(&self, message: &Message) -> Result<String, SendError> {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let stamp = Utc::now().format("%Y%m%dT%H%M%S%.6f");
        let name = format!("{stamp}-{n:04}-{}", message.kind.template());
        let id = format!("{name}@outbox.local");
        let bytes = crate::mime::to_mime(message, &id);
        write_atomic(&self.dir.join(format!("{name}.eml")), &bytes)
            .await
            .map_err(|e| SendError(e.to_string()))?;
        if self.print_sign_in && message.kind == MailKind::StaffSignIn {
            let link = message
                .text
                .split_whitespace()
                .find(|w| w.contains("/beheer/aanmelden/"));
            if let Some(link) = link {
                let to = message.to.first().map(|a| a.email.as_str()).unwrap_or("");
                eprintln!("beheer: aanmeldlink voor {to}: {link}");
            }
        }
        Ok(id)
    }
}

/// A map of every item, for tests: kind -> keys.
pub async fn inventory(data_dir: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let root = data_dir.join("store");
    if let Ok(mut kinds) = tokio::fs::read_dir(&root).await {
        while let Ok(Some(kind)) = kinds.next_entry().await {
            let mut keys = Vec::new();
            if let Ok(mut items) = tokio::fs::read_dir(kind.path()).await {
                while let Ok(Some(item)) = items.next_entry().await {
                    keys.push(
                        item.file_name()
                            .to_string_lossy()
                            .trim_end_matches(".json")
                            .to_string(),
                    );
                }
            }
            keys.sort();
            out.insert(kind.file_name().to_string_lossy().to_string(), keys);
        }
    }
    out
}
