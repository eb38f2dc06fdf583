//! From a loaded [`Library`] and the templates to the built site: every
//! page through Tera (in parallel), `sitemap.xml`, `robots.txt`, the
//! assets and static files, and then the link check over the result.

use std::collections::HashSet;

use cbt::templates::escape_html;
use cbt::DataError;
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera, Value};

use crate::assets::Assets;
use crate::content::{Library, Page, PageInfo, Section};
use crate::front_matter::{PageKind, Role};
use crate::links::{self, Built};
use crate::markdown::Heading;
use crate::output::Sink;

/// What a build produced.
#[derive(Debug, Default)]
pub struct Report {
    /// HTML pages written.
    pub pages: usize,
    /// Every file written, by path under the output folder.
    pub files: HashSet<String>,
    /// Every URL path the site answers (pages and files), for link checks.
    pub targets: HashSet<String>,
}

/// The parts of every page's context that are the same for all pages:
/// converted to Tera values once, not once a page.
struct Shared {
    needs: std::collections::HashMap<String, Needs>,
    config: Value,
    rules: Value,
    data: Value,
    assets: Value,
    nav: Value,
    base: String,
    /// Whether any value still needs the CBT's confirmation: then every
    /// page says that the site shows example data.
    example_data: bool,
}

#[derive(Serialize)]
struct LinkCtx<'a> {
    title: &'a str,
    permalink: String,
    path: &'a str,
}

#[derive(Serialize)]
struct PageCtx<'a> {
    title: &'a str,
    description: Option<&'a str>,
    permalink: String,
    path: &'a str,
    slug: &'a str,
    content: &'a str,
    toc: &'a [Heading],
    word_count: usize,
    reading_time: usize,
    weight: i64,
    date: Option<String>,
    /// "Stand van zaken op ...": the day the page was last checked.
    as_of: Option<String>,
    /// FAQ: the question's anchor on the FAQ page.
    anchor: Option<&'a str>,
    /// Member: role as shown (`voorzitter`).
    role: Option<&'static str>,
    lower: Option<LinkCtx<'a>>,
    higher: Option<LinkCtx<'a>>,
    /// FAQ: the pages of the section named in `embed`.
    embedded: Vec<PageCtx<'a>>,
}

#[derive(Serialize)]
struct SectionCtx<'a> {
    title: &'a str,
    description: Option<&'a str>,
    permalink: String,
    path: &'a str,
    content: &'a str,
    toc: &'a [Heading],
    word_count: usize,
    page_kind: PageKind,
    pages: Vec<PageCtx<'a>>,
    subsections: Vec<SubsectionCtx<'a>>,
}

#[derive(Serialize)]
struct SubsectionCtx<'a> {
    title: &'a str,
    description: Option<&'a str>,
    permalink: String,
    path: &'a str,
    weight: i64,
}

#[derive(Serialize)]
struct Crumb<'a> {
    title: &'a str,
    path: &'a str,
}

/// Which shared values a template (with its parents and imports) reads.
#[derive(Clone, Copy)]
struct Needs {
    rules: bool,
    data: bool,
}

/// Reads the sources of `name`, its parents and its imported macro files,
/// and looks for the variables. A template without a file (built from a
/// string) is assumed to need everything.
fn needs_of(tera: &Tera, name: &str) -> Needs {
    let mut sources = Vec::new();
    let mut todo = vec![name.to_string()];
    let mut seen = HashSet::new();
    while let Some(n) = todo.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        let Ok(t) = tera.get_template(&n) else {
            continue;
        };
        match t.path.as_deref().map(std::fs::read_to_string) {
            Some(Ok(text)) => sources.push(text),
            _ => {
                return Needs {
                    rules: true,
                    data: true,
                }
            }
        }
        todo.extend(t.parents.iter().cloned());
        todo.extend(t.imported_macro_files.iter().map(|(file, _)| file.clone()));
    }
    let reads = |var: &str| {
        sources.iter().any(|s| {
            s.contains(&format!("{var}."))
                || s.contains(&format!("{var}["))
                || s.contains(&format!("{var} "))
        })
    };
    Needs {
        rules: reads("rules"),
        data: reads("data"),
    }
}

