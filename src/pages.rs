//! The pages the function answers with, rendered from the same templates
//! as the site (`templates/`), so they look and read the same: the form
//! again with its errors, "check your answers", the confirmation, and
//! plain messages (thank you, expired, errors).

use std::collections::BTreeMap;

use serde::Serialize;
use tera::Context;

use crate::forms::FormDef;
use crate::summary::Row;
use crate::templates::{TemplateError, Templates};
use crate::validate::FieldError;
use crate::Rules;

/// The context every page needs, as `templates/base.html` expects it.
pub(crate) fn base(rules: &Rules, path: &str, title: &str) -> Context {
    let mut ctx = Context::new();
    ctx.insert("config", &rules.site);
    ctx.insert(
        "assets",
        &serde_json::json!({
            "stylesheet": crate::embedded::STYLESHEET,
            "focus_script": crate::embedded::FOCUS_SCRIPT,
            "challenge_script": crate::embedded::CHALLENGE_SCRIPT,
            "passkey_script": crate::embedded::PASSKEY_SCRIPT,
        }),
    );
    ctx.insert("current_path", path);
    ctx.insert("canonical", &format!("{}{}", rules.site.base(), path));
    ctx.insert("page_title", title);
    ctx.insert("page_description", &rules.site.description);
    ctx.insert("breadcrumbs", &Vec::<()>::new());
    ctx.insert("form_values", &BTreeMap::<String, String>::new());
    ctx.insert("form_errors", &BTreeMap::<String, String>::new());
    ctx.insert("example_data", &!rules.unconfirmed.is_empty());
    ctx.insert("unconfirmed", &Vec::<()>::new());
    ctx
}

/// The documents a form keeps from an earlier post, by file field: the
/// names their owner knows them by. A browser cannot show a file it did
/// not choose itself, so the form says these at their fields.
pub type Kept = BTreeMap<String, Vec<String>>;

/// `documents` by the file field they were uploaded in (the balancing
/// test's for a document kept before documents had a field).
pub fn kept_by_field(documents: &[crate::case::CaseDocument]) -> Kept {
    let mut kept = Kept::new();
    for doc in documents {
        let field = if doc.field.is_empty() {
            crate::needs::application::DOCUMENT
        } else {
            doc.field.as_str()
        };
        kept.entry(field.to_string())
            .or_default()
            .push(doc.shown_name().to_string());
    }
    kept
}

/// The form again, with what was entered and the errors.
pub fn form_with_errors(
    rules: &Rules,
    templates: &Templates,
    form: &FormDef,
    entered: &BTreeMap<String, String>,
    errors: &[FieldError],
    kept: &Kept,
) -> Result<String, TemplateError> {
    let title = if errors.is_empty() {
        form.title.clone()
    } else {
        format!("Fout: {}", form.title)
    };
    let mut ctx = base(rules, form.action.as_str(), &title);
    let messages: BTreeMap<&str, &str> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    ctx.insert("form", form);
    ctx.insert("heading", &form.title);
    ctx.insert("form_values", entered);
    ctx.insert("form_errors", &messages);
    ctx.insert("kept_documents", kept);
    templates.render("formulier.html", &ctx)
}

/// What the check page shows.
#[derive(Debug, Serialize)]
pub struct CheckPage<'a> {
    /// The answers as read back.
    pub rows: &'a [Row],
    /// The draft's id.
    pub draft_id: &'a str,
    /// The draft's version: confirming sends it back.
    pub version: u32,
    /// What this applicant will pay: the VAT by where it is.
    pub due: &'a crate::invoice::Due,
    /// The answers were changed in another tab since the page the
    /// applicant confirmed: say so.
    pub changed_meanwhile: bool,
    /// The application mails to two addresses (contact and invoice), so
    /// two addresses must confirm before it is filed.
    pub two_addresses: bool,
}

