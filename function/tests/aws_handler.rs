//! The handler over the AWS adapters (DynamoDB, S3, SES v2 on moto):
//! fifty applications confirmed at once get fifty numbers without gaps and
//! one invoice each; mail that fails stays pending until the retry sends
//! it, once; a store that fails is a 503 and sends nothing. `tests/run`
//! starts moto and exports its endpoint; without it these tests fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

mod emulator;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use bytes::Bytes;
use cbt::mail::{MailKind, Message};
use cbt_function::adapters::aws::{DynamoStore, S3Files, SesMailer};
use cbt_function::config::Config;
use cbt_function::handler::{handle, retry_pending, App, Clock, SOURCE_IP_HEADER};
use cbt_function::ports::{Mailer, Owner, SendError, Store};
use emulator::{create_bucket, create_table, endpoint, moto, unique, verify_sender, SENDER_DOMAIN};
use http::{Request, StatusCode};
use serde_json::{json, Value};

/// A mailer that fails its first `failures` sends, and records what went
/// out (kind and the mail service's id), and the text of every mail it was
/// given (to follow the address check's links).
struct Flaky<M> {
    inner: M,
    failures: AtomicUsize,
    sent: Mutex<Vec<(MailKind, String)>>,
    texts: Mutex<Vec<(MailKind, String)>>,
}

impl<M> Flaky<M> {
    fn new(inner: M, failures: usize) -> Flaky<M> {
        Flaky {
            inner,
            failures: AtomicUsize::new(failures),
            sent: Mutex::new(Vec::new()),
            texts: Mutex::new(Vec::new()),
        }
    }

    fn sent(&self) -> Vec<(MailKind, String)> {
        self.sent.lock().expect("lock").clone()
    }

    /// The address-check links in the mails that went out.
    fn address_links(&self) -> Vec<String> {
        self.texts
            .lock()
            .expect("lock")
            .iter()
            .filter(|(kind, _)| {
                matches!(
                    kind,
                    MailKind::ContactAddressCheck | MailKind::InvoiceAddressCheck
                )
            })
            .flat_map(|(_, text)| journey::links(text, "/aanvraag/adres/"))
            .collect()
    }
}

