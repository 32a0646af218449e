//! The validation report: which wire field broke which rule.
//!
//! Messages here are written by this crate and never quote the rejected value, so a report can be
//! logged or shown to a user without leaking an Aadhaar number, OTP or password.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// The rule a value broke, as a stable machine code (`snake_case` on the wire and in `as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// Missing, empty or whitespace-only.
    Required,
    /// Too short or too long.
    Length,
    /// A character outside the allowed set (including non-ASCII digits).
    Charset,
    /// Control characters (Cc) and invisible format characters (Cf: zero-width, bidi controls, a
    /// byte-order mark) are never accepted.
    ControlCharacter,
    /// The overall shape is wrong (e.g. an e-mail address without `@`).
    Format,
    /// The first digit is outside the allowed range.
    FirstDigit,
    /// The Verhoeff check digit does not match.
    Checksum,
    /// Not a real calendar date.
    InvalidDate,
    /// A date after today (India time).
    InFuture,
    /// A number or date below the allowed minimum.
    TooEarly,
    /// The password misses a required character class.
    PasswordPolicy,
    /// The value is too large (e.g. a photo over 1 MiB).
    TooLarge,
    /// The payload is not what the field expects (e.g. not base64, not a JPEG/PNG).
    Encoding,
    /// A configuration placeholder such as `__X_HPR_ID__`.
    Placeholder,
    /// A key this request does not have (a misspelling is never silently dropped).
    UnknownField,
    /// An identifier (Aadhaar, OTP, mobile, pincode, txnId) given as a JSON number, not a string.
    ExpectedString,
    /// The same key twice in one JSON object.
    DuplicateField,
}

impl Rule {
    /// The machine code, e.g. `"checksum"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::Length => "length",
            Rule::Charset => "charset",
            Rule::ControlCharacter => "control_character",
            Rule::Format => "format",
            Rule::FirstDigit => "first_digit",
            Rule::Checksum => "checksum",
            Rule::InvalidDate => "invalid_date",
            Rule::InFuture => "in_future",
            Rule::TooEarly => "too_early",
            Rule::PasswordPolicy => "password_policy",
            Rule::TooLarge => "too_large",
            Rule::Encoding => "encoding",
            Rule::Placeholder => "placeholder",
            Rule::UnknownField => "unknown_field",
            Rule::ExpectedString => "expected_string",
            Rule::DuplicateField => "duplicate_field",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a single value was rejected, before it is tied to a field name.
///
/// Returned by the newtypes' `parse`/`TryFrom`. The message never contains the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The rule that failed.
    pub rule: Rule,
    /// A human sentence naming the rule, e.g. "must be exactly 6 digits".
    pub message: Cow<'static, str>,
}

impl Invalid {
    /// A rejection with a fixed message.
    pub const fn new(rule: Rule, message: &'static str) -> Self {
        Self {
            rule,
            message: Cow::Borrowed(message),
        }
    }

    /// A rejection with a computed message (which must not contain the value).
    pub fn with_message(rule: Rule, message: String) -> Self {
        Self {
            rule,
            message: Cow::Owned(message),
        }
    }

    /// The "missing" rejection.
    pub const fn required() -> Self {
        Self::new(Rule::Required, "is required")
    }

    /// Ties this rejection to a wire field.
    pub fn at(self, field: impl Into<Cow<'static, str>>) -> FieldError {
        FieldError {
            field: field.into(),
            rule: self.rule,
            message: self.message,
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

/// One rejected field of a request: the wire field name, the machine code and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The JSON field name as sent on the wire, e.g. `"mobileNumber"`.
    pub field: Cow<'static, str>,
    /// The rule that failed.
    #[serde(rename = "code")]
    pub rule: Rule,
    /// A human sentence naming the rule; never contains the rejected value.
    pub message: Cow<'static, str>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} [{}]", self.field, self.message, self.rule)
    }
}

/// Every problem found in one request, in field order. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// A report with a single field error.
    pub fn single(error: FieldError) -> Self {
        Self(vec![error])
    }

