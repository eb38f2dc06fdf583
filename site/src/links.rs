//! The link check: every internal link and `#anchor` in the built site
//! must lead somewhere. It reads the finished HTML, so links written by
//! templates are checked as well as links written in Markdown.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use cbt::DataError;

use crate::markdown::MdLink;

/// What one built HTML file offers and asks for.
#[derive(Debug, Default)]
pub struct Scan {
    pub ids: HashSet<String>,
    pub hrefs: Vec<String>,
}

/// Collects the `id`s and the internal `href`/`src` values of `html`
/// (not form `action`s: those are the function's, not pages).
/// A small scanner rather than an HTML parser: our own templates and
/// pulldown-cmark always quote attributes with `"`.
pub fn scan(html: &str) -> Scan {
    let mut out = Scan::default();
    let mut rest = html;
    while let Some((before, after)) = rest.split_once("=\"") {
        let Some((value, next)) = after.split_once('"') else {
            break;
        };
        rest = next;
        match attr_name(before) {
            "id" => {
                out.ids.insert(unescape(value));
            }
            "href" | "src" => {
                let value = unescape(value);
                if value.starts_with('#') || (value.starts_with('/') && !value.starts_with("//")) {
                    out.hrefs.push(value);
                }
            }
            _ => {}
        }
    }
    out
}

/// The attribute name that ends `before` (the text up to its `="`).
fn attr_name(before: &str) -> &str {
    let head = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '-');
    // Must be an attribute, not text such as `a="b"` inside a paragraph.
    if !head.ends_with(|c: char| c.is_ascii_whitespace()) {
        return "";
    }
    before.strip_prefix(head).unwrap_or_default()
}

/// An attribute's value as the browser reads it: every entity decoded,
/// whichever escaper (ours, pulldown-cmark's, an editor's own HTML) wrote it.
fn unescape(s: &str) -> String {
    html_escape::decode_html_entities(s).into_owned()
}

/// One built HTML file, for the check.
pub struct Built {
    /// URL path of the file (`/aanvragen/`).
    pub url: String,
    /// The content file it came from, if any.
    pub source: Option<String>,
    /// The template it was rendered with.
    pub template: String,
    pub scan: Scan,
    pub md_links: Vec<MdLink>,
}

/// Checks every link of `built` against the built site: `targets` are the
/// URL paths of every built file (HTML and not) and `ids` the anchors of
/// each HTML file.
///
/// `inlined` holds the Markdown links of files that have no page of their
/// own but appear inside another (FAQ entries, members), by target, so that
/// a broken link there is still traced to its file and line.
pub fn check(
    built: &[&Built],
    targets: &HashSet<String>,
    inlined: &HashMap<String, (String, usize)>,
) -> Vec<DataError> {
    check_some(built, built, targets, inlined)
}

/// [`check`] for the links of `to_check` only, against everything `built`:
/// after an edit, only the edited pages and the pages linking to them.
pub fn check_some(
    built: &[&Built],
    to_check: &[&Built],
    targets: &HashSet<String>,
    inlined: &HashMap<String, (String, usize)>,
) -> Vec<DataError> {
    let ids: HashMap<&str, &HashSet<String>> = built
        .iter()
        .map(|b| (b.url.as_str(), &b.scan.ids))
        .collect();
    let mut errors = Vec::new();
    for &b in to_check {
        let mut reported = HashSet::new();
        for href in &b.scan.hrefs {
            if !reported.insert(href.as_str()) {
                continue;
            }
            let Some(problem) = broken(&b.url, href, targets, &ids) else {
                continue;
            };
            // Attribute it to the Markdown line that wrote it, else to the template.
            let own = b.md_links.iter().find(|l| l.target == *href);
            let md = match (own, &b.source) {
                (Some(l), Some(source)) => Some((source.clone(), l.line)),
                _ => inlined.get(href.as_str()).cloned(),
            };
            let (file, line, hint) = match md {
                Some((file, line)) => (file, Some(line), problem.1),
                None => (
                    format!("templates/{}", b.template),
                    None,
                    format!(
                        "{} (op de pagina {}{})",
                        problem.1,
                        b.url,
                        b.source
                            .as_ref()
                            .map(|s| format!(", uit {s}"))
                            .unwrap_or_default()
                    ),
                ),
            };
            errors.push(DataError {
                file,
                line,
                message: problem.0,
                hint,
            });
        }
    }
    errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    errors
}

