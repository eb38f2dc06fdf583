//! The case: what happens to an application after it is filed, as the
//! seed and `../shared/design/case.md` describe it. No I/O.
//!
//! A case moves through [`State`]s by [`Action`]s. [`Case::decide`] holds an
//! action to its guards (who may, in which state, before which date) and
//! says what it changes ([`Change`]), or why not ([`Refusal`]);
//! [`Case::apply`] makes the change. Every change is kept as an [`Event`]
//! (when, who, what), so the history is the list of events and nothing is
//! overwritten without a trace. The store applies an event only to the
//! version of the case it was decided on, so two conflicting actions at once
//! make one change and one clear refusal.
//!
//! Dates are calendar dates in Europe/Amsterdam ([`crate::dates`]); "until
//! D" means up to and including D.

use std::fmt;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::application::Application;
use crate::dates::{dutch_date, local_date};
use crate::formats::DocumentKind;
use crate::invoice::InvoiceNumber;
use crate::mail::MailKind;
use crate::money::Cents;
use crate::periods::Periods;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Filed; the invoice is sent and not yet paid.
    Ontvangen,
    /// The fee is paid.
    Betaald,
    /// The commission handles it.
    InBehandeling,
    /// The commission asked to complete it (art. 6.2).
    AanvullingGevraagd,
    /// The completion is in; back with the commission.
    AanvullingOntvangen,
    /// The advice is sent.
    AdviesUitgebracht,
    /// Not motivated or specific enough to take into handling.
    NietInBehandeling,
    /// Withdrawn.
    Ingetrokken,
}

impl State {
    /// Every state, in the order of the procedure.
    pub const ALL: [State; 8] = [
        State::Ontvangen,
        State::Betaald,
        State::InBehandeling,
        State::AanvullingGevraagd,
        State::AanvullingOntvangen,
        State::AdviesUitgebracht,
        State::NietInBehandeling,
        State::Ingetrokken,
    ];

    /// The state in words, as the applicant and the secretariat read it.
    pub fn label(self) -> &'static str {
        match self {
            State::Ontvangen => "Ontvangen, wacht op betaling",
            State::Betaald => "Betaald",
            State::InBehandeling => "In behandeling",
            State::AanvullingGevraagd => "Aanvulling gevraagd",
            State::AanvullingOntvangen => "Aanvulling ontvangen",
            State::AdviesUitgebracht => "Advies uitgebracht",
            State::NietInBehandeling => "Niet in behandeling genomen",
            State::Ingetrokken => "Ingetrokken",
        }
    }

    /// Whether the case has ended.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            State::AdviesUitgebracht | State::NietInBehandeling | State::Ingetrokken
        )
    }

    /// The stable name the store and the routes use (`in_behandeling`).
    pub fn key(self) -> &'static str {
        match self {
            State::Ontvangen => "ontvangen",
            State::Betaald => "betaald",
            State::InBehandeling => "in_behandeling",
            State::AanvullingGevraagd => "aanvulling_gevraagd",
            State::AanvullingOntvangen => "aanvulling_ontvangen",
            State::AdviesUitgebracht => "advies_uitgebracht",
            State::NietInBehandeling => "niet_in_behandeling",
            State::Ingetrokken => "ingetrokken",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Actor {
    /// The applicant, through their own page.
    Applicant,
    /// A member of the secretariat, by name.
    Secretariat {
        /// As shown in the history.
        name: String,
    },
    /// A member of the commission, by name: reads cases and adds notes.
    Commission {
        /// As shown in the history.
        name: String,
    },
    /// The schedule (reminders, retention).
    Schedule,
    /// A bank statement that was read in.
    BankImport,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Applicant => f.write_str("de aanvrager"),
            Actor::Secretariat { name } => write!(f, "{name} (secretariaat)"),
            Actor::Commission { name } => write!(f, "{name} (commissie)"),
            Actor::Schedule => f.write_str("automatisch"),
            Actor::BankImport => f.write_str("bankafschrift"),
        }
    }
}

/// A document that belongs to a case: the balancing test, a supplement, a
/// completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDocument {
    /// The form field it was uploaded in (`balanstest`, `bijlagen`);
    /// empty for a document kept before documents had a field, which
    /// counts as the balancing test's.
    #[serde(default)]
    pub field: String,
    /// Where the file store keeps it.
    pub key: String,
    /// The safe name it was uploaded under.
    pub filename: String,
    /// The name the applicant's computer gave it (absent in documents kept
    /// before it was recorded): what the applicant is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_name: Option<String>,
    /// What its bytes are.
    pub kind: DocumentKind,
    /// Its size in bytes.
    pub size: usize,
}

impl CaseDocument {
    /// The name to show the applicant: their own where it is known.
    pub fn shown_name(&self) -> &str {
        self.shown_name.as_deref().unwrap_or(&self.filename)
    }
}

/// A payment as registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The day the money came in.
    pub date: NaiveDate,
    /// How much came in.
    pub amount: Cents,
}

