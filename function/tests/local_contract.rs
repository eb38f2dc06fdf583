//! The contract (`contract.rs`) against the local adapters.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

mod contract;

use std::sync::Arc;

use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};

#[tokio::test]
async fn local_store_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::store_contract(&LocalStore::new(dir.path()), "local").await;
}

#[tokio::test]
async fn local_store_keeps_the_workspace_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::workspace_contract(&LocalStore::new(dir.path()), "local").await;
}

#[tokio::test]
async fn local_store_keeps_the_address_check_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    contract::address_check_contract(&LocalStore::new(dir.path()), "local").await;
}

/// Locally the scan is a stand-in that knows the EICAR test file.
#[tokio::test]
async fn local_files_keep_the_scan_contract() {
    use cbt_function::ports::Files;
    let dir = tempfile::tempdir().expect("temp dir");
    let files = LocalFiles::new(dir.path());
    contract::scan_contract(&files, "local", async |key: &str, threat: bool| {
        if threat {
            let mut bytes = b"%PDF-1.4 ".to_vec();
            bytes.extend_from_slice(cbt_function::adapters::local::EICAR);
            files
                .put(key, &bytes, "application/pdf")
                .await
                .expect("put");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_store_numbers_concurrent_confirmations_without_gaps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seqs =
        contract::concurrent_confirmations(Arc::new(LocalStore::new(dir.path())), "local", 50)
            .await;
    assert_eq!(seqs, (1..=50).collect::<Vec<u32>>());
}

#[tokio::test]
async fn local_files_keep_the_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = LocalFiles::new(dir.path());
    contract::files_contract(&files, "local").await;
    use cbt_function::ports::Files;
    assert!(
        files.get("../etc/passwd").await.is_err(),
        "a key cannot leave the folder"
    );
    assert!(files.put("a//b", b"x", "text/plain").await.is_err());
}

#[tokio::test]
async fn the_outbox_keeps_the_contract_and_writes_readable_mail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let outbox = Outbox::new(dir.path());
    let sent = contract::mailer_contract(&outbox).await;
    let files: Vec<_> = std::fs::read_dir(outbox.dir())
        .expect("outbox")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].path()).expect("eml");
    assert!(eml.contains("To: "), "{eml}");
    assert!(eml.contains("els@voorbeeld.nl"));
    assert!(eml.contains("Reply-To: "), "{eml}");
    assert!(eml.contains("Subject: "), "{eml}");
    assert!(
        eml.contains("multipart/mixed"),
        "an attachment makes it mixed: {eml}"
    );
    assert!(eml.contains("factuur-2031-0001.pdf"));
    assert!(eml.contains("text/plain") && eml.contains("text/html"));
    assert!(eml.contains("Message-ID: <"), "{eml}");
    assert!(sent.subject().len() > 5);
}
