//! Any `SandboxConfig` that `validate()` accepts serves requests without panicking: a property
//! test over the whole settings space (zero and 100-year durations, any attempt count, fault
//! rates and kinds, body limits, request-log capacities, keys), driving contract operations both
//! in-process (a panic propagates straight into the test) and over loopback HTTP through the
//! router's middleware (a panic in a handler is caught by a panic hook, since hyper would only
//! drop that connection).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use abdm_hpr::RegistryApi as _;
use abdm_hpr::types::{
    CheckAccountExistRequest, DemographicAuthInput, DemographicAuthRequest,
    GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest, GenerateMobileOtpInput,
    GenerateMobileOtpRequest, HprIdSuggestionInput, HprIdSuggestionRequest, Otp,
    VerifyAadhaarOtpRequest,
};
use hpr_sandbox::config::MAX_DURATION;
use hpr_sandbox::{FaultKind, InProcessBackend, Sandbox, SandboxConfig, SmsOutput};
use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::strategy::ValueTree as _;

const AADHAAR: &str = "234123412346";

static PANICKED: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Records every panic, on any thread, then reports it as usual.
fn watch_panics() {
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            default(info);
        }));
    });
}

/// Mostly accepted values (the edges included), sometimes one that `validate()` refuses: most
/// generated configs are then valid, and the refused ones check that `Sandbox::new` agrees.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        3 => Just(Duration::ZERO),
        2 => Just(Duration::from_nanos(1)),
        2 => Just(Duration::from_secs(1)),
        4 => Just(MAX_DURATION),
        8 => (0..=MAX_DURATION.as_secs()).prop_map(Duration::from_secs),
        1 => Just(MAX_DURATION + Duration::from_secs(1)),
        1 => Just(Duration::MAX),
    ]
}

fn config() -> impl Strategy<Value = SandboxConfig> {
    let timings = (
        any::<Option<u64>>(),
        prop_oneof![
            4 => Just(None),
            4 => Just(Some("123456".to_owned())),
            4 => "[0-9]{6}".prop_map(Some),
            1 => "[0-9a-z]{0,8}".prop_map(Some),
        ],
        duration(),
        duration(),
        prop_oneof![
            1 => Just(0u32),
            3 => Just(1),
            3 => Just(3),
            3 => Just(u32::MAX),
            3 => any::<u32>(),
        ],
        duration(),
    );
    let edges = (
        prop_oneof![
            6 => Just(Vec::new()),
            6 => Just(vec!["k".to_owned()]),
            1 => Just(vec!["k".to_owned(), " ".to_owned()]),
            1 => Just(vec![String::new()]),
        ],
        prop_oneof![
            8 => Just(Duration::ZERO),
            4 => Just(Duration::from_millis(1)),
            2 => Just(MAX_DURATION),
            1 => Just(Duration::MAX),
        ],
        prop_oneof![
            4 => Just(0.0),
            2 => Just(1.0),
            6 => 0.0..=1.0f64,
            1 => Just(f64::NAN),
            1 => Just(-0.1),
            1 => Just(1.5),
            1 => Just(f64::INFINITY),
        ],
        subsequence(FaultKind::ALL.to_vec(), 0..=FaultKind::ALL.len()),
        prop_oneof![
            Just(0usize),
            Just(1),
            Just(64),
            Just(2 << 20),
            Just(usize::MAX)
        ],
        prop_oneof![Just(0usize), Just(1), Just(10_000), Just(usize::MAX)],
    );
    (timings, edges).prop_map(
        |(
            (seed, fixed_otp, otp_ttl, txn_ttl, max_otp_attempts, resend_interval),
            (api_keys, latency, fault_rate, faults, max_body_bytes, request_log_capacity),
        )| SandboxConfig {
            seed,
            fixed_otp,
            otp_ttl,
            txn_ttl,
            max_otp_attempts,
            resend_interval,
            api_keys,
            latency,
            fault_rate,
            faults,
            sms: SmsOutput::Silent,
            max_body_bytes,
            request_log_capacity,
            ..SandboxConfig::default()
        },
    )
}

