//! The page `serve` shows while the site does not build: every problem
//! with its file and line, in the site's own look (`templates/base.html`
//! through `templates/serve/problemen.html`, and the stylesheet), and
//! where the editors' manual is. When the templates themselves do not
//! load, the same page is written out here, with the same stylesheet.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cbt::templates::escape_html;
use cbt::{DataError, SiteConfig};
use serde::Serialize;

use crate::{Problems, Project};

/// The template of the page, under `templates/`.
pub const TEMPLATE: &str = "serve/problemen.html";

/// The README's section for editors, as its heading names it.
pub const MANUAL_SECTION: &str = "For editors";

/// The page, and the files it needs (the stylesheet, the icon), by path
/// under the site.
pub struct ProblemPage {
    pub html: String,
    pub files: HashMap<String, Arc<Vec<u8>>>,
}

#[derive(Serialize)]
struct ProblemCtx {
    /// The file as found from the site's root: `content/proef.md`.
    file: String,
    line: Option<usize>,
    /// HTML: escaped, with `names` as code.
    message: String,
    hint: String,
}

#[derive(Serialize)]
struct Manual {
    /// Where the README is on this computer.
    path: String,
    url: String,
    section: &'static str,
}

/// The page for `problems` of the site `project`; `site` gives the name,
/// menu and footer (the last settings that read).
pub fn render(problems: &Problems, project: &Project, site: &SiteConfig) -> ProblemPage {
    let mut files = HashMap::new();
    let mut stylesheet = None;
    if let Ok(assets) = crate::assets::load(&project.templates) {
        for asset in &assets.files {
            if let Ok(bytes) = std::fs::read(&asset.source) {
                files.insert(asset.path.clone(), Arc::new(bytes));
            }
        }
        stylesheet = assets.stylesheet;
    }
    let items: Vec<ProblemCtx> = problems.0.iter().map(|p| item(p, project)).collect();
    let manual = manual(project);
    let html = crate::templates::load(&project.templates)
        .ok()
        .filter(|tera| tera.get_template(TEMPLATE).is_ok())
        .and_then(|tera| {
            let mut ctx = tera::Context::new();
            ctx.insert("config", site);
            ctx.insert(
                "assets",
                &serde_json::json!({ "stylesheet": stylesheet, "focus_script": null, "challenge_script": null }),
            );
            ctx.insert("nav", &Vec::<()>::new());
            // No page of the menu is the current one.
            ctx.insert("current_path", "");
            ctx.insert("canonical", "");
            ctx.insert("page_title", "De site bouwt niet");
            ctx.insert("page_description", "");
            ctx.insert("breadcrumbs", &Vec::<()>::new());
            ctx.insert("form_values", &serde_json::Map::new());
            ctx.insert("form_errors", &serde_json::Map::new());
            ctx.insert("problems", &items);
            ctx.insert("readme", &manual);
            tera.render(TEMPLATE, &ctx).ok()
        })
        .unwrap_or_else(|| written_out(&items, &manual, site, stylesheet.as_deref()));
    ProblemPage { html, files }
}

fn item(problem: &DataError, project: &Project) -> ProblemCtx {
    // Content's problems name files under `content/`, the templates'
    // under `templates/`: named from the root, an editor finds either.
    let under_content = project.content.join(&problem.file);
    let file = match project.content.file_name() {
        Some(content) if !problem.file.is_empty() && under_content.exists() => {
            format!("{}/{}", content.to_string_lossy(), problem.file)
        }
        _ => problem.file.clone(),
    };
    ProblemCtx {
        file,
        line: problem.line,
        message: with_code(&problem.message),
        hint: with_code(&problem.hint),
    }
}

/// `text` escaped, each `name` between backticks as `<code>name</code>`.
pub fn with_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    // An odd backtick out is text, not the start of code.
    let paired = parts.len() % 2 == 1;
    let mut html = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        let escaped = escape_html(part);
        let last = i + 1 == parts.len();
        if i % 2 == 1 && (paired || !last) {
            html.push_str("<code>");
            html.push_str(&escaped);
            html.push_str("</code>");
        } else {
            if i % 2 == 1 {
                html.push('`');
            }
            html.push_str(&escaped);
        }
    }
    html
}

