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

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use zeroize::Zeroizing;

pub use config::{
    AbdmBackendBuilder, ENV_ABDM_CLIENT_ID, ENV_ABDM_CLIENT_SECRET, ENV_ABDM_ENCRYPT, ENV_ABDM_ENV,
    ENV_ABDM_GATEWAY_URL, ENV_ABDM_HPR_URL, ENV_ABDM_SESSION_API,
};

use self::cipher::RegistryKey;
use self::token::{Issued, TokenCache};
use super::http::header_value;
use super::transport::{Base, HttpClient, Target, common_headers, step_targets};
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
        let http = HttpClient::new(&[&hpr_url, &gateway_url], b.connect_timeout, b.timeout)?;
        let hpr = Base::new(&hpr_url, ENV_ABDM_HPR_URL)?;
        let gateway = Base::new(&gateway_url, ENV_ABDM_GATEWAY_URL)?;
        let transport = Transport {
            http,
            step_targets: step_targets(&hpr, abdm::path)?,
            session_target: gateway.target(b.session_api.path(), ENV_ABDM_GATEWAY_URL)?,
            cert_target: hpr.target(CERT_PATH, ENV_ABDM_HPR_URL)?,
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
    http: HttpClient,
    hpr_url: String,
    gateway_url: String,
    /// The registry target of each step, in [`Step::ALL`] order (`step as usize`).
    step_targets: [Target; 8],
    session_target: Target,
    cert_target: Target,
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
            .field("session_target", &self.session_target)
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
        let mut headers = common_headers();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.session_api == SessionApi::V3 {
            let v3 = [
                ("request-id", uuid::Uuid::new_v4().to_string()),
                ("timestamp", abdm::v3_timestamp(SystemTime::now())),
                ("x-cm-id", self.environment.cm_id().to_owned()),
            ];
            for (name, value) in v3 {
                headers.insert(HeaderName::from_static(name), header_value(name, value)?);
            }
        }
        let answer = self
            .http
            .send(step, Method::POST, &self.session_target, headers, body)
            .await
            .map_err(|e| not_sent(step, "the ABDM session request", e))?;
        let (status, bytes) = (answer.status, answer.body);
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
                let mut headers = common_headers();
                headers.insert(AUTHORIZATION, bearer(&token.token)?);
                let answer = self
                    .http
                    .send(step, Method::GET, &self.cert_target, headers, Vec::new())
                    .await
                    .map_err(|e| not_sent(step, "the certificate request", e))?;
                let (status, bytes) = (answer.status, answer.body);
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
    async fn exchange(&self, step: Step, token: &Issued, body: Vec<u8>) -> Result<(u16, Bytes)> {
        let mut headers = common_headers();
        headers.insert(AUTHORIZATION, bearer(&token.token)?);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let answer = self
            .http
            .send(
                step,
                Method::POST,
                &self.step_targets[step as usize],
                headers,
                body,
            )
            .await?;
        if !answer.is_success() {
            return Err(Error::Api {
                operation: step,
                error: Box::new(ApiError::from_body(
                    answer.status,
                    &answer.body,
                    answer.retry_after,
                )),
            });
        }
        Ok((answer.status, answer.body))
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

/// A failure before the registry call itself was sent (session or certificate): it never
/// counts as "may have been processed".
fn not_sent(step: Step, what: &str, e: Error) -> Error {
    match e {
        Error::Transport { source, .. } => Error::Transport {
            operation: step,
            sent: RequestSent::No,
            source: format!(
                "{what} failed: {}",
                crate::error::with_causes(source.as_ref())
            )
            .into(),
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
