//! Embeds the shared rules' data files (`content/data/`) and the templates
//! (`templates/`) into the `cbt` library, and checks the data, so that:
//! - the function binary needs no files at run time;
//! - a changed fee or field rebuilds every binary that uses it;
//! - a mistake in a data file fails `cargo build` with its file and line.
//!
//! The check is `cbt_data::Rules::parse`, the very code the library runs,
//! compiled once as a build-dependency: the build and the run time cannot
//! disagree about what a valid file is.

use std::env;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cbt_data::{assets, Rules, Sources};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        // The data's mistakes are printed already, each with file and line.
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("build.rs: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes `embedded.rs`; `Ok(false)` when the data files have mistakes.
fn run() -> Result<bool, Box<dyn Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let content = root.join("content");
    let data_dir = content.join("data");
    println!("cargo:rerun-if-changed={}", data_dir.display());

    let mut files = Vec::new();
    collect(&data_dir, &["toml"], &mut files);
    let mut sources = Sources::default();
    let mut generated = String::from("pub const FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        let rel = relative(path, &content)?;
        let text = fs::read_to_string(path).map_err(|e| format!("content/{rel}: {e}"))?;
        sources.insert(rel.clone(), text);
        writeln!(generated, "    ({rel:?}, include_str!({path:?})),")?;
    }
    generated.push_str("];\n");

    if let Err(errors) = Rules::parse(&sources) {
        // Cargo shows a failed build script's output; `cargo:warning`
        // lines would be cut to one line each, and these need their hints.
        eprintln!("\n\nThe data files under content/data/ have mistakes:\n");
        for e in errors {
            eprintln!("content/{e}\n");
        }
        return Ok(false);
    }

    // The templates, for the pages and mails the function renders itself.
    let templates = root.join("templates");
    println!("cargo:rerun-if-changed={}", templates.display());
    let mut template_files = Vec::new();
    collect(&templates, &["html", "txt"], &mut template_files);
    generated.push_str("pub const TEMPLATES: &[(&str, &str)] = &[\n");
    for path in &template_files {
        let rel = relative(path, &templates)?;
        writeln!(generated, "    ({rel:?}, include_str!({path:?})),")?;
    }
    generated.push_str("];\n");
    for (constant, name) in [
        ("STYLESHEET", "style.css"),
        ("FOCUS_SCRIPT", "focus.js"),
        ("CHALLENGE_SCRIPT", "challenge.js"),
        ("PASSKEY_SCRIPT", "passkey.js"),
    ] {
        let path = templates.join("assets").join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let url = match fs::read(&path) {
            Ok(bytes) => format!("/assets/{}", assets::hashed_name(name, &bytes)),
            Err(_) => String::new(),
        };
        writeln!(generated, "pub const {constant}: &str = {url:?};")?;
    }

    let out = PathBuf::from(env::var("OUT_DIR")?).join("embedded.rs");
    fs::write(&out, generated).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(true)
}

/// `path` under `base`, with `/` separators, as the library names files.
fn relative(path: &Path, base: &Path) -> Result<String, Box<dyn Error>> {
    Ok(path
        .strip_prefix(base)?
        .to_string_lossy()
        .replace('\\', "/"))
}

/// The files under `dir` with one of `extensions`, sorted, so the embedded
/// list is the same on every machine. `templates/assets/` holds files the
/// site copies, not templates.
fn collect(dir: &Path, extensions: &[&str], files: &mut Vec<PathBuf>) {
    walk(dir, extensions, files);
    files.sort();
}

fn walk(dir: &Path, extensions: &[&str], files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "assets") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", path.display());
            walk(&path, extensions, files);
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            println!("cargo:rerun-if-changed={}", path.display());
            files.push(path);
        }
    }
}
