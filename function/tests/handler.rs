//! The handler over the local adapters, through Lambda events (Function URL
//! and HTTP API payloads) and plain requests: every route, every status,
//! the honeypot, the rate limit, the origin rule, and the faults.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use cbt::mail::{MailKind, Message};
use cbt::sample::{application_fields, multipart, set, PDF};
use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};
use cbt_function::config::Config;
use cbt_function::event::handle_event;
use cbt_function::handler::{handle, retry_pending, App, Clock};
use cbt_function::ports::*;
use chrono::{DateTime, TimeZone, Utc};
use http::{Request, Response, StatusCode};
use serde_json::{json, Value};

const SITE: &str = "https://www.balanstoetstelemarketing.nl";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0)
        .single()
        .expect("time")
}

fn config() -> Config {
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", "noreply@balanstoetstelemarketing.nl"),
        ("SITE_URL", SITE),
        ("RATE_LIMIT_PER_HOUR", "10"),
        // The tests post without the browser's proof of work unless they
        // test it; the stricter limit for that has tests of its own.
        ("RATE_LIMIT_UNSOLVED_PER_HOUR", "10"),
        ("MAX_BODY_BYTES", "1000000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Config::from_vars(&vars).expect("config")
}

type LocalApp<M = Outbox> = App<LocalStore, M, LocalFiles>;

fn app_with<M: Mailer>(dir: &Path, mailer: M) -> LocalApp<M> {
    App {
        rules: Arc::new(cbt::embedded_rules().expect("rules")),
        templates: Arc::new(cbt::templates::Templates::embedded().expect("templates")),
        config: config(),
        store: LocalStore::new(dir),
        mailer,
        files: LocalFiles::new(dir),
        clock: Clock::Fixed(now()),
    }
}

fn app(dir: &Path) -> LocalApp {
    app_with(dir, Outbox::new(dir))
}

/// A Function URL event; the body base64-encoded, as Function URLs do.
fn url_event(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Value {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query, "headers": headers,
        "requestContext": { "http": { "method": method, "path": path, "sourceIp": "203.0.113.7" }, "requestId": "req-1" },
        "body": base64::engine::general_purpose::STANDARD.encode(body), "isBase64Encoded": true
    })
}

fn browser_headers(content_type: &str) -> Vec<(&str, &str)> {
    vec![
        ("content-type", content_type),
        ("origin", SITE),
        ("accept", "text/html"),
    ]
}

struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

async fn invoke<S: Store, M: Mailer, F: Files>(app: &App<S, M, F>, event: Value) -> Answer {
    let out = handle_event(app, event).await;
    let status = out["statusCode"].as_u64().expect("status") as u16;
    let headers = out["headers"]
        .as_object()
        .expect("headers")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let body = out["body"].as_str().expect("body").to_string();
    Answer {
        status,
        headers,
        body,
    }
}

async fn post_application<M: Mailer>(
    app: &LocalApp<M>,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Answer {
    let (ct, body) = multipart(fields, file);
    let posted = invoke(
        app,
        url_event("POST", "/aanvraag", "", &browser_headers(&ct), &body),
    )
    .await;
    // Valid: post, redirect, get (the check page has an address of its own).
    follow_to_check(app, posted).await
}

/// The check page a 303 from the form's post leads to; other answers as
/// they are.
async fn follow_to_check<M: Mailer>(app: &LocalApp<M>, posted: Answer) -> Answer {
    let target = posted
        .headers
        .get("location")
        .and_then(|l| l.strip_prefix("/aanvraag/controle?"))
        .map(str::to_string);
    match (posted.status, target) {
        (303, Some(query)) => get_page(app, "/aanvraag/controle", &query).await,
        _ => posted,
    }
}

fn draft_id(check_page: &str) -> String {
    check_page
        .split("name=\"concept\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("draft id on the check page")
        .to_string()
}

async fn confirm<M: Mailer>(app: &LocalApp<M>, id: &str) -> Answer {
    let body = format!("concept={id}");
    invoke(
        app,
        url_event(
            "POST",
            "/aanvraag/bevestig",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        ),
    )
    .await
}

/// A page as a browser asks for it.
async fn get_page<M: Mailer>(app: &LocalApp<M>, path: &str, query: &str) -> Answer {
    invoke(
        app,
        url_event("GET", path, query, &[("accept", "text/html")], b""),
    )
    .await
}

/// The kind of an outbox file: `<stamp>-<n>-<kind>.eml`.
fn kind_of(name: &str) -> String {
    name.trim_end_matches(".eml")
        .splitn(3, '-')
        .nth(2)
        .unwrap_or_default()
        .to_string()
}

fn outbox(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("outbox"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn an_application_from_form_to_invoice() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    // Check: the answers back, with a confirm button; nothing sent yet.
    let check = post_application(
        &app,
        &application_fields(),
        Some(("C:\\Stukken\\Balanstest 2027 (definitief).pdf", PDF)),
    )
    .await;
    assert_eq!(check.status, 200, "{}", check.body);
    assert!(check.body.contains("<h1>Controleer uw aanvraag</h1>"));
    assert!(
        check.body.contains("Voorbeeld Energie B.V.") && check.body.contains("€\u{a0}4.452,80")
    );
    assert_eq!(
        check.headers.get("cache-control").map(String::as_str),
        Some("no-store")
    );
    assert!(outbox(dir.path()).is_empty());
    let id = draft_id(&check.body);

    // Change: the form again with every answer.
    let change = invoke(
        &app,
        url_event(
            "GET",
            "/aanvraag/wijzigen",
            &format!("concept={id}"),
            &[("accept", "text/html")],
            b"",
        ),
    )
    .await;
    assert_eq!(change.status, 200);
    assert!(change.body.contains("value=\"Voorbeeld Energie B.V.\""));
    assert!(change
        .body
        .contains(&format!("action=\"/aanvraag?concept={id}\"")));
    assert!(
        change
            .body
            .contains("Bewaard: <strong>Balanstest 2027 (definitief).pdf</strong>"),
        "the applicant's own name for the kept file, at its field"
    );

    // Send: nothing is numbered or invoiced yet; each address gets a mail
    // with a link to confirm, and the page says so.
    let done = confirm(&app, &id).await;
    assert_eq!(done.status, 303);
    let location = done.headers.get("location").expect("location").clone();
    assert_eq!(location, format!("/aanvraag/ontvangen?concept={id}"));
    assert_eq!(app.store.get_confirmed(&id).await.expect("store"), None);
    assert_eq!(
        outbox(dir.path())
            .iter()
            .map(|m| kind_of(m))
            .collect::<Vec<_>>(),
        ["adres-bevestigen", "factuuradres-bevestigen"]
    );
    let waiting = get_page(&app, "/aanvraag/ontvangen", &format!("concept={id}")).await;
    assert_eq!(waiting.status, 200);
    for expected in [
        "Bevestig uw aanvraag via de e-mail",
        "jan.devries@voorbeeld.nl",
        "crediteuren@voorbeeld.nl",
        "7 december 2026 om 11:00",
        "Stuur de e-mail opnieuw",
    ] {
        assert!(
            waiting.body.contains(expected),
            "{expected}: {}",
            waiting.body
        );
    }
    assert!(app
        .files
        .get(&format!(
            "unconfirmed/{id}/1-Balanstest_2027__definitief.pdf"
        ))
        .await
        .expect("files")
        .is_some());
    // Sent again (the page's button): every address still waiting gets a
    // new mail, and the page says so.
    let again = confirm(&app, &id).await;
    assert_eq!(
        again.headers.get("location").map(String::as_str),
        Some(format!("/aanvraag/ontvangen?concept={id}&opnieuw=1").as_str())
    );
    assert_eq!(outbox(dir.path()).len(), 4, "asked again");
    let waiting = get_page(
        &app,
        "/aanvraag/ontvangen",
        &format!("concept={id}&opnieuw=1"),
    )
    .await;
    assert!(waiting
        .body
        .contains("Wij hebben de e-mail opnieuw gestuurd"));

    // The contact person confirms: the invoice address is still asked.
    let outbox_dir = dir.path().join("outbox");
    let mails = journey::mails(&outbox_dir);
    let contact_link = journey::links(&mails[0].2, "/aanvraag/adres/")
        .pop()
        .expect("a link");
    let page = get_page(&app, &contact_link, "").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Ja, ik bevestig") && page.body.contains("12345678"));
    assert!(
        !page.body.contains("Voorbeeld Energie"),
        "the page shows nothing the sender wrote but addresses"
    );
    assert_eq!(
        page.headers.get("referrer-policy").map(String::as_str),
        Some("strict-origin")
    );
    let post = |path: String| {
        let app = &app;
        async move {
            invoke(
                app,
                url_event(
                    "POST",
                    &path,
                    "",
                    &browser_headers("application/x-www-form-urlencoded"),
                    b"",
                ),
            )
            .await
        }
    };
    assert_eq!(post(contact_link.clone()).await.status, 303);
    assert_eq!(app.store.get_confirmed(&id).await.expect("store"), None);
    let page = get_page(&app, &contact_link, "").await;
    assert!(
        page.body
            .contains("Wij wachten nog op de bevestiging via het e-mailadres voor de factuur"),
        "{}",
        page.body
    );
    // The invoice address confirms: filed, numbered, mailed.
    assert_eq!(journey::confirm_addresses(&app, &outbox_dir).await, 1);
    let filed: Vec<String> = outbox(dir.path())
        .iter()
        .skip(4)
        .map(|m| kind_of(m))
        .collect();
    assert_eq!(
        filed,
        ["aanvraag-bevestiging", "factuur", "aanvraag-secretariaat"]
    );
    let page = get_page(&app, &contact_link, "").await;
    assert!(page.body.contains("CBT-2026-0001"), "{}", page.body);
    // A link opened again, or pressed again, changes nothing.
    assert_eq!(post(contact_link.clone()).await.status, 303);
    assert_eq!(outbox(dir.path()).len(), 7);
    let application = app
        .store
        .get_confirmed(&id)
        .await
        .expect("store")
        .expect("application");
    assert_eq!(application.reference, "CBT-2026-0001");
    assert_eq!(application.invoice_number.to_string(), "2026-0001");
    assert!(app.store.pending_mails().await.expect("pending").is_empty());
    let key = &application.documents.first().expect("document").key;
    assert!(
        key.starts_with(&format!("applications/{id}/")),
        "kept out of drafts/: {key}"
    );
    let stored = app.files.get(key).await.expect("files");
    assert_eq!(stored.as_deref(), Some(PDF));
    let invoice = app
        .files
        .get("invoices/factuur-2026-0001.pdf")
        .await
        .expect("files")
        .expect("the invoice as sent is kept");
    assert!(invoice.starts_with(b"%PDF-"));

    // The confirmation page, with the personal link only for its secret;
    // without it (or with another case's) it points to the mail instead.
    let confirmation = journey::mails(&outbox_dir)
        .into_iter()
        .find(|m| m.0 == "aanvraag-bevestiging")
        .expect("confirmation");
    let secret = journey::personal_link(&confirmation.2)
        .trim_start_matches("/mijn-aanvraag/")
        .to_string();
    let page = get_page(
        &app,
        "/aanvraag/ontvangen",
        &format!("concept={id}&sleutel={secret}"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("CBT-2026-0001")
            && page.body.contains("30 december 2026")
            && page.body.contains("crediteuren@voorbeeld.nl")
    );
    let link = format!("https://www.balanstoetstelemarketing.nl/mijn-aanvraag/{secret}");
    assert!(page.body.contains(&link), "{}", page.body);
    assert_eq!(
        page.headers.get("referrer-policy").map(String::as_str),
        Some("strict-origin")
    );
    let plain = get_page(&app, "/aanvraag/ontvangen", &format!("concept={id}")).await;
    assert!(!plain.body.contains("/mijn-aanvraag/") || plain.body.contains("/mijn-aanvraag/link"));
    assert!(
        plain.body.contains("staat in de bevestiging"),
        "{}",
        plain.body
    );
    let forged = get_page(
        &app,
        "/aanvraag/ontvangen",
        &format!("concept={id}&sleutel={}", "ab".repeat(32)),
    )
    .await;
    assert!(!forged.body.contains(&"ab".repeat(32)));

    // Sending again after the filing: the same reference, nothing sent.
    let again = confirm(&app, &id).await;
    assert_eq!(again.status, 303);
    assert_eq!(outbox(dir.path()).len(), 7);

    // The next application gets the next number.
    let check = post_application(&app, &application_fields(), Some(("b.pdf", PDF))).await;
    let id2 = draft_id(&check.body);
    confirm(&app, &id2).await;
    journey::confirm_addresses(&app, &outbox_dir).await;
    assert_eq!(
        app.store
            .get_confirmed(&id2)
            .await
            .expect("store")
            .expect("app")
            .reference,
        "CBT-2026-0002"
    );
}

/// Every date of an application is its date in Amsterdam: confirmed at
/// 00:30 on New Year's Day there (23:30 UTC on 31 December), it is invoiced
/// on 1 January, first of the new year's series.
#[tokio::test]
async fn new_year_in_amsterdam_starts_the_new_series() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let at = |y, mo, d, h, mi| {
        Clock::Fixed(
            Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
                .single()
                .expect("time"),
        )
    };
    // One application in 2026 first: the counter of 2026 is at 1.
    let outbox_dir = dir.path().join("outbox");
    app.clock = at(2026, 12, 31, 22, 59);
    let check = post_application(&app, &application_fields(), Some(("b.pdf", PDF))).await;
    let first = draft_id(&check.body);
    confirm(&app, &first).await;
    journey::confirm_addresses(&app, &outbox_dir).await;
    app.clock = at(2026, 12, 31, 23, 30);
    let check = post_application(&app, &application_fields(), Some(("b.pdf", PDF))).await;
    let id = draft_id(&check.body);
    assert_eq!(confirm(&app, &id).await.status, 303);
    journey::confirm_addresses(&app, &outbox_dir).await;

    let filing = |id: String| {
        let store = &app.store;
        async move {
            store
                .get_confirmed(&id)
                .await
                .expect("store")
                .expect("filed")
        }
    };
    let before = filing(first).await;
    assert_eq!(before.invoice_number.to_string(), "2026-0001");
    assert_eq!(before.submitted_on.to_string(), "2026-12-31");
    let after = filing(id.clone()).await;
    assert_eq!(after.invoice_number.to_string(), "2027-0001");
    assert_eq!(after.reference, "CBT-2027-0001");
    assert_eq!(after.submitted_on.to_string(), "2027-01-01");

    let text = outbox(dir.path())
        .into_iter()
        .filter(|m| m.ends_with("-factuur.eml"))
        .map(|m| {
            let raw = std::fs::read(dir.path().join("outbox").join(m)).expect("mail");
            let mail = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("a mail");
            mail.body_text(0).expect("a text part").into_owned()
        })
        .find(|text| text.contains("FACTUUR 2027-0001"))
        .expect("the invoice mail of 2027-0001");
    assert!(text.contains("Factuurdatum: 1 januari 2027"), "{text}");
    assert!(text.contains("Vervaldatum: 31 januari 2027"), "{text}");
    let page = get_page(&app, "/aanvraag/ontvangen", &format!("concept={id}")).await;
    assert!(page.body.contains("CBT-2027-0001"), "{}", page.body);
    assert!(page.body.contains("31 januari 2027"), "{}", page.body);
}

#[tokio::test]
async fn errors_come_back_as_the_form_with_everything_kept_or_as_json() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let mut fields = application_fields();
    fields.retain(|(k, _)| *k != "kvk_nummer" && *k != "contact_email");
    fields.push(("kvk_nummer", "1234"));
    let page = post_application(&app, &fields, Some(("b.pdf", PDF))).await;
    assert_eq!(page.status, 422);
    assert!(page
        .body
        .contains("<title>Fout: Aanvraag indienen | CBT</title>"));
    assert!(page.body.contains("Niet alle gegevens zijn goed ingevuld"));
    assert!(
        page.body.contains("value=\"1234\"")
            && page.body.contains("value=\"Voorbeeld Energie B.V.\"")
    );
    assert!(page.body.contains("Bewaard: <strong>b.pdf</strong>"));
    // The kept document is really kept: the corrected form, without a file,
    // posts back to its draft and passes.
    let action = page
        .body
        .split("action=\"/aanvraag?concept=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("posts back to the kept draft")
        .to_string();
    let incomplete = confirm(&app, &action).await;
    assert_eq!(
        incomplete.status, 422,
        "a draft kept for its document cannot be confirmed"
    );
    let (ct, body) = multipart(&application_fields(), None);
    let fixed = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag",
            &format!("concept={action}"),
            &browser_headers(&ct),
            &body,
        ),
    )
    .await;
    assert_eq!(fixed.status, 303, "{}", fixed.body);
    let fixed = follow_to_check(&app, fixed).await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert!(fixed.body.contains("Controleer uw aanvraag") && fixed.body.contains("b.pdf"));

    let (ct, body) = multipart(&fields, None);
    let json = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag",
            "",
            &[
                ("content-type", ct.as_str()),
                ("origin", SITE),
                ("accept", "application/json"),
            ],
            &body,
        ),
    )
    .await;
    assert_eq!(json.status, 422);
    let v: Value = serde_json::from_str(&json.body).expect("json");
    assert_eq!(v["error"], "invalid");
    let errors: Vec<(String, String)> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_string(),
                e["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("kvk_nummer".to_string(), "invalid".to_string()),
            ("contact_email".into(), "required".into()),
            ("balanstest".into(), "required".into())
        ]
    );
}