/// Presses the button behind every address-check link `mailer` sent.
async fn confirm_addresses<M: Mailer>(app: &TestApp<Flaky<M>>) {
    for path in app.mailer.address_links() {
        let response = handle(
            app,
            request("POST", &path, Some("application/x-www-form-urlencoded"), ""),
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
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
        self.texts
            .lock()
            .expect("lock")
            .push((message.kind, message.text.clone()));
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
        // Every test post comes from one address, without the browser's
        // proof of work, and many go to one mailbox.
        ("RATE_LIMIT_PER_HOUR", "100000".to_string()),
        ("RATE_LIMIT_UNSOLVED_PER_HOUR", "100000".to_string()),
        ("RATE_LIMIT_PAGES_PER_HOUR", "100000".to_string()),
        ("MAILS_PER_ADDRESS_PER_DAY", "100000".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    App {
        rules: Arc::new(cbt::embedded_rules().expect("rules")),
        templates: Arc::new(cbt::templates::Templates::embedded().expect("templates")),
        config: Config::from_vars(&vars).expect("config"),
        store: DynamoStore::new(config, table),
        mailer,
        // moto does not scan: as with EnableMalwareProtection=false, the
        // secretariat's mail goes at once and says so. The wait for
        // GuardDuty's tag has a test of its own.
        files: S3Files::new(config, bucket).unscanned(),
        clock: Clock::System,
    }
}

/// The sample application as a script posts it (JSON, the document in
/// base64), to these addresses.
fn application(invoice_email: &str, contact_email: &str) -> Value {
    let fields = cbt::sample::set(
        cbt::sample::set(
            cbt::sample::application_fields(),
            "factuur_email",
            invoice_email,
        ),
        "contact_email",
        contact_email,
    );
    cbt::sample::json(
        &fields,
        Some(("Balanstest 2026 (def).pdf", cbt::sample::PDF)),
    )
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
    for piece in raw.split("factuur-").skip(1) {
        let number: String = piece.chars().take("2026-0001".len()).collect();
        let extension: String = piece.chars().skip(number.chars().count()).take(4).collect();
        let name = format!("factuur-{number}.pdf");
        if number.parse::<cbt::invoice::InvoiceNumber>().is_ok()
            && extension == ".pdf"
            && !found.contains(&name)
        {
            found.push(name);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_confirmations_get_fifty_numbers_without_gaps_and_one_invoice_each() {
    let config = moto().await;
    let table = unique("cbt-handler");
    create_table(&config, &table).await;
    let app = Arc::new(
        app(
            &config,
            &table,
            Flaky::new(SesMailer::new(&config, None), 0),
        )
        .await,
    );
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
    // Nothing is numbered until the addresses confirm; then all at once.
    assert_eq!(
        app.store.get_confirmed(&drafts[0]).await.expect("store"),
        None
    );
    let links = app.mailer.address_links();
    assert_eq!(links.len(), 100, "a contact and an invoice address each");
    let mut presses = Vec::new();
    for path in links {
        let app = app.clone();
        presses.push(tokio::spawn(async move {
            handle(
                app.as_ref(),
                request("POST", &path, Some("application/x-www-form-urlencoded"), ""),
            )
            .await
            .status()
        }));
    }
    for p in presses {
        assert_eq!(p.await.expect("press"), StatusCode::SEE_OTHER);
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
    // Exactly one invoice mail per number, to the invoice address (which
    // had its address check first, without an invoice).
    let mut invoices: HashMap<String, usize> = HashMap::new();
    let mut checks = 0;
    for mail in moto_raw_mails()
        .iter()
        .filter(|m| m["destinations"].to_string().contains(&invoice_email))
    {
        let raw = mail["raw_data"].as_str().expect("raw mail");
        let files = invoice_files(raw);
        if files.is_empty() {
            checks += 1;
            continue;
        }
        assert_eq!(files.len(), 1, "one invoice attached: {files:?}");
        *invoices.entry(files[0].clone()).or_default() += 1;
    }
    assert_eq!(checks, 50, "one address check per application");
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
    assert_eq!(again, 100);
}

#[tokio::test]
async fn mail_that_fails_stays_pending_until_the_retry_sends_it_once() {
    let config = moto().await;
    let table = unique("cbt-handler");
    create_table(&config, &table).await;
    let app = app(
        &config,
        &table,
        Flaky::new(SesMailer::new(&config, None), 0),
    )
    .await;
    let body = application(
        &format!("{}@voorbeeld.nl", unique("crediteuren")),
        &format!("{}@voorbeeld.nl", unique("jan")),
    );

    let draft = post_application(&app, &body).await;
    let response = confirm(&app, &draft).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The filing's first two mails fail.
    app.mailer.failures.store(2, Ordering::SeqCst);
    confirm_addresses(&app).await;
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
    assert_eq!(
        app.mailer.sent().len(),
        3,
        "two address checks, one of the filing"
    );

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
            MailKind::ApplicationSecretariat,
            MailKind::ContactAddressCheck,
            MailKind::InvoiceAddressCheck,
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

// ---------------------------------------------------------------- bootstrap

/// A stand-in for the Lambda Runtime API: hands out `events` one by one on
/// `GET /2018-06-01/runtime/invocation/next` and reports every
/// `POST .../{id}/response` and `.../{id}/error` as `(kind, body)`.
struct RuntimeApi {
    address: String,
    results: std::sync::mpsc::Receiver<(String, Value)>,
}

fn runtime_api(events: Vec<Value>) -> RuntimeApi {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let events = Arc::new(Mutex::new(std::collections::VecDeque::from(events)));
    let (results, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (events, results) = (events.clone(), results.clone());
            std::thread::spawn(move || serve_runtime(stream, &events, &results));
        }
    });
    RuntimeApi {
        address,
        results: receiver,
    }
}

fn serve_runtime(
    stream: TcpStream,
    events: &Mutex<std::collections::VecDeque<Value>>,
    results: &std::sync::mpsc::Sender<(String, Value)>,
) {
    use std::io::BufRead as _;
    static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = std::io::BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut words = line.split_whitespace();
        let (method, path) = (
            words.next().unwrap_or("").to_string(),
            words.next().unwrap_or("").to_string(),
        );
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let mut body = Vec::new();
        if let Some(length) = headers
            .get("content-length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            body.resize(length, 0);
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        } else if headers
            .get("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"))
        {
            loop {
                let mut size = String::new();
                if reader.read_line(&mut size).unwrap_or(0) == 0 {
                    return;
                }
                let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                if reader.read_exact(&mut chunk).is_err() {
                    return;
                }
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        }
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let next = events.lock().expect("lock").pop_front();
            let Some(event) = next else {
                // No more events: keep the runtime waiting, as Lambda does.
                std::thread::sleep(std::time::Duration::from_secs(120));
                return;
            };
            let id = format!("req-{}", NEXT_ID.fetch_add(1, Ordering::SeqCst));
            let payload = event.to_string();
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("time")
                .as_millis()
                + 25_000;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: \
                 arn:aws:lambda:eu-west-1:123456789012:function:cbt\r\nContent-Length: {}\r\n\r\n",
                payload.len()
            );
            if writer
                .write_all(head.as_bytes())
                .and_then(|_| writer.write_all(payload.as_bytes()))
                .is_err()
            {
                return;
            }
        } else {
            let kind = path.rsplit('/').next().unwrap_or("").to_string();
            let value = serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
            let _ = results.send((kind, value));
            if writer
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")
                .is_err()
            {
                return;
            }
        }
    }
}

/// The Lambda's environment on moto, without anything of the test's own.
fn lambda_env(runtime: &str, table: &str, bucket: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", "cbt-intake".to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512".to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("AWS_REGION", "eu-west-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_ENDPOINT_URL", endpoint("CBT_MOTO_ENDPOINT")),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("MAIL_FROM", format!("noreply@{SENDER_DOMAIN}")),
        ("SITE_URL", format!("https://www.{SENDER_DOMAIN}")),
        ("TABLE_NAME", table.to_string()),
        ("BUCKET_NAME", bucket.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn bootstrap(env: &[(String, String)]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start bootstrap")
}

/// Stops `child` (started by this test) and returns what it printed.
fn stop(mut child: std::process::Child) -> String {
    let _ = child.kill();
    let output = child.wait_with_output().expect("bootstrap output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn http_event(method: &str, path: &str, headers: Value, body: &str, base64: bool) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": { "requestId": "r-1", "http": { "method": method, "path": path, "sourceIp": "203.0.113.9" } },
        "body": body,
        "isBase64Encoded": base64,
    })
}

fn scheduled_event() -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-03-01T12:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/cbt-retry"],
        "detail": {},
    })
}

#[tokio::test]
async fn the_bootstrap_serves_http_events_and_the_schedule() {
    let config = moto().await;
    let table = unique("cbt-bootstrap");
    create_table(&config, &table).await;
    let bucket = unique("cbt-bootstrap");
    create_bucket(&config, &bucket).await;
    verify_sender(&config).await;
    let email = format!("{}@voorbeeld.nl", unique("els"));
    let contact = json!({ "naam": "Els Jansen", "email": email, "onderwerp": "Vraag", "bericht": "Hoe lang duurt een advies?", "akkoord_privacy": "ja" });
    let runtime = runtime_api(vec![
        http_event(
            "POST",
            "/contact",
            json!({ "content-type": "application/json", "accept": "application/json" }),
            &contact.to_string(),
            false,
        ),
        http_event(
            "POST",
            "/contact",
            json!({ "content-type": "application/x-www-form-urlencoded" }),
            "dit is geen base64!",
            true,
        ),
        scheduled_event(),
    ]);
    let child = bootstrap(&lambda_env(&runtime.address, &table, &bucket));
    let mut results = Vec::new();
    for _ in 0..3 {
        match runtime
            .results
            .recv_timeout(std::time::Duration::from_secs(120))
        {
            Ok(result) => results.push(result),
            Err(e) => panic!(
                "the bootstrap answered {} of 3 events ({e}); it printed:\n{}",
                results.len(),
                stop(child)
            ),
        }
    }
    let logs = stop(child);

    let (kind, contact_response) = &results[0];
    assert_eq!(kind, "response", "{contact_response}");
    assert_eq!(contact_response["statusCode"], 200, "{contact_response}");
    assert!(
        contact_response["body"]
            .as_str()
            .is_some_and(|b| b.contains("received")),
        "{contact_response}"
    );
    let (kind, broken) = &results[1];
    assert_eq!(
        (kind.as_str(), &broken["statusCode"]),
        ("response", &json!(400)),
        "bad base64 is a 400 page: {broken}"
    );
    let (kind, report) = &results[2];
    assert_eq!(kind, "response", "{report}");
    assert_eq!(
        report["retry"]["pending_before"], 0,
        "both contact mails went out at once: {report}"
    );
    assert_eq!(report["retry"]["pending_after"], 0, "{report}");
    for part in ["reminders", "digest", "purged", "anonymised", "removed"] {
        assert!(
            !report[part].is_null(),
            "the schedule reports {part}: {report}"
        );
    }

    // The contact message's mails went out through SES (moto).
    let to_sender = moto_raw_mails()
        .iter()
        .filter(|m| m["destinations"].to_string().contains(&email))
        .count();
    assert_eq!(to_sender, 1, "the acknowledgement to the sender");
    // Logs: JSON lines, no colours, no personal data.
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "a JSON log line: {line}"
        );
    }
    assert!(!logs.contains('\u{1b}'), "no ANSI colours: {logs}");
    assert!(
        !logs.contains(&email) && !logs.contains("Els Jansen"),
        "no personal data in the logs: {logs}"
    );
    assert!(logs.contains("retried pending mail"), "{logs}");
}

