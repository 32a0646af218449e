//! [`Path`]: axum's path extractor with the service's error document as its rejection.
//!
//! axum's own `Path` answers a path it cannot decode (`/v1/registrations/%FF`: not UTF-8)
//! with `400 text/plain`, which breaks the promise that every error body is an
//! `ErrorDocument` and is not in the OpenAPI document (schemathesis-style fuzzing finds it).
//! Such a path names no registration and no step, so it is a `404 not_found` like any unknown
//! id.

use axum::extract::FromRequestParts;
use axum::extract::rejection::PathRejection;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use abdm_hpr::flow::ErrorKind;

use crate::error::ApiError;

/// The path parameters, decoded as `T`; a path that cannot be decoded is a 404 error document.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorKind::NotFound,
                format!("no such resource: {}", e.body_text()),
            )),
            // a handler that asks for parameters its route does not have: a bug here
            Err(e) => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorKind::Config,
                e.body_text(),
            )),
        }
    }
}