#[tokio::test]
async fn an_upload_that_is_not_a_document_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let page = post_application(
        &app,
        &application_fields(),
        Some((
            "virus.pdf",
            b"MZ\x90\x00This program cannot be run in DOS mode",
        )),
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(page
        .body
        .contains("Het bestand moet een PDF, DOCX of ODT zijn"));
}

#[tokio::test]
async fn contact_from_function_url_and_http_api_payloads() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let event: Value =
        serde_json::from_str(include_str!("fixtures/function-url-contact.json")).expect("fixture");
    let answer = invoke(&app, event).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.headers.get("location").map(String::as_str),
        Some("/contact/bedankt")
    );
    let mails = outbox(dir.path());
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(
        mails.iter().any(|m| m.contains("contact-secretariaat"))
            && mails.iter().any(|m| m.contains("contact-ontvangst"))
    );

    let event: Value =
        serde_json::from_str(include_str!("fixtures/http-api-contact.json")).expect("fixture");
    let answer = invoke(&app, event).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, r#"{"status":"received"}"#);
    assert_eq!(outbox(dir.path()).len(), 4);

    let thanks = invoke(&app, url_event("GET", "/contact/bedankt", "", &[], b"")).await;
    assert_eq!(thanks.status, 200);
    assert!(thanks.body.contains("Bedankt voor uw bericht"));

    // Kept for the retention period only.
    let inventory = cbt_function::adapters::local::inventory(dir.path()).await;
    let id = inventory
        .get("contacts")
        .and_then(|c| c.first())
        .expect("stored")
        .clone();
    let stored = app
        .store
        .get_contact(&id, now())
        .await
        .expect("store")
        .expect("message");
    assert_eq!((stored.expires - stored.received).num_days(), 365);
}

#[tokio::test]
async fn a_filled_honeypot_looks_like_success_and_keeps_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let mut fields = application_fields();
    fields.retain(|(k, _)| *k != "website");
    fields.push(("website", "http://spam.example"));
    let answer = post_application(&app, &fields, Some(("b.pdf", PDF))).await;
    assert_eq!(answer.status, 303);
    let body =
        "naam=Bot&email=bot%40spam.example&onderwerp=x&bericht=y&akkoord_privacy=ja&website=spam";
    let answer = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        ),
    )
    .await;
    assert_eq!(answer.status, 303);
    assert!(outbox(dir.path()).is_empty());
    let inventory = cbt_function::adapters::local::inventory(dir.path()).await;
    assert!(
        !inventory.contains_key("drafts") && !inventory.contains_key("contacts"),
        "{inventory:?}"
    );
}

