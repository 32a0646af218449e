//! Why a sandbox could not be built or started.
//!
//! Messages name files, settings, fields and rules, never a value: a state file or a seeded
//! identity holds Aadhaar numbers, mobiles and names (CONTRACT §7), so serde's messages, which
//! quote values, are scrubbed before they get here.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::path::PathBuf;

use abdm_hpr::types::ValidationErrors;

/// Everything that can go wrong building, loading or starting a [`Sandbox`](crate::Sandbox).
///
/// ```
/// use std::time::Duration;
/// use hpr_sandbox::{Error, Sandbox, SandboxConfig};
///
/// let config = SandboxConfig { otp_ttl: Duration::from_secs(u64::MAX), ..Default::default() };
/// let err = Sandbox::new(config).unwrap_err();
/// assert!(matches!(err, Error::InvalidConfig { setting: "otp_ttl", .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The state file exists but could not be read.
    #[error("cannot read state file {}: {source}", path.display())]
    StateUnreadable {
        /// The state file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The state file is not a sandbox state (not JSON, or not the expected shape).
    #[error("state file {} is not a sandbox state: {reason}", path.display())]
    StateCorrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong, with JSON position but without the values found there.
        reason: String,
    },
    /// The state file was written by a newer sandbox.
    #[error(
        "state file {} has version {found}, newer than this sandbox understands ({supported})",
        path.display()
    )]
    StateTooNew {
        /// The state file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The newest version this sandbox reads.
        supported: u32,
    },
    /// A record of the state journal (`FILE.journal`) is damaged: a bad checksum, or not a
    /// change the sandbox writes. Nothing is dropped: fix or remove the file.
    #[error("state journal {}: record {record} is invalid: {reason}", path.display())]
    StateJournalCorrupt {
        /// The journal file.
        path: PathBuf,
        /// The record's number (its line, from 1).
        record: usize,
        /// What is wrong, without the values found there.
        reason: String,
    },
    /// The state file (or its journal or temporary file) could not be written.
    #[error("cannot write state file {}: {source}", path.display())]
    StateUnwritable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another sandbox is using the state file (its lock, `.FILE.lock`, is held).
    #[error("state file {} is in use by another sandbox", path.display())]
    StateInUse {
        /// The state file.
        path: PathBuf,
    },
    /// The listening socket could not be set up (address in use, not permitted, …).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A configured identity breaks the field rules.
    #[error("invalid seeded identity: {}", list(problems))]
    InvalidIdentity {
        /// Every broken rule, by JSON key (`aadhaar`, `mobile`, …).
        problems: ValidationErrors,
    },
    /// A setting is out of range or inconsistent with another.
    #[error("{reason}")]
    InvalidConfig {
        /// The [`SandboxConfig`](crate::SandboxConfig) field at fault, e.g. `"fixed_otp"`.
        setting: &'static str,
        /// A sentence naming the setting and the rule.
        reason: Cow<'static, str>,
    },
}

impl Error {
    /// A setting that breaks a rule.
    pub(crate) fn config(setting: &'static str, reason: impl Into<Cow<'static, str>>) -> Self {
        Self::InvalidConfig {
            setting,
            reason: reason.into(),
        }
    }
}

/// `field message [rule]; …`, the form the admin API and the CLI have always shown.
pub(crate) fn list(problems: &ValidationErrors) -> String {
    problems
        .errors()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
