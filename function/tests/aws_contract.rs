//! The contract (`contract.rs`) against the AWS adapters, over the wire:
//! DynamoDB, S3 and SES v2 on moto server, and SES v2 once more on
//! aws-ses-v2-local (which keeps every part of a mail, so the mail itself
//! is checked). `tests/run` starts both emulators (`tests/emulators.sh`)
//! and exports their endpoints; without them these tests fail, they do not
//! skip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

mod contract;
mod emulator;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use cbt_function::adapters::aws::{DynamoStore, S3Files, SesMailer};
use cbt_function::ports::Mailer as _;
use emulator::{
    create_bucket, create_table, endpoint, moto, sdk_config, unique, verify_sender, SENDER_DOMAIN,
};

/// A plain HTTP/1.0 request to an emulator's own API; (status, body).
fn http(method: &str, url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// address");
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) => (h, format!("/{p}")),
        None => (rest, "/".to_string()),
    };
    let mut stream = TcpStream::connect(host).expect("connect to the emulator");
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").expect("send request");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read response");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_string())
}

fn http_json(method: &str, url: &str) -> serde_json::Value {
    let (status, body) = http(method, url);
    assert_eq!(status, 200, "{method} {url}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// Every raw mail in moto's `/moto-api/data.json` `ses` section, wherever
/// it sits in the structure (by account and region).
fn raw_mails(value: &serde_json::Value) -> Vec<&serde_json::Value> {
    match value {
        serde_json::Value::Object(map) if map.contains_key("raw_data") => vec![value],
        serde_json::Value::Object(map) => map.values().flat_map(raw_mails).collect(),
        serde_json::Value::Array(list) => list.iter().flat_map(raw_mails).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn dynamo_store_keeps_the_contract() {
    let config = moto().await;
    let table = unique("cbt-contract");
    create_table(&config, &table).await;
    let store = DynamoStore::new(&config, &table);
    contract::store_contract(&store, "aws").await;

    // The layout operators read about in the module documentation.
    let item = |pk: &str, sk: &str| {
        let client = store.client.clone();
        let table = table.clone();
        let (pk, sk) = (pk.to_string(), sk.to_string());
        async move {
            client
                .get_item()
                .table_name(table)
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await
                .expect("get item")
                .item
                .unwrap_or_default()
        }
    };
    let draft = item("DRAFT#aws-d1", "DRAFT").await;
    let expires = contract::t(2031, 3, 1, 12) + chrono::Duration::hours(24);
    assert_eq!(
        draft.get("expires_at"),
        Some(&AttributeValue::N(expires.timestamp().to_string())),
        "the draft's TTL"
    );
    // The first case was removed at the end of the contract; the second
    // shows the layout.
    let removed = item("DRAFT#aws-d1", "CONFIRMED")
        .await
        .get("reference")
        .and_then(|r| r.as_s().ok())
        .expect("the marker names the case")
        .clone();
    assert!(item(&format!("CASE#{removed}"), "CASE").await.is_empty());
    assert!(
        item(&format!("SENT#APP#{removed}"), "invoice#1")
            .await
            .is_empty(),
        "its mail records went with it"
    );
    let marker = item("DRAFT#aws-d2", "CONFIRMED").await;
    let reference = marker
        .get("reference")
        .and_then(|r| r.as_s().ok())
        .expect("the marker names the case")
        .clone();
    let case = item(&format!("CASE#{reference}"), "CASE").await;
    assert!(case.contains_key("data"));
    assert_eq!(case.get("version"), Some(&AttributeValue::N("1".into())));
    assert_eq!(
        case.get("state"),
        Some(&AttributeValue::S("ontvangen".into()))
    );
    assert_eq!(
        case.get("gsi1pk"),
        Some(&AttributeValue::S("STATE#ontvangen".into()))
    );
    assert_eq!(
        case.get("gsi1sk"),
        Some(&AttributeValue::S(format!("2031-03-31#{reference}"))),
        "sorted by its payment deadline"
    );
    assert!(item(&format!("CASE#{reference}"), "EVENT#000001")
        .await
        .contains_key("data"));
    assert_eq!(
        item("COUNTER#2031", "COUNTER").await.get("last"),
        Some(&AttributeValue::N("2".into()))
    );
    let pending = store
        .client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", AttributeValue::S("PENDING".into()))
        .send()
        .await
        .expect("query pending");
    let keys: Vec<&str> = pending
        .items()
        .iter()
        .filter_map(|i| i.get("sk").and_then(|s| s.as_s().ok()))
        .map(String::as_str)
        .collect();
    assert!(
        keys.contains(
            &format!("2031-03-01T12:00:00.000000Z#APP#{reference}#application_confirmation#1")
                .as_str()
        ),
        "{keys:?}"
    );
    assert!(
        !keys
            .iter()
            .any(|k| k.ends_with(&format!("APP#{reference}#invoice"))),
        "sent mail is no longer pending: {keys:?}"
    );
    let ttl = store
        .client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("describe TTL");
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some("expires_at")
    );
}

#[tokio::test]
async fn dynamo_store_keeps_the_workspace_contract() {
    let config = moto().await;
    let table = unique("cbt-workspace");
    create_table(&config, &table).await;
    let store = DynamoStore::new(&config, &table);
    contract::workspace_contract(&store, "aws").await;
}

#[tokio::test]
async fn dynamo_store_keeps_the_address_check_contract() {
    let config = moto().await;
    let table = unique("cbt-address-check");
    create_table(&config, &table).await;
    let store = DynamoStore::new(&config, &table);
    contract::address_check_contract(&store, "aws").await;
    // The layout: the draft's count of sends, each confirmation an item of
    // the draft's partition, a link an item of its own, all with the
    // draft's TTL.
    let item = |pk: String, sk: &str| {
        let client = store.client.clone();
        let table = table.clone();
        let sk = sk.to_string();
        async move {
            client
                .get_item()
                .table_name(table)
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .send()
                .await
                .expect("get item")
                .item
                .unwrap_or_default()
        }
    };
    let draft = item("DRAFT#aws-a1".into(), "DRAFT").await;
    assert_eq!(draft.get("sends"), Some(&AttributeValue::N("2".into())));
    let expires = draft.get("expires_at").cloned().expect("TTL");
    for role in ["contact", "invoice"] {
        let confirmed = item("DRAFT#aws-a1".into(), &format!("ADDRESS#{role}")).await;
        assert_eq!(confirmed.get("expires_at"), Some(&expires), "{role}");
    }
    let link = item("ADDRLINK#aws-hash-contact".into(), "ADDRLINK").await;
    assert_eq!(link.get("expires_at"), Some(&expires));
}

/// GuardDuty's tag on the object is the scan's verdict; moto does not
/// scan, so the test tags as GuardDuty does.
#[tokio::test]
async fn s3_files_keep_the_scan_contract_by_guardduty_tags() {
    use cbt_function::adapters::aws::SCAN_TAG;
    use cbt_function::ports::{Files as _, Scan};
    let config = moto().await;
    let bucket = unique("cbt-scanned");
    let files = create_bucket(&config, &bucket).await;
    let tag = |key: String, value: &'static str| {
        let client = files.client.clone();
        let bucket = bucket.clone();
        async move {
            let tagging = aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key(SCAN_TAG)
                        .value(value)
                        .build()
                        .expect("tag"),
                )
                .build()
                .expect("tagging");
            client
                .put_object_tagging()
                .bucket(bucket)
                .key(key)
                .tagging(tagging)
                .send()
                .await
                .expect("tag the object");
        }
    };
    contract::scan_contract(&files, "aws", async |key: &str, threat: bool| {
        tag(
            key.to_string(),
            if threat {
                "THREATS_FOUND"
            } else {
                "NO_THREATS_FOUND"
            },
        )
        .await;
    })
    .await;
    // Not tagged yet: pending. Another status: failed, as given.
    let key = "applications/aws/nog-niet.pdf".to_string();
    files
        .put(&key, b"%PDF-1.4", "application/pdf")
        .await
        .expect("put");
    assert_eq!(files.scan(&key).await.expect("scan"), Scan::Pending);
    tag(key.clone(), "UNSUPPORTED").await;
    assert_eq!(
        files.scan(&key).await.expect("scan"),
        Scan::Failed("UNSUPPORTED".into())
    );
    // A bucket GuardDuty does not scan says so, without asking S3.
    let unscanned = files.clone().unscanned();
    assert_eq!(unscanned.scan(&key).await.expect("scan"), Scan::NotScanned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamo_store_numbers_50_concurrent_confirmations_without_gaps() {
    let config = moto().await;
    let table = unique("cbt-concurrent");
    create_table(&config, &table).await;
    let store = DynamoStore::new(&config, &table);
    let seqs = contract::concurrent_confirmations(Arc::new(store), "aws", 50).await;
    assert_eq!(seqs.len(), 50);
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "one unbroken sequence: {seqs:?}"
    );
    assert_eq!(
        seqs,
        (1..=50).collect::<Vec<u32>>(),
        "a new year starts at 1"
    );
}

#[tokio::test]
async fn s3_files_keep_the_contract_encrypted() {
    let config = moto().await;
    let bucket = unique("cbt-uploads");
    let files = create_bucket(&config, &bucket).await;
    contract::files_contract(&files, "aws").await;
    let head = files
        .client
        .head_object()
        .bucket(&bucket)
        .key("drafts/aws/balanstest.pdf")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_type(), Some("application/pdf"));
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256)
    );
}

