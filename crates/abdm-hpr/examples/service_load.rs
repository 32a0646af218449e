//! Registrations per second through the registration engine, beside today's guided-flow path,
//! measured in one run on one machine.
//!
//! ```text
//! cargo run --release -p abdm-hpr --example service_load -- [REGISTRATIONS] [CONCURRENCY]
//! ```
//!
//! (defaults 2000 and 32). Three paths, each on a fresh sandbox (seed 1, fixed OTP, no resend
//! throttling, SMS silent, no request log):
//!
//! - `session+http`: today's path, as `flow_load` runs it — `RegistrationSession` driven through
//!   `GatewayClient` over loopback HTTP to the sandbox served on 127.0.0.1;
//! - `service+inproc`: `RegistrationService` + `MemoryStore` + `hpr_sandbox::InProcessBackend`
//!   (no socket; every request still goes through the wire encoding and the sandbox's rules);
//! - `service+http`: `RegistrationService` + `MemoryStore` + `GatewayClient` over loopback, so
//!   the difference to `service+inproc` is the cost of HTTP, and to `session+http` the cost of the
//!   engine (load, validate, apply, save with a revision check, JSON payloads and outcomes).
//!
//! Each registration is the whole flow (7 or 8 calls); even-numbered ones give the Aadhaar-linked
//! mobile (verified branch), odd-numbered ones another mobile (mobile-OTP branch). The service
//! paths are driven the way a front end drives them: follow `next_step`, send the expected
//! revision, and give create whatever the hint's `required_fields` still lists.
//!
//! The three paths run in 3 rounds, the order rotated each round (ABC, BCA, CAB), so warm-up and
//! whatever else the machine is doing do not favour one path. The table gives registrations/s as
//! the median (min–max) of the rounds, per-registration latency percentiles over all rounds, the
//! failures and how many took the mobile-OTP branch. Any failed registration (or a sandbox that
//! ends with fewer accounts than registrations) makes the example exit with status 1.
//!
//! Numbers depend on the machine and its load: compare the rows of one run, not runs.
//!
//! **External mode** (what `scripts/bench` runs, beside `hpr step` and the Python peer):
//!
//! ```text
//! service_load --url http://127.0.0.1:PORT --registrations N --concurrency C [--first K]
//! ```
//!
//! `RegistrationService` + `MemoryStore` + `GatewayClient` to a running `hpr sandbox` (started
//! with `--fixed-otp 123456 --resend-interval-secs 0`), every registration on the mobile-OTP
//! branch (8 calls; mobile `600…`), Aadhaar numbers `2`, a counter from `K`, the check digit, HPR
//! IDs `load.user<n>` (give each run its own `K`). Concurrency 1 runs on a current-thread
//! runtime, more on a multi-thread runtime with 2 workers. One JSON line:
//! `{"registrations":N,"concurrency":C,"mean_ms":…,"p50_ms":…,"registrations_per_s":…,"errors":E}`;
//! exit status 1 if any registration failed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod load_common;

use std::fmt;
use std::sync::Arc;

use abdm_hpr::RegistryBackend;
use abdm_hpr::flow::{MemoryStore, RegistrationService, SystemClock};
use hpr_sandbox::InProcessBackend;
use load_common::{RunStats, percentile_ms, register_service, run};

const ROUNDS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    SessionHttp,
    ServiceInProcess,
    ServiceHttp,
}

impl Path {
    const ALL: [Path; 3] = [Path::SessionHttp, Path::ServiceInProcess, Path::ServiceHttp];
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so widths in format strings apply
        f.pad(match self {
            Path::SessionHttp => "session+http (flow_load)",
            Path::ServiceInProcess => "service+inproc",
            Path::ServiceHttp => "service+http",
        })
    }
}

