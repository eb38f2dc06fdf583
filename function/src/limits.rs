//! The limits, counted in the store so that every Lambda instance (and
//! `serve`) shares them:
//!
//! - per visitor, per hour: posts ([`Config::rate_limit_per_hour`]),
//!   posts without a solved challenge ([`Config::rate_limit_unsolved_per_hour`],
//!   stricter: the forms work without JavaScript, a bulk sender pays with
//!   this limit or with the work), and pages ([`Config::rate_limit_pages_per_hour`]).
//!   A visitor is an IPv4 address, or an IPv6 address's /64: a single
//!   connection gets a whole /64 and can rotate through it freely, so
//!   counting addresses there would count nothing;
//! - per recipient, per day in Amsterdam: the mails the forms send to an
//!   address typed into them ([`Config::mails_per_address_per_day`], over
//!   all forms together: contact acknowledgements, address checks, new
//!   personal links). This is the limit that holds against a sender who
//!   rotates through many visitors: whoever posts, one address gets no more
//!   than this many mails a day.
//!
//! [`Config::rate_limit_per_hour`]: crate::config::Config::rate_limit_per_hour
//! [`Config::rate_limit_unsolved_per_hour`]: crate::config::Config::rate_limit_unsolved_per_hour
//! [`Config::rate_limit_pages_per_hour`]: crate::config::Config::rate_limit_pages_per_hour
//! [`Config::mails_per_address_per_day`]: crate::config::Config::mails_per_address_per_day

use std::net::IpAddr;

use chrono::{DateTime, Duration, Timelike, Utc};
use http::StatusCode;

use crate::handler::App;
use crate::ports::{Files, Mailer, Store};
use crate::responses::Failure;

/// Who a visitor is for the limits: an IPv4 address as it is, an IPv6
/// address by its /64 (an IPv4 address in IPv6 clothing as IPv4); what
/// does not parse (a layer in front that sent no address) by itself,
/// bounded.
pub fn visitor_key(address: &str) -> String {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => format!("ip4#{v4}"),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip4#{v4}"),
            None => {
                let s = v6.segments();
                format!("ip6#{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => {
            let safe: String = address
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect();
            format!("ip#{safe}")
        }
    }
}

/// Whose mailbox an address is for the limit: lower case, and without a
/// `+tag` in the part before `@` (`jan+1@x.nl` and `Jan+2@x.nl` reach the
/// same person).
pub fn recipient_key(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    let key = match lower.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}@{domain}")
        }
        None => lower,
    };
    format!("to#{key}")
}

/// The hour `now` is in: its start, and when its count may go.
pub(crate) fn hour(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = now
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    (start, start + Duration::hours(2))
}

/// The day in Amsterdam `now` is in: its start, and when its count may go.
fn day(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = cbt::dates::start_of_day(cbt::dates::local_date(now));
    (start, start + Duration::days(2))
}

fn too_many(title: &'static str, paragraphs: &[&str]) -> Failure {
    Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        title,
        paragraphs,
    )
}

/// Counts a post from `visitor` (as [`visitor_key`] names it); 429 when
/// the visitor is over its limit this hour.
pub(crate) async fn post<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    visitor: &str,
) -> Result<(), Failure> {
    let (start, expires) = hour(app.clock.now());
    let posts = app
        .store
        .count_post(&format!("post#{visitor}"), start, expires)
        .await
        .map_err(Failure::unavailable)?;
    if posts > app.config.rate_limit_per_hour {
        tracing::warn!(posts, "rate limit reached");
        return Err(too_many_posts());
    }
    Ok(())
}

/// Counts a post from `visitor` without a solved challenge; 429 over the
/// stricter limit of such posts.
pub(crate) async fn post_unsolved<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    visitor: &str,
) -> Result<(), Failure> {
    let (start, expires) = hour(app.clock.now());
    let unsolved = app
        .store
        .count_post(&format!("unsolved#{visitor}"), start, expires)
        .await
        .map_err(Failure::unavailable)?;
    if unsolved > app.config.rate_limit_unsolved_per_hour {
        tracing::warn!(unsolved, "rate limit without a challenge reached");
        return Err(too_many_posts());
    }
    Ok(())
}

