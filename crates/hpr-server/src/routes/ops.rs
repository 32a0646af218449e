//! Operations: `/healthz`, `/readyz`, `/metrics`, and the JSON 404/405 answers.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use abdm_hpr::flow::ErrorKind;

use crate::app::AppState;
use crate::error::ApiError;

/// `GET /healthz`: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    responses((status = 200, description = "The process answers.", body = crate::openapi::Health))
)]
pub async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// The body of `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    #[schema(schema_with = crate::openapi::readiness_status)]
    pub status: &'static str,
    /// `ok`, or why the database cannot be used.
    pub database: String,
    /// `ok`, or why the registry backend cannot be reached.
    pub backend: String,
}

/// `GET /readyz`: 200 when the database and the registry backend answer, else 503.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "`ready`: the database and the registry backend answer.", body = Readiness),
        (status = 503, description = "`not_ready`: `database` or `backend` says what fails.", body = Readiness),
        (status = 504, response = crate::openapi::GatewayTimeout),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let (database, backend) = tokio::join!(state.db.ping(), (state.readiness)());
    let ready = database.is_ok() && backend.is_ok();
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database: database.map_or_else(|e| e.to_string(), |()| "ok".to_owned()),
        backend: backend.map_or_else(|e| e, |()| "ok".to_owned()),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4.", body = String, content_type = "text/plain"),
    )
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.encode().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Any other path: 404 as an error document.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorKind::NotFound,
        "no such resource; the API is under /v1/registrations (see /openapi.json)",
    )
}

/// A known path with another method: 405 as an error document.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::Validation,
        "this method is not allowed on this resource (see /openapi.json)",
    )
}
