//! `cbt-site serve`, as an editor uses it: the site on 127.0.0.1, rebuilt
//! on a change, with the reload snippet only in what it serves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use common::{free_port, get, post, post_and_follow, wait_for, Server};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn serves_rebuilds_on_change_and_reloads() {
    let site = common::copy_of_real_site();
    let port = free_port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_cbt-site"))
            .arg("--root")
            .arg(site.path())
            .args(["serve", "--port", &port.to_string(), "--data", "gegevens"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start serve"),
    );
    assert!(
        wait_for(Duration::from_secs(20), || get(port, "/").is_some()),
        "serve did not start"
    );

    let (status, home) = get(port, "/").expect("home");
    assert_eq!(status, 200);
    assert!(
        home.contains("content-type: text/html; charset=utf-8"),
        "{home}"
    );
    assert!(
        home.contains("/__livereload?since="),
        "serve adds the reload snippet"
    );
    assert!(home.contains("Commissie Balanstoets Telemarketing"));

    let (status, response) = get(port, "/tarieven").expect("redirect");
    assert_eq!(status, 301);
    assert!(response.contains("location: /tarieven/"), "{response}");
    let (status, response) = get(port, "/bestaat-niet/").expect("404");
    assert_eq!(status, 404);
    assert!(response.contains("Pagina niet gevonden"));
    let css_path = home
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("css")
        .to_string();
    let (status, css) = get(port, &css_path).expect("css");
    assert_eq!(status, 200);
    assert!(css.contains("text/css") && !css.contains("__livereload"));

    // The forms are answered by the function, into the data folder.
    let (status, answer) = post(
        port,
        "/contact",
        "application/x-www-form-urlencoded",
        b"naam=Els&email=els%40voorbeeld.nl&onderwerp=Vraag&bericht=Hoi&akkoord_privacy=ja",
    )
    .expect("contact");
    assert_eq!(status, 303, "{answer}");
    assert!(answer.contains("location: /contact/bedankt"), "{answer}");
    let (status, thanks) = get(port, "/contact/bedankt").expect("thanks");
    assert_eq!(status, 200);
    assert!(thanks.contains("Bedankt voor uw bericht"));
    let outbox: Vec<String> = std::fs::read_dir(site.path().join("gegevens/outbox"))
        .expect("outbox")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(outbox.len(), 2, "{outbox:?}");
    let (status, answer) = post(
        port,
        "/aanvraag",
        "application/x-www-form-urlencoded",
        b"organisatie_naam=X",
    )
    .expect("application");
    assert_eq!(status, 422);
    assert!(
        answer.contains("Niet alle gegevens zijn goed ingevuld") && answer.contains("value=\"X\"")
    );

    // An edit: the page changes and a waiting tab is told to reload.
    let generation: String = home
        .split("const g=")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("generation")
        .to_string();
    let waiter =
        std::thread::spawn(move || get(port, &format!("/__livereload?since={generation}")));
    std::thread::sleep(Duration::from_millis(200));
    let file = site.path().join("content/de-regeling.md");
    let text = std::fs::read_to_string(&file).expect("page");
    std::fs::write(
        &file,
        format!("{text}\nEen nieuwe alinea van de redactie.\n"),
    )
    .expect("edit");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/de-regeling/")
            .is_some_and(
                |(_, b)| b.contains("Een nieuwe alinea van de redactie.")
            )),
        "the edit was not served"
    );
    let (status, answer) = waiter.join().expect("waiter").expect("long poll answered");
    assert_eq!(status, 200);
    assert!(
        !answer.ends_with("\r\n\r\n"),
        "answers with the new generation: {answer}"
    );

    // A mistake: the browser shows the problem instead of a stale site.
    std::fs::write(&file, "+++\ntitel = \"x\"\n+++\n").expect("break");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/").is_some_and(
            |(s, b)| s == 500 && b.contains("onbekend veld <code>titel</code>")
        )),
        "the problem was not shown"
    );
}

/// Sends `raw` as the request target, byte for byte: HTTP clients would
/// re-encode a path such as this one before it reached the server.
fn get_raw(port: u16, raw: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut request = b"GET ".to_vec();
    request.extend_from_slice(raw);
    request.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(&request).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.split(' ').nth(1)?.parse().ok()?;
    Some((status, response))
}

