//! What follows from a filed application: its invoice, and the mails to the
//! applicant's contact, the invoice address and the secretariat. And the
//! same for a contact message. Pure: the function stores and sends what
//! this returns.

use chrono::NaiveDate;
use serde::Serialize;
use tera::Context;

use crate::application::Application;
use crate::contact::Enquiry;
use crate::invoice::{self, Invoice, InvoiceInput, InvoiceNumber};
use crate::mail::{self, Address, Attachment, Envelope, MailError, MailKind, Message};
use crate::summary;
use crate::templates::Templates;
use crate::validate::Document;
use crate::Rules;

/// An application's reference follows from its invoice number, which the
/// store assigns in the same transaction: `CBT-2026-0007`.
pub fn reference(number: InvoiceNumber) -> String {
    format!("CBT-{number}")
}

/// Why the follow-up of an application could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    /// The invoice could not be made.
    #[error("factuur: {0}")]
    Invoice(#[from] invoice::InvoiceError),
    /// The invoice's PDF could not be made.
    #[error("factuur-pdf: {0}")]
    Pdf(#[from] invoice::pdf::PdfError),
    /// A mail could not be made.
    #[error("e-mail: {0}")]
    Mail(#[from] MailError),
}

/// An application as filed: numbered and dated.
#[derive(Debug, Clone, Copy)]
pub struct Filed<'a> {
    /// What was applied for.
    pub application: &'a Application,
    /// Its invoice number (the reference follows from it).
    pub number: InvoiceNumber,
    /// The date it was filed, in Amsterdam: the invoice date.
    pub date: NaiveDate,
    /// The balancing test and the documents with it, with their bytes
    /// when a mail attaches them.
    pub documents: &'a [Document],
    /// The applicant's personal link, for the confirmation.
    pub link: Option<&'a str>,
}

/// The invoice of a filed application, dated the day it was filed.
pub fn invoice(rules: &Rules, filed: &Filed<'_>) -> Result<Invoice, invoice::InvoiceError> {
    let application = filed.application;
    Invoice::new(
        InvoiceInput {
            supplier: &rules.supplier,
            fees: &rules.fees,
            payment_term_days: rules.periods.payment_term_days,
            customer: application.invoice.clone(),
            reference: &reference(filed.number),
            tariff: &application.organisation.tariff,
            customer_term_years: application.term_years,
            vat: &rules.vat,
            unconfirmed: invoice::unconfirmed(rules, &application.invoice),
        },
        filed.number,
        filed.date,
    )
}

/// Everything that follows from an application that was stored.
pub struct FollowUp {
    /// The invoice.
    pub invoice: Invoice,
    /// The invoice as the PDF that is sent.
    pub pdf: Vec<u8>,
    /// The mails, in the order they go out.
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
    payment_text: String,
    total_label: &'static str,
    iban: String,
    documents: &'a [Document],
    registration: String,
    link: Option<&'a str>,
}

/// The invoice and the three mails of an application: to the applicant's
/// contact, to the invoice address (with the PDF), and to the secretariat
/// (with the uploaded document). `from` is the sending address.
pub fn application(
    rules: &Rules,
    templates: &Templates,
    filed: &Filed<'_>,
    from: &Address,
) -> Result<FollowUp, FollowUpError> {
    let application = filed.application;
    let invoice = invoice(rules, filed)?;
    let pdf = invoice::pdf::render(&invoice)?;
    let reference = reference(filed.number);
    let ctx = ApplicationContext {
        site: &rules.site,
        periods: &rules.periods,
        reference: &reference,
        submitted_on: filed.date.to_string(),
        organisation: &application.organisation.name,
        contact_name: &application.contact.name,
        rows: summary::rows(
            &rules.forms.application,
            &application.answers,
            &filed
                .documents
                .iter()
                .map(summary::Upload::from)
                .collect::<Vec<_>>(),
        ),
        invoice: &invoice,
        invoice_number: invoice.number.to_string(),
        supply_note: invoice.supply_note(),
        payment_text: invoice.payment_text(),
        total_label: invoice.total_label(),
        iban: crate::formats::format_iban(&invoice.supplier.iban),
        documents: filed.documents,
        registration: application.registration(),
        link: filed.link,
    };
    let context = Context::from_serialize(&ctx)
        .map_err(|e| MailError::Template(crate::templates::TemplateError::from_tera(&e)))?;
    let secretariat = secretariat(rules)?;
    let contact = Address::typed(&application.contact.email, Some(&application.contact.name));
    let invoice_to = Address::typed(&invoice.customer.email, Some(&invoice.customer.name));

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
    let document = filed
        .documents
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

fn secretariat(rules: &Rules) -> Result<Address, MailError> {
    Address::new(
        &rules.site.secretariat.email,
        Some(&rules.site.secretariat.name),
    )
}

#[derive(Serialize)]
struct ContactContext<'a> {
    site: &'a crate::SiteConfig,
    received_on: String,
    enquiry: &'a Enquiry,
    rows: Vec<summary::Row>,
}

/// The two mails of a contact message received on `date` (in Amsterdam):
/// the notification to the secretariat (the reply goes to the sender) and
/// the acknowledgement.
pub fn contact(
    rules: &Rules,
    templates: &Templates,
    enquiry: &Enquiry,
    date: NaiveDate,
    from: &Address,
) -> Result<Vec<Message>, MailError> {
    let ctx = ContactContext {
        site: &rules.site,
        received_on: date.to_string(),
        enquiry,
        rows: summary::rows(&rules.forms.contact, &enquiry.answers, &[]),
    };
    let context = Context::from_serialize(&ctx)
        .map_err(|e| MailError::Template(crate::templates::TemplateError::from_tera(&e)))?;
    let secretariat = secretariat(rules)?;
    let sender = Address::typed(&enquiry.email, Some(&enquiry.name));
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
