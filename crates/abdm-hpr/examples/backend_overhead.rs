//! What Backend B (direct to ABDM: `AbdmBackend`) costs over Backend A (the gateway:
//! `GatewayClient`), measured in one run against the same sandbox served on loopback.
//!
//! ```text
//! cargo run --release -p abdm-hpr --example backend_overhead -- [REGISTRATIONS] [CONCURRENCY]
//! ```
//!
//! (defaults 2000 and 32). Three paths, each a whole registration (6 or 8 calls) through
//! `RegistrationService` + `MemoryStore`, on a fresh sandbox (seed 1, fixed OTP, no throttling):
//!
//! - `A gateway`: `GatewayClient` to the sandbox's gateway dialect;
//! - `B abdm clear`: `AbdmBackend` to its ABDM dialect with no field encrypted — the cost of the
//!   session token (one session request per run, then the shared cache), B's paths and bodies;
//! - `B abdm sealed`: the default, `password` RSA-OAEP-SHA1 encrypted with the key fetched from
//!   the certificate endpoint; this row also pays the sandbox's RSA-2048 *decryption* (a
//!   private-key operation, far dearer than the client's public-key sealing, which is measured
//!   on its own below).
//!
//! Each path runs sequentially (REGISTRATIONS / 10 registrations, concurrency 1: the latency
//! difference per call is the overhead) and at CONCURRENCY, in 3 rounds with the order rotated.
//! Figures are medians (min–max) over the rounds. Any failure exits with status 1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod load_common;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use abdm_hpr::abdm::FieldModes;
use abdm_hpr::flow::{MemoryStore, RegistrationService, SystemClock};
use abdm_hpr::{AbdmBackend, RegistryBackend};
use hpr_sandbox::{Sandbox, SandboxConfig};
use load_common::{OTP, RunStats, register_service, run};
use rsa::pkcs8::DecodePublicKey as _;

const ROUNDS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Gateway,
    AbdmClear,
    AbdmSealed,
}

impl Path {
    const ALL: [Path; 3] = [Path::Gateway, Path::AbdmClear, Path::AbdmSealed];
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Path::Gateway => "A gateway",
            Path::AbdmClear => "B abdm clear",
            Path::AbdmSealed => "B abdm sealed (password)",
        })
    }
}

/// One run's figures.
struct Measured {
    stats: RunStats,
    /// Calls made by the successful registrations (6 per verified, 8 per mobile-OTP branch).
    calls: u64,
    sessions: u64,
}

impl Measured {
    /// Mean wall time per call, in microseconds, over the registrations' own latencies.
    fn per_call_us(&self) -> f64 {
        let total: Duration = self.stats.latencies.iter().sum();
        total.as_secs_f64() * 1e6 / self.calls.max(1) as f64
    }
}

fn sandbox(path: Path) -> Sandbox {
    let encrypted = if path == Path::AbdmSealed {
        FieldModes::default()
    } else {
        FieldModes::none()
    };
    Sandbox::new(SandboxConfig {
        seed: Some(1),
        fixed_otp: Some(OTP.into()),
        resend_interval: Duration::ZERO,
        request_log_capacity: 0,
        abdm_encrypted: encrypted,
        ..SandboxConfig::default()
    })
    .expect("valid config")
}

async fn measure(path: Path, total: u64, concurrency: u64) -> Measured {
    let sandbox = sandbox(path);
    let running = sandbox
        .clone()
        .start("127.0.0.1:0".parse().expect("loopback"))
        .await
        .expect("sandbox starts");
    let backend: Arc<dyn RegistryBackend> = match path {
        Path::Gateway => Arc::new(
            abdm_hpr::GatewayClient::builder()
                .base_url(running.base_url())
                .api_key("load")
                .build()
                .expect("client"),
        ),
        Path::AbdmClear | Path::AbdmSealed => Arc::new(
            AbdmBackend::builder()
                .client_id(hpr_sandbox::DEFAULT_ABDM_CLIENT_ID)
                .client_secret(hpr_sandbox::DEFAULT_ABDM_CLIENT_SECRET)
                .hpr_url(running.abdm_hpr_url())
                .gateway_url(running.abdm_gateway_url())
                .field_modes(if path == Path::AbdmSealed {
                    FieldModes::default()
                } else {
                    FieldModes::none()
                })
                .build()
                .expect("backend"),
        ),
    };
    let service =
        RegistrationService::new(backend, Arc::new(MemoryStore::new()), Arc::new(SystemClock));
    let sb = sandbox.clone();
    let stats = run(total, concurrency, move |n| {
        let service = service.clone();
        let sandbox = sb.clone();
        async move { register_service(&service, &sandbox, n).await }
    })
    .await;
    let sessions = sandbox.abdm_sessions_issued();
    running.shutdown().await;
    let ok = stats.latencies.len() as u64;
    let calls = 6 * (ok - stats.mobile_otp) + 8 * stats.mobile_otp;
    Measured {
        stats,
        calls,
        sessions,
    }
}

