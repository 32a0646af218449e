//! Turning a response body into a typed value or a value-free decode error.

use serde::de::DeserializeOwned;

use crate::error::{BodyExcerpt, Error};
use crate::step::Step as Operation;

/// Decodes a 2xx body, naming the JSON path of the first problem.
///
/// The body is decoded directly first; only a body that fails is decoded again with path
/// tracking, so a good answer does not pay for locating errors it does not have.
pub fn decode<T: DeserializeOwned>(op: Operation, status: u16, body: &[u8]) -> Result<T, Error> {
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    decode_located(op, status, body)
}

/// Decodes a body known to be bad, for the path and message of its first problem.
#[cold]
fn decode_located<T: DeserializeOwned>(
    op: Operation,
    status: u16,
    body: &[u8],
) -> Result<T, Error> {
    let fail = |path: String, message: String| Error::Decode {
        operation: op,
        status,
        path,
        message,
        body: BodyExcerpt::new(body),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(".".into(), "empty body".into()));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let (path, message) = locate(e.path().to_string(), &e.inner().to_string());
        fail(path, message)
    })?;
    de.end().map_err(|e| {
        fail(
            ".".into(),
            crate::types::scrub::serde_message(&e.to_string()),
        )
    })?;
    Ok(value)
}

/// Points the path at a missing field itself (serde reports it at the parent object) and drops
/// serde_json's "at line … column …" suffix, which is noise once the path is known.
fn locate(path: String, message: &str) -> (String, String) {
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    match missing {
        Some(field) if path == "." => (field.to_owned(), message.to_owned()),
        Some(field) => (format!("{path}.{field}"), message.to_owned()),
        None => (path, crate::types::scrub::serde_message(message)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::gateway::FromGateway as _;
    use crate::types::DemographicAuthResponse;

    #[test]
    fn messages_drop_values() {
        let err =
            DemographicAuthResponse::from_gateway(200, br#"{"verified":"secret-token-value"}"#)
                .unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("secret-token-value"), "{text}");
        assert!(
            text.contains("`verified`") && text.contains("expected a boolean"),
            "{text}"
        );
    }

    #[test]
    fn missing_fields_are_located() {
        let err = crate::types::MobileOtpResponse::from_gateway(200, br#"{"mobileNumber":null}"#)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, message, .. } if path == "txnId" && message == "missing field `txnId`"),
            "{err:?}"
        );
    }

    #[test]
    fn empty_and_trailing_garbage() {
        let empty = DemographicAuthResponse::from_gateway(200, b" ");
        assert!(matches!(empty, Err(Error::Decode { ref message, .. }) if message == "empty body"));
        let trailing = DemographicAuthResponse::from_gateway(200, br#"{"verified":true} x"#);
        assert!(matches!(trailing, Err(Error::Decode { .. })));
    }
}
