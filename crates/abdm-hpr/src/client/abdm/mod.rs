//! [`AbdmBackend`]: the Backend B adapter — ABDM's own HPR API (CONTRACT §3), straight from a
//! hospital's or EMR's ABDM client credentials, without a paid gateway in between.
//!
//! Per call: a cached access token (one session request at a time, renewed before it lapses;
//! on a `900901` refusal renewed once and the call repeated once — the gateway refused it, so it
//! did not run), the registry's RSA key for the fields configured to be encrypted (fetched once),
//! B's path and body, and A's tolerant response decoding. Gateway refusals become
//! [`Error::GatewayAuth`], encryption mismatches [`Error::Encryption`] naming the field and the
//! padding to try.

mod cipher;
mod config;
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use zeroize::Zeroizing;

pub use config::{
    AbdmBackendBuilder, ENV_ABDM_CLIENT_ID, ENV_ABDM_CLIENT_SECRET, ENV_ABDM_ENCRYPT, ENV_ABDM_ENV,
    ENV_ABDM_GATEWAY_URL, ENV_ABDM_HPR_URL, ENV_ABDM_SESSION_API,
};

use self::cipher::RegistryKey;
use self::token::{Issued, TokenCache};
use super::http::{header_value, read_capped, retry_after, transport_error};
use super::tls;
use crate::abdm::{
    self, CERT_PATH, CipherMode, Environment, FieldModes, SecretField, SessionApi, SessionGrant,
    SessionRequest,
};
use crate::backend::{BoxFuture, RegistryBackend, Request, Response, Retrying, Traced};
use crate::error::{ApiError, Error, RequestSent, Result};
use crate::step::Step;

/// The WSO2 API-gateway codes that mean "the credentials were refused" (CONTRACT §3.4).
const GATEWAY_AUTH_CODES: [&str; 3] = ["900901", "900902", "900908"];

/// The registry's code for "input must be encrypted".
const MUST_BE_ENCRYPTED: &str = "HIS-1047";

/// The direct-to-ABDM backend. Cheap to clone (shares one connection pool, token and key);
/// `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> Result<(), abdm_hpr::Error> {
/// use abdm_hpr::{AbdmBackend, RegistryApi};
/// use abdm_hpr::types::{GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest};
///
/// let abdm = AbdmBackend::from_env()?; // HPR_ABDM_CLIENT_ID, HPR_ABDM_CLIENT_SECRET, …
/// let request = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
///     aadhaar: Some("2341 2341 2346".into()),
/// })?;
/// let sent = abdm.generate_aadhaar_otp(&request).await?; // fetches a session token first
/// println!("OTP sent, transaction {}", sent.txn_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AbdmBackend {
    stack: Arc<Traced<Retrying<Transport>>>,
}

impl fmt::Debug for AbdmBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbdmBackend")
            .field("hpr_url", &self.hpr_url())
            .field("gateway_url", &self.gateway_url())
            .field("session_api", &self.transport().session_api)
            .field("field_modes", &self.transport().modes.to_string())
            .finish_non_exhaustive()
    }
}

impl AbdmBackend {
    /// A builder with nothing configured.
    pub fn builder() -> AbdmBackendBuilder {
        AbdmBackendBuilder::new()
    }

    /// A backend configured from the `HPR_ABDM_*` variables.
    pub fn from_env() -> Result<Self> {
        AbdmBackendBuilder::from_env().build()
    }

