//! Building an [`AbdmBackend`](super::AbdmBackend): credentials, environment, hosts, session API,
//! encryption modes, timeouts.

use std::fmt;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::abdm::{Environment, FieldModes, SessionApi};
use crate::backend::RetryPolicy;
use crate::client::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use crate::error::Error;
use crate::types::mask::REDACTED;

/// Environment variable: the client ID NHA issued (required).
pub const ENV_ABDM_CLIENT_ID: &str = "HPR_ABDM_CLIENT_ID";
/// Environment variable: its secret (required).
pub const ENV_ABDM_CLIENT_SECRET: &str = "HPR_ABDM_CLIENT_SECRET";
/// Environment variable: `sandbox` (default) or `production`; picks the default hosts.
pub const ENV_ABDM_ENV: &str = "HPR_ABDM_ENV";
/// Environment variable: the HPR base URL, overriding the environment's.
pub const ENV_ABDM_HPR_URL: &str = "HPR_ABDM_HPR_URL";
/// Environment variable: the gateway base URL (sessions), overriding the environment's.
pub const ENV_ABDM_GATEWAY_URL: &str = "HPR_ABDM_GATEWAY_URL";
/// Environment variable: `v0.5` (default) or `v3`.
pub const ENV_ABDM_SESSION_API: &str = "HPR_ABDM_SESSION_API";
/// Environment variable: per-field encryption, `field=mode,…` over the defaults
/// (`password=oaep-sha1`); modes `none`, `pkcs1v15`, `oaep-sha1`.
pub const ENV_ABDM_ENCRYPT: &str = "HPR_ABDM_ENCRYPT";

/// Configuration for an [`AbdmBackend`](super::AbdmBackend). `Debug` redacts the secret.
///
/// ```
/// use abdm_hpr::AbdmBackend;
/// use abdm_hpr::abdm::{FieldModes, SessionApi};
/// let backend = AbdmBackend::builder()
///     .client_id("SBX_000123")
///     .client_secret("secret")
///     .hpr_url("http://127.0.0.1:8080/abdm/hpr/api")
///     .gateway_url("http://127.0.0.1:8080/abdm/gateway")
///     .session_api(SessionApi::V3)
///     .field_modes("mobileNumber=pkcs1v15".parse::<FieldModes>().unwrap())
///     .build()
///     .unwrap();
/// assert_eq!(backend.hpr_url(), "http://127.0.0.1:8080/abdm/hpr/api");
/// // a missing secret is a configuration error naming the variable
/// let err = AbdmBackend::builder().client_id("SBX_000123").build().unwrap_err();
/// assert!(err.to_string().contains("HPR_ABDM_CLIENT_SECRET"));
/// ```
#[derive(Clone)]
pub struct AbdmBackendBuilder {
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<Zeroizing<String>>,
    pub(crate) environment: Environment,
    pub(crate) hpr_url: Option<String>,
    pub(crate) gateway_url: Option<String>,
    pub(crate) session_api: SessionApi,
    pub(crate) field_modes: FieldModes,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    /// Problems found while reading the environment, reported together by `build`.
    pub(crate) problems: Vec<String>,
}

impl Default for AbdmBackendBuilder {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            environment: Environment::default(),
            hpr_url: None,
            gateway_url: None,
            session_api: SessionApi::default(),
            field_modes: FieldModes::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::none(),
            problems: Vec::new(),
        }
    }
}

impl fmt::Debug for AbdmBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbdmBackendBuilder")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED),
            )
            .field("environment", &self.environment)
            .field("hpr_url", &self.hpr_url)
            .field("gateway_url", &self.gateway_url)
            .field("session_api", &self.session_api)
            .field("field_modes", &self.field_modes.to_string())
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

