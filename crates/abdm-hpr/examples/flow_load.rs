//! In-process benchmark of the guided flow: N whole registrations through `RegistrationSession`
//! and `GatewayClient` against an embedded sandbox on 127.0.0.1, C at a time.
//!
//! `cargo run --release -p abdm-hpr --example flow_load -- [REGISTRATIONS] [CONCURRENCY]`
//! (defaults 2000 and 32). Half take the verified-mobile branch, half the mobile-OTP branch.
//! `service_load` runs this same path beside the `RegistrationService` ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod load_common;

use load_common::{percentile_ms, register_session, run};

fn main() {
    let (total, concurrency) = load_common::args();
    load_common::runtime().block_on(async move {
        let (running, client) = load_common::serve(load_common::sandbox()).await;
        let sandbox = running.sandbox().clone();
        let stats = run(total, concurrency, move |n| {
            let client = client.clone();
            let sandbox = sandbox.clone();
            async move { register_session(&client, &sandbox, n).await }
        })
        .await;
        println!(
            "flow_load: {} registrations ({} failed) in {:.2} s = {:.0} registrations/s; per registration p50 {:.2} ms, p99 {:.2} ms (concurrency {concurrency})",
            stats.latencies.len(),
            stats.failures,
            stats.elapsed.as_secs_f64(),
            stats.rate(),
            percentile_ms(&stats.latencies, 0.50),
            percentile_ms(&stats.latencies, 0.99),
        );
        running.shutdown().await;
        if stats.failures > 0 {
            std::process::exit(1);
        }
    });
}
