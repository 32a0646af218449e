//! [`Traced`]: one `hpr.request` span around every call of any backend.

use std::time::Instant;

use tracing::Instrument as _;

use super::{BoxFuture, RegistryBackend, Request, Response};
use crate::error::Result;
use crate::types::TxnId;

/// Wraps a backend so that every call runs inside one `hpr.request` span.
///
/// The span records flow metadata only (CONTRACT §7): `operation`, the masked `txn_id`,
/// `latency_ms`, and — filled in by the layers inside it — the HTTP `status` and the number of
/// `attempts`. Bodies, OTPs, tokens and identifiers never appear. A success logs `completed` at
/// DEBUG; a failure logs `failed` with the (value-free) error text: at DEBUG when the registry
/// refused the request (an API error: the caller reports it anyway, e.g. in `hpr step`'s JSON),
/// at WARN for everything else (network, timeout, an unreadable answer).
#[derive(Debug, Clone)]
pub struct Traced<B> {
    inner: B,
}

impl<B> Traced<B> {
    /// Traces `inner`.
    pub fn new(inner: B) -> Self {
        Self { inner }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }
}

impl<B: RegistryBackend> RegistryBackend for Traced<B> {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response>> {
        let span = tracing::info_span!(
            "hpr.request",
            operation = request.step().as_str(),
            txn_id = request
                .txn_id()
                .map(TxnId::masked)
                .as_deref()
                .unwrap_or("-"),
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        Box::pin(
            async move {
                let started = Instant::now();
                let result = self.inner.call(request).await;
                let span = tracing::Span::current();
                span.record("latency_ms", started.elapsed().as_millis() as u64);
                match &result {
                    Ok(_) => tracing::debug!("completed"),
                    Err(e) => {
                        if let Some(status) = e.status() {
                            span.record("status", status);
                        }
                        if matches!(e, crate::Error::Api { .. }) {
                            tracing::debug!(error = %e, "failed");
                        } else {
                            tracing::warn!(error = %e, "failed");
                        }
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}
