//! The ports on AWS: [`DynamoStore`] (one DynamoDB table), [`S3Files`] (a
//! private S3 bucket) and [`SesMailer`] (SES v2, raw messages). The same
//! contract suite as the local adapters (`tests/contract.rs`) runs against
//! these over the wire (`tests/aws_contract.rs`, on moto and
//! aws-ses-v2-local).
//!
//! # The table
//!
//! One table, string keys `pk` (partition) and `sk` (sort), PAY_PER_REQUEST,
//! with DynamoDB TTL on the numeric attribute `expires_at` (epoch seconds).
//! Values are kept as a JSON string in `data` (the serde form of the port's
//! type); numbers DynamoDB must count with are numbers (`N`).
//!
//! | item | `pk` | `sk` | attributes | `expires_at` (TTL) |
//! |---|---|---|---|---|
//! | draft | `DRAFT#<id>` | `DRAFT` | `data` (the [`Draft`]), `sends` (N: how often its address check's mails were asked for, once sent) | the draft's expiry |
//! | an address that confirmed | `DRAFT#<id>` | `ADDRESS#<role>` | `at` | the draft's expiry |
//! | address link | `ADDRLINK#<hash>` | `ADDRLINK` | `data` (the [`AddressLink`]) | the draft's expiry |
//! | draft -> case marker | `DRAFT#<id>` | `CONFIRMED` | `reference` | none |
//! | case | `CASE#<reference>` | `CASE` | `data` (the [`Case`]), `version` (N), `state`, `invoice_number`, `draft_id`, `gsi1pk` = `STATE#<state>`, `gsi1sk` = `<next deadline YYYY-MM-DD, or 9999-12-31>#<reference>` | none |
//! | case event | `CASE#<reference>` | `EVENT#<seq, 6 digits>` | `data` (the [`Event`]) | none |
//! | a case's link | `CASE#<reference>` | `TOKEN#<hash>` | (to find its links when the case goes) | none |
//! | personal link | `TOKEN#<hash>` | `TOKEN` | `reference`, `created` | none |
//! | invoice counter | `COUNTER#<year>` | `COUNTER` | `last` (N: the last number handed out) | none |
//! | credit note counter | `COUNTER#C-<year>` | `COUNTER` | `last` | none |
//! | a case's credit note number | `CASE#<reference>` | `CREDIT_NOTE` | `data` (JSON: year, seq) | none |
//! | digest | `DIGEST#<YYYY-MM-DD>` | `DIGEST` | `data` (the digest's JSON) | none |
//! | contact message | `CONTACT#<id>` | `CONTACT` | `data` (the [`ContactMessage`]) | the retention's end |
//! | pending mail | `PENDING` | `<since>#<owner>#<kind>#<seq>` | `data` (the [`PendingMail`]), `owner`, `kind`, `lease_until` (N, epoch ms: a sender's claim) | none |
//! | sent mail | `SENT#<owner>` | `<kind>#<seq>` | `message_id`, `sent_at`, `owner`, `kind`, `data` (the [`SentMail`] with its reports) | a contact message's |
//! | a mail's id | `MESSAGE#<mailer's id>` | `MESSAGE` | `sent_pk`, `sent_sk` (the sent mail's key) | a contact message's |
//! | rate-limit count | `RATE#<key>` | `<window start, epoch seconds>` | `count` (N, via `ADD`) | as the handler sets it (window start + 2 h) |
//! | staff list | `STAFF` | `STAFF` | `data` (the [`StaffList`]), `version` (N; saved if it is the one read) | none |
//! | workspace sign-in link | `SIGNIN#<hash>` | `SIGNIN` | `data` (the [`SignInLink`]; taken by a `DeleteItem` that returns it) | the link's end (15 min) |
//! | workspace session | `SESSION#<hash>` | `SESSION` | `data` (the [`Session`]) | the session's end |
//! | audit log line | `AUDIT` | `<at, RFC 3339 µs>#<random>` | `data` (the [`AuditEntry`]; read newest first) | none |
//! | bank entry read in | `BANK#<entry key>` | `BANK` | `data` (the [`BankEntry`]; put if absent) | none |
//!
//! The global secondary index `gsi1` (`gsi1pk`, `gsi1sk`; all attributes)
//! lists the cases of a state by their nearest deadline: the schedule's
//! reminders, digest and retention read it. Like every GSI it is
//! eventually consistent: a case changed a moment ago may show its old
//! state for a moment, which a daily digest and a reminder can bear.
//!
//! - `<owner>` is `APP#<reference>`, `CONTACT#<id>`, `DIGEST#<date>` or `DRAFT#<id>`; `<kind>` the mail
//!   kind's snake_case name (`invoice`, `application_confirmation`, ...);
//!   `<since>` is RFC 3339 UTC with microseconds
//!   (`2031-03-01T12:00:00.000000Z`), fixed width, so a Query on
//!   `pk = PENDING` lists the pending mails oldest first (the scheduled
//!   retry reports the oldest's age).
//! - Confirming a draft is ONE `TransactWriteItems` (the core says what
//!   to write, [`ToFile::numbered`]; the year is that of the Amsterdam
//!   date, [`ToFile::year`]): the year's counter
//!   (`SET last = :next` if `last = :prev`, or if there is no counter yet),
//!   the case (if it does not exist), the marker (if it does not exist),
//!   its first event and one pending item per mail.
//! - A case's change is ONE `TransactWriteItems` too: the case, on the
//!   condition `version = <the version it was decided on>`, its event (if
//!   it does not exist) and its pending mails. A failed condition is
//!   [`StoreError::Conflict`]: another change came first. Either all of it is written or
//!   none: invoice numbers are unique and without gaps. When the marker's
//!   condition fails, the draft was confirmed before; when the counter's
//!   fails, another confirmation took the number: read the counter again
//!   and retry (at most [`CONFIRM_ATTEMPTS`] times, with jittered backoff).
//! - A sender claims a pending mail before sending it: `UpdateItem` that
//!   sets `lease_until` if the item exists and no unexpired claim is on
//!   it. Marking a mail sent is one transaction: delete the pending item
//!   (and its claim with it), put the sent item.
//! - Sending an application for its address check is one transaction: the
//!   draft, on the condition that its `sends` is lower than the new one
//!   (two clicks send the mails once), and its pending mails. Each address
//!   that confirms is an item of its own in the draft's partition, so two
//!   addresses confirming at once cannot undo each other; `get_draft`
//!   reads the partition.
//! - TTL deletes lazily (up to days late), so reads check `expires` too.
//! - Cases, events, counters, markers and sent items have no TTL: they are
//!   the administration, removed by the schedule when their retention ends. Pending items have none either: they go when sent.
//!   Uploaded documents live in S3, not here.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use cbt::case::{Case, Event, State};
use cbt::mail::{MailKind, Message};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ports::*;

