//! The gateway's session endpoints (CONTRACT §3.1): client credentials in, an access token out.
//! Both versions answer errors in the v3 shape `{"error":{"code":"ABDM-1017: ","message":…}}` —
//! the code keeps upstream's trailing `": "`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Sandbox;
use crate::clock::later;

/// The only grant type the gateway knows.
const GRANT_TYPE: &str = "client_credentials";

/// `refreshExpiresIn` of a session answer (upstream's sample value).
const REFRESH_EXPIRES_IN: u64 = 1800;

/// The `X-CM-ID` a v3 call to this sandbox must send (ABDM's sandbox id).
pub(crate) const CM_ID: &str = "sbx";

/// An error in the gateway's v3 shape.
pub(crate) fn gateway_error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
) -> Response {
    let message: String = message.into();
    (
        status,
        Json(json!({"error": {"code": format!("{code}: "), "message": message}})),
    )
        .into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    gateway_error(StatusCode::BAD_REQUEST, "ABDM-1001", message)
}

fn bad_header(message: impl Into<String>) -> Response {
    gateway_error(StatusCode::BAD_REQUEST, "ABDM-1006", message)
}

/// `POST /gateway/v0.5/sessions`.
pub(crate) async fn v05(
    State(sandbox): State<Sandbox>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    issue(&sandbox, body)
}

/// `POST /api/hiecm/gateway/v3/sessions`: the v0.5 exchange plus three required headers.
pub(crate) async fn v3(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match v3_headers(&headers) {
        Ok(()) => issue(&sandbox, body),
        Err(message) => bad_header(message),
    }
}

/// `REQUEST-ID` (a UUID), `TIMESTAMP` (ISO-8601 UTC with milliseconds and `Z`) and
/// `X-CM-ID: sbx`; the first one missing or invalid is named.
fn v3_headers(headers: &HeaderMap) -> Result<(), String> {
    let get = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("").trim());
    match get("REQUEST-ID") {
        None => return Err("The REQUEST-ID header is missing".into()),
        Some(id) if uuid::Uuid::try_parse(id).is_err() => {
            return Err("The REQUEST-ID header must be a UUID".into());
        }
        Some(_) => {}
    }
    match get("TIMESTAMP") {
        None => return Err("The TIMESTAMP header is missing".into()),
        Some(at) if !is_v3_timestamp(at) => {
            return Err(
                "The TIMESTAMP header must be ISO-8601 UTC with milliseconds, e.g. \
                        2026-12-02T05:43:42.123Z"
                    .into(),
            );
        }
        Some(_) => {}
    }
    match get("X-CM-ID") {
        None => Err("The X-CM-ID header is missing".into()),
        Some(cm) if cm != CM_ID => Err(format!(
            "The X-CM-ID header must be {CM_ID} on this sandbox"
        )),
        Some(_) => Ok(()),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, a real date and time of day.
pub(crate) fn is_v3_timestamp(at: &str) -> bool {
    let b = at.as_bytes();
    // ASCII only, so the slices below fall on character boundaries
    if b.len() != 24 || !at.is_ascii() {
        return false;
    }
    let punctuation = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ];
    if punctuation.iter().any(|&(i, c)| b[i] != c) {
        return false;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        let digits = &at[from..to];
        digits
            .bytes()
            .all(|d| d.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second), Some(_)) = (
        number(0, 4),
        number(5, 7),
        number(8, 10),
        number(11, 13),
        number(14, 16),
        number(17, 19),
        number(20, 23),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

/// Checks the credentials and issues a token.
fn issue(sandbox: &Sandbox, body: Result<Bytes, BytesRejection>) -> Response {
    let Ok(bytes) = body else {
        return bad_request("The request body could not be read");
    };
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&bytes) else {
        return bad_request("The request body must be a JSON object");
    };
    let field = |key: &str| request.get(key).and_then(Value::as_str);
    let (Some(id), Some(secret), Some(grant)) =
        (field("clientId"), field("clientSecret"), field("grantType"))
    else {
        let missing = ["clientId", "clientSecret", "grantType"]
            .into_iter()
            .find(|key| field(key).is_none())
            .unwrap_or("clientId");
        return bad_request(format!("{missing} is required and must be a string"));
    };
    let known =
        sandbox.config().abdm_clients.iter().any(|(i, s)| {
            i == id && crate::middleware::same_secret(s.as_bytes(), secret.as_bytes())
        });
    if !known || grant != GRANT_TYPE {
        return gateway_error(
            StatusCode::UNAUTHORIZED,
            "ABDM-1017",
            "Invalid client credentials",
        );
    }
    let abdm = &sandbox.inner.abdm;
    let ttl = sandbox.config().abdm_token_ttl;
    let now = sandbox.inner.core.now();
    let access = abdm.jwt(id, "access");
    let refresh = abdm.jwt(id, "refresh");
    abdm.tokens.issue(access.clone(), later(now, ttl), now);
    abdm.count_session();
    Json(json!({
        "accessToken": access,
        "expiresIn": ttl.as_secs(),
        "refreshExpiresIn": REFRESH_EXPIRES_IN,
        "refreshToken": refresh,
        "tokenType": "bearer",
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_checked_strictly() {
        for good in ["2026-12-02T05:43:42.123Z", "2024-02-29T23:59:59.999Z"] {
            assert!(is_v3_timestamp(good), "{good}");
        }
        for bad in [
            "2026-12-02T05:43:42Z",
            "2026-12-02T05:43:42.123",
            "2026-12-02T05:43:42.123+05:30",
            "2025-02-29T00:00:00.000Z",
            "2026-13-02T05:43:42.123Z",
            "2026-12-02T24:43:42.123Z",
            "2026-12-02 05:43:42.123Z",
            "2026-12-0+T05:43:42.123Z",
            "2026-12-02T05:43:42.12é",
            "",
        ] {
            assert!(!is_v3_timestamp(bad), "{bad}");
        }
    }
}