/// What the commission advises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// The requested term is granted (or a shorter one).
    Granted {
        /// The customer term granted, in years.
        term_years: u32,
        /// The last day the advice is valid.
        valid_until: NaiveDate,
    },
    /// The request is refused.
    Refused,
}

/// The advice as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    /// Granted or refused.
    pub outcome: Outcome,
    /// The reasons, in Markdown.
    pub motivation: String,
    /// The day it was sent.
    pub sent_on: NaiveDate,
}

/// A request to complete the application (art. 6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// The day it was asked.
    pub requested_on: NaiveDate,
    /// The commission's text.
    pub text: String,
    /// The day the answer came, if it did.
    pub answered_on: Option<NaiveDate>,
}

/// One answer changed by the applicant, with what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's name.
    pub field: String,
    /// Before, as the form stored it (empty when not given).
    pub old: String,
    /// After.
    pub new: String,
}

/// What an action asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// "Betaling registreren": `amount` came in on `date`; a different
    /// amount than invoiced only when `accept_difference`.
    RegisterPayment {
        /// The day the money came in.
        date: NaiveDate,
        /// How much came in.
        amount: Cents,
        /// The secretariat confirmed a partial or excess amount.
        accept_difference: bool,
    },
    /// The applicant changes answers and adds documents.
    Amend {
        /// The application as changed.
        application: Box<Application>,
        /// Documents added.
        documents: Vec<CaseDocument>,
    },
    /// The applicant has no more changes: handling may start before the
    /// change window ends.
    FinishChanges,
    /// "In behandeling nemen".
    TakeIntoHandling,
    /// "Niet in behandeling nemen", with the reason.
    Decline {
        /// Why, for the applicant.
        reason: String,
    },
    /// "Aanvulling vragen" (art. 6.2), with the commission's text.
    RequestCompletion {
        /// What to complete or change.
        text: String,
    },
    /// The applicant answers a completion request.
    AnswerCompletion {
        /// The answer.
        text: String,
        /// Documents with it.
        documents: Vec<CaseDocument>,
    },
    /// "Advies vastleggen".
    RecordAdvice {
        /// Granted or refused.
        outcome: Outcome,
        /// The reasons, in Markdown.
        motivation: String,
    },
    /// "Intrekken".
    Withdraw {
        /// The secretariat credits the invoice (the credit note itself
        /// follows with the bookkeeping).
        credit_note: bool,
    },
    /// The schedule's payment reminder.
    SendReminder,
    /// A new personal link, asked for on the site ("Stuur mij de link
    /// opnieuw").
    SendLink,
    /// "Notitie toevoegen": for the secretariat and the commission only;
    /// the applicant never sees it.
    AddNote {
        /// The note.
        text: String,
    },
}

impl Action {
    /// A short name, for logs and refusals.
    pub fn name(&self) -> &'static str {
        match self {
            Action::RegisterPayment { .. } => "betaling registreren",
            Action::Amend { .. } => "aanvraag wijzigen of aanvullen",
            Action::FinishChanges => "geen wijzigingen meer",
            Action::TakeIntoHandling => "in behandeling nemen",
            Action::Decline { .. } => "niet in behandeling nemen",
            Action::RequestCompletion { .. } => "aanvulling vragen",
            Action::AnswerCompletion { .. } => "aanvulling sturen",
            Action::RecordAdvice { .. } => "advies vastleggen",
            Action::Withdraw { .. } => "intrekken",
            Action::SendReminder => "betalingsherinnering sturen",
            Action::SendLink => "persoonlijke link sturen",
            Action::AddNote { .. } => "notitie toevoegen",
        }
    }
}

/// What an event changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum Change {
    /// The application was filed and the invoice sent.
    Filed,
    /// The payment came in.
    PaymentRegistered {
        /// The payment.
        payment: Payment,
        /// What was invoiced.
        invoiced: Cents,
    },
    /// The applicant changed answers or added documents.
    Amended {
        /// The answers changed, old and new.
        fields: Vec<FieldChange>,
        /// The documents added.
        documents: Vec<CaseDocument>,
        /// The kind of organisation changed before payment: the invoice
        /// no longer matches the fee.
        tariff_changed: bool,
        /// The application after the change.
        application: Box<Application>,
    },
    /// The applicant has no more changes.
    ChangesFinished,
    /// Handling started.
    TakenIntoHandling {
        /// The day.
        on: NaiveDate,
    },
    /// Not taken into handling.
    Declined {
        /// Why.
        reason: String,
        /// The day.
        on: NaiveDate,
    },
    /// A completion was asked.
    CompletionRequested {
        /// The request.
        request: CompletionRequest,
    },
    /// The completion came in.
    CompletionAnswered {
        /// The day.
        on: NaiveDate,
        /// The answer.
        text: String,
        /// Documents with it.
        documents: Vec<CaseDocument>,
    },
    /// The advice was sent.
    AdviceRecorded {
        /// The advice.
        advice: Advice,
    },
    /// The application was withdrawn.
    Withdrawn {
        /// The day.
        on: NaiveDate,
        /// The invoice is credited.
        credit_note: bool,
    },
    /// A payment reminder was sent.
    ReminderSent {
        /// Which one (1, 2, ...).
        number: u32,
    },
    /// A new personal link was sent to the contact person.
    LinkSent,
    /// A note by the secretariat or the commission (internal).
    NoteAdded {
        /// The note.
        text: String,
    },
    /// The application files' retention ended: personal data removed,
    /// what the invoices need kept.
    Anonymised {
        /// The day.
        on: NaiveDate,
    },
}