/// How often a confirmation tries again when others took the number first.
pub const CONFIRM_ATTEMPTS: u32 = 50;

type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn unavailable<E: std::error::Error>(e: E) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

fn build_error(e: aws_smithy_types::error::operation::BuildError) -> StoreError {
    StoreError::Unavailable(format!("building a request: {e}"))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The `data` attribute of `item`, parsed.
fn data<T: DeserializeOwned>(item: &Item, what: &str) -> Result<T, StoreError> {
    let text = string(item, "data", what)?;
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn string<'a>(item: &'a Item, name: &str, what: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!(
            "{what}: attribute {name} is missing or not a string"
        ))),
    }
}

fn number(item: &Item, name: &str, what: &str) -> Result<u32, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{what}: {name} = {v:?} is not a count"))),
        _ => Err(StoreError::Corrupt(format!(
            "{what}: attribute {name} is missing or not a number"
        ))),
    }
}

/// An owner as it appears in keys: `APP#<reference>` or `CONTACT#<id>`.
pub fn owner_key(owner: &Owner) -> String {
    match owner {
        Owner::Application(reference) => format!("APP#{reference}"),
        Owner::Contact(id) => format!("CONTACT#{id}"),
        Owner::Digest(date) => format!("DIGEST#{date}"),
        Owner::Draft(id) => format!("DRAFT#{id}"),
        Owner::Delivery { message_id, report } => format!("DELIVERY#{message_id}#{report}"),
    }
}

/// A mail kind as it appears in keys: its snake_case name.
pub fn kind_key(kind: MailKind) -> Result<String, StoreError> {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        other => Err(StoreError::Corrupt(format!(
            "mail kind {kind:?} has no name: {other:?}"
        ))),
    }
}

/// The sort key of a pending mail; sorts oldest first.
pub fn pending_sort_key(mail: &PendingMail) -> Result<String, StoreError> {
    Ok(format!(
        "{}#{}#{}#{}",
        mail.since.to_rfc3339_opts(SecondsFormat::Micros, true),
        owner_key(&mail.owner),
        kind_key(mail.kind)?,
        mail.seq
    ))
}

/// A random number for backoff jitter; without entropy, no jitter.
fn jitter() -> u64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => 0,
    }
}

/// Keeps everything in one DynamoDB table; see the module documentation
/// for the item layout.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

/// The name of the index of cases by state and deadline.
pub const CASES_INDEX: &str = "gsi1";

/// The index's sort key for a case: its nearest deadline first.
fn case_sort_key(next_deadline: Option<NaiveDate>, reference: &str) -> String {
    let date = next_deadline.map_or_else(|| "9999-12-31".to_string(), |d| d.to_string());
    format!("{date}#{reference}")
}

/// What one confirmation attempt came to.
enum Attempt {
    Done(Box<Case>),
    AlreadyConfirmed,
    /// Another confirmation took the number first.
    NumberTaken,
}

