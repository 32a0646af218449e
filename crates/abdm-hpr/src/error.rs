//! One error type, by the phase of the request in which it failed.
//!
//! | Variant | Sent? | Meaning |
//! |---|---|---|
//! | [`Error::Validation`] | never | a field broke a rule; every field is listed |
//! | [`Error::Config`] | never | the client is misconfigured |
//! | [`Error::Flow`] | never | the registration flow does not allow this step now |
//! | [`Error::Transport`] | no / maybe | connection or I/O failure; says whether the request may have been sent |
//! | [`Error::Timeout`] | maybe | no answer in time |
//! | [`Error::Api`] | yes | the registry answered with an error status |
//! | [`Error::Decode`] | yes | the registry answered 2xx with a body we cannot read |
//! | [`Error::GatewayAuth`] | refused | Backend B: the ABDM gateway refused the access token or the client credentials |
//! | [`Error::Encryption`] | refused | Backend B: the registry could not read an encrypted field, or wanted one encrypted |
//! | [`Error::Mismatch`] | yes | a backend answered with another step's response (a backend bug) |
//! | [`Error::Conflict`] | never | the session changed meanwhile, or another run holds it |
//! | [`Error::NotFound`] | never | no registration with that id |
//! | [`Error::Store`] | — | the session store failed (disk, database) |
//!
//! [`Error::is_unconfirmed`] tells the failures after which a side effect (an OTP sent, an ID
//! created) may have happened although no answer said so.
//!
//! No message produced here contains an Aadhaar number, OTP, password or token: validation messages
//! never quote values, server texts are scrubbed of long digit runs, and raw bodies are kept in a
//! [`BodyExcerpt`] that `Debug` prints only as a length.

use std::fmt;
use std::time::Duration;

use crate::step::Step as Operation;
use crate::types::ValidationErrors;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a registry call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was invalid and was not sent.
    #[error(transparent)]
    Validation(#[from] ValidationErrors),

    /// The registration flow does not allow this step now; nothing was sent and the session is
    /// unchanged.
    #[error("step `{step}` is not allowed now ({stage}); allowed: {}", allowed_list(.allowed))]
    Flow {
        /// The step that was asked for.
        step: Operation,
        /// Where the session stands.
        stage: String,
        /// The steps allowed now.
        allowed: Vec<Operation>,
    },

    /// The client configuration is unusable (missing URL, empty key, placeholder header…).
    #[error("configuration error: {0}")]
    Config(String),

    /// The registry answered with a non-2xx status.
    #[error("{operation}: {error}")]
    Api {
        /// The operation that failed.
        operation: Operation,
        /// The parsed error body and status.
        error: Box<ApiError>,
    },

    /// No complete answer arrived in time.
    #[error("{operation}: timed out {}", if *.during_connect { "while connecting (not sent)" } else { "waiting for the response (the request may have been processed)" })]
    Timeout {
        /// The operation that timed out.
        operation: Operation,
        /// `true` if the connection was never established, so nothing was sent.
        during_connect: bool,
    },

    /// The connection failed.
    #[error("{operation}: transport error ({sent}): {}", with_causes(source.as_ref()))]
    Transport {
        /// The operation that failed.
        operation: Operation,
        /// Whether the registry may have received the request.
        sent: RequestSent,
        /// The underlying I/O or protocol error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A 2xx response whose body does not match the contract.
    #[error("{operation}: could not decode the HTTP {status} response at `{path}`: {message}")]
    Decode {
        /// The operation whose response was unreadable.
        operation: Operation,
        /// The HTTP status (2xx).
        status: u16,
        /// JSON path of the offending value (`.` for the whole body).
        path: String,
        /// What was wrong, without the offending value.
        message: String,
        /// The start of the body, for deliberate inspection only.
        body: BodyExcerpt,
    },

    /// Backend B: the ABDM API gateway refused the call's credentials — the access token (WSO2
    /// `900901` invalid or expired, `900902` missing, `900908` subscription not valid) or, at
    /// the session endpoint, the client ID and secret. The call was not processed.
    #[error("{operation}: {message}")]
    GatewayAuth {
        /// The registry call it happened on.
        operation: Operation,
        /// The HTTP status (401 or 403 usually).
        status: u16,
        /// The gateway's code (`900901`, or the session API's `ABDM-…`), when sent.
        code: Option<String>,
        /// What was refused and what to check, without any credential.
        message: String,
    },

    /// Backend B: the registry could not decrypt a field we encrypted, or refused one we sent in
    /// clear (HIS-1047), or its key could not be fetched or used. The call was not processed; the
    /// fix is the per-field encryption mode.
    #[error("{operation}: {message}")]
    Encryption {
        /// The registry call.
        operation: Operation,
        /// The field's wire name, e.g. `password`.
        field: String,
        /// The registry's HTTP status, when it answered.
        status: Option<u16>,
        /// The registry's cause code (`HIS-1047`, `HIS-500`), when sent.
        code: Option<String>,
        /// What went wrong and which mode to try, without the value.
        message: String,
    },

    /// A backend answered with the response of another step: a bug in that backend.
    #[error("{operation}: the backend answered as if for {answered}")]
    Mismatch {
        /// The step that was sent.
        operation: Operation,
        /// The step the answer was for.
        answered: Operation,
    },

    /// The registration was changed by someone else since it was read, or another run holds it
    /// right now; nothing was sent and nothing changed.
    #[error("conflict: {0}")]
    Conflict(String),

    /// No registration with that id (or it expired).
    #[error("not found: {0}")]
    NotFound(String),

    /// The session store failed (a file or database could not be read or written).
    #[error("session store: {0}")]
    Store(String),
}

impl Error {
    /// The HTTP status, when the registry answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { error, .. } => Some(error.status),
            Error::Decode { status, .. } | Error::GatewayAuth { status, .. } => Some(*status),
            Error::Encryption { status, .. } => *status,
            _ => None,
        }
    }

    /// `true` when repeating the same request is both safe and likely to help: the request was
    /// certainly not sent, or the registry asked to come back later (429, 503).
    ///
    /// A timeout after sending is *not* retryable: an OTP may already be on its way.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { sent, .. } => *sent == RequestSent::No,
            Error::Timeout { during_connect, .. } => *during_connect,
            Error::Api { error, .. } => matches!(error.status, 429 | 503),
            _ => false,
        }
    }

    /// The step the error is about, when it came from a registry call.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Flow { step, .. } => Some(*step),
            Error::Api { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Decode { operation, .. }
            | Error::GatewayAuth { operation, .. }
            | Error::Encryption { operation, .. }
            | Error::Mismatch { operation, .. } => Some(*operation),
            _ => None,
        }
    }

    /// `true` when the request may have been processed although no usable answer arrived: a
    /// timeout or reset after sending, a 5xx without a registry error envelope, an unreadable 2xx.
    pub fn may_have_been_processed(&self) -> bool {
        match self {
            Error::Transport { sent, .. } => *sent == RequestSent::Maybe,
            Error::Timeout { during_connect, .. } => !*during_connect,
            Error::Api { error, .. } => error.status >= 500 && error.cause_code().is_none(),
            Error::Decode { .. } | Error::Mismatch { .. } => true,
            _ => false,
        }
    }

    /// `true` when a step with a side effect (an OTP sent, an ID created) failed in a way that
    /// leaves it unknown whether the side effect happened ([`may_have_been_processed`](Self::may_have_been_processed)).
    pub fn is_unconfirmed(&self) -> bool {
        self.may_have_been_processed() && self.operation().is_some_and(Operation::has_side_effects)
    }

    /// The registry's cause code (`details[0].code`, else the top-level `code`), e.g. `HIS-1013`.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Error::Api { error, .. } => error.cause_code(),
            Error::GatewayAuth { code, .. } | Error::Encryption { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The validation report, for [`Error::Validation`].
    pub fn validation(&self) -> Option<&ValidationErrors> {
        match self {
            Error::Validation(v) => Some(v),
            _ => None,
        }
    }
}

