//! Loading `content/`: sections (`_index.md`), pages (`*.md`), the data
//! files (`data/`) and the static files beside them, into a [`Library`].
//!
//! The layout is Zola's: a folder with an `_index.md` is a section, every
//! other `.md` file is a page of the nearest section above it, and a file
//! that is not Markdown is copied as it is. `content/404.md` becomes
//! `/404.html`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use cbt::{DataError, Rules, Sources};
use rayon::prelude::*;
use serde::Deserialize;
use walkdir::WalkDir;

use crate::front_matter::{self, FaqMeta, MemberMeta, PageKind, PageMeta, SectionMeta, SortBy};
use crate::markdown::{self, Rendered};

/// Where the data files live, under `content/`; never pages.
pub const DATA_DIR: &str = "data";

/// Everything the site is built from.
pub struct Library {
    pub rules: Rules,
    /// The `{{ name }}` values the Markdown may use: the rules' and
    /// [`MEMBERS_VALUE`].
    pub values: BTreeMap<String, String>,
    pub worksheet: Option<Worksheet>,
    /// `sections[0]` is the home page (`content/_index.md`).
    pub sections: Vec<Section>,
    pub pages: Vec<Page>,
    /// Files copied as they are, as (source, path under the output).
    pub static_files: Vec<(PathBuf, String)>,
}

pub struct Section {
    /// Path under `content/`, as editors know it.
    pub file: String,
    /// URL path, such as `/aanvragen/`.
    pub path: String,
    pub meta: SectionMeta,
    pub body: Rendered,
    pub parent: Option<usize>,
    /// Indexes into [`Library::pages`], in the section's order.
    pub pages: Vec<usize>,
    /// Indexes into [`Library::sections`], by weight.
    pub subsections: Vec<usize>,
    pub template_line: Option<usize>,
}

pub struct Page {
    pub file: String,
    pub slug: String,
    /// URL path: `/de-regeling/`, or `/404.html` for the not-found page.
    pub path: String,
    pub section: usize,
    pub meta: PageInfo,
    pub body: Rendered,
    pub template_line: Option<usize>,
}

/// The front matter of a page, by the kind its section gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum PageInfo {
    Page(PageMeta),
    Faq(FaqMeta),
    Member(MemberMeta),
}

impl Page {
    pub fn title(&self) -> &str {
        match &self.meta {
            PageInfo::Page(m) => &m.title,
            PageInfo::Faq(m) => &m.title,
            PageInfo::Member(m) => &m.title,
        }
    }
    pub fn weight(&self) -> i64 {
        match &self.meta {
            PageInfo::Page(m) => m.weight,
            PageInfo::Faq(m) => m.weight,
            PageInfo::Member(m) => m.weight,
        }
    }
    pub fn draft(&self) -> bool {
        match &self.meta {
            PageInfo::Page(m) => m.draft,
            PageInfo::Faq(m) => m.draft,
            PageInfo::Member(m) => m.draft,
        }
    }
    pub fn date(&self) -> Option<String> {
        match &self.meta {
            PageInfo::Page(m) => m.date.as_ref().map(ToString::to_string),
            _ => None,
        }
    }
    pub fn is_not_found(&self) -> bool {
        self.path == "/404.html"
    }
}

