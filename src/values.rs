//! The `{{ name }}` values that Markdown pages may use.
//!
//! Editors write `{{ tarief.commercieel }}` instead of an amount, so that an
//! amount or period is typed once (in `content/data/`) and every page that
//! mentions it follows a change.

use std::collections::BTreeMap;

use crate::Rules;

/// The values by name, formatted as a Dutch text shows them.
pub fn values(rules: &Rules) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    for t in &rules.fees.tariffs {
        v.insert(format!("tarief.{}", t.key), t.excl_vat.to_string());
        v.insert(format!("tarief.{}.btw", t.key), t.vat.to_string());
        v.insert(format!("tarief.{}.totaal", t.key), t.total.to_string());
    }
    v.insert(
        "btw.percentage".into(),
        format!("{}%", rules.fees.vat_percent),
    );
    let p = &rules.periods;
    v.insert(
        "termijn.maximale_klanttermijn".into(),
        plural(p.max_customer_term_years, "jaar", "jaar"),
    );
    v.insert(
        "termijn.wijzigen".into(),
        plural(p.amend_days_after_payment, "dag", "dagen"),
    );
    v.insert(
        "termijn.aanvullen".into(),
        plural(p.complete_days, "dag", "dagen"),
    );
    v.insert(
        "termijn.advies".into(),
        plural(p.advice_weeks, "week", "weken"),
    );
    v.insert(
        "termijn.streef".into(),
        plural(p.target_weeks_after_payment, "week", "weken"),
    );
    v.insert(
        "termijn.betaling".into(),
        plural(p.payment_term_days, "dag", "dagen"),
    );
    let r = &rules.retention;
    v.insert(
        "bewaren.concepten".into(),
        plural(r.drafts_hours, "uur", "uur"),
    );
    v.insert(
        "bewaren.onbevestigd".into(),
        plural(r.unconfirmed_days, "dag", "dagen"),
    );
    v.insert(
        "bewaren.contactberichten".into(),
        plural(r.contact_messages_days, "dag", "dagen"),
    );
    v.insert(
        "bewaren.dossiers".into(),
        plural(r.case_files_years, "jaar", "jaar"),
    );
    v.insert(
        "bewaren.facturen".into(),
        plural(r.invoices_years, "jaar", "jaar"),
    );
    v.insert("bewaren.logs".into(), plural(r.logs_days, "dag", "dagen"));
    v.insert(
        "secretariaat.email".into(),
        rules.site.secretariat.email.clone(),
    );
    v.insert(
        "secretariaat.mailbox".into(),
        rules.site.secretariat.mailbox_provider.clone(),
    );
    v.insert(
        "secretariaat.antwoordtermijn".into(),
        plural(
            rules.site.secretariat.reply_working_days,
            "werkdag",
            "werkdagen",
        ),
    );
    v.insert(
        "link.ddma_balanstest".into(),
        rules.site.links.ddma_balanstest.clone(),
    );
    v.insert("site.titel".into(), rules.site.title.clone());
    v
}

/// Where a value of [`values`] comes from: its data file and key, as the
/// marks of unconfirmed values name them ([`crate::Rules::unconfirmed_in`]).
/// A page that shows the value shows what is unconfirmed about it.
pub fn source(name: &str) -> Option<(&'static str, &'static str)> {
    use crate::{fees, periods, retention, site};
    let source = match name {
        "termijn.maximale_klanttermijn" => (periods::FILE, "max_customer_term_years"),
        "termijn.wijzigen" => (periods::FILE, "amend_days_after_payment"),
        "termijn.aanvullen" => (periods::FILE, "complete_days"),
        "termijn.advies" => (periods::FILE, "advice_weeks"),
        "termijn.streef" => (periods::FILE, "target_weeks_after_payment"),
        "termijn.betaling" => (periods::FILE, "payment_term_days"),
        "bewaren.concepten" => (retention::FILE, "drafts_hours"),
        "bewaren.contactberichten" => (retention::FILE, "contact_messages_days"),
        "bewaren.dossiers" => (retention::FILE, "case_files_years"),
        "bewaren.facturen" => (retention::FILE, "invoices_years"),
        "bewaren.logs" => (retention::FILE, "logs_days"),
        "secretariaat.email" => (site::FILE, "secretariat.email"),
        "secretariaat.mailbox" => (site::FILE, "secretariat.mailbox_provider"),
        "secretariaat.antwoordtermijn" => (site::FILE, "secretariat.reply_working_days"),
        "link.ddma_balanstest" => (site::FILE, "links.ddma_balanstest"),
        "site.titel" => (site::FILE, "title"),
        "btw.percentage" => (fees::FILE, "vat_percent"),
        n if n.starts_with("tarief.") => (fees::FILE, ""),
        _ => return None,
    };
    Some(source)
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
