//! The registry port: one object-safe trait every backend implements, and the typed methods on top.
//!
//! A backend (the CareStack gateway, direct ABDM, the in-process sandbox, a test fake) implements
//! [`RegistryBackend::call`]: one step-tagged [`Request`] in, the matching [`Response`] out. It
//! is usable as `Arc<dyn RegistryBackend>`, so front ends choose a backend at run time. The eight
//! typed methods (`generate_aadhaar_otp`, …) come from the [`RegistryApi`] extension, implemented
//! for every backend. Cross-cutting behaviour wraps any backend: [`Traced`] (one span per call)
//! and, with the `runtime` feature, [`Retrying`] (opt-in safe retries).
//!
//! ```
//! use std::sync::Arc;
//! use abdm_hpr::backend::{BoxFuture, RegistryApi, RegistryBackend, Request, Response};
//! use abdm_hpr::types::{GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest, GenerateAadhaarOtpResponse, TxnId};
//!
//! /// A backend that answers every Aadhaar OTP request with the same transaction.
//! #[derive(Debug)]
//! struct Canned;
//! impl RegistryBackend for Canned {
//!     fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
//!         let reply = match request {
//!             Request::GenerateAadhaarOtp(_) => Ok(Response::GenerateAadhaarOtp(GenerateAadhaarOtpResponse {
//!                 txn_id: TxnId::parse("txn-1").expect("a valid id"),
//!                 mobile_number: None,
//!             })),
//!             other => Err(abdm_hpr::Error::Config(format!("{} is not canned", other.step()))),
//!         };
//!         Box::pin(async move { reply })
//!     }
//! }
//!
//! # async fn demo() -> abdm_hpr::Result<()> {
//! let backend: Arc<dyn RegistryBackend> = Arc::new(Canned);
//! let request = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput { aadhaar: Some("234123412346".into()) })?;
//! let sent = backend.generate_aadhaar_otp(&request).await?; // typed: the pairing is checked
//! assert_eq!(sent.txn_id.as_str(), "txn-1");
//! # Ok(()) }
//! ```

mod api;
mod request;
mod retry_policy;
#[cfg(feature = "runtime")]
mod retrying;
mod traced;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use api::RegistryApi;
pub use request::{Request, Response, StepRequest};
pub use retry_policy::RetryPolicy;
#[cfg(feature = "runtime")]
pub use retrying::Retrying;
pub use traced::Traced;

use crate::error::Result;

/// A boxed, `Send` future: what an object-safe async method returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A registry backend: sends one validated request and returns the registry's answer.
///
/// Requests are validated domain types, so an implementation never sees invalid input. An
/// implementation must answer a request with the [`Response`] variant of the same step; callers
/// go through [`RegistryApi`] or [`Request::send`], which turn any other answer into
/// [`Error::Mismatch`](crate::Error::Mismatch) instead of trusting it.
pub trait RegistryBackend: Send + Sync + fmt::Debug {
    /// Sends `request`; the answer, or the error with the phase it failed in.
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>>;
}

impl<B: RegistryBackend + ?Sized> RegistryBackend for Arc<B> {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        (**self).call(request)
    }
}

impl<B: RegistryBackend + ?Sized> RegistryBackend for Box<B> {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        (**self).call(request)
    }
}

impl<B: RegistryBackend + ?Sized> RegistryBackend for &B {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        (**self).call(request)
    }
}