/// One thing to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    Section(usize),
    Page(usize),
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Chair => "voorzitter",
        Role::Secretary => "secretaris",
        Role::RotatingMember => "roulerend lid",
    }
}

/// `/a/` -> `a/index.html`.
pub fn output_path(url: &str) -> String {
    let trimmed = url.trim_start_matches('/');
    if trimmed.is_empty() {
        "index.html".to_string()
    } else if trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_string()
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    // Our own context types always serialize.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Everything rendering needs besides the library and the templates,
/// computed once per build and kept by `serve` between edits.
pub struct Prepared {
    shared: Shared,
}

impl Prepared {
    pub fn base(&self) -> &str {
        &self.shared.base
    }
}

/// Checks the templates named by the content, and converts the shared
/// values once.
pub fn prepare(
    lib: &Library,
    tera: &Tera,
    assets: &Assets,
    base_url: &str,
) -> Result<Prepared, Vec<DataError>> {
    let errors = check_templates(lib, tera);
    if !errors.is_empty() {
        return Err(errors);
    }
    let base = base_url.trim_end_matches('/').to_string();
    let mut config = lib.rules.site.clone();
    config.base_url = base.clone();
    let root = &lib.sections[0];
    let nav: Vec<SubsectionCtx<'_>> = root
        .subsections
        .iter()
        .map(|&s| subsection_ctx(&lib.sections[s], &base))
        .collect();
    let mut names: HashSet<String> = (0..lib.sections.len())
        .map(|s| section_template(lib, s))
        .collect();
    names.extend(
        lib.pages
            .iter()
            .filter(|p| lib.renders(p))
            .map(page_template),
    );
    Ok(Prepared {
        shared: Shared {
            needs: names
                .iter()
                .map(|n| (n.clone(), needs_of(tera, n)))
                .collect(),
            config: to_value(&config),
            rules: to_value(&serde_json::json!({
                "fees": lib.rules.fees,
                "periods": lib.rules.periods,
                "values": cbt::values::values(&lib.rules),
                "forms": lib.rules.forms,
            })),
            data: to_value(&serde_json::json!({ "balanstest": lib.worksheet })),
            assets: to_value(&serde_json::json!({
                "stylesheet": assets.stylesheet,
                "focus_script": assets.focus_script,
                "challenge_script": assets.challenge_script,
            })),
            nav: to_value(&nav),
            base,
            example_data: !lib.rules.unconfirmed.is_empty(),
        },
    })
}

/// Every section and every page that has a page of its own.
pub fn all_jobs(lib: &Library) -> Vec<Job> {
    let mut jobs: Vec<Job> = (0..lib.sections.len()).map(Job::Section).collect();
    jobs.extend(
        lib.pages
            .iter()
            .enumerate()
            .filter(|(_, p)| lib.renders(p))
            .map(|(i, _)| Job::Page(i)),
    );
    jobs
}

/// Renders `jobs` in parallel into `sink`; returns what was built and what failed.
pub fn render_jobs(
    lib: &Library,
    tera: &Tera,
    prepared: &Prepared,
    jobs: &[Job],
    sink: &dyn Sink,
) -> (Vec<Built>, Vec<DataError>) {
    let shared = &prepared.shared;
    let results: Vec<Result<Built, DataError>> = jobs
        .par_iter()
        .map(|job| {
            let (url, source, template, html, md_links) = match *job {
                Job::Section(s) => {
                    let section = &lib.sections[s];
                    let (template, ctx) = section_context(lib, shared, s);
                    let html = tera
                        .render(&template, &ctx)
                        .map_err(|e| render_error(&section.file, &template, &e))?;
                    (
                        section.path.clone(),
                        section.file.clone(),
                        template,
                        html,
                        section.body.links.clone(),
                    )
                }
                Job::Page(p) => {
                    let page = &lib.pages[p];
                    let (template, ctx) = page_context(lib, shared, p);
                    let html = tera
                        .render(&template, &ctx)
                        .map_err(|e| render_error(&page.file, &template, &e))?;
                    (
                        page.path.clone(),
                        page.file.clone(),
                        template,
                        html,
                        page.body.links.clone(),
                    )
                }
            };
            let scan = links::scan(&html);
            let path = output_path(&url);
            sink.put(&path, html.into_bytes())
                .map_err(|e| write_error(&path, &e))?;
            Ok(Built {
                url,
                source: Some(source),
                template,
                scan,
                md_links,
            })
        })
        .collect();
    let mut built = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(b) => built.push(b),
            Err(e) => errors.push(e),
        }
    }
    (built, errors)
}

