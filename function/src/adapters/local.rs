//! The ports on a local folder, so the whole site runs with working forms
//! on a laptop: no AWS account, no emulator.
//!
//! Layout under the data folder:
//! - `store/`: one JSON file per item (drafts, applications, the invoice
//!   counter per year, contact messages, pending mails, rate-limit counts);
//! - `uploads/`: the uploaded documents;
//! - `outbox/`: every mail as a `.eml` file a person can open.
//!
//! One lock serialises the store's changes: `serve` runs one process, and
//! within it concurrent requests are safe. Files are written to a temporary
//! name and renamed, so a crash never leaves half an item.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cbt::mail::{MailKind, Message};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::ports::*;

/// Writes `bytes` to `path` atomically.
async fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
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

#[derive(Serialize, Deserialize)]
struct SentMail {
    owner: Owner,
    kind: MailKind,
    message_id: String,
}

impl LocalStore {
    pub fn new(data_dir: impl AsRef<Path>) -> LocalStore {
        LocalStore {
            dir: data_dir.as_ref().join("store"),
            lock: Mutex::new(()),
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

    fn pending_key(owner: &Owner, kind: MailKind) -> String {
        let (t, id) = match owner {
            Owner::Application(r) => ("app", r),
            Owner::Contact(i) => ("contact", i),
        };
        format!("{t}-{id}-{}", kind.template())
    }
}

impl Store for LocalStore {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("drafts", &draft.id, draft).await
    }

    async fn get_draft(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Draft>, StoreError> {
        Ok(self
            .read::<Draft>("drafts", id)
            .await?
            .filter(|d| d.expires > now))
    }

    async fn confirm(&self, to_file: &ToFile) -> Result<Confirmed, StoreError> {
        let _guard = self.lock.lock().await;
        if let Some(reference) = self.read::<String>("confirmed", &to_file.draft_id).await? {
            let filing = self
                .read::<Filing>("applications", &reference)
                .await?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("{reference} is confirmed but missing"))
                })?;
            return Ok(Confirmed {
                filing,
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
        let (filing, mails) = to_file.numbered(seq);
        let reference = filing.reference.clone();
        // Order matters for a crash between writes: the filing first,
        // then the counter, then the marker; a rerun then finds the number
        // taken (the filing exists) and cannot hand it out twice.
        if self
            .read::<Filing>("applications", &reference)
            .await?
            .is_some()
        {
            return Err(StoreError::Corrupt(format!(
                "{reference} exists but the counter says {last}"
            )));
        }
        self.write("applications", &reference, &filing).await?;
        for mail in &mails {
            let key = Self::pending_key(&mail.owner, mail.kind);
            self.write("pending", &key, mail).await?;
        }
        self.write("counters", &year.to_string(), &Counter { last: seq })
            .await?;
        self.write("confirmed", &to_file.draft_id, &reference)
            .await?;
        Ok(Confirmed {
            filing,
            created: true,
        })
    }

    async fn get_confirmed(&self, draft_id: &str) -> Result<Option<Filing>, StoreError> {
        match self.read::<String>("confirmed", draft_id).await? {
            Some(reference) => self.read("applications", &reference).await,
            None => Ok(None),
        }
    }

    async fn get_filing(&self, reference: &str) -> Result<Option<Filing>, StoreError> {
        self.read("applications", reference).await
    }

    async fn put_contact(
        &self,
        message: &ContactMessage,
        mails: &[MailKind],
    ) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        self.write("contacts", &message.id, message).await?;
        for kind in mails {
            let owner = Owner::Contact(message.id.clone());
            let key = Self::pending_key(&owner, *kind);
            self.write(
                "pending",
                &key,
                &PendingMail {
                    owner,
                    kind: *kind,
                    since: message.received,
                },
            )
            .await?;
        }
        Ok(())
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

    async fn pending_mails(&self) -> Result<Vec<PendingMail>, StoreError> {
        let mut all: Vec<PendingMail> = self.all("pending").await?;
        all.sort_by(|a, b| (a.since, &a.owner, a.kind).cmp(&(b.since, &b.owner, b.kind)));
        Ok(all)
    }

    async fn mail_sent(
        &self,
        owner: &Owner,
        kind: MailKind,
        message_id: &str,
    ) -> Result<(), StoreError> {
        let _guard = self.lock.lock().await;
        let key = Self::pending_key(owner, kind);
        self.write(
            "sent",
            &key,
            &SentMail {
                owner: owner.clone(),
                kind,
                message_id: message_id.to_string(),
            },
        )
        .await?;
        self.remove("pending", &key).await
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
}

/// Every mail as a `.eml` file in `dir/outbox/`.
pub struct Outbox {
    dir: PathBuf,
    sequence: AtomicU64,
}

impl Outbox {
    pub fn new(data_dir: impl AsRef<Path>) -> Outbox {
        Outbox {
            dir: data_dir.as_ref().join("outbox"),
            sequence: AtomicU64::new(0),
        }
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
