//! Embeds the shared rules' data files (`content/data/`) and the templates
//! (`templates/`) into the `cbt` library, and checks the data, so that:
//! - the function binary needs no files at run time;
//! - a changed fee or field rebuilds every binary that uses it;
//! - a mistake in a data file fails `cargo build` with its file and line.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

// The parsing code is the library's own, compiled into the build script too,
// so the check here and the parse at run time cannot disagree.
#[path = "src/assets.rs"]
#[allow(dead_code)]
mod assets;
#[path = "src/data.rs"]
#[allow(dead_code)]
mod data;
#[path = "src/fees.rs"]
#[allow(dead_code)]
mod fees;
#[path = "src/forms.rs"]
#[allow(dead_code)]
mod forms;
#[path = "src/money.rs"]
#[allow(dead_code)]
mod money;
#[path = "src/periods.rs"]
#[allow(dead_code)]
mod periods;
#[path = "src/site.rs"]
#[allow(dead_code)]
mod site;

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let content = root.join("content");
    let data_dir = content.join("data");
    println!("cargo:rerun-if-changed={}", data_dir.display());

    let mut files = Vec::new();
    collect(&data_dir, &mut files);
    files.sort();

    let mut sources = data::Sources::default();
    let mut generated = String::from("pub const FILES: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let rel = path
            .strip_prefix(&content)
            .expect("collected under content/")
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("content/{rel}: {e}"));
        sources.insert(rel.clone(), text);
        writeln!(
            generated,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to String");
    }
    generated.push_str("];\n");

    check(&sources);

    // The templates, for the pages and mails the function renders itself.
    let templates = root.join("templates");
    println!("cargo:rerun-if-changed={}", templates.display());
    let mut template_files = Vec::new();
    collect_templates(&templates, &mut template_files);
    template_files.sort();
    generated.push_str("pub const TEMPLATES: &[(&str, &str)] = &[\n");
    for path in &template_files {
        println!("cargo:rerun-if-changed={}", path.display());
        let rel = path
            .strip_prefix(&templates)
            .expect("collected under templates/")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            generated,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to String");
    }
    generated.push_str("];\n");
    let css = templates.join("assets/style.css");
    println!("cargo:rerun-if-changed={}", css.display());
    let stylesheet = match fs::read(&css) {
        Ok(bytes) => format!("/assets/{}", assets::hashed_name("style.css", &bytes)),
        Err(_) => String::new(),
    };
    writeln!(generated, "pub const STYLESHEET: &str = {stylesheet:?};").expect("write to String");
    let script = templates.join("assets/focus.js");
    println!("cargo:rerun-if-changed={}", script.display());
    let focus_script = match fs::read(&script) {
        Ok(bytes) => format!("/assets/{}", assets::hashed_name("focus.js", &bytes)),
        Err(_) => String::new(),
    };
    writeln!(
        generated,
        "pub const FOCUS_SCRIPT: &str = {focus_script:?};"
    )
    .expect("write to String");

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    fs::write(&out, generated).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
}

fn collect_templates(dir: &Path, files: &mut Vec<PathBuf>) {
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
            collect_templates(&path, files);
        } else if path.extension().is_some_and(|e| e == "html" || e == "txt") {
            files.push(path);
        }
    }
}

/// Fails the build, naming every mistake, when a data file would not parse.
fn check(sources: &data::Sources) {
    let mut errors: Vec<data::DataError> = Vec::new();
    match sources.parse::<site::SiteConfig>(site::FILE) {
        Ok(s) => errors.extend(s.validate()),
        Err(e) => errors.push(e),
    }
    match sources
        .parse::<fees::FeeFile>(fees::FILE)
        .map_err(|e| vec![e])
        .and_then(|f| f.into_schedule(fees::FILE))
    {
        Ok(schedule) => {
            if let Err(e) = forms::Forms::parse(sources, Some(&schedule)) {
                errors.extend(e);
            }
        }
        Err(e) => errors.extend(e),
    }
    if let Err(e) = sources.parse::<periods::Periods>(periods::FILE) {
        errors.push(e);
    }
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(|e| format!("content/{e}")).collect();
        panic!(
            "\n\nThe data files under content/data/ have mistakes:\n\n{}\n\n",
            list.join("\n\n")
        );
    }
}
