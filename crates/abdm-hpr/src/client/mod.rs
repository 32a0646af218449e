//! The Backend A adapter over HTTP (feature `gateway`, on by default): [`GatewayClient`] and its
//! builder.
//!
//! The port it implements lives in [`backend`](crate::backend); the names below are re-exported
//! here so `abdm_hpr::client::{GatewayClient, RegistryApi, RetryPolicy}` keeps working.

#[cfg(feature = "abdm")]
mod abdm;
#[cfg(feature = "gateway")]
mod config;
#[cfg(feature = "gateway")]
mod gateway;
mod http;
mod tls;
mod transport;

#[cfg(feature = "abdm")]
pub use abdm::{
    AbdmBackend, AbdmBackendBuilder, ENV_ABDM_CLIENT_ID, ENV_ABDM_CLIENT_SECRET, ENV_ABDM_ENCRYPT,
    ENV_ABDM_ENV, ENV_ABDM_GATEWAY_URL, ENV_ABDM_HPR_URL, ENV_ABDM_SESSION_API,
};
#[cfg(feature = "gateway")]
pub use config::{ENV_API_KEY, ENV_API_URL, ENV_FACILITY_ID, ENV_HPRID_AUTH, GatewayClientBuilder};
#[cfg(feature = "gateway")]
pub use gateway::GatewayClient;

/// Default connect timeout of both HTTP adapters.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Default overall timeout per request of both HTTP adapters.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub use crate::backend::{RegistryApi, RegistryBackend, RetryPolicy};
/// The former name of [`Step`](crate::Step).
pub use crate::step::Step as Operation;
