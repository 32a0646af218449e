//! [`Retrying`]: opt-in safe retries around any backend.

use super::{BoxFuture, RegistryBackend, Request, Response, RetryPolicy};
use crate::error::Result;

/// Wraps a backend so that failed calls are repeated as `policy` allows.
///
/// The policy only retries what cannot duplicate a side effect (nothing sent, or a 429/503 the
/// registry asked us to come back after), so it is safe for OTP sends and create. The number of
/// attempts is recorded in the enclosing `hpr.request` span ([`Traced`](super::Traced)).
#[derive(Debug, Clone)]
pub struct Retrying<B> {
    inner: B,
    policy: RetryPolicy,
}

impl<B> Retrying<B> {
    /// Retries `inner` by `policy`.
    pub fn new(inner: B, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

impl<B: RegistryBackend> RegistryBackend for Retrying<B> {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        Box::pin(async move {
            let mut attempt = 1;
            let result = loop {
                let result = self.inner.call(request).await;
                let Err(e) = &result else { break result };
                let Some(delay) = self.policy.delay_after(attempt, e) else {
                    break result;
                };
                tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, error = %e, "retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
            };
            tracing::Span::current().record("attempts", attempt);
            result
        })
    }
}
