//! Opt-in retries: only failures that cannot have had an effect (not sent) or that the registry
//! asked us to repeat (429/503 within the backoff budget) are retried, and never more than the
//! configured number of attempts. Backoffs are 1–50 ms so nothing here waits noticeably.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener as StdTcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use abdm_hpr::client::{GatewayClient, RegistryApi, RetryPolicy};
use abdm_hpr::error::RequestSent;
use abdm_hpr::types::{
    CreateHprIdRequest, GenerateAadhaarOtpRequest, GenerateAadhaarOtpResponse,
    HprIdSuggestionRequest,
};
use abdm_hpr::{Error, Operation};
use common::{
    AADHAAR, Captured, HPR_ID_NUMBER, KEY, MASKED_MOBILE, TXN, builder, create_input, mount,
    operation_mock,
};
use serde_json::json;
use tokio::io::AsyncReadExt as _;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::{MockServer, ResponseTemplate};

fn fast_policy() -> RetryPolicy {
    RetryPolicy::standard().with_backoff(Duration::from_millis(1), Duration::from_millis(50))
}

fn client_with(uri: &str, policy: RetryPolicy) -> GatewayClient {
    builder(uri, KEY).retry(policy).build().unwrap()
}

fn ok_body() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"txnId": TXN, "mobileNumber": MASKED_MOBILE}))
}

/// A server answering generate-Aadhaar-OTP with `first` for the first request only, and `then`
/// for every later one.
async fn first_then(first: ResponseTemplate, then: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    operation_mock("", Operation::GenerateAadhaarOtp, first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    operation_mock("", Operation::GenerateAadhaarOtp, then)
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

/// A server answering every generate-Aadhaar-OTP request with `template`.
async fn always(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    mount(&server, Operation::GenerateAadhaarOtp, template).await;
    server
}

/// Sends one generate-Aadhaar-OTP call with `client`; returns its result and how many requests
/// `server` has received.
async fn generate(
    server: &MockServer,
    client: &GatewayClient,
) -> (Result<GenerateAadhaarOtpResponse, Error>, usize) {
    let request = GenerateAadhaarOtpRequest {
        aadhaar: AADHAAR.parse().unwrap(),
    };
    let result = client.generate_aadhaar_otp(&request).await;
    (result, server.received_requests().await.unwrap().len())
}

/// [`generate`] with [`fast_policy`].
async fn generate_fast(server: &MockServer) -> (Result<GenerateAadhaarOtpResponse, Error>, usize) {
    generate(server, &client_with(&server.uri(), fast_policy())).await
}

#[test]
fn policies() {
    assert_eq!(RetryPolicy::default(), RetryPolicy::none());
    assert_eq!(RetryPolicy::none().max_attempts(), 1);
    assert_eq!(RetryPolicy::standard().max_attempts(), 3);
    assert_eq!(
        RetryPolicy::standard().with_max_attempts(0).max_attempts(),
        1
    );
}

#[tokio::test]
async fn default_policy_returns_a_503_at_once() {
    let server = first_then(ResponseTemplate::new(503), ok_body()).await;
    let client = builder(server.uri(), KEY).build().unwrap();
    let (result, seen) = generate(&server, &client).await;
    let err = result.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable(), "the caller may retry it");
    assert_eq!(seen, 1, "but the client does not");
}

/// Answers `first` and then a success: with [`fast_policy`] the call succeeds on the second
/// request.
async fn succeeds_on_the_second_request(first: ResponseTemplate) -> GenerateAadhaarOtpResponse {
    let server = first_then(first, ok_body()).await;
    let (result, seen) = generate_fast(&server).await;
    let sent = result.expect("the retry succeeds");
    assert_eq!(seen, 2);
    sent
}

#[tokio::test]
async fn a_503_then_200_succeeds_on_the_second_attempt() {
    let sent = succeeds_on_the_second_request(ResponseTemplate::new(503)).await;
    assert_eq!(sent.txn_id.as_str(), TXN);
}

#[tokio::test]
async fn a_429_with_retry_after_zero_is_retried() {
    let first = ResponseTemplate::new(429).insert_header("Retry-After", "0");
    let sent = succeeds_on_the_second_request(first).await;
    assert_eq!(sent.txn_id.as_str(), TXN);
}

#[tokio::test]
async fn a_past_http_date_retry_after_is_retried_at_once() {
    let first =
        ResponseTemplate::new(503).insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    succeeds_on_the_second_request(first).await;
}

#[tokio::test]
async fn a_retry_after_longer_than_the_backoff_budget_is_returned() {
    let first = ResponseTemplate::new(503)
        .insert_header("Retry-After", "3600")
        .set_body_json(json!({"code": "HIS-503", "message": "Service unavailable"}));
    let server = first_then(first, ok_body()).await;
    let (result, seen) = generate_fast(&server).await;
    let err = result.unwrap_err();
    let Error::Api { operation, error } = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(*operation, Operation::GenerateAadhaarOtp);
    assert_eq!(error.status, 503);
    assert_eq!(error.retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(error.message, "Service unavailable");
    assert!(err.is_retryable(), "the caller may come back later");
    assert_eq!(seen, 1, "not retried: too long");
}

#[tokio::test]
async fn status_500_and_422_are_never_retried() {
    for status in [500, 422, 400, 401, 502, 504] {
        let server = first_then(ResponseTemplate::new(status), ok_body()).await;
        let (result, seen) = generate_fast(&server).await;
        let err = result.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert!(!err.is_retryable(), "{status}");
        assert_eq!(seen, 1, "{status}");
    }
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = always(ResponseTemplate::new(503)).await;
    let (result, seen) = generate_fast(&server).await;
    assert_eq!(result.unwrap_err().status(), Some(503));
    assert_eq!(seen, 3);

    let server = always(ResponseTemplate::new(429).insert_header("Retry-After", "0")).await;
    let client = client_with(&server.uri(), fast_policy().with_max_attempts(5));
    let (result, seen) = generate(&server, &client).await;
    assert_eq!(result.unwrap_err().status(), Some(429));
    assert_eq!(seen, 5);
}

#[tokio::test]
async fn decode_errors_are_not_retried() {
    let server = always(ResponseTemplate::new(200).set_body_string("not json")).await;
    let (result, seen) = generate_fast(&server).await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert_eq!(seen, 1);
}

#[tokio::test]
async fn a_create_timed_out_after_sending_is_not_retried() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_body_json(
            json!({"token": "t", "hprIdNumber": HPR_ID_NUMBER, "hprId": "asha.verma@hpr.abdm"}),
        )
        .set_delay(Duration::from_secs(5));
    mount(&server, Operation::CreateHprIdWithPreverified, slow).await;
    let client = builder(server.uri(), KEY)
        .timeout(Duration::from_millis(100))
        .retry(fast_policy())
        .build()
        .unwrap();
    let request = create_request();
    assert!(Operation::CreateHprIdWithPreverified.has_side_effects());
    let err = client
        .create_hpr_id_with_preverified(&request)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                operation: Operation::CreateHprIdWithPreverified,
                during_connect: false
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "an ID may have been created"
    );
}

