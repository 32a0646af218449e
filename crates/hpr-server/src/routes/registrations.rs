//! `/v1/registrations`: start, step, read, list and delete registrations.

use std::str::FromStr as _;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

use abdm_hpr::flow::{ErrorKind, Revision, Stage, Step, StepOutcome, StoredSession, parse_payload};

use crate::app::AppState;
use crate::auth::Tenant;
use crate::db::millis;
use crate::error::ApiError;
// not axum's: an undecodable path is a 404 error document, not 400 text/plain
use crate::extract::Path;
use crate::idempotency::{self, Stored};
#[allow(unused_imports)] // the OpenAPI annotations name them
use crate::openapi::{
    BadGateway, Conflict, GatewayTimeout, Internal, NotFound, PayloadTooLarge, StartRequest,
    StepPayload, TooManyRequests, Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use crate::store::record_of;
use crate::views::{RegistrationPage, RegistrationView, StepResponse};

/// `POST /v1/registrations` `{"aadhaar": …}`: sends the Aadhaar OTP → 201.
#[utoipa::path(
    post,
    path = "/v1/registrations",
    operation_id = "start_registration",
    tag = "registrations",
    summary = "Start a registration",
    description = "Runs `generate_aadhaar_otp`: the registry sends an OTP to the Aadhaar-linked mobile. The answer holds the new registration's `id` and `revision` and what `verify_aadhaar_otp` needs.",
    security(("api_key" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "1–255 visible ASCII characters (a UUID is a good key). A repeat with the same key and request gets the stored answer (with `Idempotent-Replayed: true`) without running again; the same key with another request is 422; while the first still runs, 409."),
    ),
    request_body(content = StartRequest, content_type = "application/json", description = "The professional's Aadhaar number."),
    responses(
        (status = 201, description = "Started: the OTP was sent.", body = crate::views::StepResponse, headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.")),
        links(
            ("get_registration" = (operation_id = "get_registration", parameters(("id" = "$response.body#/id")), description = "Read the registration.")),
            ("run_next_step" = (operation_id = "run_step", parameters(("id" = "$response.body#/id"), ("step" = "$response.body#/outcome/next_step")), description = "Run the next step.")),
            ("delete_registration" = (operation_id = "delete_registration", parameters(("id" = "$response.body#/id")), description = "Delete the registration.")),
        )),
        (status = 401, response = Unauthorized),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 500, response = Internal),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let prepared = async {
        let bytes = read_body(&state, &headers, body).await?;
        let key = idempotency::key_of(&headers)?;
        Ok::<_, ApiError>((bytes, key))
    };
    let (bytes, key) = match prepared.await {
        Ok(prepared) => prepared,
        Err(e) => return e.into_response(),
    };
    run_post(
        state,
        tenant,
        key,
        "/v1/registrations",
        bytes,
        |state, tenant, payload| async move {
            let id = uuid::Uuid::now_v7().to_string();
            let started = Instant::now();
            let result = state.service(&tenant).start(&id, payload).await;
            answer(
                &state,
                Step::GenerateAadhaarOtp,
                started,
                result,
                StatusCode::CREATED,
            )
        },
    )
    .await
}

