//! The workspace's list, case view and sign-in mail, without I/O.

use chrono::TimeZone;

use super::*;
use crate::case::{Action, CaseDocument, Payment};
use crate::invoice::InvoiceNumber;
use crate::Cents;

fn rules() -> Rules {
    crate::embedded_rules().expect("rules")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn at(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(10, 30, 0).expect("time"))
}

fn application(name: &str) -> crate::application::Application {
    let rules = rules();
    let Ok(crate::validate::Checked::Valid(s)) =
        crate::validate::check(&rules.forms.application, &crate::sample::application())
    else {
        panic!("the sample passes")
    };
    let mut a = crate::application::Application::from_submission(&s, &rules.fees).expect("typed");
    a.organisation.name = name.into();
    a
}

/// Case `n`, filed on `filed`, for `organisation`.
fn case(n: u32, filed: NaiveDate, organisation: &str) -> Case {
    let mut case = Case::filed(
        format!("CBT-2027-{n:04}"),
        InvoiceNumber { year: 2027, seq: n },
        at(filed),
        Cents(445_280),
        application(organisation),
        Vec::new(),
    );
    case.apply(Change::Filed, Actor::Applicant, at(filed));
    case
}

fn secretariat() -> Actor {
    Actor::Secretariat {
        name: "Sanne Secretaris".into(),
    }
}

fn member() -> Actor {
    Actor::Commission {
        name: "Karel Lid".into(),
    }
}

#[test]
fn the_list_is_sorted_by_the_nearest_deadline_and_says_the_days_in_words() {
    let rules = rules();
    let periods = &rules.periods;
    let today = d(2027, 3, 1);
    let old = case(1, d(2027, 1, 4), "Oud & Co");
    let new = case(2, d(2027, 2, 26), "Nieuw <BV>");
    let mut withdrawn = case(3, d(2027, 2, 1), "Weg BV");
    let change = withdrawn
        .decide(
            &Action::Withdraw { credit_note: false },
            &secretariat(),
            at(d(2027, 2, 2)),
            periods,
        )
        .expect("withdraws");
    withdrawn.apply(change, secretariat(), at(d(2027, 2, 2)));
    let cases = vec![new, withdrawn, old.clone()];
    let rows = case_rows(&cases, periods, today, &ListFilter::default());
    let order: Vec<&str> = rows.iter().map(|r| r.reference.as_str()).collect();
    // The overdue payment first, the withdrawn case (no deadline) last.
    assert_eq!(order, ["CBT-2027-0001", "CBT-2027-0002", "CBT-2027-0003"]);
    let due = old
        .deadlines(periods, today)
        .next()
        .expect("a payment deadline");
    assert_eq!(
        rows[0].deadline.as_deref(),
        Some(format!("betaling: {}", dutch_date(due.1)).as_str())
    );
    let late = (today - due.1).num_days();
    assert!(late > 0);
    assert_eq!(
        rows[0].days_left.as_deref(),
        Some(crate::digest::days_text(-late).as_str())
    );
    assert!(rows[0].overdue);
    assert!(!rows[1].overdue);
    assert_eq!(rows[2].deadline, None);
    assert_eq!(rows[2].state, "Ingetrokken");
    assert_eq!(rows[0].fee, Cents(445_280).to_string());
    assert_eq!(rows[0].paid_on, None);

    // Filter by state, search by reference, name or invoice number.
    let only = |state: Option<State>, search: &str| -> Vec<String> {
        case_rows(
            &cases,
            periods,
            today,
            &ListFilter {
                state,
                search: search.into(),
            },
        )
        .into_iter()
        .map(|r| r.reference)
        .collect()
    };
    assert_eq!(only(Some(State::Ingetrokken), ""), ["CBT-2027-0003"]);
    assert_eq!(only(None, "nieuw <bv"), ["CBT-2027-0002"]);
    assert_eq!(only(None, "cbt-2027-0001"), ["CBT-2027-0001"]);
    assert_eq!(only(None, "2027-0003"), ["CBT-2027-0003"]);
    assert!(only(None, "bestaat niet").is_empty());
    assert_eq!(only(None, "  ").len(), 3);

    let counts = state_counts(&cases);
    assert_eq!(counts.len(), State::ALL.len());
    assert_eq!(counts[0].count, 2);
    assert_eq!(
        counts
            .iter()
            .find(|c| c.key == "ingetrokken")
            .map(|c| c.count),
        Some(1)
    );
    assert_eq!(state_by_key("in_behandeling"), Some(State::InBehandeling));
    assert_eq!(state_by_key("onzin"), None);
}

#[test]
fn the_rules_decide_which_forms_a_member_sees() {
    let rules = rules();
    let now = at(d(2027, 1, 5));
    let filed = case(1, d(2027, 1, 4), "Voorbeeld");
    let can = StaffCan::new(&filed, &secretariat(), now, &rules.periods);
    assert!(can.payment && can.withdraw && can.note);
    assert!(!can.advice && !can.complete && !can.take && !can.decline);
    // The commission reads and adds notes, nothing else.
    let can = StaffCan::new(&filed, &member(), now, &rules.periods);
    assert_eq!(
        can,
        StaffCan {
            note: true,
            ..StaffCan::default()
        }
    );
    // A paid case can be taken into handling (the rules then say whether
    // the change window still runs).
    let mut paid = filed;
    paid.payment = Some(Payment {
        date: d(2027, 1, 5),
        amount: Cents(445_280),
    });
    paid.state = State::Betaald;
    let can = StaffCan::new(&paid, &secretariat(), now, &rules.periods);
    assert!(can.take && can.decline && !can.payment);
}

