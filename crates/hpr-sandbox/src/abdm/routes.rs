//! The HPR routes of the B dialect: the 8 steps under `/v1/` or `/v2/`, the cert, the bearer
//! check in front of them, and the plain-text 404 of every other path.

use abdm_hpr::Step;
use abdm_hpr::abdm::{self as wire, CERT_PATH};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ABDM_HPR_PREFIX;
use super::tokens::TokenState;
use crate::Sandbox;
use crate::his::HisError;

/// What a path under the HPR prefix serves.
enum Target {
    Cert,
    Step(Step),
}

fn target(path: &str) -> Option<Target> {
    let rest = path.strip_prefix(ABDM_HPR_PREFIX)?;
    if rest == CERT_PATH {
        return Some(Target::Cert);
    }
    wire::step_at(rest).map(Target::Step)
}

/// `Authorization: Bearer <access token>` on the cert and step routes, checked before latency
/// and faults as the API gateway does; other paths pass (to their 404). Answers in the WSO2
/// shape: `900902` without a bearer, `900901` for one that is unknown or expired.
pub(crate) async fn require_token(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    if target(request.uri().path()).is_none() {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return wso2(
            "900902",
            "Missing Credentials",
            "Required OAuth credentials not provided. Make sure your API invocation call has a \
             header: 'Authorization: Bearer ACCESS_TOKEN'",
        );
    };
    let now = sandbox.inner.core.now();
    match sandbox.inner.abdm.tokens.check(token, now) {
        TokenState::Live => next.run(request).await,
        TokenState::Expired => wso2(
            "900901",
            "Invalid Credentials",
            "The access token expired. Get a new one from the gateway's sessions API",
        ),
        TokenState::Unknown => wso2(
            "900901",
            "Invalid Credentials",
            "Invalid Credentials. Make sure you have provided the correct security credentials",
        ),
    }
}

/// A `401` of the API gateway (WSO2) in front of the registry.
fn wso2(code: &str, message: &str, description: &str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"code": code, "message": message, "description": description})),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Every path under the HPR prefix.
pub(crate) async fn hpr(
    State(sandbox): State<Sandbox>,
    method: Method,
    uri: axum::http::Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match (target(uri.path()), method) {
        (Some(Target::Cert), Method::GET) => cert(&sandbox).await,
        (Some(Target::Step(step)), Method::POST) => run_step(&sandbox, step, body).await,
        (Some(Target::Cert), _) => method_not_allowed("GET"),
        (Some(Target::Step(_)), _) => method_not_allowed("POST"),
        (None, _) => not_found().await,
    }
}

/// `GET …/v1/auth/cert`: the public key, PEM SubjectPublicKeyInfo, as text.
async fn cert(sandbox: &Sandbox) -> Response {
    match sandbox.inner.abdm.keys.get().await {
        Ok(keys) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            keys.pem.clone(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// One step: read, decrypt the secret fields, check B's extras, run A's operation, answer in
/// B's spellings.
async fn run_step(sandbox: &Sandbox, step: Step, body: Result<Bytes, BytesRejection>) -> Response {
    let result = async {
        let bytes = crate::read_body(sandbox, body)?;
        let mut map = crate::body::parse(&bytes)?;
        let abdm = &sandbox.inner.abdm;
        super::cipher::open_fields(&abdm.keys, sandbox.config().abdm_encrypted, step, &mut map)
            .await?;
        super::translate::request(step, &map)?;
        // B renames and adds keys: its answers go through a JSON value
        let value = crate::apply(sandbox, &map, crate::operation(step))
            .await?
            .into_value();
        Ok::<_, HisError>(super::translate::response(step, value, || {
            abdm.jwt("professional", "refresh")
        }))
    }
    .await;
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = HisError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "HIS-405",
        "This endpoint does not accept this HTTP method",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// Any other path under the B prefixes: a plain-text 404, as upstream answers (CONTRACT §3.4).
pub(crate) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Not Found",
    )
        .into_response()
}