/// The link check over everything built, and the menu's links.
pub fn check_links<'a>(
    lib: &Library,
    built: impl IntoIterator<Item = &'a Built>,
    targets: &HashSet<String>,
) -> Vec<DataError> {
    let built: Vec<&Built> = built.into_iter().collect();
    check_some_links(lib, &built, &built, targets)
}

/// The link check of `to_check` against everything `built`, and the menu.
pub fn check_some_links(
    lib: &Library,
    built: &[&Built],
    to_check: &[&Built],
    targets: &HashSet<String>,
) -> Vec<DataError> {
    let inlined: std::collections::HashMap<String, (String, usize)> = lib
        .pages
        .iter()
        .filter(|p| !lib.renders(p))
        .flat_map(|p| {
            p.body
                .links
                .iter()
                .map(|l| (l.target.clone(), (p.file.clone(), l.line)))
        })
        .collect();
    let mut errors = links::check_some(built, to_check, targets, &inlined);
    errors.extend(check_menu(lib, targets));
    errors
}

/// Renders and writes the whole site.
pub fn render(
    lib: &Library,
    tera: &Tera,
    assets: &Assets,
    base_url: &str,
    sink: &dyn Sink,
) -> Result<Report, Vec<DataError>> {
    render_keeping(lib, tera, assets, base_url, sink).map(|(report, _, _)| report)
}

/// [`render`], also returning what `serve` keeps to redo one page.
pub fn render_keeping(
    lib: &Library,
    tera: &Tera,
    assets: &Assets,
    base_url: &str,
    sink: &dyn Sink,
) -> Result<(Report, Prepared, Vec<Built>), Vec<DataError>> {
    let prepared = prepare(lib, tera, assets, base_url)?;
    let (built, mut errors) = render_jobs(lib, tera, &prepared, &all_jobs(lib), sink);

    let mut report = Report::default();
    for b in &built {
        report.files.insert(output_path(&b.url));
        report.targets.insert(b.url.clone());
    }
    report.pages = built.len();
    let base = prepared.shared.base.clone();
    for asset in &assets.files {
        match sink.copy(&asset.source, &asset.path) {
            Ok(()) => {
                report.targets.insert(format!("/{}", asset.path));
                report.files.insert(asset.path.clone());
            }
            Err(e) => errors.push(write_error(&asset.path, &e)),
        }
    }
    for (source, path) in &lib.static_files {
        match sink.copy(source, path) {
            Ok(()) => {
                report.targets.insert(format!("/{path}"));
                report.files.insert(path.clone());
            }
            Err(e) => errors.push(write_error(path, &e)),
        }
    }
    let sitemap = sitemap(lib, &base);
    let robots = format!("User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n");
    for (path, bytes) in [
        ("sitemap.xml", sitemap.into_bytes()),
        ("robots.txt", robots.into_bytes()),
    ] {
        match sink.put(path, bytes) {
            Ok(()) => {
                report.targets.insert(format!("/{path}"));
                report.files.insert(path.to_string());
            }
            Err(e) => errors.push(write_error(path, &e)),
        }
    }
    errors.extend(check_links(lib, &built, &report.targets));
    if errors.is_empty() {
        Ok((report, prepared, built))
    } else {
        Err(errors)
    }
}

fn render_error(file: &str, template: &str, e: &tera::Error) -> DataError {
    DataError {
        file: file.to_string(),
        line: None,
        message: format!("de template {template} faalt: {}", crate::templates::chain(e)),
        hint: format!("Herstel templates/{template}, of de waarde in de front matter die de template gebruikt."),
    }
}

