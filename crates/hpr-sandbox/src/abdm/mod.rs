//! The Backend B dialect (CONTRACT §3): ABDM's own HPR registration API, served on the same
//! port and over the same state as Backend A, so an account created through one exists through
//! the other.
//!
//! - `POST /abdm/gateway/gateway/v0.5/sessions` and `POST
//!   /abdm/gateway/api/hiecm/gateway/v3/sessions` exchange client credentials
//!   ([`SandboxConfig::abdm_clients`](crate::SandboxConfig::abdm_clients)) for an access token
//!   that lives [`SandboxConfig::abdm_token_ttl`](crate::SandboxConfig::abdm_token_ttl).
//! - `/abdm/hpr/api` + [`abdm_hpr::abdm::path`] (either `/v1/` or `/v2/`) runs the 8 steps with
//!   `Authorization: Bearer <access token>`; `GET /abdm/hpr/api/v1/auth/cert` publishes the RSA
//!   key that encrypted fields
//!   ([`SandboxConfig::abdm_encrypted`](crate::SandboxConfig::abdm_encrypted)) are sealed with.
//!
//! The wire facts (paths, field names, modes) come from [`abdm_hpr::abdm`], the module the B
//! client uses too.

mod cipher;
mod routes;
mod session;
mod tokens;
mod translate;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use abdm_hpr::abdm::SessionApi;
use axum::Router;
use axum::routing::{any, post};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng, TryRngCore};

use crate::Sandbox;

/// Where the B dialect's HPR API lives: `http://ADDR/abdm/hpr/api` stands for
/// `https://hpridsbx.abdm.gov.in/api`.
pub const ABDM_HPR_PREFIX: &str = "/abdm/hpr/api";

/// Where the B dialect's gateway lives: `http://ADDR/abdm/gateway` stands for
/// `https://dev.abdm.gov.in`.
pub const ABDM_GATEWAY_PREFIX: &str = "/abdm/gateway";

/// The client ID accepted by default.
pub const DEFAULT_ABDM_CLIENT_ID: &str = "SBX_HPR_SANDBOX";

/// The secret of [`DEFAULT_ABDM_CLIENT_ID`].
pub const DEFAULT_ABDM_CLIENT_SECRET: &str = "sandbox-secret";

/// Default access-token lifetime (upstream's sample: 1200 s).
pub const DEFAULT_ABDM_TOKEN_TTL: Duration = Duration::from_secs(1200);

/// Longest accepted access-token lifetime: one day.
pub const MAX_ABDM_TOKEN_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The B dialect's own state: tokens, the key pair, counters.
pub(crate) struct AbdmState {
    pub tokens: tokens::Tokens,
    pub keys: cipher::KeyCell,
    sessions: AtomicU64,
    /// Tokens must not be guessable from the seed, and must not draw from the state's generator
    /// (that would shift a seeded run's OTPs and IDs): their own, OS-seeded generator.
    rng: Mutex<StdRng>,
}

impl AbdmState {
    pub fn new(seed: u64) -> Self {
        let seed = rand::rngs::OsRng
            .try_next_u64()
            .unwrap_or(seed ^ 0xABD0_ABD0_ABD0_ABD0);
        Self {
            tokens: tokens::Tokens::default(),
            keys: cipher::KeyCell::default(),
            sessions: AtomicU64::new(0),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// A random, JWT-shaped opaque token for `subject`.
    pub fn jwt(&self, subject: &str, kind: &str) -> String {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut signature = [0u8; 32];
        self.rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fill_bytes(&mut signature);
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"iss": "hpr-sandbox/abdm", "sub": subject, "typ": kind}).to_string(),
        );
        format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    pub fn count_session(&self) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sessions_issued(&self) -> u64 {
        self.sessions.load(Ordering::Relaxed)
    }
}

/// The B routes, with the request log, the `Host` rule, the bearer check and latency and
/// faults (A's API-key check does not apply: B has its own tokens).
pub(crate) fn router(sandbox: &Sandbox) -> Router<Sandbox> {
    let gateway = |api: SessionApi| format!("{ABDM_GATEWAY_PREFIX}{}", api.path());
    Router::new()
        .route(&gateway(SessionApi::V05), post(session::v05))
        .route(&gateway(SessionApi::V3), post(session::v3))
        .route(
            &format!("{ABDM_GATEWAY_PREFIX}/{{*rest}}"),
            any(routes::not_found),
        )
        .route(ABDM_HPR_PREFIX, any(routes::not_found))
        .route(&format!("{ABDM_HPR_PREFIX}/"), any(routes::not_found))
        .route(&format!("{ABDM_HPR_PREFIX}/{{*rest}}"), any(routes::hpr))
        .layer(axum::middleware::from_fn_with_state(
            sandbox.clone(),
            crate::middleware::latency_and_faults,
        ))
        .layer(axum::middleware::from_fn_with_state(
            sandbox.clone(),
            routes::require_token,
        ))
        .layer(axum::middleware::from_fn_with_state(
            sandbox.clone(),
            crate::middleware::log_requests,
        ))
        .layer(axum::middleware::from_fn(crate::middleware::contract_host))
        .layer(axum::extract::DefaultBodyLimit::max(
            sandbox.config().max_body_bytes,
        ))
}
