//! Every mistake an editor can make fails the build with a message that
//! names the file, the line where there is one, and what to do; and one
//! build reports all of them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]

mod common;

use std::path::Path;
use std::process::Command;

use cbt_site::{build, NullSink, Project};
use common::write;

/// Builds the site at `root` (writing nothing) and returns its problems as text.
fn problems(root: &Path) -> Vec<String> {
    match build(&Project::at(root), &NullSink) {
        Ok(_) => Vec::new(),
        Err(p) => p.0.iter().map(ToString::to_string).collect(),
    }
}

fn one_problem(root: &Path) -> String {
    let p = problems(root);
    assert_eq!(p.len(), 1, "expected exactly one problem, got {p:#?}");
    p.into_iter().next().unwrap_or_default()
}

const PAGE: &str = "+++\ntitle = \"Proef\"\ndescription = \"Een proefpagina.\"\n+++\n\nTekst.\n";

#[test]
fn the_real_site_has_no_problems() {
    let site = common::copy_of_real_site();
    assert_eq!(problems(site.path()), Vec::<String>::new());
}

#[test]
fn bad_toml_names_file_and_line() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        "+++\ntitle = \"Proef\"\ndescription = \"niet afgesloten\n+++\n",
    );
    let p = one_problem(site.path());
    assert!(p.starts_with("proef.md:3: "), "{p}");
    assert!(p.contains("TOML"), "{p}");
}

#[test]
fn missing_field_is_named() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        "+++\ndescription = \"d\"\n+++\n",
    );
    let p = one_problem(site.path());
    assert!(p.starts_with("proef.md:"), "{p}");
    assert!(p.contains("het verplichte veld `title` ontbreekt"), "{p}");
    assert!(p.contains("Voeg een regel `title = ...` toe"), "{p}");
}

#[test]
fn unknown_field_names_its_line() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        "+++\ntitle = \"Proef\"\ndescription = \"d\"\ntitel = \"x\"\n+++\n",
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md:4: onbekend veld `titel`; bedoelt u `title`?"),
        "{p}"
    );
    assert!(
        p.contains("Toegestaan zijn hier: `title`, `description`"),
        "lists the allowed fields: {p}"
    );
}

#[test]
fn unknown_field_in_a_member_is_checked_against_the_member_kind() {
    let site = common::copy_of_real_site();
    write(site.path(), "content/de-commissie/nieuw-lid.md", "+++\ntitle = \"Nieuw Lid\"\nrole = \"roulerend lid\"\nweight = 60\ndescription = \"x\"\n+++\n\nRecente ervaring:\n");
    let p = one_problem(site.path());
    assert!(
        p.starts_with("de-commissie/nieuw-lid.md:5: onbekend veld `description`"),
        "{p}"
    );
}

#[test]
fn every_misspelt_field_of_a_file_is_reported() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/de-commissie/nieuw-lid.md",
        "+++\ntitle = \"Nieuw Lid\"\nrol = \"roulerend lid\"\nweight = 60\ndraaft = false\n+++\n\nRecente ervaring:\n",
    );
    assert_eq!(
        problems(site.path()),
        [
            "de-commissie/nieuw-lid.md:3: onbekend veld `rol`; bedoelt u `role`?\n  \
             -> Toegestaan zijn hier: `title`, `role`, `weight`, `draft`. Verbeter de naam of verwijder de regel.",
            "de-commissie/nieuw-lid.md:5: onbekend veld `draaft`; bedoelt u `draft`?\n  \
             -> Toegestaan zijn hier: `title`, `role`, `weight`, `draft`. Verbeter de naam of verwijder de regel.",
        ]
    );
}

#[test]
fn every_problem_of_a_data_file_is_reported() {
    let site = common::copy_of_real_site();
    let fees = std::fs::read_to_string(site.path().join("content/data/fees.toml")).expect("fees");
    let broken = fees
        .replacen("label = ", "lable = ", 1)
        .replace("excl_vat = \"2990.00\"", "excl_vat = 2990");
    write(site.path(), "content/data/fees.toml", &broken);
    let p: Vec<String> = problems(site.path())
        .into_iter()
        .filter(|p| p.starts_with("data/fees.toml"))
        .collect();
    assert_eq!(
        p,
        [
            "data/fees.toml:9: onbekend veld `lable`; bedoelt u `label`?\n  \
             -> Toegestaan zijn hier: `key`, `label`, `excl_vat`. Verbeter de naam of verwijder de regel.",
            "data/fees.toml:15: `excl_vat` moet tekst tussen aanhalingstekens zijn, maar hier staat het getal 2990\n  \
             -> Zet de waarde tussen dubbele aanhalingstekens: excl_vat = \"2990\".",
        ]
    );
}