/// An error and its causes, `outer: inner: innermost` ("error sending request" alone does not say
/// that the connection was refused). Repeated texts are shown once.
pub(crate) fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

fn allowed_list(allowed: &[Operation]) -> String {
    if allowed.is_empty() {
        return "none: the registration is complete".to_owned();
    }
    allowed
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<crate::types::FieldError> for Error {
    fn from(e: crate::types::FieldError) -> Self {
        Error::Validation(ValidationErrors::single(e))
    }
}

/// Whether a failed request may have reached the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSent {
    /// Failed before any byte was sent (DNS, connect, TLS handshake).
    No,
    /// Failed after the request may have been sent.
    Maybe,
}

impl fmt::Display for RequestSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestSent::No => "request not sent",
            RequestSent::Maybe => "request may have been sent",
        })
    }
}

/// An error answer from the registry, from either error shape (CONTRACT §2.2, §3.4):
/// `{message, details}` or the HIS envelope `{code, message, details: [{code, message, attribute}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status; never lost.
    pub status: u16,
    /// Top-level `code` (string or number), e.g. `HIS-422` or `900901`.
    pub code: Option<String>,
    /// Top-level `message`, or `HTTP <status>` when absent.
    pub message: String,
    /// `details`, in order; `details[0]` is the cause.
    pub details: Vec<ApiErrorDetail>,
    /// Gateway `description`, when sent.
    pub description: Option<String>,
    /// How long the registry asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The body, when it was not a JSON object.
    pub raw_body: Option<BodyExcerpt>,
}

/// One entry of an error's `details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorDetail {
    /// e.g. `HIS-1013`.
    pub code: Option<String>,
    /// e.g. `Incorrect OTP entered`.
    pub message: Option<String>,
    /// The field the detail is about (`attribute.key`); the submitted value is never kept.
    pub field: Option<String>,
}

impl ApiError {
    /// The cause code: `details[0].code`, else the top-level code.
    pub fn cause_code(&self) -> Option<&str> {
        self.details
            .first()
            .and_then(|d| d.code.as_deref())
            .or(self.code.as_deref())
    }