/// The printable balancing-test worksheet (`data/balanstest.toml`).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Worksheet {
    pub intro: String,
    pub steps: Vec<WorksheetStep>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorksheetStep {
    pub title: String,
    pub explanation: String,
    pub questions: Vec<WorksheetQuestion>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorksheetQuestion {
    pub question: String,
    pub hint: Option<String>,
}

const WORKSHEET_FILE: &str = "data/balanstest.toml";

/// A Markdown file found under `content/`.
struct Found {
    rel: String,
    text: String,
}

/// Loads `content_dir`. Every problem is collected; the library is only
/// returned when there are none.
pub fn load(content_dir: &Path) -> Result<Library, Vec<DataError>> {
    let mut errors = Vec::new();
    let mut markdown_files = Vec::new();
    let mut static_files = Vec::new();
    let mut sources = Sources::default();

    let walker = WalkDir::new(content_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            // Hidden files and folders (editor swap files, .DS_Store) are not content.
            e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(io_problem(
                    &e.path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    &e.to_string(),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = relative(content_dir, entry.path());
        if rel.starts_with("data/") {
            if rel.ends_with(".toml") {
                match fs::read_to_string(entry.path()) {
                    Ok(text) => sources.insert(rel, text),
                    Err(e) => errors.push(io_problem(&rel, &e.to_string())),
                }
            }
            continue;
        }
        if rel.ends_with(".md") {
            markdown_files.push(rel);
        } else {
            static_files.push((entry.path().to_path_buf(), rel));
        }
    }

    let rules = match Rules::parse(&sources) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let worksheet = match sources.get(WORKSHEET_FILE) {
        Some(text) => match cbt::sources::parse_toml_all::<Worksheet>(WORKSHEET_FILE, text, 0) {
            Ok(w) => Some(w),
            Err(e) => {
                errors.extend(e);
                None
            }
        },
        None => None,
    };

    let read: Vec<Result<Found, DataError>> = markdown_files
        .into_par_iter()
        .map(|rel| {
            fs::read_to_string(content_dir.join(&rel))
                .map(|text| Found {
                    rel: rel.clone(),
                    text,
                })
                .map_err(|e| io_problem(&rel, &e.to_string()))
        })
        .collect();
    let mut found = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(f) => found.push(f),
            Err(e) => errors.push(e),
        }
    }
    let Some(rules) = rules else {
        return Err(errors);
    };
    let mut values = cbt::values::values(&rules);
    if let Some(members) = members_phrase(&found) {
        values.insert(MEMBERS_VALUE.to_string(), members);
    }

    let (index_files, page_files): (Vec<Found>, Vec<Found>) = found
        .into_iter()
        .partition(|f| f.rel == "_index.md" || f.rel.ends_with("/_index.md"));

    // Sections first: their front matter decides how their pages are read.
    let parsed_sections: Vec<Result<Section, Vec<DataError>>> = index_files
        .par_iter()
        .map(|f| parse_section(f, &values))
        .collect();
    let mut sections = Vec::new();
    for s in parsed_sections {
        match s {
            Ok(s) => sections.push(s),
            Err(e) => errors.extend(e),
        }
    }
    // The home section first, then by path, so indexes are stable.
    sections.sort_by(|a, b| (a.path != "/", &a.path).cmp(&(b.path != "/", &b.path)));
    if sections.first().is_none_or(|s| s.path != "/") {
        if !errors.iter().any(|e| e.file == "_index.md") {
            errors.push(DataError {
                file: "_index.md".into(),
                line: None,
                message: "de startpagina content/_index.md ontbreekt".into(),
                hint: "Maak content/_index.md met front matter (title, description).".into(),
            });
        }
        return Err(errors);
    }
    let by_dir: BTreeMap<String, usize> = sections
        .iter()
        .enumerate()
        .map(|(i, s)| (dir_of_index(&s.file).to_string(), i))
        .collect();
    for section in sections.iter_mut().skip(1) {
        let parent = nearest_section(&by_dir, parent_dir(dir_of_index(&section.file)));
        section.parent = Some(parent);
    }

    let parsed_pages: Vec<Result<Option<Page>, Vec<DataError>>> = page_files
        .par_iter()
        .map(|f| {
            let section = nearest_section(&by_dir, parent_dir(&f.rel));
            parse_page(f, section, &sections[section], &values)
        })
        .collect();
    let mut pages = Vec::new();
    for p in parsed_pages {
        match p {
            Ok(Some(p)) => pages.push(p),
            Ok(None) => {}
            Err(e) => errors.extend(e),
        }
    }
    check_unique_paths(&sections, &pages, &mut errors);
    check_faq_anchors(&sections, &pages, &mut errors);

    for (i, page) in pages.iter().enumerate() {
        if !page.is_not_found() {
            sections[page.section].pages.push(i);
        }
    }
    for s in 0..sections.len() {
        let sort_by = sections[s].meta.sort_by;
        let mut list = std::mem::take(&mut sections[s].pages);
        list.sort_by(|&a, &b| {
            let (a, b) = (&pages[a], &pages[b]);
            match sort_by {
                SortBy::Weight => a
                    .weight()
                    .cmp(&b.weight())
                    .then_with(|| a.title().cmp(b.title())),
                // Newest first, as news is read.
                SortBy::Date => b
                    .date()
                    .cmp(&a.date())
                    .then_with(|| a.title().cmp(b.title())),
                SortBy::Title => a.title().cmp(b.title()),
            }
        });
        sections[s].pages = list;
        if let Some(parent) = sections[s].parent {
            sections[parent].subsections.push(s);
        }
    }
    let weights: Vec<(i64, String)> = sections
        .iter()
        .map(|s| (s.meta.weight, s.meta.title.clone()))
        .collect();
    for s in &mut sections {
        s.subsections.sort_by(|&a, &b| weights[a].cmp(&weights[b]));
    }
    check_embeds(&sections, &pages, &mut errors);

    if errors.is_empty() {
        Ok(Library {
            rules,
            values,
            worksheet,
            sections,
            pages,
            static_files,
        })
    } else {
        Err(errors)
    }
}

/// `{{ commissie.leden }}`: the members of the commission as one phrase,
/// "Naam (rol), ... en Naam (rol)", so that the home page cannot miss a
/// member file or keep one that was removed.
pub const MEMBERS_VALUE: &str = "commissie.leden";

/// The members (the pages of the sections whose `page_kind` is
/// `"member"`, drafts left out) as one phrase, in the order of their
/// weight; `None` when the site has no such section. Their front matter is
/// read here ahead of the full parse, because the phrase must be known
/// before any body is rendered; a member whose front matter does not read
/// is left out, and the full parse reports its mistakes.
fn members_phrase(found: &[Found]) -> Option<String> {
    let is_index = |f: &&Found| f.rel == "_index.md" || f.rel.ends_with("/_index.md");
    // Index 0: no section at all above a file.
    let mut is_member_section = vec![false];
    let mut by_dir = BTreeMap::new();
    for f in found.iter().filter(is_index) {
        let kind = front_matter::split(&f.rel, &f.text)
            .ok()
            .and_then(|split| front_matter::parse::<SectionMeta>(&f.rel, &split).ok())
            .map(|meta| meta.page_kind);
        by_dir.insert(dir_of_index(&f.rel).to_string(), is_member_section.len());
        is_member_section.push(kind == Some(PageKind::Member));
    }
    if !is_member_section.contains(&true) {
        return None;
    }
    let mut members: Vec<MemberMeta> = found
        .iter()
        .filter(|f| !is_index(f))
        .filter(|f| {
            let section = nearest_section(&by_dir, parent_dir(&f.rel));
            is_member_section.get(section) == Some(&true)
        })
        .filter_map(|f| {
            let split = front_matter::split(&f.rel, &f.text).ok()?;
            front_matter::parse::<MemberMeta>(&f.rel, &split).ok()
        })
        .filter(|m| !m.draft)
        .collect();
    members.sort_by(|a, b| a.weight.cmp(&b.weight).then_with(|| a.title.cmp(&b.title)));
    let named: Vec<String> = members
        .iter()
        .map(|m| format!("{} ({})", m.title, crate::render::role_label(m.role)))
        .collect();
    Some(dutch_list(&named))
}

/// "a", "a en b", "a, b en c".
fn dutch_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} en {last}", rest.join(", ")),
    }
}