impl Change {
    /// Whether only the CBT sees this change (a note), not the applicant.
    pub fn is_internal(&self) -> bool {
        matches!(self, Change::NoteAdded { .. })
    }

    /// The change in one Dutch sentence, for the history.
    pub fn summary(&self) -> String {
        match self {
            Change::Filed => "Aanvraag ingediend; factuur verstuurd".into(),
            Change::PaymentRegistered { payment, invoiced } if payment.amount == *invoiced => {
                format!(
                    "Betaling van {} ontvangen op {}",
                    payment.amount,
                    dutch_date(payment.date)
                )
            }
            Change::PaymentRegistered { payment, invoiced } => format!(
                "Betaling van {} ontvangen op {} (gefactureerd: {})",
                payment.amount,
                dutch_date(payment.date),
                invoiced
            ),
            Change::Amended {
                fields, documents, ..
            } => {
                let mut parts = Vec::new();
                if !fields.is_empty() {
                    parts.push(format!(
                        "{} {} gewijzigd",
                        fields.len(),
                        if fields.len() == 1 {
                            "antwoord"
                        } else {
                            "antwoorden"
                        }
                    ));
                }
                if !documents.is_empty() {
                    parts.push(format!(
                        "{} {} toegevoegd",
                        documents.len(),
                        if documents.len() == 1 {
                            "document"
                        } else {
                            "documenten"
                        }
                    ));
                }
                format!("Aanvraag aangevuld of gewijzigd: {}", parts.join(", "))
            }
            Change::ChangesFinished => "De aanvrager heeft geen wijzigingen meer".into(),
            Change::TakenIntoHandling { on } => {
                format!("In behandeling genomen op {}", dutch_date(*on))
            }
            Change::Declined { on, .. } => {
                format!("Niet in behandeling genomen op {}", dutch_date(*on))
            }
            Change::CompletionRequested { request } => format!(
                "Aanvulling gevraagd op {}",
                dutch_date(request.requested_on)
            ),
            Change::CompletionAnswered { on, .. } => {
                format!("Aanvulling ontvangen op {}", dutch_date(*on))
            }
            Change::AdviceRecorded { advice } => match advice.outcome {
                Outcome::Granted { term_years, .. } => format!(
                    "Advies uitgebracht op {}: toegewezen, klanttermijn {term_years} jaar",
                    dutch_date(advice.sent_on)
                ),
                Outcome::Refused => format!(
                    "Advies uitgebracht op {}: afgewezen",
                    dutch_date(advice.sent_on)
                ),
            },
            Change::Withdrawn { on, credit_note } => format!(
                "Aanvraag ingetrokken op {}{}",
                dutch_date(*on),
                if *credit_note {
                    "; de factuur wordt gecrediteerd"
                } else {
                    ""
                }
            ),
            Change::ReminderSent { number } => format!("Betalingsherinnering {number} verstuurd"),
            Change::LinkSent => "Persoonlijke link opnieuw verstuurd".into(),
            Change::NoteAdded { .. } => "Notitie toegevoegd".into(),
            Change::Anonymised { on } => format!(
                "Bewaartermijn verstreken op {}: persoonsgegevens verwijderd",
                dutch_date(*on)
            ),
        }
    }
}

impl Change {
    /// The mails this change sends, made by `actor`.
    pub fn mails(&self, actor: &Actor) -> Vec<MailKind> {
        use MailKind::*;
        match self {
            Change::Filed => vec![ApplicationConfirmation, Invoice, ApplicationSecretariat],
            Change::PaymentRegistered { .. } => vec![PaymentReceived],
            Change::Amended { .. } => vec![AmendReceipt, AmendSecretariat],
            Change::TakenIntoHandling { .. } => vec![TakenIntoHandling],
            Change::Declined { .. } => vec![NotTakenIntoHandling],
            Change::CompletionRequested { .. } => vec![CompletionRequested],
            Change::CompletionAnswered { .. } => vec![CompletionReceipt, CompletionSecretariat],
            Change::AdviceRecorded { .. } => vec![AdviceSent],
            Change::Withdrawn { .. } if *actor == Actor::Applicant => {
                vec![Withdrawn, WithdrawnSecretariat]
            }
            Change::Withdrawn {
                credit_note: true, ..
            } => vec![Withdrawn, CreditNote],
            Change::Withdrawn { .. } => vec![Withdrawn],
            Change::ReminderSent { .. } => vec![PaymentReminder],
            Change::LinkSent => vec![LinkResent],
            Change::ChangesFinished | Change::Anonymised { .. } | Change::NoteAdded { .. } => {
                Vec::new()
            }
        }
    }
}

/// One thing that happened to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its place in the case's history, from 1.
    pub seq: u32,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    #[serde(flatten)]
    pub change: Change,
}

