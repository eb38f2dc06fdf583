//! The real site, built: nothing of the seed text may be lost, and the
//! pages must be what visitors and search engines need.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use std::collections::BTreeMap;

use cbt_site::{build, DirSink, Project};

fn built() -> (tempfile::TempDir, BTreeMap<String, String>) {
    let out = tempfile::tempdir().expect("temp dir");
    let project = Project::at(common::repo());
    build(&project, &DirSink::new(out.path()))
        .unwrap_or_else(|p| panic!("the real site must build:\n{p}"));
    let files = common::read_tree(out.path());
    (out, files)
}

/// All visible text of the site, tags removed, whitespace collapsed.
fn all_text(files: &BTreeMap<String, String>) -> String {
    let mut text = String::new();
    for (path, html) in files {
        if path.ends_with(".html") {
            let mut in_tag = false;
            for ch in html.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => {
                        in_tag = false;
                        text.push(' ');
                    }
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
        }
    }
    text.replace('\u{a0}', " ")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The questions of the seed page (../shared/seed), verbatim but for the
/// seed's own slips ("in bezwaar", "intreding").
const SEED_QUESTIONS: [&str; 12] = [
    "Wanneer moet een organisatie een balanstest invullen?",
    "Wanneer moet een organisatie een balanstest indienen bij de Commissie Balanstoets Telemarketing (CBT)?",
    "Hoelang duurt het voordat de CBT een advies geeft?",
    "Hoeveel moet ik betalen voor een aanvraag?",
    "Hoelang blijft het advies van de CBT geldig?",
    "Wat als mijn verzoek is afgewezen?",
    "Kan ik bezwaar maken tegen het advies van de CBT?",
    "Kunnen consumenten klagen als ik langer bel dan het advies van de commissie?",
    "Kan ik hulp krijgen bij het invullen van de balanstest?",
    "Wie zit er in de Commissie Balanstoets Telemarketing?",
    "Wat is er veranderd sinds de inwerkingtreding van de Code Telemarketing 2020?",
    "Waarom is de Code Telemarketing veranderd?",
];

const SEED_MEMBERS: [(&str, &str); 6] = [
    ("Wilbert Tomesen", "voorzitter"),
    ("Rachel Marbus", "roulerend lid"),
    ("Hannah de Jong", "roulerend lid"),
    ("Guda van Noort", "roulerend lid"),
    ("Gea Zantinge", "roulerend lid"),
    ("Dominique Hagenauw", "secretaris"),
];

/// Facts of the seed: fees, periods, dates, places, bodies.
const SEED_FACTS: [&str; 22] = [
    "€ 3.680,00",
    "€ 2.990,00",
    "€ 4.452,80",
    "€ 3.617,90",
    "21%",
    "7 dagen na de betaling",
    "14 dagen",
    "8 weken",
    "10 weken",
    "3 jaar",
    "1 april 2020",
    "1 juni 2020",
    "artikel 6.2",
    "Reclamecodecommissie",
    "ACM",
    "DDMA",
    "aanvragen@balanstoetstelemarketing.nl",
    "Extra informatie factuur (bijv. PO-nummer)",
    "Bel-me-niet",
    "recht van verzet",
    "kostendekkende vergoeding",
    "intermediairs",
];

/// Experience lines of the members, one per member at least.
const SEED_EXPERIENCE: [&str; 6] = [
    "Huis voor Klokkenluiders",
    "Talpa Network",
    "Lead Privacy bij Aegon",
    "Amsterdam School of Communication Research",
    "Zakelijke directeur Concertgebouw",
    "DPO Vrije Universiteit Amsterdam",
];

#[test]
fn nothing_of_the_seed_is_lost() {
    let (_dir, files) = built();
    let text = all_text(&files);
    let mut missing = Vec::new();
    for needle in SEED_QUESTIONS
        .iter()
        .chain(&SEED_FACTS)
        .chain(&SEED_EXPERIENCE)
    {
        if !text.contains(needle) {
            missing.push(*needle);
        }
    }
    for (name, role) in SEED_MEMBERS {
        if !text.contains(name) {
            missing.push(name);
        }
        if !text.contains(&format!("{name} ({role})")) {
            missing.push(role);
        }
    }
    assert!(
        missing.is_empty(),
        "missing from the built site: {missing:#?}"
    );
}

#[test]
fn every_page_is_accessible_html() {
    let (_dir, files) = built();
    let pages: Vec<(&String, &String)> =
        files.iter().filter(|(p, _)| p.ends_with(".html")).collect();
    assert!(pages.len() >= 12, "{:?}", files.keys());
    for (path, html) in pages {
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"nl\">"),
            "{path}"
        );
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
        assert!(
            html.contains("<a class=\"skip-link\" href=\"#inhoud\">"),
            "{path}: skip link"
        );
        assert!(
            html.contains("<main id=\"inhoud\""),
            "{path}: main landmark"
        );
        assert!(
            html.contains("<nav class=\"site-nav\" aria-label=\"Hoofdmenu\">"),
            "{path}"
        );
        assert!(
            html.contains(
                "<link rel=\"canonical\" href=\"https://www.balanstoetstelemarketing.nl/"
            ),
            "{path}"
        );
        assert!(
            html.contains("<meta name=\"description\" content=\""),
            "{path}"
        );
        assert!(
            !html.contains("<meta name=\"description\" content=\"\">"),
            "{path}: empty description"
        );
        assert!(
            !html.contains("<script>"),
            "{path}: no script in build output (live reload is serve-only)"
        );
        assert!(!html.contains("__livereload"), "{path}");
        assert!(!html.contains("{{"), "{path}: an unreplaced value");
        let stylesheet = html
            .split("<link rel=\"stylesheet\" href=\"/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("stylesheet link");
        assert!(
            files.contains_key(stylesheet),
            "{path}: {stylesheet} is published"
        );
        assert!(
            stylesheet.starts_with("assets/style.")
                && stylesheet.len() == "assets/style..css".len() + 10,
            "{stylesheet}"
        );
    }
}

