//! One contract for every implementation of the ports: what the handler
//! relies on, checked against the local adapters here and, with the `aws`
//! feature and the emulators running (`tests/run` starts them), against
//! DynamoDB, S3 and SES over the wire (`aws_contract.rs`).

#![allow(
    dead_code,
    reason = "each test binary that includes the contract uses part of it"
)]

use cbt::application::Application;
use cbt::contact::Enquiry;
use cbt::mail::{Address, MailKind, Message};
use cbt::validate::{check, Checked};
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
        content: DraftContent::Complete {
            application: Box::new(application()),
        },
        document: Some(StoredDocument {
            key: format!("drafts/{id}/balanstest.pdf"),
            filename: "balanstest.pdf".into(),
            content_type: "application/pdf".into(),
            size: 42,
        }),
        created: at,
        expires: at + Duration::hours(24),
    }
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
    let to_file = |d: &Draft, at: DateTime<Utc>| ToFile::new(d, at, &MAILS).expect("complete");
    let first = store.confirm(&to_file(&d, now)).await.expect("confirm");
    assert!(first.created);
    assert_eq!(first.filing.invoice_number.year, year);
    assert_eq!(
        first.filing.reference,
        cbt::follow_up::reference(first.filing.invoice_number)
    );
    assert_eq!(
        first.filing,
        to_file(&d, now).numbered(first.filing.invoice_number.seq).0,
        "the store keeps what the core made of the number"
    );
    let again = store
        .confirm(&to_file(&d, now + Duration::minutes(1)))
        .await
        .expect("confirm again");
    assert!(!again.created);
    assert_eq!(again.filing, first.filing);
    assert_eq!(
        store.get_confirmed(&d.id).await.expect("confirmed"),
        Some(first.filing.clone())
    );
    assert_eq!(
        store
            .get_filing(&first.filing.reference)
            .await
            .expect("get"),
        Some(first.filing.clone())
    );
    assert_eq!(store.get_confirmed("nooit").await.expect("confirmed"), None);

    // The next draft gets the next number: one sequence, no gaps.
    let d2 = draft(&format!("{unique}-d2"), now);
    store.put_draft(&d2).await.expect("put");
    let second = store.confirm(&to_file(&d2, now)).await.expect("confirm");
    assert_eq!(
        second.filing.invoice_number.seq,
        first.filing.invoice_number.seq + 1
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
    assert_eq!(third.filing.invoice_number.year, 2041);
    assert_eq!(
        third.filing.submitted_on,
        chrono::NaiveDate::from_ymd_opt(2041, 1, 1).expect("date")
    );

    // Its mails are pending until sent.
    let owner = Owner::Application(first.filing.reference.clone());
    let pending: Vec<MailKind> = store
        .pending_mails()
        .await
        .expect("pending")
        .into_iter()
        .filter(|p| p.owner == owner)
        .map(|p| p.kind)
        .collect();
    assert_eq!(pending.len(), 3, "{pending:?}");
    for kind in MAILS {
        assert!(pending.contains(&kind));
    }
    store
        .mail_sent(&owner, MailKind::Invoice, "msg-1")
        .await
        .expect("sent");
    store
        .mail_sent(&owner, MailKind::Invoice, "msg-1")
        .await
        .expect("marking twice is harmless");
    let pending: Vec<MailKind> = store
        .pending_mails()
        .await
        .expect("pending")
        .into_iter()
        .filter(|p| p.owner == owner)
        .map(|p| p.kind)
        .collect();
    assert_eq!(pending.len(), 2);
    assert!(!pending.contains(&MailKind::Invoice));

    // Contact messages: kept for their retention, with their mails pending.
    let m = ContactMessage {
        id: format!("{unique}-c1"),
        received: now,
        enquiry: enquiry(),
        expires: now + Duration::days(365),
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
                .confirm(&ToFile::new(&d, now, &MAILS).expect("complete"))
                .await
                .expect("confirm")
                .filing
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
        &enquiry,
        t(2031, 3, 1, 12).date_naive(),
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