fn io_problem(file: &str, e: &str) -> DataError {
    DataError {
        file: file.to_string(),
        line: None,
        message: format!("kan niet gelezen worden: {e}"),
        hint: "Controleer of het bestand bestaat en leesbaar is (UTF-8).".into(),
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `a/b/_index.md` -> `a/b`; `_index.md` -> ``.
fn dir_of_index(file: &str) -> &str {
    file.strip_suffix("_index.md")
        .unwrap_or(file)
        .trim_end_matches('/')
}

/// `a/b/c.md` -> `a/b`; `a/b` -> `a`; `c.md` -> ``.
fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn nearest_section(by_dir: &BTreeMap<String, usize>, mut dir: &str) -> usize {
    loop {
        if let Some(&i) = by_dir.get(dir) {
            return i;
        }
        if dir.is_empty() {
            return 0;
        }
        dir = parent_dir(dir);
    }
}

/// The line of `field = ...` in the front matter, for errors about its value.
fn field_line(split: &front_matter::Split<'_>, field: &str) -> Option<usize> {
    split
        .front_matter
        .lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(field)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + split.front_matter_line)
}

fn render_body(
    file: &str,
    split: &front_matter::Split<'_>,
    values: &BTreeMap<String, String>,
) -> Result<Rendered, Vec<DataError>> {
    let body = markdown::substitute(file, split.body, split.body_line, values)?;
    let mut rendered = markdown::render(&body, split.body_line);
    rendered.values = markdown::value_names(split.body);
    Ok(rendered)
}

fn parse_section(f: &Found, values: &BTreeMap<String, String>) -> Result<Section, Vec<DataError>> {
    let split = front_matter::split(&f.rel, &f.text).map_err(|e| vec![e])?;
    let meta: SectionMeta = front_matter::parse(&f.rel, &split)?;
    let body = render_body(&f.rel, &split, values)?;
    let dir = dir_of_index(&f.rel);
    let path = if dir.is_empty() {
        "/".to_string()
    } else {
        format!("/{dir}/")
    };
    check_slug_path(&f.rel, dir)?;
    Ok(Section {
        file: f.rel.clone(),
        path,
        template_line: field_line(&split, "template"),
        meta,
        body,
        parent: None,
        pages: Vec::new(),
        subsections: Vec::new(),
    })
}

fn parse_page(
    f: &Found,
    section_index: usize,
    section: &Section,
    values: &BTreeMap<String, String>,
) -> Result<Option<Page>, Vec<DataError>> {
    let split = front_matter::split(&f.rel, &f.text).map_err(|e| vec![e])?;
    let kind = section.meta.page_kind;
    let meta = match kind {
        PageKind::Page => PageInfo::Page(front_matter::parse(&f.rel, &split)?),
        PageKind::Faq => PageInfo::Faq(front_matter::parse(&f.rel, &split)?),
        PageKind::Member => PageInfo::Member(front_matter::parse(&f.rel, &split)?),
    };
    let without_ext = f.rel.strip_suffix(".md").unwrap_or(&f.rel);
    check_slug_path(&f.rel, without_ext)?;
    let slug = without_ext
        .rsplit('/')
        .next()
        .unwrap_or(without_ext)
        .to_string();
    let body = render_body(&f.rel, &split, values)?;
    let page = Page {
        path: if f.rel == "404.md" {
            "/404.html".to_string()
        } else {
            format!("/{without_ext}/")
        },
        file: f.rel.clone(),
        slug,
        section: section_index,
        template_line: field_line(&split, "template"),
        meta,
        body,
    };
    // A draft is checked like any page, then left out.
    Ok((!page.draft()).then_some(page))
}

/// File and folder names become URLs: keep them to what needs no escaping.
fn check_slug_path(file: &str, path: &str) -> Result<(), Vec<DataError>> {
    let bad = path.split('/').find(|part| {
        !part.is_empty()
            && !part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && *part != "404"
    });
    match bad {
        None => Ok(()),
        Some(part) => Err(vec![DataError {
            file: file.to_string(),
            line: None,
            message: format!(
                "de naam \"{part}\" wordt een webadres, maar bevat andere tekens dan a-z, 0-9 en -"
            ),
            hint: format!("Hernoem het naar \"{}\".", markdown::slugify(part)),
        }]),
    }
}

fn check_unique_paths(sections: &[Section], pages: &[Page], errors: &mut Vec<DataError>) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let all = sections
        .iter()
        .map(|s| (s.path.as_str(), s.file.as_str()))
        .chain(pages.iter().map(|p| (p.path.as_str(), p.file.as_str())));
    for (path, file) in all {
        if let Some(first) = seen.insert(path, file) {
            errors.push(DataError {
                file: file.to_string(),
                line: None,
                message: format!("krijgt hetzelfde adres {path} als {first}"),
                hint: "Hernoem een van beide, of maak van de map een sectie met _index.md.".into(),
            });
        }
    }
}

