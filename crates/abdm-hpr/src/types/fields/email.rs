//! E-mail addresses (CONTRACT §5.2), checked by a practical subset of RFC 5321.

use super::macros::{redacted_fmt, string_newtype};
use super::text::clean;
use crate::types::{Invalid, Rule};

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~.-";

/// An e-mail address: ASCII local part and a dotted domain (international domains as punycode).
///
/// ```
/// use abdm_hpr::types::Email;
/// assert!("asha@example.com".parse::<Email>().is_ok());
/// assert!("asha@localhost".parse::<Email>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The longest address accepted.
    pub const MAX_LEN: usize = 254;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "one @; before it ASCII letters, digits and common symbols; after it a domain such as example.com (punycode for international names)";

    /// Validates an e-mail address.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = clean(raw)?;
        let bad = |message| Err(Invalid::new(Rule::Format, message));
        if s.len() > Self::MAX_LEN {
            return Err(Invalid::with_message(
                Rule::Length,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return bad("must contain one @");
        };
        if domain.contains('@') {
            return bad("must contain one @");
        }
        if local.is_empty() || local.len() > 64 {
            return bad("must have 1 to 64 characters before the @");
        }
        if !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
        {
            return bad("has a character not allowed before the @");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return bad("must not start or end with a dot or contain two dots before the @");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return bad("must have a domain with at least two labels (example.com)");
        }
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !labels.iter().all(label_ok) {
            return bad(
                "has an invalid domain (letters, digits and inner hyphens only; punycode for international names)",
            );
        }
        if labels
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        {
            return bad("must end in a top-level domain, not a number");
        }
        Ok(Self(s.to_owned()))
    }

    /// The address, as sent on the wire. Personal data: do not log.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(Email);
redacted_fmt!(Email);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.in",
            "x@xn--80ak6aa92e.com",
            " a@b.in ",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "plain",
            "a@b",
            "a@@b.com",
            "a@b@c.com",
            ".a@b.com",
            "a.@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b-.com",
            "a@b.123",
            "a@b..com",
            "ä@b.com",
            "a@bü.com",
            "a b@c.com",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().rule, Rule::Format, "{bad}");
        }
        assert_eq!(
            Email::parse(&format!("{}@b.com", "a".repeat(260)))
                .unwrap_err()
                .rule,
            Rule::Length
        );
        assert_eq!(
            Email::parse(&format!("{}@b.com", "a".repeat(65)))
                .unwrap_err()
                .rule,
            Rule::Format
        );
    }
}