/// Why an action is refused. Each says in Dutch what the person can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not in this state.
    #[error("Dit kan niet nu de aanvraag de status “{state}” heeft.")]
    WrongState {
        /// The case's state.
        state: State,
        /// The action refused.
        action: &'static str,
    },
    /// Not for this person.
    #[error("U kunt dit niet doen; neem contact op met het secretariaat.")]
    NotYours {
        /// The action refused.
        action: &'static str,
    },
    /// The change window has closed.
    #[error("Wijzigen of aanvullen kon tot en met {}. Wilt u nog iets doorgeven, neem dan contact op met het secretariaat.", dutch_date(*until))]
    ChangeWindowClosed {
        /// Its last day.
        until: NaiveDate,
    },
    /// The change window is still open and the applicant may still change.
    #[error("De aanvrager kan de aanvraag nog wijzigen tot en met {}; neem haar daarna in behandeling, of eerder als de aanvrager laat weten klaar te zijn.", dutch_date(*until))]
    ChangeWindowOpen {
        /// Its last day.
        until: NaiveDate,
    },
    /// The kind of organisation or the VAT (by where the customer is)
    /// decides the amount, which is paid.
    #[error("De soort organisatie en het land van het factuuradres bepalen het bedrag van de factuur, en dat is al betaald. Neem contact op met het secretariaat om dit te wijzigen.")]
    TariffAfterPayment,
    /// The contact person's or the invoice's e-mail address would change:
    /// those addresses confirmed the application (the address check), and
    /// a new one has not. The CBT's choice: the secretariat changes them.
    #[error("Het e-mailadres van de contactpersoon en dat voor de factuur kunt u hier niet wijzigen: beide hebben de aanvraag bevestigd. Neem contact op met het secretariaat om een adres te wijzigen.")]
    AddressChanged,
    /// The completion's deadline has passed.
    #[error("Aanvullen kon tot en met {}. Neem contact op met het secretariaat.", dutch_date(*due))]
    CompletionClosed {
        /// Its last day.
        due: NaiveDate,
    },
    /// The completion's deadline has not passed and no answer came.
    #[error("De aanvrager kan de aanvulling nog sturen tot en met {}.", dutch_date(*due))]
    CompletionOpen {
        /// Its last day.
        due: NaiveDate,
    },
    /// A different amount than invoiced, not confirmed.
    #[error("Het bedrag ({given}) is niet het gefactureerde bedrag ({expected}). Bevestig dat u dit bedrag wilt registreren.")]
    AmountDiffers {
        /// What was invoiced.
        expected: Cents,
        /// What was given.
        given: Cents,
    },
    /// A value is missing or impossible.
    #[error("{0}")]
    Invalid(&'static str),
    /// Nothing to do: the request changes nothing.
    #[error("Er is niets gewijzigd.")]
    NothingChanged,
    /// No reminder is due.
    #[error("Er is nu geen betalingsherinnering nodig.")]
    NoReminderDue,
}

/// A filed application and everything that happened to it since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// `CBT-2026-0007`.
    pub reference: String,
    /// The invoice's number.
    pub invoice_number: InvoiceNumber,
    /// When it was filed.
    pub submitted: DateTime<Utc>,
    /// Its date in Amsterdam: the invoice date.
    pub submitted_on: NaiveDate,
    /// The amount invoiced.
    pub invoiced: Cents,
    /// The application as it stands now.
    pub application: Application,
    /// Every document, in the order they came.
    pub documents: Vec<CaseDocument>,
    /// Where it stands.
    pub state: State,
    /// How many events it has had: the version a change is decided on.
    pub version: u32,
    /// The payment, once registered.
    pub payment: Option<Payment>,
    /// The day handling started.
    pub handling_since: Option<NaiveDate>,
    /// Every completion request, oldest first.
    pub completions: Vec<CompletionRequest>,
    /// The advice, once sent.
    pub advice: Option<Advice>,
    /// Why it was not taken into handling.
    pub declined: Option<String>,
    /// The day it ended (advice, declined, withdrawn).
    pub closed_on: Option<NaiveDate>,
    /// Payment reminders sent.
    pub reminders_sent: u32,
    /// The last reminder's date.
    pub last_reminder: Option<NaiveDate>,
    /// The applicant said there are no more changes.
    pub changes_finished: bool,
    /// The kind of organisation changed after the invoice: it must be
    /// credited and made again.
    pub invoice_outdated: bool,
    /// The withdrawal asked for a credit note.
    pub credit_note: bool,
    /// The application files' retention ended.
    pub anonymised: bool,
}

impl Case {
    /// A case for an application just filed, before its first event.
    pub fn filed(
        reference: String,
        invoice_number: InvoiceNumber,
        submitted: DateTime<Utc>,
        invoiced: Cents,
        application: Application,
        documents: Vec<CaseDocument>,
    ) -> Case {
        Case {
            reference,
            invoice_number,
            submitted,
            submitted_on: local_date(submitted),
            invoiced,
            application,
            documents,
            state: State::Ontvangen,
            version: 0,
            payment: None,
            handling_since: None,
            completions: Vec::new(),
            advice: None,
            declined: None,
            closed_on: None,
            reminders_sent: 0,
            last_reminder: None,
            changes_finished: false,
            invoice_outdated: false,
            credit_note: false,
            anonymised: false,
        }
    }

