//! [`GatewayClient`]: the Backend A adapter — A's paths, headers and wire shapes over HTTPS with
//! hyper and rustls, behind the [`RegistryBackend`] port.

use std::fmt;
use std::sync::Arc;

use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::config::GatewayClientBuilder;
use super::http::header_value;
use super::transport::{Base, HttpClient, Target, common_headers, step_targets};
use crate::backend::{BoxFuture, RegistryBackend, Request, Response, Retrying, Traced};
use crate::error::{ApiError, Error, Result};
use crate::gateway;
use crate::step::Step;

/// The gateway client. Cheap to clone (shares one connection pool); `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> Result<(), abdm_hpr::Error> {
/// use abdm_hpr::client::{GatewayClient, RegistryApi};
/// use abdm_hpr::types::{GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest};
///
/// let client = GatewayClient::from_env()?; // HPR_API_URL, HPR_API_KEY, …
/// let input = GenerateAadhaarOtpInput { aadhaar: Some("2341 2341 2346".into()) };
/// let request = GenerateAadhaarOtpRequest::try_from(input)?; // every field checked, nothing sent yet
/// let sent = client.generate_aadhaar_otp(&request).await?; // RegistryApi: typed methods on any backend
/// println!("OTP sent, transaction {}", sent.txn_id); // prints a masked id
/// # Ok(()) }
/// ```
///
/// Every call goes through [`Traced`] and [`Retrying`] around one HTTP exchange, the same
/// wrappers any other backend can use.
#[derive(Clone)]
pub struct GatewayClient {
    stack: Arc<Traced<Retrying<Transport>>>,
}

/// One HTTP exchange per call: A's path, headers and body. Everything that does not change per
/// call (each step's URI, the headers with the credentials) is built once, here.
struct Transport {
    http: HttpClient,
    base_url: String,
    /// The target of each step, in [`Step::ALL`] order (`step as usize`).
    targets: [Target; 8],
    headers: HeaderMap,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayClient")
            .field("base_url", &self.base_url())
            .field("retry", self.stack.inner().policy())
            .finish_non_exhaustive()
    }
}

impl GatewayClient {
    /// A builder with nothing configured.
    pub fn builder() -> GatewayClientBuilder {
        GatewayClientBuilder::new()
    }

    /// A client configured from `HPR_API_URL`, `HPR_API_KEY`, `HPR_HPRID_AUTH`, `HPR_FACILITY_ID`.
    pub fn from_env() -> Result<Self> {
        GatewayClientBuilder::from_env().build()
    }

    pub(crate) fn from_builder(b: GatewayClientBuilder) -> Result<Self> {
        let base_url = b.checked_base_url()?;
        let mut headers = common_headers();
        let mut auth = header_value("Authorization", b.authorization()?)?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        for (name, value) in b.optional_headers()? {
            let mut v = header_value(name, value)?;
            v.set_sensitive(name == "x-hprid-auth");
            headers.insert(HeaderName::from_static(name), v);
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let targets = step_targets(&Base::new(&base_url, "the base URL")?, gateway::path)?;
        let http = HttpClient::new(&[&base_url], b.connect_timeout, b.timeout)?;
        let transport = Transport {
            http,
            base_url,
            targets,
            headers,
        };
        Ok(Self {
            stack: Arc::new(Traced::new(Retrying::new(transport, b.retry))),
        })
    }

    /// The base URL requests are sent under (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.stack.inner().inner().base_url
    }
}

impl RegistryBackend for GatewayClient {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        self.stack.call(request)
    }
}

impl RegistryBackend for Transport {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        Box::pin(async move {
            let step = request.step();
            let body = gateway::encode(request)?;
            let (status, bytes) = self.exchange(step, body).await?;
            // the enclosing `hpr.request` span (Traced) reports it
            tracing::Span::current().record("status", status);
            gateway::decode_response(step, status, &bytes)
        })
    }
}

impl Transport {
    /// One HTTP exchange: the 2xx status and body, or the error for this attempt.
    async fn exchange(&self, op: Step, body: Vec<u8>) -> Result<(u16, Bytes)> {
        let answer = self
            .http
            .send(
                op,
                Method::POST,
                &self.targets[op as usize],
                self.headers.clone(),
                body,
            )
            .await?;
        if !answer.is_success() {
            return Err(Error::Api {
                operation: op,
                error: Box::new(ApiError::from_body(
                    answer.status,
                    &answer.body,
                    answer.retry_after,
                )),
            });
        }
        Ok((answer.status, answer.body))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn client_is_clone_send_sync() {
        fn check<T: Clone + Send + Sync + 'static>() {}
        check::<GatewayClient>();
    }
}
