//! The schedule with an injected clock, on the local adapters: payment
//! reminders, the 08:00 digest (once a day, none without news), and
//! retention per class of personal data, each at its stated moment.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

mod journey;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use cbt::case::{Action, Actor, State};
use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};
use cbt_function::config::Config;
use cbt_function::ports::{ContactMessage, Files, Store};
use cbt_function::{schedule, App, Clock};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mail_parser::MimeHeaders as _;

type LocalApp = App<LocalStore, Outbox, LocalFiles>;

fn app(dir: &Path) -> LocalApp {
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", "noreply@balanstoetstelemarketing.nl"),
        ("SITE_URL", "https://www.balanstoetstelemarketing.nl"),
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
        clock: Clock::System,
    }
}

/// `hh:mm` in Amsterdam on `date` (winter: UTC+1).
fn at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour - 1, minute, 0).expect("time"))
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn kinds(dir: &Path, before: usize) -> Vec<(String, String)> {
    journey::mails(&dir.join("outbox"))
        .into_iter()
        .skip(before)
        .map(|(kind, to, _)| (kind, to))
        .collect()
}

#[tokio::test]
async fn payment_reminders_at_the_interval_up_to_the_maximum() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (reference, _) = journey::apply(&mut app).await;
    // Due 3 February; the first reminder 14 days later, then every 14.
    let mut runs = Vec::new();
    for (date, expected) in [
        (d(2027, 2, 16), 0),
        (d(2027, 2, 17), 1),
        (d(2027, 2, 17), 0),
        (d(2027, 3, 2), 0),
        (d(2027, 3, 3), 1),
        (d(2027, 3, 17), 0),
        (d(2027, 6, 1), 0),
    ] {
        app.clock = Clock::Fixed(at(date, 10, 0));
        let report = schedule::run(&app).await.expect("run");
        runs.push((date, report.reminders));
        assert_eq!(report.reminders, expected, "{date}: {runs:?}");
    }
    let reminders: Vec<_> = kinds(dir.path(), 0)
        .into_iter()
        .filter(|(k, _)| k == "betalingsherinnering")
        .collect();
    assert_eq!(reminders.len(), 2);
    assert!(reminders
        .iter()
        .all(|(_, to)| to == "crediteuren@voorbeeld.nl"));
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    assert_eq!(record.case.reminders_sent, 2);
    // The invoice goes along again, as sent.
    let mail = std::fs::read_dir(dir.path().join("outbox"))
        .expect("outbox")
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("betalingsherinnering")
        })
        .expect("a reminder");
    let raw = std::fs::read(mail.path()).expect("mail");
    let parsed = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("mail");
    assert_eq!(
        parsed
            .attachments()
            .next()
            .and_then(|a| a.attachment_name()),
        Some("factuur-2027-0001.pdf")
    );
    // Paid: no reminders any more.
    app.clock = Clock::Fixed(at(d(2027, 6, 2), 10, 0));
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    cbt_function::cases::act_on(
        &app,
        record,
        &Action::RegisterPayment {
            date: d(2027, 6, 2),
            amount: cbt::Cents(445_280),
            accept_difference: false,
        },
        Actor::Secretariat { name: "S".into() },
    )
    .await
    .expect("paid");
    assert_eq!(schedule::run(&app).await.expect("run").reminders, 0);
}

#[tokio::test]
async fn the_digest_at_eight_once_a_day_and_none_without_news() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    journey::apply(&mut app).await; // 4 January, 10:00
    app.clock = Clock::Fixed(at(d(2027, 1, 5), 7, 59));
    assert_eq!(schedule::run(&app).await.expect("run").digest, "nog niet");
    let before = journey::mails(&dir.path().join("outbox")).len();
    app.clock = Clock::Fixed(at(d(2027, 1, 5), 8, 0));
    assert_eq!(schedule::run(&app).await.expect("run").digest, "verstuurd");
    let sent = journey::mails(&dir.path().join("outbox"));
    let (kind, to, text) = sent.get(before).expect("the digest").clone();
    assert_eq!(
        (kind.as_str(), to.as_str()),
        ("dagoverzicht", "aanvragen@balanstoetstelemarketing.nl")
    );
    assert!(text.contains("NIEUWE AANVRAGEN"), "{text}");
    assert!(
        text.contains("CBT-2027-0001, Voorbeeld Energie B.V."),
        "{text}"
    );
    app.clock = Clock::Fixed(at(d(2027, 1, 5), 8, 15));
    assert_eq!(schedule::run(&app).await.expect("run").digest, "al gedaan");
    // The next day: nothing new, nothing due: no mail.
    let before = journey::mails(&dir.path().join("outbox")).len();
    app.clock = Clock::Fixed(at(d(2027, 1, 6), 8, 0));
    assert_eq!(
        schedule::run(&app).await.expect("run").digest,
        "niets te melden"
    );
    assert_eq!(journey::mails(&dir.path().join("outbox")).len(), before);
    // Summer time: 08:00 in Amsterdam is 06:00 UTC.
    app.clock = Clock::Fixed(
        Utc.with_ymd_and_hms(2027, 7, 1, 5, 59, 0)
            .single()
            .expect("t"),
    );
    assert_eq!(schedule::run(&app).await.expect("run").digest, "nog niet");
    app.clock = Clock::Fixed(
        Utc.with_ymd_and_hms(2027, 7, 1, 6, 0, 0)
            .single()
            .expect("t"),
    );
    assert_ne!(schedule::run(&app).await.expect("run").digest, "nog niet");
}