    /// The open completion request, if any.
    pub fn open_completion(&self) -> Option<&CompletionRequest> {
        self.completions.last().filter(|c| c.answered_on.is_none())
    }

    /// Whether `actor` may take `action` at all (in some state).
    fn may(actor: &Actor, action: &Action) -> bool {
        match action {
            Action::Amend { .. } | Action::FinishChanges | Action::AnswerCompletion { .. } => {
                *actor == Actor::Applicant
            }
            Action::RegisterPayment { .. } => {
                matches!(actor, Actor::Secretariat { .. } | Actor::BankImport)
            }
            Action::TakeIntoHandling
            | Action::Decline { .. }
            | Action::RequestCompletion { .. }
            | Action::RecordAdvice { .. } => matches!(actor, Actor::Secretariat { .. }),
            Action::Withdraw { .. } => {
                matches!(actor, Actor::Applicant | Actor::Secretariat { .. })
            }
            Action::SendReminder => *actor == Actor::Schedule,
            Action::SendLink => *actor == Actor::Applicant,
            Action::AddNote { .. } => {
                matches!(actor, Actor::Secretariat { .. } | Actor::Commission { .. })
            }
        }
    }

    /// The states in which `actor` may take `action`.
    fn states_for(actor: &Actor, action: &Action) -> &'static [State] {
        use State::*;
        match action {
            Action::RegisterPayment { .. } | Action::SendReminder => &[Ontvangen],
            Action::Amend { .. } | Action::FinishChanges => &[Ontvangen, Betaald],
            Action::TakeIntoHandling | Action::Decline { .. } => &[Betaald],
            Action::RequestCompletion { .. } => &[InBehandeling, AanvullingOntvangen],
            Action::AnswerCompletion { .. } => &[AanvullingGevraagd],
            Action::RecordAdvice { .. } => {
                &[InBehandeling, AanvullingGevraagd, AanvullingOntvangen]
            }
            Action::Withdraw { .. } if *actor == Actor::Applicant => &[Ontvangen, Betaald],
            Action::Withdraw { .. } => &[
                Ontvangen,
                Betaald,
                InBehandeling,
                AanvullingGevraagd,
                AanvullingOntvangen,
            ],
            // Also after the end: the applicant may want to read the advice.
            Action::SendLink => &State::ALL,
            // Also after the end: an objection, a call, a correction.
            Action::AddNote { .. } => &State::ALL,
        }
    }

    /// What `action` by `actor` at `now` would change, or why it is
    /// refused. Decides on this version of the case; [`Case::apply`] makes
    /// the change.
    pub fn decide(
        &self,
        action: &Action,
        actor: &Actor,
        now: DateTime<Utc>,
        periods: &Periods,
    ) -> Result<Change, Refusal> {
        let name = action.name();
        if !Case::may(actor, action) {
            return Err(Refusal::NotYours { action: name });
        }
        if !Case::states_for(actor, action).contains(&self.state) {
            return Err(Refusal::WrongState {
                state: self.state,
                action: name,
            });
        }
        let today = local_date(now);
        let deadlines = self.deadlines(periods, today);
        match action {
            Action::RegisterPayment {
                date,
                amount,
                accept_difference,
            } => {
                if amount.0 <= 0 {
                    return Err(Refusal::Invalid("Vul een bedrag in dat groter is dan nul."));
                }
                if *date > today || *date < self.submitted_on {
                    return Err(Refusal::Invalid(
                        "De betaaldatum ligt in de toekomst of vóór de datum van de aanvraag.",
                    ));
                }
                if *amount != self.invoiced && !accept_difference {
                    return Err(Refusal::AmountDiffers {
                        expected: self.invoiced,
                        given: *amount,
                    });
                }
                Ok(Change::PaymentRegistered {
                    payment: Payment {
                        date: *date,
                        amount: *amount,
                    },
                    invoiced: self.invoiced,
                })
            }
            Action::Amend {
                application,
                documents,
            } => {
                if let Some(until) = deadlines.amend_until.filter(|u| today > *u) {
                    return Err(Refusal::ChangeWindowClosed { until });
                }
                // Mail goes to these addresses, and each confirmed the
                // application before it was filed: a new one has not, and
                // would receive the case's mails unasked.
                let same = |a: &crate::formats::Email, b: &crate::formats::Email| {
                    a.as_str().eq_ignore_ascii_case(b.as_str())
                };
                if !same(&application.contact.email, &self.application.contact.email)
                    || !same(&application.invoice.email, &self.application.invoice.email)
                {
                    return Err(Refusal::AddressChanged);
                }
                // The amount changes with the tariff, and with where the
                // customer is (the VAT): either makes the invoice wrong.
                let tariff_changed = application.organisation.tariff
                    != self.application.organisation.tariff
                    || crate::invoice::VatTreatment::of(&application.invoice)
                        != crate::invoice::VatTreatment::of(&self.application.invoice);
                if tariff_changed && self.payment.is_some() {
                    return Err(Refusal::TariffAfterPayment);
                }
                let fields = changed_fields(&self.application, application);
                if fields.is_empty() && documents.is_empty() {
                    return Err(Refusal::NothingChanged);
                }
                Ok(Change::Amended {
                    fields,
                    documents: documents.clone(),
                    tariff_changed,
                    application: application.clone(),
                })
            }
            Action::FinishChanges => {
                if self.changes_finished {
                    return Err(Refusal::NothingChanged);
                }
                Ok(Change::ChangesFinished)
            }
            Action::TakeIntoHandling => {
                if let Some(until) = deadlines
                    .amend_until
                    .filter(|u| today <= *u && !self.changes_finished)
                {
                    return Err(Refusal::ChangeWindowOpen { until });
                }
                Ok(Change::TakenIntoHandling { on: today })
            }
            Action::Decline { reason } => {
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(Refusal::Invalid(
                        "Geef de reden waarom de aanvraag niet in behandeling wordt genomen.",
                    ));
                }
                Ok(Change::Declined {
                    reason: reason.to_string(),
                    on: today,
                })
            }
            Action::RequestCompletion { text } => {
                let text = text.trim();
                if text.is_empty() {
                    return Err(Refusal::Invalid(
                        "Schrijf wat de aanvrager moet aanvullen of wijzigen.",
                    ));
                }
                Ok(Change::CompletionRequested {
                    request: CompletionRequest {
                        requested_on: today,
                        text: text.to_string(),
                        answered_on: None,
                    },
                })
            }
            Action::AnswerCompletion { text, documents } => {
                if let Some(due) = deadlines.completion_due.filter(|d| today > *d) {
                    return Err(Refusal::CompletionClosed { due });
                }
                if text.trim().is_empty() && documents.is_empty() {
                    return Err(Refusal::Invalid(
                        "Schrijf uw aanvulling of voeg een document toe.",
                    ));
                }
                Ok(Change::CompletionAnswered {
                    on: today,
                    text: text.trim().to_string(),
                    documents: documents.clone(),
                })
            }
            Action::RecordAdvice {
                outcome,
                motivation,
            } => {
                if self.state == State::AanvullingGevraagd {
                    if let Some(due) = deadlines.completion_due.filter(|d| today <= *d) {
                        return Err(Refusal::CompletionOpen { due });
                    }
                }
                if motivation.trim().is_empty() {
                    return Err(Refusal::Invalid("Schrijf de motivering van het advies."));
                }
                if let Outcome::Granted {
                    term_years,
                    valid_until,
                } = outcome
                {
                    if *term_years <= periods.max_customer_term_years {
                        return Err(Refusal::Invalid(
                            "Een toegewezen klanttermijn is langer dan de termijn die zonder advies geldt.",
                        ));
                    }
                    if *valid_until <= today {
                        return Err(Refusal::Invalid(
                            "De geldigheid van het advies eindigt na vandaag.",
                        ));
                    }
                }
                Ok(Change::AdviceRecorded {
                    advice: Advice {
                        outcome: outcome.clone(),
                        motivation: motivation.trim().to_string(),
                        sent_on: today,
                    },
                })
            }
            Action::Withdraw { credit_note } => Ok(Change::Withdrawn {
                on: today,
                credit_note: *credit_note,
            }),
            Action::SendLink => {
                if self.anonymised {
                    return Err(Refusal::Invalid(
                        "De gegevens van deze aanvraag zijn niet meer bewaard.",
                    ));
                }
                Ok(Change::LinkSent)
            }
            Action::AddNote { text } => {
                let text = text.trim();
                if text.is_empty() {
                    return Err(Refusal::Invalid("Schrijf de notitie."));
                }
                if self.anonymised {
                    return Err(Refusal::Invalid(
                        "De gegevens van deze aanvraag zijn niet meer bewaard.",
                    ));
                }
                Ok(Change::NoteAdded {
                    text: text.to_string(),
                })
            }
            Action::SendReminder => {
                let next = deadlines.next_reminder(periods, self);
                match next {
                    Some(due) if today >= due => Ok(Change::ReminderSent {
                        number: self.reminders_sent + 1,
                    }),
                    _ => Err(Refusal::NoReminderDue),
                }
            }
        }
    }

    /// Makes `change` (decided on this version) at `at`, by `actor`: the
    /// case's next version, and the event that records it.
    pub fn apply(&mut self, change: Change, actor: Actor, at: DateTime<Utc>) -> Event {
        let on = local_date(at);
        match &change {
            Change::Filed => {}
            Change::PaymentRegistered { payment, .. } => {
                self.payment = Some(*payment);
                self.state = State::Betaald;
            }
            Change::Amended {
                documents,
                tariff_changed,
                application,
                ..
            } => {
                self.application = Application::clone(application);
                self.documents.extend(documents.iter().cloned());
                self.invoice_outdated |= *tariff_changed;
            }
            Change::ChangesFinished => self.changes_finished = true,
            Change::TakenIntoHandling { on } => {
                self.handling_since = Some(*on);
                self.state = State::InBehandeling;
            }
            Change::Declined { reason, on } => {
                self.declined = Some(reason.clone());
                self.closed_on = Some(*on);
                self.state = State::NietInBehandeling;
            }
            Change::CompletionRequested { request } => {
                self.completions.push(request.clone());
                self.state = State::AanvullingGevraagd;
            }
            Change::CompletionAnswered { on, documents, .. } => {
                if let Some(open) = self.completions.last_mut() {
                    open.answered_on = Some(*on);
                }
                self.documents.extend(documents.iter().cloned());
                self.state = State::AanvullingOntvangen;
            }
            Change::AdviceRecorded { advice } => {
                // A completion left unanswered ends with the advice.
                self.advice = Some(advice.clone());
                self.closed_on = Some(advice.sent_on);
                self.state = State::AdviesUitgebracht;
            }
            Change::Withdrawn { on, credit_note } => {
                self.closed_on = Some(*on);
                self.credit_note = *credit_note;
                self.state = State::Ingetrokken;
            }
            Change::ReminderSent { number } => {
                self.reminders_sent = *number;
                self.last_reminder = Some(on);
            }
            Change::LinkSent | Change::NoteAdded { .. } => {}
            Change::Anonymised { .. } => self.anonymised = true,
        }
        self.version += 1;
        Event {
            seq: self.version,
            at,
            actor,
            change,
        }
    }

    /// The dates that follow from the case so far, as of `today`.
    pub fn deadlines(&self, periods: &Periods, today: NaiveDate) -> Deadlines {
        let paid = self.payment.map(|p| p.date);
        let days = |date: Option<NaiveDate>, n: u32| {
            date.and_then(|d| d.checked_add_days(Days::new(u64::from(n))))
        };
        let amend_until = if self.state.is_closed() || self.handling_since.is_some() {
            None
        } else {
            days(paid, periods.amend_days_after_payment)
        };
        let completion_due = self
            .open_completion()
            .and_then(|c| days(Some(c.requested_on), periods.complete_days));
        // The days a completion was outstanding, counted to its answer (or
        // to today while it is open): what a pause would add.
        let paused: u32 = self
            .completions
            .iter()
            .map(|c| {
                let end = c.answered_on.unwrap_or(today).max(c.requested_on);
                u32::try_from((end - c.requested_on).num_days()).unwrap_or(0)
            })
            .sum();
        let advice_unpaused = days(self.handling_since, periods.advice_weeks.saturating_mul(7));
        let advice_paused = days(advice_unpaused, paused);
        let open = !self.state.is_closed();
        Deadlines {
            payment_due: days(Some(self.submitted_on), periods.payment_term_days)
                .filter(|_| self.payment.is_none() && open),
            amend_until,
            completion_due: completion_due.filter(|_| open),
            advice_due: if periods.pause_advice_during_completion {
                advice_paused
            } else {
                advice_unpaused
            }
            .filter(|_| open),
            advice_due_unpaused: advice_unpaused.filter(|_| open),
            advice_due_paused: advice_paused.filter(|_| open),
            advice_target: days(paid, periods.target_weeks_after_payment.saturating_mul(7))
                .filter(|_| open),
        }
    }

    /// The last day the application files are kept, by `years`: after
    /// the advice's validity, or after the case ended without one.
    pub fn files_kept_until(&self, years: u32) -> Option<NaiveDate> {
        let from = match &self.advice {
            Some(Advice {
                outcome: Outcome::Granted { valid_until, .. },
                ..
            }) => Some(*valid_until),
            _ => self.closed_on,
        }?;
        add_years(from, years)
    }

    /// The last day the invoice's records are kept: `years` after the end
    /// of the invoice's calendar year.
    pub fn invoice_kept_until(&self, years: u32) -> Option<NaiveDate> {
        let year = self
            .submitted_on
            .year()
            .checked_add(i32::try_from(years).ok()?)?;
        NaiveDate::from_ymd_opt(year, 12, 31)
    }
}

