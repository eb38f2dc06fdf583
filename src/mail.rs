//! The emails, rendered from `templates/emails/` into complete messages:
//! subject, recipients, reply-to, a text and an HTML part, attachments.
//!
//! User text reaches a message only through templates (escaped in HTML) and
//! through [`Address`] and [`Message::subject`], which refuse line breaks:
//! no value a visitor types can add or change a header.

use serde::Serialize;
use tera::Context;

use crate::formats::Email;
use crate::templates::{TemplateError, Templates};

/// A mailbox: an address that passed [`formats::normalize_email`], and an
/// optional display name without line breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    /// The display name, one line.
    pub name: Option<String>,
    /// The address.
    pub email: Email,
}

/// Why a message could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address from the configuration or the data files is not one.
    #[error("\"{0}\" is geen bruikbaar e-mailadres")]
    BadAddress(String),
    /// A mail's template failed.
    #[error("template: {0}")]
    Template(#[from] TemplateError),
}

impl Address {
    /// The mailbox `email`, checked, named `name`.
    pub fn new(email: &str, name: Option<&str>) -> Result<Address, MailError> {
        let email = Email::parse(email).map_err(|_| MailError::BadAddress(email.to_string()))?;
        Ok(Address::typed(&email, name))
    }

    /// The mailbox of an address that passed its check already.
    pub fn typed(email: &Email, name: Option<&str>) -> Address {
        let name = name.map(header_text).filter(|n| !n.is_empty());
        Address {
            name,
            email: email.clone(),
        }
    }
}

/// An attached file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The name it is attached under.
    pub filename: String,
    /// Its media type.
    pub content_type: String,
    #[serde(skip)]
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Which mail a message is; the store keeps the status of each per case.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// To the applicant's contact: what was received, what happens next.
    ApplicationConfirmation,
    /// To the invoice address: the invoice.
    Invoice,
    /// To the secretariat: the whole application and the document.
    ApplicationSecretariat,
    /// To the secretariat: a contact message.
    ContactSecretariat,
    /// To the sender of a contact message: received.
    ContactAcknowledgement,
    /// To the applicant: the payment came in.
    PaymentReceived,
    /// To the applicant: the change or supplement is received.
    AmendReceipt,
    /// To the secretariat: what the applicant changed, old and new.
    AmendSecretariat,
    /// To the applicant: taken into handling.
    TakenIntoHandling,
    /// To the applicant: not taken into handling, and why.
    NotTakenIntoHandling,
    /// To the applicant: the commission asks to complete the application.
    CompletionRequested,
    /// To the applicant: the completion is received.
    CompletionReceipt,
    /// To the secretariat: the applicant's completion.
    CompletionSecretariat,
    /// To the applicant: the advice, with the letter.
    AdviceSent,
    /// To the applicant: the application is withdrawn.
    Withdrawn,
    /// To the secretariat: the applicant withdrew the application.
    WithdrawnSecretariat,
    /// To the invoice address: the invoice is not paid yet.
    PaymentReminder,
    /// To the applicant: a new personal link.
    LinkResent,
    /// To the secretariat: what needs attention today.
    Digest,
    /// To the contact person's address, typed into the application: confirm
    /// that it belongs to the application (nothing is filed before).
    ContactAddressCheck,
    /// To the invoice address, when it is another: confirm that the
    /// invoice may go there.
    InvoiceAddressCheck,
    /// To the secretariat: a mail bounced or met a complaint.
    DeliveryProblem,
    /// To a staff member: a link to sign in to the workspace (sent at
    /// once, never kept: it holds the link's secret).
    StaffSignIn,
    /// To the invoice address: the credit note of a withdrawn case's
    /// invoice.
    CreditNote,
}

impl MailKind {
    /// Every kind.
    pub const ALL: [MailKind; 24] = [
        MailKind::ApplicationConfirmation,
        MailKind::Invoice,
        MailKind::ApplicationSecretariat,
        MailKind::ContactSecretariat,
        MailKind::ContactAcknowledgement,
        MailKind::PaymentReceived,
        MailKind::AmendReceipt,
        MailKind::AmendSecretariat,
        MailKind::TakenIntoHandling,
        MailKind::NotTakenIntoHandling,
        MailKind::CompletionRequested,
        MailKind::CompletionReceipt,
        MailKind::CompletionSecretariat,
        MailKind::AdviceSent,
        MailKind::Withdrawn,
        MailKind::WithdrawnSecretariat,
        MailKind::PaymentReminder,
        MailKind::LinkResent,
        MailKind::Digest,
        MailKind::ContactAddressCheck,
        MailKind::InvoiceAddressCheck,
        MailKind::DeliveryProblem,
        MailKind::StaffSignIn,
        MailKind::CreditNote,
    ];

    /// Whether the mail carries the applicant's personal link: a new one
    /// is made for every such mail as it goes out.
    pub fn carries_link(self) -> bool {
        matches!(
            self,
            MailKind::ApplicationConfirmation
                | MailKind::PaymentReceived
                | MailKind::AmendReceipt
                | MailKind::TakenIntoHandling
                | MailKind::CompletionRequested
                | MailKind::CompletionReceipt
                | MailKind::LinkResent
        )
    }

