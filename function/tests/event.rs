//! The Lambda payload to a request and back (`event.rs`), with the events
//! as they really arrive: from a Function URL, an HTTP API, and
//! `cargo lambda watch` (captured from cargo-lambda 1.9.2), with `null` and
//! missing fields, and bodies that are not what they claim.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};
use cbt_function::config::Config;
use cbt_function::event::{from_response, handle_event, to_request, EventError};
use cbt_function::handler::{App, Clock, SOURCE_IP_HEADER};
use chrono::{TimeZone, Utc};
use http::Response;
use serde_json::{json, Value};

const SITE: &str = "https://www.balanstoetstelemarketing.nl";
const CONTACT_FORM: &str =
    "naam=Els+Jansen&email=els%40voorbeeld.nl&onderwerp=Vraag&bericht=Hoe+lang+duurt+het%3F&akkoord_privacy=ja&website=";

type LocalApp = App<LocalStore, Outbox, LocalFiles>;

fn app(dir: &Path) -> LocalApp {
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", "noreply@balanstoetstelemarketing.nl"),
        ("SITE_URL", SITE),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    App {
        rules: Arc::new(cbt::embedded_rules().expect("rules")),
        templates: Arc::new(cbt::templates::Templates::embedded().expect("templates")),
        config: Config::from_vars(&vars).expect("config"),
        store: LocalStore::new(dir),
        mailer: Outbox::new(dir),
        files: LocalFiles::new(dir),
        clock: Clock::Fixed(
            Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0)
                .single()
                .expect("time"),
        ),
    }
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
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

fn header<'a>(out: &'a Value, name: &str) -> Option<&'a str> {
    out["headers"][name].as_str()
}

fn status(out: &Value) -> u64 {
    out["statusCode"].as_u64().expect("statusCode")
}

fn body(out: &Value) -> &str {
    out["body"].as_str().expect("body")
}

/// A GET of the thank-you page as a Function URL event, before any field is
/// set to `null`.
fn thanks_event() -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": "/contact/bedankt", "rawQueryString": "",
        "headers": { "accept": "text/html" }, "cookies": ["a=b"], "queryStringParameters": {},
        "requestContext": {
            "requestId": "req-null", "timeEpoch": 1795860000000_i64,
            "http": { "method": "GET", "path": "/contact/bedankt", "sourceIp": "203.0.113.7" }
        },
        "body": "", "isBase64Encoded": false
    })
}

#[tokio::test]
async fn the_form_post_of_cargo_lambda_watch_is_answered() {
    let event = fixture("cargo-lambda-watch-contact.json");
    // What broke the hand-written structs: no query is `null`, not "".
    assert_eq!(event["rawQueryString"], Value::Null);
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let out = handle_event(&app, event).await;
    assert_eq!(status(&out), 303, "{}", body(&out));
    assert_eq!(header(&out, "location"), Some("/contact/bedankt"));
    let mails = outbox(dir.path());
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(
        mails.iter().any(|m| m.contains("contact-secretariaat"))
            && mails.iter().any(|m| m.contains("contact-ontvangst"))
    );
    // cargo lambda watch reads the answer as a payload 2.0 response whose
    // `cookies` it requires; without the field every answer is its 500.
    assert_eq!(out["cookies"], json!([]));
    assert_eq!(out["isBase64Encoded"], json!(false));

    let (request, request_id) =
        to_request(fixture("cargo-lambda-watch-contact.json")).expect("request");
    assert_eq!(
        request.method(),
        http::Method::POST,
        "not the top-level GET"
    );
    assert_eq!(request.uri(), "/contact");
    assert_eq!(
        request
            .headers()
            .get(SOURCE_IP_HEADER)
            .map(|v| v.as_bytes()),
        Some(&b"127.0.0.1"[..])
    );
    assert_eq!(request.body(), CONTACT_FORM.as_bytes());
    assert_eq!(request_id, "4975418f-9bb7-4e53-86fd-baa87ea7ab9c");
}

#[tokio::test]
async fn null_where_aws_may_send_it_is_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    for field in [
        "body",
        "headers",
        "cookies",
        "rawQueryString",
        "queryStringParameters",
    ] {
        let mut event = thanks_event();
        event[field] = Value::Null;
        let out = handle_event(&app, event).await;
        assert_eq!(status(&out), 200, "{field}: null: {}", body(&out));
        assert!(body(&out).contains("Bedankt voor uw bericht"), "{field}");
    }
    // All at once, and the optional ones left out instead.
    let mut event = thanks_event();
    for field in ["body", "headers", "cookies", "rawQueryString"] {
        event[field] = Value::Null;
    }
    assert_eq!(status(&handle_event(&app, event).await), 200);
    let mut event = thanks_event();
    let map = event.as_object_mut().expect("object");
    for field in [
        "body",
        "headers",
        "cookies",
        "rawQueryString",
        "queryStringParameters",
        "isBase64Encoded",
    ] {
        map.remove(field);
    }
    assert_eq!(status(&handle_event(&app, event).await), 200);

    // A null body is an empty one, base64 or not.
    let mut event = thanks_event();
    event["body"] = Value::Null;
    event["isBase64Encoded"] = json!(true);
    let (request, _) = to_request(event).expect("request");
    assert!(request.body().is_empty());
}

