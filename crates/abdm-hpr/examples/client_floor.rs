//! What one cheap gateway call costs the *client*: `abdm_hpr::GatewayClient` beside an honest
//! minimal raw hyper 1.x client (the floor), against a running sandbox on loopback.
//!
//! ```text
//! hpr sandbox --addr 127.0.0.1:0 --seed 1 --fixed-otp 123456 --resend-interval-secs 0 --quiet-sms &
//! cargo run --release -p abdm-hpr --example client_floor -- \
//!     --url http://127.0.0.1:PORT --client ours|hyper --calls N --concurrency C \
//!     [--warmup N] [--first K] [--api-key KEY]
//! ```
//!
//! The call is A1 `POST /aadhaar/generateOtp` with a distinct synthetic Aadhaar number per call
//! (`4`, a counter from `--first`, the Verhoeff check digit; the warm-up calls take the numbers
//! after the timed ones), so both clients — and `scripts/bench-carestack.py`, the Python
//! peer — send the same bodies in the same order. The sandbox must run with
//! `--resend-interval-secs 0` (a repeated number then supersedes its earlier transaction).
//!
//! - `ours`: the public API — `GatewayClient::builder()…build()`, the typed
//!   `GenerateAadhaarOtpRequest`s parsed and validated before the clock starts, each sent through
//!   `RegistryApi::generate_aadhaar_otp` (encode, the pooled hyper transport, status check,
//!   typed decode).
//! - `hyper`: `hyper::client::conn::http1` over a `tokio::net::TcpStream`, one keep-alive
//!   connection per worker, the same path and headers (`Authorization: Bearer`, `content-type`,
//!   `user-agent`, `accept`), a body pre-serialized identically (checked against
//!   `abdm_hpr::gateway::encode` at start-up), the response body collected and deserialized with
//!   serde_json into a small typed struct with the same fields.
//!
//! Concurrency 1 runs on a current-thread tokio runtime; more on a multi-thread runtime with 2
//! workers, for both clients. `C` worker tasks share the calls. Warm-up calls are not timed. CPU
//! time is the process's user+system time (`/proc/self/stat` utime+stime, clock ticks of 10 ms)
//! over the timed section, divided by the calls. Output: one JSON line,
//!
//! ```text
//! {"client":"ours","concurrency":32,"calls":N,"p50_us":…,"p99_us":…,"calls_per_s":…,"cpu_us_per_call":…,"errors":0}
//! ```
//!
//! (`calls` counts the successful timed calls.)
//!
//! Any non-2xx status or error is printed to stderr and makes the example exit with status 1.
//! Run each client in its own process (as `scripts/bench` does) so the CPU time is its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod load_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use abdm_hpr::backend::Request;
use abdm_hpr::types::{GenerateAadhaarOtpRequest, verhoeff};
use abdm_hpr::{GatewayClient, RegistryApi};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

const PATH: &str = "/aadhaar/generateOtp";
/// What `GatewayClient` sends as `user-agent`.
const AGENT: &str = concat!("abdm-hpr/", env!("CARGO_PKG_VERSION"));
/// Linux `USER_HZ`: the unit of utime/stime in `/proc/self/stat`.
const CLOCK_TICKS_PER_S: f64 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Ours,
    Hyper,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Ours => "ours",
            Client::Hyper => "hyper",
        }
    }
}

struct Args {
    url: String,
    client: Client,
    calls: usize,
    concurrency: usize,
    warmup: usize,
    first: u64,
    api_key: String,
}

fn usage() -> ! {
    eprintln!(
        "usage: client_floor --url http://127.0.0.1:PORT --client ours|hyper --calls N \
         --concurrency C [--warmup N] [--first K] [--api-key KEY]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        client: Client::Ours,
        calls: 2000,
        concurrency: 1,
        warmup: 200,
        first: 0,
        api_key: "bench".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| usage());
        let num = || value.parse::<u64>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--url" => a.url = value.trim_end_matches('/').to_owned(),
            "--client" => {
                a.client = match value.as_str() {
                    "ours" => Client::Ours,
                    "hyper" => Client::Hyper,
                    _ => usage(),
                }
            }
            "--calls" => a.calls = num() as usize,
            "--concurrency" => a.concurrency = (num() as usize).max(1),
            "--warmup" => a.warmup = num() as usize,
            "--first" => a.first = num(),
            "--api-key" => a.api_key = value,
            _ => usage(),
        }
    }
    if a.url.is_empty() || a.calls == 0 {
        usage()
    }
    a
}

