//! The README's numbers are the code's: every default of the function's
//! configuration (`function/src/config.rs`) is written twice in the
//! README, in the sentence of "The function" and in the table of
//! "Configuration", and both must say what the code does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use std::collections::BTreeMap;

fn read(rel: &str) -> String {
    std::fs::read_to_string(common::repo().join(rel)).expect(rel)
}

/// The numeric defaults in config.rs: `number("NAME", 4_500_000)`.
fn code_defaults(config: &str) -> BTreeMap<String, String> {
    config
        .split("number(\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once("\",")?;
            let (default, _) = rest.split_once(')')?;
            let default: String = default.trim().chars().filter(|c| *c != '_').collect();
            default
                .chars()
                .all(|c| c.is_ascii_digit())
                .then(|| (name.to_string(), default))
        })
        .collect()
}

/// The text of the README's section under `heading`, up to the next
/// heading of the same or a higher level.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let level = heading.split(' ').next().unwrap_or_default();
    let (_, rest) = readme
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("the README has {heading:?}"));
    let mut end = rest.len();
    for (i, _) in rest.match_indices("\n#") {
        let after = rest.get(i + 1..).unwrap_or_default();
        let hashes = after.chars().take_while(|c| *c == '#').count();
        if hashes <= level.len() && after.chars().nth(hashes) == Some(' ') {
            end = i;
            break;
        }
    }
    rest.get(..end).unwrap_or(rest)
}

/// `NAME` (value) or `NAME` (value: why) in the sentence: the value.
fn sentence_value(text: &str, name: &str) -> Option<String> {
    let (_, after) = text.split_once(&format!("`{name}`"))?;
    let inside = after.trim_start().strip_prefix('(')?;
    let (value, _) = inside.split_once(')')?;
    let value = value.split_once(':').map_or(value, |(value, _why)| value);
    Some(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The default column of the table row of `NAME`.
fn table_value(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | parameter | function variable | default | meaning |
        (cells.get(2) == Some(&format!("`{name}`").as_str()))
            .then(|| cells.get(3).map(|c| c.to_string()))
            .flatten()
    })
}

#[test]
fn the_readme_states_the_configuration_defaults_of_the_code() {
    let defaults = code_defaults(&read("function/src/config.rs"));
    assert!(
        defaults.contains_key("MAX_BODY_BYTES") && defaults.contains_key("RATE_LIMIT_PER_HOUR"),
        "the defaults were read from config.rs: {defaults:?}"
    );
    let readme = read("README.md");
    // The configuration sentence of "The function": the paragraph that
    // starts "Configuration".
    let function = section(&readme, "## The function")
        .split("\n\n")
        .find(|p| p.starts_with("Configuration"))
        .expect("\"The function\" has its configuration sentence");
    let table = section(&readme, "### Configuration");
    let mut wrong = Vec::new();
    for (name, default) in &defaults {
        let said = sentence_value(function, name);
        if said.as_deref() != Some(default) {
            wrong.push(format!(
                "\"The function\" says `{name}` ({}), the code {default}",
                said.unwrap_or_else(|| "nothing".into())
            ));
        }
        let listed = table_value(table, name);
        if listed.as_deref() != Some(default) {
            wrong.push(format!(
                "\"Configuration\" lists `{name}` as {}, the code {default}",
                listed.unwrap_or_else(|| "nothing".into())
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_readers_of_the_readme_find_what_they_compare() {
    let text = "a `X`\n(10), `Y` (4500000: the\nceiling)\n\n| `P` | `X` | 10 | m |\n";
    assert_eq!(sentence_value(text, "X").as_deref(), Some("10"));
    assert_eq!(sentence_value(text, "Y").as_deref(), Some("4500000"));
    assert_eq!(table_value(text, "X").as_deref(), Some("10"));
    assert_eq!(
        code_defaults("number(\"A\", 10)?, number(\"B\", 4_500_000)?, number(name, 1)"),
        BTreeMap::from([("A".into(), "10".into()), ("B".into(), "4500000".into())])
    );
    let readme = "x\n## A\none\n### B\ntwo\n## C\nthree\n";
    assert_eq!(section(readme, "## A"), "one\n### B\ntwo");
    assert_eq!(section(readme, "### B"), "two");
}

/// README's "Before going live" is the list the marks make: a value
/// marked `te bevestigen` (or confirmed) changes the list, and the README
/// must follow. `UPDATE_README=1` writes the list into the README.
#[test]
fn before_going_live_lists_every_unconfirmed_value() {
    let project = cbt_site::Project::at(common::repo());
    let (library, _, _) = cbt_site::load(&project).expect("the real site loads");
    let list = cbt_site::before_going_live(&library.rules);
    assert!(
        list.lines().count() >= 10,
        "the seed leaves the supplier's details and more unconfirmed: {list}"
    );
    let readme = read("README.md");
    let (head, rest) = readme
        .split_once("<!-- unconfirmed:start -->\n")
        .expect("README has the list's start marker");
    let (current, tail) = rest
        .split_once("<!-- unconfirmed:end -->")
        .expect("README has the list's end marker");
    if current != list && std::env::var_os("UPDATE_README").is_some() {
        let updated =
            format!("{head}<!-- unconfirmed:start -->\n{list}<!-- unconfirmed:end -->{tail}");
        std::fs::write(common::repo().join("README.md"), updated).expect("write README");
        return;
    }
    assert_eq!(
        current, list,
        "README's \"Before going live\" differs from the marks (UPDATE_README=1 rewrites it)"
    );
}
