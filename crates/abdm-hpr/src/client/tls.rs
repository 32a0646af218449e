//! TLS setup: rustls with the `ring` provider, passed to the connector explicitly.
//!
//! Passing a ready `ClientConfig` (instead of installing a process-wide default provider) keeps the
//! library from changing global state and guarantees exactly one crypto provider in the build.

use std::sync::Arc;

use rustls_platform_verifier::BuilderVerifierExt;

use crate::error::Error;

/// The TLS configuration for a client that will call `urls`: the platform's trust store when
/// any of them is `https`, else an empty one — a plain-http loopback client (a local sandbox)
/// never makes a TLS connection, so it does not pay for loading and parsing the system's CA
/// certificates (about 2.5 ms per `hpr step` process).
pub(crate) fn client_config_for(urls: &[&str]) -> Result<rustls::ClientConfig, Error> {
    if urls.iter().any(|u| !u.starts_with("http://")) {
        return client_config();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS setup failed: {e}")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    Ok(config)
}

/// The TLS configuration with the platform's trust store.
pub(crate) fn client_config() -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| Error::Config(format!("TLS setup failed: {e}")))?
        .with_no_client_auth();
    Ok(config)
}