/// A server that reads each request and closes the connection without answering.
#[tokio::test]
async fn a_connection_dropped_after_sending_is_not_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            drop(stream);
        }
    });
    let err = client_with(&uri, fast_policy())
        .get_hpr_id_suggestion(&HprIdSuggestionRequest {
            txn_id: TXN.parse().unwrap(),
        })
        .await
        .unwrap_err();
    server.abort();
    assert!(
        matches!(
            err,
            Error::Transport {
                sent: RequestSent::Maybe,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

fn create_request() -> CreateHprIdRequest {
    create_input().try_into().expect("valid synthetic input")
}

// ---------------------------------------------------------------------------------------------
// Connection refused: nothing to count on the server side, so the attempts are read from the
// client's own tracing output.
//
// The subscriber is installed globally (once): with a thread-scoped one, a callsite first reached
// by a concurrently running test on another thread would cache "never interested" and drop our
// events. Lines of this test are told apart by their unique transaction id.

fn global_capture() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        tracing::subscriber::set_global_default(captured.subscriber(FmtSpan::CLOSE))
            .expect("no other global subscriber in this test binary");
        captured
    })
}

#[tokio::test]
async fn connection_refused_is_retried_up_to_max_attempts() {
    let captured = global_capture();
    let port = {
        let listener = StdTcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let txn = "refused7-0000-4000-8000-000000000000";
    let err = client_with(&format!("http://127.0.0.1:{port}"), fast_policy())
        .create_hpr_id_with_preverified(&CreateHprIdRequest {
            txn_id: txn.parse().unwrap(),
            ..create_request()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                operation: Operation::CreateHprIdWithPreverified,
                sent: RequestSent::No,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    let log = captured.text();
    let ours: Vec<&str> = log.lines().filter(|l| l.contains("refused7")).collect();
    let retries = ours.iter().filter(|l| l.contains("retrying")).count();
    assert_eq!(retries, 2, "3 attempts, 2 retries:\n{log}");
    // the span's close event: `...: close` (followed by timings when the subscriber has a clock)
    let closed: Vec<&&str> = ours
        .iter()
        .filter(|l| l.contains(": close ") || l.trim_end().ends_with(": close"))
        .collect();
    assert_eq!(closed.len(), 1, "{log}");
    assert!(closed[0].contains("attempts=3"), "{log}");
    assert!(
        closed[0].contains("operation=\"create_hpr_id_with_preverified\""),
        "{log}"
    );
}