    pub(crate) fn from_parts(
        b: AbdmBackendBuilder,
        hpr_url: String,
        gateway_url: String,
    ) -> Result<Self> {
        let (Some(client_id), Some(client_secret)) = (b.client_id, b.client_secret) else {
            return Err(Error::Config(format!(
                "no ABDM client credentials: set {ENV_ABDM_CLIENT_ID} and {ENV_ABDM_CLIENT_SECRET}"
            )));
        };
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config_for(&[&hpr_url, &gateway_url])?)
            .connect_timeout(b.connect_timeout)
            .timeout(b.timeout)
            // a 3xx is an error, never followed
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client setup failed: {e}")))?;
        let transport = Transport {
            http,
            session_url: format!("{gateway_url}{}", b.session_api.path()),
            cert_url: format!("{hpr_url}{CERT_PATH}"),
            hpr_url,
            gateway_url,
            environment: b.environment,
            session_api: b.session_api,
            client_id,
            client_secret,
            modes: b.field_modes,
            tokens: TokenCache::default(),
            key: tokio::sync::OnceCell::new(),
        };
        Ok(Self {
            stack: Arc::new(Traced::new(Retrying::new(transport, b.retry))),
        })
    }

    fn transport(&self) -> &Transport {
        self.stack.inner().inner()
    }

    /// The HPR base URL (without a trailing `/`).
    pub fn hpr_url(&self) -> &str {
        &self.transport().hpr_url
    }

    /// The gateway base URL the session API is called under.
    pub fn gateway_url(&self) -> &str {
        &self.transport().gateway_url
    }

    /// The encryption mode of every secret field.
    pub fn field_modes(&self) -> FieldModes {
        self.transport().modes
    }
}

impl RegistryBackend for AbdmBackend {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        self.stack.call(request)
    }
}

/// One registry call per `call`, with its token and key.
struct Transport {
    http: reqwest::Client,
    hpr_url: String,
    gateway_url: String,
    session_url: String,
    cert_url: String,
    environment: Environment,
    session_api: SessionApi,
    client_id: String,
    client_secret: Zeroizing<String>,
    modes: FieldModes,
    tokens: TokenCache,
    key: tokio::sync::OnceCell<RegistryKey>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbdmTransport")
            .field("hpr_url", &self.hpr_url)
            .field("session_url", &self.session_url)
            .finish_non_exhaustive()
    }
}

impl RegistryBackend for Transport {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        Box::pin(async move {
            let step = request.step();
            let mut token = self.token(step).await?;
            let (body, sealed) = self.encode(request, &token).await?;
            let mut renewed = false;
            loop {
                match self.exchange(step, &token, body.clone()).await {
                    Ok((status, bytes)) => {
                        // the enclosing `hpr.request` span (Traced) reports it
                        tracing::Span::current().record("status", status);
                        return abdm::decode_response(step, status, &bytes);
                    }
                    // refused at the gateway, so it did not run: renew once and repeat once
                    Err(Error::Api { error, .. })
                        if !renewed && error.code.as_deref() == Some("900901") =>
                    {
                        tracing::debug!(
                            step = step.as_str(),
                            "ABDM gateway refused the access token (900901); renewing it once"
                        );
                        self.tokens.invalidate(&token);
                        token = self.token(step).await?;
                        renewed = true;
                    }
                    Err(e) => return Err(self.explain(step, e, &sealed, renewed)),
                }
            }
        })
    }
}

impl Transport {
    /// A usable access token, from the cache or one session request.
    async fn token(&self, step: Step) -> Result<Arc<Issued>> {
        self.tokens.get(|| self.open_session(step)).await
    }

