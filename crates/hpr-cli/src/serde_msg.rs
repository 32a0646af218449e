//! serde error messages made safe to print: the files the CLI reads (session files, identity
//! lists) hold personal data, and serde quotes the offending value.
//!
//! The scrubbing itself is the SDK's, so the CLI and the client drop values by the same rules.

/// Drops the offending value from a serde message; see [`abdm_hpr::types::scrub::serde_message`].
pub use abdm_hpr::types::scrub::serde_message as without_values;
