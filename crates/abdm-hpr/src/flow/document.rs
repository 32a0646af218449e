//! [`ErrorDocument`]: the one JSON error shape every front end prints or returns.

use serde::{Deserialize, Serialize};

use super::Step;
use crate::error::Error;

/// What kind of failure an [`ErrorDocument`] reports; front ends map it to exit codes or HTTP
/// statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorKind {
    /// A field broke a rule, or the input could not be read; nothing was sent.
    Validation,
    /// The configuration is unusable (or a saved session cannot be read).
    Config,
    /// The registry refused the request, or answered unreadably.
    Api,
    /// The network failed or timed out.
    Transport,
    /// The step is not allowed now.
    Flow,
    /// Someone else changed or holds the registration; nothing was sent.
    Conflict,
    /// No such registration.
    NotFound,
    /// The session store failed.
    Store,
    /// The user interrupted the wait.
    Interrupted,
    /// No API key, or one that is unknown or revoked (REST service).
    Auth,
    /// Too many requests for this API key; retry after the time given (REST service).
    RateLimited,
    /// The ABDM gateway refused our access token or client credentials (Backend B: WSO2
    /// `900901`/`900902`/`900908`, or the session API); nothing was processed.
    GatewayAuth,
}

/// One field's problem, by wire name, without the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    /// The wire name, e.g. `otp`.
    pub field: String,
    /// The rule, in words.
    pub message: String,
    /// The machine code of the rule, e.g. `checksum`.
    pub code: String,
}

/// `{"error":{"kind","message","fields","status","code","allowed_steps","unconfirmed"}}`, keys
/// that do not apply left out. Messages never contain an OTP, a password, a token or a full
/// Aadhaar number (they come from [`Error`], which never holds them).
///
/// ```
/// use abdm_hpr::flow::{ErrorDocument, ErrorKind};
/// let doc = ErrorDocument::new(ErrorKind::Config, "no API key");
/// assert_eq!(serde_json::to_string(&doc).unwrap(), r#"{"error":{"kind":"config","message":"no API key"}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDocument {
    /// The body.
    pub error: ErrorBody,
}

/// The body of an [`ErrorDocument`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// One sentence.
    pub message: String,
    /// Every failing field, for `validation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
    /// The registry's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The registry's cause code (`HIS-1013`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The steps allowed now, for `flow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_steps: Option<Vec<Step>>,
    /// `true` when the step may have taken effect although no usable answer arrived.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

impl ErrorDocument {
    /// A document with just a kind and a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                kind,
                message: message.into(),
                fields: None,
                status: None,
                code: None,
                allowed_steps: None,
                unconfirmed: false,
            },
        }
    }

    /// The kind of an SDK error.
    pub fn kind_of(error: &Error) -> ErrorKind {
        match error {
            Error::Validation(_) => ErrorKind::Validation,
            Error::Config(_) | Error::Encryption { .. } => ErrorKind::Config,
            Error::GatewayAuth { .. } => ErrorKind::GatewayAuth,
            Error::Flow { .. } => ErrorKind::Flow,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Store(_) => ErrorKind::Store,
            Error::NotFound(_) => ErrorKind::NotFound,
            e if e.is_unconfirmed() => ErrorKind::Transport,
            Error::Timeout { .. } | Error::Transport { .. } => ErrorKind::Transport,
            _ => ErrorKind::Api,
        }
    }

    /// The document for an SDK error.
    pub fn from_error(error: &Error) -> Self {
        let mut doc = Self::new(Self::kind_of(error), error.to_string());
        let body = &mut doc.error;
        body.fields = error.validation().map(|report| {
            report
                .errors()
                .iter()
                .map(|e| FieldProblem {
                    field: e.field.to_string(),
                    message: e.message.to_string(),
                    code: serde_json::to_value(e.rule)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                })
                .collect()
        });
        body.status = error.status();
        body.code = error.api_code().map(str::to_owned);
        if let Error::Flow { allowed, .. } = error {
            body.allowed_steps = Some(allowed.clone());
        }
        if error.is_unconfirmed() {
            body.unconfirmed = true;
            body.message.push_str(
                ". The step may have taken effect at the registry although no answer said so (unconfirmed)",
            );
        }
        doc
    }
}

impl From<&Error> for ErrorDocument {
    fn from(error: &Error) -> Self {
        Self::from_error(error)
    }
}
