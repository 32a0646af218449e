//! [`GatewayClient`]: the Backend A adapter — A's paths, headers and wire shapes over HTTPS with
//! reqwest and rustls, behind the [`RegistryBackend`] port.

use std::fmt;
use std::sync::Arc;

use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};

use super::config::GatewayClientBuilder;
use super::http::{header_value, read_capped, retry_after, transport_error};
use super::tls;
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

/// One HTTP exchange per call: A's path, headers and body.
struct Transport {
    http: reqwest::Client,
    base_url: String,
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
        let mut headers = HeaderMap::new();
        let mut auth = header_value("Authorization", b.authorization()?)?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        for (name, value) in b.optional_headers()? {
            let mut v = header_value(name, value)?;
            v.set_sensitive(name == "x-hprid-auth");
            headers.insert(HeaderName::from_static(name), v);
        }
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("abdm-hpr/", env!("CARGO_PKG_VERSION"))),
        );
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config_for(&[&base_url])?)
            .default_headers(headers)
            .connect_timeout(b.connect_timeout)
            .timeout(b.timeout)
            // a 3xx is an error, never followed (CONTRACT §2.1)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client setup failed: {e}")))?;
        let transport = Transport { http, base_url };
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
    async fn exchange(&self, op: Step, body: Vec<u8>) -> Result<(u16, Vec<u8>)> {
        let url = format!("{}{}", self.base_url, gateway::path(op));
        let response = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(op, e))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let bytes = read_capped(op, response).await?;
        if !(200..300).contains(&status) {
            return Err(Error::Api {
                operation: op,
                error: Box::new(ApiError::from_body(status, &bytes, retry_after)),
            });
        }
        Ok((status, bytes))
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
