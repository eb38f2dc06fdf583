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
    v.insert("site.titel".into(), rules.site.title.clone());
    v
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
