//! Cross-cutting behaviour: the request log, bearer auth, latency and fault injection of the
//! contract routes (the admin API under `/_sandbox/` is not affected by any of these); the
//! request-body deadline of every route; and the rules that keep the admin API for loopback tools
//! (and the contract routes safe from DNS rebinding).
//!
//! # Who may call what
//!
//! - **Admin routes** (`/_sandbox/*`) answer `403` when the `Host` is not a loopback name
//!   (`localhost`, `127.x.x.x`, `[::1]`) or the address the connection came in on, or when an
//!   `Origin` is sent that is not the sandbox's own (`http://<its address>` or
//!   `http://localhost:<port>`); `401` when an admin token is configured and the request lacks
//!   `x-sandbox-admin-token: <token>` (`GET /_sandbox/health` needs none); and `415` for a `POST`
//!   without `Content-Type: application/json`. Browsers cannot send that content type across
//!   sites without a CORS preflight, which the sandbox never grants.
//! - **Contract routes** answer `403` to a foreign `Host` when the sandbox listens on a loopback
//!   address (a DNS-rebinding page names its own domain); on any other address every `Host` is
//!   served.
//!
//! When the router is mounted in another server (no [`Served`] extension), the admin rules accept
//! only loopback names and the same-origin `Origin` `http://<Host>`, and the contract routes do
//! not check `Host`.

use std::collections::VecDeque;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::Sandbox;
use crate::config::FaultKind;
use crate::his::HisError;
use crate::padded::Padded;
use crate::serve::Served;

/// Header that injects a fault into one request.
pub const FAULT_HEADER: &str = "x-sandbox-fault";

/// [`FAULT_HEADER`] as a header name, so that looking it up in every contract request parses
/// nothing.
const FAULT_HEADER_NAME: axum::http::HeaderName = axum::http::HeaderName::from_static(FAULT_HEADER);

/// Header that carries the admin token ([`crate::SandboxConfig::admin_token`]).
pub const ADMIN_TOKEN_HEADER: &str = "x-sandbox-admin-token";

/// One contract request, as `GET /_sandbox/requests` lists it. Never holds a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Response status.
    pub status: u16,
    /// Time to produce the response, in microseconds.
    pub latency_us: u64,
    /// Same, in whole milliseconds.
    pub latency_ms: u64,
}

/// One logged request as kept in memory: 32 bytes, two to a cache line (the log holds up to
/// [`LOG_SHARDS`] × capacity of them, and each request writes one), with a [`RequestRecord`]
/// made only when the log is read.
#[derive(Debug, Clone)]
struct Entry {
    /// When it was logged, in nanoseconds since the log was made (u64: 584 years).
    stamp: u64,
    target: Target,
    /// Microseconds, saturating at `u32::MAX` (71 minutes; the longest fault holds an hour).
    latency_us: u32,
    status: u16,
}

/// What a logged request asked for.
#[derive(Debug, Clone)]
enum Target {
    /// A `POST` to a contract step's path (nearly every entry): nothing allocated.
    Step(abdm_hpr::Step),
    /// Any other method and path.
    Other(Box<(Method, Box<str>)>),
}

impl Target {
    fn of(method: &Method, path: &str) -> Target {
        match crate::contract_step_of(method, path) {
            Some(step) => Target::Step(step),
            None => Target::Other(Box::new((method.clone(), path.into()))),
        }
    }

    fn method_and_path(&self) -> (&str, &str) {
        match self {
            Target::Step(step) => (Method::POST.as_str(), abdm_hpr::gateway::path(*step)),
            Target::Other(other) => (other.0.as_str(), &other.1),
        }
    }
}

impl Entry {
    fn record(&self) -> RequestRecord {
        let (method, path) = self.target.method_and_path();
        RequestRecord {
            method: method.to_owned(),
            path: path.to_owned(),
            status: self.status,
            latency_us: u64::from(self.latency_us),
            latency_ms: u64::from(self.latency_us / 1000),
        }
    }
}

/// Shards of the request log: each thread pushes to its own, so the runtime's workers never
/// wait for one another (nor bounce one lock's cache line: each shard is [`Padded`]) to log a
/// request.
const LOG_SHARDS: usize = 4;

