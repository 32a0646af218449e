//! Logs go to stderr (stdout is for the command's output). `-v` shows info, `-vv` debug,
//! `-vvv` trace; without `-v` only warnings and errors (`hpr serve`: info, one line per
//! request). `RUST_LOG` directives (e.g. `RUST_LOG=hpr_sandbox=debug`) are applied on top.
//!
//! Nothing logged by `hpr`, the service or the sandbox contains an OTP, a password, a token,
//! an API key or a full Aadhaar number.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

/// What kind of command logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The wizard: only errors without `-v` (its failures are already on screen).
    Interactive,
    /// A one-shot command: warnings and errors without `-v`.
    Command,
    /// A server: info (one line per request) without `-v`.
    Server,
}

/// Installs the stderr logger for `verbose` occurrences of `-v`, as text or JSON lines.
pub fn init(verbose: u8, profile: Profile, json: bool) {
    let level = match (verbose, profile) {
        (0, Profile::Interactive) => LevelFilter::ERROR,
        (0, Profile::Command) => LevelFilter::WARN,
        (0 | 1, _) => LevelFilter::INFO,
        (2, _) => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // a logger already installed (never the case in the binary) is not an error
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
