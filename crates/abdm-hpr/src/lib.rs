//! # abdm-hpr
//!
//! A validated, privacy-safe client for the registration API of India's Healthcare Professional
//! Registry (HPR, part of ABDM), wire-compatible with the `carestack` Python SDK's gateway.
//!
//! - [`types`]: request and response types for the 8 operations, and newtypes ([`types::Aadhaar`],
//!   [`types::Otp`], [`types::Mobile`], …) that only hold valid values and never print secrets.
//! - [`backend`]: the port — the object-safe [`RegistryBackend`] trait (usable as
//!   `Arc<dyn RegistryBackend>`), the typed [`RegistryApi`] methods on every backend, and the
//!   [`backend::Traced`] and [`backend::Retrying`] wrappers.
//! - [`gateway`]: Backend A's paths and wire shapes (no I/O); [`client`] (feature `gateway`, on
//!   by default): [`GatewayClient`], its HTTP adapter (hyper + rustls: keep-alive connections,
//!   timeouts, no redirects, capped bodies).
//! - [`flow`]: the registration engine — the typed session, the sans-IO steps, the service over a
//!   session store.
//! - [`categories`]: the professional category and sub-category table (CONTRACT §5.2).
//! - [`Error`]: one error type, by phase (validation, config, transport, timeout, API, decode).
//!
//! The library starts no runtime; call it from your own tokio runtime.
//!
//! ```
//! use abdm_hpr::types::{VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest};
//!
//! // Loose input (e.g. from a form) is validated as a whole before anything is sent.
//! let input = VerifyAadhaarOtpInput {
//!     otp: Some("12345".into()),
//!     txn_id: Some("3fa85f64-5717-4562-b3fc-2c963f66afa6".into()),
//!     ..Default::default()
//! };
//! let err = VerifyAadhaarOtpRequest::try_from(input).unwrap_err();
//! assert_eq!(err.errors()[0].field, "otp");
//! assert!(!err.to_string().contains("12345")); // never echoes the value
//! ```

#![warn(missing_docs)]

pub mod abdm;
pub mod backend;
pub mod categories;
#[cfg(feature = "http")]
pub mod client;
pub mod error;
pub mod flow;
pub mod gateway;
pub mod step;
pub mod types;

pub use backend::{RegistryApi, RegistryBackend, RetryPolicy};
pub use categories::{CATEGORIES, Category, SubCategory};
#[cfg(feature = "abdm")]
pub use client::{AbdmBackend, AbdmBackendBuilder};
#[cfg(feature = "gateway")]
pub use client::{GatewayClient, GatewayClientBuilder};
pub use error::{ApiError, Error, Result};
pub use step::Step;
/// The former name of [`Step`].
pub use step::Step as Operation;