#[tokio::test]
async fn every_refusal_is_a_dutch_page_or_json() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let form = "application/x-www-form-urlencoded";
    // Another origin.
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &[("content-type", form), ("origin", "https://evil.example")],
            b"naam=x",
        ),
    )
    .await;
    assert_eq!(a.status, 403);
    assert!(a.body.contains("alleen via onze eigen site"));
    // Too large.
    let big = vec![b'a'; 1_000_001];
    let a = invoke(
        &app,
        url_event("POST", "/contact", "", &browser_headers(form), &big),
    )
    .await;
    assert_eq!(a.status, 413);
    assert!(a.body.contains("te groot"));
    // Another content type.
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &browser_headers("text/plain"),
            b"hallo",
        ),
    )
    .await;
    assert_eq!(a.status, 415);
    assert!(a.body.contains("niet ondersteund"));
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &[
                ("content-type", "text/plain"),
                ("origin", SITE),
                ("accept", "application/json"),
            ],
            b"hallo",
        ),
    )
    .await;
    assert_eq!(
        (a.status, a.headers.get("content-type").map(String::as_str)),
        (415, Some("application/json"))
    );
    assert!(a.body.contains("\"error\":\"unsupported_media_type\""));
    // Broken multipart.
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag",
            "",
            &browser_headers("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed",
        ),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("beschadigd"));
    // Invalid base64 in a Function URL body: a page, not a panic.
    let mut event = url_event("POST", "/contact", "", &browser_headers(form), b"x");
    event["body"] = Value::String("***not base64***".into());
    let a = invoke(&app, event).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("beschadigd"));
    // Not an HTTP event at all.
    let a = invoke(&app, json!({ "hello": "world" })).await;
    assert_eq!(a.status, 400);
    // Unknown page and wrong method.
    let a = invoke(&app, url_event("GET", "/wp-login.php", "", &[], b"")).await;
    assert_eq!(a.status, 404);
    assert!(a.body.contains("Pagina niet gevonden"));
    let a = invoke(&app, url_event("GET", "/contact", "", &[], b"")).await;
    assert_eq!(
        (a.status, a.headers.get("location").map(String::as_str)),
        (301, Some("/contact/"))
    );
    let a = invoke(&app, url_event("PUT", "/contact", "", &[], b"")).await;
    assert_eq!(a.status, 405);
    // An unknown or expired draft.
    let unknown = "0123456789abcdef0123456789abcdef";
    let a = confirm(&app, unknown).await;
    assert_eq!(a.status, 410);
    assert!(a.body.contains("verlopen of onbekend"));
    let a = invoke(
        &app,
        url_event(
            "GET",
            "/aanvraag/ontvangen",
            &format!("concept={unknown}"),
            &[],
            b"",
        ),
    )
    .await;
    assert_eq!(a.status, 410);
    // An id of another shape is no page at all.
    let a = confirm(&app, "onbekend").await;
    assert_eq!(a.status, 404);
    let a = invoke(&app, url_event("GET", "/aanvraag/wijzigen", "", &[], b"")).await;
    assert_eq!(a.status, 410);
    assert!(outbox(dir.path()).is_empty());
}

/// The check page has its own address: the post answers 303 to it, so a
/// reload, Back and Forward post nothing; once sent, it leads to the
/// confirmation.
#[tokio::test]
async fn the_check_page_is_post_redirect_get() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let (ct, body) = multipart(&application_fields(), Some(("b.pdf", PDF)));
    let posted = invoke(
        &app,
        url_event("POST", "/aanvraag", "", &browser_headers(&ct), &body),
    )
    .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let location = posted.headers.get("location").cloned().unwrap_or_default();
    let query = location
        .strip_prefix("/aanvraag/controle?")
        .expect("the check page's address")
        .to_string();
    let id = query.trim_start_matches("concept=").to_string();
    // Reloaded, or opened fresh: the same page, as often as asked.
    for _ in 0..2 {
        let check = get_page(&app, "/aanvraag/controle", &query).await;
        assert_eq!(check.status, 200, "{}", check.body);
        assert!(check.body.contains("<h1>Controleer uw aanvraag</h1>"));
        assert!(check.body.contains("name=\"versie\" value=\"1\""));
    }
    assert!(outbox(dir.path()).is_empty(), "nothing sent by reading");
    assert_eq!(confirm(&app, &id).await.status, 303);
    // Back after sending: the confirmation, not a page to send again.
    let back = get_page(&app, "/aanvraag/controle", &query).await;
    assert_eq!(back.status, 303);
    assert_eq!(
        back.headers.get("location").map(String::as_str),
        Some(format!("/aanvraag/ontvangen?concept={id}").as_str())
    );
    // Unknown, or without an id: gone, with the explanation; an id of
    // another shape is no page at all.
    let unknown = get_page(
        &app,
        "/aanvraag/controle",
        "concept=0123456789abcdef0123456789abcdef",
    )
    .await;
    assert_eq!(unknown.status, 410);
    assert!(unknown.body.contains("verlopen of onbekend"));
    assert_eq!(get_page(&app, "/aanvraag/controle", "").await.status, 410);
    let odd = get_page(&app, "/aanvraag/controle", "concept=onbekend").await;
    assert_eq!(odd.status, 404);
}

/// Two tabs: the answers changed in one, the other still shows the old
/// check page. Confirming the old page shows the current answers instead
/// of sending; the current page sends one application; a change after
/// that leads to the confirmation. One case, one invoice.
#[tokio::test]
async fn a_changed_draft_is_sent_once_and_as_changed() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let first = post_application(&app, &application_fields(), Some(("b.pdf", PDF))).await;
    let id = draft_id(&first.body);
    assert!(first.body.contains("name=\"versie\" value=\"1\""));

    // Tab B changes the job title; the draft stays the same draft.
    let changed = set(
        application_fields(),
        "contact_functie",
        "Directeur klantrelaties",
    );
    let (ct, body) = multipart(&changed, None);
    let second = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag",
            &format!("concept={id}"),
            &browser_headers(&ct),
            &body,
        ),
    )
    .await;
    let second = follow_to_check(&app, second).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(draft_id(&second.body), id, "changed in place");
    assert!(second.body.contains("name=\"versie\" value=\"2\""));
    assert!(second.body.contains("Directeur klantrelaties"));
    assert!(second.body.contains("b.pdf"), "the document stays");

    // Tab A confirms what it showed, version 1: read back the current answers.
    let stale = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag/bevestig",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            format!("concept={id}&versie=1").as_bytes(),
        ),
    )
    .await;
    assert_eq!(stale.status, 303);
    let again = follow_to_check(&app, stale).await;
    assert_eq!(again.status, 200);
    assert!(
        again.body.contains("Uw antwoorden zijn gewijzigd"),
        "{}",
        again.body
    );
    assert!(again.body.contains("Directeur klantrelaties"));
    assert!(outbox(dir.path()).is_empty(), "nothing sent");

    // The current page sends it, once.
    let sent = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag/bevestig",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            format!("concept={id}&versie=2").as_bytes(),
        ),
    )
    .await;
    assert_eq!(sent.status, 303);
    let mails = outbox(dir.path());
    assert_eq!(mails.len(), 2, "the address check's two: {mails:?}");
    // The same check page sent again (the other tab, Back): the page that
    // shows the check, and no mail again.
    let twice = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag/bevestig",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            format!("concept={id}&versie=2").as_bytes(),
        ),
    )
    .await;
    assert_eq!(twice.status, 303);
    assert_eq!(
        twice.headers.get("location").map(String::as_str),
        Some(format!("/aanvraag/ontvangen?concept={id}").as_str())
    );
    assert_eq!(outbox(dir.path()).len(), 2);
    let late_change = async || {
        invoke(
            &app,
            url_event(
                "POST",
                "/aanvraag",
                &format!("concept={id}"),
                &browser_headers(&ct),
                &body,
            ),
        )
        .await
    };
    // A change from a third tab while the addresses are asked: the page
    // that shows the check; nothing changes, nothing is sent.
    let late = late_change().await;
    assert_eq!(late.status, 303);
    assert_eq!(
        late.headers.get("location").map(String::as_str),
        Some(format!("/aanvraag/ontvangen?concept={id}").as_str())
    );
    assert_eq!(outbox(dir.path()).len(), 2);
    assert_eq!(
        journey::confirm_addresses(&app, &dir.path().join("outbox")).await,
        2
    );
    assert_eq!(outbox(dir.path()).len(), 5, "and the filing's three");
    // The old page again, and a change once filed: the confirmation; no
    // second case, no second invoice.
    assert_eq!(confirm(&app, &id).await.status, 303);
    let late = late_change().await;
    assert_eq!(late.status, 303);
    assert_eq!(
        late.headers.get("location").map(String::as_str),
        Some(format!("/aanvraag/ontvangen?concept={id}").as_str())
    );
    assert_eq!(outbox(dir.path()).len(), 5);
    let cases = std::fs::read_dir(dir.path().join("store/cases"))
        .expect("cases")
        .count();
    assert_eq!(cases, 1);
    let filed = app
        .store
        .get_confirmed(&id)
        .await
        .expect("store")
        .expect("filed");
    assert_eq!(
        filed.application.contact.role.as_deref(),
        Some("Directeur klantrelaties"),
        "the changed answers are what was sent"
    );
}

#[tokio::test]
async fn an_expired_draft_cannot_be_confirmed() {
    let dir = tempfile::tempdir().expect("dir");
    let check = post_application(
        &app(dir.path()),
        &application_fields(),
        Some(("b.pdf", PDF)),
    )
    .await;
    let id = draft_id(&check.body);
    let mut later = app(dir.path());
    later.clock = Clock::Fixed(now() + chrono::Duration::hours(25));
    let a = confirm(&later, &id).await;
    assert_eq!(a.status, 410);
    assert!(a.body.contains("binnen 24 uur"));
    assert!(outbox(dir.path()).is_empty());
}

#[tokio::test]
async fn the_rate_limit_answers_429_per_source() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let body = "naam=Els&email=els%40voorbeeld.nl&onderwerp=x&bericht=y&akkoord_privacy=ja";
    for i in 1..=10 {
        let a = invoke(
            &app,
            url_event(
                "POST",
                "/contact",
                "",
                &browser_headers("application/x-www-form-urlencoded"),
                body.as_bytes(),
            ),
        )
        .await;
        assert_eq!(a.status, 303, "post {i}");
    }
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        ),
    )
    .await;
    assert_eq!(a.status, 429);
    assert!(a.body.contains("te veel formulieren"));
    // Another source is not affected; a spoofed source header is ignored.
    let mut other = url_event(
        "POST",
        "/contact",
        "",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", SITE),
            ("x-cbt-source-ip", "1.2.3.4"),
        ],
        body.as_bytes(),
    );
    let a = invoke(&app, other.clone()).await;
    assert_eq!(
        a.status, 429,
        "the header from the client does not change the source"
    );
    other["requestContext"]["http"]["sourceIp"] = Value::String("198.51.100.1".into());
    assert_eq!(invoke(&app, other).await.status, 303);
}

