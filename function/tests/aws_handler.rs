//! The handler over the AWS adapters (DynamoDB, S3, SES v2 on moto):
//! fifty applications confirmed at once get fifty numbers without gaps and
//! one invoice each; mail that fails stays pending until the retry sends
//! it, once; a store that fails is a 503 and sends nothing. `tests/run`
//! starts moto and exports its endpoint; without it these tests fail.

#![cfg(feature = "aws")]

use std::collections::{BTreeMap, HashMap};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use base64::Engine as _;
use bytes::Bytes;
use cbt::mail::{MailKind, Message};
use cbt_function::adapters::aws::{DynamoStore, S3Files, SesMailer};
use cbt_function::config::Config;
use cbt_function::handler::{handle, retry_pending, App, Clock, SOURCE_IP_HEADER};
use cbt_function::ports::{Mailer, Owner, SendError, Store};
use http::{Request, StatusCode};
use serde_json::{json, Value};

const SENDER_DOMAIN: &str = "balanstoetstelemarketing.nl";

/// The fixture document (as `tests/common/mod.rs` at the root).
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn endpoint(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().trim_end_matches('/').to_string(),
        _ => panic!(
            "{name} is not set: the AWS handler tests run against emulators. Run `tests/run`, or \
             `tests/emulators.sh start && eval \"$(tests/emulators.sh env)\"` before \
             `cargo test -p cbt-function --features aws`"
        ),
    }
}

async fn moto() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint("CBT_MOTO_ENDPOINT"))
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "emulator",
        ))
        .load()
        .await
}

fn unique(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

async fn create_table(config: &SdkConfig, name: &str) {
    let client = aws_sdk_dynamodb::Client::new(config);
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key")
    };
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    client
        .create_table()
        .table_name(name)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table");
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .expect("enable TTL");
}

async fn create_bucket(config: &SdkConfig, name: &str) {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
    .create_bucket()
    .bucket(name)
    .create_bucket_configuration(
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::EuWest1)
            .build(),
    )
    .send()
    .await
    .expect("create bucket");
}

async fn verify_sender(config: &SdkConfig) {
    let client = aws_sdk_sesv2::Client::new(config);
    client
        .create_email_identity()
        .email_identity(SENDER_DOMAIN)
        .send()
        .await
        .expect("create email identity");
}

/// A mailer that fails its first `failures` sends, and records what went
/// out (kind and the mail service's id).
struct Flaky<M> {
    inner: M,
    failures: AtomicUsize,
    sent: Mutex<Vec<(MailKind, String)>>,
}

impl<M> Flaky<M> {
    fn new(inner: M, failures: usize) -> Flaky<M> {
        Flaky {
            inner,
            failures: AtomicUsize::new(failures),
            sent: Mutex::new(Vec::new()),
        }
    }

    fn sent(&self) -> Vec<(MailKind, String)> {
        self.sent.lock().expect("lock").clone()
    }
}

impl<M: Mailer> Mailer for Flaky<M> {
    async fn send(&self, message: &Message) -> Result<String, SendError> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(SendError("the mail service is down (test)".into()));
        }
        let id = self.inner.send(message).await?;
        self.sent
            .lock()
            .expect("lock")
            .push((message.kind, id.clone()));
        Ok(id)
    }
}

type TestApp<M> = App<DynamoStore, M, S3Files>;

/// An app over its own table and bucket on moto.
async fn app<M>(config: &SdkConfig, table: &str, mailer: M) -> TestApp<M> {
    let bucket = unique("cbt-handler");
    create_bucket(config, &bucket).await;
    verify_sender(config).await;
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", format!("noreply@{SENDER_DOMAIN}")),
        ("SITE_URL", format!("https://www.{SENDER_DOMAIN}")),
        // Every test post comes from one address.
        ("RATE_LIMIT_PER_HOUR", "100000".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    App {
        rules: Arc::new(cbt::Rules::embedded().expect("rules")),
        templates: Arc::new(cbt::templates::Templates::embedded().expect("templates")),
        config: Config::from_vars(&vars).expect("config"),
        store: DynamoStore::new(config, table),
        mailer,
        files: S3Files::new(config, bucket),
        clock: Clock::System,
    }
}

/// A valid application (the shared fixture's values, as in
/// `tests/common/mod.rs`) as a script posts it: JSON, document in base64.
fn application(invoice_email: &str, contact_email: &str) -> Value {
    json!({
        "organisatie_naam": "  Voorbeeld Energie B.V. ",
        "kvk_nummer": "1234 5678",
        "soort_organisatie": "commercieel",
        "namens": "eigen_organisatie",
        "vertegenwoordigde_organisaties": "",
        "contact_naam": "Jan de Vries",
        "contact_functie": "Privacy officer",
        "contact_email": contact_email,
        "contact_telefoon": "020-123 4567",
        "relatie": "oud_klanten",
        "klanttermijn_jaren": " 5 ",
        "motivering": "Onze klanten sluiten contracten van vijf jaar.\r\nZij verwachten een belletje.",
        "factuur_naam": "Voorbeeld Energie B.V.",
        "factuur_straat": "Stationsplein 1",
        "factuur_postcode": "1012ab",
        "factuur_plaats": "Amsterdam",
        "factuur_land": "Nederland",
        "factuur_email": invoice_email,
        "factuur_extra": "PO-12345",
        "btw_nummer": "nl 0044.95445 b01",
        "akkoord_factuur": "ja",
        "akkoord_privacy": "ja",
        "website": "",
        "balanstest": { "filename": "Balanstest 2026 (def).pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(PDF) },
    })
}

fn request(
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::ACCEPT, "application/json")
        .header(SOURCE_IP_HEADER, "203.0.113.7");
    if let Some(ct) = content_type {
        builder = builder.header(http::header::CONTENT_TYPE, ct);
    }
    builder.body(body.into()).expect("request")
}

fn body_json(response: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(response.body())
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(response.body())))
}