impl DynamoStore {
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.into(),
        }
    }

    fn key(pk: &str, sk: &str) -> Item {
        HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
    }

    /// Deletes the item and returns what was there: of two requests for
    /// one single-use item (a sign-in link, a passkey ceremony), only one
    /// gets it back.
    async fn take(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.filter(|item| !item.is_empty()))
    }

    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    fn put_op(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn case_item(
        case: &Case,
        next_deadline: Option<NaiveDate>,
        draft_id: Option<&str>,
    ) -> Result<Item, StoreError> {
        let mut item = Self::key(&format!("CASE#{}", case.reference), "CASE");
        item.insert("data".into(), s(to_json(case)?));
        item.insert("version".into(), n(case.version));
        item.insert("state".into(), s(case.state.key()));
        item.insert("invoice_number".into(), s(case.invoice_number.to_string()));
        item.insert("gsi1pk".into(), s(format!("STATE#{}", case.state.key())));
        item.insert(
            "gsi1sk".into(),
            s(case_sort_key(next_deadline, &case.reference)),
        );
        if let Some(id) = draft_id {
            item.insert("draft_id".into(), s(id));
        }
        Ok(item)
    }

    fn event_item(reference: &str, event: &Event) -> Result<Item, StoreError> {
        let mut item = Self::key(
            &format!("CASE#{reference}"),
            &format!("EVENT#{:06}", event.seq),
        );
        item.insert("data".into(), s(to_json(event)?));
        Ok(item)
    }

    /// Every item of one partition.
    /// The sent mail the mailer knows as `message_id`: its item and what
    /// it holds.
    async fn sent_item(&self, message_id: &str) -> Result<Option<(Item, SentMail)>, StoreError> {
        let Some(pointer) = self
            .get(&format!("MESSAGE#{message_id}"), "MESSAGE")
            .await?
        else {
            return Ok(None);
        };
        let (pk, sk) = (
            string(&pointer, "sent_pk", "mail id")?,
            string(&pointer, "sent_sk", "mail id")?,
        );
        match self.get(pk, sk).await? {
            Some(item) => {
                let mail = data::<SentMail>(&item, "sent mail")?;
                Ok(Some((item, mail)))
            }
            None => Ok(None),
        }
    }

    async fn partition(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The codes of a cancelled transaction, in the order of its items.
    fn cancellation_reasons<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<String>> {
        match err {
            SdkError::ServiceError(service) => match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
                    cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None").to_string())
                        .collect(),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    fn pending_item(mail: &PendingMail) -> Result<Item, StoreError> {
        let mut item = Self::key("PENDING", &pending_sort_key(mail)?);
        item.insert("data".into(), s(to_json(mail)?));
        item.insert("owner".into(), s(owner_key(&mail.owner)));
        item.insert("kind".into(), s(kind_key(mail.kind)?));
        Ok(item)
    }

    /// The year's last invoice number, if any was handed out.
    async fn counter(&self, year: i32) -> Result<Option<u32>, StoreError> {
        match self.get(&format!("COUNTER#{year}"), "COUNTER").await? {
            Some(item) => Ok(Some(number(&item, "last", &format!("counter {year}"))?)),
            None => Ok(None),
        }
    }

    /// One try at filing: read the counter, then one transaction.
    async fn try_confirm(&self, to_file: &ToFile) -> Result<Attempt, StoreError> {
        let year = to_file.year();
        let previous = self.counter(year).await?;
        let seq = previous
            .unwrap_or(0)
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt(format!("counter {year} is full")))?;
        let new = to_file.numbered(seq);
        let reference = new.case.reference.clone();

        let counter = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key(&format!("COUNTER#{year}"), "COUNTER")))
            .update_expression("SET #last = :next")
            .expression_attribute_names("#last", "last")
            .expression_attribute_values(":next", n(seq));
        let counter = match previous {
            Some(prev) => counter
                .condition_expression("#last = :prev")
                .expression_attribute_values(":prev", n(prev)),
            None => counter.condition_expression("attribute_not_exists(pk)"),
        };
        let mut ops = vec![TransactWriteItem::builder()
            .update(counter.build().map_err(build_error)?)
            .build()];
        ops.push(self.put_op(
            Self::case_item(&new.case, new.next_deadline, Some(&to_file.draft_id))?,
            Some("attribute_not_exists(pk)"),
        )?);
        let mut marker = Self::key(&format!("DRAFT#{}", to_file.draft_id), "CONFIRMED");
        marker.insert("reference".into(), s(&reference));
        ops.push(self.put_op(marker, Some("attribute_not_exists(pk)"))?);
        ops.push(self.put_op(Self::event_item(&reference, &new.event)?, None)?);
        for pending in &new.mails {
            ops.push(self.put_op(Self::pending_item(pending)?, None)?);
        }

        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .send()
            .await;
        let Err(err) = result else {
            return Ok(Attempt::Done(Box::new(new.case)));
        };
        // The reasons come in the order of the items: counter, case,
        // marker, event, pending mails.
        let reasons: Vec<String> = match &err {
            SdkError::ServiceError(service) => match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_string())
                    .collect(),
                // Another transaction on the same items is in flight: retry.
                TransactWriteItemsError::TransactionInProgressException(_) => {
                    return Ok(Attempt::NumberTaken)
                }
                _ => return Err(unavailable(err)),
            },
            _ => return Err(unavailable(err)),
        };
        let code = |i: usize| reasons.get(i).map(String::as_str).unwrap_or("None");
        if code(2) == "ConditionalCheckFailed" {
            return Ok(Attempt::AlreadyConfirmed);
        }
        // Another confirmation took the number, or was writing the same
        // items at the same moment: read the counter again and retry.
        if code(0) == "ConditionalCheckFailed" || reasons.iter().any(|c| c == "TransactionConflict")
        {
            return Ok(Attempt::NumberTaken);
        }
        if code(1) == "ConditionalCheckFailed" {
            return Err(StoreError::Corrupt(format!(
                "{reference} exists but counter {year} says {}",
                previous.unwrap_or(0)
            )));
        }
        if reasons.iter().all(|c| c == "None") {
            // No reasons given: decide by what is stored now.
            if self
                .get(&format!("DRAFT#{}", to_file.draft_id), "CONFIRMED")
                .await?
                .is_some()
            {
                return Ok(Attempt::AlreadyConfirmed);
            }
            return Ok(Attempt::NumberTaken);
        }
        Err(StoreError::Unavailable(format!(
            "confirming was cancelled: {}",
            reasons.join(", ")
        )))
    }
}

impl Store for DynamoStore {
    async fn put_draft(&self, draft: &Draft) -> Result<(), StoreError> {
        let mut item = Self::key(&format!("DRAFT#{}", draft.id), "DRAFT");
        item.insert("data".into(), s(to_json(draft)?));
        item.insert("expires_at".into(), n(draft.expires.timestamp()));
        self.put(item).await
    }

