//! What the mail service reports after a mail left: it bounced, the
//! recipient complained, or delivery is delayed. The function reads SES's
//! events into a [`Problem`], keeps it with the sent mail, and for a
//! bounce or a complaint mails the secretariat a [`Notice`]: a person must
//! then reach the applicant another way, because nothing resends the mail.
//! No I/O: the SES event's JSON is read in `cbt-function`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dates::{dutch_date, local_date};
use crate::mail::MailKind;

/// Why a bounce bounced, as far as the receiving side says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    /// The address does not exist (SMTP 5.1.1, SES `NoEmail`).
    NoSuchAddress,
    /// The mailbox is full.
    MailboxFull,
    /// The mail is larger than the recipient accepts.
    TooLarge,
    /// The recipient's server refused the content.
    ContentRejected,
    /// SES did not even try: the address is on a suppression list after an
    /// earlier bounce or complaint.
    Suppressed,
    /// Refused for good, for another or no stated reason.
    Refused,
    /// SES gave up after trying for a while (a transient bounce).
    GaveUp,
}

/// What went wrong with one recipient of one mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum Problem {
    /// The mail did not arrive.
    Bounced {
        /// The address as the mail service reports it.
        recipient: String,
        /// Why.
        kind: BounceKind,
        /// The receiving server's own words (SMTP status and diagnostic),
        /// for the secretariat who may need to explain it.
        detail: String,
    },
    /// The recipient marked the mail as unwanted.
    Complained {
        /// The address as the mail service reports it.
        recipient: String,
    },
    /// Delivery is delayed; the mail service keeps trying.
    Delayed {
        /// The address as the mail service reports it.
        recipient: String,
        /// Until when it tries, if it says.
        until: Option<DateTime<Utc>>,
    },
}

impl Problem {
    /// The address concerned.
    pub fn recipient(&self) -> &str {
        match self {
            Problem::Bounced { recipient, .. }
            | Problem::Complained { recipient }
            | Problem::Delayed { recipient, .. } => recipient,
        }
    }

    /// Whether the secretariat must act on it. A delay is kept with the
    /// mail but mailed to nobody: most delayed mail arrives, and the
    /// bounce follows if it does not. (The CBT's decision.)
    pub fn needs_the_secretariat(&self) -> bool {
        !matches!(self, Problem::Delayed { .. })
    }

    /// What happened, in two or three words: the mail's subject starts
    /// with it.
    pub fn headline(&self) -> &'static str {
        match self {
            Problem::Bounced { .. } => "Niet bezorgd",
            Problem::Complained { .. } => "Gemeld als ongewenst",
            Problem::Delayed { .. } => "Vertraagd",
        }
    }

    /// The problem as a Dutch sentence, without the address:
    /// "Niet bezorgd: het adres bestaat niet."
    pub fn sentence(&self) -> String {
        match self {
            Problem::Bounced { kind, .. } => format!(
                "Niet bezorgd: {}.",
                match kind {
                    BounceKind::NoSuchAddress => "het adres bestaat niet",
                    BounceKind::MailboxFull => "de mailbox van de ontvanger is vol",
                    BounceKind::TooLarge => "de e-mail is groter dan de ontvanger aanneemt",
                    BounceKind::ContentRejected => "de server van de ontvanger weigert de inhoud",
                    BounceKind::Suppressed =>
                        "het adres is eerder onbestelbaar gebleken of heeft geklaagd, en de e-maildienst stuurt er niets meer heen",
                    BounceKind::Refused => "de server van de ontvanger weigert de e-mail",
                    BounceKind::GaveUp =>
                        "de server van de ontvanger bleef onbereikbaar en de e-maildienst heeft het opgegeven",
                }
            ),
            Problem::Complained { .. } => {
                "De ontvanger heeft de e-mail als ongewenst gemeld.".to_string()
            }
            Problem::Delayed { until: Some(t), .. } => format!(
                "Vertraagd: de e-maildienst probeert het nog tot {}.",
                dutch_date(local_date(*t))
            ),
            Problem::Delayed { until: None, .. } => {
                "Vertraagd: de e-maildienst probeert het nog.".to_string()
            }
        }
    }
}