fn median(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

/// Microseconds per sealing of one 12-byte field with the sandbox's kind of key (RSA-2048), the
/// client's public-key operation alone.
fn sealing_us(padding_oaep: bool) -> f64 {
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("key");
    let pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(
        &private.to_public_key(),
        rsa::pkcs8::LineEnding::LF,
    )
    .expect("pem");
    let key = rsa::RsaPublicKey::from_public_key_pem(&pem).expect("key");
    let rounds = 2000;
    let started = Instant::now();
    for _ in 0..rounds {
        let mut rng = rsa::rand_core::OsRng;
        let sealed = if padding_oaep {
            key.encrypt(&mut rng, rsa::Oaep::new::<sha1::Sha1>(), b"Ayushman@143")
        } else {
            key.encrypt(&mut rng, rsa::Pkcs1v15Encrypt, b"Ayushman@143")
        };
        std::hint::black_box(sealed.expect("sealed"));
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
}

fn main() {
    let (total, concurrency) = load_common::args();
    let sequential = (total / 10).max(50);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "backend_overhead: {sequential} sequential and {total} registrations at concurrency {concurrency}, {ROUNDS} rounds, {cores} cores"
    );
    let runtime = load_common::runtime();
    let mut results: Vec<(Path, Vec<Measured>, Vec<Measured>)> = Path::ALL
        .iter()
        .map(|&p| (p, Vec::new(), Vec::new()))
        .collect();
    let mut failures = 0;
    for round in 0..ROUNDS {
        for i in 0..Path::ALL.len() {
            let slot = (round + i) % Path::ALL.len();
            let path = Path::ALL[slot];
            let seq = runtime.block_on(measure(path, sequential, 1));
            let par = runtime.block_on(measure(path, total, concurrency));
            println!(
                "  round {} {path:<26} sequential {:>7.1} µs/call, concurrent {:>6.0} registrations/s, sessions {}+{}",
                round + 1,
                seq.per_call_us(),
                par.stats.rate(),
                seq.sessions,
                par.sessions,
            );
            failures += seq.stats.failures + par.stats.failures;
            results[slot].1.push(seq);
            results[slot].2.push(par);
        }
    }
    let a_seq = median(results[0].1.iter().map(Measured::per_call_us).collect()).0;
    let a_rate = median(results[0].2.iter().map(|m| m.stats.rate()).collect()).0;
    println!();
    println!(
        "{:<26} {:>26} {:>16} {:>30} {:>9}",
        "path",
        "µs per call, c=1 (min-max)",
        "overhead vs A",
        "registrations/s, c=N (min-max)",
        "vs A"
    );
    for (path, seq, par) in &results {
        let (s, s_lo, s_hi) = median(seq.iter().map(Measured::per_call_us).collect());
        let (r, r_lo, r_hi) = median(par.iter().map(|m| m.stats.rate()).collect());
        println!(
            "{:<26} {:>26} {:>16} {:>30} {:>9}",
            path.to_string(),
            format!("{s:.1} ({s_lo:.1}-{s_hi:.1})"),
            format!("{:+.1} µs", s - a_seq),
            format!("{r:.0} ({r_lo:.0}-{r_hi:.0})"),
            format!("{:.2}x", r / a_rate),
        );
    }
    println!();
    println!(
        "client-side sealing of one field, RSA-2048 public key: OAEP-SHA1 {:.1} µs, PKCS#1 v1.5 {:.1} µs",
        sealing_us(true),
        sealing_us(false)
    );
    if failures > 0 {
        eprintln!("backend_overhead: {failures} registrations failed");
        std::process::exit(1);
    }
}