#[test]
fn every_kind_of_mistake_is_explained_in_dutch() {
    let member =
        |fields: &str| format!("+++\ntitle = \"Nieuw Lid\"\n{fields}+++\n\nRecente ervaring:\n");
    for (fields, expected) in [
        (
            "role = \"lid\"\nweight = 60\n",
            "de-commissie/nieuw-lid.md:3: `role` kan niet \"lid\" zijn; bedoelt u \"roulerend lid\"?\n  \
             -> Kies een van: \"voorzitter\", \"secretaris\", \"roulerend lid\".",
        ),
        (
            "role = 3\nweight = 60\n",
            "de-commissie/nieuw-lid.md:3: `role` moet een van de toegestane waarden zijn, als tekst, maar hier staat het getal 3\n  \
             -> Kies een van, tussen dubbele aanhalingstekens: \"voorzitter\", \"secretaris\", \"roulerend lid\".",
        ),
        (
            "role = \"voorzitter\"\nweight = \"60\"\n",
            "de-commissie/nieuw-lid.md:4: `weight` moet een geheel getal zijn, maar hier staat de tekst \"60\"\n  \
             -> Schrijf het getal zonder aanhalingstekens: weight = 60.",
        ),
        (
            "role = \"voorzitter\"\n",
            "de-commissie/nieuw-lid.md:2: het verplichte veld `weight` ontbreekt\n  \
             -> Voeg een regel `weight = ...` toe; README.md, het deel \"For editors\", zegt wat erin hoort.",
        ),
        (
            "role = \"voorzitter\nweight = 60\n",
            "de-commissie/nieuw-lid.md:3: TOML-syntaxis: de tekst wordt niet afgesloten met een aanhalingsteken\n  \
             -> Sluit de tekst af met \" op dezelfde regel; tekst over meer regels staat tussen \"\"\" en \"\"\".",
        ),
    ] {
        let site = common::copy_of_real_site();
        write(
            site.path(),
            "content/de-commissie/nieuw-lid.md",
            &member(fields),
        );
        assert_eq!(problems(site.path()), [expected], "{fields}");
    }
}

#[test]
fn missing_front_matter_is_explained() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        "# Proef\n\nGeen front matter.\n",
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md:1: de pagina begint niet met front matter"),
        "{p}"
    );
}

#[test]
fn unknown_template_is_named_with_the_choices() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        "+++\ntitle = \"Proef\"\ndescription = \"d\"\ntemplate = \"bestaat-niet.html\"\n+++\n",
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md:4: de template \"bestaat-niet.html\" bestaat niet"),
        "{p}"
    );
    assert!(p.contains("page.html"), "{p}");
}

#[test]
fn a_template_syntax_error_names_the_template() {
    let site = common::copy_of_real_site();
    write(site.path(), "templates/kapot.html", "{% if %}\n");
    let p = one_problem(site.path());
    assert!(p.starts_with("templates/: "), "{p}");
    assert!(p.contains("kapot.html"), "{p}");
}

#[test]
fn a_template_render_error_names_page_and_template() {
    let site = common::copy_of_real_site();
    write(site.path(), "templates/kapot.html", "{% extends \"base.html\" %}{% block content %}{{ page.bestaat_niet.veld }}{% endblock content %}");
    write(
        site.path(),
        "content/proef.md",
        "+++\ntitle = \"Proef\"\ndescription = \"d\"\ntemplate = \"kapot.html\"\n+++\n",
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md: de template kapot.html faalt"),
        "{p}"
    );
    assert!(p.contains("bestaat_niet"), "{p}");
}

#[test]
fn a_broken_link_names_file_and_line() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        &format!("{PAGE}\nZie [de regels](/regels/).\n"),
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md:8: de link /regels/ leidt naar een pagina die niet bestaat"),
        "{p}"
    );
}