#[tokio::test]
async fn the_bootstrap_reports_a_failed_schedule_as_an_error() {
    let config = moto().await;
    let bucket = unique("cbt-bootstrap");
    create_bucket(&config, &bucket).await;
    let runtime = runtime_api(vec![scheduled_event()]);
    let child = bootstrap(&lambda_env(
        &runtime.address,
        &unique("cbt-missing"),
        &bucket,
    ));
    let result = runtime
        .results
        .recv_timeout(std::time::Duration::from_secs(120));
    let logs = stop(child);
    let (kind, error) =
        result.unwrap_or_else(|e| panic!("no answer ({e}); the bootstrap printed:\n{logs}"));
    assert_eq!(
        kind, "error",
        "a failed schedule is a Lambda error, so it is alarmed: {error}"
    );
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("the schedule failed")),
        "{error}"
    );
}

#[tokio::test]
async fn the_bootstrap_does_not_start_without_its_table() {
    let runtime = runtime_api(Vec::new());
    let mut env = lambda_env(&runtime.address, "unused", "unused");
    env.retain(|(k, _)| k != "TABLE_NAME");
    let mut child = bootstrap(&env);
    let status = {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            match child.try_wait().expect("wait") {
                Some(status) => break Some(status),
                None if std::time::Instant::now() > deadline => break None,
                None => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
    };
    let output = stop(child);
    let status = status
        .unwrap_or_else(|| panic!("the bootstrap kept running without TABLE_NAME:\n{output}"));
    assert!(!status.success());
    assert!(
        output.contains("TABLE_NAME"),
        "the message names the variable: {output}"
    );
}

#[path = "journey/mod.rs"]
mod journey;

/// The case from application to advice on DynamoDB and S3 (moto), the
/// mails in a local outbox to read them.
#[tokio::test]
async fn journey_over_the_wire() {
    let config = moto().await;
    let table = unique("cbt-journey");
    create_table(&config, &table).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(
        &config,
        &table,
        cbt_function::adapters::local::Outbox::new(dir.path()),
    )
    .await;
    journey::journey(&mut app, &dir.path().join("outbox")).await;
}

/// Requests and the retry reaching the same pending mails on DynamoDB:
/// the claim's condition lets one send each.
#[tokio::test]
async fn mails_go_out_once_over_the_wire() {
    let config = moto().await;
    let table = unique("cbt-once");
    create_table(&config, &table).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(
        &config,
        &table,
        cbt_function::adapters::local::Outbox::new(dir.path()),
    )
    .await;
    journey::exactly_once(&mut app, &dir.path().join("outbox")).await;
}

/// SES's reports on DynamoDB: kept with their mails, the secretariat told
/// about bounces and complaints, each once.
#[tokio::test]
async fn mail_reports_over_the_wire() {
    let config = moto().await;
    let table = unique("cbt-reports");
    create_table(&config, &table).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(
        &config,
        &table,
        cbt_function::adapters::local::Outbox::new(dir.path()),
    )
    .await;
    journey::reports(&mut app, &dir.path().join("outbox")).await;
}

/// A bounce as SNS on moto delivers it: the envelope a subscriber gets,
/// in the record Lambda makes of it, read by the same code as in AWS.
#[tokio::test]
async fn a_bounce_through_sns_on_moto() {
    let config = moto().await;
    let table = unique("cbt-sns");
    create_table(&config, &table).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(
        &config,
        &table,
        cbt_function::adapters::local::Outbox::new(dir.path()),
    )
    .await;
    let (reference, _) = journey::apply(&mut app).await;
    let sent = app
        .store
        .sent_mails(&Owner::Application(reference.clone()))
        .await
        .expect("sent");
    let invoice = sent
        .iter()
        .find(|m| m.mail.kind == MailKind::Invoice)
        .expect("the invoice went");
    let event = journey::ses_event(
        "ses-bounce.json",
        &invoice.message_id,
        "factuur@voorbeeld.nl",
        "fb-sns",
    );
    let python =
        std::env::var("CBT_MOTO_PYTHON").expect("CBT_MOTO_PYTHON (tests/emulators.sh env)");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sns_envelope.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(event.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("the envelope");
    assert!(out.status.success(), "sns_envelope.py failed");
    let envelope: Value = serde_json::from_slice(&out.stdout).expect("SNS's JSON");
    assert_eq!(envelope["Type"], "Notification");
    let topic = envelope["TopicArn"].as_str().expect("topic").to_string();
    let lambda_event = serde_json::json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{topic}:subscription"),
        "Sns": envelope,
    }]});
    let reports = cbt_function::delivery::reports_from_sns(&lambda_event)
        .expect("an SNS event")
        .expect("SES's reports");
    assert_eq!(reports.len(), 1);
    let tally = cbt_function::delivery::record(&app, &reports)
        .await
        .expect("recorded");
    assert_eq!((tally.kept, tally.notices), (1, 1), "{tally:?}");
    let kept = app
        .store
        .sent_mail(&invoice.message_id)
        .await
        .expect("store")
        .expect("known");
    assert_eq!(kept.reports.len(), 1);
    let told = journey::mails(&dir.path().join("outbox"));
    assert!(
        told.iter()
            .any(|(kind, _, body)| kind == "niet-bezorgd" && body.contains(&reference)),
        "{told:?}"
    );
}

