//! # abdm-hpr
//!
//! A validated, privacy-safe client for the registration API of India's Healthcare Professional
//! Registry (HPR, part of ABDM), wire-compatible with the `carestack` Python SDK's gateway.
//!
//! - [`types`]: request and response types for the 8 operations, and newtypes ([`types::Aadhaar`],
//!   [`types::Otp`], [`types::Mobile`], …) that only hold valid values and never print secrets.
//! - [`client`]: the [`client::RegistryApi`] trait and [`client::GatewayClient`], its HTTP
//!   implementation (reqwest + rustls, timeouts, opt-in safe retries, tracing spans).
//! - [`categories`]: the professional category and sub-category table (CONTRACT §5.2).
//! - [`flow`]: the guided registration: a resumable session that says what to ask next
//!   ([`flow::PayloadHint`] with one [`flow::FieldDescriptor`] per input).
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

pub mod categories;
pub mod client;
pub mod error;
pub mod flow;
pub mod types;

pub use categories::{CATEGORIES, Category, SubCategory};
pub use client::{GatewayClient, GatewayClientBuilder, Operation, RegistryApi, RetryPolicy};
pub use error::{ApiError, Error, Result};
