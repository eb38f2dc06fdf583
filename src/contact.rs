//! A contact message as typed values, read from the contact form's answers
//! by the names in [`crate::needs`] (see [`crate::application`] for why).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::application::{AnswerError, Answers};
use crate::formats::{Email, Phone};
use crate::needs::contact as field;
use crate::validate::Submission;

/// A message to the secretariat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enquiry {
    /// The sender's name.
    pub name: String,
    /// The sender's organisation, when given.
    pub organisation: Option<String>,
    /// Where the answer goes.
    pub email: Email,
    /// The sender's phone number, when given.
    pub phone: Option<Phone>,
    /// The subject.
    pub subject: String,
    /// The message.
    pub message: String,
    /// Every answer as the form normalised it, by field name.
    pub answers: BTreeMap<String, String>,
}

impl Enquiry {
    /// The message in a post that passed the contact form's checks.
    pub fn from_submission(submission: &Submission) -> Result<Enquiry, AnswerError> {
        let a = Answers(&submission.values);
        Ok(Enquiry {
            name: a.required(field::NAME)?,
            organisation: a.optional(field::ORGANISATION),
            email: a.parsed(field::EMAIL, Email::parse)?,
            phone: a.parsed_optional(field::PHONE, Phone::parse)?,
            subject: a.required(field::SUBJECT)?,
            message: a.required(field::MESSAGE)?,
            answers: submission.values.clone(),
        })
    }
}

/// The kenmerk of a contact message, as both mails name it: `CBT-C-` and
/// the first eight characters of its random id, enough to find it among a
/// year of messages and short enough to read out on the phone.
pub fn reference(id: &str) -> String {
    let short: String = id.chars().take(8).collect();
    format!("CBT-C-{}", short.to_ascii_uppercase())
}
