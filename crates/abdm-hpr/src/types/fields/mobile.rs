//! Indian mobile numbers (CONTRACT §5.2).

use super::macros::string_newtype;
use super::text::{all_ascii_digits, clean, strip_separators};
use crate::types::{Invalid, Rule, mask};

/// A 10-digit Indian mobile number starting with 6–9.
///
/// Spaces, hyphens and parentheses are removed and one `+91`, `91` (12 digits) or `0` (11 digits)
/// prefix is stripped. `Debug`/`Display` show only the last 4 digits.
///
/// ```
/// use abdm_hpr::types::Mobile;
/// for typed in ["+91 98765-43210", "09876543210", "919876543210"] {
///     assert_eq!(typed.parse::<Mobile>().unwrap().expose(), "9876543210");
/// }
/// assert_eq!("9876543210".parse::<Mobile>().unwrap().to_string(), "XXXXXX3210");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

impl Mobile {
    /// The number of digits, after the prefix is removed.
    pub const LEN: usize = 10;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "an Indian mobile number starting with 6 to 9; a +91, 91 or 0 prefix and spaces, hyphens and parentheses are ignored";

    /// Normalises and validates a mobile number.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = strip_separators(clean(raw)?, b" -()");
        // exactly one country or trunk prefix is stripped
        let national = match s.strip_prefix("+91") {
            Some(rest) => rest,
            None if s.len() == 12 && s.starts_with("91") => &s[2..],
            None if s.len() == 11 && s.starts_with('0') => &s[1..],
            None => &s,
        };
        if !all_ascii_digits(national) {
            return Err(Invalid::new(
                Rule::Charset,
                "must contain only the digits 0-9 (optionally after +91)",
            ));
        }
        if national.len() != Self::LEN {
            return Err(Invalid::with_message(
                Rule::Length,
                format!("must be a {}-digit mobile number", Self::LEN),
            ));
        }
        if !matches!(national.as_bytes()[0], b'6'..=b'9') {
            return Err(Invalid::new(
                Rule::FirstDigit,
                "must start with a digit from 6 to 9",
            ));
        }
        Ok(Self(national.to_owned()))
    }

    /// The 10-digit number. Only for the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last 4 digits.
    pub fn last4(&self) -> &str {
        &self.0[6..]
    }

    /// The masked form `XXXXXX3210`.
    pub fn masked(&self) -> String {
        mask::last4(&self.0)
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(Mobile);

impl std::fmt::Debug for Mobile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

impl std::fmt::Display for Mobile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn normalises_prefixes() {
        for (typed, want) in [
            ("+91 98765-43210", "9876543210"),
            ("09876543210", "9876543210"),
            ("919876543210", "9876543210"),
            ("9123456789", "9123456789"),
            ("(987) 654-3210", "9876543210"),
            ("+919876543210", "9876543210"),
        ] {
            assert_eq!(Mobile::parse(typed).unwrap().expose(), want, "{typed}");
        }
    }

    #[test]
    fn rejects() {
        let rule = |s: &str| Mobile::parse(s).unwrap_err().rule;
        assert_eq!(rule("5876543210"), Rule::FirstDigit);
        assert_eq!(rule("987654321"), Rule::Length);
        assert_eq!(rule("+1 9876543210"), Rule::Charset);
        assert_eq!(rule("98765४3210"), Rule::Charset);
        assert_eq!(rule(" "), Rule::Required);
    }
}