/// A bounded log of recent contract requests: the most recent `capacity`, oldest first.
///
/// Each thread appends to one of [`LOG_SHARDS`] shards, each holding its thread's most recent
/// `capacity` entries, stamped with when they were logged; reading merges the shards by stamp
/// and keeps the last `capacity`. That is the same list one global queue would hold (each of the
/// `capacity` most recent entries is among its shard's most recent `capacity`), in the same
/// order (a thread's entries keep theirs; entries of different threads are ordered by stamp, as
/// the order of two concurrent pushes to one queue was their order at the lock). A lock is held
/// only to push or pop one small entry, never during a handler.
pub(crate) struct RequestLog {
    capacity: usize,
    /// What entries' stamps count from.
    made: Instant,
    shards: [Padded<Mutex<VecDeque<Entry>>>; LOG_SHARDS],
}

/// The shard of the calling thread (threads are dealt round-robin).
fn log_shard() -> usize {
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % LOG_SHARDS;
    }
    SHARD.with(|shard| *shard)
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            made: Instant::now(),
            shards: std::array::from_fn(|_| Padded(Mutex::new(VecDeque::new()))),
        }
    }

    /// Logs one request, started at `started`.
    fn push(&self, target: Target, status: u16, started: Instant) {
        self.push_timed(target, status, |now| now.saturating_duration_since(started));
    }

    /// Logs one request whose latency `latency` gives from the entry's reading of the clock.
    fn push_timed(&self, target: Target, status: u16, latency: impl FnOnce(Instant) -> Duration) {
        if self.capacity == 0 {
            return;
        }
        let shard = &self.shards[log_shard()];
        let mut entries = shard.lock().unwrap_or_else(|p| p.into_inner());
        // stamped under the shard's lock, so a shard's stamps never decrease; the latency ends
        // at the same reading of the clock
        let now = Instant::now();
        let stamp =
            u64::try_from(now.saturating_duration_since(self.made).as_nanos()).unwrap_or(u64::MAX);
        let latency = latency(now);
        let evicted = if entries.len() >= self.capacity {
            entries.pop_front()
        } else {
            None
        };
        entries.push_back(Entry {
            stamp,
            target,
            latency_us: u32::try_from(latency.as_micros()).unwrap_or(u32::MAX),
            status,
        });
        drop(entries);
        // an evicted path that owned memory is freed after the lock is released
        drop(evicted);
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        // every shard locked at once: one consistent cut
        let shards: Vec<_> = self
            .shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(|p| p.into_inner()))
            .collect();
        let mut all: Vec<&Entry> = shards.iter().flat_map(|s| s.iter()).collect();
        // stable: equal stamps keep their shard's order
        all.sort_by_key(|entry| entry.stamp);
        let skip = all.len().saturating_sub(self.capacity);
        all[skip..].iter().map(|entry| entry.record()).collect()
    }

    pub fn clear(&self) {
        for shard in &self.shards {
            shard.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
    }
}

/// Decides which requests get a random fault, reproducibly under a seed.
pub(crate) struct FaultDice(Mutex<StdRng>);

impl FaultDice {
    pub fn new(seed: u64) -> Self {
        // a different stream from the state's generator, so faults don't shift OTPs and IDs
        Self(Mutex::new(StdRng::seed_from_u64(
            seed ^ 0xFA17_FA17_FA17_FA17,
        )))
    }

    fn roll(&self, rate: f64, kinds: &[FaultKind]) -> Option<FaultKind> {
        if rate <= 0.0 || kinds.is_empty() {
            return None;
        }
        let mut rng = self.0.lock().unwrap_or_else(|p| p.into_inner());
        rng.random_bool(rate.min(1.0))
            .then(|| kinds[rng.random_range(0..kinds.len())])
    }
}

