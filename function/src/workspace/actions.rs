//! The workspace's actions on a case: each form's values read into a
//! [`cbt::case::Action`], taken through [`crate::cases::act_on`] as the
//! signed-in member. What the rules refuse comes back on the case's page,
//! in their words, with what was typed.

use std::collections::BTreeMap;

use bytes::Bytes;
use cbt::case::{Action, Outcome, Refusal};
use cbt::pages::Notice;
use cbt::validate::Posted;
use cbt::Cents;
use chrono::NaiveDate;
use http::{header, HeaderValue, Response, StatusCode};

use super::auth::SignedIn;
use super::{case_page_with, PREFIX};
use crate::cases::{act_on, ActError};
use crate::handler::App;
use crate::ports::{CaseRecord, Files, Mailer, Store};
use crate::responses::{see_other, Failure, Fault};
use crate::routes::StaffAction;

/// The most characters a text typed into an action may have.
const TEXT_MAX_CHARS: usize = 20_000;

/// A form value that is not what the action needs.
fn invalid(text: &str) -> Notice {
    Notice {
        text: text.to_string(),
        error: true,
    }
}

/// An amount as people type it: `4452,80`, `4.452,80`, `4452.80`, `€ 4452`.
pub(crate) fn parse_amount(typed: &str) -> Option<Cents> {
    let t: String = typed
        .trim()
        .trim_start_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // A comma is the decimal sign; dots before it group thousands.
    let normal = match t.rsplit_once(',') {
        Some((whole, frac)) => format!("{}.{frac}", whole.replace('.', "")),
        None => t,
    };
    let normal = match normal.split_once('.') {
        Some((w, f)) if f.len() == 1 => format!("{w}.{f}0"),
        _ => normal,
    };
    Cents::parse_euros(&normal).ok()
}

fn text(posted: &Posted, name: &str) -> Result<String, Notice> {
    let t = cbt::formats::clean_text(posted.get(name).unwrap_or_default());
    if t.chars().count() > TEXT_MAX_CHARS {
        return Err(invalid(
            "De tekst mag maximaal 20.000 tekens lang zijn. Zet een langere toelichting in een document.",
        ));
    }
    Ok(t)
}

fn date(posted: &Posted, name: &str, what: &str) -> Result<NaiveDate, Notice> {
    NaiveDate::parse_from_str(posted.get(name).unwrap_or_default().trim(), "%Y-%m-%d")
        .map_err(|_| invalid(&format!("Vul {what} in als datum (jjjj-mm-dd).")))
}

/// The action a form asks for, or why its values do not make one.
fn read(action: StaffAction, posted: &Posted) -> Result<(Action, &'static str), Notice> {
    Ok(match action {
        StaffAction::Payment => {
            let date = date(posted, "datum", "de datum van de betaling")?;
            let amount = parse_amount(posted.get("bedrag").unwrap_or_default())
                .ok_or_else(|| invalid("Vul het bedrag in euro's in, zoals 4452,80."))?;
            (
                Action::RegisterPayment {
                    date,
                    amount,
                    accept_difference: posted.get("afwijking") == Some("ja"),
                },
                "betaling",
            )
        }
        StaffAction::TakeIntoHandling => (Action::TakeIntoHandling, "behandeling"),
        StaffAction::Decline => (
            Action::Decline {
                reason: text(posted, "reden")?,
            },
            "weigeren",
        ),
        StaffAction::RequestCompletion => (
            Action::RequestCompletion {
                text: text(posted, "tekst")?,
            },
            "aanvulling",
        ),
        StaffAction::Advice | StaffAction::AdvicePreview => {
            let outcome = match posted.get("uitkomst") {
                Some("positief") => Outcome::Granted {
                    term_years: posted
                        .get("termijn")
                        .unwrap_or_default()
                        .trim()
                        .parse()
                        .ok()
                        .filter(|y| (1..=50).contains(y))
                        .ok_or_else(|| {
                            invalid("Vul de toegekende klanttermijn in hele jaren in.")
                        })?,
                    valid_until: date(posted, "geldig_tot", "de laatste dag dat het advies geldt")?,
                },
                Some("negatief") => Outcome::Refused,
                _ => return Err(invalid("Kies of het advies positief of negatief is.")),
            };
            (
                Action::RecordAdvice {
                    outcome,
                    motivation: text(posted, "motivering")?,
                },
                "advies",
            )
        }
        StaffAction::Withdraw => {
            if posted.get("bevestig") != Some("ja") {
                return Err(invalid(
                    "Vink aan dat u de aanvraag wilt intrekken; dat kan niet ongedaan worden gemaakt.",
                ));
            }
            (
                Action::Withdraw {
                    credit_note: posted.get("creditnota") == Some("ja"),
                },
                "intrekken",
            )
        }
        StaffAction::Note => (
            Action::AddNote {
                text: text(posted, "tekst")?,
            },
            "notitie",
        ),
    })
}

