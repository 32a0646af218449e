//! A real `hpr serve` on loopback for the tests: an in-process sandbox as the registry, a
//! fresh SQLite file, a clock the test can move, and API keys made directly in the database.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use abdm_hpr::flow::Clock;
use hpr_sandbox::{InProcessBackend, Sandbox, SandboxConfig};
use hpr_server::{Database, ReadinessProbe, Server, ServerConfig};
use serde_json::{Value, json};

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
        let clock = Arc::new(TestClock(Mutex::new(SystemTime::now())));
        let probe: ReadinessProbe = Arc::new(|| Box::pin(async { Ok(()) }));
        let server = Server::bind(
            "127.0.0.1:0".parse().unwrap(),
            db.clone(),
            Arc::new(InProcessBackend::new(sandbox.clone())),
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
    }
}