/// One timed run of `path` on a fresh sandbox; also checks that the sandbox holds one new account
/// per successful registration (a shortfall counts as failures).
async fn measure(path: Path, total: u64, concurrency: u64) -> RunStats {
    let sandbox = load_common::sandbox();
    let (stats, running) = match path {
        Path::SessionHttp => {
            let (running, client) = load_common::serve(sandbox.clone()).await;
            let sb = sandbox.clone();
            let stats = run(total, concurrency, move |n| {
                let client = client.clone();
                let sandbox = sb.clone();
                async move { load_common::register_session(&client, &sandbox, n).await }
            })
            .await;
            (stats, Some(running))
        }
        Path::ServiceInProcess | Path::ServiceHttp => {
            let (backend, running): (Arc<dyn RegistryBackend>, _) = if path == Path::ServiceHttp {
                let (running, client) = load_common::serve(sandbox.clone()).await;
                (Arc::new(client), Some(running))
            } else {
                (Arc::new(InProcessBackend::new(sandbox.clone())), None)
            };
            let service = RegistrationService::new(
                backend,
                Arc::new(MemoryStore::new()),
                Arc::new(SystemClock),
            );
            let sb = sandbox.clone();
            let stats = run(total, concurrency, move |n| {
                let service = service.clone();
                let sandbox = sb.clone();
                async move { register_service(&service, &sandbox, n).await }
            })
            .await;
            (stats, running)
        }
    };
    if let Some(running) = running {
        running.shutdown().await;
    }
    let mut stats = stats;
    let accounts = sandbox.accounts().len() as u64;
    let succeeded = stats.latencies.len() as u64;
    if accounts < succeeded {
        eprintln!(
            "{path}: {succeeded} registrations succeeded but the sandbox has {accounts} accounts"
        );
        stats.failures += succeeded - accounts;
    }
    stats
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

/// External mode: registrations through the service to the sandbox at `--url`.
fn external() {
    let (mut url, mut total, mut concurrency, mut first) = (String::new(), 200, 1, 0);
    let mut args = std::env::args().skip(1);
    while let (Some(flag), Some(value)) = (args.next(), args.next()) {
        let num = || value.parse::<u64>().expect("a number");
        match flag.as_str() {
            "--url" => url = value.clone(),
            "--registrations" => total = num(),
            "--concurrency" => concurrency = num().max(1),
            "--first" => first = num(),
            other => panic!("unknown option {other}"),
        }
    }
    let runtime = load_common::runtime_for(concurrency);
    let stats = runtime.block_on(async move {
        let client = abdm_hpr::GatewayClient::builder()
            .base_url(&url)
            .api_key("bench")
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client");
        let service = RegistrationService::new(
            Arc::new(client),
            Arc::new(MemoryStore::new()),
            Arc::new(SystemClock),
        );
        run(total, concurrency, move |i| {
            let service = service.clone();
            async move {
                let n = first + i;
                let aadhaar = load_common::aadhaar(n);
                let mobile = load_common::other_mobile(n);
                load_common::register_service_with(&service, &aadhaar, &mobile, n).await
            }
        })
        .await
    });
    let ok = stats.latencies.len();
    let sum: std::time::Duration = stats.latencies.iter().sum();
    println!(
        "{{\"registrations\":{ok},\"concurrency\":{concurrency},\"mean_ms\":{:.2},\"p50_ms\":{:.2},\"registrations_per_s\":{:.1},\"errors\":{}}}",
        sum.as_secs_f64() * 1e3 / ok.max(1) as f64,
        percentile_ms(&stats.latencies, 0.50),
        stats.rate(),
        stats.failures,
    );
    if stats.failures > 0 {
        std::process::exit(1);
    }
}

fn main() {
    if std::env::args().any(|a| a == "--url") {
        return external();
    }
    let (total, concurrency) = load_common::args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "service_load: {total} registrations per run, concurrency {concurrency}, {ROUNDS} rounds, {cores} cores, load average {}",
        load_average()
    );
    let runtime = load_common::runtime();
    let mut results: Vec<(Path, Vec<RunStats>)> =
        Path::ALL.iter().map(|&p| (p, Vec::new())).collect();
    for round in 0..ROUNDS {
        for i in 0..Path::ALL.len() {
            let slot = (round + i) % Path::ALL.len();
            let path = Path::ALL[slot];
            let stats = runtime.block_on(measure(path, total, concurrency));
            println!(
                "  round {} {path:<26} {:>7.0} registrations/s  ({} ok, {} failed, {:.2} s)",
                round + 1,
                stats.rate(),
                stats.latencies.len(),
                stats.failures,
                stats.elapsed.as_secs_f64(),
            );
            results[slot].1.push(stats);
        }
    }

    println!();
    println!(
        "{:<26} {:>29} {:>8} {:>8} {:>8} {:>11}",
        "path", "registrations/s med (min-max)", "p50 ms", "p99 ms", "failures", "mobile-OTP"
    );
    let mut failures = 0;
    for (path, runs) in &results {
        let mut rates: Vec<f64> = runs.iter().map(RunStats::rate).collect();
        rates.sort_by(f64::total_cmp);
        let rate = format!(
            "{:.0} ({:.0}-{:.0})",
            rates[rates.len() / 2],
            rates[0],
            rates[rates.len() - 1]
        );
        let mut latencies: Vec<_> = runs
            .iter()
            .flat_map(|r| r.latencies.iter().copied())
            .collect();
        latencies.sort();
        let failed: u64 = runs.iter().map(|r| r.failures).sum();
        let mobile_otp: u64 = runs.iter().map(|r| r.mobile_otp).sum();
        failures += failed;
        println!(
            "{:<26} {rate:>29} {:>8.2} {:>8.2} {failed:>8} {:>11}",
            path.to_string(),
            percentile_ms(&latencies, 0.50),
            percentile_ms(&latencies, 0.99),
            format!("{mobile_otp}/{}", latencies.len()),
        );
    }
    println!("load average after: {}", load_average());
    if failures > 0 {
        eprintln!("service_load: {failures} registrations failed");
        std::process::exit(1);
    }
}
