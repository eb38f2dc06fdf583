//! The secretariat's workspace (`/beheer/`), as far as it is rules and
//! pages, without I/O: the case list with its filter, search and nearest
//! deadlines ([`case_rows`]); one case as staff read it, with the actions
//! the rules allow now ([`StaffCase`]); the sign-in mail
//! ([`sign_in_mail`]). `cbt-function`'s `workspace` module reads the
//! store, checks the session and acts through the case's rules.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tera::Context;

use crate::case::{Action, Actor, Case, Change, Event, Outcome, Refusal, State};
use crate::case_mail::ChangedRow;
use crate::dates::{dutch_date, local_date};
use crate::delivery::Problem;
use crate::formats::Email;
use crate::mail::{Address, Envelope, MailError, MailKind, Message};
use crate::pages::{CaseView, HistoryRow, Notice};
use crate::summary::Row;
use crate::templates::{TemplateError, Templates};
use crate::{Periods, Rules};

/// Where the workspace lives.
pub const PREFIX: &str = "/beheer";

/// What the list shows: one state or all, and a search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only cases in this state.
    pub state: Option<State>,
    /// Part of a reference, an organisation's name or an invoice number
    /// (any case).
    pub search: String,
}

/// One case in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    /// `CBT-2027-0001`.
    pub reference: String,
    /// The applicant.
    pub organisation: String,
    /// The state in words.
    pub state: &'static str,
    /// The invoice's number.
    pub invoice_number: String,
    /// The fee invoiced, as Dutch text.
    pub fee: String,
    /// The day it was paid, in words.
    pub paid_on: Option<String>,
    /// The next deadline: what and when, in words.
    pub deadline: Option<String>,
    /// Days left in words ("nog 3 dagen", "2 dagen te laat"): the list
    /// says it in text, not in colour alone.
    pub days_left: Option<String>,
    /// The deadline has passed.
    pub overdue: bool,
    #[serde(skip)]
    sort: (NaiveDate, String),
}

/// The cases `filter` lets through, nearest deadline first (passed ones
/// first of all), then those without a deadline, each by reference.
pub fn case_rows(
    cases: &[Case],
    periods: &Periods,
    today: NaiveDate,
    filter: &ListFilter,
) -> Vec<CaseRow> {
    let search = filter.search.trim().to_lowercase();
    let mut rows: Vec<CaseRow> = cases
        .iter()
        .filter(|c| filter.state.is_none_or(|s| c.state == s))
        .filter(|c| {
            search.is_empty()
                || c.reference.to_lowercase().contains(&search)
                || c.application
                    .organisation
                    .name
                    .to_lowercase()
                    .contains(&search)
                || c.invoice_number.to_string().contains(&search)
        })
        .map(|c| {
            let next = c.deadlines(periods, today).next();
            let days = next.map(|(_, date)| (date - today).num_days());
            CaseRow {
                reference: c.reference.clone(),
                organisation: c.application.organisation.name.clone(),
                state: c.state.label(),
                invoice_number: c.invoice_number.to_string(),
                fee: c.invoiced.to_string(),
                paid_on: c.payment.as_ref().map(|p| dutch_date(p.date)),
                deadline: next
                    .map(|(kind, date)| format!("{}: {}", kind.label(), dutch_date(date))),
                days_left: days.map(crate::digest::days_text),
                overdue: days.is_some_and(|d| d < 0),
                sort: (
                    next.map_or(NaiveDate::MAX, |(_, date)| date),
                    c.reference.clone(),
                ),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.sort.cmp(&b.sort));
    rows
}

/// How many cases each state has, in the order of the procedure, for the
/// filter.
pub fn state_counts(cases: &[Case]) -> Vec<StateCount> {
    State::ALL
        .iter()
        .map(|&state| StateCount {
            key: state.key(),
            label: state.label(),
            count: cases.iter().filter(|c| c.state == state).count(),
        })
        .collect()
}

/// A state and how many cases are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    /// The state's stable name, for the filter's address.
    pub key: &'static str,
    /// In words.
    pub label: &'static str,
    /// How many.
    pub count: usize,
}

/// The state with the stable name `key` (`in_behandeling`).
pub fn state_by_key(key: &str) -> Option<State> {
    State::ALL.into_iter().find(|s| s.key() == key)
}

/// What the staff member may do with a case now: the rules decide, by
/// trying each action on the case as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StaffCan {
    /// "Betaling registreren".
    pub payment: bool,
    /// "In behandeling nemen".
    pub take: bool,
    /// "Niet in behandeling nemen".
    pub decline: bool,
    /// "Aanvulling vragen".
    pub complete: bool,
    /// "Advies vastleggen".
    pub advice: bool,
    /// "Intrekken".
    pub withdraw: bool,
    /// "Notitie toevoegen".
    pub note: bool,
}