    async fn get_draft(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Draft>, StoreError> {
        let mut draft = None;
        let mut confirmed = Vec::new();
        for item in self.partition(&format!("DRAFT#{id}")).await? {
            let sk = string(&item, "sk", "draft item")?;
            if sk == "DRAFT" {
                draft = Some(data::<Draft>(&item, "draft")?);
            } else if let Some(role) = sk.strip_prefix("ADDRESS#") {
                if let Some(role) = cbt::address_check::AddressRole::from_key(role) {
                    confirmed.push(role);
                }
            }
        }
        confirmed.sort();
        Ok(draft.filter(|d| d.expires > now).map(|mut d| {
            d.confirmed = confirmed;
            d
        }))
    }

    async fn submit_draft(&self, draft: &Draft, mails: &[PendingMail]) -> Result<bool, StoreError> {
        let sends = draft.check.as_ref().map_or(0, |c| c.sends);
        let mut item = Self::key(&format!("DRAFT#{}", draft.id), "DRAFT");
        item.insert("data".into(), s(to_json(draft)?));
        item.insert("expires_at".into(), n(draft.expires.timestamp()));
        item.insert("sends".into(), n(sends));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#sends) OR #sends < :sends")
            .expression_attribute_names("#sends", "sends")
            .expression_attribute_values(":sends", n(sends))
            .build()
            .map_err(build_error)?;
        let mut ops = vec![TransactWriteItem::builder().put(put).build()];
        for pending in mails {
            ops.push(self.put_op(Self::pending_item(pending)?, None)?);
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) => match Self::cancellation_reasons(&err) {
                Some(reasons)
                    if reasons.first().is_some_and(|c| {
                        c == "ConditionalCheckFailed" || c == "TransactionConflict"
                    }) =>
                {
                    Ok(false)
                }
                _ => Err(unavailable(err)),
            },
        }
    }

    async fn put_address_link(&self, link: &AddressLink) -> Result<(), StoreError> {
        let mut item = Self::key(&format!("ADDRLINK#{}", link.hash), "ADDRLINK");
        item.insert("data".into(), s(to_json(link)?));
        item.insert("expires_at".into(), n(link.expires.timestamp()));
        self.put(item).await
    }

    async fn address_link(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AddressLink>, StoreError> {
        match self.get(&format!("ADDRLINK#{hash}"), "ADDRLINK").await? {
            Some(item) => {
                Ok(Some(data::<AddressLink>(&item, "address link")?).filter(|l| l.expires > now))
            }
            None => Ok(None),
        }
    }

    async fn confirm_address(
        &self,
        draft_id: &str,
        role: cbt::address_check::AddressRole,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut item = Self::key(
            &format!("DRAFT#{draft_id}"),
            &format!("ADDRESS#{}", role.key()),
        );
        item.insert(
            "at".into(),
            s(at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        item.insert("expires_at".into(), n(expires.timestamp()));
        // The first confirmation is the one kept; a second changes nothing.
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn confirm(&self, to_file: &ToFile) -> Result<Confirmed, StoreError> {
        for attempt in 0..CONFIRM_ATTEMPTS {
            match self.try_confirm(to_file).await? {
                Attempt::Done(case) => {
                    return Ok(Confirmed {
                        case: *case,
                        created: true,
                    })
                }
                Attempt::AlreadyConfirmed => {
                    let case = self
                        .get_confirmed(&to_file.draft_id)
                        .await?
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "draft {} is confirmed but its case is missing",
                                to_file.draft_id
                            ))
                        })?;
                    return Ok(Confirmed {
                        case,
                        created: false,
                    });
                }
                Attempt::NumberTaken => {
                    // Full jitter, doubling from 10 ms up to 200 ms.
                    let cap = (10u64 << attempt.min(5)).min(200);
                    tokio::time::sleep(Duration::from_millis(jitter() % (cap + 1))).await;
                }
            }
        }
        tracing::warn!(
            attempts = CONFIRM_ATTEMPTS,
            "confirming kept losing the race for the invoice number"
        );
        Err(StoreError::Contention)
    }

    async fn get_confirmed(&self, draft_id: &str) -> Result<Option<Case>, StoreError> {
        match self.get(&format!("DRAFT#{draft_id}"), "CONFIRMED").await? {
            Some(marker) => {
                let reference = string(&marker, "reference", "confirmation marker")?.to_string();
                match self.get(&format!("CASE#{reference}"), "CASE").await? {
                    Some(item) => Ok(Some(data(&item, "case")?)),
                    None => Ok(None),
                }
            }
            None => Ok(None),
        }
    }

    async fn get_case(&self, reference: &str) -> Result<Option<CaseRecord>, StoreError> {
        let mut case = None;
        let mut events = Vec::new();
        for item in self.partition(&format!("CASE#{reference}")).await? {
            let sk = string(&item, "sk", "case item")?;
            if sk == "CASE" {
                case = Some(data::<Case>(&item, "case")?);
            } else if sk.starts_with("EVENT#") {
                events.push(data::<Event>(&item, "event")?);
            }
        }
        events.sort_by_key(|e| e.seq);
        Ok(case.map(|case| CaseRecord { case, events }))
    }

