//! `hpr register`: the interactive registration wizard.
//!
//! It needs a terminal: with stdin (or stderr, where prompts are drawn) redirected it fails at
//! once and points to `hpr step`. With no gateway configured it starts an embedded offline
//! sandbox, says so, and shows its fake SMS OTPs on screen.

use std::time::Duration;

use crate::backend::Backend;
use crate::cli::RegisterArgs;
use crate::exit::{CliError, ExitStatus};
use crate::prompt::InquirePrompter;
use crate::term::{Paint, Terminal, colour_allowed};
use crate::wizard::{Embedded, Interrupt, Options, Wizard};

/// Shown when stdin is not a terminal.
pub const NOT_INTERACTIVE: &str =
    "hpr register needs an interactive terminal; for scripts use `hpr step` (see hpr step --help)";

/// Shown when stderr (where the prompts are drawn) is not a terminal.
pub const PROMPTS_HIDDEN: &str = "hpr register draws its prompts on stderr, which is not a terminal; keep stderr on the terminal (stdout may be redirected), or use `hpr step` for scripts (see hpr step --help)";

/// Runs `hpr register`.
pub fn run(args: RegisterArgs) -> Result<ExitStatus, CliError> {
    if crate::backend::register_default(&args.backend) != crate::cli::BackendKind::Sandbox
        && (args.sandbox_seed.is_some() || args.sandbox_fixed_otp.is_some())
    {
        return Err(CliError::usage(
            "--sandbox-seed and --sandbox-fixed-otp apply only to the embedded sandbox; drop them, or drop --api-url / HPR_API_URL and --backend",
        ));
    }
    // configuration first: a missing credential is reported even without a terminal
    let backend = Backend::remote_or_embedded(
        &args.backend,
        args.sandbox_seed,
        args.sandbox_fixed_otp.clone(),
    )?;
    let terminal = Terminal::detect();
    if !terminal.stdin {
        return Err(CliError::usage(NOT_INTERACTIVE));
    }
    if !terminal.stderr {
        return Err(CliError::usage(PROMPTS_HIDDEN));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;

    let colour = colour_allowed();
    let paint_err = Paint(colour);
    let embedded = backend.embedded.as_ref().map(|sandbox| Embedded {
        sms: sandbox.subscribe_sms(),
        sandbox: sandbox.clone(),
    });
    if embedded.is_some() {
        eprintln!(
            "{}",
            paint_err.yellow(
                "Using an embedded offline sandbox — nothing is sent to ABDM. Fake SMS OTPs are shown on screen."
            )
        );
        eprintln!(
            "{}",
            paint_err.dim(
                "(Set HPR_API_URL and HPR_API_KEY, or pass --api-url, to use a real gateway.)"
            )
        );
    } else {
        eprintln!(
            "{}",
            paint_err.dim(&format!("Registering through {}", backend.description))
        );
    }
    eprintln!();

    let options = Options {
        paint_err,
        paint_out: Paint(colour && terminal.stdout),
        spinner: true,
        interrupt: Interrupt::CtrlC,
        embedded,
    };
    let mut prompter = InquirePrompter;
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let status = Wizard::new(
        backend.client.clone(),
        runtime.handle().clone(),
        &mut prompter,
        &mut stdout,
        &mut stderr,
        options,
    )
    .run();

    drop(backend);
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(status)
}
