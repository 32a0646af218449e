//! The live check of a value as it is typed (`POST /register/check`), so the page can say what
//! is wrong before the form is sent. The verdicts come from the same parsers the forms use.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use abdm_hpr::types::{Email, HprId, Invalid, Password};

use crate::app::AppState;

use super::i18n::{Lang, t};
use super::internal;
use super::pages;
use super::problems::field_problem;
use super::session;

/// `POST /register/check` `{"field","value"}` with `X-CSRF-Token`: the engine's verdict on a
/// value as it is typed (hprId, email, password with its checklist).
pub(super) async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let web = match session::load(&state, &headers).await {
        Ok(Some(web)) => web,
        Ok(None) => return StatusCode::FORBIDDEN.into_response(),
        Err(e) => return internal(&state, Lang::En, &e.to_string()),
    };
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !session::same_token(token, &web.row.csrf_token) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Ok(request) = serde_json::from_slice::<HashMap<String, String>>(&body) else {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    };
    let lang = web.lang();
    let field = request.get("field").map_or("", String::as_str);
    let value = request.get("value").map_or("", String::as_str);
    let verdict = |result: Result<(), Invalid>| match result {
        Ok(()) => {
            let key = if field == "hprId" {
                "hpr-id.ok"
            } else {
                "check.ok"
            };
            json!({"ok": true, "message": t(lang, key)})
        }
        Err(e) => {
            json!({"ok": false, "message": field_problem(lang, field, e.rule.as_str(), &e.message).text})
        }
    };
    let answer = match field {
        "hprId" => verdict(HprId::parse(value).map(|_| ())),
        "email" => verdict(Email::parse(value).map(|_| ())),
        "password" => {
            let mut answer = verdict(Password::parse(value).map(|_| ()));
            answer["checklist"] = Password::checklist(value)
                .into_iter()
                .map(|(c, met)| json!({"id": c.as_str(), "met": met, "label": pages::criterion_text(lang, c)}))
                .collect();
            answer
        }
        _ => return StatusCode::UNPROCESSABLE_ENTITY.into_response(),
    };
    axum::Json(answer).into_response()
}
