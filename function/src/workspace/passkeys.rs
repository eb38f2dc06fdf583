//! Passkeys (WebAuthn, through webauthn-rs): after signing in with a
//! link, a member may register a passkey on "Passkeys" and from then on
//! sign in with it instead of waiting for a mail.
//!
//! - The ceremony's state stays here ([`crate::ports::Ceremony`]: single
//!   use, 5 minutes, only the hash of its id kept); the browser holds the
//!   id only, so it cannot replay or alter the state.
//! - The member's WebAuthn user handle is a UUID made from their address
//!   ([`user_handle`]), so no extra record links the two.
//! - Signing in starts with the address, and the answer has the same form
//!   for an address without passkeys or not on the list (a made-up
//!   credential the browser will not find), as the link form answers the
//!   same for any address.
//! - The relying party is the origin the request came from, after the
//!   admission checked it against `ALLOWED_ORIGINS` (one origin in AWS;
//!   `serve` also allows `http://localhost:<port>`, because browsers
//!   refuse an IP address such as 127.0.0.1 as a passkey's domain).
//! - Every registration, removal, sign-in and failed sign-in goes to the
//!   audit log.
//!
//! Registering and using a passkey needs JavaScript (`assets/passkey.js`,
//! the WebAuthn API exists only there); the link keeps working without.

use bytes::Bytes;
use cbt::pages::Notice;
use cbt::validate::Posted;
use chrono::Duration;
use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::auth::{audit, secret, staff, start_session, SignedIn};
use crate::cases::{is_token, token_hash};
use crate::handler::App;
use crate::ports::{Ceremony, Files, Mailer, PasskeyRecord, Store};
use crate::responses::{html_response, json_response, see_other, Failure, Fault};

/// A ceremony must be finished within this many minutes.
pub const CEREMONY_MINUTES: i64 = 5;
/// The longest name a member may give a passkey.
const LABEL_CHARS: usize = 60;

/// The WebAuthn user handle of the member with `email`: the first 16
/// bytes of a SHA-256 of the address, so that it is stable, reveals
/// nothing, and needs no record of its own.
pub fn user_handle(email: &str) -> Uuid {
    let digest = Sha256::digest(format!("cbt-beheer-passkey:{}", email.to_lowercase()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    Uuid::from_bytes(bytes)
}

fn refused(status: StatusCode, code: &'static str, title: &'static str) -> Failure {
    Failure::new(status, code, title, &[])
}

/// The relying party for the request's origin (already admitted), and
/// its id (the origin's host).
fn relying_party<S, M, F>(
    app: &App<S, M, F>,
    headers: &HeaderMap,
) -> Result<(Webauthn, String), Failure> {
    let origin = headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| app.config.allowed_origins.iter().any(|a| a == o))
        .and_then(|o| Url::parse(o).ok());
    let unusable = || {
        refused(
            StatusCode::FORBIDDEN,
            "passkey_origin",
            "Passkeys werken alleen op het adres van de website",
        )
    };
    let origin = origin.ok_or_else(unusable)?;
    let rp_id = origin.host_str().ok_or_else(unusable)?.to_string();
    let webauthn = WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name(&app.rules.site.title).build())
        .map_err(|_| unusable())?;
    Ok((webauthn, rp_id))
}

fn webauthn_fault(e: impl std::fmt::Display) -> Failure {
    Failure::unavailable(Fault::Random(format!("webauthn: {e}")))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value).map_err(webauthn_fault)
}

/// Keeps a new ceremony and returns the id the browser gets.
async fn keep_ceremony<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    email: &str,
    state: String,
) -> Result<String, Failure> {
    let id = secret()?;
    app.store
        .put_ceremony(&Ceremony {
            hash: token_hash(&id),
            email: email.to_string(),
            state,
            expires: app.clock.now() + Duration::minutes(CEREMONY_MINUTES),
        })
        .await
        .map_err(Failure::unavailable)?;
    Ok(id)
}