#[tokio::test]
async fn drafts_go_after_their_hours_with_their_uploads() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    app.clock = Clock::Fixed(at(d(2027, 1, 4), 10, 0));
    let (ct, body) = cbt::sample::multipart(
        &cbt::sample::application_fields(),
        Some(("balanstest.pdf", cbt::sample::PDF)),
    );
    let posted = cbt_function::handle(
        &app,
        http::Request::post("/aanvraag")
            .header("content-type", ct)
            .body(bytes::Bytes::from(body))
            .expect("request"),
    )
    .await;
    assert_eq!(posted.status(), 303);
    let id = posted
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| l.split("concept=").nth(1))
        .expect("the check page's address")
        .to_string();
    // Each upload's key starts with its place among the draft's documents.
    let upload = format!("drafts/{id}/1-balanstest.pdf");
    assert!(app.files.get(&upload).await.expect("files").is_some());
    let hours = app.rules.retention.drafts_hours;
    app.clock = Clock::Fixed(
        at(d(2027, 1, 4), 10, 0) + chrono::Duration::hours(i64::from(hours))
            - chrono::Duration::minutes(1),
    );
    schedule::run(&app).await.expect("run");
    let draft_file = dir.path().join(format!("store/drafts/{id}.json"));
    assert!(draft_file.exists(), "kept until its hours are up");
    assert!(app.files.get(&upload).await.expect("files").is_some());
    app.clock = Clock::Fixed(at(d(2027, 1, 4), 10, 0) + chrono::Duration::hours(i64::from(hours)));
    assert!(schedule::run(&app).await.expect("run").purged >= 1);
    assert!(!draft_file.exists(), "deleted, not only hidden");
    assert_eq!(
        app.files.get(&upload).await.expect("files"),
        None,
        "its upload went too"
    );
    assert!(!dir
        .path()
        .join("store/drafts")
        .read_dir()
        .map(|mut d| d.next().is_some())
        .unwrap_or(false));
}

/// An application sent but not confirmed by its addresses waits
/// `unconfirmed_days` (retention.toml), then the schedule deletes it with
/// its document, its links and what confirmed; nothing was numbered. One
/// minute before, it is all still there.
#[tokio::test]
async fn unconfirmed_applications_go_after_their_days() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let sent = at(d(2027, 1, 4), 10, 0);
    app.clock = Clock::Fixed(sent);
    let request = |method: &str, path: &str, ct: &str, body: Vec<u8>| {
        http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", ct)
            .body(bytes::Bytes::from(body))
            .expect("request")
    };
    let (ct, body) = cbt::sample::multipart(
        &cbt::sample::application_fields(),
        Some(("balanstest.pdf", cbt::sample::PDF)),
    );
    let check = cbt_function::handle(&app, request("POST", "/aanvraag", &ct, body)).await;
    assert_eq!(check.status(), 303);
    let id = check
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| l.split("concept=").nth(1))
        .expect("draft")
        .to_string();
    let form = "application/x-www-form-urlencoded";
    let answer = cbt_function::handle(
        &app,
        request(
            "POST",
            "/aanvraag/bevestig",
            form,
            format!("concept={id}").into_bytes(),
        ),
    )
    .await;
    assert_eq!(answer.status(), 303);
    // The contact person confirms; the invoice address never does.
    let mails = journey::mails(&dir.path().join("outbox"));
    let link = journey::links(&mails[0].2, "/aanvraag/adres/")
        .pop()
        .expect("a link");
    let confirmed = cbt_function::handle(&app, request("POST", &link, form, Vec::new())).await;
    assert_eq!(confirmed.status(), 303);
    let upload = format!("unconfirmed/{id}/1-balanstest.pdf");
    assert!(app.files.get(&upload).await.expect("files").is_some());
    let days = i64::from(app.rules.retention.unconfirmed_days);
    assert_eq!(days, 7);
    let inventory = || async {
        cbt_function::adapters::local::inventory(dir.path())
            .await
            .into_iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(kind, _)| kind)
            .collect::<Vec<_>>()
    };
    app.clock = Clock::Fixed(sent + chrono::Duration::days(days) - chrono::Duration::minutes(1));
    schedule::run(&app).await.expect("run");
    assert!(app
        .store
        .get_draft(&id, app.clock.now())
        .await
        .expect("get")
        .is_some());
    for kind in ["drafts", "address_links", "address_confirmed"] {
        assert!(inventory().await.contains(&kind.to_string()), "{kind} kept");
    }
    app.clock = Clock::Fixed(sent + chrono::Duration::days(days));
    assert!(schedule::run(&app).await.expect("run").purged >= 4);
    for kind in ["drafts", "address_links", "address_confirmed"] {
        assert!(
            !inventory().await.contains(&kind.to_string()),
            "{kind} went"
        );
    }
    assert_eq!(
        app.files.get(&upload).await.expect("files"),
        None,
        "its document went"
    );
    assert!(
        !inventory().await.contains(&"cases".to_string()),
        "nothing was filed"
    );
    // Its link is dead: a 404, not an error.
    let gone = cbt_function::handle(&app, request("GET", &link, form, Vec::new())).await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn contact_messages_go_after_their_days() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let received = at(d(2027, 1, 4), 10, 0);
    let days = app.rules.retention.contact_messages_days;
    let enquiry = {
        let rules = cbt::embedded_rules().expect("rules");
        let Ok(cbt::validate::Checked::Valid(s)) =
            cbt::validate::check(&rules.forms.contact, &cbt::sample::contact())
        else {
            panic!("valid")
        };
        cbt::contact::Enquiry::from_submission(&s).expect("typed")
    };
    let message = ContactMessage {
        id: "c1".into(),
        received,
        enquiry,
        expires: received + chrono::Duration::days(i64::from(days)),
        acknowledged: true,
    };
    app.store.put_contact(&message, &[]).await.expect("put");
    app.clock = Clock::Fixed(message.expires - chrono::Duration::minutes(1));
    schedule::run(&app).await.expect("run");
    assert!(dir.path().join("store/contacts/c1.json").exists());
    app.clock = Clock::Fixed(message.expires);
    schedule::run(&app).await.expect("run");
    assert!(
        !dir.path().join("store/contacts/c1.json").exists(),
        "deleted, not only hidden"
    );
}

