//! `POST /v1/registrations/links`: a one-browser link to the web registration page, for an EMR
//! to hand to a professional. The registration it leads to belongs to the key's tenant.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::keys;
#[allow(unused_imports)] // the OpenAPI annotations name them
use crate::openapi::{
    GatewayTimeout, Internal, TooManyRequests, Unauthorized, Unavailable, Unprocessable,
};
use crate::views::rfc3339;
use crate::web::session::is_https;

/// The fewest and most minutes a link may live.
pub const LINK_MINUTES: (u64, u64) = (1, 10_080);
/// Minutes a link lives by default (a day).
pub const DEFAULT_LINK_MINUTES: u64 = 1_440;

/// The body of `POST /v1/registrations/links` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// How long the link can be opened, in minutes (1–10080, default 1440).
    #[schema(minimum = 1, maximum = 10080, example = 60)]
    pub expires_in_mins: Option<u64>,
}

/// A registration link.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkResponse {
    /// Opens the registration page; the first browser to continue from it is bound, then the
    /// link is used up.
    #[schema(example = "http://127.0.0.1:8080/register/l/3q2-…")]
    pub url: String,
    /// When the link stops working unless used (RFC 3339).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// `POST /v1/registrations/links` → 201 `{"url","expires_at"}`.
#[utoipa::path(
    post,
    path = "/v1/registrations/links",
    operation_id = "create_registration_link",
    tag = "registrations",
    summary = "Create a link to the web registration page",
    description = "A link for one professional's browser: it opens `/register/l/TOKEN`, whose first \
        continue binds that browser (HttpOnly cookie) and uses the link up. The registration made \
        there belongs to this key's tenant (it shows in `GET /v1/registrations`). Only the \
        token's SHA-256 is stored.",
    security(("api_key" = [])),
    request_body(content = Option<LinkRequest>, content_type = "application/json", description = "Optional: `{\"expires_in_mins\": 60}`; an empty body is the default (1440 minutes)."),
    responses(
        (status = 201, description = "The link.", body = LinkResponse),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: LinkRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LinkRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("body: {e}")))?
    };
    let minutes = request.expires_in_mins.unwrap_or(DEFAULT_LINK_MINUTES);
    if !(LINK_MINUTES.0..=LINK_MINUTES.1).contains(&minutes) {
        return Err(ApiError::bad_request(format!(
            "expires_in_mins must be from {} to {}",
            LINK_MINUTES.0, LINK_MINUTES.1
        )));
    }
    let token = keys::random_token().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            abdm_hpr::flow::ErrorKind::Config,
            e,
        )
    })?;
    let now = state.clock.now();
    let expires_at = now
        .checked_add(Duration::from_secs(minutes * 60))
        .unwrap_or(now);
    state
        .db
        .insert_link(&keys::hash(&token), &tenant.tenant, now, expires_at)
        .await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let scheme = if is_https(&headers) { "https" } else { "http" };
    let body = LinkResponse {
        url: format!("{scheme}://{host}/register/l/{token}"),
        expires_at: rfc3339(expires_at),
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}
