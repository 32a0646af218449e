//! `hpr sandbox`: serve the HPR gateway simulator until Ctrl-C or SIGTERM.
//!
//! Stdout carries exactly one `hpr sandbox: listening on http://ADDR (seed S)` line, then one
//! `hpr sandbox: abdm HPR_ABDM_HPR_URL=… HPR_ABDM_GATEWAY_URL=… HPR_ABDM_CLIENT_ID=…
//! HPR_ABDM_CLIENT_SECRET=…` line (Backend B's settings, ready to paste as environment), then the
//! sandbox's `[sms]` lines. Warnings, hints and logs go to stderr. Every problem with the flags
//! or the files they name is reported before anything is served, naming the flag, with exit
//! code 2.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use hpr_sandbox::{FaultKind, Identity, Sandbox, SandboxConfig, SmsOutput, persist};

use crate::cli::SandboxArgs;
use crate::exit::{CliError, ExitStatus};
use crate::serde_msg::without_values;

/// How long in-flight requests may take to finish after a stop signal (a `timeout` fault holds
/// its request open for an hour).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs `hpr sandbox`.
pub fn run(args: SandboxArgs) -> Result<ExitStatus, CliError> {
    let config = config_from(&args)?;
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: --addr {} is not a loopback address: other machines can reach this sandbox \
             (plain HTTP, OTPs readable through /_sandbox/)",
            args.addr
        );
    }
    tracing::info!(?config, "sandbox settings");
    let sandbox = Sandbox::new(config).map_err(|e| CliError::usage(e.to_string()))?;
    crate::allocator::purge_in_background();
    super::block_on(serve(sandbox, args.addr))?
}

/// The sandbox settings from the flags, with every named file read and checked.
fn config_from(args: &SandboxArgs) -> Result<SandboxConfig, CliError> {
    let identities = match &args.identities {
        Some(path) => load_identities(path)?,
        None => Vec::new(),
    };
    if let Some(path) = &args.state {
        check_state_file(path)?;
    }
    let mut faults: Vec<FaultKind> = Vec::new();
    for kind in &args.faults {
        if !faults.contains(kind) {
            faults.push(*kind);
        }
    }
    if faults.is_empty() {
        faults = FaultKind::ALL.to_vec();
    }
    let config = SandboxConfig {
        seed: args.seed,
        fixed_otp: args.fixed_otp.clone(),
        otp_ttl: Duration::from_secs(args.otp_ttl_secs),
        txn_ttl: Duration::from_secs(args.txn_ttl_secs),
        // at most 100,000,000 (the flag's range), so it fits any usize
        max_transactions: usize::try_from(args.max_transactions).unwrap_or(usize::MAX),
        max_otp_attempts: args.max_otp_attempts,
        resend_interval: Duration::from_secs(args.resend_interval_secs),
        api_keys: args.api_keys.clone(),
        latency: Duration::from_millis(args.latency_ms),
        fault_rate: args.fault_rate,
        faults,
        sms: if args.quiet_sms {
            SmsOutput::Silent
        } else {
            SmsOutput::Stdout
        },
        identities,
        state_file: args.state.clone(),
        header_timeout: Duration::from_secs(args.header_timeout_secs),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        admin_token: args.admin_token.clone(),
        abdm_token_ttl: Duration::from_secs(args.abdm_token_ttl_secs),
        abdm_encrypted: args.abdm_encrypt,
        ..SandboxConfig::default()
    };
    let config = if args.abdm_clients.is_empty() {
        config
    } else {
        let mut clients = Vec::new();
        for client in &args.abdm_clients {
            // split at the first `:`; the message never repeats the value (it holds a secret)
            let Some((id, secret)) = client.split_once(':') else {
                return Err(CliError::usage(
                    "--abdm-client: expected ID:SECRET (e.g. SBX_000123:s3cret)",
                ));
            };
            clients.push((id.to_owned(), secret.to_owned()));
        }
        SandboxConfig {
            abdm_clients: clients,
            ..config
        }
    };
    // most flags were checked one by one while parsing; this checks the secrets (clap would
    // repeat a rejected value) and what needs several flags
    config.validate().map_err(|e| match e {
        hpr_sandbox::Error::InvalidConfig { setting, .. } => {
            CliError::usage(format!("{}: {e}", flag_of(setting)))
        }
        other => CliError::usage(other.to_string()),
    })?;
    Ok(config)
}

