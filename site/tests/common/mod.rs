//! Helpers shared by the generator's integration tests.
#![allow(dead_code, reason = "each test binary uses some of the helpers")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test stops loudly where its set-up fails"
)]

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// The repository root (the real site).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("site/ has a parent")
        .to_path_buf()
}

/// A copy of the real site in a temporary folder, to break on purpose.
pub fn copy_of_real_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo().join("content"), &dir.path().join("content"));
    copy_dir(&repo().join("templates"), &dir.path().join("templates"));
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let target = to.join(entry.path().strip_prefix(from).expect("under from"));
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// Reads every file of a built site into memory, by path.
pub fn read_tree(root: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    out
}

/// A `cbt-site serve` (or any child) that is stopped when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub fn post(port: u16, path: &str, content_type: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .ok()?;
    stream.write_all(body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    Some((status, response))
}

/// Posts, and follows a 303 as a browser does (the application's post
/// answers with the check page's address).
pub fn post_and_follow(
    port: u16,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Option<(u16, String)> {
    let (status, response) = post(port, path, content_type, body)?;
    if status != 303 {
        return Some((status, response));
    }
    let location = response
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })?
        .trim()
        .to_string();
    get(port, &location)
}

pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    Some((status, response))
}

pub fn wait_for(deadline: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The paths `<prefix>/<64 hex digits>` in the mails of the outbox folder
/// `outbox`, in the order the mails were written: the links a person
/// would follow. Quoted-printable soft line breaks are undone first.
pub fn links_in_outbox(outbox: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(outbox)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    let mut found = Vec::new();
    for path in names {
        let raw = fs::read_to_string(&path).unwrap_or_default();
        let text = raw.replace("=\r\n", "").replace("=\n", "");
        for piece in text.split(prefix).skip(1) {
            let secret: String = piece
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect();
            let link = format!("{prefix}/{secret}");
            if secret.len() == 64 && !found.contains(&link) {
                found.push(link);
            }
        }
    }
    found
}

/// Confirms a sent application's addresses as their owners do: every
/// address-check link in the outbox, its button. How many it pressed.
pub fn confirm_addresses(port: u16, outbox: &Path) -> usize {
    let links = links_in_outbox(outbox, "/aanvraag/adres");
    for link in &links {
        let (status, page) =
            post(port, link, "application/x-www-form-urlencoded", b"").expect("confirm an address");
        assert_eq!(status, 303, "{page}");
    }
    links.len()
}