/// The `n`-th synthetic Aadhaar number: `4`, a 10-digit counter, the Verhoeff check digit.
fn aadhaar(n: u64) -> String {
    let payload = format!("4{:010}", n % 10_000_000_000);
    let digits: Vec<u8> = payload.bytes().map(|b| b - b'0').collect();
    format!("{payload}{}", verhoeff::check_digit(&digits))
}

/// The user+system CPU time of this process so far (all threads).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // the command name (field 2) may hold spaces; count fields after its closing parenthesis
    let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields 14 (utime) and 15 (stime) of the whole line are 11 and 12 after the name and state
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / CLOCK_TICKS_PER_S)
}

/// The response fields the floor reads, as `GenerateAadhaarOtpResponse` has them.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct GenerateOtpResponse {
    #[serde(rename = "txnId")]
    txn_id: String,
    #[serde(rename = "mobileNumber")]
    mobile_number: Option<String>,
}

/// What one phase (warm-up or timed) measured.
struct Phase {
    latencies: Vec<Duration>,
    elapsed: Duration,
    cpu: Duration,
    errors: u64,
}

/// One worker's share of the calls: it takes indices from `next` until `end`, and records
/// each call's latency.
trait Worker: Send + 'static {
    fn call(&mut self, index: usize) -> impl Future<Output = Result<(), String>> + Send;
}

struct OursWorker {
    client: GatewayClient,
    requests: Arc<Vec<GenerateAadhaarOtpRequest>>,
}

impl Worker for OursWorker {
    async fn call(&mut self, index: usize) -> Result<(), String> {
        let response = self
            .client
            .generate_aadhaar_otp(&self.requests[index])
            .await
            .map_err(|e| e.to_string())?;
        std::hint::black_box(response);
        Ok(())
    }
}

struct HyperWorker {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    bodies: Arc<Vec<Bytes>>,
    host: HeaderValue,
    authorization: HeaderValue,
    uri: hyper::Uri,
}

impl HyperWorker {
    async fn connect(url: &str, api_key: &str, bodies: Arc<Vec<Bytes>>) -> Self {
        let authority = url
            .strip_prefix("http://")
            .expect("an http:// URL")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let base_path = url
            .strip_prefix("http://")
            .unwrap()
            .split_once('/')
            .map_or(String::new(), |(_, p)| format!("/{p}"));
        let stream = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("client_floor: hyper connection: {e}");
            }
        });
        Self {
            sender,
            bodies,
            host: HeaderValue::from_str(&authority).expect("host header"),
            authorization: HeaderValue::from_str(&format!("Bearer {api_key}")).expect("header"),
            uri: format!("{base_path}{PATH}").parse().expect("uri"),
        }
    }
}

impl Worker for HyperWorker {
    async fn call(&mut self, index: usize) -> Result<(), String> {
        let request = hyper::Request::post(self.uri.clone())
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static(AGENT))
            // what GatewayClient sends too
            .header(ACCEPT, HeaderValue::from_static("*/*"))
            .body(Full::new(self.bodies[index].clone()))
            .map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self
            .sender
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
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let parsed: GenerateOtpResponse =
            serde_json::from_slice(&body).map_err(|e| format!("decode: {e}"))?;
        std::hint::black_box(parsed);
        Ok(())
    }
}