/// Steps 1–5 and a suggestion request in-process, with a wrong OTP first; every answer, error
/// or not, is fine: only a panic fails.
async fn in_process(sandbox: &Sandbox) {
    let backend = InProcessBackend::new(sandbox.clone());
    let request = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
        aadhaar: Some(AADHAAR.into()),
    })
    .unwrap();
    let Ok(sent) = backend.generate_aadhaar_otp(&request).await else {
        return;
    };
    let txn = sent.txn_id;
    let _ = backend.generate_aadhaar_otp(&request).await;
    let otp = sandbox
        .latest_otp(txn.as_str())
        .map(|s| s.otp)
        .unwrap_or_else(|| "123456".into());
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    for attempt in [wrong, otp.as_str()] {
        let verify = VerifyAadhaarOtpRequest::new(txn.clone(), Otp::parse(attempt).unwrap());
        let _ = backend.verify_aadhaar_otp(&verify).await;
    }
    let _ = backend
        .check_account_exist(&CheckAccountExistRequest::new(txn.clone()))
        .await;
    let demo = DemographicAuthRequest::try_from(DemographicAuthInput {
        mobile_number: Some("9123456789".into()),
        txn_id: Some(txn.as_str().into()),
    })
    .unwrap();
    let _ = backend.demographic_auth_via_mobile(&demo).await;
    let mobile = GenerateMobileOtpRequest::try_from(GenerateMobileOtpInput {
        mobile: Some("9123456789".into()),
        txn_id: Some(txn.as_str().into()),
    })
    .unwrap();
    let _ = backend.generate_mobile_otp(&mobile).await;
    let suggest = HprIdSuggestionRequest::try_from(HprIdSuggestionInput {
        txn_id: Some(txn.as_str().into()),
    })
    .unwrap();
    let _ = backend.get_hpr_id_suggestion(&suggest).await;
}

/// A few requests through the router and its middleware (auth, faults, body limit, request
/// log, 404/405) over loopback; transport errors (injected resets) are fine.
async fn over_http(sandbox: &Sandbox) {
    let running = sandbox
        .clone()
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = running.base_url();
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let body = format!(r#"{{"aadhaar":"{AADHAAR}"}}"#);
    for auth in ["Bearer k", "Bearer other", ""] {
        let mut request = http
            .post(format!("{base}/aadhaar/generateOtp"))
            .header("content-type", "application/json")
            .body(body.clone());
        if !auth.is_empty() {
            request = request.header("authorization", auth);
        }
        if let Ok(response) = request.send().await {
            let _ = response.text().await;
        }
    }
    for (method, path) in [
        (reqwest::Method::GET, "/aadhaar/verifyOtp"),
        (reqwest::Method::POST, "/nope"),
        (reqwest::Method::GET, "/_sandbox/requests"),
        (reqwest::Method::GET, "/_sandbox/health"),
    ] {
        if let Ok(response) = http
            .request(method, format!("{base}{path}"))
            .header("authorization", "Bearer k")
            .send()
            .await
        {
            let _ = response.text().await;
        }
    }
    tokio::time::timeout(Duration::from_secs(5), running.shutdown())
        .await
        .expect("the sandbox stops");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_config_validate_accepts_serves_without_panicking(config in config()) {
        watch_panics();
        let accepted = config.validate().is_ok();
        // HTTP only when a request cannot be held for long by the settings themselves
        let quick = config.latency <= Duration::from_millis(1);
        let built = Sandbox::new(config);
        prop_assert_eq!(built.is_ok(), accepted, "Sandbox::new agrees with validate()");
        let Ok(sandbox) = built else { return Ok(()) };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(in_process(&sandbox));
        if quick {
            runtime.block_on(over_http(&sandbox));
        }
        runtime.shutdown_timeout(Duration::from_millis(100));
        prop_assert!(!PANICKED.load(Ordering::SeqCst), "a request panicked");
    }
}

/// The generator is biased so that the property is exercised on many accepted configs, not
/// just on refused ones.
#[test]
fn the_generator_mostly_makes_accepted_configs() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let accepted = (0..400)
        .filter(|_| {
            config()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .validate()
                .is_ok()
        })
        .count();
    assert!(
        accepted >= 40,
        "only {accepted} of 400 configs are accepted"
    );
}
