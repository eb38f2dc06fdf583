//! The mails and the invoice as people receive them: golden files under
//! `tests/golden/` (rewrite them with `UPDATE_GOLDEN=1` after a deliberate
//! change, and read the diff), the invoice's legal elements one by one, and
//! user text that tries to break out of a header or into the HTML.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

use cbt::application::Application;
use cbt::contact::Enquiry;
use cbt::follow_up::{reference, FollowUp};
use cbt::invoice::InvoiceNumber;
use cbt::mail::{Address, MailKind, Message};
use cbt::sample::{application, with};
use cbt::templates::Templates;
use cbt::validate::{check, Checked, Posted, Submission};
use cbt::Rules;
use chrono::NaiveDate;

fn rules() -> Rules {
    cbt::embedded_rules().expect("embedded rules")
}

fn submission(posted: &Posted, form: &cbt::FormDef) -> Submission {
    match check(form, posted) {
        Ok(Checked::Valid(s)) => s,
        other => panic!("{other:#?}"),
    }
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")
}

fn from() -> Address {
    Address::new(
        "noreply@balanstoetstelemarketing.nl",
        Some("Commissie Balanstoets Telemarketing"),
    )
    .expect("from")
}

const NUMBER: InvoiceNumber = InvoiceNumber { year: 2026, seq: 7 };

/// The invoice and mails of `s`, a checked application, filed as NUMBER.
fn follow_up(rules: &Rules, s: &Submission) -> FollowUp {
    let application = Application::from_submission(s, &rules.fees).expect("typed");
    let templates = Templates::embedded().expect("templates");
    let filed = cbt::follow_up::Filed {
        application: &application,
        number: NUMBER,
        date: date(),
        documents: &s.documents,
        scan: cbt::follow_up::DocumentScan::Clean,
        document_keys: vec!["applications/0123/1-Balanstest_2026__def.pdf"],
        link: Some("https://www.balanstoetstelemarketing.nl/mijn-aanvraag/0123456789abcdef"),
    };
    cbt::follow_up::application(rules, &templates, &filed, &from()).expect("follow-up")
}

fn application_mails(posted: &Posted) -> Vec<Message> {
    let rules = rules();
    let s = submission(posted, &rules.forms.application);
    follow_up(&rules, &s).mails
}

fn golden(name: &str, actual: &str) {
    // A question or a sentence as a label takes its answer on the next
    // line: "bellen?: Ja" and "betaald.: Ja" are not Dutch.
    for line in actual.lines() {
        assert!(
            !line.contains("?: ") && !line.contains(".: "),
            "{name}: a label ends in punctuation before its colon: {line}"
        );
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)"
    );
}

fn as_golden(m: &Message) -> String {
    let to: Vec<String> =
        m.to.iter()
            .map(|a| format!("{} <{}>", a.name.as_deref().unwrap_or(""), a.email))
            .collect();
    let reply = m
        .reply_to
        .as_ref()
        .map(|a| a.email.to_string())
        .unwrap_or_default();
    let attachments: Vec<String> = m
        .attachments
        .iter()
        .map(|a| format!("{} ({})", a.filename, a.content_type))
        .collect();
    format!(
        "From: {}\nTo: {}\nReply-To: {reply}\nSubject: {}\nAttachments: {}\n\n{}",
        m.from.email,
        to.join(", "),
        m.subject(),
        attachments.join(", "),
        m.text
    )
}

#[test]
fn application_mails_match_their_golden_files() {
    let mails = application_mails(&application());
    let kinds: Vec<MailKind> = mails.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MailKind::ApplicationConfirmation,
            MailKind::Invoice,
            MailKind::ApplicationSecretariat
        ]
    );
    for m in &mails {
        golden(&format!("{}.txt", m.kind.template()), &as_golden(m));
        golden(&format!("{}.html", m.kind.template()), &m.html);
    }
}

