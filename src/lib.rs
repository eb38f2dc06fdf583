//! The CBT's shared rules: everything that both the site generator and the
//! submission function need, defined once and free of I/O.
//!
//! The rules are data under `content/data/` that editors change: site
//! settings ([`site`]), fees and VAT ([`fees`], computed with [`money`]) and
//! the periods of the procedure ([`periods`]) and the forms ([`forms`]). [`Rules::parse`] turns their
//! text into typed values and names the file and line of any mistake.
//! `build.rs` embeds the same files into the binary ([`embedded_rules`]), so
//! the function needs no files at run time and a changed fee rebuilds both
//! halves: the amount on the fees page and the amount on the invoice come from
//! one file and cannot disagree.
//!
//! [`values`] turns the rules into the `{{ name }}` values that Markdown pages
//! may use, so that no page types an amount or a period by hand.

#![deny(missing_docs)]

pub mod address_check;
pub mod advice;
pub mod application;
pub mod bank;
pub mod case;
pub mod case_mail;
pub mod contact;
pub mod dates;
pub mod delivery;
pub mod digest;
pub mod export;
pub mod follow_up;
pub mod invoice;
pub mod mail;
pub mod pages;
mod pdf;
#[cfg(feature = "sample")]
pub mod sample;
pub mod summary;
pub mod templates;
pub mod validate;
pub mod values;
pub mod workspace;

pub use cbt_data::{
    assets, countries, fees, formats, forms, marks, money, needs, periods, retention, site,
    sources, supplier, vat, Cents, DataError, FeeSchedule, FormDef, Forms, Periods, Rules,
    SiteConfig, Sources, Tariff, Unconfirmed, VatRules,
};
pub use chrono::NaiveDate;

/// The data files and templates `build.rs` embedded, as (path, text).
pub(crate) mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The rules as they were when this binary was compiled.
///
/// `build.rs` has parsed these files with the same code already, so a
/// mistake in them is a compile error; the `Err` arm is unreachable in a
/// binary that built.
pub fn embedded_rules() -> Result<Rules, Vec<DataError>> {
    Rules::parse(&embedded_sources())
}

/// The data files embedded at compile time.
pub fn embedded_sources() -> Sources {
    let mut sources = Sources::default();
    for (path, text) in embedded::FILES {
        sources.insert(*path, *text);
    }
    sources
}
