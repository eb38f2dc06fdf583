//! The CBT's shared rules: everything that both the site generator and the
//! submission function need, defined once and free of I/O.
//!
//! The rules are data under `content/data/` that editors change: site
//! settings ([`site`]), fees and VAT ([`fees`], computed with [`money`]) and
//! the periods of the procedure ([`periods`]) and the forms ([`forms`]). [`Rules::parse`] turns their
//! text into typed values and names the file and line of any mistake.
//! `build.rs` embeds the same files into the binary ([`Rules::embedded`]), so
//! the function needs no files at run time and a changed fee rebuilds both
//! halves: the amount on the fees page and the amount on the invoice come from
//! one file and cannot disagree.
//!
//! [`values`] turns the rules into the `{{ name }}` values that Markdown pages
//! may use, so that no page types an amount or a period by hand.

pub mod application;
pub mod assets;
pub mod data;
pub mod deadlines;
pub mod fees;
pub mod formats;
pub mod forms;
pub mod invoice;
pub mod mail;
pub mod money;
pub mod pages;
pub mod periods;
pub mod site;
pub mod summary;
pub mod templates;
pub mod validate;
pub mod values;

pub use chrono::NaiveDate;
pub use data::{DataError, Sources};
pub use fees::{FeeSchedule, Tariff};
pub use forms::{FormDef, Forms};
pub use money::Cents;
pub use periods::Periods;
pub use site::SiteConfig;

/// The data files `build.rs` embedded, as (path under `content/`, text).
pub(crate) mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Every rule the site and the function share, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub site: SiteConfig,
    pub fees: FeeSchedule,
    pub periods: Periods,
    pub forms: Forms,
    pub supplier: invoice::Supplier,
}

impl Rules {
    /// Parses the rules from the data files' text. All problems are
    /// returned together, each naming its file and line.
    pub fn parse(sources: &Sources) -> Result<Rules, Vec<DataError>> {
        let mut errors = Vec::new();
        let site = sources
            .parse::<SiteConfig>(site::FILE)
            .map_err(|e| errors.push(e));
        let fees = sources
            .parse::<fees::FeeFile>(fees::FILE)
            .map_err(|e| vec![e])
            .and_then(|f| f.into_schedule(fees::FILE))
            .map_err(|e| errors.extend(e));
        let periods = sources
            .parse::<Periods>(periods::FILE)
            .map_err(|e| errors.push(e));
        let forms = Forms::parse(sources, fees.as_ref().ok()).map_err(|e| errors.extend(e));
        let supplier = sources
            .parse::<invoice::Supplier>(invoice::SUPPLIER_FILE)
            .map_err(|e| vec![e])
            .and_then(|s| s.validate(invoice::SUPPLIER_FILE))
            .map_err(|e| errors.extend(e));
        match (site, fees, periods, forms, supplier) {
            (Ok(site), Ok(fees), Ok(periods), Ok(forms), Ok(supplier)) => {
                errors.extend(site.validate());
                if errors.is_empty() {
                    Ok(Rules {
                        site,
                        fees,
                        periods,
                        forms,
                        supplier,
                    })
                } else {
                    Err(errors)
                }
            }
            _ => Err(errors),
        }
    }

    /// The rules as they were when this binary was compiled.
    ///
    /// `build.rs` has already parsed these files, so a mistake in them is a
    /// compile error; the `Err` arm is unreachable in a binary that built.
    pub fn embedded() -> Result<Rules, Vec<DataError>> {
        Rules::parse(&Sources::embedded())
    }
}

impl Sources {
    /// The data files embedded at compile time.
    pub fn embedded() -> Sources {
        let mut sources = Sources::default();
        for (path, text) in embedded::FILES {
            sources.insert(*path, *text);
        }
        sources
    }
}
