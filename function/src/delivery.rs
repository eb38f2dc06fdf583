//! SES's reports on mail that left: bounces, complaints and delivery
//! delays, published by the configuration set to an SNS topic that invokes
//! the function. Each report is kept with the mail it is about
//! ([`Store::record_report`]; the workspace shows it with the case's or
//! message's mails), and a bounce or complaint is mailed to the secretariat
//! ([`cbt::delivery::Notice`]), because nothing sends the mail again and a
//! person must reach the applicant another way. A report delivered twice
//! is kept once. Recipients' addresses are never logged.

use aws_lambda_events::event::sns::SnsEvent;
use cbt::delivery::{About, BounceKind, Notice, Problem};
use cbt::mail::MailKind;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::handler::App;
use crate::outbox::{send_pending, OutboxError};
use crate::ports::{Files, Mailer, Owner, PendingMail, Recorded, Report, Store, StoreError};

/// Why an SNS notification could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Not the shape of an SNS event for Lambda.
    #[error("not an SNS event: {0}")]
    NotSns(String),
    /// An SNS message that is not an SES event.
    #[error("SNS message {message_id} is not an SES event: {reason}")]
    NotSes {
        /// SNS's id of the message.
        message_id: String,
        /// What serde said.
        reason: String,
    },
}

/// What one SES event says (event publishing's `eventType`, or
/// `notificationType` for an identity's own notifications), as far as we
/// use it; SES may add fields.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    #[serde(alias = "notificationType")]
    event_type: String,
    mail: SesMail,
    bounce: Option<SesBounce>,
    complaint: Option<SesComplaint>,
    delivery_delay: Option<SesDelay>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesMail {
    message_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesBounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: String,
    bounced_recipients: Vec<SesRecipient>,
    timestamp: DateTime<Utc>,
    feedback_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesComplaint {
    complained_recipients: Vec<SesRecipient>,
    timestamp: DateTime<Utc>,
    feedback_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesDelay {
    delayed_recipients: Vec<SesRecipient>,
    timestamp: DateTime<Utc>,
    expiration_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesRecipient {
    email_address: String,
    status: Option<String>,
    diagnostic_code: Option<String>,
}

/// One report about one recipient of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The mailer's id of the mail.
    pub message_id: String,
    /// The report.
    pub report: Report,
}

/// The reports in one SES event's JSON (an SNS message's `Message`):
/// one per recipient. Other event types (delivery, send, open) give none.
pub fn reports_from_ses(json: &str) -> Result<Vec<Incoming>, serde_json::Error> {
    let event: SesEvent = serde_json::from_str(json)?;
    let message_id = event.mail.message_id;
    let mut out = Vec::new();
    let mut push = |key: String, at, problem| {
        out.push(Incoming {
            message_id: message_id.clone(),
            report: Report { key, at, problem },
        });
    };
    match (
        event.event_type.as_str(),
        event.bounce,
        event.complaint,
        event.delivery_delay,
    ) {
        ("Bounce", Some(b), _, _) => {
            for r in b.bounced_recipients {
                let kind =
                    BounceKind::from_ses(&b.bounce_type, &b.bounce_sub_type, r.status.as_deref());
                let detail = [r.status.as_deref(), r.diagnostic_code.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                push(
                    format!("bounce#{}#{}", b.feedback_id, r.email_address),
                    b.timestamp,
                    Problem::Bounced {
                        recipient: r.email_address,
                        kind,
                        // The receiving server's words, bounded: they go
                        // into a mail and a page.
                        detail: detail.chars().take(300).collect(),
                    },
                );
            }
        }
        ("Complaint", _, Some(c), _) => {
            for r in c.complained_recipients {
                push(
                    format!("complaint#{}#{}", c.feedback_id, r.email_address),
                    c.timestamp,
                    Problem::Complained {
                        recipient: r.email_address,
                    },
                );
            }
        }
        ("DeliveryDelay", _, _, Some(d)) => {
            for r in d.delayed_recipients {
                push(
                    format!("delay#{}#{}", d.timestamp.to_rfc3339(), r.email_address),
                    d.timestamp,
                    Problem::Delayed {
                        recipient: r.email_address,
                        until: d.expiration_time,
                    },
                );
            }
        }
        _ => {}
    }
    Ok(out)
}

/// The reports in a Lambda SNS event, if `event` is one (every record's
/// `EventSource` is `aws:sns`); `None` for any other event.
pub fn reports_from_sns(event: &serde_json::Value) -> Option<Result<Vec<Incoming>, DeliveryError>> {
    let records = event.get("Records")?.as_array()?;
    if records.is_empty()
        || !records
            .iter()
            .all(|r| r.get("EventSource").and_then(serde_json::Value::as_str) == Some("aws:sns"))
    {
        return None;
    }
    let sns: SnsEvent = match serde_json::from_value(event.clone()) {
        Ok(e) => e,
        Err(e) => return Some(Err(DeliveryError::NotSns(e.to_string()))),
    };
    let mut out = Vec::new();
    for record in sns.records {
        match reports_from_ses(&record.sns.message) {
            Ok(reports) => out.extend(reports),
            Err(e) => {
                return Some(Err(DeliveryError::NotSes {
                    message_id: record.sns.message_id,
                    reason: e.to_string(),
                }))
            }
        }
    }
    Some(Ok(out))
}

/// What [`record`] did, for the log.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Reports kept.
    pub kept: usize,
    /// Reports kept before.
    pub again: usize,
    /// Reports about mail we do not know.
    pub unknown: usize,
    /// Notices mailed to the secretariat.
    pub notices: usize,
}

/// Whether a mail goes to the secretariat itself: its bounce is a fault
/// in the configuration, for the operators (an error log, which the
/// alarm counts), not a notice to the same mailbox.
fn to_the_secretariat(kind: MailKind) -> bool {
    matches!(
        kind,
        MailKind::ApplicationSecretariat
            | MailKind::ContactSecretariat
            | MailKind::AmendSecretariat
            | MailKind::CompletionSecretariat
            | MailKind::WithdrawnSecretariat
            | MailKind::Digest
            | MailKind::DeliveryProblem
    )
}

/// Keeps each report with its mail and mails the secretariat about the
/// bounces and complaints. A store failure stops the run with an error, so
/// that SNS delivers the event again; what was kept before stays kept once.
pub async fn record<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    incoming: &[Incoming],
) -> Result<Tally, StoreError> {
    let mut tally = Tally::default();
    for Incoming { message_id, report } in incoming {
        let Some(sent) = app.store.sent_mail(message_id).await? else {
            tally.unknown += 1;
            tracing::warn!(message_id, "a report on a mail we do not know");
            continue;
        };
        let kind = sent.mail.kind;
        // A mail that asks to confirm an address belongs to an application
        // that is not filed: the secretariat has nothing to act on (the
        // applicant sees on the waiting page that nothing confirmed), and
        // a notice for it would let anyone who types a dead address mail
        // the secretariat. The report is kept all the same. The CBT's
        // decision: the seed says nothing about it.
        let unfiled = matches!(sent.mail.owner, Owner::Draft(_));
        let notify =
            report.problem.needs_the_secretariat() && !to_the_secretariat(kind) && !unfiled;
        if report.problem.needs_the_secretariat() && to_the_secretariat(kind) {
            tracing::error!(
                message_id,
                ?kind,
                "a mail to the secretariat itself was not delivered: check its address"
            );
        }
        let owner = Owner::Delivery {
            message_id: message_id.clone(),
            report: report.id(),
        };
        let notice = notify.then(|| PendingMail {
            owner: owner.clone(),
            kind: MailKind::DeliveryProblem,
            seq: 0,
            since: app.clock.now(),
        });
        match app
            .store
            .record_report(message_id, report, notice.as_ref())
            .await?
        {
            Recorded::Unknown => tally.unknown += 1,
            Recorded::Again => tally.again += 1,
            Recorded::New(_) => {
                tally.kept += 1;
                tracing::info!(
                    message_id,
                    ?kind,
                    problem = report.problem.headline(),
                    "mail report kept"
                );
                if notify {
                    tally.notices += send_pending(app, &owner).await;
                }
            }
        }
    }
    Ok(tally)
}

/// The secretariat's notice of report `report_id` on mail `message_id`,
/// from what is stored.
pub(crate) async fn notice<S: Store, M, F>(
    app: &App<S, M, F>,
    message_id: &str,
    report_id: &str,
) -> Result<Notice, OutboxError> {
    let gone = || OutboxError::OwnerGone(format!("melding {report_id} over e-mail {message_id}"));
    let sent = app.store.sent_mail(message_id).await?.ok_or_else(gone)?;
    let report = sent
        .reports
        .iter()
        .find(|r| r.id() == report_id)
        .ok_or_else(gone)?;
    let about = match &sent.mail.owner {
        Owner::Application(reference) => {
            let record = app
                .store
                .get_case(reference)
                .await?
                .ok_or_else(|| OutboxError::OwnerGone(reference.clone()))?;
            let case = record.case;
            let contact = &case.application.contact;
            About::Case {
                reference: case.reference.clone(),
                organisation: case.application.organisation.name.clone(),
                contact: contact.name.clone(),
                phone: contact.phone.as_ref().map(|p| p.as_str().to_string()),
                invoice: matches!(
                    sent.mail.kind,
                    MailKind::Invoice | MailKind::PaymentReminder
                )
                .then(|| case.invoice_number.to_string()),
            }
        }
        Owner::Contact(id) => {
            let message = app
                .store
                .get_contact(id, app.clock.now())
                .await?
                .ok_or_else(|| OutboxError::OwnerGone(format!("contactbericht {id}")))?;
            About::Contact {
                name: message.enquiry.name.clone(),
                subject: message.enquiry.subject.clone(),
                phone: message
                    .enquiry
                    .phone
                    .as_ref()
                    .map(|p| p.as_str().to_string()),
                received: cbt::dates::dutch_date(cbt::dates::local_date(message.received)),
            }
        }
        Owner::Digest(_) | Owner::Delivery { .. } | Owner::Draft(_) => return Err(gone()),
    };
    Ok(Notice::new(
        sent.mail.kind,
        &report.problem,
        sent.sent_at,
        about,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNCE: &str = include_str!("../tests/fixtures/ses-bounce.json");
    const COMPLAINT: &str = include_str!("../tests/fixtures/ses-complaint.json");
    const DELAY: &str = include_str!("../tests/fixtures/ses-delivery-delay.json");

    #[test]
    fn a_bounce_per_recipient_with_the_servers_words() {
        let reports = reports_from_ses(BOUNCE).unwrap();
        assert_eq!(reports.len(), 1);
        let r = &reports[0];
        assert_eq!(
            r.message_id,
            "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
        );
        assert_eq!(
            r.report.problem,
            Problem::Bounced {
                recipient: "recipient@example.com".into(),
                kind: BounceKind::NoSuchAddress,
                detail: "5.1.1 smtp; 550 5.1.1 user unknown".into(),
            }
        );
        assert!(r.report.key.starts_with("bounce#01000157c44f053b"));
        assert_eq!(r.report.id().len(), 16);
    }

    #[test]
    fn a_complaint_and_a_delay() {
        let complaint = reports_from_ses(COMPLAINT).unwrap();
        assert!(
            matches!(&complaint[0].report.problem, Problem::Complained { recipient } if recipient == "recipient@example.com")
        );
        let delay = reports_from_ses(DELAY).unwrap();
        assert!(matches!(
            &delay[0].report.problem,
            Problem::Delayed { until: Some(_), .. }
        ));
    }

    #[test]
    fn other_events_say_nothing_and_garbage_is_an_error() {
        let delivery = r#"{"eventType":"Delivery","mail":{"messageId":"m1"},"delivery":{}}"#;
        assert!(reports_from_ses(delivery).unwrap().is_empty());
        assert!(reports_from_ses("{}").is_err());
        assert!(reports_from_ses("not json").is_err());
    }

    #[test]
    fn sns_events_are_told_from_others() {
        let wrap = |message: &str| {
            serde_json::json!({"Records": [{
                "EventSource": "aws:sns", "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:eu-west-1:123456789012:cbt-mail-events:1",
                "Sns": {
                    "Type": "Notification", "MessageId": "sns-1",
                    "TopicArn": "arn:aws:sns:eu-west-1:123456789012:cbt-mail-events",
                    "Subject": null, "Message": message,
                    "Timestamp": "2027-01-04T09:00:00.000Z", "SignatureVersion": "1",
                    "Signature": "x", "SigningCertUrl": "https://example.com/c.pem",
                    "UnsubscribeUrl": "https://example.com/u", "MessageAttributes": {}
                }
            }]})
        };
        let reports = reports_from_sns(&wrap(BOUNCE)).unwrap().unwrap();
        assert_eq!(reports.len(), 1);
        assert!(matches!(
            reports_from_sns(&wrap("not json")),
            Some(Err(DeliveryError::NotSes { .. }))
        ));
        assert!(matches!(
            reports_from_sns(&serde_json::json!({"Records": [{"EventSource": "aws:sns"}]})),
            Some(Err(DeliveryError::NotSns(_)))
        ));
        let sqs = serde_json::json!({"Records": [{"eventSource": "aws:sqs"}]});
        assert!(reports_from_sns(&sqs).is_none());
        assert!(reports_from_sns(&serde_json::json!({"Records": []})).is_none());
        assert!(reports_from_sns(&serde_json::json!({"detail-type": "Scheduled Event"})).is_none());
    }
}
