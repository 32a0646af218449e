//! Free-text fields: names, address, and the `domainName`/`idType` settings.

use super::macros::{redacted_fmt, string_newtype};
use super::text::clean;
use crate::types::{Invalid, Rule};

fn bounded(raw: &str, max: usize) -> Result<String, Invalid> {
    let s = clean(raw)?;
    if s.chars().count() > max {
        return Err(Invalid::with_message(
            Rule::Length,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// A first, middle or last name: trimmed, 1–100 characters in any script. Redacted in `Debug`.
///
/// ```
/// use abdm_hpr::types::PersonName;
/// assert_eq!(" आशा ".parse::<PersonName>().unwrap().as_str(), "आशा");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// The longest name accepted, in characters.
    pub const MAX_LEN: usize = 100;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str =
        "any script, at least one letter; leading and trailing spaces are ignored";

    /// Validates a name: 1–100 characters, at least one letter, no control or invisible
    /// formatting characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = bounded(raw, Self::MAX_LEN)?;
        if !name.chars().any(char::is_alphabetic) {
            return Err(Invalid::new(
                Rule::Charset,
                "must contain at least one letter",
            ));
        }
        Ok(Self(name))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(PersonName);
redacted_fmt!(PersonName);

/// A postal address: trimmed, 1–500 characters. Redacted in `Debug`.
///
/// ```
/// assert!("12 Station Rd, Ghaziabad".parse::<abdm_hpr::types::Address>().is_ok());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Address(String);

impl Address {
    /// The longest address accepted, in characters.
    pub const MAX_LEN: usize = 500;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "any script; leading and trailing spaces are ignored";

    /// Validates an address.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded(raw, Self::MAX_LEN).map(Self)
    }

    /// The trimmed address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(Address);
redacted_fmt!(Address);

/// Declares a configuration string with a default, trimmed, 1–64 characters.
macro_rules! setting {
    ($(#[$doc:meta])* $ty:ident, $default:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// The longest value accepted, in characters.
            pub const MAX_LEN: usize = 64;

            /// Validates an override.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                bounded(raw, Self::MAX_LEN).map(Self)
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                Self($default.to_owned())
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        string_newtype!($ty);
    };
}

setting!(
    /// `domainName` of verify-Aadhaar-OTP, default `@hpr.abdm`.
    ///
    /// ```
    /// assert_eq!(abdm_hpr::types::DomainName::default().as_str(), "@hpr.abdm");
    /// ```
    DomainName,
    "@hpr.abdm"
);

setting!(
    /// `idType` of verify-Aadhaar-OTP, default `hpr_id`.
    ///
    /// ```
    /// assert_eq!(abdm_hpr::types::IdType::default().as_str(), "hpr_id");
    /// ```
    IdType,
    "hpr_id"
);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(
            PersonName::parse(&"a".repeat(101)).unwrap_err().rule,
            Rule::Length
        );
        assert!(PersonName::parse(&"अ".repeat(100)).is_ok());
        assert_eq!(PersonName::parse(" \t ").unwrap_err().rule, Rule::Required);
        assert_eq!(
            PersonName::parse("As\u{7}ha").unwrap_err().rule,
            Rule::ControlCharacter
        );
        // invisible format characters (Cf) are refused; a name needs a letter
        for bad in [
            "\u{200B}\u{200B}",
            "As\u{200B}ha",
            "As\u{200D}ha",
            "As\u{200C}ha",
            "\u{202E}ahsA",
            "A\u{2066}sha",
            "Asha\u{FEFF}",
            "\u{FEFF}Asha",
        ] {
            assert_eq!(
                PersonName::parse(bad).unwrap_err().rule,
                Rule::ControlCharacter,
                "{bad:?}"
            );
        }
        assert_eq!(
            Address::parse("12 Station\u{200B} Rd").unwrap_err().rule,
            Rule::ControlCharacter
        );
        for bad in ["123", "--", ".", "\u{0301}"] {
            assert_eq!(
                PersonName::parse(bad).unwrap_err().rule,
                Rule::Charset,
                "{bad:?}"
            );
        }
        assert!(PersonName::parse("D'Souza-2").is_ok());
        assert_eq!(Address::parse("12").unwrap().as_str(), "12");
        assert_eq!(
            Address::parse(&"a".repeat(501)).unwrap_err().rule,
            Rule::Length
        );
        assert_eq!(
            format!("{:?}", PersonName::parse("Asha").unwrap()),
            "PersonName([redacted])"
        );
    }
}