fn write_error(path: &str, e: &std::io::Error) -> DataError {
    DataError {
        file: path.to_string(),
        line: None,
        message: format!("kan niet geschreven worden: {e}"),
        hint: "Controleer de uitvoermap (--out): bestaat ze en mag erin geschreven worden?".into(),
    }
}

fn section_template(lib: &Library, s: usize) -> String {
    let section = &lib.sections[s];
    section
        .meta
        .template
        .clone()
        .unwrap_or_else(|| if s == 0 { "index.html" } else { "section.html" }.to_string())
}

fn page_template(page: &Page) -> String {
    let explicit = match &page.meta {
        PageInfo::Page(m) => m.template.clone(),
        _ => None,
    };
    explicit.unwrap_or_else(|| {
        if page.is_not_found() {
            "404.html"
        } else {
            "page.html"
        }
        .to_string()
    })
}

/// Every template named in front matter (or by default) must exist.
fn check_templates(lib: &Library, tera: &Tera) -> Vec<DataError> {
    let known: Vec<&str> = tera
        .get_template_names()
        .filter(|n| !n.contains('/'))
        .collect();
    let mut errors = Vec::new();
    let mut missing = |file: &str, line: Option<usize>, name: String| {
        if tera.get_template(&name).is_err() {
            let mut list = known.clone();
            list.sort();
            errors.push(DataError {
                file: file.to_string(),
                line,
                message: format!("de template \"{name}\" bestaat niet"),
                hint: format!("Kies een van: {}.", list.join(", ")),
            });
        }
    };
    for (i, s) in lib.sections.iter().enumerate() {
        missing(&s.file, s.template_line, section_template(lib, i));
    }
    for p in lib.pages.iter().filter(|p| lib.renders(p)) {
        missing(&p.file, p.template_line, page_template(p));
    }
    errors
}

fn subsection_ctx<'a>(s: &'a Section, base: &str) -> SubsectionCtx<'a> {
    SubsectionCtx {
        title: &s.meta.title,
        description: s.meta.description.as_deref(),
        permalink: format!("{base}{}", s.path),
        path: &s.path,
        weight: s.meta.weight,
    }
}

fn page_ctx<'a>(lib: &'a Library, base: &str, p: usize, neighbours: bool) -> PageCtx<'a> {
    let page = &lib.pages[p];
    let (description, anchor, role, embed) = match &page.meta {
        PageInfo::Page(m) => (m.description.as_deref(), None, None, None),
        PageInfo::Faq(m) => (None, Some(m.anchor.as_str()), None, m.embed.as_deref()),
        PageInfo::Member(m) => (None, None, Some(role_label(m.role)), None),
    };
    let (mut lower, mut higher) = (None, None);
    if neighbours {
        let list = &lib.sections[page.section].pages;
        if let Some(pos) = list.iter().position(|&i| i == p) {
            let link = |i: usize| LinkCtx {
                title: lib.pages[i].title(),
                permalink: format!("{base}{}", lib.pages[i].path),
                path: &lib.pages[i].path,
            };
            lower = pos.checked_sub(1).map(|q| link(list[q]));
            higher = list.get(pos + 1).map(|&q| link(q));
        }
    }
    let embedded = embed
        .and_then(|dir| lib.section_by_dir(dir))
        .map(|s| {
            lib.sections[s]
                .pages
                .iter()
                .map(|&q| page_ctx(lib, base, q, false))
                .collect()
        })
        .unwrap_or_default();
    PageCtx {
        title: page.title(),
        description,
        permalink: format!("{base}{}", page.path),
        path: &page.path,
        slug: &page.slug,
        content: &page.body.html,
        toc: &page.body.toc,
        word_count: page.body.word_count,
        reading_time: page.body.word_count.div_ceil(200).max(1),
        weight: page.weight(),
        date: page.date(),
        as_of: match &page.meta {
            PageInfo::Page(m) => m.as_of_text(),
            _ => None,
        },
        anchor,
        role,
        lower,
        higher,
        embedded,
    }
}