/// Posts an application; the draft's id.
async fn post_application<M: Mailer>(app: &TestApp<M>, body: &Value) -> String {
    let response = handle(
        app,
        request(
            "POST",
            "/aanvraag",
            Some("application/json"),
            body.to_string(),
        ),
    )
    .await;
    let value = body_json(&response);
    assert_eq!(response.status(), StatusCode::OK, "{value}");
    value["draft"].as_str().expect("a draft id").to_string()
}

async fn confirm<M: Mailer>(app: &TestApp<M>, draft: &str) -> http::Response<Bytes> {
    handle(
        app,
        request(
            "POST",
            "/aanvraag/bevestig",
            Some("application/x-www-form-urlencoded"),
            format!("concept={draft}"),
        ),
    )
    .await
}

/// The invoice number a confirmed draft got, as `(year, seq)`.
async fn invoice_number<M: Mailer>(app: &TestApp<M>, draft: &str) -> (i32, u32) {
    let response = handle(
        app,
        request(
            "GET",
            &format!("/aanvraag/ontvangen?concept={draft}"),
            None,
            Bytes::new(),
        ),
    )
    .await;
    let value = body_json(&response);
    assert_eq!(response.status(), StatusCode::OK, "{value}");
    let number = value["invoice_number"].as_str().expect("an invoice number");
    let (year, seq) = number.split_once('-').expect("YYYY-NNNN");
    (year.parse().expect("year"), seq.parse().expect("seq"))
}

