//! The case's rules: every state against every action by every actor, then
//! each date and value guard from both sides, the deadlines, and the
//! history.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;

fn periods() -> Periods {
    crate::embedded_rules().expect("rules").periods
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// Noon in Amsterdam on `date` (11:00 UTC in winter, 10:00 in summer: any
/// of the two is the same date).
fn at(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(10, 30, 0).expect("time"))
}

fn application() -> Application {
    let rules = crate::embedded_rules().expect("rules");
    let Ok(crate::validate::Checked::Valid(s)) =
        crate::validate::check(&rules.forms.application, &crate::sample::application())
    else {
        panic!("the sample passes")
    };
    Application::from_submission(&s, &rules.fees).expect("typed")
}

const TOTAL: Cents = Cents(445_280);

fn secretariat() -> Actor {
    Actor::Secretariat {
        name: "Sanne Secretaris".into(),
    }
}

/// A case filed on 4 January 2027.
fn filed() -> Case {
    let mut case = Case::filed(
        "CBT-2027-0001".into(),
        InvoiceNumber { year: 2027, seq: 1 },
        at(d(2027, 1, 4)),
        TOTAL,
        application(),
        Vec::new(),
    );
    case.apply(Change::Filed, Actor::Applicant, at(d(2027, 1, 4)));
    case
}

/// Takes `action` by `actor` on `date`, or panics with the refusal.
fn act(case: &mut Case, action: Action, actor: Actor, date: NaiveDate) -> Event {
    let change = case
        .decide(&action, &actor, at(date), &periods())
        .unwrap_or_else(|r| panic!("{} on {date}: {r}", action.name()));
    case.apply(change, actor, at(date))
}

fn pay(case: &mut Case, date: NaiveDate) {
    act(
        case,
        Action::RegisterPayment {
            date,
            amount: TOTAL,
            accept_difference: false,
        },
        secretariat(),
        date,
    );
}

/// A case in `state`, with the history that leads there.
fn in_state(state: State) -> Case {
    let mut case = filed();
    if state == State::Ontvangen {
        return case;
    }
    if state == State::Ingetrokken {
        act(
            &mut case,
            Action::Withdraw { credit_note: false },
            Actor::Applicant,
            d(2027, 1, 5),
        );
        return case;
    }
    pay(&mut case, d(2027, 1, 10));
    if state == State::Betaald {
        return case;
    }
    if state == State::NietInBehandeling {
        act(
            &mut case,
            Action::Decline {
                reason: "Niet specifiek genoeg.".into(),
            },
            secretariat(),
            d(2027, 1, 18),
        );
        return case;
    }
    act(
        &mut case,
        Action::TakeIntoHandling,
        secretariat(),
        d(2027, 1, 18),
    );
    if state == State::InBehandeling {
        return case;
    }
    if state == State::AdviesUitgebracht {
        act(&mut case, advice(), secretariat(), d(2027, 2, 20));
        return case;
    }
    act(
        &mut case,
        Action::RequestCompletion {
            text: "Licht de termijn toe.".into(),
        },
        secretariat(),
        d(2027, 1, 25),
    );
    if state == State::AanvullingGevraagd {
        return case;
    }
    act(
        &mut case,
        Action::AnswerCompletion {
            text: "Zie de bijlage.".into(),
            documents: Vec::new(),
        },
        Actor::Applicant,
        d(2027, 1, 30),
    );
    assert_eq!(state, State::AanvullingOntvangen);
    case
}

fn advice() -> Action {
    Action::RecordAdvice {
        outcome: Outcome::Granted {
            term_years: 5,
            valid_until: d(2032, 2, 19),
        },
        motivation: "De balans valt uit in het voordeel van de aanvrager.".into(),
    }
}

fn actions() -> Vec<Action> {
    let mut changed = application();
    changed
        .answers
        .insert("motivering".into(), "Een betere toelichting.".into());
    vec![
        Action::RegisterPayment {
            date: d(2027, 1, 10),
            amount: TOTAL,
            accept_difference: false,
        },
        Action::Amend {
            application: Box::new(changed),
            documents: Vec::new(),
        },
        Action::FinishChanges,
        Action::TakeIntoHandling,
        Action::Decline {
            reason: "Niet specifiek.".into(),
        },
        Action::RequestCompletion {
            text: "Vul aan.".into(),
        },
        Action::AnswerCompletion {
            text: "Aangevuld.".into(),
            documents: Vec::new(),
        },
        advice(),
        Action::Withdraw { credit_note: true },
        Action::SendReminder,
        Action::SendLink,
        Action::AddNote {
            text: "Gebeld met de aanvrager.".into(),
        },
    ]
}

