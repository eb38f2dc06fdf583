//! `cbt-site serve`: the site from memory on 127.0.0.1, rebuilt on every
//! change under `content/` or `templates/`, with the open tab reloaded,
//! and the forms answered by the function's own handler over its local
//! adapters (a data folder: store, uploads, and an outbox of `.eml` files).
//!
//! The function answers with the rules and templates on disk, as the pages
//! do: after every full build it is made again from the build's rules and
//! the templates as they are now, over the same store, outbox and uploads.
//! A fee changed while `serve` runs is on the check page, in the mails and
//! on the invoice at once, not only on the fees page.
//!
//! The reload snippet is added here, to the bytes served, and never by a
//! template: a `build` can therefore never ship it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::watch;

use cbt::{DataError, Rules, SiteConfig};
use cbt_function::adapters::local::{LocalFiles, LocalStore, Outbox};

use crate::live::{LiveSite, Update};
use crate::watch::{Change, SiteWatcher};
use crate::{MemorySink, Problems, Project};

/// One build as served.
#[derive(Default)]
pub struct Snapshot {
    /// The site's files by path; while it does not build, only the files
    /// the problem page needs (the stylesheet, the icon).
    pub files: HashMap<String, Arc<Vec<u8>>>,
    /// The page with the problems of the last build (HTML), shown instead
    /// of every page and form until they are fixed.
    pub problems: Option<String>,
}

/// How long a client may take to send a request's head before its
/// connection is closed: a connection that never finishes one would
/// otherwise stay open for ever. It also ends a keep-alive connection
/// that has been idle this long.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server shares between requests and the watcher.
#[derive(Clone)]
pub struct State {
    pub site: Arc<RwLock<Arc<Snapshot>>>,
    /// Bumped after every rebuild; open tabs wait on it.
    pub generation: watch::Sender<u64>,
    /// Answers the forms, with the rules and templates of the last build
    /// that succeeded; `None` serves the site alone.
    pub function: Option<Arc<RwLock<Arc<LocalFunction>>>>,
    /// See [`HEADER_READ_TIMEOUT`]; tests shorten it.
    pub header_read_timeout: Duration,
}

/// The function as `serve` runs it: the real handler, local adapters that
/// every version of it shares.
pub type LocalFunction = cbt_function::App<Arc<LocalStore>, Arc<Outbox>, Arc<LocalFiles>>;

