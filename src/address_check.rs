//! The address check: an application sent on the site is filed (numbered,
//! invoiced, mailed to the secretariat) only after every address it sends
//! mail to has confirmed, by a link mailed to it, that it belongs to the
//! application. No I/O.
//!
//! Why: anyone can type anyone's address into a form. Without the check an
//! application with a victim's invoice address made a numbered invoice in
//! the victim's name, with the sender's words on it, from the commission's
//! domain; and every such invoice used a number that then had to be
//! credited. With it, the address receives one short mail that carries
//! nothing the sender typed but a short name, and nothing is numbered or
//! invoiced unless someone at that address says yes. The seed's "after
//! submitting you receive an invoice" still holds: the confirmation is
//! part of submitting, and the invoice follows it at once.
//!
//! The addresses: the contact person's, and the invoice address when it
//! is another one (the CBT's choice: an invoice address is as easily
//! someone else's as a contact address). How long an unconfirmed
//! application waits is `unconfirmed_days` in `content/data/retention.toml`
//! (the CBT's choice, shown in the privacy statement); then it is deleted.
//!
//! The check lives with the draft, before the case: a case is what has a
//! number, and an unconfirmed application must not have one.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::application::Application;
use crate::formats::Email;
use crate::mail::MailKind;
use crate::retention::Retention;

/// Which address of an application is asked to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressRole {
    /// The contact person's address (also the invoice's when they are one).
    Contact,
    /// The invoice address, when it is another.
    Invoice,
}

impl AddressRole {
    /// Both roles, in the order the mails go out.
    pub const ALL: [AddressRole; 2] = [AddressRole::Contact, AddressRole::Invoice];

    /// The mail that asks this address to confirm.
    pub fn mail(self) -> MailKind {
        match self {
            AddressRole::Contact => MailKind::ContactAddressCheck,
            AddressRole::Invoice => MailKind::InvoiceAddressCheck,
        }
    }

    /// The stable name in keys and links (`contact`, `invoice`).
    pub fn key(self) -> &'static str {
        match self {
            AddressRole::Contact => "contact",
            AddressRole::Invoice => "invoice",
        }
    }

    /// The role a stable name names.
    pub fn from_key(key: &str) -> Option<AddressRole> {
        AddressRole::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The address of `application` in this role.
    pub fn email(self, application: &Application) -> &Email {
        match self {
            AddressRole::Contact => &application.contact.email,
            AddressRole::Invoice => &application.invoice.email,
        }
    }
}

/// The roles whose addresses `application` must confirm: the contact
/// person's, and the invoice address when it is another mailbox (the part
/// before `@` compared as typed, the domain in any case: two spellings of
/// one mailbox confirm once).
pub fn roles(application: &Application) -> Vec<AddressRole> {
    let contact = application.contact.email.as_str();
    let invoice = application.invoice.email.as_str();
    if contact.eq_ignore_ascii_case(invoice) {
        vec![AddressRole::Contact]
    } else {
        vec![AddressRole::Contact, AddressRole::Invoice]
    }
}

/// An application sent and waiting for its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressCheck {
    /// When the applicant sent it (the first time).
    pub sent: DateTime<Utc>,
    /// After this it is deleted, confirmed or not (filed applications are
    /// cases by then).
    pub until: DateTime<Utc>,
    /// The roles that must confirm.
    pub roles: Vec<AddressRole>,
    /// How often the mails were asked for: 1 when sent, one more for each
    /// "send the mail again". Numbers the mails, so each goes out once.
    pub sends: u32,
}

/// What a confirmation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every address has confirmed: file the application now.
    Complete,
    /// These roles have still to confirm.
    Waiting(Vec<AddressRole>),
}

/// Why an address cannot confirm (now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The period to confirm has passed.
    #[error("De termijn om te bevestigen is verstreken; de aanvraag is niet ingediend. Vul het aanvraagformulier opnieuw in.")]
    Expired,
    /// This application does not ask that role to confirm.
    #[error("Dit adres hoeft deze aanvraag niet te bevestigen.")]
    NotAsked,
}