/// The data files a template reads beyond the `{{ name }}` values of its
/// Markdown: an unconfirmed value in them is on every page it renders.
fn template_reads(template: &str) -> &'static [(&'static str, &'static str)] {
    match template {
        "fees.html" => &[(cbt::fees::FILE, ""), (cbt::vat::FILE, "")],
        "apply.html" => &[(cbt::forms::APPLICATION_FILE, "")],
        "contact.html" => &[(cbt::forms::CONTACT_FILE, "")],
        _ => &[],
    }
}

/// The unconfirmed values a page shows: those behind the `{{ name }}`
/// values of its Markdown (and of the pages shown inside it), and those
/// its template reads.
fn unconfirmed_on<'a>(
    lib: &'a Library,
    template: &str,
    bodies: &[&crate::markdown::Rendered],
) -> Vec<&'a cbt::Unconfirmed> {
    let mut uses: Vec<(&str, &str)> = template_reads(template).to_vec();
    for body in bodies {
        uses.extend(body.values.iter().filter_map(|n| cbt::values::source(n)));
    }
    lib.rules.unconfirmed_in(&uses)
}

fn base_context(
    shared: &Shared,
    template: &str,
    path: &str,
    title: &str,
    description: Option<&str>,
) -> Context {
    let mut ctx = Context::new();
    ctx.insert("example_data", &shared.example_data);
    ctx.insert("config", &shared.config);
    // Tera copies every value into every page's context: the fees, forms
    // and worksheet go only to the templates that read them.
    let needs = shared.needs.get(template).copied().unwrap_or(Needs {
        rules: true,
        data: true,
    });
    if needs.rules {
        ctx.insert("rules", &shared.rules);
    }
    if needs.data {
        ctx.insert("data", &shared.data);
    }
    ctx.insert("assets", &shared.assets);
    ctx.insert("nav", &shared.nav);
    ctx.insert("current_path", path);
    ctx.insert("canonical", &format!("{}{}", shared.base, path));
    ctx.insert("page_title", title);
    ctx.insert("page_description", description.unwrap_or_default());
    // A form on a built page starts empty; the function fills these in
    // when it shows a form again with the applicant's values and errors.
    ctx.insert("form_values", &serde_json::Map::new());
    ctx.insert("form_errors", &serde_json::Map::new());
    ctx
}

fn breadcrumbs<'a>(lib: &'a Library, mut section: Option<usize>) -> Vec<Crumb<'a>> {
    let mut crumbs = Vec::new();
    while let Some(s) = section {
        let sec = &lib.sections[s];
        crumbs.push(Crumb {
            title: if s == 0 { "Home" } else { &sec.meta.title },
            path: &sec.path,
        });
        section = sec.parent;
    }
    crumbs.reverse();
    crumbs
}

fn section_context(lib: &Library, shared: &Shared, s: usize) -> (String, Context) {
    let section = &lib.sections[s];
    let ctx_value = SectionCtx {
        title: &section.meta.title,
        description: section.meta.description.as_deref(),
        permalink: format!("{}{}", shared.base, section.path),
        path: &section.path,
        content: &section.body.html,
        toc: &section.body.toc,
        word_count: section.body.word_count,
        page_kind: section.meta.page_kind,
        pages: section
            .pages
            .iter()
            .map(|&p| {
                let mut ctx = page_ctx(lib, &shared.base, p, false);
                // A list of pages that have pages of their own links to them;
                // only pages shown inside the section (FAQ, members) need
                // their content here, and leaving it out keeps a large
                // section's context small.
                if section.meta.render_pages {
                    ctx.content = "";
                    ctx.toc = &[];
                }
                ctx
            })
            .collect(),
        subsections: section
            .subsections
            .iter()
            .map(|&x| subsection_ctx(&lib.sections[x], &shared.base))
            .collect(),
    };
    let description = section
        .meta
        .description
        .as_deref()
        .or(Some(lib.rules.site.description.as_str()));
    let template = section_template(lib, s);
    let mut ctx = base_context(
        shared,
        &template,
        &section.path,
        &section.meta.title,
        description,
    );
    ctx.insert("section", &ctx_value);
    let mut bodies = vec![&section.body];
    bodies.extend(section.pages.iter().map(|&p| &lib.pages[p].body));
    ctx.insert("unconfirmed", &unconfirmed_on(lib, &template, &bodies));
    ctx.insert("breadcrumbs", &breadcrumbs(lib, section.parent));
    if section.meta.page_kind == PageKind::Faq {
        ctx.insert("structured_data", &faq_json_ld(lib, section));
    }
    (template, ctx)
}

