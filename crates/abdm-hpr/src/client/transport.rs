//! The one HTTP client both adapters use: hyper's pooled client over rustls, with the guarantees
//! the port promises — a connect timeout and an overall timeout per exchange, redirects never
//! followed, response bodies capped, and every failure classified by whether the request can
//! have reached the server.
//!
//! It sits directly on `hyper-util` (no higher-level client in between) because that layer cost
//! more per call than the rest of the adapter: a URL formatted and re-parsed per call, redirect
//! and default-header machinery, and decoding through the error-path tooling. Callers here build
//! their URIs and headers once and only clone them per call.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::http::MAX_RESPONSE_BYTES;
use super::tls;
use crate::error::{Error, RequestSent, Result};
use crate::step::Step;

/// An answer of any status: what the adapters look at.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// `Retry-After` as a delay, when the answer carried one.
    pub retry_after: Option<Duration>,
    /// The whole body (at most [`MAX_RESPONSE_BYTES`]).
    pub body: Bytes,
}

impl Answer {
    /// `true` for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A pooled HTTP/1.1 client (`Clone` shares the pool).
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    /// A client for calls to `urls` (their schemes decide whether a trust store is loaded).
    pub fn new(urls: &[&str], connect_timeout: Duration, timeout: Duration) -> Result<Self> {
        let mut tcp = HttpConnector::new();
        // the TLS layer handles `https`; this one only opens sockets
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(connect_timeout));
        // requests are small and answered at once: do not wait to coalesce segments
        tcp.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls::client_config_for(urls)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        // hyper's client never follows a redirect: a 3xx is answered to the adapter like any
        // other non-2xx status (CONTRACT §2.1)
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Self { client, timeout })
    }

    /// One exchange: `POST` (or `GET` without a body) to `uri` with `headers`, the whole answer
    /// within the overall timeout.
    pub async fn send(
        &self,
        step: Step,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer> {
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| request_error(step, e))?;
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| body_error(step, e))?
                .to_bytes();
            Ok(Answer {
                status,
                retry_after,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(Error::Timeout {
                operation: step,
                during_connect: false,
            }))
    }
}

/// Classifies a failure to get a response by whether the request can have reached the server:
/// nothing is written before the connection (and its TLS handshake) is up.
fn request_error(step: Step, e: hyper_util::client::legacy::Error) -> Error {
    if !e.is_connect() {
        return Error::Transport {
            operation: step,
            sent: RequestSent::Maybe,
            source: Box::new(e),
        };
    }
    if io_kind(&e) == Some(std::io::ErrorKind::TimedOut) {
        return Error::Timeout {
            operation: step,
            during_connect: true,
        };
    }
    Error::Transport {
        operation: step,
        sent: RequestSent::No,
        source: Box::new(e),
    }
}

/// A failure while reading the body: the request was answered, so it was processed.
fn body_error(step: Step, e: Box<dyn StdError + Send + Sync>) -> Error {
    let source = if e.is::<http_body_util::LengthLimitError>() {
        format!("response body exceeds {MAX_RESPONSE_BYTES} bytes").into()
    } else {
        e
    };
    Error::Transport {
        operation: step,
        sent: RequestSent::Maybe,
        source,
    }
}

/// The kind of the first I/O error in `e`'s chain.
fn io_kind(e: &(dyn StdError + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cause = err.source();
    }
    None
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

/// The `User-Agent` both adapters send.
pub(crate) fn user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("abdm-hpr/", env!("CARGO_PKG_VERSION")))
}

/// `base` + `path` as a request URI, or a configuration error naming `what`.
pub(crate) fn uri(base: &str, path: &str, what: &str) -> Result<Uri> {
    Uri::try_from(format!("{base}{path}"))
        .map_err(|e| Error::Config(format!("{what} does not form a valid request URI: {e}")))
}

/// The URI of every step, `base` + its path, in [`Step::ALL`] order.
pub(crate) fn step_uris(base: &str, path: fn(Step) -> &'static str) -> Result<[Uri; 8]> {
    let uris: Vec<Uri> = Step::ALL
        .into_iter()
        .map(|step| uri(base, path(step), "the base URL"))
        .collect::<Result<_>>()?;
    // 8 steps make 8 URIs
    uris.try_into()
        .map_err(|_| Error::Config("a URI is missing for a step".into()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

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

    #[test]
    fn io_kinds_are_found_down_the_chain() {
        let inner = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        let outer = std::io::Error::other(inner);
        assert_eq!(io_kind(&outer), Some(std::io::ErrorKind::Other));
        let plain: Box<dyn StdError + Send + Sync> = "no io here".into();
        assert_eq!(io_kind(plain.as_ref()), None);
    }

    #[test]
    fn step_uris_are_in_step_order() {
        let uris = step_uris("http://127.0.0.1:9/api", crate::gateway::path).unwrap();
        for (i, step) in Step::ALL.into_iter().enumerate() {
            assert_eq!(step as usize, i);
            assert_eq!(
                uris[step as usize].path(),
                format!("/api{}", crate::gateway::path(step))
            );
        }
    }

    #[test]
    fn uris_are_checked() {
        assert_eq!(
            uri("http://127.0.0.1:9/api", "/x", "the base URL")
                .unwrap()
                .to_string(),
            "http://127.0.0.1:9/api/x"
        );
        assert!(matches!(
            uri("http://h", " bad", "HPR_X"),
            Err(Error::Config(m)) if m.contains("HPR_X")
        ));
    }
}
