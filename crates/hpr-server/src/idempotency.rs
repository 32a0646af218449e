//! `Idempotency-Key` on POST: the first response is stored and replayed (Stripe's rules).
//!
//! A repeat with the same key and the same request (method, path and body) gets the stored
//! status and body without running again; the same key with another request is 422; a repeat
//! while the first still runs is 409. Only answers that a retry would repeat are stored —
//! successes and 4xx except 409 and 429: after a conflict, a rate limit, a database failure or
//! a registry that could not be reached, the same key runs the request again (a step that may
//! have taken effect is recorded in the registration as unconfirmed either way).

use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use abdm_hpr::flow::ErrorKind;

use crate::app::AppState;
use crate::db::Begin;
use crate::error::ApiError;
use crate::keys::hex;

/// The header.
pub const HEADER: &str = "idempotency-key";

/// Marks a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";

/// A response as stored: status and JSON body.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The status.
    pub status: StatusCode,
    /// The JSON body.
    pub body: String,
}

impl IntoResponse for Stored {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl From<ApiError> for Stored {
    fn from(error: ApiError) -> Self {
        Self {
            status: error.status,
            body: serde_json::to_string(&*error.doc).unwrap_or_default(),
        }
    }
}

/// The request's key, if it sent one: 1–255 visible ASCII characters.
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key)
            if !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::bad_request(
            "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good key)",
        )),
    }
}

/// What a request is, for comparing a repeat with the first: method, path and body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update(b" ");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex(&hash.finalize())
}

/// Whether a retry would get the same answer, so it may be stored.
fn replayable(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error()
            && status != StatusCode::CONFLICT
            && status != StatusCode::TOO_MANY_REQUESTS)
}

/// Runs `run` once per `(tenant, key)`; without a key it just runs.
pub async fn once<F>(
    state: &AppState,
    tenant: &str,
    key: Option<String>,
    request_hash: String,
    run: F,
) -> Response
where
    F: Future<Output = Stored>,
{
    let Some(key) = key else {
        return run.await.into_response();
    };
    let now = state.clock.now();
    let before = |d| now.checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH);
    let begun = state
        .db
        .begin_idempotent(
            tenant,
            &key,
            &request_hash,
            now,
            before(state.config.claim_ttl),
            before(state.config.idempotency_ttl),
        )
        .await;
    match begun {
        Err(e) => ApiError::from(e).into_response(),
        Ok(Begin::Replay { status, body }) => {
            let mut response = Stored {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                body,
            }
            .into_response();
            response
                .headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            response
        }
        Ok(Begin::Mismatch) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Validation,
            "this Idempotency-Key was used with a different request: use a new key for a new request",
        )
        .into_response(),
        Ok(Begin::InProgress) => ApiError::new(
            StatusCode::CONFLICT,
            ErrorKind::Conflict,
            "a request with this Idempotency-Key is still running: retry when it has answered",
        )
        .into_response(),
        Ok(Begin::Started) => {
            let answer = run.await;
            let kept = if replayable(answer.status) {
                state
                    .db
                    .finish_idempotent(tenant, &key, answer.status.as_u16(), &answer.body)
                    .await
            } else {
                state.db.forget_idempotent(tenant, &key).await
            };
            if let Err(e) = kept {
                tracing::warn!(error = %e, "could not record an idempotent response");
            }
            answer.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_a_retry_would_repeat_are_stored() {
        for kept in [200, 201, 404, 413, 422] {
            assert!(
                replayable(StatusCode::from_u16(kept).unwrap_or_default()),
                "{kept}"
            );
        }
        for retried in [409, 429, 500, 502, 503, 504] {
            assert!(
                !replayable(StatusCode::from_u16(retried).unwrap_or_default()),
                "{retried}"
            );
        }
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let a = fingerprint("POST", "/v1/registrations", b"{}");
        assert_eq!(a, fingerprint("POST", "/v1/registrations", b"{}"));
        assert_ne!(a, fingerprint("POST", "/v1/registrations", b"{ }"));
        assert_ne!(a, fingerprint("POST", "/v1/registrations/x", b"{}"));
    }
}
