//! Site settings: name, address, secretariat, menu.

use serde::{Deserialize, Serialize};

use crate::sources::{invalid, DataError};

/// Where the settings live, under `content/`.
pub const FILE: &str = "data/site.toml";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
/// `data/site.toml`.
pub struct SiteConfig {
    /// The site's full name.
    pub title: String,
    /// A short name, for narrow places.
    pub short_title: String,
    /// One sentence, for search engines.
    pub description: String,
    /// Public address without a trailing slash once validated.
    pub base_url: String,
    /// The pages' language (`nl`).
    pub language: String,
    /// Where the forms post to; empty means the site's own origin.
    #[serde(default)]
    pub form_action_base: String,
    /// Where applications and questions go.
    pub secretariat: Secretariat,
    /// The main menu.
    pub menu: Vec<Link>,
    #[serde(default)]
    /// The footer's links.
    pub footer: Vec<Link>,
    /// Addresses elsewhere that the pages link to.
    pub links: ExternalLinks,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
/// Addresses on other sites, written once (`[links]`).
pub struct ExternalLinks {
    /// DDMA's template for a balancing test, which the seed refers to.
    pub ddma_balanstest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
/// The secretariat.
pub struct Secretariat {
    /// As addressed in mails.
    pub name: String,
    /// Its address.
    pub email: String,
    /// Who keeps the secretariat's mailbox, as the privacy statement
    /// names this processor.
    pub mailbox_provider: String,
    /// Within how many working days the secretariat answers a reported
    /// accessibility problem.
    pub reply_working_days: u32,
}

/// A menu or footer link to a page of the site.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// What the link reads.
    pub title: String,
    /// A path within the site (`/tarieven/`).
    pub url: String,
}

impl SiteConfig {
    /// Checks what TOML cannot: the address is absolute, links are paths.
    pub fn validate(&self) -> Vec<DataError> {
        let mut errors = Vec::new();
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            errors.push(invalid(
                FILE,
                format!("base_url = \"{}\" is geen volledig webadres", self.base_url),
                "Begin met https://, bijvoorbeeld \"https://www.balanstoetstelemarketing.nl\".",
            ));
        }
        if !(self.form_action_base.is_empty()
            || self.form_action_base.starts_with("https://")
            || self.form_action_base.starts_with("http://"))
        {
            errors.push(invalid(
                FILE,
                format!(
                    "form_action_base = \"{}\" is geen volledig webadres",
                    self.form_action_base
                ),
                "Laat het leeg (zelfde adres als de site) of begin met https://.",
            ));
        }
        for link in self.menu.iter().chain(&self.footer) {
            if !link.url.starts_with('/') {
                errors.push(invalid(
                    FILE,
                    format!(
                        "de link \"{}\" naar \"{}\" is geen pad binnen de site",
                        link.title, link.url
                    ),
                    "Schrijf een pad dat met / begint, zoals \"/tarieven/\".",
                ));
            }
        }
        if self.secretariat.email.contains(char::is_whitespace)
            || !self.secretariat.email.contains('@')
        {
            errors.push(invalid(
                FILE,
                format!(
                    "secretariat.email = \"{}\" is geen e-mailadres",
                    self.secretariat.email
                ),
                "Schrijf één adres, zoals \"aanvragen@balanstoetstelemarketing.nl\".",
            ));
        }
        if !self.links.ddma_balanstest.starts_with("https://") {
            errors.push(invalid(
                FILE,
                format!(
                    "links.ddma_balanstest = \"{}\" is geen volledig webadres",
                    self.links.ddma_balanstest
                ),
                "Begin met https://.",
            ));
        }
        errors
    }

    /// The base URL without a trailing slash, for joining with a path.
    pub fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}