/// Backend A's middleware up to a contract route's work, decided without waiting: the
/// [`contract_host`] rule (a refusal is not logged), the start of the request log, the
/// bearer-key check, then [`latency_and_faults`]' choice, in the order the separate layers of
/// Backend B run. A request let through is [`Admission::Admitted`]: the route's handler runs the
/// work [`Admitted`] names (which reads the body under the [`body_deadline`] rule, with
/// `body::read_within`) and hands its answer to [`AfterWork::answer`], which logs it.
///
/// Why nothing here is async: everything a request carries is looked at now, so the future
/// that reads the body and runs the operation holds the body (a few words), not the request
/// (its head is 240 bytes, and each nested `async fn` taking it would keep a copy for its whole
/// life). That future is boxed for every request.
///
/// `served` is where the request came in ([`Sandbox::start`]'s connection loop knows it; a
/// router mounted elsewhere has none, and then `Host` is not checked); `step` is the step the
/// request's path names, if any. The body is of any type: the connection loop's own (hyper's),
/// not boxed into axum's.
pub(crate) fn admit<B>(
    sandbox: &Sandbox,
    request: axum::http::Request<B>,
    served: Option<&Served>,
    step: Option<abdm_hpr::Step>,
) -> Admission<B> {
    if let Some(refused) = foreign_host(&request, served) {
        return Admission::Answered(refused);
    }
    let after = AfterWork {
        started: Instant::now(),
        target: match step {
            Some(step) => Target::Step(step),
            None => Target::of(request.method(), request.uri().path()),
        },
    };
    let admitted = if let Some(refused) = bearer_refusal(sandbox, &request) {
        return Admission::Answered(after.answer(sandbox, refused));
    } else if !sandbox.inner.core.config.latency.is_zero() {
        // the fault is chosen after the latency, as `faults` does
        Admitted::Delayed(Box::new(request))
    } else {
        match fault_for(sandbox, &request) {
            Err(e) => return Admission::Answered(after.answer(sandbox, invalid_fault(&e))),
            Ok(None) => Admitted::Work(request.into_body()),
            Ok(Some(kind)) => Admitted::Faulted(Box::new(request), kind),
        }
    };
    Admission::Admitted(admitted, after)
}

/// What [`admit`] made of a contract request with a body of type `B`.
pub(crate) enum Admission<B> {
    /// Refused on the way: the whole answer (logged, if it passed the `Host` rule).
    Answered(Response),
    /// Let through: its work, and what ends with the work's answer.
    Admitted(Admitted<B>, AfterWork),
}

/// The work of a contract request let through by [`admit`].
pub(crate) enum Admitted<B> {
    /// No latency and no fault (nearly every request): the work, on this body.
    Work(B),
    /// The configured latency first, then [`faults`] (boxed, as the next: they are rare).
    Delayed(Box<axum::http::Request<B>>),
    /// A fault to inject: [`faulted`].
    Faulted(Box<axum::http::Request<B>>, FaultKind),
}

/// What [`admit`] started that ends with the answer: the request log's entry.
pub(crate) struct AfterWork {
    started: Instant,
    target: Target,
}

impl AfterWork {
    /// Logs the answer.
    pub(crate) fn answer(self, sandbox: &Sandbox, response: Response) -> Response {
        log(sandbox, self.target, self.started, &response);
        response
    }
}

/// Times every contract request and logs it (outermost layer but for the `Host` rule).
pub(crate) async fn log_requests(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let target = Target::of(request.method(), request.uri().path());
    let response = next.run(request).await;
    log(&sandbox, target, started, &response);
    response
}

fn log(sandbox: &Sandbox, target: Target, started: Instant, response: &Response) {
    let status = response.status().as_u16();
    // checked first: the log below reads the clock once for the entry's stamp and latency, and
    // only this event, rarely enabled, reads it again
    if tracing::enabled!(tracing::Level::DEBUG) {
        let (method, path) = target.method_and_path();
        let latency_us = started.elapsed().as_micros() as u64;
        tracing::debug!(%method, %path, status, latency_us, "contract request");
    }
    sandbox.inner.requests.push(target, status, started);
}

/// The `401` for a request without `Authorization: Bearer <key>` with a non-empty key (one of
/// the configured keys, if any), or `None`.
fn bearer_refusal<B>(sandbox: &Sandbox, request: &axum::http::Request<B>) -> Option<Response> {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .filter(|k| !k.is_empty());
    let allowed = &sandbox.inner.core.config.api_keys;
    match key {
        Some(k) if allowed.is_empty() || allowed.iter().any(|a| a == k) => None,
        Some(_) => Some(unauthorized("The API key is not accepted by this sandbox")),
        None => Some(unauthorized(
            "Missing or empty bearer token: send Authorization: Bearer <api key>",
        )),
    }
}