/// A mailer that fails its first `fail` sends.
struct Flaky {
    inner: Outbox,
    fail: AtomicUsize,
}

impl Mailer for Flaky {
    async fn send(&self, message: &Message) -> Result<String, SendError> {
        if self.fail.load(Ordering::SeqCst) > 0 {
            self.fail.fetch_sub(1, Ordering::SeqCst);
            return Err(SendError("SES is down".into()));
        }
        self.inner.send(message).await
    }
}

#[tokio::test]
async fn when_mail_fails_the_application_is_safe_and_the_retry_sends_it_once() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app_with(
        dir.path(),
        Flaky {
            inner: Outbox::new(dir.path()),
            fail: AtomicUsize::new(100),
        },
    );
    let check = post_application(&app, &application_fields(), Some(("b.pdf", PDF))).await;
    let id = draft_id(&check.body);
    // The address check's mails fail too, and wait for the retry.
    let sent = confirm(&app, &id).await;
    assert_eq!(sent.status, 303, "the applicant is told to confirm");
    assert_eq!(app.store.pending_mails().await.expect("pending").len(), 2);
    app.mailer.fail.store(0, Ordering::SeqCst);
    let report = retry_pending(&app).await.expect("retry");
    assert_eq!((report.sent, report.pending_after), (2, 0));
    // Then the filing's mails fail, after both addresses confirmed.
    app.mailer.fail.store(100, Ordering::SeqCst);
    let confirmed = journey::confirm_addresses(&app, &dir.path().join("outbox")).await;
    assert_eq!(confirmed, 2, "the confirmations are kept though mail fails");
    let before = outbox(dir.path()).len();
    assert_eq!(before, 2);
    let application = app
        .store
        .get_confirmed(&id)
        .await
        .expect("store")
        .expect("stored");
    let pending = app.store.pending_mails().await.expect("pending");
    assert_eq!(pending.len(), 3);
    assert!(pending
        .iter()
        .all(|p| p.owner == Owner::Application(application.reference.clone())));
    assert_eq!(outbox(dir.path()).len(), 2);

    app.mailer.fail.store(0, Ordering::SeqCst);
    let report = retry_pending(&app).await.expect("retry");
    assert_eq!(
        (report.pending_before, report.sent, report.pending_after),
        (3, 3, 0)
    );
    assert_eq!(outbox(dir.path()).len(), 5);
    let report = retry_pending(&app).await.expect("retry");
    assert_eq!((report.pending_before, report.sent), (0, 0));
    assert_eq!(outbox(dir.path()).len(), 5, "nothing is sent twice");
    let kinds: Vec<MailKind> = vec![
        MailKind::ApplicationConfirmation,
        MailKind::Invoice,
        MailKind::ApplicationSecretariat,
    ];
    for kind in kinds {
        assert_eq!(
            outbox(dir.path())
                .iter()
                .filter(|m| m.ends_with(&format!("-{}.eml", kind.template())))
                .count(),
            1
        );
    }
}

/// A store that is down.
struct Down;

fn down<T>() -> Result<T, StoreError> {
    Err(StoreError::Unavailable("down".into()))
}

impl Store for Down {
    async fn staff(&self) -> Result<StaffList, StoreError> {
        down()
    }
    async fn save_staff(&self, _: &StaffList) -> Result<(), StoreError> {
        down()
    }
    async fn put_sign_in(&self, _: &SignInLink) -> Result<(), StoreError> {
        down()
    }
    async fn take_sign_in(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        down()
    }
    async fn put_session(&self, _: &Session) -> Result<(), StoreError> {
        down()
    }
    async fn session(&self, _: &str, _: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        down()
    }
    async fn end_session(&self, _: &str) -> Result<(), StoreError> {
        down()
    }
    async fn audit(&self, _: &AuditEntry) -> Result<(), StoreError> {
        down()
    }
    async fn audit_log(&self, _: usize) -> Result<Vec<AuditEntry>, StoreError> {
        down()
    }
    async fn claim_bank_entry(&self, _: &BankEntry) -> Result<bool, StoreError> {
        down()
    }
    async fn put_passkey(&self, _: &PasskeyRecord) -> Result<(), StoreError> {
        down()
    }
    async fn passkeys(&self, _: &str) -> Result<Vec<PasskeyRecord>, StoreError> {
        down()
    }
    async fn delete_passkey(&self, _: &str, _: &str) -> Result<(), StoreError> {
        down()
    }
    async fn put_ceremony(&self, _: &Ceremony) -> Result<(), StoreError> {
        down()
    }
    async fn take_ceremony(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError> {
        down()
    }
    async fn put_draft(&self, _: &Draft) -> Result<(), StoreError> {
        down()
    }
    async fn get_draft(&self, _: &str, _: DateTime<Utc>) -> Result<Option<Draft>, StoreError> {
        down()
    }
    async fn confirm(&self, _: &ToFile) -> Result<Confirmed, StoreError> {
        down()
    }
    async fn submit_draft(&self, _: &Draft, _: &[PendingMail]) -> Result<bool, StoreError> {
        down()
    }
    async fn put_address_link(&self, _: &AddressLink) -> Result<(), StoreError> {
        down()
    }
    async fn address_link(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Option<AddressLink>, StoreError> {
        down()
    }
    async fn confirm_address(
        &self,
        _: &str,
        _: cbt::address_check::AddressRole,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        down()
    }
    async fn get_confirmed(&self, _: &str) -> Result<Option<cbt::case::Case>, StoreError> {
        down()
    }
    async fn get_case(&self, _: &str) -> Result<Option<CaseRecord>, StoreError> {
        down()
    }
    async fn transition(&self, _: &Transition) -> Result<(), StoreError> {
        down()
    }
    async fn cases_in(&self, _: cbt::case::State) -> Result<Vec<cbt::case::Case>, StoreError> {
        down()
    }
    async fn all_cases(&self) -> Result<Vec<cbt::case::Case>, StoreError> {
        down()
    }
    async fn assign_credit_note(
        &self,
        _: &str,
        _: i32,
    ) -> Result<cbt::invoice::InvoiceNumber, StoreError> {
        down()
    }
    async fn credit_note_of(
        &self,
        _: &str,
    ) -> Result<Option<cbt::invoice::InvoiceNumber>, StoreError> {
        down()
    }
    async fn remove_case(&self, _: &str) -> Result<(), StoreError> {
        down()
    }
    async fn put_token(&self, _: &Token) -> Result<(), StoreError> {
        down()
    }
    async fn token_case(&self, _: &str) -> Result<Option<String>, StoreError> {
        down()
    }
    async fn claim_digest(
        &self,
        _: chrono::NaiveDate,
        _: &str,
        _: &[PendingMail],
    ) -> Result<bool, StoreError> {
        down()
    }
    async fn get_digest(&self, _: chrono::NaiveDate) -> Result<Option<String>, StoreError> {
        down()
    }
    async fn put_contact(&self, _: &ContactMessage, _: &[MailKind]) -> Result<(), StoreError> {
        down()
    }
    async fn get_contact(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Option<ContactMessage>, StoreError> {
        down()
    }
    async fn purge_expired(&self, _: DateTime<Utc>) -> Result<Purged, StoreError> {
        down()
    }
    async fn pending_mails(&self) -> Result<Vec<PendingMail>, StoreError> {
        down()
    }
    async fn claim_mail(
        &self,
        _: &PendingMail,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        down()
    }
    async fn release_mail(&self, _: &PendingMail) -> Result<(), StoreError> {
        down()
    }
    async fn sent_mails(&self, _: &Owner) -> Result<Vec<SentMail>, StoreError> {
        down()
    }
    async fn sent_mail(&self, _: &str) -> Result<Option<SentMail>, StoreError> {
        down()
    }
    async fn record_report(
        &self,
        _: &str,
        _: &Report,
        _: Option<&PendingMail>,
    ) -> Result<Recorded, StoreError> {
        down()
    }
    async fn mail_sent(&self, _: &PendingMail, _: &str) -> Result<(), StoreError> {
        down()
    }
    async fn count_post(
        &self,
        _: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        down()
    }
}

#[tokio::test]
async fn when_the_store_fails_nothing_is_sent_and_the_answer_is_503() {
    let dir = tempfile::tempdir().expect("dir");
    let app = App {
        rules: Arc::new(cbt::embedded_rules().expect("rules")),
        templates: Arc::new(cbt::templates::Templates::embedded().expect("templates")),
        config: config(),
        store: Down,
        mailer: Outbox::new(dir.path()),
        files: LocalFiles::new(dir.path()),
        clock: Clock::Fixed(now()),
    };
    let (ct, body) = multipart(&application_fields(), Some(("b.pdf", PDF)));
    let a = invoke(
        &app,
        url_event("POST", "/aanvraag", "", &browser_headers(&ct), &body),
    )
    .await;
    assert_eq!(a.status, 503);
    assert!(a.body.contains("Er ging iets mis aan onze kant"));
    let body = "naam=Els&email=els%40voorbeeld.nl&onderwerp=x&bericht=y&akkoord_privacy=ja";
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        ),
    )
    .await;
    assert_eq!(a.status, 503);
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/aanvraag/bevestig",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            b"concept=0123456789abcdef0123456789abcdef",
        ),
    )
    .await;
    assert_eq!(a.status, 503);
    assert!(outbox(dir.path()).is_empty());
}

#[tokio::test]
async fn the_handler_is_a_plain_function_over_requests() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let req = Request::builder()
        .method("GET")
        .uri("/contact/bedankt")
        .body(Bytes::new())
        .expect("request");
    let res: Response<Bytes> = handle(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_contact_posts_each_send_both_mails() {
    let dir = tempfile::tempdir().expect("dir");
    let mut shared = app(dir.path());
    shared.config.rate_limit_per_hour = 1000;
    shared.config.rate_limit_unsolved_per_hour = 1000;
    let app = Arc::new(shared);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!(
                "naam=Els+{i}&email=els{i}%40voorbeeld.nl&onderwerp=x&bericht=y&akkoord_privacy=ja"
            );
            invoke(
                app.as_ref(),
                url_event(
                    "POST",
                    "/contact",
                    "",
                    &browser_headers("application/x-www-form-urlencoded"),
                    body.as_bytes(),
                ),
            )
            .await
            .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 303);
    }
    // Another request's sent mail vanishing mid-listing must not leave this one's pending.
    assert_eq!(outbox(dir.path()).len(), 40);
    assert!(app.store.pending_mails().await.expect("pending").is_empty());
}