/// "Check your answers": every answer with a change link, what this
/// applicant will pay (the VAT by where it is), and the button that sends
/// the application (which starts the address check; filing it creates the
/// obligation to pay).
pub fn check_answers(
    rules: &Rules,
    templates: &Templates,
    page: &CheckPage<'_>,
) -> Result<String, TemplateError> {
    let mut ctx = base(rules, "/aanvraag/controle", "Controleer uw aanvraag");
    ctx.insert("rows", page.rows);
    ctx.insert("draft_id", page.draft_id);
    ctx.insert("version", &page.version);
    ctx.insert("due", page.due);
    ctx.insert("total", &page.due.total.to_string());
    ctx.insert("payment_days", &rules.periods.payment_term_days);
    ctx.insert(
        "unconfirmed",
        &rules.unconfirmed_in(crate::invoice::INVOICE_READS),
    );
    ctx.insert("changed_meanwhile", &page.changed_meanwhile);
    ctx.insert("two_addresses", &page.two_addresses);
    templates.render("controle.html", &ctx)
}

/// One address on the page that waits for the address check.
#[derive(Debug, Serialize)]
pub struct Waiting<'a> {
    /// The address, as the applicant typed it.
    pub email: &'a str,
    /// What it is for, in words.
    pub role: &'static str,
    /// Whether it confirmed already.
    pub confirmed: bool,
}

/// The role of an address in words; `two` when the contact person and the
/// invoice have an address each.
pub fn role_words(role: crate::address_check::AddressRole, two: bool) -> &'static str {
    use crate::address_check::AddressRole;
    match (role, two) {
        (AddressRole::Contact, false) => "het e-mailadres van de contactpersoon en voor de factuur",
        (AddressRole::Contact, true) => "het e-mailadres van de contactpersoon",
        (AddressRole::Invoice, _) => "het e-mailadres voor de factuur",
    }
}

/// "Confirm by mail": the page after the applicant sent the application,
/// until it is filed. Shows only what the applicant typed themselves.
pub fn sent_page(
    rules: &Rules,
    templates: &Templates,
    draft_id: &str,
    addresses: &[Waiting<'_>],
    until: chrono::DateTime<chrono::Utc>,
    resent: bool,
) -> Result<String, TemplateError> {
    let mut ctx = base(
        rules,
        "/aanvraag/ontvangen",
        "Bevestig uw aanvraag via de e-mail",
    );
    ctx.insert("draft_id", draft_id);
    ctx.insert("addresses", addresses);
    ctx.insert("until_on", &crate::dates::local_date(until));
    ctx.insert("until_at", &crate::dates::local_time(until));
    ctx.insert("resent", &resent);
    templates.render("verstuurd.html", &ctx)
}

/// What the page behind an address link says.
#[derive(Debug, Serialize)]
pub struct AddressPage<'a> {
    /// Where its button posts.
    pub action: &'a str,
    /// The address asked.
    pub email: &'a str,
    /// Its role, in words.
    pub role: &'static str,
    /// It is the invoice address (and not also the contact's).
    pub role_is_invoice: bool,
    /// Two addresses must confirm.
    pub two_addresses: bool,
    /// When the application was sent.
    pub sent: chrono::DateTime<chrono::Utc>,
    /// Until when it may be confirmed.
    pub until: chrono::DateTime<chrono::Utc>,
    /// The organisation's KvK number, or its country: nothing the sender
    /// wrote.
    pub registration: &'a str,
    /// The invoice's total, in cents.
    pub total: i64,
    /// This address confirmed.
    pub done: bool,
    /// The other address is still to confirm: the invoice address.
    pub waiting_for_invoice: bool,
    /// Filed: the case's reference.
    pub reference: Option<&'a str>,
}

/// The page behind an address link: what was sent and a button that
/// confirms it (a link in a mail is opened by scanners too, so opening it
/// confirms nothing); after the confirmation, what happens next. Shows
/// nothing the sender wrote: the organisation by its KvK number.
pub fn address_page(
    rules: &Rules,
    templates: &Templates,
    page: &AddressPage<'_>,
) -> Result<String, TemplateError> {
    let title = if page.role_is_invoice {
        "Bevestig het factuuradres"
    } else {
        "Bevestig de aanvraag"
    };
    let mut ctx = base(rules, "/aanvraag/adres", title);
    ctx.insert("action", page.action);
    ctx.insert("email", page.email);
    ctx.insert("role", page.role);
    ctx.insert("role_is_invoice", &page.role_is_invoice);
    ctx.insert("two_addresses", &page.two_addresses);
    ctx.insert("sent_on", &crate::dates::local_date(page.sent));
    ctx.insert("sent_at", &crate::dates::local_time(page.sent));
    ctx.insert("until_on", &crate::dates::local_date(page.until));
    ctx.insert("until_at", &crate::dates::local_time(page.until));
    ctx.insert("registration", page.registration);
    ctx.insert("total", &page.total);
    ctx.insert("done", &page.done);
    ctx.insert("waiting_for_invoice", &page.waiting_for_invoice);
    ctx.insert("reference", &page.reference);
    templates.render("adres.html", &ctx)
}