#[test]
fn broken_escapes_in_a_path_answer_a_page_not_a_panic() {
    let site = common::copy_of_real_site();
    let port = free_port();
    let log_path = site.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_cbt-site"))
            .arg("--root")
            .arg(site.path())
            .args(["serve", "--port", &port.to_string(), "--data", "gegevens"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start serve"),
    );
    assert!(
        wait_for(Duration::from_secs(20), || get(port, "/").is_some()),
        "serve did not start"
    );

    // A broken escape before a multibyte character, `%` at the end, `%zz`,
    // and an escape that decodes to no UTF-8 at all.
    for raw in [
        &b"/%a\xc3\xa9"[..],
        b"/%a\xc3\xa9/",
        b"/tarieven/%",
        b"/%zz/",
        b"/%ff/",
        b"/%C3%A9%",
    ] {
        let shown = String::from_utf8_lossy(raw).into_owned();
        let (status, response) =
            get_raw(port, raw).unwrap_or_else(|| panic!("no answer to {shown}"));
        assert!(
            (400..500).contains(&status),
            "{shown}: {status}\n{response}"
        );
        assert!(
            response.contains("text/html") && response.contains("</html>"),
            "{shown} answers a page: {response}"
        );
    }
    // The server still answers after them.
    assert_eq!(get(port, "/tarieven/").map(|(s, _)| s), Some(200));

    drop(server);
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(!log.contains("panicked"), "{log}");
}

/// `cbt-site serve` on the site at `root`, its log in `root/serve.log`.
fn start_serve(root: &std::path::Path) -> (Server, u16) {
    let port = free_port();
    let log = std::fs::File::create(root.join("serve.log")).expect("log file");
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_cbt-site"))
            .arg("--root")
            .arg(root)
            .args(["serve", "--port", &port.to_string(), "--data", "gegevens"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start serve"),
    );
    assert!(
        wait_for(Duration::from_secs(20), || get(port, "/").is_some()),
        "serve did not start"
    );
    (server, port)
}

/// Posts the sample application; the check page.
fn post_sample(port: u16) -> (u16, String) {
    let (content_type, body) = cbt::sample::multipart(
        &cbt::sample::application_fields(),
        Some(("balanstest.pdf", cbt::sample::PDF)),
    );
    post_and_follow(port, "/aanvraag", &content_type, &body).expect("check page")
}

fn draft_of(check: &str) -> String {
    check
        .split("name=\"concept\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the draft's id")
        .to_string()
}

/// A fee changed under `serve` reaches the forms at once: the check page,
/// the confirmation and the invoice, not only the fees page. So does a
/// template the function renders.
#[test]
fn the_forms_follow_the_fees_and_templates_on_disk() {
    let site = common::copy_of_real_site();
    let (_server, port) = start_serve(site.path());
    let (status, check) = post_sample(port);
    assert_eq!(status, 200, "{check}");
    // Amounts are written with a no-break space after the euro sign.
    assert!(check.contains("€\u{a0}4.452,80"), "{check}");

    let fees = site.path().join("content/data/fees.toml");
    let text = std::fs::read_to_string(&fees).expect("fees");
    std::fs::write(
        &fees,
        text.replace("excl_vat = \"3680.00\"", "excl_vat = \"3150.00\""),
    )
    .expect("new fee");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/tarieven/")
            .is_some_and(|(_, page)| page.contains("€\u{a0}3.150,00"))),
        "the fees page did not follow"
    );
    let (status, check) = post_sample(port);
    assert_eq!(status, 200, "{check}");
    assert!(
        check.contains("€\u{a0}3.811,50") && !check.contains("4.452,80"),
        "the check page has the new total (3150 + 21%): {check}"
    );
    let draft = draft_of(&check);
    let (status, _) = post(
        port,
        "/aanvraag/bevestig",
        "application/x-www-form-urlencoded",
        format!("concept={draft}").as_bytes(),
    )
    .expect("confirm");
    assert_eq!(status, 303);
    assert_eq!(
        common::confirm_addresses(port, &site.path().join("gegevens/outbox")),
        2,
        "the contact's and the invoice's address confirm"
    );
    let (status, page) =
        get(port, &format!("/aanvraag/ontvangen?concept={draft}")).expect("confirmation");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("€\u{a0}3.811,50"),
        "the invoice's total: {page}"
    );
    let invoice_mail = std::fs::read_dir(site.path().join("gegevens/outbox"))
        .expect("outbox")
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("-factuur.eml"))
        .map(|e| std::fs::read_to_string(e.path()).expect("mail"))
        .expect("the invoice mail");
    assert!(
        invoice_mail.contains("3.811,50") && !invoice_mail.contains("4.452,80"),
        "{invoice_mail}"
    );

    let template = site.path().join("templates/controle.html");
    let text = std::fs::read_to_string(&template).expect("template");
    std::fs::write(
        &template,
        text.replace(
            "Door de aanvraag te versturen",
            "Met het versturen van de aanvraag",
        ),
    )
    .expect("edit template");
    assert!(
        wait_for(Duration::from_secs(10), || post_sample(port)
            .1
            .contains("Met het versturen van de aanvraag")),
        "the check page did not follow its template"
    );

    // The function's pages link the stylesheet compiled in; after an edit
    // of the stylesheet they still get it, as it is now.
    let css = site.path().join("templates/assets/style.css");
    let text = std::fs::read_to_string(&css).expect("stylesheet");
    std::fs::write(&css, format!("{text}\n/* bewerkt */\n")).expect("edit stylesheet");
    let stylesheet = |page: &str| {
        page.split("rel=\"stylesheet\" href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    let (_, check) = post_sample(port);
    let compiled_in = stylesheet(&check);
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/")
            .is_some_and(|(_, home)| stylesheet(&home) != compiled_in)),
        "the stylesheet's name did not change"
    );
    let (status, css) = get(port, &compiled_in).expect("the compiled-in stylesheet");
    assert_eq!(status, 200, "{compiled_in}");
    assert!(css.contains("/* bewerkt */"), "{css}");
}

