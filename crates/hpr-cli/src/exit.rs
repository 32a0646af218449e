//! Exit codes (documented in `hpr --help`) and the error every command returns.

use std::fmt;
use std::process::ExitCode;

/// How `hpr` ends. The numbers are part of the interface: scripts may test them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Success (for `hpr sandbox`: stopped by Ctrl-C or SIGTERM, the normal way).
    Success = 0,
    /// The command failed while running (after its input was accepted).
    Failure = 1,
    /// Invalid input or usage: a bad flag or value, an unreadable or invalid file, an address
    /// that cannot be bound, a field that breaks a rule, a missing configuration.
    Usage = 2,
    /// The registry refused the request (an API error, or an answer that could not be read).
    Api = 3,
    /// The network failed or timed out.
    Network = 4,
    /// The registration flow does not allow this step now.
    Flow = 5,
    /// Someone else holds or changed the registration (another `hpr step` on the same state
    /// file); nothing was sent or changed.
    Conflict = 6,
    /// Interrupted: the user stopped an interactive command, or forced a stop while `hpr sandbox`
    /// was still shutting down.
    Interrupted = 130,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

/// A failure to report: one line on stderr (`error: <message>`), then exit with `status`.
///
/// Messages name the flag at fault and never contain OTPs, API keys or personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The exit status to end with.
    pub status: ExitStatus,
    /// What went wrong, on one line, without the `error: ` prefix.
    pub message: String,
}

impl CliError {
    /// Invalid input or usage (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            status: ExitStatus::Usage,
            message: message.into(),
        }
    }

    /// A failure after the input was accepted (exit code 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            status: ExitStatus::Failure,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
