//! # hpr-sandbox
//!
//! An offline, stateful simulator of the HPR registration gateway (the API the `carestack` Python
//! SDK calls, CONTRACT §2). It keeps real state — transactions bound to an Aadhaar number, OTPs
//! with expiry, attempt limits and resend throttling, flow order, created accounts and taken
//! IDs — so clients can run whole registrations with no credentials and no network.
//!
//! - Every Aadhaar number that passes the field rules is accepted; its KYC identity is derived
//!   from the number (and the seed), or seeded from JSON.
//! - OTPs are "sent" as fake SMS lines on stdout and are readable through the admin API
//!   (`GET /_sandbox/otp/{txnId}`) and [`Sandbox::latest_otp`].
//! - Errors use the ABDM envelope with the HIS codes of CONTRACT §4.
//! - Faults (500, 503, timeout, reset, malformed, lost-answer) can be injected at random, per
//!   request (`x-sandbox-fault`) or armed for the next request to a path ([`Sandbox::fail_next`]).
//! - It also speaks **Backend B**, ABDM's own HPR API (CONTRACT §3), on the same port and over
//!   the same state: sessions under [`ABDM_GATEWAY_PREFIX`] (`/gateway/v0.5/sessions`,
//!   `/api/hiecm/gateway/v3/sessions`; client credentials from
//!   [`SandboxConfig::abdm_clients`]), the 8 steps under [`ABDM_HPR_PREFIX`] (`/v1/…` or `/v2/…`,
//!   with `Authorization: Bearer <access token>`), and the RSA key for encrypted fields at
//!   `GET /abdm/hpr/api/v1/auth/cert` (bearer needed too; [`SandboxConfig::abdm_encrypted`]).
//!   An account created through either dialect exists through the other.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hpr_sandbox::Error> {
//! use std::net::{Ipv4Addr, SocketAddr};
//! use hpr_sandbox::{Sandbox, SandboxConfig};
//! let running = Sandbox::new(SandboxConfig { seed: Some(7), ..Default::default() })?
//!     .start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
//!     .await?;
//! println!("sandbox at {}", running.base_url());
//! running.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod abdm;
mod admin;
mod backend;
mod body;
pub mod clock;
pub mod config;
mod error;
pub mod geo;
mod his;
pub mod identity;
mod middleware;
mod ops;
mod padded;
pub mod persist;
mod reply;
mod serve;
mod state;
pub mod suggest;
mod txn_table;

use std::net::SocketAddr;
use std::sync::Arc;

use abdm_hpr::types::Aadhaar;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

pub use abdm::{
    ABDM_GATEWAY_PREFIX, ABDM_HPR_PREFIX, DEFAULT_ABDM_CLIENT_ID, DEFAULT_ABDM_CLIENT_SECRET,
    DEFAULT_ABDM_TOKEN_TTL, MAX_ABDM_TOKEN_TTL,
};
pub use backend::InProcessBackend;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{FaultKind, SandboxConfig, SmsOutput};
pub use error::Error;
pub use his::{Detail, HisError};
pub use identity::Identity;
pub use middleware::{ADMIN_TOKEN_HEADER, FAULT_HEADER, RequestRecord};
pub use state::{Account, OtpKind, Sms, Snapshot};

use crate::middleware::{FaultDice, RequestLog};
use crate::state::Core;

/// The latest OTP sent for a transaction.
#[derive(Clone, PartialEq, Eq)]
pub struct SentOtp {
    /// The six digits.
    pub otp: String,
    /// Aadhaar or mobile OTP.
    pub kind: OtpKind,
}

impl std::fmt::Debug for SentOtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentOtp")
            .field("otp", &"[redacted]")
            .field("kind", &self.kind)
            .finish()
    }
}

/// A sandbox: its state and settings. Cheap to clone (shared state); serve it with
/// [`Sandbox::start`] or mount [`Sandbox::router`] in your own server.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    requests: RequestLog,
    faults: FaultDice,
    /// Set when the server starts shutting down; ends requests held by the `timeout` fault.
    stopping: tokio::sync::watch::Sender<bool>,
    /// One-shot faults armed for the next request to a path ([`Sandbox::fail_next`]).
    armed: std::sync::Mutex<Vec<(String, FaultKind)>>,
    /// How many faults are armed: when none (nearly always), a request skips the lock.
    armed_count: std::sync::atomic::AtomicUsize,
    /// The Backend B dialect's tokens, key pair and counters.
    abdm: abdm::AbdmState,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.inner.core.config)
            .finish_non_exhaustive()
    }
}

