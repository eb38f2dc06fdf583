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
