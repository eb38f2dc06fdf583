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
#[derive(Debug, Clone)]
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
    /// What the malware scan said of them together: the secretariat's mail
    /// attaches them only when that allows ([`DocumentScan::attach`]), and
    /// says which.
    pub scan: DocumentScan,
    /// Where the documents are kept, for the secretariat when they are not
    /// attached.
    pub document_keys: Vec<&'a str>,
    /// The applicant's personal link, for the confirmation.
    pub link: Option<&'a str>,
}

/// What the malware scan of an uploaded document came to, as the
/// secretariat's mail says it: GuardDuty in AWS, a stand-in locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum DocumentScan {
    /// Scanned, nothing found: attached.
    Clean,
    /// The store does not scan (switched off): attached, and said so.
    NotScanned,
    /// No result after waiting this many minutes: not attached.
    Pending(i64),
    /// A threat found: not attached.
    Threat,
    /// The scan could not judge it (its status as given): not attached.
    Failed(String),
}

impl DocumentScan {
    /// Whether the document may go with the mail.
    pub fn attach(&self) -> bool {
        matches!(self, DocumentScan::Clean | DocumentScan::NotScanned)
    }
}

/// The invoice of a filed application, dated the day it was filed.
pub fn invoice(rules: &Rules, filed: &Filed<'_>) -> Result<Invoice, invoice::InvoiceError> {
    invoice_of(rules, filed.application, filed.number, filed.date)
}

/// The invoice numbered `number` of `application`, dated `date`: the one
/// its filing made (and a credit note credits).
pub fn invoice_of(
    rules: &Rules,
    application: &Application,
    number: InvoiceNumber,
    date: NaiveDate,
) -> Result<Invoice, invoice::InvoiceError> {
    Invoice::new(
        InvoiceInput {
            supplier: &rules.supplier,
            fees: &rules.fees,
            payment_term_days: rules.periods.payment_term_days,
            customer: application.invoice.clone(),
            reference: &reference(number),
            tariff: &application.organisation.tariff,
            customer_term_years: application.term_years,
            vat: &rules.vat,
            unconfirmed: invoice::unconfirmed(rules, &application.invoice),
        },
        number,
        date,
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
    document_keys: &'a [&'a str],
    scan: &'a DocumentScan,
    attached: bool,
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
        document_keys: &filed.document_keys,
        scan: &filed.scan,
        attached: !filed.documents.is_empty() && filed.scan.attach(),
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
        .filter(|_| filed.scan.attach())
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
    received_at: String,
    reference: &'a str,
    /// The sender's name for the acknowledgement's greeting, when short.
    name: Option<&'a str>,
    acknowledged: bool,
    enquiry: &'a Enquiry,
    rows: Vec<summary::Row>,
}

/// A contact message as it came in.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// What it says.
    pub enquiry: &'a Enquiry,
    /// When it came in.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Its kenmerk ([`crate::contact::reference`]).
    pub reference: &'a str,
    /// Whether the sender gets the acknowledgement (not when their address
    /// had as many mails from the site that day as it may).
    pub acknowledged: bool,
}

/// The two mails of a contact message: the notification to the
/// secretariat, with everything the sender wrote (the reply goes to the
/// sender), and the acknowledgement to the address typed into the form,
/// which says what came in (the form, the date and time, the kenmerk) and
/// nothing the sender wrote but a short name: anyone can type anyone's
/// address, and the commission's domain must not carry their words to it.
/// Dates and times in Amsterdam.
pub fn contact(
    rules: &Rules,
    templates: &Templates,
    received: &Received<'_>,
    from: &Address,
) -> Result<Vec<Message>, MailError> {
    let enquiry = received.enquiry;
    let ctx = ContactContext {
        site: &rules.site,
        received_on: crate::dates::local_date(received.at).to_string(),
        received_at: crate::dates::local_time(received.at),
        reference: received.reference,
        name: crate::address_check::short_name(&enquiry.name),
        acknowledged: received.acknowledged,
        enquiry,
        rows: summary::rows(&rules.forms.contact, &enquiry.answers, &[]),
    };
    let context = Context::from_serialize(&ctx)
        .map_err(|e| MailError::Template(crate::templates::TemplateError::from_tera(&e)))?;
    let secretariat = secretariat(rules)?;
    let sender = Address::typed(&enquiry.email, Some(&enquiry.name));
    let acknowledged = Address::typed(
        &enquiry.email,
        crate::address_check::short_name(&enquiry.name),
    );
    let notification = mail::render(
        templates,
        MailKind::ContactSecretariat,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![secretariat.clone()],
            reply_to: Some(sender),
            attachments: Vec::new(),
        },
    )?;
    let acknowledgement = mail::render(
        templates,
        MailKind::ContactAcknowledgement,
        &context,
        Envelope {
            from: from.clone(),
            to: vec![acknowledged],
            reply_to: Some(secretariat),
            attachments: Vec::new(),
        },
    )?;
    Ok(vec![notification, acknowledgement])
}