/// The ceremony the post names, used up.
async fn take_ceremony<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    posted: &Posted,
) -> Result<Option<Ceremony>, Failure> {
    let id = posted.get("ceremonie").unwrap_or_default();
    if !is_token(id) {
        return Ok(None);
    }
    app.store
        .take_ceremony(&token_hash(id), app.clock.now())
        .await
        .map_err(Failure::unavailable)
}

/// One passkey as "Passkeys" lists it.
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    label: String,
    created: String,
    last_used: Option<String>,
}

#[derive(Debug, Serialize)]
struct PasskeysPage {
    notice: Option<Notice>,
    passkeys: Vec<Row>,
}

/// `GET /beheer/passkeys`: the member's own passkeys.
pub(crate) async fn page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    query: &str,
) -> Result<Response<Bytes>, Failure> {
    let notice = if crate::drafts::query_value(query, "toegevoegd").is_some() {
        Some("De passkey is toegevoegd. U kunt zich er voortaan mee aanmelden.")
    } else if crate::drafts::query_value(query, "verwijderd").is_some() {
        Some("De passkey is verwijderd.")
    } else {
        None
    };
    let kept = app
        .store
        .passkeys(&user_handle(&signed_in.member.email).to_string())
        .await
        .map_err(Failure::unavailable)?;
    let data = PasskeysPage {
        notice: notice.map(|text| Notice {
            text: text.into(),
            error: false,
        }),
        passkeys: kept
            .into_iter()
            .map(|p| Row {
                id: p.id,
                label: p.label,
                created: cbt::dates::dutch_date(cbt::dates::local_date(p.created)),
                last_used: p
                    .last_used
                    .map(|at| cbt::dates::dutch_date(cbt::dates::local_date(at))),
            })
            .collect(),
    };
    let html = cbt::workspace::page(
        &app.rules,
        &app.templates,
        "passkeys.html",
        "Passkeys",
        Some(&signed_in.chrome("passkeys")),
        &data,
    )
    .map_err(Failure::unavailable)?;
    Ok(html_response(StatusCode::OK, html))
}

/// `POST /beheer/passkeys/begin`: the options for the browser to make a
/// passkey with, for the signed-in member.
pub(crate) async fn begin_registration<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    headers: &HeaderMap,
    signed_in: &SignedIn,
) -> Result<Response<Bytes>, Failure> {
    let (webauthn, _) = relying_party(app, headers)?;
    let email = &signed_in.member.email;
    let user = user_handle(email);
    let kept = app
        .store
        .passkeys(&user.to_string())
        .await
        .map_err(Failure::unavailable)?;
    // The same authenticator twice is refused by the browser itself.
    let exclude = kept
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.credential).ok())
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, state) = webauthn
        .start_passkey_registration(user, email, &signed_in.member.name, Some(exclude))
        .map_err(webauthn_fault)?;
    let ceremony = keep_ceremony(app, email, to_json(&state)?).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "ceremonie": ceremony, "opties": options }),
    ))
}

