//! The checks every request passes before it is answered: where it comes
//! from (the origin secret CloudFront adds, the browser's `Origin` for a
//! post), how large it is, and how often its visitor asked this hour
//! ([`crate::limits`]); for a post, then the body, read once, and its
//! challenge ([`crate::challenge`]): a post without a solved one counts
//! against the stricter limit.

use bytes::Bytes;
use http::{header, HeaderMap, Request, StatusCode};

use crate::body::{self, BodyError};
use crate::config::Config;
use crate::handler::App;
use crate::limits;
use crate::ports::{Files, Mailer, Store};
use crate::responses::Failure;
use cbt::validate::Posted;

/// The header in which the trusted layer in front of the handler (the
/// Lambda event conversion, or `serve`) puts the client's address; both
/// drop a copy the client sent itself.
pub const SOURCE_IP_HEADER: &str = "x-cbt-source-ip";

fn foreign() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "forbidden_origin",
        "Dit formulier kan alleen via onze eigen site worden verstuurd",
        &["Ga naar de site en vul het formulier daar in."],
    )
}

/// The visitor a request comes from, as the limits count it: CloudFront's
/// report of the viewer's address when the request proved it came through
/// CloudFront, else the address the layer in front reports.
pub(crate) fn visitor(config: &Config, headers: &HeaderMap) -> String {
    let address = match &config.origin_secret {
        Some(_) => viewer_address(headers).unwrap_or_else(|| source_ip(headers)),
        None => source_ip(headers),
    };
    limits::visitor_key(&address)
}

/// Admits a page request (`GET`, `HEAD`): it must come through CloudFront
/// like a post, and counts against the visitor's page limit. A 5,000
/// character draft id must not reach the store at all, let alone for free.
/// Only the origin check of [`admit_page`], without its page limit.
pub(crate) fn admit_origin<S, M, F>(
    app: &App<S, M, F>,
    req: &Request<Bytes>,
) -> Result<(), Failure> {
    if origin_verified(&app.config, req.headers()) {
        Ok(())
    } else {
        Err(foreign())
    }
}

pub(crate) async fn admit_page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: &Request<Bytes>,
) -> Result<(), Failure> {
    if !origin_verified(&app.config, req.headers()) {
        return Err(foreign());
    }
    limits::page(app, &visitor(&app.config, req.headers())).await
}

/// Admits a post and reads its body, or says why not: the origin, the
/// size, the visitor's limits, the body, the challenge.
pub(crate) async fn admit<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
) -> Result<Posted, Failure> {
    if !origin_verified(&app.config, req.headers()) {
        return Err(foreign());
    }
    // Browsers send Origin with every POST; a missing one is a script,
    // which the rate limit still covers.
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
        if !app.config.allowed_origins.iter().any(|o| o == origin) {
            return Err(foreign());
        }
    }
    if req.body().len() > app.config.max_body_bytes {
        return Err(too_large(app));
    }
    let visitor = visitor(&app.config, req.headers());
    // Every post counts before its body is read: a visitor over the limit
    // costs no parsing.
    limits::post(app, &visitor).await?;
    let posted = read_body(app, req).await?;
    let challenge = crate::challenge::settle(app, posted.get(crate::challenge::FIELD))
        .await
        .map_err(Failure::unavailable)?;
    if let Err(why) = challenge {
        tracing::info!(?why, "a post without a solved challenge");
        limits::post_unsolved(app, &visitor).await?;
    }
    Ok(posted)
}

/// A post of a signed-in staff member (the session and its CSRF token are
/// checked by the workspace): the origin checks and the size, as [`admit`],
/// but no rate limit and no challenge. Staff work all day; a session is
/// the proof of a person.
pub(crate) async fn admit_signed_in<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
) -> Result<Posted, Failure> {
    if !origin_verified(&app.config, req.headers()) {
        return Err(foreign());
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
        if !app.config.allowed_origins.iter().any(|o| o == origin) {
            return Err(foreign());
        }
    }
    if req.body().len() > app.config.max_body_bytes {
        return Err(too_large(app));
    }
    read_body(app, req).await
}

fn too_large<S, M, F>(app: &App<S, M, F>) -> Failure {
    let mb = app.config.max_body_bytes / (1024 * 1024);
    Failure {
        paragraphs: vec![format!("Een aanvraag mag met de documenten samen maximaal {mb} MB zijn. Maak de documenten kleiner, of mail ze naar het secretariaat.")],
        ..Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "Wat u verstuurde is te groot",
            &[],
        )
    }
}