fn unauthorized(detail: &str) -> Response {
    let mut response =
        HisError::new(StatusCode::UNAUTHORIZED, "Unauthorized", "HIS-401", detail).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Adds the configured latency, then applies a requested or randomly drawn fault.
pub(crate) async fn latency_and_faults(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    faults(&sandbox, request, |request| next.run(request)).await
}

/// The latency, then the fault for `request` if one is armed, requested or drawn, else `work`.
pub(crate) async fn faults<B, W, F>(
    sandbox: &Sandbox,
    request: axum::http::Request<B>,
    work: W,
) -> Response
where
    W: FnOnce(axum::http::Request<B>) -> F,
    F: Future<Output = Response>,
{
    let config = &sandbox.inner.core.config;
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    match fault_for(sandbox, &request) {
        Err(e) => invalid_fault(&e),
        Ok(None) => work(request).await,
        Ok(Some(kind)) => faulted(sandbox, kind, request, work).await,
    }
}

/// The fault for `request`: armed for its path, else named by [`FAULT_HEADER`], else drawn at
/// the configured rate; `Err` is an unknown fault name's error. Takes an armed fault.
fn fault_for<B>(
    sandbox: &Sandbox,
    request: &axum::http::Request<B>,
) -> Result<Option<FaultKind>, crate::Error> {
    let config = &sandbox.inner.core.config;
    let armed = sandbox.take_armed_fault(request.uri().path());
    let header = request
        .headers()
        .get(FAULT_HEADER_NAME)
        .map(|v| v.to_str().unwrap_or(""));
    match armed.map(|kind| kind.as_str()).or(header) {
        Some(name) => name.parse::<FaultKind>().map(Some),
        None => Ok(sandbox.inner.faults.roll(config.fault_rate, &config.faults)),
    }
}

/// The `400` to a fault header that names no fault.
fn invalid_fault(e: &crate::Error) -> Response {
    HisError::new(
        StatusCode::BAD_REQUEST,
        "Invalid fault header",
        "HIS-400",
        e.to_string(),
    )
    .into_response()
}

/// The answer of fault `kind`; a lost answer runs `work` first (it takes effect, only its answer
/// is lost).
pub(crate) async fn faulted<B, W, F>(
    sandbox: &Sandbox,
    kind: FaultKind,
    request: axum::http::Request<B>,
    work: W,
) -> Response
where
    W: FnOnce(axum::http::Request<B>) -> F,
    F: Future<Output = Response>,
{
    let stopping = sandbox.inner.stopping.subscribe();
    match kind {
        FaultKind::LostAnswer => {
            let _ = work(request).await;
            fault_response(FaultKind::Reset, stopping).await
        }
        kind => fault_response(kind, stopping).await,
    }
}

async fn fault_response(
    kind: FaultKind,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> Response {
    match kind {
        FaultKind::Status500 => HisError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error (injected by the sandbox)",
            "HIS-500",
            "Injected fault",
        )
        .into_response(),
        FaultKind::Status503 => {
            let mut e = HisError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable (injected by the sandbox): retry later",
                "HIS-503",
                "Injected fault",
            );
            e.retry_after = Some(1);
            e.into_response()
        }
        FaultKind::Timeout => {
            // hold the request until the client gives up, or the server shuts down (graceful
            // shutdown waits for in-flight requests, so this one must end then)
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = stopping.wait_for(|stop| *stop) => {}
            }
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        FaultKind::Reset | FaultKind::LostAnswer => {
            // headers go out, then the body fails: hyper aborts the connection mid-response
            let stream = futures_util::stream::once(std::future::ready(
                Err::<axum::body::Bytes, _>(std::io::Error::other("connection reset (injected)")),
            ));
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        FaultKind::Malformed => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"txnId": "#))
            // the parts are constants that always build; a 500 is still a fault if they did not
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// Every route: a request body must arrive within [`crate::SandboxConfig::header_timeout`] of the
/// handler starting to read it (at once, for every route but a delayed or faulted contract
/// request). A late body fails the read and is answered `408` with `Connection: close`.
pub(crate) async fn body_deadline(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let (request, expired) = guard_body(&sandbox, request);
    let response = next.run(request).await;
    late_body(&sandbox, expired.as_deref(), response)
}

/// The request with its body under the deadline, and the flag set if the deadline passes
/// (`None` for a request without a body).
fn guard_body(sandbox: &Sandbox, request: Request) -> (Request, Option<Arc<AtomicBool>>) {
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return (Request::from_parts(parts, body), None);
    }
    let timeout = sandbox.inner.core.config.header_timeout;
    let expired = Arc::new(AtomicBool::new(false));
    let body = within(body, timeout, Arc::clone(&expired));
    (Request::from_parts(parts, body), Some(expired))
}

/// The response, or the `408` (with `Connection: close`) if the body came too late.
fn late_body(sandbox: &Sandbox, expired: Option<&AtomicBool>, response: Response) -> Response {
    if !expired.is_some_and(|e| e.load(Ordering::Relaxed)) {
        return response;
    }
    late_body_answer(sandbox)
}

/// The `408` (with `Connection: close`: the rest of the body may still come) to a body that
/// came too late.
pub(crate) fn late_body_answer(sandbox: &Sandbox) -> Response {
    let mut response = late_body_error(sandbox).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The error of a body that came too late (answered by [`late_body_answer`]).
pub(crate) fn late_body_error(sandbox: &Sandbox) -> HisError {
    let timeout = sandbox.inner.core.config.header_timeout;
    HisError::new(
        StatusCode::REQUEST_TIMEOUT,
        "Request body too slow",
        "HIS-408",
        format!("The request body must arrive within {timeout:?}"),
    )
}

/// The body's frames, ending in an error (and setting `expired`) if it is not complete `timeout`
/// after its first poll. The timer is armed only when the body is not there yet: a small body
/// that came with its head (nearly every request) costs no timer registration.
fn within(body: Body, timeout: Duration, expired: Arc<AtomicBool>) -> Body {
    Body::new(Within {
        inner: body,
        timeout,
        deadline: None,
        sleep: None,
        expired,
        done: false,
    })
}

struct Within {
    inner: Body,
    timeout: Duration,
    /// Set at the first poll.
    deadline: Option<tokio::time::Instant>,
    /// Armed the first time the body is not ready.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    expired: Arc<AtomicBool>,
    /// The deadline passed and the error was returned: the body ends.
    done: bool,
}

impl hyper::body::Body for Within {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        // the timeout is validated to at most a day: no overflow
        let deadline = *this
            .deadline
            .get_or_insert_with(|| tokio::time::Instant::now() + this.timeout);
        // data that is ready wins over a deadline that has passed, as with `timeout_at`
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                this.expired.store(true, Ordering::Relaxed);
                this.done = true;
                Poll::Ready(Some(Err(axum::Error::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "request body timed out",
                )))))
            }
        }
    }

    // `is_end_stream` and `size_hint` keep their defaults (not known), as the streamed body
    // this replaced had: the body limit is enforced while reading, not from `Content-Length`
}

