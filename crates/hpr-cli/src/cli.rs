//! The command line: flags, help texts and examples (clap derive).
//!
//! To add a subcommand: add a variant to [`Command`] with its `Args` struct here, a module in
//! `commands/`, and a match arm in `commands::run`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use abdm_hpr::abdm::FieldModes;
use clap::{Args, Parser, Subcommand, value_parser};
use hpr_sandbox::FaultKind;

mod step_line;

/// The environment variables of the client flags ([`BackendArgs`]), read by clap and by
/// [`step_line`] alike.
mod env {
    pub const BACKEND: &str = "HPR_BACKEND";
    pub const API_URL: &str = "HPR_API_URL";
    pub const API_KEY: &str = "HPR_API_KEY";
    pub const HPRID_AUTH: &str = "HPR_HPRID_AUTH";
    pub const FACILITY_ID: &str = "HPR_FACILITY_ID";
    pub const ABDM_CLIENT_ID: &str = "HPR_ABDM_CLIENT_ID";
    pub const ABDM_CLIENT_SECRET: &str = "HPR_ABDM_CLIENT_SECRET";
    pub const ABDM_ENV: &str = "HPR_ABDM_ENV";
    pub const ABDM_HPR_URL: &str = "HPR_ABDM_HPR_URL";
    pub const ABDM_GATEWAY_URL: &str = "HPR_ABDM_GATEWAY_URL";
    pub const ABDM_SESSION_API: &str = "HPR_ABDM_SESSION_API";
    pub const ABDM_ENCRYPT: &str = "HPR_ABDM_ENCRYPT";
}

/// The values `--timeout-secs` accepts (clap's range, also checked by [`step_line`]).
const TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 1..=3600;

/// Examples and exit codes for `hpr --help`.
const MAIN_AFTER_HELP: &str = "\
Examples:
  # register someone interactively on an embedded offline sandbox (no set-up)
  hpr register

  # a local gateway on http://127.0.0.1:8080 that always sends OTP 123456
  hpr sandbox --seed 42 --fixed-otp 123456

  # one step of a scripted registration against it (see hpr step --help)
  HPR_API_URL=http://127.0.0.1:8080 HPR_API_KEY=dev \\
    hpr step generate_aadhaar_otp --payload '{\"aadhaar\":\"234123412346\"}' --state s.json

  # straight to ABDM with your own client ID and secret (or the `abdm` line `hpr sandbox` prints)
  HPR_BACKEND=abdm HPR_ABDM_CLIENT_ID=SBX_000123 HPR_ABDM_CLIENT_SECRET=... \
    hpr step generate_aadhaar_otp --payload '{\"aadhaar\":\"234123412346\"}' --state s.json

Configuration of `hpr step`, `hpr register` and `hpr serve`: their flags (--backend,
--api-url, --api-key, --hprid-auth, --facility-id, --timeout-secs, --abdm-*) > environment
(HPR_BACKEND, HPR_API_URL, HPR_API_KEY, HPR_HPRID_AUTH, HPR_FACILITY_ID, HPR_ABDM_CLIENT_ID,
HPR_ABDM_CLIENT_SECRET, HPR_ABDM_ENV, HPR_ABDM_HPR_URL, HPR_ABDM_GATEWAY_URL,
HPR_ABDM_SESSION_API, HPR_ABDM_ENCRYPT) > defaults.

