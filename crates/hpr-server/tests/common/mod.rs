//! A real `hpr serve` on loopback for the tests: an in-process sandbox as the registry, a
//! fresh SQLite file, a clock the test can move, and API keys made directly in the database.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use abdm_hpr::backend::{BoxFuture, Request, Response};
use abdm_hpr::flow::Clock;
use abdm_hpr::{GatewayClient, RegistryBackend};
use hpr_sandbox::{InProcessBackend, RunningSandbox, Sandbox, SandboxConfig};
use hpr_server::{Database, ReadinessProbe, Server, ServerConfig};
use serde_json::{Value, json};

pub mod web;

/// The sandbox's OTP in every test.
pub const OTP: &str = "123456";
/// An Aadhaar number that passes the checksum.
pub const AADHAAR: &str = "234123412346";

/// A clock the test sets.
#[derive(Debug)]
pub struct TestClock(pub Mutex<SystemTime>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// reqwest needs a rustls provider even for plain http.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A running service.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub db: Database,
    pub sandbox: Sandbox,
    pub clock: Arc<TestClock>,
    pub http: reqwest::Client,
    pub state: hpr_server::AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
    /// The sandbox on loopback HTTP, for [`TestServer::over_http`].
    running: Option<RunningSandbox>,
    /// Counts the registry calls and can hold the next one.
    pub gate: Arc<Gate>,
}

/// Counts registry calls; when armed, holds the next call until released (so a test knows a
/// step is in flight without guessing a duration).
#[derive(Debug, Default)]
pub struct Gate {
    calls: AtomicUsize,
    armed: AtomicBool,
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl Gate {
    /// Registry calls so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Holds the next registry call until [`Gate::open`].
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Waits until the held call has reached the registry.
    pub async fn entered(&self) {
        tokio::time::timeout(Duration::from_secs(20), self.entered.notified())
            .await
            .expect("the held registry call arrives");
    }

    /// Lets the held call go on.
    pub fn open(&self) {
        self.release.notify_one();
    }
}

/// The registry as the service sees it: the real backend behind a [`Gate`].
#[derive(Debug)]
struct GatedBackend {
    inner: Arc<dyn RegistryBackend>,
    gate: Arc<Gate>,
}

impl RegistryBackend for GatedBackend {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
        Box::pin(async move {
            self.gate.calls.fetch_add(1, Ordering::SeqCst);
            if self.gate.armed.swap(false, Ordering::SeqCst) {
                self.gate.entered.notify_one();
                self.gate.release.notified().await;
            }
            self.inner.call(request).await
        })
    }
}

impl TestServer {
    /// A service with the default configuration.
    pub async fn start() -> Self {
        Self::with_config(ServerConfig::default()).await
    }