#[tokio::test]
async fn case_files_then_invoices_at_the_end_of_their_periods() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (reference, page) = journey::apply(&mut app).await;
    // Withdrawn on 5 January 2027: no advice, so the files count from then.
    app.clock = Clock::Fixed(at(d(2027, 1, 5), 10, 0));
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    cbt_function::cases::act_on(
        &app,
        record,
        &Action::Withdraw { credit_note: true },
        Actor::Applicant,
    )
    .await
    .expect("withdrawn");
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    let document = record.case.documents[0].key.clone();
    let years = app.rules.retention.case_files_years;
    let kept = d(2027 + i32::try_from(years).expect("years"), 1, 5);
    app.clock = Clock::Fixed(at(kept, 10, 0));
    assert_eq!(
        schedule::run(&app).await.expect("run").anonymised,
        0,
        "kept through its last day"
    );
    app.clock = Clock::Fixed(at(kept.succ_opt().expect("day"), 10, 0));
    assert_eq!(schedule::run(&app).await.expect("run").anonymised, 1);
    assert_eq!(
        app.files.get(&document).await.expect("files"),
        None,
        "the documents went"
    );
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    assert!(record.case.anonymised);
    assert_eq!(record.case.state, State::Ingetrokken);
    let stored = serde_json::to_string(&(&record.case, &record.events)).expect("json");
    for personal in [
        "Jan de Vries",
        "jan.devries",
        "Privacy officer",
        "Onze klanten sluiten",
    ] {
        assert!(!stored.contains(personal), "{personal} is still kept");
    }
    assert!(
        stored.contains("Voorbeeld Energie B.V."),
        "the invoice's customer stays"
    );
    assert!(app
        .files
        .get("invoices/factuur-2027-0001.pdf")
        .await
        .expect("files")
        .is_some());
    assert_eq!(
        record.events.last().map(|e| e.change.summary()),
        Some(format!(
            "Bewaartermijn verstreken op {}: persoonsgegevens verwijderd",
            cbt::dates::dutch_date(kept.succ_opt().expect("day"))
        ))
    );
    assert_eq!(
        schedule::run(&app).await.expect("run").anonymised,
        0,
        "once"
    );
    // The page still opens, without the personal data.
    let overview = cbt_function::handle(
        &app,
        http::Request::get(&page)
            .body(bytes::Bytes::new())
            .expect("request"),
    )
    .await;
    assert_eq!(overview.status(), 200);

    // The invoices' period: 7 years after the end of 2027.
    let invoices = app.rules.retention.invoices_years;
    let last = d(2027 + i32::try_from(invoices).expect("years"), 12, 31);
    app.clock = Clock::Fixed(at(last, 10, 0));
    assert_eq!(schedule::run(&app).await.expect("run").removed, 0);
    app.clock = Clock::Fixed(at(last.succ_opt().expect("day"), 10, 0));
    assert_eq!(schedule::run(&app).await.expect("run").removed, 1);
    assert_eq!(app.store.get_case(&reference).await.expect("store"), None);
    assert_eq!(
        app.files
            .get("invoices/factuur-2027-0001.pdf")
            .await
            .expect("files"),
        None
    );
}
