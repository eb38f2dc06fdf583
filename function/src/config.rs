//! The function's configuration, from the environment. A missing or
//! malformed variable stops the start with a message that names it: a
//! Lambda that starts half-configured loses applications.

use std::collections::BTreeMap;

/// What the function needs to know about its deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The address mails are sent from (an SES-verified identity).
    pub mail_from: String,
    /// The site's public address; pages link back to it.
    pub site_url: String,
    /// Origins whose posts are accepted (the site's own).
    pub allowed_origins: Vec<String>,
    /// Posts per visitor (an IPv4 address, an IPv6 /64) per hour.
    pub rate_limit_per_hour: u32,
    /// Posts per visitor per hour without a solved challenge (no
    /// JavaScript, or a script): fewer ([`crate::challenge`]).
    pub rate_limit_unsolved_per_hour: u32,
    /// The function's pages per visitor per hour.
    pub rate_limit_pages_per_hour: u32,
    /// Mails a day (in Amsterdam) to one address typed into a form, over
    /// all forms ([`crate::limits`]).
    pub mails_per_address_per_day: u32,
    /// Sign-in links one staff member may ask for in an hour. Not read
    /// from the environment: [`crate::workspace::auth::LINKS_PER_HOUR`] in
    /// AWS; `cbt-site serve` raises it with its other limits, because
    /// whoever tries the workspace locally signs in more often.
    pub sign_in_links_per_hour: u32,
    /// The largest request body accepted, in bytes. Default 4.5 MB: Lambda
    /// takes 6 MB, and a Function URL base64-encodes a form post (4/3).
    pub max_body_bytes: usize,
    /// The secret CloudFront sends in `x-origin-verify` with every request it
    /// forwards. When set, a request without it is refused (the Function URL
    /// is public, this keeps it behind CloudFront), and the visitor's
    /// address is taken from `cloudfront-viewer-address`, which CloudFront
    /// writes itself: without it every visitor would share an edge's address
    /// in the rate limit.
    pub origin_secret: Option<String>,
    /// The secret that replaces [`Config::origin_secret`] during a rotation,
    /// accepted as well: CloudFront's edges switch to a new header value over
    /// minutes, and a request carrying either must pass meanwhile.
    pub origin_secret_next: Option<String>,
    /// The workspace's first secretariat member (`STAFF_ADMIN_EMAIL`), in
    /// lower case: always on the staff list, so someone can always sign
    /// in and add the others.
    pub staff_admin: Option<String>,
}

/// The variable naming the SSM parameter (a SecureString) that holds the
/// origin secret, or during a rotation the current and the next one
/// separated by a comma. The Lambda (`bootstrap`) reads the parameter once
/// at start and passes its values on as `ORIGIN_VERIFY_SECRET` and
/// `ORIGIN_VERIFY_SECRET_NEXT`, so the secret never sits in the function's
/// environment, where anyone who may read the function's configuration
/// sees it.
pub const ORIGIN_SECRET_PARAMETER: &str = "ORIGIN_VERIFY_SECRET_PARAMETER";

/// A variable that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is not valid: {why}")]
    Invalid { name: &'static str, why: String },
}

