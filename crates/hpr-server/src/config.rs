//! [`ServerConfig`]: the service's limits and timings (flags of `hpr serve`).

use std::sync::Arc;
use std::time::Duration;

/// Reads the latest fake SMS OTP of a transaction (the embedded sandbox's), for the web page's
/// sandbox banner. The server does not depend on the sandbox: the CLI wires it.
#[derive(Clone)]
pub struct OtpPeek(pub Arc<PeekFn>);

/// `txnId` → the latest OTP sent for it.
pub type PeekFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl std::fmt::Debug for OtpPeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpPeek")
    }
}

/// How the service behaves; [`Default`] gives the documented defaults.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// A registration is kept this long after its last step (sliding; `--session-ttl-mins`).
    pub session_ttl: Duration,
    /// How long one step may hold its registration (longer than any registry call).
    pub claim_ttl: Duration,
    /// Requests per minute and API key; `None`: unlimited (`--rate-limit-per-min 0`).
    pub rate_limit_per_min: Option<u32>,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// A request answers within this, or 504 (a step goes on and is saved).
    pub request_timeout: Duration,
    /// Origins allowed by CORS; empty: CORS off.
    pub cors_origins: Vec<String>,
    /// How often expired registrations and idempotency records are purged.
    pub purge_interval: Duration,
    /// How long an `Idempotency-Key` is remembered.
    pub idempotency_ttl: Duration,
    /// How long a live API key is remembered without reading the database again (a revoked
    /// key stops working within this time).
    pub key_cache_ttl: Duration,
    /// The web page at `/register` is open to anyone (tenant `web`): only when the registry is
    /// the embedded sandbox. Otherwise a browser needs a link from `POST /v1/registrations/links`.
    pub web_open_access: bool,
    /// The sandbox's fake SMS, shown on the web page's OTP pages (embedded sandbox only).
    pub web_otp_peek: Option<OtpPeek>,
    /// How long after an OTP the web page offers to resend it.
    pub web_resend_after: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(30 * 60),
            claim_ttl: abdm_hpr::flow::DEFAULT_CLAIM_TTL,
            rate_limit_per_min: Some(600),
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(60),
            cors_origins: Vec::new(),
            purge_interval: Duration::from_secs(60),
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            key_cache_ttl: Duration::from_secs(1),
            web_open_access: false,
            web_otp_peek: None,
            web_resend_after: Duration::from_secs(30),
        }
    }
}