impl State {
    pub fn new() -> State {
        State {
            site: Arc::new(RwLock::new(Arc::new(Snapshot::default()))),
            generation: watch::channel(0).0,
            function: None,
            header_read_timeout: HEADER_READ_TIMEOUT,
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.site.read().map(|s| Arc::clone(&s)).unwrap_or_default()
    }

    /// The function as it is now.
    fn function(&self) -> Option<Arc<LocalFunction>> {
        let slot = self.function.as_ref()?;
        slot.read().ok().map(|f| Arc::clone(&f))
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// Keeps the site live between edits: redoes single pages when it can,
/// builds it all when it must, and publishes each result to the server;
/// after a full build it makes the function again from that build's rules
/// and the templates on disk.
pub struct Rebuilder {
    project: Project,
    live: Option<LiveSite>,
    sink: MemorySink,
    /// The site settings of the last build that read them, for the
    /// problem page's header; at first those compiled in.
    last_site: Option<SiteConfig>,
}

impl Rebuilder {
    pub fn new(project: Project) -> Rebuilder {
        Rebuilder {
            project,
            live: None,
            sink: MemorySink::default(),
            last_site: cbt::embedded_rules().ok().map(|rules| rules.site),
        }
    }

    /// Applies the edits to `changed` (all of it when empty) and publishes
    /// the site to `state`; returns what it did and how long it took.
    pub fn rebuild(&mut self, changed: &[PathBuf], state: &State) -> (String, Duration) {
        let started = Instant::now();
        let partial = match (&mut self.live, changed.is_empty()) {
            (Some(live), false) => Some(live.update(changed, &self.sink)),
            _ => None,
        };
        let (what, problems) = match partial {
            Some(Ok(Update::Pages(n))) => (format!("{n} pagina's opnieuw"), None),
            Some(Err(problems)) => ("met problemen".to_string(), Some(problems)),
            None | Some(Ok(Update::Full)) => {
                self.sink = MemorySink::default();
                let built = LiveSite::build(&self.project, &self.sink).and_then(|live| {
                    self.renew_function(live.rules(), state)
                        .map_err(|e| Problems(vec![e]))?;
                    Ok(live)
                });
                match built {
                    Ok(live) => {
                        self.last_site = Some(live.rules().site.clone());
                        self.live = Some(live);
                        ("alles opnieuw".to_string(), None)
                    }
                    Err(problems) => {
                        self.live = None;
                        ("met problemen".to_string(), Some(problems))
                    }
                }
            }
        };
        let snapshot = match problems {
            None => Snapshot {
                files: self
                    .sink
                    .files
                    .lock()
                    .map(|f| f.clone())
                    .unwrap_or_default(),
                problems: None,
            },
            Some(problems) => {
                eprintln!("{problems}");
                let site = self.last_site.clone().unwrap_or_else(fallback_site);
                let page = crate::problem_page::render(&problems, &self.project, &site);
                Snapshot {
                    files: page.files,
                    problems: Some(page.html),
                }
            }
        };
        if let Ok(mut site) = state.site.write() {
            *site = Arc::new(snapshot);
        }
        state.generation.send_modify(|g| *g += 1);
        (what, started.elapsed())
    }

    /// Makes the function again with `rules` and the templates on disk,
    /// over the adapters it has; the templates' problem when they do not
    /// load (the site checks the pages' templates, this the mails' too).
    fn renew_function(&self, rules: &Rules, state: &State) -> Result<(), DataError> {
        let Some(slot) = &state.function else {
            return Ok(());
        };
        let templates = disk_templates(&self.project.templates)?;
        // Poisoned: a request panicked while holding it, which the handler
        // never does; the function as it was goes on answering.
        let Ok(mut current) = slot.write() else {
            return Ok(());
        };
        let old = Arc::clone(&current);
        *current = Arc::new(cbt_function::App {
            rules: Arc::new(rules.clone()),
            templates: Arc::new(templates),
            config: old.config.clone(),
            store: old.store.clone(),
            mailer: old.mailer.clone(),
            files: old.files.clone(),
            clock: old.clock.clone(),
        });
        Ok(())
    }
}

/// Site settings for the problem page when none ever read: a binary
/// whose compiled-in data did not parse cannot have been built, so this is
/// only the last resort of the last resort.
fn fallback_site() -> SiteConfig {
    SiteConfig {
        title: "Commissie Balanstoets Telemarketing".into(),
        short_title: "CBT".into(),
        description: String::new(),
        base_url: String::new(),
        language: "nl".into(),
        form_action_base: String::new(),
        secretariat: cbt::site::Secretariat {
            name: String::new(),
            email: String::new(),
            mailbox_provider: String::new(),
            reply_working_days: 0,
        },
        menu: Vec::new(),
        footer: Vec::new(),
        links: cbt::site::ExternalLinks {
            ddma_balanstest: String::new(),
        },
    }
}

/// The templates under `dir` as the function reads them (`build.rs`
/// embeds the same set): every `.html` and `.txt` file, by its path under
/// `dir`, without `assets/`.
pub fn disk_templates(dir: &Path) -> Result<cbt::templates::Templates, DataError> {
    let problem = |message: String| DataError {
        file: "templates/".into(),
        line: None,
        message,
        hint: "Herstel de genoemde template; de formulieren en e-mails gebruiken ze ook.".into(),
    };
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() != 1 || e.file_name() != "assets");
    for entry in walker {
        let entry = entry.map_err(|e| problem(format!("de map kan niet gelezen worden: {e}")))?;
        let is_template = entry
            .path()
            .extension()
            .is_some_and(|x| x == "html" || x == "txt");
        if !entry.file_type().is_file() || !is_template {
            continue;
        }
        let name = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(entry.path())
            .map_err(|e| problem(format!("{name} kan niet gelezen worden: {e}")))?;
        files.push((name, text));
    }
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    cbt::templates::Templates::from_sources(&pairs)
        .map_err(|e| problem(format!("de templates laden niet: {e}")))
}

/// The function over a local data folder, for `serve` on `port`, with the
/// rules and templates compiled in until the first build replaces them.
pub fn local_function(
    data_dir: &Path,
    port: u16,
    rate_limit: u32,
    staff: Option<&str>,
) -> anyhow::Result<LocalFunction> {
    let origin = format!("http://127.0.0.1:{port}");
    let mut vars: std::collections::BTreeMap<String, String> = [
        (
            "MAIL_FROM",
            "noreply@balanstoetstelemarketing.nl".to_string(),
        ),
        ("SITE_URL", origin.clone()),
        (
            "ALLOWED_ORIGINS",
            format!("{origin},http://localhost:{port}"),
        ),
        // Whoever tries the forms locally posts, reads and mails (to the
        // outbox folder) more than a visitor does: every limit is the one.
        ("RATE_LIMIT_PER_HOUR", rate_limit.to_string()),
        ("RATE_LIMIT_UNSOLVED_PER_HOUR", rate_limit.to_string()),
        ("RATE_LIMIT_PAGES_PER_HOUR", rate_limit.to_string()),
        ("MAILS_PER_ADDRESS_PER_DAY", rate_limit.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(staff) = staff {
        vars.insert("STAFF_ADMIN_EMAIL".into(), staff.to_string());
    }
    let mut config =
        cbt_function::config::Config::from_vars(&vars).context("configuratie van de functie")?;
    config.sign_in_links_per_hour = rate_limit;
    let rules = cbt::embedded_rules().map_err(|e| anyhow::anyhow!("regels: {}", Problems(e)))?;
    let templates = cbt::templates::Templates::embedded().context("templates van de functie")?;
    Ok(cbt_function::App {
        rules: Arc::new(rules),
        templates: Arc::new(templates),
        config,
        store: Arc::new(LocalStore::new(data_dir)),
        mailer: Arc::new(Outbox::new(data_dir).printing_sign_in_links()),
        files: Arc::new(LocalFiles::new(data_dir)),
        clock: cbt_function::Clock::System,
    })
}

/// Serves until interrupted; the forms' data goes to `data_dir`.
pub fn run(
    project: Project,
    port: u16,
    data_dir: &Path,
    rate_limit: u32,
    staff: Option<&str>,
) -> anyhow::Result<()> {
    let mut state = State::new();
    state.function = Some(Arc::new(RwLock::new(Arc::new(local_function(
        data_dir, port, rate_limit, staff,
    )?))));
    if let Some(staff) = staff {
        eprintln!(
            "beheer: http://127.0.0.1:{port}/beheer/aanmelden; {staff} is lid van het secretariaat, en elke aanmeldlink verschijnt hier"
        );
    }
    eprintln!(
        "formulieren: opslag, uploads en verstuurde e-mail (outbox/*.eml) in {}",
        data_dir.display()
    );
    let mut watcher = SiteWatcher::new(&project).context("bestanden volgen")?;
    let mut rebuilder = Rebuilder::new(project);
    let (_, took) = rebuilder.rebuild(&[], &state);
    eprintln!("gebouwd in {} ms", took.as_millis());

    let watch_state = state.clone();
    std::thread::spawn(move || {
        while let Some(change) = watcher.wait() {
            let changed = match &change {
                Change::Paths(paths) => paths.as_slice(),
                Change::Everything => &[],
            };
            let (what, took) = rebuilder.rebuild(changed, &watch_state);
            eprintln!("opnieuw gebouwd ({what}) in {} ms", took.as_millis());
        }
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio starten")?;
    // Lambda's schedule (reminders, the daily digest, retention, the mail
    // retry) runs every 15 minutes; locally every minute, so a mail that
    // failed shows up in the outbox soon after.
    let schedule_state = state.clone();
    runtime.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            let Some(function) = schedule_state.function() else {
                return;
            };
            match cbt_function::schedule::run(&function).await {
                Ok(report) => {
                    if report.retry.sent > 0 || report.reminders > 0 || report.digest == "verstuurd"
                    {
                        eprintln!(
                            "schema: {} e-mail(s) verstuurd, {} herinnering(en), dagoverzicht {}",
                            report.retry.sent, report.reminders, report.digest
                        );
                    }
                }
                Err(e) => eprintln!("schema mislukt: {e}"),
            }
        }
    });
    runtime.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("poort {port} openen"))?;
        eprintln!("de site draait op http://{addr}/ (Ctrl-C stopt)");
        serve(listener, state).await
    })
}