/// The flag that sets a [`SandboxConfig`] field, for messages.
fn flag_of(setting: &str) -> &'static str {
    match setting {
        "fixed_otp" => "--fixed-otp",
        "fault_rate" => "--fault-rate",
        "faults" => "--faults",
        "max_otp_attempts" => "--max-otp-attempts",
        "api_keys" => "--api-key",
        "otp_ttl" => "--otp-ttl-secs",
        "txn_ttl" => "--txn-ttl-secs",
        "max_transactions" => "--max-transactions",
        "resend_interval" => "--resend-interval-secs",
        "latency" => "--latency-ms",
        "header_timeout" => "--header-timeout-secs",
        "max_connections" => "--max-connections",
        "admin_token" => "--admin-token",
        "abdm_clients" => "--abdm-client",
        "abdm_token_ttl" => "--abdm-token-ttl-secs",
        _ => "hpr sandbox",
    }
}

/// Reads `--identities FILE`: a JSON array of identity objects, each checked with the field rules.
/// Messages give the JSON path and position of a problem, never the rejected value.
fn load_identities(path: &Path) -> Result<Vec<Identity>, CliError> {
    let flag = format!("--identities {}", path.display());
    let bytes =
        std::fs::read(path).map_err(|e| CliError::usage(format!("{flag}: cannot read: {e}")))?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let identities: Vec<Identity> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let message = without_values(&e.into_inner().to_string());
        CliError::usage(format!(
            "{flag}: not a JSON array of identities: {message} (at {at})"
        ))
    })?;
    de.end()
        .map_err(|e| CliError::usage(format!("{flag}: not a JSON array of identities: {e}")))?;
    for (i, identity) in identities.iter().enumerate() {
        identity.clone().normalized().map_err(|problems| {
            let problems: Vec<String> = problems.into_iter().map(|p| p.to_string()).collect();
            CliError::usage(format!("{flag}: identity [{i}]: {}", problems.join("; ")))
        })?;
    }
    Ok(identities)
}

/// Checks `--state FILE` before serving: an existing file must be a sandbox state, and the
/// folder must exist (the file is written there).
fn check_state_file(path: &Path) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "--state {}: folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    persist::load(path).map_err(|e| CliError::usage(format!("--state: {e}")))?;
    Ok(())
}

/// Serves until a stop signal, then shuts down gracefully (writing the state file).
async fn serve(sandbox: Sandbox, addr: SocketAddr) -> Result<ExitStatus, CliError> {
    // installed before announcing, so a signal right after the line is not lost
    let mut signals = StopSignals::install()
        .map_err(|e| CliError::failure(format!("cannot handle signals: {e}")))?;
    let handle = sandbox.clone();
    let mut running = sandbox
        .start(addr)
        .await
        .map_err(|e| CliError::usage(format!("--addr: {e}")))?;

    let mut stdout = std::io::stdout().lock();
    // the sandbox's own test credentials, printed on purpose: they unlock nothing real
    let (client_id, client_secret) = running
        .config()
        .abdm_clients
        .first()
        .cloned()
        .unwrap_or_default();
    writeln!(
        stdout,
        "hpr sandbox: listening on {} (seed {})",
        running.base_url(),
        running.seed()
    )
    .and_then(|()| {
        writeln!(
            stdout,
            "hpr sandbox: abdm HPR_ABDM_HPR_URL={} HPR_ABDM_GATEWAY_URL={} \
             HPR_ABDM_CLIENT_ID={client_id} HPR_ABDM_CLIENT_SECRET={client_secret}",
            running.abdm_hpr_url(),
            running.abdm_gateway_url(),
        )
    })
    .and_then(|()| stdout.flush())
    .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))?;
    drop(stdout);
    if std::io::stderr().is_terminal() {
        eprintln!("hpr sandbox: press Ctrl-C to stop");
    }

    let signal = tokio::select! {
        signal = signals.next() => signal,
        result = running.wait() => {
            save_state(&handle);
            let why = match result {
                Ok(()) => "no error".to_owned(),
                Err(e) => e.to_string(),
            };
            return Err(CliError::failure(format!("the sandbox server stopped unexpectedly: {why}")));
        }
    };
    tracing::info!(signal, "stopping the sandbox");
    tokio::select! {
        () = running.shutdown() => Ok(ExitStatus::Success),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            eprintln!(
                "warning: requests still in flight after {} s; stopping without them",
                SHUTDOWN_GRACE.as_secs()
            );
            save_state(&handle);
            Ok(ExitStatus::Success)
        }
        _ = signals.next() => {
            eprintln!("hpr sandbox: stopping now");
            save_state(&handle);
            Ok(ExitStatus::Interrupted)
        }
    }
}

/// Compacts the state file (if any) when the graceful shutdown could not: every answered change
/// is in its journal already, this leaves the snapshot alone.
fn save_state(sandbox: &Sandbox) {
    if let Err(e) = sandbox.save_state() {
        eprintln!("error: --state: {e}");
    }
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts catching the signals (from now on they no longer kill the process).
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for the next signal and names it.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                Some(()) = self.interrupt.recv() => "SIGINT",
                Some(()) = self.terminate.recv() => "SIGTERM",
                else => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                Err(_) => std::future::pending().await,
            }
        }
    }
}