    async fn transition(&self, transition: &Transition) -> Result<(), StoreError> {
        let reference = &transition.case.reference;
        // A rewritten history (retention) is written first and apart: it
        // can be longer than a transaction takes, and writing it twice
        // writes the same.
        if let Some(history) = &transition.history {
            for event in history {
                self.put(Self::event_item(reference, event)?).await?;
            }
        }
        let case = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::case_item(
                &transition.case,
                transition.next_deadline,
                None,
            )?))
            .condition_expression("#version = :from")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":from", n(transition.from_version))
            .build()
            .map_err(build_error)?;
        let mut ops = vec![TransactWriteItem::builder().put(case).build()];
        ops.push(self.put_op(
            Self::event_item(reference, &transition.event)?,
            Some("attribute_not_exists(pk)"),
        )?);
        for pending in &transition.mails {
            ops.push(self.put_op(Self::pending_item(pending)?, None)?);
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => match Self::cancellation_reasons(&err) {
                Some(reasons)
                    if reasons
                        .iter()
                        .any(|c| c == "ConditionalCheckFailed" || c == "TransactionConflict") =>
                {
                    Err(StoreError::Conflict)
                }
                _ => Err(unavailable(err)),
            },
        }
    }

    async fn assign_credit_note(
        &self,
        reference: &str,
        year: i32,
    ) -> Result<cbt::invoice::InvoiceNumber, StoreError> {
        // The case's number and the year's counter in one transaction, on
        // the counter's value as read: a race makes one of two writers
        // read again, so the series has no gap and no number twice.
        for _ in 0..20 {
            if let Some(number) = self.credit_note_of(reference).await? {
                return Ok(number);
            }
            let counter_pk = format!("COUNTER#C-{year}");
            let previous = match self.get(&counter_pk, "COUNTER").await? {
                Some(item) => Some(number(&item, "last", &format!("counter C-{year}"))?),
                None => None,
            };
            let seq = previous
                .unwrap_or(0)
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt(format!("counter C-{year} is full")))?;
            let credit = cbt::invoice::InvoiceNumber { year, seq };
            let counter = Update::builder()
                .table_name(&self.table)
                .set_key(Some(Self::key(&counter_pk, "COUNTER")))
                .update_expression("SET #last = :next")
                .expression_attribute_names("#last", "last")
                .expression_attribute_values(":next", n(seq));
            let counter = match previous {
                Some(prev) => counter
                    .condition_expression("#last = :prev")
                    .expression_attribute_values(":prev", n(prev)),
                None => counter.condition_expression("attribute_not_exists(pk)"),
            };
            let mut item = Self::key(&format!("CASE#{reference}"), "CREDIT_NOTE");
            item.insert("data".into(), s(to_json(&credit)?));
            let ops = vec![
                TransactWriteItem::builder()
                    .update(counter.build().map_err(build_error)?)
                    .build(),
                self.put_op(item, Some("attribute_not_exists(pk)"))?,
            ];
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(ops))
                .send()
                .await
            {
                Ok(_) => return Ok(credit),
                Err(SdkError::ServiceError(service))
                    if matches!(
                        service.err(),
                        TransactWriteItemsError::TransactionCanceledException(_)
                            | TransactWriteItemsError::TransactionInProgressException(_)
                    ) =>
                {
                    continue
                }
                Err(err) => return Err(unavailable(err)),
            }
        }
        Err(StoreError::Unavailable(format!(
            "no credit note number for {reference}: too many concurrent writers"
        )))
    }

    async fn credit_note_of(
        &self,
        reference: &str,
    ) -> Result<Option<cbt::invoice::InvoiceNumber>, StoreError> {
        match self
            .get(&format!("CASE#{reference}"), "CREDIT_NOTE")
            .await?
        {
            Some(item) => Ok(Some(data(&item, "credit note")?)),
            None => Ok(None),
        }
    }

    async fn all_cases(&self) -> Result<Vec<Case>, StoreError> {
        // The state index holds every case under its state's key: eight
        // queries read them all, without a scan of the table's other items.
        let mut cases = Vec::new();
        for state in State::ALL {
            cases.extend(self.cases_in(state).await?);
        }
        Ok(cases)
    }

    async fn cases_in(&self, state: State) -> Result<Vec<Case>, StoreError> {
        let mut cases = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(CASES_INDEX)
                .key_condition_expression("gsi1pk = :state")
                .expression_attribute_values(":state", s(format!("STATE#{}", state.key())))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                cases.push(data::<Case>(&item, "case")?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(cases)
    }

    async fn remove_case(&self, reference: &str) -> Result<(), StoreError> {
        let pk = format!("CASE#{reference}");
        for item in self.partition(&pk).await? {
            let sk = string(&item, "sk", "case item")?.to_string();
            if let Some(hash) = sk.strip_prefix("TOKEN#") {
                self.delete(&format!("TOKEN#{hash}"), "TOKEN").await?;
            }
            self.delete(&pk, &sk).await?;
        }
        let sent = format!(
            "SENT#{}",
            owner_key(&Owner::Application(reference.to_string()))
        );
        for item in self.partition(&sent).await? {
            let sk = string(&item, "sk", "sent mail")?.to_string();
            if let Some(AttributeValue::S(id)) = item.get("message_id") {
                self.delete(&format!("MESSAGE#{id}"), "MESSAGE").await?;
            }
            self.delete(&sent, &sk).await?;
        }
        Ok(())
    }

    async fn put_token(&self, token: &Token) -> Result<(), StoreError> {
        let mut lookup = Self::key(&format!("TOKEN#{}", token.hash), "TOKEN");
        lookup.insert("reference".into(), s(&token.reference));
        lookup.insert(
            "created".into(),
            s(token.created.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        let listed = Self::key(
            &format!("CASE#{}", token.reference),
            &format!("TOKEN#{}", token.hash),
        );
        self.client
            .transact_write_items()
            .set_transact_items(Some(vec![
                self.put_op(lookup, None)?,
                self.put_op(listed, None)?,
            ]))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn token_case(&self, hash: &str) -> Result<Option<String>, StoreError> {
        match self.get(&format!("TOKEN#{hash}"), "TOKEN").await? {
            Some(item) => Ok(Some(string(&item, "reference", "link")?.to_string())),
            None => Ok(None),
        }
    }

    async fn claim_digest(
        &self,
        date: NaiveDate,
        digest: &str,
        mails: &[PendingMail],
    ) -> Result<bool, StoreError> {
        let mut item = Self::key(&format!("DIGEST#{date}"), "DIGEST");
        item.insert("data".into(), s(digest));
        let mut ops = vec![self.put_op(item, Some("attribute_not_exists(pk)"))?];
        for pending in mails {
            ops.push(self.put_op(Self::pending_item(pending)?, None)?);
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) => match Self::cancellation_reasons(&err) {
                Some(reasons)
                    if reasons
                        .first()
                        .is_some_and(|c| c == "ConditionalCheckFailed") =>
                {
                    Ok(false)
                }
                _ => Err(unavailable(err)),
            },
        }
    }

    async fn get_digest(&self, date: NaiveDate) -> Result<Option<String>, StoreError> {
        match self.get(&format!("DIGEST#{date}"), "DIGEST").await? {
            Some(item) => Ok(Some(string(&item, "data", "digest")?.to_string())),
            None => Ok(None),
        }
    }

    async fn purge_expired(&self, _now: DateTime<Utc>) -> Result<Purged, StoreError> {
        // DynamoDB's TTL deletes expired items, S3's lifecycle rule the
        // drafts' uploads; reads never return what expired.
        Ok(Purged::default())
    }

    async fn put_contact(
        &self,
        message: &ContactMessage,
        mails: &[MailKind],
    ) -> Result<(), StoreError> {
        let mut item = Self::key(&format!("CONTACT#{}", message.id), "CONTACT");
        item.insert("data".into(), s(to_json(message)?));
        item.insert("expires_at".into(), n(message.expires.timestamp()));
        let mut ops = vec![self.put_op(item, None)?];
        let owner = Owner::Contact(message.id.clone());
        for pending in pending(&owner, mails, 0, message.received) {
            ops.push(self.put_op(Self::pending_item(&pending)?, None)?);
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_contact(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ContactMessage>, StoreError> {
        match self.get(&format!("CONTACT#{id}"), "CONTACT").await? {
            Some(item) => {
                Ok(Some(data::<ContactMessage>(&item, "contact message")?)
                    .filter(|m| m.expires > now))
            }
            None => Ok(None),
        }
    }

    async fn pending_mails(&self) -> Result<Vec<PendingMail>, StoreError> {
        let mut all = self
            .partition("PENDING")
            .await?
            .iter()
            .map(|item| data::<PendingMail>(item, "pending mail"))
            .collect::<Result<Vec<_>, _>>()?;
        // The sort key orders by time already; ties as the local store does.
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
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key("PENDING", &pending_sort_key(mail)?)))
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
            )
            .update_expression("SET lease_until = :until")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn release_mail(&self, mail: &PendingMail) -> Result<(), StoreError> {
        let released = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key("PENDING", &pending_sort_key(mail)?)))
            // Not on a mail that went meanwhile: REMOVE would make it anew.
            .condition_expression("attribute_exists(pk)")
            .update_expression("REMOVE lease_until")
            .send()
            .await;
        match released {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn mail_sent(&self, mail: &PendingMail, message_id: &str) -> Result<(), StoreError> {
        let owner = owner_key(&mail.owner);
        let kind = kind_key(mail.kind)?;
        let (sent_pk, sent_sk) = (format!("SENT#{owner}"), format!("{kind}#{}", mail.seq));
        let record = SentMail {
            mail: mail.clone(),
            message_id: message_id.to_string(),
            sent_at: Utc::now(),
            reports: Vec::new(),
        };
        let mut sent = Self::key(&sent_pk, &sent_sk);
        sent.insert("message_id".into(), s(message_id));
        sent.insert(
            "sent_at".into(),
            s(record.sent_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        sent.insert("owner".into(), s(owner));
        sent.insert("kind".into(), s(kind));
        sent.insert("data".into(), s(to_json(&record)?));
        // The mail service's reports name the mail by its id.
        let mut pointer = Self::key(&format!("MESSAGE#{message_id}"), "MESSAGE");
        pointer.insert("sent_pk".into(), s(&sent_pk));
        pointer.insert("sent_sk".into(), s(&sent_sk));
        // A contact message's mails (and the addresses their reports
        // name) go when the message goes.
        if let Owner::Contact(id) = &mail.owner {
            if let Some(expires) = self
                .get(&format!("CONTACT#{id}"), "CONTACT")
                .await?
                .and_then(|item| item.get("expires_at").cloned())
            {
                sent.insert("expires_at".into(), expires.clone());
                pointer.insert("expires_at".into(), expires);
            }
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Self::key("PENDING", &pending_sort_key(mail)?)))
            .build()
            .map_err(build_error)?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(vec![
                self.put_op(sent, None)?,
                self.put_op(pointer, None)?,
                TransactWriteItem::builder().delete(delete).build(),
            ]))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn sent_mails(&self, owner: &Owner) -> Result<Vec<SentMail>, StoreError> {
        let mut mine = self
            .partition(&format!("SENT#{}", owner_key(owner)))
            .await?
            .iter()
            .filter(|item| item.contains_key("data"))
            .map(|item| data::<SentMail>(item, "sent mail"))
            .collect::<Result<Vec<_>, _>>()?;
        mine.sort_by(|a, b| {
            (a.sent_at, a.mail.kind, a.mail.seq).cmp(&(b.sent_at, b.mail.kind, b.mail.seq))
        });
        Ok(mine)
    }

    async fn sent_mail(&self, message_id: &str) -> Result<Option<SentMail>, StoreError> {
        Ok(self.sent_item(message_id).await?.map(|(_, mail)| mail))
    }

    async fn record_report(
        &self,
        message_id: &str,
        report: &Report,
        notice: Option<&PendingMail>,
    ) -> Result<Recorded, StoreError> {
        // Optimistic: the item is written only if it is as it was read, so
        // two reports at once both end up in it. Reports on one mail are
        // few; a handful of attempts is plenty.
        for _ in 0..5 {
            let Some((item, mut sent)) = self.sent_item(message_id).await? else {
                return Ok(Recorded::Unknown);
            };
            if sent.reports.iter().any(|r| r.key == report.key) {
                return Ok(Recorded::Again);
            }
            let (pk, sk) = (
                string(&item, "pk", "sent mail")?.to_string(),
                string(&item, "sk", "sent mail")?.to_string(),
            );
            let before = string(&item, "data", "sent mail")?.to_string();
            sent.reports.push(report.clone());
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(Self::key(&pk, &sk)))
                .update_expression("SET #data = :after")
                .condition_expression("#data = :before")
                .expression_attribute_names("#data", "data")
                .expression_attribute_values(":after", s(to_json(&sent)?))
                .expression_attribute_values(":before", s(before))
                .build()
                .map_err(build_error)?;
            let mut ops = vec![TransactWriteItem::builder().update(update).build()];
            if let Some(notice) = notice {
                ops.push(self.put_op(Self::pending_item(notice)?, None)?);
            }
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(ops))
                .send()
                .await
            {
                Ok(_) => return Ok(Recorded::New(sent)),
                Err(err) => match Self::cancellation_reasons(&err) {
                    Some(reasons)
                        if reasons.first().is_some_and(|c| {
                            c == "ConditionalCheckFailed" || c == "TransactionConflict"
                        }) => {}
                    _ => return Err(unavailable(err)),
                },
            }
        }
        Err(StoreError::Conflict)
    }

    async fn staff(&self) -> Result<StaffList, StoreError> {
        match self.get("STAFF", "STAFF").await? {
            Some(item) => data(&item, "staff list"),
            None => Ok(StaffList::default()),
        }
    }

    async fn save_staff(&self, list: &StaffList) -> Result<(), StoreError> {
        let mut item = Self::key("STAFF", "STAFF");
        item.insert("data".into(), s(to_json(list)?));
        item.insert("version".into(), n(list.version));
        let saved = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR version = :before")
            .expression_attribute_values(":before", n(list.version.saturating_sub(1)))
            .send()
            .await;
        match saved {
            // A first list (version 1) only where there is none.
            Ok(_) if list.version > 0 => Ok(()),
            Ok(_) => Err(StoreError::Conflict),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Conflict)
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn put_sign_in(&self, link: &SignInLink) -> Result<(), StoreError> {
        let mut item = Self::key(&format!("SIGNIN#{}", link.hash), "SIGNIN");
        item.insert("data".into(), s(to_json(link)?));
        item.insert("expires_at".into(), n(link.expires.timestamp()));
        self.put(item).await
    }

    async fn take_sign_in(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        match self.take(&format!("SIGNIN#{hash}"), "SIGNIN").await? {
            Some(item) => {
                let link = data::<SignInLink>(&item, "sign-in link")?;
                Ok((link.expires > now).then_some(link))
            }
            None => Ok(None),
        }
    }

    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut item = Self::key(&format!("SESSION#{}", session.hash), "SESSION");
        item.insert("data".into(), s(to_json(session)?));
        item.insert("expires_at".into(), n(session.expires.timestamp()));
        self.put(item).await
    }

    async fn session(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        match self.get(&format!("SESSION#{hash}"), "SESSION").await? {
            Some(item) => {
                let session = data::<Session>(&item, "session")?;
                Ok((session.expires > now).then_some(session))
            }
            None => Ok(None),
        }
    }

    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&format!("SESSION#{hash}"), "SESSION")))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random)
            .map_err(|e| StoreError::Unavailable(format!("random: {e}")))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let mut item = Self::key(
            "AUDIT",
            &format!(
                "{}#{suffix}",
                entry.at.to_rfc3339_opts(SecondsFormat::Micros, true)
            ),
        );
        item.insert("data".into(), s(to_json(entry)?));
        self.put(item).await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s("AUDIT"))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable)?;
        out.items
            .unwrap_or_default()
            .iter()
            .map(|item| data::<AuditEntry>(item, "audit entry"))
            .collect()
    }

    async fn claim_bank_entry(&self, entry: &BankEntry) -> Result<bool, StoreError> {
        let mut item = Self::key(&format!("BANK#{}", entry.key), "BANK");
        item.insert("data".into(), s(to_json(entry)?));
        let kept = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match kept {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn put_passkey(&self, passkey: &PasskeyRecord) -> Result<(), StoreError> {
        let mut item = Self::key(&format!("PASSKEYS#{}", passkey.user), &passkey.id);
        item.insert("data".into(), s(to_json(passkey)?));
        self.put(item).await
    }

    async fn passkeys(&self, user: &str) -> Result<Vec<PasskeyRecord>, StoreError> {
        // A member has a handful: one page of a query holds them all.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(format!("PASSKEYS#{user}")))
            .send()
            .await
            .map_err(unavailable)?;
        let mut all = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| data::<PasskeyRecord>(item, "passkey"))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(all)
    }

    async fn delete_passkey(&self, user: &str, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&format!("PASSKEYS#{user}"), id)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StoreError> {
        let mut item = Self::key(&format!("CEREMONY#{}", ceremony.hash), "CEREMONY");
        item.insert("data".into(), s(to_json(ceremony)?));
        item.insert("expires_at".into(), n(ceremony.expires.timestamp()));
        self.put(item).await
    }

    async fn take_ceremony(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError> {
        match self.take(&format!("CEREMONY#{hash}"), "CEREMONY").await? {
            Some(item) => {
                let ceremony = data::<Ceremony>(&item, "passkey ceremony")?;
                Ok((ceremony.expires > now).then_some(ceremony))
            }
            None => Ok(None),
        }
    }

    async fn count_post(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                &format!("RATE#{key}"),
                &window_start.timestamp().to_string(),
            )))
            .update_expression("ADD #count :one SET expires_at = :expires")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(expires.timestamp()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        let attributes = out.attributes.unwrap_or_default();
        number(&attributes, "count", "rate-limit count")
    }
}