/// While the site does not build, every page shows its problems in the
/// site's own look: the stylesheet, a heading, a list with file and line,
/// and where the editors' manual is.
#[test]
fn the_problem_page_has_the_look_of_the_site() {
    let site = common::copy_of_real_site();
    let (_server, port) = start_serve(site.path());
    std::fs::write(
        site.path().join("content/proef.md"),
        "+++\ntitel = \"Proef\"\nbeschrijving = \"x\"\n+++\n\nTekst.\n",
    )
    .expect("break");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/")
            .is_some_and(|(s, _)| s == 500)),
        "the problem was not shown"
    );
    for path in ["/", "/tarieven/", "/bestaat-niet/"] {
        let (status, page) = get(port, path).expect("problem page");
        assert_eq!(status, 500, "{path}");
        assert!(page.contains("<html lang=\"nl\">"), "{page}");
        assert!(page.contains("class=\"site-header\""), "{page}");
        assert!(page.contains("<h1>De site bouwt niet</h1>"), "{page}");
        assert!(!page.contains("<pre>"), "{page}");
        let list = page
            .split("<ol class=\"problems\">")
            .nth(1)
            .and_then(|s| s.split("</ol>").next())
            .unwrap_or_else(|| panic!("a list of problems: {page}"));
        assert_eq!(list.matches("<li>").count(), 2, "{list}");
        assert!(list.contains("content/proef.md</code>, regel 2"), "{list}");
        assert!(list.contains("content/proef.md</code>, regel 3"), "{list}");
        assert!(
            list.contains("onbekend veld <code>titel</code>; bedoelt u <code>title</code>?"),
            "{list}"
        );
        assert!(
            page.contains("README.md") && page.contains("For editors"),
            "names the editors' manual: {page}"
        );
        assert!(page.contains("/__livereload?since="), "reloads when fixed");
        let css = page
            .split("rel=\"stylesheet\" href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("the stylesheet: {page}"))
            .to_string();
        let (status, css) = get(port, &css).expect("css");
        assert_eq!(status, 200);
        assert!(css.contains("text/css") && css.contains(".site-header"));
    }

    std::fs::remove_file(site.path().join("content/proef.md")).expect("fix");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/")
            .is_some_and(|(s, _)| s == 200)),
        "the site did not come back"
    );

    // With the templates themselves broken, the page keeps its look.
    std::fs::write(site.path().join("templates/kapot.html"), "{% if %}\n").expect("break");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/")
            .is_some_and(|(s, b)| s == 500 && b.contains("kapot.html"))),
        "the template's problem was not shown"
    );
    let (_, page) = get(port, "/").expect("problem page");
    assert!(page.contains("class=\"site-header\""), "{page}");
    assert!(page.contains("<h1>De site bouwt niet</h1>"), "{page}");
    assert!(page.contains("<code>templates/</code>"), "{page}");
    assert!(
        page.contains("rel=\"stylesheet\" href=\"/assets/style."),
        "{page}"
    );
    assert!(page.contains("For editors"), "{page}");
}