/// `POST /v1/registrations/{id}/steps/{step}` with the step's payload → 200.
#[utoipa::path(
    post,
    path = "/v1/registrations/{id}/steps/{step}",
    operation_id = "run_step",
    tag = "registrations",
    summary = "Run a step of a registration",
    description = "Runs `step` with the payload, from the registration's current state. Steps run in the order the answers' `next_step` gives (`allowed_steps` of the registration lists the alternatives); one step at a time per registration.",
    security(("api_key" = [])),
    params(
        ("id" = String, Path, description = "The registration's id."),
        ("step" = abdm_hpr::flow::Step, Path, description = "The step to run (upper case is accepted too)."),
        ("If-Match" = Option<String>, Header, pattern = "^(W/)?\"[0-9]+\"$", example = "\"1\"",
            description = "Run only if the registration is at this revision (`\"3\"`, `W/\"3\"` or `3`); another revision is 409 `conflict`."),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$",
            description = "1–255 visible ASCII characters (a UUID is a good key). A repeat with the same key and request gets the stored answer (with `Idempotent-Replayed: true`) without running again; the same key with another request is 422; while the first still runs, 409."),
    ),
    request_body(content = Option<StepPayload>, content_type = "application/json", description = "The step's fields; an empty body is `{}`."),
    responses(
        (status = 200, description = "The step ran: the registration's new revision and stage, and the outcome.", body = crate::views::StepResponse, headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.")),
        links(
            ("get_registration" = (operation_id = "get_registration", parameters(("id" = "$response.body#/id")), description = "Read the registration.")),
            ("run_next_step" = (operation_id = "run_step", parameters(("id" = "$response.body#/id"), ("step" = "$response.body#/outcome/next_step")), description = "Run the next step.")),
            ("delete_registration" = (operation_id = "delete_registration", parameters(("id" = "$response.body#/id")), description = "Delete the registration.")),
        )),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 500, response = Internal),
        (status = 502, response = BadGateway),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
    )
)]
pub async fn step(
    State(state): State<AppState>,
    tenant: Tenant,
    Path((id, step)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let prepared = async {
        let step = Step::from_str(&step).map_err(|message| {
            ApiError::new(StatusCode::NOT_FOUND, ErrorKind::NotFound, message)
        })?;
        let expected = if_match(&headers)?;
        let bytes = read_body(&state, &headers, body).await?;
        let key = idempotency::key_of(&headers)?;
        Ok::<_, ApiError>((step, expected, bytes, key))
    };
    let (step, expected, bytes, key) = match prepared.await {
        Ok(prepared) => prepared,
        Err(e) => return e.into_response(),
    };
    let path = format!("/v1/registrations/{id}/steps/{}", step.as_str());
    run_post(
        state,
        tenant,
        key,
        &path,
        bytes,
        move |state, tenant, payload| async move {
            let started = Instant::now();
            let result = state
                .service(&tenant)
                .step(&id, step, payload, expected)
                .await;
            answer(&state, step, started, result, StatusCode::OK)
        },
    )
    .await
}

/// The common part of both POSTs: `work` runs with the parsed payload once per
/// `Idempotency-Key` (method, `path` and body identify the request), as a tracked task.
async fn run_post<W, F>(
    state: AppState,
    tenant: Tenant,
    key: Option<String>,
    path: &str,
    bytes: Bytes,
    work: W,
) -> Response
where
    W: FnOnce(AppState, String, Value) -> F + Send + 'static,
    F: Future<Output = Stored> + Send,
{
    let fingerprint = idempotency::fingerprint("POST", path, &bytes);
    let task_state = state.clone();
    let run = async move {
        let state = task_state;
        let tenant = tenant.tenant;
        let work = async {
            match parse_body(&bytes) {
                Ok(payload) => work(state.clone(), tenant.clone(), payload).await,
                Err(e) => e.into(),
            }
        };
        idempotency::once(&state, &tenant, key, fingerprint, work).await
    };
    tracked(&state, run).await
}

/// Runs a POST's work as a tracked task: it finishes (and is saved) even if the client goes
/// away, and a graceful shutdown waits for it.
async fn tracked<F>(state: &AppState, run: F) -> Response
where
    F: Future<Output = Response> + Send + 'static,
{
    match state.steps.spawn(run).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a step task failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorKind::Store,
                "the step stopped unexpectedly; read the registration to see where it stands",
            )
            .into_response()
        }
    }
}

/// The stored answer to a step, counting it in the metrics.
fn answer(
    state: &AppState,
    step: Step,
    started: Instant,
    result: abdm_hpr::Result<(StoredSession, StepOutcome)>,
    status: StatusCode,
) -> Stored {
    state.metrics.step(
        step.as_str(),
        result.is_ok(),
        started.elapsed().as_secs_f64(),
    );
    match result {
        Ok((stored, outcome)) => {
            if step == Step::GenerateAadhaarOtp {
                state.metrics.started();
            }
            if stored.session.result().is_some() && outcome.next_step.is_none() {
                state.metrics.completed();
            }
            let body = StepResponse::new(&stored, outcome);
            match serde_json::to_string(&body) {
                Ok(body) => Stored { status, body },
                Err(e) => ApiError::store(format!("cannot encode the answer: {e}")).into(),
            }
        }
        Err(error) => ApiError::from(error).into(),
    }
}

/// `GET /v1/registrations/{id}`.
#[utoipa::path(
    get,
    path = "/v1/registrations/{id}",
    operation_id = "get_registration",
    tag = "registrations",
    summary = "Read a registration",
    description = "Where the registration stands and what to send next; never an OTP, a password, a token or the full Aadhaar number.",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The registration's id.")),
    responses(
        (status = 200, description = "The registration.", body = crate::views::RegistrationView),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let stored = state.service(&tenant.tenant).get(&id).await?;
    Ok(axum::Json(RegistrationView::new(&stored)).into_response())
}