/// Whether S3 must be addressed by path (`endpoint/bucket/key`) rather
/// than by host (`bucket.endpoint/key`): for an emulator on a custom
/// endpoint, or when `AWS_S3_FORCE_PATH_STYLE=1`.
fn force_path_style(config: &aws_config::SdkConfig) -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    std::env::var("AWS_S3_FORCE_PATH_STYLE")
        .is_ok_and(|v| v.trim() == "1" || v.trim().eq_ignore_ascii_case("true"))
        || config.endpoint_url().is_some()
        || set("AWS_ENDPOINT_URL_S3")
}

/// Uploaded documents in a private bucket, encrypted at rest.
#[derive(Clone, Debug)]
pub struct S3Files {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    /// Whether GuardDuty Malware Protection scans this bucket (the
    /// stack's `EnableMalwareProtection`, `MALWARE_SCAN` to the function):
    /// without it no tag will ever come, and [`Files::scan`] says so at once.
    pub scanned: bool,
}

/// The tag GuardDuty Malware Protection for S3 puts on a scanned object.
pub const SCAN_TAG: &str = "GuardDutyMalwareScanStatus";

impl S3Files {
    pub fn new(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> S3Files {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(force_path_style(config))
            .build();
        S3Files {
            client: aws_sdk_s3::Client::from_conf(s3),
            bucket: bucket.into(),
            scanned: true,
        }
    }

    /// The same bucket, not scanned by GuardDuty.
    pub fn unscanned(self) -> S3Files {
        S3Files {
            scanned: false,
            ..self
        }
    }
}

/// What GuardDuty's tag value says.
pub fn scan_status(tag: Option<&str>) -> Scan {
    match tag {
        None => Scan::Pending,
        Some("NO_THREATS_FOUND") => Scan::Clean,
        Some("THREATS_FOUND") => Scan::Threat,
        Some(other) => Scan::Failed(other.to_string()),
    }
}

fn files_error<E: std::error::Error>(e: E) -> FilesError {
    FilesError(DisplayErrorContext(e).to_string())
}

impl Files for S3Files {
    async fn delete(&self, key: &str) -> Result<(), FilesError> {
        // S3 answers a delete of a missing key with success too.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(files_error)?;
        Ok(())
    }

