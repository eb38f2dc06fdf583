//! Who is signed in to the workspace: sign-in links by mail (single use,
//! 15 minutes, only their hash kept), sessions in a `__Host-` cookie
//! (`HttpOnly`, `Secure`, `SameSite=Strict`; idle 2 hours, at most 12;
//! a fresh id at every sign-in, so no fixation), a CSRF token per session
//! in every form, and the audit log of sign-ins and failed ones.

use bytes::Bytes;
use cbt::case::Actor;
use cbt::validate::Posted;
use cbt::workspace::{Chrome, SignIn, PREFIX};
use chrono::{DateTime, Duration, Utc};
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};

use crate::cases::{is_token, token_hash};
use crate::handler::App;
use crate::ports::{
    AuditEntry, Files, Mailer, Session, SignInLink, StaffList, StaffMember, StaffRole, Store,
    StoreError,
};
use crate::responses::{see_other, Failure, Fault};

/// The session cookie. `__Host-`: only from this host, over HTTPS, for
/// the whole site, so no other subdomain can set or read it.
pub const COOKIE: &str = "__Host-cbt_sessie";
/// A sign-in link works this long.
pub const LINK_MINUTES: i64 = 15;
/// A session ends after this long unused.
pub const IDLE_HOURS: i64 = 2;
/// A session ends this long after it started, used or not.
pub const ABSOLUTE_HOURS: i64 = 12;
/// Sign-in links a member may ask for in an hour: enough for a mistyped
/// attempt, too few to fill a mailbox.
pub const LINKS_PER_HOUR: u32 = 5;
/// `last_seen` is written at most this often: reading a page need not
/// write to the store each time.
const TOUCH_MINUTES: i64 = 5;

/// A member with a live session.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// Who.
    pub member: StaffMember,
    /// Their session.
    pub session: Session,
}

impl SignedIn {
    /// The member as the case's history names them.
    pub fn actor(&self) -> Actor {
        let name = self.member.name.clone();
        match self.member.role {
            StaffRole::Secretariaat => Actor::Secretariat { name },
            StaffRole::Commissie => Actor::Commission { name },
        }
    }

    /// May take every action and manage the staff list.
    pub fn is_secretariat(&self) -> bool {
        self.member.role == StaffRole::Secretariaat
    }

    /// What every page shows of them.
    pub fn chrome(&self, section: &'static str) -> Chrome {
        Chrome {
            name: self.member.name.clone(),
            role: self.member.role.label(),
            secretariat: self.is_secretariat(),
            csrf: self.session.csrf.clone(),
            section,
        }
    }
}

/// 256 random bits as hex.
pub(crate) fn secret() -> Result<String, Failure> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Failure::unavailable(Fault::Random(e.to_string())))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The staff list, with the configured first secretariat member on it
/// whatever the stored list says: the workspace can never lock everyone
/// out.
pub(crate) async fn staff<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
) -> Result<StaffList, StoreError> {
    let mut list = app.store.staff().await?;
    if let Some(admin) = &app.config.staff_admin {
        if list.member(admin).is_none() {
            list.members.insert(
                0,
                StaffMember {
                    email: admin.clone(),
                    name: app.rules.site.secretariat.name.clone(),
                    role: StaffRole::Secretariaat,
                    added: DateTime::<Utc>::UNIX_EPOCH,
                },
            );
        }
    }
    Ok(list)
}

/// Writes a line to the audit log. A failure to log fails the request:
/// an action that cannot be accounted for does not happen unnoticed.
pub(crate) async fn audit<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    who: &str,
    what: String,
) -> Result<(), Failure> {
    let who: String = who.chars().take(254).collect();
    tracing::info!(what = %what, "workspace");
    app.store
        .audit(&AuditEntry {
            at: app.clock.now(),
            who,
            what,
        })
        .await
        .map_err(Failure::unavailable)
}

/// The session cookie's value in `headers`.
fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| is_token(v))
}

