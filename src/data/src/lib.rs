//! The CBT's data files, as typed values: what editors write in
//! `content/data/` (site settings, fees, periods, the forms, the supplier's
//! details), and the formats of the values people type into the forms.
//!
//! A crate of its own because two compilations need it: the `cbt` library,
//! and `cbt`'s build script, which parses the same files with the same code
//! so that a mistake in them fails `cargo build` with its file and line.
//! Nothing here does I/O: the caller reads the files ([`Sources`]).

#![deny(missing_docs)]

pub mod assets;
pub mod countries;
pub mod fees;
pub mod formats;
pub mod forms;
pub mod marks;
pub mod money;
pub mod needs;
pub mod periods;
pub mod retention;
pub mod site;
pub mod sources;
pub mod supplier;
pub mod vat;

pub use fees::{FeeSchedule, Tariff};
pub use forms::{FormDef, Forms};
pub use marks::Unconfirmed;
pub use money::Cents;
pub use periods::Periods;
pub use retention::Retention;
pub use site::SiteConfig;
pub use sources::{DataError, Sources};
pub use supplier::Supplier;
pub use vat::VatRules;

/// Every rule the site and the function share, parsed from the data files.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Site name, address, secretariat, menu (`data/site.toml`).
    pub site: SiteConfig,
    /// The fee per kind of organisation, and VAT (`data/fees.toml`).
    pub fees: FeeSchedule,
    /// The periods of the procedure (`data/periods.toml`).
    pub periods: Periods,
    /// How long personal data is kept (`data/retention.toml`).
    pub retention: Retention,
    /// The application and contact forms (`data/forms/`).
    pub forms: Forms,
    /// The CBT as supplier on its invoices (`data/supplier.toml`).
    pub supplier: Supplier,
    /// How VAT follows where the customer is (`data/vat.toml`).
    pub vat: VatRules,
    /// Every value marked `te bevestigen` in the data files ([`marks`]),
    /// by file and line: what may not go live before the CBT confirms it.
    pub unconfirmed: Vec<Unconfirmed>,
}

impl Rules {
    /// Parses the rules from the data files' text. All problems are
    /// returned together, each naming its file and, where it has one, its
    /// line.
    pub fn parse(sources: &Sources) -> Result<Rules, Vec<DataError>> {
        let mut errors = Vec::new();
        let site = sources
            .parse_all::<SiteConfig>(site::FILE)
            .map_err(|e| errors.extend(e));
        let fees = sources
            .parse_all::<fees::FeeFile>(fees::FILE)
            .and_then(|f| f.into_schedule(fees::FILE))
            .map_err(|e| errors.extend(e));
        let periods = sources
            .parse_all::<Periods>(periods::FILE)
            .map_err(|e| errors.extend(e));
        let retention = sources
            .parse_all::<Retention>(retention::FILE)
            .map_err(|e| errors.extend(e));
        let forms = Forms::parse(sources, fees.as_ref().ok())
            .map_err(|e| errors.extend(every_form_problem(sources, e)));
        let supplier = sources
            .parse_all::<Supplier>(supplier::FILE)
            .and_then(|s| s.validate(supplier::FILE))
            .map_err(|e| errors.extend(e));
        let vat = sources
            .parse_all::<VatRules>(vat::FILE)
            .map_err(|e| errors.extend(e));
        let mut unconfirmed = Vec::new();
        for path in sources.paths() {
            if path.ends_with(".toml") {
                match marks::find(path, sources.get(path).unwrap_or_default()) {
                    Ok(found) => unconfirmed.extend(found),
                    Err(e) => errors.extend(e),
                }
            }
        }
        match (site, fees, periods, retention, forms, supplier, vat) {
            (Ok(site), Ok(fees), Ok(periods), Ok(retention), Ok(forms), Ok(supplier), Ok(vat)) => {
                errors.extend(site.validate());
                if errors.is_empty() {
                    Ok(Rules {
                        site,
                        fees,
                        periods,
                        retention,
                        forms,
                        supplier,
                        vat,
                        unconfirmed,
                    })
                } else {
                    Err(errors)
                }
            }
            _ => Err(errors),
        }
    }
}

/// [`Forms::parse`]'s problems, with every problem of a form file that
/// does not read where it reports only the first: a form that does not
/// read has that one problem and no other, so it is replaced by all of
/// the file's.
impl Rules {
    /// The unconfirmed values among `uses`: pairs of a data file and a key
    /// in it (an empty key: the whole file), as [`Unconfirmed::concerns`]
    /// matches them.
    pub fn unconfirmed_in(&self, uses: &[(&str, &str)]) -> Vec<&Unconfirmed> {
        self.unconfirmed
            .iter()
            .filter(|u| uses.iter().any(|(file, key)| u.concerns(file, key)))
            .collect()
    }
}

fn every_form_problem(sources: &Sources, problems: Vec<DataError>) -> Vec<DataError> {
    let mut all = Vec::with_capacity(problems.len());
    for file in [forms::APPLICATION_FILE, forms::CONTACT_FILE] {
        match sources.parse_all::<FormDef>(file) {
            Err(unread) => all.extend(unread),
            Ok(_) => all.extend(problems.iter().filter(|p| p.file == file).cloned()),
        }
    }
    let form_files = [forms::APPLICATION_FILE, forms::CONTACT_FILE];
    all.extend(
        problems
            .into_iter()
            .filter(|p| !form_files.contains(&p.file.as_str())),
    );
    all
}
