//! `hpr step STEP [--payload JSON|@FILE|-] --state FILE`: one registration step, for scripts
//! and UIs.
//!
//! Every run prints exactly one JSON document on stdout, compact on one line and ended by a
//! newline (easy to pipe into `jq` or read line by line):
//! - success (exit 0): the step outcome `{"message","data","next_step","next_step_payload_hint"}`;
//! - failure: `{"error":{"kind","message","fields","status","code","allowed_steps"}}` with the
//!   keys that do not apply left out. `kind` and the exit code:
//!
//! | kind | exit | when |
//! |---|---|---|
//! | `validation` | 2 | a field breaks a rule, an unknown step name, a payload that is not JSON (or repeats a key), a command-line error (no `--state`, an unknown flag) |
//! | `config` | 2 | no --api-url/HPR_API_URL or API key; an unreadable, corrupt or wrong-version state file |
//! | `api` | 3 | the registry refused the request (`status`, HIS `code`) or answered unreadably |
//! | `transport` | 4 | the network failed or timed out |
//! | `transport` | 4 | also: a step with a side effect may have run although its answer was lost (`"unconfirmed": true`) |
//! | `flow` | 5 | the step is not allowed now (`allowed_steps`), or no state file yet |
//! | `conflict` | 6 | another `hpr step` is running on the same state file; nothing was sent or changed |
//! | `interrupted` | 130 | Ctrl-C while waiting for the registry |
//!
//! Whatever is wrong locally (step name, payload, state file, order, field rules) is reported
//! before the backend configuration is even looked at, and nothing is sent. Every run goes
//! through the engine's [`RegistrationService`] over a [`FileStore`], which holds an exclusive
//! lock on the state file for the whole step. The state file gets a new version (one appended,
//! synced line; see [`FileStore`]) only after a successful step — or to record that a step with a side effect is *unconfirmed* (an
//! OTP sent or an ID created whose answer was lost): after an unconfirmed create,
//! `check_account_exist` is allowed and completes the registration if the account exists, and a
//! repeated create checks that first by itself. A failed or interrupted step otherwise leaves the
//! file as it was, so the step can simply be run again. Logs go to stderr. Payload values are
//! never echoed (the engine's messages name fields and rules, not values).

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::Arc;

use abdm_hpr::Error;
use abdm_hpr::flow::{
    ErrorDocument, ErrorKind, FileStore, RegistrationService, RegistrationSession, Stage, Step,
    SystemClock,
};
use abdm_hpr::types::{Invalid, Rule, ValidationErrors, today_in_india};
use serde_json::Value;

use crate::backend::Backend;
use crate::cli::{BackendArgs, BackendKind, StepArgs};
use crate::exit::{CliError, ExitStatus};
use crate::report;

/// The largest payload read from a file or stdin (a create payload with a 1 MiB photo is about
/// 1.4 MB).
const MAX_PAYLOAD_BYTES: u64 = 4 * 1024 * 1024;

/// Runs `hpr step`: prints the outcome or the error document and returns its exit status.
pub fn run(args: StepArgs) -> Result<ExitStatus, CliError> {
    let (mut line, status) = match execute(&args) {
        Ok(outcome) => (outcome, ExitStatus::Success),
        Err(failure) => (failure.json(), failure.status),
    };
    line.push('\n');
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))?;
    Ok(status)
}

/// `true` when the command line asks for `hpr step`: the first word naming a subcommand is
/// `step` (also after a misplaced flag such as `hpr --api-key KEY step …`).
pub fn is_step_command_line(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    args.into_iter()
        .skip(1)
        .find(|a| {
            ["step", "sandbox", "register", "completions", "help"]
                .iter()
                .any(|s| a == s)
        })
        .is_some_and(|a| a == "step")
}

