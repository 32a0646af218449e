//! Logs go to stderr (stdout is for the command's output). `-v` shows info, `-vv` debug,
//! `-vvv` trace; without `-v` only warnings and errors. `RUST_LOG` directives (e.g.
//! `RUST_LOG=hpr_sandbox=debug`) are applied on top.
//!
//! Nothing logged by `hpr` or the sandbox contains an OTP or an API key.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

/// Installs the stderr logger for `verbose` occurrences of `-v`. An `interactive` command
/// (the wizard) logs only errors without `-v`: its failures are already shown on screen.
pub fn init(verbose: u8, interactive: bool) {
    let level = match verbose {
        0 if interactive => LevelFilter::ERROR,
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    // a logger already installed (never the case in the binary) is not an error
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
