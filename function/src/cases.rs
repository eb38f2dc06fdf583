//! A case changes in one way only: [`act`] loads it, holds the action to
//! the rules ([`cbt::case::Case::decide`]), and keeps the change with its
//! event and mails, on the condition that nobody changed the case in the
//! meantime. The applicant's page ([`crate::applicant`]), the schedule
//! ([`crate::schedule`]) and, later, the secretariat's workspace all act
//! through it.
//!
//! Personal links ([`mint_link`]) open a case without an account: 256
//! random bits, of which the store keeps only the SHA-256 hash.

use cbt::case::{Action, Actor, Case, Refusal};
use cbt::dates::local_date;
use sha2::{Digest as _, Sha256};

use crate::handler::App;
use crate::outbox::send_pending;
use crate::ports::{
    pending, CaseRecord, Files, Mailer, Owner, Store, StoreError, Token, Transition,
};

/// Why an action did not change the case.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// No case with that reference.
    #[error("onbekende aanvraag")]
    NotFound,
    /// The rules refuse it; the refusal says why, in Dutch.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The case changed since it was read: nothing was kept.
    #[error("de aanvraag is intussen gewijzigd")]
    Conflict,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ActError {
    fn from(e: StoreError) -> ActError {
        match e {
            StoreError::Conflict => ActError::Conflict,
            other => ActError::Store(other),
        }
    }
}

/// The nearest deadline of `case`, for the store's index.
pub fn next_deadline(
    case: &Case,
    periods: &cbt::Periods,
    today: chrono::NaiveDate,
) -> Option<chrono::NaiveDate> {
    case.deadlines(periods, today).next().map(|(_, date)| date)
}

/// Takes `action` by `actor` on the case `reference`, as it is in the
/// store now; then sends the mails the change causes (what fails stays
/// pending). Returns the case after the change.
pub async fn act<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    reference: &str,
    action: &Action,
    actor: Actor,
) -> Result<CaseRecord, ActError> {
    let record = app
        .store
        .get_case(reference)
        .await?
        .ok_or(ActError::NotFound)?;
    act_on(app, record, action, actor).await
}

/// [`act`] on a case already read (the page that showed it decided on it).
pub async fn act_on<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: CaseRecord,
    action: &Action,
    actor: Actor,
) -> Result<CaseRecord, ActError> {
    let now = app.clock.now();
    let CaseRecord {
        mut case,
        mut events,
    } = record;
    let change = case.decide(action, &actor, now, &app.rules.periods)?;
    let kinds = change.mails(&actor);
    let from_version = case.version;
    let event = case.apply(change, actor, now);
    let owner = Owner::Application(case.reference.clone());
    let transition = Transition {
        next_deadline: next_deadline(&case, &app.rules.periods, local_date(now)),
        from_version,
        mails: pending(&owner, &kinds, event.seq, now),
        event: event.clone(),
        history: None,
        case,
    };
    app.store.transition(&transition).await?;
    tracing::info!(
        reference = %transition.case.reference,
        seq = event.seq,
        change = ?std::mem::discriminant(&event.change),
        "case changed"
    );
    if !kinds.is_empty() {
        send_pending(app, &owner).await;
    }
    events.push(event);
    Ok(CaseRecord {
        case: transition.case,
        events,
    })
}

/// The hash the store keeps of a link's secret.
pub fn token_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `secret` has the shape of a link's secret (64 hex digits):
/// anything else is not looked up at all.
pub fn is_token(secret: &str) -> bool {
    secret.len() == 64
        && secret
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// A new personal link to the case `reference`: its secret is made here
/// and given out once; the store keeps its hash.
pub async fn mint_link<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    reference: &str,
) -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Unavailable(format!("random: {e}")))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    app.store
        .put_token(&Token {
            hash: token_hash(&secret),
            reference: reference.to_string(),
            created: app.clock.now(),
        })
        .await?;
    Ok(format!("{}/mijn-aanvraag/{secret}", app.config.site_url))
}

/// The case a personal link's secret opens.
pub async fn by_token<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    secret: &str,
) -> Result<Option<CaseRecord>, StoreError> {
    if !is_token(secret) {
        return Ok(None);
    }
    match app.store.token_case(&token_hash(secret)).await? {
        Some(reference) => app.store.get_case(&reference).await,
        None => Ok(None),
    }
}