    async fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<(), FilesError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes.to_vec()))
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await
            .map_err(files_error)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FilesError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(files_error)?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(files_error(e)),
        }
    }

    /// GuardDuty's verdict, from the object's tag: none yet is pending.
    async fn scan(&self, key: &str) -> Result<Scan, FilesError> {
        if !self.scanned {
            return Ok(Scan::NotScanned);
        }
        match self
            .client
            .get_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(scan_status(
                out.tag_set()
                    .iter()
                    .find(|t| t.key() == SCAN_TAG)
                    .map(|t| t.value()),
            )),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                Ok(Scan::Missing)
            }
            Err(e) => Err(files_error(e)),
        }
    }
}

/// Sends through SES v2 as raw MIME (the only way to attach the invoice).
#[derive(Clone, Debug)]
pub struct SesMailer {
    pub client: aws_sdk_sesv2::Client,
    /// SES's configuration set (event publishing, suppression), if any.
    pub configuration_set: Option<String>,
}

/// The domain of the Message-IDs this mailer makes.
pub const MESSAGE_ID_DOMAIN: &str = "balanstoetstelemarketing.nl";

impl SesMailer {
    pub fn new(config: &aws_config::SdkConfig, configuration_set: Option<String>) -> SesMailer {
        SesMailer {
            client: aws_sdk_sesv2::Client::new(config),
            configuration_set,
        }
    }
}