#[test]
fn contact_mails_match_their_golden_files() {
    let rules = rules();
    let posted = cbt::sample::contact();
    let s = submission(&posted, &rules.forms.contact);
    let enquiry = Enquiry::from_submission(&s).expect("typed");
    let templates = Templates::embedded().expect("templates");
    let received = cbt::follow_up::Received {
        enquiry: &enquiry,
        at: received_at(),
        reference: &cbt::contact::reference("9f3c0a1b2c3d4e5f"),
        acknowledged: true,
    };
    let mails = cbt::follow_up::contact(&rules, &templates, &received, &from()).expect("mails");
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].kind, MailKind::ContactSecretariat);
    assert_eq!(
        mails[0].reply_to.as_ref().map(|a| a.email.as_str()),
        Some("els@voorbeeld.nl"),
        "the secretariat replies to the sender"
    );
    assert_eq!(mails[1].to[0].email, "els@voorbeeld.nl");
    for m in &mails {
        golden(&format!("{}.txt", m.kind.template()), &as_golden(m));
        golden(&format!("{}.html", m.kind.template()), &m.html);
    }
    // The acknowledgement names what came in, and nothing the sender
    // wrote but the name; the secretariat's copy keeps everything.
    assert!(
        mails[1].text.contains("CBT-C-9F3C0A1B"),
        "{}",
        mails[1].text
    );
    assert!(mails[0]
        .text
        .contains("Geldt de termijn ook voor oud-leden?"));
    assert!(mails[0].text.contains("CBT-C-9F3C0A1B"));
    for typed in [&enquiry.message, &enquiry.subject] {
        assert!(!mails[1].text.contains(typed.as_str()), "{typed}");
        assert!(!mails[1].html.contains(typed.as_str()), "{typed}");
        assert!(!mails[1].subject().contains(typed.as_str()), "{typed}");
    }
}

fn received_at() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 30, 9, 41, 0)
        .single()
        .expect("time")
}

/// The abuse the acknowledgement once carried: a contact message with a
/// stranger's address and 5,600 characters of the sender's choosing. What
/// reaches the stranger is the fixed text, the time, the kenmerk, and a
/// name only when it is short; the secretariat's copy has it all, and says
/// when no acknowledgement went out.
#[test]
fn a_contact_acknowledgement_carries_no_text_of_the_sender() {
    let rules = rules();
    let templates = Templates::embedded().expect("templates");
    let words =
        "LET OP: uw account wordt afgesloten, bel 0900-1234 of ga naar https://evil.example/login ";
    let long_name = format!("{} {}", "Geachte klant,", words);
    let posted = with(
        with(
            with(cbt::sample::contact(), "bericht", &words.repeat(50)),
            "onderwerp",
            "Uw betaling is mislukt",
        ),
        "naam",
        &long_name,
    );
    let s = submission(&posted, &rules.forms.contact);
    let enquiry = Enquiry::from_submission(&s).expect("typed");
    for acknowledged in [true, false] {
        let received = cbt::follow_up::Received {
            enquiry: &enquiry,
            at: received_at(),
            reference: "CBT-C-00000001",
            acknowledged,
        };
        let mails = cbt::follow_up::contact(&rules, &templates, &received, &from()).expect("mails");
        let ack = &mails[1];
        for part in [ack.text.as_str(), ack.html.as_str(), ack.subject()] {
            for typed in [
                "LET OP",
                "0900",
                "evil.example",
                "mislukt",
                "Geachte klant,",
            ] {
                assert!(!part.contains(typed), "{typed} in {part}");
            }
        }
        assert!(
            ack.text.starts_with("Geachte heer, mevrouw,"),
            "{}",
            ack.text
        );
        assert_eq!(
            ack.to[0].name, None,
            "a long name is no display name either"
        );
        assert!(
            mails[0].text.contains("evil.example"),
            "the secretariat's copy keeps all"
        );
        assert_eq!(
            mails[0].text.contains("kreeg geen ontvangstbevestiging"),
            !acknowledged
        );
    }
}

/// The mails of the address check: to the contact person (who is also
/// the invoice address, or not) and to another invoice address.
#[test]
fn address_check_mails_match_their_golden_files() {
    use cbt::address_check::{mail, AddressCheck, AddressRole, Ask};
    let rules = rules();
    let templates = Templates::embedded().expect("templates");
    let s = submission(&application(), &rules.forms.application);
    let application = Application::from_submission(&s, &rules.fees).expect("typed");
    let check = AddressCheck::new(&application, received_at(), &rules.retention);
    assert_eq!(check.roles, [AddressRole::Contact, AddressRole::Invoice]);
    let link = "https://www.balanstoetstelemarketing.nl/aanvraag/adres/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    for role in check.roles.clone() {
        let ask = Ask {
            application: &application,
            role,
            check: &check,
            total: cbt::Cents(445_280),
            link,
        };
        let m = mail(&rules, &templates, &ask, &from()).expect("renders");
        assert_eq!(m.kind, role.mail());
        assert_eq!(&m.to[0].email, role.email(&application));
        assert!(m.text.contains(link) && m.html.contains(link));
        assert!(m.text.contains("7 december 2026 om 10:41"), "{}", m.text);
        golden(&format!("{}.txt", m.kind.template()), &as_golden(&m));
        golden(&format!("{}.html", m.kind.template()), &m.html);
    }
    // One address for both: one mail, that says so.
    let mut one = application;
    one.invoice.email = one.contact.email.clone();
    let check = AddressCheck::new(&one, received_at(), &rules.retention);
    assert_eq!(check.roles, [AddressRole::Contact]);
    let ask = Ask {
        application: &one,
        role: AddressRole::Contact,
        check: &check,
        total: cbt::Cents(445_280),
        link,
    };
    let m = mail(&rules, &templates, &ask, &from()).expect("renders");
    assert!(
        m.text.contains("en als het adres voor de factuur"),
        "{}",
        m.text
    );
}

