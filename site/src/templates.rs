//! The Tera templates under `templates/`, and the filters they may use.

use std::path::Path;

use cbt::DataError;
use tera::Tera;

/// Loads every `*.html` template under `dir`.
pub fn load(dir: &Path) -> Result<Tera, DataError> {
    let glob = format!("{}/**/*.html", dir.display());
    let mut tera = Tera::new(&glob).map_err(|e| DataError {
        file: "templates/".into(),
        line: None,
        message: chain(&e),
        hint: "Herstel de template-syntaxis op de genoemde plek (zie https://keats.github.io/tera/docs/).".into(),
    })?;
    register(&mut tera);
    Ok(tera)
}

pub use cbt::templates::{chain, register};