/// What a request's future owns to reach the [`Sandbox`]: the sandbox itself (the router's
/// handlers), or a connection's own `Arc` of it ([`serve`]).
pub(crate) trait SandboxOwner: Send + 'static {
    fn sandbox(&self) -> &Sandbox;
}

impl SandboxOwner for Sandbox {
    fn sandbox(&self) -> &Sandbox {
        self
    }
}

impl SandboxOwner for Arc<padded::Padded<Sandbox>> {
    fn sandbox(&self) -> &Sandbox {
        self
    }
}

impl Sandbox {
    /// A sandbox on the real clock; loads `state_file` if set.
    ///
    /// Fails if a setting is invalid ([`Error::InvalidConfig`]), a configured identity breaks the
    /// field rules ([`Error::InvalidIdentity`]) or the state file cannot be used.
    pub fn new(config: SandboxConfig) -> Result<Self, Error> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A sandbox on a given clock (tests use [`ManualClock`]).
    pub fn with_clock(config: SandboxConfig, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        let (lock, restored) = match &config.state_file {
            Some(path) => {
                let (lock, restored) = persist::open(path)?;
                (Some(lock), restored)
            }
            None => (None, Snapshot::default()),
        };
        let capacity = config.request_log_capacity;
        let mut core = Core::new(config, clock, restored)?;
        if let (Some(lock), Some(path)) = (lock, core.config.state_file.clone()) {
            let configured = core.configured_identities().to_vec();
            core.journal = Some(persist::Journal::start(
                lock,
                path,
                core.snapshot(),
                configured,
            )?);
        }
        let faults = FaultDice::new(core.seed);
        let abdm = abdm::AbdmState::new(core.seed);
        Ok(Self {
            inner: Arc::new(Inner {
                core,
                requests: RequestLog::new(capacity),
                faults,
                stopping: tokio::sync::watch::channel(false).0,
                armed: std::sync::Mutex::new(Vec::new()),
                armed_count: std::sync::atomic::AtomicUsize::new(0),
                abdm,
            }),
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.core.config
    }

    /// The seed in force (drawn from the OS when none was configured).
    pub fn seed(&self) -> u64 {
        self.inner.core.seed
    }

    /// The axum router: the 8 contract routes (auth, faults, latency, request log), the Backend B
    /// dialect under [`ABDM_HPR_PREFIX`] and [`ABDM_GATEWAY_PREFIX`] (its own bearer tokens;
    /// faults, latency and request log as for A) and the admin API under `/_sandbox/`, for loopback tools only: it answers `403` to a `Host` other than
    /// `localhost`, `127.x.x.x`, `[::1]` or the connection's local address and to a foreign
    /// `Origin`, `401` without [`ADMIN_TOKEN_HEADER`] when [`SandboxConfig::admin_token`] is set
    /// (`GET /_sandbox/health` excepted), and `415` to a `POST` that is not
    /// `application/json`. Served by [`Sandbox::start`] on a loopback address, the contract
    /// routes refuse a foreign `Host` too (DNS rebinding). Request bodies must arrive within
    /// [`SandboxConfig::header_timeout`]; the other connection limits apply only to
    /// [`Sandbox::start`].
    pub fn router(&self) -> Router {
        // the gateway's paths and the step each serves come from one list each (the client's
        // wire module and `operation`), shared with the in-process backend
        let contract = abdm_hpr::Step::ALL
            .into_iter()
            .fold(Router::new(), |router, step| {
                router.route(
                    abdm_hpr::gateway::path(step),
                    // the contract's checks run in the handler, not in a layer (another method
                    // on the path gets the router's plain 405, as it did beside the layer)
                    post(move |State(sandbox): State<Sandbox>, request: Request| {
                        let served = request.extensions().get::<serve::Served>().copied();
                        contract_call(sandbox, request, served.as_ref(), Some(step))
                    }),
                )
            })
            .fallback(|State(sandbox): State<Sandbox>, request: Request| {
                let served = request.extensions().get::<serve::Served>().copied();
                contract_call(sandbox, request, served.as_ref(), None)
            });
        let admin = Router::new()
            .route("/_sandbox/otp/{txn_id}", get(admin::otp))
            .route("/_sandbox/identities/{aadhaar}", get(admin::identity))
            .route("/_sandbox/identities", post(admin::add_identity))
            .route("/_sandbox/requests", get(admin::requests))
            .route("/_sandbox/reset", post(admin::reset))
            .route("/_sandbox/accounts", get(admin::accounts))
            .route("/_sandbox/health", get(admin::health))
            .route(
                "/_sandbox/abdm/expire-tokens",
                post(admin::abdm_expire_tokens),
            )
            .route("/_sandbox/abdm/stats", get(admin::abdm_stats))
            // unknown admin paths are a 404 here, not a contract 401
            .route("/_sandbox/{*rest}", axum::routing::any(admin::unknown))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                middleware::admin_guard,
            ))
            .layer(DefaultBodyLimit::max(self.inner.core.config.max_body_bytes))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                middleware::body_deadline,
            ));
        let abdm = abdm::router(self).layer(axum::middleware::from_fn_with_state(
            self.clone(),
            middleware::body_deadline,
        ));
        // every route's body has the deadline: A's in `middleware::contract`, the others in
        // their own outermost layer (a 405 reads no body)
        admin
            .merge(contract)
            .merge(abdm)
            .method_not_allowed_fallback(his::method_not_allowed)
            .with_state(self.clone())
    }

    /// Binds `addr` and serves in a background task until [`RunningSandbox::shutdown`].
    ///
    /// Each connection is served by hyper's HTTP/1 with a header-read timeout of
    /// [`SandboxConfig::header_timeout`] (also the idle keep-alive timeout), and at most
    /// [`SandboxConfig::max_connections`] at once (past it: `503` and close).
    pub async fn start(self, addr: SocketAddr) -> Result<RunningSandbox, Error> {
        let bind_error = |source| Error::Bind { addr, source };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = self.router();
        let limits = serve::Limits {
            header_timeout: self.inner.core.config.header_timeout,
            max_connections: self.inner.core.config.max_connections,
        };
        let server = tokio::spawn(serve::serve(listener, self.clone(), app, limits, stopped));
        Ok(RunningSandbox {
            sandbox: self,
            addr,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// Makes the next contract request to `path` (e.g. `/hprId/create`, or a full B path such as
    /// `/abdm/hpr/api/v1/registration/aadhaar/createHprIdWithPreVerified`) fail with `kind` — for
    /// tests of what a client does when, say, a create runs but its answer is lost
    /// ([`FaultKind::LostAnswer`]). Several armed faults apply in order.
    pub fn fail_next(&self, path: &str, kind: FaultKind) {
        let mut armed = self.armed();
        armed.push((path.to_owned(), kind));
        // under the lock, so the count never falls behind the list; `Release` pairs with the
        // `Acquire` of a request that starts after this returns
        self.inner
            .armed_count
            .store(armed.len(), std::sync::atomic::Ordering::Release);
    }

    /// Takes the first fault armed for `path`.
    pub(crate) fn take_armed_fault(&self, path: &str) -> Option<FaultKind> {
        use std::sync::atomic::Ordering;
        if self.inner.armed_count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut armed = self.armed();
        let at = armed.iter().position(|(p, _)| p == path)?;
        let kind = armed.remove(at).1;
        self.inner.armed_count.store(armed.len(), Ordering::Release);
        Some(kind)
    }

    fn armed(&self) -> std::sync::MutexGuard<'_, Vec<(String, FaultKind)>> {
        // a list of plain values cannot be left half-changed by a panic
        self.inner
            .armed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The latest OTP sent for a transaction.
    pub fn latest_otp(&self, txn_id: &str) -> Option<SentOtp> {
        let state = self.inner.core.lock();
        let (otp, kind) = state.txn(txn_id)?.last_otp?;
        Some(SentOtp {
            otp: otp.as_str().to_owned(),
            kind,
        })
    }

    /// The identity behind an Aadhaar number (seeded, or derived), or `None` if the number is invalid.
    pub fn identity(&self, aadhaar: &str) -> Option<Identity> {
        let aadhaar = Aadhaar::parse(aadhaar).ok()?;
        let state = self.inner.core.lock();
        Some(self.inner.core.identity_in(&state, &aadhaar))
    }

    /// Adds (or replaces) an identity; returns it normalised, or [`Error::InvalidIdentity`] with
    /// every problem found.
    pub fn add_identity(&self, identity: Identity) -> Result<Identity, Error> {
        let identity = identity
            .normalized()
            .map_err(|problems| Error::InvalidIdentity { problems })?;
        let mut state = self.inner.core.lock();
        self.inner
            .core
            .journal(&state, || persist::Record::Identity {
                identity: Box::new(identity.clone()),
            });
        state
            .identities
            .insert(identity.aadhaar.clone(), identity.clone());
        drop(state);
        Ok(identity)
    }

    /// The contract requests received so far (most recent last, bounded).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.requests.snapshot()
    }

    /// The accounts created so far.
    pub fn accounts(&self) -> Vec<Account> {
        self.inner.core.lock().accounts.values().cloned().collect()
    }

    /// Receives every fake SMS from now on.
    pub fn subscribe_sms(&self) -> broadcast::Receiver<Sms> {
        self.inner.core.note_sms_subscriber();
        self.inner.core.sms.subscribe()
    }

    /// Forgets transactions, accounts, run-time identities and the request log. Backend B's
    /// access tokens and session count are kept: a client's session outlives test data.
    pub fn reset(&self) {
        self.inner.core.reset();
        self.inner.requests.clear();
    }

    /// How many B access tokens the session endpoints have issued.
    pub fn abdm_sessions_issued(&self) -> u64 {
        self.inner.abdm.sessions_issued()
    }

    /// How many B access tokens are live now (sandbox clock).
    pub fn abdm_tokens_live(&self) -> usize {
        self.inner.abdm.tokens.live(self.inner.core.now())
    }

    /// Makes every B access token issued so far expired now (clients then get `900901` and must
    /// fetch a new session); returns how many were live.
    pub fn expire_abdm_tokens(&self) -> usize {
        self.inner.abdm.tokens.expire_all(self.inner.core.now())
    }

    /// The persistent part of the state, as `--state FILE` stores it.
    pub fn snapshot(&self) -> Snapshot {
        self.inner.core.snapshot()
    }

    /// With a state file: writes the whole state to it and empties the journal, after every
    /// change made so far, blocking the calling thread for at most 10 s. Every answered change is
    /// on disk already; this only leaves one file behind (as a graceful shutdown does). Without a
    /// state file, does nothing.
    pub fn save_state(&self) -> Result<(), Error> {
        match (&self.inner.core.journal, &self.inner.core.config.state_file) {
            (Some(journal), Some(path)) => journal
                .compact_blocking(std::time::Duration::from_secs(10))
                .map_err(|reason| Error::StateUnwritable {
                    path: path.clone(),
                    source: std::io::Error::other(reason),
                }),
            _ => Ok(()),
        }
    }
}

/// A sandbox serving on a socket.
pub struct RunningSandbox {
    sandbox: Sandbox,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the base URL for clients.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://<addr>/abdm/hpr/api`, the HPR base URL of the Backend B dialect (step paths such
    /// as `/v1/registration/aadhaar/generateOtp` are appended).
    pub fn abdm_hpr_url(&self) -> String {
        format!("http://{}{ABDM_HPR_PREFIX}", self.addr)
    }

    /// `http://<addr>/abdm/gateway`, the gateway base URL of the Backend B dialect (session paths
    /// such as `/gateway/v0.5/sessions` are appended).
    pub fn abdm_gateway_url(&self) -> String {
        format!("http://{}{ABDM_GATEWAY_PREFIX}", self.addr)
    }

    /// The sandbox being served.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Stops accepting connections, lets in-flight requests finish, and compacts the state file
    /// (every answered change is on disk already; this leaves the snapshot alone, no journal).
    pub async fn shutdown(mut self) {
        self.sandbox.inner.stopping.send_replace(true);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take()
            && let Err(e) = server.await
        {
            tracing::error!(error = %e, "sandbox server task failed");
        }
        if let Some(journal) = &self.sandbox.inner.core.journal
            && let Err(e) = journal.compact_async().await
        {
            tracing::error!(error = %e, "could not write the state file");
        }
    }

    /// Waits until the server stops (it only stops through [`RunningSandbox::shutdown`] or an
    /// error). Calling it again, or `shutdown` afterwards, is fine.
    pub async fn wait(&mut self) -> std::io::Result<()> {
        match self.server.take() {
            Some(server) => match server.await {
                Ok(result) => result,
                Err(e) => Err(std::io::Error::other(e)),
            },
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for RunningSandbox {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// A contract operation on a parsed body (shared by the HTTP routes and [`InProcessBackend`]).
pub(crate) type Operation = fn(&Core, &body::Body<'_>) -> Result<reply::Reply, HisError>;

/// The sandbox operation serving `step`.
pub(crate) fn operation(step: abdm_hpr::Step) -> Operation {
    use abdm_hpr::Step;
    match step {
        Step::GenerateAadhaarOtp => Core::generate_aadhaar_otp,
        Step::VerifyAadhaarOtp => Core::verify_aadhaar_otp,
        Step::CheckAccountExist => Core::check_account_exist,
        Step::DemographicAuthViaMobile => Core::demographic_auth,
        Step::GenerateMobileOtp => Core::generate_mobile_otp,
        Step::VerifyMobileOtp => Core::verify_mobile_otp,
        Step::GetHprIdSuggestion => Core::suggestions,
        Step::CreateHprIdWithPreverified => Core::create_hpr_id,
    }
}

/// The contract step a request is for: a `POST` to one of the gateway's 8 paths.
pub(crate) fn contract_step_of(method: &axum::http::Method, path: &str) -> Option<abdm_hpr::Step> {
    if method != axum::http::Method::POST {
        return None;
    }
    abdm_hpr::Step::ALL
        .into_iter()
        .find(|step| abdm_hpr::gateway::path(*step) == path)
}

/// One contract call, wherever it is dispatched from (the router, or the connection loop's
/// shortcut for the 8 paths): Backend A's checks ([`middleware::admit`]) around the step's
/// operation, or around a `404` for an unknown path (`step` is `None`).
///
/// The checks run now; the future returned only reads the body and runs the operation, and
/// holds little more than the body (see [`middleware::admit`] for why that matters).
pub(crate) fn contract_call<S, B>(
    sandbox: S,
    request: axum::http::Request<B>,
    served: Option<&serve::Served>,
    step: Option<abdm_hpr::Step>,
) -> impl Future<Output = Response> + Send + use<S, B>
where
    S: SandboxOwner,
    B: axum::body::HttpBody<Data = Bytes> + Unpin + Send + 'static,
{
    use futures_util::future::{Either, ready};
    use middleware::{Admission, Admitted};
    let (admitted, after) = match middleware::admit(sandbox.sandbox(), request, served, step) {
        Admission::Admitted(admitted, after) => (admitted, after),
        Admission::Answered(answer) => return Either::Left(ready(answer)),
    };
    Either::Right(async move {
        let sandbox = sandbox.sandbox();
        let work = |body| contract_work(sandbox, body, step);
        let response = match admitted {
            Admitted::Work(body) => work(body).await,
            Admitted::Delayed(request) => {
                let work = |request: axum::http::Request<B>| work(request.into_body());
                Box::pin(middleware::faults(sandbox, *request, work)).await
            }
            Admitted::Faulted(request, kind) => {
                let work = |request: axum::http::Request<B>| work(request.into_body());
                Box::pin(middleware::faulted(sandbox, kind, *request, work)).await
            }
        };
        after.answer(sandbox, response)
    })
}

/// A contract call's work on its body: the step's operation, or a `404` for an unknown path.
async fn contract_work<B>(sandbox: &Sandbox, body: B, step: Option<abdm_hpr::Step>) -> Response
where
    B: axum::body::HttpBody<Data = Bytes> + Unpin,
{
    match step {
        Some(step) => run(sandbox, body, operation(step)).await,
        None => unknown_path(),
    }
}

/// Runs one contract operation on a raw body; a body over the limit is a `413`, one not all
/// there within [`SandboxConfig::header_timeout`] a `408`. A change to the persistent state is
/// on disk before its answer goes out.
async fn run<B>(sandbox: &Sandbox, body: B, op: Operation) -> Response
where
    B: axum::body::HttpBody<Data = Bytes> + Unpin,
{
    let config = &sandbox.inner.core.config;
    let read = body::read_within(body, config.max_body_bytes, config.header_timeout).await;
    let (result, ticket) = match read {
        Ok(bytes) => match body::parse(&bytes) {
            Ok(map) => apply_now(sandbox, &map, op),
            Err(e) => (Err(e), None),
        },
        Err(body::Unread::Late) => return middleware::late_body_answer(sandbox),
        Err(unread) => (Err(body_error(sandbox, unread)), None),
    };
    let answer = match result {
        Ok(reply) => reply.into_response(),
        Err(e) => return e.into_response(),
    };
    match ticket {
        None => answer,
        // boxed: only a sandbox with a state file waits here, and every request's future is
        // smaller without this one inside it
        Some(ticket) => match Box::pin(durable(Some(ticket))).await {
            Ok(()) => answer,
            Err(e) => e.into_response(),
        },
    }
}

/// The body's bytes (through axum's extractor and its `DefaultBodyLimit`); a body over the
/// limit is a `413`, an unreadable one a `400`.
pub(crate) fn read_body(
    sandbox: &Sandbox,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Bytes, HisError> {
    body.map_err(|rejection| {
        let unread = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            body::Unread::TooLarge
        } else {
            body::Unread::Failed
        };
        body_error(sandbox, unread)
    })
}

/// The answer to a body that was not read: `413` over the limit, else `400`.
fn body_error(sandbox: &Sandbox, unread: body::Unread) -> HisError {
    match unread {
        body::Unread::TooLarge => HisError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body too large",
            "HIS-413",
            format!(
                "The body must be at most {} bytes",
                sandbox.inner.core.config.max_body_bytes
            ),
        ),
        body::Unread::Failed => HisError::new(
            StatusCode::BAD_REQUEST,
            "Malformed request",
            "HIS-400",
            "The body could not be read",
        ),
        // answered with `late_body_answer` (which adds `Connection: close`) where it can happen
        body::Unread::Late => middleware::late_body_error(sandbox),
    }
}

/// Runs `op` on a parsed body; a change it makes to the persistent state is on disk before this
/// returns its answer.
pub(crate) async fn apply(
    sandbox: &Sandbox,
    map: &body::Body<'_>,
    op: Operation,
) -> Result<reply::Reply, HisError> {
    let (result, ticket) = apply_now(sandbox, map, op);
    let value = result?;
    durable(ticket).await?;
    Ok(value)
}

/// Runs `op` on a parsed body, and takes the ticket of the change it journaled, if any: its
/// answer may go out only once [`durable`] has waited for that ticket. A failed operation's
/// ticket is not waited for (its answer is an error either way).
fn apply_now(
    sandbox: &Sandbox,
    map: &body::Body<'_>,
    op: Operation,
) -> (Result<reply::Reply, HisError>, Option<persist::Ticket>) {
    drop(persist::take_ticket());
    let result = op(&sandbox.inner.core, map);
    (result, persist::take_ticket())
}

/// Waits until a journaled change is on disk; an error is the answer to send instead.
pub(crate) async fn durable(ticket: Option<persist::Ticket>) -> Result<(), HisError> {
    let Some(ticket) = ticket else {
        return Ok(());
    };
    ticket.wait().await.map_err(|reason| {
        tracing::error!(error = %reason, "a change could not be written to the state file");
        HisError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal sandbox error",
            "HIS-500",
            "The change could not be written to the state file",
        )
    })
}

fn unknown_path() -> Response {
    HisError::new(
        StatusCode::NOT_FOUND,
        "Unknown API path",
        "HIS-404",
        "No such endpoint in the HPR gateway API",
    )
    .into_response()
}