/// How long to wait after `accept` failed before trying again: too many
/// open files clears only as connections close, and trying at once would
/// keep a core busy failing.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` until Ctrl-C. A failed `accept`
/// (too many open files, a connection reset before it was taken) loses
/// that one connection, not the server: it is logged, at most once a
/// second, and after a short pause the server goes on.
pub async fn serve(listener: tokio::net::TcpListener, state: State) -> anyhow::Result<()> {
    let mut last_logged: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                if last_logged.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    eprintln!("verbinding aannemen mislukt: {e}; de server gaat door");
                    last_logged = Some(Instant::now());
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let state = state.clone();
        tokio::spawn(async move {
            let peer = stream
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            let timeout = state.header_read_timeout;
            let service = service_fn(move |req| handle(req, state.clone(), peer.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Body = Full<Bytes>;

async fn handle(
    req: Request<Incoming>,
    state: State,
    peer: String,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    if path == "/__livereload" {
        return Ok(long_poll(req.uri().query(), state).await);
    }
    let site = state.snapshot();
    let generation = *state.generation.borrow();
    if let Some(problems) = &site.problems {
        // The problem page's own files, and nothing else: not a stale page,
        // not a form answered with rules that no longer read.
        let rel = crate::render::output_path(&path);
        return Ok(match site.files.get(&rel) {
            Some(bytes) if req.method() == Method::GET || req.method() == Method::HEAD => {
                file(StatusCode::OK, &rel, bytes, generation)
            }
            _ => problems_page(problems, generation),
        });
    }
    if let (Some(function), true) = (
        state.function(),
        cbt_function::routes::answers(req.method(), &path),
    ) {
        return Ok(call_function(&function, req, &peer).await);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Deze methode wordt hier niet ondersteund.",
        ));
    }
    Ok(lookup(&site, &path, generation))
}

fn lookup(site: &Snapshot, path: &str, generation: u64) -> Response<Body> {
    // Escapes that make no UTF-8 (`%ff`) name no file of ours.
    let Some(decoded) = crate::links::percent_decode(path) else {
        return not_found(site, generation);
    };
    let rel = crate::render::output_path(&decoded);
    if rel.split('/').any(|s| s == "..") {
        return text(StatusCode::BAD_REQUEST, "Ongeldig pad.");
    }
    if let Some(bytes) = site.files.get(&rel) {
        return file(StatusCode::OK, &rel, bytes, generation);
    }
    if !decoded.ends_with('/')
        && site
            .files
            .contains_key(&format!("{}/index.html", decoded.trim_start_matches('/')))
    {
        return Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(LOCATION, format!("{decoded}/"))
            .body(Body::default())
            .unwrap_or_default();
    }
    if let Some((current, bytes)) = current_asset(site, &rel) {
        return file(StatusCode::OK, current, bytes, generation);
    }
    not_found(site, generation)
}

/// The asset now under the name `rel` had before an edit: the function's
/// pages link the stylesheet by the name it had when the binary was
/// compiled (`assets/style.<hash>.css`); after an edit of the stylesheet
/// `serve` has it under another hash, and those pages would go unstyled.
fn current_asset<'a>(site: &'a Snapshot, rel: &str) -> Option<(&'a str, &'a Arc<Vec<u8>>)> {
    let name = rel.strip_prefix("assets/")?;
    let (stem, rest) = name.split_once('.')?;
    let (_, extension) = rest.rsplit_once('.')?;
    site.files.iter().find_map(|(path, bytes)| {
        let other = path.strip_prefix("assets/")?;
        let (other_stem, other_rest) = other.split_once('.')?;
        let (_, other_extension) = other_rest.rsplit_once('.')?;
        (other_stem == stem && other_extension == extension).then_some((path.as_str(), bytes))
    })
}

fn not_found(site: &Snapshot, generation: u64) -> Response<Body> {
    match site.files.get("404.html") {
        Some(bytes) => file(StatusCode::NOT_FOUND, "404.html", bytes, generation),
        None => text(StatusCode::NOT_FOUND, "Niet gevonden."),
    }
}

fn file(status: StatusCode, rel: &str, bytes: &Arc<Vec<u8>>, generation: u64) -> Response<Body> {
    let kind = content_type(rel);
    let body = if kind.starts_with("text/html") {
        Bytes::from(with_reload(bytes, generation))
    } else {
        Bytes::from(bytes.as_ref().clone())
    };
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, kind)
        .header(CACHE_CONTROL, "no-store")
        .body(Full::new(body))
        .unwrap_or_default()
}

/// The page's bytes with the reload script before `</body>`.
pub fn with_reload(html: &[u8], generation: u64) -> Vec<u8> {
    let script = format!(
        "<script>(async()=>{{const g={generation};for(;;){{try{{const r=await fetch('/__livereload?since='+g);\
         if((await r.text())!==String(g)){{location.reload();return}}}}catch(e){{await new Promise(r=>setTimeout(r,1000))}}}}}})()</script>"
    );
    let text = String::from_utf8_lossy(html);
    match text.rsplit_once("</body>") {
        Some((page, after)) => format!("{page}{script}</body>{after}").into_bytes(),
        None => format!("{text}{script}").into_bytes(),
    }
}

/// Hands the request to the function's handler, as Lambda would.
async fn call_function(
    function: &LocalFunction,
    req: Request<Incoming>,
    peer: &str,
) -> Response<Body> {
    use http_body_util::BodyExt as _;
    let (mut parts, body) = req.into_parts();
    let limit = function.config.max_body_bytes;
    let bytes = match http_body_util::Limited::new(body, limit + 1)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        // Over the limit: let the handler answer 413 as it would in Lambda.
        Err(_) => Bytes::from(vec![0u8; limit + 1]),
    };
    // The client's address comes from the socket, never from the client.
    parts
        .headers
        .remove(cbt_function::handler::SOURCE_IP_HEADER);
    if let Ok(v) = hyper::header::HeaderValue::from_str(peer) {
        parts
            .headers
            .insert(cbt_function::handler::SOURCE_IP_HEADER, v);
    }
    let response = cbt_function::handle(function, Request::from_parts(parts, bytes)).await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Full::new(body))
}

