//! How an SDK error becomes an exit code, a JSON error document (`hpr step`) or a sentence
//! (`hpr register`). Messages come from the SDK, which never puts secrets in them.

use abdm_hpr::Error;
use serde_json::{Map, Value, json};

use crate::exit::ExitStatus;

/// The `kind` of an error document and its exit status.
pub fn classify(error: &Error) -> (&'static str, ExitStatus) {
    match error {
        Error::Validation(_) => ("validation", ExitStatus::Usage),
        Error::Config(_) => ("config", ExitStatus::Usage),
        Error::Flow { .. } => ("flow", ExitStatus::Flow),
        Error::Api { .. } | Error::Decode { .. } => ("api", ExitStatus::Api),
        Error::Timeout { .. } | Error::Transport { .. } => ("transport", ExitStatus::Network),
        // a future kind: treat as a failure of the call
        _ => ("api", ExitStatus::Api),
    }
}

/// `{"error":{"kind","message","fields":[{"field","message"}],"status","code"}}`, absent keys
/// omitted.
pub fn error_document(error: &Error) -> Value {
    let (kind, _) = classify(error);
    let mut body = Map::new();
    body.insert("kind".into(), json!(kind));
    body.insert("message".into(), json!(error.to_string()));
    if let Some(report) = error.validation() {
        let fields: Vec<Value> = report
            .errors()
            .iter()
            .map(|e| json!({"field": e.field, "message": e.message, "code": e.rule}))
            .collect();
        body.insert("fields".into(), Value::Array(fields));
    }
    if let Some(status) = error.status() {
        body.insert("status".into(), json!(status));
    }
    if let Some(code) = error.api_code() {
        body.insert("code".into(), json!(code));
    }
    if let Error::Flow { allowed, .. } = error {
        body.insert("allowed_steps".into(), json!(allowed));
    }
    json!({ "error": body })
}

/// A config or usage problem found by `hpr` itself, as the same document.
pub fn usage_document(kind: &str, message: &str) -> Value {
    json!({"error": {"kind": kind, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use abdm_hpr::types::{GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest};

    #[test]
    fn validation_document_lists_fields() {
        let err: Error = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
            aadhaar: Some("234123412345".into()),
        })
        .unwrap_err()
        .into();
        let doc = error_document(&err);
        assert_eq!(doc["error"]["kind"], "validation");
        assert_eq!(doc["error"]["fields"][0]["field"], "aadhaar");
        assert_eq!(doc["error"]["fields"][0]["code"], "checksum");
        assert!(doc["error"].get("status").is_none());
        assert!(!doc.to_string().contains("234123412345"));
        assert_eq!(classify(&err).1, ExitStatus::Usage);
    }
}
