//! The function's routes, written once: [`route`] finds a request's route,
//! and tells a wrong method (405) from an unknown path (404) by the same
//! table. `deploy/template.yaml` sends these paths to the function, and
//! `tests/iam_policy.rs` holds its CloudFront behaviours to [`ROUTES`].

use http::{Method, StatusCode};

use crate::responses::Failure;

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /aanvraag`: check the application; a draft and 303 to "check
    /// your answers", or the form again with its errors.
    PostApplication,
    /// `GET /aanvraag/controle?concept=ID`: check your answers.
    Check,
    /// `POST /aanvraag/bevestig`: file the draft; 303 to the confirmation.
    Confirm,
    /// `GET /aanvraag/wijzigen?concept=ID`: the form again with the draft.
    Change,
    /// `GET /aanvraag/ontvangen?concept=ID`: the confirmation.
    Received,
    /// `POST /contact`: check, store, mail; 303 to the thank-you page.
    PostContact,
    /// `GET /contact/bedankt`: thank you.
    Thanks,
    /// `GET` of a form's own address: 301 to the page that shows the form.
    FormPage(&'static str),
    /// `GET /mijn-aanvraag/link`: the form to ask for a new personal link.
    ResendForm,
    /// `POST /mijn-aanvraag/link`: send a new link, if reference and
    /// address belong together (the answer is the same either way).
    Resend,
    /// `GET /aanvraag/adres/<secret>`: what an address is asked to
    /// confirm, with the button.
    AddressPage {
        /// The address link's secret.
        secret: String,
    },
    /// `POST /aanvraag/adres/<secret>`: the address confirms.
    ConfirmAddress {
        /// The address link's secret.
        secret: String,
    },
    /// `/beheer/...`: the secretariat's workspace.
    Workspace(WorkspacePage),
    /// `/mijn-aanvraag/<secret>/...`: the applicant's own page of a case.
    Case {
        /// The personal link's secret.
        secret: String,
        /// Which page, or which action.
        page: CasePage,
    },
}

/// The pages and actions under a personal link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasePage {
    /// `GET`: the case, its deadlines, history and documents.
    Overview,
    /// `GET factuur.pdf`: the invoice as sent.
    Invoice,
    /// `GET advies.pdf`: the advice letter as sent.
    Advice,
    /// `GET document/<n>`: one of the case's documents.
    Document(usize),
    /// `GET wijzigen`: the application form with the answers.
    ChangeForm,
    /// `POST wijzigen`: the changed answers.
    Change,
    /// `POST document`: a document added.
    AddDocument,
    /// `POST klaar`: no more changes.
    Finish,
    /// `POST aanvullen`: the answer to a completion request.
    Complete,
    /// `GET intrekken`: "are you sure?".
    WithdrawForm,
    /// `POST intrekken`: withdraw.
    Withdraw,
}

/// The workspace's pages and actions, under [`cbt::workspace::PREFIX`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkspacePage {
    /// `GET aanmelden`: the address form.
    SignInForm,
    /// `POST aanmelden`: mail a sign-in link (the answer is the same for
    /// any address).
    SignInRequest,
    /// `GET aanmelden/<secret>`: the link's page, with one button: a mail
    /// program that opens links to scan them must not use it up.
    SignInLink(String),
    /// `POST aanmelden/<secret>`: use the link; a new session.
    SignInConfirm(String),
    /// `POST afmelden`: end the session.
    SignOut,
    /// `GET` (the workspace's root): every case.
    Cases,
    /// `GET zaak/<reference>`: one case.
    Case(String),
    /// `GET zaak/<reference>/<file>`: one of its files.
    CaseFile(String, CaseFile),
    /// `POST zaak/<reference>/<action>`: an action on it.
    CaseAction(String, StaffAction),
    /// `GET medewerkers`: the staff list.
    Staff,
    /// `POST medewerkers`: add, change or remove a member.
    StaffChange,
    /// `GET logboek`: the audit log.
    Log,
    /// `GET bank`: "Bankafschrift inlezen".
    BankForm,
    /// `POST bank`: a statement read and previewed.
    BankPreview,
    /// `POST bank/registreren`: the previewed matches registered.
    BankRegister,
    /// `GET export?van=...&tot=...`: invoices and credit notes as CSV.
    Export,
    /// `GET passkeys`: the member's own passkeys.
    Passkeys,
    /// `POST passkeys/begin`: the options to make a passkey with.
    PasskeyRegistrationBegin,
    /// `POST passkeys/registreren`: the new passkey kept.
    PasskeyRegistration,
    /// `POST passkeys/verwijderen`: one removed.
    PasskeyRemoval,
    /// `POST aanmelden/passkey/begin`: the options to sign in with one.
    PasskeySignInBegin,
    /// `POST aanmelden/passkey`: signed in with it.
    PasskeySignIn,
}

/// A case's file in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseFile {
    /// `factuur.pdf`.
    Invoice,
    /// `advies.pdf`.
    Advice,
    /// `creditnota.pdf`.
    CreditNote,
    /// `document/<n>`.
    Document(usize),
}

/// The actions on a case, by the last part of their address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction {
    /// `betaling`: "Betaling registreren".
    Payment,
    /// `behandeling`: "In behandeling nemen".
    TakeIntoHandling,
    /// `weigeren`: "Niet in behandeling nemen".
    Decline,
    /// `aanvulling`: "Aanvulling vragen".
    RequestCompletion,
    /// `advies`: "Advies vastleggen".
    Advice,
    /// `advies-voorbeeld`: the advice letter as it would be, not sent.
    AdvicePreview,
    /// `intrekken`: "Intrekken".
    Withdraw,
    /// `notitie`: "Notitie toevoegen".
    Note,
}

impl StaffAction {
    /// Every action, with the last part of its address.
    pub const ALL: [(&'static str, StaffAction); 8] = [
        ("betaling", StaffAction::Payment),
        ("behandeling", StaffAction::TakeIntoHandling),
        ("weigeren", StaffAction::Decline),
        ("aanvulling", StaffAction::RequestCompletion),
        ("advies", StaffAction::Advice),
        ("advies-voorbeeld", StaffAction::AdvicePreview),
        ("intrekken", StaffAction::Withdraw),
        ("notitie", StaffAction::Note),
    ];
}

/// The workspace's pages: `rest` is what follows `/beheer` (no trailing
/// slash, maybe empty).
fn workspace_route(method: &Method, rest: &str) -> Option<WorkspacePage> {
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    Some(match parts.as_slice() {
        [] if get => WorkspacePage::Cases,
        ["aanmelden"] if get => WorkspacePage::SignInForm,
        ["aanmelden"] if post => WorkspacePage::SignInRequest,
        ["aanmelden", "passkey", "begin"] if post => WorkspacePage::PasskeySignInBegin,
        ["aanmelden", "passkey"] if post => WorkspacePage::PasskeySignIn,
        ["passkeys"] if get => WorkspacePage::Passkeys,
        ["passkeys", "begin"] if post => WorkspacePage::PasskeyRegistrationBegin,
        ["passkeys", "registreren"] if post => WorkspacePage::PasskeyRegistration,
        ["passkeys", "verwijderen"] if post => WorkspacePage::PasskeyRemoval,
        ["aanmelden", secret] if get => WorkspacePage::SignInLink(secret.to_string()),
        ["aanmelden", secret] if post => WorkspacePage::SignInConfirm(secret.to_string()),
        ["afmelden"] if post => WorkspacePage::SignOut,
        ["medewerkers"] if get => WorkspacePage::Staff,
        ["medewerkers"] if post => WorkspacePage::StaffChange,
        ["logboek"] if get => WorkspacePage::Log,
        ["bank"] if get => WorkspacePage::BankForm,
        ["bank"] if post => WorkspacePage::BankPreview,
        ["bank", "registreren"] if post => WorkspacePage::BankRegister,
        ["export"] if get => WorkspacePage::Export,
        ["zaak", reference] if get => WorkspacePage::Case(reference.to_string()),
        ["zaak", reference, "factuur.pdf"] if get => {
            WorkspacePage::CaseFile(reference.to_string(), CaseFile::Invoice)
        }
        ["zaak", reference, "advies.pdf"] if get => {
            WorkspacePage::CaseFile(reference.to_string(), CaseFile::Advice)
        }
        ["zaak", reference, "creditnota.pdf"] if get => {
            WorkspacePage::CaseFile(reference.to_string(), CaseFile::CreditNote)
        }
        ["zaak", reference, "document", n] if get => {
            WorkspacePage::CaseFile(reference.to_string(), CaseFile::Document(n.parse().ok()?))
        }
        ["zaak", reference, action] if post => WorkspacePage::CaseAction(
            reference.to_string(),
            StaffAction::ALL
                .iter()
                .find(|(name, _)| name == action)
                .map(|(_, a)| *a)?,
        ),
        _ => return None,
    })
}

/// The prefix of the applicant's pages.
pub const CASE_PREFIX: &str = "/mijn-aanvraag";

/// The methods the applicant's pages take, for the deployment's routing.
pub const CASE_METHODS: &[Method] = &[Method::GET, Method::POST];

/// The applicant's pages: `rest` is what follows `/mijn-aanvraag/`.
fn case_route(method: &Method, rest: &str) -> Option<Route> {
    let mut parts = rest.split('/');
    let first = parts.next()?;
    let second = parts.next();
    let third = parts.next();
    if parts.next().is_some() {
        return None;
    }
    if first == "link" && second.is_none() {
        return match *method {
            Method::GET => Some(Route::ResendForm),
            Method::POST => Some(Route::Resend),
            _ => None,
        };
    }
    let page = match (method.as_str(), second, third) {
        ("GET", None, None) => CasePage::Overview,
        ("GET", Some("factuur.pdf"), None) => CasePage::Invoice,
        ("GET", Some("advies.pdf"), None) => CasePage::Advice,
        ("GET", Some("document"), Some(n)) => CasePage::Document(n.parse().ok()?),
        ("GET", Some("wijzigen"), None) => CasePage::ChangeForm,
        ("POST", Some("wijzigen"), None) => CasePage::Change,
        ("POST", Some("document"), None) => CasePage::AddDocument,
        ("POST", Some("klaar"), None) => CasePage::Finish,
        ("POST", Some("aanvullen"), None) => CasePage::Complete,
        ("GET", Some("intrekken"), None) => CasePage::WithdrawForm,
        ("POST", Some("intrekken"), None) => CasePage::Withdraw,
        _ => return None,
    };
    Some(Route::Case {
        secret: first.to_string(),
        page,
    })
}

/// Every route: method, path (without a trailing slash), what it is.
pub const ROUTES: &[(Method, &str, Route)] = &[
    (Method::POST, "/aanvraag", Route::PostApplication),
    (Method::GET, "/aanvraag", Route::FormPage("/aanvragen/")),
    (Method::GET, "/aanvraag/controle", Route::Check),
    (Method::POST, "/aanvraag/bevestig", Route::Confirm),
    (Method::GET, "/aanvraag/wijzigen", Route::Change),
    (Method::GET, "/aanvraag/ontvangen", Route::Received),
    (Method::POST, "/contact", Route::PostContact),
    (Method::GET, "/contact", Route::FormPage("/contact/")),
    (Method::GET, "/contact/bedankt", Route::Thanks),
];

/// Whether the function, not the static site, answers `method` on `path`:
/// every post, the pages shown after one, and the applicant's own pages.
/// `cbt-site serve` asks this, so a new route needs no change there.
pub fn answers(method: &Method, path: &str) -> bool {
    // HEAD is answered as GET is.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    method == Method::POST
        || matches!(route(method, path), Ok(r) if !matches!(r, Route::FormPage(_)))
}

fn not_allowed() -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Deze pagina kan zo niet worden opgevraagd",
        &["Gebruik het formulier op de site."],
    )
}

/// The route of `method` on `path` (a trailing slash does not count).
pub fn route(method: &Method, path: &str) -> Result<Route, Failure> {
    let path = path.trim_end_matches('/');
    let mut known_path = false;
    for (m, p, route) in ROUTES {
        if *p == path {
            if m == method {
                return Ok(route.clone());
            }
            known_path = true;
        }
    }
    if let Some(secret) = path
        .strip_prefix(crate::addresses::PREFIX)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|r| !r.is_empty() && !r.contains('/'))
    {
        let secret = secret.to_string();
        return match *method {
            Method::GET => Ok(Route::AddressPage { secret }),
            Method::POST => Ok(Route::ConfirmAddress { secret }),
            _ => Err(not_allowed()),
        };
    }
    if let Some(rest) = path
        .strip_prefix(cbt::workspace::PREFIX)
        .filter(|r| r.is_empty() || r.starts_with('/'))
    {
        if let Some(page) = workspace_route(method, rest) {
            return Ok(Route::Workspace(page));
        }
        known_path = !CASE_METHODS.contains(method);
    }
    if let Some(rest) = path
        .strip_prefix(CASE_PREFIX)
        .and_then(|r| r.strip_prefix('/'))
    {
        if let Some(route) = case_route(method, rest) {
            return Ok(route);
        }
        // A page that exists, asked for with a method no page takes.
        known_path = !CASE_METHODS.contains(method);
    }
    Err(if known_path {
        not_allowed()
    } else {
        Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Pagina niet gevonden",
            &["Deze pagina bestaat niet (meer)."],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_function_answers_rather_than_the_static_site() {
        let own = format!("{CASE_PREFIX}/{}", "a".repeat(64));
        for (method, path) in [
            (Method::POST, "/aanvraag"),
            (Method::POST, "/onbekend"),
            (Method::GET, "/aanvraag/ontvangen"),
            (Method::GET, "/contact/bedankt/"),
            (Method::GET, own.as_str()),
            (Method::GET, "/mijn-aanvraag/link"),
        ] {
            assert!(answers(&method, path), "{method} {path}");
        }
        for (method, path) in [
            (Method::GET, "/aanvraag"),
            (Method::GET, "/contact/"),
            (Method::GET, "/"),
            (Method::GET, "/veelgestelde-vragen/"),
            (Method::HEAD, "/contact/"),
        ] {
            assert!(!answers(&method, path), "{method} {path}");
        }
        // HEAD as GET.
        assert!(answers(&Method::HEAD, "/aanvraag/ontvangen"));
    }

    #[test]
    fn methods_and_paths() {
        assert_eq!(
            route(&Method::POST, "/aanvraag/").ok(),
            Some(Route::PostApplication)
        );
        assert_eq!(
            route(&Method::GET, "/contact").ok(),
            Some(Route::FormPage("/contact/"))
        );
        let status = |m: &Method, p: &str| route(m, p).err().map(|f| f.status);
        assert_eq!(
            status(&Method::DELETE, "/aanvraag"),
            Some(StatusCode::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            status(&Method::POST, "/contact/bedankt"),
            Some(StatusCode::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            status(&Method::GET, "/beheren"),
            Some(StatusCode::NOT_FOUND)
        );
    }

    #[test]
    fn the_workspace() {
        let ws = |m: &Method, p: &str| match route(m, p) {
            Ok(Route::Workspace(page)) => Some(page),
            _ => None,
        };
        assert_eq!(ws(&Method::GET, "/beheer"), Some(WorkspacePage::Cases));
        assert_eq!(ws(&Method::GET, "/beheer/"), Some(WorkspacePage::Cases));
        assert_eq!(
            ws(&Method::POST, "/beheer/aanmelden"),
            Some(WorkspacePage::SignInRequest)
        );
        assert_eq!(
            ws(&Method::GET, "/beheer/aanmelden/abc"),
            Some(WorkspacePage::SignInLink("abc".into()))
        );
        assert_eq!(
            ws(&Method::POST, "/beheer/zaak/CBT-2027-0001/advies-voorbeeld"),
            Some(WorkspacePage::CaseAction(
                "CBT-2027-0001".into(),
                StaffAction::AdvicePreview
            ))
        );
        assert_eq!(
            ws(&Method::GET, "/beheer/zaak/CBT-2027-0001/document/1"),
            Some(WorkspacePage::CaseFile(
                "CBT-2027-0001".into(),
                CaseFile::Document(1)
            ))
        );
        assert!(answers(&Method::GET, "/beheer/logboek"));
        let status = |m: &Method, p: &str| route(m, p).err().map(|f| f.status);
        for unknown in [
            "/beheer/zaak/CBT-2027-0001/onbekend",
            "/beheer/zaak/CBT-2027-0001/document/../../x",
            "/beheer/zaak/CBT-2027-0001/document/een",
            "/beheerder",
        ] {
            assert_eq!(
                status(&Method::GET, unknown),
                Some(StatusCode::NOT_FOUND),
                "{unknown}"
            );
        }
        assert_eq!(
            status(&Method::POST, "/beheer/zaak/CBT-2027-0001/vernietigen"),
            Some(StatusCode::NOT_FOUND)
        );
        assert_eq!(
            status(&Method::DELETE, "/beheer/"),
            Some(StatusCode::METHOD_NOT_ALLOWED)
        );
    }

    #[test]
    fn the_applicants_pages() {
        let secret = "ab".repeat(32);
        let case = |m: &Method, p: &str| route(m, p).ok();
        assert_eq!(
            case(&Method::GET, &format!("/mijn-aanvraag/{secret}")),
            Some(Route::Case {
                secret: secret.clone(),
                page: CasePage::Overview
            })
        );
        assert_eq!(
            case(&Method::GET, &format!("/mijn-aanvraag/{secret}/document/2")),
            Some(Route::Case {
                secret: secret.clone(),
                page: CasePage::Document(2)
            })
        );
        assert_eq!(
            case(&Method::POST, &format!("/mijn-aanvraag/{secret}/intrekken")),
            Some(Route::Case {
                secret: secret.clone(),
                page: CasePage::Withdraw
            })
        );
        assert_eq!(
            case(&Method::GET, "/mijn-aanvraag/link"),
            Some(Route::ResendForm)
        );
        assert_eq!(
            case(&Method::POST, "/mijn-aanvraag/link/"),
            Some(Route::Resend)
        );
        let status = |m: &Method, p: &str| route(m, p).err().map(|f| f.status);
        for unknown in [
            "/mijn-aanvraag/x/onbekend",
            "/mijn-aanvraag/x/document/twee",
            "/mijn-aanvraag/x/document/1/meer",
            "/mijn-aanvraag",
        ] {
            assert_eq!(
                status(&Method::GET, unknown),
                Some(StatusCode::NOT_FOUND),
                "{unknown}"
            );
        }
        assert_eq!(
            status(&Method::DELETE, &format!("/mijn-aanvraag/{secret}")),
            Some(StatusCode::METHOD_NOT_ALLOWED)
        );
    }

    #[test]
    fn the_address_links() {
        let secret = "cd".repeat(32);
        let path = format!("/aanvraag/adres/{secret}");
        assert_eq!(
            route(&Method::GET, &path).ok(),
            Some(Route::AddressPage {
                secret: secret.clone()
            })
        );
        assert_eq!(
            route(&Method::POST, &format!("{path}/")).ok(),
            Some(Route::ConfirmAddress { secret })
        );
        assert!(answers(&Method::GET, &path));
        let status = |m: &Method, p: &str| route(m, p).err().map(|f| f.status);
        assert_eq!(
            status(&Method::PUT, &path),
            Some(StatusCode::METHOD_NOT_ALLOWED)
        );
        for unknown in [
            "/aanvraag/adres",
            "/aanvraag/adres/",
            &format!("{path}/meer"),
        ] {
            assert_eq!(
                status(&Method::GET, unknown),
                Some(StatusCode::NOT_FOUND),
                "{unknown}"
            );
        }
    }
}