fn broken(
    from: &str,
    href: &str,
    targets: &HashSet<String>,
    ids: &HashMap<&str, &HashSet<String>>,
) -> Option<(String, String)> {
    let (path, fragment) = match href.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (href, None),
    };
    let path = path.split('?').next().unwrap_or("");
    let path = if path.is_empty() {
        from.to_string()
    } else {
        resolve(from, path)
    };
    let page = if targets.contains(&path) {
        path
    } else if !path.ends_with('/') && targets.contains(&format!("{path}/")) {
        return Some((
            format!("de link {href} mist de slash aan het eind"),
            format!("Schrijf {path}/ (met / aan het eind)."),
        ));
    } else {
        return Some((
            format!("de link {href} leidt naar een pagina die niet bestaat"),
            "Controleer het adres: een pagina content/a/b.md heeft het adres /a/b/.".into(),
        ));
    };
    let fragment = fragment.filter(|f| !f.is_empty())?;
    let known = ids.get(page.as_str())?;
    if known.contains(fragment)
        || percent_decode(fragment).is_some_and(|f| known.contains(f.as_ref()))
    {
        return None;
    }
    let mut near: Vec<&String> = known.iter().filter(|id| !id.starts_with("__")).collect();
    near.sort();
    let hint = if near.is_empty() {
        "Die pagina heeft geen ankers: verwijs naar de pagina zelf.".to_string()
    } else {
        let names: Vec<&str> = near.iter().map(|s| s.as_str()).collect();
        format!("Ankers op die pagina: {}.", names.join(", "))
    };
    Some((
        format!("het anker #{fragment} bestaat niet op {page}"),
        hint,
    ))
}

/// The URL path `href` on the page `from` leads to, without its fragment.
pub fn target_of(from: &str, href: &str) -> String {
    let path = href.split('#').next().unwrap_or("");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() {
        from.to_string()
    } else {
        resolve(from, path)
    }
}

/// Resolves a relative link against the URL of the page it is on.
fn resolve(from: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let base = from.rsplit_once('/').map_or("", |(base, _)| base);
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in path.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if path.ends_with('/') && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// `%20` and friends decoded; an escape that is not one (`%zz`, a `%` at
/// the end) stays as written. `None` when the escapes make bytes that are
/// not UTF-8 (`%ff`): no page, file or anchor of ours has such a name, so
/// the caller treats the text as naming nothing.
pub fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    percent_encoding::percent_decode_str(s).decode_utf8().ok()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up or its expectation fails"
)]
mod tests {
    use super::*;

    #[test]
    fn scans_ids_and_internal_links() {
        let s = scan(
            r##"<a href="/a/">x</a><h2 id="kop">k</h2><a href="https://x.nl/">e</a><p>a="b"</p><img src="/i.png"><a href="#kop">t</a><a href="/q?x=1&amp;y=2">"##,
        );
        assert_eq!(s.hrefs, vec!["/a/", "/i.png", "#kop", "/q?x=1&y=2"]);
        assert!(s.ids.contains("kop"));
        assert_eq!(s.ids.len(), 1);
        // Multibyte text anywhere, and a value that is never closed.
        let s = scan("<p>é=\"ë\"</p><a\ttitle=\"ë\" href=\"/één/#ü\">€</a><h2 data-x=\"é\" id=\"ü\">ü</h2><a href=\"/weg/");
        assert_eq!(s.hrefs, vec!["/één/#ü"]);
        assert_eq!(s.ids.iter().collect::<Vec<_>>(), vec!["ü"]);
        assert!(scan("=\"").hrefs.is_empty() && scan("id=\"x\"").ids.is_empty());
        // Values read back as the browser reads them, whoever escaped them.
        let s = scan(
            r##"<a href="/caf&eacute;/?a=&#x27;b&#39;&#x2F;&quot;&lt;&gt;&amp;amp;"> <b id="&#233;&#xE9;&euro;&nbsp;">"##,
        );
        assert_eq!(s.hrefs, vec!["/café/?a='b'/\"<>&amp;"]);
        assert!(s.ids.contains("éé€\u{a0}"), "{:?}", s.ids);
    }

