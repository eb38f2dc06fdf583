//! Memory and time of the intake over the local adapters: 1,000 complete
//! applications (post, check, draft; send, two address-check mails; both
//! addresses confirm: number, store, three mails with the invoice PDF)
//! through the real handler. Prints a table.
//!
//! Run: `cargo bench -p cbt-function --bench intake`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark's set-up stops at the first surprise, as a test does"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};
use cbt_function::config::Config;
use cbt_function::{handle, App, Clock};
use http::Request;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The sample application with a balancing test of some 300 kB, as
/// applicants upload, as a browser posts it.
fn body() -> (String, Vec<u8>) {
    let mut pdf = cbt::sample::PDF.to_vec();
    pdf.splice(9..9, std::iter::repeat_n(b' ', 300_000));
    cbt::sample::multipart(&cbt::sample::application_fields(), Some(("b.pdf", &pdf)))
}

/// The address-check links in the newest `count` mails of the outbox.
fn newest_links(outbox: &std::path::Path, count: usize) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(outbox)
        .expect("outbox")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    names
        .iter()
        .rev()
        .take(count)
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?.replace("=\r\n", "");
            let rest = text.split("/aanvraag/adres/").nth(1)?;
            let secret: String = rest.chars().take(64).collect();
            Some(format!("/aanvraag/adres/{secret}"))
        })
        .collect()
}

fn main() {
    let n: usize = std::env::var("CBT_BENCH_APPLICATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("temp dir");
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", "noreply@balanstoetstelemarketing.nl"),
        ("SITE_URL", "https://www.balanstoetstelemarketing.nl"),
        ("RATE_LIMIT_PER_HOUR", "1000000"),
        ("RATE_LIMIT_UNSOLVED_PER_HOUR", "1000000"),
        ("MAILS_PER_ADDRESS_PER_DAY", "1000000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let app = App {
        rules: Arc::new(cbt::embedded_rules().expect("rules")),
        templates: Arc::new(cbt::templates::Templates::embedded().expect("templates")),
        config: Config::from_vars(&vars).expect("config"),
        store: LocalStore::new(dir.path()),
        mailer: Outbox::new(dir.path()),
        files: LocalFiles::new(dir.path()),
        clock: Clock::System,
    };
    let (content_type, body) = body();
    let body = Bytes::from(body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let before = peak_rss_kib();
    let started = Instant::now();
    let mut posted = std::time::Duration::ZERO;
    let mut confirmed = std::time::Duration::ZERO;
    runtime.block_on(async {
        for _ in 0..n {
            let t = Instant::now();
            let req = Request::post("/aanvraag")
                .header("content-type", &content_type)
                .body(body.clone())
                .expect("request");
            let res = handle(&app, req).await;
            assert_eq!(res.status(), 303);
            let location = res
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .expect("the check page's address")
                .to_string();
            // The check page as the browser then asks for it.
            let req = Request::get(location.as_str())
                .body(Bytes::new())
                .expect("request");
            assert_eq!(handle(&app, req).await.status(), 200);
            let id = location
                .split("concept=")
                .nth(1)
                .expect("draft")
                .to_string();
            posted += t.elapsed();
            let t = Instant::now();
            let req = Request::post("/aanvraag/bevestig")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Bytes::from(format!("concept={id}")))
                .expect("request");
            assert_eq!(handle(&app, req).await.status(), 303);
            for link in newest_links(&dir.path().join("outbox"), 2) {
                let req = Request::post(link.as_str())
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Bytes::new())
                    .expect("request");
                assert_eq!(handle(&app, req).await.status(), 303);
            }
            confirmed += t.elapsed();
        }
    });
    let wall = started.elapsed();
    let mails = std::fs::read_dir(dir.path().join("outbox"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(mails, 5 * n);
    println!("| applications | wall s | per application (post + confirm) | post | send and confirm (2 address checks; number, store, 3 mails, PDF) | peak RSS MiB (before) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {n} | {:.2} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} ({:.1}) |",
        wall.as_secs_f64(),
        wall.as_secs_f64() * 1000.0 / n as f64,
        posted.as_secs_f64() * 1000.0 / n as f64,
        confirmed.as_secs_f64() * 1000.0 / n as f64,
        peak_rss_kib() as f64 / 1024.0,
        before as f64 / 1024.0
    );
}