#[tokio::test]
async fn behind_cloudfront_only_its_requests_count_and_the_viewer_is_the_source() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    app.config.origin_secret = Some("a-long-enough-secret-value".into());
    app.config.rate_limit_per_hour = 2;
    let body = b"naam=Els&email=els%40voorbeeld.nl&onderwerp=x&bericht=y&akkoord_privacy=ja";
    let form = "application/x-www-form-urlencoded";
    // Straight to the Function URL, without CloudFront's secret: refused.
    let a = invoke(
        &app,
        url_event("POST", "/contact", "", &browser_headers(form), body),
    )
    .await;
    assert_eq!(a.status, 403);
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &[
                ("content-type", form),
                ("origin", SITE),
                ("x-origin-verify", "wrong-secret-of-same-size!"),
            ],
            body,
        ),
    )
    .await;
    assert_eq!(a.status, 403);
    // Through CloudFront: the edge's address is shared, the viewer's counts.
    let via = |viewer: &'static str| {
        url_event(
            "POST",
            "/contact",
            "",
            &[
                ("content-type", form),
                ("origin", SITE),
                ("x-origin-verify", "a-long-enough-secret-value"),
                ("cloudfront-viewer-address", viewer),
            ],
            body,
        )
    };
    assert_eq!(invoke(&app, via("198.51.100.7:40001")).await.status, 303);
    assert_eq!(invoke(&app, via("198.51.100.7:40002")).await.status, 303);
    assert_eq!(invoke(&app, via("198.51.100.7:40003")).await.status, 429);
    assert_eq!(
        invoke(&app, via("2001:db8::7:40004")).await.status,
        303,
        "another visitor on the same edge"
    );
}

mod journey;

/// The case from application to advice on the local adapters.
#[tokio::test]
async fn local_journey() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    journey::journey(&mut app, &dir.path().join("outbox")).await;
}

/// A request and the retry at the same moment on the local adapters:
/// every mail once.
#[tokio::test]
async fn local_mails_go_out_once() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    journey::exactly_once(&mut app, &dir.path().join("outbox")).await;
}

/// SES's reports on the local adapters: kept with their mails, the
/// secretariat told about bounces and complaints, each once.
#[tokio::test]
async fn local_mail_reports() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    journey::reports(&mut app, &dir.path().join("outbox")).await;
}

/// Two changes at once on the local adapters: one kept, one refused.
#[tokio::test]
async fn local_concurrent_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    journey::concurrent(&mut app).await;
}