/// What stands in for personal data that is no longer kept.
pub const REMOVED: &str = "(verwijderd)";

/// The answers an invoice needs, kept after the application files' end
/// for the fiscal retention: the customer is an organisation, and these
/// are its business details, not a person's.
const KEPT_ANSWERS: &[&str] = &[
    crate::needs::application::ORGANISATION_NAME,
    crate::needs::application::KVK,
    crate::needs::application::TARIFF,
    crate::needs::application::INVOICE_NAME,
    crate::needs::application::INVOICE_STREET,
    crate::needs::application::INVOICE_POSTCODE,
    crate::needs::application::INVOICE_CITY,
    crate::needs::application::INVOICE_COUNTRY,
    crate::needs::application::INVOICE_REFERENCE,
    crate::needs::application::VAT_ID,
];

impl Case {
    /// The case without the application files' personal data: what the
    /// invoice and payment records need stays (the organisation, the
    /// invoice address, amounts, dates, states); the contact person, the
    /// answers, the motivation, texts, documents and the advice's reasons
    /// go. The documents' files are for the caller to delete.
    pub fn anonymised(&self) -> Case {
        let mut case = self.clone();
        case.application = anonymised_application(&case.application);
        case.documents.clear();
        for c in &mut case.completions {
            c.text = REMOVED.into();
        }
        if let Some(advice) = &mut case.advice {
            advice.motivation = REMOVED.into();
        }
        if case.declined.is_some() {
            case.declined = Some(REMOVED.into());
        }
        case
    }
}