fn actors() -> Vec<Actor> {
    vec![
        Actor::Applicant,
        secretariat(),
        Actor::Commission {
            name: "Karel Commissielid".into(),
        },
        Actor::Schedule,
        Actor::BankImport,
    ]
}

/// Who may take which action in which state, written out on its own (from
/// the design's table), to hold the code to.
fn allowed(state: State, actor: &Actor, action: &Action) -> bool {
    use State::*;
    let applicant = *actor == Actor::Applicant;
    let staff = matches!(actor, Actor::Secretariat { .. });
    match action {
        Action::RegisterPayment { .. } => {
            state == Ontvangen && (staff || *actor == Actor::BankImport)
        }
        Action::Amend { .. } | Action::FinishChanges => {
            applicant && matches!(state, Ontvangen | Betaald)
        }
        Action::TakeIntoHandling | Action::Decline { .. } => staff && state == Betaald,
        Action::RequestCompletion { .. } => {
            staff && matches!(state, InBehandeling | AanvullingOntvangen)
        }
        Action::AnswerCompletion { .. } => applicant && state == AanvullingGevraagd,
        Action::RecordAdvice { .. } => {
            staff
                && matches!(
                    state,
                    InBehandeling | AanvullingGevraagd | AanvullingOntvangen
                )
        }
        Action::Withdraw { .. } => {
            (applicant && matches!(state, Ontvangen | Betaald)) || (staff && !state.is_closed())
        }
        Action::SendReminder => *actor == Actor::Schedule && state == Ontvangen,
        Action::SendLink => applicant,
        Action::AddNote { .. } => staff || matches!(actor, Actor::Commission { .. }),
    }
}

