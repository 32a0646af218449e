//! Opt-in retries: only failures that cannot have had an effect (not sent) or that the registry
//! asked us to repeat (429/503 within the backoff budget) are retried, and never more than the
//! configured number of attempts. Backoffs are 1–50 ms so nothing here waits noticeably.

use std::io::Write;
use std::net::TcpListener as StdTcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use abdm_hpr::client::{GatewayClient, RegistryApi, RetryPolicy};
use abdm_hpr::error::RequestSent;
use abdm_hpr::types::{
    CreateHprIdInput, CreateHprIdRequest, GenerateAadhaarOtpRequest, HprIdSuggestionRequest,
};
use abdm_hpr::{Error, Operation};
use serde_json::json;
use tokio::io::AsyncReadExt as _;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TXN: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const GENERATE: &str = "/aadhaar/generateOtp";

fn fast_policy() -> RetryPolicy {
    RetryPolicy::standard().with_backoff(Duration::from_millis(1), Duration::from_millis(50))
}

fn client_with(uri: &str, policy: RetryPolicy) -> GatewayClient {
    GatewayClient::builder()
        .base_url(uri)
        .api_key("k")
        .retry(policy)
        .build()
        .unwrap()
}

fn generate_request() -> GenerateAadhaarOtpRequest {
    GenerateAadhaarOtpRequest {
        aadhaar: "234123412346".parse().unwrap(),
    }
}

fn ok_body() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"txnId": TXN, "mobileNumber": "******3210"}))
}

/// Mounts `first` for the first request only, and `then` for every later one.
async fn first_then(server: &MockServer, first: ResponseTemplate, then: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

async fn always(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(GENERATE))
        .respond_with(template)
        .mount(server)
        .await;
}

async fn requests_seen(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
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
    let server = MockServer::start().await;
    first_then(&server, ResponseTemplate::new(503), ok_body()).await;
    let client = GatewayClient::builder()
        .base_url(server.uri())
        .api_key("k")
        .build()
        .unwrap();
    let err = client
        .generate_aadhaar_otp(&generate_request())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable(), "the caller may retry it");
    assert_eq!(requests_seen(&server).await, 1, "but the client does not");
}

#[tokio::test]
async fn a_503_then_200_succeeds_on_the_second_attempt() {
    let server = MockServer::start().await;
    first_then(&server, ResponseTemplate::new(503), ok_body()).await;
    let sent = client_with(&server.uri(), fast_policy())
        .generate_aadhaar_otp(&generate_request())
        .await
        .expect("the retry succeeds");
    assert_eq!(sent.txn_id.as_str(), TXN);
    assert_eq!(requests_seen(&server).await, 2);
}

#[tokio::test]
async fn a_429_with_retry_after_zero_is_retried() {
    let server = MockServer::start().await;
    first_then(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        ok_body(),
    )
    .await;
    let sent = client_with(&server.uri(), fast_policy())
        .generate_aadhaar_otp(&generate_request())
        .await
        .expect("the retry succeeds");
    assert_eq!(sent.txn_id.as_str(), TXN);
    assert_eq!(requests_seen(&server).await, 2);
}

#[tokio::test]
async fn a_past_http_date_retry_after_is_retried_at_once() {
    let server = MockServer::start().await;
    first_then(
        &server,
        ResponseTemplate::new(503).insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ok_body(),
    )
    .await;
    client_with(&server.uri(), fast_policy())
        .generate_aadhaar_otp(&generate_request())
        .await
        .expect("the retry succeeds");
    assert_eq!(requests_seen(&server).await, 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_backoff_budget_is_returned() {
    let server = MockServer::start().await;
    first_then(
        &server,
        ResponseTemplate::new(503)
            .insert_header("Retry-After", "3600")
            .set_body_json(json!({"code": "HIS-503", "message": "Service unavailable"})),
        ok_body(),
    )
    .await;
    let err = client_with(&server.uri(), fast_policy())
        .generate_aadhaar_otp(&generate_request())
        .await
        .unwrap_err();
    let Error::Api { operation, error } = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(*operation, Operation::GenerateAadhaarOtp);
    assert_eq!(error.status, 503);
    assert_eq!(error.retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(error.message, "Service unavailable");
    assert!(err.is_retryable(), "the caller may come back later");
    assert_eq!(requests_seen(&server).await, 1, "not retried: too long");
}

#[tokio::test]
async fn status_500_and_422_are_never_retried() {
    for status in [500, 422, 400, 401, 502, 504] {
        let server = MockServer::start().await;
        first_then(&server, ResponseTemplate::new(status), ok_body()).await;
        let err = client_with(&server.uri(), fast_policy())
            .generate_aadhaar_otp(&generate_request())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert!(!err.is_retryable(), "{status}");
        assert_eq!(requests_seen(&server).await, 1, "{status}");
    }
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = MockServer::start().await;
    always(&server, ResponseTemplate::new(503)).await;
    let err = client_with(&server.uri(), fast_policy())
        .generate_aadhaar_otp(&generate_request())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(requests_seen(&server).await, 3);

    let server = MockServer::start().await;
    always(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
    )
    .await;
    let err = client_with(&server.uri(), fast_policy().with_max_attempts(5))
        .generate_aadhaar_otp(&generate_request())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(requests_seen(&server).await, 5);
}

#[tokio::test]
async fn decode_errors_are_not_retried() {
    let server = MockServer::start().await;
    always(
        &server,
        ResponseTemplate::new(200).set_body_string("not json"),
    )
    .await;
    let err = client_with(&server.uri(), fast_policy())
        .generate_aadhaar_otp(&generate_request())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert_eq!(requests_seen(&server).await, 1);
}

#[tokio::test]
async fn a_create_timed_out_after_sending_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hprId/create"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token": "t", "hprIdNumber": "71-1234-5678-9012", "hprId": "asha.verma@hpr.abdm"}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let client = GatewayClient::builder()
        .base_url(server.uri())
        .api_key("k")
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
        requests_seen(&server).await,
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
    CreateHprIdInput {
        address: Some("12 Station Rd, Ghaziabad".into()),
        day_of_birth: Some("15".into()),
        district_code: Some("145".into()),
        email: Some("asha@example.com".into()),
        first_name: Some("Asha".into()),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        hpr_id: Some("asha.verma".into()),
        last_name: Some("Verma".into()),
        month_of_birth: Some("08".into()),
        password: Some("Ayushman@143".into()),
        pincode: Some("201001".into()),
        state_code: Some("9".into()),
        txn_id: Some(TXN.into()),
        year_of_birth: Some("1988".into()),
        ..Default::default()
    }
    .try_into()
    .expect("valid synthetic input")
}

// ---------------------------------------------------------------------------------------------
// Connection refused: nothing to count on the server side, so the attempts are read from the
// client's own tracing output.
//
// The subscriber is installed globally (once): with a thread-scoped one, a callsite first reached
// by a concurrently running test on another thread would cache "never interested" and drop our
// events. Lines of this test are told apart by their unique transaction id.

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn global_capture() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(captured.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
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
    let closed: Vec<&&str> = ours.iter().filter(|l| l.contains(": close ")).collect();
    assert_eq!(closed.len(), 1, "{log}");
    assert!(closed[0].contains("attempts=3"), "{log}");
    assert!(
        closed[0].contains("operation=\"create_hpr_id_with_preverified\""),
        "{log}"
    );
}
