//! One contract for every implementation of the ports: what the handler
//! relies on, checked against the local adapters here and, with the `aws`
//! feature and the emulators running (`tests/run` starts them), against
//! DynamoDB, S3 and SES over the wire (`aws_contract.rs`).

#![allow(
    dead_code,
    reason = "each test binary that includes the contract uses part of it"
)]

use cbt::application::Application;
use cbt::case::{Action, Actor, CaseDocument, Change, State};
use cbt::contact::Enquiry;
use cbt::formats::DocumentKind;
use cbt::mail::{Address, MailKind, Message};
use cbt::validate::{check, Checked};
use cbt::Cents;
use cbt_function::ports::*;
use chrono::{DateTime, Duration, TimeZone, Utc};

pub fn t(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("valid time")
}

/// The sample application, checked and typed.
pub fn application() -> Application {
    let rules = cbt::embedded_rules().expect("rules");
    let Ok(Checked::Valid(submission)) =
        check(&rules.forms.application, &cbt::sample::application())
    else {
        panic!("the sample application passes its checks")
    };
    Application::from_submission(&submission, &rules.fees).expect("typed")
}

/// The sample contact message, checked and typed.
pub fn enquiry() -> Enquiry {
    let rules = cbt::embedded_rules().expect("rules");
    let Ok(Checked::Valid(submission)) = check(&rules.forms.contact, &cbt::sample::contact())
    else {
        panic!("the sample contact message passes its checks")
    };
    Enquiry::from_submission(&submission).expect("typed")
}

pub fn draft(id: &str, at: DateTime<Utc>) -> Draft {
    Draft {
        id: id.to_string(),
        version: 1,
        content: DraftContent::Complete {
            application: Box::new(application()),
        },
        documents: vec![CaseDocument {
            field: "balanstest".into(),
            key: format!("drafts/{id}/1-balanstest.pdf"),
            filename: "balanstest.pdf".into(),
            shown_name: Some("Balanstest (definitief).pdf".into()),
            kind: DocumentKind::Pdf,
            size: 42,
        }],
        created: at,
        expires: at + Duration::hours(24),
        check: None,
        confirmed: Vec::new(),
    }
}

const TOTAL: Cents = Cents(445_280);

/// `d` filed at `at`, as the core makes it.
pub fn to_file(d: &Draft, at: DateTime<Utc>) -> ToFile {
    ToFile::new(d, at, TOTAL, 30, &MAILS).expect("complete")
}

const MAILS: [MailKind; 3] = [
    MailKind::ApplicationConfirmation,
    MailKind::Invoice,
    MailKind::ApplicationSecretariat,
];