impl StaffCan {
    /// What `actor` may do with `case` at `now`.
    pub fn new(case: &Case, actor: &Actor, now: DateTime<Utc>, periods: &Periods) -> StaffCan {
        // Placeholder values: only whether the rules allow the action in
        // this state, for this actor, counts here; the real values are
        // checked again when the form is sent.
        let allowed = |action: Action| {
            !matches!(
                case.decide(&action, actor, now, periods),
                Err(Refusal::NotYours { .. } | Refusal::WrongState { .. })
            )
        };
        StaffCan {
            payment: allowed(Action::RegisterPayment {
                date: local_date(now),
                amount: case.invoiced,
                accept_difference: false,
            }),
            take: allowed(Action::TakeIntoHandling),
            decline: allowed(Action::Decline { reason: "-".into() }),
            complete: allowed(Action::RequestCompletion { text: "-".into() }),
            advice: allowed(Action::RecordAdvice {
                outcome: Outcome::Refused,
                motivation: "-".into(),
            }),
            withdraw: allowed(Action::Withdraw { credit_note: false }),
            note: allowed(Action::AddNote { text: "-".into() }),
        }
    }
}

/// One version of the answers: what an amendment changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    /// When, in words.
    pub date: String,
    /// Who.
    pub actor: String,
    /// The answers it changed, before and after.
    pub changes: Vec<ChangedRow>,
    /// The documents it added, by name.
    pub documents: Vec<String>,
}

/// A note on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteRow {
    /// When, in words.
    pub date: String,
    /// Who.
    pub actor: String,
    /// The note.
    pub text: String,
}

/// A mail of a case and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailRow {
    /// Which mail, in words ("de factuur").
    pub name: &'static str,
    /// When it went, in words; `None` while it waits.
    pub sent: Option<String>,
    /// What the mail service reported, in words.
    pub state: String,
    /// Whether someone must act on it (a bounce, a complaint, a mail that
    /// does not leave).
    pub problem: bool,
}

impl MailRow {
    /// A mail that went at `sent`, with the mail service's `reports`
    /// (oldest first), or (`sent` is `None`) one that still waits.
    pub fn new(kind: MailKind, sent: Option<DateTime<Utc>>, reports: &[Problem]) -> MailRow {
        let name = crate::delivery::mail_name(kind);
        let Some(at) = sent else {
            return MailRow {
                name,
                sent: None,
                state: "Wacht op verzending; het wordt automatisch opnieuw geprobeerd.".into(),
                problem: true,
            };
        };
        // The latest report says where the mail stands.
        let (state, problem) = match reports.last() {
            None => (
                "Verstuurd; de e-maildienst meldde geen probleem.".to_string(),
                false,
            ),
            Some(p) => (
                format!("{} ({})", p.sentence(), p.recipient()),
                p.needs_the_secretariat(),
            ),
        };
        MailRow {
            name,
            sent: Some(format!(
                "{} om {}",
                dutch_date(local_date(at)),
                crate::dates::local_time(at)
            )),
            state,
            problem,
        }
    }
}

/// Who is signed in, as every workspace page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chrome {
    /// Their name.
    pub name: String,
    /// "secretariaat" or "commissie".
    pub role: &'static str,
    /// May manage the staff list and take every action.
    pub secretariat: bool,
    /// The session's token, for every form.
    pub csrf: String,
    /// Which part of the workspace the page is ("zaken", "medewerkers",
    /// "logboek"), for the menu's `aria-current`.
    pub section: &'static str,
}

/// A case as staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffCase {
    /// The applicant's view of it (dates, documents, state), under the
    /// workspace's address.
    pub v: CaseView,
    /// The answers as they stand.
    pub answers: Vec<Row>,
    /// Every amendment, newest first.
    pub versions: Vec<Version>,
    /// The notes, newest first.
    pub notes: Vec<NoteRow>,
    /// The whole history, notes included, newest first.
    pub history: Vec<HistoryRow>,
    /// Its mails and their delivery.
    pub mails: Vec<MailRow>,
    /// What the staff member may do now.
    pub can: StaffCan,
    /// Today, YYYY-MM-DD (the payment form's default).
    pub today: String,
    /// The amount invoiced in euros as typed (`4452,80`).
    pub invoiced_input: String,
    /// The term applied for, in years (the advice form's default).
    pub term_years: u32,
    /// Why the case was not taken into handling, if so.
    pub declined: Option<String>,
    /// The advice, once recorded: outcome and motivation in words.
    pub advice: Option<String>,
}

