//! Tera, set up once for both halves: the filters our templates use and
//! the escaping they expect. The generator loads `templates/` from disk
//! (editors change it while `serve` runs); the function uses the copy
//! `build.rs` embedded, through [`Templates::embedded`].

use std::collections::HashMap;

use tera::{Context, Tera, Value};

/// A template that could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

impl TemplateError {
    /// The error with its causes, which hold the line and the name.
    pub fn from_tera(e: &tera::Error) -> TemplateError {
        TemplateError(chain(e))
    }
}

/// The templates, parsed.
pub struct Templates {
    tera: Tera,
}

impl Templates {
    /// The templates as they were when this binary was compiled.
    pub fn embedded() -> Result<Templates, TemplateError> {
        Templates::from_sources(crate::embedded::TEMPLATES)
    }

    /// Templates from (name, text) pairs.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<Templates, TemplateError> {
        let mut tera = Tera::default();
        tera.add_raw_templates(files.iter().copied())
            .map_err(|e| TemplateError::from_tera(&e))?;
        register(&mut tera);
        Ok(Templates { tera })
    }

    /// Renders the template `name` with `context`.
    pub fn render(&self, name: &str, context: &Context) -> Result<String, TemplateError> {
        self.tera
            .render(name, context)
            .map_err(|e| TemplateError::from_tera(&e))
    }
}

/// The filters and escaping every Tera instance of the project uses.
pub fn register(tera: &mut Tera) {
    tera.register_filter("euro", euro);
    tera.register_filter("datum", datum);
    tera.set_escape_fn(escape_html);
}

/// Escapes what HTML needs escaped, and no more: Tera's default also turns
/// `/` into `&#x2F;`, which bloats every URL and helps nothing. `& < > " '`
/// is enough in text and in quoted attributes alike, so one escaper serves
/// every template, the generator's error page and its sitemap.
pub fn escape_html(input: &str) -> String {
    html_escape::encode_quoted_attribute(input).into_owned()
}

/// `{{ cents | euro }}`: an amount in cents as Dutch text, `€ 3.680,00`.
fn euro(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let cents = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("euro: verwacht een bedrag in centen"))?;
    Ok(Value::String(crate::Cents(cents).to_string()))
}

/// `{{ "2026-11-30" | datum }}`: a date as Dutch text, `30 november 2026`.
fn datum(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("datum: verwacht een datum als JJJJ-MM-DD"))?;
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| tera::Error::msg(format!("datum: {e}")))?;
    Ok(Value::String(crate::invoice::dutch_date(date)))
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
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_escaping() {
        let t = Templates::from_sources(&[("t.html", "{{ a | euro }} {{ d | datum }} {{ u }}")])
            .expect("parses");
        let mut ctx = Context::new();
        ctx.insert("a", &445_280);
        ctx.insert("d", "2027-01-04");
        ctx.insert("u", "/a/ <b> & \"c\" 'd' é");
        assert_eq!(
            t.render("t.html", &ctx).expect("renders"),
            "€\u{a0}4.452,80 4 januari 2027 /a/ &lt;b&gt; &amp; &quot;c&quot; &#x27;d&#x27; é"
        );
    }

    #[test]
    fn the_embedded_templates_parse() {
        Templates::embedded().expect("embedded templates parse");
        assert!(crate::embedded::STYLESHEET.starts_with("/assets/style."));
    }
}
