//! `hpr serve`: the registration engine as a multi-tenant REST service.
//!
//! One engine ([`abdm_hpr::flow::RegistrationService`]) per request, over a tenant's view of
//! the database ([`store::TenantStore`]): SQLite by default, Postgres for several replicas.
//! Every error body is the engine's `ErrorDocument`; every POST may carry an
//! `Idempotency-Key`; every registration belongs to the tenant of the API key that started it.
//! Nothing a registration needs lives in process memory, so any replica continues any
//! registration.

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod key_cache;
pub mod keys;
pub mod local_claims;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod store;
pub mod views;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use abdm_hpr::RegistryBackend;
use abdm_hpr::flow::Clock;

pub use app::{AppState, ReadinessProbe, router};
pub use config::ServerConfig;
pub use db::Database;

/// A service ready to serve: the state and the bound listener.
#[derive(Debug)]
pub struct Server {
    state: AppState,
    listener: TcpListener,
}

impl Server {
    /// Binds `addr` for a service over `db` and `backend`.
    pub async fn bind(
        addr: SocketAddr,
        db: Database,
        backend: Arc<dyn RegistryBackend>,
        clock: Arc<dyn Clock>,
        readiness: ReadinessProbe,
        config: ServerConfig,
    ) -> std::io::Result<Self> {
        db.lock_for_serving().map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        let state = AppState {
            db,
            backend,
            clock,
            limiter: Arc::new(rate_limit::KeyLimiter::new(config.rate_limit_per_min)),
            keys: Arc::new(key_cache::KeyCache::new(config.key_cache_ttl)),
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
            readiness,
            steps: TaskTracker::new(),
        };
        Ok(Self { state, listener })
    }

    /// The address actually bound (port 0 becomes a real port).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (tests read the database and metrics through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops accepting, lets requests in flight
    /// finish, waits for running steps and closes the database.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Server { state, listener } = self;
        let purge = tokio::spawn(purge_loop(state.clone()));
        let app = router(state.clone());
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        state.steps.close();
        state.steps.wait().await;
        purge.abort();
        state.db.close().await;
        served
    }
}

/// Deletes expired registrations and idempotency records now and then.
async fn purge_loop(state: AppState) {
    let mut every = tokio::time::interval(state.config.purge_interval);
    loop {
        every.tick().await;
        let now = state.clock.now();
        let keys_before = now
            .checked_sub(state.config.idempotency_ttl)
            .unwrap_or(std::time::UNIX_EPOCH);
        match state.db.purge(now, keys_before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(registrations = n, "purged expired registrations"),
            Err(e) => tracing::warn!(error = %e, "purge failed"),
        }
        if let Err(e) = state.db.purge_web(now).await {
            tracing::warn!(error = %e, "purge of web sessions failed");
        }
        state.limiter.shrink();
        state.db.forget_stale_claims(now);
    }
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
