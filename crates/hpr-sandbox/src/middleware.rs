//! Cross-cutting behaviour of the contract routes: the request log, bearer auth, latency and
//! fault injection. The admin API under `/_sandbox/` is not affected by any of it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::Sandbox;
use crate::config::FaultKind;
use crate::his::HisError;

/// Header that injects a fault into one request.
pub const FAULT_HEADER: &str = "x-sandbox-fault";

/// One contract request, as `GET /_sandbox/requests` lists it. Never holds a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Response status.
    pub status: u16,
    /// Time to produce the response, in microseconds.
    pub latency_us: u64,
    /// Same, in whole milliseconds.
    pub latency_ms: u64,
}

/// A bounded log of recent contract requests.
pub(crate) struct RequestLog {
    capacity: usize,
    entries: Mutex<VecDeque<RequestRecord>>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    fn push(&self, record: RequestRecord) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(record);
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// Decides which requests get a random fault, reproducibly under a seed.
pub(crate) struct FaultDice(Mutex<StdRng>);

impl FaultDice {
    pub fn new(seed: u64) -> Self {
        // a different stream from the state's generator, so faults don't shift OTPs and IDs
        Self(Mutex::new(StdRng::seed_from_u64(
            seed ^ 0xFA17_FA17_FA17_FA17,
        )))
    }

    fn roll(&self, rate: f64, kinds: &[FaultKind]) -> Option<FaultKind> {
        if rate <= 0.0 || kinds.is_empty() {
            return None;
        }
        let mut rng = self.0.lock().unwrap_or_else(|p| p.into_inner());
        rng.random_bool(rate.min(1.0))
            .then(|| kinds[rng.random_range(0..kinds.len())])
    }
}

/// Outermost layer: times every contract request and logs it.
pub(crate) async fn log_requests(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    tracing::debug!(%method, %path, status, latency_us = elapsed.as_micros() as u64, "contract request");
    sandbox.inner.requests.push(RequestRecord {
        method,
        path,
        status,
        latency_us: elapsed.as_micros() as u64,
        latency_ms: elapsed.as_millis() as u64,
    });
    response
}

/// `Authorization: Bearer <key>` with a non-empty key (one of the configured keys, if any).
pub(crate) async fn require_bearer(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .filter(|k| !k.is_empty());
    let allowed = &sandbox.inner.core.config.api_keys;
    match key {
        Some(k) if allowed.is_empty() || allowed.iter().any(|a| a == k) => next.run(request).await,
        Some(_) => unauthorized("The API key is not accepted by this sandbox"),
        None => unauthorized("Missing or empty bearer token: send Authorization: Bearer <api key>"),
    }
}

fn unauthorized(detail: &str) -> Response {
    let mut response =
        HisError::new(StatusCode::UNAUTHORIZED, "Unauthorized", "HIS-401", detail).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Adds the configured latency, then applies a requested or randomly drawn fault.
pub(crate) async fn latency_and_faults(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let config = &sandbox.inner.core.config;
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    let armed = sandbox.take_armed_fault(request.uri().path());
    let header = request
        .headers()
        .get(FAULT_HEADER)
        .map(|v| v.to_str().unwrap_or(""));
    let requested = match armed.map(|kind| kind.as_str()).or(header) {
        Some(name) => match name.parse::<FaultKind>() {
            Ok(kind) => Some(kind),
            Err(e) => {
                return HisError::new(
                    StatusCode::BAD_REQUEST,
                    "Invalid fault header",
                    "HIS-400",
                    e.to_string(),
                )
                .into_response();
            }
        },
        None => sandbox.inner.faults.roll(config.fault_rate, &config.faults),
    };
    match requested {
        None => next.run(request).await,
        Some(FaultKind::LostAnswer) => {
            // the operation takes effect; only its answer is lost
            let _ = next.run(request).await;
            fault_response(FaultKind::Reset, sandbox.inner.stopping.subscribe()).await
        }
        Some(kind) => fault_response(kind, sandbox.inner.stopping.subscribe()).await,
    }
}

async fn fault_response(
    kind: FaultKind,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> Response {
    match kind {
        FaultKind::Status500 => HisError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error (injected by the sandbox)",
            "HIS-500",
            "Injected fault",
        )
        .into_response(),
        FaultKind::Status503 => {
            let mut e = HisError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable (injected by the sandbox): retry later",
                "HIS-503",
                "Injected fault",
            );
            e.retry_after = Some(1);
            e.into_response()
        }
        FaultKind::Timeout => {
            // hold the request until the client gives up, or the server shuts down (graceful
            // shutdown waits for in-flight requests, so this one must end then)
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = stopping.wait_for(|stop| *stop) => {}
            }
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        FaultKind::Reset | FaultKind::LostAnswer => {
            // headers go out, then the body fails: hyper aborts the connection mid-response
            let stream = futures_util::stream::once(std::future::ready(
                Err::<axum::body::Bytes, _>(std::io::Error::other("connection reset (injected)")),
            ));
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        FaultKind::Malformed => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"txnId": "#))
            // the parts are constants that always build; a 500 is still a fault if they did not
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}
