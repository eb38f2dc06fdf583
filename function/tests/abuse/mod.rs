//! The scripted abuse run of issue 15, on any store and file store: a
//! sender who wants the commission's domain to carry their words to
//! strangers, posting through CloudFront from ever other addresses (IPv4,
//! and IPv6 from other /64s), half with the browser's proof of work solved
//! (it costs a script little) and half without:
//!
//! - 50 contact messages with a stranger's address and 4,800 characters of
//!   their own, an alarming subject and name;
//! - 20 applications with a stranger's invoice address (every other one
//!   with a stranger as the contact person too), first with a warning about a
//!   new IBAN as the invoice's reference, then with a purchase-order
//!   number; each one sent;
//! - the sender confirms every address-check link that reached their own
//!   mailbox;
//! - and one visitor, rotating within one IPv6 /64, tries a dozen posts.
//!
//! It holds that no stranger receives a word of the sender's (beyond a
//! short name), no more than the daily limit of mails, no invoice, and
//! that no invoice number is used; `local_abuse_run` (handler.rs) runs it
//! on the local adapters, `abuse_run_over_the_wire` (aws_handler.rs) on
//! DynamoDB and S3 on moto. It returns the figures, which the tests print.

#![allow(
    dead_code,
    reason = "each test binary that includes the run uses part of it"
)]

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use cbt::case::State;
use cbt_function::ports::{Files, Mailer, Store};
use cbt_function::{handle, App};
use http::{Request, Response};

/// The origin secret the run's CloudFront sends.
pub const SECRET: &str = "abuse-run-origin-secret-0123456789";

const ORIGIN: &str = "https://www.balanstoetstelemarketing.nl";

/// Strangers: the contact form's victim, an invoice address, a contact
/// person.
pub const VICTIM: &str = "secretariaat@slachtoffer.example";
pub const VICTIM_INVOICE: &str = "boekhouding@slachtoffer.example";
pub const VICTIM_CONTACT: &str = "directie@slachtoffer.example";
/// The sender's own mailbox, for the applications they confirm themselves.
pub const SENDER: &str = "bulk@afzender.example";

/// Words of the sender's that must reach no stranger.
const MARKERS: &[&str] = &[
    "LET OP",
    "IBAN",
    "NL12EVIL",
    "afzender.example",
    "0900-",
    "klik",
];

const WARNING: &str = "LET OP: ons IBAN is gewijzigd, betaal voortaan op NL12EVIL0123456789";

/// What the run saw.
#[derive(Debug, Default)]
pub struct Figures {
    /// Posts made, and how they were answered (status -> count).
    pub posts: usize,
    pub statuses: BTreeMap<u16, usize>,
    /// Mails received, by address.
    pub mails_to: BTreeMap<String, usize>,
    /// Mails that carried a marker of the sender's words to a stranger.
    pub leaks: Vec<String>,
    /// Cases filed (invoice numbers used).
    pub cases: usize,
    /// The dozen posts from one /64: how many passed.
    pub one_prefix_passed: usize,
}