/// The applicant's page: each action and each refusal, as a browser meets
/// them; "send me the link again" answers the same whoever asks.
#[tokio::test]
async fn the_applicants_page_acts_and_refuses_clearly() {
    use cbt::case::{Action, Actor};
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (reference, page) = journey::apply(&mut app).await;
    let post = |path: String, ct: &str, body: Vec<u8>| {
        Request::post(path)
            .header("content-type", ct)
            .header("origin", SITE)
            .header("accept", "text/html")
            .body(Bytes::from(body))
            .expect("request")
    };
    let text = |r: &Response<Bytes>| String::from_utf8_lossy(r.body()).into_owned();

    // Unknown or malformed links: a 404 page, no lookup for the malformed.
    for wrong in [
        format!("/mijn-aanvraag/{}", "ab".repeat(32)),
        "/mijn-aanvraag/kort".to_string(),
        format!("/mijn-aanvraag/{}", "Z".repeat(64)),
    ] {
        let r = handle(&app, Request::get(&wrong).body(Bytes::new()).expect("r")).await;
        assert_eq!(r.status(), 404, "{wrong}");
        assert!(text(&r).contains("Deze link werkt niet"));
    }

    // A document added; a file that is no document refused, at the page.
    let (ct, body) = document_body("extra.pdf", PDF);
    let added = handle(&app, post(format!("{page}/document"), &ct, body)).await;
    assert_eq!(added.status(), 303);
    let (ct, body) = document_body("virus.exe", b"MZ\x90\x00 not a document");
    let refused = handle(&app, post(format!("{page}/document"), &ct, body)).await;
    assert_eq!(refused.status(), 422);
    assert!(
        text(&refused).contains("Het bestand moet een PDF, DOCX of ODT zijn"),
        "{}",
        text(&refused)
    );
    let (ct, body) = multipart(&[], None);
    let none = handle(&app, post(format!("{page}/document"), &ct, body)).await;
    assert_eq!(none.status(), 422);
    assert!(text(&none).contains("Kies het document"));

    // The change form has the answers; an invalid change comes back with
    // its error and nothing is kept.
    let form = handle(
        &app,
        Request::get(format!("{page}/wijzigen"))
            .body(Bytes::new())
            .expect("r"),
    )
    .await;
    assert_eq!(form.status(), 200);
    assert!(text(&form).contains("value=\"Voorbeeld Energie B.V.\""));
    assert!(text(&form).contains("Wijzigingen opslaan"));
    let bad = set(application_fields(), "kvk_nummer", "123");
    let (ct, body) = multipart(&bad, None);
    let invalid = handle(&app, post(format!("{page}/wijzigen"), &ct, body)).await;
    assert_eq!(invalid.status(), 422);
    assert!(text(&invalid).contains("Een KvK-nummer bestaat uit 8 cijfers"));
    let (ct, body) = multipart(&application_fields(), None);
    let same = handle(&app, post(format!("{page}/wijzigen"), &ct, body)).await;
    assert_eq!(same.status(), 409);
    assert!(text(&same).contains("Er is niets gewijzigd."));

    // After payment the kind of organisation, which is the fee, is fixed.
    let paid_at = Utc
        .with_ymd_and_hms(2027, 1, 5, 9, 0, 0)
        .single()
        .expect("time");
    app.clock = Clock::Fixed(paid_at);
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("s")
        .expect("case");
    cbt_function::cases::act_on(
        &app,
        record,
        &Action::RegisterPayment {
            date: cbt::dates::local_date(paid_at),
            amount: cbt::Cents(445_280),
            accept_difference: false,
        },
        Actor::Secretariat { name: "S".into() },
    )
    .await
    .expect("paid");
    let other = set(application_fields(), "soort_organisatie", "non_profit");
    let (ct, body) = multipart(&other, None);
    let tariff = handle(&app, post(format!("{page}/wijzigen"), &ct, body)).await;
    assert_eq!(tariff.status(), 409);
    assert!(
        text(&tariff)
            .contains("De soort organisatie en het land van het factuuradres bepalen het bedrag"),
        "{}",
        text(&tariff)
    );

    // No more changes, then withdrawal with its confirmation step.
    let done = handle(
        &app,
        post(
            format!("{page}/klaar"),
            "application/x-www-form-urlencoded",
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(done.status(), 303);
    assert!(text(
        &handle(
            &app,
            Request::get(format!("{page}?gedaan=klaar"))
                .body(Bytes::new())
                .expect("r")
        )
        .await
    )
    .contains("geen wijzigingen meer heeft"));
    let ask = handle(
        &app,
        Request::get(format!("{page}/intrekken"))
            .body(Bytes::new())
            .expect("r"),
    )
    .await;
    assert!(text(&ask).contains("Ja, trek de aanvraag in"));
    let unconfirmed = handle(
        &app,
        post(
            format!("{page}/intrekken"),
            "application/x-www-form-urlencoded",
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(
        unconfirmed.status(),
        303,
        "without the confirmation: back to the question"
    );
    let withdrawn = handle(
        &app,
        post(
            format!("{page}/intrekken"),
            "application/x-www-form-urlencoded",
            b"bevestig=ja".to_vec(),
        ),
    )
    .await;
    assert_eq!(withdrawn.status(), 303);
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("s")
        .expect("case");
    assert_eq!(record.case.state, cbt::case::State::Ingetrokken);
    assert_eq!(record.case.documents.len(), 2);

    // "Stuur mij de link opnieuw": the same answer for a match, a mismatch
    // and an unknown reference; only the match sends, at most 3 a day.
    let before = journey::mails(&dir.path().join("outbox")).len();
    let mut answers = Vec::new();
    for (reference, email) in [
        (reference.as_str(), "JAN.DEVRIES@voorbeeld.nl"),
        (reference.as_str(), "iemand@anders.nl"),
        ("CBT-2027-9999", "jan.devries@voorbeeld.nl"),
        ("' OR 1=1 --", "jan.devries@voorbeeld.nl"),
    ] {
        let body = cbt::sample::urlencoded(&[("referentie", reference), ("email", email)]);
        let r = handle(
            &app,
            post(
                "/mijn-aanvraag/link".into(),
                "application/x-www-form-urlencoded",
                body.into_bytes(),
            ),
        )
        .await;
        answers.push((r.status(), r.headers().get("location").cloned()));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    let sent = journey::mails(&dir.path().join("outbox"));
    let links: Vec<_> = sent
        .iter()
        .skip(before)
        .filter(|m| m.0 == "persoonlijke-link")
        .collect();
    assert_eq!(links.len(), 1, "only the match");
    assert_eq!(links[0].1, "jan.devries@voorbeeld.nl");
    for _ in 0..5 {
        let body = cbt::sample::urlencoded(&[
            ("referentie", &reference),
            ("email", "jan.devries@voorbeeld.nl"),
        ]);
        handle(
            &app,
            post(
                "/mijn-aanvraag/link".into(),
                "application/x-www-form-urlencoded",
                body.into_bytes(),
            ),
        )
        .await;
    }
    let links = journey::mails(&dir.path().join("outbox"))
        .into_iter()
        .filter(|m| m.0 == "persoonlijke-link")
        .count();
    assert_eq!(links, 3, "at most three a day");
    let form = handle(
        &app,
        Request::get("/mijn-aanvraag/link?verstuurd=1")
            .body(Bytes::new())
            .expect("r"),
    )
    .await;
    assert!(text(&form).contains("Als het referentienummer en het e-mailadres bij elkaar horen"));
}

/// A multipart body with one file in the part `document`.
fn document_body(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----cbtdocument";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The form's refusals of `fields` as (field, code), asked as JSON.
async fn refusals<M: Mailer>(app: &LocalApp<M>, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let (ct, body) = multipart(fields, Some(("balanstest.pdf", PDF)));
    let answer = invoke(
        app,
        url_event(
            "POST",
            "/aanvraag",
            "",
            &[
                ("content-type", ct.as_str()),
                ("origin", SITE),
                ("accept", "application/json"),
            ],
            &body,
        ),
    )
    .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    let v: Value = serde_json::from_str(&answer.body).expect("json");
    v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_string(),
                e["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The text of the invoice mail in the outbox of `dir`.
fn invoice_mail(dir: &Path) -> String {
    let name = outbox(dir)
        .into_iter()
        .find(|m| m.ends_with("-factuur.eml"))
        .expect("an invoice mail");
    let raw = std::fs::read(dir.join("outbox").join(name)).expect("mail");
    let mail = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("a mail");
    mail.body_text(0)
        .expect("a text part")
        .replace("\r\n", "\n")
}

/// The mail's text of a golden invoice (`tests/golden/`, written by the
/// root crate's mail tests for invoice 2026-0007), numbered as `number`.
fn golden_invoice_text(name: &str, number: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden")
        .join(format!("{name}.txt"));
    let golden = std::fs::read_to_string(&path).expect("golden invoice");
    let (_, rest) = golden.split_once("\n\n").expect("headers, then text");
    let (text, _) = rest.split_once("\n\n--- PDF ---").expect("text, then PDF");
    text.replace("2026-0007", number)
}

/// Four kinds of applicant apply through the handler: each gets its own
/// form checks, the check page says what it will pay, and the invoice it
/// is sent is its golden invoice. A Belgian company with a btw-id: the VAT
/// reverse-charged, both btw-ids; a German non-profit without one: 21%; a
/// Swiss company: no Dutch VAT; a Dutch foundation: 21% on the
/// non-profit fee.
#[tokio::test]
async fn four_kinds_of_applicant_apply_and_get_their_invoice() {
    use cbt::sample::applicants;
    type Fields = Vec<(&'static str, &'static str)>;
    struct Case {
        golden: &'static str,
        fields: Fields,
        /// What the check page shows of what is paid.
        pays: &'static [&'static str],
        /// A change the form refuses, and its refusals.
        wrong: &'static [(&'static str, &'static str)],
        refused: &'static [(&'static str, &'static str)],
    }
    let cases = [
        Case {
            golden: "factuur-belgie",
            fields: applicants::belgian_company(),
            pays: &["€\u{a0}3.680,00", "Btw: geen Nederlandse btw. Btw verlegd"],
            // No registration number, and a German btw-id for a Belgian
            // address.
            wrong: &[("registratienummer", ""), ("btw_nummer", "DE123456789")],
            refused: &[
                ("registratienummer", "required"),
                ("btw_nummer", "other_country"),
            ],
        },
        Case {
            golden: "factuur-duitsland",
            fields: applicants::german_non_profit(),
            pays: &[
                "Btw (21%): €\u{a0}627,90",
                "Totaal incl. btw: €\u{a0}3.617,90",
            ],
            // No registration number; a KvK number is not what is asked.
            wrong: &[("registratienummer", ""), ("kvk_nummer", "12345678")],
            refused: &[("registratienummer", "required")],
        },
        Case {
            golden: "factuur-zwitserland",
            fields: applicants::swiss_company(),
            pays: &[
                "€\u{a0}3.680,00",
                "de dienst is belast in het land van de afnemer",
            ],
            // A Swiss MWST number is not a btw-id of the EU.
            wrong: &[("btw_nummer", "CHE-123.456.789 MWST")],
            refused: &[("btw_nummer", "other_country")],
        },
        Case {
            golden: "factuur-nederland",
            fields: applicants::dutch_foundation(),
            pays: &[
                "Btw (21%): €\u{a0}627,90",
                "Totaal incl. btw: €\u{a0}3.617,90",
            ],
            // A Dutch organisation gives its KvK number, in the Dutch
            // postcode format.
            wrong: &[("kvk_nummer", ""), ("factuur_postcode", "1015")],
            refused: &[("kvk_nummer", "required"), ("factuur_postcode", "invalid")],
        },
    ];
    for case in cases {
        let dir = tempfile::tempdir().expect("dir");
        let app = app(dir.path());
        let mut wrong = case.fields.clone();
        for (k, v) in case.wrong {
            wrong = set(wrong, k, v);
        }
        let got = refusals(&app, &wrong).await;
        let want: Vec<(String, String)> = case
            .refused
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, want, "{}", case.golden);

        let check = post_application(&app, &case.fields, Some(("balanstest.pdf", PDF))).await;
        assert_eq!(check.status, 200, "{}: {}", case.golden, check.body);
        for says in case.pays {
            assert!(
                check.body.contains(says),
                "{}: {says}\n{}",
                case.golden,
                check.body
            );
        }
        assert!(check.body.contains("gaat u een betalingsverplichting aan"));
        let id = draft_id(&check.body);
        let done = confirm(&app, &id).await;
        assert_eq!(done.status, 303, "{}: {}", case.golden, done.body);
        journey::confirm_addresses(&app, &dir.path().join("outbox")).await;
        assert_eq!(
            invoice_mail(dir.path()).trim_end(),
            golden_invoice_text(case.golden, "2026-0001").trim_end(),
            "{}",
            case.golden
        );
        let kept = app
            .files
            .get("invoices/factuur-2026-0001.pdf")
            .await
            .expect("files")
            .expect("the invoice as sent is kept");
        assert!(kept.starts_with(b"%PDF-"));
    }
}

mod abuse;

/// An app as deployed: behind CloudFront (the origin secret), every limit
/// at its default.
fn deployed(dir: &Path) -> LocalApp {
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", "noreply@balanstoetstelemarketing.nl"),
        ("SITE_URL", SITE),
        ("ORIGIN_VERIFY_SECRET", abuse::SECRET),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    App {
        config: Config::from_vars(&vars).expect("config"),
        ..app(dir)
    }
}

/// Issue 15's abuse run on the local adapters: no stranger gets the
/// sender's words, more mails than the limit, or an invoice.
#[tokio::test]
async fn local_abuse_run() {
    let dir = tempfile::tempdir().expect("dir");
    let app = deployed(dir.path());
    let figures = abuse::run(&app, &dir.path().join("outbox")).await;
    println!("abuse run, local adapters: {figures:#?}");
    abuse::holds(&figures, app.config.mails_per_address_per_day);
}

/// A post from the browser carries a solved stamp; without one (no
/// JavaScript, a script) or with one used before, it counts against the
/// stricter limit.
#[tokio::test]
async fn posts_without_a_solved_challenge_meet_a_stricter_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    app.config.rate_limit_unsolved_per_hour = 2;
    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            invoke(
                app,
                url_event(
                    "POST",
                    "/contact",
                    "",
                    &browser_headers("application/x-www-form-urlencoded"),
                    cbt::sample::urlencoded(&fields).as_bytes(),
                ),
            )
            .await
            .status
        }
    };
    let contact = || -> Vec<(&'static str, String)> {
        cbt::sample::contact_fields()
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect()
    };
    let with_stamp = |salt: &str| {
        let mut f = contact();
        f.push((
            cbt_function::challenge::FIELD,
            cbt_function::challenge::solve(now(), salt),
        ));
        f
    };
    assert_eq!(post(contact()).await, 303);
    assert_eq!(post(contact()).await, 303);
    assert_eq!(post(contact()).await, 429, "the third without a stamp");
    // Solved stamps pass the stricter limit ...
    let stamped = with_stamp("aaaaaaaa");
    assert_eq!(post(stamped.clone()).await, 303);
    assert_eq!(post(with_stamp("bbbbbbbb")).await, 303);
    // ... each once: a stamp posted again counts as none.
    assert_eq!(post(stamped).await, 429);
    // A stamp too easy or too old is none either.
    let mut old = contact();
    old.push((
        cbt_function::challenge::FIELD,
        cbt_function::challenge::solve(now() - chrono::Duration::hours(3), "cccccccc"),
    ));
    assert_eq!(post(old).await, 429);
    // Solved or not, the visitor's limit of all posts holds.
    for salt in ["d", "e", "f", "g", "h", "i"] {
        post(with_stamp(&format!(
            "{salt}{salt}{salt}{salt}{salt}{salt}{salt}{salt}"
        )))
        .await;
    }
    assert_eq!(post(with_stamp("zzzzzzzz")).await, 429);
}

/// An IPv6 visitor is its /64: rotating through it counts as one; the
/// next /64 is another visitor. Directly and behind CloudFront.
#[tokio::test]
async fn ipv6_visitors_are_counted_by_their_64() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    app.config.rate_limit_per_hour = 3;
    let body = cbt::sample::urlencoded(&cbt::sample::contact_fields());
    let from = |ip: &str| {
        let mut e = url_event(
            "POST",
            "/contact",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        );
        e["requestContext"]["http"]["sourceIp"] = Value::String(ip.into());
        e
    };
    for n in 1..=3 {
        let a = invoke(&app, from(&format!("2001:db8:7:8::{n}"))).await;
        assert_eq!(a.status, 303, "{n}");
    }
    let a = invoke(&app, from("2001:db8:7:8:ffff:ffff:ffff:ffff")).await;
    assert_eq!(a.status, 429, "the same /64");
    assert_eq!(invoke(&app, from("2001:db8:7:9::1")).await.status, 303);
    // IPv4 by address.
    for n in 1..=3 {
        assert_eq!(invoke(&app, from("192.0.2.10")).await.status, 303, "{n}");
    }
    assert_eq!(invoke(&app, from("192.0.2.10")).await.status, 429);
    assert_eq!(invoke(&app, from("192.0.2.11")).await.status, 303);
}

/// One address gets no more mails a day from the forms than the limit,
/// whoever posts, over all forms: the contact form's acknowledgement (the
/// message still reaches the secretariat, and the page says no
/// acknowledgement came), the address check, a new personal link. The
/// next day in Amsterdam it may have them again.
#[tokio::test]
async fn an_address_gets_a_few_mails_a_day_over_all_forms() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    app.config.rate_limit_per_hour = 1000;
    assert_eq!(app.config.mails_per_address_per_day, 4);
    let to_victim = |kind: &str| {
        outbox(dir.path())
            .iter()
            .filter(|m| m.ends_with(&format!("-{kind}.eml")))
            .count()
    };
    let contact = cbt::sample::urlencoded(&set(
        cbt::sample::contact_fields(),
        "email",
        "jan.devries@voorbeeld.nl",
    ));
    let post_contact = || {
        invoke(
            &app,
            url_event(
                "POST",
                "/contact",
                "",
                &browser_headers("application/x-www-form-urlencoded"),
                contact.as_bytes(),
            ),
        )
    };
    // Two acknowledgements ...
    for _ in 0..2 {
        let a = post_contact().await;
        assert_eq!(
            a.headers.get("location").map(String::as_str),
            Some("/contact/bedankt")
        );
    }
    // ... and an application with that contact address: the address check
    // is the third mail to it (the invoice address has its own count).
    let check = post_application(&app, &application_fields(), Some(("b.pdf", PDF))).await;
    let id = draft_id(&check.body);
    assert_eq!(confirm(&app, &id).await.status, 303);
    assert_eq!(to_victim("adres-bevestigen"), 1);
    // The fourth; then none.
    assert_eq!(post_contact().await.status, 303);
    let a = post_contact().await;
    assert_eq!(
        a.headers.get("location").map(String::as_str),
        Some("/contact/bedankt?bevestiging=nee")
    );
    assert_eq!(to_victim("contact-ontvangst"), 3);
    assert_eq!(
        to_victim("contact-secretariaat"),
        4,
        "the secretariat has every message"
    );
    let thanks = get_page(&app, "/contact/bedankt", "bevestiging=nee").await;
    assert!(thanks
        .body
        .contains("Een bevestiging per e-mail sturen wij niet"));
    // Asking the address check again is refused, plainly.
    let again = confirm(&app, &id).await;
    assert_eq!(again.status, 429, "{}", again.body);
    assert!(again
        .body
        .contains("Naar jan.devries@voorbeeld.nl zijn vandaag al"));
    assert_eq!(to_victim("adres-bevestigen"), 1);
    // The next day in Amsterdam (00:00 there is 23:00 UTC).
    app.clock = Clock::Fixed(
        Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0)
            .single()
            .expect("time"),
    );
    assert_eq!(confirm(&app, &id).await.status, 303);
    assert_eq!(to_victim("adres-bevestigen"), 2);
}

