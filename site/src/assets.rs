//! The site's own files under `templates/assets/`: the stylesheet gets a
//! content hash in its name, so browsers and CloudFront may cache it for
//! a year and a change is still seen at once.

use std::fs;
use std::path::{Path, PathBuf};

use cbt::DataError;

/// A file to publish: its source and the path it gets under the site.
pub struct Asset {
    pub source: PathBuf,
    pub path: String,
}

/// The assets, and the URL of the stylesheet for templates.
pub struct Assets {
    pub files: Vec<Asset>,
    pub stylesheet: Option<String>,
    /// The script that moves focus to a form's error summary.
    pub focus_script: Option<String>,
    /// The script that solves the forms' proof of work.
    pub challenge_script: Option<String>,
}

pub use cbt::assets::hashed_name;

pub fn load(templates: &Path) -> Result<Assets, DataError> {
    let dir = templates.join("assets");
    let mut files = Vec::new();
    let mut stylesheet = None;
    let mut focus_script = None;
    let mut challenge_script = None;
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Assets {
            files,
            stylesheet,
            focus_script: None,
            challenge_script: None,
        });
    };
    let mut entries: Vec<_> = entries.flatten().filter(|e| e.path().is_file()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let source = entry.path();
        let path = if name.ends_with(".css") || name.ends_with(".js") {
            let bytes = fs::read(&source).map_err(|e| DataError {
                file: format!("templates/assets/{name}"),
                line: None,
                message: format!("kan niet gelezen worden: {e}"),
                hint: String::new(),
            })?;
            let path = format!("assets/{}", hashed_name(&name, &bytes));
            if name == "style.css" {
                stylesheet = Some(format!("/{path}"));
            }
            if name == "focus.js" {
                focus_script = Some(format!("/{path}"));
            }
            if name == "challenge.js" {
                challenge_script = Some(format!("/{path}"));
            }
            path
        } else {
            format!("assets/{name}")
        };
        files.push(Asset { source, path });
    }
    Ok(Assets {
        files,
        stylesheet,
        focus_script,
        challenge_script,
    })
}