impl BounceKind {
    /// The kind of a bounce from SES's `bounceType`, `bounceSubType` and
    /// the recipient's SMTP `status` (see "Bounce types" in the SES
    /// developer guide, `event-publishing-retrieving-sns-contents`).
    pub fn from_ses(bounce_type: &str, sub_type: &str, status: Option<&str>) -> BounceKind {
        match (bounce_type, sub_type) {
            ("Transient", "MailboxFull") => BounceKind::MailboxFull,
            ("Transient", "MessageTooLarge") => BounceKind::TooLarge,
            ("Transient", "ContentRejected") => BounceKind::ContentRejected,
            ("Transient", _) => BounceKind::GaveUp,
            (_, "NoEmail") => BounceKind::NoSuchAddress,
            (_, "Suppressed" | "OnAccountSuppressionList") => BounceKind::Suppressed,
            _ if status.is_some_and(|s| s.starts_with("5.1.1")) => BounceKind::NoSuchAddress,
            _ => BounceKind::Refused,
        }
    }
}

/// A short Dutch name of each mail, as the secretariat knows them.
pub fn mail_name(kind: MailKind) -> &'static str {
    match kind {
        MailKind::ApplicationConfirmation => "de bevestiging van de aanvraag",
        MailKind::Invoice => "de factuur",
        MailKind::ApplicationSecretariat => "de kopie van de aanvraag voor het secretariaat",
        MailKind::ContactSecretariat => "het contactbericht voor het secretariaat",
        MailKind::ContactAcknowledgement => "de ontvangstbevestiging van het contactbericht",
        MailKind::PaymentReceived => "de bevestiging van de betaling",
        MailKind::AmendReceipt => "de bevestiging van de wijziging",
        MailKind::AmendSecretariat => "de wijziging voor het secretariaat",
        MailKind::TakenIntoHandling => "het bericht dat de aanvraag in behandeling is",
        MailKind::NotTakenIntoHandling => {
            "het bericht dat de aanvraag niet in behandeling is genomen"
        }
        MailKind::CompletionRequested => "het verzoek om aanvulling",
        MailKind::CompletionReceipt => "de bevestiging van de aanvulling",
        MailKind::CompletionSecretariat => "de aanvulling voor het secretariaat",
        MailKind::AdviceSent => "het advies",
        MailKind::Withdrawn => "de bevestiging van de intrekking",
        MailKind::WithdrawnSecretariat => "de intrekking voor het secretariaat",
        MailKind::PaymentReminder => "de betalingsherinnering",
        MailKind::LinkResent => "de persoonlijke link",
        MailKind::Digest => "het dagoverzicht",
        MailKind::DeliveryProblem => "de melding van een onbezorgde e-mail",
        MailKind::StaffSignIn => "de aanmeldlink voor het beheer",
        MailKind::CreditNote => "de creditnota",
        MailKind::ContactAddressCheck => {
            "de vraag om het adres van de contactpersoon te bevestigen"
        }
        MailKind::InvoiceAddressCheck => "de vraag om het factuuradres te bevestigen",
    }
}

/// Whom the failed mail was about, for the secretariat to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "about")]
pub enum About {
    /// A case.
    Case {
        /// Its reference.
        reference: String,
        /// The organisation.
        organisation: String,
        /// The contact person's name.
        contact: String,
        /// Their phone number, if given: the other way to reach them.
        phone: Option<String>,
        /// The invoice number, when the invoice is what failed.
        invoice: Option<String>,
    },
    /// A contact message.
    Contact {
        /// The sender's name.
        name: String,
        /// The subject.
        subject: String,
        /// Their phone number, if given.
        phone: Option<String>,
        /// When it came in, in Dutch.
        received: String,
    },
}

