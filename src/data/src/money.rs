//! Money in whole euro cents: never floating point.

use std::fmt;

/// An amount in euro cents. Serialized as the whole number of cents, so a
/// program reading it never meets a rounding question.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error(
        "\"{0}\" is geen bedrag: schrijf euro's met een punt en twee decimalen, zoals \"3680.00\""
    )]
    /// Not euros with a point and two decimals.
    Malformed(String),
    #[error("\"{0}\" is te groot")]
    /// More than the cents fit in.
    TooLarge(String),
}

impl Cents {
    /// Reads an amount written as `3680.00` or `3680` (euros). Strict: no
    /// thousands separators, no comma, at most two decimals, not negative,
    /// so that a typo cannot silently become another amount.
    pub fn parse_euros(s: &str) -> Result<Cents, AmountError> {
        let bad = || AmountError::Malformed(s.to_string());
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if !(frac.is_empty() || frac.len() == 2) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if s.ends_with('.') {
            return Err(bad());
        }
        let euros: i64 = whole
            .parse()
            .map_err(|_| AmountError::TooLarge(s.to_string()))?;
        let cents: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents))
            .map(Cents)
            .ok_or_else(|| AmountError::TooLarge(s.to_string()))
    }

    /// `percent`% of this amount, rounded half up to the cent.
    pub fn percent(self, percent: u32) -> Cents {
        let product = self.0 * i64::from(percent);
        // Half up, away from zero: amounts here are never negative, but a
        // credit note would be, and must round symmetrically.
        let rounded = if product >= 0 {
            (product + 50) / 100
        } else {
            (product - 50) / 100
        };
        Cents(rounded)
    }

    /// Dutch notation without the sign: `3.680,00`.
    pub fn to_nl(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
        for (i, ch) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(ch);
        }
        format!("{sign}{grouped},{:02}", abs % 100)
    }
}

impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0 + rhs.0)
    }
}

/// `€ 3.680,00`, as Dutch texts write an amount.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "€\u{a0}{}", self.to_nl())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_euros_strictly() {
        assert_eq!(Cents::parse_euros("3680.00"), Ok(Cents(368_000)));
        assert_eq!(Cents::parse_euros("2990"), Ok(Cents(299_000)));
        assert_eq!(Cents::parse_euros("0.05"), Ok(Cents(5)));
        for bad in [
            "", "3.680,00", "3680,00", "3680.0", "3680.", ".50", "-1.00", "1e3", " 1.00", "€3680",
        ] {
            assert!(
                Cents::parse_euros(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert!(matches!(
            Cents::parse_euros("99999999999999999999"),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn vat_rounds_half_up() {
        assert_eq!(Cents(368_000).percent(21), Cents(77_280));
        assert_eq!(Cents(299_000).percent(21), Cents(62_790));
        // 0.50 * 21% = 10.5 cents -> 11
        assert_eq!(Cents(50).percent(21), Cents(11));
        // 0.10 * 21% = 2.1 cents -> 2
        assert_eq!(Cents(10).percent(21), Cents(2));
        assert_eq!(Cents(-50).percent(21), Cents(-11));
    }

    #[test]
    fn formats_dutch() {
        assert_eq!(Cents(445_280).to_nl(), "4.452,80");
        assert_eq!(Cents(361_790).to_nl(), "3.617,90");
        assert_eq!(Cents(5).to_nl(), "0,05");
        assert_eq!(Cents(123_456_789).to_nl(), "1.234.567,89");
        assert_eq!(Cents(-77_280).to_nl(), "-772,80");
        assert_eq!(Cents(368_000).to_string(), "€\u{a0}3.680,00");
        // The edges (found by mutation testing).
        assert_eq!(Cents(0).to_nl(), "0,00");
        assert_eq!(Cents(0).to_string(), "€\u{a0}0,00");
        assert_eq!(Cents(99).to_nl(), "0,99");
        assert_eq!(Cents(100).to_nl(), "1,00");
        assert_eq!(Cents(99_999).to_nl(), "999,99");
        assert_eq!(Cents(100_000).to_nl(), "1.000,00");
        assert_eq!(Cents(-5).to_nl(), "-0,05");
    }
}