/// What a stranger whose address was typed into an application receives:
/// no organisation name, answers, reference or other address of the
/// sender's choosing; the contact person's name only when it is short.
#[test]
fn an_address_check_carries_no_text_of_the_sender() {
    use cbt::address_check::{mail, AddressCheck, Ask};
    let rules = rules();
    let templates = Templates::embedded().expect("templates");
    let words = "LET OP ons IBAN is gewijzigd betaal op NL12EVIL0123456789";
    let posted = with(
        with(
            with(
                with(application(), "organisatie_naam", words),
                "motivering",
                &format!("{words}\n").repeat(30),
            ),
            "contact_naam",
            &format!("Jan {words}"),
        ),
        "factuur_naam",
        words,
    );
    let s = submission(&posted, &rules.forms.application);
    let application = Application::from_submission(&s, &rules.fees).expect("typed");
    let check = AddressCheck::new(&application, received_at(), &rules.retention);
    for role in check.roles.clone() {
        let ask = Ask {
            application: &application,
            role,
            check: &check,
            total: cbt::Cents(445_280),
            link: "https://www.balanstoetstelemarketing.nl/aanvraag/adres/x",
        };
        let m = mail(&rules, &templates, &ask, &from()).expect("renders");
        for part in [m.text.as_str(), m.html.as_str(), m.subject()] {
            for typed in [
                "IBAN",
                "NL12EVIL",
                "PO-12345",
                "crediteuren@",
                "jan.devries@",
            ] {
                assert!(!part.contains(typed), "{role:?}: {typed} in {part}");
            }
        }
        assert!(m.to[0].name.is_none());
    }
}

#[test]
fn the_invoice_carries_every_element_dutch_law_requires() {
    let rules = rules();
    let s = submission(&application(), &rules.forms.application);
    let f = follow_up(&rules, &s);
    let inv = &f.invoice;
    assert_eq!(inv.number.to_string(), "2026-0007");
    assert_eq!(reference(inv.number), "CBT-2026-0007");
    assert_eq!(
        inv.due_date,
        NaiveDate::from_ymd_opt(2026, 12, 30).expect("date")
    );
    assert_eq!(
        (inv.line.excl_vat.0, inv.vat.0, inv.total.0, inv.vat_percent),
        (368_000, 77_280, 445_280, 21)
    );
    let mail = f
        .mails
        .iter()
        .find(|m| m.kind == MailKind::Invoice)
        .expect("invoice mail");
    let text = &mail.text;
    let sup = &rules.supplier;
    let required = [
        ("supplier name", sup.name.as_str()),
        ("supplier address", sup.street.as_str()),
        ("supplier postcode", sup.postcode.as_str()),
        ("supplier city", sup.city.as_str()),
        ("supplier KvK", sup.kvk.as_str()),
        ("supplier btw-id", sup.vat_id.as_str()),
        ("customer name", "Voorbeeld Energie B.V."),
        ("customer address", "Stationsplein 1"),
        ("customer postcode and city", "1012 AB Amsterdam"),
        ("invoice date", "Factuurdatum: 30 november 2026"),
        ("invoice number", "FACTUUR 2026-0007"),
        (
            "description",
            "Adviesaanvraag Commissie Balanstoets Telemarketing: klanttermijn van 5 jaar",
        ),
        ("advance payment", "Factuur voor vooruitbetaling"),
        ("amount excl. VAT", "Bedrag excl. btw: € 3.680,00"),
        ("VAT rate and amount", "Btw 21%: € 772,80"),
        ("total", "Totaal incl. btw: € 4.452,80"),
        (
            "payment term",
            "uiterlijk 30 december 2026 (30 dagen na de factuurdatum)",
        ),
        (
            "example data",
            "VOORBEELDGEGEVENS: deze factuur is niet geldig",
        ),
        ("IBAN", "NL91 ABNA 0417 1643 00"),
        ("customer reference", "Uw referentie: PO-12345"),
        ("customer VAT id", "NL004495445B01"),
    ];
    let text = text.replace('\u{a0}', " ");
    for (what, needle) in required {
        assert!(
            text.contains(needle),
            "the invoice lacks the {what}: {needle:?}\n{text}"
        );
    }
    let pdf = mail
        .attachments
        .iter()
        .find(|a| a.content_type == "application/pdf")
        .expect("PDF attached");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert_eq!(pdf.filename, "factuur-2026-0007.pdf");
    let doc = f
        .mails
        .iter()
        .find(|m| m.kind == MailKind::ApplicationSecretariat)
        .and_then(|m| m.attachments.first())
        .expect("document for the secretariat");
    assert_eq!(doc.bytes, cbt::sample::PDF);
}

