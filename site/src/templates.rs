//! The Tera templates under `templates/`, and the filters they may use.

use std::collections::HashMap;
use std::path::Path;

use cbt::DataError;
use tera::{Tera, Value};

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

/// The filters our templates use, also for templates built from strings.
pub fn register(tera: &mut Tera) {
    tera.register_filter("euro", euro);
    tera.set_escape_fn(escape_html);
}

/// Escapes what HTML needs escaped, and no more: Tera's default also turns
/// `/` into `&#x2F;`, which bloats every URL and helps nothing.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    for ch in input.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `{{ cents | euro }}`: an amount in cents as Dutch text, `€ 3.680,00`.
fn euro(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let cents = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("euro: verwacht een bedrag in centen"))?;
    Ok(Value::String(cbt::Cents(cents).to_string()))
}

/// A Tera error with its causes, which hold the useful part (line, name).
pub fn chain(e: &tera::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.replace('\n', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