    /// `POST {gateway}/…/sessions`. Whatever fails here, the registry call was not sent.
    async fn open_session(&self, step: Step) -> Result<SessionGrant> {
        let body = serde_json::to_vec(&SessionRequest::new(&self.client_id, &self.client_secret))
            .map_err(|e| {
            Error::Config(format!("session request could not be serialized: {e}"))
        })?;
        let mut request = self
            .http
            .post(&self.session_url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, user_agent())
            .body(body);
        if self.session_api == SessionApi::V3 {
            request = request
                .header("REQUEST-ID", uuid::Uuid::new_v4().to_string())
                .header("TIMESTAMP", abdm::v3_timestamp(SystemTime::now()))
                .header("X-CM-ID", self.environment.cm_id());
        }
        let response = request
            .send()
            .await
            .map_err(|e| not_sent(step, "the ABDM session request", e))?;
        let status = response.status().as_u16();
        let bytes = read_capped(step, response)
            .await
            .map_err(|e| not_sent_error(step, "the ABDM session answer", e))?;
        if !(200..300).contains(&status) {
            let error = ApiError::from_body(status, &bytes, None);
            return Err(Error::GatewayAuth {
                operation: step,
                status,
                code: error.cause_code().map(str::to_owned),
                message: format!(
                    "the ABDM gateway did not issue an access token ({} session API): {error}; check {ENV_ABDM_CLIENT_ID}, {ENV_ABDM_CLIENT_SECRET} and {ENV_ABDM_ENV}",
                    self.session_api
                ),
            });
        }
        let grant = SessionGrant::decode(step, status, &bytes).map_err(|e| Error::GatewayAuth {
            operation: step,
            status,
            code: None,
            message: format!("the ABDM gateway's session answer is unreadable: {e}"),
        })?;
        tracing::debug!(
            api = self.session_api.as_str(),
            expires_in = grant.expires_in,
            "ABDM access token issued"
        );
        Ok(grant)
    }

    /// B's body for `request`, with the configured fields encrypted; also which were.
    async fn encode(
        &self,
        request: &Request,
        token: &Issued,
    ) -> Result<(Vec<u8>, Vec<(SecretField, CipherMode)>)> {
        let step = request.step();
        let encrypted: Vec<(SecretField, CipherMode)> = abdm::secret_fields(step)
            .iter()
            .map(|f| (*f, self.modes.get(*f)))
            .filter(|(_, mode)| *mode != CipherMode::None)
            .collect();
        let Some(&(first, _)) = encrypted.first() else {
            let body = abdm::encode(request, &mut |_, _| Ok(None))?;
            return Ok((body, encrypted));
        };
        let key = self.key(step, first, token).await?;
        let body = abdm::encode(request, &mut |field, value| {
            let mode = self.modes.get(field);
            key.seal(mode, value).map_err(|reason| Error::Encryption {
                operation: step,
                field: field.to_string(),
                status: None,
                code: None,
                message: format!("`{field}` could not be encrypted with {mode}: {reason}"),
            })
        })?;
        Ok((body, encrypted))
    }

    /// The registry's key, fetched once from the certificate endpoint.
    async fn key(&self, step: Step, field: SecretField, token: &Issued) -> Result<&RegistryKey> {
        self.key
            .get_or_try_init(|| async {
                let failed = |status: Option<u16>, why: String| Error::Encryption {
                    operation: step,
                    field: field.to_string(),
                    status,
                    code: None,
                    message: format!(
                        "`{field}` must be encrypted but the registry's key is unavailable: {why}"
                    ),
                };
                let response = self
                    .http
                    .get(&self.cert_url)
                    .header(AUTHORIZATION, bearer(&token.token)?)
                    .header(USER_AGENT, user_agent())
                    .send()
                    .await
                    .map_err(|e| not_sent(step, "the certificate request", e))?;
                let status = response.status().as_u16();
                let bytes = read_capped(step, response)
                    .await
                    .map_err(|e| not_sent_error(step, "the certificate answer", e))?;
                if !(200..300).contains(&status) {
                    return Err(failed(
                        Some(status),
                        format!("GET …{CERT_PATH} answered HTTP {status}"),
                    ));
                }
                RegistryKey::parse(&bytes).map_err(|why| failed(Some(status), why))
            })
            .await
    }

