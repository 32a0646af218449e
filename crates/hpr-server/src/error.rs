//! [`ApiError`]: every failure as an HTTP status and the engine's [`ErrorDocument`].

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use abdm_hpr::Error;
use abdm_hpr::flow::{ErrorDocument, ErrorKind};

/// A failed request: its status and error document (plus `Retry-After` for 429).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body (boxed: errors travel in `Result`s and should stay small).
    pub doc: Box<ErrorDocument>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error of `kind` with `message`, answered with `status`.
    pub fn new(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            status,
            doc: Box::new(ErrorDocument::new(kind, message)),
            retry_after: None,
        }
    }

    /// 401: no usable API key.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorKind::Auth, message)
    }

    /// 404 for registration `id` (unknown, expired, or another tenant's: the same answer).
    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorKind::NotFound,
            format!("registration {id} does not exist or has expired"),
        )
    }

    /// 429 with `Retry-After: seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::RateLimited,
            format!("too many requests for this API key: retry after {seconds} s"),
        );
        error.retry_after = Some(seconds);
        error
    }

    /// 422 `validation` for a request that could not be read (not a field rule).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Validation,
            message,
        )
    }

    /// 503 `store`: the database failed.
    pub fn store(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Store, message)
    }
}

/// The status of an engine error (the table in the README).
pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Flow { .. } | Error::Conflict(_) => StatusCode::CONFLICT,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        // the registry refused: 422 with its code; its own failures are a bad gateway
        Error::Api { error, .. } if error.status < 500 => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_GATEWAY,
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self {
            status: status_of(&error),
            doc: Box::new(ErrorDocument::from_error(&error)),
            retry_after: None,
        }
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(error: crate::db::DbError) -> Self {
        tracing::error!(error = %error, "database failure");
        Self::store(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(&*self.doc)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"hpr\""),
            );
        }
        response
    }
}