#[test]
fn the_non_profit_fee_is_invoiced_for_non_profits() {
    let rules = rules();
    let s = submission(
        &with(application(), "soort_organisatie", "non_profit"),
        &rules.forms.application,
    );
    let inv = follow_up(&rules, &s).invoice;
    assert_eq!(
        (inv.line.excl_vat.0, inv.vat.0, inv.total.0),
        (299_000, 62_790, 361_790)
    );
}

#[test]
fn user_text_cannot_add_a_header_or_markup() {
    // One-line fields refuse line breaks outright (see validate.rs); what
    // passes may still carry markup, which the HTML part must escape.
    let posted = with(
        with(
            application(),
            "organisatie_naam",
            "<script>alert(1)</script> & Zn",
        ),
        "motivering",
        "<img src=x onerror=alert(1)>\nTweede regel",
    );
    let mails = application_mails(&posted);
    for m in &mails {
        assert!(
            !m.subject().contains('\n')
                && !m.subject().contains('\r')
                && !m.subject().contains('\u{2028}'),
            "{:?}",
            m.subject()
        );
        assert!(
            !m.html.contains("<script>alert(1)</script>"),
            "{}",
            m.kind.template()
        );
        assert!(!m.html.contains("<img src=x"), "{}", m.kind.template());
    }
    let secretariat = mails
        .iter()
        .find(|m| m.kind == MailKind::ApplicationSecretariat)
        .expect("mail");
    assert!(
        secretariat
            .subject()
            .starts_with("Nieuwe aanvraag CBT-2026-0007: <script>alert(1)</script> & Zn"),
        "{}",
        secretariat.subject()
    );
    assert!(secretariat
        .html
        .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Zn"));

    // Even a value that skipped the checks cannot break a header: the
    // subject is made one line when the message is made.
    let rules = rules();
    let mut s = submission(&application(), &rules.forms.application);
    s.values.insert(
        "organisatie_naam".into(),
        "Zn\r\nBcc: x@y.nl\u{2028}X".into(),
    );
    s.values
        .insert("contact_naam".into(), "Jan\r\nBcc: x@y.nl".into());
    let f = follow_up(&rules, &s);
    for m in &f.mails {
        assert!(
            !m.subject().contains(['\r', '\n', '\u{2028}']),
            "{:?}",
            m.subject()
        );
        for a in m.to.iter().chain(&m.reply_to) {
            assert!(
                !a.name.as_deref().unwrap_or_default().contains(['\r', '\n']),
                "{a:?}"
            );
        }
    }
}

/// Every mail that follows a case's events, and the digest, as people
/// receive them: one case taken through the procedure, each event's mails
/// rendered and held to their golden files.
#[test]
fn case_mails_match_their_golden_files() {
    use cbt::case::{Action, Actor, Case, Change, Outcome};
    use cbt::case_mail::{render, Occasion};
    use chrono::TimeZone;

    let rules = rules();
    let templates = Templates::embedded().expect("templates");
    let s = submission(&application(), &rules.forms.application);
    let application = Application::from_submission(&s, &rules.fees).expect("typed");
    let at = |y, m, d| {
        chrono::Utc
            .with_ymd_and_hms(y, m, d, 9, 0, 0)
            .single()
            .expect("time")
    };
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let link = "https://www.balanstoetstelemarketing.nl/mijn-aanvraag/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let staff = Actor::Secretariat {
        name: "Sanne Secretaris".into(),
    };
    let mut case = Case::filed(
        "CBT-2027-0001".into(),
        InvoiceNumber { year: 2027, seq: 1 },
        at(2027, 1, 4),
        cbt::Cents(445_280),
        application.clone(),
        Vec::new(),
    );
    case.apply(Change::Filed, Actor::Applicant, at(2027, 1, 4));
    let mut changed = application.clone();
    changed.answers.insert(
        "motivering".into(),
        "Wij bellen oud-klanten hooguit eens per jaar.".into(),
    );
    changed.motivation = Some("Wij bellen oud-klanten hooguit eens per jaar.".into());
    let steps: Vec<(Action, Actor, (i32, u32, u32))> = vec![
        (Action::SendReminder, Actor::Schedule, (2027, 2, 17)),
        (
            Action::RegisterPayment {
                date: date(2027, 2, 18),
                amount: cbt::Cents(445_280),
                accept_difference: false,
            },
            staff.clone(),
            (2027, 2, 18),
        ),
        (
            Action::Amend {
                application: Box::new(changed),
                documents: vec![cbt::case::CaseDocument {
                    field: "bijlagen".into(),
                    key: "cases/CBT-2027-0001/x-onderzoek.pdf".into(),
                    filename: "onderzoek.pdf".into(),
                    shown_name: None,
                    kind: cbt::formats::DocumentKind::Pdf,
                    size: 120_000,
                }],
            },
            Actor::Applicant,
            (2027, 2, 20),
        ),
        (Action::TakeIntoHandling, staff.clone(), (2027, 2, 26)),
        (
            Action::RequestCompletion {
                text: "Licht toe waarom oud-klanten na vijf jaar een telefoontje verwachten."
                    .into(),
            },
            staff.clone(),
            (2027, 3, 1),
        ),
        (
            Action::AnswerCompletion {
                text: "Uit ons klantonderzoek blijkt dat 80% dat op prijs stelt.".into(),
                documents: Vec::new(),
            },
            Actor::Applicant,
            (2027, 3, 5),
        ),
        (
            Action::RecordAdvice {
                outcome: Outcome::Granted {
                    term_years: 5,
                    valid_until: date(2032, 3, 9),
                },
                motivation: "De balans valt uit in het voordeel van de aanvrager.".into(),
            },
            staff.clone(),
            (2027, 3, 10),
        ),
        (Action::SendLink, Actor::Applicant, (2027, 3, 11)),
    ];
    let mut seen = Vec::new();
    for (action, actor, (y, m, d)) in steps {
        let change = case
            .decide(&action, &actor, at(y, m, d), &rules.periods)
            .unwrap_or_else(|r| panic!("{}: {r}", action.name()));
        let kinds = change.mails(&actor);
        let event = case.apply(change, actor, at(y, m, d));
        for kind in kinds {
            let message = render(
                &rules,
                &templates,
                Occasion {
                    case: &case,
                    event: &event,
                    kind,
                    link: kind.carries_link().then_some(link),
                    attachments: Vec::new(),
                },
                &from(),
            )
            .expect("renders");
            golden(&format!("{}.txt", kind.template()), &as_golden(&message));
            golden(&format!("{}.html", kind.template()), &message.html);
            seen.push(kind);
        }
    }
    // The two ends without an advice, and a decline.
    for (action, actor, kinds) in [
        (
            Action::Withdraw { credit_note: true },
            Actor::Applicant,
            vec![MailKind::Withdrawn, MailKind::WithdrawnSecretariat],
        ),
        (
            Action::Decline {
                reason: "De aanvraag noemt niet welke producten het betreft.".into(),
            },
            staff.clone(),
            vec![MailKind::NotTakenIntoHandling],
        ),
        (
            Action::Withdraw { credit_note: true },
            staff.clone(),
            vec![MailKind::Withdrawn, MailKind::CreditNote],
        ),
    ] {
        let mut other = Case::filed(
            "CBT-2027-0002".into(),
            InvoiceNumber { year: 2027, seq: 2 },
            at(2027, 1, 4),
            cbt::Cents(445_280),
            application.clone(),
            Vec::new(),
        );
        other.apply(Change::Filed, Actor::Applicant, at(2027, 1, 4));
        if matches!(action, Action::Decline { .. }) {
            let paid = other
                .decide(
                    &Action::RegisterPayment {
                        date: date(2027, 1, 5),
                        amount: cbt::Cents(445_280),
                        accept_difference: false,
                    },
                    &staff,
                    at(2027, 1, 5),
                    &rules.periods,
                )
                .expect("paid");
            other.apply(paid, staff.clone(), at(2027, 1, 5));
        }
        let change = other
            .decide(&action, &actor, at(2027, 1, 6), &rules.periods)
            .expect("allowed");
        assert_eq!(change.mails(&actor), kinds);
        let event = other.apply(change, actor, at(2027, 1, 6));
        for kind in kinds {
            let message = render(
                &rules,
                &templates,
                Occasion {
                    case: &other,
                    event: &event,
                    kind,
                    link: None,
                    attachments: if kind == MailKind::CreditNote {
                        vec![cbt::mail::Attachment {
                            filename: "creditnota-C-2027-0001.pdf".into(),
                            content_type: "application/pdf".into(),
                            bytes: Vec::new(),
                        }]
                    } else {
                        Vec::new()
                    },
                },
                &from(),
            )
            .expect("renders");
            // One golden file a kind: the withdrawal's came above.
            if seen.contains(&kind) {
                continue;
            }
            if kind == MailKind::CreditNote {
                assert_eq!(message.to[0].email, "crediteuren@voorbeeld.nl");
                assert!(message.text.contains("creditnota-C-2027-0001.pdf"));
            }
            golden(&format!("{}.txt", kind.template()), &as_golden(&message));
            golden(&format!("{}.html", kind.template()), &message.html);
            seen.push(kind);
        }
    }
    // The digest.
    let line = |n: u32, date: &str, days: i64| cbt::digest::Line {
        reference: format!("CBT-2027-{n:04}"),
        organisation: "Voorbeeld <Energie> & Zn".into(),
        date: date.into(),
        days,
        days_text: cbt::digest::days_text(days),
    };
    let digest = cbt::digest::Digest {
        date: "9 maart 2027".into(),
        new_applications: vec![line(7, "8 maart 2027", -1)],
        payments_overdue: vec![line(3, "3 februari 2027", -34)],
        change_windows_closing: vec![line(4, "10 maart 2027", 1)],
        completions_overdue: vec![line(5, "8 maart 2027", -1)],
        advice_due: vec![line(6, "9 maart 2027", 0), line(2, "16 maart 2027", 7)],
        targets_at_risk: vec![line(6, "20 maart 2027", 11)],
    };
    let message = cbt::case_mail::digest(&rules, &templates, &digest, &from()).expect("digest");
    assert!(message.html.contains("Voorbeeld &lt;Energie&gt; &amp; Zn"));
    golden("dagoverzicht.txt", &as_golden(&message));
    golden("dagoverzicht.html", &message.html);
    seen.push(MailKind::Digest);

    // A bounce of a case's invoice, and a complaint about a contact
    // message's acknowledgement: the secretariat's notice.
    let sent = chrono::Utc.with_ymd_and_hms(2027, 3, 8, 23, 30, 0).unwrap();
    let bounced = cbt::delivery::Problem::Bounced {
        recipient: "factuur@voorbeeld.nl".into(),
        kind: cbt::delivery::BounceKind::NoSuchAddress,
        detail: "smtp; 550 5.1.1 <factuur@voorbeeld.nl>: user unknown".into(),
    };
    let notice = cbt::delivery::Notice::new(
        MailKind::Invoice,
        &bounced,
        sent,
        cbt::delivery::About::Case {
            reference: "CBT-2027-0007".into(),
            organisation: "Voorbeeld <Energie> & Zn".into(),
            contact: "Jan Jansen".into(),
            phone: Some("020 123 4567".into()),
            invoice: Some("2027-0007".into()),
        },
    );
    let message =
        cbt::case_mail::delivery_problem(&rules, &templates, &notice, &from()).expect("notice");
    assert_eq!(
        message.subject(),
        "Niet bezorgd: de factuur aan factuur@voorbeeld.nl (CBT-2027-0007)"
    );
    assert!(
        message.text.contains("op 9 maart 2027 verstuurd"),
        "sent at 00:30 in Amsterdam"
    );
    assert!(message.html.contains("Voorbeeld &lt;Energie&gt; &amp; Zn"));
    golden("niet-bezorgd.txt", &as_golden(&message));
    golden("niet-bezorgd.html", &message.html);
    let complained = cbt::delivery::Notice::new(
        MailKind::ContactAcknowledgement,
        &cbt::delivery::Problem::Complained {
            recipient: "petra@voorbeeld.nl".into(),
        },
        sent,
        cbt::delivery::About::Contact {
            name: "Petra de Vries".into(),
            subject: "Vraag over de termijn".into(),
            phone: None,
            received: "8 maart 2027".into(),
        },
    );
    let message =
        cbt::case_mail::delivery_problem(&rules, &templates, &complained, &from()).expect("notice");
    golden("niet-bezorgd-contact.txt", &as_golden(&message));
    assert!(message
        .text
        .contains("contactbericht \"Vraag over de termijn\" van Petra de Vries"));
    seen.push(MailKind::DeliveryProblem);

    // A staff member's sign-in link to the workspace.
    let to = cbt::formats::Email::parse("sanne@balanstoetstelemarketing.nl").expect("address");
    let link = "https://www.balanstoetstelemarketing.nl/beheer/aanmelden/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let message = cbt::workspace::sign_in_mail(
        &rules,
        &templates,
        &cbt::workspace::SignIn {
            to: &to,
            name: "Sanne de Secretaris",
            link,
            minutes: 15,
            expires: sent,
        },
        &from(),
    )
    .expect("sign-in mail");
    golden("aanmeldlink.txt", &as_golden(&message));
    golden("aanmeldlink.html", &message.html);
    seen.push(MailKind::StaffSignIn);

    // Every kind a case can send has its golden file.
    for kind in MailKind::ALL {
        let by_case = !matches!(
            kind,
            MailKind::ApplicationConfirmation
                | MailKind::Invoice
                | MailKind::ApplicationSecretariat
                | MailKind::ContactSecretariat
                | MailKind::ContactAcknowledgement
                | MailKind::ContactAddressCheck
                | MailKind::InvoiceAddressCheck
        );
        assert!(
            !by_case || seen.contains(&kind),
            "{kind:?} has no golden file"
        );
    }
    // User text is escaped in HTML, and reaches no header.
    assert!(!seen.is_empty());
}