    /// One HTTP exchange: the 2xx status and body, or the error for this attempt.
    async fn exchange(&self, step: Step, token: &Issued, body: Vec<u8>) -> Result<(u16, Vec<u8>)> {
        let response = self
            .http
            .post(format!("{}{}", self.hpr_url, abdm::path(step)))
            .header(AUTHORIZATION, bearer(&token.token)?)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, user_agent())
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(step, e))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let bytes = read_capped(step, response).await?;
        if !(200..300).contains(&status) {
            return Err(Error::Api {
                operation: step,
                error: Box::new(ApiError::from_body(status, &bytes, retry_after)),
            });
        }
        Ok((status, bytes))
    }

    /// Turns B's refusals into the errors that say what to change.
    fn explain(
        &self,
        step: Step,
        error: Error,
        sealed: &[(SecretField, CipherMode)],
        renewed: bool,
    ) -> Error {
        let Error::Api { error: api, .. } = &error else {
            return error;
        };
        let status = api.status;
        if let Some(code) = api
            .code
            .as_deref()
            .filter(|c| GATEWAY_AUTH_CODES.contains(c))
        {
            let what = match code {
                "900901" if renewed => {
                    "refused a freshly issued access token (900901 Invalid Credentials): check that the client ID is approved for the HPR API in this environment"
                }
                "900901" => "refused the access token (900901 Invalid Credentials)",
                "900902" => "received no access token (900902 Missing Credentials)",
                _ => {
                    "refused this client for the HPR API (900908 subscription validation failed): ask NHA to subscribe the client ID to HPR"
                }
            };
            return Error::GatewayAuth {
                operation: step,
                status,
                code: Some(code.to_owned()),
                message: format!("the ABDM gateway {what}"),
            };
        }
        let cause = api.cause_code().map(str::to_owned);
        if cause.as_deref() == Some(MUST_BE_ENCRYPTED) {
            let named = api.details.first().and_then(|d| d.field.clone());
            let field = named.unwrap_or_else(|| {
                abdm::secret_fields(step)
                    .iter()
                    .find(|f| self.modes.get(**f) == CipherMode::None)
                    .map_or_else(|| "a field".to_owned(), |f| f.to_string())
            });
            return Error::Encryption {
                operation: step,
                status: Some(status),
                code: cause,
                message: format!(
                    "the registry wants `{field}` encrypted (HIS-1047) but it was sent in clear: set {ENV_ABDM_ENCRYPT}={field}=pkcs1v15 (or oaep-sha1)"
                ),
                field,
            };
        }
        // a wrong padding reportedly yields a bare HIS-500 (CONTRACT §3.3); with an envelope the
        // registry answered, so the call did not take effect
        if let (Some(&(field, mode)), true, true) = (sealed.first(), status >= 500, cause.is_some())
        {
            let fields: Vec<String> = sealed.iter().map(|(f, _)| f.to_string()).collect();
            return Error::Encryption {
                operation: step,
                field: field.to_string(),
                status: Some(status),
                message: format!(
                    "the registry failed (HTTP {status} {}) on a request with {} encrypted as {mode}: it may not decrypt that padding; try {ENV_ABDM_ENCRYPT}={field}={}",
                    cause.as_deref().unwrap_or_default(),
                    fields.join(", "),
                    mode.other_padding()
                ),
                code: cause,
            };
        }
        error
    }
}

fn bearer(token: &crate::types::Token) -> Result<HeaderValue> {
    let mut value = header_value("access token", format!("Bearer {}", token.expose()))?;
    value.set_sensitive(true);
    Ok(value)
}

fn user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("abdm-hpr/", env!("CARGO_PKG_VERSION")))
}

/// A failure before the registry call itself was sent (session or certificate): it never
/// counts as "may have been processed".
fn not_sent(step: Step, what: &str, e: reqwest::Error) -> Error {
    let reason = if e.is_timeout() {
        format!("{what} timed out")
    } else {
        format!("{what} failed: {}", e.without_url())
    };
    Error::Transport {
        operation: step,
        sent: RequestSent::No,
        source: reason.into(),
    }
}

fn not_sent_error(step: Step, what: &str, e: Error) -> Error {
    match e {
        Error::Transport { source, .. } => Error::Transport {
            operation: step,
            sent: RequestSent::No,
            source: format!("{what} failed: {source}").into(),
        },
        Error::Timeout { .. } => Error::Transport {
            operation: step,
            sent: RequestSent::No,
            source: format!("{what} timed out").into(),
        },
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_clone_send_sync() {
        fn check<T: Clone + Send + Sync + 'static>() {}
        check::<AbdmBackend>();
    }
}
