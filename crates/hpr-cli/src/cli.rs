//! The command line: flags, help texts and examples (clap derive).
//!
//! To add a subcommand: add a variant to [`Command`] with its `Args` struct here, a module in
//! `commands/`, and a match arm in `commands::run`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, value_parser};
use hpr_sandbox::FaultKind;

/// Examples and exit codes for `hpr --help`.
const MAIN_AFTER_HELP: &str = "\
Examples:
  # a local gateway on http://127.0.0.1:8080 that always sends OTP 123456
  hpr sandbox --seed 42 --fixed-otp 123456

  # help for one command
  hpr sandbox --help

Exit codes:
  0    success (`hpr sandbox`: stopped with Ctrl-C or SIGTERM)
  1    failure while running
  2    invalid input or usage (bad flag or value, unreadable or invalid file, address in use)
  130  interrupted (a second Ctrl-C while `hpr sandbox` is still stopping)

Logs go to stderr: -v info, -vv debug, -vvv trace; RUST_LOG directives apply on top.";

/// Examples and exit codes for `hpr sandbox --help`.
const SANDBOX_AFTER_HELP: &str = "\
Examples:
  # reproducible run on the default address; OTPs are printed as [sms] lines
  hpr sandbox --seed 42

  # any free port; every OTP is 123456; only the key `test-key` is accepted
  hpr sandbox --addr 127.0.0.1:0 --fixed-otp 123456 --api-key test-key

  # keep accounts across restarts, seed known people from a file
  hpr sandbox --state sandbox-state.json --identities people.json

  # a flaky gateway: 300 ms latency, 1 request in 5 answers 503 or resets
  hpr sandbox --latency-ms 300 --fault-rate 0.2 --faults 503,reset

Stdout gets one line `hpr sandbox: listening on http://ADDR (seed S)`, then one
`[sms] ...` line per OTP sent (unless --quiet-sms). The admin API lives under
/_sandbox/ (health, otp/{txnId}, identities, requests, reset).

--identities FILE is a JSON array of objects with the keys aadhaar, mobile, name,
firstName, middleName, lastName, gender, yearOfBirth, monthOfBirth, dayOfBirth,
address, pincode, stateCode, stateName, districtCode, districtName, photo.

Exit codes:
  0    stopped with Ctrl-C or SIGTERM (the state file, if any, is written)
  1    the server failed while running
  2    invalid flag or value, unreadable or invalid file, address in use
  130  a second Ctrl-C or SIGTERM while still stopping";

/// Command-line tools for India's ABDM Healthcare Professional Registry (HPR).
#[derive(Debug, Parser)]
#[command(name = "hpr", version, after_help = MAIN_AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// More logs on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a local, offline simulator of the HPR registration gateway.
    ///
    /// Every Aadhaar number that passes the field rules is accepted; OTPs are "sent" as fake
    /// SMS lines on stdout. No credentials, no network.
    #[command(after_help = SANDBOX_AFTER_HELP)]
    Sandbox(SandboxArgs),
}

/// Flags of `hpr sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on: IP:PORT, localhost:PORT or a bare PORT (port 0 picks a free one).
    /// A non-loopback address exposes the sandbox to the network (a warning is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    pub addr: SocketAddr,

    /// Seed for derived identities, OTPs and IDs [default: random, printed at start].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,

    /// Send this 6-digit OTP every time instead of a random one.
    #[arg(long, value_name = "OTP", value_parser = parse_otp)]
    pub fixed_otp: Option<String>,

    /// OTP lifetime, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = value_parser!(u64).range(1..))]
    pub otp_ttl_secs: u64,

    /// Transaction lifetime, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = value_parser!(u64).range(1..))]
    pub txn_ttl_secs: u64,

    /// Wrong OTPs allowed before a transaction is locked.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = value_parser!(u32).range(1..))]
    pub max_otp_attempts: u32,

    /// Minimum time between two OTPs for the same Aadhaar number or transaction, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub resend_interval_secs: u64,

    /// Accept only this API key (repeat, or separate with commas, for several)
    /// [default: any non-empty bearer key].
    #[arg(
        long = "api-key",
        value_name = "KEY",
        env = "HPR_SANDBOX_API_KEYS",
        hide_env_values = true,
        value_delimiter = ',',
        value_parser = parse_api_key
    )]
    pub api_keys: Vec<String>,

    /// Known people: a JSON array of identity objects (keys listed below).
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,

    /// Keep seeded identities and created accounts in this JSON file across restarts
    /// (read at start, written as things change and at shutdown).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Latency added to every gateway request, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = value_parser!(u64).range(0..=600_000))]
    pub latency_ms: u64,

    /// Probability (0.0 to 1.0) that a gateway request gets an injected fault.
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_fault_rate)]
    pub fault_rate: f64,

    /// Faults to draw from when --fault-rate fires: 500, 503, timeout, reset, malformed
    /// [default: all].
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = parse_fault)]
    pub faults: Vec<FaultKind>,

    /// Do not print the fake SMS lines (OTPs stay readable through the admin API).
    #[arg(
        long,
        help = "Do not print [sms] lines (OTPs stay readable at GET /_sandbox/otp/{txnId})"
    )]
    pub quiet_sms: bool,
}