/// The member signed in by the request's cookie, if the session lives and
/// they are still on the staff list. Keeps the session alive.
pub(crate) async fn current<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, Failure> {
    let Some(value) = cookie_value(headers) else {
        return Ok(None);
    };
    let now = app.clock.now();
    let hash = token_hash(&value);
    let Some(mut session) = app
        .store
        .session(&hash, now)
        .await
        .map_err(Failure::unavailable)?
    else {
        return Ok(None);
    };
    if now >= session.last_seen + Duration::hours(IDLE_HOURS)
        || now >= session.created + Duration::hours(ABSOLUTE_HOURS)
    {
        app.store
            .end_session(&hash)
            .await
            .map_err(Failure::unavailable)?;
        return Ok(None);
    }
    let list = staff(app).await.map_err(Failure::unavailable)?;
    // A member taken off the list is out at once.
    let Some(member) = list.member(&session.email).cloned() else {
        app.store
            .end_session(&hash)
            .await
            .map_err(Failure::unavailable)?;
        return Ok(None);
    };
    if now - session.last_seen >= Duration::minutes(TOUCH_MINUTES) {
        session.last_seen = now;
        session.expires = ends(session.created, now);
        app.store
            .put_session(&session)
            .await
            .map_err(Failure::unavailable)?;
    }
    Ok(Some(SignedIn { member, session }))
}

/// When a session started at `created` and last used at `seen` ends.
fn ends(created: DateTime<Utc>, seen: DateTime<Utc>) -> DateTime<Utc> {
    (seen + Duration::hours(IDLE_HOURS)).min(created + Duration::hours(ABSOLUTE_HOURS))
}

/// 403: a form without this session's token (an old tab after signing in
/// again, or another site's form).
fn stale_form() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "csrf",
        "Dit formulier is verlopen",
        &["Open de pagina opnieuw en probeer het nog een keer. Er is niets gewijzigd."],
    )
}

/// Whether `posted` carries the session's CSRF token.
pub(crate) fn check_csrf(signed_in: &SignedIn, posted: &Posted) -> Result<(), Failure> {
    let given = posted.get("csrf").unwrap_or_default().as_bytes();
    let expected = signed_in.session.csrf.as_bytes();
    let same = given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(stale_form())
    }
}

fn set_cookie(response: &mut Response<Bytes>, value: &str) {
    let cookie = format!("{COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict");
    let cookie = if value.is_empty() {
        format!("{cookie}; Max-Age=0")
    } else {
        cookie
    };
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `POST /beheer/aanmelden`: a link to a member's address. The answer is
/// the same for any address, so the form tells nobody who is on the list.
pub(crate) async fn request_link<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let same_answer = see_other(&format!("{PREFIX}/aanmelden?verstuurd=1"));
    if posted.get("website").is_some_and(|v| !v.trim().is_empty()) {
        return Ok(same_answer);
    }
    let typed = posted.get("email").unwrap_or_default().trim().to_string();
    let Ok(email) = cbt::formats::Email::parse(&typed) else {
        return Ok(same_answer);
    };
    let list = staff(app).await.map_err(Failure::unavailable)?;
    let Some(member) = list.member(email.as_str()).cloned() else {
        audit(
            app,
            &typed,
            "Aanmeldlink gevraagd voor een adres dat niet op de lijst staat".into(),
        )
        .await?;
        return Ok(same_answer);
    };
    let (start, expires) = crate::limits::hour(app.clock.now());
    let asked = app
        .store
        .count_post(&format!("signin#{}", member.email), start, expires)
        .await
        .map_err(Failure::unavailable)?;
    if asked > app.config.sign_in_links_per_hour {
        audit(
            app,
            &member.email,
            "Aanmeldlink niet verstuurd: te veel aanvragen in een uur".into(),
        )
        .await?;
        return Ok(same_answer);
    }
    let secret = secret()?;
    let now = app.clock.now();
    let expires = now + Duration::minutes(LINK_MINUTES);
    app.store
        .put_sign_in(&SignInLink {
            hash: token_hash(&secret),
            email: member.email.clone(),
            expires,
        })
        .await
        .map_err(Failure::unavailable)?;
    let link = format!("{}{PREFIX}/aanmelden/{secret}", app.config.site_url);
    let from = cbt::mail::Address::new(&app.config.mail_from, Some(&app.rules.site.short_title))
        .map_err(|e| Failure::unavailable(Fault::Mail(e.to_string())))?;
    let to = cbt::formats::Email::parse(&member.email).map_err(|_| {
        Failure::unavailable(Fault::Mail(format!("{} is geen adres", member.email)))
    })?;
    let message = cbt::workspace::sign_in_mail(
        &app.rules,
        &app.templates,
        &SignIn {
            to: &to,
            name: &member.name,
            link: &link,
            minutes: LINK_MINUTES,
            expires,
        },
        &from,
    )
    .map_err(|e| Failure::unavailable(Fault::Mail(e.to_string())))?;
    app.mailer
        .send(&message)
        .await
        .map_err(|e| Failure::unavailable(Fault::Mail(e.to_string())))?;
    audit(app, &member.email, "Aanmeldlink verstuurd".into()).await?;
    Ok(same_answer)
}

