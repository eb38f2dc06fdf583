//! The live site may carry nothing the CBT has not confirmed, and nothing
//! that issue 12 reworded.
//!
//! - `check --production` fails on the repository as it is, naming every
//!   value marked `te bevestigen` with its file and line, and passes on a
//!   copy where every mark is gone (each value confirmed);
//! - an ordinary build says on every page that it shows example data, and
//!   on the pages that use an unconfirmed value, which;
//! - the reworded sentences (`tests/reworded.txt`) are gone from every
//!   page (the mails and PDFs: `tests/mails.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use std::process::Command;

fn cbt_site(root: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cbt-site"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("cbt-site runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every mark of the real data files, as (file under content/, line).
fn marks() -> Vec<(String, usize)> {
    let project = cbt_site::Project::at(common::repo());
    let (library, _, _) = cbt_site::load(&project).expect("the real site loads");
    library
        .rules
        .unconfirmed
        .iter()
        .map(|u| (u.file.clone(), u.line))
        .collect()
}

/// Every line of a data file that carries the mark, found by reading the
/// files themselves (not through the loader that the check uses).
fn marked_lines() -> Vec<(String, usize)> {
    let content = common::repo().join("content");
    let mut lines = Vec::new();
    for entry in walkdir::WalkDir::new(content.join("data")).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.path().extension().is_some_and(|e| e == "toml") {
            let file = entry
                .path()
                .strip_prefix(&content)
                .expect("under content/")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(entry.path()).expect("read");
            for (i, line) in text.lines().enumerate() {
                if line.contains(" # te bevestigen") {
                    lines.push((file.clone(), i + 1));
                }
            }
        }
    }
    lines
}

#[test]
fn production_refuses_every_unconfirmed_value_with_its_file_and_line() {
    let mut marks = marks();
    assert!(marks.len() >= 10, "{marks:?}");
    let mut found = marked_lines();
    marks.sort();
    found.sort();
    assert_eq!(
        marks, found,
        "the loader finds every marked line, and only those"
    );
    let (ok, err) = cbt_site(&common::repo(), &["check", "--production"]);
    assert!(!ok, "check --production passed with unconfirmed values");
    for (file, line) in &marks {
        assert!(
            err.contains(&format!("{file}:{line}: nog niet bevestigd door de CBT")),
            "{file}:{line} is not listed:\n{err}"
        );
    }
    assert!(
        err.contains(&format!("{} problemen gevonden", marks.len())),
        "{err}"
    );
    // The same for the build the deployment runs; nothing is written.
    let site = common::copy_of_real_site();
    let (ok, err) = cbt_site(site.path(), &["build", "--production"]);
    assert!(!ok && err.contains("nog niet bevestigd"), "{err}");
    assert!(!site.path().join("public").exists());
    // An ordinary check passes: example data is allowed there.
    let (ok, err) = cbt_site(&common::repo(), &["check"]);
    assert!(ok, "{err}");
}

#[test]
fn production_passes_once_every_value_is_confirmed() {
    let site = common::copy_of_real_site();
    let data = site.path().join("content/data");
    for entry in walkdir::WalkDir::new(&data) {
        let entry = entry.expect("walk");
        if entry.path().extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(entry.path()).expect("read");
            let confirmed: Vec<&str> = text
                .lines()
                .map(|line| match line.split_once(" # te bevestigen") {
                    Some((value, _)) => value,
                    None => line,
                })
                .collect();
            std::fs::write(entry.path(), confirmed.join("\n") + "\n").expect("write");
        }
    }
    let (ok, err) = cbt_site(site.path(), &["check", "--production"]);
    assert!(ok, "every value is confirmed, yet:\n{err}");
    let (ok, err) = cbt_site(site.path(), &["build", "--production", "--out", "public"]);
    assert!(ok, "{err}");
    let home = std::fs::read_to_string(site.path().join("public/index.html")).expect("home");
    assert!(
        !home.contains("Voorbeeldgegevens"),
        "a confirmed site says nothing of examples"
    );
}

/// The phrases of `tests/reworded.txt`, lower case.
fn reworded() -> Vec<String> {
    std::fs::read_to_string(common::repo().join("tests/reworded.txt"))
        .expect("tests/reworded.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn the_built_site_says_what_is_an_example_and_nothing_reworded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ok, err) = cbt_site(
        &common::repo(),
        &["build", "--out", dir.path().to_str().expect("a path")],
    );
    assert!(ok, "{err}");
    let files = common::read_tree(dir.path());
    let pages: Vec<(&String, &String)> =
        files.iter().filter(|(p, _)| p.ends_with(".html")).collect();
    assert!(pages.len() >= 12);
    let reworded = reworded();
    for (path, html) in &pages {
        assert!(
            html.contains("<strong id=\"voorbeeldgegevens\">Voorbeeldgegevens.</strong>"),
            "{path} does not say it shows example data"
        );
        let text = html.to_lowercase().replace("&#x27;", "'");
        for phrase in &reworded {
            assert!(
                !text.contains(phrase.as_str()),
                "{path} still says {phrase:?}"
            );
        }
    }
    // A page that uses an unconfirmed value names it.
    let fees = &files["tarieven/index.html"];
    assert!(
        fees.contains("de betalingstermijn van de factuur, in dagen (30)"),
        "{fees}"
    );
    assert!(fees.contains("btw verlegd binnen de EU"), "{fees}");
    // What each applicant pays, by where it is: with Dutch VAT, and
    // without (another member state with a btw-id, outside the EU).
    for amount in ["4.452,80", "3.617,90", "3.680,00", "2.990,00"] {
        assert!(fees.contains(amount), "the fees page shows {amount}");
    }
    assert!(fees.contains("zonder Nederlandse btw"), "{fees}");
    let privacy = &files["privacyverklaring/index.html"];
    assert!(privacy.contains("hoelang contactberichten worden bewaard (365)"));
    let accessibility = &files["toegankelijkheidsverklaring/index.html"];
    assert!(accessibility.contains("binnen 5 werkdagen antwoord"));
    assert!(accessibility.contains("gemeld toegankelijkheidsprobleem (5)"));
    // The page of the law is dated.
    let code = &files["code-telemarketing-2020/index.html"];
    assert!(code.contains("<p class=\"as-of\">Stand van zaken op 1 december 2026.</p>"));
    assert!(code.contains("Op 1 juli 2021 is het Bel-me-niet Register opgeheven"));
    // The home page leads with the start button, before the background.
    let home = &files["index.html"];
    let button = home
        .find("class=\"button button--start\">Aanvraag indienen")
        .expect("a start button");
    let background = home
        .find("De Commissie Balanstoets Telemarketing (CBT) is vastgelegd")
        .expect("the seed's text");
    assert!(button < background);
    // The aid of this site is not DDMA's template, which is linked.
    let aanvragen = &files["aanvragen/index.html"];
    assert!(aanvragen.contains("href=\"https://ddma.nl/\""));
    assert!(aanvragen.contains("hulpmiddel bij de balanstest"));
    assert!(aanvragen.contains("gemotiveerd en voldoende specifiek"));
    // The privacy notice is information, not a box to tick.
    assert!(!aanvragen.contains("name=\"akkoord_privacy\""));
    assert!(aanvragen.contains("<p class=\"form-notice\">"));
}