fn check_faq_anchors(sections: &[Section], pages: &[Page], errors: &mut Vec<DataError>) {
    let mut seen: BTreeMap<(usize, &str), &str> = BTreeMap::new();
    for p in pages {
        if let PageInfo::Faq(m) = &p.meta {
            if markdown::slugify(&m.anchor) != m.anchor {
                errors.push(DataError {
                    file: p.file.clone(),
                    line: None,
                    message: format!("anchor = \"{}\" is geen geldig anker", m.anchor),
                    hint: format!(
                        "Gebruik kleine letters, cijfers en -, zoals \"{}\".",
                        markdown::slugify(&m.anchor)
                    ),
                });
            }
            if let Some(first) = seen.insert((p.section, &m.anchor), &p.file) {
                errors.push(DataError {
                    file: p.file.clone(),
                    line: None,
                    message: format!(
                        "anchor = \"{}\" staat ook in {first} ({})",
                        m.anchor, sections[p.section].path
                    ),
                    hint: "Geef elke vraag een eigen anchor.".into(),
                });
            }
        }
    }
}

fn check_embeds(sections: &[Section], pages: &[Page], errors: &mut Vec<DataError>) {
    for p in pages {
        if let PageInfo::Faq(FaqMeta {
            embed: Some(embed), ..
        }) = &p.meta
        {
            let target = format!("/{}/", embed.trim_matches('/'));
            if !sections.iter().any(|s| s.path == target) {
                errors.push(DataError {
                    file: p.file.clone(),
                    line: None,
                    message: format!("embed = \"{embed}\": die sectie bestaat niet"),
                    hint: "Noem de map van een sectie onder content/, zoals \"de-commissie\"."
                        .into(),
                });
            }
        }
    }
}