/// Runs calls `start..end` on `workers` (each its own task) and times them.
async fn phase<W: Worker>(workers: &mut Vec<W>, start: usize, end: usize) -> Phase {
    let next = Arc::new(AtomicUsize::new(start));
    let errors = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_time();
    let began = Instant::now();
    let mut handles = Vec::new();
    for mut worker in workers.drain(..) {
        let next = next.clone();
        let errors = errors.clone();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= end {
                    break;
                }
                let t = Instant::now();
                match worker.call(index).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 10 {
                            eprintln!("client_floor: call {index}: {e}");
                        }
                    }
                }
            }
            (worker, latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(end - start);
    for handle in handles {
        let (worker, l) = handle.await.expect("worker task");
        workers.push(worker);
        latencies.extend(l);
    }
    let elapsed = began.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    Phase {
        latencies,
        elapsed,
        cpu,
        errors: errors.load(Ordering::Relaxed),
    }
}

async fn measure(a: &Args) -> Phase {
    let total = a.calls + a.warmup;
    // timed calls take numbers first..first+calls, warm-up the ones after them
    let numbers: Vec<String> = (0..total as u64)
        .map(|i| {
            let k = if (i as usize) < a.warmup {
                a.calls as u64 + i
            } else {
                i - a.warmup as u64
            };
            aadhaar(a.first + k)
        })
        .collect();
    let requests: Vec<GenerateAadhaarOtpRequest> = numbers
        .iter()
        .map(|n| GenerateAadhaarOtpRequest {
            aadhaar: n.parse().expect("valid synthetic Aadhaar"),
        })
        .collect();
    match a.client {
        Client::Ours => {
            let client = GatewayClient::builder()
                .base_url(&a.url)
                .api_key(&a.api_key)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let requests = Arc::new(requests);
            let mut workers: Vec<OursWorker> = (0..a.concurrency)
                .map(|_| OursWorker {
                    client: client.clone(),
                    requests: requests.clone(),
                })
                .collect();
            run_phases(&mut workers, a).await
        }
        Client::Hyper => {
            let bodies: Vec<Bytes> = numbers
                .iter()
                .map(|n| {
                    Bytes::from(serde_json::to_vec(&serde_json::json!({ "aadhaar": n })).unwrap())
                })
                .collect();
            // the floor sends exactly what our client sends
            for (body, request) in bodies.iter().zip(&requests) {
                let ours = abdm_hpr::gateway::encode(&Request::GenerateAadhaarOtp(request.clone()))
                    .expect("encode");
                assert_eq!(&body[..], &ours[..], "hyper body differs from ours");
            }
            let bodies = Arc::new(bodies);
            let mut workers = Vec::with_capacity(a.concurrency);
            for _ in 0..a.concurrency {
                workers.push(HyperWorker::connect(&a.url, &a.api_key, bodies.clone()).await);
            }
            run_phases(&mut workers, a).await
        }
    }
}

async fn run_phases<W: Worker>(workers: &mut Vec<W>, a: &Args) -> Phase {
    let mut errors = 0;
    if a.warmup > 0 {
        errors += phase(workers, 0, a.warmup).await.errors;
    }
    let mut timed = phase(workers, a.warmup, a.warmup + a.calls).await;
    timed.errors += errors;
    timed
}

fn percentile_us(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

fn main() {
    let a = args();
    let runtime = load_common::runtime_for(a.concurrency as u64);
    let mut result = runtime.block_on(measure(&a));
    result.latencies.sort();
    let ok = result.latencies.len();
    println!(
        "{{\"client\":\"{}\",\"concurrency\":{},\"calls\":{},\"p50_us\":{:.1},\"p99_us\":{:.1},\"calls_per_s\":{:.1},\"cpu_us_per_call\":{:.2},\"errors\":{}}}",
        a.client.name(),
        a.concurrency,
        ok,
        percentile_us(&result.latencies, 0.50),
        percentile_us(&result.latencies, 0.99),
        ok as f64 / result.elapsed.as_secs_f64(),
        result.cpu.as_secs_f64() * 1e6 / ok.max(1) as f64,
        result.errors,
    );
    if result.errors > 0 {
        eprintln!("client_floor: {} calls failed", result.errors);
        std::process::exit(1);
    }
}