Exit codes:
  0    success (`hpr sandbox`: stopped with Ctrl-C or SIGTERM)
  1    failure while running
  2    invalid input or usage (a field breaking a rule, bad flag or value, missing
       configuration, unreadable or invalid file, address in use)
  3    refused by the registry (API error, or ABDM's gateway refused the credentials)
  4    network failure or timeout
  5    step not allowed now (registration flow order)
  6    conflict: another `hpr step` is running on the same state file
  130  interrupted (Ctrl-C)

Logs go to stderr: -v info, -vv debug, -vvv trace; RUST_LOG directives apply on top.";

/// Examples for `hpr register --help`.
const REGISTER_AFTER_HELP: &str = "\
Examples:
  # the wizard on an embedded offline sandbox (OTPs are shown on screen)
  hpr register

  # the same embedded sandbox screens every run (same seed, same answers)
  hpr register --sandbox-seed 42 --sandbox-fixed-otp 123456

  # the wizard against a gateway
  HPR_API_URL=https://gateway.example HPR_API_KEY=... hpr register

Needs a terminal (stdin and stderr); the result card goes to stdout, so `> card.txt` works.
Exit codes: 0 registered (or already registered), 2 invalid input or configuration or no
terminal, 3 refused by the registry, 4 network or timeout, 130 interrupted (Ctrl-C) or quit.";

/// Examples for `hpr serve --help`.
const SERVE_AFTER_HELP: &str = "\
Examples:
  # a key for the first client (printed once), then the service on an embedded sandbox
  hpr serve keys create --name emr
  hpr serve --sandbox-fixed-otp 123456

  # start a registration (see the README's \"Service\" section for all eight steps)
  curl -s -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \\
    -d '{\"aadhaar\":\"234123412346\"}' http://127.0.0.1:8080/v1/registrations

  # replicas: several processes on one Postgres, a real gateway as the registry
  HPR_API_URL=https://gateway.example HPR_API_KEY=... \\
    hpr serve --backend gateway --database postgres://hpr@db.internal/hpr

  # straight to ABDM's sandbox with the client ID and secret NHA issued
  HPR_ABDM_CLIENT_ID=SBX_000123 HPR_ABDM_CLIENT_SECRET=... hpr serve --backend abdm

  # straight to ABDM's sandbox with the client ID and secret NHA issued
  HPR_ABDM_CLIENT_ID=SBX_000123 HPR_ABDM_CLIENT_SECRET=... hpr serve --backend abdm

The API is described by GET /openapi.json; /healthz, /readyz and /metrics (Prometheus)
need no key. Professionals register in a browser at /register: open to anyone on the
embedded sandbox, otherwise through a link made with POST /v1/registrations/links. Stdout carries one line, `hpr serve: listening on http://ADDR` (then the
embedded sandbox's [sms] lines); logs go to stderr (--log-format json for machines).
SIGTERM or Ctrl-C stops it gracefully: steps in flight finish, then it exits 0.
Exit codes: 0 stopped, 1 failure while serving, 2 invalid flag, configuration,
database URL or address in use.";

/// Examples for `hpr step --help`.
const STEP_AFTER_HELP: &str = "\
Examples (against `hpr sandbox --fixed-otp 123456` on http://127.0.0.1:8080):
  export HPR_API_URL=http://127.0.0.1:8080 HPR_API_KEY=dev
  hpr step generate_aadhaar_otp --payload '{\"aadhaar\":\"234123412346\"}' --state s.json
  hpr step verify_aadhaar_otp --payload '{\"otp\":\"123456\"}' --state s.json
  hpr step check_account_exist --state s.json
  hpr step demographic_auth_via_mobile --payload '{\"mobileNumber\":\"9876543210\"}' --state s.json
  # only when next_step says so (the mobile is not the Aadhaar-linked one):
  hpr step generate_mobile_otp --state s.json
  hpr step verify_mobile_otp --payload '{\"otp\":\"123456\"}' --state s.json
  hpr step get_hpr_id_suggestion --state s.json
  hpr step create_hpr_id_with_preverified --payload @create.json --state s.json
  # create.json: {\"hprId\",\"password\",\"email\",\"hpCategoryCode\",\"hpSubCategoryCode\"};
  # the session supplies txnId and the demographics.

Each run prints one JSON document on stdout, on one line: the step outcome
{\"message\",\"data\",\"next_step\",\"next_step_payload_hint\"} or
{\"error\":{\"kind\",\"message\",\"fields\",\"status\",\"code\",\"allowed_steps\",\"unconfirmed\"}}
(keys that do not apply are left out; kind is validation, config, api, gateway_auth,
transport, flow, conflict or interrupted). The state file is locked for the whole run and replaced only when
the step succeeds, or to record an unconfirmed step (\"unconfirmed\": true: it may have taken
effect although its answer was lost; after an unconfirmed create, check_account_exist tells).

With --backend abdm the steps go straight to ABDM (HPR_ABDM_* settings, see hpr --help);
each run opens its own ABDM session.

Exit codes: 0 ok, 2 invalid input or configuration, 3 refused by the registry,
4 network or timeout (also unconfirmed), 5 step not allowed now, 6 another run holds the
state file, 130 interrupted.";

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

  # Backend B with your own client, 10-minute tokens, the mobile number encrypted too
  hpr sandbox --abdm-client SBX_000123:s3cret --abdm-token-ttl-secs 600 \\
      --abdm-encrypt mobileNumber=pkcs1v15

Stdout gets one line `hpr sandbox: listening on http://ADDR (seed S)`, then one line
`hpr sandbox: abdm HPR_ABDM_HPR_URL=... HPR_ABDM_GATEWAY_URL=... HPR_ABDM_CLIENT_ID=...
HPR_ABDM_CLIENT_SECRET=...` (one line, ready to paste as environment), then one
`[sms] ...` line per OTP sent (unless --quiet-sms). The admin API lives under
/_sandbox/ (health, otp/{txnId}, identities, requests, accounts, reset, abdm/stats,
abdm/expire-tokens).

Backend B (ABDM's own HPR API) is served on the same port and state: sessions at
/abdm/gateway/gateway/v0.5/sessions and /abdm/gateway/api/hiecm/gateway/v3/sessions
(client credentials from --abdm-client), the 8 steps at /abdm/hpr/api/v1/registration/...
(or /v2/...) with `Authorization: Bearer <accessToken>`, and the RSA key for encrypted
fields (--abdm-encrypt) at GET /abdm/hpr/api/v1/auth/cert.

--identities FILE is a JSON array of objects with the keys aadhaar, mobile, name,
firstName, middleName, lastName, gender, yearOfBirth, monthOfBirth, dayOfBirth,
address, pincode, stateCode, stateName, districtCode, districtName, photo.

Exit codes:
  0    stopped with Ctrl-C or SIGTERM (the state file, if any, is compacted)
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

/// Parses the command line: `args` as `std::env::args_os` gives them, program name first.
///
/// A line that starts with `step` in one of its common shapes is read without building clap's
/// command tree ([`step_line`]: the start-up of `hpr step` is what a scripted registration waits
/// for); anything else, and anything that parser leaves alone (help, version, a typo, a missing
/// flag), is parsed by the whole tree, so messages and exit codes are always clap's.
pub fn parse_from(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    if let Some(cli) = step_line::parse(&args) {
        return Ok(cli);
    }
    Cli::try_parse_from(args)
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

    /// Register a healthcare professional interactively (a guided wizard).
    ///
    /// With no --api-url / HPR_API_URL it runs against an embedded offline sandbox and shows each
    /// fake SMS OTP on screen, so a first registration takes a minute.
    #[command(after_help = REGISTER_AFTER_HELP)]
    Register(RegisterArgs),

    /// Run one registration step and print its outcome as JSON (for scripts and UIs).
    #[command(after_help = STEP_AFTER_HELP)]
    Step(StepArgs),

    /// Serve the registration engine as a REST API (SQLite by default, Postgres for replicas).
    ///
    /// With no flags: an embedded offline sandbox as the registry and ./hpr.db as the database.
    /// Every /v1 request needs an API key: create one with `hpr serve keys create --name NAME`.
    #[command(after_help = SERVE_AFTER_HELP, args_conflicts_with_subcommands = true)]
    Serve(ServeArgs),

    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Where the registry is and how to authenticate: the client flags of `hpr step`, `hpr register`
/// and `hpr serve` (flags override the environment).
#[derive(Clone, Default, Args)]
pub struct BackendArgs {
    /// Which registry the steps go to: `gateway` (the HPR gateway at --api-url), `abdm` (ABDM
    /// itself, with your ABDM client ID and secret: the HPR_ABDM_* settings), or `sandbox` (an
    /// embedded offline sandbox; `hpr register` and `hpr serve` only)
    /// [default: `hpr step`: gateway; `hpr register`: gateway if --api-url is set, else sandbox;
    /// `hpr serve`: sandbox].
    #[arg(long, value_enum, value_name = "BACKEND", env = env::BACKEND)]
    pub backend: Option<BackendKind>,

    /// Base URL of the HPR gateway, e.g. http://127.0.0.1:8080 (a path prefix is kept).
    #[arg(long, value_name = "URL", env = env::API_URL)]
    pub api_url: Option<String>,

    /// API key, sent as `Authorization: Bearer <key>`.
    #[arg(
        long = "api-key",
        value_name = "KEY",
        env = env::API_KEY,
        hide_env_values = true
    )]
    pub api_key: Option<String>,

    /// Value of the `x-hprid-auth` header (sent only when set).
    #[arg(
        long,
        value_name = "VALUE",
        env = env::HPRID_AUTH,
        hide_env_values = true
    )]
    pub hprid_auth: Option<String>,

    /// Value of the `facilityid` header (sent only when set).
    #[arg(long, value_name = "ID", env = env::FACILITY_ID)]
    pub facility_id: Option<String>,

    /// Overall timeout per request, in seconds, 1 to 3600 [default: 30].
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = value_parser!(u64).range(TIMEOUT_SECS))]
    pub timeout_secs: Option<u64>,

    /// ABDM itself, for --backend abdm.
    #[command(flatten)]
    pub abdm: AbdmArgs,
}