#[test]
fn pretty_urls_sitemap_robots_and_404() {
    let (_dir, files) = built();
    for page in [
        "index.html",
        "de-regeling/index.html",
        "veelgestelde-vragen/index.html",
        "de-commissie/index.html",
        "tarieven/index.html",
        "code-telemarketing-2020/index.html",
        "aanvragen/index.html",
        "aanvragen/balanstest/index.html",
        "contact/index.html",
        "privacyverklaring/index.html",
        "toegankelijkheidsverklaring/index.html",
        "404.html",
    ] {
        assert!(
            files.contains_key(page),
            "{page} missing: {:?}",
            files.keys()
        );
    }
    // FAQ entries and members live on their section's page only.
    assert!(!files
        .keys()
        .any(|p| p.starts_with("veelgestelde-vragen/") && p != "veelgestelde-vragen/index.html"));
    assert!(!files
        .keys()
        .any(|p| p.starts_with("de-commissie/") && p != "de-commissie/index.html"));
    let sitemap = &files["sitemap.xml"];
    assert!(sitemap
        .contains("<loc>https://www.balanstoetstelemarketing.nl/aanvragen/balanstest/</loc>"));
    assert!(!sitemap.contains("404"));
    assert_eq!(sitemap.matches("<loc>").count(), 11);
    assert!(files["robots.txt"]
        .contains("Sitemap: https://www.balanstoetstelemarketing.nl/sitemap.xml"));
    assert!(files["404.html"].contains("Pagina niet gevonden"));
}

