//! `cbt-site serve`, as an editor uses it: the site on 127.0.0.1, rebuilt
//! on a change, with the reload snippet only in what it serves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use common::{free_port, get, post, wait_for, Server};

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
    assert!(answer.contains("Er is een probleem") && answer.contains("value=\"X\""));

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
            |(s, b)| s == 500 && b.contains("onbekend veld `titel`")
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