// ---------------------------------------------------------------------------------------------
// Host, Origin, Content-Type and the admin token

/// The admin routes: loopback `Host`, own `Origin`, the admin token if configured, and JSON
/// `POST`s (see the module docs).
pub(crate) async fn admin_guard(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let served = request.extensions().get::<Served>().copied();
    if !host_allowed(&request, served.as_ref()) {
        return forbidden(
            "The admin API answers loopback tools only: Host must be localhost, 127.x.x.x, [::1] \
             or the sandbox's address",
        );
    }
    if !origin_allowed(&request, served.as_ref()) {
        return forbidden("The admin API does not answer requests from other origins");
    }
    if let Some(token) = &sandbox.inner.core.config.admin_token
        && !(request.method() == Method::GET && request.uri().path() == "/_sandbox/health")
    {
        let sent = request
            .headers()
            .get(ADMIN_TOKEN_HEADER)
            .map(HeaderValue::as_bytes);
        if !sent.is_some_and(|sent| same_secret(sent, token.as_bytes())) {
            return HisError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "HIS-401",
                format!("This sandbox's admin API needs the header {ADMIN_TOKEN_HEADER}: <token>"),
            )
            .into_response();
        }
    }
    if request.method() == Method::POST && !is_json(request.headers().get(header::CONTENT_TYPE)) {
        return HisError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "HIS-415",
            "Admin POST requests need Content-Type: application/json",
        )
        .into_response();
    }
    next.run(request).await
}

/// The contract routes: when the sandbox listens on a loopback address, a foreign `Host` (DNS
/// rebinding) is refused.
pub(crate) async fn contract_host(request: Request, next: Next) -> Response {
    match foreign_host(&request, request.extensions().get::<Served>()) {
        Some(refused) => refused,
        None => next.run(request).await,
    }
}

/// The `403` of [`contract_host`] for a request received as `served`, or `None`.
fn foreign_host<B>(request: &axum::http::Request<B>, served: Option<&Served>) -> Option<Response> {
    if let Some(served) = served
        && served.bound.ip().to_canonical().is_loopback()
        && !host_allowed(request, Some(served))
    {
        return Some(forbidden(
            "This sandbox listens on loopback: Host must be localhost, 127.x.x.x or [::1]",
        ));
    }
    None
}