impl Config {
    /// Reads the configuration from `vars` (the process environment, or a
    /// map in tests).
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let required = |name: &'static str| {
            vars.get(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_string())
                .ok_or(ConfigError::Missing(name))
        };
        let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match vars.get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ConfigError::Invalid {
                        name,
                        why: format!("\"{v}\" is not a positive whole number"),
                    }),
            }
        };
        let mail_from = required("MAIL_FROM")?;
        cbt::formats::normalize_email(&mail_from).map_err(|_| ConfigError::Invalid {
            name: "MAIL_FROM",
            why: format!("\"{mail_from}\" is not one email address"),
        })?;
        let site_url = required("SITE_URL")?.trim_end_matches('/').to_string();
        if !url_like(&site_url) {
            return Err(ConfigError::Invalid {
                name: "SITE_URL",
                why: format!("\"{site_url}\" is not an http(s) address"),
            });
        }
        let allowed_origins: Vec<String> = match vars.get("ALLOWED_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            None => vec![site_url.clone()],
        };
        if let Some(bad) = allowed_origins.iter().find(|o| !url_like(o)) {
            return Err(ConfigError::Invalid {
                name: "ALLOWED_ORIGINS",
                why: format!("\"{bad}\" is not an http(s) origin"),
            });
        }
        if allowed_origins.is_empty() {
            return Err(ConfigError::Invalid {
                name: "ALLOWED_ORIGINS",
                why: "the list is empty".into(),
            });
        }
        let secret = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match vars.get(name).map(|v| v.trim()) {
                None | Some("") => Ok(None),
                Some(v) if v.chars().count() < 16 => Err(ConfigError::Invalid {
                    name,
                    why: "shorter than 16 characters".into(),
                }),
                // It travels as an HTTP header value, and a comma separates
                // two secrets in the SSM parameter.
                Some(v) if !v.chars().all(|c| c.is_ascii_graphic() && c != ',') => {
                    Err(ConfigError::Invalid {
                        name,
                        why: "only letters, digits and punctuation other than a comma".into(),
                    })
                }
                Some(v) => Ok(Some(v.to_string())),
            }
        };
        let origin_secret = secret("ORIGIN_VERIFY_SECRET")?;
        let origin_secret_next = secret("ORIGIN_VERIFY_SECRET_NEXT")?;
        if origin_secret.is_none() && origin_secret_next.is_some() {
            return Err(ConfigError::Invalid {
                name: "ORIGIN_VERIFY_SECRET_NEXT",
                why: "set without ORIGIN_VERIFY_SECRET: a rotation needs the current secret too"
                    .into(),
            });
        }
        let small = |name: &'static str, n: u64| {
            u32::try_from(n).map_err(|_| ConfigError::Invalid {
                name,
                why: "too large".into(),
            })
        };
        Ok(Config {
            mail_from,
            site_url,
            allowed_origins,
            rate_limit_per_hour: small("RATE_LIMIT_PER_HOUR", number("RATE_LIMIT_PER_HOUR", 10)?)?,
            rate_limit_unsolved_per_hour: small(
                "RATE_LIMIT_UNSOLVED_PER_HOUR",
                number("RATE_LIMIT_UNSOLVED_PER_HOUR", 5)?,
            )?,
            rate_limit_pages_per_hour: small(
                "RATE_LIMIT_PAGES_PER_HOUR",
                number("RATE_LIMIT_PAGES_PER_HOUR", 120)?,
            )?,
            mails_per_address_per_day: small(
                "MAILS_PER_ADDRESS_PER_DAY",
                number("MAILS_PER_ADDRESS_PER_DAY", 4)?,
            )?,
            max_body_bytes: usize::try_from(number("MAX_BODY_BYTES", 4_500_000)?).map_err(
                |_| ConfigError::Invalid {
                    name: "MAX_BODY_BYTES",
                    why: "too large".into(),
                },
            )?,
            origin_secret,
            origin_secret_next,
            sign_in_links_per_hour: crate::workspace::auth::LINKS_PER_HOUR,
            staff_admin: match vars.get("STAFF_ADMIN_EMAIL").map(|v| v.trim()) {
                None | Some("") => None,
                Some(v) => Some(
                    cbt::formats::Email::parse(v)
                        .map_err(|_| ConfigError::Invalid {
                            name: "STAFF_ADMIN_EMAIL",
                            why: "not an e-mail address".into(),
                        })?
                        .as_str()
                        .to_lowercase(),
                ),
            },
        })
    }

    /// The values of the SSM parameter [`ORIGIN_SECRET_PARAMETER`] names,
    /// as the variables [`Config::from_vars`] reads: one secret, or the
    /// current and the next one separated by a comma (a rotation). Each is
    /// checked there like a secret from the environment.
    pub fn origin_secret_vars(parameter_value: &str) -> Result<Vec<(String, String)>, ConfigError> {
        let values: Vec<&str> = parameter_value.split(',').map(str::trim).collect();
        if values.iter().any(|v| v.is_empty()) {
            // "current," is a half-done edit, not "no next secret".
            return Err(ConfigError::Invalid {
                name: ORIGIN_SECRET_PARAMETER,
                why: "the parameter holds an empty value".into(),
            });
        }
        match values.as_slice() {
            [current] => Ok(vec![("ORIGIN_VERIFY_SECRET".into(), current.to_string())]),
            [current, next] => Ok(vec![
                ("ORIGIN_VERIFY_SECRET".into(), current.to_string()),
                ("ORIGIN_VERIFY_SECRET_NEXT".into(), next.to_string()),
            ]),
            _ => Err(ConfigError::Invalid {
                name: ORIGIN_SECRET_PARAMETER,
                why: format!(
                    "the parameter holds {} values separated by commas; one, or two during a rotation",
                    values.len()
                ),
            }),
        }
    }

    /// From the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(&std::env::vars().collect())
    }
}

