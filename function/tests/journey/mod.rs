//! A case from application to advice, on any store and file store: the
//! applicant through the handler (their personal link, as a browser uses
//! it), the secretariat through the core (`cases::act`, as the schedule
//! does; the workspace's forms have their own tests in workspace.rs), the
//! clock moved day by day. Each step mails the
//! right person; a change on day 8 after payment, a completion after its
//! deadline, a step out of order and a second concurrent step are each
//! refused with a clear page. `local_journey` (handler.rs) runs it on the
//! local adapters, `aws_handler.rs` on DynamoDB and S3 over the wire.

#![allow(
    dead_code,
    reason = "each test binary that includes the journey uses part of it"
)]

use std::path::Path;

use bytes::Bytes;
use cbt::case::{Action, Actor, Outcome, Refusal, State};
use cbt::Cents;
use cbt_function::adapters::local::Outbox;
use cbt_function::cases::{act, act_on, ActError};
use cbt_function::ports::{Files, Mailer, Store};
use cbt_function::{handle, App, Clock};
use chrono::{NaiveDate, TimeZone, Utc};
use http::{Request, Response};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// 10:00 in Amsterdam (winter) on `date`.
fn set_day<S, F>(app: &mut App<S, Outbox, F>, date: NaiveDate) {
    app.clock = Clock::Fixed(Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).expect("time")));
}

fn secretariat() -> Actor {
    Actor::Secretariat {
        name: "Sanne Secretaris".into(),
    }
}

/// A browser's request.
fn request(
    origin: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("accept", "text/html")
        .header("origin", origin)
        .header(cbt_function::handler::SOURCE_IP_HEADER, "203.0.113.9");
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(Bytes::from(body)).expect("request")
}