/// What the confirmation page says happens next.
#[derive(Debug, Serialize)]
pub struct Confirmation<'a> {
    /// The application's reference.
    pub reference: &'a str,
    /// The invoice's number.
    pub invoice_number: &'a str,
    /// Where the invoice goes.
    pub invoice_email: &'a str,
    /// Where the confirmation goes.
    pub contact_email: &'a str,
    /// YYYY-MM-DD.
    pub payment_due: String,
    /// The amount to pay, as Dutch text.
    pub total: String,
    /// The applicant's personal link, when the page may show it.
    pub link: Option<&'a str>,
}

/// The confirmation page after an application was filed.
pub fn confirmation(
    rules: &Rules,
    templates: &Templates,
    c: &Confirmation<'_>,
) -> Result<String, TemplateError> {
    let mut ctx = base(rules, "/aanvraag/ontvangen", "Uw aanvraag is ontvangen");
    ctx.insert(
        "unconfirmed",
        &rules.unconfirmed_in(crate::invoice::INVOICE_READS),
    );
    ctx.insert("c", c);
    ctx.insert("periods", &rules.periods);
    templates.render("ontvangen.html", &ctx)
}

/// A plain page with a heading, paragraphs and links onward.
pub fn message(
    rules: &Rules,
    templates: &Templates,
    title: &str,
    paragraphs: &[&str],
) -> Result<String, TemplateError> {
    let mut ctx = base(rules, "/", title);
    ctx.insert("paragraphs", paragraphs);
    templates.render("melding.html", &ctx)
}

/// A message at the top of a case's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// What to say.
    pub text: String,
    /// A refusal or failure, rather than a success.
    pub error: bool,
}

/// A date on a case's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateRow {
    /// What the date is.
    pub label: &'static str,
    /// The date in words.
    pub text: String,
}

/// One line of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    /// When, in Amsterdam.
    pub date: String,
    /// Who.
    pub actor: String,
    /// What.
    pub summary: String,
}

/// A document on a case's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentRow {
    /// Its name.
    pub filename: String,
    /// Its size in words (`340 kB`).
    pub size: String,
    /// Where to download it.
    pub url: String,
}

/// What the applicant may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Can {
    /// Change answers, add documents.
    pub amend: bool,
    /// Say there are no more changes.
    pub finish: bool,
    /// Answer a completion request.
    pub answer: bool,
    /// Withdraw.
    pub withdraw: bool,
}

/// The applicant's page of a case, as the template reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseView {
    /// `CBT-2027-0001`.
    pub reference: String,
    /// The applicant.
    pub organisation: String,
    /// The state in words.
    pub state: &'static str,
    /// YYYY-MM-DD.
    pub submitted_on: String,
    /// What happens next, in paragraphs.
    pub next: Vec<String>,
    /// The dates that matter now.
    pub dates: Vec<DateRow>,
    /// The open completion request.
    pub completion: Option<crate::case::CompletionRequest>,
    /// What the applicant may do.
    pub can: Can,
    /// Why changing is no longer possible, when it is not.
    pub amend_closed: Option<String>,
    /// The change window's last day (YYYY-MM-DD), once paid.
    pub amend_until: Option<String>,
    /// The change window in days after payment.
    pub amend_days: u32,
    /// The documents.
    pub documents: Vec<DocumentRow>,
    /// The invoice's number.
    pub invoice_number: String,
    /// The amount invoiced, as Dutch text.
    pub invoiced: String,
    /// Whether there is an advice letter to download.
    pub advice: bool,
    /// The history, newest first.
    pub history: Vec<HistoryRow>,
    /// The address of the page (without a trailing slash).
    pub base: String,
    /// A message at the top.
    pub notice: Option<Notice>,
    /// What a document may be, for the upload fields' hint.
    pub document_hint: String,
}