#[test]
fn a_case_shows_versions_notes_and_mails() {
    let rules = rules();
    let periods = &rules.periods;
    let mut c = case(7, d(2027, 1, 4), "Voorbeeld");
    let mut events = Vec::new();
    let mut amended = c.application.clone();
    amended
        .answers
        .insert("motivering".into(), "Een nieuwe <b>toelichting</b>".into());
    let doc = CaseDocument {
        field: "bijlagen".into(),
        key: "cases/CBT-2027-0007/x-bijlage.pdf".into(),
        filename: "bijlage.pdf".into(),
        shown_name: Some("Bijlage.pdf".into()),
        kind: crate::formats::DocumentKind::Pdf,
        size: 1000,
    };
    for (action, actor) in [
        (
            Action::Amend {
                application: Box::new(amended),
                documents: vec![doc],
            },
            Actor::Applicant,
        ),
        (
            Action::AddNote {
                text: "Gebeld met de contactpersoon.".into(),
            },
            member(),
        ),
    ] {
        let change = c
            .decide(&action, &actor, at(d(2027, 1, 6)), periods)
            .unwrap_or_else(|r| panic!("{}: {r}", action.name()));
        events.push(c.apply(change, actor, at(d(2027, 1, 6))));
    }
    let mails = vec![
        MailRow::new(MailKind::Invoice, Some(at(d(2027, 1, 4))), &[]),
        MailRow::new(
            MailKind::ApplicationConfirmation,
            Some(at(d(2027, 1, 4))),
            &[Problem::Bounced {
                recipient: "jan@voorbeeld.nl".into(),
                kind: crate::delivery::BounceKind::NoSuchAddress,
                detail: "550".into(),
            }],
        ),
        MailRow::new(MailKind::AmendReceipt, None, &[]),
    ];
    let view = StaffCase::new(
        &rules,
        &c,
        &events,
        mails,
        &member(),
        at(d(2027, 1, 7)),
        None,
    );
    assert_eq!(view.v.base, "/beheer/zaak/CBT-2027-0007");
    assert_eq!(view.notes.len(), 1);
    assert_eq!(view.notes[0].actor, "Karel Lid (commissie)");
    assert_eq!(view.versions.len(), 1);
    assert_eq!(view.versions[0].documents, ["Bijlage.pdf"]);
    assert!(view.versions[0]
        .changes
        .iter()
        .any(|r| r.new == "Een nieuwe <b>toelichting</b>"));
    // Staff see the note in the history; the applicant's view does not.
    assert!(view
        .history
        .iter()
        .any(|h| h.summary == "Notitie toegevoegd"));
    assert!(!view
        .v
        .history
        .iter()
        .any(|h| h.summary == "Notitie toegevoegd"));
    assert_eq!(
        view.mails[0].state,
        "Verstuurd; de e-maildienst meldde geen probleem."
    );
    assert!(!view.mails[0].problem);
    assert_eq!(
        view.mails[1].state,
        "Niet bezorgd: het adres bestaat niet. (jan@voorbeeld.nl)"
    );
    assert!(view.mails[1].problem);
    assert_eq!(view.mails[2].sent, None);
    assert!(view.mails[2].problem);
    assert_eq!(view.invoiced_input, "4452,80");
    assert!(view.can.note && !view.can.payment);

    // Rendered, with every typed value escaped.
    let templates = Templates::embedded().expect("templates");
    let chrome = Chrome {
        name: "Karel <Lid>".into(),
        role: "commissie",
        secretariat: false,
        csrf: "ab".repeat(32),
        section: "zaken",
    };
    #[derive(Serialize)]
    struct Page {
        #[serde(flatten)]
        case: StaffCase,
        form: std::collections::BTreeMap<String, String>,
        confirm_amount: Option<String>,
        credit_note: Option<String>,
    }
    let html = page(
        &rules,
        &templates,
        "zaak.html",
        "Aanvraag CBT-2027-0007",
        Some(&chrome),
        &Page {
            case: view,
            form: Default::default(),
            confirm_amount: None,
            credit_note: None,
        },
    )
    .expect("renders");
    assert!(
        html.contains("Een nieuwe &lt;b&gt;toelichting&lt;&#x2F;b&gt;")
            || html.contains("Een nieuwe &lt;b&gt;toelichting&lt;/b&gt;")
    );
    assert!(!html.contains("<b>toelichting"));
    assert!(html.contains("Karel &lt;Lid&gt;"));
    assert!(html.contains("Notitie toevoegen"));
    assert!(
        !html.contains("Betaling registreren"),
        "not for the commission"
    );
}

#[test]
fn the_sign_in_mail_carries_the_link_and_its_end() {
    let rules = rules();
    let templates = Templates::embedded().expect("templates");
    let to = Email::parse("sanne@cbt.nl").expect("address");
    let link = format!("https://www.cbt.nl/beheer/aanmelden/{}", "ab".repeat(32));
    // 23:50 UTC on 31 December is 00:50 on 1 January in Amsterdam.
    let expires = Utc.with_ymd_and_hms(2026, 12, 31, 23, 50, 0).unwrap();
    let from = Address::new("noreply@cbt.nl", Some("CBT")).expect("address");
    let m = sign_in_mail(
        &rules,
        &templates,
        &SignIn {
            to: &to,
            name: "Sanne <Secretaris>",
            link: &link,
            minutes: 15,
            expires,
        },
        &from,
    )
    .expect("renders");
    assert_eq!(m.kind, MailKind::StaffSignIn);
    assert_eq!(m.to[0].email, to);
    assert!(m.text.contains(&link) && m.html.contains(&link));
    assert!(m.text.contains("1 januari 2027 om 00:50"), "{}", m.text);
    assert!(m.html.contains("Sanne &lt;Secretaris&gt;"));
    assert!(m.subject().contains("aanmeldlink"));
}
