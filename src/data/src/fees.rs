//! Fees per kind of organisation, and the VAT on them.

use serde::{Deserialize, Serialize};

use crate::money::Cents;
use crate::sources::{invalid, DataError};

/// Where the fees live, under `content/`.
pub const FILE: &str = "data/fees.toml";

/// `data/fees.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeFile {
    vat_percent: u32,
    tariffs: Vec<TariffFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TariffFile {
    key: String,
    label: String,
    excl_vat: String,
}

/// The fee schedule: one tariff per kind of organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeSchedule {
    /// VAT, in whole percent.
    pub vat_percent: u32,
    /// One per kind of organisation, in the file's order.
    pub tariffs: Vec<Tariff>,
}

/// The fee for one kind of organisation. The VAT and the total are
/// computed, never written down, so they cannot drift from the amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tariff {
    /// Stable key (`commercieel`), used by the form and in `{{ tarief.KEY }}`.
    pub key: String,
    /// Dutch name of the kind of organisation.
    pub label: String,
    /// The fee before VAT.
    pub excl_vat: Cents,
    /// The VAT on it, rounded half up to the cent.
    pub vat: Cents,
    /// What the applicant pays.
    pub total: Cents,
}

impl FeeFile {
    /// The schedule, with VAT and totals computed; every mistake of the file.
    pub fn into_schedule(self, file: &str) -> Result<FeeSchedule, Vec<DataError>> {
        let mut errors = Vec::new();
        if self.vat_percent > 100 {
            errors.push(invalid(
                file,
                format!("vat_percent = {} is geen btw-percentage", self.vat_percent),
                "Schrijf het percentage als heel getal, zoals 21.",
            ));
        }
        if self.tariffs.is_empty() {
            errors.push(invalid(
                file,
                "er staat geen enkel tarief in",
                "Voeg een [[tariffs]] toe.",
            ));
        }
        let mut tariffs = Vec::with_capacity(self.tariffs.len());
        let mut keys = std::collections::BTreeSet::new();
        for t in self.tariffs {
            if !valid_key(&t.key) {
                errors.push(invalid(
                    file,
                    format!(
                        "key = \"{}\" mag alleen kleine letters, cijfers en _ bevatten",
                        t.key
                    ),
                    "Gebruik bijvoorbeeld \"commercieel\" of \"non_profit\".",
                ));
            }
            if !keys.insert(t.key.clone()) {
                errors.push(invalid(
                    file,
                    format!("het tarief \"{}\" staat er twee keer in", t.key),
                    "Geef elk tarief een eigen key.",
                ));
            }
            match Cents::parse_euros(&t.excl_vat) {
                Ok(excl_vat) => {
                    let vat = excl_vat.percent(self.vat_percent);
                    tariffs.push(Tariff {
                        key: t.key,
                        label: t.label,
                        excl_vat,
                        vat,
                        total: excl_vat + vat,
                    });
                }
                Err(e) => errors.push(invalid(
                    file,
                    format!("excl_vat van tarief \"{}\": {e}", t.key),
                    "Bijvoorbeeld: excl_vat = \"3680.00\"",
                )),
            }
        }
        if errors.is_empty() {
            Ok(FeeSchedule {
                vat_percent: self.vat_percent,
                tariffs,
            })
        } else {
            Err(errors)
        }
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl FeeSchedule {
    /// The tariff with `key`.
    pub fn tariff(&self, key: &str) -> Option<&Tariff> {
        self.tariffs.iter().find(|t| t.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(text: &str) -> Result<FeeSchedule, Vec<DataError>> {
        toml::from_str::<FeeFile>(text).unwrap().into_schedule(FILE)
    }

    #[test]
    fn computes_vat_and_totals() {
        let s = schedule(
            "vat_percent = 21\n[[tariffs]]\nkey = \"commercieel\"\nlabel = \"C\"\nexcl_vat = \"3680.00\"\n\
             [[tariffs]]\nkey = \"non_profit\"\nlabel = \"N\"\nexcl_vat = \"2990.00\"\n",
        )
        .unwrap();
        let c = s.tariff("commercieel").unwrap();
        assert_eq!(
            (c.excl_vat, c.vat, c.total),
            (Cents(368_000), Cents(77_280), Cents(445_280))
        );
        let n = s.tariff("non_profit").unwrap();
        assert_eq!(
            (n.excl_vat, n.vat, n.total),
            (Cents(299_000), Cents(62_790), Cents(361_790))
        );
    }

    #[test]
    fn reports_every_mistake() {
        let errors = schedule(
            "vat_percent = 121\n[[tariffs]]\nkey = \"Bad Key\"\nlabel = \"C\"\nexcl_vat = \"3.680,00\"\n\
             [[tariffs]]\nkey = \"Bad Key\"\nlabel = \"N\"\nexcl_vat = \"1\"\n",
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 5, "{text:#?}");
        assert!(text[0].contains("vat_percent = 121"));
        assert!(text.iter().any(|t| t.contains("twee keer")));
        assert!(text
            .iter()
            .any(|t| t.contains("\"3.680,00\" is geen bedrag")));
    }

    /// 100% is the highest percentage that is one (found by mutation
    /// testing: only 121 was tried).
    #[test]
    fn a_vat_percentage_up_to_a_hundred() {
        let file = |p: u32| {
            format!("vat_percent = {p}\n[[tariffs]]\nkey = \"commercieel\"\nlabel = \"C\"\nexcl_vat = \"10.00\"\n")
        };
        let s = schedule(&file(100)).expect("100% is a percentage");
        assert_eq!(s.tariffs[0].total, Cents(2000));
        let errors = schedule(&file(101)).expect_err("101% is not");
        assert!(errors[0]
            .message
            .contains("vat_percent = 101 is geen btw-percentage"));
    }

    #[test]
    fn empty_schedule_is_an_error() {
        let errors = schedule("vat_percent = 21\ntariffs = []\n").unwrap_err();
        assert!(errors[0].message.contains("geen enkel tarief"));
    }
}
