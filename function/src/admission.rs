//! The checks every post passes before its body is read: where it comes
//! from (the origin secret CloudFront adds, the browser's `Origin`), how
//! large it is, and how often its sender posted this hour. Then the body,
//! read once ([`read_body`]).

use bytes::Bytes;
use chrono::{Duration, Timelike};
use http::{header, HeaderMap, Request, StatusCode};

use crate::body::{self, BodyError};
use crate::handler::App;
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

/// Admits `req`, or says why not.
pub(crate) async fn admit<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: &Request<Bytes>,
) -> Result<(), Failure> {
    if let Some(secret) = &app.config.origin_secret {
        let given = req
            .headers()
            .get("x-origin-verify")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !constant_time_eq(given, secret.as_bytes()) {
            return Err(foreign());
        }
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
    let now = app.clock.now();
    let window = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let address = match &app.config.origin_secret {
        Some(_) => viewer_address(req.headers()).unwrap_or_else(|| source_ip(req.headers())),
        None => source_ip(req.headers()),
    };
    let count = app
        .store
        .count_post(
            &format!("ip#{address}"),
            window,
            window + Duration::hours(2),
        )
        .await
        .map_err(Failure::unavailable)?;
    if count > app.config.rate_limit_per_hour {
        tracing::warn!(count, "rate limit reached");
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "U heeft te veel formulieren verstuurd",
            &["Probeer het over een uur opnieuw, of mail naar het secretariaat."],
        ));
    }
    Ok(())
}

fn too_large<S, M, F>(app: &App<S, M, F>) -> Failure {
    let mb = app.config.max_body_bytes / (1024 * 1024);
    Failure {
        paragraphs: vec![format!("Een aanvraag mag met bijlage samen hoogstens {mb} MB zijn. Maak het document kleiner, of mail het naar het secretariaat.")],
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
pub(crate) async fn read_body<S, M, F>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
) -> Result<Posted, Failure> {
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