redacted_debug!(BackendArgs { backend, api_url, facility_id, timeout_secs, abdm; api_key, hprid_auth });

/// The registries `hpr` can send steps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// An offline sandbox in this process (OTPs shown as fake SMS).
    Sandbox,
    /// The HPR gateway configured by --api-url / HPR_API_URL and --api-key / HPR_API_KEY.
    Gateway,
    /// ABDM's own HPR API, with the client ID and secret NHA issued (HPR_ABDM_*).
    Abdm,
}

/// The settings of `--backend abdm` (CONTRACT §3); each flag has an `HPR_ABDM_*` variable.
#[derive(Clone, Default, Args)]
pub struct AbdmArgs {
    /// ABDM client ID issued by NHA (e.g. SBX_000123).
    #[arg(long, value_name = "ID", env = env::ABDM_CLIENT_ID)]
    pub abdm_client_id: Option<String>,

    /// Its client secret (prefer the environment variable: flags show in process lists).
    #[arg(
        long,
        value_name = "SECRET",
        env = env::ABDM_CLIENT_SECRET,
        hide_env_values = true
    )]
    pub abdm_client_secret: Option<String>,

    /// `sandbox` or `production`: picks ABDM's hosts [default: sandbox].
    #[arg(long, value_name = "ENV", env = env::ABDM_ENV)]
    pub abdm_env: Option<String>,

    /// HPR base URL, overriding the environment's (e.g. the one `hpr sandbox` prints).
    #[arg(long, value_name = "URL", env = env::ABDM_HPR_URL)]
    pub abdm_hpr_url: Option<String>,

    /// Gateway base URL for sessions, overriding the environment's.
    #[arg(long, value_name = "URL", env = env::ABDM_GATEWAY_URL)]
    pub abdm_gateway_url: Option<String>,

    /// Session API: `v0.5` or `v3` [default: v0.5].
    #[arg(long, value_name = "VERSION", env = env::ABDM_SESSION_API)]
    pub abdm_session_api: Option<String>,

    /// Fields to encrypt and how: FIELD=MODE,… over the default password=oaep-sha1; fields
    /// aadhaar, otp, mobileNumber, mobile, email, password; modes none, pkcs1v15, oaep-sha1.
    #[arg(long, value_name = "FIELD=MODE,…", env = env::ABDM_ENCRYPT)]
    pub abdm_encrypt: Option<String>,
}