fn url_like(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_required() {
        let c = Config::from_vars(&vars(&[
            ("MAIL_FROM", "noreply@cbt.nl"),
            ("SITE_URL", "https://www.cbt.nl/"),
        ]))
        .expect("valid");
        assert_eq!(c.site_url, "https://www.cbt.nl");
        assert_eq!(c.allowed_origins, ["https://www.cbt.nl"]);
        assert_eq!(c.rate_limit_per_hour, 10);
        assert_eq!(c.rate_limit_unsolved_per_hour, 5);
        assert_eq!(c.rate_limit_pages_per_hour, 120);
        assert_eq!(c.mails_per_address_per_day, 4);
        assert_eq!(
            Config::from_vars(&vars(&[("SITE_URL", "https://x.nl")])),
            Err(ConfigError::Missing("MAIL_FROM"))
        );
        assert_eq!(
            Config::from_vars(&vars(&[("MAIL_FROM", "a@b.nl")])),
            Err(ConfigError::Missing("SITE_URL"))
        );
    }

    #[test]
    fn malformed_values_are_named() {
        let base = [
            ("MAIL_FROM", "noreply@cbt.nl"),
            ("SITE_URL", "https://www.cbt.nl"),
        ];
        for (name, value) in [
            ("RATE_LIMIT_PER_HOUR", "veel"),
            ("RATE_LIMIT_PER_HOUR", "0"),
            ("RATE_LIMIT_UNSOLVED_PER_HOUR", "0"),
            ("RATE_LIMIT_PAGES_PER_HOUR", "veel"),
            ("MAILS_PER_ADDRESS_PER_DAY", "-3"),
            ("ALLOWED_ORIGINS", "www.cbt.nl"),
            ("MAIL_FROM", "a@b.nl, c@d.nl"),
            ("SITE_URL", "cbt.nl"),
            ("MAX_BODY_BYTES", "-1"),
            ("ORIGIN_VERIFY_SECRET", "te-kort"),
            ("ORIGIN_VERIFY_SECRET", "twee,geheimen-van-16-tekens"),
            ("ORIGIN_VERIFY_SECRET", "een geheim met spaties"),
            ("ORIGIN_VERIFY_SECRET_NEXT", "zonder-het-huidige-geheim"),
        ] {
            let mut v = vars(&base);
            v.insert(name.to_string(), value.to_string());
            match Config::from_vars(&v) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_current_and_a_next_origin_secret() {
        let mut v = vars(&[
            ("MAIL_FROM", "noreply@cbt.nl"),
            ("SITE_URL", "https://www.cbt.nl"),
        ]);
        let c = Config::from_vars(&v).expect("valid");
        assert_eq!((c.origin_secret, c.origin_secret_next), (None, None));

        for (name, value) in
            Config::origin_secret_vars(" huidig-geheim-0123456789 , volgend-geheim-0123456789 ")
                .expect("two values")
        {
            v.insert(name, value);
        }
        let c = Config::from_vars(&v).expect("valid");
        assert_eq!(c.origin_secret.as_deref(), Some("huidig-geheim-0123456789"));
        assert_eq!(
            c.origin_secret_next.as_deref(),
            Some("volgend-geheim-0123456789")
        );

        assert_eq!(
            Config::origin_secret_vars("alleen-het-huidige-geheim").expect("one value"),
            [(
                "ORIGIN_VERIFY_SECRET".to_string(),
                "alleen-het-huidige-geheim".to_string()
            )]
        );
        match Config::origin_secret_vars("een-geheim-0123456789,twee-geheim-0123456789,drie") {
            Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, ORIGIN_SECRET_PARAMETER),
            other => panic!("three values: {other:?}"),
        }
        for half_done in [
            "huidig-geheim-0123456789,",
            ",volgend-geheim-0123456789",
            "",
        ] {
            assert!(
                matches!(
                    Config::origin_secret_vars(half_done),
                    Err(ConfigError::Invalid {
                        name: ORIGIN_SECRET_PARAMETER,
                        ..
                    })
                ),
                "{half_done:?}"
            );
        }
    }
}