fn non_blank(v: String) -> Option<String> {
    let trimmed = v.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

impl AbdmBackendBuilder {
    /// Nothing configured: the sandbox environment, v0.5 sessions, `password` encrypted with
    /// OAEP-SHA1, 10 s / 30 s timeouts, no retries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Filled from the `HPR_ABDM_*` variables (unset or blank ones are ignored; unreadable
    /// values are reported by [`build`](Self::build), naming the variable).
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) with a custom lookup (flags, config files, tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).and_then(non_blank);
        let mut b = Self {
            client_id: get(ENV_ABDM_CLIENT_ID),
            client_secret: get(ENV_ABDM_CLIENT_SECRET).map(Zeroizing::new),
            hpr_url: get(ENV_ABDM_HPR_URL),
            gateway_url: get(ENV_ABDM_GATEWAY_URL),
            ..Self::default()
        };
        fn parse<T: std::str::FromStr<Err = String>>(
            problems: &mut Vec<String>,
            name: &str,
            value: Option<String>,
        ) -> Option<T> {
            let value = value?;
            value
                .parse()
                .map_err(|e| problems.push(format!("{name}: {e}")))
                .ok()
        }
        let mut problems = Vec::new();
        if let Some(env) = parse(&mut problems, ENV_ABDM_ENV, get(ENV_ABDM_ENV)) {
            b.environment = env;
        }
        if let Some(api) = parse(
            &mut problems,
            ENV_ABDM_SESSION_API,
            get(ENV_ABDM_SESSION_API),
        ) {
            b.session_api = api;
        }
        if let Some(modes) = parse(&mut problems, ENV_ABDM_ENCRYPT, get(ENV_ABDM_ENCRYPT)) {
            b.field_modes = modes;
        }
        b.problems = problems;
        b
    }

    /// The client ID NHA issued.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = non_blank(id.into());
        self
    }

    /// The client secret.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = non_blank(secret.into()).map(Zeroizing::new);
        self
    }

    /// The ABDM environment (default hosts and `X-CM-ID`).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// The HPR base URL (e.g. `https://hpridsbx.abdm.gov.in/api`), overriding the environment's.
    pub fn hpr_url(mut self, url: impl Into<String>) -> Self {
        self.hpr_url = non_blank(url.into());
        self
    }

    /// The gateway base URL (e.g. `https://dev.abdm.gov.in`), overriding the environment's.
    pub fn gateway_url(mut self, url: impl Into<String>) -> Self {
        self.gateway_url = non_blank(url.into());
        self
    }

    /// The session API version.
    pub fn session_api(mut self, api: SessionApi) -> Self {
        self.session_api = api;
        self
    }

    /// The encryption mode of every secret field.
    pub fn field_modes(mut self, modes: FieldModes) -> Self {
        self.field_modes = modes;
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

    /// Builds the backend; every configuration problem is one [`Error::Config`] naming the
    /// variables at fault.
    pub fn build(self) -> Result<super::AbdmBackend, Error> {
        let mut problems = self.problems.clone();
        if self.client_id.is_none() {
            problems.push(format!("no ABDM client ID: set {ENV_ABDM_CLIENT_ID}"));
        }
        if self.client_secret.is_none() {
            problems.push(format!(
                "no ABDM client secret: set {ENV_ABDM_CLIENT_SECRET}"
            ));
        }
        let url = |value: &Option<String>, default: &str, name: &str| {
            super::super::http::checked_base_url(value.as_deref().unwrap_or(default), name)
        };
        let hpr_url = url(&self.hpr_url, self.environment.hpr_url(), ENV_ABDM_HPR_URL)
            .map_err(|e| problems.push(config_message(e)))
            .ok();
        let gateway_url = url(
            &self.gateway_url,
            self.environment.gateway_url(),
            ENV_ABDM_GATEWAY_URL,
        )
        .map_err(|e| problems.push(config_message(e)))
        .ok();
        match (hpr_url, gateway_url, problems.is_empty()) {
            (Some(hpr_url), Some(gateway_url), true) => {
                super::AbdmBackend::from_parts(self, hpr_url, gateway_url)
            }
            _ => Err(Error::Config(problems.join("; "))),
        }
    }
}

fn config_message(e: Error) -> String {
    match e {
        Error::Config(m) => m,
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn every_problem_is_reported_by_name() {
        let err = AbdmBackendBuilder::from_lookup(lookup(&[
            (ENV_ABDM_ENV, "staging"),
            (ENV_ABDM_SESSION_API, "v9"),
            (ENV_ABDM_ENCRYPT, "pin=none"),
            (ENV_ABDM_HPR_URL, "http://example.com/api"),
        ]))
        .build()
        .unwrap_err()
        .to_string();
        for name in [
            ENV_ABDM_ENV,
            ENV_ABDM_SESSION_API,
            ENV_ABDM_ENCRYPT,
            ENV_ABDM_HPR_URL,
            ENV_ABDM_CLIENT_ID,
            ENV_ABDM_CLIENT_SECRET,
        ] {
            assert!(err.contains(name), "{name} missing from: {err}");
        }
    }

    #[test]
    fn environment_picks_the_hosts_and_debug_hides_the_secret() {
        let b = AbdmBackendBuilder::from_lookup(lookup(&[
            (ENV_ABDM_CLIENT_ID, "SBX_1"),
            (ENV_ABDM_CLIENT_SECRET, "very-secret-value"),
            (ENV_ABDM_ENV, "production"),
            (ENV_ABDM_SESSION_API, "v3"),
        ]));
        assert!(!format!("{b:?}").contains("very-secret-value"));
        let backend = b.build().unwrap();
        assert_eq!(backend.hpr_url(), "https://hprid.abdm.gov.in/api");
        assert_eq!(backend.gateway_url(), "https://live.abdm.gov.in");
        assert!(!format!("{backend:?}").contains("very-secret-value"));
    }
}