    /// The template files' base name under `templates/emails/`.
    pub fn template(self) -> &'static str {
        match self {
            MailKind::ApplicationConfirmation => "aanvraag-bevestiging",
            MailKind::Invoice => "factuur",
            MailKind::ApplicationSecretariat => "aanvraag-secretariaat",
            MailKind::ContactSecretariat => "contact-secretariaat",
            MailKind::ContactAcknowledgement => "contact-ontvangst",
            MailKind::PaymentReceived => "betaling-ontvangen",
            MailKind::AmendReceipt => "wijziging-ontvangen",
            MailKind::AmendSecretariat => "wijziging-secretariaat",
            MailKind::TakenIntoHandling => "in-behandeling",
            MailKind::NotTakenIntoHandling => "niet-in-behandeling",
            MailKind::CompletionRequested => "aanvulling-gevraagd",
            MailKind::CompletionReceipt => "aanvulling-ontvangen",
            MailKind::CompletionSecretariat => "aanvulling-secretariaat",
            MailKind::AdviceSent => "advies",
            MailKind::Withdrawn => "ingetrokken",
            MailKind::WithdrawnSecretariat => "ingetrokken-secretariaat",
            MailKind::PaymentReminder => "betalingsherinnering",
            MailKind::LinkResent => "persoonlijke-link",
            MailKind::Digest => "dagoverzicht",
            MailKind::ContactAddressCheck => "adres-bevestigen",
            MailKind::InvoiceAddressCheck => "factuuradres-bevestigen",
            MailKind::DeliveryProblem => "niet-bezorgd",
            MailKind::StaffSignIn => "aanmeldlink",
            MailKind::CreditNote => "creditnota",
        }
    }
}

/// A complete message, ready for a mailer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Which mail it is.
    pub kind: MailKind,
    /// The sender.
    pub from: Address,
    /// The recipients.
    pub to: Vec<Address>,
    /// Where answers go.
    pub reply_to: Option<Address>,
    subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// Attached files.
    pub attachments: Vec<Attachment>,
}

impl Message {
    /// The subject, one line.
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

/// What a message needs besides its template context.
pub struct Envelope {
    /// The sender.
    pub from: Address,
    /// The recipients.
    pub to: Vec<Address>,
    /// Where answers go.
    pub reply_to: Option<Address>,
    /// Attached files.
    pub attachments: Vec<Attachment>,
}

/// Renders the `kind` mail with `context`: `emails/<name>.subject.txt`,
/// `.txt` and `.html`.
pub fn render(
    templates: &Templates,
    kind: MailKind,
    context: &Context,
    envelope: Envelope,
) -> Result<Message, MailError> {
    let base = format!("emails/{}", kind.template());
    let subject = header_text(&templates.render(&format!("{base}.subject.txt"), context)?);
    let text = templates.render(&format!("{base}.txt"), context)?;
    let html = templates.render(&format!("{base}.html"), context)?;
    Ok(Message {
        kind,
        from: envelope.from,
        to: envelope.to,
        reply_to: envelope.reply_to,
        subject,
        text: tidy_text(&text),
        html,
        attachments: envelope.attachments,
    })
}

/// Text safe in a header: one line, no control characters, bounded.
pub fn header_text(s: &str) -> String {
    let one: String = s
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let collapsed = one.split_whitespace().collect::<Vec<_>>().join(" ");
    // The forms refuse `=?` in anything that becomes a header; this is the
    // second line: text that starts no encoded word cannot be decoded into
    // line breaks or direction overrides by a mail program.
    let inert = collapsed.replace("=?", "= ?");
    inert.chars().take(200).collect()
}

/// Templates leave blank lines where a block was left out: at most one
/// blank line in a row, none at the start, one newline at the end.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() && blank > 0 {
            out.push('\n');
        }
        blank = 0;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_take_one_line() {
        assert_eq!(
            header_text("Aanvraag\r\nBcc: x@y.nl"),
            "Aanvraag Bcc: x@y.nl"
        );
        assert_eq!(header_text(" a\u{2028}b\t"), "a b");
        assert_eq!(header_text(&"x".repeat(500)).len(), 200);
        assert_eq!(
            header_text("=?utf-8?q?Eva=0D=0ABcc:_x@evil.example?="),
            "= ?utf-8?q?Eva=0D=0ABcc:_x@evil.example?="
        );
    }

    #[test]
    fn addresses_are_checked() {
        assert!(Address::new("a@b.nl\r\nBcc: c@d.nl", None).is_err());
        assert!(Address::new("a@b.nl, c@d.nl", None).is_err());
        let a = Address::new(" Jan@Voorbeeld.NL ", Some("Jan\r\nBcc: x")).expect("valid");
        assert_eq!(a.email, "Jan@voorbeeld.nl");
        assert_eq!(a.name.as_deref(), Some("Jan Bcc: x"));
    }

    #[test]
    fn text_is_tidied() {
        assert_eq!(tidy_text("\n\na\n\n\n\nb  \n\n"), "a\n\nb\n");
    }
}
