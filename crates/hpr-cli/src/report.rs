//! How an engine error becomes an exit code. The JSON error document itself is the engine's
//! [`ErrorDocument`], the same for every front end.

use abdm_hpr::Error;
use abdm_hpr::flow::{ErrorDocument, ErrorKind};

use crate::exit::ExitStatus;

/// The exit status of an error document's kind (`hpr step --help` documents them).
pub fn exit_status(kind: ErrorKind) -> ExitStatus {
    match kind {
        ErrorKind::Validation | ErrorKind::Config => ExitStatus::Usage,
        ErrorKind::Api | ErrorKind::GatewayAuth => ExitStatus::Api,
        ErrorKind::Transport => ExitStatus::Network,
        ErrorKind::Flow | ErrorKind::NotFound => ExitStatus::Flow,
        ErrorKind::Conflict => ExitStatus::Conflict,
        ErrorKind::Interrupted => ExitStatus::Interrupted,
        _ => ExitStatus::Failure,
    }
}

/// The exit status of an SDK error.
pub fn classify(error: &Error) -> ExitStatus {
    exit_status(ErrorDocument::kind_of(error))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use abdm_hpr::types::{GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest};
    use serde_json::json;

    #[test]
    fn validation_document_lists_fields() {
        let err: Error = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
            aadhaar: Some("234123412345".into()),
        })
        .unwrap_err()
        .into();
        let doc = json!(ErrorDocument::from_error(&err));
        assert_eq!(doc["error"]["kind"], "validation");
        assert_eq!(doc["error"]["fields"][0]["field"], "aadhaar");
        assert_eq!(doc["error"]["fields"][0]["code"], "checksum");
        assert!(doc["error"].get("status").is_none());
        assert!(!doc.to_string().contains("234123412345"));
        assert_eq!(classify(&err), ExitStatus::Usage);
    }
}
