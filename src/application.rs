//! From a checked application to what follows from it: its reference, the
//! invoice, and the mails to the applicant, the invoice address and the
//! secretariat. And the same for a contact message. Pure: the function
//! stores and sends what this returns.

use chrono::NaiveDate;
use serde::Serialize;
use tera::Context;

use crate::invoice::{self, Customer, Invoice, InvoiceInput, InvoiceNumber};
use crate::mail::{self, Address, Attachment, Envelope, MailError, MailKind, Message};
use crate::summary;
use crate::templates::Templates;
use crate::validate::Submission;
use crate::Rules;

/// An application's reference follows from its invoice number, which the
/// store assigns in the same transaction: `CBT-2026-0007`.
pub fn reference(number: InvoiceNumber) -> String {
    format!("CBT-{number}")
}

/// Why the follow-up of an application could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    #[error("factuur: {0}")]
    Invoice(#[from] invoice::InvoiceError),
    #[error("factuur-pdf: {0}")]
    Pdf(#[from] invoice::pdf::PdfError),
    #[error("e-mail: {0}")]
    Mail(#[from] MailError),
}

/// The invoice details the applicant gave.
pub fn customer(submission: &Submission) -> Customer {
    let get = |name: &str| submission.get(name).unwrap_or_default().to_string();
    Customer {
        name: get("factuur_naam"),
        street: get("factuur_straat"),
        postcode: get("factuur_postcode"),
        city: get("factuur_plaats"),
        country: get("factuur_land"),
        email: get("factuur_email"),
        extra: submission.get("factuur_extra").map(str::to_string),
        vat_id: submission.get("btw_nummer").map(str::to_string),
    }
}

/// The invoice for `submission`, numbered `number`, dated `date`.
pub fn invoice(
    rules: &Rules,
    submission: &Submission,
    number: InvoiceNumber,
    date: NaiveDate,
) -> Result<Invoice, invoice::InvoiceError> {
    let years = submission
        .get("klanttermijn_jaren")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    Invoice::new(
        InvoiceInput {
            supplier: &rules.supplier,
            fees: &rules.fees,
            payment_term_days: rules.periods.payment_term_days,
            customer: customer(submission),
            reference: &reference(number),
            tariff: submission.get("soort_organisatie").unwrap_or_default(),
            customer_term_years: years,
        },
        number,
        date,
    )
}

/// Everything that follows from an application that was stored.
pub struct FollowUp {
    pub invoice: Invoice,
    pub pdf: Vec<u8>,
    pub mails: Vec<Message>,
}

#[derive(Serialize)]
struct ApplicationContext<'a> {
    site: &'a crate::SiteConfig,
    periods: &'a crate::Periods,
    reference: &'a str,
    submitted_on: String,
    organisation: &'a str,
    contact_name: &'a str,
    rows: Vec<summary::Row>,
    invoice: &'a Invoice,
    invoice_number: String,
    supply_note: String,
    iban: String,
    document: Option<&'a crate::validate::Document>,
}

/// The invoice and the three mails of an application: to the applicant's
/// contact, to the invoice address (with the PDF), and to the secretariat
/// (with the uploaded document). `from` is the sending address.
pub fn follow_up(
    rules: &Rules,
    templates: &Templates,
    submission: &Submission,
    number: InvoiceNumber,
    date: NaiveDate,
    from: &Address,
) -> Result<FollowUp, FollowUpError> {
    let invoice = invoice(rules, submission, number, date)?;
    let pdf = invoice::pdf::render(&invoice)?;
    let reference = reference(number);
    let get = |name: &str| submission.get(name).unwrap_or_default();
    let ctx = ApplicationContext {
        site: &rules.site,
        periods: &rules.periods,
        reference: &reference,
        submitted_on: date.to_string(),
        organisation: get("organisatie_naam"),
        contact_name: get("contact_naam"),
        rows: summary::rows(&rules.forms.application, submission),
        invoice: &invoice,
        invoice_number: invoice.number.to_string(),
        supply_note: invoice.supply_note(),
        iban: crate::formats::format_iban(&invoice.supplier.iban),
        document: submission.document.as_ref(),
    };
    let context = Context::from_serialize(&ctx)
        .map_err(|e| MailError::Template(crate::templates::TemplateError::from_tera(&e)))?;
    let secretariat = Address::new(
        &rules.site.secretariat.email,
        Some(&rules.site.secretariat.name),
    )?;
    let contact = Address::new(get("contact_email"), Some(get("contact_naam")))?;
    let invoice_to = Address::new(&invoice.customer.email, Some(&invoice.customer.name))?;

    let confirmation = mail::render(
        templates,
        MailKind::ApplicationConfirmation,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![contact.clone()],
            reply_to: Some(secretariat.clone()),
            attachments: Vec::new(),
        },
    )?;
    let invoice_mail = mail::render(
        templates,
        MailKind::Invoice,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![invoice_to],
            reply_to: Some(secretariat.clone()),
            attachments: vec![Attachment {
                filename: format!("factuur-{}.pdf", invoice.number),
                content_type: "application/pdf".into(),
                bytes: pdf.clone(),
            }],
        },
    )?;
    let document = submission
        .document
        .iter()
        .map(|d| Attachment {
            filename: d.filename.clone(),
            content_type: d.kind.mime().to_string(),
            bytes: d.bytes.clone(),
        })
        .collect();
    let for_secretariat = mail::render(
        templates,
        MailKind::ApplicationSecretariat,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![secretariat],
            reply_to: Some(contact),
            attachments: document,
        },
    )?;
    Ok(FollowUp {
        invoice,
        pdf,
        mails: vec![confirmation, invoice_mail, for_secretariat],
    })
}

#[derive(Serialize)]
struct ContactContext<'a> {
    site: &'a crate::SiteConfig,
    received_on: String,
    values: &'a std::collections::BTreeMap<String, String>,
    rows: Vec<summary::Row>,
}

/// The two mails of a contact message: the notification to the
/// secretariat (reply goes to the sender) and the acknowledgement.
pub fn contact_mails(
    rules: &Rules,
    templates: &Templates,
    submission: &Submission,
    date: NaiveDate,
    from: &Address,
) -> Result<Vec<Message>, MailError> {
    let ctx = ContactContext {
        site: &rules.site,
        received_on: date.to_string(),
        values: &submission.values,
        rows: summary::rows(&rules.forms.contact, submission),
    };
    let context = Context::from_serialize(&ctx)
        .map_err(|e| MailError::Template(crate::templates::TemplateError::from_tera(&e)))?;
    let secretariat = Address::new(
        &rules.site.secretariat.email,
        Some(&rules.site.secretariat.name),
    )?;
    let sender = Address::new(
        submission.get("email").unwrap_or_default(),
        submission.get("naam"),
    )?;
    let notification = mail::render(
        templates,
        MailKind::ContactSecretariat,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![secretariat.clone()],
            reply_to: Some(sender.clone()),
            attachments: Vec::new(),
        },
    )?;
    let acknowledgement = mail::render(
        templates,
        MailKind::ContactAcknowledgement,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![sender],
            reply_to: Some(secretariat),
            attachments: Vec::new(),
        },
    )?;
    Ok(vec![notification, acknowledgement])
}
