//! The one HTTP client both adapters use: HTTP/1.1 keep-alive connections made with hyper over
//! rustls, with the guarantees the port promises — a connect timeout and an overall timeout per
//! exchange, redirects never followed (a 3xx is answered like any other non-2xx status), response
//! bodies capped, and every failure classified by whether the request can have reached the
//! server.
//!
//! It sits directly on hyper's connection API, with a small pool of its own ([`Pool`]), because
//! every layer above cost more per call than the rest of the adapter: a URL formatted and
//! re-parsed per call, redirect and default-header machinery, a hashed pool key, a `Host` header
//! formatted per request. Callers build their [`Target`]s and headers once and only clone them
//! per call.

use std::error::Error as StdError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{ACCEPT, HOST, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use tower_service::Service as _;

use super::http::MAX_RESPONSE_BYTES;
use super::tls;
use crate::error::{Error, RequestSent, Result};
use crate::step::Step;

/// An idle connection older than this is closed instead of reused (servers drop idle
/// connections after a while; a request on one of those would fail).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// At most this many idle connections are kept; more are closed when they fall idle.
const MAX_IDLE: usize = 64;

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

/// Where a request goes: the server to connect to and the path to ask for, prepared once.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    origin: Arc<Origin>,
    /// The origin-form request target (`/api/aadhaar/generateOtp`).
    path: Uri,
}

/// A server: what to connect to and what to say in `Host`.
#[derive(Debug)]
struct Origin {
    /// `scheme://authority`, what the connector dials; also the pool's key.
    connect: Uri,
    key: String,
    host: HeaderValue,
}

/// A base URL's server and path prefix, from which [`Target`]s are made.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    origin: Arc<Origin>,
    /// The base URL's path, without a trailing `/` (`/api`, or empty).
    prefix: String,
}

impl Base {
    /// `url`, already checked by [`checked_base_url`](super::http::checked_base_url) (no
    /// credentials, query or fragment); `what` names the setting in errors.
    pub fn new(url: &str, what: &str) -> Result<Self> {
        let parts = uri(url, "", what)?.into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(Error::Config(format!(
                "{what} must be an absolute http(s) URL"
            )));
        };
        let prefix = parts
            .path_and_query
            .map(|p| p.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let host = HeaderValue::from_str(authority.as_str()).map_err(|e| {
            Error::Config(format!("{what}: the host is not a valid header value: {e}"))
        })?;
        let key = format!("{scheme}://{authority}");
        let connect = Uri::builder()
            .scheme(scheme)
            .authority(authority)
            .path_and_query("/")
            .build()
            .map_err(|e| Error::Config(format!("{what} is not a valid URL: {e}")))?;
        Ok(Self {
            origin: Arc::new(Origin { connect, key, host }),
            prefix,
        })
    }

    /// The target `path` under this base (`/api` + `/aadhaar/generateOtp`).
    pub fn target(&self, path: &str, what: &str) -> Result<Target> {
        let path = Uri::try_from(format!("{}{path}", self.prefix))
            .map_err(|e| Error::Config(format!("{what} does not form a valid request URI: {e}")))?;
        Ok(Target {
            origin: Arc::clone(&self.origin),
            path,
        })
    }
}

impl Target {
    /// The origin-form path requests are sent to.
    #[cfg(test)]
    pub fn path(&self) -> &str {
        self.path.path()
    }
}

/// An HTTP/1.1 client with keep-alive connections (`Clone` shares them).
#[derive(Clone)]
pub(crate) struct HttpClient {
    pool: Arc<Pool>,
    timeout: Duration,
}

/// The connector and the idle connections, most recently used last.
struct Pool {
    connector: HttpsConnector<HttpConnector>,
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    origin: Arc<Origin>,
    sender: SendRequest<Full<Bytes>>,
    since: Instant,
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
        Ok(Self {
            pool: Arc::new(Pool {
                connector,
                idle: Mutex::new(Vec::new()),
            }),
            timeout,
        })
    }

    /// One exchange: `method` to `target` with `headers` (`Host` is added) and `body`, the
    /// whole answer within the overall timeout.
    pub async fn send(
        &self,
        step: Step,
        method: Method,
        target: &Target,
        mut headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Answer> {
        headers.insert(HOST, target.origin.host.clone());
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = method;
        *request.uri_mut() = target.path.clone();
        *request.headers_mut() = headers;
        tokio::time::timeout(self.timeout, self.exchange(step, &target.origin, request))
            .await
            .unwrap_or(Err(Error::Timeout {
                operation: step,
                during_connect: false,
            }))
    }

    async fn exchange(
        &self,
        step: Step,
        origin: &Arc<Origin>,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Answer> {
        loop {
            let (mut sender, reused) = match self.pool.checkout(origin).await {
                Some(sender) => (sender, true),
                None => (self.pool.connect(step, origin).await?, false),
            };
            let response = match sender.try_send_request(request).await {
                Ok(response) => response,
                Err(mut e) => match e.take_message() {
                    // a kept connection the server had closed: nothing was written, so the
                    // request goes out again on another connection
                    Some(unsent) if reused => {
                        request = unsent;
                        continue;
                    }
                    unsent => {
                        let sent = if unsent.is_some() {
                            RequestSent::No
                        } else {
                            RequestSent::Maybe
                        };
                        return Err(Error::Transport {
                            operation: step,
                            sent,
                            source: Box::new(e.into_error()),
                        });
                    }
                },
            };
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| body_error(step, e))?
                .to_bytes();
            // the whole answer was read, so the connection can carry the next request
            self.pool.put(origin, sender);
            return Ok(Answer {
                status,
                retry_after,
                body,
            });
        }
    }
}