    /// A service with `config` (fixed OTP, in-process sandbox, SQLite in a temp folder).
    pub async fn with_config(config: ServerConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("hpr.db").display());
        let db = Database::connect(&url).await.unwrap();
        Self::with_database(db, config, dir).await
    }

    /// A service on `db`.
    pub async fn with_database(db: Database, config: ServerConfig, dir: tempfile::TempDir) -> Self {
        install_crypto();
        let sandbox = Sandbox::new(SandboxConfig {
            seed: Some(7),
            fixed_otp: Some(OTP.to_owned()),
            ..SandboxConfig::default()
        })
        .unwrap();
        let backend = Arc::new(InProcessBackend::new(sandbox.clone()));
        Self::launch(db, config, dir, sandbox, backend, None).await
    }

    /// A service for the web page: open access (and the sandbox's OTPs on the page) when
    /// `open_access`, as `hpr serve` does with its embedded sandbox; links only otherwise.
    pub async fn web(open_access: bool) -> Self {
        install_crypto();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("hpr.db").display());
        let db = Database::connect(&url).await.unwrap();
        let sandbox = Sandbox::new(SandboxConfig {
            seed: Some(7),
            fixed_otp: Some(OTP.to_owned()),
            ..SandboxConfig::default()
        })
        .unwrap();
        let peek = sandbox.clone();
        let config = ServerConfig {
            web_open_access: open_access,
            web_otp_peek: open_access.then(|| {
                hpr_server::config::OtpPeek(Arc::new(move |txn: &str| {
                    peek.latest_otp(txn).map(|sent| sent.otp)
                }))
            }),
            ..ServerConfig::default()
        };
        let backend = Arc::new(InProcessBackend::new(sandbox.clone()));
        Self::launch(db, config, dir, sandbox, backend, None).await
    }

    /// A service whose registry is the sandbox on loopback HTTP, reached through the gateway
    /// client (no retries, a 1 s timeout): unlike the in-process backend, this path has the
    /// sandbox's request log (`sandbox.requests()`), armed faults (`sandbox.fail_next`) and
    /// `latency` before every registry call.
    pub async fn over_http(config: ServerConfig, latency: Duration) -> Self {
        install_crypto();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("hpr.db").display());
        let db = Database::connect(&url).await.unwrap();
        let sandbox = Sandbox::new(SandboxConfig {
            seed: Some(7),
            fixed_otp: Some(OTP.to_owned()),
            latency,
            ..SandboxConfig::default()
        })
        .unwrap();
        let running = sandbox
            .clone()
            .start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let gateway = GatewayClient::builder()
            .base_url(running.base_url())
            .api_key("test")
            .timeout(Duration::from_secs(1) + latency)
            .build()
            .unwrap();
        Self::launch(db, config, dir, sandbox, Arc::new(gateway), Some(running)).await
    }

    async fn launch(
        db: Database,
        config: ServerConfig,
        dir: tempfile::TempDir,
        sandbox: Sandbox,
        backend: Arc<dyn RegistryBackend>,
        running: Option<RunningSandbox>,
    ) -> Self {
        let gate = Arc::new(Gate::default());
        let backend: Arc<dyn RegistryBackend> = Arc::new(GatedBackend {
            inner: backend,
            gate: gate.clone(),
        });
        let clock = Arc::new(TestClock(Mutex::new(SystemTime::now())));
        let probe: ReadinessProbe = Arc::new(|| Box::pin(async { Ok(()) }));
        let server = Server::bind(
            "127.0.0.1:0".parse().unwrap(),
            db.clone(),
            backend,
            clock.clone(),
            probe,
            config,
        )
        .await
        .unwrap();
        let addr = server.local_addr().unwrap();
        let state = server.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            base: format!("http://{addr}"),
            db,
            sandbox,
            clock,
            http: reqwest::Client::new(),
            state,
            shutdown: Some(tx),
            task: Some(task),
            _dir: dir,
            running,
            gate,
        }
    }

    /// A new API key for `tenant` (named `name`).
    pub async fn key(&self, name: &str, tenant: &str) -> String {
        let key = hpr_server::keys::generate().unwrap();
        assert!(
            self.db
                .insert_key(
                    name,
                    tenant,
                    &hpr_server::keys::hash(&key),
                    SystemTime::now()
                )
                .await
                .unwrap()
        );
        key
    }

    /// `POST path` with a JSON body and a key; (status, body as JSON).
    pub async fn post(&self, key: &str, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `GET path` with a key; (status, body as JSON).
    pub async fn get(&self, key: &str, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Starts a registration; its id.
    pub async fn start_registration(&self, key: &str) -> String {
        let (status, body) = self
            .post(key, "/v1/registrations", &json!({"aadhaar": AADHAAR}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Runs `step` with `payload` on registration `id`.
    pub async fn step(&self, key: &str, id: &str, step: &str, payload: &Value) -> (u16, Value) {
        self.post(
            key,
            &format!("/v1/registrations/{id}/steps/{step}"),
            payload,
        )
        .await
    }

    /// Stops the service gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    /// How many calls the service made to the registry.
    pub fn registry_calls(&self) -> usize {
        self.gate.calls()
    }

    /// Stops the loopback sandbox of [`TestServer::over_http`]: the registry is unreachable.
    pub async fn stop_registry(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    /// Starts a graceful shutdown without waiting for it ([`TestServer::stop`] waits).
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// A request to `path` with the key, built on by the caller.
    pub fn request(
        &self,
        method: reqwest::Method,
        key: &str,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(key)
    }

    /// Starts a registration for `aadhaar`; its id.
    pub async fn start_for(&self, key: &str, aadhaar: &str) -> String {
        let (status, body) = self
            .post(key, "/v1/registrations", &json!({"aadhaar": aadhaar}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// The mobile the sandbox links to `aadhaar`.
    pub fn linked_mobile(&self, aadhaar: &str) -> String {
        self.sandbox.identity(aadhaar).unwrap().mobile
    }

    /// A valid mobile that is not the one linked to `aadhaar`.
    pub fn other_mobile(&self, aadhaar: &str) -> String {
        let linked = self.linked_mobile(aadhaar);
        if linked == "9988776655" {
            "9988776644".to_owned()
        } else {
            "9988776655".to_owned()
        }
    }

    /// Runs a started registration `id` of `aadhaar` to its HPR ID: `linked` uses the
    /// Aadhaar-linked mobile (no mobile OTP), else another mobile proven by OTP. Returns every
    /// step's (name, status, body), the last being create.
    pub async fn complete(
        &self,
        key: &str,
        id: &str,
        aadhaar: &str,
        linked: bool,
    ) -> Vec<(&'static str, u16, Value)> {
        let mobile = if linked {
            self.linked_mobile(aadhaar)
        } else {
            self.other_mobile(aadhaar)
        };
        let mut steps: Vec<(&'static str, Value)> = vec![
            ("verify_aadhaar_otp", json!({"otp": OTP})),
            ("check_account_exist", Value::Null),
            (
                "demographic_auth_via_mobile",
                json!({"mobileNumber": mobile}),
            ),
        ];
        if !linked {
            steps.push(("generate_mobile_otp", Value::Null));
            steps.push(("verify_mobile_otp", json!({"otp": OTP})));
        }
        steps.push(("get_hpr_id_suggestion", Value::Null));
        let mut done = Vec::new();
        for (name, payload) in steps {
            let (status, body) = self.step(key, id, name, &payload).await;
            assert_eq!(status, 200, "{name}: {body}");
            done.push((name, status, body));
        }
        let suggestion = done.last().unwrap().2["outcome"]["data"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = self
            .step(
                key,
                id,
                "create_hpr_id_with_preverified",
                &create_payload(&suggestion),
            )
            .await;
        assert_eq!(status, 200, "create: {body}");
        done.push(("create_hpr_id_with_preverified", status, body));
        done
    }
}

/// A password the create step accepts.
pub const PASSWORD: &str = "Ayushman@143";

/// The create payload for `hpr_id` (the sandbox's account check gives every demographic).
pub fn create_payload(hpr_id: &str) -> Value {
    json!({
        "hprId": hpr_id,
        "password": PASSWORD,
        "email": "asha@example.com",
        "hpCategoryCode": "1",
        "hpSubCategoryCode": "1",
    })
}

/// The `n`-th of a series of distinct valid Aadhaar numbers (the last digit makes the
/// checksum hold), so that several registrations do not meet the sandbox's resend interval.
pub fn aadhaar(n: u32) -> String {
    let prefix = format!("3{:010}", 1_234_500_000 + u64::from(n));
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|candidate| abdm_hpr::types::Aadhaar::parse(candidate).is_ok())
        .unwrap()
}