/// The store's contract. `unique` keeps runs on a shared emulator apart.
pub async fn store_contract<S: Store>(store: &S, unique: &str) {
    let now = t(2031, 3, 1, 12);
    // Drafts: kept until they expire, then gone.
    let d = draft(&format!("{unique}-d1"), now);
    store.put_draft(&d).await.expect("put draft");
    assert_eq!(
        store.get_draft(&d.id, now).await.expect("get"),
        Some(d.clone())
    );
    assert_eq!(
        store
            .get_draft(&d.id, now + Duration::hours(25))
            .await
            .expect("get"),
        None,
        "an expired draft is gone"
    );
    assert_eq!(
        store.get_draft("bestaat-niet", now).await.expect("get"),
        None
    );

    // Confirming numbers the application; confirming again changes nothing.
    let year = 2031;
    let first = store.confirm(&to_file(&d, now)).await.expect("confirm");
    assert!(first.created);
    assert_eq!(first.case.invoice_number.year, year);
    assert_eq!(
        first.case.reference,
        cbt::follow_up::reference(first.case.invoice_number)
    );
    let made = to_file(&d, now).numbered(first.case.invoice_number.seq);
    assert_eq!(
        first.case, made.case,
        "the store keeps what the core made of the number"
    );
    let again = store
        .confirm(&to_file(&d, now + Duration::minutes(1)))
        .await
        .expect("confirm again");
    assert!(!again.created);
    assert_eq!(again.case, first.case);
    assert_eq!(
        store.get_confirmed(&d.id).await.expect("confirmed"),
        Some(first.case.clone())
    );
    let record = store
        .get_case(&first.case.reference)
        .await
        .expect("get")
        .expect("the case");
    assert_eq!(record.case, first.case);
    assert_eq!(record.events, vec![made.event.clone()], "its first event");
    assert_eq!(store.get_confirmed("nooit").await.expect("confirmed"), None);
    assert_eq!(store.get_case("CBT-1999-0001").await.expect("get"), None);

    // The next draft gets the next number: one sequence, no gaps.
    let d2 = draft(&format!("{unique}-d2"), now);
    store.put_draft(&d2).await.expect("put");
    let second = store.confirm(&to_file(&d2, now)).await.expect("confirm");
    assert_eq!(
        second.case.invoice_number.seq,
        first.case.invoice_number.seq + 1
    );

    // The year is the Amsterdam date's: 23:30 UTC on 31 December is New
    // Year's Day there, numbered in the new year's series.
    let d3 = draft(&format!("{unique}-d3"), now);
    store.put_draft(&d3).await.expect("put");
    let new_year = Utc
        .with_ymd_and_hms(2040, 12, 31, 23, 30, 0)
        .single()
        .expect("time");
    let third = store
        .confirm(&to_file(&d3, new_year))
        .await
        .expect("confirm");
    assert_eq!(third.case.invoice_number.year, 2041);
    assert_eq!(
        third.case.submitted_on,
        chrono::NaiveDate::from_ymd_opt(2041, 1, 1).expect("date")
    );

    // Its mails are pending until sent.
    let owner = Owner::Application(first.case.reference.clone());
    let pending_of = |owner: Owner| async move {
        store
            .pending_mails()
            .await
            .expect("pending")
            .into_iter()
            .filter(|p| p.owner == owner)
            .collect::<Vec<_>>()
    };
    let mine = pending_of(owner.clone()).await;
    assert_eq!(mine.len(), 3, "{mine:?}");
    for kind in MAILS {
        assert!(mine.iter().any(|p| p.kind == kind && p.seq == 1));
    }
    let invoice = mine
        .iter()
        .find(|p| p.kind == MailKind::Invoice)
        .expect("invoice pending")
        .clone();
    // A claim lets one sender at a time send it, until it runs out or is
    // given back; a mail sent or never pending cannot be claimed.
    let lease = Duration::minutes(2);
    assert!(store
        .claim_mail(&invoice, now, now + lease)
        .await
        .expect("claim"));
    assert!(
        !store
            .claim_mail(&invoice, now, now + lease)
            .await
            .expect("claim"),
        "held by the first"
    );
    let later = now + Duration::minutes(1);
    assert!(!store
        .claim_mail(&invoice, later, later + lease)
        .await
        .expect("claim"));
    let expired = now + lease;
    assert!(
        store
            .claim_mail(&invoice, expired, expired + lease)
            .await
            .expect("claim"),
        "a claim that ran out is free again"
    );
    store.release_mail(&invoice).await.expect("release");
    assert!(
        store
            .claim_mail(&invoice, expired, expired + lease)
            .await
            .expect("claim"),
        "a claim given back is free again"
    );
    store.mail_sent(&invoice, "msg-1").await.expect("sent");
    store
        .mail_sent(&invoice, "msg-1")
        .await
        .expect("marking twice is harmless");
    assert!(
        !store
            .claim_mail(&invoice, expired, expired + lease)
            .await
            .expect("claim"),
        "a sent mail is not claimed"
    );
    store
        .release_mail(&invoice)
        .await
        .expect("releasing a sent mail is harmless");
    let never = PendingMail {
        seq: 99,
        ..invoice.clone()
    };
    assert!(!store
        .claim_mail(&never, now, now + lease)
        .await
        .expect("claim"));

    // The sent mail, found by the mailer's id, takes the mail service's
    // reports: each kept once, with the secretariat's notice pending.
    let sent = store.sent_mails(&owner).await.expect("sent mails");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].mail.kind, MailKind::Invoice);
    assert_eq!(sent[0].message_id, "msg-1");
    assert!(sent[0].reports.is_empty());
    let by_id = store
        .sent_mail("msg-1")
        .await
        .expect("by id")
        .expect("known");
    assert_eq!(by_id.mail, invoice);
    assert!(store
        .sent_mail("msg-unknown")
        .await
        .expect("by id")
        .is_none());
    let report = Report {
        key: format!("bounce#fb-{unique}#factuur@voorbeeld.nl"),
        at: now,
        problem: cbt::delivery::Problem::Bounced {
            recipient: "factuur@voorbeeld.nl".into(),
            kind: cbt::delivery::BounceKind::NoSuchAddress,
            detail: "5.1.1".into(),
        },
    };
    let notice = PendingMail {
        owner: Owner::Delivery {
            message_id: "msg-1".into(),
            report: report.id(),
        },
        kind: MailKind::DeliveryProblem,
        seq: 0,
        since: now,
    };
    match store
        .record_report("msg-1", &report, Some(&notice))
        .await
        .expect("report")
    {
        Recorded::New(kept) => assert_eq!(kept.reports, vec![report.clone()]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .record_report("msg-1", &report, Some(&notice))
            .await
            .expect("report"),
        Recorded::Again,
        "a report delivered twice is kept once"
    );
    assert_eq!(
        store
            .record_report("msg-unknown", &report, None)
            .await
            .expect("report"),
        Recorded::Unknown
    );
    let delay = Report {
        key: format!("delay#{unique}#factuur@voorbeeld.nl"),
        at: now,
        problem: cbt::delivery::Problem::Delayed {
            recipient: "factuur@voorbeeld.nl".into(),
            until: None,
        },
    };
    assert!(matches!(
        store
            .record_report("msg-1", &delay, None)
            .await
            .expect("report"),
        Recorded::New(_)
    ));
    let kept = store
        .sent_mail("msg-1")
        .await
        .expect("by id")
        .expect("known");
    assert_eq!(kept.reports, vec![report, delay], "oldest first");
    let notices: Vec<_> = store
        .pending_mails()
        .await
        .expect("pending")
        .into_iter()
        .filter(|p| p.kind == MailKind::DeliveryProblem)
        .collect();
    assert_eq!(notices, vec![notice.clone()], "one notice, for the bounce");
    store.mail_sent(&notice, "msg-notice").await.expect("sent");
    let mine = pending_of(owner.clone()).await;
    assert_eq!(mine.len(), 2);
    assert!(!mine.iter().any(|p| p.kind == MailKind::Invoice));

    // A transition is kept when the case is still where it was decided,
    // with its event and its mails (the same kind again, another event).
    let periods = cbt::embedded_rules().expect("rules").periods;
    let paid_on = chrono::NaiveDate::from_ymd_opt(2031, 3, 1).expect("date");
    let decide = |case: &cbt::case::Case, action: &Action| {
        case.decide(
            action,
            &Actor::Secretariat { name: "S".into() },
            now,
            &periods,
        )
        .expect("allowed")
    };
    let pay = Action::RegisterPayment {
        date: paid_on,
        amount: TOTAL,
        accept_difference: false,
    };
    let mut case = record.case.clone();
    let change = decide(&case, &pay);
    let event = case.apply(change, Actor::Secretariat { name: "S".into() }, now);
    let transition = Transition {
        next_deadline: chrono::NaiveDate::from_ymd_opt(2031, 3, 8),
        from_version: 1,
        mails: pending(
            &owner,
            &[MailKind::PaymentReceived, MailKind::Invoice],
            event.seq,
            now,
        ),
        event: event.clone(),
        history: None,
        case: case.clone(),
    };
    store.transition(&transition).await.expect("kept");
    let record = store
        .get_case(&first.case.reference)
        .await
        .expect("get")
        .expect("case");
    assert_eq!(record.case.state, State::Betaald);
    assert_eq!(record.case.version, 2);
    assert_eq!(record.events.len(), 2);
    assert_eq!(record.events[1], event);
    let mine = pending_of(owner.clone()).await;
    assert!(
        mine.iter()
            .any(|p| p.kind == MailKind::Invoice && p.seq == 2),
        "the same kind for another event is another mail: {mine:?}"
    );
    // The same transition again is decided on an old version: refused,
    // and nothing of it is kept.
    assert!(matches!(
        store.transition(&transition).await,
        Err(StoreError::Conflict)
    ));
    let stale = Transition {
        from_version: 1,
        ..transition.clone()
    };
    assert!(matches!(
        store.transition(&stale).await,
        Err(StoreError::Conflict)
    ));
    let unchanged = store
        .get_case(&first.case.reference)
        .await
        .expect("get")
        .expect("case");
    assert_eq!(unchanged.events.len(), 2, "the refused event is not kept");

    // Cases by state, nearest deadline first.
    let paid: Vec<String> = store
        .cases_in(State::Betaald)
        .await
        .expect("by state")
        .into_iter()
        .map(|c| c.reference)
        .collect();
    assert!(paid.contains(&first.case.reference));
    let received: Vec<cbt::case::Case> = store.cases_in(State::Ontvangen).await.expect("by state");
    assert!(received
        .iter()
        .any(|c| c.reference == second.case.reference));
    assert!(!received.iter().any(|c| c.reference == first.case.reference));
    // Every case at once, whatever its state.
    let all: Vec<String> = store
        .all_cases()
        .await
        .expect("all")
        .into_iter()
        .map(|c| c.reference)
        .collect();
    for r in [
        &first.case.reference,
        &second.case.reference,
        &third.case.reference,
    ] {
        assert!(all.contains(r), "{r} in {all:?}");
    }
    // (Deadlines: the 2041 case's payment is due last.)
    let pos = |r: &str| received.iter().position(|c| c.reference == r);
    assert!(pos(&second.case.reference) < pos(&third.case.reference));

    // Rewriting the history (retention): old events replaced.
    let mut plain = record.case.anonymised();
    let history: Vec<_> = record.events.iter().map(|e| e.anonymised()).collect();
    let from_version = plain.version;
    let gone = plain.apply(Change::Anonymised { on: paid_on }, Actor::Schedule, now);
    store
        .transition(&Transition {
            next_deadline: None,
            from_version,
            mails: Vec::new(),
            event: gone.clone(),
            history: Some(history.clone()),
            case: plain.clone(),
        })
        .await
        .expect("anonymised");
    let after = store
        .get_case(&first.case.reference)
        .await
        .expect("get")
        .expect("case");
    assert_eq!(after.case, plain);
    assert_eq!(after.events.len(), 3);
    assert_eq!(after.events[..2], history[..]);
    assert_eq!(after.events[2], gone);

    // Personal links: only the hash, and it opens its case.
    let token = Token {
        hash: format!("{unique}-{}", "ab".repeat(28)),
        reference: first.case.reference.clone(),
        created: now,
    };
    store.put_token(&token).await.expect("token");
    assert_eq!(
        store.token_case(&token.hash).await.expect("token"),
        Some(first.case.reference.clone())
    );
    assert_eq!(store.token_case("00").await.expect("token"), None);

    // The digest is claimed once a day.
    let day = chrono::NaiveDate::from_ymd_opt(2031, 3, 2).expect("date");
    let digest_owner = Owner::Digest(day);
    let digest_mails = pending(&digest_owner, &[MailKind::Digest], 0, now);
    let claimed = store
        .claim_digest(day, "{\"date\":\"2 maart 2031\"}", &digest_mails)
        .await
        .expect("claim");
    let again = store
        .claim_digest(day, "{}", &digest_mails)
        .await
        .expect("claim again");
    // On a shared emulator an earlier run may have claimed the day.
    assert!(!again, "a day's digest is claimed once");
    if claimed {
        assert_eq!(
            store.get_digest(day).await.expect("digest").as_deref(),
            Some("{\"date\":\"2 maart 2031\"}")
        );
        assert_eq!(pending_of(digest_owner.clone()).await.len(), 1);
    }

    // Removing a case removes its history and links.
    store
        .remove_case(&first.case.reference)
        .await
        .expect("removed");
    assert_eq!(
        store.get_case(&first.case.reference).await.expect("get"),
        None
    );
    assert_eq!(store.token_case(&token.hash).await.expect("token"), None);

    // Contact messages: kept for their retention, with their mails pending.
    let m = ContactMessage {
        id: format!("{unique}-c1"),
        received: now,
        enquiry: enquiry(),
        expires: now + Duration::days(365),
        acknowledged: true,
    };
    store
        .put_contact(
            &m,
            &[
                MailKind::ContactSecretariat,
                MailKind::ContactAcknowledgement,
            ],
        )
        .await
        .expect("put contact");
    assert_eq!(
        store.get_contact(&m.id, now).await.expect("get"),
        Some(m.clone())
    );
    assert_eq!(
        store
            .get_contact(&m.id, now + Duration::days(366))
            .await
            .expect("get"),
        None
    );
    let contact_owner = Owner::Contact(m.id.clone());
    assert_eq!(
        store
            .pending_mails()
            .await
            .expect("pending")
            .iter()
            .filter(|p| p.owner == contact_owner)
            .count(),
        2
    );

    // Expired items go (DynamoDB's TTL does it by itself: there the purge
    // deletes nothing, and reads never return them).
    let purged = store
        .purge_expired(now + Duration::days(400))
        .await
        .expect("purge");
    assert!(store
        .get_draft(&d2.id, now + Duration::days(400))
        .await
        .expect("get")
        .is_none());
    if purged.items > 0 {
        assert!(purged
            .files
            .contains(&format!("drafts/{unique}-d2/1-balanstest.pdf")));
    }

    // Rate-limit counts per key and window.
    let key = format!("ip#{unique}");
    let window = t(2031, 3, 1, 12);
    for expected in 1..=3 {
        assert_eq!(
            store
                .count_post(&key, window, window + Duration::hours(2))
                .await
                .expect("count"),
            expected
        );
    }
    assert_eq!(
        store
            .count_post(
                &key,
                window + Duration::hours(1),
                window + Duration::hours(3)
            )
            .await
            .expect("count"),
        1,
        "a new window starts at 1"
    );
    assert_eq!(
        store
            .count_post(&format!("{key}-other"), window, window + Duration::hours(2))
            .await
            .expect("count"),
        1
    );
}