/// Prints the JSON error document for a command-line error of `hpr step` on stdout (kind
/// `validation`, exit 2), so scripts read one document whatever went wrong. The message names
/// the flag but never repeats a value typed on the command line (it could be a payload).
pub fn print_usage_error(error: &clap::Error) {
    let mut line = serde_json::to_string(&ErrorDocument::new(
        ErrorKind::Validation,
        usage_message(error),
    ))
    .unwrap_or_else(|_| {
        r#"{"error":{"kind":"validation","message":"invalid command line"}}"#.to_owned()
    });
    line.push('\n');
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.flush());
}

fn usage_message(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind as Clap};
    let names = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        _ => Vec::new(),
    };
    // a flag name as typed: only letters and hyphens (no `=value`, no digits)
    let flag_only =
        |s: &String| s.starts_with('-') && s.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    let what = match error.kind() {
        Clap::MissingRequiredArgument => {
            format!("missing required argument: {}", names.join(", "))
        }
        Clap::UnknownArgument => match names.first().filter(|n| flag_only(n)) {
            Some(flag) => format!("unexpected argument {flag}"),
            None => "unexpected argument".to_owned(),
        },
        Clap::InvalidValue | Clap::ValueValidation | Clap::NoEquals => {
            format!("invalid value for {}", names.join(", "))
        }
        Clap::ArgumentConflict => format!("conflicting arguments: {}", names.join(", ")),
        Clap::TooManyValues | Clap::WrongNumberOfValues | Clap::TooFewValues => {
            format!("wrong number of values for {}", names.join(", "))
        }
        _ => "invalid command line".to_owned(),
    };
    format!("{what} (see hpr step --help)")
}

/// A failed step: the error document and the exit status.
#[derive(Debug)]
struct Failure {
    document: ErrorDocument,
    status: ExitStatus,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let document = ErrorDocument::from_error(&error);
        Self {
            status: report::exit_status(document.error.kind),
            document,
        }
    }
}

impl Failure {
    /// A failure of `kind` found by `hpr` itself.
    fn new(kind: ErrorKind, message: &str) -> Self {
        Self {
            document: ErrorDocument::new(kind, message),
            status: report::exit_status(kind),
        }
    }

    /// One invalid command-line input, as a validation report on `field` (exit 2).
    fn invalid(field: &'static str, message: String) -> Self {
        Error::Validation(ValidationErrors::single(
            Invalid::with_message(Rule::Format, message).at(field),
        ))
        .into()
    }

    fn json(&self) -> String {
        serde_json::to_string(&self.document).unwrap_or_else(|_| {
            r#"{"error":{"kind":"config","message":"the error could not be rendered"}}"#.to_owned()
        })
    }
}

/// Everything up to the outcome document (rendered in the peer's key order); the state file is
/// written before returning `Ok`.
fn execute(args: &StepArgs) -> Result<String, Failure> {
    let step: Step = args.step.parse().map_err(|_| {
        let known: Vec<&str> = Step::ALL.iter().map(|s| s.as_str()).collect();
        Failure::invalid(
            "step",
            format!(
                "is not a step id; known steps (UPPER_CASE accepted): {}",
                known.join(", ")
            ),
        )
    })?;
    let payload = read_payload(args.payload.as_deref())?;
    // locked from here to the end of the run: a second `hpr step` on this file fails at once
    let store = FileStore::open(&args.state)?;
    let existing = store.load()?;
    let session = match &existing {
        Some(stored) => stored.session.clone(),
        None if step == Step::GenerateAadhaarOtp => RegistrationSession::new(),
        None => return Err(no_session(step, &args.state)),
    };
    tracing::debug!(%step, session = %session.summary(), "loaded the session");

    // order and field rules first: they need no backend and send nothing
    session
        .prepare_json(step, payload.clone(), today_in_india())
        .map_err(|e| explain(e, &session))?;

    let backend =
        step_backend(&args.backend).map_err(|e| Failure::new(ErrorKind::Config, &e.message))?;
    let service = RegistrationService::new(backend.client, Arc::new(store), Arc::new(SystemClock));
    let id = args.state.display().to_string();

    tracing::info!(%step, "running the step");
    let result = super::block_on_single(async {
        let run = async {
            match existing {
                Some(_) => service.step(&id, step, payload, None).await,
                None => service.start(&id, payload).await,
            }
        };
        tokio::select! {
            // polled first, so the handler is in place before the request can go out
            biased;
            () = interrupted() => None,
            result = run => Some(result),
        }
    })
    .map_err(|e| Failure::new(ErrorKind::Config, &e.message))?;

    let (stored, outcome) = match result {
        None => {
            return Err(Failure::new(
                ErrorKind::Interrupted,
                "interrupted while waiting for the registry: the request may have been processed; \
                 the state file was not changed",
            ));
        }
        Some(Err(e)) => return Err(explain(e, &session)),
        Some(Ok(done)) => done,
    };
    tracing::debug!(session = %stored.session.summary(), revision = stored.revision, "saved the session");
    serde_json::to_string(&outcome).map_err(|e| {
        Failure::new(
            ErrorKind::Config,
            &format!("the outcome could not be rendered: {e}"),
        )
    })
}