impl CaseView {
    /// The page of `case` with `events` at `now`, under `base`.
    pub fn new(
        rules: &Rules,
        case: &crate::case::Case,
        events: &[crate::case::Event],
        now: chrono::DateTime<chrono::Utc>,
        base: &str,
        notice: Option<Notice>,
    ) -> CaseView {
        use crate::case::{Action, Actor, Outcome, State};
        use crate::dates::{dutch_date, local_date};
        let periods = &rules.periods;
        let today = local_date(now);
        let t = case.deadlines(periods, today);
        let allowed = |action: &Action| {
            !matches!(
                case.decide(action, &Actor::Applicant, now, periods),
                Err(crate::case::Refusal::NotYours { .. } | crate::case::Refusal::WrongState { .. })
            )
        };
        let amend_open =
            allowed(&Action::FinishChanges) && t.amend_until.is_none_or(|until| today <= until);
        let when = |date: Option<chrono::NaiveDate>| date.map(dutch_date).unwrap_or_default();
        let mut next = Vec::new();
        match case.state {
            State::Ontvangen => {
                next.push(format!(
                    "Betaal de factuur {} van {} uiterlijk {}. De CBT neemt de aanvraag in behandeling zodra de betaling is ontvangen, als zij naar het oordeel van de commissie gemotiveerd en voldoende specifiek is.",
                    case.invoice_number, case.invoiced, when(t.payment_due)
                ));
                next.push(format!(
                    "Tot {} dagen na de betaling kunt u de aanvraag nog wijzigen of aanvullen.",
                    periods.amend_days_after_payment
                ));
            }
            State::Betaald => {
                next.push(format!(
                    "De betaling is ontvangen. U kunt de aanvraag nog wijzigen of aanvullen tot en met {}.",
                    when(t.amend_until)
                ));
                next.push(
                    "Daarna neemt de CBT de aanvraag in behandeling, als zij naar het oordeel van de commissie gemotiveerd en voldoende specifiek is. U krijgt dan bericht."
                        .to_string(),
                );
            }
            State::InBehandeling => next.push(format!(
                "De commissie behandelt uw aanvraag. Het advies komt uiterlijk {}.",
                when(t.advice_due)
            )),
            State::AanvullingGevraagd => next.push(format!(
                "De commissie vraagt u de aanvraag aan te vullen of te wijzigen. U kunt uw aanvulling hieronder sturen tot en met {}.",
                when(t.completion_due)
            )),
            State::AanvullingOntvangen => next.push(format!(
                "Uw aanvulling is ontvangen. De commissie neemt haar mee in de behandeling; het advies komt uiterlijk {}.",
                when(t.advice_due)
            )),
            State::AdviesUitgebracht => {
                if let Some(advice) = &case.advice {
                    next.push(match advice.outcome {
                        Outcome::Granted {
                            term_years,
                            valid_until,
                        } => format!(
                            "De commissie heeft op {} positief geadviseerd: een klanttermijn van {term_years} jaar, geldig tot en met {}.",
                            dutch_date(advice.sent_on),
                            dutch_date(valid_until)
                        ),
                        Outcome::Refused => format!(
                            "De commissie heeft op {} negatief geadviseerd.",
                            dutch_date(advice.sent_on)
                        ),
                    });
                }
                next.push(
                    "Het advies staat hieronder bij de documenten. Tegen het advies staat geen bezwaar of beroep open."
                        .to_string(),
                );
            }
            State::NietInBehandeling => {
                next.push(
                    "De commissie heeft de aanvraag niet in behandeling genomen.".to_string(),
                );
                if let Some(reason) = &case.declined {
                    next.push(format!("De reden: {reason}"));
                }
            }
            State::Ingetrokken => next.push(format!(
                "De aanvraag is op {} ingetrokken. De CBT behandelt haar niet.",
                when(case.closed_on)
            )),
        }
        let mut dates = Vec::new();
        let mut date = |label, value: Option<chrono::NaiveDate>| {
            if let Some(d) = value {
                dates.push(DateRow {
                    label,
                    text: crate::case::until(d),
                });
            }
        };
        date("Betalen", t.payment_due);
        date("Wijzigen en aanvullen", t.amend_until);
        date("Aanvulling sturen", t.completion_due);
        date("Advies uiterlijk", t.advice_due);
        date("Streefdatum advies", t.advice_target);
        let amend_closed = (!amend_open
            && matches!(case.state, State::Betaald | State::InBehandeling | State::AanvullingOntvangen))
        .then(|| {
            format!(
                "Wijzigen of aanvullen kan niet meer{}. Wilt u nog iets doorgeven, neem dan contact op met het secretariaat ({}).",
                case.payment
                    .map(|p| format!(
                        ": dat kon tot en met {}",
                        when(p.date.checked_add_days(chrono::Days::new(u64::from(
                            periods.amend_days_after_payment
                        ))))
                    ))
                    .unwrap_or_default(),
                rules.site.secretariat.email
            )
        });
        let file = rules
            .forms
            .application
            .field(crate::needs::application::DOCUMENT);
        let document_hint = file
            .and_then(|f| f.hint.clone())
            .unwrap_or_else(|| "Een PDF-, DOCX- of ODT-bestand.".to_string());
        CaseView {
            reference: case.reference.clone(),
            organisation: case.application.organisation.name.clone(),
            state: case.state.label(),
            submitted_on: case.submitted_on.to_string(),
            next,
            dates,
            completion: case.open_completion().cloned(),
            can: Can {
                amend: amend_open,
                finish: amend_open && case.state == State::Betaald && !case.changes_finished,
                answer: allowed(&Action::AnswerCompletion {
                    text: String::new(),
                    documents: Vec::new(),
                }) && t.completion_due.is_none_or(|due| today <= due),
                withdraw: allowed(&Action::Withdraw { credit_note: false }),
            },
            amend_closed,
            amend_until: t.amend_until.map(|d| d.to_string()),
            amend_days: periods.amend_days_after_payment,
            documents: case
                .documents
                .iter()
                .enumerate()
                .map(|(i, d)| DocumentRow {
                    filename: d.filename.clone(),
                    size: crate::summary::size(d.size),
                    url: format!("{base}/document/{i}"),
                })
                .collect(),
            invoice_number: case.invoice_number.to_string(),
            invoiced: case.invoiced.to_string(),
            advice: case.advice.is_some(),
            // Notes are the CBT's internal working notes, not the applicant's.
            history: events
                .iter()
                .rev()
                .filter(|e| !e.change.is_internal())
                .map(|e| HistoryRow {
                    date: dutch_date(local_date(e.at)),
                    actor: e.actor.to_string(),
                    summary: e.change.summary(),
                })
                .collect(),
            base: base.to_string(),
            notice,
            document_hint,
        }
    }
}

