//! The workspace's case list over 5,000 cases on the local adapter (the
//! store as `cbt-site serve` keeps it: one JSON file a case), through the
//! real handler with a signed-in session: p50 and p95 of 30 requests, and
//! one case's page. The goal: the list < 50 ms p50. Prints a table.
//!
//! Run: `cargo bench -p cbt-function --bench workspace`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark's set-up stops at the first surprise, as a test does"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cbt::application::Application;
use cbt::validate::{check, Checked};
use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};
use cbt_function::cases::token_hash;
use cbt_function::config::Config;
use cbt_function::ports::{Session, Store, ToFile};
use cbt_function::{handle, App, Clock};
use chrono::{Duration as Span, NaiveDate, TimeZone, Utc};
use http::Request;

const CASES: u32 = 5_000;
const RUNS: usize = 30;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("dir");
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", "noreply@balanstoetstelemarketing.nl"),
        ("SITE_URL", "https://www.balanstoetstelemarketing.nl"),
        ("STAFF_ADMIN_EMAIL", "sanne@balanstoetstelemarketing.nl"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let now = Utc.with_ymd_and_hms(2027, 6, 1, 9, 0, 0).unwrap();
    let rules = cbt::embedded_rules().expect("rules");
    let Ok(Checked::Valid(s)) = check(&rules.forms.application, &cbt::sample::application()) else {
        panic!("the sample passes")
    };
    let application = Application::from_submission(&s, &rules.fees).expect("typed");
    let app = App {
        rules: Arc::new(rules),
        templates: Arc::new(cbt::templates::Templates::embedded().expect("templates")),
        config: Config::from_vars(&vars).expect("config"),
        store: LocalStore::new(dir.path()),
        mailer: Outbox::new(dir.path()),
        files: LocalFiles::new(dir.path()),
        clock: Clock::Fixed(now),
    };
    let filled = Instant::now();
    let first = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    for n in 0..CASES {
        let mut a = application.clone();
        a.organisation.name = format!("Voorbeeld Energie {n}");
        let day = first + Span::days(i64::from(n % 150));
        let submitted = Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap());
        app.store
            .confirm(&ToFile {
                draft_id: format!("bench-{n}"),
                submitted,
                submitted_on: day,
                invoiced: cbt::Cents(445_280),
                application: a,
                documents: Vec::new(),
                mails: Vec::new(),
                payment_term_days: 30,
            })
            .await
            .expect("filed");
    }
    let filled = filled.elapsed();
    let secret = "ab".repeat(32);
    app.store
        .put_session(&Session {
            hash: token_hash(&secret),
            email: "sanne@balanstoetstelemarketing.nl".into(),
            csrf: "cd".repeat(32),
            created: now,
            last_seen: now,
            expires: now + Span::hours(2),
        })
        .await
        .expect("session");
    let get = |path: &str| {
        Request::get(path)
            .header("accept", "text/html")
            .header("cookie", format!("__Host-cbt_sessie={secret}"))
            .body(Bytes::new())
            .expect("request")
    };
    let mut rows = Vec::new();
    for (what, path) in [
        ("list, all 5,000", "/beheer/".to_string()),
        ("list, searched", "/beheer/?zoek=energie%204999".to_string()),
        ("one case", "/beheer/zaak/CBT-2027-2500".to_string()),
    ] {
        let mut times = Vec::with_capacity(RUNS);
        let mut bytes = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let r = handle(&app, get(&path)).await;
            times.push(t.elapsed());
            assert_eq!(r.status(), 200, "{path}");
            bytes = r.body().len();
        }
        times.sort();
        rows.push((
            what,
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            bytes,
        ));
    }
    println!("workspace over {CASES} cases on the local adapter (filled in {filled:.1?})");
    println!("| page | p50 | p95 | bytes |");
    println!("|---|---|---|---|");
    for (what, p50, p95, bytes) in rows {
        println!("| {what} | {p50:.1?} | {p95:.1?} | {bytes} |");
    }
}