#[test]
fn a_broken_anchor_names_file_line_and_the_anchors_there() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        &format!("{PAGE}\nZie [kosten](/veelgestelde-vragen/#kosten).\n"),
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md:8: het anker #kosten bestaat niet op /veelgestelde-vragen/"),
        "{p}"
    );
    assert!(
        p.contains("kosten-aanvraag"),
        "suggests the anchors that exist: {p}"
    );
}

#[test]
fn a_link_without_trailing_slash_is_explained() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        &format!("{PAGE}\n[tarieven](/tarieven)\n"),
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md:8: de link /tarieven mist de slash"),
        "{p}"
    );
}

#[test]
fn an_unknown_value_names_file_and_line() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/proef.md",
        &format!("{PAGE}\nKost {{{{ tarief.onbekend }}}}.\n"),
    );
    let p = one_problem(site.path());
    assert!(
        p.starts_with("proef.md:8: onbekende waarde `{{ tarief.onbekend }}`"),
        "{p}"
    );
    assert!(p.contains("tarief.commercieel"), "{p}");
}

#[test]
fn a_wrong_amount_in_the_fees_is_reported() {
    let site = common::copy_of_real_site();
    let fees = site.path().join("content/data/fees.toml");
    let text = std::fs::read_to_string(&fees)
        .expect("fees")
        .replace("\"3680.00\"", "\"3.680,00\"");
    std::fs::write(&fees, text).expect("write");
    let p = one_problem(site.path());
    assert!(
        p.starts_with(
            "data/fees.toml: excl_vat van tarief \"commercieel\": \"3.680,00\" is geen bedrag"
        ),
        "{p}"
    );
}

#[test]
fn a_menu_link_to_nowhere_is_reported() {
    let site = common::copy_of_real_site();
    let file = site.path().join("content/data/site.toml");
    let text = std::fs::read_to_string(&file)
        .expect("site")
        .replace("url = \"/tarieven/\"", "url = \"/prijzen/\"");
    std::fs::write(&file, text).expect("write");
    let p = problems(site.path());
    assert!(p.iter().any(|p| p.starts_with("data/site.toml: de menulink \"Tarieven\" leidt naar /prijzen/")), "{p:#?}");
}

#[test]
fn a_file_name_that_makes_a_bad_url_is_reported() {
    let site = common::copy_of_real_site();
    write(site.path(), "content/Nieuwe Pagina.md", PAGE);
    let p = one_problem(site.path());
    assert!(p.contains("\"Nieuwe Pagina\" wordt een webadres"), "{p}");
    assert!(p.contains("nieuwe-pagina"), "{p}");
}

#[test]
fn duplicate_faq_anchors_and_unknown_embeds_are_reported() {
    let site = common::copy_of_real_site();
    write(site.path(), "content/veelgestelde-vragen/dubbel.md", "+++\ntitle = \"Nog een vraag?\"\nweight = 200\nanchor = \"kosten-aanvraag\"\nembed = \"bestuur\"\n+++\n\nAntwoord.\n");
    let p = problems(site.path());
    assert!(
        p.iter()
            .any(|p| p.contains("anchor = \"kosten-aanvraag\" staat ook in")
                && p.contains("dubbel.md")
                && p.contains("kosten-aanvraag.md")),
        "{p:#?}"
    );
    assert!(
        p.iter().any(|p| p.starts_with(
            "veelgestelde-vragen/dubbel.md: embed = \"bestuur\": die sectie bestaat niet"
        )),
        "{p:#?}"
    );
}

