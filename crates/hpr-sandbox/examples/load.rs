//! Load test of the sandbox, on loopback only.
//!
//! ```text
//! cargo run --release -p hpr-sandbox --example load -- [--registrations N] [--concurrency C]
//!     [--otp-seconds S] [--url http://127.0.0.1:PORT] [--key KEY] [--flood-client raw|hyper]
//!     [--server-threads N] [--client-threads N] [--live-transactions N] [--rss-otps N]
//!     [--state FILE]
//! ```
//!
//! By default the sandbox runs in-process on `127.0.0.1:0` (SMS silent, fixed OTP), on the same
//! multi-thread runtime as the client (`--server-threads N` gives it a runtime of its own, to see
//! which side uses the CPU); `--state FILE` gives it a state file, so every create is journaled
//! and synced before it is answered (compare registrations/s with and without). With `--url` it targets a running sandbox, which must be on a loopback
//! address (127.0.0.0/8, `::1`, `localhost`, resolving to loopback only); OTPs and linked mobiles
//! are then read through its admin API, outside the timings.
//!
//! - Phase 1: N whole registrations (default 2000) by C concurrent workers (default 64) through
//!   `abdm_hpr::GatewayClient`, half on the demographic-auth ("verified") branch and half on the
//!   mobile-OTP branch; reports registrations/s and p50/p99 per operation (8 operations).
//! - Phase 2: a generate-Aadhaar-OTP flood for S seconds (default 5) over C keep-alive
//!   connections, each with one request in flight, every request for a distinct valid Aadhaar
//!   number; reports requests/s (200 responses only) and p50/p99, errors separately. The default
//!   client is a bare TCP connection with a pre-serialized request and `httparse` (the cheapest
//!   honest client); `--flood-client hyper` uses `hyper::client::conn::http1` instead.
//!
//! - `--live-transactions N` (in-process only): phase 2 runs twice on a reset sandbox, first with
//!   no live transactions, then with N live ones created beforehand through
//!   [`hpr_sandbox::InProcessBackend`] (N distinct Aadhaar numbers, outside the timings); the two
//!   results are printed side by side.
//! - `--rss-otps N` (in-process only, first): the process's VmRSS (Linux `/proc/self/status`)
//!   before and after N generate-Aadhaar-OTP requests over the flood connections.
//!
//! For an in-process sandbox, `srv p50/p99` is the time spent inside the sandbox's handler stack,
//! from its bounded request log (the most recent 10,000 requests). The `cpu` line splits CPU time
//! by runtime (Linux `/proc`). Every loop is bounded in count and in time; the only exit code
//! other than 0 is for failed requests or bad arguments.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use abdm_hpr::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdInput, CreateHprIdRequest,
    DemographicAuthRequest, GenerateAadhaarOtpRequest, GenerateMobileOtpRequest,
    HprIdSuggestionRequest, Mobile, Otp, TxnId, VerifyAadhaarOtpRequest, VerifyMobileOtpRequest,
    verhoeff,
};
use abdm_hpr::{GatewayClient, RegistryApi};
use axum::http::{HeaderValue, Method, Request, StatusCode, Uri, header};
use hpr_sandbox::{RunningSandbox, Sandbox, SandboxConfig, SmsOutput};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

const USAGE: &str = "usage: load [--registrations N] [--concurrency C] [--otp-seconds S] \
                     [--url http://127.0.0.1:PORT] [--key KEY] [--flood-client raw|hyper] \
                     [--server-threads N] [--client-threads N] [--live-transactions N] \
                     [--rss-otps N] [--state FILE]";
const FIXED_OTP: &str = "123456";
const PASSWORD: &str = "Load@Test143";
/// Upper bound on phase-2 requests per second of flood (a count bound beside the time bound).
const MAX_FLOOD_RATE: u64 = 250_000;
/// Reconnects one flood connection may make after transport errors.
const MAX_RECONNECTS: u32 = 20;
/// Bound on one registration call and on phase 1 as a whole.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const PHASE1_LIMIT: Duration = Duration::from_secs(600);

const OPS: [&str; 8] = [
    "generate_aadhaar_otp",
    "verify_aadhaar_otp",
    "check_account_exist",
    "demographic_auth_via_mobile",
    "generate_mobile_otp",
    "verify_mobile_otp",
    "get_hpr_id_suggestion",
    "create_hpr_id_with_preverified",
];

const PATHS: [&str; 8] = [
    "/aadhaar/generateOtp",
    "/aadhaar/verifyOtp",
    "/check/account-exist",
    "/demographic-auth/mobile",
    "/generate/mobileOtp",
    "/verify/mobileOtp",
    "/hpId/suggestion",
    "/hprId/create",
];