/// The visitor's address as CloudFront reports it (`ip:port`, IPv6 without
/// brackets); only trusted when the request proved it came through CloudFront.
fn viewer_address(headers: &HeaderMap) -> Option<String> {
    let v = headers
        .get("cloudfront-viewer-address")?
        .to_str()
        .ok()?
        .trim();
    let (ip, _port) = v.rsplit_once(':')?;
    (!ip.is_empty()).then(|| ip.to_string())
}

/// Whether the request carries the origin secret CloudFront adds (either
/// of the two during a rotation), or no secret is configured.
fn origin_verified(config: &Config, headers: &HeaderMap) -> bool {
    let Some(current) = &config.origin_secret else {
        return true;
    };
    let given = headers
        .get("x-origin-verify")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    // Both comparisons always run, and `|` does not short-circuit: the time
    // taken does not tell which secret, if any, came close.
    let next = config
        .origin_secret_next
        .as_deref()
        .map(|next| constant_time_eq(given, next.as_bytes()));
    constant_time_eq(given, current.as_bytes()) | next.unwrap_or(false)
}

/// Compares without stopping at the first difference, so the time taken
/// tells an attacker nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's address as the layer in front reports it.
pub fn source_ip(headers: &HeaderMap) -> String {
    headers
        .get(SOURCE_IP_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The posted form, or a page saying what was wrong with the body.
async fn read_body<S, M, F>(app: &App<S, M, F>, req: Request<Bytes>) -> Result<Posted, Failure> {
    let (parts, bytes) = req.into_parts();
    body::parse(&parts.headers, bytes, app.config.max_body_bytes)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(_) => too_large(app),
            BodyError::UnsupportedType(_) => Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Dit soort inzending wordt niet ondersteund",
                &["Gebruik het formulier op de site."],
            ),
            BodyError::Malformed(why) => {
                tracing::warn!(why, "malformed body");
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    "Het formulier kwam beschadigd aan",
                    &["Probeer het opnieuw via het formulier op de site."],
                )
            }
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use http::HeaderValue;

    use super::*;

    const CURRENT: &str = "huidig-geheim-0123456789";
    const NEXT: &str = "volgend-geheim-0123456789";

    fn config(secrets: &[(&str, &str)]) -> Config {
        let mut vars: BTreeMap<String, String> = [
            ("MAIL_FROM", "noreply@cbt.nl"),
            ("SITE_URL", "https://www.cbt.nl"),
        ]
        .iter()
        .chain(secrets)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.retain(|_, v| !v.is_empty());
        Config::from_vars(&vars).expect("config")
    }

    fn headers(secret: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(s) = secret {
            h.insert(
                "x-origin-verify",
                HeaderValue::from_str(s).expect("a header value"),
            );
        }
        h
    }

    #[test]
    fn without_a_secret_every_request_passes() {
        let c = config(&[]);
        assert!(origin_verified(&c, &headers(None)));
        assert!(origin_verified(&c, &headers(Some("wat-dan-ook"))));
    }

    #[test]
    fn one_secret_admits_only_itself() {
        let c = config(&[("ORIGIN_VERIFY_SECRET", CURRENT)]);
        assert!(origin_verified(&c, &headers(Some(CURRENT))));
        assert!(!origin_verified(&c, &headers(Some(NEXT))));
        assert!(!origin_verified(&c, &headers(None)));
        assert!(!origin_verified(&c, &headers(Some(""))));
        // A prefix or an extension of the secret is not the secret.
        assert!(!origin_verified(
            &c,
            &headers(Some("huidig-geheim-012345678"))
        ));
        assert!(!origin_verified(
            &c,
            &headers(Some("huidig-geheim-01234567890"))
        ));
    }

    #[test]
    fn during_a_rotation_both_secrets_pass_and_nothing_else() {
        let c = config(&[
            ("ORIGIN_VERIFY_SECRET", CURRENT),
            ("ORIGIN_VERIFY_SECRET_NEXT", NEXT),
        ]);
        assert!(origin_verified(&c, &headers(Some(CURRENT))));
        assert!(origin_verified(&c, &headers(Some(NEXT))));
        assert!(!origin_verified(&c, &headers(None)));
        assert!(!origin_verified(
            &c,
            &headers(Some("ander-geheim-0123456789"))
        ));
        // Not both at once, as a client that guesses the format might send.
        let both = format!("{CURRENT},{NEXT}");
        assert!(!origin_verified(&c, &headers(Some(&both))));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