/// Two changes at once on DynamoDB: the version condition keeps one.
#[tokio::test]
async fn concurrent_changes_over_the_wire() {
    let config = moto().await;
    let table = unique("cbt-concurrent");
    create_table(&config, &table).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(
        &config,
        &table,
        cbt_function::adapters::local::Outbox::new(dir.path()),
    )
    .await;
    journey::concurrent(&mut app).await;
}

#[path = "abuse/mod.rs"]
mod abuse;

/// Issue 15's abuse run on DynamoDB and S3 (moto), every limit at its
/// default, behind CloudFront's secret; the mails in a local outbox.
#[tokio::test]
async fn abuse_run_over_the_wire() {
    let config = moto().await;
    let table = unique("cbt-abuse");
    create_table(&config, &table).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(
        &config,
        &table,
        cbt_function::adapters::local::Outbox::new(dir.path()),
    )
    .await;
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", format!("noreply@{SENDER_DOMAIN}")),
        (
            "SITE_URL",
            "https://www.balanstoetstelemarketing.nl".to_string(),
        ),
        ("ORIGIN_VERIFY_SECRET", abuse::SECRET.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    app.config = Config::from_vars(&vars).expect("config");
    let figures = abuse::run(&app, &dir.path().join("outbox")).await;
    println!("abuse run, DynamoDB and S3 on moto: {figures:#?}");
    abuse::holds(&figures, app.config.mails_per_address_per_day);
}

/// With GuardDuty on, the secretariat's mail of a new application waits
/// for the tag on the document (moto does not scan: the test tags as
/// GuardDuty does), and then goes with the document.
#[tokio::test]
async fn the_secretariats_mail_waits_for_guardduty_s_tag() {
    use cbt_function::adapters::aws::SCAN_TAG;
    let config = moto().await;
    let table = unique("cbt-scan");
    create_table(&config, &table).await;
    let mut app = app(
        &config,
        &table,
        Flaky::new(SesMailer::new(&config, None), 0),
    )
    .await;
    app.files.scanned = true;
    let body = application(
        &format!("{}@voorbeeld.nl", unique("crediteuren")),
        &format!("{}@voorbeeld.nl", unique("jan")),
    );
    let draft = post_application(&app, &body).await;
    assert_eq!(confirm(&app, &draft).await.status(), StatusCode::SEE_OTHER);
    confirm_addresses(&app).await;
    let case = app
        .store
        .get_confirmed(&draft)
        .await
        .expect("store")
        .expect("filed");
    let kinds = |app: &TestApp<Flaky<SesMailer>>| {
        app.mailer
            .sent()
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
    };
    assert!(
        !kinds(&app).contains(&MailKind::ApplicationSecretariat),
        "it waits"
    );
    assert_eq!(retry_pending(&app).await.expect("retry").sent, 0, "still");
    let key = case.documents[0].key.clone();
    app.files
        .client
        .put_object_tagging()
        .bucket(&app.files.bucket)
        .key(&key)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key(SCAN_TAG)
                        .value("NO_THREATS_FOUND")
                        .build()
                        .expect("tag"),
                )
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tag");
    assert_eq!(retry_pending(&app).await.expect("retry").sent, 1);
    let text = app
        .mailer
        .texts
        .lock()
        .expect("lock")
        .iter()
        .find(|(k, _)| *k == MailKind::ApplicationSecretariat)
        .map(|(_, t)| t.clone())
        .expect("sent");
    assert!(text.contains("Scan op malware: niets gevonden."), "{text}");
}