redacted_debug!(AbdmArgs { abdm_client_id, abdm_env, abdm_hpr_url, abdm_gateway_url, abdm_session_api, abdm_encrypt; abdm_client_secret });

/// Flags of `hpr register`.
#[derive(Args)]
pub struct RegisterArgs {
    /// Which registry to talk to (none: an embedded offline sandbox).
    #[command(flatten)]
    pub backend: BackendArgs,

    /// Embedded sandbox only: seed for its invented people, OTPs and IDs, so the same seed and
    /// the same answers give the same screens [default: random].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub sandbox_seed: Option<u64>,

    /// Embedded sandbox only: send this 6-digit OTP every time.
    #[arg(long, value_name = "OTP", value_parser = parse_otp)]
    pub sandbox_fixed_otp: Option<String>,
}

redacted_debug!(RegisterArgs { backend, sandbox_seed; sandbox_fixed_otp });

/// Flags of `hpr serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Manage API keys instead of serving.
    #[command(subcommand)]
    pub keys: Option<ServeCommand>,

    /// Address to listen on: IP:PORT, localhost:PORT or a bare PORT (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    pub addr: SocketAddr,

    /// The database: `sqlite:PATH` (created and migrated) or `postgres://USER:PASS@HOST/DB`.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Where registration steps go (--backend sandbox|gateway|abdm, default sandbox) and how
    /// to reach it.
    #[command(flatten)]
    pub registry: BackendArgs,

    /// Embedded sandbox only: seed for its invented people, OTPs and IDs [default: random].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub sandbox_seed: Option<u64>,

    /// Embedded sandbox only: send this 6-digit OTP every time.
    #[arg(long, value_name = "OTP", value_parser = parse_otp)]
    pub sandbox_fixed_otp: Option<String>,

    /// Embedded sandbox only: do not print `[sms]` lines (with --sandbox-fixed-otp the OTP is
    /// known anyway).
    #[arg(long)]
    pub sandbox_quiet_sms: bool,

    /// Minutes a registration is kept after its last step (sliding), 1 to 10080.
    #[arg(long, value_name = "MINS", default_value_t = 30, value_parser = value_parser!(u64).range(1..=10_080))]
    pub session_ttl_mins: u64,

    /// Requests per minute per API key (0: unlimited); over it, 429 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub rate_limit_per_min: u32,

    /// Largest request body accepted, in bytes (1024 to 1048576); larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = 65_536, value_parser = value_parser!(u64).range(1024..=1_048_576))]
    pub body_limit_bytes: u64,

    /// A request answers within this many seconds (5 to 600), else 504; a step keeps running
    /// and is saved.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = value_parser!(u64).range(5..=600))]
    pub request_timeout_secs: u64,

    /// Seconds one step may hold its registration (1 to 3600) before another replica may run
    /// it; for tests of crashed replicas.
    #[arg(long, value_name = "SECS", hide = true, value_parser = value_parser!(u64).range(1..=3600))]
    pub claim_ttl_secs: Option<u64>,

    /// Allow browser calls from this origin (CORS), e.g. `https://emr.example`; repeatable.
    /// CORS is off without it.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = parse_origin)]
    pub cors_origins: Vec<String>,

    /// Log lines on stderr as text or as JSON objects (one per line).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