/// The address check's part of the store: a sent draft with its mails,
/// sent once however often it is asked at once, its links (by hash, until
/// they expire), and its addresses' confirmations, each kept once and
/// never lost to another at the same moment.
pub async fn address_check_contract<S: Store>(store: &S, unique: &str) {
    use cbt::address_check::{AddressCheck, AddressRole};
    let now = t(2031, 4, 1, 12);
    let rules = cbt::embedded_rules().expect("rules");
    let mut d = draft(&format!("{unique}-a1"), now);
    store.put_draft(&d).await.expect("put draft");
    let check = AddressCheck::new(&application(), now, &rules.retention);
    assert_eq!(check.roles, [AddressRole::Contact, AddressRole::Invoice]);
    d.expires = check.until;
    d.check = Some(check.clone());
    let owner = Owner::Draft(d.id.clone());
    let kinds = [MailKind::ContactAddressCheck, MailKind::InvoiceAddressCheck];
    let mails = pending(&owner, &kinds, check.sends, now);
    let mine = || async {
        store
            .pending_mails()
            .await
            .expect("pending")
            .into_iter()
            .filter(|p| p.owner == owner)
            .collect::<Vec<_>>()
    };

    // Sent: kept with its mails; sent again at the same count, nothing.
    assert!(store.submit_draft(&d, &mails).await.expect("submit"));
    assert_eq!(
        store.get_draft(&d.id, now).await.expect("get"),
        Some(d.clone())
    );
    assert_eq!(mine().await.len(), 2);
    let later = pending(&owner, &kinds, check.sends, now + Duration::seconds(1));
    assert!(!store.submit_draft(&d, &later).await.expect("submit twice"));
    assert_eq!(mine().await.len(), 2, "two clicks send once");
    // Asked again: the next count passes, once.
    let mut again = d.clone();
    again.check = Some(check.again());
    let second = pending(&owner, &kinds[..1], 2, now + Duration::minutes(5));
    assert!(store.submit_draft(&again, &second).await.expect("again"));
    assert!(!store
        .submit_draft(&again, &second)
        .await
        .expect("again, twice"));
    assert_eq!(mine().await.len(), 3);
    for m in mine().await {
        store.mail_sent(&m, "sent-in-test").await.expect("sent");
    }
    assert!(mine().await.is_empty());

    // Links: by hash, until they expire.
    let link = AddressLink {
        hash: format!("{unique}-hash-contact"),
        draft_id: d.id.clone(),
        role: AddressRole::Invoice,
        expires: d.expires,
    };
    store.put_address_link(&link).await.expect("put link");
    assert_eq!(
        store.address_link(&link.hash, now).await.expect("link"),
        Some(link.clone())
    );
    assert_eq!(
        store
            .address_link(&link.hash, d.expires)
            .await
            .expect("link"),
        None,
        "an expired link opens nothing"
    );
    assert_eq!(
        store
            .address_link(&format!("{unique}-unknown"), now)
            .await
            .expect("link"),
        None
    );

    // Confirmations: each kept once, both at once both kept.
    let confirmed = |at| {
        let id = d.id.clone();
        async move {
            store
                .get_draft(&id, at)
                .await
                .expect("get")
                .expect("the draft")
                .confirmed
        }
    };
    assert!(confirmed(now).await.is_empty());
    let (a, b) = tokio::join!(
        store.confirm_address(&d.id, AddressRole::Invoice, now, d.expires),
        store.confirm_address(&d.id, AddressRole::Contact, now, d.expires),
    );
    a.expect("invoice confirms");
    b.expect("contact confirms");
    assert_eq!(
        confirmed(now).await,
        [AddressRole::Contact, AddressRole::Invoice]
    );
    store
        .confirm_address(
            &d.id,
            AddressRole::Contact,
            now + Duration::hours(1),
            d.expires,
        )
        .await
        .expect("a second time changes nothing");
    assert_eq!(
        confirmed(now).await,
        [AddressRole::Contact, AddressRole::Invoice]
    );
    // Another draft's confirmations are its own.
    let other = draft(&format!("{unique}-a2"), now);
    store.put_draft(&other).await.expect("put");
    assert!(store
        .get_draft(&other.id, now)
        .await
        .expect("get")
        .expect("draft")
        .confirmed
        .is_empty());

    // The whole check goes when the draft expires.
    assert_eq!(store.get_draft(&d.id, d.expires).await.expect("get"), None);
    let purged = store.purge_expired(d.expires).await.expect("purge");
    if purged.items > 0 {
        assert!(
            purged.items >= 4,
            "the draft, the link, two confirmations: {purged:?}"
        );
    }
}