/// Answers when the site is rebuilt after generation `since`, or after 25 s.
async fn long_poll(query: Option<&str>, state: State) -> Response<Body> {
    let since: u64 = query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("since=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut rx = state.generation.subscribe();
    let _ = tokio::time::timeout(Duration::from_secs(25), rx.wait_for(|g| *g != since)).await;
    let current = *rx.borrow();
    text(StatusCode::OK, &current.to_string())
}

fn problems_page(html: &str, generation: u64) -> Response<Body> {
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .header(CONTENT_TYPE, "text/html; charset=utf-8")
        .header(CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(with_reload(
            html.as_bytes(),
            generation,
        ))))
        .unwrap_or_default()
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

pub fn content_type(path: &str) -> &'static str {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reload_script_goes_before_the_last_body_end() {
        let page = with_reload("<body>é</body>ë</body>ü".as_bytes(), 7);
        let page = String::from_utf8_lossy(&page);
        let (before, after) = page.split_once("<script>").unwrap_or_default();
        assert_eq!(before, "<body>é</body>ë");
        assert!(after.ends_with("</script></body>ü"), "{page}");
        assert!(after.contains("const g=7;"), "{page}");
        let page = with_reload("é".as_bytes(), 1);
        assert!(String::from_utf8_lossy(&page).starts_with("é<script>"));
    }
}
