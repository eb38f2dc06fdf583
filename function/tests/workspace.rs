//! The secretariat's workspace through the handler, on the local adapters
//! with an injected clock: sign in through the mailed link, read the list
//! and a case, act on it; and every refusal the issue names, each with the
//! answer a person gets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops at the first surprise; that is what unwrap and expect do"
)]

mod journey;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use cbt::case::State;
use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};
use cbt_function::config::Config;
use cbt_function::ports::{StaffList, Store};
use cbt_function::{handle, App, Clock};
use chrono::{DateTime, Duration, Utc};
use http::{Request, Response};

type LocalApp = App<LocalStore, Outbox, LocalFiles>;

const SITE: &str = "https://www.balanstoetstelemarketing.nl";
const ADMIN: &str = "sanne@balanstoetstelemarketing.nl";
const MEMBER: &str = "karel@voorbeeld.nl";

fn app(dir: &Path) -> LocalApp {
    let vars: BTreeMap<String, String> = [
        ("MAIL_FROM", "noreply@balanstoetstelemarketing.nl"),
        ("SITE_URL", SITE),
        ("STAFF_ADMIN_EMAIL", "Sanne@Balanstoetstelemarketing.nl"),
        ("RATE_LIMIT_UNSOLVED_PER_HOUR", "50"),
        ("RATE_LIMIT_PER_HOUR", "50"),
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

fn request(method: &str, path: &str, cookie: Option<&str>, body: &str) -> Request<Bytes> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("accept", "text/html")
        .header("origin", SITE)
        .header(cbt_function::handler::SOURCE_IP_HEADER, "203.0.113.7");
    if method == "POST" {
        b = b.header("content-type", "application/x-www-form-urlencoded");
    }
    if let Some(c) = cookie {
        b = b.header("cookie", format!("{}={c}", "__Host-cbt_sessie"));
    }
    b.body(Bytes::from(body.to_string())).expect("request")
}

fn text(r: &Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

fn location(r: &Response<Bytes>) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn form(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

fn at(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t)
        .expect("time")
        .with_timezone(&Utc)
}

/// A signed-in session: the cookie's value and the page's CSRF token.
struct Signed {
    cookie: String,
    csrf: String,
}

/// Asks for a link for `email` and returns the link's path from the
/// outbox (the newest sign-in mail).
async fn ask_link(app: &LocalApp, dir: &Path, email: &str) -> Option<String> {
    let before = journey::mails(&dir.join("outbox")).len();
    let r = handle(
        app,
        request(
            "POST",
            "/beheer/aanmelden",
            None,
            &form(&[("email", email)]),
        ),
    )
    .await;
    assert_eq!(r.status(), 303, "{}", text(&r));
    assert_eq!(location(&r), "/beheer/aanmelden?verstuurd=1");
    journey::mails(&dir.join("outbox"))
        .into_iter()
        .skip(before)
        .find(|(kind, _, _)| kind == "aanmeldlink")
        .map(|(_, to, body)| {
            assert_eq!(to, email.to_lowercase());
            journey::links(&body, "/beheer/aanmelden/")
                .into_iter()
                .next()
                .expect("a link")
        })
}

/// Signs `email` in through the mailed link.
async fn sign_in(app: &LocalApp, dir: &Path, email: &str) -> Signed {
    let link = ask_link(app, dir, email).await.expect("a sign-in mail");
    // Opening the link uses nothing up: the page has a button.
    let page = handle(app, request("GET", &link, None, "")).await;
    assert_eq!(page.status(), 200);
    assert!(text(&page).contains(&format!("action=\"{link}\"")));
    let r = handle(app, request("POST", &link, None, "")).await;
    assert_eq!(r.status(), 303, "{}", text(&r));
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie")
        .to_string();
    assert!(cookie.starts_with("__Host-cbt_sessie="), "{cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let value = cookie
        .trim_start_matches("__Host-cbt_sessie=")
        .split(';')
        .next()
        .expect("value")
        .to_string();
    let list = handle(app, request("GET", "/beheer/", Some(&value), "")).await;
    assert_eq!(list.status(), 200, "{}", text(&list));
    let csrf = text(&list)
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a csrf token")
        .to_string();
    Signed {
        cookie: value,
        csrf,
    }
}

async fn post(app: &LocalApp, s: &Signed, path: &str, fields: &[(&str, &str)]) -> Response<Bytes> {
    let mut all = vec![("csrf", s.csrf.as_str())];
    all.extend_from_slice(fields);
    handle(app, request("POST", path, Some(&s.cookie), &form(&all))).await
}

async fn state(app: &LocalApp, reference: &str) -> State {
    app.store
        .get_case(reference)
        .await
        .expect("store")
        .expect("case")
        .case
        .state
}

#[tokio::test]
async fn the_secretariat_signs_in_and_works_a_case() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (reference, _) = journey::apply(&mut app).await;
    app.clock = Clock::Fixed(at("2027-01-06T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;

    // The list: the case, its deadline in words, every response no-store.
    let list = handle(&app, request("GET", "/beheer/", Some(&s.cookie), "")).await;
    let html = text(&list);
    assert!(html.contains(&reference));
    assert!(html.contains("betaling: 3 februari 2027"), "{html}");
    assert!(html.contains("nog 28 dagen"));
    assert_eq!(
        list.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(
        list.headers()
            .get("x-robots-tag")
            .and_then(|v| v.to_str().ok()),
        Some("noindex, nofollow")
    );
    let none = handle(
        &app,
        request(
            "GET",
            "/beheer/?zoek=bestaat-niet&status=ontvangen",
            Some(&s.cookie),
            "",
        ),
    )
    .await;
    assert!(!text(&none).contains(&format!("/beheer/zaak/{reference}")));

    // The case: answers, documents, the invoice, mails with their state.
    let base = format!("/beheer/zaak/{reference}");
    let page = handle(&app, request("GET", &base, Some(&s.cookie), "")).await;
    let html = text(&page);
    assert_eq!(page.status(), 200);
    for expected in [
        "Betaling registreren",
        "Intrekken",
        "Notitie toevoegen",
        "de factuur",
        "Verstuurd; de e-maildienst meldde geen probleem.",
        "Voorbeeld Energie",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    let invoice = handle(
        &app,
        request("GET", &format!("{base}/factuur.pdf"), Some(&s.cookie), ""),
    )
    .await;
    assert_eq!(invoice.status(), 200);
    assert!(invoice.body().starts_with(b"%PDF"));
    let document = handle(
        &app,
        request("GET", &format!("{base}/document/0"), Some(&s.cookie), ""),
    )
    .await;
    assert_eq!(document.status(), 200);

    // A partial payment is shown and must be confirmed.
    let partial = post(
        &app,
        &s,
        &format!("{base}/betaling"),
        &[("datum", "2027-01-05"), ("bedrag", "4000,00")],
    )
    .await;
    assert_eq!(partial.status(), 409);
    let html = text(&partial);
    assert!(html.contains("is niet het gefactureerde bedrag"), "{html}");
    assert!(html.contains("name=\"afwijking\""));
    assert!(html.contains("value=\"4000,00\""), "what was typed stays");
    assert_eq!(state(&app, &reference).await, State::Ontvangen);
    let paid = post(
        &app,
        &s,
        &format!("{base}/betaling"),
        &[("datum", "2027-01-05"), ("bedrag", "4.452,80")],
    )
    .await;
    assert_eq!(paid.status(), 303, "{}", text(&paid));
    assert_eq!(location(&paid), format!("{base}?gedaan=betaling"));
    assert_eq!(state(&app, &reference).await, State::Betaald);
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    assert!(record
        .events
        .iter()
        .any(|e| e.actor.to_string()
            == format!("{} (secretariaat)", app.rules.site.secretariat.name)));

    // Handling waits for the change window; the rules say so on the page.
    let early = post(&app, &s, &format!("{base}/behandeling"), &[]).await;
    assert_eq!(early.status(), 409);
    assert!(text(&early).contains("kan de aanvraag nog wijzigen tot en met"));
    app.clock = Clock::Fixed(at("2027-01-13T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let taken = post(&app, &s, &format!("{base}/behandeling"), &[]).await;
    assert_eq!(taken.status(), 303, "{}", text(&taken));
    assert_eq!(state(&app, &reference).await, State::InBehandeling);

    // Completion: mailed, with its text.
    let asked = post(
        &app,
        &s,
        &format!("{base}/aanvulling"),
        &[("tekst", "Licht de <reikwijdte> toe.")],
    )
    .await;
    assert_eq!(asked.status(), 303, "{}", text(&asked));
    assert_eq!(state(&app, &reference).await, State::AanvullingGevraagd);
    let mail = journey::mails(&dir.path().join("outbox"))
        .into_iter()
        .rfind(|m| m.0 == "aanvulling-gevraagd")
        .expect("the request is mailed");
    assert!(mail.2.contains("Licht de <reikwijdte> toe."));

    // A note with markup: escaped on the page, hidden from the applicant.
    let noted = post(
        &app,
        &s,
        &format!("{base}/notitie"),
        &[("tekst", "<script>alert(1)</script> gebeld")],
    )
    .await;
    assert_eq!(noted.status(), 303);
    let page = text(&handle(&app, request("GET", &base, Some(&s.cookie), "")).await);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt; gebeld")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt; gebeld")
    );
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("Licht de &lt;reikwijdte&gt; toe."));

    // The advice preview is a PDF and records nothing.
    let preview = post(
        &app,
        &s,
        &format!("{base}/advies-voorbeeld"),
        &[
            ("uitkomst", "positief"),
            ("termijn", "5"),
            ("geldig_tot", "2030-01-31"),
            ("motivering", "De belangen zijn gewogen."),
        ],
    )
    .await;
    // Not while the completion is open: the rules refuse the advice.
    assert_eq!(preview.status(), 422, "{}", text(&preview));
    assert_eq!(state(&app, &reference).await, State::AanvullingGevraagd);

    // The audit log has the sign-ins.
    let log = text(&handle(&app, request("GET", "/beheer/logboek", Some(&s.cookie), "")).await);
    assert!(log.contains("Aangemeld"));
    assert!(log.contains("Aanmeldlink verstuurd"));
}

#[tokio::test]
async fn the_advice_is_previewed_then_sent_with_its_letter() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (reference, _) = journey::apply(&mut app).await;
    let base = format!("/beheer/zaak/{reference}");
    app.clock = Clock::Fixed(at("2027-01-06T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let paid = post(
        &app,
        &s,
        &format!("{base}/betaling"),
        &[("datum", "2027-01-05"), ("bedrag", "4452,80")],
    )
    .await;
    assert_eq!(paid.status(), 303);
    app.clock = Clock::Fixed(at("2027-01-13T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    assert_eq!(
        post(&app, &s, &format!("{base}/behandeling"), &[])
            .await
            .status(),
        303
    );
    let advice = [
        ("uitkomst", "positief"),
        ("termijn", "5"),
        ("geldig_tot", "2030-01-31"),
        ("motivering", "De belangen zijn **zorgvuldig** gewogen."),
    ];
    let preview = post(&app, &s, &format!("{base}/advies-voorbeeld"), &advice).await;
    assert_eq!(preview.status(), 200, "{}", text(&preview));
    assert_eq!(
        preview
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert!(preview.body().starts_with(b"%PDF"));
    assert_eq!(
        state(&app, &reference).await,
        State::InBehandeling,
        "a preview records nothing"
    );
    let missing = post(
        &app,
        &s,
        &format!("{base}/advies"),
        &[("uitkomst", "positief")],
    )
    .await;
    assert_eq!(missing.status(), 422);
    assert!(text(&missing).contains("Vul de toegekende klanttermijn in hele jaren in."));
    let sent = post(&app, &s, &format!("{base}/advies"), &advice).await;
    assert_eq!(sent.status(), 303, "{}", text(&sent));
    assert_eq!(state(&app, &reference).await, State::AdviesUitgebracht);
    let mail = journey::mails(&dir.path().join("outbox"))
        .into_iter()
        .rfind(|m| m.0 == "advies")
        .expect("the advice is mailed");
    assert_eq!(mail.1, "jan.devries@voorbeeld.nl");
    let letter = handle(
        &app,
        request("GET", &format!("{base}/advies.pdf"), Some(&s.cookie), ""),
    )
    .await;
    assert_eq!(letter.status(), 200);
}

#[tokio::test]
async fn every_refusal_of_the_workspace() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (reference, _) = journey::apply(&mut app).await;
    let base = format!("/beheer/zaak/{reference}");
    let start = at("2027-01-06T09:00:00Z");
    app.clock = Clock::Fixed(start);

    // Without a session: pages send to sign-in, posts are refused.
    let r = handle(&app, request("GET", "/beheer/", None, "")).await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/beheer/aanmelden".into())
    );
    let r = handle(
        &app,
        request("POST", &format!("{base}/notitie"), None, "tekst=x"),
    )
    .await;
    assert_eq!(r.status(), 403);
    let forged = "ab".repeat(32);
    let r = handle(&app, request("GET", "/beheer/", Some(&forged), "")).await;
    assert_eq!(r.status(), 303);

    // An unknown address: the same answer, no mail, a line in the log.
    assert_eq!(
        ask_link(&app, dir.path(), "onbekend@voorbeeld.nl").await,
        None
    );

    // A link works once.
    let link = ask_link(&app, dir.path(), ADMIN).await.expect("link");
    assert_eq!(
        handle(&app, request("POST", &link, None, ""))
            .await
            .status(),
        303
    );
    let again = handle(&app, request("POST", &link, None, "")).await;
    assert_eq!(again.status(), 410);
    assert!(text(&again).contains("Deze aanmeldlink werkt niet (meer)"));
    // And 15 minutes.
    let link = ask_link(&app, dir.path(), ADMIN).await.expect("link");
    app.clock = Clock::Fixed(start + Duration::minutes(16));
    assert_eq!(
        handle(&app, request("POST", &link, None, ""))
            .await
            .status(),
        410
    );
    let made_up = format!("/beheer/aanmelden/{}", "cd".repeat(32));
    assert_eq!(
        handle(&app, request("POST", &made_up, None, ""))
            .await
            .status(),
        410
    );
    assert_eq!(
        handle(&app, request("POST", "/beheer/aanmelden/kort", None, ""))
            .await
            .status(),
        410
    );

    let s = sign_in(&app, dir.path(), ADMIN).await;
    // CSRF: missing or wrong, nothing happens.
    let r = handle(
        &app,
        request(
            "POST",
            &format!("{base}/notitie"),
            Some(&s.cookie),
            "tekst=x",
        ),
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(text(&r).contains("Dit formulier is verlopen"));
    let r = handle(
        &app,
        request(
            "POST",
            &format!("{base}/notitie"),
            Some(&s.cookie),
            &form(&[("csrf", &"00".repeat(32)), ("tekst", "x")]),
        ),
    )
    .await;
    assert_eq!(r.status(), 403);
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    assert!(!record.events.iter().any(|e| e.change.is_internal()));

    // Another case's id, a document past the list, a traversal.
    for path in [
        "/beheer/zaak/CBT-2027-9999".to_string(),
        format!("{base}/document/7"),
        format!("{base}/document/..%2F..%2Fetc"),
        "/beheer/zaak/..%2F..%2Fetc".to_string(),
        format!("/beheer/zaak/{}", "A".repeat(40)),
    ] {
        let r = handle(&app, request("GET", &path, Some(&s.cookie), "")).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = post(
        &app,
        &s,
        "/beheer/zaak/CBT-2027-9999/notitie",
        &[("tekst", "x")],
    )
    .await;
    assert_eq!(r.status(), 404);

    // A member of the commission: reads, adds notes, nothing else.
    let added = post(
        &app,
        &s,
        "/beheer/medewerkers",
        &[
            ("versie", "0"),
            ("doe", "toevoegen"),
            ("email", MEMBER),
            ("naam", "Karel <b>Lid</b>"),
            ("rol", "commissie"),
        ],
    )
    .await;
    assert_eq!(added.status(), 303, "{}", text(&added));
    let stale = post(
        &app,
        &s,
        "/beheer/medewerkers",
        &[("versie", "0"), ("doe", "verwijderen"), ("email", MEMBER)],
    )
    .await;
    assert_eq!(stale.status(), 422, "a list changed since it was read");
    let k = sign_in(&app, dir.path(), MEMBER).await;
    let page = text(&handle(&app, request("GET", &base, Some(&k.cookie), "")).await);
    assert!(
        page.contains("Karel &lt;b&gt;Lid&lt;&#x2F;b&gt;")
            || page.contains("Karel &lt;b&gt;Lid&lt;/b&gt;")
    );
    assert!(!page.contains("Betaling registreren"));
    let r = post(
        &app,
        &k,
        &format!("{base}/betaling"),
        &[("datum", "2027-01-05"), ("bedrag", "4452,80")],
    )
    .await;
    assert_eq!(r.status(), 409);
    assert!(text(&r).contains("U kunt dit niet doen"));
    assert_eq!(state(&app, &reference).await, State::Ontvangen);
    assert_eq!(
        handle(
            &app,
            request("GET", "/beheer/medewerkers", Some(&k.cookie), "")
        )
        .await
        .status(),
        403
    );
    let r = post(
        &app,
        &k,
        "/beheer/medewerkers",
        &[("versie", "1"), ("doe", "verwijderen"), ("email", ADMIN)],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        post(
            &app,
            &k,
            &format!("{base}/notitie"),
            &[("tekst", "Gelezen.")]
        )
        .await
        .status(),
        303
    );

    // Taken off the list: out at once.
    let removed = post(
        &app,
        &s,
        "/beheer/medewerkers",
        &[("versie", "1"), ("doe", "verwijderen"), ("email", MEMBER)],
    )
    .await;
    assert_eq!(removed.status(), 303, "{}", text(&removed));
    assert_eq!(
        handle(&app, request("GET", "/beheer/", Some(&k.cookie), ""))
            .await
            .status(),
        303
    );
    // The configured address cannot be removed.
    let r = post(
        &app,
        &s,
        "/beheer/medewerkers",
        &[("versie", "2"), ("doe", "verwijderen"), ("email", ADMIN)],
    )
    .await;
    assert_eq!(r.status(), 422);
    let list: StaffList = app.store.staff().await.expect("store");
    assert_eq!(list.version, 2);
    assert!(
        list.member(ADMIN).is_none(),
        "the configured member is not stored"
    );

    // After sign-out the session is gone, everywhere it is kept.
    let out = post(&app, &s, "/beheer/afmelden", &[]).await;
    assert_eq!(out.status(), 303);
    assert!(out
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(
        handle(&app, request("GET", "/beheer/", Some(&s.cookie), ""))
            .await
            .status(),
        303
    );
    assert_eq!(
        post(&app, &s, &format!("{base}/notitie"), &[("tekst", "x")])
            .await
            .status(),
        403
    );

    // Idle for two hours, or twelve hours in all: signed out.
    let s = sign_in(&app, dir.path(), ADMIN).await;
    app.clock = Clock::Fixed(start + Duration::minutes(16) + Duration::hours(2));
    assert_eq!(
        handle(&app, request("GET", "/beheer/", Some(&s.cookie), ""))
            .await
            .status(),
        303
    );
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let signed_at = start + Duration::minutes(16) + Duration::hours(2);
    for hour in 1..12 {
        app.clock = Clock::Fixed(signed_at + Duration::hours(hour));
        let r = handle(&app, request("GET", "/beheer/", Some(&s.cookie), "")).await;
        assert_eq!(r.status(), 200, "hour {hour}");
    }
    app.clock = Clock::Fixed(signed_at + Duration::hours(12));
    assert_eq!(
        handle(&app, request("GET", "/beheer/", Some(&s.cookie), ""))
            .await
            .status(),
        303
    );

    // The log names the failures.
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let log = text(&handle(&app, request("GET", "/beheer/logboek", Some(&s.cookie), "")).await);
    for line in [
        "Mislukte aanmelding: de link is onbekend, al gebruikt of verlopen",
        "Aanmeldlink gevraagd voor een adres dat niet op de lijst staat",
        "Medewerker toegevoegd: Karel &lt;b&gt;Lid&lt;",
        "Medewerker verwijderd: karel@voorbeeld.nl",
        "Afgemeld",
    ] {
        assert!(log.contains(line), "{line}");
    }
}

#[tokio::test]
async fn the_list_comes_in_pages_of_two_hundred() {
    use cbt::validate::{check, Checked};
    use cbt_function::ports::ToFile;
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let Ok(Checked::Valid(s)) = check(&app.rules.forms.application, &cbt::sample::application())
    else {
        panic!("the sample passes")
    };
    let application =
        cbt::application::Application::from_submission(&s, &app.rules.fees).expect("typed");
    let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).expect("date");
    for n in 0..205 {
        let mut a = application.clone();
        a.organisation.name = format!("Organisatie {n}");
        app.store
            .confirm(&ToFile {
                draft_id: format!("d{n}"),
                submitted: at("2027-01-04T10:00:00Z"),
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
    app.clock = Clock::Fixed(at("2027-01-06T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let rows = |html: &str| html.matches("<th scope=\"row\">").count();
    let first = text(&handle(&app, request("GET", "/beheer/", Some(&s.cookie), "")).await);
    assert_eq!(rows(&first), 200);
    assert!(first.contains("205 van 205 aanvragen"));
    assert!(first.contains("pagina 1 van 2"));
    assert!(first.contains("href=\"/beheer/?pagina=2\""));
    let second = text(
        &handle(
            &app,
            request("GET", "/beheer/?pagina=2", Some(&s.cookie), ""),
        )
        .await,
    );
    assert_eq!(rows(&second), 5);
    assert!(second.contains("Vorige pagina"));
    let past = text(
        &handle(
            &app,
            request("GET", "/beheer/?pagina=99", Some(&s.cookie), ""),
        )
        .await,
    );
    assert_eq!(rows(&past), 5, "a page past the end shows the last");
    let searched = text(
        &handle(
            &app,
            request(
                "GET",
                "/beheer/?zoek=Organisatie+204&status=ontvangen",
                Some(&s.cookie),
                "",
            ),
        )
        .await,
    );
    assert_eq!(rows(&searched), 1);
    assert!(searched.contains("1 van 205 aanvragen"));
    assert!(searched.contains("value=\"Organisatie 204\""));
    assert!(searched.contains("<option value=\"ontvangen\" selected>"));
}

#[tokio::test]
async fn a_withdrawal_with_a_credit_note_mails_it_in_its_own_series() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (first, _) = journey::apply(&mut app).await;
    let (second, _) = journey::apply(&mut app).await;
    app.clock = Clock::Fixed(at("2027-01-06T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    for (reference, expected) in [(&first, "C-2027-0001"), (&second, "C-2027-0002")] {
        let base = format!("/beheer/zaak/{reference}");
        let before = journey::mails(&dir.path().join("outbox")).len();
        let r = post(
            &app,
            &s,
            &format!("{base}/intrekken"),
            &[("bevestig", "ja"), ("creditnota", "ja")],
        )
        .await;
        assert_eq!(r.status(), 303, "{}", text(&r));
        assert_eq!(state(&app, reference).await, State::Ingetrokken);
        let mails: Vec<_> = journey::mails(&dir.path().join("outbox"))
            .into_iter()
            .skip(before)
            .collect();
        let credit = mails
            .iter()
            .find(|m| m.0 == "creditnota")
            .expect("the credit note is mailed");
        assert_eq!(credit.1, "crediteuren@voorbeeld.nl");
        assert!(
            credit.2.contains(&format!("creditnota-{expected}.pdf")),
            "{}",
            credit.2
        );
        assert!(mails.iter().any(|m| m.0 == "ingetrokken"));
        let page = text(&handle(&app, request("GET", &base, Some(&s.cookie), "")).await);
        assert!(page.contains(&format!("Creditnota {expected}")));
        let pdf = handle(
            &app,
            request(
                "GET",
                &format!("{base}/creditnota.pdf"),
                Some(&s.cookie),
                "",
            ),
        )
        .await;
        assert_eq!(pdf.status(), 200);
        assert!(pdf.body().starts_with(b"%PDF"));
        assert_eq!(
            app.store
                .credit_note_of(reference)
                .await
                .expect("store")
                .map(cbt::invoice::credit_note_number),
            Some(expected.to_string())
        );
    }
    // Without a credit note: none made, none numbered.
    let (third, _) = journey::apply(&mut app).await;
    app.clock = Clock::Fixed(at("2027-01-06T10:00:00Z"));
    let r = post(
        &app,
        &s,
        &format!("/beheer/zaak/{third}/intrekken"),
        &[("bevestig", "ja")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.store.credit_note_of(&third).await.expect("store"), None);
    let r = handle(
        &app,
        request(
            "GET",
            &format!("/beheer/zaak/{third}/creditnota.pdf"),
            Some(&s.cookie),
            "",
        ),
    )
    .await;
    assert_eq!(r.status(), 404);
}

/// Issue 13's last part: the case shows what became of each mail.
#[tokio::test]
async fn a_bounced_invoice_shows_on_the_case() {
    use cbt_function::delivery::{record, Incoming};
    use cbt_function::ports::{Owner, Report};
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (reference, _) = journey::apply(&mut app).await;
    let sent = app
        .store
        .sent_mails(&Owner::Application(reference.clone()))
        .await
        .expect("store");
    let invoice = sent
        .iter()
        .find(|m| m.mail.kind == cbt::mail::MailKind::Invoice)
        .expect("the invoice went");
    let bounced = at("2027-01-04T10:05:00Z");
    let tally = record(
        &app,
        &[Incoming {
            message_id: invoice.message_id.clone(),
            report: Report {
                key: "feedback-1 crediteuren@voorbeeld.nl".into(),
                at: bounced,
                problem: cbt::delivery::Problem::Bounced {
                    recipient: "crediteuren@voorbeeld.nl".into(),
                    kind: cbt::delivery::BounceKind::NoSuchAddress,
                    detail: "smtp; 550 5.1.1 user unknown".into(),
                },
            },
        }],
    )
    .await
    .expect("recorded");
    assert_eq!(tally.notices, 1);
    app.clock = Clock::Fixed(at("2027-01-05T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let page = text(
        &handle(
            &app,
            request(
                "GET",
                &format!("/beheer/zaak/{reference}"),
                Some(&s.cookie),
                "",
            ),
        )
        .await,
    );
    assert!(
        page.contains(
            "<strong>Niet bezorgd: het adres bestaat niet. (crediteuren@voorbeeld.nl)</strong>"
        ),
        "{page}"
    );
    assert!(page.contains("de bevestiging van de aanvraag"));
    assert!(page.contains("Verstuurd; de e-maildienst meldde geen probleem."));
}

/// A CAMT.053.001.02 statement with one credit per `(bank reference,
/// amount, description)`, as a Dutch bank exports it.
fn statement(entries: &[(&str, &str, &str)]) -> String {
    let mut ntry = String::new();
    for (reference, amount, text) in entries {
        ntry.push_str(&format!(
            r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2027-01-05</Dt></BookgDt><ValDt><Dt>2027-01-05</Dt></ValDt><AcctSvcrRef>{reference}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Voorbeeld Energie B.V.</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt><GrpHdr><MsgId>CAMT-20270105</MsgId><CreDtTm>2027-01-05T20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-20270105</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2027-01-05T20:00:00</CreDtTm>
<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2027-01-05</Dt></Dt></Bal>
{ntry}</Stmt></BkToCstmrStmt></Document>
"#
    )
}

fn multipart_file(csrf: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----cbt-bank-test";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"afschrift\"; filename=\"{name}\"\r\nContent-Type: application/xml\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &LocalApp, s: &Signed, name: &str, bytes: &[u8]) -> Response<Bytes> {
    let (ct, body) = multipart_file(&s.csrf, name, bytes);
    let req = Request::builder()
        .method("POST")
        .uri("/beheer/bank")
        .header("accept", "text/html")
        .header("origin", SITE)
        .header("content-type", ct)
        .header("cookie", format!("__Host-cbt_sessie={}", s.cookie))
        .body(Bytes::from(body))
        .expect("request");
    handle(app, req).await
}

#[tokio::test]
async fn a_bank_statement_is_previewed_then_registered_once() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (first, _) = journey::apply(&mut app).await;
    let (second, _) = journey::apply(&mut app).await;
    let invoice = |r: &str| r.trim_start_matches("CBT-").to_string();
    let xml = statement(&[
        ("BANK-1", "4452.80", &format!("Factuur {}", invoice(&first))),
        (
            "BANK-2",
            "4000.00",
            &format!("factuur {} deel", invoice(&second)),
        ),
        (
            "BANK-3",
            "12.50",
            "Gift &lt;script&gt;alert(1)&lt;/script&gt;",
        ),
    ]);
    app.clock = Clock::Fixed(at("2027-01-06T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let form = handle(&app, request("GET", "/beheer/bank", Some(&s.cookie), "")).await;
    assert_eq!(form.status(), 200);
    assert!(text(&form).contains("Bankafschrift inlezen"));

    let preview = upload(&app, &s, "afschrift.xml", xml.as_bytes()).await;
    let html = text(&preview);
    assert_eq!(preview.status(), 200, "{html}");
    assert!(html.contains("Gekoppeld (1)"));
    assert!(html.contains("Twijfel (1)"));
    assert!(html.contains("Niet gekoppeld (1)"));
    assert!(
        html.contains("&lt;script&gt;"),
        "the payer's words are escaped"
    );
    assert!(!html.contains("<script>alert"));
    assert_eq!(
        state(&app, &first).await,
        State::Ontvangen,
        "a preview registers nothing"
    );
    let hash = html
        .split("name=\"afschrift\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the statement's hash")
        .to_string();

    let done = post(
        &app,
        &s,
        "/beheer/bank/registreren",
        &[("afschrift", &hash)],
    )
    .await;
    assert_eq!(done.status(), 200, "{}", text(&done));
    assert!(text(&done).contains("1 betaling(en) geregistreerd."));
    assert_eq!(state(&app, &first).await, State::Betaald);
    assert_eq!(
        state(&app, &second).await,
        State::Ontvangen,
        "the doubtful one waits"
    );
    let record = app
        .store
        .get_case(&first)
        .await
        .expect("store")
        .expect("case");
    assert!(record
        .events
        .iter()
        .any(|e| e.actor.to_string() == "bankafschrift"));

    // The same statement again: nothing twice.
    let again = post(
        &app,
        &s,
        "/beheer/bank/registreren",
        &[("afschrift", &hash)],
    )
    .await;
    assert!(text(&again).contains("0 betaling(en) geregistreerd."));
    let preview = upload(&app, &s, "afschrift.xml", xml.as_bytes()).await;
    assert!(text(&preview).contains("Gekoppeld (0)"));
    assert!(
        text(&preview).contains("Er is niets te registreren"),
        "no button that registers nothing"
    );
    assert!(!text(&preview).contains("0 betaling(en) registreren"));

    // Refused files, each with a clear message, nothing registered.
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Document>&lol2;</Document>"#;
    for (name, bytes, says) in [
        ("bom.xml", bomb.as_bytes().to_vec(), "DTD of entiteiten"),
        ("kapot.xml", b"<Document><BkToCstmrStmt>".to_vec(), "beschadigd"),
        (
            "ander.xml",
            br#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>"#.to_vec(),
            "geen CAMT.053",
        ),
    ] {
        let r = upload(&app, &s, name, &bytes).await;
        assert_eq!(r.status(), 422, "{name}");
        assert!(text(&r).contains(says), "{name}: {}", text(&r));
    }
    let unknown = post(
        &app,
        &s,
        "/beheer/bank/registreren",
        &[("afschrift", &"0".repeat(64))],
    )
    .await;
    assert_eq!(unknown.status(), 422);
    // A 50 MB statement never gets in.
    let huge = vec![b' '; 50 * 1024 * 1024];
    let r = upload(&app, &s, "groot.xml", &huge).await;
    assert_eq!(r.status(), 413);
    assert!(text(&r).contains("te groot"));
}

#[tokio::test]
async fn the_bookkeepers_csv_has_invoices_and_credit_notes() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app(dir.path());
    let (first, _) = journey::apply(&mut app).await;
    let (second, _) = journey::apply(&mut app).await;
    app.clock = Clock::Fixed(at("2027-01-06T09:00:00Z"));
    let s = sign_in(&app, dir.path(), ADMIN).await;
    let r = post(
        &app,
        &s,
        &format!("/beheer/zaak/{second}/intrekken"),
        &[("bevestig", "ja"), ("creditnota", "ja")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let csv = handle(
        &app,
        request(
            "GET",
            "/beheer/export?van=2027-01-01&tot=2027-01-31",
            Some(&s.cookie),
            "",
        ),
    )
    .await;
    assert_eq!(csv.status(), 200, "{}", text(&csv));
    assert_eq!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let body = csv.body().to_vec();
    assert!(body.starts_with("\u{feff}".as_bytes()), "a BOM");
    let text = String::from_utf8(body).expect("UTF-8");
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(text.contains(&first.trim_start_matches("CBT-").to_string()));
    assert!(text.contains("C-2027-0001"));
    assert!(text.contains("-4452.80"), "{text}");
    // Outside the range: the header only.
    let empty = handle(
        &app,
        request(
            "GET",
            "/beheer/export?van=2026-01-01&tot=2026-12-31",
            Some(&s.cookie),
            "",
        ),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(empty.body())
            .trim_start_matches('\u{feff}')
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .count(),
        1
    );
    for bad in [
        "/beheer/export",
        "/beheer/export?van=2027-02-01&tot=2027-01-01",
        "/beheer/export?van=gisteren&tot=2027-01-01",
    ] {
        let r = handle(&app, request("GET", bad, Some(&s.cookie), "")).await;
        assert_eq!(r.status(), 422, "{bad}");
    }
}

/// A JSON post, as passkey.js sends it.
async fn post_json(
    app: &LocalApp,
    cookie: Option<&str>,
    path: &str,
    fields: &[(&str, &str)],
) -> Response<Bytes> {
    let mut req = request("POST", path, cookie, &form(fields));
    req.headers_mut()
        .insert("accept", http::HeaderValue::from_static("application/json"));
    handle(app, req).await
}

fn json(r: &Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(r.body()).expect("JSON")
}

#[tokio::test]
async fn passkeys_are_offered_and_every_bad_answer_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app(dir.path());
    let s = sign_in(&app, dir.path(), ADMIN).await;

    let page = handle(
        &app,
        request("GET", "/beheer/passkeys", Some(&s.cookie), ""),
    )
    .await;
    assert_eq!(page.status(), 200);
    let html = text(&page);
    assert!(html.contains("<h1>Passkeys</h1>") && html.contains("U hebt nog geen passkey."));
    assert!(
        html.contains("/assets/passkey."),
        "the page loads passkey.js"
    );

    // Registration: options for this site, the member's own handle.
    let begun = post_json(
        &app,
        Some(&s.cookie),
        "/beheer/passkeys/begin",
        &[("csrf", &s.csrf)],
    )
    .await;
    assert_eq!(begun.status(), 200, "{}", text(&begun));
    let begun = json(&begun);
    let options = &begun["opties"]["publicKey"];
    assert_eq!(options["rp"]["id"], "www.balanstoetstelemarketing.nl");
    assert_eq!(options["user"]["name"], ADMIN);
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    let ceremony = begun["ceremonie"].as_str().expect("a ceremony").to_string();
    // A made-up credential is refused, and uses the ceremony up.
    let bad = post_json(
        &app,
        Some(&s.cookie),
        "/beheer/passkeys/registreren",
        &[
            ("csrf", &s.csrf),
            ("ceremonie", &ceremony),
            ("naam", "laptop"),
            ("credential", "{\"id\":\"x\"}"),
        ],
    )
    .await;
    assert_eq!(bad.status(), 422, "{}", text(&bad));
    assert_eq!(json(&bad)["error"], "passkey_refused");
    let again = post_json(
        &app,
        Some(&s.cookie),
        "/beheer/passkeys/registreren",
        &[
            ("csrf", &s.csrf),
            ("ceremonie", &ceremony),
            ("credential", "{}"),
        ],
    )
    .await;
    assert_eq!(again.status(), 410, "{}", text(&again));
    // Without the session's token, or without a session: nothing.
    let no_csrf = post_json(&app, Some(&s.cookie), "/beheer/passkeys/begin", &[]).await;
    assert_eq!(no_csrf.status(), 403);
    let no_session = post_json(&app, None, "/beheer/passkeys/begin", &[]).await;
    assert_eq!(no_session.status(), 403);
    // Removing one that is not there.
    let gone = post_json(
        &app,
        Some(&s.cookie),
        "/beheer/passkeys/verwijderen",
        &[("csrf", &s.csrf), ("id", "onbekend")],
    )
    .await;
    assert_eq!(gone.status(), 404);

    // Signing in: the same form of answer for a member without passkeys
    // and for an unknown address.
    let member = json(
        &post_json(
            &app,
            None,
            "/beheer/aanmelden/passkey/begin",
            &[("email", ADMIN)],
        )
        .await,
    );
    let stranger = json(
        &post_json(
            &app,
            None,
            "/beheer/aanmelden/passkey/begin",
            &[("email", "iemand@voorbeeld.nl")],
        )
        .await,
    );
    for answer in [&member, &stranger] {
        let options = &answer["opties"]["publicKey"];
        assert_eq!(
            options["rpId"], "www.balanstoetstelemarketing.nl",
            "{answer}"
        );
        assert_eq!(
            options["allowCredentials"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(options["userVerification"], "required");
    }
    assert_ne!(
        member["opties"]["publicKey"]["allowCredentials"],
        stranger["opties"]["publicKey"]["allowCredentials"]
    );
    // Its answer fails, is logged, and the ceremony is gone.
    let ceremony = stranger["ceremonie"]
        .as_str()
        .expect("a ceremony")
        .to_string();
    let refused = post_json(
        &app,
        None,
        "/beheer/aanmelden/passkey",
        &[("ceremonie", &ceremony), ("credential", "{}")],
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert!(json(&refused)["message"]
        .as_str()
        .unwrap_or_default()
        .contains("lukte niet"));
    assert!(refused.headers().get("set-cookie").is_none(), "no session");
    let replay = post_json(
        &app,
        None,
        "/beheer/aanmelden/passkey",
        &[("ceremonie", &ceremony), ("credential", "{}")],
    )
    .await;
    assert_eq!(replay.status(), 403);
    let log = app.store.audit_log(20).await.expect("log");
    assert!(log.iter().any(|e| e.who == "iemand@voorbeeld.nl"
        && e.what.starts_with("Mislukte aanmelding met een passkey")));
    assert!(log
        .iter()
        .any(|e| e.who == "onbekend" && e.what.contains("verlopen of al gebruikt")));

    // Another site cannot start one.
    let mut foreign = request(
        "POST",
        "/beheer/aanmelden/passkey/begin",
        None,
        &form(&[("email", ADMIN)]),
    );
    foreign.headers_mut().insert(
        "origin",
        http::HeaderValue::from_static("https://elders.example"),
    );
    assert_eq!(handle(&app, foreign).await.status(), 403);
}
