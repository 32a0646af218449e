//! Transaction ids issued by the registry.

use super::macros::string_newtype;
use super::text::clean;
use crate::types::{Invalid, Rule, mask};

/// A transaction id: 1–256 printable ASCII characters without whitespace (not necessarily a UUID).
///
/// `Debug`/`Display` show only the first 8 characters, as logs may.
///
/// ```
/// use abdm_hpr::types::TxnId;
/// let t: TxnId = "3fa85f64-5717-4562-b3fc-2c963f66afa6".parse().unwrap();
/// assert_eq!(t.to_string(), "3fa85f64…");
/// assert_eq!(t.as_str(), "3fa85f64-5717-4562-b3fc-2c963f66afa6");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TxnId(String);

impl TxnId {
    /// The longest id accepted.
    pub const MAX_LEN: usize = 256;
    /// The rule beyond the length, for forms and hints.
    pub const RULE: &'static str = "printable ASCII without whitespace, as issued by the registry";

    /// Validates a transaction id.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = clean(raw)?;
        if s.len() > Self::MAX_LEN {
            return Err(Invalid::with_message(
                Rule::Length,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Invalid::new(
                Rule::Charset,
                "must be printable ASCII without whitespace",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The full id, as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The log-safe form: the first 8 characters.
    pub fn masked(&self) -> String {
        mask::txn(&self.0)
    }
}

string_newtype!(TxnId);

impl std::fmt::Debug for TxnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TxnId({})", self.masked())
    }
}

impl std::fmt::Display for TxnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(TxnId::parse("txn_abcdef123456").is_ok());
        assert_eq!(TxnId::parse("a b").unwrap_err().rule, Rule::Charset);
        assert_eq!(TxnId::parse("tëst").unwrap_err().rule, Rule::Charset);
        assert_eq!(
            TxnId::parse(&"a".repeat(257)).unwrap_err().rule,
            Rule::Length
        );
        assert_eq!(TxnId::parse("").unwrap_err().rule, Rule::Required);
    }
}