impl Pool {
    /// The most recently used idle connection to `origin` that is still open.
    async fn checkout(&self, origin: &Arc<Origin>) -> Option<SendRequest<Full<Bytes>>> {
        loop {
            let mut sender = {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                idle.retain(|c| {
                    !c.sender.is_closed() && now.duration_since(c.since) < IDLE_TIMEOUT
                });
                let at = idle
                    .iter()
                    .rposition(|c| Arc::ptr_eq(&c.origin, origin) || c.origin.key == origin.key)?;
                idle.remove(at).sender
            };
            // a connection whose last answer is still being wound down becomes ready at once;
            // one the server closed fails here and is dropped
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    /// Keeps `sender` for the next request to `origin`, unless the connection is closing.
    fn put(&self, origin: &Arc<Origin>, sender: SendRequest<Full<Bytes>>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                origin: Arc::clone(origin),
                sender,
                since: Instant::now(),
            });
        }
    }

    /// A new connection to `origin` (TCP, then TLS for `https`), driven by a task of its own.
    /// Nothing of the request is written before this succeeds.
    async fn connect(&self, step: Step, origin: &Origin) -> Result<SendRequest<Full<Bytes>>> {
        let mut connector = self.connector.clone();
        let not_sent = |e: Box<dyn StdError + Send + Sync>| connect_error(step, e);
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(not_sent)?;
        let io = connector
            .call(origin.connect.clone())
            .await
            .map_err(not_sent)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| not_sent(Box::new(e)))?;
        // the connection ends when the server closes it or its sender is dropped
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
        });
        Ok(sender)
    }
}

/// A failure to connect: nothing was sent. A connect timeout is reported as such.
fn connect_error(step: Step, e: Box<dyn StdError + Send + Sync>) -> Error {
    if io_kind(e.as_ref()) == Some(std::io::ErrorKind::TimedOut) {
        return Error::Timeout {
            operation: step,
            during_connect: true,
        };
    }
    Error::Transport {
        operation: step,
        sent: RequestSent::No,
        source: e,
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

/// The headers every request of both adapters carries: `User-Agent`, and `Accept: */*` (what
/// the adapters sent before they moved off reqwest, so registries see no change).
pub(crate) fn common_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(8);
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("abdm-hpr/", env!("CARGO_PKG_VERSION"))),
    );
    headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    headers
}

/// `base` + `path` as a request URI, or a configuration error naming `what`.
fn uri(base: &str, path: &str, what: &str) -> Result<Uri> {
    Uri::try_from(format!("{base}{path}"))
        .map_err(|e| Error::Config(format!("{what} does not form a valid request URI: {e}")))
}

/// The target of every step under `base`, in [`Step::ALL`] order (`step as usize`).
pub(crate) fn step_targets(base: &Base, path: fn(Step) -> &'static str) -> Result<[Target; 8]> {
    let targets: Vec<Target> = Step::ALL
        .into_iter()
        .map(|step| base.target(path(step), "the base URL"))
        .collect::<Result<_>>()?;
    // 8 steps make 8 targets
    targets
        .try_into()
        .map_err(|_| Error::Config("a target is missing for a step".into()))
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
        let outer: Box<dyn StdError + Send + Sync> = Box::new(WrappedIo(inner));
        assert_eq!(io_kind(outer.as_ref()), Some(std::io::ErrorKind::TimedOut));
        let plain: Box<dyn StdError + Send + Sync> = "no io here".into();
        assert_eq!(io_kind(plain.as_ref()), None);
    }

    #[derive(Debug)]
    struct WrappedIo(std::io::Error);
    impl std::fmt::Display for WrappedIo {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("tcp connect error")
        }
    }
    impl StdError for WrappedIo {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn step_targets_are_in_step_order_and_share_one_server() {
        let base = Base::new("http://127.0.0.1:9/api", "the base URL").unwrap();
        let targets = step_targets(&base, crate::gateway::path).unwrap();
        for (i, step) in Step::ALL.into_iter().enumerate() {
            assert_eq!(step as usize, i);
            let target = &targets[step as usize];
            assert_eq!(target.path(), format!("/api{}", crate::gateway::path(step)));
            assert!(Arc::ptr_eq(&target.origin, &targets[0].origin));
        }
        assert_eq!(targets[0].origin.host, "127.0.0.1:9");
        assert_eq!(targets[0].origin.key, "http://127.0.0.1:9");
        let bare = Base::new("https://[::1]", "the base URL").unwrap();
        assert_eq!(bare.target("/x", "X").unwrap().path(), "/x");
        assert_eq!(bare.origin.host, "[::1]");
    }

    #[test]
    fn bad_urls_are_configuration_errors_naming_the_setting() {
        assert!(matches!(
            uri("http://h", " bad", "HPR_X"),
            Err(Error::Config(m)) if m.contains("HPR_X")
        ));
        assert!(matches!(
            Base::new("/relative", "HPR_Y"),
            Err(Error::Config(m)) if m.contains("HPR_Y")
        ));
    }
}