/// The backend of `hpr step`: the gateway unless `--backend abdm`; an embedded sandbox would
/// forget everything when the process ends, so it is refused.
fn step_backend(args: &BackendArgs) -> Result<Backend, CliError> {
    match args.backend.unwrap_or(BackendKind::Gateway) {
        BackendKind::Sandbox => Err(CliError::usage(
            "hpr step cannot use an embedded sandbox (it ends with the process): start `hpr sandbox` and use --backend gateway with the URL it prints, or --backend abdm with its `abdm` line",
        )),
        kind => Backend::of_kind(kind, args, None, None, hpr_sandbox::SmsOutput::Silent),
    }
}

/// Resolves on Ctrl-C; never, if the handler cannot be installed.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The step's payload: none (`null`), inline JSON, `@FILE` or `-` (stdin).
fn read_payload(arg: Option<&str>) -> Result<Value, Failure> {
    let Some(arg) = arg else {
        return Ok(Value::Null);
    };
    let text = if arg == "-" {
        read_limited(std::io::stdin().lock(), "stdin")?
    } else if let Some(file) = arg.strip_prefix('@') {
        let f = std::fs::File::open(file)
            .map_err(|e| Failure::invalid("payload", format!("cannot read {file}: {e}")))?;
        read_limited(f, file)?
    } else {
        arg.to_owned()
    };
    // a UTF-8 byte-order mark some editors write at the start of a file is not part of the JSON
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    // syntax messages give a position, never the text; a key given twice is refused
    abdm_hpr::flow::parse_payload(text).map_err(|report| Error::Validation(report).into())
}

fn read_limited(source: impl std::io::Read, name: &str) -> Result<String, Failure> {
    let mut text = String::new();
    source
        .take(MAX_PAYLOAD_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Failure::invalid("payload", format!("cannot read {name}: {e}")))?;
    if text.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(Failure::invalid(
            "payload",
            format!("{name} holds more than {MAX_PAYLOAD_BYTES} bytes"),
        ));
    }
    Ok(text)
}

/// A flow failure when there is no state file yet.
fn no_session(step: Step, path: &Path) -> Failure {
    let mut failure = Failure::new(
        ErrorKind::Flow,
        &format!(
            "step `{step}` needs a registration in progress, but there is no state file {}: \
             start with `hpr step generate_aadhaar_otp --state {}` (it creates the file)",
            path.display(),
            path.display()
        ),
    );
    failure.document.error.allowed_steps = Some(vec![Step::GenerateAadhaarOtp]);
    failure
}

/// The failure for an engine error; a finished session also says how to start another one.
fn explain(error: Error, session: &RegistrationSession) -> Failure {
    let finished = matches!(error, Error::Flow { .. }) && session.stage() == Stage::Completed;
    let mut failure = Failure::from(error);
    if finished {
        failure.document.error.message.push_str(
            ". This state file holds a finished registration: use a new --state file to register someone else",
        );
    }
    failure
}