fn message_id() -> Result<String, SendError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| SendError(format!("random: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{hex}@{MESSAGE_ID_DOMAIN}"))
}

/// `text` with every word that holds an `@` replaced: SES names the
/// rejected addresses in some errors, and errors end up in the logs.
pub fn redact_addresses(text: &str) -> String {
    let separator = |c: char| c.is_whitespace() || "<>()[]{}\",;'`".contains(c);
    text.split_inclusive(separator)
        .map(|piece| {
            let (word, end) = match piece.char_indices().last() {
                Some((i, c)) if separator(c) => piece.split_at_checked(i).unwrap_or((piece, "")),
                _ => (piece, ""),
            };
            if word.contains('@') {
                format!("[adres]{end}")
            } else {
                piece.to_string()
            }
        })
        .collect()
}

impl Mailer for SesMailer {
    async fn send(&self, message: &Message) -> Result<String, SendError> {
        let id = message_id()?;
        let raw = RawMessage::builder()
            .data(Blob::new(crate::mime::to_mime(message, &id)))
            .build()
            .map_err(|e| SendError(e.to_string()))?;
        let destination = Destination::builder()
            .set_to_addresses(Some(
                message.to.iter().map(|a| a.email.to_string()).collect(),
            ))
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(message.from.email.as_str())
            .destination(destination)
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| SendError(redact_addresses(&DisplayErrorContext(e).to_string())))?;
        // The mail went out; without SES's id, ours still names it.
        Ok(out.message_id.filter(|m| !m.is_empty()).unwrap_or(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_keys_sort_oldest_first() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc));
        let mail = |since: DateTime<Utc>| PendingMail {
            owner: Owner::Contact("c1".into()),
            kind: MailKind::ContactSecretariat,
            seq: 0,
            since,
        };
        let early = at("2031-03-01T09:59:59.5Z").map(mail).ok();
        let late = at("2031-03-01T10:00:00Z").map(mail).ok();
        let (Some(early), Some(late)) = (early, late) else {
            panic!("times")
        };
        let (a, b) = (pending_sort_key(&early).ok(), pending_sort_key(&late).ok());
        assert_eq!(
            a.as_deref(),
            Some("2031-03-01T09:59:59.500000Z#CONTACT#c1#contact_secretariat#0")
        );
        assert!(a < b);
        assert_eq!(
            owner_key(&Owner::Application("CBT-2031-0001".into())),
            "APP#CBT-2031-0001"
        );
    }

    #[test]
    fn addresses_are_redacted_from_errors() {
        assert_eq!(
            redact_addresses(
                "MessageRejected: Email address is not verified: els@voorbeeld.nl, <jan@x.nl>."
            ),
            "MessageRejected: Email address is not verified: [adres], <[adres]>."
        );
        assert_eq!(redact_addresses("no address here"), "no address here");
    }
}