/// What the file store's malware scan reports: `mark(key, threat)` makes
/// the file under `key` one the scan judges (clean, or a threat), as the
/// adapter's scanner would.
pub async fn scan_contract<F: Files>(files: &F, unique: &str, mark: impl AsyncFn(&str, bool)) {
    assert_eq!(
        files
            .scan(&format!("applications/{unique}/nooit.pdf"))
            .await
            .expect("scan"),
        Scan::Missing
    );
    for (name, threat) in [("schoon", false), ("besmet", true)] {
        let key = format!("applications/{unique}/{name}.pdf");
        files
            .put(&key, b"%PDF-1.4 document", "application/pdf")
            .await
            .expect("put");
        mark(&key, threat).await;
        let expected = if threat { Scan::Threat } else { Scan::Clean };
        assert_eq!(files.scan(&key).await.expect("scan"), expected, "{name}");
    }
}

/// Numbers stay unique and gapless when many confirm at once.
pub async fn concurrent_confirmations<S: Store + 'static>(
    store: std::sync::Arc<S>,
    unique: &str,
    n: usize,
) -> Vec<u32> {
    let now = t(2032, 6, 1, 9);
    let mut handles = Vec::new();
    for i in 0..n {
        let store = store.clone();
        let d = draft(&format!("{unique}-p{i}"), now);
        handles.push(tokio::spawn(async move {
            store.put_draft(&d).await.expect("put");
            store
                .confirm(&to_file(&d, now))
                .await
                .expect("confirm")
                .case
                .invoice_number
                .seq
        }));
    }
    let mut seqs = Vec::new();
    for h in handles {
        seqs.push(h.await.expect("task"));
    }
    seqs.sort_unstable();
    seqs
}