/// A restore or a `git checkout` of another branch replaces `content/` as
/// a whole (the old folder renamed away, a new one renamed into place):
/// serve builds the new one and goes on following edits in it.
#[test]
fn a_replaced_content_folder_is_still_followed() {
    let site = common::copy_of_real_site();
    let (_server, port) = start_serve(site.path());
    let content = site.path().join("content");
    let new = site.path().join("content.nieuw");
    common::copy_dir(&content, &new);
    let page = new.join("de-regeling.md");
    let text = std::fs::read_to_string(&page).expect("page");
    std::fs::write(&page, format!("{text}\nUit de teruggezette map.\n")).expect("edit");
    std::fs::rename(&content, site.path().join("content.oud")).expect("away");
    std::fs::rename(&new, &content).expect("into place");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/de-regeling/")
            .is_some_and(
                |(s, b)| s == 200 && b.contains("Uit de teruggezette map.")
            )),
        "the new folder was not built"
    );

    let page = content.join("tarieven.md");
    let text = std::fs::read_to_string(&page).expect("page");
    std::fs::write(&page, format!("{text}\nNa het terugzetten bewerkt.\n")).expect("edit");
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/tarieven/")
            .is_some_and(|(_, b)| b.contains("Na het terugzetten bewerkt."))),
        "an edit in the new folder was not followed"
    );
}

/// A connection that sends half a request line and then nothing is closed
/// after the header timeout; meanwhile, and after it, the server answers
/// others.
#[test]
fn a_slow_request_head_is_closed_and_others_are_answered() {
    use cbt_site::serve::{serve, Snapshot, State};
    use std::sync::Arc;
    use std::time::Instant;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("listen");
    let port = listener.local_addr().expect("address").port();
    let mut state = State::new();
    state.header_read_timeout = Duration::from_millis(500);
    let mut snapshot = Snapshot::default();
    snapshot.files.insert(
        "index.html".into(),
        Arc::new(b"<html><body>Hallo</body></html>".to_vec()),
    );
    *state.site.write().expect("site") = Arc::new(snapshot);
    runtime.spawn(serve(listener, state));

    let started = Instant::now();
    let slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream.write_all(b"GET /ta").expect("half a request line");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("read timeout");
            stream
        })
        .collect();
    let (status, page) = get(port, "/").expect("answered while 50 wait");
    assert_eq!(status, 200);
    assert!(page.contains("Hallo"));
    for mut stream in slow {
        let mut rest = Vec::new();
        match stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "the slow connection stayed open: {e}"
            ),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        started.elapsed()
    );
    assert_eq!(get(port, "/").map(|(s, _)| s), Some(200));
}

/// When `accept` fails (too many open files), the server says so and goes
/// on: it answers again once connections are closed.
#[test]
fn a_failed_accept_does_not_end_the_server() {
    let site = common::copy_of_real_site();
    let port = free_port();
    let log_path = site.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut server = Server(
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 128 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_cbt-site"))
            .arg("--root")
            .arg(site.path())
            .args(["serve", "--port", &port.to_string(), "--data", "gegevens"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start serve"),
    );
    assert!(
        wait_for(Duration::from_secs(20), || get(port, "/").is_some()),
        "serve did not start: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    // More connections than the server may have files open.
    let held: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(held.len() > 128, "{} connections", held.len());
    assert!(
        wait_for(Duration::from_secs(10), || std::fs::read_to_string(
            &log_path
        )
        .is_ok_and(|log| log.contains("verbinding aannemen mislukt"))),
        "the failed accept was not logged: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    drop(held);
    assert!(
        wait_for(Duration::from_secs(10), || get(port, "/")
            .is_some_and(|(s, _)| s == 200)),
        "the server did not answer again: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    assert!(
        server.0.try_wait().expect("status").is_none(),
        "the server ended"
    );
}