#[tokio::test]
async fn s3_files_fail_on_a_missing_bucket() {
    let files = S3Files::new(&moto().await, unique("cbt-no-such-bucket"));
    use cbt_function::ports::Files as _;
    assert!(files.put("a/b.pdf", b"x", "application/pdf").await.is_err());
    assert!(
        files.get("a/b.pdf").await.is_err(),
        "a missing bucket is an error, not a missing file"
    );
}

#[tokio::test]
async fn ses_on_moto_keeps_the_contract() {
    let config = moto().await;
    verify_sender(&config).await;
    let mailer = SesMailer::new(&config, None);
    let to = format!("{}@voorbeeld.nl", unique("els"));
    let message = contract::message(&to);
    let id = mailer.send(&message).await.expect("send");
    assert!(!id.is_empty());
    contract::mailer_contract(&mailer).await;

    let data = http_json(
        "GET",
        &format!("{}/moto-api/data.json", endpoint("CBT_MOTO_ENDPOINT")),
    );
    let raw: Vec<String> = raw_mails(&data["ses"])
        .into_iter()
        .filter(|m| m["destinations"].to_string().contains(&to))
        .filter_map(|m| m["raw_data"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        raw.len(),
        1,
        "one raw mail to {to}; ses section: {}",
        &data["ses"]
            .to_string()
            .chars()
            .take(2000)
            .collect::<String>()
    );
    assert!(
        raw[0].contains(&format!("@{SENDER_DOMAIN}>")),
        "our Message-ID: {}",
        raw[0]
    );
    assert!(raw[0].contains("factuur-2031-0001.pdf"));
}

#[tokio::test]
async fn ses_on_ses_local_delivers_subject_text_reply_to_and_attachment() {
    let base = endpoint("CBT_SES_LOCAL_ENDPOINT");
    let mailer = SesMailer::new(&sdk_config(&base).await, Some("cbt".into()));
    let to = format!("{}@voorbeeld.nl", unique("els"));
    let message = contract::message(&to);
    let id = mailer.send(&message).await.expect("send");

    let store = http_json("GET", &format!("{base}/store"));
    let mail = store["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["messageId"] == id.as_str())
        .unwrap_or_else(|| panic!("mail {id} is in the store: {store}"));
    assert_eq!(mail["subject"], message.subject(), "{mail}");
    let text = mail["body"]["text"].as_str().expect("a text part");
    let first_line = message
        .text
        .lines()
        .find(|l| !l.trim().is_empty())
        .expect("text");
    assert!(text.contains(first_line.trim()), "{text}");
    assert!(
        mail["body"]["html"]
            .as_str()
            .is_some_and(|h| h.contains("<")),
        "an HTML part: {mail}"
    );
    let reply_to = message
        .reply_to
        .as_ref()
        .expect("the message has a Reply-To");
    assert!(
        mail["replyTo"]
            .to_string()
            .contains(reply_to.email.as_str()),
        "Reply-To: {mail}"
    );
    assert!(
        mail["destination"]["to"].to_string().contains(&to),
        "{mail}"
    );
    assert!(
        mail["from"]
            .as_str()
            .is_some_and(|f| f.contains(&format!("noreply@{SENDER_DOMAIN}"))),
        "{mail}"
    );
    let attachment = mail["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["filename"] == "factuur-2031-0001.pdf")
        .unwrap_or_else(|| panic!("the invoice is attached: {mail}"));
    assert_eq!(attachment["contentType"], "application/pdf");
    let content = base64::engine::general_purpose::STANDARD
        .decode(attachment["content"].as_str().expect("content"))
        .expect("base64");
    assert_eq!(content, b"%PDF-1.4 invoice");
}