fn too_many_posts() -> Failure {
    too_many(
        "U heeft te veel formulieren verstuurd",
        &["Probeer het over een uur opnieuw, of mail naar het secretariaat."],
    )
}

/// Counts a page the function shows to `visitor`; 429 over the limit.
pub(crate) async fn page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    visitor: &str,
) -> Result<(), Failure> {
    let (start, expires) = hour(app.clock.now());
    let pages = app
        .store
        .count_post(&format!("page#{visitor}"), start, expires)
        .await
        .map_err(Failure::unavailable)?;
    if pages > app.config.rate_limit_pages_per_hour {
        tracing::warn!(pages, "page limit reached");
        return Err(too_many(
            "U heeft te veel pagina’s opgevraagd",
            &["Probeer het over een uur opnieuw, of mail naar het secretariaat."],
        ));
    }
    Ok(())
}

/// Counts one mail to `email`, an address typed into a form, and says
/// whether it may go: false once the address has had as many today as
/// the limit allows, whoever asked.
pub(crate) async fn may_mail<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    email: &str,
) -> Result<bool, Failure> {
    let (start, expires) = day(app.clock.now());
    let mails = app
        .store
        .count_post(&recipient_key(email), start, expires)
        .await
        .map_err(Failure::unavailable)?;
    let allowed = mails <= app.config.mails_per_address_per_day;
    if !allowed {
        tracing::warn!(mails, "mail limit of an address reached");
    }
    Ok(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn visitors_by_ipv4_address_and_ipv6_prefix() {
        assert_eq!(visitor_key("203.0.113.7"), "ip4#203.0.113.7");
        assert_eq!(visitor_key(" 203.0.113.7 "), "ip4#203.0.113.7");
        assert_eq!(visitor_key("203.0.113.8"), "ip4#203.0.113.8");
        let a = visitor_key("2001:db8:aa:bb:1:2:3:4");
        assert_eq!(a, "ip6#2001:db8:aa:bb::/64");
        // Another address in the same /64 is the same visitor ...
        assert_eq!(visitor_key("2001:db8:aa:bb:ffff::9"), a);
        assert_eq!(visitor_key("2001:DB8:AA:BB::1"), a);
        // ... the next /64 is not.
        assert_ne!(visitor_key("2001:db8:aa:bc::1"), a);
        assert_eq!(visitor_key("::ffff:203.0.113.7"), "ip4#203.0.113.7");
        assert_eq!(visitor_key("unknown"), "ip#unknown");
        assert_eq!(visitor_key(&"x y".repeat(100)).len(), "ip#".len() + 64);
    }

    #[test]
    fn recipients_by_mailbox() {
        assert_eq!(recipient_key("Jan@Voorbeeld.nl"), "to#jan@voorbeeld.nl");
        assert_eq!(recipient_key("jan+1@voorbeeld.nl"), "to#jan@voorbeeld.nl");
        assert_eq!(recipient_key("JAN+x+y@voorbeeld.nl"), "to#jan@voorbeeld.nl");
        assert_ne!(
            recipient_key("jan@voorbeeld.nl"),
            recipient_key("jan@voorbeeld.com")
        );
    }

    #[test]
    fn an_amsterdam_day_and_an_hour() {
        let at = |h, m| {
            Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0)
                .single()
                .expect("time")
        };
        // 23:30 UTC on 30 November is 00:30 on 1 December in Amsterdam.
        let (start, _) = day(at(23, 30));
        assert_eq!(start, at(23, 0));
        let (start, _) = day(at(22, 59));
        assert_eq!(
            start,
            Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0)
                .single()
                .expect("time")
        );
        let (start, expires) = hour(at(10, 42));
        assert_eq!((start, expires), (at(10, 0), at(12, 0)));
    }
}