/// A page of the function passes the same door as a post: without
/// CloudFront's secret 403, and a visitor's pages are limited. A draft id
/// or a link of another shape is a 404 that never reaches the store (a
/// 5,000-character one was a 503 and an error log). HEAD is answered as
/// GET is, without the body.
#[tokio::test]
async fn pages_pass_the_origin_secret_and_a_limit_and_odd_ids_are_404() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    app.config.origin_secret = Some("a-long-enough-secret-value".into());
    app.config.rate_limit_pages_per_hour = 3;
    let page = |method: &str, path: &str, query: &str, secret: bool| {
        let mut headers = vec![("accept", "text/html")];
        if secret {
            headers.push(("x-origin-verify", "a-long-enough-secret-value"));
        }
        url_event(method, path, query, &headers, b"")
    };
    let a = invoke(&app, page("GET", "/contact/bedankt", "", false)).await;
    assert_eq!(a.status, 403, "straight to the Function URL");
    let a = invoke(&app, page("GET", "/contact/bedankt", "", true)).await;
    assert_eq!(a.status, 200);
    let head = invoke(&app, page("HEAD", "/contact/bedankt", "", true)).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert_eq!(
        head.headers.get("content-type"),
        a.headers.get("content-type")
    );
    let long = "a".repeat(5000);
    let a = invoke(
        &app,
        page(
            "GET",
            "/aanvraag/ontvangen",
            &format!("concept={long}"),
            true,
        ),
    )
    .await;
    assert_eq!(a.status, 404);
    let a = invoke(&app, page("GET", "/aanvraag/wijzigen", "concept=x", true)).await;
    assert_eq!(a.status, 429, "the fourth page this hour");
    assert!(a.body.contains("te veel pagina"));

    // Odd ids never reach the store: one that fails on them answers 404.
    let strict = App {
        store: Strict(LocalStore::new(dir.path())),
        rules: app.rules.clone(),
        templates: app.templates.clone(),
        config: config(),
        mailer: Outbox::new(dir.path()),
        files: LocalFiles::new(dir.path()),
        clock: Clock::Fixed(now()),
    };
    for (method, path, query) in [
        ("GET", "/aanvraag/ontvangen", format!("concept={long}")),
        ("HEAD", "/aanvraag/ontvangen", format!("concept={long}")),
        ("GET", "/aanvraag/controle", format!("concept={long}")),
        ("GET", "/aanvraag/wijzigen", "concept=%00%01".to_string()),
        ("GET", &format!("/mijn-aanvraag/{long}"), String::new()),
        ("GET", &format!("/aanvraag/adres/{long}"), String::new()),
    ] {
        let a = invoke(&strict, page(method, path, &query, false)).await;
        assert_eq!(a.status, 404, "{method} {path}?{}", query.len());
    }
    let a = invoke(
        &strict,
        url_event(
            "POST",
            "/aanvraag/bevestig",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            format!("concept={long}").as_bytes(),
        ),
    )
    .await;
    assert_eq!(a.status, 404);
    // A change posted to an odd draft id: the same.
    let (ct, body) = multipart(&application_fields(), Some(("b.pdf", PDF)));
    let a = invoke(
        &strict,
        url_event(
            "POST",
            "/aanvraag",
            &format!("concept={long}"),
            &browser_headers(&ct),
            &body,
        ),
    )
    .await;
    assert_eq!(a.status, 404);
}

/// A store that fails, as DynamoDB does, on a key longer than any of ours.
struct Strict(LocalStore);

fn too_long(key: &str) -> Result<(), StoreError> {
    if key.len() > 100 {
        return Err(StoreError::Unavailable(format!(
            "key of {} bytes: too large",
            key.len()
        )));
    }
    Ok(())
}

impl Store for Strict {
    async fn staff(&self) -> Result<StaffList, StoreError> {
        self.0.staff().await
    }
    async fn save_staff(&self, l: &StaffList) -> Result<(), StoreError> {
        self.0.save_staff(l).await
    }
    async fn put_sign_in(&self, l: &SignInLink) -> Result<(), StoreError> {
        self.0.put_sign_in(l).await
    }
    async fn take_sign_in(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignInLink>, StoreError> {
        too_long(hash)?;
        self.0.take_sign_in(hash, now).await
    }
    async fn put_session(&self, s: &Session) -> Result<(), StoreError> {
        self.0.put_session(s).await
    }
    async fn session(&self, hash: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        too_long(hash)?;
        self.0.session(hash, now).await
    }
    async fn end_session(&self, hash: &str) -> Result<(), StoreError> {
        self.0.end_session(hash).await
    }
    async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        self.0.audit(e).await
    }
    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.0.audit_log(limit).await
    }
    async fn claim_bank_entry(&self, e: &BankEntry) -> Result<bool, StoreError> {
        self.0.claim_bank_entry(e).await
    }
    async fn put_passkey(&self, p: &PasskeyRecord) -> Result<(), StoreError> {
        self.0.put_passkey(p).await
    }
    async fn passkeys(&self, user: &str) -> Result<Vec<PasskeyRecord>, StoreError> {
        self.0.passkeys(user).await
    }
    async fn delete_passkey(&self, user: &str, id: &str) -> Result<(), StoreError> {
        self.0.delete_passkey(user, id).await
    }
    async fn put_ceremony(&self, c: &Ceremony) -> Result<(), StoreError> {
        self.0.put_ceremony(c).await
    }
    async fn take_ceremony(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Ceremony>, StoreError> {
        self.0.take_ceremony(hash, now).await
    }
    async fn put_draft(&self, d: &Draft) -> Result<(), StoreError> {
        self.0.put_draft(d).await
    }
    async fn get_draft(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Draft>, StoreError> {
        too_long(id)?;
        self.0.get_draft(id, now).await
    }
    async fn submit_draft(&self, d: &Draft, m: &[PendingMail]) -> Result<bool, StoreError> {
        self.0.submit_draft(d, m).await
    }
    async fn put_address_link(&self, l: &AddressLink) -> Result<(), StoreError> {
        self.0.put_address_link(l).await
    }
    async fn address_link(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AddressLink>, StoreError> {
        too_long(hash)?;
        self.0.address_link(hash, now).await
    }
    async fn confirm_address(
        &self,
        id: &str,
        role: cbt::address_check::AddressRole,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.0.confirm_address(id, role, at, expires).await
    }
    async fn confirm(&self, t: &ToFile) -> Result<Confirmed, StoreError> {
        self.0.confirm(t).await
    }
    async fn get_confirmed(&self, id: &str) -> Result<Option<cbt::case::Case>, StoreError> {
        too_long(id)?;
        self.0.get_confirmed(id).await
    }
    async fn get_case(&self, r: &str) -> Result<Option<CaseRecord>, StoreError> {
        too_long(r)?;
        self.0.get_case(r).await
    }
    async fn transition(&self, t: &Transition) -> Result<(), StoreError> {
        self.0.transition(t).await
    }
    async fn cases_in(&self, s: cbt::case::State) -> Result<Vec<cbt::case::Case>, StoreError> {
        self.0.cases_in(s).await
    }
    async fn all_cases(&self) -> Result<Vec<cbt::case::Case>, StoreError> {
        self.0.all_cases().await
    }
    async fn assign_credit_note(
        &self,
        r: &str,
        year: i32,
    ) -> Result<cbt::invoice::InvoiceNumber, StoreError> {
        self.0.assign_credit_note(r, year).await
    }
    async fn credit_note_of(
        &self,
        r: &str,
    ) -> Result<Option<cbt::invoice::InvoiceNumber>, StoreError> {
        self.0.credit_note_of(r).await
    }
    async fn remove_case(&self, r: &str) -> Result<(), StoreError> {
        self.0.remove_case(r).await
    }
    async fn put_token(&self, t: &Token) -> Result<(), StoreError> {
        self.0.put_token(t).await
    }
    async fn token_case(&self, hash: &str) -> Result<Option<String>, StoreError> {
        too_long(hash)?;
        self.0.token_case(hash).await
    }
    async fn claim_digest(
        &self,
        d: chrono::NaiveDate,
        s: &str,
        m: &[PendingMail],
    ) -> Result<bool, StoreError> {
        self.0.claim_digest(d, s, m).await
    }
    async fn get_digest(&self, d: chrono::NaiveDate) -> Result<Option<String>, StoreError> {
        self.0.get_digest(d).await
    }
    async fn put_contact(&self, c: &ContactMessage, m: &[MailKind]) -> Result<(), StoreError> {
        self.0.put_contact(c, m).await
    }
    async fn get_contact(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ContactMessage>, StoreError> {
        self.0.get_contact(id, now).await
    }
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        self.0.purge_expired(now).await
    }
    async fn pending_mails(&self) -> Result<Vec<PendingMail>, StoreError> {
        self.0.pending_mails().await
    }
    async fn mail_sent(&self, m: &PendingMail, id: &str) -> Result<(), StoreError> {
        self.0.mail_sent(m, id).await
    }
    async fn claim_mail(
        &self,
        m: &PendingMail,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.0.claim_mail(m, now, until).await
    }
    async fn release_mail(&self, m: &PendingMail) -> Result<(), StoreError> {
        self.0.release_mail(m).await
    }
    async fn sent_mails(&self, o: &Owner) -> Result<Vec<SentMail>, StoreError> {
        self.0.sent_mails(o).await
    }
    async fn sent_mail(&self, id: &str) -> Result<Option<SentMail>, StoreError> {
        self.0.sent_mail(id).await
    }
    async fn record_report(
        &self,
        id: &str,
        r: &Report,
        n: Option<&PendingMail>,
    ) -> Result<Recorded, StoreError> {
        self.0.record_report(id, r, n).await
    }
    async fn count_post(
        &self,
        key: &str,
        start: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.0.count_post(key, start, expires).await
    }
}

/// The invoice's reference takes a purchase-order number; a sentence is
/// refused at the form, with a clear message, and reaches no mail.
#[tokio::test]
async fn the_invoice_reference_takes_a_purchase_order_number() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let warning = "LET OP: ons IBAN is gewijzigd, betaal op NL12 EVIL 0123 4567 89";
    let fields = set(application_fields(), "factuur_extra", warning);
    let a = post_application(&app, &fields, Some(("b.pdf", PDF))).await;
    assert_eq!(a.status, 422);
    assert!(a
        .body
        .contains("Vul alleen een kenmerk in zoals een inkoopordernummer"));
    let fields = set(application_fields(), "factuur_extra", "PO 2026/0042");
    assert_eq!(
        post_application(&app, &fields, Some(("b.pdf", PDF)))
            .await
            .status,
        200
    );
    assert!(outbox(dir.path()).is_empty());
}

/// A Word document with macros (a .docm as .docx) is refused at the form.
#[tokio::test]
async fn a_document_with_macros_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let docm = cbt::sample::docm();
    let a = post_application(
        &app,
        &application_fields(),
        Some(("balanstest.docx", &docm)),
    )
    .await;
    assert_eq!(a.status, 422);
    assert!(a.body.contains("Het bestand bevat macro"), "{}", a.body);
    let inventory = cbt_function::adapters::local::inventory(dir.path()).await;
    assert!(
        !inventory.contains_key("drafts"),
        "nothing kept: {inventory:?}"
    );
}