impl Event {
    /// The event without personal data (see [`Case::anonymised`]).
    pub fn anonymised(&self) -> Event {
        let mut event = self.clone();
        match &mut event.change {
            Change::Amended {
                fields,
                documents,
                application,
                ..
            } => {
                for f in fields.iter_mut() {
                    if !KEPT_ANSWERS.contains(&f.field.as_str()) {
                        f.old = REMOVED.into();
                        f.new = REMOVED.into();
                    }
                }
                documents.clear();
                **application = anonymised_application(application);
            }
            Change::CompletionRequested { request } => request.text = REMOVED.into(),
            Change::CompletionAnswered {
                text, documents, ..
            } => {
                *text = REMOVED.into();
                documents.clear();
            }
            Change::Declined { reason, .. } => *reason = REMOVED.into(),
            Change::AdviceRecorded { advice } => advice.motivation = REMOVED.into(),
            // A note may name people; it goes with the rest.
            Change::NoteAdded { text } => *text = REMOVED.into(),
            _ => {}
        }
        event
    }
}

fn anonymised_application(application: &Application) -> Application {
    let mut a = application.clone();
    a.contact.name = REMOVED.into();
    a.contact.role = None;
    a.contact.email = crate::formats::Email::removed();
    a.contact.phone = None;
    a.motivation = None;
    if let crate::application::OnBehalf::Representative { organisations } = &mut a.on_behalf {
        *organisations = REMOVED.into();
    }
    a.answers.retain(|k, _| KEPT_ANSWERS.contains(&k.as_str()));
    a
}

