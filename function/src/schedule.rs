//! What happens without anyone asking, every time the schedule runs
//! (EventBridge every 15 minutes in AWS; `cbt-site serve` every minute).
//! Each part is idempotent, so a run twice or a run missed does no harm:
//! - payment reminders after the due date, at the interval and up to the
//!   maximum of `content/data/periods.toml`;
//! - the secretariat's digest, once a day from 08:00 in Amsterdam, only
//!   when there is something to report;
//! - retention, as `content/data/retention.toml` says and the privacy
//!   statement promises: expired drafts, contact messages and rate-limit
//!   counts go; a case's personal data goes when its application files'
//!   period ends, and the rest when the invoice's fiscal period ends;
//! - the retry of pending mail.

use cbt::case::{Action, Actor, Case, Change, State};
use cbt::dates::{local_date, local_hour};
use cbt::digest::Digest;
use cbt::mail::MailKind;
use serde::Serialize;

use crate::cases::{act_on, next_deadline, ActError};
use crate::handler::App;
use crate::outbox::{advice_key, invoice_key, retry_pending, send_pending, RetryReport};
use crate::ports::{pending, Files, Mailer, Owner, Store, StoreError, Transition};

/// The digest goes out from this hour (Amsterdam) on.
pub const DIGEST_HOUR: u32 = 8;

/// The open states, whose cases reminders and the digest look at.
const OPEN: [State; 5] = [
    State::Ontvangen,
    State::Betaald,
    State::InBehandeling,
    State::AanvullingGevraagd,
    State::AanvullingOntvangen,
];
/// The closed states, whose cases retention looks at.
const CLOSED: [State; 3] = [
    State::AdviesUitgebracht,
    State::NietInBehandeling,
    State::Ingetrokken,
];

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleReport {
    /// Payment reminders sent.
    pub reminders: usize,
    /// The digest: `"verstuurd"`, `"niets te melden"`, `"al gedaan"` or
    /// `"nog niet"` (before 08:00).
    pub digest: &'static str,
    /// Expired items deleted (drafts, contact messages, counts).
    pub purged: usize,
    /// Cases whose personal data went.
    pub anonymised: usize,
    /// Cases removed at the end of the invoices' period.
    pub removed: usize,
    /// The mail retry.
    pub retry: RetryReport,
}

/// One scheduled run.
pub async fn run<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
) -> Result<ScheduleReport, StoreError> {
    let mut open = Vec::new();
    for state in OPEN {
        open.extend(app.store.cases_in(state).await?);
    }
    let reminders = reminders(app, &open).await?;
    let digest = digest(app, &open).await?;
    let (purged, anonymised, removed) = retention(app).await?;
    let retry = retry_pending(app).await?;
    Ok(ScheduleReport {
        reminders,
        digest,
        purged,
        anonymised,
        removed,
        retry,
    })
}

async fn reminders<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    open: &[Case],
) -> Result<usize, StoreError> {
    let mut sent = 0;
    for case in open.iter().filter(|c| c.state == State::Ontvangen) {
        let Some(record) = app.store.get_case(&case.reference).await? else {
            continue;
        };
        match act_on(app, record, &Action::SendReminder, Actor::Schedule).await {
            Ok(_) => sent += 1,
            // Not due, or changed meanwhile (paid?): the next run decides.
            Err(ActError::Refused(_) | ActError::Conflict | ActError::NotFound) => {}
            Err(ActError::Store(e)) => return Err(e),
        }
    }
    Ok(sent)
}

async fn digest<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    open: &[Case],
) -> Result<&'static str, StoreError> {
    let now = app.clock.now();
    if local_hour(now) < DIGEST_HOUR {
        return Ok("nog niet");
    }
    let today = local_date(now);
    let digest = Digest::of(open, now, &app.rules.periods);
    let json = serde_json::to_string(&digest).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let owner = Owner::Digest(today);
    let mails = if digest.is_empty() {
        Vec::new()
    } else {
        pending(&owner, &[MailKind::Digest], 0, now)
    };
    if !app.store.claim_digest(today, &json, &mails).await? {
        return Ok("al gedaan");
    }
    if mails.is_empty() {
        return Ok("niets te melden");
    }
    send_pending(app, &owner).await;
    Ok("verstuurd")
}

/// Returns (items purged, cases anonymised, cases removed).
async fn retention<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
) -> Result<(usize, usize, usize), StoreError> {
    let now = app.clock.now();
    let today = local_date(now);
    let periods = &app.rules.retention;
    let purged = app.store.purge_expired(now).await?;
    for key in &purged.files {
        if let Err(e) = app.files.delete(key).await {
            tracing::warn!(error = %e, "deleting an expired draft's upload failed; the next run tries again");
        }
    }
    let (mut anonymised, mut removed) = (0, 0);
    for state in CLOSED {
        for case in app.store.cases_in(state).await? {
            if case
                .invoice_kept_until(periods.invoices_years)
                .is_some_and(|until| until < today)
            {
                remove(app, &case).await?;
                removed += 1;
            } else if !case.anonymised
                && case
                    .files_kept_until(periods.case_files_years)
                    .is_some_and(|until| until < today)
                && anonymise(app, &case.reference).await?
            {
                anonymised += 1;
            }
        }
    }
    Ok((purged.items, anonymised, removed))
}

/// Deletes a case's files and personal data, keeping what the invoice
/// needs, with an event that says so. False when the case changed meanwhile.
async fn anonymise<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    reference: &str,
) -> Result<bool, StoreError> {
    let Some(record) = app.store.get_case(reference).await? else {
        return Ok(false);
    };
    let now = app.clock.now();
    // Files first: should the store's change fail, the next run finds the
    // case still to do and deletes nothing twice (a missing file is fine).
    for doc in &record.case.documents {
        delete_file(app, &doc.key).await?;
    }
    delete_file(app, &advice_key(reference)).await?;
    let mut case = record.case.anonymised();
    let from_version = case.version;
    let history = record.events.iter().map(|e| e.anonymised()).collect();
    let event = case.apply(
        Change::Anonymised {
            on: local_date(now),
        },
        Actor::Schedule,
        now,
    );
    let transition = Transition {
        next_deadline: next_deadline(&case, &app.rules.periods, local_date(now)),
        case,
        from_version,
        event,
        mails: Vec::new(),
        history: Some(history),
    };
    match app.store.transition(&transition).await {
        Ok(()) => {
            tracing::info!(
                reference,
                "application files' retention ended: personal data removed"
            );
            Ok(true)
        }
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes what is left of a case once the invoices' period ended.
async fn remove<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    case: &Case,
) -> Result<(), StoreError> {
    for doc in &case.documents {
        delete_file(app, &doc.key).await?;
    }
    delete_file(app, &advice_key(&case.reference)).await?;
    delete_file(
        app,
        &invoice_key(&format!("factuur-{}.pdf", case.invoice_number)),
    )
    .await?;
    app.store.remove_case(&case.reference).await?;
    tracing::info!(reference = %case.reference, "invoices' retention ended: case removed");
    Ok(())
}

async fn delete_file<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    key: &str,
) -> Result<(), StoreError> {
    app.files
        .delete(key)
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}
