//! "Export voor de boekhouding": the invoices and credit notes dated in a
//! range, as CSV ([`cbt::export`]), for the secretariat. Each invoice is
//! made again from its case as it was filed (number, date, fees); one
//! whose amount no longer matches what was invoiced (the fees changed
//! since) is refused by name rather than exported wrong.

use bytes::Bytes;
use cbt::case::Change;
use cbt::export::{invoices_csv, ExportKind, ExportRow};
use cbt::invoice::Invoice;
use chrono::NaiveDate;
use http::{header, HeaderValue, Response, StatusCode};

use super::all_cases;
use super::auth::SignedIn;
use crate::drafts::query_value;
use crate::handler::App;
use crate::ports::{Files, Mailer, Store};
use crate::responses::Failure;

fn refused(paragraph: String) -> Failure {
    Failure {
        paragraphs: vec![paragraph],
        ..Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "export_refused",
            "De export kon niet worden gemaakt",
            &[],
        )
    }
}

fn row(kind: ExportKind, invoice: &Invoice, refers_to: Option<String>) -> ExportRow {
    ExportRow {
        kind,
        number: invoice.number_text(),
        date: invoice.date,
        reference: invoice.reference.clone(),
        customer: invoice.customer.name.clone(),
        net: invoice.line.excl_vat,
        vat: invoice.vat,
        gross: invoice.total,
        vat_rate: format!("{}%", invoice.vat_percent),
        refers_to,
    }
}

/// `GET /beheer/export?van=JJJJ-MM-DD&tot=JJJJ-MM-DD`.
pub(crate) async fn csv<S: Store, M: Mailer, F: Files>(
    app: &App<S, M, F>,
    signed_in: &SignedIn,
    query: &str,
) -> Result<Response<Bytes>, Failure> {
    if !signed_in.is_secretariat() {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "secretariat_only",
            "Dit is voor het secretariaat",
            &["Alleen het secretariaat maakt de export voor de boekhouding."],
        ));
    }
    let date = |name: &str| {
        query_value(query, name).and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
    };
    let (Some(from), Some(to)) = (date("van"), date("tot")) else {
        return Err(refused(
            "Vul de eerste en de laatste dag in als datum (jjjj-mm-dd).".into(),
        ));
    };
    if to < from {
        return Err(refused(
            "De laatste dag ligt voor de eerste. Draai ze om.".into(),
        ));
    }
    let in_range = |d: NaiveDate| from <= d && d <= to;
    let mut rows = Vec::new();
    let mut changed = Vec::new();
    for case in all_cases(app).await? {
        let invoice = cbt::follow_up::invoice_of(
            &app.rules,
            &case.application,
            case.invoice_number,
            case.submitted_on,
        )
        .map_err(|e| refused(format!("Factuur {}: {e}", case.invoice_number)))?;
        if invoice.total != case.invoiced {
            changed.push(case.reference.clone());
            continue;
        }
        if in_range(invoice.date) {
            rows.push(row(ExportKind::Factuur, &invoice, None));
        }
        let Some(number) = app
            .store
            .credit_note_of(&case.reference)
            .await
            .map_err(Failure::unavailable)?
        else {
            continue;
        };
        // The credit note is dated the day of the withdrawal that asked
        // for it, as its mail made it.
        let record = app
            .store
            .get_case(&case.reference)
            .await
            .map_err(Failure::unavailable)?;
        let on = record.and_then(|r| {
            r.events.iter().find_map(|e| match e.change {
                Change::Withdrawn {
                    credit_note: true, ..
                } => Some(cbt::dates::local_date(e.at)),
                _ => None,
            })
        });
        if let Some(on) = on.filter(|d| in_range(*d)) {
            let credit = invoice.credit_note(number, on);
            rows.push(row(
                ExportKind::Creditnota,
                &credit,
                Some(invoice.number_text()),
            ));
        }
    }
    if !changed.is_empty() {
        return Err(refused(format!(
            "De factuur van {} is niet opnieuw te maken zoals zij is verstuurd (de tarieven zijn sindsdien gewijzigd). Neem deze facturen met de hand over uit de verstuurde PDF's.",
            changed.join(", ")
        )));
    }
    rows.sort_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)));
    let mut response = Response::new(Bytes::from(invoices_csv(&rows)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Dates only: a safe file name.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"cbt-facturen-{from}-{to}.csv\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