/// Which HTTP client floods in phase 2.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FloodClient {
    /// A bare TCP connection, pre-serialized request, `httparse` for the response (cheapest).
    Raw,
    /// `hyper::client::conn::http1` (a cross-check of the raw client).
    Hyper,
}

struct Args {
    registrations: usize,
    concurrency: usize,
    otp_seconds: f64,
    url: Option<String>,
    key: String,
    /// Worker threads of the in-process sandbox's own runtime; 0 = share the client's runtime.
    server_threads: usize,
    /// Worker threads of the client runtime.
    client_threads: usize,
    flood_client: FloodClient,
    /// Live transactions created before a second flood (0: one flood only).
    live_transactions: u64,
    /// OTP requests between two VmRSS readings (0: not measured).
    rss_otps: u64,
    /// State file of the in-process sandbox.
    state: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        registrations: 2000,
        concurrency: 64,
        otp_seconds: 5.0,
        url: None,
        key: "load-test-key".into(),
        server_threads: 0,
        client_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        flood_client: FloodClient::Raw,
        live_transactions: 0,
        rss_otps: 0,
        state: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        let bad = |v: &str| format!("invalid value `{v}` for {name}\n{USAGE}");
        match name.as_str() {
            "--registrations" => {
                let v = value()?;
                args.registrations = v
                    .parse()
                    .ok()
                    .filter(|n| *n <= 1_000_000)
                    .ok_or_else(|| bad(&v))?;
            }
            "--concurrency" => {
                let v = value()?;
                args.concurrency = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=4096).contains(n))
                    .ok_or_else(|| bad(&v))?;
            }
            "--otp-seconds" => {
                let v = value()?;
                args.otp_seconds = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| (0.0..=600.0).contains(s))
                    .ok_or_else(|| bad(&v))?;
            }
            "--live-transactions" | "--rss-otps" => {
                let v = value()?;
                let n = v
                    .parse()
                    .ok()
                    .filter(|n| *n <= 5_000_000)
                    .ok_or_else(|| bad(&v))?;
                if name == "--live-transactions" {
                    args.live_transactions = n;
                } else {
                    args.rss_otps = n;
                }
            }
            "--url" => args.url = Some(value()?),
            "--state" => args.state = Some(value()?.into()),
            "--key" => args.key = value()?,
            "--flood-client" => {
                let v = value()?;
                args.flood_client = match v.as_str() {
                    "raw" => FloodClient::Raw,
                    "hyper" => FloodClient::Hyper,
                    _ => return Err(bad(&v)),
                };
            }
            "--server-threads" | "--client-threads" => {
                let v = value()?;
                let n = v.parse().ok().filter(|n| *n <= 64).ok_or_else(|| bad(&v))?;
                if name == "--server-threads" {
                    args.server_threads = n;
                } else if n == 0 {
                    return Err(bad(&v));
                } else {
                    args.client_threads = n;
                }
            }
            _ => return Err(format!("unknown argument `{flag}`\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = |threads: usize, name: &str| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name(name)
            .enable_all()
            .build()
            .expect("tokio runtime")
    };
    let client_rt = runtime(args.client_threads, "load-client");
    let server_rt = (args.server_threads > 0 && args.url.is_none())
        .then(|| runtime(args.server_threads, "load-server"));
    let server = server_rt.as_ref().map(|rt| rt.handle().clone());
    match client_rt.block_on(run(args, server)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("load: {message}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------------------------
// target

/// Where the sandbox is, and how OTPs and linked mobiles are learnt (never timed).
#[derive(Clone)]
enum Target {
    InProcess(Sandbox),
    External(Endpoint),
}

/// A loopback HTTP endpoint: resolved addresses, `Host` header and path prefix.
#[derive(Clone)]
struct Endpoint {
    addrs: Vec<SocketAddr>,
    host: HeaderValue,
    prefix: String,
}

impl Endpoint {
    /// Accepts only `http://` URLs whose host is, and resolves only to, loopback addresses.
    async fn loopback(url: &str) -> Result<Endpoint, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("--url `{url}` is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "--url `{url}`: only http:// is supported (loopback only)"
            ));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("--url `{url}` has no host"))?;
        if authority.as_str().contains('@') {
            return Err("--url must not contain credentials".into());
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let loopback_name = host.eq_ignore_ascii_case("localhost");
        if !loopback_name && !host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
            return Err(format!(
                "refusing --url `{url}`: the host must be loopback (127.0.0.0/8, ::1 or localhost)"
            ));
        }
        if uri.query().is_some() {
            return Err("--url must not have a query".into());
        }
        let port = authority.port_u16().unwrap_or(80);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
            .collect();
        if addrs.is_empty() || !addrs.iter().all(|a| a.ip().is_loopback()) {
            return Err(format!(
                "refusing --url `{url}`: `{host}` does not resolve to loopback only"
            ));
        }
        Ok(Endpoint {
            addrs,
            host: HeaderValue::from_str(authority.as_str()).map_err(|e| e.to_string())?,
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    async fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in &self.addrs {
            let connect = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr));
            match connect
                .await
                .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
            {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no address")))
    }

    /// One `GET` on the admin API, on a fresh connection (external targets only; not timed).
    async fn admin_get(&self, path: &str) -> Result<serde_json::Value, String> {
        tokio::time::timeout(CALL_TIMEOUT, self.admin_get_once(path))
            .await
            .map_err(|_| format!("GET {path}: timed out"))?
    }

    async fn admin_get_once(&self, path: &str) -> Result<serde_json::Value, String> {
        let stream = self.connect().await.map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        let conn = tokio::spawn(conn);
        let request = Request::builder()
            .method(Method::GET)
            .uri(format!("{}{path}", self.prefix))
            .header(header::HOST, self.host.clone())
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        drop(sender);
        conn.abort();
        if status != StatusCode::OK {
            return Err(format!("GET {path}: HTTP {status}"));
        }
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: {e}"))
    }
}

impl Target {
    async fn linked_mobile(&self, aadhaar: &str) -> Result<String, String> {
        match self {
            Target::InProcess(sandbox) => sandbox
                .identity(aadhaar)
                .map(|id| id.mobile)
                .ok_or_else(|| "invalid Aadhaar".to_owned()),
            Target::External(endpoint) => endpoint
                .admin_get(&format!("/_sandbox/identities/{aadhaar}"))
                .await?
                .get("mobile")
                .and_then(|m| m.as_str().map(str::to_owned))
                .ok_or_else(|| "identity without mobile".to_owned()),
        }
    }

    async fn otp(&self, txn: &TxnId) -> Result<Otp, String> {
        let code = match self {
            Target::InProcess(_) => FIXED_OTP.to_owned(),
            Target::External(endpoint) => endpoint
                .admin_get(&format!("/_sandbox/otp/{}", txn.as_str()))
                .await?
                .get("otp")
                .and_then(|m| m.as_str().map(str::to_owned))
                .ok_or_else(|| "no OTP for the transaction".to_owned())?,
        };
        Otp::parse(&code).map_err(|e| e.to_string())
    }
}

// ------------------------------------------------------------------------------------------------
// numbers

/// A valid Aadhaar number: first digit `lead` (2–9), then `n` as 10 digits, then the Verhoeff digit.
fn aadhaar(lead: u8, n: u64) -> [u8; 12] {
    let mut digits = [0u8; 12];
    digits[0] = lead;
    let mut rest = n % 10_000_000_000;
    for d in digits[1..11].iter_mut().rev() {
        *d = (rest % 10) as u8;
        rest /= 10;
    }
    digits[11] = verhoeff::check_digit(&digits[..11]);
    digits.map(|d| b'0' + d)
}

fn aadhaar_string(lead: u8, n: u64) -> String {
    String::from_utf8(aadhaar(lead, n).to_vec()).expect("ASCII digits")
}

/// A per-run offset so runs against a long-lived sandbox don't reuse Aadhaar numbers or IDs.
fn run_offset(span: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    (nanos ^ (u64::from(std::process::id()) << 32)) % (10_000_000_000 - span)
}

/// CPU seconds used so far by this process's threads, grouped by thread name (Linux `/proc` only).
#[derive(Clone, Copy, Default)]
struct CpuTimes {
    client: f64,
    server: f64,
    other: f64,
}

impl CpuTimes {
    fn now() -> Option<CpuTimes> {
        // utime and stime are in clock ticks, 100 per second on Linux
        const TICKS: f64 = 100.0;
        let mut times = CpuTimes::default();
        for task in std::fs::read_dir("/proc/self/task").ok()? {
            let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("stat")) else {
                continue; // the thread exited
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let name = &stat[open + 1..close];
            let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            let seconds = (ticks(11) + ticks(12)) / TICKS;
            if name.starts_with("load-server") {
                times.server += seconds;
            } else if name.starts_with("load-client") {
                times.client += seconds;
            } else {
                times.other += seconds;
            }
        }
        Some(times)
    }

    /// `cpu: client 1.2 s, server 3.4 s, other 0.1 s of 10.0 s (2 cores x 5.0 s)`.
    fn report(before: Option<CpuTimes>, wall: Duration) -> String {
        let (Some(b), Some(a)) = (before, CpuTimes::now()) else {
            return "cpu: not measured (no /proc)".into();
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let available = wall.as_secs_f64() * cores as f64;
        let part = |name: &str, secs: f64| {
            format!("{name} {secs:.2} s ({:.0}%)", 100.0 * secs / available)
        };
        let mut parts = vec![part("client threads", a.client - b.client)];
        if a.server > 0.0 {
            parts.push(part("server threads", a.server - b.server));
        }
        parts.push(part("other", a.other - b.other));
        format!(
            "cpu: {} of {available:.1} s ({cores} cores x {:.1} s)",
            parts.join(", "),
            wall.as_secs_f64()
        )
    }
}

/// p50 and p99 (ms) of the time the in-process sandbox spent inside its handler stack on `path`,
/// from its request log (the most recent requests only: the log is bounded).
fn server_side(sandbox: Option<&Sandbox>, path: &str) -> String {
    let Some(sandbox) = sandbox else {
        return format!("{:>9} {:>9}", "-", "-");
    };
    let mut inside: Vec<u32> = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(path) && r.status == 200)
        .map(|r| r.latency_us.min(u64::from(u32::MAX)) as u32)
        .collect();
    inside.sort_unstable();
    format!(
        "{:>9.3} {:>9.3}",
        percentile(&inside, 50.0),
        percentile(&inside, 99.0)
    )
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u128::from(u32::MAX)) as u32
}

// ------------------------------------------------------------------------------------------------
// run

async fn run(args: Args, server_rt: Option<tokio::runtime::Handle>) -> Result<(), String> {
    let (target, base_url, running): (Target, String, Option<RunningSandbox>) = match &args.url {
        Some(url) => {
            let endpoint = Endpoint::loopback(url).await?;
            (
                Target::External(endpoint),
                url.trim_end_matches('/').to_owned(),
                None,
            )
        }
        None => {
            let sandbox = Sandbox::new(SandboxConfig {
                seed: Some(7),
                fixed_otp: Some(FIXED_OTP.into()),
                sms: SmsOutput::Silent,
                state_file: args.state.clone(),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
            let start = sandbox
                .clone()
                .start("127.0.0.1:0".parse().expect("address"));
            // serve on the sandbox's own runtime when there is one
            let running = match &server_rt {
                Some(rt) => rt
                    .spawn(start)
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?,
                None => start.await.map_err(|e| e.to_string())?,
            };
            let url = running.base_url();
            (Target::InProcess(sandbox), url, Some(running))
        }
    };
    let endpoint = match &target {
        Target::External(e) => e.clone(),
        Target::InProcess(_) => Endpoint::loopback(&base_url).await?,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let layout = match (&running, &server_rt) {
        (None, _) => "external".to_owned(),
        (Some(_), None) => format!(
            "in-process, client and server on one runtime of {} threads",
            args.client_threads
        ),
        (Some(_), Some(_)) => format!(
            "in-process, server runtime {} + client runtime {} threads",
            args.server_threads, args.client_threads
        ),
    };
    println!(
        "hpr-sandbox load: target {base_url} ({layout}), {cores} cores, concurrency {}",
        args.concurrency
    );

    let in_process = match &target {
        Target::InProcess(sandbox) => Some(sandbox),
        Target::External(_) => None,
    };
    if (args.live_transactions > 0 || args.rss_otps > 0) && in_process.is_none() {
        return Err("--live-transactions and --rss-otps need the in-process sandbox".into());
    }
    let mut failed = false;
    if let (Some(sandbox), true) = (in_process, args.rss_otps > 0) {
        let before = vm_rss_kib();
        let flood = Flood {
            duration: Duration::from_secs(600),
            cap_total: args.rss_otps,
        };
        let (stats, _) = phase2(&args, &endpoint, Some(sandbox), flood, "rss").await?;
        failed |= stats;
        let after = vm_rss_kib();
        println!(
            "  VmRSS {} before, {} after {} generate-Aadhaar-OTP requests",
            show_kib(before),
            show_kib(after),
            args.rss_otps
        );
        sandbox.reset();
    }
    if args.registrations > 0 {
        failed |= phase1(&args, &target, &base_url).await?;
    }
    if args.otp_seconds > 0.0 {
        let flood = Flood {
            duration: Duration::from_secs_f64(args.otp_seconds),
            cap_total: (args.otp_seconds.ceil() as u64).max(1) * MAX_FLOOD_RATE,
        };
        match (in_process, args.live_transactions) {
            (Some(sandbox), live) if live > 0 => {
                sandbox.reset();
                let (f0, row0) = phase2(&args, &endpoint, Some(sandbox), flood, "0 live").await?;
                sandbox.reset();
                let started = Instant::now();
                preload(sandbox, live).await?;
                println!();
                println!(
                    "created {live} live transactions in {:.2} s (in-process, not timed below); VmRSS {}",
                    started.elapsed().as_secs_f64(),
                    show_kib(vm_rss_kib())
                );
                let label = format!("{live} live");
                let (f1, row1) = phase2(&args, &endpoint, Some(sandbox), flood, &label).await?;
                println!();
                println!("phase 2 side by side (live transactions at the start of the flood):");
                println!("  {}", flood_header());
                println!("  {row0}");
                println!("  {row1}");
                failed |= f0 | f1;
            }
            (sandbox, _) => failed |= phase2(&args, &endpoint, sandbox, flood, "").await?.0,
        }
    }
    if let Some(running) = running {
        match &server_rt {
            Some(rt) => rt
                .spawn(running.shutdown())
                .await
                .map_err(|e| e.to_string())?,
            None => running.shutdown().await,
        }
    }
    if failed {
        Err("some requests failed (see above)".into())
    } else {
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------------
// phase 1: whole registrations through GatewayClient

#[derive(Default)]
struct Phase1Stats {
    latencies: [Vec<u32>; 8],
    verified: usize,
    mobile_otp: usize,
    errors: Vec<String>,
}

async fn phase1(args: &Args, target: &Target, base_url: &str) -> Result<bool, String> {
    let client = GatewayClient::builder()
        .base_url(base_url)
        .api_key(&args.key)
        .facility_id("load-facility")
        .timeout(CALL_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let n = args.registrations;
    let offset = run_offset(n as u64 + 1);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = CpuTimes::now();
    let started = Instant::now();
    let deadline = started + PHASE1_LIMIT;
    let workers: Vec<_> = (0..args.concurrency.min(n.max(1)))
        .map(|_| {
            let (client, target, next) = (client.clone(), target.clone(), next.clone());
            tokio::spawn(async move {
                let mut stats = Phase1Stats::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || Instant::now() > deadline {
                        break;
                    }
                    let verified_branch = i % 2 == 0;
                    match register(
                        &client,
                        &target,
                        offset + i as u64,
                        verified_branch,
                        &mut stats,
                    )
                    .await
                    {
                        Ok(()) if verified_branch => stats.verified += 1,
                        Ok(()) => stats.mobile_otp += 1,
                        Err(e) => stats.errors.push(e),
                    }
                }
                stats
            })
        })
        .collect();
    let mut total = Phase1Stats::default();
    for worker in workers {
        let stats = worker.await.map_err(|e| e.to_string())?;
        for (all, mine) in total.latencies.iter_mut().zip(stats.latencies) {
            all.extend(mine);
        }
        total.verified += stats.verified;
        total.mobile_otp += stats.mobile_otp;
        total.errors.extend(stats.errors);
    }
    let elapsed = started.elapsed();
    let done = total.verified + total.mobile_otp;
    println!();
    println!(
        "phase 1: {done}/{n} registrations ({} verified, {} mobile-OTP) in {:.2} s = {:.0} registrations/s, {} failed",
        total.verified,
        total.mobile_otp,
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        total.errors.len()
    );
    let sandbox = match target {
        Target::InProcess(sandbox) => Some(sandbox),
        Target::External(_) => None,
    };
    println!(
        "  {:<32} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "operation", "calls", "p50 ms", "p99 ms", "srv p50", "srv p99"
    );
    for ((op, path), latencies) in OPS.iter().zip(PATHS).zip(total.latencies.iter_mut()) {
        latencies.sort_unstable();
        println!(
            "  {op:<32} {:>7} {:>9.2} {:>9.2} {}",
            latencies.len(),
            percentile(latencies, 50.0),
            percentile(latencies, 99.0),
            server_side(sandbox, path)
        );
    }
    println!("  {}", CpuTimes::report(cpu, elapsed));
    for e in total.errors.iter().take(5) {
        println!("  error: {e}");
    }
    Ok(!total.errors.is_empty() || done < n)
}

/// Times one call into `latencies[op]`; an error names the operation.
async fn timed<T, F>(stats: &mut Phase1Stats, op: usize, call: F) -> Result<T, String>
where
    F: Future<Output = abdm_hpr::Result<T>>,
{
    let started = Instant::now();
    let result = call.await;
    stats.latencies[op].push(micros(started.elapsed()));
    result.map_err(|e| format!("{}: {e}", OPS[op]))
}

async fn register(
    client: &GatewayClient,
    target: &Target,
    n: u64,
    verified_branch: bool,
    stats: &mut Phase1Stats,
) -> Result<(), String> {
    let aadhaar = aadhaar_string(3, n);
    let linked = target.linked_mobile(&aadhaar).await?;
    let mobile = if verified_branch {
        linked.clone()
    } else {
        ["9988776655", "9876501234"]
            .into_iter()
            .find(|m| *m != linked)
            .expect("two candidates")
            .to_owned()
    };
    let mobile = Mobile::parse(&mobile).map_err(|e| e.to_string())?;

    let request = GenerateAadhaarOtpRequest {
        aadhaar: aadhaar
            .parse()
            .map_err(|e: abdm_hpr::types::Invalid| e.to_string())?,
    };
    let sent = timed(stats, 0, client.generate_aadhaar_otp(&request)).await?;
    let txn = sent.txn_id;
    let otp = target.otp(&txn).await?;
    timed(
        stats,
        1,
        client.verify_aadhaar_otp(&VerifyAadhaarOtpRequest::new(txn.clone(), otp)),
    )
    .await?;
    let check = timed(
        stats,
        2,
        client.check_account_exist(&CheckAccountExistRequest::new(txn.clone())),
    )
    .await?;
    let AccountCheck::New(kyc) = check else {
        return Err("check_account_exist: the account already exists".into());
    };
    let demo = DemographicAuthRequest {
        txn_id: txn.clone(),
        mobile_number: mobile.clone(),
    };
    let auth = timed(stats, 3, client.demographic_auth_via_mobile(&demo)).await?;
    if auth.verified != verified_branch {
        return Err(format!(
            "demographic_auth_via_mobile: verified={} on the wrong branch",
            auth.verified
        ));
    }
    if !verified_branch {
        let generate = GenerateMobileOtpRequest {
            mobile,
            txn_id: txn.clone(),
        };
        timed(stats, 4, client.generate_mobile_otp(&generate)).await?;
        let otp = target.otp(&txn).await?;
        let verify = VerifyMobileOtpRequest {
            otp,
            txn_id: txn.clone(),
        };
        timed(stats, 5, client.verify_mobile_otp(&verify)).await?;
    }
    let suggestions = HprIdSuggestionRequest {
        txn_id: txn.clone(),
    };
    timed(stats, 6, client.get_hpr_id_suggestion(&suggestions)).await?;
    let input = CreateHprIdInput {
        address: kyc.address.clone(),
        day_of_birth: kyc.day_of_birth.clone(),
        district_code: kyc.district_code.clone(),
        email: Some("load@example.com".into()),
        first_name: kyc.first_name.clone(),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        hpr_id: Some(format!("load{n}")),
        last_name: kyc.last_name.clone(),
        middle_name: kyc.middle_name.clone(),
        month_of_birth: kyc.month_of_birth.clone(),
        password: Some(PASSWORD.into()),
        pincode: kyc.pincode.clone(),
        profile_photo: None,
        state_code: kyc.state_code.clone(),
        txn_id: Some(txn.as_str().to_owned()),
        year_of_birth: kyc.year_of_birth.clone(),
    };
    let create = CreateHprIdRequest::try_from(input).map_err(|e| format!("create request: {e}"))?;
    timed(stats, 7, client.create_hpr_id_with_preverified(&create)).await?;
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// phase 2: generate-Aadhaar-OTP flood over keep-alive connections

#[derive(Default)]
struct FloodStats {
    latencies: Vec<u32>,
    ok: u64,
    http_errors: u64,
    transport_errors: u64,
    first_error: Option<String>,
}

/// How long and how many requests at most a flood sends.
#[derive(Clone, Copy)]
struct Flood {
    duration: Duration,
    cap_total: u64,
}

fn flood_header() -> String {
    format!(
        "{:<36} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "operation", "ok", "req/s", "p50 ms", "p99 ms", "srv p50", "srv p99", "errors"
    )
}

/// Creates `n` live transactions (distinct Aadhaar numbers starting with 4) through the in-process
/// backend: the same operation the HTTP route runs, without a socket.
async fn preload(sandbox: &Sandbox, n: u64) -> Result<(), String> {
    let backend = hpr_sandbox::InProcessBackend::new(sandbox.clone());
    let offset = run_offset(n);
    for i in 0..n {
        let request = GenerateAadhaarOtpRequest {
            aadhaar: aadhaar_string(4, offset + i)
                .parse()
                .map_err(|e: abdm_hpr::types::Invalid| e.to_string())?,
        };
        backend
            .generate_aadhaar_otp(&request)
            .await
            .map_err(|e| format!("preload {i}: {e}"))?;
    }
    Ok(())
}

/// This process's resident set size in KiB (Linux `/proc/self/status`).
fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn show_kib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "unknown (no /proc)".into(),
        |k| format!("{:.1} MB", k as f64 / 1024.0),
    )
}

/// Runs one flood; returns whether requests failed, and its result row.
async fn phase2(
    args: &Args,
    endpoint: &Endpoint,
    sandbox: Option<&Sandbox>,
    flood: Flood,
    label: &str,
) -> Result<(bool, String), String> {
    let Flood {
        duration,
        cap_total,
    } = flood;
    let connections = args.concurrency as u64;
    let per_conn = cap_total.div_ceil(connections);
    let offset = run_offset(per_conn * connections);
    let path = format!("{}/aadhaar/generateOtp", endpoint.prefix);
    let uri: Uri = path.parse().map_err(|e| format!("bad path: {e}"))?;
    let auth = HeaderValue::from_str(&format!("Bearer {}", args.key)).map_err(|e| e.to_string())?;
    let cpu = CpuTimes::now();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|k| {
            let endpoint = endpoint.clone();
            let (uri, auth) = (uri.clone(), auth.clone());
            let first = offset + k * per_conn;
            match args.flood_client {
                FloodClient::Raw => tokio::spawn(flood_connection_raw(
                    endpoint,
                    path.clone(),
                    args.key.clone(),
                    first,
                    per_conn,
                    deadline,
                )),
                FloodClient::Hyper => tokio::spawn(flood_connection(
                    endpoint, uri, auth, first, per_conn, deadline,
                )),
            }
        })
        .collect();
    let mut total = FloodStats::default();
    for task in tasks {
        let stats = task.await.map_err(|e| e.to_string())?;
        total.latencies.extend(stats.latencies);
        total.ok += stats.ok;
        total.http_errors += stats.http_errors;
        total.transport_errors += stats.transport_errors;
        if total.first_error.is_none() {
            total.first_error = stats.first_error;
        }
    }
    let wall = started.elapsed();
    let cpu = CpuTimes::report(cpu, wall);
    let elapsed = wall.as_secs_f64();
    total.latencies.sort_unstable();
    let client = match args.flood_client {
        FloodClient::Raw => "raw TCP + httparse",
        FloodClient::Hyper => "hyper http1",
    };
    println!();
    println!(
        "phase 2: generate-Aadhaar-OTP flood, {connections} keep-alive connections x 1 in flight ({client}), {elapsed:.2} s"
    );
    let name = match label {
        "" => "generate_aadhaar_otp".to_owned(),
        label => format!("generate_aadhaar_otp ({label})"),
    };
    let row = format!(
        "{name:<36} {:>7} {:>9.0} {:>9.2} {:>9.2} {} {:>7}",
        total.ok,
        total.ok as f64 / elapsed,
        percentile(&total.latencies, 50.0),
        percentile(&total.latencies, 99.0),
        server_side(sandbox, PATHS[0]),
        total.http_errors + total.transport_errors
    );
    println!("  {}", flood_header());
    println!("  {row}");
    println!("  {cpu}");
    if let Some(e) = &total.first_error {
        println!(
            "  errors: {} non-200, {} transport; first: {e}",
            total.http_errors, total.transport_errors
        );
    }
    Ok((total.http_errors + total.transport_errors > 0, row))
}

/// One keep-alive connection sending requests back to back until `deadline` or `cap` requests.
/// A request still unanswered `CALL_TIMEOUT` after the deadline ends the connection.
async fn flood_connection(
    endpoint: Endpoint,
    uri: Uri,
    auth: HeaderValue,
    first: u64,
    cap: u64,
    deadline: Instant,
) -> FloodStats {
    let mut stats = FloodStats {
        latencies: Vec::with_capacity(cap.min(200_000) as usize),
        ..Default::default()
    };
    // one timer for the whole connection instead of one per request
    let hard_stop = tokio::time::sleep_until((deadline + CALL_TIMEOUT).into());
    tokio::pin!(hard_stop);
    let content_type = HeaderValue::from_static("application/json");
    let mut body = *br#"{"aadhaar":"000000000000"}"#;
    let mut sent = 0u64;
    let mut reconnects = 0u32;
    while sent < cap && Instant::now() < deadline && reconnects <= MAX_RECONNECTS {
        let handshake = async {
            let stream = endpoint
                .connect()
                .await
                .map_err(|e| format!("connect: {e}"))?;
            hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))
        };
        let (mut sender, conn) = match handshake.await {
            Ok(parts) => parts,
            Err(e) => {
                stats.transport_errors += 1;
                stats.first_error.get_or_insert(e);
                reconnects += 1;
                continue;
            }
        };
        let conn = tokio::spawn(conn);
        let mut broken = false;
        while sent < cap {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            body[12..24].copy_from_slice(&aadhaar(6, first + sent));
            sent += 1;
            let mut request = Request::new(Full::new(Bytes::copy_from_slice(&body)));
            *request.method_mut() = Method::POST;
            *request.uri_mut() = uri.clone();
            let headers = request.headers_mut();
            headers.insert(header::HOST, endpoint.host.clone());
            headers.insert(header::AUTHORIZATION, auth.clone());
            headers.insert(header::CONTENT_TYPE, content_type.clone());
            let exchange = async {
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(|e| format!("request: {e}"))?;
                let status = response.status();
                // read the whole body so the connection can be reused
                response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| format!("body: {e}"))?;
                Ok::<StatusCode, String>(status)
            };
            let outcome = tokio::select! {
                biased;
                outcome = exchange => outcome,
                () = &mut hard_stop => Err(format!("no answer within {CALL_TIMEOUT:?} after the end")),
            };
            match outcome {
                Ok(StatusCode::OK) => {
                    stats.ok += 1;
                    stats.latencies.push(micros(now.elapsed()));
                }
                Ok(status) => {
                    stats.http_errors += 1;
                    stats
                        .first_error
                        .get_or_insert_with(|| format!("HTTP {status}"));
                }
                Err(e) => {
                    stats.transport_errors += 1;
                    stats.first_error.get_or_insert(e);
                    broken = true;
                    break;
                }
            }
        }
        drop(sender);
        conn.abort();
        if !broken || Instant::now() >= deadline + CALL_TIMEOUT {
            break;
        }
        reconnects += 1;
    }
    stats
}

/// The same loop on a bare TCP connection: one pre-serialized request buffer (the Aadhaar patched in
/// place), one write per request, the response parsed with `httparse` and read to its
/// `Content-Length`. No allocation and no extra task per request.
async fn flood_connection_raw(
    endpoint: Endpoint,
    path: String,
    key: String,
    first: u64,
    cap: u64,
    deadline: Instant,
) -> FloodStats {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stats = FloodStats {
        latencies: Vec::with_capacity(cap.min(200_000) as usize),
        ..Default::default()
    };
    let hard_stop = tokio::time::sleep_until((deadline + CALL_TIMEOUT).into());
    tokio::pin!(hard_stop);
    let body = br#"{"aadhaar":"000000000000"}"#;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        endpoint.host.to_str().unwrap_or("localhost"),
        body.len()
    )
    .into_bytes();
    let digits_at = request.len() + 12;
    request.extend_from_slice(body);
    let mut buf = vec![0u8; 64 * 1024];
    let mut sent = 0u64;
    let mut reconnects = 0u32;
    while sent < cap && Instant::now() < deadline && reconnects <= MAX_RECONNECTS {
        let mut stream = match endpoint.connect().await {
            Ok(stream) => stream,
            Err(e) => {
                stats.transport_errors += 1;
                stats
                    .first_error
                    .get_or_insert_with(|| format!("connect: {e}"));
                reconnects += 1;
                continue;
            }
        };
        let mut reusable = true;
        while sent < cap && reusable {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            request[digits_at..digits_at + 12].copy_from_slice(&aadhaar(6, first + sent));
            sent += 1;
            let exchange = async {
                stream
                    .write_all(&request)
                    .await
                    .map_err(|e| format!("write: {e}"))?;
                let mut filled = 0;
                loop {
                    if filled == buf.len() {
                        return Err("response head over 64 KiB".to_owned());
                    }
                    let n = stream
                        .read(&mut buf[filled..])
                        .await
                        .map_err(|e| format!("read: {e}"))?;
                    if n == 0 {
                        return Err("connection closed mid-response".to_owned());
                    }
                    filled += n;
                    let mut headers = [httparse::EMPTY_HEADER; 32];
                    let mut response = httparse::Response::new(&mut headers);
                    let head = match response.parse(&buf[..filled]) {
                        Ok(httparse::Status::Complete(head)) => head,
                        Ok(httparse::Status::Partial) => continue,
                        Err(e) => return Err(format!("bad response: {e}")),
                    };
                    let status = response.code.unwrap_or(0);
                    let mut length = None;
                    let mut keep_alive = response.version == Some(1);
                    for h in response.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<usize>().ok());
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            return Err(
                                "chunked responses are not supported by this client".to_owned()
                            );
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            keep_alive &= !h.value.eq_ignore_ascii_case(b"close");
                        }
                    }
                    let length = length.ok_or("response without content-length")?;
                    // read (and drop) the rest of the body
                    let mut remaining = (head + length).saturating_sub(filled);
                    while remaining > 0 {
                        let n = stream
                            .read(&mut buf[..remaining.min(64 * 1024)])
                            .await
                            .map_err(|e| format!("read: {e}"))?;
                        if n == 0 {
                            return Err("connection closed mid-body".to_owned());
                        }
                        remaining -= n;
                    }
                    if filled > head + length {
                        return Err("unexpected bytes after the response".to_owned());
                    }
                    return Ok((status, keep_alive));
                }
            };
            let outcome = tokio::select! {
                biased;
                outcome = exchange => outcome,
                () = &mut hard_stop => Err(format!("no answer within {CALL_TIMEOUT:?} after the end")),
            };
            match outcome {
                Ok((200, keep_alive)) => {
                    stats.ok += 1;
                    stats.latencies.push(micros(now.elapsed()));
                    reusable = keep_alive;
                }
                Ok((status, keep_alive)) => {
                    stats.http_errors += 1;
                    stats
                        .first_error
                        .get_or_insert_with(|| format!("HTTP {status}"));
                    reusable = keep_alive;
                }
                Err(e) => {
                    stats.transport_errors += 1;
                    stats.first_error.get_or_insert(e);
                    reusable = false;
                }
            }
        }
        if Instant::now() >= deadline || sent >= cap {
            break;
        }
        reconnects += 1;
    }
    stats
}
