//! The pages the function answers with, rendered from the same templates
//! as the site (`templates/`), so they look and read the same: the form
//! again with its errors, "check your answers", the confirmation, and
//! plain messages (thank you, expired, errors).

use std::collections::BTreeMap;

use serde::Serialize;
use tera::Context;

use crate::forms::FormDef;
use crate::summary::Row;
use crate::templates::{TemplateError, Templates};
use crate::validate::FieldError;
use crate::Rules;

/// The context every page needs, as `templates/base.html` expects it.
fn base(rules: &Rules, path: &str, title: &str) -> Context {
    let mut ctx = Context::new();
    ctx.insert("config", &rules.site);
    ctx.insert(
        "assets",
        &serde_json::json!({ "stylesheet": crate::embedded::STYLESHEET, "focus_script": crate::embedded::FOCUS_SCRIPT }),
    );
    ctx.insert("current_path", path);
    ctx.insert("canonical", &format!("{}{}", rules.site.base(), path));
    ctx.insert("page_title", title);
    ctx.insert("page_description", &rules.site.description);
    ctx.insert("breadcrumbs", &Vec::<()>::new());
    ctx.insert("form_values", &BTreeMap::<String, String>::new());
    ctx.insert("form_errors", &BTreeMap::<String, String>::new());
    ctx
}

/// The form again, with what was entered and the errors.
pub fn form_with_errors(
    rules: &Rules,
    templates: &Templates,
    form: &FormDef,
    entered: &BTreeMap<String, String>,
    errors: &[FieldError],
    kept_document: Option<&str>,
) -> Result<String, TemplateError> {
    let title = if errors.is_empty() {
        form.title.clone()
    } else {
        format!("Fout: {}", form.title)
    };
    let mut ctx = base(rules, form.action.as_str(), &title);
    let messages: BTreeMap<&str, &str> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    ctx.insert("form", form);
    ctx.insert("heading", &form.title);
    ctx.insert("form_values", entered);
    ctx.insert("form_errors", &messages);
    ctx.insert("kept_document", &kept_document);
    templates.render("formulier.html", &ctx)
}

/// "Check your answers": every answer with a change link, and the button
/// that sends the application (which creates the payment obligation).
pub fn check_answers(
    rules: &Rules,
    templates: &Templates,
    rows: &[Row],
    draft_id: &str,
    tariff_total: &str,
) -> Result<String, TemplateError> {
    let mut ctx = base(rules, "/aanvraag", "Controleer uw aanvraag");
    ctx.insert("rows", rows);
    ctx.insert("draft_id", draft_id);
    ctx.insert("total", tariff_total);
    templates.render("controle.html", &ctx)
}

/// What the confirmation page says happens next.
#[derive(Debug, Serialize)]
pub struct Confirmation<'a> {
    /// The application's reference.
    pub reference: &'a str,
    /// The invoice's number.
    pub invoice_number: &'a str,
    /// Where the invoice goes.
    pub invoice_email: &'a str,
    /// Where the confirmation goes.
    pub contact_email: &'a str,
    /// YYYY-MM-DD.
    pub payment_due: String,
    /// The amount to pay, as Dutch text.
    pub total: String,
}

/// The confirmation page after an application was filed.
pub fn confirmation(
    rules: &Rules,
    templates: &Templates,
    c: &Confirmation<'_>,
) -> Result<String, TemplateError> {
    let mut ctx = base(rules, "/aanvraag/ontvangen", "Uw aanvraag is ontvangen");
    ctx.insert("c", c);
    ctx.insert("periods", &rules.periods);
    templates.render("ontvangen.html", &ctx)
}

/// A plain page with a heading, paragraphs and links onward.
pub fn message(
    rules: &Rules,
    templates: &Templates,
    title: &str,
    paragraphs: &[&str],
) -> Result<String, TemplateError> {
    let mut ctx = base(rules, "/", title);
    ctx.insert("paragraphs", paragraphs);
    templates.render("melding.html", &ctx)
}