impl AddressCheck {
    /// The check of `application` sent at `now`.
    pub fn new(application: &Application, now: DateTime<Utc>, retention: &Retention) -> Self {
        AddressCheck {
            sent: now,
            until: now + Duration::days(i64::from(retention.unconfirmed_days)),
            roles: roles(application),
            sends: 1,
        }
    }

    /// The same check, its mails asked for once more.
    pub fn again(&self) -> AddressCheck {
        AddressCheck {
            sends: self.sends.saturating_add(1),
            ..self.clone()
        }
    }

    /// The roles of `roles` that have not confirmed, in order.
    pub fn waiting(&self, confirmed: &[AddressRole]) -> Vec<AddressRole> {
        self.roles
            .iter()
            .copied()
            .filter(|r| !confirmed.contains(r))
            .collect()
    }

    /// What `role` confirming at `now` does, given the roles `confirmed`
    /// before it; or why it cannot.
    pub fn confirm(
        &self,
        role: AddressRole,
        confirmed: &[AddressRole],
        now: DateTime<Utc>,
    ) -> Result<Outcome, Refusal> {
        if !self.roles.contains(&role) {
            return Err(Refusal::NotAsked);
        }
        if now >= self.until {
            return Err(Refusal::Expired);
        }
        let mut after: Vec<AddressRole> = confirmed.to_vec();
        after.push(role);
        let waiting = self.waiting(&after);
        if waiting.is_empty() {
            Ok(Outcome::Complete)
        } else {
            Ok(Outcome::Waiting(waiting))
        }
    }
}

/// One address asked to confirm: what [`mail`] needs besides the rules.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// The application sent.
    pub application: &'a Application,
    /// Whose address.
    pub role: AddressRole,
    /// The check it belongs to.
    pub check: &'a AddressCheck,
    /// The invoice's total.
    pub total: crate::Cents,
    /// The link that confirms.
    pub link: &'a str,
}

/// What the mail asking `role` to confirm says.
#[derive(Serialize)]
struct MailContext<'a> {
    site: &'a crate::SiteConfig,
    name: Option<&'a str>,
    invoice_too: bool,
    sent_on: chrono::NaiveDate,
    sent_at: String,
    until_on: chrono::NaiveDate,
    until_at: String,
    total: i64,
    link: &'a str,
}

/// The mail that asks the address of `ask.role` in `ask.application` to
/// confirm it, with `ask.link`. It says what happened and what confirming does, and
/// carries nothing the sender typed but the contact person's name, when
/// that is short ([`short_name`]): neither the organisation, nor the
/// answers, nor the other address.
pub fn mail(
    rules: &crate::Rules,
    templates: &crate::templates::Templates,
    ask: &Ask<'_>,
    from: &crate::mail::Address,
) -> Result<crate::mail::Message, crate::mail::MailError> {
    use crate::dates::{local_date, local_time};
    let Ask {
        application,
        role,
        check,
        total,
        link,
    } = *ask;
    let name = short_name(&application.contact.name);
    let context = tera::Context::from_serialize(MailContext {
        site: &rules.site,
        name,
        invoice_too: !check.roles.contains(&AddressRole::Invoice),
        sent_on: local_date(check.sent),
        sent_at: local_time(check.sent),
        until_on: local_date(check.until),
        until_at: local_time(check.until),
        total: total.0,
        link,
    })
    .map_err(|e| crate::templates::TemplateError::from_tera(&e))?;
    let secretariat = crate::mail::Address::new(
        &rules.site.secretariat.email,
        Some(&rules.site.secretariat.name),
    )?;
    // Addressed by the short name only, like the greeting.
    let to = crate::mail::Address::typed(
        role.email(application),
        name.filter(|_| role == AddressRole::Contact),
    );
    crate::mail::render(
        templates,
        role.mail(),
        &context,
        crate::mail::Envelope {
            from: from.clone(),
            to: vec![to],
            reply_to: Some(secretariat),
            attachments: Vec::new(),
        },
    )
}