/// `IP:PORT`, `[IPv6]:PORT`, `localhost:PORT` (IPv4 loopback) or a bare `PORT` (IPv4 loopback).
fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let port = s
        .strip_prefix("localhost:")
        .unwrap_or(s)
        .parse::<u16>()
        .map_err(|_| "expected IP:PORT (e.g. 127.0.0.1:8080), localhost:PORT or PORT".to_owned())?;
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

/// Exactly six ASCII digits.
fn parse_otp(s: &str) -> Result<String, String> {
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("must be exactly 6 digits".to_owned())
    }
}

/// A non-blank key (the message never repeats the key).
fn parse_api_key(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("an API key must not be empty".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// A probability: a finite number from 0.0 to 1.0.
fn parse_fault_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err("must be a number from 0.0 to 1.0".to_owned()),
    }
}

/// One fault name.
fn parse_fault(s: &str) -> Result<FaultKind, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("127.0.0.1:0").unwrap(),
            "127.0.0.1:0".parse().unwrap()
        );
        assert_eq!(parse_addr("[::1]:80").unwrap(), "[::1]:80".parse().unwrap());
        assert_eq!(
            parse_addr("localhost:9000").unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert_eq!(
            parse_addr("9000").unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        assert!(parse_addr("example.org:80").is_err());
        assert!(parse_addr("127.0.0.1").is_err());
        assert!(parse_addr("70000").is_err());
    }

    #[test]
    fn values() {
        assert!(parse_otp("123456").is_ok());
        assert!(parse_otp("12345").is_err());
        assert!(parse_otp("12345x").is_err());
        assert_eq!(parse_fault_rate("0.25"), Ok(0.25));
        assert_eq!(parse_fault_rate("1"), Ok(1.0));
        assert!(parse_fault_rate("2").is_err());
        assert!(parse_fault_rate("-0.1").is_err());
        assert!(parse_fault_rate("NaN").is_err());
        assert!(parse_api_key("  ").is_err());
        assert_eq!(parse_fault("TIMEOUT"), Ok(FaultKind::Timeout));
        assert!(parse_fault("bogus").is_err());
    }

    #[test]
    fn faults_split_on_commas_and_repeat() {
        let cli = Cli::try_parse_from([
            "hpr",
            "sandbox",
            "--faults",
            "500,timeout",
            "--faults",
            "reset",
        ])
        .unwrap();
        let Command::Sandbox(args) = cli.command;
        assert_eq!(
            args.faults,
            [FaultKind::Status500, FaultKind::Timeout, FaultKind::Reset]
        );
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["hpr", "sandbox"]).unwrap();
        let Command::Sandbox(args) = cli.command;
        assert_eq!(args.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.otp_ttl_secs, 600);
        assert_eq!(args.txn_ttl_secs, 1800);
        assert_eq!(args.max_otp_attempts, 3);
        assert_eq!(args.resend_interval_secs, 30);
        assert_eq!(args.fault_rate, 0.0);
        assert!(args.faults.is_empty() && !args.quiet_sms && args.seed.is_none());
    }
}