/// The secretariat's mail about a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Which mail failed, in words ("de factuur").
    pub mail: &'static str,
    /// The address.
    pub recipient: String,
    /// "Niet bezorgd", "Gemeld als ongewenst".
    pub headline: &'static str,
    /// The problem ("Niet bezorgd: het adres bestaat niet.").
    pub sentence: String,
    /// The receiving server's words, if any.
    pub detail: Option<String>,
    /// When the mail was sent, in Dutch.
    pub sent: String,
    /// What it was about.
    pub about: About,
}

impl Notice {
    /// The notice about `problem` with mail `kind`, sent at `sent`.
    pub fn new(kind: MailKind, problem: &Problem, sent: DateTime<Utc>, about: About) -> Notice {
        Notice {
            mail: mail_name(kind),
            recipient: problem.recipient().to_string(),
            headline: problem.headline(),
            sentence: problem.sentence(),
            detail: match problem {
                Problem::Bounced { detail, .. } if !detail.is_empty() => Some(detail.clone()),
                _ => None,
            },
            sent: dutch_date(local_date(sent)),
            about,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn bounce_kinds_from_what_ses_says() {
        use BounceKind::*;
        for (t, sub, status, kind) in [
            ("Permanent", "General", Some("5.1.1"), NoSuchAddress),
            ("Permanent", "NoEmail", None, NoSuchAddress),
            ("Permanent", "General", Some("5.7.1"), Refused),
            ("Permanent", "General", None, Refused),
            ("Permanent", "Suppressed", None, Suppressed),
            ("Permanent", "OnAccountSuppressionList", None, Suppressed),
            ("Undetermined", "Undetermined", None, Refused),
            ("Transient", "General", Some("4.4.7"), GaveUp),
            ("Transient", "MailboxFull", Some("5.2.2"), MailboxFull),
            ("Transient", "MessageTooLarge", None, TooLarge),
            ("Transient", "ContentRejected", None, ContentRejected),
            ("Transient", "AttachmentRejected", None, GaveUp),
        ] {
            assert_eq!(
                BounceKind::from_ses(t, sub, status),
                kind,
                "{t}/{sub}/{status:?}"
            );
        }
    }

    #[test]
    fn sentences_in_dutch_and_delays_stay_with_the_mail() {
        let bounced = Problem::Bounced {
            recipient: "jan@voorbeeld.nl".into(),
            kind: BounceKind::NoSuchAddress,
            detail: "smtp; 550 5.1.1 user unknown".into(),
        };
        assert_eq!(bounced.sentence(), "Niet bezorgd: het adres bestaat niet.");
        assert!(bounced.needs_the_secretariat());
        let complained = Problem::Complained {
            recipient: "jan@voorbeeld.nl".into(),
        };
        assert!(complained.needs_the_secretariat());
        assert!(complained.sentence().contains("ongewenst"));
        // 23:30 UTC on 31 December is 1 January in Amsterdam.
        let delayed = Problem::Delayed {
            recipient: "jan@voorbeeld.nl".into(),
            until: Some(Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap()),
        };
        assert!(!delayed.needs_the_secretariat());
        assert_eq!(
            delayed.sentence(),
            "Vertraagd: de e-maildienst probeert het nog tot 1 januari 2027."
        );
        let notice = Notice::new(
            MailKind::Invoice,
            &bounced,
            Utc.with_ymd_and_hms(2027, 1, 4, 9, 0, 0).unwrap(),
            About::Contact {
                name: "Jan".into(),
                subject: "Vraag".into(),
                phone: None,
                received: "4 januari 2027".into(),
            },
        );
        assert_eq!(notice.mail, "de factuur");
        assert_eq!(
            notice.detail.as_deref(),
            Some("smtp; 550 5.1.1 user unknown")
        );
        assert_eq!(notice.sent, "4 januari 2027");
    }

    #[test]
    fn every_mail_has_a_name() {
        for kind in MailKind::ALL {
            assert!(mail_name(kind).starts_with("de ") || mail_name(kind).starts_with("het "));
        }
    }
}
