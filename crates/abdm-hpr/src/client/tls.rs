//! TLS setup: rustls with the `ring` provider, passed to reqwest explicitly.
//!
//! Passing a ready `ClientConfig` (instead of installing a process-wide default provider) keeps the
//! library from changing global state and guarantees exactly one crypto provider in the build.

use std::sync::Arc;

use rustls_platform_verifier::BuilderVerifierExt;

use crate::error::Error;

pub(crate) fn client_config() -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| Error::Config(format!("TLS setup failed: {e}")))?
        .with_no_client_auth();
    Ok(config)
}
