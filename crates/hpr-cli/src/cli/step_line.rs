//! The quick parser of `hpr step …` command lines.
//!
//! `hpr step` runs once per step of a scripted registration, so its start-up is what a script
//! waits for. Building clap's command for the step's flags costs more than the rest of the run
//! together in user space (about 140,000 instructions and 16 freshly touched pages of memory), so
//! a line in the common shapes is read here instead:
//!
//! - `step` first, then the step id (once, not starting with `-`) and the step's flags in any
//!   order, each at most once, as `--flag VALUE` or `--flag=VALUE`, with a non-empty value that
//!   does not start with `-` (`-` alone, stdin for `--payload`, is a value);
//! - `-v`, `-vv`, … and `--verbose`, counted;
//! - a flag left out takes its environment variable, as clap does.
//!
//! Anything else — help, version, `--`, an unknown or repeated flag, a value out of range, a
//! missing `--state`, a non-UTF-8 word, an empty or non-UTF-8 environment value — is not
//! handled here: [`parse`] returns `None` and the whole command tree parses the line, so every
//! message and exit code is clap's. A unit test runs thousands of command lines through both
//! parsers and checks that whatever this one accepts, clap accepts with the same result.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{AbdmArgs, BackendArgs, BackendKind, Cli, Command, StepArgs, TIMEOUT_SECS, env as var};

/// The step's flags that take a value (the long names, without `--`).
const VALUE_FLAGS: [&str; 15] = [
    "payload",
    "state",
    "backend",
    "api-url",
    "api-key",
    "hprid-auth",
    "facility-id",
    "timeout-secs",
    "abdm-client-id",
    "abdm-client-secret",
    "abdm-env",
    "abdm-hpr-url",
    "abdm-gateway-url",
    "abdm-session-api",
    "abdm-encrypt",
];

/// `hpr step …` (`args` as `std::env::args_os` gives them, program first) in one of the shapes
/// above; `None` for another subcommand or anything clap should read.
pub(super) fn parse(args: &[OsString]) -> Option<Cli> {
    parse_with(args, |name| std::env::var_os(name))
}

/// [`parse`] with the environment given as a lookup (tests pass their own).
pub(super) fn parse_with(args: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Option<Cli> {
    let (_program, rest) = args.split_first()?;
    let (first, rest) = rest.split_first()?;
    if first != "step" {
        return None;
    }
    let mut verbose: u8 = 0;
    let mut step = None;
    let mut values: [Option<String>; VALUE_FLAGS.len()] = Default::default();
    let mut words = rest.iter();
    while let Some(word) = words.next() {
        let word = word.to_str()?;
        if let Some(flag) = word.strip_prefix("--") {
            if flag == "verbose" {
                verbose = verbose.checked_add(1)?;
                continue;
            }
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (flag, None),
            };
            let slot = VALUE_FLAGS.iter().position(|f| *f == name)?;
            let value = match inline {
                Some(value) => value,
                None => words.next()?.to_str()?,
            };
            if values[slot].is_some() || !is_plain_value(value) {
                return None;
            }
            values[slot] = Some(value.to_owned());
        } else if let Some(vs) = word.strip_prefix('-').filter(|w| !w.is_empty()) {
            // only -v, -vv, …: every other short flag (-h, -V) is clap's
            if !vs.bytes().all(|b| b == b'v') {
                return None;
            }
            verbose = verbose.checked_add(u8::try_from(vs.len()).ok()?)?;
        } else if step.is_none() && word != "-" {
            step = Some(word.to_owned());
        } else {
            return None;
        }
    }
    let [
        payload,
        state,
        backend,
        api_url,
        api_key,
        hprid_auth,
        facility_id,
        timeout_secs,
        abdm_client_id,
        abdm_client_secret,
        abdm_env,
        abdm_hpr_url,
        abdm_gateway_url,
        abdm_session_api,
        abdm_encrypt,
    ] = values;
    // a flag left out takes its variable; an empty or non-UTF-8 one is left to clap
    let or_env = |value: Option<String>, name: &str| -> Option<Option<String>> {
        match value {
            Some(value) => Some(Some(value)),
            None => match env(name) {
                None => Some(None),
                Some(v) if v.is_empty() => None,
                Some(v) => v.into_string().ok().map(Some),
            },
        }
    };
    let backend = match or_env(backend, var::BACKEND)? {
        None => None,
        Some(name) => Some(backend_kind(&name)?),
    };
    let timeout_secs = match timeout_secs {
        None => None,
        Some(secs) => Some(timeout(&secs)?),
    };
    Some(Cli {
        verbose,
        command: Command::Step(StepArgs {
            step: step?,
            payload,
            state: PathBuf::from(state?),
            backend: BackendArgs {
                backend,
                api_url: or_env(api_url, var::API_URL)?,
                api_key: or_env(api_key, var::API_KEY)?,
                hprid_auth: or_env(hprid_auth, var::HPRID_AUTH)?,
                facility_id: or_env(facility_id, var::FACILITY_ID)?,
                timeout_secs,
                abdm: AbdmArgs {
                    abdm_client_id: or_env(abdm_client_id, var::ABDM_CLIENT_ID)?,
                    abdm_client_secret: or_env(abdm_client_secret, var::ABDM_CLIENT_SECRET)?,
                    abdm_env: or_env(abdm_env, var::ABDM_ENV)?,
                    abdm_hpr_url: or_env(abdm_hpr_url, var::ABDM_HPR_URL)?,
                    abdm_gateway_url: or_env(abdm_gateway_url, var::ABDM_GATEWAY_URL)?,
                    abdm_session_api: or_env(abdm_session_api, var::ABDM_SESSION_API)?,
                    abdm_encrypt: or_env(abdm_encrypt, var::ABDM_ENCRYPT)?,
                },
            },
        }),
    })
}

/// A value clap reads as it is: not empty, and not something that looks like a flag (`-`
/// alone is a value).
fn is_plain_value(value: &str) -> bool {
    !value.is_empty() && (value == "-" || !value.starts_with('-'))
}

/// `--backend` / `HPR_BACKEND` by clap's own value names (case-sensitive, as clap reads them).
fn backend_kind(name: &str) -> Option<BackendKind> {
    clap::ValueEnum::from_str(name, false).ok()
}

/// `--timeout-secs`: digits only, within clap's range.
fn timeout(secs: &str) -> Option<u64> {
    if !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    secs.parse().ok().filter(|s| TIMEOUT_SECS.contains(s))
}