#[test]
fn every_state_against_every_action_by_every_actor() {
    let periods = periods();
    let mut checked = 0;
    for state in State::ALL {
        let case = in_state(state);
        assert_eq!(case.state, state);
        for actor in actors() {
            for action in actions() {
                // Late enough for every window to have closed that closes.
                let result = case.decide(&action, &actor, at(d(2027, 6, 1)), &periods);
                let role_or_state = matches!(
                    result,
                    Err(Refusal::NotYours { .. } | Refusal::WrongState { .. })
                );
                assert_eq!(
                    !role_or_state,
                    allowed(state, &actor, &action),
                    "{state:?}, {actor:?}, {}: {result:?}",
                    action.name()
                );
                if !Case::may(&actor, &action) {
                    assert!(matches!(result, Err(Refusal::NotYours { .. })));
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 8 * 5 * 12);
}

#[test]
fn the_whole_procedure() {
    let periods = periods();
    let mut case = filed();
    assert_eq!(case.state, State::Ontvangen);
    let t = case.deadlines(&periods, d(2027, 1, 4));
    assert_eq!(t.payment_due, Some(d(2027, 2, 3)));
    assert_eq!(t.next(), Some((DeadlineKind::Payment, d(2027, 2, 3))));

    pay(&mut case, d(2027, 1, 10));
    let t = case.deadlines(&periods, d(2027, 1, 10));
    assert_eq!(t.payment_due, None);
    assert_eq!(t.amend_until, Some(d(2027, 1, 17)));
    assert_eq!(t.advice_target, Some(d(2027, 3, 21)));

    act(
        &mut case,
        Action::TakeIntoHandling,
        secretariat(),
        d(2027, 1, 18),
    );
    let t = case.deadlines(&periods, d(2027, 1, 18));
    assert_eq!(t.amend_until, None, "no more changes once in handling");
    assert_eq!(t.advice_due, Some(d(2027, 3, 15)));

    act(
        &mut case,
        Action::RequestCompletion {
            text: "Licht toe.".into(),
        },
        secretariat(),
        d(2027, 1, 25),
    );
    let t = case.deadlines(&periods, d(2027, 1, 25));
    assert_eq!(t.completion_due, Some(d(2027, 2, 8)));
    act(
        &mut case,
        Action::AnswerCompletion {
            text: "Toegelicht.".into(),
            documents: Vec::new(),
        },
        Actor::Applicant,
        d(2027, 2, 1),
    );
    let t = case.deadlines(&periods, d(2027, 2, 1));
    assert_eq!(t.completion_due, None);
    // Both dates for the secretariat: 7 days in completion.
    assert_eq!(t.advice_due_unpaused, Some(d(2027, 3, 15)));
    assert_eq!(t.advice_due_paused, Some(d(2027, 3, 22)));
    assert_eq!(t.advice_due, t.advice_due_unpaused, "not paused by default");

    act(&mut case, advice(), secretariat(), d(2027, 3, 1));
    assert_eq!(case.state, State::AdviesUitgebracht);
    assert_eq!(case.closed_on, Some(d(2027, 3, 1)));
    let t = case.deadlines(&periods, d(2027, 3, 1));
    assert_eq!(t.next(), None, "a closed case waits for nothing");
    assert_eq!(case.version, 6);
    assert_eq!(case.files_kept_until(2), Some(d(2034, 2, 19)));
    assert_eq!(case.invoice_kept_until(7), Some(d(2034, 12, 31)));
}

#[test]
fn the_pause_is_a_setting() {
    let mut p = periods();
    p.pause_advice_during_completion = true;
    let case = in_state(State::AanvullingOntvangen);
    let t = case.deadlines(&p, d(2027, 2, 1));
    assert_eq!(t.advice_due, t.advice_due_paused);
    assert_eq!(t.advice_due_paused, Some(d(2027, 3, 20)));
    // While the request is open, its days count up to today.
    let case = in_state(State::AanvullingGevraagd);
    let t = case.deadlines(&p, d(2027, 1, 28));
    assert_eq!(t.advice_due_paused, Some(d(2027, 3, 18)));
}

#[test]
fn the_change_window_from_both_sides() {
    let periods = periods();
    let case = in_state(State::Betaald);
    let Action::Amend { .. } = &actions()[1] else {
        panic!("amend")
    };
    let amend = actions().swap_remove(1);
    // Paid on 10 January: until 17 January, not on the 18th.
    assert!(case
        .decide(&amend, &Actor::Applicant, at(d(2027, 1, 17)), &periods)
        .is_ok());
    assert_eq!(
        case.decide(&amend, &Actor::Applicant, at(d(2027, 1, 18)), &periods),
        Err(Refusal::ChangeWindowClosed {
            until: d(2027, 1, 17)
        })
    );
    // 23:30 UTC on the 17th is the 18th in Amsterdam: closed.
    let late = Utc
        .with_ymd_and_hms(2027, 1, 17, 23, 30, 0)
        .single()
        .expect("time");
    assert!(matches!(
        case.decide(&amend, &Actor::Applicant, late, &periods),
        Err(Refusal::ChangeWindowClosed { .. })
    ));
    // Handling waits for the window, unless the applicant is done.
    assert_eq!(
        case.decide(
            &Action::TakeIntoHandling,
            &secretariat(),
            at(d(2027, 1, 17)),
            &periods
        ),
        Err(Refusal::ChangeWindowOpen {
            until: d(2027, 1, 17)
        })
    );
    assert!(case
        .decide(
            &Action::TakeIntoHandling,
            &secretariat(),
            at(d(2027, 1, 18)),
            &periods
        )
        .is_ok());
    let mut done = case;
    act(
        &mut done,
        Action::FinishChanges,
        Actor::Applicant,
        d(2027, 1, 12),
    );
    assert!(done
        .decide(
            &Action::TakeIntoHandling,
            &secretariat(),
            at(d(2027, 1, 12)),
            &periods
        )
        .is_ok());
    assert_eq!(
        done.decide(
            &Action::FinishChanges,
            &Actor::Applicant,
            at(d(2027, 1, 12)),
            &periods
        ),
        Err(Refusal::NothingChanged)
    );
}

#[test]
fn amending_records_old_and_new_and_guards_the_fee() {
    let periods = periods();
    let mut case = filed();
    let mut changed = case.application.clone();
    changed.answers.insert("motivering".into(), "Nieuw.".into());
    let event = act(
        &mut case,
        Action::Amend {
            application: Box::new(changed.clone()),
            documents: vec![CaseDocument {
                field: String::new(),
                key: "cases/x/aanvulling.pdf".into(),
                filename: "aanvulling.pdf".into(),
                shown_name: None,
                kind: DocumentKind::Pdf,
                size: 10,
            }],
        },
        Actor::Applicant,
        d(2027, 1, 5),
    );
    let Change::Amended { fields, .. } = &event.change else {
        panic!("amended")
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].field, "motivering");
    assert_eq!(fields[0].new, "Nieuw.");
    assert!(fields[0].old.starts_with("Onze klanten"));
    assert_eq!(case.documents.len(), 1);
    assert_eq!(case.application, changed);
    assert_eq!(
        event.change.summary(),
        "Aanvraag aangevuld of gewijzigd: 1 antwoord gewijzigd, 1 document toegevoegd"
    );
    // Nothing new: refused.
    assert_eq!(
        case.decide(
            &Action::Amend {
                application: Box::new(changed.clone()),
                documents: Vec::new()
            },
            &Actor::Applicant,
            at(d(2027, 1, 5)),
            &periods
        ),
        Err(Refusal::NothingChanged)
    );
    // Another kind of organisation: before payment the invoice is
    // outdated, after payment it is refused.
    let mut non_profit = changed.clone();
    non_profit.organisation.tariff = "non_profit".into();
    non_profit
        .answers
        .insert("soort_organisatie".into(), "non_profit".into());
    let amend = Action::Amend {
        application: Box::new(non_profit),
        documents: Vec::new(),
    };
    let mut before = case.clone();
    act(&mut before, amend.clone(), Actor::Applicant, d(2027, 1, 6));
    assert!(before.invoice_outdated);
    pay(&mut case, d(2027, 1, 10));
    assert_eq!(
        case.decide(&amend, &Actor::Applicant, at(d(2027, 1, 11)), &periods),
        Err(Refusal::TariffAfterPayment)
    );
}

/// The addresses that confirmed the application stay: an amendment that
/// changes the contact person's or the invoice's e-mail address is
/// refused, in either state an amendment is allowed; other spelling of the
/// same address is no change.
#[test]
fn an_amendment_keeps_the_confirmed_addresses() {
    let periods = periods();
    let mut case = filed();
    let other = crate::formats::Email::parse("iemand.anders@elders.example").expect("email");
    for paid in [false, true] {
        if paid {
            pay(&mut case, d(2027, 1, 10));
        }
        let now = at(d(2027, 1, 12));
        for field in ["contact", "invoice"] {
            let mut changed = case.application.clone();
            match field {
                "contact" => changed.contact.email = other.clone(),
                _ => changed.invoice.email = other.clone(),
            }
            let amend = Action::Amend {
                application: Box::new(changed),
                documents: Vec::new(),
            };
            assert_eq!(
                case.decide(&amend, &Actor::Applicant, now, &periods),
                Err(Refusal::AddressChanged),
                "{field}, paid: {paid}"
            );
        }
        let mut shouted = case.application.clone();
        shouted.contact.email =
            crate::formats::Email::parse(&case.application.contact.email.as_str().to_uppercase())
                .expect("email");
        shouted
            .answers
            .insert("motivering".into(), format!("Anders {paid}."));
        assert!(case
            .decide(
                &Action::Amend {
                    application: Box::new(shouted),
                    documents: Vec::new()
                },
                &Actor::Applicant,
                now,
                &periods
            )
            .is_ok());
    }
    assert!(Refusal::AddressChanged
        .to_string()
        .contains("Neem contact op met het secretariaat"));
}

#[test]
fn payments_are_checked() {
    let periods = periods();
    let case = filed();
    let register = |date, amount, accept_difference| Action::RegisterPayment {
        date,
        amount,
        accept_difference,
    };
    let today = at(d(2027, 1, 20));
    assert_eq!(
        case.decide(
            &register(d(2027, 1, 20), Cents(400_000), false),
            &secretariat(),
            today,
            &periods
        ),
        Err(Refusal::AmountDiffers {
            expected: TOTAL,
            given: Cents(400_000)
        })
    );
    assert!(case
        .decide(
            &register(d(2027, 1, 20), Cents(400_000), true),
            &secretariat(),
            today,
            &periods
        )
        .is_ok());
    for (date, amount) in [
        (d(2027, 1, 21), TOTAL),
        (d(2027, 1, 3), TOTAL),
        (d(2027, 1, 20), Cents(0)),
        (d(2027, 1, 20), Cents(-100)),
    ] {
        assert!(
            matches!(
                case.decide(
                    &register(date, amount, true),
                    &secretariat(),
                    today,
                    &periods
                ),
                Err(Refusal::Invalid(_))
            ),
            "{date} {amount}"
        );
    }
    // The invoice's own day and today are fine.
    assert!(case
        .decide(
            &register(d(2027, 1, 4), TOTAL, false),
            &Actor::BankImport,
            today,
            &periods
        )
        .is_ok());
}

#[test]
fn completion_from_both_sides_and_the_advice_after_it() {
    let periods = periods();
    let case = in_state(State::AanvullingGevraagd);
    let answer = Action::AnswerCompletion {
        text: "Hier is het.".into(),
        documents: Vec::new(),
    };
    // Asked on 25 January: until 8 February.
    assert!(case
        .decide(&answer, &Actor::Applicant, at(d(2027, 2, 8)), &periods)
        .is_ok());
    assert_eq!(
        case.decide(&answer, &Actor::Applicant, at(d(2027, 2, 9)), &periods),
        Err(Refusal::CompletionClosed { due: d(2027, 2, 8) })
    );
    let empty = Action::AnswerCompletion {
        text: "  ".into(),
        documents: Vec::new(),
    };
    assert!(matches!(
        case.decide(&empty, &Actor::Applicant, at(d(2027, 2, 1)), &periods),
        Err(Refusal::Invalid(_))
    ));
    // The advice waits for the deadline of an open request.
    assert_eq!(
        case.decide(&advice(), &secretariat(), at(d(2027, 2, 8)), &periods),
        Err(Refusal::CompletionOpen { due: d(2027, 2, 8) })
    );
    assert!(case
        .decide(&advice(), &secretariat(), at(d(2027, 2, 9)), &periods)
        .is_ok());
}

#[test]
fn an_advice_needs_its_reasons_and_a_real_term() {
    let periods = periods();
    let case = in_state(State::InBehandeling);
    let today = at(d(2027, 2, 1));
    let record = |outcome, motivation: &str| Action::RecordAdvice {
        outcome,
        motivation: motivation.into(),
    };
    for bad in [
        record(Outcome::Refused, " "),
        record(
            Outcome::Granted {
                term_years: 3,
                valid_until: d(2030, 1, 1),
            },
            "Reden.",
        ),
        record(
            Outcome::Granted {
                term_years: 5,
                valid_until: d(2027, 2, 1),
            },
            "Reden.",
        ),
    ] {
        assert!(
            matches!(
                case.decide(&bad, &secretariat(), today, &periods),
                Err(Refusal::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    assert!(case
        .decide(
            &record(Outcome::Refused, "Reden."),
            &secretariat(),
            today,
            &periods
        )
        .is_ok());
    assert!(matches!(
        case.decide(
            &Action::Decline { reason: "".into() },
            &secretariat(),
            today,
            &periods
        ),
        Err(Refusal::WrongState { .. })
    ));
    let paid = in_state(State::Betaald);
    assert!(matches!(
        paid.decide(
            &Action::Decline { reason: " ".into() },
            &secretariat(),
            today,
            &periods
        ),
        Err(Refusal::Invalid(_))
    ));
    assert!(matches!(
        case.decide(
            &Action::RequestCompletion { text: "".into() },
            &secretariat(),
            today,
            &periods
        ),
        Err(Refusal::Invalid(_))
    ));
}

#[test]
fn reminders_follow_the_due_date_at_an_interval_up_to_the_maximum() {
    let periods = periods();
    let mut case = filed();
    let due = d(2027, 2, 3);
    let first = due + Days::new(u64::from(periods.reminder_interval_days));
    let remind = |case: &Case, date| {
        case.decide(&Action::SendReminder, &Actor::Schedule, at(date), &periods)
    };
    assert_eq!(
        remind(&case, first.pred_opt().expect("day")),
        Err(Refusal::NoReminderDue)
    );
    act(&mut case, Action::SendReminder, Actor::Schedule, first);
    assert_eq!(case.reminders_sent, 1);
    let second = first + Days::new(u64::from(periods.reminder_interval_days));
    assert_eq!(
        remind(&case, second.pred_opt().expect("day")),
        Err(Refusal::NoReminderDue)
    );
    let mut last = second;
    for _ in 1..periods.reminder_max {
        act(&mut case, Action::SendReminder, Actor::Schedule, last);
        last = last + Days::new(u64::from(periods.reminder_interval_days));
    }
    assert_eq!(case.reminders_sent, periods.reminder_max);
    assert_eq!(remind(&case, d(2028, 1, 1)), Err(Refusal::NoReminderDue));
    // Paid: none.
    let paid = in_state(State::Betaald);
    assert!(matches!(
        remind(&paid, d(2028, 1, 1)),
        Err(Refusal::WrongState { .. })
    ));
}

#[test]
fn every_change_is_an_event_with_its_sequence_actor_and_words() {
    let case = in_state(State::AanvullingOntvangen);
    assert_eq!(case.version, 5);
    let mut replay = filed();
    assert_eq!(replay.version, 1);
    pay(&mut replay, d(2027, 1, 10));
    assert_eq!(replay.version, 2);
    let words: Vec<String> = [
        Change::Filed,
        Change::PaymentRegistered {
            payment: Payment {
                date: d(2027, 1, 10),
                amount: TOTAL,
            },
            invoiced: TOTAL,
        },
        Change::PaymentRegistered {
            payment: Payment {
                date: d(2027, 1, 10),
                amount: Cents(100_000),
            },
            invoiced: TOTAL,
        },
        Change::Withdrawn {
            on: d(2027, 1, 10),
            credit_note: true,
        },
    ]
    .iter()
    .map(Change::summary)
    .collect();
    assert_eq!(
        words,
        [
            "Aanvraag ingediend; factuur verstuurd",
            "Betaling van €\u{a0}4.452,80 ontvangen op 10 januari 2027",
            "Betaling van €\u{a0}1.000,00 ontvangen op 10 januari 2027 (gefactureerd: €\u{a0}4.452,80)",
            "Aanvraag ingetrokken op 10 januari 2027; de factuur wordt gecrediteerd",
        ]
    );
    // An event survives the store as JSON.
    let event = Event {
        seq: 3,
        at: at(d(2027, 1, 10)),
        actor: secretariat(),
        change: Change::Declined {
            reason: "Te algemeen.".into(),
            on: d(2027, 1, 10),
        },
    };
    let json = serde_json::to_string(&event).expect("json");
    assert_eq!(serde_json::from_str::<Event>(&json).expect("back"), event);
    assert_eq!(secretariat().to_string(), "Sanne Secretaris (secretariaat)");
}

#[test]
fn files_are_kept_after_the_end_without_an_advice_too() {
    let case = in_state(State::Ingetrokken);
    assert_eq!(case.files_kept_until(2), Some(d(2029, 1, 5)));
    assert_eq!(
        filed().files_kept_until(2),
        None,
        "an open case keeps its files"
    );
    let mut leap = filed();
    leap.closed_on = Some(d(2028, 2, 29));
    assert_eq!(leap.files_kept_until(2), Some(d(2030, 2, 28)));
}

#[test]
fn state_names() {
    for state in State::ALL {
        let json = serde_json::to_value(state).expect("json");
        assert_eq!(json, serde_json::json!(state.key()));
        assert!(!state.label().is_empty());
        assert_eq!(state.to_string(), state.label(), "people read the label");
    }
    assert_eq!(
        Refusal::WrongState {
            state: State::Betaald,
            action: "x"
        }
        .to_string(),
        "Dit kan niet nu de aanvraag de status “Betaald” heeft."
    );
    assert_eq!(until(d(2027, 1, 15)), "tot en met 15 januari 2027");
}

#[test]
fn dates_across_the_year_end_and_leap_years() {
    let periods = periods();
    let mut case = Case::filed(
        "CBT-2026-0100".into(),
        InvoiceNumber {
            year: 2026,
            seq: 100,
        },
        at(d(2026, 12, 15)),
        TOTAL,
        application(),
        Vec::new(),
    );
    case.apply(Change::Filed, Actor::Applicant, at(d(2026, 12, 15)));
    assert_eq!(
        case.deadlines(&periods, d(2026, 12, 15)).payment_due,
        Some(d(2027, 1, 14))
    );
    pay(&mut case, d(2026, 12, 28));
    let t = case.deadlines(&periods, d(2026, 12, 28));
    assert_eq!(t.amend_until, Some(d(2027, 1, 4)));
    assert_eq!(t.advice_target, Some(d(2027, 3, 8)));
    act(
        &mut case,
        Action::TakeIntoHandling,
        secretariat(),
        d(2027, 1, 5),
    );
    assert_eq!(
        case.deadlines(&periods, d(2027, 1, 5)).advice_due,
        Some(d(2027, 3, 2))
    );

    let mut leap = filed();
    leap.submitted_on = d(2028, 2, 20);
    leap.payment = Some(Payment {
        date: d(2028, 2, 25),
        amount: TOTAL,
    });
    leap.state = State::Betaald;
    assert_eq!(
        leap.deadlines(&periods, d(2028, 2, 25)).amend_until,
        Some(d(2028, 3, 3))
    );
    leap.payment = Some(Payment {
        date: d(2027, 2, 25),
        amount: TOTAL,
    });
    assert_eq!(
        leap.deadlines(&periods, d(2027, 2, 25)).amend_until,
        Some(d(2027, 3, 4))
    );
}

#[test]
fn the_end_of_the_calendar_does_not_panic() {
    let periods = periods();
    let mut case = filed();
    case.submitted_on = NaiveDate::MAX;
    case.payment = Some(Payment {
        date: NaiveDate::MAX,
        amount: TOTAL,
    });
    case.state = State::Betaald;
    let t = case.deadlines(&periods, NaiveDate::MAX);
    assert_eq!(
        (t.payment_due, t.amend_until, t.advice_target),
        (None, None, None)
    );
    assert_eq!(case.invoice_kept_until(u32::MAX), None);
    case.closed_on = Some(NaiveDate::MAX);
    assert_eq!(case.files_kept_until(2), None);
}

#[test]
fn anonymising_keeps_what_the_invoice_needs() {
    let mut case = in_state(State::AanvullingOntvangen);
    case.documents.push(CaseDocument {
        field: String::new(),
        key: "cases/x/a.pdf".into(),
        filename: "a.pdf".into(),
        shown_name: None,
        kind: DocumentKind::Pdf,
        size: 1,
    });
    let plain = case.anonymised();
    assert!(plain.documents.is_empty());
    assert_eq!(plain.application.contact.name, REMOVED);
    assert_eq!(
        plain.application.contact.email.as_str(),
        "verwijderd@verwijderd.invalid"
    );
    assert_eq!(plain.application.motivation, None);
    assert_eq!(plain.completions[0].text, REMOVED);
    assert!(!plain.application.answers.contains_key("contact_email"));
    assert!(!plain.application.answers.contains_key("motivering"));
    assert_eq!(
        plain.application.organisation,
        case.application.organisation
    );
    assert_eq!(plain.application.invoice, case.application.invoice);
    assert_eq!(plain.invoiced, case.invoiced);
    assert_eq!(plain.payment, case.payment);
    let text = serde_json::to_string(&plain).expect("json");
    for personal in [
        "Jan de Vries",
        "jan.devries",
        "Privacy officer",
        "+31201234567",
        "Licht de termijn toe",
        "a.pdf",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let event = Event {
        seq: 9,
        at: at(d(2027, 2, 1)),
        actor: Actor::Applicant,
        change: Change::CompletionAnswered {
            on: d(2027, 2, 1),
            text: "Mijn telefoon is 06-12345678".into(),
            documents: case.documents.clone(),
        },
    };
    let plain = event.anonymised();
    let text = serde_json::to_string(&plain).expect("json");
    assert!(
        !text.contains("06-12345678") && !text.contains("a.pdf"),
        "{text}"
    );
    assert_eq!(plain.seq, 9);
}

/// A refusal names the action refused (for logs and the staff audit log):
/// each action its own words.
#[test]
fn refusals_name_the_action() {
    let names: Vec<&str> = actions().iter().map(Action::name).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.len() > 3 && n.chars().all(|c| c.is_lowercase() || c == ' ')),
        "{names:?}"
    );
    let case = in_state(State::Ontvangen);
    let refused = case
        .decide(
            &Action::TakeIntoHandling,
            &Actor::Applicant,
            at(d(2027, 2, 1)),
            &periods(),
        )
        .expect_err("not the applicant's");
    assert_eq!(
        refused,
        Refusal::NotYours {
            action: "in behandeling nemen"
        }
    );
}

/// An applicant who withdraws gets the receipt and the secretariat is told;
/// when the secretariat withdraws, only the applicant hears of it.
#[test]
fn who_withdraws_decides_who_is_told() {
    let change = Change::Withdrawn {
        on: d(2027, 2, 1),
        credit_note: false,
    };
    assert_eq!(
        change.mails(&Actor::Applicant),
        vec![MailKind::Withdrawn, MailKind::WithdrawnSecretariat]
    );
    assert_eq!(change.mails(&secretariat()), vec![MailKind::Withdrawn]);
}

/// Every event that carries someone's words loses them when anonymised,
/// and a changed invoice answer (needed for the bookkeeping) stays.
#[test]
fn anonymising_clears_the_words_of_every_event() {
    let mut case = filed();
    let mut changed = case.application.clone();
    changed
        .answers
        .insert("motivering".into(), "Privé: bel 06-10000001".into());
    let invoice_name = crate::needs::application::INVOICE_NAME;
    changed
        .answers
        .insert(invoice_name.into(), "Voorbeeld Holding B.V.".into());
    let mut events = vec![act(
        &mut case,
        Action::Amend {
            application: Box::new(changed),
            documents: Vec::new(),
        },
        Actor::Applicant,
        d(2027, 1, 5),
    )];
    pay(&mut case, d(2027, 1, 10));
    events.push(act(
        &mut case,
        Action::TakeIntoHandling,
        secretariat(),
        d(2027, 1, 18),
    ));
    events.push(act(
        &mut case,
        Action::RequestCompletion {
            text: "Bel mevrouw Jansen op 06-10000002".into(),
        },
        secretariat(),
        d(2027, 1, 25),
    ));
    events.push(act(
        &mut case,
        Action::AnswerCompletion {
            text: "Mijn nummer is 06-10000003".into(),
            documents: Vec::new(),
        },
        Actor::Applicant,
        d(2027, 2, 1),
    ));
    events.push(act(
        &mut case,
        Action::RecordAdvice {
            outcome: Outcome::Granted {
                term_years: 5,
                valid_until: d(2032, 2, 19),
            },
            motivation: "Besproken met de heer De Vries, 06-10000004".into(),
        },
        secretariat(),
        d(2027, 3, 1),
    ));
    let mut declined = filed();
    pay(&mut declined, d(2027, 1, 10));
    events.push(act(
        &mut declined,
        Action::Decline {
            reason: "Gesprek met 06-10000005".into(),
        },
        secretariat(),
        d(2027, 1, 18),
    ));
    for event in &events {
        let plain = serde_json::to_string(&event.anonymised()).expect("json");
        for n in 1..=5 {
            let number = format!("06-1000000{n}");
            assert!(!plain.contains(&number), "{number} in {plain}");
        }
        assert_eq!(event.anonymised().seq, event.seq);
    }
    let Change::Amended { fields, .. } = &events[0].anonymised().change else {
        panic!("amended")
    };
    let kept = fields
        .iter()
        .find(|f| f.field == invoice_name)
        .expect("the invoice name's change");
    assert_eq!(kept.new, "Voorbeeld Holding B.V.", "needed for the invoice");
    let removed = fields
        .iter()
        .find(|f| f.field == "motivering")
        .expect("the motivation's change");
    assert_eq!(
        (removed.old.as_str(), removed.new.as_str()),
        (REMOVED, REMOVED)
    );
}

#[test]
fn notes_are_internal_and_need_words() {
    let periods = periods();
    let mut case = filed();
    let member = Actor::Commission {
        name: "Karel Commissielid".into(),
    };
    let note = Action::AddNote {
        text: "  Eerder advies in 2024, zie dossier.  ".into(),
    };
    let change = case
        .decide(&note, &member, at(d(2027, 1, 5)), &periods)
        .expect("a member adds a note");
    assert!(change.mails(&member).is_empty());
    let before = case.state;
    let event = case.apply(change, member.clone(), at(d(2027, 1, 5)));
    assert_eq!(case.state, before);
    assert_eq!(event.change.summary(), "Notitie toegevoegd");
    assert_eq!(
        event.change,
        Change::NoteAdded {
            text: "Eerder advies in 2024, zie dossier.".into()
        }
    );
    assert_eq!(event.actor.to_string(), "Karel Commissielid (commissie)");
    assert_eq!(
        case.decide(
            &Action::AddNote {
                text: " \n ".into()
            },
            &member,
            at(d(2027, 1, 5)),
            &periods
        ),
        Err(Refusal::Invalid("Schrijf de notitie."))
    );
    // A member of the commission does nothing else.
    assert!(matches!(
        case.decide(
            &Action::TakeIntoHandling,
            &member,
            at(d(2027, 1, 5)),
            &periods
        ),
        Err(Refusal::NotYours { .. })
    ));
    assert!(event.change.is_internal());
    assert!(!Change::Filed.is_internal());
    assert_eq!(
        event.anonymised().change,
        Change::NoteAdded {
            text: REMOVED.into()
        }
    );
}