/// `DELETE /v1/registrations/{id}` → 204; its data is gone.
#[utoipa::path(
    delete,
    path = "/v1/registrations/{id}",
    operation_id = "delete_registration",
    tag = "registrations",
    summary = "Delete a registration",
    description = "Deletes the registration and everything the service kept about it (an HPR ID created at the registry stays).",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The registration's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.service(&tenant.tenant).delete(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(&id))
    }
}

/// The query of `GET /v1/registrations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only registrations at this stage.
    pub stage: Option<String>,
    /// At most this many (1–100, default 20).
    pub limit: Option<String>,
    /// Where the previous page ended (its `next_cursor`).
    pub cursor: Option<String>,
}

/// The most registrations one page holds.
pub const MAX_PAGE: i64 = 100;

/// `GET /v1/registrations?stage=&limit=&cursor=`: the tenant's, newest first.
#[utoipa::path(
    get,
    path = "/v1/registrations",
    operation_id = "list_registrations",
    tag = "registrations",
    summary = "List registrations",
    description = "The tenant's unexpired registrations, newest first, a page at a time. Other query parameters are 422.",
    security(("api_key" = [])),
    params(
        ("stage" = Option<abdm_hpr::flow::Stage>, Query, description = "Only registrations at this stage (empty: all)."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "At most this many (1–100, default 20)."),
        ("cursor" = Option<String>, Query, description = "Where the previous page ended: its `next_cursor`."),
    ),
    responses(
        (status = 200, description = "A page of registrations.", body = crate::views::RegistrationPage),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
        (status = 504, response = GatewayTimeout),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    let stage = match query.stage.as_deref() {
        None | Some("") => String::new(),
        Some(name) => parse_stage(name)?,
    };
    let limit = match query.limit.as_deref() {
        None => 20,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!("limit must be a whole number from 1 to {MAX_PAGE}"))
            })?,
    };
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let rows = state
        .db
        .list_registrations(
            &tenant.tenant,
            &stage,
            cursor.as_ref().map(|(t, id)| (*t, id.as_str())),
            limit + 1,
            state.clock.now(),
        )
        .await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let mut registrations = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in rows.into_iter().take(usize::try_from(limit).unwrap_or(0)) {
        let stored = record_of(row)?;
        last = Some((millis(stored.created_at), stored.id.clone()));
        registrations.push(RegistrationView::new(&stored));
    }
    let next_cursor = more
        .then_some(last)
        .flatten()
        .map(|(t, id)| URL_SAFE_NO_PAD.encode(format!("{t}:{id}")));
    Ok(axum::Json(RegistrationPage {
        registrations,
        next_cursor,
    })
    .into_response())
}

/// A stage name from the query, checked against the engine's stages.
fn parse_stage(name: &str) -> Result<String, ApiError> {
    let known: Vec<String> = Stage::ALL
        .iter()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if known.iter().any(|k| k == name) {
        Ok(name.to_owned())
    } else {
        Err(ApiError::bad_request(format!(
            "stage must be one of: {}",
            known.join(", ")
        )))
    }
}

/// `(created_at, id)` from a `next_cursor`.
fn decode_cursor(cursor: &str) -> Result<(i64, String), ApiError> {
    let bad = || ApiError::bad_request("cursor is not a next_cursor this service returned");
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (time, id) = text.split_once(':').ok_or_else(bad)?;
    Ok((time.parse().map_err(|_| bad())?, id.to_owned()))
}

/// `If-Match: "3"` (or `W/"3"`, or `3`) → revision 3.
fn if_match(headers: &HeaderMap) -> Result<Option<Revision>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<Revision>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "If-Match must be the registration's revision in quotes, e.g. If-Match: \"3\"",
            )
        })
}

/// The body, within the size limit; JSON only.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    if let Some(kind) = headers.get(header::CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or_default().to_ascii_lowercase();
        let essence = kind.split(';').next().unwrap_or_default().trim();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorKind::Validation,
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
    }
    let limit = state.config.body_limit;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Validation,
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner()
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            too_large()
        } else {
            ApiError::bad_request("the body could not be read")
        }
    })
}

/// The payload: `null` for an empty body, else a JSON document without repeated keys.
fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    parse_payload(text).map_err(|report| ApiError::from(abdm_hpr::Error::Validation(report)))
}