    /// Parses an error body. Never fails: anything that is not a JSON object is kept as raw text.
    pub fn from_body(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let fallback = || format!("HTTP {status}");
        let Ok(serde_json::Value::Object(mut obj)) = serde_json::from_slice(body) else {
            let raw = (!body.is_empty()).then(|| BodyExcerpt::new(body));
            return Self {
                status,
                code: None,
                message: fallback(),
                details: Vec::new(),
                description: None,
                retry_after,
                raw_body: raw,
            };
        };
        // the ABDM gateway's v3 shape nests everything: {"error":{"code","message"}}
        if !obj.contains_key("message")
            && let Some(serde_json::Value::Object(inner)) = obj.remove("error")
        {
            obj = inner;
        }
        // codes (`HIS-1013`, WSO2 `900901`) are the registry's own identifiers: kept verbatim,
        // except the v3 gateway's trailing separator (`"ABDM-9999: "`)
        let code = |v: Option<&serde_json::Value>| -> Option<String> {
            match v? {
                serde_json::Value::String(s) if !s.trim().is_empty() => {
                    Some(s.trim().trim_end_matches(':').trim_end().to_owned())
                }
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        // free texts may quote a submitted number, whether sent as a string or a number
        let text = |v: Option<&serde_json::Value>| code(v).map(|s| scrub(&s));
        let details = match obj.get("details") {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    serde_json::Value::Object(d) => ApiErrorDetail {
                        code: code(d.get("code")),
                        message: text(d.get("message")),
                        field: d
                            .get("attribute")
                            .and_then(|a| a.get("key"))
                            .and_then(|k| text(Some(k))),
                    },
                    other => ApiErrorDetail {
                        code: None,
                        message: text(Some(other)),
                        field: None,
                    },
                })
                .collect(),
            Some(serde_json::Value::String(s)) => vec![ApiErrorDetail {
                code: None,
                message: Some(scrub(s)),
                field: None,
            }],
            _ => Vec::new(),
        };
        Self {
            status,
            code: code(obj.get("code")),
            message: text(obj.get("message")).unwrap_or_else(fallback),
            details,
            description: text(obj.get("description")),
            retry_after,
            raw_body: None,
        }
    }
}

impl fmt::Display for ApiError {
    /// `<message>: <details[0].message> (<details[0].code>)`, degrading gracefully.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let first = self.details.first();
        if let Some(m) = first.and_then(|d| d.message.as_deref()) {
            write!(f, ": {m}")?;
        } else if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        if let Some(code) = self.cause_code() {
            write!(f, " ({code})")?;
        }
        if !self.message.starts_with("HTTP ") {
            write!(f, " [HTTP {}]", self.status)?;
        }
        Ok(())
    }
}

/// The first 2 KiB of a response body, kept for deliberate inspection.
///
/// Bodies can hold tokens and KYC data, so `Debug` and `Display` show only the size.
#[derive(Clone, PartialEq, Eq)]
pub struct BodyExcerpt(String);

/// How much of a body an error keeps.
pub const BODY_EXCERPT_BYTES: usize = 2048;

impl BodyExcerpt {
    /// Keeps at most [`BODY_EXCERPT_BYTES`] of `body` (lossy UTF-8, cut at a character boundary).
    pub fn new(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT_BYTES + 4)]);
        let mut end = text.len().min(BODY_EXCERPT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Self(text[..end].to_owned())
    }

    /// The excerpt. May contain personal data: do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BodyExcerpt({} bytes)", self.0.len())
    }
}

impl fmt::Display for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

/// Replaces runs of 6 or more ASCII digits with `[redacted]`.
///
/// Server texts are shown to users and may, upstream, quote a submitted Aadhaar number, mobile or
/// OTP; HIS codes (`HIS-1013`) have fewer digits and survive.
pub(crate) fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 6 {
            out.push_str(crate::types::mask::REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn scrub_keeps_codes_and_hides_numbers() {
        assert_eq!(
            scrub("HIS-1013 otp 123456 for 234123412346"),
            "HIS-1013 otp [redacted] for [redacted]"
        );
        assert_eq!(scrub("12345"), "12345");
    }

    #[test]
    fn the_v3_gateway_shape_is_read() {
        let e = ApiError::from_body(
            400,
            br#"{"error":{"code":"ABDM-1006: ","message":"Invalid TIMESTAMP"}}"#,
            None,
        );
        assert_eq!(e.code.as_deref(), Some("ABDM-1006"));
        assert_eq!(e.message, "Invalid TIMESTAMP");
        assert_eq!(e.to_string(), "Invalid TIMESTAMP (ABDM-1006) [HTTP 400]");
    }

    #[test]
    fn excerpt_is_capped_at_a_char_boundary() {
        let body = "é".repeat(2000);
        let e = BodyExcerpt::new(body.as_bytes());
        assert!(e.expose().len() <= BODY_EXCERPT_BYTES);
        assert_eq!(
            format!("{e:?}"),
            format!("BodyExcerpt({} bytes)", e.expose().len())
        );
    }
}