/// moto's record of every mail sent (its `/moto-api/data.json`).
fn moto_raw_mails() -> Vec<Value> {
    let url = format!("{}/moto-api/data.json", endpoint("CBT_MOTO_ENDPOINT"));
    let rest = url.strip_prefix("http://").expect("an http:// address");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = TcpStream::connect(host).expect("connect to moto");
    write!(
        stream,
        "GET /{path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("response");
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    let data: Value = serde_json::from_str(body).expect("JSON");
    fn collect(value: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Object(map) if map.contains_key("raw_data") => out.push(value.clone()),
            Value::Object(map) => map.values().for_each(|v| collect(v, out)),
            Value::Array(list) => list.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    collect(&data["ses"], &mut out);
    out
}

/// The invoice file names (`factuur-YYYY-NNNN.pdf`) in a raw mail.
fn invoice_files(raw: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = raw;
    while let Some(at) = rest.find("factuur-") {
        let candidate = &rest[at..];
        let name: String = candidate
            .chars()
            .take("factuur-2026-0001.pdf".len())
            .collect();
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if name.len() == "factuur-2026-0001.pdf".len()
            && name.ends_with(".pdf")
            && digits(&name[8..12])
            && &name[12..13] == "-"
            && digits(&name[13..17])
            && !found.contains(&name)
        {
            found.push(name);
        }
        rest = &candidate["factuur-".len()..];
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_confirmations_get_fifty_numbers_without_gaps_and_one_invoice_each() {
    let config = moto().await;
    let table = unique("cbt-handler");
    create_table(&config, &table).await;
    let app = Arc::new(app(&config, &table, SesMailer::new(&config, None)).await);
    let invoice_email = format!("{}@voorbeeld.nl", unique("crediteuren"));
    let body = application(&invoice_email, "jan.devries@voorbeeld.nl");

    let mut posts = Vec::new();
    for _ in 0..50 {
        let (app, body) = (app.clone(), body.clone());
        posts.push(tokio::spawn(
            async move { post_application(&app, &body).await },
        ));
    }
    let mut drafts = Vec::new();
    for p in posts {
        drafts.push(p.await.expect("post"));
    }

    let mut confirms = Vec::new();
    for draft in &drafts {
        let (app, draft) = (app.clone(), draft.clone());
        confirms.push(tokio::spawn(async move { confirm(&app, &draft).await }));
    }
    for c in confirms {
        let response = c.await.expect("confirm");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{}",
            String::from_utf8_lossy(response.body())
        );
    }

    let mut numbers = Vec::new();
    for draft in &drafts {
        numbers.push(invoice_number(&app, draft).await);
    }
    let year = numbers[0].0;
    assert!(numbers.iter().all(|(y, _)| *y == year));
    let mut seqs: Vec<u32> = numbers.iter().map(|(_, s)| *s).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=50).collect::<Vec<u32>>(),
        "fifty distinct numbers, one unbroken sequence"
    );

    // Every mail went out: none is pending.
    assert_eq!(
        app.store.pending_mails().await.expect("pending"),
        Vec::new()
    );
    // Exactly one invoice mail per number, to the invoice address.
    let mut invoices: HashMap<String, usize> = HashMap::new();
    for mail in moto_raw_mails()
        .iter()
        .filter(|m| m["destinations"].to_string().contains(&invoice_email))
    {
        let raw = mail["raw_data"].as_str().expect("raw mail");
        let files = invoice_files(raw);
        assert_eq!(files.len(), 1, "one invoice attached: {files:?}");
        *invoices.entry(files[0].clone()).or_default() += 1;
    }
    let expected: HashMap<String, usize> = (1..=50u32)
        .map(|seq| (format!("factuur-{year}-{seq:04}.pdf"), 1))
        .collect();
    assert_eq!(invoices, expected);

    // Confirming again sends nothing more.
    let response = confirm(&app, &drafts[0]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let again = moto_raw_mails()
        .iter()
        .filter(|m| m["destinations"].to_string().contains(&invoice_email))
        .count();
    assert_eq!(again, 50);
}

#[tokio::test]
async fn mail_that_fails_stays_pending_until_the_retry_sends_it_once() {
    let config = moto().await;
    let table = unique("cbt-handler");
    create_table(&config, &table).await;
    let app = app(
        &config,
        &table,
        Flaky::new(SesMailer::new(&config, None), 2),
    )
    .await;
    let body = application(
        &format!("{}@voorbeeld.nl", unique("crediteuren")),
        &format!("{}@voorbeeld.nl", unique("jan")),
    );

    let draft = post_application(&app, &body).await;
    let response = confirm(&app, &draft).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "stored is success, mail or not"
    );
    let application = app
        .store
        .get_confirmed(&draft)
        .await
        .expect("store")
        .expect("the application is stored");
    let owner = Owner::Application(application.reference.clone());
    let pending: Vec<MailKind> = app
        .store
        .pending_mails()
        .await
        .expect("pending")
        .into_iter()
        .filter(|p| p.owner == owner)
        .map(|p| p.kind)
        .collect();
    assert_eq!(pending.len(), 2, "the two failed mails wait: {pending:?}");
    assert_eq!(app.mailer.sent().len(), 1);

    let report = retry_pending(&app).await.expect("retry");
    assert_eq!(
        (report.pending_before, report.sent, report.pending_after),
        (2, 2, 0),
        "{report:?}"
    );
    assert!(report.oldest_pending.is_some());
    let report = retry_pending(&app).await.expect("retry again");
    assert_eq!(
        (report.pending_before, report.sent, report.pending_after),
        (0, 0, 0),
        "{report:?}"
    );

    // Each of the three mails went out exactly once, and moto has each.
    let sent = app.mailer.sent();
    let mut kinds: Vec<MailKind> = sent.iter().map(|(k, _)| *k).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            MailKind::ApplicationConfirmation,
            MailKind::Invoice,
            MailKind::ApplicationSecretariat
        ]
    );
    let moto_ids: Vec<String> = moto_raw_mails()
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect();
    for (kind, id) in &sent {
        assert_eq!(
            moto_ids.iter().filter(|m| *m == id).count(),
            1,
            "{kind:?} ({id}) is in moto once"
        );
    }
}

#[tokio::test]
async fn a_store_that_fails_is_a_503_and_sends_nothing() {
    let config = moto().await;
    // A table that does not exist.
    let app = app(
        &config,
        &unique("cbt-missing"),
        Flaky::new(SesMailer::new(&config, None), 0),
    )
    .await;
    let body = application("crediteuren@voorbeeld.nl", "jan.devries@voorbeeld.nl");
    for (uri, content_type, body) in [
        ("/aanvraag", "application/json", body.to_string()),
        ("/aanvraag/bevestig", "application/x-www-form-urlencoded", "concept=0123456789abcdef".to_string()),
        ("/contact", "application/x-www-form-urlencoded", "naam=Els&email=els%40voorbeeld.nl&onderwerp=Vraag&bericht=Hoe+lang%3F&akkoord_privacy=ja".to_string()),
    ] {
        let response = handle(&app, request("POST", uri, Some(content_type), body)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(body_json(&response)["error"], "unavailable", "{uri}");
    }
    assert!(
        app.mailer.sent().is_empty(),
        "no mail without a stored application"
    );
}