/// The text of a PDF's first page as lopdf extracts it, white space
/// collapsed.
fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
    assert_eq!(doc.get_pages().len(), 1, "one page");
    let text = doc.extract_text(&[1]).expect("text");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One of the four kinds of applicant, filed as NUMBER.
fn filed(fields: &[(&str, &str)]) -> FollowUp {
    let rules = rules();
    let posted = Posted {
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        files: application().files,
    };
    follow_up(&rules, &submission(&posted, &rules.forms.application))
}

/// Golden invoices, one per VAT case: the invoice mail and the PDF's text.
/// A Belgian company with a btw-id pays no Dutch VAT (reverse charge, both
/// btw-ids on the invoice); a German non-profit without one pays 21%; a
/// Swiss company pays no Dutch VAT; a Dutch foundation pays 21% on the
/// non-profit fee.
#[test]
fn every_vat_case_has_its_golden_invoice() {
    use cbt::invoice::VatTreatment;
    use cbt::sample::applicants;
    /// The golden file, the applicant's answers, and what its invoice
    /// charges: treatment, total in cents, VAT rate.
    type Case = (&'static str, Fields, VatTreatment, i64, u32);
    type Fields = Vec<(&'static str, &'static str)>;
    let cases: [Case; 4] = [
        (
            "factuur-belgie",
            applicants::belgian_company(),
            VatTreatment::ReverseCharge,
            368_000,
            0,
        ),
        (
            "factuur-duitsland",
            applicants::german_non_profit(),
            VatTreatment::Dutch,
            361_790,
            21,
        ),
        (
            "factuur-zwitserland",
            applicants::swiss_company(),
            VatTreatment::OutsideEu,
            368_000,
            0,
        ),
        (
            "factuur-nederland",
            applicants::dutch_foundation(),
            VatTreatment::Dutch,
            361_790,
            21,
        ),
    ];
    for (name, fields, treatment, total, percent) in cases {
        let f = filed(&fields);
        let inv = &f.invoice;
        assert_eq!(
            (inv.vat_treatment, inv.total.0, inv.vat_percent),
            (treatment, total, percent),
            "{name}"
        );
        let mail = f
            .mails
            .iter()
            .find(|m| m.kind == MailKind::Invoice)
            .expect("invoice mail");
        let text = pdf_text(&f.pdf);
        match treatment {
            VatTreatment::ReverseCharge => {
                assert!(text.contains("Btw verlegd"), "{text}");
                assert!(text.contains("Btw-id: BE0123456749"), "{text}");
                assert!(text.contains("Btw-id NL004495445B01"), "{text}");
                assert!(
                    text.contains("Te betalen € 3.680,00")
                        || text.contains("Te betalen €\u{a0}3.680,00"),
                    "{text}"
                );
            }
            VatTreatment::OutsideEu => {
                assert!(
                    text.contains("dienst is belast in het land van de afnemer"),
                    "{text}"
                );
                assert!(text.contains("Zwitserland"), "{text}");
            }
            VatTreatment::Dutch => {
                assert!(text.contains("Totaal incl. btw"), "{text}");
                assert!(!text.contains("verlegd"), "{text}");
            }
        }
        assert!(text.contains("Factuur (voorbeeldgegevens)"), "{text}");
        golden(
            &format!("{name}.txt"),
            &format!("{}\n\n--- PDF ---\n{text}\n", as_golden(mail)),
        );
    }
}

/// The sentences issue 12 reworded (`tests/reworded.txt`) are in no mail
/// and no PDF: the filing's mails and invoice for every kind of applicant,
/// the contact message's mails, the advice letter granted and refused.
#[test]
fn no_mail_or_pdf_says_what_was_reworded() {
    let reworded: Vec<String> = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reworded.txt"),
    )
    .expect("tests/reworded.txt")
    .lines()
    .map(str::trim)
    .filter(|l| !l.is_empty() && !l.starts_with('#'))
    .map(str::to_lowercase)
    .collect();
    let mut texts = Vec::new();
    for fields in [
        cbt::sample::application_fields(),
        cbt::sample::applicants::belgian_company(),
        cbt::sample::applicants::german_non_profit(),
        cbt::sample::applicants::swiss_company(),
        cbt::sample::applicants::dutch_foundation(),
    ] {
        let f = filed(&fields);
        texts.push(("invoice PDF".to_string(), pdf_text(&f.pdf)));
        for m in &f.mails {
            texts.push((
                format!("{:?}", m.kind),
                format!("{} {} {}", m.subject(), m.text, m.html),
            ));
        }
    }
    let rules = rules();
    let s = submission(&cbt::sample::contact(), &rules.forms.contact);
    let enquiry = Enquiry::from_submission(&s).expect("typed");
    let templates = Templates::embedded().expect("templates");
    let received = cbt::follow_up::Received {
        enquiry: &enquiry,
        at: received_at(),
        reference: "CBT-C-00000001",
        acknowledged: true,
    };
    let contact = cbt::follow_up::contact(&rules, &templates, &received, &from()).expect("mails");
    for m in contact {
        texts.push((
            format!("{:?}", m.kind),
            format!("{} {} {}", m.subject(), m.text, m.html),
        ));
    }
    // The advice letter, granted and refused.
    let applied = Application::from_submission(
        &submission(&application(), &rules.forms.application),
        &rules.fees,
    )
    .expect("typed");
    for outcome in [
        cbt::case::Outcome::Granted {
            term_years: 5,
            valid_until: NaiveDate::from_ymd_opt(2031, 11, 30).expect("date"),
        },
        cbt::case::Outcome::Refused,
    ] {
        let mut case = cbt::case::Case::filed(
            "CBT-2026-0007".into(),
            NUMBER,
            chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 11, 0, 0)
                .single()
                .expect("time"),
            cbt::Cents(445_280),
            applied.clone(),
            Vec::new(),
        );
        case.advice = Some(cbt::case::Advice {
            outcome,
            motivation: "De organisatie heeft een gerechtvaardigd belang.".into(),
            sent_on: date(),
        });
        let letter = cbt::advice::AdviceLetter::for_case(&case, &rules.supplier, "oud-klanten")
            .expect("a letter");
        let pdf = cbt::advice::render_pdf(&letter).expect("the letter's PDF");
        let doc = lopdf::Document::load_mem(&pdf).expect("a readable PDF");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        texts.push((
            "advice letter PDF".to_string(),
            doc.extract_text(&pages).expect("text"),
        ));
    }
    for (what, text) in texts {
        let text = text.to_lowercase();
        for phrase in &reworded {
            assert!(
                !text.contains(phrase.as_str()),
                "{what} still says {phrase:?}"
            );
        }
    }
}