fn manual(project: &Project) -> Manual {
    let root = project
        .content
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let readme = root.join("README.md");
    let readme = std::fs::canonicalize(&readme)
        .or_else(|_| std::path::absolute(&readme))
        .unwrap_or(readme);
    let path = readme.to_string_lossy().replace('\\', "/");
    let encoded: String = percent_encoding::utf8_percent_encode(&path, PATH_SET).to_string();
    let url = if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file:///{encoded}")
    };
    Manual {
        path,
        url,
        section: MANUAL_SECTION,
    }
}

/// What a file URL's path must escape: controls, space, and the
/// characters that would end or change it.
const PATH_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The page without the templates (they are what does not load), in the
/// same markup, so the stylesheet gives it the site's look.
fn written_out(
    items: &[ProblemCtx],
    manual: &Manual,
    site: &SiteConfig,
    stylesheet: Option<&str>,
) -> String {
    let count = match items.len() {
        1 => "Er is één probleem gevonden".to_string(),
        n => format!("Er zijn {n} problemen gevonden"),
    };
    let mut list = String::new();
    for p in items {
        list.push_str("  <li><p><code>");
        list.push_str(&escape_html(&p.file));
        list.push_str("</code>");
        if let Some(line) = p.line {
            list.push_str(&format!(", regel {line}"));
        }
        list.push_str("</p>\n  <p>");
        list.push_str(&p.message);
        list.push_str("</p>");
        if !p.hint.is_empty() {
            list.push_str("\n  <p class=\"hint\">");
            list.push_str(&p.hint);
            list.push_str("</p>");
        }
        list.push_str("</li>\n");
    }
    let stylesheet = stylesheet
        .map(|href| format!("<link rel=\"stylesheet\" href=\"{}\">", escape_html(href)))
        .unwrap_or_default();
    let short = escape_html(&site.short_title);
    let title = escape_html(&site.title);
    let language = escape_html(&site.language);
    let (url, path) = (escape_html(&manual.url), escape_html(&manual.path));
    let section = manual.section;
    format!(
        "<!DOCTYPE html>\n<html lang=\"{language}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Fout: de site bouwt niet | {short}</title>\n{stylesheet}\n</head>\n<body>\n\
         <a class=\"skip-link\" href=\"#inhoud\">Naar de inhoud</a>\n\
         <header class=\"site-header\">\n  <div class=\"wrap\">\n    \
         <a class=\"site-name\" href=\"/\"><span class=\"site-short\">{short}</span> {title}</a>\n  \
         </div>\n</header>\n<div class=\"wrap\">\n  <main id=\"inhoud\" tabindex=\"-1\">\n\
         <h1>De site bouwt niet</h1>\n<p>{count}. Herstel de bestanden hieronder en sla ze op: \
         deze pagina toont de site weer zodra die bouwt.</p>\n\
         <section class=\"error-summary\" aria-labelledby=\"problemen\">\n\
         <h2 id=\"problemen\">Wat er mis is</h2>\n<ol class=\"problems\">\n{list}</ol>\n</section>\n\
         <h2 id=\"handleiding\">Waar het staat uitgelegd</h2>\n<p>Welke bestanden er zijn, welke \
         velden ze hebben en welke waarden mogen, staat in <a href=\"{url}\"><code>{path}</code></a>, \
         in het deel '{section}'.</p>\n  </main>\n</div>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_between_backticks_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            with_code("onbekend veld `rol`; bedoelt u `role`? <b>"),
            "onbekend veld <code>rol</code>; bedoelt u <code>role</code>? &lt;b&gt;"
        );
        assert_eq!(
            with_code("één `a<b` en `c"),
            "één <code>a&lt;b</code> en `c"
        );
        assert_eq!(with_code(""), "");
    }
}
