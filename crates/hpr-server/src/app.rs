//! The application: shared state, the router and its layers.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio_util::task::TaskTracker;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument as _;

use abdm_hpr::RegistryBackend;
use abdm_hpr::backend::BoxFuture;
use abdm_hpr::flow::{Clock, RegistrationService};

use crate::config::ServerConfig;
use crate::db::Database;
use crate::error::ApiError;
use crate::key_cache::KeyCache;
use crate::metrics::Metrics;
use crate::rate_limit::KeyLimiter;
use crate::routes;
use crate::store::TenantStore;

/// Checks that the registry backend can be reached (for `/readyz`); `Err` says why not.
pub type ReadinessProbe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Registrations, keys and idempotency records.
    pub db: Database,
    /// Where steps are sent.
    pub backend: Arc<dyn RegistryBackend>,
    /// The time (injected in tests).
    pub clock: Arc<dyn Clock>,
    /// Limits and timings.
    pub config: Arc<ServerConfig>,
    /// Per-key rate limits.
    pub limiter: Arc<KeyLimiter>,
    /// Recently seen live API keys.
    pub keys: Arc<KeyCache>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Whether the backend is reachable.
    pub readiness: ReadinessProbe,
    /// Steps run as tracked tasks: a client that goes away does not cancel a step half-way,
    /// and shutdown waits for them.
    pub steps: TaskTracker,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The engine for one tenant: its registrations only.
    pub fn service(&self, tenant: &str) -> RegistrationService {
        RegistrationService::new(
            self.backend.clone(),
            Arc::new(TenantStore::new(self.db.clone(), tenant)),
            self.clock.clone(),
        )
        .with_ttl(self.config.session_ttl)
        .with_claim_ttl(self.config.claim_ttl)
    }
}

/// The `X-Request-Id` header.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state.config.cors_origins);
    let mut app = Router::new()
        .route(
            "/v1/registrations",
            post(routes::registrations::start).get(routes::registrations::list),
        )
        .route("/v1/registrations/links", post(routes::links::create))
        .route(
            "/v1/registrations/{id}",
            get(routes::registrations::show).delete(routes::registrations::delete),
        )
        .route(
            "/v1/registrations/{id}/steps/{step}",
            post(routes::registrations::step),
        )
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz))
        .route("/metrics", get(routes::ops::metrics))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .merge(crate::web::router())
        .fallback(routes::ops::not_found)
        .method_not_allowed_fallback(routes::ops::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state);
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    app
}

/// CORS for the configured origins only; `None` when there are none (CORS off).
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("idempotency-key"),
                REQUEST_ID.clone(),
            ])
            .expose_headers([REQUEST_ID.clone(), header::RETRY_AFTER]),
    )
}

/// A usable incoming request id: 1–128 of `A–Z a–z 0–9 - _ . :`.
fn incoming_request_id(request: &Request) -> Option<HeaderValue> {
    let value = request.headers().get(&REQUEST_ID)?;
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .as_bytes()
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| value.clone())
}

/// Around every request: the request id (accepted or generated, echoed), a span, the
/// request timeout, a log line and the request counter. Only the method, the route template
/// and the status are logged: ids in paths and bodies stay out of the logs.
async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = incoming_request_id(&request).unwrap_or_else(|| {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("-"))
    });
    request.headers_mut().insert(REQUEST_ID.clone(), id.clone());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        "http",
        request_id = id.to_str().unwrap_or("-"),
        method = %method,
        route = %route,
    );
    let timeout = state.config.request_timeout;
    let answer = tokio::time::timeout(timeout, next.run(request).instrument(span.clone())).await;
    let mut response = {
        match answer {
            Ok(response) => response,
            Err(_) => ApiError::new(
                axum::http::StatusCode::GATEWAY_TIMEOUT,
                abdm_hpr::flow::ErrorKind::Transport,
                format!(
                    "no answer within {} s; a step that started goes on and is saved: read the registration",
                    timeout.as_secs()
                ),
            )
            .into_response(),
        }
    };
    let status = response.status().as_u16();
    state.metrics.request(method.as_str(), &route, status);
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "answered"
        );
    });
    response.headers_mut().insert(REQUEST_ID.clone(), id);
    response
}