/// `POST /beheer/zaak/<reference>/<action>`.
pub(crate) async fn act<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    record: CaseRecord,
    action: StaffAction,
    posted: &Posted,
) -> Result<Response<Bytes>, Failure> {
    let typed: BTreeMap<String, String> = posted
        .fields
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let again = |notice: Notice, status: StatusCode, confirm: Option<String>| {
        let record = record.clone();
        let typed = typed.clone();
        async move {
            case_page_with(
                app,
                signed_in,
                &record,
                Some(notice),
                status,
                &typed,
                confirm,
            )
            .await
        }
    };
    let (decided, done) = match read(action, posted) {
        Ok(read) => read,
        Err(notice) => return again(notice, StatusCode::UNPROCESSABLE_ENTITY, None).await,
    };
    let actor = signed_in.actor();
    if action == StaffAction::AdvicePreview {
        return preview(app, &record, &decided, &actor)
            .await
            .map_err(|refusal| Failure {
                paragraphs: vec![refusal.to_string()],
                ..Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "refused",
                    "Hiervan kan geen voorbeeld worden gemaakt",
                    &[],
                )
            });
    }
    let reference = record.case.reference.clone();
    match act_on(app, record.clone(), &decided, actor).await {
        Ok(_) => Ok(see_other(&format!(
            "{PREFIX}/zaak/{reference}?gedaan={done}"
        ))),
        Err(ActError::Refused(Refusal::AmountDiffers { given, .. })) => {
            again(
                invalid(
                    &Refusal::AmountDiffers {
                        expected: record.case.invoiced,
                        given,
                    }
                    .to_string(),
                ),
                StatusCode::CONFLICT,
                Some(given.to_string()),
            )
            .await
        }
        Err(ActError::Refused(refusal)) => {
            again(invalid(&refusal.to_string()), StatusCode::CONFLICT, None).await
        }
        Err(ActError::Conflict) => {
            // Show the case as it is now.
            let now = super::case(app, &reference).await?;
            case_page_with(
                app,
                signed_in,
                &now,
                Some(invalid("De aanvraag is intussen gewijzigd; hieronder ziet u hoe zij er nu voor staat. Probeer het zo nodig opnieuw.")),
                StatusCode::CONFLICT,
                &typed,
                None,
            )
            .await
        }
        Err(ActError::NotFound) => Err(super::unknown_case()),
        Err(e @ ActError::Store(_)) => Err(Failure::unavailable(Fault::Case(e))),
    }
}

/// The advice letter as recording `action` would make it, shown in the
/// browser and sent to nobody.
async fn preview<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    record: &CaseRecord,
    action: &Action,
    actor: &cbt::case::Actor,
) -> Result<Response<Bytes>, Refusal> {
    let now = app.clock.now();
    let mut case = record.case.clone();
    let change = case.decide(action, actor, now, &app.rules.periods)?;
    case.apply(change, actor.clone(), now);
    let Ok(pdf) = crate::outbox::advice_letter(app, &case) else {
        return Err(Refusal::Invalid("De adviesbrief kon niet worden gemaakt."));
    };
    let mut response = Response::new(Bytes::from(pdf));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"voorbeeld-advies.pdf\""),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_people_type_them() {
        for (typed, cents) in [
            ("4452,80", 445_280),
            ("4.452,80", 445_280),
            ("4452.80", 445_280),
            ("€ 4452", 445_200),
            ("4452,8", 445_280),
            (" 0,01 ", 1),
        ] {
            assert_eq!(parse_amount(typed), Some(Cents(cents)), "{typed}");
        }
        for typed in ["", "vier", "-5", "4452,801", "1,2,3"] {
            assert_eq!(parse_amount(typed), None, "{typed}");
        }
    }
}
