//! The function's routes, written once: [`route`] finds a request's route,
//! and tells a wrong method (405) from an unknown path (404) by the same
//! table. `deploy/template.yaml` sends these paths to the function, and
//! `tests/iam_policy.rs` holds its CloudFront behaviours to [`ROUTES`].

use http::{Method, StatusCode};

use crate::responses::Failure;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /aanvraag`: check the application; a draft and "check your
    /// answers", or the form again with its errors.
    PostApplication,
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
}

/// Every route: method, path (without a trailing slash), what it is.
pub const ROUTES: &[(Method, &str, Route)] = &[
    (Method::POST, "/aanvraag", Route::PostApplication),
    (Method::GET, "/aanvraag", Route::FormPage("/aanvragen/")),
    (Method::POST, "/aanvraag/bevestig", Route::Confirm),
    (Method::GET, "/aanvraag/wijzigen", Route::Change),
    (Method::GET, "/aanvraag/ontvangen", Route::Received),
    (Method::POST, "/contact", Route::PostContact),
    (Method::GET, "/contact", Route::FormPage("/contact/")),
    (Method::GET, "/contact/bedankt", Route::Thanks),
];

/// The route of `method` on `path` (a trailing slash does not count).
pub fn route(method: &Method, path: &str) -> Result<Route, Failure> {
    let path = path.trim_end_matches('/');
    let mut known_path = false;
    for (m, p, route) in ROUTES {
        if *p == path {
            if m == method {
                return Ok(*route);
            }
            known_path = true;
        }
    }
    Err(if known_path {
        Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Deze pagina kan zo niet worden opgevraagd",
            &["Gebruik het formulier op de site."],
        )
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
        assert_eq!(status(&Method::GET, "/beheer"), Some(StatusCode::NOT_FOUND));
    }
}