pub async fn files_contract<F: Files>(files: &F, unique: &str) {
    let gone = format!("cases/{unique}/weg.pdf");
    files
        .put(&gone, b"%PDF", "application/pdf")
        .await
        .expect("put");
    files.delete(&gone).await.expect("delete");
    assert_eq!(files.get(&gone).await.expect("get"), None);
    files.delete(&gone).await.expect("deleting nothing is fine");
    let key = format!("drafts/{unique}/balanstest.pdf");
    assert_eq!(files.get(&key).await.expect("get"), None);
    files
        .put(&key, b"%PDF-1.4 bytes", "application/pdf")
        .await
        .expect("put");
    assert_eq!(
        files.get(&key).await.expect("get").as_deref(),
        Some(&b"%PDF-1.4 bytes"[..])
    );
    files
        .put(&key, b"%PDF-1.4 other", "application/pdf")
        .await
        .expect("overwrite");
    assert_eq!(
        files.get(&key).await.expect("get").as_deref(),
        Some(&b"%PDF-1.4 other"[..])
    );
}

pub fn message(to: &str) -> Message {
    let rules = cbt::embedded_rules().expect("rules");
    let templates = cbt::templates::Templates::embedded().expect("templates");
    let enquiry = Enquiry {
        name: "Els <b>Jansen</b>".into(),
        email: cbt::formats::Email::parse(to).expect("address"),
        ..enquiry()
    };
    let from = Address::new("noreply@balanstoetstelemarketing.nl", Some("CBT")).expect("from");
    let mut mails = cbt::follow_up::contact(
        &rules,
        &templates,
        &cbt::follow_up::Received {
            enquiry: &enquiry,
            at: t(2031, 3, 1, 12),
            reference: "CBT-C-0A1B2C3D",
            acknowledged: true,
        },
        &from,
    )
    .expect("mails");
    let mut m = mails.remove(1);
    m.attachments.push(cbt::mail::Attachment {
        filename: "factuur-2031-0001.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4 invoice".to_vec(),
    });
    m
}