/// The longest name a mail to a typed address calls its reader by: a
/// person's name fits, a sentence does not. Longer, the mail says
/// "Geachte heer, mevrouw" instead.
pub const SHORT_NAME_CHARS: usize = 60;

/// `name` if it may stand in a mail to an address typed into a form:
/// one short line (the forms made it one line and refused encoded words);
/// `None` for anything longer.
pub fn short_name(name: &str) -> Option<&str> {
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= SHORT_NAME_CHARS).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn check(roles: &[AddressRole]) -> AddressCheck {
        AddressCheck {
            sent: at(10),
            until: at(10) + Duration::days(7),
            roles: roles.to_vec(),
            sends: 1,
        }
    }

    use AddressRole::{Contact, Invoice};

    /// Every role against every set of earlier confirmations, before and
    /// after the deadline, for a check of one address and of two.
    #[test]
    fn every_confirmation_in_every_state() {
        let before = at(11);
        let after = at(10) + Duration::days(7);
        let states: [&[AddressRole]; 4] = [&[], &[Contact], &[Invoice], &[Contact, Invoice]];
        for asked in [&[Contact][..], &[Contact, Invoice][..]] {
            let c = check(asked);
            for confirmed in states {
                // Only asked roles are ever confirmed before.
                if confirmed.iter().any(|r| !asked.contains(r)) {
                    continue;
                }
                for role in AddressRole::ALL {
                    let got = c.confirm(role, confirmed, before);
                    let expected = if !asked.contains(&role) {
                        Err(Refusal::NotAsked)
                    } else {
                        let mut all = confirmed.to_vec();
                        all.push(role);
                        let waiting: Vec<_> =
                            asked.iter().copied().filter(|r| !all.contains(r)).collect();
                        Ok(if waiting.is_empty() {
                            Outcome::Complete
                        } else {
                            Outcome::Waiting(waiting)
                        })
                    };
                    assert_eq!(got, expected, "{asked:?} {confirmed:?} {role:?}");
                    let late = c.confirm(role, confirmed, after);
                    if asked.contains(&role) {
                        assert_eq!(late, Err(Refusal::Expired), "{asked:?} {role:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_second_confirmation_of_one_role_changes_nothing() {
        let c = check(&[Contact, Invoice]);
        assert_eq!(
            c.confirm(Contact, &[Contact], at(11)),
            Ok(Outcome::Waiting(vec![Invoice]))
        );
        assert_eq!(
            c.confirm(Invoice, &[Contact, Invoice], at(11)),
            Ok(Outcome::Complete)
        );
    }

    #[test]
    fn sending_again_counts_and_keeps_the_deadline() {
        let c = check(&[Contact]);
        let again = c.again();
        assert_eq!(again.sends, 2);
        assert_eq!((again.sent, again.until), (c.sent, c.until));
        assert_eq!(again.again().sends, 3);
    }

    #[test]
    fn roles_have_names_and_mails() {
        for role in AddressRole::ALL {
            assert_eq!(AddressRole::from_key(role.key()), Some(role));
        }
        assert_eq!(AddressRole::from_key("secretariaat"), None);
        assert_ne!(Contact.mail(), Invoice.mail());
    }

    #[test]
    fn a_short_name_or_none() {
        assert_eq!(short_name(" Jan de Vries "), Some("Jan de Vries"));
        assert_eq!(short_name(""), None);
        assert_eq!(
            short_name(&"a".repeat(SHORT_NAME_CHARS)).map(str::len),
            Some(60)
        );
        assert_eq!(short_name(&"a".repeat(SHORT_NAME_CHARS + 1)), None);
        assert_eq!(
            short_name("LET OP: ons IBAN is gewijzigd, betaal voortaan op NL12 EVIL 0123 4567 89"),
            None
        );
    }
}
