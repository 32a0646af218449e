//! Error answers in the ABDM envelope (CONTRACT §2.2):
//! `{"code":"HIS-422","message":…,"details":[{"code","message","attribute"}]}`.
//!
//! `message` is a summary that makes sense on its own (the Python client shows only `message`
//! and `details[0].message`); submitted values are never echoed (`attribute.value` is `null`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One cause of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// e.g. `HIS-1013`.
    pub code: &'static str,
    /// e.g. `Incorrect OTP entered`.
    pub message: String,
    /// The request field concerned, if any.
    pub field: Option<&'static str>,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HisError {
    /// HTTP status; the top-level code mirrors it (`HIS-422`).
    pub status: StatusCode,
    /// Summary shown first by clients.
    pub message: String,
    /// At least one cause; `details[0]` is the main one.
    pub details: Vec<Detail>,
    /// `Retry-After` seconds, for 503.
    pub retry_after: Option<u64>,
}

impl HisError {
    /// An error with one cause.
    pub fn new(
        status: StatusCode,
        message: impl Into<String>,
        code: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            message: message.into(),
            details: vec![Detail {
                code,
                message: detail.into(),
                field: None,
            }],
            retry_after: None,
        }
    }

    /// Names the field of the (first) cause.
    pub fn on(mut self, field: &'static str) -> Self {
        if let Some(d) = self.details.first_mut() {
            d.field = Some(field);
        }
        self
    }

    /// `400` for a request whose fields break the rules; one detail per field.
    pub fn invalid_fields(details: Vec<Detail>) -> Self {
        let message = match details.as_slice() {
            [one] => format!(
                "Invalid request: {} is invalid",
                one.field.unwrap_or("a field")
            ),
            many => format!("Invalid request: {} fields are invalid", many.len()),
        };
        Self {
            status: StatusCode::BAD_REQUEST,
            message,
            details,
            retry_after: None,
        }
    }

    /// `422` for a step that comes before its prerequisite in this transaction.
    pub fn out_of_order(what_first: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This step is not allowed yet for this transaction",
            "HIS-1026",
            format!("Transaction is not ready for this step: {what_first} first"),
        )
        .on("txnId")
    }

    /// The top-level code, mirroring the status.
    pub fn top_code(&self) -> String {
        format!("HIS-{}", self.status.as_u16())
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let details: Vec<_> = self
            .details
            .iter()
            .map(|d| {
                json!({
                    "code": d.code,
                    "message": d.message,
                    "attribute": d.field.map(|key| json!({"key": key, "value": null})),
                })
            })
            .collect();
        json!({"code": self.top_code(), "message": self.message, "details": details})
    }
}

impl IntoResponse for HisError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The answer to a known path called with the wrong method (every contract route is `POST`):
/// a 405 envelope instead of axum's empty body (axum adds the `Allow` header).
pub(crate) async fn method_not_allowed() -> Response {
    HisError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "HIS-405",
        "This endpoint does not accept this HTTP method",
    )
    .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape() {
        let e = HisError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "OTP verification failed",
            "HIS-1013",
            "Incorrect OTP entered",
        )
        .on("otp");
        assert_eq!(
            e.body(),
            json!({"code":"HIS-422","message":"OTP verification failed",
                   "details":[{"code":"HIS-1013","message":"Incorrect OTP entered","attribute":{"key":"otp","value":null}}]})
        );
    }
}