#[tokio::test]
async fn a_missing_is_base64_encoded_is_a_plain_body() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let mut event = fixture("http-api-contact.json");
    event
        .as_object_mut()
        .expect("object")
        .remove("isBase64Encoded");
    let out = handle_event(&app, event).await;
    assert_eq!(status(&out), 200, "{}", body(&out));
    assert_eq!(body(&out), r#"{"status":"received"}"#);
    assert_eq!(outbox(dir.path()).len(), 2);
}

#[tokio::test]
async fn an_http_api_event_keeps_cookies_path_and_query_as_sent() {
    let mut event = fixture("http-api-contact.json");
    event["cookies"] = json!(["a=b", "c=d%20e"]);
    event["rawPath"] = json!("/aanvraag/wijzigen");
    event["rawQueryString"] = json!("concept=a%2Fb&x=%20y+z");
    event["headers"]["x-cbt-source-ip"] = json!("6.6.6.6");
    let (request, request_id) = to_request(event).expect("request");
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(
        request.uri().path_and_query().map(|p| p.as_str()),
        Some("/aanvraag/wijzigen?concept=a%2Fb&x=%20y+z")
    );
    assert_eq!(
        request
            .headers()
            .get(http::header::COOKIE)
            .map(|v| v.as_bytes()),
        Some(&b"a=b; c=d%20e"[..])
    );
    let ips: Vec<_> = request.headers().get_all(SOURCE_IP_HEADER).iter().collect();
    assert_eq!(ips, ["198.51.100.9"], "the client's own copy is dropped");
    assert_eq!(request_id, "JKJaXmPLvHcESHA=");
    assert_eq!(
        request.headers().get("origin").map(|v| v.as_bytes()),
        Some(SITE.as_bytes())
    );
}

#[tokio::test]
async fn a_function_url_event_replaces_the_source_ip_the_client_sent() {
    let (request, _) = to_request(fixture("function-url-contact.json")).expect("request");
    let ips: Vec<_> = request.headers().get_all(SOURCE_IP_HEADER).iter().collect();
    assert_eq!(ips, ["203.0.113.7"]);
    assert_eq!(request.uri(), "/contact");
    assert_eq!(request.body(), CONTACT_FORM.as_bytes());

    // Without a source in the context there is none, rather than the client's.
    let mut event = fixture("function-url-contact.json");
    event["requestContext"]["http"]["sourceIp"] = Value::Null;
    let (request, _) = to_request(event).expect("request");
    assert!(request.headers().get(SOURCE_IP_HEADER).is_none());
}

#[tokio::test]
async fn a_body_marked_base64_that_is_not_is_a_400_page() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    for broken in ["***not base64***", "bmFhbT1", "naam=Els&x=ü"] {
        for name in [
            "function-url-contact.json",
            "cargo-lambda-watch-contact.json",
        ] {
            let mut event = fixture(name);
            event["body"] = json!(broken);
            assert!(matches!(
                to_request(event.clone()),
                Err(EventError::BadBase64(_))
            ));
            let out = handle_event(&app, event).await;
            assert_eq!(status(&out), 400, "{name}: {broken}");
            assert!(body(&out).contains("beschadigd"));
            assert_eq!(
                header(&out, "content-type"),
                Some("text/html; charset=utf-8")
            );
        }
    }
    assert!(outbox(dir.path()).is_empty());
}

#[tokio::test]
async fn what_is_not_an_http_event_is_a_400_page() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let mut no_method = thanks_event();
    no_method["requestContext"]["http"]
        .as_object_mut()
        .expect("object")
        .remove("method");
    for event in [
        json!({ "hello": "world" }),
        json!(null),
        json!("GET /"),
        no_method,
    ] {
        assert!(matches!(
            to_request(event.clone()),
            Err(EventError::NotHttp(_))
        ));
        let out = handle_event(&app, event).await;
        assert_eq!(status(&out), 400);
    }
}

#[test]
fn the_response_is_a_function_url_response() {
    let response = Response::builder()
        .status(303)
        .header("location", "/contact/bedankt")
        .header("vary", "accept")
        .header("vary", "origin")
        .header("set-cookie", "a=b; Secure")
        .header("set-cookie", "c=d; Secure")
        .body(Bytes::new())
        .expect("response");
    let out = from_response(response);
    assert_eq!(
        out,
        json!({
            "statusCode": 303,
            "headers": { "location": "/contact/bedankt", "vary": "accept, origin" },
            "cookies": ["a=b; Secure", "c=d; Secure"],
            "body": "",
            "isBase64Encoded": false
        })
    );

    let pdf = b"%PDF-1.4\n\xff\xfe";
    let response = Response::builder()
        .header("content-type", "application/pdf")
        .body(Bytes::from_static(pdf))
        .expect("response");
    let out = from_response(response);
    assert_eq!(out["isBase64Encoded"], json!(true));
    assert_eq!(out["body"], json!("JVBERi0xLjQK//4="));
}
