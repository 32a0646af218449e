//! Numeric registry codes: professional category and sub-category, state and district.

use super::macros::{redacted_fmt, string_newtype};
use super::text::{clean, digits};
use crate::types::Invalid;

/// Declares a newtype holding `min..=max` ASCII digits (leading zeros kept).
macro_rules! digit_code {
    ($(#[$doc:meta])* $ty:ident, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// The fewest digits accepted.
            pub const MIN_LEN: usize = $min;
            /// The most digits accepted.
            pub const MAX_LEN: usize = $max;
            /// The rule beyond the length, for forms and hints.
            pub const RULE: &'static str = "digits only; leading zeros are kept";

            /// Validates the code after trimming.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                let s = clean(raw)?;
                digits(s, Self::MIN_LEN, Self::MAX_LEN)?;
                Ok(Self(s.to_owned()))
            }

            /// The code as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_newtype!($ty);
    };
}

/// Implements `Debug`/`Display` that show the code (it is not personal data).
macro_rules! plain_fmt {
    ($ty:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self.0)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

digit_code!(
    /// Professional category (`hpCategoryCode`), 1–4 digits, e.g. `1` Doctor.
    ///
    /// Unlisted codes are accepted: the registry's own tables are authoritative.
    ///
    /// ```
    /// assert!(" 1 ".parse::<abdm_hpr::types::CategoryCode>().is_ok());
    /// ```
    CategoryCode, 1, 4
);
plain_fmt!(CategoryCode);

digit_code!(
    /// Professional sub-category (`hpSubCategoryCode`), 1–4 digits, e.g. `1` Modern Medicine.
    ///
    /// ```
    /// assert!("220".parse::<abdm_hpr::types::SubCategoryCode>().is_ok());
    /// ```
    SubCategoryCode, 1, 4
);
plain_fmt!(SubCategoryCode);

digit_code!(
    /// LGD state code (`stateCode`), 1–6 digits, leading zeros kept (`"07"`). Demographic: redacted in `Debug`.
    ///
    /// ```
    /// assert_eq!("07".parse::<abdm_hpr::types::StateCode>().unwrap().as_str(), "07");
    /// ```
    StateCode, 1, 6
);
redacted_fmt!(StateCode);

digit_code!(
    /// LGD district code (`districtCode`), 1–6 digits. Demographic: redacted in `Debug`.
    ///
    /// ```
    /// assert!("145".parse::<abdm_hpr::types::DistrictCode>().is_ok());
    /// ```
    DistrictCode, 1, 6
);
redacted_fmt!(DistrictCode);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::types::Rule;

    #[test]
    fn rules() {
        assert_eq!(CategoryCode::parse("12345").unwrap_err().rule, Rule::Length);
        assert_eq!(CategoryCode::parse("1a").unwrap_err().rule, Rule::Charset);
        assert_eq!(StateCode::parse("1234567").unwrap_err().rule, Rule::Length);
        assert_eq!(DistrictCode::parse("").unwrap_err().rule, Rule::Required);
        assert_eq!(
            format!("{:?}", CategoryCode::parse("1").unwrap()),
            "CategoryCode(1)"
        );
        assert_eq!(
            format!("{:?}", StateCode::parse("9").unwrap()),
            "StateCode([redacted])"
        );
    }
}