fn page_context(lib: &Library, shared: &Shared, p: usize) -> (String, Context) {
    let page = &lib.pages[p];
    let value = page_ctx(lib, &shared.base, p, true);
    let description = value
        .description
        .or(Some(lib.rules.site.description.as_str()));
    let template = page_template(page);
    let mut ctx = base_context(shared, &template, &page.path, page.title(), description);
    ctx.insert("page", &value);
    let mut bodies = vec![&page.body];
    if let PageInfo::Faq(m) = &page.meta {
        if let Some(s) = m.embed.as_deref().and_then(|d| lib.section_by_dir(d)) {
            bodies.extend(lib.sections[s].pages.iter().map(|&q| &lib.pages[q].body));
        }
    }
    ctx.insert("unconfirmed", &unconfirmed_on(lib, &template, &bodies));
    let crumbs = if page.is_not_found() {
        Vec::new()
    } else {
        breadcrumbs(lib, Some(page.section))
    };
    ctx.insert("breadcrumbs", &crumbs);
    (template, ctx)
}

/// schema.org FAQPage for the FAQ section, as a string safe inside `<script>`.
fn faq_json_ld(lib: &Library, section: &Section) -> String {
    let entities: Vec<Value> = section
        .pages
        .iter()
        .map(|&p| {
            let page = &lib.pages[p];
            let mut answer = strip_tags(&page.body.html);
            if let PageInfo::Faq(m) = &page.meta {
                if let Some(s) = m.embed.as_deref().and_then(|d| lib.section_by_dir(d)) {
                    for &q in &lib.sections[s].pages {
                        let member = &lib.pages[q];
                        let role = match &member.meta {
                            PageInfo::Member(m) => format!(" ({})", role_label(m.role)),
                            _ => String::new(),
                        };
                        let text = strip_tags(&member.body.html);
                        answer.push_str(&format!(" {}{role}: {text}", member.title()));
                    }
                }
            }
            serde_json::json!({
                "@type": "Question",
                "name": page.title(),
                "acceptedAnswer": { "@type": "Answer", "text": answer.trim() },
            })
        })
        .collect();
    let doc = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": entities,
    });
    // `<` only occurs inside JSON strings, where \u003c means the same and
    // cannot close the script element.
    doc.to_string().replace('<', "\\u003c")
}

/// The text of an HTML fragment as a reader sees it, for structured data:
/// tags removed, every entity decoded (`&eacute;` `&nbsp;` `&#8364;`
/// `&#x20AC;` ...), and the white space that HTML would collapse collapsed.
/// A tag that starts a new block counts as a space, an inline one as
/// nothing, so `<p>a</p><p>b</p>` reads `a b` and `<em>wo</em>rd` `word`.
/// The no-break space is not collapsible in HTML and stays (`€ 10`).
pub fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some((before, after)) = rest.split_once('<') {
        text.push_str(before);
        // Only `<` before a name, `/`, `!` or `?` opens a tag, as in a browser.
        if !after.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')) {
            text.push('<');
            rest = after;
            continue;
        }
        let (tag, next) = split_tag(after);
        if is_block(tag) {
            text.push(' ');
        }
        rest = next;
    }
    text.push_str(rest);
    // Entities after the tags: `&lt;b&gt;` is text, not a tag.
    let text = html_escape::decode_html_entities(&text);
    let words: Vec<&str> = text
        .split(|c: char| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    words.join(" ")
}