/// A mail as the outbox keeps it: kind, recipient, subject, text, HTML.
pub struct Mail {
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn outbox_mails(outbox: &Path) -> Vec<Mail> {
    let mut paths: Vec<_> = std::fs::read_dir(outbox)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|path| {
            let raw = std::fs::read(&path).expect("mail");
            let mail = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("a mail");
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            Mail {
                kind: stem.splitn(3, '-').nth(2).unwrap_or_default().to_string(),
                to: mail
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_string(),
                subject: mail.subject().unwrap_or_default().to_string(),
                text: mail
                    .body_text(0)
                    .map(|t| t.into_owned())
                    .unwrap_or_default(),
                html: mail
                    .body_html(0)
                    .map(|t| t.into_owned())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The `i`th visitor: IPv4 for even `i`, an IPv6 of its own /64 for odd.
fn viewer(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("198.51.{}.{}:443", i / 250, i % 250 + 1)
    } else {
        format!("2001:db8:{:x}:{:x}::7:50000", 0x100 + i / 65536, i % 65536)
    }
}

/// A request as CloudFront forwards it from `viewer`.
fn request(
    viewer: &str,
    method: &str,
    path: &str,
    ct: Option<&str>,
    body: Vec<u8>,
) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("accept", "text/html")
        .header("origin", ORIGIN)
        .header("x-origin-verify", SECRET)
        .header("cloudfront-viewer-address", viewer)
        .header(cbt_function::handler::SOURCE_IP_HEADER, "130.176.0.1");
    if let Some(ct) = ct {
        builder = builder.header("content-type", ct);
    }
    builder.body(Bytes::from(body)).expect("request")
}

fn text(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

/// A stamp for the `n`th post, solved as the browser would (or none).
fn stamp<S, M, F>(app: &App<S, M, F>, n: usize, solved: bool) -> Option<String> {
    solved.then(|| cbt_function::challenge::solve(app.clock.now(), &format!("abuse{n:08}")))
}

async fn post<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    figures: &mut Figures,
    request: Request<Bytes>,
) -> Response<Bytes> {
    let response = handle(app, request).await;
    figures.posts += 1;
    *figures
        .statuses
        .entry(response.status().as_u16())
        .or_default() += 1;
    response
}

/// The run; `outbox` is the folder the app's mailer writes to. The app's
/// configuration must have [`SECRET`] as its origin secret and the
/// defaults for every limit.
pub async fn run<S: Store, M: Mailer, F: Files>(app: &App<S, M, F>, outbox: &Path) -> Figures {
    let mut figures = Figures::default();
    let form = "application/x-www-form-urlencoded";
    let mut visitor = 0;

    // 50 contact messages to a stranger.
    for n in 0..50_usize {
        visitor += 1;
        let name = if n.is_multiple_of(2) {
            "Eva".to_string()
        } else {
            format!("{WARNING}, klik hier")
        };
        let message = format!("{WARNING}. Bel 0900-1234 of klik op de link. ").repeat(45);
        let mut fields = vec![
            ("naam", name.as_str()),
            ("email", VICTIM),
            ("onderwerp", "IBAN gewijzigd: klik hier"),
            ("bericht", message.as_str()),
            ("akkoord_privacy", "ja"),
        ];
        let stamp = stamp(app, n, n.is_multiple_of(2));
        if let Some(s) = &stamp {
            fields.push(("bewijs", s.as_str()));
        }
        let body = cbt::sample::urlencoded(&fields).into_bytes();
        let response = post(
            app,
            &mut figures,
            request(&viewer(visitor), "POST", "/contact", Some(form), body),
        )
        .await;
        assert_eq!(response.status(), 303, "contact {n}: {}", text(&response));
    }

    // 20 applications with a stranger's invoice address.
    for n in 0..20_usize {
        visitor += 1;
        let v = viewer(visitor);
        let solved = n % 4 < 2;
        let contact = if n.is_multiple_of(2) {
            SENDER
        } else {
            VICTIM_CONTACT
        };
        let base = cbt::sample::set(
            cbt::sample::set(
                cbt::sample::set(
                    cbt::sample::application_fields(),
                    "factuur_email",
                    VICTIM_INVOICE,
                ),
                "contact_email",
                contact,
            ),
            "organisatie_naam",
            WARNING,
        );
        // The warning as the invoice's reference: refused at the form.
        let first = stamp(app, 1000 + 2 * n, solved);
        let mut fields = cbt::sample::set(base.clone(), "factuur_extra", WARNING);
        if let Some(s) = &first {
            fields.push(("bewijs", s.as_str()));
        }
        let (ct, body) = cbt::sample::multipart(&fields, Some(("b.pdf", cbt::sample::PDF)));
        let refused = post(
            app,
            &mut figures,
            request(&v, "POST", "/aanvraag", Some(&ct), body),
        )
        .await;
        assert_eq!(refused.status(), 422, "application {n}");
        assert!(
            text(&refused).contains("inkoopordernummer"),
            "the form says what the reference takes"
        );
        // A purchase-order number passes.
        let second = stamp(app, 1001 + 2 * n, solved);
        let mut fields = cbt::sample::set(base, "factuur_extra", "PO-12345");
        if let Some(s) = &second {
            fields.push(("bewijs", s.as_str()));
        }
        let (ct, body) = cbt::sample::multipart(&fields, Some(("b.pdf", cbt::sample::PDF)));
        let check = post(
            app,
            &mut figures,
            request(&v, "POST", "/aanvraag", Some(&ct), body),
        )
        .await;
        // A script need not read the check page: the draft's id is in
        // the address it redirects to.
        assert_eq!(check.status(), 303, "application {n}: {}", text(&check));
        let draft = check
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.split("concept=").nth(1))
            .expect("draft id")
            .to_string();
        let third = stamp(app, 5000 + n, solved);
        let mut fields = vec![("concept", draft.as_str())];
        if let Some(s) = &third {
            fields.push(("bewijs", s.as_str()));
        }
        let body = cbt::sample::urlencoded(&fields).into_bytes();
        let sent = post(
            app,
            &mut figures,
            request(&v, "POST", "/aanvraag/bevestig", Some(form), body),
        )
        .await;
        assert!(
            [303, 429].contains(&sent.status().as_u16()),
            "application {n}: {} {}",
            sent.status(),
            text(&sent)
        );
    }

    // The sender confirms whatever reached their own mailbox.
    for mail in outbox_mails(outbox).iter().filter(|m| m.to == SENDER) {
        for path in super::journey::links(&mail.text, "/aanvraag/adres/") {
            visitor += 1;
            let response = post(
                app,
                &mut figures,
                request(&viewer(visitor), "POST", &path, Some(form), Vec::new()),
            )
            .await;
            assert_eq!(response.status(), 303, "{}", text(&response));
        }
    }

    // One visitor rotating within one /64: counted as one.
    for n in 0..12 {
        let v = format!("2001:db8:ffff:1:{:x}::1:443", n + 1);
        let body = cbt::sample::urlencoded(&[
            ("naam", "Eva"),
            ("email", "eva@voorbeeld.nl"),
            ("onderwerp", "Vraag"),
            ("bericht", "Hoe lang duurt het?"),
            ("akkoord_privacy", "ja"),
        ])
        .into_bytes();
        let response = post(
            app,
            &mut figures,
            request(&v, "POST", "/contact", Some(form), body),
        )
        .await;
        if response.status() == 303 {
            figures.one_prefix_passed += 1;
        }
    }

    // What reached whom.
    let strangers = [VICTIM, VICTIM_INVOICE, VICTIM_CONTACT];
    for mail in outbox_mails(outbox) {
        *figures.mails_to.entry(mail.to.clone()).or_default() += 1;
        if strangers.contains(&mail.to.as_str()) {
            for part in [&mail.subject, &mail.text, &mail.html] {
                for marker in MARKERS {
                    if part.contains(marker) {
                        figures
                            .leaks
                            .push(format!("{} to {}: {marker}", mail.kind, mail.to));
                    }
                }
            }
        }
    }
    for state in State::ALL {
        figures.cases += app.store.cases_in(state).await.expect("cases").len();
    }
    figures
}

/// What the run must come to, on any adapter.
pub fn holds(figures: &Figures, mails_per_address: u32) {
    let limit = mails_per_address as usize;
    assert!(figures.leaks.is_empty(), "{:#?}", figures.leaks);
    for stranger in [VICTIM, VICTIM_INVOICE, VICTIM_CONTACT] {
        let got = figures.mails_to.get(stranger).copied().unwrap_or(0);
        assert!(
            got <= limit,
            "{stranger} got {got} mails, more than {limit}"
        );
        assert!(got > 0, "{stranger} got the mails within the limit");
    }
    assert_eq!(figures.cases, 0, "no invoice number used, no invoice sent");
    assert_eq!(
        figures.one_prefix_passed, 5,
        "one /64 posts as one visitor: five without the proof of work"
    );
}
