//! `hpr`: command-line tools for India's ABDM Healthcare Professional Registry (HPR).
//!
//! - `hpr sandbox` serves a local, offline simulator of the HPR registration gateway.
//!
//! The layout keeps each piece small: [`cli`] holds the clap definitions (flags, help, examples),
//! [`commands`] one module per subcommand, [`exit`] the documented exit codes and the error type,
//! [`logging`] the `-v` / `RUST_LOG` set-up. This file parses, dispatches and turns the outcome
//! into the exit code.

// first: cli.rs uses its macro
#[macro_use]
mod redacted_debug;

mod allocator;
mod backend;
mod cli;
mod commands;
mod exit;
mod logging;
mod prompt;
mod report;
mod serde_msg;
mod spinner;
mod term;
mod wizard;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::parse_from(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => {
            // help and version go to stdout with code 0; usage errors to stderr with code 2
            let _ = e.print();
            // `hpr step` also prints its JSON error document on stdout, as for any other failure
            if e.use_stderr() && commands::step::is_step_command_line(std::env::args_os()) {
                commands::step::print_usage_error(&e);
            }
            return ExitCode::from(
                u8::try_from(e.exit_code()).unwrap_or(exit::ExitStatus::Usage as u8),
            );
        }
    };
    // the wizard's screen is for prompts: without -v only errors are logged there
    let (profile, json) = match &cli.command {
        cli::Command::Register(_) => (logging::Profile::Interactive, false),
        cli::Command::Serve(args) if args.keys.is_none() => (
            logging::Profile::Server,
            args.log_format == cli::LogFormat::Json,
        ),
        _ => (logging::Profile::Command, false),
    };
    logging::init(cli.verbose, profile, json);
    match commands::run(cli.command) {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("error: {}", e.message);
            e.status.into()
        }
    }
}