fn dead_link() -> Failure {
    Failure::new(
        StatusCode::GONE,
        "sign_in_link_invalid",
        "Deze aanmeldlink werkt niet (meer)",
        &[
            "Een aanmeldlink werkt één keer, en 15 minuten lang.",
            "Vraag een nieuwe aan op /beheer/aanmelden.",
        ],
    )
}

/// `POST /beheer/aanmelden/<secret>`: uses up the link and starts a new
/// session.
pub(crate) async fn use_link<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    secret: &str,
) -> Result<Response<Bytes>, Failure> {
    let now = app.clock.now();
    let taken = if is_token(secret) {
        app.store
            .take_sign_in(&token_hash(secret), now)
            .await
            .map_err(Failure::unavailable)?
    } else {
        None
    };
    let Some(link) = taken else {
        audit(
            app,
            "onbekend",
            "Mislukte aanmelding: de link is onbekend, al gebruikt of verlopen".into(),
        )
        .await?;
        return Err(dead_link());
    };
    let list = staff(app).await.map_err(Failure::unavailable)?;
    let Some(member) = list.member(&link.email) else {
        audit(
            app,
            &link.email,
            "Mislukte aanmelding: het adres staat niet meer op de lijst".into(),
        )
        .await?;
        return Err(dead_link());
    };
    let member = member.clone();
    let mut response = see_other(&format!("{PREFIX}/"));
    start_session(app, &member, "Aangemeld", &mut response).await?;
    Ok(response)
}

/// Starts a new session for `member` (a fresh id: no fixation), logs
/// `how`, and sets its cookie on `response`.
pub(crate) async fn start_session<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    member: &StaffMember,
    how: &str,
    response: &mut Response<Bytes>,
) -> Result<(), Failure> {
    let now = app.clock.now();
    let value = secret()?;
    let session = Session {
        hash: token_hash(&value),
        email: member.email.clone(),
        csrf: secret()?,
        created: now,
        last_seen: now,
        expires: ends(now, now),
    };
    app.store
        .put_session(&session)
        .await
        .map_err(Failure::unavailable)?;
    audit(app, &member.email, how.to_string()).await?;
    set_cookie(response, &value);
    Ok(())
}

/// `POST /beheer/afmelden`: ends the session in the store, and the cookie.
pub(crate) async fn sign_out<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
) -> Result<Response<Bytes>, Failure> {
    app.store
        .end_session(&signed_in.session.hash)
        .await
        .map_err(Failure::unavailable)?;
    audit(app, &signed_in.member.email, "Afgemeld".into()).await?;
    let mut response = see_other(&format!("{PREFIX}/aanmelden?afgemeld=1"));
    set_cookie(&mut response, "");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let value = "ab".repeat(32);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=1; {COOKIE}={value}; b=2")).expect("header"),
        );
        assert_eq!(cookie_value(&headers), Some(value));
        let mut forged = HeaderMap::new();
        forged.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-cbt_sessie=../../etc"),
        );
        assert_eq!(cookie_value(&forged), None);
    }

    #[test]
    fn a_session_ends_idle_or_at_twelve_hours() {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(ends(start, start), start + Duration::hours(2));
        let late = start + Duration::hours(11);
        assert_eq!(ends(start, late), start + Duration::hours(12));
    }
}
