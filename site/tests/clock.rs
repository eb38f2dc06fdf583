//! The whole application path under a faked clock: `cbt-site serve` started
//! by Debian's `faketime` at 23:30 UTC on 31 December (00:30 on New Year's
//! Day in Amsterdam), with the machine's time zone set to UTC. The
//! application is invoiced on 1 January, as number 1 of the new year.
//!
//! `faketime` (libfaketime) catches the clock calls of the Rust binary.
//! `tests/run` installs it; without it this test says so and passes,
//! unless `CBT_REQUIRE_TOOLS=1` (as `tests/run` sets) makes that a failure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{free_port, get, post, post_and_follow, wait_for, Server};

fn faketime_available() -> bool {
    let found = Command::new("faketime")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found && std::env::var("CBT_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!("faketime is not installed (apt-get install faketime; tests/run does)");
    }
    found
}

#[test]
fn new_years_night_in_amsterdam_under_faketime() {
    if !faketime_available() {
        eprintln!("faketime is not installed: the faked-clock test did not run");
        return;
    }
    let data = tempfile::tempdir().expect("data folder");
    let port = free_port();
    let _server = Server(
        Command::new("faketime")
            // `@`: start the clock there and let it run.
            .args(["-f", "@2026-12-31 23:30:00"])
            .arg(env!("CARGO_BIN_EXE_cbt-site"))
            .arg("--root")
            .arg(common::repo())
            .args(["serve", "--port", &port.to_string(), "--data"])
            .arg(data.path())
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start serve under faketime"),
    );
    assert!(
        wait_for(Duration::from_secs(60), || get(port, "/").is_some()),
        "serve did not start under faketime"
    );

    let (content_type, body) = cbt::sample::multipart(
        &cbt::sample::application_fields(),
        Some(("balanstest.pdf", cbt::sample::PDF)),
    );
    let (status, check) =
        post_and_follow(port, "/aanvraag", &content_type, &body).expect("check page");
    assert_eq!(status, 200, "{check}");
    let draft = check
        .split("name=\"concept\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the draft's id")
        .to_string();
    let (status, _) = post(
        port,
        "/aanvraag/bevestig",
        "application/x-www-form-urlencoded",
        format!("concept={draft}").as_bytes(),
    )
    .expect("confirm");
    assert_eq!(status, 303);
    // Both addresses confirm, still in the new year's first hour.
    assert_eq!(
        common::confirm_addresses(port, &data.path().join("outbox")),
        2
    );

    let (status, page) =
        get(port, &format!("/aanvraag/ontvangen?concept={draft}")).expect("confirmation");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("CBT-2027-0001"), "{page}");
    assert!(page.contains("2027-0001"), "{page}");
    // Payment term 30 days from the invoice date, 1 January.
    assert!(page.contains("31 januari 2027"), "{page}");

    let filing = std::fs::read_to_string(data.path().join("store/cases/CBT-2027-0001.json"))
        .expect("the filing, kept under the new year's number");
    assert!(
        filing.contains("\"submitted_on\": \"2027-01-01\""),
        "{filing}"
    );
    assert!(
        filing.contains("\"submitted\": \"2026-12-31T23:3"),
        "the instant stays UTC: {filing}"
    );
}
