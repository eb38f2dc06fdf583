//! `serve`'s live site: an edit to a page's text redoes only the pages
//! that show it; anything more builds it all.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use cbt_site::live::{LiveSite, Update};
use cbt_site::{MemorySink, Project};

fn page(sink: &MemorySink, path: &str) -> String {
    let files = sink.files.lock().expect("lock");
    String::from_utf8_lossy(files.get(path).expect(path)).into_owned()
}

#[test]
fn an_edit_redoes_only_what_shows_it() {
    let site = common::copy_of_real_site();
    let project = Project::at(site.path());
    let sink = MemorySink::default();
    let mut live = LiveSite::build(&project, &sink).expect("builds");
    let content = site.path().join("content");

    // The text of an ordinary page: that page alone.
    let file = content.join("de-regeling.md");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, format!("{text}\nEen nieuwe alinea.\n")).expect("write");
    assert_eq!(
        live.update(std::slice::from_ref(&file), &sink)
            .expect("update"),
        Update::Pages(1)
    );
    assert!(page(&sink, "de-regeling/index.html").contains("Een nieuwe alinea."));

    // A member: the members' page and the FAQ that embeds them.
    let member = content.join("de-commissie/gea-zantinge.md");
    let member_text = std::fs::read_to_string(&member).expect("read");
    std::fs::write(
        &member,
        member_text.replace(
            "Zakelijke directeur Concertgebouw",
            "Zakelijk directeur Het Concertgebouw",
        ),
    )
    .expect("write");
    assert_eq!(
        live.update(std::slice::from_ref(&member), &sink)
            .expect("update"),
        Update::Pages(2)
    );
    assert!(page(&sink, "de-commissie/index.html").contains("Zakelijk directeur Het Concertgebouw"));
    assert!(page(&sink, "veelgestelde-vragen/index.html")
        .contains("Zakelijk directeur Het Concertgebouw"));

    // A broken link in the edit is reported, with its line.
    std::fs::write(&file, format!("{text}\n[weg](/nergens/)\n")).expect("write");
    let problems = live
        .update(std::slice::from_ref(&file), &sink)
        .expect_err("broken link");
    assert!(
        problems.to_string().contains("de-regeling.md:"),
        "{problems}"
    );

    // Front matter, a new file, a template: all of it.
    std::fs::write(&file, text.replacen("title = \"", "title = \"Nieuw: ", 1)).expect("write");
    assert_eq!(
        live.update(std::slice::from_ref(&file), &sink)
            .expect("update"),
        Update::Full
    );
    let new = content.join("nieuw.md");
    std::fs::write(&new, "+++\ntitle = \"N\"\ndescription = \"d\"\n+++\n").expect("write");
    assert_eq!(
        live.update(std::slice::from_ref(&new), &sink)
            .expect("update"),
        Update::Full
    );
    let template = site.path().join("templates/page.html");
    assert_eq!(
        live.update(std::slice::from_ref(&template), &sink)
            .expect("update"),
        Update::Full
    );
}

/// Every change the watcher reports within `window` after the first.
fn changes(
    watcher: &mut cbt_site::watch::SiteWatcher,
    wait: std::time::Duration,
) -> Vec<cbt_site::watch::Change> {
    let mut all = Vec::new();
    let mut wait = wait;
    while let Some(change) = watcher.wait_within(wait) {
        all.push(change);
        wait = std::time::Duration::from_millis(500);
    }
    all
}

fn names(changes: &[cbt_site::watch::Change]) -> Vec<String> {
    changes
        .iter()
        .flat_map(|c| match c {
            cbt_site::watch::Change::Paths(paths) => paths
                .iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect(),
            cbt_site::watch::Change::Everything => vec!["(alles)".to_string()],
        })
        .collect()
}

/// Replacing `content/` as a whole (renamed away, a new one renamed into
/// place, as a restore or a `git checkout` does) asks for a full build,
/// and the edits in the new folder are followed after it.
#[test]
fn the_watcher_follows_a_replaced_content_folder() {
    use std::time::Duration;

    let site = common::copy_of_real_site();
    let project = Project::at(site.path());
    let mut watcher = cbt_site::watch::SiteWatcher::new(&project).expect("watch");
    let content = site.path().join("content");

    let page = content.join("de-regeling.md");
    let text = std::fs::read_to_string(&page).expect("read");
    std::fs::write(&page, format!("{text}\nEen alinea.\n")).expect("write");
    let seen = names(&changes(&mut watcher, Duration::from_secs(5)));
    assert!(seen.contains(&"de-regeling.md".to_string()), "{seen:?}");

    let new = site.path().join("content.nieuw");
    common::copy_dir(&content, &new);
    let _ = changes(&mut watcher, Duration::from_millis(500));
    std::fs::rename(&content, site.path().join("content.oud")).expect("away");
    std::fs::rename(&new, &content).expect("into place");
    let seen = names(&changes(&mut watcher, Duration::from_secs(5)));
    assert!(seen.contains(&"(alles)".to_string()), "{seen:?}");

    let page = content.join("tarieven.md");
    let text = std::fs::read_to_string(&page).expect("read");
    std::fs::write(&page, format!("{text}\nNa het terugzetten.\n")).expect("write");
    let seen = names(&changes(&mut watcher, Duration::from_secs(5)));
    assert_eq!(seen, ["tarieven.md"], "only the edit, in the new folder");

    // The old folder is not followed any more.
    let old = site.path().join("content.oud/tarieven.md");
    std::fs::write(&old, "+++\ntitle = \"Oud\"\n+++\n").expect("write");
    let seen = names(&changes(&mut watcher, Duration::from_secs(1)));
    assert!(seen.is_empty(), "{seen:?}");

    // Templates too.
    let templates = site.path().join("templates");
    let new = site.path().join("templates.nieuw");
    common::copy_dir(&templates, &new);
    let _ = changes(&mut watcher, Duration::from_millis(500));
    std::fs::rename(&templates, site.path().join("templates.oud")).expect("away");
    std::fs::rename(&new, &templates).expect("into place");
    let seen = names(&changes(&mut watcher, Duration::from_secs(5)));
    assert!(seen.contains(&"(alles)".to_string()), "{seen:?}");
    std::fs::write(templates.join("page.html"), "{% extends \"base.html\" %}").expect("write");
    let seen = names(&changes(&mut watcher, Duration::from_secs(5)));
    assert_eq!(seen, ["page.html"]);
}
