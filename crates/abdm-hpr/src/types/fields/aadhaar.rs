//! The 12-digit Aadhaar number (CONTRACT §5.1).

use super::macros::string_newtype;
use super::text::{all_ascii_digits, clean, strip_separators};
use crate::types::{Invalid, Rule, mask, verhoeff};

/// A syntactically valid Aadhaar number: 12 ASCII digits, first digit 2–9, valid Verhoeff check digit.
///
/// Typing separators (spaces, hyphens) are removed. `Debug` and `Display` show only the last 4
/// digits (`XXXXXXXX2346`); [`Aadhaar::expose`] gives the full number for the wire.
///
/// ```
/// use abdm_hpr::types::Aadhaar;
/// let a: Aadhaar = "2341 2341 2346".parse().unwrap();
/// assert_eq!(a.expose(), "234123412346");
/// assert_eq!(a.to_string(), "XXXXXXXX2346");
/// assert!("234123412345".parse::<Aadhaar>().is_err()); // wrong check digit
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Aadhaar(String);

impl Aadhaar {
    /// The number of digits.
    pub const LEN: usize = 12;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "digits only, the first from 2 to 9, ending in a valid Verhoeff check digit; spaces and hyphens are ignored";

    /// Validates and normalises an Aadhaar number.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let digits = strip_separators(clean(raw)?, b" -");
        if !all_ascii_digits(&digits) {
            return Err(Invalid::new(
                Rule::Charset,
                "must contain only the digits 0-9",
            ));
        }
        if digits.len() != Self::LEN {
            return Err(Invalid::with_message(
                Rule::Length,
                format!("must be exactly {} digits", Self::LEN),
            ));
        }
        if !matches!(digits.as_bytes()[0], b'2'..=b'9') {
            return Err(Invalid::new(
                Rule::FirstDigit,
                "must start with a digit from 2 to 9",
            ));
        }
        let mut values = [0u8; Self::LEN];
        for (value, digit) in values.iter_mut().zip(digits.bytes()) {
            *value = digit - b'0';
        }
        if !verhoeff::is_valid(&values) {
            return Err(Invalid::new(
                Rule::Checksum,
                "has an invalid check digit (Verhoeff)",
            ));
        }
        Ok(Self(digits))
    }

    /// The full 12-digit number. Only for the wire: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last 4 digits, the most that may be shown.
    pub fn last4(&self) -> &str {
        &self.0[8..]
    }

    /// The masked form `XXXXXXXX2346`.
    pub fn masked(&self) -> String {
        mask::last4(&self.0)
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(Aadhaar);

impl std::fmt::Debug for Aadhaar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Aadhaar({})", self.masked())
    }
}

impl std::fmt::Display for Aadhaar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_contract_examples() {
        for ok in [
            "234123412346",
            "498765432102",
            "987654321012",
            " 2341-2341-2346 ",
        ] {
            assert!(Aadhaar::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn names_the_rule_broken() {
        let rule = |s: &str| Aadhaar::parse(s).unwrap_err().rule;
        assert_eq!(rule("234123412345"), Rule::Checksum);
        assert_eq!(rule("234123412364"), Rule::Checksum);
        assert_eq!(rule("123456789010"), Rule::FirstDigit);
        assert_eq!(rule("123456789012"), Rule::FirstDigit);
        assert_eq!(rule("2341234123"), Rule::Length);
        assert_eq!(rule("2341234123461234"), Rule::Length); // a 16-digit Virtual ID
        assert_eq!(rule("２３４１２３４１２３４６"), Rule::Charset);
        assert_eq!(rule("   "), Rule::Required);
        assert_eq!(rule("23412341234\u{0}6"), Rule::ControlCharacter);
        // separators do not count, whatever else is there
        assert_eq!(rule("2341-2341-2346-1"), Rule::Length);
        assert_eq!(rule("2341 2341 234x"), Rule::Charset);
        assert_eq!(rule("2341 2341 234६"), Rule::Charset);
        assert_eq!(rule("- -"), Rule::Charset);
    }

    #[test]
    fn keeps_the_digits_without_separators() {
        let a = Aadhaar::parse(" 2341-2341 2346 ").unwrap();
        assert_eq!(a.expose(), "234123412346");
        assert_eq!(a.last4(), "2346");
        assert_eq!(a, Aadhaar::parse("234123412346").unwrap());
        assert_eq!(
            serde_json::from_str::<Aadhaar>("\"2341 2341 2346\"").unwrap(),
            a
        );
    }

    #[test]
    fn never_prints_more_than_last_four() {
        let a = Aadhaar::parse("234123412346").unwrap();
        assert_eq!(format!("{a:?}"), "Aadhaar(XXXXXXXX2346)");
        assert_eq!(a.to_string(), "XXXXXXXX2346");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"234123412346\"");
    }
}
