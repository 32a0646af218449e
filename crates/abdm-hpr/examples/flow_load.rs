//! In-process benchmark of the guided flow: N whole registrations through `RegistrationSession`
//! and `GatewayClient` against an embedded sandbox on 127.0.0.1, C at a time.
//!
//! `cargo run --release -p abdm-hpr --example flow_load -- [REGISTRATIONS] [CONCURRENCY]`
//! (defaults 2000 and 32). Half take the verified-mobile branch, half the mobile-OTP branch.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use abdm_hpr::GatewayClient;
use abdm_hpr::flow::{RegistrationSession, Stage};
use abdm_hpr::types::{Aadhaar, CreateHprIdInput, Mobile, Otp, verhoeff};
use hpr_sandbox::{Sandbox, SandboxConfig};

/// The `n`-th synthetic Aadhaar number: first digit 2, a counter, the Verhoeff check digit.
fn aadhaar(n: u64) -> Aadhaar {
    let payload = format!("2{n:010}");
    let digits: Vec<u8> = payload.bytes().map(|b| b - b'0').collect();
    let check = verhoeff::check_digit(&digits);
    format!("{payload}{check}")
        .parse()
        .expect("valid synthetic Aadhaar")
}

async fn register(
    client: &GatewayClient,
    sandbox: &Sandbox,
    n: u64,
) -> Result<(), abdm_hpr::Error> {
    let otp: Otp = "123456".parse().expect("six digits");
    let aadhaar = aadhaar(n);
    let linked = sandbox
        .identity(aadhaar.expose())
        .expect("valid Aadhaar")
        .mobile;
    let mut session = RegistrationSession::new();
    session.generate_aadhaar_otp(client, &aadhaar).await?;
    session.verify_aadhaar_otp(client, &otp).await?;
    session.check_account_exist(client).await?;
    let mobile: Mobile = if n.is_multiple_of(2) {
        linked.parse().expect("sandbox mobiles are valid")
    } else {
        // almost never the derived identity's linked mobile; if it is, the verified branch runs
        format!("600{:07}", n % 10_000_000)
            .parse()
            .expect("valid mobile")
    };
    session.demographic_auth_via_mobile(client, &mobile).await?;
    if session.stage() == Stage::MobileUnverified {
        session.generate_mobile_otp(client, None).await?;
        session.verify_mobile_otp(client, &otp).await?;
    }
    session.get_hpr_id_suggestion(client).await?;
    let details = CreateHprIdInput {
        hpr_id: Some(format!("load.user{n}")),
        password: Some("Ayushman@143".into()),
        email: Some(format!("user{n}@example.com")),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        ..Default::default()
    };
    session.create_hpr_id(client, details).await?;
    assert_eq!(session.stage(), Stage::Completed);
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let total: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(32)
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let config = SandboxConfig {
            seed: Some(1),
            fixed_otp: Some("123456".into()),
            request_log_capacity: 0,
            ..SandboxConfig::default()
        };
        let running = Sandbox::new(config)
            .expect("valid config")
            .start("127.0.0.1:0".parse().expect("loopback"))
            .await
            .expect("sandbox starts");
        let client = GatewayClient::builder()
            .base_url(running.base_url())
            .api_key("load")
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let sandbox = Arc::new(running.sandbox().clone());
        let started = Instant::now();
        let mut workers = Vec::new();
        for worker in 0..concurrency {
            let client = client.clone();
            let sandbox = sandbox.clone();
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0u64;
                let mut n = worker;
                while n < total {
                    let t = Instant::now();
                    match register(&client, &sandbox, n).await {
                        Ok(()) => latencies.push(t.elapsed()),
                        Err(e) => {
                            failures += 1;
                            eprintln!("registration {n} failed: {e}");
                        }
                    }
                    n += concurrency;
                }
                (latencies, failures)
            }));
        }
        let mut latencies = Vec::new();
        let mut failures = 0;
        for worker in workers {
            let (l, f) = worker.await.expect("worker");
            latencies.extend(l);
            failures += f;
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let pct = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "flow_load: {} registrations ({} failed) in {:.2} s = {:.0} registrations/s; per registration p50 {:.2} ms, p99 {:.2} ms (concurrency {concurrency})",
            latencies.len(),
            failures,
            elapsed.as_secs_f64(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
        );
        running.shutdown().await;
    });
}
