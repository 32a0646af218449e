//! HPR IDs (usernames) such as `asha.verma` / `asha.verma@hpr.abdm`.

use super::macros::{redacted_fmt, string_newtype};
use super::text::clean;
use crate::types::{Invalid, Rule};

/// The domain suffix of every HPR ID.
pub const HPR_DOMAIN: &str = "@hpr.abdm";

/// An HPR ID username: 4–50 ASCII letters, digits, `.` and `_`, starting with a letter or digit and
/// not ending with `.` or `_`. An `@hpr.abdm` suffix (any case) is accepted and dropped.
///
/// ```
/// use abdm_hpr::types::HprId;
/// let id: HprId = "Asha.Verma@HPR.ABDM".parse().unwrap();
/// assert_eq!(id.as_str(), "Asha.Verma");
/// assert_eq!(id.full(), "Asha.Verma@hpr.abdm");
/// assert!("asha@gmail.com".parse::<HprId>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HprId(String);

impl HprId {
    /// The shortest username accepted.
    pub const MIN_LEN: usize = 4;
    /// The longest username accepted.
    pub const MAX_LEN: usize = 50;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "ASCII letters, digits, '.' and '_'; starts with a letter or digit and does not end with '.' or '_'; @hpr.abdm is added for you";

    /// Validates a username, with or without the `@hpr.abdm` suffix.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = clean(raw)?;
        let user = match s.find('@') {
            Some(at) if s[at..].eq_ignore_ascii_case(HPR_DOMAIN) => &s[..at],
            Some(_) => {
                return Err(Invalid::new(Rule::Format, "may only end in @hpr.abdm"));
            }
            None => s,
        };
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&user.len()) {
            return Err(Invalid::with_message(
                Rule::Length,
                format!("must be {} to {} characters", Self::MIN_LEN, Self::MAX_LEN),
            ));
        }
        if !user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        {
            return Err(Invalid::new(
                Rule::Charset,
                "may contain only ASCII letters, digits, '.' and '_'",
            ));
        }
        let first = user.as_bytes()[0];
        let last = user.as_bytes()[user.len() - 1];
        if !first.is_ascii_alphanumeric() || last == b'.' || last == b'_' {
            return Err(Invalid::new(
                Rule::Format,
                "must start with a letter or digit and not end with '.' or '_'",
            ));
        }
        Ok(Self(user.to_owned()))
    }

    /// The bare username, as sent on the wire (case preserved).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The full id `<username>@hpr.abdm`.
    pub fn full(&self) -> String {
        format!("{}{HPR_DOMAIN}", self.0)
    }
}

string_newtype!(HprId);
redacted_fmt!(HprId);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for ok in [
            "asha.verma",
            "ashaverma1988",
            "a_b1",
            "1abc",
            "asha@hpr.abdm",
        ] {
            assert!(HprId::parse(ok).is_ok(), "{ok}");
        }
        let rule = |s: &str| HprId::parse(s).unwrap_err().rule;
        assert_eq!(rule("abc"), Rule::Length);
        assert_eq!(rule(&"a".repeat(51)), Rule::Length);
        assert_eq!(rule("asha-verma"), Rule::Charset);
        assert_eq!(rule("_asha"), Rule::Format);
        assert_eq!(rule("asha."), Rule::Format);
        assert_eq!(rule("asha@abdm.gov.in"), Rule::Format);
        assert_eq!(rule("ásha"), Rule::Charset);
    }
}