/// The applicant's page of a case.
pub fn case_page(
    rules: &Rules,
    templates: &Templates,
    view: &CaseView,
) -> Result<String, TemplateError> {
    let mut ctx = base(
        rules,
        "/mijn-aanvraag/",
        &format!("Uw aanvraag {}", view.reference),
    );
    ctx.insert("v", view);
    templates.render("zaak.html", &ctx)
}

/// "Are you sure?" before the applicant withdraws.
pub fn withdraw_page(
    rules: &Rules,
    templates: &Templates,
    reference: &str,
    page_base: &str,
    paid: bool,
) -> Result<String, TemplateError> {
    let mut ctx = base(
        rules,
        "/mijn-aanvraag/",
        &format!("Aanvraag {reference} intrekken"),
    );
    ctx.insert("reference", reference);
    ctx.insert("base", page_base);
    ctx.insert("paid", &paid);
    templates.render("intrekken.html", &ctx)
}

/// "Stuur mij de link opnieuw", and after it was asked for.
pub fn link_page(
    rules: &Rules,
    templates: &Templates,
    sent: bool,
) -> Result<String, TemplateError> {
    let mut ctx = base(rules, "/mijn-aanvraag/link", "Stuur mij de link opnieuw");
    ctx.insert("sent", &sent);
    templates.render("link.html", &ctx)
}
