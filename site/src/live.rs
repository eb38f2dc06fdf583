//! The site kept in memory between edits, for `serve`: a change to the text
//! of one page redoes only the pages that show it and the link check,
//! instead of the whole build. Anything else (front matter, a new or removed
//! file, a template, a data file) builds it all again.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tera::Tera;

use crate::content::{Library, PageInfo};
use crate::links::Built;
use crate::render::{self, Job, Prepared};
use crate::{load, MemorySink, Problems, Project};

pub struct LiveSite {
    project: Project,
    /// `content/` as the watcher names it: absolute, links resolved.
    content_dir: PathBuf,
    library: Library,
    tera: Tera,
    prepared: Prepared,
    /// What each built page offers and asks for, by URL, for the link check.
    built: HashMap<String, Built>,
    /// Which pages link to a URL: after an edit, only those (and the
    /// edited pages) need their links checked again.
    linked_from: HashMap<String, HashSet<String>>,
    targets: HashSet<String>,
}

/// What an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// Redid this many pages.
    Pages(usize),
    /// Could not be done page by page: build it all.
    Full,
}

impl LiveSite {
    /// Builds the whole site into `sink` and keeps what an edit needs.
    pub fn build(project: &Project, sink: &MemorySink) -> Result<LiveSite, Problems> {
        let (library, tera, assets) = load(project)?;
        let base_url = project
            .base_url
            .clone()
            .unwrap_or_else(|| library.rules.site.base_url.clone());
        let (report, prepared, built) =
            render::render_keeping(&library, &tera, &assets, &base_url, sink).map_err(Problems)?;
        let mut linked_from: HashMap<String, HashSet<String>> = HashMap::new();
        for b in &built {
            note_links(&mut linked_from, b);
        }
        Ok(LiveSite {
            linked_from,
            content_dir: std::fs::canonicalize(&project.content)
                .unwrap_or_else(|_| project.content.clone()),
            project: project.clone(),
            library,
            tera,
            prepared,
            built: built.into_iter().map(|b| (b.url.clone(), b)).collect(),
            targets: report.targets,
        })
    }

    /// The rules (`content/data/`) this build read.
    pub fn rules(&self) -> &cbt::Rules {
        &self.library.rules
    }

    /// Applies the edits to `changed` files, page by page when only the
    /// text of pages changed.
    pub fn update(&mut self, changed: &[PathBuf], sink: &MemorySink) -> Result<Update, Problems> {
        let mut pages = Vec::new();
        for path in changed {
            let Some(rel) = self.page_file(path) else {
                return Ok(Update::Full);
            };
            match self
                .library
                .reload_page(&self.project.content, &rel)
                .map_err(Problems)?
            {
                Some(i) => pages.push(i),
                None => return Ok(Update::Full),
            }
        }
        let jobs = self.jobs_showing(&pages);
        let (built, errors) =
            render::render_jobs(&self.library, &self.tera, &self.prepared, &jobs, sink);
        let count = built.len();
        let mut recheck: HashSet<String> = HashSet::new();
        for b in built {
            note_links(&mut self.linked_from, &b);
            recheck.insert(b.url.clone());
            if let Some(from) = self.linked_from.get(&b.url) {
                recheck.extend(from.iter().cloned());
            }
            self.built.insert(b.url.clone(), b);
        }
        let all: Vec<&Built> = self.built.values().collect();
        let to_check: Vec<&Built> = recheck.iter().filter_map(|u| self.built.get(u)).collect();
        let mut problems = errors;
        problems.extend(render::check_some_links(
            &self.library,
            &all,
            &to_check,
            &self.targets,
        ));
        if problems.is_empty() {
            Ok(Update::Pages(count))
        } else {
            Err(Problems(problems))
        }
    }

    /// The page file under `content/` that `path` is, if it is one whose
    /// text alone may have changed.
    fn page_file(&self, path: &Path) -> Option<String> {
        let canonical = std::fs::canonicalize(path).ok();
        let rel = path
            .strip_prefix(&self.project.content)
            .or_else(|_| path.strip_prefix(&self.content_dir))
            .ok()
            .or_else(|| {
                canonical
                    .as_deref()
                    .and_then(|c| c.strip_prefix(&self.content_dir).ok())
            })?
            .to_string_lossy()
            .replace('\\', "/");
        let is_page =
            rel.ends_with(".md") && !rel.ends_with("_index.md") && !rel.starts_with("data/");
        is_page.then_some(rel)
    }

    /// Every page that shows one of `pages`: the page itself, the section
    /// that shows it inline, and the sections that embed that section.
    fn jobs_showing(&self, pages: &[usize]) -> Vec<Job> {
        let lib = &self.library;
        let mut jobs = HashSet::new();
        for &i in pages {
            let page = &lib.pages[i];
            if lib.renders(page) {
                jobs.insert(Job::Page(i));
            }
            let section = &lib.sections[page.section];
            if !section.meta.render_pages {
                jobs.insert(Job::Section(page.section));
                let dir = section.path.trim_matches('/');
                for (j, p) in lib.pages.iter().enumerate() {
                    if let PageInfo::Faq(m) = &p.meta {
                        if m.embed.as_deref().map(|e| e.trim_matches('/')) == Some(dir) {
                            jobs.insert(Job::Section(p.section));
                            if lib.renders(p) {
                                jobs.insert(Job::Page(j));
                            }
                        }
                    }
                }
            }
        }
        jobs.into_iter().collect()
    }
}

fn note_links(linked_from: &mut HashMap<String, HashSet<String>>, b: &Built) {
    for href in &b.scan.hrefs {
        let target = crate::links::target_of(&b.url, href);
        if target != b.url {
            linked_from.entry(target).or_default().insert(b.url.clone());
        }
    }
}