fn forbidden(detail: &str) -> Response {
    HisError::new(StatusCode::FORBIDDEN, "Forbidden", "HIS-403", detail).into_response()
}

/// Every `Host` header, and the authority of an absolute-form target, names this machine: a
/// loopback name or the connection's local address. A request with neither is refused.
fn host_allowed<B>(request: &axum::http::Request<B>, served: Option<&Served>) -> bool {
    let mut named = false;
    for value in request.headers().get_all(header::HOST) {
        named = true;
        let Ok(authority) = value.to_str() else {
            return false;
        };
        if !is_local_authority(authority, served) {
            return false;
        }
    }
    if let Some(authority) = request.uri().authority() {
        named = true;
        if !is_local_authority(authority.as_str(), served) {
            return false;
        }
    }
    named
}

/// `localhost`, a loopback IP, or the connection's local IP (any port).
fn is_local_authority(authority: &str, served: Option<&Served>) -> bool {
    // the usual case, the address the sandbox prints (`127.0.0.1:PORT`), without parsing
    if let Some(port) = authority.strip_prefix("127.0.0.1:")
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok()
    {
        return true;
    }
    // any other IPv4 `address:port` without building an `Authority` (an allocation): it is a
    // valid authority whose host is that address
    if let Ok(v4) = authority.parse::<std::net::SocketAddrV4>() {
        let ip = IpAddr::V4(*v4.ip());
        if ip.is_loopback() || served.is_some_and(|s| ip == s.local.ip().to_canonical()) {
            return true;
        }
    }
    let Ok(authority) = authority.parse::<Authority>() else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    let host = authority.host();
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let Ok(ip) = literal.parse::<IpAddr>() else {
        return false;
    };
    let ip = ip.to_canonical();
    ip.is_loopback() || served.is_some_and(|s| ip == s.local.ip().to_canonical())
}

/// No `Origin`, or the sandbox's own: `http://<local address>`, `http://<listening address>`
/// or `http://localhost:<port>` (without the port when it is 80); with no [`Served`] extension,
/// `http://<Host>`.
fn origin_allowed(request: &Request, served: Option<&Served>) -> bool {
    let mut origins = request.headers().get_all(header::ORIGIN).iter().peekable();
    if origins.peek().is_none() {
        return true;
    }
    let own = own_origins(request, served);
    origins.all(|origin| {
        origin
            .to_str()
            .is_ok_and(|origin| own.iter().any(|o| o.eq_ignore_ascii_case(origin)))
    })
}

fn own_origins(request: &Request, served: Option<&Served>) -> Vec<String> {
    let Some(served) = served else {
        return request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|host| vec![format!("http://{host}")])
            .unwrap_or_default();
    };
    let mut addrs = vec![
        SocketAddr::new(served.local.ip().to_canonical(), served.local.port()),
        served.local,
    ];
    if !served.bound.ip().is_unspecified() {
        addrs.push(served.bound);
    }
    let port = served.local.port();
    let mut own: Vec<String> = addrs.iter().map(|a| format!("http://{a}")).collect();
    own.push(format!("http://localhost:{port}"));
    if port == 80 {
        own.extend(addrs.iter().map(|a| match a {
            SocketAddr::V4(v4) => format!("http://{}", v4.ip()),
            SocketAddr::V6(v6) => format!("http://[{}]", v6.ip()),
        }));
        own.push("http://localhost".to_owned());
    }
    own
}