#[test]
fn faq_has_anchors_a_question_list_and_structured_data() {
    let (_dir, files) = built();
    let faq = &files["veelgestelde-vragen/index.html"];
    let json = faq
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("JSON-LD");
    let doc: serde_json::Value = serde_json::from_str(json).expect("valid JSON-LD");
    assert_eq!(doc["@type"], "FAQPage");
    let questions = doc["mainEntity"].as_array().expect("questions");
    let names: Vec<&str> = questions
        .iter()
        .map(|q| q["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, SEED_QUESTIONS);
    for q in questions {
        assert!(
            q["acceptedAnswer"]["text"]
                .as_str()
                .unwrap_or_default()
                .len()
                > 80,
            "{q}"
        );
    }
    let members_answer = questions[9]["acceptedAnswer"]["text"]
        .as_str()
        .unwrap_or_default();
    for (name, _) in SEED_MEMBERS {
        assert!(
            members_answer.contains(name),
            "{name} in the structured answer"
        );
    }
    // The list at the top links to every question's stable anchor.
    for anchor in [
        "wanneer-balanstest-invullen",
        "kosten-aanvraag",
        "wie-zit-in-de-cbt",
        "waarom-code-veranderd",
    ] {
        assert!(faq.contains(&format!("<a href=\"#{anchor}\">")), "{anchor}");
        assert!(faq.contains(&format!("<h2 id=\"{anchor}\">")), "{anchor}");
    }
}

#[test]
fn members_are_ordered_by_weight() {
    let (_dir, files) = built();
    let page = &files["de-commissie/index.html"];
    let positions: Vec<usize> = [
        "Wilbert Tomesen",
        "Rachel Marbus",
        "Hannah de Jong",
        "Guda van Noort",
        "Gea Zantinge",
        "Dominique Hagenauw",
    ]
    .iter()
    .map(|n| {
        page.find(&format!("{n}</h2>"))
            .unwrap_or_else(|| panic!("{n}"))
    })
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn fees_page_shows_the_amounts_the_invoice_code_reads() {
    let (_dir, files) = built();
    let rules = cbt::embedded_rules().expect("embedded rules");
    let page = &files["tarieven/index.html"];
    for t in &rules.fees.tariffs {
        for amount in [t.excl_vat, t.vat, t.total] {
            assert!(
                page.contains(&format!("<td class=\"num\">{amount}</td>")),
                "{amount} for {}",
                t.key
            );
        }
    }
    assert_eq!(
        rules.fees.tariff("commercieel").map(|t| t.total.to_nl()),
        Some("4.452,80".to_string())
    );
    assert_eq!(
        rules.fees.tariff("non_profit").map(|t| t.total.to_nl()),
        Some("3.617,90".to_string())
    );
}

/// A visitor on the home page reads what they will pay, VAT included, and
/// how long the advice takes, without opening another page.
#[test]
fn the_home_page_gives_the_amounts_with_vat_and_the_time_to_an_advice() {
    let (_dir, files) = built();
    let rules = cbt::embedded_rules().expect("embedded rules");
    let home = &files["index.html"];
    for t in &rules.fees.tariffs {
        for amount in [t.excl_vat, t.total] {
            assert!(home.contains(&amount.to_string()), "{amount} for {}", t.key);
        }
    }
    assert!(home.contains("Hoe lang duurt het?"));
    assert!(home.contains("binnen 8 weken nadat zij uw aanvraag in behandeling heeft genomen"));
}

#[test]
fn forms_are_rendered_from_their_definitions() {
    let (_dir, files) = built();
    let rules = cbt::embedded_rules().expect("embedded rules");
    let apply = &files["aanvragen/index.html"];
    assert!(apply.contains("<form id=\"aanvraag\" class=\"form\" method=\"post\" action=\"/aanvraag\" novalidate enctype=\"multipart/form-data\">"));
    for field in rules.forms.application.fields() {
        assert!(
            apply.contains(&format!("name=\"{}\"", field.name)),
            "{}",
            field.name
        );
        if let Some(token) = &field.autocomplete {
            assert!(
                apply.contains(&format!("autocomplete=\"{token}\"")),
                "{token}"
            );
        }
    }
    assert!(apply.contains("Extra informatie factuur (bijv. PO-nummer) (optioneel)"));
    assert!(apply.contains("aria-describedby=\"aanvraag-kvk_nummer-hint\""));
    assert!(apply.contains("<legend><h2 class=\"group-title\">Factuurgegevens</h2></legend>"));
    let contact = &files["contact/index.html"];
    assert!(contact.contains(
        "<form id=\"contact\" class=\"form\" method=\"post\" action=\"/contact\" novalidate>"
    ));
    for field in rules.forms.contact.fields() {
        assert!(
            contact.contains(&format!("name=\"{}\"", field.name)),
            "{}",
            field.name
        );
    }
    assert!(contact.contains("Telefoonnummer (optioneel)"));
}

#[test]
fn balanstest_worksheet_covers_the_factors() {
    let (_dir, files) = built();
    let page = &files["aanvragen/balanstest/index.html"];
    assert!(page.matches("class=\"answer\"").count() >= 12);
    for factor in [
        "gerechtvaardigd belang",
        "looptijd",
        "verwacht",
        "Bel-me-niet",
        "recht van verzet",
    ] {
        assert!(
            page.to_lowercase().contains(&factor.to_lowercase()),
            "{factor}"
        );
    }
}

#[test]
fn base_url_can_be_overridden() {
    let out = tempfile::tempdir().expect("temp dir");
    let mut project = Project::at(common::repo());
    project.base_url = Some("http://localhost:8080/".into());
    build(&project, &DirSink::new(out.path())).expect("builds");
    let home = std::fs::read_to_string(out.path().join("index.html")).expect("home");
    assert!(home.contains("<link rel=\"canonical\" href=\"http://localhost:8080/\">"));
    let sitemap = std::fs::read_to_string(out.path().join("sitemap.xml")).expect("sitemap");
    assert!(sitemap.contains("<loc>http://localhost:8080/tarieven/</loc>"));

    // The sitemap and the pages escape with the one escaper the templates use.
    project.base_url = Some("http://localhost:8080/a&b'c\"d<e>".into());
    build(&project, &DirSink::new(out.path())).expect("builds");
    let sitemap = std::fs::read_to_string(out.path().join("sitemap.xml")).expect("sitemap");
    let escaped = "http://localhost:8080/a&amp;b&#x27;c&quot;d&lt;e&gt;";
    assert!(
        sitemap.contains(&format!("<loc>{escaped}/tarieven/</loc>")),
        "{sitemap}"
    );
    let home = std::fs::read_to_string(out.path().join("index.html")).expect("home");
    assert!(
        home.contains(&format!("<link rel=\"canonical\" href=\"{escaped}/\">")),
        "{home}"
    );
}

/// The FAQ's structured data is the answer's text as a reader sees it:
/// every entity its character, no tags, no stray white space.
#[test]
fn faq_structured_data_has_the_text_a_reader_sees() {
    let site = common::copy_of_real_site();
    common::write(
        site.path(),
        "content/veelgestelde-vragen/tekens.md",
        "+++\ntitle = \"Welke tekens?\"\nweight = 999\nanchor = \"tekens\"\n+++\n\n\
         Kosten: &euro;&nbsp;100, &#8364; 100 of &#x20AC; 100; &eacute;&eacute;n keer.\n\
         Schrijf \"a < b\" en 'c', &quot;d&quot; &#39;e&#39; &lt;f&gt; &amp; g.\n\n\
         Zie [de   tarieven](/tarieven/) <em>nu</em>!\n\n\
         - een\n- twee\n\n\
         <div class=\"x\">Blok met &euro; en <strong>vet</strong></div>\n",
    );
    let out = tempfile::tempdir().expect("temp dir");
    build(&Project::at(site.path()), &DirSink::new(out.path()))
        .unwrap_or_else(|p| panic!("the site must build:\n{p}"));
    let faq =
        std::fs::read_to_string(out.path().join("veelgestelde-vragen/index.html")).expect("faq");
    let json = faq
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("JSON-LD");
    assert!(
        !json.contains('<'),
        "no `<` that could end the script: {json}"
    );
    let doc: serde_json::Value = serde_json::from_str(json).expect("valid JSON-LD");
    let answer = doc["mainEntity"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["name"] == "Welke tekens?"))
        .and_then(|q| q["acceptedAnswer"]["text"].as_str())
        .expect("the new question");
    assert_eq!(
        answer,
        "Kosten: €\u{a0}100, € 100 of € 100; één keer. \
         Schrijf “a < b” en ‘c’, \"d\" 'e' <f> & g. \
         Zie de tarieven nu! een twee Blok met € en vet"
    );
}

/// The home page names the members from their own files, in the order of
/// the members' page: a new member file is on the home page too.
#[test]
fn the_home_page_names_the_members_from_their_files() {
    let (_dir, files) = built();
    let home = &files["index.html"];
    assert!(
        home.contains(
            "De CBT bestaat op dit moment uit Wilbert Tomesen (voorzitter), Rachel Marbus \
             (roulerend lid), Hannah de Jong (roulerend lid), Prof. dr. Guda van Noort \
             (roulerend lid), Gea Zantinge (roulerend lid) en Dominique Hagenauw (secretaris)."
        ),
        "{home}"
    );

    let site = common::copy_of_real_site();
    common::write(
        site.path(),
        "content/de-commissie/jan-jansen.md",
        "+++\ntitle = \"Jan Jansen\"\nrole = \"roulerend lid\"\nweight = 60\n+++\n\n\
         Recente ervaring:\n\n- Functie bij organisatie (2020 – heden)\n",
    );
    // A draft is no member yet.
    common::write(
        site.path(),
        "content/de-commissie/nog-niet.md",
        "+++\ntitle = \"Nog Niet\"\nrole = \"roulerend lid\"\nweight = 70\ndraft = true\n+++\n",
    );
    let out = tempfile::tempdir().expect("temp dir");
    build(&Project::at(site.path()), &DirSink::new(out.path()))
        .unwrap_or_else(|p| panic!("the site must build:\n{p}"));
    let home = std::fs::read_to_string(out.path().join("index.html")).expect("home");
    assert!(
        home.contains(
            "Gea Zantinge (roulerend lid), Jan Jansen (roulerend lid) en Dominique Hagenauw \
             (secretaris)."
        ),
        "{home}"
    );
    assert!(!home.contains("Nog Niet"), "{home}");
}
