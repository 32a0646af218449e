//! Injected faults, per request (`x-sandbox-fault`) and at random (`fault_rate`), as raw HTTP and
//! as the SDK client sees them; the admin API stays reachable through all of it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use abdm_hpr::types::GenerateAadhaarOtpRequest;
use abdm_hpr::{Error, RegistryApi as _};
use common::*;
use hpr_sandbox::{FAULT_HEADER, FaultKind, SandboxConfig};
use serde_json::json;

fn generate_request() -> GenerateAadhaarOtpRequest {
    aadhaar_otp_request(AADHAAR)
}

/// A sandbox that injects `kind` into every contract request.
async fn always(kind: FaultKind) -> Harness {
    start(SandboxConfig {
        fault_rate: 1.0,
        faults: vec![kind],
        ..config()
    })
    .await
}

async fn with_fault(h: &Harness, fault: &str) -> Reply {
    let body = json!({"aadhaar": AADHAAR}).to_string().into_bytes();
    h.post_with(
        "/aadhaar/generateOtp",
        body,
        &[("authorization", "Bearer k"), (FAULT_HEADER, fault)],
    )
    .await
}

#[tokio::test]
async fn status_faults_by_header_use_the_envelope() {
    let h = start_default().await;
    let r = with_fault(&h, "500").await;
    assert_his(&r, 500, "HIS-500");
    assert!(r.header("retry-after").is_none());

    let r = with_fault(&h, "503").await;
    assert_his(&r, 503, "HIS-503");
    assert_eq!(r.header("retry-after"), Some("1"));

    // a faulted request has no effect: no transaction was started
    assert!(h.running.requests().iter().all(|rec| rec.status >= 500));
    let r = h
        .post("/aadhaar/generateOtp", &json!({"aadhaar": AADHAAR}))
        .await;
    assert_eq!(
        r.status, 200,
        "no resend throttle from the faulted calls: {}",
        r.text
    );
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_malformed_fault_is_200_with_invalid_json() {
    let h = start_default().await;
    let r = with_fault(&h, "malformed").await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
        "{}",
        r.text
    );
    // the header value is case-insensitive
    let r = with_fault(&h, "MALFORMED").await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&r.text).is_err());
    h.running.shutdown().await;

    let h = always(FaultKind::Malformed).await;
    match h.client.generate_aadhaar_otp(&generate_request()).await {
        Err(Error::Decode { status, .. }) => assert_eq!(status, 200),
        other => panic!("expected a decode error, got {other:?}"),
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_reset_fault_breaks_the_connection() {
    let h = start_default().await;
    let body = json!({"aadhaar": AADHAAR}).to_string();
    let result = async {
        let response = h
            .http
            .post(h.url("/aadhaar/generateOtp"))
            .header("authorization", "Bearer k")
            .header(FAULT_HEADER, "reset")
            .body(body)
            .send()
            .await?;
        response.bytes().await
    }
    .await;
    assert!(result.is_err(), "the body should not arrive whole");
    h.running.shutdown().await;

    let h = always(FaultKind::Reset).await;
    match h.client.generate_aadhaar_otp(&generate_request()).await {
        Err(Error::Transport { .. }) => {}
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_timeout_fault_never_answers() {
    let h = start_default().await;
    let result = h
        .http
        .post(h.url("/aadhaar/generateOtp"))
        .header("authorization", "Bearer k")
        .header(FAULT_HEADER, "timeout")
        .body(json!({"aadhaar": AADHAAR}).to_string())
        .timeout(SHORT_TIMEOUT)
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));

    let h = always(FaultKind::Timeout).await;
    let client = abdm_hpr::GatewayClient::builder()
        .base_url(h.running.base_url())
        .api_key(KEY)
        .timeout(SHORT_TIMEOUT)
        .build()
        .unwrap();
    match client.generate_aadhaar_otp(&generate_request()).await {
        Err(Error::Timeout { during_connect, .. }) => assert!(!during_connect),
        other => panic!("expected a timeout, got {other:?}"),
    }
    // the admin API still answers
    assert_eq!(h.get("/_sandbox/health").await.status, 200);
}

#[tokio::test]
async fn an_unknown_fault_name_is_400() {
    let h = start_default().await;
    for bad in ["404", "slow", "", "500,503"] {
        let r = with_fault(&h, bad).await;
        assert_his(&r, 400, "HIS-400");
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn the_sdk_sees_status_faults_as_api_errors() {
    let h = always(FaultKind::Status500).await;
    let (status, cause) = sdk_cause(h.client.generate_aadhaar_otp(&generate_request()).await);
    assert_eq!((status, cause.as_str()), (500, "HIS-500"));
    h.running.shutdown().await;

    let h = always(FaultKind::Status503).await;
    let error = h
        .client
        .generate_aadhaar_otp(&generate_request())
        .await
        .unwrap_err();
    assert_eq!(error.api_code(), Some("HIS-503"));
    assert!(error.is_retryable());
    match &error {
        Error::Api { error, .. } => {
            assert_eq!(error.retry_after, Some(std::time::Duration::from_secs(1)))
        }
        other => panic!("expected an API error, got {other}"),
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_fault_rate_of_one_faults_every_contract_call_but_not_admin() {
    let h = always(FaultKind::Status503).await;
    for path in PATHS.into_iter().chain(["/no/such/path"]) {
        let r = h
            .post(path, &json!({"txnId": "x", "aadhaar": AADHAAR}))
            .await;
        assert_his(&r, 503, "HIS-503");
    }
    // auth still comes first
    let r = h
        .post_with("/aadhaar/generateOtp", b"{}".to_vec(), &[])
        .await;
    assert_his(&r, 401, "HIS-401");

    let r = h.get("/_sandbox/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    assert_eq!(
        h.get(&format!("/_sandbox/identities/{AADHAAR}"))
            .await
            .status,
        200
    );
    let log = h.get("/_sandbox/requests").await.json();
    assert_eq!(log.as_array().unwrap().len(), PATHS.len() + 2);
    h.running.shutdown().await;
}

/// The statuses of 40 identical calls under `seed` with a 50% rate of 500/503.
async fn fault_sequence(seed: u64) -> Vec<u16> {
    let h = start(SandboxConfig {
        seed: Some(seed),
        fault_rate: 0.5,
        faults: vec![FaultKind::Status500, FaultKind::Status503],
        ..config()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        // an empty body: 400 when no fault fires, so nothing else changes state
        statuses.push(h.post("/aadhaar/generateOtp", &json!({})).await.status);
    }
    h.running.shutdown().await;
    statuses
}

#[tokio::test]
async fn the_same_seed_gives_the_same_fault_sequence() {
    let first = fault_sequence(7).await;
    let second = fault_sequence(7).await;
    assert_eq!(first, second);
    assert!(
        first.iter().all(|s| [400, 500, 503].contains(s)),
        "{first:?}"
    );
    for status in [400, 500, 503] {
        assert!(first.contains(&status), "{status} never seen in {first:?}");
    }
}

#[tokio::test]
async fn the_admin_api_needs_no_key_and_ignores_the_fault_header() {
    let h = start(SandboxConfig {
        api_keys: vec!["good".into()],
        ..config()
    })
    .await;
    let txn = sdk_generate(&sdk_client(&h.running.base_url(), "good"), AADHAAR)
        .await
        .0;

    let fault = [(FAULT_HEADER, "500")];
    for path in [
        "/_sandbox/health".to_owned(),
        format!("/_sandbox/otp/{txn}"),
        format!("/_sandbox/identities/{AADHAAR}"),
        "/_sandbox/requests".to_owned(),
    ] {
        assert_eq!(h.get(&path).await.status, 200, "{path}");
        let mut request = h.http.get(h.url(&path));
        for (name, value) in fault {
            request = request.header(name, value);
        }
        assert_eq!(request.send().await.unwrap().status(), 200, "{path}");
        // a wrong key is not even looked at
        let r = h
            .http
            .get(h.url(&path))
            .header("authorization", "Bearer wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let r = h.admin_post("/_sandbox/reset", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_lost_answer_takes_effect_and_reaches_the_client_as_unconfirmed() {
    let h = start_default().await;
    let mut sms = h.running.subscribe_sms();
    // armed for one request to one path: the OTP is sent, the answer never arrives
    h.running
        .fail_next("/aadhaar/generateOtp", FaultKind::LostAnswer);
    let err = h
        .client
        .generate_aadhaar_otp(&generate_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                sent: abdm_hpr::error::RequestSent::Maybe,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_unconfirmed(), "{err:?}");
    assert!(sms.try_recv().is_ok(), "the OTP went out all the same");
    // only once: the next request to that path is answered
    assert!(
        h.client
            .generate_aadhaar_otp(&aadhaar_otp_request("498765432102"))
            .await
            .is_ok()
    );
    assert_eq!(
        "Lost-Answer".parse::<FaultKind>().unwrap(),
        FaultKind::LostAnswer
    );
    h.running.shutdown().await;
}