    /// A report of `errors`, or `None` when there are none.
    pub fn from_vec(errors: Vec<FieldError>) -> Option<Self> {
        (!errors.is_empty()).then_some(Self(errors))
    }

    /// The field errors, in the order the fields were checked.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// The first error about `field`, if any.
    pub fn field(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// Number of field errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a report holds at least one error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid request: ")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Collects field errors while a request is checked, so every failure is reported at once.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    /// An empty checker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks a required raw value: missing or blank gives [`Rule::Required`].
    pub fn required<T>(
        &mut self,
        field: &'static str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        match raw {
            Some(s) if !s.trim().is_empty() => self.record(field, parse(s)),
            _ => {
                self.errors.push(Invalid::required().at(field));
                None
            }
        }
    }

    /// Checks an optional raw value: missing or blank gives `Some(None)`.
    ///
    /// Returns `None` only when a present value is invalid.
    pub fn optional<T>(
        &mut self,
        field: &'static str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match raw {
            Some(s) if !s.trim().is_empty() => self.record(field, parse(s)).map(Some),
            _ => Some(None),
        }
    }

    /// Records the outcome of a check done elsewhere.
    pub fn record<T>(&mut self, field: &'static str, result: Result<T, Invalid>) -> Option<T> {
        result.map_err(|e| self.errors.push(e.at(field))).ok()
    }

    /// Adds an error that involves several fields (e.g. an impossible date).
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Adds every error of a report made elsewhere (e.g. by [`DateOfBirth::from_parts`]), keeping
    /// their order.
    ///
    /// [`DateOfBirth::from_parts`]: crate::types::DateOfBirth::from_parts
    pub fn extend(&mut self, errors: ValidationErrors) {
        self.errors.extend(errors);
    }

    /// `true` when nothing failed so far.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(())` when nothing failed, else the whole report.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }
}

/// The value of a field after [`Checker::finish`] returned `Ok`.
///
/// `Checker` returns `None` for a field only after recording an error, so once `finish` passed
/// every value is `Some`. This turns that invariant into a value instead of a panic: should a
/// future edit break it, the caller gets a report naming the field rather than a crash.
pub(crate) fn checked<T>(value: Option<T>, field: &'static str) -> Result<T, ValidationErrors> {
    value.ok_or_else(|| {
        ValidationErrors::single(Invalid::new(Rule::Required, "could not be checked").at(field))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn checker_reports_every_failure_in_order() {
        let mut c = Checker::new();
        let a: Option<u8> = c.required("a", None, |_| Ok(1));
        let b: Option<u8> = c.required("b", Some("x"), |_| {
            Err(Invalid::new(Rule::Format, "is bad"))
        });
        let o: Option<Option<u8>> = c.optional("c", Some("  "), |_| Ok(3));
        assert_eq!((a, b, o), (None, None, Some(None)));
        let report = c.finish().unwrap_err();
        assert_eq!(report.len(), 2);
        assert_eq!(report.errors()[0].field, "a");
        assert_eq!(report.errors()[0].rule, Rule::Required);
        assert_eq!(report.errors()[1].field, "b");
        assert_eq!(
            report.to_string(),
            "invalid request: a is required [required]; b is bad [format]"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json[1]["code"], "format");
    }

    #[test]
    fn extend_keeps_order_and_checked_reports_instead_of_panicking() {
        let mut c = Checker::new();
        c.push(Invalid::required().at("a"));
        let other = ValidationErrors::from_vec(vec![
            Invalid::new(Rule::Length, "is long").at("b"),
            Invalid::new(Rule::Format, "is bad").at("c"),
        ])
        .unwrap();
        c.extend(other);
        let report = c.finish().unwrap_err();
        let fields: Vec<&str> = report.errors().iter().map(|e| e.field.as_ref()).collect();
        assert_eq!(fields, ["a", "b", "c"]);

        assert_eq!(checked(Some(3), "x"), Ok(3));
        let err = checked::<u8>(None, "txnId").unwrap_err();
        assert_eq!(err.errors()[0].field, "txnId");
    }
}
