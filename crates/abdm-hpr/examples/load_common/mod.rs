//! What the load examples share (`flow_load`, `service_load`, `backend_overhead`): synthetic
//! inputs, a fresh sandbox, the two registration drivers (`RegistrationSession` over a
//! `GatewayClient`; `RegistrationService` following `next_step`) and the worker loop that times
//! whole registrations. A directory module, so Cargo does not take it for an example; each example
//! uses part of it.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use abdm_hpr::GatewayClient;
use abdm_hpr::flow::{PayloadHint, RegistrationService, RegistrationSession, Stage, Step};
use abdm_hpr::types::{Aadhaar, CreateHprIdInput, Mobile, Otp, verhoeff};
use hpr_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// The OTP every sandbox here sends.
pub const OTP: &str = "123456";

/// A fresh sandbox: fixed seed and OTP, no resend throttling, no request log, SMS silent.
pub fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        seed: Some(1),
        fixed_otp: Some(OTP.into()),
        resend_interval: Duration::ZERO,
        request_log_capacity: 0,
        ..SandboxConfig::default()
    })
    .expect("valid config")
}

/// Serves `sandbox` on 127.0.0.1 (an OS-chosen port) and builds a client for it.
pub async fn serve(sandbox: Sandbox) -> (RunningSandbox, GatewayClient) {
    let running = sandbox
        .start("127.0.0.1:0".parse().expect("loopback"))
        .await
        .expect("sandbox starts");
    let client = GatewayClient::builder()
        .base_url(running.base_url())
        .api_key("load")
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    (running, client)
}

/// The `n`-th synthetic Aadhaar number: first digit 2, a counter, the Verhoeff check digit.
pub fn aadhaar(n: u64) -> Aadhaar {
    let payload = format!("2{n:010}");
    let digits: Vec<u8> = payload.bytes().map(|b| b - b'0').collect();
    let check = verhoeff::check_digit(&digits);
    format!("{payload}{check}")
        .parse()
        .expect("valid synthetic Aadhaar")
}

/// The mobile registration `n` gives: even `n` the Aadhaar-linked one (verified branch), odd `n`
/// another one (mobile-OTP branch; if it happens to be the linked one, the verified branch runs).
pub fn mobile(sandbox: &Sandbox, aadhaar: &Aadhaar, n: u64) -> Mobile {
    if n.is_multiple_of(2) {
        let linked = sandbox
            .identity(aadhaar.expose())
            .expect("valid Aadhaar")
            .mobile;
        linked.parse().expect("sandbox mobiles are valid")
    } else {
        other_mobile(n)
    }
}

/// Which way a registration went after the demographic check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// The mobile was the Aadhaar-linked one: no mobile OTP.
    Verified,
    /// Another mobile: generate and verify a mobile OTP.
    MobileOtp,
}

/// Today's path: one whole registration through `RegistrationSession` over `client`.
pub async fn register_session(
    client: &GatewayClient,
    sandbox: &Sandbox,
    n: u64,
) -> Result<Branch, String> {
    let otp: Otp = OTP.parse().expect("six digits");
    let aadhaar = aadhaar(n);
    let mobile = mobile(sandbox, &aadhaar, n);
    let mut session = RegistrationSession::new();
    let fail = |e: abdm_hpr::Error| e.to_string();
    session
        .generate_aadhaar_otp(client, &aadhaar)
        .await
        .map_err(fail)?;
    session
        .verify_aadhaar_otp(client, &otp)
        .await
        .map_err(fail)?;
    session.check_account_exist(client).await.map_err(fail)?;
    session
        .demographic_auth_via_mobile(client, &mobile)
        .await
        .map_err(fail)?;
    let branch = if session.stage() == Stage::MobileUnverified {
        session
            .generate_mobile_otp(client, None)
            .await
            .map_err(fail)?;
        session
            .verify_mobile_otp(client, &otp)
            .await
            .map_err(fail)?;
        Branch::MobileOtp
    } else {
        Branch::Verified
    };
    session.get_hpr_id_suggestion(client).await.map_err(fail)?;
    let details = CreateHprIdInput {
        hpr_id: Some(format!("load.user{n}")),
        password: Some("Ayushman@143".into()),
        email: Some(format!("user{n}@example.com")),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        ..Default::default()
    };
    session.create_hpr_id(client, details).await.map_err(fail)?;
    match session.stage() {
        Stage::Completed => Ok(branch),
        other => Err(format!("ended at stage {other:?}, not Completed")),
    }
}

/// Values for demographics the e-KYC and account check did not supply, if the hint asks.
pub const DEMOGRAPHICS: [(&str, &str); 9] = [
    ("address", "12 MG Road"),
    ("dayOfBirth", "1"),
    ("monthOfBirth", "1"),
    ("yearOfBirth", "1990"),
    ("firstName", "Asha"),
    ("lastName", "Verma"),
    ("pincode", "110001"),
    ("stateCode", "9"),
    ("districtCode", "145"),
];

