//! The admin API under `/_sandbox/`, apart from the contract: read OTPs and identities, add
//! identities, list requests and accounts, reset, health; expire Backend B's access tokens and
//! count its sessions. It needs no API key (the sandbox is a
//! local tool).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::his::HisError;
use crate::identity::Identity;
use crate::{Error, Sandbox};

fn not_found(what: &str) -> Response {
    HisError::new(
        StatusCode::NOT_FOUND,
        format!("{what} not found"),
        "HIS-404",
        format!("{what} not found"),
    )
    .into_response()
}

/// `GET /_sandbox/otp/{txnId}` → `{"otp": "...", "kind": "aadhaar"|"mobile"}`.
pub(crate) async fn otp(State(sandbox): State<Sandbox>, Path(txn_id): Path<String>) -> Response {
    match sandbox.latest_otp(&txn_id) {
        Some(sent) => Json(json!({"otp": sent.otp, "kind": sent.kind})).into_response(),
        None => not_found("Transaction"),
    }
}

/// `GET /_sandbox/identities/{aadhaar}` → the identity JSON (seeded or derived).
pub(crate) async fn identity(
    State(sandbox): State<Sandbox>,
    Path(aadhaar): Path<String>,
) -> Response {
    match sandbox.identity(&aadhaar) {
        Some(identity) => Json(identity).into_response(),
        None => HisError::new(
            StatusCode::BAD_REQUEST,
            "Invalid Aadhaar number",
            "HIS-1012",
            "Please enter valid Aadhaar number",
        )
        .on("aadhaar")
        .into_response(),
    }
}

/// `POST /_sandbox/identities` with an identity JSON → `201` and the stored identity.
pub(crate) async fn add_identity(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let identity: Identity = match serde_json::from_slice(&body) {
        Ok(identity) => identity,
        Err(e) => {
            // serde names the key of a missing/unknown field, but quotes the value of a mistyped one
            let detail = match wrongly_typed_field(&body) {
                Some(key) => format!("{key} must be a string"),
                None if e.is_data() => e.to_string(),
                None => "The request body is not valid JSON".into(),
            };
            return HisError::new(
                StatusCode::BAD_REQUEST,
                "Invalid identity",
                "HIS-400",
                detail,
            )
            .into_response();
        }
    };
    drop(crate::persist::take_ticket());
    let added = sandbox.add_identity(identity);
    let ticket = crate::persist::take_ticket();
    match added {
        Ok(stored) => match crate::durable(ticket).await {
            Ok(()) => (StatusCode::CREATED, Json(stored)).into_response(),
            Err(e) => e.into_response(),
        },
        Err(Error::InvalidIdentity { problems }) => HisError::new(
            StatusCode::BAD_REQUEST,
            "Invalid identity",
            "HIS-400",
            crate::error::list(&problems),
        )
        .into_response(),
        // `add_identity` fails only on the identity itself; anything else is the sandbox's fault
        Err(e) => HisError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal sandbox error",
            "HIS-500",
            e.to_string(),
        )
        .into_response(),
    }
}

/// The first key of a JSON object body whose value is not a string (`middleName` may be null).
fn wrongly_typed_field(body: &[u8]) -> Option<String> {
    let serde_json::Value::Object(map) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    map.into_iter()
        .find(|(key, value)| !(value.is_string() || (key == "middleName" && value.is_null())))
        .map(|(key, _)| key)
}

/// `GET /_sandbox/requests` → one entry per contract request (method, path, status, latency).
pub(crate) async fn requests(State(sandbox): State<Sandbox>) -> Response {
    Json(sandbox.requests()).into_response()
}

/// `POST /_sandbox/reset` → forgets transactions, accounts, run-time identities and the log.
pub(crate) async fn reset(State(sandbox): State<Sandbox>) -> Response {
    drop(crate::persist::take_ticket());
    sandbox.reset();
    match crate::durable(crate::persist::take_ticket()).await {
        Ok(()) => Json(json!({"reset": true})).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /_sandbox/accounts` → `[{"hprIdNumber","hprId"}]`, by HPR ID number: the accounts
/// created, and nothing else about the people behind them.
pub(crate) async fn accounts(State(sandbox): State<Sandbox>) -> Response {
    let mut accounts: Vec<_> = sandbox
        .accounts()
        .into_iter()
        .map(|a| (a.hpr_id_number, a.hpr_id))
        .collect();
    accounts.sort();
    let list: Vec<_> = accounts
        .into_iter()
        .map(|(number, id)| json!({"hprIdNumber": number, "hprId": id}))
        .collect();
    Json(list).into_response()
}

/// `POST /_sandbox/abdm/expire-tokens` → `{"expired": N}`: every B access token issued so far
/// is now expired (N were live).
pub(crate) async fn abdm_expire_tokens(State(sandbox): State<Sandbox>) -> Response {
    Json(json!({"expired": sandbox.expire_abdm_tokens()})).into_response()
}

/// `GET /_sandbox/abdm/stats` → `{"sessions_issued": N, "tokens_live": M}`.
pub(crate) async fn abdm_stats(State(sandbox): State<Sandbox>) -> Response {
    Json(json!({
        "sessions_issued": sandbox.abdm_sessions_issued(),
        "tokens_live": sandbox.abdm_tokens_live(),
    }))
    .into_response()
}

/// `GET /_sandbox/health` → `{"status":"ok"}`.
pub(crate) async fn health() -> Response {
    Json(json!({"status": "ok", "service": "hpr-sandbox", "version": env!("CARGO_PKG_VERSION")}))
        .into_response()
}

/// Any other path under `/_sandbox/`.
pub(crate) async fn unknown() -> Response {
    not_found("Admin endpoint")
}