/// A field too long comes back at its maximum: a post of nearly a megabyte
/// of `"` is answered with a page of modest size, not six times the post.
#[tokio::test]
async fn a_too_long_answer_is_echoed_at_its_maximum_length() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let quotes = "\"".repeat(900_000);
    let fields = set(application_fields(), "motivering", &quotes);
    let a = post_application(&app, &fields, None).await;
    assert_eq!(a.status, 422);
    assert!(a.body.contains("maximaal 2.000 tekens"));
    assert!(
        a.body.len() < 150_000,
        "{} bytes answer a post of 900,000 quotes",
        a.body.len()
    );
}

/// A name with an encoded word is refused: mail programs would decode it
/// into line breaks and direction overrides in the secretariat's inbox.
#[tokio::test]
async fn an_encoded_word_in_a_name_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let body = cbt::sample::urlencoded(&set(
        cbt::sample::contact_fields(),
        "naam",
        "=?utf-8?q?Eva=0D=0ABcc:_x@evil.example?=",
    ));
    let a = invoke(
        &app,
        url_event(
            "POST",
            "/contact",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        ),
    )
    .await;
    assert_eq!(a.status, 422);
    assert!(a.body.contains("mag de tekencombinatie “=?” niet bevatten"));
    assert!(outbox(dir.path()).is_empty());
}

/// Files whose every scan says `verdict`, over the local folder.
struct Scanned {
    inner: LocalFiles,
    verdict: std::sync::Mutex<Scan>,
}

impl Files for Scanned {
    async fn put(&self, key: &str, bytes: &[u8], ct: &str) -> Result<(), FilesError> {
        self.inner.put(key, bytes, ct).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, FilesError> {
        self.inner.get(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), FilesError> {
        self.inner.delete(key).await
    }
    async fn scan(&self, _: &str) -> Result<Scan, FilesError> {
        Ok(self.verdict.lock().expect("lock").clone())
    }
}

/// The local app, its files' scans all saying `verdict`.
fn scanned(dir: &Path, verdict: Scan) -> App<LocalStore, Outbox, Scanned> {
    let local = app(dir);
    App {
        rules: local.rules,
        templates: local.templates,
        config: local.config,
        store: local.store,
        mailer: local.mailer,
        files: Scanned {
            inner: LocalFiles::new(dir),
            verdict: std::sync::Mutex::new(verdict),
        },
        clock: local.clock,
    }
}

/// Files an application and confirms its addresses; the secretariat's
/// mail as it went out, if it did.
async fn file_one<F: Files>(
    app: &App<LocalStore, Outbox, F>,
    dir: &Path,
    document: &[u8],
) -> Option<String> {
    let (ct, body) = multipart(&application_fields(), Some(("b.pdf", document)));
    let check = invoke(
        app,
        url_event("POST", "/aanvraag", "", &browser_headers(&ct), &body),
    )
    .await;
    assert_eq!(check.status, 303, "{}", check.body);
    let id = check
        .headers
        .get("location")
        .and_then(|l| l.split("concept=").nth(1))
        .expect("the check page's address");
    let body = format!("concept={id}");
    let sent = invoke(
        app,
        url_event(
            "POST",
            "/aanvraag/bevestig",
            "",
            &browser_headers("application/x-www-form-urlencoded"),
            body.as_bytes(),
        ),
    )
    .await;
    assert_eq!(sent.status, 303);
    journey::confirm_addresses(app, &dir.join("outbox")).await;
    secretariat_mail(dir)
}

fn secretariat_mail(dir: &Path) -> Option<String> {
    abuse::outbox_mails(&dir.join("outbox"))
        .into_iter()
        .rfind(|m| m.kind == "aanvraag-secretariaat")
        .map(|m| m.text)
}

/// The secretariat's mail of a new application waits for the document's
/// malware scan: attached when clean; while pending it waits (the retry
/// tries again), and after half an hour goes without it, saying so; a
/// threat or a failed scan is never attached, and said plainly. Locally
/// the scan knows the EICAR test file.
#[tokio::test]
async fn the_secretariats_mail_waits_for_the_malware_scan() {
    // Locally: clean is attached, EICAR is a threat.
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let text = file_one(&app, dir.path(), PDF).await.expect("sent at once");
    assert!(text.contains("Scan op malware: niets gevonden."), "{text}");
    assert!(text.contains("(bijgevoegd)"));
    let mut infected = PDF.to_vec();
    infected.extend_from_slice(cbt_function::adapters::local::EICAR);
    infected.extend_from_slice(b"\n%%EOF\n");
    let text = file_one(&app, dir.path(), &infected).await.expect("sent");
    assert!(text.contains("er is malware gevonden"), "{text}");
    assert!(text.contains("(niet bijgevoegd)") && text.contains("applications/"));
    let raw = std::fs::read_dir(dir.path().join("outbox"))
        .expect("outbox")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with("aanvraag-secretariaat.eml")
        })
        .map(|e| std::fs::read_to_string(e.path()).expect("mail"))
        .find(|m| m.contains("malware gevonden"))
        .expect("the mail");
    assert!(
        !raw.contains("Content-Disposition: attachment"),
        "not attached"
    );

    // GuardDuty's verdict pending: the mail waits, then goes without.
    let dir = tempfile::tempdir().expect("dir");
    let mut app = scanned(dir.path(), Scan::Pending);
    assert_eq!(file_one(&app, dir.path(), PDF).await, None, "it waits");
    let pending = app.store.pending_mails().await.expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind, MailKind::ApplicationSecretariat);
    app.clock = Clock::Fixed(now() + chrono::Duration::minutes(15));
    assert_eq!(retry_pending(&app).await.expect("retry").sent, 0);
    *app.files.verdict.lock().expect("lock") = Scan::Clean;
    assert_eq!(retry_pending(&app).await.expect("retry").sent, 1);
    assert!(secretariat_mail(dir.path())
        .expect("sent")
        .contains("niets gevonden"));

    for (verdict, says) in [
        (Scan::Pending, "na 30 minuten nog geen uitslag"),
        (Scan::Failed("UNSUPPORTED".into()), "mislukt (UNSUPPORTED)"),
        (Scan::NotScanned, "niet gescand: de scan staat uit"),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let mut app = scanned(dir.path(), verdict.clone());
        if verdict == Scan::Pending {
            assert_eq!(file_one(&app, dir.path(), PDF).await, None);
            app.clock = Clock::Fixed(now() + chrono::Duration::minutes(30));
            assert_eq!(retry_pending(&app).await.expect("retry").sent, 1);
        } else {
            file_one(&app, dir.path(), PDF).await;
        }
        let text = secretariat_mail(dir.path()).expect("sent");
        assert!(text.contains(says), "{verdict:?}: {text}");
        assert_eq!(
            text.contains("(bijgevoegd)"),
            verdict == Scan::NotScanned,
            "{verdict:?}"
        );
    }
}