/// The mailer's contract: a message goes out whole and gets an id.
pub async fn mailer_contract<M: Mailer>(mailer: &M) -> Message {
    let m = message("els@voorbeeld.nl");
    let id = mailer.send(&m).await.expect("send");
    assert!(!id.is_empty());
    m
}

/// The workspace's part of the store: the staff list, sign-in links,
/// sessions, the audit log and the bank entries read in. Expects a store
/// of its own (the staff list and the audit log are one per store).
pub async fn workspace_contract<S: Store>(store: &S, unique: &str) {
    let now = t(2027, 3, 1, 9);
    // Credit notes: one gapless series a year, one number a case, asked
    // again the same number. (Years far apart per run: a shared table.)
    let year = 2100 + i32::from(unique.bytes().map(u16::from).sum::<u16>() % 500);
    let a = format!("CBT-{unique}-A");
    let b = format!("CBT-{unique}-B");
    assert_eq!(store.credit_note_of(&a).await.expect("read"), None);
    let first = store.assign_credit_note(&a, year).await.expect("first");
    assert_eq!(first, cbt::invoice::InvoiceNumber { year, seq: 1 });
    assert_eq!(
        store.assign_credit_note(&a, year).await.expect("again"),
        first
    );
    let second = store.assign_credit_note(&b, year).await.expect("second");
    assert_eq!(second.seq, 2);
    let next_year = store
        .assign_credit_note(&format!("CBT-{unique}-C"), year + 1)
        .await
        .expect("next year");
    assert_eq!(next_year.seq, 1);
    assert_eq!(store.credit_note_of(&b).await.expect("read"), Some(second));

    // Staff: none at first; saved only at the version read.
    let empty = store.staff().await.expect("staff");
    assert_eq!(empty, StaffList::default());
    let member = StaffMember {
        email: format!("secretariaat-{unique}@cbt.example"),
        name: "Sanne Secretaris".into(),
        role: StaffRole::Secretariaat,
        added: now,
    };
    let first = StaffList {
        version: 1,
        members: vec![member.clone()],
    };
    store.save_staff(&first).await.expect("first list");
    assert_eq!(store.staff().await.expect("staff"), first);
    assert!(matches!(
        store.save_staff(&first).await,
        Err(StoreError::Conflict)
    ));
    let mut second = first.clone();
    second.version = 2;
    second.members.push(StaffMember {
        email: "lid@cbt.example".into(),
        name: "Karel Commissielid".into(),
        role: StaffRole::Commissie,
        added: now,
    });
    store.save_staff(&second).await.expect("second list");
    let kept = store.staff().await.expect("staff");
    assert_eq!(kept.members.len(), 2);
    assert_eq!(
        kept.member(&member.email.to_uppercase()).map(|m| m.role),
        Some(StaffRole::Secretariaat)
    );
    let stale = StaffList {
        version: 2,
        members: Vec::new(),
    };
    assert!(matches!(
        store.save_staff(&stale).await,
        Err(StoreError::Conflict)
    ));

    // A sign-in link is taken once, and not after it expired.
    let link = SignInLink {
        hash: format!("{unique}-link"),
        email: member.email.clone(),
        expires: now + Duration::minutes(15),
    };
    store.put_sign_in(&link).await.expect("link");
    assert_eq!(
        store.take_sign_in(&link.hash, now).await.expect("take"),
        Some(link.clone())
    );
    assert_eq!(
        store.take_sign_in(&link.hash, now).await.expect("again"),
        None
    );
    let late = SignInLink {
        hash: format!("{unique}-late"),
        ..link.clone()
    };
    store.put_sign_in(&late).await.expect("link");
    assert_eq!(
        store
            .take_sign_in(&late.hash, now + Duration::minutes(15))
            .await
            .expect("take"),
        None
    );
    assert_eq!(
        store
            .take_sign_in("nooit-gemaakt", now)
            .await
            .expect("none"),
        None
    );

    // Sessions: kept until they expire, used again, ended.
    let session = Session {
        hash: format!("{unique}-session"),
        email: member.email.clone(),
        csrf: "token".into(),
        created: now,
        last_seen: now,
        expires: now + Duration::hours(2),
    };
    store.put_session(&session).await.expect("session");
    assert_eq!(
        store.session(&session.hash, now).await.expect("read"),
        Some(session.clone())
    );
    assert_eq!(
        store
            .session(&session.hash, now + Duration::hours(2))
            .await
            .expect("read"),
        None
    );
    let used = Session {
        last_seen: now + Duration::hours(1),
        expires: now + Duration::hours(3),
        ..session.clone()
    };
    store.put_session(&used).await.expect("used");
    assert_eq!(
        store
            .session(&session.hash, now + Duration::hours(2))
            .await
            .expect("read"),
        Some(used)
    );
    store.end_session(&session.hash).await.expect("end");
    assert_eq!(store.session(&session.hash, now).await.expect("read"), None);
    store.end_session(&session.hash).await.expect("end twice");

    // The audit log, newest first, as many as asked.
    for (i, what) in ["aangemeld", "betaling geregistreerd", "afgemeld"]
        .iter()
        .enumerate()
    {
        store
            .audit(&AuditEntry {
                at: now + Duration::minutes(i64::try_from(i).expect("small")),
                who: member.email.clone(),
                what: (*what).to_string(),
            })
            .await
            .expect("audit");
    }
    let log = store.audit_log(2).await.expect("log");
    let whats: Vec<&str> = log.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(whats, ["afgemeld", "betaling geregistreerd"]);
    assert_eq!(store.audit_log(10).await.expect("log").len(), 3);

    // A bank entry pays once.
    let entry = BankEntry {
        key: format!("{unique}-entry/1"),
        reference: "CBT-2027-0001".into(),
        at: now,
    };
    assert!(store.claim_bank_entry(&entry).await.expect("claim"));
    assert!(!store.claim_bank_entry(&entry).await.expect("again"));
    let other = BankEntry {
        key: format!("{unique}-entry/2"),
        ..entry
    };
    assert!(store.claim_bank_entry(&other).await.expect("other"));

    // Passkeys: kept under their member's handle, oldest first, updated in
    // place, removed one by one.
    let user = format!("{unique}-user");
    let key = |id: &str, minutes: i64| PasskeyRecord {
        user: user.clone(),
        id: id.into(),
        email: member.email.clone(),
        label: format!("sleutel {id}"),
        created: now + Duration::minutes(minutes),
        last_used: None,
        credential: "{\"cred\":1}".into(),
    };
    assert_eq!(store.passkeys(&user).await.expect("none yet"), []);
    store.put_passkey(&key("b-_2", 1)).await.expect("put");
    store.put_passkey(&key("a-_1", 2)).await.expect("put");
    let used = PasskeyRecord {
        last_used: Some(now + Duration::hours(1)),
        credential: "{\"cred\":2}".into(),
        ..key("b-_2", 1)
    };
    store.put_passkey(&used).await.expect("update");
    assert_eq!(
        store.passkeys(&user).await.expect("read"),
        [used.clone(), key("a-_1", 2)]
    );
    assert_eq!(
        store
            .passkeys(&format!("{unique}-other"))
            .await
            .expect("another member's"),
        []
    );
    store.delete_passkey(&user, "b-_2").await.expect("delete");
    store
        .delete_passkey(&user, "b-_2")
        .await
        .expect("delete twice");
    assert_eq!(store.passkeys(&user).await.expect("read"), [key("a-_1", 2)]);

    // A ceremony is finished once, and not after it expired.
    let ceremony = Ceremony {
        hash: format!("{unique}-ceremony"),
        email: member.email.clone(),
        state: "{}".into(),
        expires: now + Duration::minutes(5),
    };
    store.put_ceremony(&ceremony).await.expect("put");
    assert_eq!(
        store
            .take_ceremony(&ceremony.hash, now)
            .await
            .expect("take"),
        Some(ceremony.clone())
    );
    assert_eq!(
        store
            .take_ceremony(&ceremony.hash, now)
            .await
            .expect("again"),
        None
    );
    store.put_ceremony(&ceremony).await.expect("put");
    assert_eq!(
        store
            .take_ceremony(&ceremony.hash, now + Duration::minutes(5))
            .await
            .expect("late"),
        None
    );
}
