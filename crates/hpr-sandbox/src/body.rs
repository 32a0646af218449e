//! Reading contract request bodies leniently, as the gateway does: unknown keys ignored, `null`,
//! `""` and a missing key all mean "absent", and codes may come as JSON numbers.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::his::{Detail, HisError};

/// A parsed JSON object body.
pub(crate) type Body = Map<String, Value>;

/// Parses a body that must be a JSON object.
pub(crate) fn parse(bytes: &[u8]) -> Result<Body, HisError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed("The request body must be a JSON object")),
        Err(_) => Err(malformed("The request body is not valid JSON")),
    }
}

fn malformed(detail: &str) -> HisError {
    HisError::new(
        StatusCode::BAD_REQUEST,
        "Malformed request",
        "HIS-400",
        detail,
    )
}

/// A string field; numbers give their decimal text; `null`, blank and missing give `None`.
pub(crate) fn text(body: &Body, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A boolean field (`true`/`false`, or the strings `"true"`/`"false"`).
pub(crate) fn flag(body: &Body, key: &str) -> Option<bool> {
    match body.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Collects per-field problems of one request, to answer them all at once.
#[derive(Default)]
pub(crate) struct Problems(Vec<Detail>);

impl Problems {
    /// Records a problem with `field`.
    pub fn add(&mut self, field: &'static str, code: &'static str, message: impl Into<String>) {
        self.0.push(Detail {
            code,
            message: message.into(),
            field: Some(field),
        });
    }

    /// Parses a required field with `parse`; records `HIS-1070` if absent, `code` if invalid.
    pub fn required<T, E: std::fmt::Display>(
        &mut self,
        body: &Body,
        field: &'static str,
        code: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match text(body, field) {
            None => {
                self.add(
                    field,
                    "HIS-1070",
                    format!("Required field is empty: {field}"),
                );
                None
            }
            Some(raw) => self.check(field, code, parse(&raw)),
        }
    }

    /// Parses an optional field; `Some(None)` when absent, `None` when present but invalid.
    pub fn optional<T, E: std::fmt::Display>(
        &mut self,
        body: &Body,
        field: &'static str,
        code: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<Option<T>> {
        match text(body, field) {
            None => Some(None),
            Some(raw) => self.check(field, code, parse(&raw)).map(Some),
        }
    }

    /// Records `result`'s error, whose message must not contain the value (the SDK's never do).
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        code: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, code, format!("{field} {e}"));
                None
            }
        }
    }

    /// `Ok` when nothing was recorded, else one `400` listing every problem.
    pub fn finish(self) -> Result<(), HisError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(HisError::invalid_fields(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields() {
        let body =
            parse(br#"{"a":"x","b":"  ","c":null,"d":12,"e":true,"f":"false","g":[1]}"#).unwrap();
        assert_eq!(text(&body, "a").as_deref(), Some("x"));
        assert_eq!(text(&body, "b"), None);
        assert_eq!(text(&body, "c"), None);
        assert_eq!(text(&body, "d").as_deref(), Some("12"));
        assert_eq!(text(&body, "missing"), None);
        assert_eq!(text(&body, "g"), None);
        assert_eq!(flag(&body, "e"), Some(true));
        assert_eq!(flag(&body, "f"), Some(false));
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"{").is_err());
    }
}
