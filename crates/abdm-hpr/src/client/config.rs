//! Building a [`GatewayClient`](super::GatewayClient): base URL, credentials, timeouts, retries.

use std::fmt;
use std::time::Duration;

use super::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, RetryPolicy};
use crate::error::Error;
use crate::types::mask::REDACTED;

/// Environment variable: base URL of the gateway (required by `from_env`).
pub const ENV_API_URL: &str = "HPR_API_URL";
/// Environment variable: API key sent as `Authorization: Bearer <key>`.
pub const ENV_API_KEY: &str = "HPR_API_KEY";
/// Environment variable: value of the `x-hprid-auth` header (sent only when set).
pub const ENV_HPRID_AUTH: &str = "HPR_HPRID_AUTH";
/// Environment variable: value of the `facilityid` header (sent only when set).
pub const ENV_FACILITY_ID: &str = "HPR_FACILITY_ID";

/// Configuration for a [`GatewayClient`](super::GatewayClient). `Debug` redacts the credentials.
///
/// ```
/// use std::time::Duration;
/// use abdm_hpr::client::GatewayClient;
/// let client = GatewayClient::builder()
///     .base_url("http://127.0.0.1:8080/api")
///     .api_key("sandbox-key")
///     .timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080/api");
/// ```
#[derive(Clone)]
pub struct GatewayClientBuilder {
    pub(crate) base_url: Option<String>,
    pub(crate) api_key: Option<String>,
    pub(crate) hprid_auth: Option<String>,
    pub(crate) facility_id: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
}

impl Default for GatewayClientBuilder {
    fn default() -> Self {
        Self {
            base_url: None,
            api_key: None,
            hprid_auth: None,
            facility_id: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::none(),
        }
    }
}