/// `application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Compares two secrets in time that depends only on their lengths.
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::SandboxConfig;

    /// Runs one request through the router, with `served` as the connection's addresses.
    async fn call(
        served: Option<Served>,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> StatusCode {
        let sandbox = Sandbox::new(SandboxConfig {
            seed: Some(1),
            ..SandboxConfig::default()
        })
        .unwrap();
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::from("{}")).unwrap();
        if let Some(served) = served {
            request.extensions_mut().insert(served);
        }
        let mut router = sandbox.router();
        tower_service::Service::call(&mut router, request)
            .await
            .unwrap()
            .status()
    }

    /// Listening on every interface; a client reached it at a documentation address (never
    /// contacted: the requests go straight into the router).
    fn on_all_interfaces() -> Option<Served> {
        Some(Served {
            bound: "0.0.0.0:8080".parse().unwrap(),
            local: "192.0.2.10:8080".parse().unwrap(),
        })
    }

    #[tokio::test]
    async fn mounted_elsewhere_the_contract_routes_check_the_key_but_not_the_host() {
        let foreign = ("host", "sandbox.example:8080");
        let path = "/hpId/suggestion";
        let keyless = call(None, Method::POST, path, &[foreign]).await;
        assert_eq!(keyless, StatusCode::UNAUTHORIZED);
        let keyed = call(
            None,
            Method::POST,
            path,
            &[foreign, ("authorization", "Bearer k")],
        )
        .await;
        assert_ne!(keyed, StatusCode::UNAUTHORIZED);
        assert_ne!(keyed, StatusCode::FORBIDDEN);
        // an unknown path passes the same checks first; another method is the router's 405
        let unknown = call(None, Method::POST, "/nope", &[foreign]).await;
        assert_eq!(unknown, StatusCode::UNAUTHORIZED);
        let get = call(None, Method::GET, path, &[foreign]).await;
        assert_eq!(get, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test]
    async fn off_loopback_the_contract_serves_any_host_and_the_admin_api_its_own_address() {
        let served = on_all_interfaces();
        let status = call(
            served,
            Method::POST,
            "/hpId/suggestion",
            &[
                ("host", "sandbox.example:8080"),
                ("authorization", "Bearer k"),
            ],
        )
        .await;
        assert_ne!(status, StatusCode::FORBIDDEN);
        for (host, origin, expected) in [
            ("192.0.2.10:8080", None, StatusCode::OK),
            (
                "192.0.2.10:8080",
                Some("http://192.0.2.10:8080"),
                StatusCode::OK,
            ),
            (
                "localhost:8080",
                Some("http://localhost:8080"),
                StatusCode::OK,
            ),
            ("sandbox.example:8080", None, StatusCode::FORBIDDEN),
            ("192.0.2.11:8080", None, StatusCode::FORBIDDEN),
            ("0.0.0.0:8080", None, StatusCode::FORBIDDEN),
            (
                "192.0.2.10:8080",
                Some("http://0.0.0.0:8080"),
                StatusCode::FORBIDDEN,
            ),
            (
                "192.0.2.10:8080",
                Some("http://sandbox.example:8080"),
                StatusCode::FORBIDDEN,
            ),
        ] {
            let mut headers = vec![("host", host)];
            headers.extend(origin.map(|o| ("origin", o)));
            let status = call(served, Method::GET, "/_sandbox/health", &headers).await;
            assert_eq!(status, expected, "{host} {origin:?}");
        }
    }

    #[tokio::test]
    async fn a_mounted_router_checks_the_admin_host_and_same_origin() {
        for (host, origin, expected) in [
            ("localhost:3000", None, StatusCode::OK),
            (
                "127.0.0.1:3000",
                Some("http://127.0.0.1:3000"),
                StatusCode::OK,
            ),
            (
                "127.0.0.1:3000",
                Some("http://localhost:3000"),
                StatusCode::FORBIDDEN,
            ),
            ("192.0.2.10:3000", None, StatusCode::FORBIDDEN),
            ("evil.example", None, StatusCode::FORBIDDEN),
        ] {
            let mut headers = vec![("host", host)];
            headers.extend(origin.map(|o| ("origin", o)));
            let status = call(None, Method::GET, "/_sandbox/health", &headers).await;
            assert_eq!(status, expected, "{host} {origin:?}");
        }
        // the contract routes do not know where they listen: no Host rule
        let status = call(
            None,
            Method::POST,
            "/hpId/suggestion",
            &[("host", "evil.example"), ("authorization", "Bearer k")],
        )
        .await;
        assert_ne!(status, StatusCode::FORBIDDEN);
    }

    fn push(log: &RequestLog, path: String) {
        let target = Target::Other(Box::new((Method::POST, path.into())));
        log.push(target, 200, Instant::now());
    }

    /// `(thread, n)` of a test entry's path `/t/n`.
    fn parse(record: &RequestRecord) -> (usize, usize) {
        let mut parts = record.path.trim_start_matches('/').split('/');
        let t = parts.next().unwrap().parse().unwrap();
        let n = parts.next().unwrap().parse().unwrap();
        (t, n)
    }

    #[test]
    fn the_request_log_keeps_the_most_recent_entries_across_threads() {
        // one thread after another: exactly the last `capacity` pushes, in order, whichever
        // shards the threads landed on
        let log = RequestLog::new(100);
        for t in 0..3 {
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    for n in 0..250 {
                        push(&log, format!("/{t}/{n}"));
                    }
                });
            });
        }
        let got: Vec<(usize, usize)> = log.snapshot().iter().map(parse).collect();
        let want: Vec<(usize, usize)> = (150..250).map(|n| (2, n)).collect();
        assert_eq!(got, want);

        log.clear();
        assert!(log.snapshot().is_empty());
        assert!(RequestLog::new(0).snapshot().is_empty());
    }

    #[test]
    fn the_request_log_stays_bounded_and_ordered_under_concurrency() {
        const CAPACITY: usize = 500;
        const THREADS: usize = 8;
        const EACH: usize = 2_000;
        let log = RequestLog::new(CAPACITY);
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let log = &log;
                scope.spawn(move || {
                    for n in 0..EACH {
                        push(log, format!("/{t}/{n}"));
                    }
                });
            }
        });
        let got: Vec<(usize, usize)> = log.snapshot().iter().map(parse).collect();
        assert_eq!(got.len(), CAPACITY);
        // each thread's entries are a suffix of its pushes, in order: none lost in between
        for t in 0..THREADS {
            let mine: Vec<usize> = got
                .iter()
                .filter(|(u, _)| *u == t)
                .map(|(_, n)| *n)
                .collect();
            let first = EACH - mine.len();
            assert_eq!(mine, (first..EACH).collect::<Vec<_>>(), "thread {t}");
        }
        // and the very last entry is some thread's last push
        assert_eq!(got.last().map(|(_, n)| *n), Some(EACH - 1));
    }

    #[test]
    fn json_content_types() {
        for yes in [
            "application/json",
            "application/json; charset=utf-8",
            " APPLICATION/JSON ",
        ] {
            assert!(is_json(Some(&HeaderValue::from_static(yes))), "{yes}");
        }
        for no in [
            "text/plain",
            "application/jsonx",
            "application/x-json",
            "json",
            "",
        ] {
            assert!(!is_json(Some(&HeaderValue::from_static(no))), "{no}");
        }
        assert!(!is_json(None));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
        assert!(!same_secret(b"", b"a"));
    }

    /// Each request writes one entry into a log of up to 4 × 10,000 by default: two entries to a
    /// cache line, and a step's entry reads back as its method and path.
    #[test]
    fn a_log_entry_is_small_and_reads_back_whole() {
        assert!(std::mem::size_of::<Entry>() <= 32);
        let log = RequestLog::new(10);
        let step = abdm_hpr::Step::VerifyMobileOtp;
        let path = abdm_hpr::gateway::path(step);
        log.push_timed(Target::of(&Method::POST, path), 422, |_| {
            Duration::from_micros(1_234)
        });
        log.push_timed(Target::of(&Method::GET, path), 405, |_| {
            Duration::from_secs(5_000)
        });
        log.push(
            Target::of(&Method::POST, "/x"),
            404,
            Instant::now() + Duration::from_secs(1),
        );
        let records = log.snapshot();
        let got: Vec<_> = records
            .iter()
            .map(|r| {
                (
                    r.method.as_str(),
                    r.path.as_str(),
                    r.status,
                    r.latency_us,
                    r.latency_ms,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("POST", path, 422, 1_234, 1),
                // past u32::MAX microseconds (71 minutes) the latency saturates
                (
                    "GET",
                    path,
                    405,
                    u64::from(u32::MAX),
                    u64::from(u32::MAX / 1000)
                ),
                ("POST", "/x", 404, 0, 0),
            ]
        );
    }

    /// A contract call's future is boxed for every request, so its size is memory written per
    /// request: it was 2,864 bytes while every nested `async fn` held the request (debug build).
    #[test]
    fn a_contract_calls_future_is_small() {
        let sandbox = Sandbox::new(SandboxConfig {
            seed: Some(1),
            ..SandboxConfig::default()
        })
        .unwrap();
        let request = Request::builder()
            .method(Method::POST)
            .uri("/aadhaar/generateOtp")
            .header(header::AUTHORIZATION, "Bearer key")
            .body(Body::from(r#"{"aadhaar":"123412341234"}"#))
            .unwrap();
        let step = Some(abdm_hpr::Step::GenerateAadhaarOtp);
        let call = crate::contract_call(sandbox, request, None, step);
        let size = std::mem::size_of_val(&call);
        assert!(size <= 768, "the contract call's future is {size} bytes");
    }
}