redacted_debug!(ServeArgs { keys, addr, database, registry, sandbox_seed, sandbox_quiet_sms, session_ttl_mins, rate_limit_per_min, body_limit_bytes, request_timeout_secs, claim_ttl_secs, cors_origins, log_format; sandbox_fixed_otp });

/// `--database`, shared by `hpr serve` and its `keys` commands.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// The database: `sqlite:PATH` (created and migrated) or `postgres://USER:PASS@HOST/DB`.
    #[arg(
        long = "database",
        value_name = "URL",
        env = "HPR_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite:hpr.db"
    )]
    pub url: String,
}

redacted_debug!(DatabaseArgs { ; url });

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `hpr serve keys …`.
#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Manage the API keys clients send as `Authorization: Bearer KEY`.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `hpr serve keys create|list|revoke`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it once on stdout (only its hash is stored).
    Create {
        /// A name for the key (1 to 64 of A-Z a-z 0-9 . _ -), e.g. the client's name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Whose registrations it reaches [default: the name]; keys of one tenant share them.
        #[arg(long, value_name = "TENANT")]
        tenant: Option<String>,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the keys (name, tenant, created, revoked) as tab-separated lines.
    List {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a key: requests with it get 401 from then on.
    Revoke {
        /// The key's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Flags of `hpr step`.
#[derive(Args)]
pub struct StepArgs {
    /// The step id, e.g. generate_aadhaar_otp, verify_aadhaar_otp (UPPER_CASE accepted).
    #[arg(value_name = "STEP")]
    pub step: String,

    /// The step's fields as JSON: inline, @FILE, or - for stdin. Fields the session already
    /// knows (txnId, demographics, the mobile) may be omitted.
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub payload: Option<String>,

    /// The session file: created by generate_aadhaar_otp; every step appends the new version as
    /// one JSON line (mode 0600; the last line is the session). It never holds an OTP, a
    /// password or the full Aadhaar number.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,

    /// Which registry to talk to.
    #[command(flatten)]
    pub backend: BackendArgs,
}

redacted_debug!(StepArgs { step, state, backend; payload });

/// Flags of `hpr completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_name = "SHELL")]
    pub shell: String,
}

/// Flags of `hpr sandbox`.
#[derive(Args)]
pub struct SandboxArgs {
    /// Address to listen on: IP:PORT, localhost:PORT or a bare PORT (port 0 picks a free one).
    /// A non-loopback address exposes the sandbox to the network (a warning is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    pub addr: SocketAddr,

    /// Seed for derived identities, OTPs and IDs [default: random, printed at start].
    #[arg(long, allow_negative_numbers = true, value_name = "S")]
    pub seed: Option<u64>,

    /// Send this 6-digit OTP every time instead of a random one.
    #[arg(long, value_name = "OTP", value_parser = parse_otp)]
    pub fixed_otp: Option<String>,

    /// OTP lifetime, in seconds.
    #[arg(long, allow_negative_numbers = true, value_name = "SECS", default_value_t = 600, value_parser = value_parser!(u64).range(1..=MAX_SECS))]
    pub otp_ttl_secs: u64,

    /// Transaction lifetime, in seconds.
    #[arg(long, allow_negative_numbers = true, value_name = "SECS", default_value_t = 1800, value_parser = value_parser!(u64).range(1..=MAX_SECS))]
    pub txn_ttl_secs: u64,

    /// Most live transactions at once; past it a new Aadhaar OTP gets 429 with Retry-After
    /// until the earliest transaction expires.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 1_000_000, value_parser = value_parser!(u64).range(1..=100_000_000))]
    pub max_transactions: u64,

    /// Wrong OTPs allowed before a transaction is locked.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 3, value_parser = value_parser!(u32).range(1..))]
    pub max_otp_attempts: u32,

    /// Minimum time between two OTPs for the same Aadhaar number or transaction, in seconds.
    #[arg(long, allow_negative_numbers = true, value_name = "SECS", default_value_t = 30, value_parser = value_parser!(u64).range(..=MAX_SECS))]
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

    /// Keep seeded identities and created accounts in this JSON file across restarts: every
    /// change is synced to FILE.journal before it is answered; FILE is rewritten from it when the
    /// journal grows, at start and at shutdown.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Latency added to every gateway request, in milliseconds.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 0, value_parser = value_parser!(u64).range(0..=600_000))]
    pub latency_ms: u64,

    /// Probability (0.0 to 1.0) that a gateway request gets an injected fault.
    #[arg(long, allow_negative_numbers = true, value_name = "RATE", default_value_t = 0.0, value_parser = parse_fault_rate)]
    pub fault_rate: f64,

    /// Faults to draw from when --fault-rate fires: 500, 503, timeout, reset, malformed,
    /// lost-answer (the request takes effect, its answer is dropped) [default: all].
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = parse_fault)]
    pub faults: Vec<FaultKind>,

    /// Do not print the fake SMS lines (OTPs stay readable through the admin API).
    #[arg(
        long,
        help = "Do not print [sms] lines (OTPs stay readable at GET /_sandbox/otp/{txnId})"
    )]
    pub quiet_sms: bool,

    /// Seconds a client has to send a request's head, and again its body; stalled connections,
    /// and idle keep-alive ones, are closed after this long.
    #[arg(long, allow_negative_numbers = true, value_name = "SECS", default_value_t = 10, value_parser = value_parser!(u64).range(1..=MAX_HEADER_TIMEOUT_SECS))]
    pub header_timeout_secs: u64,

    /// Connections served at once; past it a new connection gets 503 and is closed.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = 1024, value_parser = value_parser!(u64).range(1..=MAX_CONNECTIONS))]
    pub max_connections: u64,

    /// Require the header `x-sandbox-admin-token: TOKEN` on the admin API (/_sandbox/, except
    /// GET /_sandbox/health) [default: no token; the admin API still answers loopback tools only].
    #[arg(
        long,
        value_name = "TOKEN",
        env = "HPR_SANDBOX_ADMIN_TOKEN",
        hide_env_values = true
    )]
    // checked with the other settings, not by clap: clap's errors repeat the rejected value
    pub admin_token: Option<String>,

    /// Backend B: a client ID and secret its session endpoints accept (repeat for several; the
    /// first is printed at start) [default: SBX_HPR_SANDBOX:sandbox-secret].
    // split and checked with the other settings, not by clap: clap's errors repeat the value
    #[arg(long = "abdm-client", value_name = "ID:SECRET")]
    pub abdm_clients: Vec<String>,

    /// Backend B: access-token lifetime in seconds (the sessions' expiresIn), 1 to 86400.
    #[arg(long, allow_negative_numbers = true, value_name = "SECS", default_value_t = DEFAULT_ABDM_TOKEN_TTL_SECS, value_parser = value_parser!(u64).range(1..=MAX_ABDM_TOKEN_TTL_SECS))]
    pub abdm_token_ttl_secs: u64,

    /// Backend B: request fields that must arrive RSA-encrypted with the key from
    /// /abdm/hpr/api/v1/auth/cert, as FIELD=MODE,... over the default (fields: aadhaar, otp,
    /// mobileNumber, mobile, email, password; modes: none, pkcs1v15, oaep-sha1).
    #[arg(long, value_name = "FIELD=MODE,...", default_value = "password=oaep-sha1", value_parser = parse_field_modes)]
    pub abdm_encrypt: FieldModes,
}