/// `date` plus `years`; 29 February becomes 28 February in a common year.
fn add_years(date: NaiveDate, years: u32) -> Option<NaiveDate> {
    date.checked_add_months(chrono::Months::new(years.checked_mul(12)?))
}

/// The answers that differ between two versions of an application.
fn changed_fields(old: &Application, new: &Application) -> Vec<FieldChange> {
    let mut names: Vec<&String> = old.answers.keys().chain(new.answers.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let before = old.answers.get(name).cloned().unwrap_or_default();
            let after = new.answers.get(name).cloned().unwrap_or_default();
            (before != after).then(|| FieldChange {
                field: name.clone(),
                old: before,
                new: after,
            })
        })
        .collect()
}

/// The dates of a case that are still ahead of it, or passed while it was
/// open; `None` where a date does not apply (yet, or any more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// The invoice must be paid by then.
    pub payment_due: Option<NaiveDate>,
    /// The applicant may change or supplement until then.
    pub amend_until: Option<NaiveDate>,
    /// The open completion request must be answered by then.
    pub completion_due: Option<NaiveDate>,
    /// The advice is due by then, by the setting
    /// `pause_advice_during_completion`.
    pub advice_due: Option<NaiveDate>,
    /// The advice date without a pause for completions.
    pub advice_due_unpaused: Option<NaiveDate>,
    /// The advice date with the completions' days added.
    pub advice_due_paused: Option<NaiveDate>,
    /// The CBT aims to advise by then.
    pub advice_target: Option<NaiveDate>,
}

/// Which deadline a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Payment due.
    Payment,
    /// Change window ends.
    ChangeWindow,
    /// Completion due.
    Completion,
    /// Advice due.
    Advice,
}

impl DeadlineKind {
    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            DeadlineKind::Payment => "betaling",
            DeadlineKind::ChangeWindow => "wijzigen tot en met",
            DeadlineKind::Completion => "aanvulling",
            DeadlineKind::Advice => "advies",
        }
    }
}

impl Deadlines {
    /// The nearest date the case waits for, and what it is.
    pub fn next(&self) -> Option<(DeadlineKind, NaiveDate)> {
        [
            (DeadlineKind::Payment, self.payment_due),
            (DeadlineKind::ChangeWindow, self.amend_until),
            (DeadlineKind::Completion, self.completion_due),
            (DeadlineKind::Advice, self.advice_due),
        ]
        .into_iter()
        .filter_map(|(kind, date)| date.map(|d| (kind, d)))
        .min_by_key(|(_, d)| *d)
    }

    /// The day the next payment reminder is due, if one may still go.
    fn next_reminder(&self, periods: &Periods, case: &Case) -> Option<NaiveDate> {
        if case.reminders_sent >= periods.reminder_max {
            return None;
        }
        let from = case.last_reminder.or(self.payment_due)?;
        from.checked_add_days(Days::new(u64::from(periods.reminder_interval_days)))
    }
}

/// `tot en met 15 januari 2027`.
pub fn until(date: NaiveDate) -> String {
    format!("tot en met {}", dutch_date(date))
}

#[cfg(test)]
mod tests;
