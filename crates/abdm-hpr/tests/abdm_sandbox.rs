//! `AbdmBackend` against the real offline simulator's ABDM dialect over loopback: whole
//! registrations on both branches through `RegistrationService` with one session, the password
//! encrypted and decrypted for real, and the sandbox expiring every token under 64 concurrent
//! callers — one renewal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use abdm_hpr::abdm::FieldModes;
use abdm_hpr::flow::{MemoryStore, RegistrationService, Stage, Step, SystemClock};
use abdm_hpr::types::{GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest, verhoeff};
use abdm_hpr::{AbdmBackend, RegistryApi};
use hpr_sandbox::{RunningSandbox, Sandbox, SandboxConfig, SmsOutput};
use serde_json::{Value, json};

const OTP: &str = "123456";

async fn start() -> RunningSandbox {
    Sandbox::new(SandboxConfig {
        seed: Some(3),
        fixed_otp: Some(OTP.into()),
        resend_interval: Duration::ZERO,
        sms: SmsOutput::Silent,
        ..SandboxConfig::default()
    })
    .unwrap()
    .start("127.0.0.1:0".parse().unwrap())
    .await
    .unwrap()
}

fn backend(running: &RunningSandbox, modes: FieldModes) -> AbdmBackend {
    AbdmBackend::builder()
        .client_id(hpr_sandbox::DEFAULT_ABDM_CLIENT_ID)
        .client_secret(hpr_sandbox::DEFAULT_ABDM_CLIENT_SECRET)
        .hpr_url(running.abdm_hpr_url())
        .gateway_url(running.abdm_gateway_url())
        .field_modes(modes)
        .build()
        .unwrap()
}

/// The `n`-th synthetic Aadhaar number (first digit 2, the Verhoeff check digit last).
fn aadhaar(n: u64) -> String {
    let payload = format!("2{n:010}");
    let digits: Vec<u8> = payload.bytes().map(|b| b - b'0').collect();
    format!("{payload}{}", verhoeff::check_digit(&digits))
}

/// One registration through `service`, following `next_step`; returns the steps taken.
async fn register(
    service: &RegistrationService,
    id: &str,
    aadhaar: &str,
    mobile: &str,
) -> Vec<Step> {
    let (mut stored, mut outcome) = service
        .start(id, json!({"aadhaar": aadhaar}))
        .await
        .unwrap();
    let mut steps = vec![Step::GenerateAadhaarOtp];
    while let Some(step) = outcome.next_step {
        let payload = match step {
            Step::VerifyAadhaarOtp | Step::VerifyMobileOtp => json!({"otp": OTP}),
            Step::DemographicAuthViaMobile => json!({"mobileNumber": mobile}),
            Step::CreateHprIdWithPreverified => json!({
                "hprId": outcome.data[0].as_str().unwrap(),
                "password": "Ayushman@143",
                "email": "asha@example.com",
                "hpCategoryCode": "1",
                "hpSubCategoryCode": "1",
            }),
            _ => Value::Null,
        };
        (stored, outcome) = service
            .step(id, step, payload, Some(stored.revision))
            .await
            .unwrap();
        steps.push(step);
    }
    assert_eq!(stored.session.stage(), Stage::Completed);
    steps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_branches_register_through_the_service_with_one_session_and_a_sealed_password() {
    let running = start().await;
    let service = RegistrationService::new(
        Arc::new(backend(&running, FieldModes::default())),
        Arc::new(MemoryStore::new()),
        Arc::new(SystemClock),
    );
    let (first, second) = (aadhaar(1), aadhaar(2));
    let linked = running.identity(&first).unwrap().mobile;
    let verified = register(&service, "r1", &first, &linked).await;
    assert!(!verified.contains(&Step::GenerateMobileOtp));
    let other = if running.identity(&second).unwrap().mobile == "9988776655" {
        "9988776644"
    } else {
        "9988776655"
    };
    let by_otp = register(&service, "r2", &second, other).await;
    assert!(by_otp.contains(&Step::VerifyMobileOtp));
    assert_eq!(running.accounts().len(), 2);
    assert_eq!(running.abdm_sessions_issued(), 1, "one token for 14 calls");
    let paths: Vec<String> = running.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.ends_with("/v1/auth/cert"))
            .count(),
        1,
        "the key is fetched once: {paths:?}"
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_callers_after_the_sandbox_expired_every_token_cause_one_renewal() {
    let running = start().await;
    let abdm = backend(&running, FieldModes::none());
    let request = |n| {
        GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
            aadhaar: Some(aadhaar(n)),
        })
        .unwrap()
    };
    abdm.generate_aadhaar_otp(&request(100)).await.unwrap();
    assert_eq!(running.abdm_sessions_issued(), 1);
    assert_eq!(running.expire_abdm_tokens(), 1);

    let mut calls = tokio::task::JoinSet::new();
    for n in 0..64 {
        let (abdm, request) = (abdm.clone(), request(200 + n));
        calls.spawn(async move { abdm.generate_aadhaar_otp(&request).await });
    }
    for answer in calls.join_all().await {
        answer.unwrap();
    }
    assert_eq!(running.abdm_sessions_issued(), 2, "exactly one renewal");
    running.shutdown().await;
}
