//! [`GatewayClient`]: [`RegistryApi`] over HTTPS with reqwest and rustls.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use super::config::GatewayClientBuilder;
use super::decode::decode;
use super::{Operation, RegistryApi, RetryPolicy, tls};
use crate::error::{ApiError, Error, RequestSent, Result};
use crate::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdRequest, CreateHprIdResponse,
    DemographicAuthRequest, DemographicAuthResponse, GenerateAadhaarOtpRequest,
    GenerateAadhaarOtpResponse, GenerateMobileOtpRequest, HprIdSuggestionRequest, HprIdSuggestions,
    MobileOtpResponse, TxnId, VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse,
    VerifyMobileOtpRequest,
};

/// Responses larger than this are cut off as a transport error (a KYC photo is well below).
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

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
/// let sent = client.generate_aadhaar_otp(&request).await?;
/// println!("OTP sent, transaction {}", sent.txn_id); // prints a masked id
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GatewayClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    retry: RetryPolicy,
}

impl fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayClient")
            .field("base_url", &self.inner.base_url)
            .field("retry", &self.inner.retry)
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
            .tls_backend_preconfigured(tls::client_config()?)
            .default_headers(headers)
            .connect_timeout(b.connect_timeout)
            .timeout(b.timeout)
            // a 3xx is an error, never followed (CONTRACT §2.1)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client setup failed: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                retry: b.retry,
            }),
        })
    }

    /// The base URL requests are sent under (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends one operation, with the configured retries, inside a tracing span.
    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        op: Operation,
        txn_id: Option<&TxnId>,
        request: &Req,
    ) -> Result<Resp> {
        let span = tracing::info_span!(
            "hpr.request",
            operation = op.as_str(),
            txn_id = txn_id.map(TxnId::masked).as_deref().unwrap_or("-"),
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        async move {
            let body = serde_json::to_vec(request).map_err(|e| {
                Error::Config(format!("request could not be serialized: {e}"))
            })?;
            let started = Instant::now();
            let mut attempt = 1;
            let result = loop {
                let result = self.send_once(op, body.clone()).await;
                match &result {
                    Err(e) => match self.inner.retry.delay_after(attempt, e) {
                        Some(delay) => {
                            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, error = %e, "retrying");
                            tokio::time::sleep(delay).await;
                            attempt += 1;
                        }
                        None => break result,
                    },
                    Ok(_) => break result,
                }
            };
            let span = tracing::Span::current();
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            span.record("attempts", attempt);
            match &result {
                Ok((status, _)) => {
                    span.record("status", status);
                    tracing::debug!("completed");
                }
                Err(e) => {
                    if let Some(status) = e.status() {
                        span.record("status", status);
                    }
                    tracing::warn!(error = %e, "failed");
                }
            }
            result.map(|(_, value)| value)
        }
        .instrument(span)
        .await
    }

    /// One HTTP exchange: status and decoded body, or the error for this attempt.
    async fn send_once<Resp: DeserializeOwned>(
        &self,
        op: Operation,
        body: Vec<u8>,
    ) -> Result<(u16, Resp)> {
        let url = format!("{}{}", self.inner.base_url, op.path());
        let response = self
            .inner
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
        decode(op, status, &bytes).map(|value| (status, value))
    }
}

fn header_value(name: &str, value: String) -> Result<HeaderValue> {
    HeaderValue::try_from(value).map_err(|_| {
        Error::Config(format!(
            "the {name} value has characters not allowed in an HTTP header"
        ))
    })
}

/// Reads the body, refusing to buffer more than [`MAX_RESPONSE_BYTES`].
async fn read_capped(op: Operation, mut response: reqwest::Response) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(op, e))? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::Transport {
                operation: op,
                sent: RequestSent::Maybe,
                source: format!("response body exceeds {MAX_RESPONSE_BYTES} bytes").into(),
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Classifies a reqwest failure by whether the request can have reached the server.
fn transport_error(op: Operation, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            operation: op,
            during_connect: e.is_connect(),
        };
    }
    let sent = if e.is_connect() {
        RequestSent::No
    } else {
        RequestSent::Maybe
    };
    Error::Transport {
        operation: op,
        sent,
        // the URL is dropped: it may carry more than the operation name already says
        source: Box::new(e.without_url()),
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl RegistryApi for GatewayClient {
    async fn generate_aadhaar_otp(
        &self,
        request: &GenerateAadhaarOtpRequest,
    ) -> Result<GenerateAadhaarOtpResponse> {
        self.call(Operation::GenerateAadhaarOtp, None, request)
            .await
    }

    async fn verify_aadhaar_otp(
        &self,
        request: &VerifyAadhaarOtpRequest,
    ) -> Result<VerifyAadhaarOtpResponse> {
        self.call(Operation::VerifyAadhaarOtp, Some(&request.txn_id), request)
            .await
    }

    async fn check_account_exist(
        &self,
        request: &CheckAccountExistRequest,
    ) -> Result<AccountCheck> {
        self.call(Operation::CheckAccountExist, Some(&request.txn_id), request)
            .await
    }

    async fn demographic_auth_via_mobile(
        &self,
        request: &DemographicAuthRequest,
    ) -> Result<DemographicAuthResponse> {
        self.call(
            Operation::DemographicAuthViaMobile,
            Some(&request.txn_id),
            request,
        )
        .await
    }

    async fn generate_mobile_otp(
        &self,
        request: &GenerateMobileOtpRequest,
    ) -> Result<MobileOtpResponse> {
        self.call(Operation::GenerateMobileOtp, Some(&request.txn_id), request)
            .await
    }

    async fn verify_mobile_otp(
        &self,
        request: &VerifyMobileOtpRequest,
    ) -> Result<MobileOtpResponse> {
        self.call(Operation::VerifyMobileOtp, Some(&request.txn_id), request)
            .await
    }

    async fn get_hpr_id_suggestion(
        &self,
        request: &HprIdSuggestionRequest,
    ) -> Result<HprIdSuggestions> {
        self.call(
            Operation::GetHprIdSuggestion,
            Some(&request.txn_id),
            request,
        )
        .await
    }

    async fn create_hpr_id_with_preverified(
        &self,
        request: &CreateHprIdRequest,
    ) -> Result<CreateHprIdResponse> {
        self.call(
            Operation::CreateHprIdWithPreverified,
            Some(&request.txn_id),
            request,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_clone_send_sync() {
        fn check<T: Clone + Send + Sync + 'static>() {}
        check::<GatewayClient>();
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
