//! One module per subcommand. Each exposes `run(args) -> Result<ExitStatus, CliError>`.

pub mod completions;
pub mod register;
pub mod sandbox;
pub mod serve;
pub mod step;

use std::future::Future;

use crate::cli::Command;
use crate::exit::{CliError, ExitStatus};

/// Runs a parsed subcommand.
pub fn run(command: Command) -> Result<ExitStatus, CliError> {
    match command {
        Command::Sandbox(args) => sandbox::run(args),
        Command::Register(args) => register::run(args),
        Command::Step(args) => step::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Completions(args) => completions::run(args),
    }
}

/// Runs `future` to completion on a fresh multi-threaded runtime, then drops the runtime without
/// waiting long for tasks that are still running (e.g. requests held open by a `timeout` fault).
pub fn block_on<T>(future: impl Future<Output = T>) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    let output = runtime.block_on(future);
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(output)
}

/// Runs `future` on a single-thread runtime: for one short job (`hpr step`: one request), where
/// starting worker threads costs more than it can save.
pub fn block_on_single<T>(future: impl Future<Output = T>) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}