redacted_debug!(SandboxArgs { addr, seed, otp_ttl_secs, txn_ttl_secs, max_transactions, max_otp_attempts, resend_interval_secs, identities, state, latency_ms, fault_rate, faults, quiet_sms, header_timeout_secs, max_connections, abdm_token_ttl_secs, abdm_encrypt; fixed_otp, api_keys, admin_token, abdm_clients });

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
/// `--cors-origin`: `http(s)://host[:port]`, no path.
fn parse_origin(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.contains('/')
                && host.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(s.to_owned())
        }
        _ => Err(
            "an origin is http(s)://HOST[:PORT] with no path, e.g. https://emr.example".to_owned(),
        ),
    }
}

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

/// Longest lifetime or interval the sandbox accepts (100 years): larger values would overflow its
/// clock arithmetic.
const MAX_SECS: u64 = hpr_sandbox::config::MAX_DURATION.as_secs();

/// Longest header/body timeout the sandbox accepts (one day).
const MAX_HEADER_TIMEOUT_SECS: u64 = hpr_sandbox::config::MAX_HEADER_TIMEOUT.as_secs();

/// Most connections the sandbox serves at once.
const MAX_CONNECTIONS: u64 = hpr_sandbox::config::MAX_CONNECTIONS as u64;

/// Default of `--abdm-token-ttl-secs`.
const DEFAULT_ABDM_TOKEN_TTL_SECS: u64 = hpr_sandbox::DEFAULT_ABDM_TOKEN_TTL.as_secs();