impl Library {
    /// Re-reads the page `rel` (path under `content/`) after an edit.
    /// `Some(index)` when only its text changed, so that redoing the pages
    /// that show it suffices; `None` when the edit changes more than that
    /// (front matter, a new, removed or draft page): then build it all.
    pub fn reload_page(
        &mut self,
        content_dir: &Path,
        rel: &str,
    ) -> Result<Option<usize>, Vec<DataError>> {
        let Some(i) = self.pages.iter().position(|p| p.file == rel) else {
            return Ok(None);
        };
        let Ok(text) = fs::read_to_string(content_dir.join(rel)) else {
            return Ok(None);
        };
        let section = self.pages[i].section;
        let found = Found {
            rel: rel.to_string(),
            text,
        };
        let Some(new) = parse_page(&found, section, &self.sections[section], &self.values)? else {
            return Ok(None);
        };
        let old = &self.pages[i];
        if new.meta != old.meta || new.template_line != old.template_line {
            return Ok(None);
        }
        self.pages[i].body = new.body;
        Ok(Some(i))
    }

    /// The section whose folder is `dir` (`de-commissie`).
    pub fn section_by_dir(&self, dir: &str) -> Option<usize> {
        let target = format!("/{}/", dir.trim_matches('/'));
        self.sections.iter().position(|s| s.path == target)
    }

    /// Whether a page gets a URL of its own.
    pub fn renders(&self, page: &Page) -> bool {
        page.is_not_found() || self.sections[page.section].meta.render_pages
    }
}
