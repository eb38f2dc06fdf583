//! `cbt-site`: the CBT's static site generator.
//!
//! Zola's shape, in small: [`content`] loads `content/` (front matter in
//! [`front_matter`], Markdown in [`markdown`]), [`templates`] loads
//! `templates/`, [`render`] turns both into pages and checks every link
//! ([`links`]), and an [`output::Sink`] receives the files: a folder for
//! `build`, memory for `serve`, nothing for `check`. Every editor's mistake
//! becomes a [`cbt::DataError`] naming file, line and what to do; a build
//! reports all of them at once.
//!
//! [`serve`], [`live`], [`watch`] and [`problem_page`] come with the
//! default feature `serve`, and with them the server, the file watcher
//! and the function; `build` and `check`
//! need none of those (`--no-default-features`).

pub mod assets;
pub mod content;
pub mod front_matter;
pub mod links;
#[cfg(feature = "serve")]
pub mod live;
pub mod markdown;
pub mod output;
#[cfg(feature = "serve")]
pub mod problem_page;
pub mod render;
#[cfg(feature = "serve")]
pub mod serve;
pub mod templates;
#[cfg(feature = "serve")]
pub mod watch;

use std::fmt;
use std::path::{Path, PathBuf};

use cbt::DataError;

pub use output::{DirSink, MemorySink, NullSink, Sink};
pub use render::Report;

/// A site on disk: `content/` and `templates/` under one root.
#[derive(Debug, Clone)]
pub struct Project {
    pub content: PathBuf,
    pub templates: PathBuf,
    /// Overrides `base_url` from the site settings.
    pub base_url: Option<String>,
    /// A build for the live site: a value that still needs the CBT's
    /// confirmation (`te bevestigen`, [`cbt::marks`]) is a problem, where
    /// an ordinary build shows it with a notice.
    pub production: bool,
}

impl Project {
    pub fn at(root: impl AsRef<Path>) -> Project {
        let root = root.as_ref();
        Project {
            content: root.join("content"),
            templates: root.join("templates"),
            base_url: None,
            production: false,
        }
    }
}

/// Every problem one build found, for the editor who must fix them.
#[derive(Debug)]
pub struct Problems(pub Vec<DataError>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{n} {} gevonden:",
            if n == 1 { "probleem" } else { "problemen" }
        )?;
        for e in &self.0 {
            writeln!(f, "\n{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Builds the site into `sink`. Loading content and templates, rendering and
/// the link check all report into one list, so an editor sees every
/// problem of a build at once.
pub fn build(project: &Project, sink: &dyn Sink) -> Result<Report, Problems> {
    let (library, tera, assets) = load(project)?;
    if project.production && !library.rules.unconfirmed.is_empty() {
        return Err(Problems(unconfirmed(&library.rules)));
    }
    let base_url = project
        .base_url
        .clone()
        .unwrap_or_else(|| library.rules.site.base_url.clone());
    render::render(&library, &tera, &assets, &base_url, sink).map_err(Problems)
}

/// Every value the CBT has not confirmed, as a problem of a production
/// build, with its file and line.
pub fn unconfirmed(rules: &cbt::Rules) -> Vec<DataError> {
    rules.unconfirmed.iter().map(|u| u.problem()).collect()
}

/// The list of unconfirmed values for README's "Before going live", in
/// Markdown: one line per value, with its file and line.
pub fn before_going_live(rules: &cbt::Rules) -> String {
    let mut out = String::new();
    for u in &rules.unconfirmed {
        out.push_str(&format!(
            "- [ ] `content/{}:{}` `{}`: {} (now {})\n",
            u.file, u.line, u.key, u.note, u.value
        ));
    }
    out
}

/// Loads content, templates and assets in parallel, reporting every problem.
pub fn load(project: &Project) -> Result<(content::Library, tera::Tera, assets::Assets), Problems> {
    let (library, (tera, assets)) = rayon::join(
        || content::load(&project.content),
        || {
            (
                templates::load(&project.templates),
                assets::load(&project.templates),
            )
        },
    );
    let mut problems = Vec::new();
    let library = library.map_err(|e| problems.extend(e)).ok();
    let tera = tera.map_err(|e| problems.push(e)).ok();
    let assets = assets.map_err(|e| problems.push(e)).ok();
    match (library, tera, assets) {
        (Some(l), Some(t), Some(a)) => Ok((l, t, a)),
        _ => Err(Problems(problems)),
    }
}