/// Longest `--abdm-token-ttl-secs` (one day).
const MAX_ABDM_TOKEN_TTL_SECS: u64 = hpr_sandbox::MAX_ABDM_TOKEN_TTL.as_secs();

/// `FIELD=MODE,...` over the default modes.
fn parse_field_modes(s: &str) -> Result<FieldModes, String> {
    FieldModes::parse_over_defaults(s)
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
    s.parse().map_err(|e: hpr_sandbox::Error| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    /// The values `Debug` hides of an `hpr step` command line.
    fn step_secrets(cli: &Cli) -> Option<[Option<&str>; 4]> {
        let Command::Step(args) = &cli.command else {
            return None;
        };
        let backend = &args.backend;
        Some([
            args.payload.as_deref(),
            backend.api_key.as_deref(),
            backend.hprid_auth.as_deref(),
            backend.abdm.abdm_client_secret.as_deref(),
        ])
    }

    /// A parsed command line, shown with `{:?}`, holds none of the secrets it was given.
    #[test]
    fn debug_output_holds_no_secret() {
        use clap::Parser as _;
        let secrets = [
            "654321",
            "s3cret-api-key",
            "hprid-auth-value",
            "abdm-client-s3cret",
            "pa55word",
            "admin-t0ken",
            "SBX_1:client-s3cret",
        ];
        let lines: [&[&str]; 4] = [
            &[
                "hpr",
                "step",
                "verify_aadhaar_otp",
                "--payload",
                r#"{"otp":"654321"}"#,
                "--state",
                "s.json",
                "--api-key",
                "s3cret-api-key",
                "--hprid-auth",
                "hprid-auth-value",
                "--abdm-client-secret",
                "abdm-client-s3cret",
            ],
            &[
                "hpr",
                "sandbox",
                "--fixed-otp",
                "654321",
                "--api-key",
                "s3cret-api-key",
                "--admin-token",
                "admin-t0ken",
                "--abdm-client",
                "SBX_1:client-s3cret",
            ],
            &[
                "hpr",
                "serve",
                "--database",
                "postgres://hpr:pa55word@127.0.0.1/hpr",
                "--sandbox-fixed-otp",
                "654321",
                "--api-key",
                "s3cret-api-key",
            ],
            &[
                "hpr",
                "register",
                "--sandbox-fixed-otp",
                "654321",
                "--abdm-client-secret",
                "abdm-client-s3cret",
            ],
        ];
        for line in lines {
            let cli = Cli::try_parse_from(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            let shown = format!("{cli:?} {cli:#?}");
            for secret in secrets {
                assert!(!shown.contains(secret), "{line:?} shows {secret}: {shown}");
            }
            assert!(shown.contains(abdm_hpr::types::mask::REDACTED), "{shown}");
        }
    }

    /// Every command line `hpr step T1 T2 T3` over a set of tokens (flags, values, help,
    /// version, typos): whatever the quick parser accepts, the whole tree accepts with the same
    /// result, and every `hpr step` line the whole tree accepts takes the quick path unless it
    /// has `--` or a `-` step id.
    #[test]
    fn the_step_parser_agrees_with_the_whole_tree() {
        use clap::FromArgMatches as _;
        let tokens = [
            "generate_aadhaar_otp",
            "--payload",
            "{}",
            "--state",
            "s.json",
            "--state=t.json",
            "-v",
            "-vv",
            "--verbose",
            "--backend",
            "abdm",
            "--timeout-secs",
            "0",
            "--help",
            "-V",
            "--",
            "--bogus",
            "help",
            "-",
            "--payload=-",
            "--backend=gateway",
            "--timeout-secs=5",
            "--verbose=1",
            "-vx",
        ];
        let mut whole_tree = Cli::command();
        let mut lines: Vec<Vec<&str>> = vec![vec![]];
        for _ in 0..3 {
            let longer: Vec<Vec<&str>> = lines
                .iter()
                .flat_map(|line| {
                    tokens.iter().map(move |t| {
                        let mut l = line.clone();
                        l.push(*t);
                        l
                    })
                })
                .collect();
            lines.extend(longer);
        }
        lines.sort();
        lines.dedup();
        let (mut quick, mut refused) = (0, 0);
        let mut left_to_clap = Vec::new();
        for tail in &lines {
            let line: Vec<std::ffi::OsString> = ["hpr", "step"]
                .iter()
                .chain(tail)
                .map(std::ffi::OsString::from)
                .collect();
            let whole = whole_tree
                .try_get_matches_from_mut(line.clone())
                .and_then(|m| Cli::from_arg_matches(&m));
            match (step_line::parse(&line), whole) {
                (Some(alone), Ok(whole)) => {
                    // Debug shows every flag but the secrets' values, compared on their own
                    assert_eq!(format!("{alone:?}"), format!("{whole:?}"), "{tail:?}");
                    assert_eq!(step_secrets(&alone), step_secrets(&whole), "{tail:?}");
                    quick += 1;
                }
                (Some(_), Err(e)) => panic!("{tail:?}: only the step parser accepts it: {e}"),
                (None, Ok(_)) => left_to_clap.push(tail.join(" ")),
                (None, Err(_)) => refused += 1,
            }
        }
        // the valid lines left to clap are those with a word the quick parser does not read:
        // `--` (the end of flags) or `-` as the step id
        for line in &left_to_clap {
            assert!(
                line.split(' ').any(|w| w == "--" || w == "-"),
                "the quick path refused a valid line: {line}"
            );
        }
        // both kinds of line were tried
        assert!(
            quick > 100 && refused > 1000,
            "{quick} accepted, {refused} refused"
        );
        // another subcommand, or `step` not first, goes to the whole tree
        for line in [
            &["hpr", "sandbox"][..],
            &["hpr", "-v", "step", "x", "--state", "s"],
        ] {
            let line: Vec<std::ffi::OsString> = line.iter().map(Into::into).collect();
            assert!(step_line::parse(&line).is_none());
            assert!(parse_from(line).is_ok());
        }
    }

    /// A flag left out takes its environment variable (the flag wins); a value clap would
    /// refuse or read differently (empty, non-UTF-8, an unknown backend) is left to clap.
    #[test]
    fn the_step_parser_reads_the_environment_as_clap_does() {
        use std::ffi::OsString;
        let line = |extra: &[&str]| -> Vec<OsString> {
            ["hpr", "step", "check_account_exist", "--state", "s.json"]
                .iter()
                .chain(extra)
                .map(OsString::from)
                .collect()
        };
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let backend = |cli: Option<Cli>| match cli.map(|c| c.command) {
            Some(Command::Step(args)) => Some(args.backend),
            _ => None,
        };
        let vars: &[(&str, &str)] = &[
            ("HPR_BACKEND", "abdm"),
            ("HPR_API_URL", "http://127.0.0.1:9"),
            ("HPR_API_KEY", "key"),
            ("HPR_ABDM_CLIENT_SECRET", "secret"),
        ];
        let read = backend(step_line::parse_with(&line(&[]), env(vars))).unwrap();
        assert_eq!(read.backend, Some(BackendKind::Abdm));
        assert_eq!(read.api_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(read.api_key.as_deref(), Some("key"));
        assert_eq!(read.abdm.abdm_client_secret.as_deref(), Some("secret"));
        assert_eq!(read.hprid_auth, None);
        let flags = line(&["--api-key", "flag", "--backend", "gateway"]);
        let read = backend(step_line::parse_with(&flags, env(vars))).unwrap();
        assert_eq!(read.api_key.as_deref(), Some("flag"));
        assert_eq!(read.backend, Some(BackendKind::Gateway));
        for vars in [
            &[("HPR_BACKEND", "")][..],
            &[("HPR_BACKEND", "Gateway")],
            &[("HPR_API_URL", "")],
        ] {
            assert!(
                step_line::parse_with(&line(&[]), env(vars)).is_none(),
                "{vars:?}"
            );
        }
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
        let Command::Sandbox(args) = cli.command else {
            panic!("expected the sandbox command")
        };
        assert_eq!(
            args.faults,
            [FaultKind::Status500, FaultKind::Timeout, FaultKind::Reset]
        );
    }

    #[test]
    fn max_transactions_is_at_least_one() {
        let cli = Cli::try_parse_from(["hpr", "sandbox", "--max-transactions", "5"]).unwrap();
        let Command::Sandbox(args) = cli.command else {
            panic!("expected the sandbox command")
        };
        assert_eq!(args.max_transactions, 5);
        assert!(Cli::try_parse_from(["hpr", "sandbox", "--max-transactions", "0"]).is_err());
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["hpr", "sandbox"]).unwrap();
        let Command::Sandbox(args) = cli.command else {
            panic!("expected the sandbox command")
        };
        assert_eq!(args.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.otp_ttl_secs, 600);
        assert_eq!(args.txn_ttl_secs, 1800);
        assert_eq!(args.max_transactions, 1_000_000);
        assert_eq!(args.max_otp_attempts, 3);
        assert_eq!(args.resend_interval_secs, 30);
        assert_eq!(args.fault_rate, 0.0);
        assert!(args.faults.is_empty() && !args.quiet_sms && args.seed.is_none());
    }
}