/// `POST /beheer/passkeys/registreren`: the browser's new credential
/// checked against the ceremony, and kept.
pub(crate) async fn finish_registration<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let (webauthn, _) = relying_party(app, headers)?;
    let email = &signed_in.member.email;
    let expired = || {
        refused(
            StatusCode::GONE,
            "passkey_ceremony",
            "Het toevoegen duurde te lang of is al afgerond. Probeer het opnieuw.",
        )
    };
    let ceremony = take_ceremony(app, posted)
        .await?
        .filter(|c| &c.email == email)
        .ok_or_else(expired)?;
    let state: PasskeyRegistration =
        serde_json::from_str(&ceremony.state).map_err(|_| expired())?;
    // For people the title; for programs why, as the library says it.
    let unreadable = |why: String| Failure {
        errors: vec![cbt::validate::FieldError {
            field: "credential".into(),
            code: "invalid",
            message: format!("Het antwoord van de browser is afgewezen: {why}"),
        }],
        ..refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "passkey_refused",
            "De passkey kon niet worden toegevoegd. Probeer het opnieuw.",
        )
    };
    let credential: RegisterPublicKeyCredential =
        serde_json::from_str(posted.get("credential").unwrap_or_default())
            .map_err(|e| unreadable(e.to_string()))?;
    let passkey = webauthn
        .finish_passkey_registration(&credential, &state)
        .map_err(|e| {
            tracing::info!(error = %e, "a passkey registration was refused");
            unreadable(e.to_string())
        })?;
    let label: String = posted
        .get("naam")
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(LABEL_CHARS)
        .collect();
    let label = if label.is_empty() {
        "Passkey".to_string()
    } else {
        label
    };
    let id = {
        use base64::Engine as _;
        let bytes: &[u8] = passkey.cred_id().as_ref();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    app.store
        .put_passkey(&PasskeyRecord {
            user: user_handle(email).to_string(),
            id,
            email: email.clone(),
            label: label.clone(),
            created: app.clock.now(),
            last_used: None,
            credential: to_json(&passkey)?,
        })
        .await
        .map_err(Failure::unavailable)?;
    audit(app, email, format!("Passkey toegevoegd: {label}")).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "naar": format!("{}/passkeys?toegevoegd=1", cbt::workspace::PREFIX) }),
    ))
}

/// `POST /beheer/passkeys/verwijderen`: one of the member's own passkeys
/// removed.
pub(crate) async fn remove<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let email = &signed_in.member.email;
    let user = user_handle(email).to_string();
    let id = posted.get("id").unwrap_or_default();
    let kept = app
        .store
        .passkeys(&user)
        .await
        .map_err(Failure::unavailable)?;
    let Some(passkey) = kept.into_iter().find(|p| p.id == id) else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "passkey_unknown",
            "Deze passkey bestaat niet (meer)",
            &["Open de pagina Passkeys opnieuw."],
        ));
    };
    app.store
        .delete_passkey(&user, &passkey.id)
        .await
        .map_err(Failure::unavailable)?;
    audit(app, email, format!("Passkey verwijderd: {}", passkey.label)).await?;
    Ok(see_other(&format!(
        "{}/passkeys?verwijderd=1",
        cbt::workspace::PREFIX
    )))
}

/// `POST /beheer/aanmelden/passkey/begin`: the options for the browser to
/// sign in with one of the passkeys of the address given.
pub(crate) async fn begin_sign_in<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    headers: &HeaderMap,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let (webauthn, rp_id) = relying_party(app, headers)?;
    let email = posted
        .get("email")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let list = staff(app).await.map_err(Failure::unavailable)?;
    let passkeys: Vec<Passkey> = if list.member(&email).is_some() {
        app.store
            .passkeys(&user_handle(&email).to_string())
            .await
            .map_err(Failure::unavailable)?
            .iter()
            .filter_map(|p| serde_json::from_str(&p.credential).ok())
            .collect()
    } else {
        Vec::new()
    };
    let (options, state) = if passkeys.is_empty() {
        // The same form of answer, with a credential no authenticator
        // has: the browser says it found no passkey, as it does for a
        // member whose passkey is on another device.
        (decoy(&rp_id, &email)?, String::new())
    } else {
        let (options, state) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(webauthn_fault)?;
        (
            serde_json::to_value(options).map_err(webauthn_fault)?,
            to_json(&state)?,
        )
    };
    let ceremony = keep_ceremony(app, &email, state).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "ceremonie": ceremony, "opties": options }),
    ))
}