    #[test]
    fn percent_decoding_keeps_what_is_not_an_escape() {
        let decode = |s: &str| percent_decode(s).map(Cow::into_owned);
        assert_eq!(decode("%C3%A9"), Some("é".into()));
        assert_eq!(decode("/a%20b/"), Some("/a b/".into()));
        // A broken escape before a multibyte character: kept, no panic.
        assert_eq!(decode("/%a\u{e9}"), Some("/%a\u{e9}".into()));
        assert_eq!(decode("%\u{e9}"), Some("%\u{e9}".into()));
        assert_eq!(decode("%a"), Some("%a".into()));
        assert_eq!(decode("/tarieven/%"), Some("/tarieven/%".into()));
        assert_eq!(decode("%"), Some("%".into()));
        assert_eq!(decode("%zz"), Some("%zz".into()));
        assert_eq!(decode("%%41"), Some("%A".into()));
        // Multibyte text as it is, raw or next to escapes.
        assert_eq!(decode("één"), Some("één".into()));
        assert_eq!(decode("%C3%A9én%2F"), Some("één/".into()));
        // Half a character, or bytes that are no UTF-8 at all.
        assert_eq!(decode("%C3"), None);
        assert_eq!(decode("%ff"), None);
        assert!(matches!(percent_decode("/geen/"), Some(Cow::Borrowed(_))));
    }

    #[test]
    fn escaped_anchors_are_decoded_before_the_check() {
        let pages = [
            built(
                "/a/",
                r##"<a href="/b/#caf%C3%A9">1</a><a href="/b/#caf%ff">2</a><a href="/b/#%aé">3</a>"##,
                vec![],
            ),
            built("/b/", r##"<h2 id="café">c</h2>"##, vec![]),
        ];
        let targets: HashSet<String> = ["/a/", "/b/"].iter().map(|s| s.to_string()).collect();
        let refs: Vec<&Built> = pages.iter().collect();
        let errors = check(&refs, &targets, &HashMap::new());
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 2, "{text:#?}");
        assert!(text.iter().any(|t| t.contains("#caf%ff")), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("#%a\u{e9}")), "{text:#?}");
    }

    #[test]
    fn resolves_relative_links() {
        assert_eq!(resolve("/a/b/", "c/"), "/a/b/c/");
        assert_eq!(resolve("/a/b/", "../c/"), "/a/c/");
        assert_eq!(resolve("/a/b/", "/x/"), "/x/");
        assert_eq!(resolve("/é/ë", "ü/"), "/é/ü/");
        assert_eq!(resolve("", "a"), "/a");
    }

    fn built(url: &str, html: &str, md: Vec<MdLink>) -> Built {
        Built {
            url: url.into(),
            source: Some(format!("{}.md", url.trim_matches('/'))),
            template: "page.html".into(),
            scan: scan(html),
            md_links: md,
        }
    }

    #[test]
    fn reports_missing_pages_and_anchors_with_lines() {
        let pages = [
            built(
                "/a/",
                r##"<a href="/b/#er">1</a><a href="/c/">2</a><a href="/b">3</a><a href="/b/#niet">4</a><a href="#x">5</a>"##,
                vec![
                    MdLink {
                        target: "/c/".into(),
                        line: 9,
                    },
                    MdLink {
                        target: "/b/#niet".into(),
                        line: 12,
                    },
                ],
            ),
            built("/b/", r##"<h2 id="er">er</h2>"##, vec![]),
        ];
        let targets: HashSet<String> = ["/a/", "/b/"].iter().map(|s| s.to_string()).collect();
        let refs: Vec<&Built> = pages.iter().collect();
        let errors = check(&refs, &targets, &HashMap::new());
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 4, "{text:#?}");
        assert!(
            text.iter().any(
                |t| t.starts_with("a.md:9: de link /c/ leidt naar een pagina die niet bestaat")
            ),
            "{text:#?}"
        );
        assert!(
            text.iter().any(
                |t| t.starts_with("a.md:12: het anker #niet bestaat niet op /b/")
                    && t.contains("er")
            ),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.contains("mist de slash")),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t
                .starts_with("templates/page.html: het anker #x bestaat niet op /a/")
                && t.contains("geen ankers")),
            "{text:#?}"
        );
    }
}