fn text(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

fn location(response: &Response<Bytes>) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The mails in the outbox so far: (kind's template name, To, text).
pub fn mails(outbox: &Path) -> Vec<(String, String, String)> {
    let mut names: Vec<_> = std::fs::read_dir(outbox)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|path| {
            let raw = std::fs::read(&path).expect("mail");
            let mail = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("a mail");
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            // `<stamp>-<n>-<kind>`: the kind is what follows the second dash.
            let kind = name.splitn(3, '-').nth(2).unwrap_or_default().to_string();
            let to = mail
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string();
            let body = mail
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default();
            (kind, to, body)
        })
        .collect()
}

/// The mails that came since `before` of them.
fn new_mails(outbox: &Path, before: usize) -> Vec<(String, String, String)> {
    mails(outbox).into_iter().skip(before).collect()
}

const CONTACT: &str = "jan.devries@voorbeeld.nl";
const SECRETARIAT: &str = "aanvragen@balanstoetstelemarketing.nl";

/// Files the sample application on 4 January 2027; its reference and the
/// personal page's address (`/mijn-aanvraag/<secret>`).
pub async fn apply<S: Store, F: Files>(app: &mut App<S, Outbox, F>) -> (String, String) {
    let outbox = app.mailer.dir().to_path_buf();
    let draft = send(app).await;
    let reference = file(app, &draft, &outbox).await;
    let confirmation = mails(&outbox)
        .into_iter()
        .rfind(|m| m.0 == "aanvraag-bevestiging")
        .expect("the confirmation");
    (reference, personal_link(&confirmation.2))
}

/// Posts the sample application on 4 January 2027, reads it back and
/// sends it for its address check; its draft's id.
pub async fn send<S: Store, F: Files>(app: &mut App<S, Outbox, F>) -> String {
    let site = app.config.site_url.clone();
    set_day(app, d(2027, 1, 4));
    let (ct, body) = cbt::sample::multipart(
        &cbt::sample::application_fields(),
        Some(("balanstest.pdf", cbt::sample::PDF)),
    );
    let posted = handle(app, request(&site, "POST", "/aanvraag", Some(&ct), body)).await;
    assert_eq!(posted.status(), 303, "{}", text(&posted));
    let check = handle(
        app,
        request(&site, "GET", &location(&posted), None, Vec::new()),
    )
    .await;
    assert_eq!(check.status(), 200, "{}", text(&check));
    let page = text(&check);
    let draft = page
        .split("name=\"concept\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("draft id")
        .to_string();
    let done = handle(
        app,
        request(
            &site,
            "POST",
            "/aanvraag/bevestig",
            Some("application/x-www-form-urlencoded"),
            format!("concept={draft}").into_bytes(),
        ),
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        app.store.get_confirmed(&draft).await.expect("store"),
        None,
        "nothing is filed before the addresses confirm"
    );
    draft
}

/// Confirms both addresses of sent draft `draft` from the mails in
/// `outbox`, which files it; the case's reference.
pub async fn file<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    draft: &str,
    outbox: &Path,
) -> String {
    assert_eq!(
        confirm_addresses(app, outbox).await,
        2,
        "contact and invoice"
    );
    app.store
        .get_confirmed(draft)
        .await
        .expect("store")
        .expect("filed")
        .reference
}

/// The links in the text of a mail that start with `prefix` and end in a
/// 64-character secret.
pub fn links(text: &str, prefix: &str) -> Vec<String> {
    text.split(prefix)
        .skip(1)
        .filter_map(|rest| {
            let secret: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            (secret.len() == 64).then(|| format!("{prefix}{secret}"))
        })
        .collect()
}

/// The path of the personal link in a mail's text.
pub fn personal_link(text: &str) -> String {
    links(text, "/mijn-aanvraag/")
        .into_iter()
        .next()
        .expect("a personal link in the mail")
}

/// Follows every address-check link in the outbox that was not followed
/// yet, as the person at each address does: opens the page, presses the
/// button. Returns how many it confirmed.
pub async fn confirm_addresses<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    outbox: &Path,
) -> usize {
    let site = app.config.site_url.clone();
    let mut confirmed = 0;
    for (kind, _, body) in mails(outbox) {
        if kind != "adres-bevestigen" && kind != "factuuradres-bevestigen" {
            continue;
        }
        for path in links(&body, "/aanvraag/adres/") {
            let page = handle(app, request(&site, "GET", &path, None, Vec::new())).await;
            assert_eq!(page.status(), 200, "{}", text(&page));
            if text(&page).contains("Dank u voor uw bevestiging")
                || text(&page).contains("De aanvraag is ingediend")
            {
                continue;
            }
            let done = handle(
                app,
                request(
                    &site,
                    "POST",
                    &path,
                    Some("application/x-www-form-urlencoded"),
                    Vec::new(),
                ),
            )
            .await;
            assert_eq!(done.status(), 303, "{}", text(&done));
            assert_eq!(location(&done), path);
            confirmed += 1;
        }
    }
    confirmed
}

