//! The mails that follow a case's events ([`crate::case::Change::mails`]):
//! to the applicant's contact person, to the invoice address, or to the
//! secretariat, from `templates/emails/`. Pure: the function sends them.

use serde::Serialize;
use tera::Context;

use crate::case::{Case, CaseDocument, Change, Deadlines, Event};
use crate::dates::local_date;
use crate::digest::Digest;
use crate::mail::{self, Address, Attachment, Envelope, MailError, MailKind, Message};
use crate::summary;
use crate::templates::{TemplateError, Templates};
use crate::Rules;

/// One changed answer as people read it: the field's label, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedRow {
    /// The field's label on the form.
    pub label: String,
    /// Before.
    pub old: String,
    /// After.
    pub new: String,
}

#[derive(Serialize)]
struct CaseContext<'a> {
    site: &'a crate::SiteConfig,
    periods: &'a crate::Periods,
    reference: &'a str,
    organisation: &'a str,
    contact_name: &'a str,
    state: &'static str,
    link: Option<&'a str>,
    invoice_number: String,
    invoiced: i64,
    submitted_on: chrono::NaiveDate,
    case: &'a Case,
    deadlines: Deadlines,
    event: &'a Event,
    summary: String,
    on: chrono::NaiveDate,
    iban: String,
    supplier: &'a str,
    changes: Vec<ChangedRow>,
    documents: &'a [CaseDocument],
    text: Option<&'a str>,
    /// The attached files' names (the credit note says its number so).
    attachments: Vec<String>,
}

/// What a case mail is about.
pub struct Occasion<'a> {
    /// The case as it stands.
    pub case: &'a Case,
    /// The event the mail follows (one of the case's).
    pub event: &'a Event,
    /// Which mail.
    pub kind: MailKind,
    /// The applicant's personal link, when the kind carries one.
    pub link: Option<&'a str>,
    /// Attached files: the advice letter, the invoice.
    pub attachments: Vec<Attachment>,
}

/// The mail of `occasion`; `from` is the sending address.
pub fn render(
    rules: &Rules,
    templates: &Templates,
    occasion: Occasion<'_>,
    from: &Address,
) -> Result<Message, MailError> {
    let Occasion {
        case,
        event,
        kind,
        link,
        attachments,
    } = occasion;
    let today = local_date(event.at);
    let (documents, text): (&[CaseDocument], Option<&str>) = match &event.change {
        Change::Amended { documents, .. } => (documents, None),
        Change::CompletionAnswered {
            documents, text, ..
        } => (documents, Some(text.as_str())),
        Change::CompletionRequested { request } => (&[], Some(request.text.as_str())),
        Change::Declined { reason, .. } => (&[], Some(reason.as_str())),
        Change::AdviceRecorded { advice } => (&[], Some(advice.motivation.as_str())),
        _ => (&[], None),
    };
    let ctx = CaseContext {
        site: &rules.site,
        periods: &rules.periods,
        reference: &case.reference,
        organisation: &case.application.organisation.name,
        contact_name: &case.application.contact.name,
        state: case.state.label(),
        link,
        invoice_number: case.invoice_number.to_string(),
        invoiced: case.invoiced.0,
        submitted_on: case.submitted_on,
        case,
        deadlines: case.deadlines(&rules.periods, today),
        event,
        summary: event.change.summary(),
        on: today,
        iban: crate::formats::format_iban(&rules.supplier.iban),
        supplier: &rules.supplier.name,
        changes: changed_rows(rules, &event.change),
        documents,
        text,
        attachments: attachments.iter().map(|a| a.filename.clone()).collect(),
    };
    let context = Context::from_serialize(&ctx).map_err(|e| TemplateError::from_tera(&e))?;
    let secretariat = Address::new(
        &rules.site.secretariat.email,
        Some(&rules.site.secretariat.name),
    )?;
    let contact = Address::typed(
        &case.application.contact.email,
        Some(&case.application.contact.name),
    );
    let (to, reply_to) = match kind {
        MailKind::AmendSecretariat
        | MailKind::CompletionSecretariat
        | MailKind::WithdrawnSecretariat
        | MailKind::ApplicationSecretariat => (secretariat, contact),
        MailKind::PaymentReminder | MailKind::Invoice | MailKind::CreditNote => (
            Address::typed(
                &case.application.invoice.email,
                Some(&case.application.invoice.name),
            ),
            secretariat,
        ),
        _ => (contact, secretariat),
    };
    mail::render(
        templates,
        kind,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![to],
            reply_to: Some(reply_to),
            attachments,
        },
    )
}

/// The answers an amendment changed, with their labels and values as the
/// form shows them.
pub(crate) fn changed_rows(rules: &Rules, change: &Change) -> Vec<ChangedRow> {
    let Change::Amended { fields, .. } = change else {
        return Vec::new();
    };
    let form = &rules.forms.application;
    let shown = |answers: std::collections::BTreeMap<String, String>, name: &str| {
        summary::rows(form, &answers, &[])
            .into_iter()
            .find(|r| r.field == name)
            .map(|r| r.value)
    };
    fields
        .iter()
        .map(|f| {
            let one = |value: &str| {
                let answers = [(f.field.clone(), value.to_string())].into_iter().collect();
                shown(answers, &f.field).unwrap_or_else(|| value.to_string())
            };
            ChangedRow {
                label: form
                    .field(&f.field)
                    .map_or_else(|| f.field.clone(), |field| field.label.clone()),
                old: one(&f.old),
                new: one(&f.new),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct DigestContext<'a> {
    site: &'a crate::SiteConfig,
    periods: &'a crate::Periods,
    digest: &'a Digest,
    advice_within_days: u64,
    target_within_days: u64,
}

/// The digest as a mail to the secretariat.
pub fn digest(
    rules: &Rules,
    templates: &Templates,
    digest: &Digest,
    from: &Address,
) -> Result<Message, MailError> {
    let context = Context::from_serialize(&DigestContext {
        site: &rules.site,
        periods: &rules.periods,
        digest,
        advice_within_days: crate::digest::ADVICE_WITHIN_DAYS,
        target_within_days: crate::digest::TARGET_WITHIN_DAYS,
    })
    .map_err(|e| TemplateError::from_tera(&e))?;
    let secretariat = Address::new(
        &rules.site.secretariat.email,
        Some(&rules.site.secretariat.name),
    )?;
    mail::render(
        templates,
        MailKind::Digest,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![secretariat],
            reply_to: None,
            attachments: Vec::new(),
        },
    )
}

/// The secretariat's mail about a mail that bounced or met a complaint.
pub fn delivery_problem(
    rules: &Rules,
    templates: &Templates,
    notice: &crate::delivery::Notice,
    from: &Address,
) -> Result<Message, MailError> {
    let mut context = Context::new();
    context.insert("site", &rules.site);
    context.insert("notice", notice);
    let secretariat = Address::new(
        &rules.site.secretariat.email,
        Some(&rules.site.secretariat.name),
    )?;
    mail::render(
        templates,
        MailKind::DeliveryProblem,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![secretariat],
            reply_to: None,
            attachments: Vec::new(),
        },
    )
}
