//! The Backend A adapter over HTTP (feature `gateway`, on by default): [`GatewayClient`] and its
//! builder.
//!
//! The port it implements lives in [`backend`](crate::backend); the names below are re-exported
//! here so `abdm_hpr::client::{GatewayClient, RegistryApi, RetryPolicy}` keeps working.

mod config;
mod gateway;
mod tls;

pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, ENV_API_KEY, ENV_API_URL, ENV_FACILITY_ID,
    ENV_HPRID_AUTH, GatewayClientBuilder,
};
pub use gateway::GatewayClient;

pub use crate::backend::{RegistryApi, RegistryBackend, RetryPolicy};
/// The former name of [`Step`](crate::Step).
pub use crate::step::Step as Operation;
