//! Indian postal index numbers.

use super::macros::{redacted_fmt, string_newtype};
use super::text::{clean, digits};
use crate::types::{Invalid, Rule};

/// A 6-digit PIN code not starting with 0; one internal space (`110 001`) is dropped.
///
/// ```
/// use abdm_hpr::types::Pincode;
/// assert_eq!("110 001".parse::<Pincode>().unwrap().as_str(), "110001");
/// assert!("012345".parse::<Pincode>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pincode(String);

impl Pincode {
    /// The number of digits.
    pub const LEN: usize = 6;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "digits only, not starting with 0; one space inside is ignored";

    /// Validates a PIN code.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = clean(raw)?.replacen(' ', "", 1);
        digits(&s, Self::LEN, Self::LEN)?;
        if s.starts_with('0') {
            return Err(Invalid::new(Rule::FirstDigit, "must not start with 0"));
        }
        Ok(Self(s))
    }

    /// The 6 digits. Personal data: do not log.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(Pincode);
redacted_fmt!(Pincode);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(Pincode::parse(" 201001 ").unwrap().as_str(), "201001");
        assert_eq!(Pincode::parse("11 0 001").unwrap_err().rule, Rule::Charset);
        assert_eq!(Pincode::parse("20100").unwrap_err().rule, Rule::Length);
        assert_eq!(Pincode::parse("012345").unwrap_err().rule, Rule::FirstDigit);
    }
}