/// Create's payload: the caller's fields, plus any field `hint` still requires.
pub fn create_payload(n: u64, hint: Option<&PayloadHint>) -> Result<Value, String> {
    let mut payload = json!({
        "hprId": format!("load.user{n}"),
        "password": "Ayushman@143",
        "email": format!("user{n}@example.com"),
        "hpCategoryCode": "1",
        "hpSubCategoryCode": "1",
    });
    let map = payload.as_object_mut().expect("an object");
    for field in hint.map_or(&[][..], |h| &h.required_fields) {
        if map.contains_key(field) {
            continue;
        }
        let (_, value) = DEMOGRAPHICS
            .iter()
            .find(|(name, _)| name == field)
            .ok_or_else(|| format!("create requires `{field}`, which this benchmark lacks"))?;
        map.insert(field.clone(), Value::from(*value));
    }
    Ok(payload)
}

/// One whole registration through `service`, following `next_step` from the outcomes.
pub async fn register_service(
    service: &RegistrationService,
    sandbox: &Sandbox,
    n: u64,
) -> Result<Branch, String> {
    let aadhaar = aadhaar(n);
    let mobile = mobile(sandbox, &aadhaar, n);
    register_service_with(service, &aadhaar, &mobile, n).await
}

/// A mobile that is not the Aadhaar-linked one (unless by chance): the mobile-OTP branch, with
/// no need to know the sandbox's invented people.
pub fn other_mobile(n: u64) -> Mobile {
    format!("600{:07}", n % 10_000_000)
        .parse()
        .expect("valid mobile")
}

/// [`register_service`] with the Aadhaar number and the mobile given.
pub async fn register_service_with(
    service: &RegistrationService,
    aadhaar: &Aadhaar,
    mobile: &Mobile,
    n: u64,
) -> Result<Branch, String> {
    let id = format!("reg-{n}");
    let fail = |e: abdm_hpr::Error| e.to_string();
    let (mut stored, mut outcome) = service
        .start(&id, json!({ "aadhaar": aadhaar.expose() }))
        .await
        .map_err(fail)?;
    let mut branch = Branch::Verified;
    let mut steps = 1;
    while let Some(step) = outcome.next_step {
        steps += 1;
        if steps > 8 {
            return Err(format!("more than 8 steps (next: {step:?})"));
        }
        let payload = match step {
            Step::VerifyAadhaarOtp | Step::VerifyMobileOtp => json!({ "otp": OTP }),
            Step::DemographicAuthViaMobile => json!({ "mobileNumber": mobile.expose() }),
            Step::GenerateMobileOtp => {
                branch = Branch::MobileOtp;
                Value::Null
            }
            Step::CreateHprIdWithPreverified => {
                create_payload(n, outcome.next_step_payload_hint.as_ref())?
            }
            Step::CheckAccountExist | Step::GetHprIdSuggestion => Value::Null,
            Step::GenerateAadhaarOtp => return Err("asked to start again".into()),
        };
        (stored, outcome) = service
            .step(&id, step, payload, Some(stored.revision))
            .await
            .map_err(fail)?;
    }
    match (stored.session.stage(), stored.session.result()) {
        (Stage::Completed, Some(result)) if !result.existing => Ok(branch),
        (stage, _) => Err(format!("ended at stage {stage:?}, not a new account")),
    }
}

/// One timed run: `total` registrations, `concurrency` at a time.
#[derive(Debug, Default)]
pub struct RunStats {
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Wall time of each successful registration.
    pub latencies: Vec<Duration>,
    /// Registrations that returned an error.
    pub failures: u64,
    /// Successful registrations that took the mobile-OTP branch.
    pub mobile_otp: u64,
}

impl RunStats {
    /// Successful registrations per second of wall time.
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// The `p`-quantile (0.0–1.0) of sorted `latencies`, in milliseconds (nearest rank below).
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Runs `register(0..total)` on `concurrency` tasks (task `w` takes `w`, `w + concurrency`, …)
/// and times each registration and the whole run. At most 10 failures are printed.
pub async fn run<F, Fut>(total: u64, concurrency: u64, register: F) -> RunStats
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Branch, String>> + Send + 'static,
{
    let printed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let register = register.clone();
        let printed = printed.clone();
        workers.push(tokio::spawn(async move {
            let mut stats = RunStats::default();
            let mut n = worker;
            while n < total {
                let t = Instant::now();
                match register(n).await {
                    Ok(branch) => {
                        stats.latencies.push(t.elapsed());
                        stats.mobile_otp += u64::from(branch == Branch::MobileOtp);
                    }
                    Err(e) => {
                        stats.failures += 1;
                        if printed.fetch_add(1, Ordering::Relaxed) < 10 {
                            eprintln!("registration {n} failed: {e}");
                        }
                    }
                }
                n += concurrency;
            }
            stats
        }));
    }
    let mut all = RunStats::default();
    for worker in workers {
        let stats = worker.await.expect("worker");
        all.latencies.extend(stats.latencies);
        all.failures += stats.failures;
        all.mobile_otp += stats.mobile_otp;
    }
    all.elapsed = started.elapsed();
    all.latencies.sort();
    all
}

/// `[REGISTRATIONS] [CONCURRENCY]` from the command line (defaults 2000 and 32).
pub fn args() -> (u64, u64) {
    let mut args = std::env::args().skip(1);
    let total = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(32)
        .max(1);
    (total, concurrency)
}

/// The runtime the comparative benchmarks give every client: current-thread for one call at a
/// time, else multi-thread with 2 workers (the same for every client compared).
pub fn runtime_for(concurrency: u64) -> tokio::runtime::Runtime {
    let mut builder = if concurrency == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    builder.enable_all().build().expect("runtime")
}

/// A multi-threaded runtime (as many workers as cores).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