impl StaffCase {
    /// `case` with `events` as `actor` sees it at `now`; `mails` are its
    /// mails as the store knows them.
    pub fn new(
        rules: &Rules,
        case: &Case,
        events: &[Event],
        mails: Vec<MailRow>,
        actor: &Actor,
        now: DateTime<Utc>,
        notice: Option<Notice>,
    ) -> StaffCase {
        let base = format!("{PREFIX}/zaak/{}", case.reference);
        let v = CaseView::new(rules, case, events, now, &base, notice);
        let documents: Vec<crate::summary::Upload<'_>> = case
            .documents
            .iter()
            .map(crate::summary::Upload::from)
            .collect();
        let answers = crate::summary::rows(
            &rules.forms.application,
            &case.application.answers,
            &documents,
        );
        let when = |e: &Event| {
            format!(
                "{} om {}",
                dutch_date(local_date(e.at)),
                crate::dates::local_time(e.at)
            )
        };
        let versions = events
            .iter()
            .rev()
            .filter_map(|e| match &e.change {
                Change::Amended { documents, .. } => Some(Version {
                    date: when(e),
                    actor: e.actor.to_string(),
                    changes: crate::case_mail::changed_rows(rules, &e.change),
                    documents: documents
                        .iter()
                        .map(|d| d.shown_name().to_string())
                        .collect(),
                }),
                _ => None,
            })
            .collect();
        let notes = events
            .iter()
            .rev()
            .filter_map(|e| match &e.change {
                Change::NoteAdded { text } => Some(NoteRow {
                    date: when(e),
                    actor: e.actor.to_string(),
                    text: text.clone(),
                }),
                _ => None,
            })
            .collect();
        let history = events
            .iter()
            .rev()
            .map(|e| HistoryRow {
                date: when(e),
                actor: e.actor.to_string(),
                summary: e.change.summary(),
            })
            .collect();
        let advice = case.advice.as_ref().map(|a| match a.outcome {
            Outcome::Granted {
                term_years,
                valid_until,
            } => format!(
                "Positief: een klanttermijn van {term_years} jaar, geldig tot en met {}; verstuurd op {}.",
                dutch_date(valid_until),
                dutch_date(a.sent_on)
            ),
            Outcome::Refused => format!("Negatief; verstuurd op {}.", dutch_date(a.sent_on)),
        });
        let cents = case.invoiced.0;
        StaffCase {
            v,
            answers,
            versions,
            notes,
            history,
            mails,
            can: StaffCan::new(case, actor, now, &rules.periods),
            today: local_date(now).to_string(),
            invoiced_input: format!("{},{:02}", cents / 100, cents % 100),
            term_years: case.application.term_years,
            declined: case.declined.clone(),
            advice,
        }
    }
}

/// Renders the workspace page `template` (under `templates/beheer/`) with
/// `chrome` and `data` (as `w`).
pub fn page(
    rules: &Rules,
    templates: &Templates,
    template: &str,
    title: &str,
    chrome: Option<&Chrome>,
    data: &impl Serialize,
) -> Result<String, TemplateError> {
    let mut ctx = crate::pages::base(rules, &format!("{PREFIX}/"), title);
    ctx.insert("chrome", &chrome);
    ctx.insert("w", data);
    templates.render(&format!("beheer/{template}"), &ctx)
}

/// A sign-in link, as its mail says it.
#[derive(Debug, Clone, Copy)]
pub struct SignIn<'a> {
    /// The member's address.
    pub to: &'a Email,
    /// The member's name.
    pub name: &'a str,
    /// The link, with its secret.
    pub link: &'a str,
    /// How long it works, in minutes.
    pub minutes: i64,
    /// Until when it works.
    pub expires: DateTime<Utc>,
}

#[derive(Serialize)]
struct SignInContext<'a> {
    site: &'a crate::SiteConfig,
    name: &'a str,
    link: &'a str,
    minutes: i64,
    expires: String,
}

/// The mail with a sign-in link to the workspace.
pub fn sign_in_mail(
    rules: &Rules,
    templates: &Templates,
    sign_in: &SignIn<'_>,
    from: &Address,
) -> Result<Message, MailError> {
    let context = Context::from_serialize(&SignInContext {
        site: &rules.site,
        name: sign_in.name,
        link: sign_in.link,
        minutes: sign_in.minutes,
        expires: format!(
            "{} om {}",
            dutch_date(local_date(sign_in.expires)),
            crate::dates::local_time(sign_in.expires)
        ),
    })
    .map_err(|e| MailError::Template(TemplateError::from_tera(&e)))?;
    crate::mail::render(
        templates,
        MailKind::StaffSignIn,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![Address::typed(sign_in.to, Some(sign_in.name))],
            reply_to: None,
            attachments: Vec::new(),
        },
    )
}

#[cfg(test)]
mod tests;