/// Sign-in options for an address without passkeys: a fresh challenge,
/// and a credential id made from the address (the same each time, as a
/// real one would be).
fn decoy(rp_id: &str, email: &str) -> Result<serde_json::Value, Failure> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut challenge = [0u8; 32];
    getrandom::fill(&mut challenge)
        .map_err(|e| Failure::unavailable(Fault::Random(e.to_string())))?;
    let id = Sha256::digest(format!("cbt-beheer-geen-passkey:{email}"));
    Ok(json!({
        "publicKey": {
            "challenge": b64.encode(challenge),
            "timeout": 300_000,
            "rpId": rp_id,
            "allowCredentials": [{ "type": "public-key", "id": b64.encode(id) }],
            "userVerification": "required"
        },
        "mediation": null
    }))
}

/// Logs a failed sign-in of `email` and says so.
async fn failed<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    email: &str,
    why: &str,
) -> Result<Response<Bytes>, Failure> {
    audit(
        app,
        email,
        format!("Mislukte aanmelding met een passkey: {why}"),
    )
    .await?;
    Err(failed_sign_in())
}

fn failed_sign_in() -> Failure {
    refused(
        StatusCode::FORBIDDEN,
        "passkey_sign_in_failed",
        "Aanmelden met deze passkey lukte niet. Probeer het opnieuw of vraag een aanmeldlink aan.",
    )
}

/// `POST /beheer/aanmelden/passkey`: the browser's signature checked
/// against the ceremony; a new session, as a link starts one.
pub(crate) async fn finish_sign_in<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    headers: &HeaderMap,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let (webauthn, _) = relying_party(app, headers)?;
    let Some(ceremony) = take_ceremony(app, posted).await? else {
        audit(
            app,
            "onbekend",
            "Mislukte aanmelding met een passkey: verlopen of al gebruikt".into(),
        )
        .await?;
        return Err(failed_sign_in());
    };
    let email = ceremony.email.as_str();
    let Ok(state) = serde_json::from_str::<PasskeyAuthentication>(&ceremony.state) else {
        return failed(app, email, "geen passkey bekend voor dit adres").await;
    };
    let Ok(credential) =
        serde_json::from_str::<PublicKeyCredential>(posted.get("credential").unwrap_or_default())
    else {
        return failed(app, email, "het antwoord van de browser is onleesbaar").await;
    };
    let result = match webauthn.finish_passkey_authentication(&credential, &state) {
        Ok(result) => result,
        Err(e) => {
            tracing::info!(error = %e, "a passkey sign-in was refused");
            return failed(app, email, "de handtekening klopt niet").await;
        }
    };
    let user = user_handle(&ceremony.email).to_string();
    let kept = app
        .store
        .passkeys(&user)
        .await
        .map_err(Failure::unavailable)?;
    let found = kept.into_iter().find_map(|record| {
        let passkey: Passkey = serde_json::from_str(&record.credential).ok()?;
        (passkey.cred_id() == result.cred_id()).then_some((record, passkey))
    });
    let Some((mut record, mut passkey)) = found else {
        return failed(app, email, "de passkey is verwijderd").await;
    };
    let list = staff(app).await.map_err(Failure::unavailable)?;
    let Some(member) = list.member(&ceremony.email).cloned() else {
        return failed(app, email, "het adres staat niet meer op de lijst").await;
    };
    // The counter moves on, so a cloned authenticator shows.
    passkey.update_credential(&result);
    record.credential = to_json(&passkey)?;
    record.last_used = Some(app.clock.now());
    app.store
        .put_passkey(&record)
        .await
        .map_err(Failure::unavailable)?;
    let mut response = json_response(
        StatusCode::OK,
        &json!({ "naar": format!("{}/", cbt::workspace::PREFIX) }),
    );
    start_session(
        app,
        &member,
        &format!("Aangemeld met passkey {}", record.label),
        &mut response,
    )
    .await?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_members_handle_is_stable_and_their_own() {
        assert_eq!(user_handle("a@voorbeeld.nl"), user_handle("A@Voorbeeld.nl"));
        assert_ne!(user_handle("a@voorbeeld.nl"), user_handle("b@voorbeeld.nl"));
    }
}