#[test]
fn every_problem_of_a_build_is_reported_together() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/a.md",
        "+++\ntitle = \"A\"\ndescription = \"d\"\ntitel = \"x\"\n+++\n",
    );
    write(
        site.path(),
        "content/b.md",
        &format!("{PAGE}\n[x](/nergens/)\n"),
    );
    write(
        site.path(),
        "content/c.md",
        &format!("{PAGE}\n{{{{ onbekend }}}}\n"),
    );
    write(
        site.path(),
        "content/d.md",
        "+++\ntitle = \"D\"\ndescription = \"d\"\ntemplate = \"x.html\"\n+++\n",
    );
    write(
        site.path(),
        "content/veelgestelde-vragen/e.md",
        "+++\ntitle = \"E?\"\nweight = 1\n+++\n",
    );
    let p = problems(site.path());
    // Loading problems stop the build before rendering, so the link and the
    // template are checked once the others are fixed; four loading problems
    // are all reported now.
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(p.iter().any(|p| p.starts_with("a.md:4:")), "{p:#?}");
    assert!(p.iter().any(|p| p.starts_with("c.md:8:")), "{p:#?}");
    assert!(
        p.iter().any(|p| p.starts_with("veelgestelde-vragen/e.md:")
            && p.contains("het verplichte veld `anchor` ontbreekt")),
        "{p:#?}"
    );
    // With those fixed, the rendering problems come together too.
    write(site.path(), "content/a.md", PAGE);
    write(site.path(), "content/c.md", PAGE);
    write(
        site.path(),
        "content/veelgestelde-vragen/e.md",
        "+++\ntitle = \"E?\"\nweight = 1\nanchor = \"e\"\n+++\n\n[y](/ook-nergens/)\n",
    );
    let p = problems(site.path());
    assert!(
        p.iter()
            .any(|p| p.starts_with("d.md:4: de template \"x.html\" bestaat niet")),
        "{p:#?}"
    );
}

#[test]
fn rendering_problems_are_reported_together() {
    let site = common::copy_of_real_site();
    write(
        site.path(),
        "content/b.md",
        &format!("{PAGE}\n[x](/nergens/)\n"),
    );
    write(
        site.path(),
        "content/veelgestelde-vragen/e.md",
        "+++\ntitle = \"E?\"\nweight = 1\nanchor = \"e\"\n+++\n\n[y](/ook-nergens/)\n",
    );
    write(
        site.path(),
        "content/c.md",
        &format!("{PAGE}\n[z](/tarieven/#nergens)\n"),
    );
    let p = problems(site.path());
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(
        p.iter().any(|p| p.starts_with("b.md:8: de link /nergens/")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|p| p.starts_with("veelgestelde-vragen/e.md:7: de link /ook-nergens/")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|p| p.starts_with("c.md:8: het anker #nergens")),
        "{p:#?}"
    );
}

fn cli(root: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cbt-site"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run cbt-site");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_writes_nothing_and_fails_on_a_problem() {
    let site = common::copy_of_real_site();
    let (code, err) = cli(site.path(), &["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("in orde:"), "{err}");
    assert!(!site.path().join("public").exists(), "check must not write");
    write(
        site.path(),
        "content/proef.md",
        &format!("{PAGE}\n[x](/nergens/)\n"),
    );
    let (code, err) = cli(site.path(), &["check"]);
    assert_eq!(code, 1);
    assert!(err.contains("1 probleem gevonden"), "{err}");
    assert!(err.contains("proef.md:8: de link /nergens/"), "{err}");
    assert!(!site.path().join("public").exists());
}

#[test]
fn build_writes_the_site_and_removes_stale_pages() {
    let site = common::copy_of_real_site();
    write(site.path(), "content/tijdelijk.md", PAGE);
    let (code, err) = cli(site.path(), &["build"]);
    assert_eq!(code, 0, "{err}");
    assert!(site.path().join("public/tijdelijk/index.html").exists());
    std::fs::remove_file(site.path().join("content/tijdelijk.md")).expect("remove");
    let (code, err) = cli(site.path(), &["build", "--out", "public"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 oude bestanden verwijderd"), "{err}");
    assert!(!site.path().join("public/tijdelijk").exists());
    assert!(site.path().join("public/index.html").exists());
}

/// A field the invoice reads is the code's, not the editor's, to rename:
/// `check` fails and names the field, the file and the line.
#[test]
fn renaming_a_field_the_code_reads_fails_check() {
    let site = common::copy_of_real_site();
    let form = site.path().join("content/data/forms/aanvraag.toml");
    let text = std::fs::read_to_string(&form).expect("form");
    let renamed = text.replacen("name = \"factuur_naam\"", "name = \"naam_op_factuur\"", 1);
    assert_ne!(text, renamed);
    std::fs::write(&form, &renamed).expect("write");
    let line = renamed
        .lines()
        .position(|l| l.contains("naam_op_factuur"))
        .map(|i| i + 1)
        .expect("the renamed line");
    let (code, err) = cli(site.path(), &["check"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "data/forms/aanvraag.toml:{line}: het veld \"factuur_naam\" ontbreekt"
        )),
        "{err}"
    );
    assert!(err.contains("name = \"factuur_naam\" terug"), "{err}");
}