/// The whole procedure; `outbox` is the outbox's folder.
pub async fn journey<S: Store, F: Files>(app: &mut App<S, Outbox, F>, outbox: &Path) {
    let site = app.config.site_url.clone();
    let (reference, page) = apply(app).await;
    let filed = mails(outbox);
    assert_eq!(
        filed.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        [
            "adres-bevestigen",
            "factuuradres-bevestigen",
            "aanvraag-bevestiging",
            "factuur",
            "aanvraag-secretariaat"
        ],
        "the address check, then confirmation, invoice, secretariat"
    );
    let confirmation = filed
        .iter()
        .find(|m| m.0 == "aanvraag-bevestiging")
        .expect("confirmation");
    assert_eq!(confirmation.1, CONTACT);
    assert!(
        confirmation.2.contains("/mijn-aanvraag/"),
        "{}",
        confirmation.2
    );

    // The applicant's page: state, next step, dates, history; private.
    let overview = handle(app, request(&site, "GET", &page, None, Vec::new())).await;
    assert_eq!(overview.status(), 200);
    let html = text(&overview);
    for expected in [
        reference.as_str(),
        "Ontvangen, wacht op betaling",
        "tot en met 3 februari 2027",
        "Aanvraag ingediend; factuur verstuurd",
        "noindex",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }
    assert_eq!(
        overview
            .headers()
            .get("referrer-policy")
            .map(|v| v.as_bytes()),
        Some(&b"strict-origin"[..])
    );
    assert_eq!(
        overview
            .headers()
            .get("cache-control")
            .map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    // The invoice as sent, and the balancing test, are downloadable.
    let invoice = handle(
        app,
        request(
            &site,
            "GET",
            &format!("{page}/factuur.pdf"),
            None,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(invoice.status(), 200);
    assert!(invoice.body().starts_with(b"%PDF-"));
    let document = handle(
        app,
        request(
            &site,
            "GET",
            &format!("{page}/document/0"),
            None,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(document.body().as_ref(), cbt::sample::PDF);
    let missing = handle(
        app,
        request(
            &site,
            "GET",
            &format!("{page}/document/9"),
            None,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(missing.status(), 404);

    // Payment registered: the applicant hears, with the change window.
    set_day(app, d(2027, 1, 10));
    let before = mails(outbox).len();
    act(
        app,
        &reference,
        &Action::RegisterPayment {
            date: d(2027, 1, 10),
            amount: Cents(445_280),
            accept_difference: false,
        },
        secretariat(),
    )
    .await
    .expect("payment registered");
    let sent = new_mails(outbox, before);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0].0.as_str(), sent[0].1.as_str()),
        ("betaling-ontvangen", CONTACT)
    );
    assert!(
        sent[0].2.contains("Tot en met 17 januari 2027"),
        "{}",
        sent[0].2
    );

    // A change within the window: receipt to the applicant, old and new to
    // the secretariat.
    set_day(app, d(2027, 1, 15));
    let changed = cbt::sample::set(
        cbt::sample::application_fields(),
        "motivering",
        "Onze klanten sluiten contracten van vijf jaar; wij bellen hen hooguit eens per jaar.",
    );
    let (ct, body) = cbt::sample::multipart(&changed, None);
    let before = mails(outbox).len();
    let saved = handle(
        app,
        request(&site, "POST", &format!("{page}/wijzigen"), Some(&ct), body),
    )
    .await;
    assert_eq!(saved.status(), 303, "{}", text(&saved));
    assert_eq!(location(&saved), format!("{page}?gedaan=gewijzigd"));
    let sent = new_mails(outbox, before);
    let kinds: Vec<(&str, &str)> = sent.iter().map(|m| (m.0.as_str(), m.1.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("wijziging-ontvangen", CONTACT),
            ("wijziging-secretariaat", SECRETARIAT)
        ]
    );
    let notice = &sent[1].2;
    assert!(
        notice.contains("was:")
            && notice.contains("Zij verwachten een belletje")
            && notice.contains("hooguit eens per jaar"),
        "old and new side by side: {notice}"
    );

    // Day 8 after payment: too late, with a clear page.
    set_day(app, d(2027, 1, 18));
    let (ct, body) = cbt::sample::multipart(&cbt::sample::application_fields(), None);
    let late = handle(
        app,
        request(&site, "POST", &format!("{page}/wijzigen"), Some(&ct), body),
    )
    .await;
    assert_eq!(late.status(), 409);
    assert!(
        text(&late).contains("Wijzigen of aanvullen kon tot en met 17 januari 2027"),
        "{}",
        text(&late)
    );

    // Taken into handling: the applicant hears the advice date.
    let before = mails(outbox).len();
    act(app, &reference, &Action::TakeIntoHandling, secretariat())
        .await
        .expect("in handling");
    let sent = new_mails(outbox, before);
    assert_eq!(
        (sent[0].0.as_str(), sent[0].1.as_str()),
        ("in-behandeling", CONTACT)
    );
    assert!(
        sent[0].2.contains("uiterlijk 15 maart 2027"),
        "{}",
        sent[0].2
    );

    // Out of order: a payment again, or a withdrawal by the applicant.
    assert!(matches!(
        act(
            app,
            &reference,
            &Action::RegisterPayment {
                date: d(2027, 1, 18),
                amount: Cents(445_280),
                accept_difference: false
            },
            secretariat()
        )
        .await,
        Err(ActError::Refused(Refusal::WrongState { .. }))
    ));
    let withdraw = handle(
        app,
        request(
            &site,
            "POST",
            &format!("{page}/intrekken"),
            Some("application/x-www-form-urlencoded"),
            b"bevestig=ja".to_vec(),
        ),
    )
    .await;
    assert_eq!(withdraw.status(), 409);
    assert!(
        text(&withdraw).contains("status “In behandeling”"),
        "{}",
        text(&withdraw)
    );

    // A completion request, answered in time with text and a document.
    set_day(app, d(2027, 1, 25));
    let before = mails(outbox).len();
    act(
        app,
        &reference,
        &Action::RequestCompletion {
            text: "Licht toe waarom oud-klanten na vijf jaar een telefoontje verwachten.".into(),
        },
        secretariat(),
    )
    .await
    .expect("completion asked");
    let sent = new_mails(outbox, before);
    assert_eq!(
        (sent[0].0.as_str(), sent[0].1.as_str()),
        ("aanvulling-gevraagd", CONTACT)
    );
    assert!(
        sent[0].2.contains("tot en met 8 februari 2027"),
        "{}",
        sent[0].2
    );
    assert!(
        sent[0].2.contains("/mijn-aanvraag/"),
        "with the link: {}",
        sent[0].2
    );
    set_day(app, d(2027, 1, 30));
    let (ct, body) =
        cbt::sample::multipart(&[("aanvulling", "Zie het onderzoek in de bijlage.")], None);
    let mut body = body;
    // The document goes in a part named `document`.
    let (ct, with_doc) = multipart_document(&ct, &mut body);
    let before = mails(outbox).len();
    let answered = handle(
        app,
        request(
            &site,
            "POST",
            &format!("{page}/aanvullen"),
            Some(&ct),
            with_doc,
        ),
    )
    .await;
    assert_eq!(answered.status(), 303, "{}", text(&answered));
    let sent = new_mails(outbox, before);
    let kinds: Vec<(&str, &str)> = sent.iter().map(|m| (m.0.as_str(), m.1.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("aanvulling-ontvangen", CONTACT),
            ("aanvulling-secretariaat", SECRETARIAT)
        ]
    );
    assert!(sent[1].2.contains("Zie het onderzoek in de bijlage."));
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    assert_eq!(record.case.state, State::AanvullingOntvangen);
    assert_eq!(record.case.documents.len(), 2, "the completion's document");

    // A second request, answered a day after its deadline: refused.
    set_day(app, d(2027, 2, 1));
    act(
        app,
        &reference,
        &Action::RequestCompletion {
            text: "Noem de frequentie per jaar.".into(),
        },
        secretariat(),
    )
    .await
    .expect("asked again");
    set_day(app, d(2027, 2, 16));
    let (ct, body) = cbt::sample::multipart(&[("aanvulling", "Eens per jaar.")], None);
    let late = handle(
        app,
        request(&site, "POST", &format!("{page}/aanvullen"), Some(&ct), body),
    )
    .await;
    assert_eq!(late.status(), 409);
    assert!(
        text(&late).contains("Aanvullen kon tot en met 15 februari 2027"),
        "{}",
        text(&late)
    );

    // The advice, with its letter, once the deadline passed.
    set_day(app, d(2027, 2, 20));
    let before = mails(outbox).len();
    act(
        app,
        &reference,
        &Action::RecordAdvice {
            outcome: Outcome::Granted {
                term_years: 5,
                valid_until: d(2032, 2, 19),
            },
            motivation: "De balans valt uit in het voordeel van de aanvrager.".into(),
        },
        secretariat(),
    )
    .await
    .expect("advice");
    let sent = new_mails(outbox, before);
    assert_eq!(
        (sent[0].0.as_str(), sent[0].1.as_str()),
        ("advies", CONTACT)
    );
    assert!(
        sent[0].2.contains("klanttermijn van 5 jaar"),
        "{}",
        sent[0].2
    );
    let letter = handle(
        app,
        request(
            &site,
            "GET",
            &format!("{page}/advies.pdf"),
            None,
            Vec::new(),
        ),
    )
    .await;
    assert_eq!(letter.status(), 200);
    assert!(letter.body().starts_with(b"%PDF-"), "the letter as sent");
    let overview = handle(app, request(&site, "GET", &page, None, Vec::new())).await;
    let html = text(&overview);
    assert!(html.contains("Advies uitgebracht"), "{html}");
    assert!(html.contains("geen bezwaar of beroep"), "{html}");

    // The history tells it all, in order.
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    let summaries: Vec<String> = record.events.iter().map(|e| e.change.summary()).collect();
    assert_eq!(record.events.len(), 8, "{summaries:#?}");
}

/// Two changes decided on the same version: one is kept, the other is a
/// conflict; and through the page, a clear message.
/// An SES event for `message_id` about `recipient`, as the configuration
/// set publishes it (`tests/fixtures/ses-*.json` with our ids).
pub fn ses_event(fixture: &str, message_id: &str, recipient: &str, feedback: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    std::fs::read_to_string(path)
        .expect("fixture")
        .replace(
            "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
            message_id,
        )
        .replace("recipient@example.com", recipient)
        .replace(
            "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
            feedback,
        )
}

/// The mail service's reports: the invoice bounces (kept on its mail, the
/// secretariat told once, however often SES says it), a delay is kept and
/// told to nobody, a complaint about a contact message's
/// acknowledgement is told, a bounce of the secretariat's own copy is an
/// error for the operators, and a report on a mail we never sent changes
/// nothing.
pub async fn reports<S: Store, F: Files>(app: &mut App<S, Outbox, F>, outbox: &Path) {
    use cbt::mail::MailKind;
    use cbt_function::delivery::{record, reports_from_ses};
    use cbt_function::ports::Owner;
    let (reference, _) = apply(app).await;
    let owner = Owner::Application(reference.clone());
    let sent = app.store.sent_mails(&owner).await.expect("sent");
    let id_of = |kind: MailKind| {
        sent.iter()
            .find(|m| m.mail.kind == kind)
            .map(|m| m.message_id.clone())
            .expect("sent")
    };
    let (invoice, secretariat) = (
        id_of(MailKind::Invoice),
        id_of(MailKind::ApplicationSecretariat),
    );
    let invoice_to = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case")
        .case
        .application
        .invoice
        .email
        .as_str()
        .to_string();

    let before = mails(outbox).len();
    let bounce = reports_from_ses(&ses_event("ses-bounce.json", &invoice, &invoice_to, "fb-1"))
        .expect("an SES event");
    let tally = record(app, &bounce).await.expect("recorded");
    assert_eq!((tally.kept, tally.notices), (1, 1), "{tally:?}");
    let told: Vec<_> = mails(outbox).into_iter().skip(before).collect();
    assert_eq!(told.len(), 1, "{told:?}");
    let (kind, to, body) = &told[0];
    assert_eq!(kind, "niet-bezorgd");
    assert_eq!(to, &app.rules.site.secretariat.email);
    assert!(body.contains(&format!("aanvraag {reference}")), "{body}");
    assert!(
        body.contains("Niet bezorgd: het adres bestaat niet."),
        "{body}"
    );
    assert!(body.contains(&invoice_to), "{body}");
    assert!(
        body.contains("telefoon"),
        "the other way to reach them: {body}"
    );

    // SES may deliver a report twice: kept once, told once.
    let again = record(app, &bounce).await.expect("recorded");
    assert_eq!((again.kept, again.again, again.notices), (0, 1, 0));
    assert_eq!(mails(outbox).len(), before + 1);

    // A delay is kept with the mail; nobody is mailed.
    let delay = reports_from_ses(&ses_event(
        "ses-delivery-delay.json",
        &invoice,
        &invoice_to,
        "-",
    ))
    .expect("an SES event");
    let tally = record(app, &delay).await.expect("recorded");
    assert_eq!((tally.kept, tally.notices), (1, 0));
    let kept = app
        .store
        .sent_mail(&invoice)
        .await
        .expect("store")
        .expect("known");
    assert_eq!(
        kept.reports.len(),
        2,
        "the bounce and the delay, with the invoice"
    );

    // The secretariat's own copy bouncing is for the operators.
    let own = reports_from_ses(&ses_event(
        "ses-bounce.json",
        &secretariat,
        "x@cbt.example",
        "fb-2",
    ))
    .expect("an SES event");
    let tally = record(app, &own).await.expect("recorded");
    assert_eq!((tally.kept, tally.notices), (1, 0));

    // Someone else's mail.
    let stranger = reports_from_ses(&ses_event(
        "ses-bounce.json",
        "not-ours",
        "a@b.example",
        "fb-3",
    ))
    .expect("an SES event");
    let tally = record(app, &stranger).await.expect("recorded");
    assert_eq!((tally.kept, tally.unknown), (0, 1));
    assert_eq!(mails(outbox).len(), before + 1);

    // A mail that asked to confirm an address belongs to no filed
    // application: its bounce is kept, and the secretariat is not told
    // (else a dead address typed into the form would mail it).
    let mut address_checks = Vec::new();
    for (id, kind) in outbox_ids(app) {
        if kind == "adres-bevestigen" {
            address_checks.push((id.clone(), app.store.sent_mail(&id).await.expect("store")));
        }
    }
    let (check_id, check_sent) = address_checks.pop().expect("an address-check mail");
    assert!(
        matches!(check_sent.map(|s| s.mail.owner), Some(Owner::Draft(_))),
        "kept as the sent application's"
    );
    let dead = reports_from_ses(&ses_event("ses-bounce.json", &check_id, CONTACT, "fb-5"))
        .expect("an SES event");
    let tally = record(app, &dead).await.expect("recorded");
    assert_eq!((tally.kept, tally.notices), (1, 0), "{tally:?}");
    assert_eq!(mails(outbox).len(), before + 1, "nobody told");

    // A complaint about a contact message's acknowledgement.
    let site = app.config.site_url.clone();
    let posted = handle(
        app,
        request(
            &site,
            "POST",
            "/contact",
            Some("application/x-www-form-urlencoded"),
            cbt::sample::urlencoded(&cbt::sample::contact_fields()).into_bytes(),
        ),
    )
    .await;
    assert_eq!(posted.status(), 303, "{}", text(&posted));
    let pending = app.store.pending_mails().await.expect("pending");
    assert!(pending.is_empty(), "{pending:?}");
    let before = mails(outbox).len();
    // The acknowledgement is the newest sent mail of a contact message.
    let ack = mails(outbox)
        .into_iter()
        .rfind(|(kind, _, _)| kind == "contact-ontvangst")
        .expect("acknowledged");
    let contact_sent = contact_message_ids(app).await;
    let ack_id = contact_sent
        .iter()
        .find(|m| m.mail.kind == MailKind::ContactAcknowledgement)
        .map(|m| m.message_id.clone())
        .expect("the acknowledgement's id");
    let complaint = reports_from_ses(&ses_event("ses-complaint.json", &ack_id, &ack.1, "fb-4"))
        .expect("an SES event");
    let tally = record(app, &complaint).await.expect("recorded");
    assert_eq!((tally.kept, tally.notices), (1, 1));
    let told: Vec<_> = mails(outbox).into_iter().skip(before).collect();
    assert_eq!(told.len(), 1);
    assert!(
        told[0]
            .2
            .contains("De ontvanger heeft de e-mail als ongewenst gemeld."),
        "{}",
        told[0].2
    );
    assert!(told[0].2.contains("contactbericht"), "{}", told[0].2);
}

/// The sent mails of the contact messages in the store.
async fn contact_message_ids<S: Store, F: Files>(
    app: &App<S, Outbox, F>,
) -> Vec<cbt_function::ports::SentMail> {
    // The handler does not tell the message's id; the outbox's file names
    // carry the mailer's id, which the store maps back.
    let mut out = Vec::new();
    for (id, _) in outbox_ids(app) {
        if let Some(sent) = app.store.sent_mail(&id).await.expect("store") {
            if matches!(sent.mail.owner, cbt_function::ports::Owner::Contact(_)) {
                out.push(sent);
            }
        }
    }
    out
}

/// The outbox's mails as (mailer's id, kind).
fn outbox_ids<S, F>(app: &App<S, Outbox, F>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(app.mailer.dir())
        .expect("outbox")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".eml") {
            let kind = stem.splitn(3, '-').nth(2).unwrap_or_default().to_string();
            out.push((format!("{stem}@outbox.local"), kind));
        }
    }
    out
}

/// A filing whose mails failed, then six requests and six scheduled
/// retries reaching its pending mails at the same moment: each of the
/// three goes out once. (Without the claim every one of the twelve lists
/// the same three pending mails before any is marked sent.)
pub async fn exactly_once<S: Store, F: Files>(app: &mut App<S, Outbox, F>, outbox: &Path) {
    let draft = send(app).await;
    // An outbox inside a file cannot be written: every send of the
    // filing fails.
    let working = std::mem::replace(&mut app.mailer, Outbox::new("/dev/null"));
    let reference = file(app, &draft, outbox).await;
    app.mailer = working;
    let owner = cbt_function::ports::Owner::Application(reference.clone());
    let pending = app.store.pending_mails().await.expect("pending");
    assert_eq!(
        pending.iter().filter(|p| p.owner == owner).count(),
        3,
        "the three mails wait"
    );
    let before = mails(outbox).len();
    let app = &*app;
    let requests = futures_util::future::join_all(
        (0..6).map(|_| cbt_function::outbox::send_pending(app, &owner)),
    );
    let retries =
        futures_util::future::join_all((0..6).map(|_| cbt_function::outbox::retry_pending(app)));
    let (requests, retries) = tokio::join!(requests, retries);
    let sent = requests.iter().sum::<usize>()
        + retries
            .into_iter()
            .map(|r| r.expect("retry").sent)
            .sum::<usize>();
    assert_eq!(sent, 3, "each mail sent by one of the twelve");
    let out: Vec<_> = mails(outbox).into_iter().skip(before).collect();
    let mut kinds: Vec<&str> = out.iter().map(|(kind, _, _)| kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["aanvraag-bevestiging", "aanvraag-secretariaat", "factuur"],
        "each once"
    );
    let left = app.store.pending_mails().await.expect("pending");
    assert!(!left.iter().any(|p| p.owner == owner), "{left:?}");
}

pub async fn concurrent<S: Store, F: Files>(app: &mut App<S, Outbox, F>) {
    let site = app.config.site_url.clone();
    let (reference, page) = apply(app).await;
    set_day(app, d(2027, 1, 10));
    let record = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    let pay = |amount| Action::RegisterPayment {
        date: d(2027, 1, 10),
        amount: Cents(amount),
        accept_difference: true,
    };
    let (full, partial) = (pay(445_280), pay(100));
    let app = &*app;
    let (first, second) = tokio::join!(
        act_on(app, record.clone(), &full, secretariat()),
        act_on(app, record.clone(), &partial, secretariat()),
    );
    let outcomes = [first.is_ok(), second.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "exactly one kept: {first:?} {second:?}"
    );
    let refused = if first.is_ok() { second } else { first };
    assert!(matches!(refused, Err(ActError::Conflict)), "{refused:?}");
    let after = app
        .store
        .get_case(&reference)
        .await
        .expect("store")
        .expect("case");
    assert_eq!(after.events.len(), 2, "one payment, not two");
    // The page the applicant had open is stale: their withdrawal now meets
    // a paid case, which they still may withdraw; but a second withdrawal
    // decided on the page before the first is refused.
    let stale = after.clone();
    act_on(
        app,
        after,
        &Action::Withdraw { credit_note: false },
        Actor::Applicant,
    )
    .await
    .expect("withdrawn");
    assert!(matches!(
        act_on(
            app,
            stale,
            &Action::Withdraw { credit_note: false },
            Actor::Applicant
        )
        .await,
        Err(ActError::Conflict)
    ));
    let again = handle(
        app,
        request(
            &site,
            "POST",
            &format!("{page}/intrekken"),
            Some("application/x-www-form-urlencoded"),
            b"bevestig=ja".to_vec(),
        ),
    )
    .await;
    assert_eq!(again.status(), 409);
    assert!(text(&again).contains("Ingetrokken"), "{}", text(&again));
}

/// Adds a `document` part with the sample PDF to a multipart body made by
/// `cbt::sample::multipart`.
fn multipart_document(content_type: &str, body: &mut Vec<u8>) -> (String, Vec<u8>) {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("boundary")
        .to_string();
    let end = format!("--{boundary}--\r\n");
    let cut = body.len() - end.len();
    body.truncate(cut);
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"onderzoek.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(cbt::sample::PDF);
    body.extend_from_slice(format!("\r\n{end}").as_bytes());
    (content_type.to_string(), body.clone())
}