/// A tag's inside and what follows its `>`; a `>` in a quoted attribute
/// value or inside a comment does not end it. A comment reads as nothing.
fn split_tag(after_lt: &str) -> (&str, &str) {
    if let Some(comment) = after_lt.strip_prefix("!--") {
        return comment
            .split_once("-->")
            .map_or((after_lt, ""), |(_, next)| ("!--", next));
    }
    let mut quote = None;
    let mut after_eq = false;
    for (i, c) in after_lt.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '>' => {
                let (tag, next) = after_lt.split_at_checked(i).unwrap_or((after_lt, ""));
                return (tag, next.strip_prefix('>').unwrap_or(next));
            }
            None if after_eq && (c == '"' || c == '\'') => quote = Some(c),
            None if c.is_ascii_whitespace() => continue,
            None => {}
        }
        after_eq = quote.is_none() && c == '=';
    }
    (after_lt, "")
}

/// Whether a tag (its inside, `p class="x"`, `/li`) starts or ends a block.
fn is_block(tag: &str) -> bool {
    let name = tag
        .trim_start_matches('/')
        .split(|c: char| c.is_ascii_whitespace() || c == '/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "br"
            | "caption"
            | "dd"
            | "details"
            | "div"
            | "dl"
            | "dt"
            | "figcaption"
            | "figure"
            | "footer"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

fn check_menu(lib: &Library, targets: &HashSet<String>) -> Vec<DataError> {
    let site = &lib.rules.site;
    site.menu
        .iter()
        .chain(&site.footer)
        .filter(|l| !targets.contains(l.url.split('#').next().unwrap_or("")))
        .map(|l| DataError {
            file: cbt::site::FILE.to_string(),
            line: None,
            message: format!(
                "de menulink \"{}\" leidt naar {}, een pagina die niet bestaat",
                l.title, l.url
            ),
            hint: "Verwijs naar een bestaande pagina, met / aan het eind.".into(),
        })
        .collect()
}

fn sitemap(lib: &Library, base: &str) -> String {
    let mut urls: Vec<(&str, Option<String>)> = lib
        .sections
        .iter()
        .map(|s| (s.path.as_str(), None))
        .collect();
    urls.extend(
        lib.pages
            .iter()
            .filter(|p| lib.renders(p) && !p.is_not_found())
            .map(|p| (p.path.as_str(), p.date())),
    );
    urls.sort();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    // The pages' escaper serves XML too: `&quot;` and `&#x27;` are XML's as well.
    for (path, date) in urls {
        xml.push_str("  <url><loc>");
        xml.push_str(&escape_html(&format!("{base}{path}")));
        xml.push_str("</loc>");
        if let Some(d) = date {
            xml.push_str("<lastmod>");
            xml.push_str(&escape_html(&d));
            xml.push_str("</lastmod>");
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_tags_decodes_every_entity_and_collapses_space() {
        assert_eq!(
            strip_tags("&eacute;&eacute;n &euro;&nbsp;10, &#8364; &#x20AC; &#X20ac; &quot;a&quot; &#39;b&#39; &#x27;c&#x27; &lt;d&gt; &amp;amp; &copy; &hellip;"),
            "één €\u{a0}10, € € € \"a\" 'b' 'c' <d> &amp; © …"
        );
        assert_eq!(
            strip_tags("<p>Een\n  <em>wo</em>rd, <a href=\"/x/?a=1&amp;b=2\" title=\"a > b\">link</a>.</p>\n<ul>\n<li>a</li><li>b<br>c</li></ul><p>d</p>"),
            "Een word, link. a b c d"
        );
        // A bare `<` is text; a comment and a `>` inside quotes are not.
        assert_eq!(strip_tags("a < b <3<!-- <p>x</p> -->c"), "a < b <3c");
        assert_eq!(strip_tags("<div data-x='>'>y</div>&#10;z"), "y z");
        // Unknown or broken entities stay as written; an unclosed tag is dropped.
        assert_eq!(
            strip_tags("&bestaatniet; &#xZZ; & x <p class=\"x"),
            "&bestaatniet; &#xZZ; & x"
        );
        assert_eq!(strip_tags(""), "");
    }

    #[test]
    fn strip_tags_reads_rendered_markdown() {
        let r = crate::markdown::render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n\"quote\" -- it's &euro; <b>&lt;</b>\n",
            1,
        );
        assert_eq!(strip_tags(&r.html), "a b 1 2 “quote” – it’s € <");
    }
}
