//! The address check in the function ([`cbt::address_check`] holds its
//! rules): the links in its mails, the page behind them, and the
//! confirmation that files the application once every address said yes.
//!
//! A link is 256 random bits, of which the store keeps only the SHA-256
//! hash (as for personal links); a new one is made for every mail, so its
//! secret exists only in that mail. `GET /aanvraag/adres/<secret>` shows
//! what was sent and a button; only the button's `POST` confirms: mail
//! programs and virus scanners open the links in a mail by themselves.

use bytes::Bytes;
use cbt::address_check::{AddressRole, Ask, Refusal};
use http::{Request, Response, StatusCode};

use crate::admission::admit;
use crate::cases::{is_token, token_hash};
use crate::drafts::file;
use crate::handler::App;
use crate::ports::{AddressLink, Draft, DraftContent, Files, Mailer, Store, StoreError};
use crate::responses::{html_response, see_other, Failure};

/// Where the links point: `/aanvraag/adres/<secret>`.
pub const PREFIX: &str = "/aanvraag/adres";

fn unknown_link() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "address_link_not_found",
        "Deze link werkt niet (meer)",
        &[
            "Controleer of u de hele link uit de e-mail heeft gebruikt. Een link werkt tot de termijn om te bevestigen voorbij is; daarna is de aanvraag verwijderd.",
            "Heeft u de aanvraag zelf verstuurd, vul haar dan opnieuw in.",
        ],
    )
}

fn gone(refusal: Refusal) -> Failure {
    Failure {
        paragraphs: vec![refusal.to_string()],
        ..Failure::new(
            StatusCode::GONE,
            "address_check_refused",
            "Bevestigen kan niet meer",
            &[],
        )
    }
}

/// A new link that confirms `role`'s address of the draft `draft`: its
/// secret is made here and given out once, the store keeps its hash.
pub(crate) async fn mint<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    draft: &Draft,
    role: AddressRole,
) -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Unavailable(format!("random: {e}")))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    app.store
        .put_address_link(&AddressLink {
            hash: token_hash(&secret),
            draft_id: draft.id.clone(),
            role,
            expires: draft.expires,
        })
        .await?;
    Ok(format!("{}{PREFIX}/{secret}", app.config.site_url))
}

/// The mail asking `role`'s address of `draft` to confirm, with a new
/// link; `None` when the draft cannot be asked (not sent, incomplete, or
/// its tariff unknown).
pub(crate) async fn mail<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    draft: &Draft,
    role: AddressRole,
    from: &cbt::mail::Address,
) -> Result<Option<cbt::mail::Message>, crate::outbox::OutboxError> {
    let (Some(check), DraftContent::Complete { application }) = (&draft.check, &draft.content)
    else {
        return Ok(None);
    };
    let Some(total) = app
        .rules
        .fees
        .tariff(&application.organisation.tariff)
        .map(|t| t.total)
    else {
        return Ok(None);
    };
    let link = mint(app, draft, role).await?;
    let ask = Ask {
        application,
        role,
        check,
        total,
        link: &link,
    };
    Ok(Some(cbt::address_check::mail(
        &app.rules,
        &app.templates,
        &ask,
        from,
    )?))
}

/// The draft and role a link's `secret` confirms; 404 for anything else.
async fn open<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    secret: &str,
) -> Result<(AddressLink, Option<Draft>), Failure> {
    if !is_token(secret) {
        return Err(unknown_link());
    }
    let now = app.clock.now();
    let link = app
        .store
        .address_link(&token_hash(secret), now)
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(unknown_link)?;
    let draft = app
        .store
        .get_draft(&link.draft_id, now)
        .await
        .map_err(Failure::unavailable)?;
    Ok((link, draft))
}

/// `GET /aanvraag/adres/<secret>`: what was sent, and the button; after
/// the confirmation, what happens next.
pub(crate) async fn page<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    secret: &str,
) -> Result<Response<Bytes>, Failure> {
    let (link, draft) = open(app, secret).await?;
    let reference = app
        .store
        .get_confirmed(&link.draft_id)
        .await
        .map_err(Failure::unavailable)?
        .map(|case| case.reference);
    let draft = draft.ok_or_else(unknown_link)?;
    let (Some(check), DraftContent::Complete { application }) = (&draft.check, &draft.content)
    else {
        return Err(unknown_link());
    };
    let two = check.roles.len() > 1;
    let action = format!("{PREFIX}/{secret}");
    // What the invoice will ask, its VAT by where the customer is.
    let total = cbt::invoice::due(&app.rules, application).map_or(0, |d| d.total.0);
    // Only what the sender could not word: the KvK number's digits, or
    // for an organisation abroad the country from the list (its own
    // registration number is free text, and this page is the CBT's).
    let organisation = &application.organisation;
    let registration = match &organisation.kvk {
        Some(kvk) => format!("KvK {kvk}"),
        None => {
            let country = cbt::countries::by_code(&organisation.country)
                .map_or(organisation.country.as_str(), |c| c.name);
            format!("gevestigd in {country}")
        }
    };
    let waiting = check.waiting(&draft.confirmed);
    let page = cbt::pages::AddressPage {
        action: &action,
        email: link.role.email(application).as_str(),
        role: cbt::pages::role_words(link.role, two),
        role_is_invoice: link.role == AddressRole::Invoice,
        two_addresses: two,
        sent: check.sent,
        until: check.until,
        registration: &registration,
        total,
        done: draft.confirmed.contains(&link.role),
        waiting_for_invoice: waiting.contains(&AddressRole::Invoice),
        reference: reference.as_deref(),
    };
    let html = cbt::pages::address_page(&app.rules, &app.templates, &page)
        .map_err(Failure::unavailable)?;
    Ok(crate::applicant::private(html_response(
        StatusCode::OK,
        html,
    )))
}

/// `POST /aanvraag/adres/<secret>`: the address confirms; the last one
/// files the application. Back to the page, which then says what follows.
pub(crate) async fn confirm<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    req: Request<Bytes>,
    secret: &str,
) -> Result<Response<Bytes>, Failure> {
    admit(app, req).await?;
    let back = see_other(&format!("{PREFIX}/{secret}"));
    let (link, draft) = open(app, secret).await?;
    if app
        .store
        .get_confirmed(&link.draft_id)
        .await
        .map_err(Failure::unavailable)?
        .is_some()
    {
        return Ok(back);
    }
    let draft = draft.ok_or_else(unknown_link)?;
    let Some(check) = &draft.check else {
        return Err(unknown_link());
    };
    let now = app.clock.now();
    check
        .confirm(link.role, &draft.confirmed, now)
        .map_err(gone)?;
    app.store
        .confirm_address(&draft.id, link.role, now, draft.expires)
        .await
        .map_err(Failure::unavailable)?;
    tracing::info!(role = link.role.key(), "an address confirmed");
    // Read again: the other address may have confirmed at the same moment,
    // and whichever of the two reads both files (filing twice files once).
    let draft = app
        .store
        .get_draft(&draft.id, now)
        .await
        .map_err(Failure::unavailable)?
        .ok_or_else(unknown_link)?;
    let complete = draft
        .check
        .as_ref()
        .is_some_and(|c| c.waiting(&draft.confirmed).is_empty());
    if complete {
        file(app, draft).await?;
    }
    Ok(back)
}
