//! One contract for every implementation of the ports: what the handler
//! relies on, checked against the local adapters here and, with the `aws`
//! feature and the emulators running (`tests/run` starts them), against
//! DynamoDB, S3 and SES over the wire (`aws_contract.rs`).

#![allow(dead_code)]

use std::collections::BTreeMap;

use cbt::mail::{Address, MailKind, Message};
use cbt_function::ports::*;
use chrono::{DateTime, Duration, TimeZone, Utc};

pub fn t(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("valid time")
}

pub fn draft(id: &str, at: DateTime<Utc>) -> Draft {
    let mut values = BTreeMap::new();
    values.insert("organisatie_naam".to_string(), "Voorbeeld B.V.".to_string());
    values.insert("soort_organisatie".to_string(), "commercieel".to_string());
    Draft {
        id: id.to_string(),
        values,
        document: Some(StoredDocument {
            key: format!("drafts/{id}/balanstest.pdf"),
            filename: "balanstest.pdf".into(),
            content_type: "application/pdf".into(),
            size: 42,
        }),
        complete: true,
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
    let first = store.confirm(&d, now, &MAILS).await.expect("confirm");
    assert!(first.created);
    assert_eq!(first.application.invoice_number.year, year);
    assert_eq!(
        first.application.reference,
        cbt::application::reference(first.application.invoice_number)
    );
    assert_eq!(first.application.values, d.values);
    assert_eq!(first.application.document, d.document);
    assert_eq!(first.application.submitted_on, now.date_naive());
    let again = store
        .confirm(&d, now + Duration::minutes(1), &MAILS)
        .await
        .expect("confirm again");
    assert!(!again.created);
    assert_eq!(again.application, first.application);
    assert_eq!(
        store.get_confirmed(&d.id).await.expect("confirmed"),
        Some(first.application.clone())
    );
    assert_eq!(
        store
            .get_application(&first.application.reference)
            .await
            .expect("get"),
        Some(first.application.clone())
    );
    assert_eq!(store.get_confirmed("nooit").await.expect("confirmed"), None);

    // The next draft gets the next number: one sequence, no gaps.
    let d2 = draft(&format!("{unique}-d2"), now);
    store.put_draft(&d2).await.expect("put");
    let second = store.confirm(&d2, now, &MAILS).await.expect("confirm");
    assert_eq!(
        second.application.invoice_number.seq,
        first.application.invoice_number.seq + 1
    );

    // Its mails are pending until sent.
    let owner = Owner::Application(first.application.reference.clone());
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
        values: d.values.clone(),
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
                .confirm(&d, now, &MAILS)
                .await
                .expect("confirm")
                .application
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
    let rules = cbt::Rules::embedded().expect("rules");
    let templates = cbt::templates::Templates::embedded().expect("templates");
    let mut values = BTreeMap::new();
    for (k, v) in [
        ("naam", "Els <b>Jansen</b>"),
        ("email", to),
        ("onderwerp", "Vraag"),
        ("bericht", "Hoe lang?"),
        ("akkoord_privacy", "ja"),
    ] {
        values.insert(k.to_string(), v.to_string());
    }
    let s = cbt::validate::Submission {
        form: "contact".into(),
        values,
        document: None,
    };
    let from = Address::new("noreply@balanstoetstelemarketing.nl", Some("CBT")).expect("from");
    let mut mails = cbt::application::contact_mails(
        &rules,
        &templates,
        &s,
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