impl fmt::Debug for GatewayClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |v: &Option<String>| v.as_ref().map(|_| REDACTED);
        f.debug_struct("GatewayClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &secret(&self.api_key))
            .field("hprid_auth", &secret(&self.hprid_auth))
            .field("facility_id", &self.facility_id)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

fn non_blank(v: impl Into<String>) -> Option<String> {
    let v = v.into();
    (!v.trim().is_empty()).then(|| v.trim().to_owned())
}

impl GatewayClientBuilder {
    /// A builder with default timeouts, no retries and nothing configured.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder filled from `HPR_API_URL`, `HPR_API_KEY`, `HPR_HPRID_AUTH`, `HPR_FACILITY_ID`
    /// (unset or blank variables are ignored). Later builder calls override them.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) with a custom lookup (tests, config files).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            base_url: lookup(ENV_API_URL).and_then(non_blank),
            api_key: lookup(ENV_API_KEY).and_then(non_blank),
            hprid_auth: lookup(ENV_HPRID_AUTH).and_then(non_blank),
            facility_id: lookup(ENV_FACILITY_ID).and_then(non_blank),
            ..Self::default()
        }
    }

    /// Base URL; a path prefix is kept (`https://h/api` + `/aadhaar/generateOtp`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = non_blank(url);
        self
    }

    /// API key, sent as `Authorization: Bearer <key>` (a leading `Bearer ` is not doubled).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = non_blank(key);
        self
    }

    /// Value of the `x-hprid-auth` header; not sent unless set.
    pub fn hprid_auth(mut self, value: impl Into<String>) -> Self {
        self.hprid_auth = non_blank(value);
        self
    }

    /// Value of the `facilityid` header; not sent unless set.
    pub fn facility_id(mut self, value: impl Into<String>) -> Self {
        self.facility_id = non_blank(value);
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole request and response (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retry policy (default: never retry).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the client; every configuration problem is an [`Error::Config`].
    pub fn build(self) -> Result<super::GatewayClient, Error> {
        super::GatewayClient::from_builder(self)
    }

    /// Validates the base URL: http(s), no query or fragment, plain `http` only for loopback.
    pub(crate) fn checked_base_url(&self) -> Result<String, Error> {
        let raw = self.base_url.as_deref().ok_or_else(|| {
            Error::Config(format!("no base URL: set {ENV_API_URL} or call base_url()"))
        })?;
        super::http::checked_base_url(raw, "the base URL")
    }

    /// The `Authorization` value, `Bearer <key>` without doubling the prefix.
    pub(crate) fn authorization(&self) -> Result<String, Error> {
        let key = self.api_key.as_deref().ok_or_else(|| {
            Error::Config(format!("no API key: set {ENV_API_KEY} or call api_key()"))
        })?;
        // keys are stored trimmed, so a key of just "Bearer" had a prefix and nothing after it
        let bare = match key.get(..6) {
            Some(prefix)
                if prefix.eq_ignore_ascii_case("bearer")
                    && key[6..].chars().next().is_none_or(char::is_whitespace) =>
            {
                key[6..].trim_start()
            }
            _ => key,
        };
        if bare.is_empty() {
            return Err(Error::Config("the API key is empty".into()));
        }
        Ok(format!("Bearer {bare}"))
    }

    /// The optional headers, refusing unfilled template placeholders such as `__X_HPR_ID__`.
    pub(crate) fn optional_headers(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let mut headers = Vec::new();
        for (name, value) in [
            ("x-hprid-auth", &self.hprid_auth),
            ("facilityid", &self.facility_id),
        ] {
            if let Some(v) = value {
                if v.starts_with("__") && v.ends_with("__") {
                    return Err(Error::Config(format!(
                        "the {name} header holds a template placeholder; configure the real value or leave it unset"
                    )));
                }
                headers.push((name, v.clone()));
            }
        }
        Ok(headers)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn b(url: &str) -> GatewayClientBuilder {
        GatewayClientBuilder::new().base_url(url).api_key("k")
    }

    #[test]
    fn base_url_rules() {
        // the rules themselves are tested in `client::http`; here: the builder applies them
        assert_eq!(
            b("https://h/api/").checked_base_url().unwrap(),
            "https://h/api"
        );
        assert!(matches!(
            b("http://example.com").checked_base_url(),
            Err(Error::Config(_))
        ));
        assert!(GatewayClientBuilder::new().checked_base_url().is_err());
    }

    #[test]
    fn bearer_is_never_doubled() {
        assert_eq!(
            b("https://h").api_key("abc").authorization().unwrap(),
            "Bearer abc"
        );
        assert_eq!(
            b("https://h")
                .api_key("Bearer abc")
                .authorization()
                .unwrap(),
            "Bearer abc"
        );
        assert_eq!(
            b("https://h")
                .api_key("bearer  abc")
                .authorization()
                .unwrap(),
            "Bearer abc"
        );
        assert!(b("https://h").api_key("Bearer ").authorization().is_err());
        assert!(GatewayClientBuilder::new().authorization().is_err());
    }

    #[test]
    fn placeholders_are_refused_and_unset_headers_not_sent() {
        assert!(b("https://h").optional_headers().unwrap().is_empty());
        assert!(
            b("https://h")
                .hprid_auth("__X_HPR_ID__")
                .optional_headers()
                .is_err()
        );
        let h = b("https://h")
            .hprid_auth("tok")
            .facility_id("F1")
            .optional_headers()
            .unwrap();
        assert_eq!(
            h,
            [
                ("x-hprid-auth", "tok".to_owned()),
                ("facilityid", "F1".to_owned())
            ]
        );
    }

    #[test]
    fn env_lookup_and_redacted_debug() {
        let b = GatewayClientBuilder::from_lookup(|k| match k {
            ENV_API_URL => Some("https://h/api".into()),
            ENV_API_KEY => Some("super-secret-key".into()),
            ENV_HPRID_AUTH => Some("hprid-secret".into()),
            _ => Some("  ".into()),
        });
        assert_eq!(b.facility_id, None);
        let dbg = format!("{b:?}");
        assert!(
            !dbg.contains("super-secret-key") && !dbg.contains("hprid-secret"),
            "{dbg}"
        );
        assert!(dbg.contains("https://h/api"));
    }
}
