//! The staff list (who may sign in, and as what) and the audit log. Only
//! the secretariat manages the list; the commission reads cases and adds
//! notes. The list is saved at the version it was read at, so two people
//! changing it at once lose nothing silently.

use bytes::Bytes;
use cbt::pages::Notice;
use cbt::validate::Posted;
use http::{Response, StatusCode};
use serde::Serialize;

use super::auth::{audit, staff, SignedIn};
use super::PREFIX;
use crate::handler::App;
use crate::ports::{Files, Mailer, StaffMember, StaffRole, Store, StoreError};
use crate::responses::{html_response, see_other, Failure};

/// Lines of the audit log a page shows.
const LOG_LINES: usize = 500;

fn secretariat_only() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "secretariat_only",
        "Dit is voor het secretariaat",
        &["Leden van de commissie lezen de aanvragen en voegen notities toe. Vraag het secretariaat om deze wijziging."],
    )
}

#[derive(Serialize)]
struct MemberRow {
    email: String,
    name: String,
    role: &'static str,
    /// The configured first member, or you: cannot be removed here.
    fixed: bool,
}

#[derive(Serialize)]
struct StaffPage {
    members: Vec<MemberRow>,
    version: u32,
    notice: Option<Notice>,
}

/// `GET /beheer/medewerkers`.
pub(crate) async fn page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    notice: Option<Notice>,
) -> Result<Response<Bytes>, Failure> {
    if !signed_in.is_secretariat() {
        return Err(secretariat_only());
    }
    let list = staff(app).await.map_err(Failure::unavailable)?;
    let status = match &notice {
        Some(n) if n.error => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let data = StaffPage {
        members: list
            .members
            .iter()
            .map(|m| MemberRow {
                email: m.email.clone(),
                name: m.name.clone(),
                role: m.role.label(),
                fixed: is_fixed(app, signed_in, m),
            })
            .collect(),
        version: list.version,
        notice,
    };
    let page = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "medewerkers.html",
        "Medewerkers",
        Some(&signed_in.chrome("medewerkers")),
        &data,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(status, page))
}

fn is_fixed<S, M, F>(app: &App<S, M, F>, signed_in: &SignedIn, m: &StaffMember) -> bool {
    m.email == signed_in.member.email
        || app
            .config
            .staff_admin
            .as_deref()
            .is_some_and(|a| a == m.email)
}

fn refused(text: &str) -> Option<Notice> {
    Some(Notice {
        text: text.to_string(),
        error: true,
    })
}

/// `POST /beheer/medewerkers`: `doe` = `toevoegen` (email, naam, rol),
/// `rol` (email, rol) or `verwijderen` (email), at `versie`.
pub(crate) async fn change<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    if !signed_in.is_secretariat() {
        audit(
            app,
            &signed_in.member.email,
            "Geweigerd: de medewerkerslijst wijzigen (alleen voor het secretariaat)".into(),
        )
        .await?;
        return Err(secretariat_only());
    }
    let mut list = staff(app).await.map_err(Failure::unavailable)?;
    let read_at: Option<u32> = posted.get("versie").and_then(|v| v.parse().ok());
    if read_at != Some(list.version) {
        return page(
            app,
            signed_in,
            refused("De lijst is intussen gewijzigd; hieronder ziet u hoe zij er nu uitziet. Probeer het opnieuw."),
        )
        .await;
    }
    let Ok(email) = cbt::formats::Email::parse(posted.get("email").unwrap_or_default()) else {
        return page(app, signed_in, refused("Vul een geldig e-mailadres in.")).await;
    };
    let email = email.as_str().to_lowercase();
    let role = posted.get("rol").and_then(StaffRole::from_label);
    let what = match posted.get("doe") {
        Some("toevoegen") => {
            let name = cbt::formats::clean_text(posted.get("naam").unwrap_or_default());
            let name = cbt::mail::header_text(&name);
            let (Some(role), false) = (role, name.is_empty()) else {
                return page(app, signed_in, refused("Vul de naam in en kies de rol.")).await;
            };
            if list.member(&email).is_some() {
                return page(app, signed_in, refused("Dit adres staat al op de lijst.")).await;
            }
            list.members.push(StaffMember {
                email: email.clone(),
                name: name.clone(),
                role,
                added: app.clock.now(),
            });
            format!("Medewerker toegevoegd: {name} <{email}>, {}", role.label())
        }
        Some("rol") => {
            let Some(role) = role else {
                return page(app, signed_in, refused("Kies de rol.")).await;
            };
            let fixed = list
                .member(&email)
                .is_some_and(|m| is_fixed(app, signed_in, m));
            let Some(member) = list
                .members
                .iter_mut()
                .find(|m| m.email.eq_ignore_ascii_case(&email))
            else {
                return page(app, signed_in, refused("Dit adres staat niet op de lijst.")).await;
            };
            if fixed {
                return page(app, signed_in, refused("Uw eigen rol en die van het eerste adres van het secretariaat wijzigt u hier niet.")).await;
            }
            member.role = role;
            format!("Rol gewijzigd: {email} is nu {}", role.label())
        }
        Some("verwijderen") => {
            if list
                .member(&email)
                .is_some_and(|m| is_fixed(app, signed_in, m))
            {
                return page(
                    app,
                    signed_in,
                    refused(
                        "Uzelf en het eerste adres van het secretariaat verwijdert u hier niet.",
                    ),
                )
                .await;
            }
            let before = list.members.len();
            list.members
                .retain(|m| !m.email.eq_ignore_ascii_case(&email));
            if list.members.len() == before {
                return page(app, signed_in, refused("Dit adres staat niet op de lijst.")).await;
            }
            format!("Medewerker verwijderd: {email}")
        }
        _ => return page(app, signed_in, refused("Kies wat u wilt wijzigen.")).await,
    };
    // The configured member is added on reading; it is not stored.
    if let Some(admin) = &app.config.staff_admin {
        let stored = app.store.staff().await.map_err(Failure::unavailable)?;
        if stored.member(admin).is_none() {
            list.members
                .retain(|m| !m.email.eq_ignore_ascii_case(admin));
        }
    }
    list.version += 1;
    match app.store.save_staff(&list).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return page(
                app,
                signed_in,
                refused("De lijst is intussen gewijzigd; hieronder ziet u hoe zij er nu uitziet. Probeer het opnieuw."),
            )
            .await
        }
        Err(e) => return Err(Failure::unavailable(e)),
    }
    audit(app, &signed_in.member.email, what).await?;
    Ok(see_other(&format!("{PREFIX}/medewerkers")))
}

#[derive(Serialize)]
struct LogRow {
    at: String,
    who: String,
    what: String,
}

/// `GET /beheer/logboek`: the latest lines of the audit log.
pub(crate) async fn log<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
) -> Result<Response<Bytes>, Failure> {
    if !signed_in.is_secretariat() {
        return Err(secretariat_only());
    }
    let lines: Vec<LogRow> = app
        .store
        .audit_log(LOG_LINES)
        .await
        .map_err(Failure::unavailable)?
        .into_iter()
        .map(|e| LogRow {
            at: format!(
                "{} om {}",
                cbt::dates::dutch_date(cbt::dates::local_date(e.at)),
                cbt::dates::local_time(e.at)
            ),
            who: e.who,
            what: e.what,
        })
        .collect();
    let page = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "logboek.html",
        "Logboek",
        Some(&signed_in.chrome("logboek")),
        &lines,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, page))
}
