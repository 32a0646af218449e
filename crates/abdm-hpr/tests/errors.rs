//! Error mapping of `GatewayClient` against a local mock registry: every error body shape the
//! registry or its API gateway may send (CONTRACT §2.2, §3.4), decode failures of 2xx bodies,
//! transport failures, timeouts and configuration errors. No message may carry a submitted value.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::time::Duration;

use abdm_hpr::client::{GatewayClient, RegistryApi};
use abdm_hpr::error::{ApiError, BODY_EXCERPT_BYTES, RequestSent};
use abdm_hpr::types::{DemographicAuthRequest, GenerateAadhaarOtpRequest, VerifyAadhaarOtpRequest};
use abdm_hpr::{Error, Operation};
use common::{
    AADHAAR, Call, KEY, MOBILE, OTP, PASSWORD, TXN, assert_absent, assert_never_printed, builder,
    client, json_response, mount, operation_mock,
};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const UNPROCESSABLE: &str = "Unable to process the current request due to some wrong data entered.";

fn verify_otp_request() -> VerifyAadhaarOtpRequest {
    VerifyAadhaarOtpRequest::new(TXN.parse().unwrap(), OTP.parse().unwrap())
}

fn demographic_auth_request() -> DemographicAuthRequest {
    DemographicAuthRequest {
        txn_id: TXN.parse().unwrap(),
        mobile_number: MOBILE.parse().unwrap(),
    }
}

fn generate_otp_request() -> GenerateAadhaarOtpRequest {
    GenerateAadhaarOtpRequest {
        aadhaar: AADHAAR.parse().unwrap(),
    }
}

/// Serves `template` for the request's operation (expecting exactly one call), sends `request`
/// and returns the error the client maps the answer to.
async fn error_for<Q: Call>(request: &Q, template: ResponseTemplate) -> Error {
    let server = MockServer::start().await;
    operation_mock("", Q::OP, template)
        .expect(1)
        .mount(&server)
        .await;
    request
        .send(&client(&server))
        .await
        .expect_err("the mock answers with an error")
}

/// Serves `template` for verify-Aadhaar-OTP and returns the error the client maps it to.
async fn verify_otp_error(template: ResponseTemplate) -> Error {
    error_for(&verify_otp_request(), template).await
}

/// The `Api` variant's operation and parsed body.
fn api(err: &Error) -> (Operation, &ApiError) {
    match err {
        Error::Api { operation, error } => (*operation, error),
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// What a caller looks at first: status, cause code, whether a retry is safe, and the message.
fn summary(err: &Error) -> (Option<u16>, Option<&str>, bool, String) {
    (
        err.status(),
        err.api_code(),
        err.is_retryable(),
        err.to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// API error shapes

#[tokio::test]
async fn his_envelope_422_maps_every_field() {
    let body = json!({
        "code": "HIS-422",
        "message": UNPROCESSABLE,
        "details": [{"code": "HIS-1013", "message": "Incorrect OTP entered", "attribute": null}]
    });
    let err = verify_otp_error(ResponseTemplate::new(422).set_body_json(body)).await;
    let (operation, e) = api(&err);
    assert_eq!(operation, Operation::VerifyAadhaarOtp);
    assert_eq!(e.status, 422);
    assert_eq!(e.code.as_deref(), Some("HIS-422"));
    assert_eq!(e.message, UNPROCESSABLE);
    assert_eq!(e.details.len(), 1);
    assert_eq!(e.details[0].code.as_deref(), Some("HIS-1013"));
    assert_eq!(
        e.details[0].message.as_deref(),
        Some("Incorrect OTP entered")
    );
    assert_eq!(e.details[0].field, None);
    assert_eq!(e.description, None);
    assert_eq!(e.retry_after, None);
    assert_eq!(e.raw_body, None);
    assert_eq!(e.cause_code(), Some("HIS-1013"));

    // the cause code is details[0].code
    assert_eq!(
        summary(&err),
        (
            Some(422),
            Some("HIS-1013"),
            false,
            format!(
                "verify_aadhaar_otp: {UNPROCESSABLE}: Incorrect OTP entered (HIS-1013) [HTTP 422]"
            )
        )
    );
    assert!(err.validation().is_none());
    assert_eq!(
        e.to_string(),
        format!("{UNPROCESSABLE}: Incorrect OTP entered (HIS-1013) [HTTP 422]")
    );
}

#[tokio::test]
async fn attribute_value_is_dropped_and_only_the_key_kept() {
    let body = json!({
        "code": "HIS-400",
        "message": "Invalid request",
        "details": [
            {"code": "HIS-1013", "message": "Incorrect OTP entered", "attribute": {"key": "otp", "value": OTP}},
            {"code": "HIS-1010", "message": "Password must follow required format",
             "attribute": {"key": "password", "value": PASSWORD}}
        ]
    });
    let err = verify_otp_error(ResponseTemplate::new(400).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.details.len(), 2);
    assert_eq!(e.details[0].field.as_deref(), Some("otp"));
    assert_eq!(e.details[0].code.as_deref(), Some("HIS-1013"));
    assert_eq!(e.details[1].field.as_deref(), Some("password"));
    assert_eq!(err.api_code(), Some("HIS-1013"));
    assert_eq!(
        err.to_string(),
        "verify_aadhaar_otp: Invalid request: Incorrect OTP entered (HIS-1013) [HTTP 400]"
    );
    for text in [err.to_string(), format!("{err:?}"), format!("{err:#?}")] {
        assert_absent(&text, &[OTP, PASSWORD]);
    }
}

#[tokio::test]
async fn peer_shape_with_string_details() {
    let body = json!({"message": "Invalid request", "details": ["Aadhaar number is invalid", "second reason"]});
    let err = verify_otp_error(ResponseTemplate::new(400).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.status, 400);
    assert_eq!(e.code, None);
    assert_eq!(e.message, "Invalid request");
    assert_eq!(e.details.len(), 2);
    assert_eq!(e.details[0].code, None);
    assert_eq!(
        e.details[0].message.as_deref(),
        Some("Aadhaar number is invalid")
    );
    assert_eq!(e.details[0].field, None);
    assert_eq!(e.details[1].message.as_deref(), Some("second reason"));
    assert_eq!(e.raw_body, None);
    assert_eq!(
        summary(&err),
        (
            Some(400),
            None,
            false,
            "verify_aadhaar_otp: Invalid request: Aadhaar number is invalid [HTTP 400]".into()
        )
    );
}

#[tokio::test]
async fn details_as_a_plain_string() {
    let body = json!({"message": "Bad request", "details": "OTP expired"});
    let err = verify_otp_error(ResponseTemplate::new(400).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.details.len(), 1);
    assert_eq!(e.details[0].message.as_deref(), Some("OTP expired"));
    assert_eq!(e.details[0].code, None);
    assert_eq!(e.details[0].field, None);
    assert_eq!(
        err.to_string(),
        "verify_aadhaar_otp: Bad request: OTP expired [HTTP 400]"
    );
}

#[tokio::test]
async fn numeric_codes_become_text() {
    let body = json!({"code": 422, "message": "Incorrect OTP", "details": [{"code": 1013, "message": "Incorrect OTP entered"}]});
    let err = verify_otp_error(ResponseTemplate::new(422).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.code.as_deref(), Some("422"));
    assert_eq!(e.details[0].code.as_deref(), Some("1013"));
    assert_eq!(err.api_code(), Some("1013"));

    // without details the top-level code is the cause
    let body = json!({"code": 1013, "message": "Incorrect OTP"});
    let err = verify_otp_error(ResponseTemplate::new(422).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert!(e.details.is_empty());
    assert_eq!(err.api_code(), Some("1013"));
    assert_eq!(
        err.to_string(),
        "verify_aadhaar_otp: Incorrect OTP (1013) [HTTP 422]"
    );
}

#[tokio::test]
async fn missing_null_or_blank_message_falls_back_to_the_status() {
    for body in [
        json!({"code": "HIS-500", "details": [{"code": "HIS-5000", "message": "Internal error"}]}),
        json!({"code": "HIS-500", "message": null, "details": [{"code": "HIS-5000", "message": "Internal error"}]}),
        json!({"code": "HIS-500", "message": "   ", "details": [{"code": "HIS-5000", "message": "Internal error"}]}),
    ] {
        let err = verify_otp_error(ResponseTemplate::new(500).set_body_json(&body)).await;
        let (_, e) = api(&err);
        assert_eq!(e.message, "HTTP 500", "{body}");
        assert_eq!(e.code.as_deref(), Some("HIS-500"));
        assert_eq!(err.api_code(), Some("HIS-5000"));
        assert!(!err.is_retryable(), "500 is not retryable");
        // the status is already in the message, so it is not repeated
        assert_eq!(
            err.to_string(),
            "verify_aadhaar_otp: HTTP 500: Internal error (HIS-5000)"
        );
    }
}

#[tokio::test]
async fn wso2_gateway_401() {
    let description = "Access failure for API: /hpr, version: v1. Make sure you have provided the correct security credentials";
    let body =
        json!({"code": "900901", "message": "Invalid Credentials", "description": description});
    let err = verify_otp_error(ResponseTemplate::new(401).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.status, 401);
    assert_eq!(
        e.code.as_deref(),
        Some("900901"),
        "WSO2 codes tell a bad bearer (900901) from a missing one (900902)"
    );
    assert_eq!(e.message, "Invalid Credentials");
    assert!(e.details.is_empty());
    assert_eq!(e.description.as_deref(), Some(description));
    assert_eq!(
        summary(&err),
        (
            Some(401),
            Some("900901"),
            false,
            format!("verify_aadhaar_otp: Invalid Credentials: {description} (900901) [HTTP 401]")
        )
    );

    // the other gateway codes survive too, as strings or numbers
    for (status, code) in [(401, json!("900902")), (403, json!(900908))] {
        let body = json!({"code": code, "message": "Denied", "description": "x"});
        let err = verify_otp_error(ResponseTemplate::new(status).set_body_json(body)).await;
        let want = code
            .as_str()
            .map_or_else(|| code.to_string(), str::to_owned);
        assert_eq!(err.api_code(), Some(want.as_str()));
        assert_eq!(err.status(), Some(status));
    }
}

#[tokio::test]
async fn plain_text_404_is_kept_as_raw_body() {
    let err =
        verify_otp_error(ResponseTemplate::new(404).set_body_string("Resource not found")).await;
    let (_, e) = api(&err);
    assert_eq!(e.status, 404);
    assert_eq!(e.message, "HTTP 404");
    assert_eq!(e.code, None);
    assert!(e.details.is_empty());
    let raw = e.raw_body.as_ref().expect("a non-JSON body is kept");
    assert_eq!(raw.expose(), "Resource not found");
    assert_eq!(format!("{raw:?}"), "BodyExcerpt(18 bytes)");
    assert_eq!(raw.to_string(), "<18 bytes>");
    assert_eq!(err.api_code(), None);
    assert_eq!(err.to_string(), "verify_aadhaar_otp: HTTP 404");
    assert_absent(&format!("{err:?}"), &["Resource not found"]);
}

#[tokio::test]
async fn empty_500_body() {
    let err = verify_otp_error(ResponseTemplate::new(500)).await;
    let (_, e) = api(&err);
    assert_eq!(e.status, 500);
    assert_eq!(e.message, "HTTP 500");
    assert_eq!(e.raw_body, None, "nothing to keep");
    assert!(e.details.is_empty());
    assert_eq!(
        summary(&err),
        (
            Some(500),
            None,
            false,
            "verify_aadhaar_otp: HTTP 500".into()
        )
    );
}

#[tokio::test]
async fn html_502_page_is_kept_but_never_printed() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>\
                <!-- upstream token eyJhbGciOiJSUzI1NiJ9.c2VjcmV0 --></body></html>";
    let err = verify_otp_error(ResponseTemplate::new(502).set_body_raw(page, "text/html")).await;
    let (_, e) = api(&err);
    assert_eq!(e.status, 502);
    assert_eq!(e.message, "HTTP 502");
    let raw = e.raw_body.as_ref().expect("kept for deliberate inspection");
    assert_eq!(raw.expose(), page);
    assert_eq!(
        format!("{raw:?}"),
        format!("BodyExcerpt({} bytes)", page.len())
    );
    assert!(!err.is_retryable(), "502 is not in the retryable set");
    assert_eq!(err.to_string(), "verify_aadhaar_otp: HTTP 502");
    assert_never_printed(&err, &["<html", "Bad Gateway", "eyJhbGciOiJSUzI1NiJ9"]);
}

#[tokio::test]
async fn raw_body_is_capped() {
    let big = "x".repeat(BODY_EXCERPT_BYTES * 3);
    let err = verify_otp_error(ResponseTemplate::new(500).set_body_string(big)).await;
    let (_, e) = api(&err);
    assert_eq!(
        e.raw_body.as_ref().unwrap().expose().len(),
        BODY_EXCERPT_BYTES
    );
}

#[tokio::test]
async fn json_array_body_is_not_an_object() {
    let body = json!([{"code": "HIS-1013", "message": "Incorrect OTP entered"}]);
    let err = verify_otp_error(ResponseTemplate::new(400).set_body_json(&body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.status, 400);
    assert_eq!(e.message, "HTTP 400");
    assert_eq!(e.code, None);
    assert!(e.details.is_empty(), "an array is not parsed as details");
    assert_eq!(
        e.raw_body.as_ref().map(|b| b.expose().to_owned()),
        Some(body.to_string())
    );
    assert_eq!(err.api_code(), None);
    assert_eq!(err.to_string(), "verify_aadhaar_otp: HTTP 400");
}

#[tokio::test]
async fn server_texts_are_scrubbed_of_long_digit_runs() {
    let body = json!({
        "code": "HIS-422",
        "message": format!("Aadhaar {AADHAAR} could not be verified"),
        "description": format!("mobile {MOBILE}"),
        "details": [
            {"code": "HIS-1013", "message": format!("OTP {OTP} is incorrect")},
            format!("retry for {AADHAAR}")
        ]
    });
    let err = verify_otp_error(ResponseTemplate::new(422).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.message, "Aadhaar [redacted] could not be verified");
    assert_eq!(e.description.as_deref(), Some("mobile [redacted]"));
    assert_eq!(
        e.details[0].message.as_deref(),
        Some("OTP [redacted] is incorrect")
    );
    assert_eq!(
        e.details[1].message.as_deref(),
        Some("retry for [redacted]")
    );
    assert_eq!(err.api_code(), Some("HIS-1013"), "short codes survive");
    assert_eq!(
        err.to_string(),
        "verify_aadhaar_otp: Aadhaar [redacted] could not be verified: OTP [redacted] is incorrect (HIS-1013) [HTTP 422]"
    );
    assert_never_printed(&err, &[AADHAAR, OTP, MOBILE]);
}

#[tokio::test]
async fn numeric_server_texts_are_scrubbed_too() {
    let body = json!({"message": 234123412346_u64, "details": [987654, {"code": "HIS-1013", "message": 123456}]});
    let err = verify_otp_error(ResponseTemplate::new(422).set_body_json(body)).await;
    let (_, e) = api(&err);
    assert_eq!(e.message, "[redacted]");
    assert_eq!(e.details[0].message.as_deref(), Some("[redacted]"));
    assert_eq!(e.details[1].message.as_deref(), Some("[redacted]"));
    assert_never_printed(&err, &[AADHAAR, OTP, "987654"]);
}

#[tokio::test]
async fn redirect_is_an_error_and_not_followed() {
    let server = MockServer::start().await;
    let redirect = ResponseTemplate::new(302)
        .insert_header("Location", format!("{}/elsewhere", server.uri()).as_str())
        .set_body_json(json!({"message": "Moved"}));
    operation_mock("", Operation::VerifyAadhaarOtp, redirect)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"txnId": TXN})))
        .expect(0)
        .mount(&server)
        .await;
    let err = client(&server)
        .verify_aadhaar_otp(&verify_otp_request())
        .await
        .unwrap_err();
    let (_, e) = api(&err);
    assert_eq!(e.status, 302);
    assert_eq!(e.message, "Moved");
    assert_eq!(err.status(), Some(302));
    assert!(!err.is_retryable());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Decode errors (2xx with an unreadable body)

/// The fields of an `Error::Decode`.
fn decode_parts(err: &Error) -> (Operation, u16, &str, &str) {
    match err {
        Error::Decode {
            operation,
            status,
            path,
            message,
            ..
        } => (*operation, *status, path, message),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

/// Serves `template` for demographic auth and returns the error the client maps it to.
async fn demographic_auth_error(template: ResponseTemplate) -> Error {
    error_for(&demographic_auth_request(), template).await
}

#[tokio::test]
async fn empty_200_is_a_decode_error() {
    let err = demographic_auth_error(ResponseTemplate::new(200)).await;
    assert_eq!(
        decode_parts(&err),
        (Operation::DemographicAuthViaMobile, 200, ".", "empty body")
    );
    assert_eq!(
        summary(&err),
        (
            Some(200),
            None,
            false,
            "demographic_auth_via_mobile: could not decode the HTTP 200 response at `.`: empty body"
                .into()
        )
    );
}

#[tokio::test]
async fn non_json_200_is_a_decode_error() {
    let page = "<html>OK for 9876543210</html>";
    let err =
        demographic_auth_error(ResponseTemplate::new(200).set_body_raw(page, "text/html")).await;
    let (_, status, path, _) = decode_parts(&err);
    assert_eq!((status, path), (200, "."));
    let Error::Decode { body, .. } = &err else {
        unreachable!()
    };
    assert_eq!(body.expose(), page, "kept for deliberate inspection");
    assert_eq!(
        format!("{body:?}"),
        format!("BodyExcerpt({} bytes)", page.len())
    );
    assert_never_printed(&err, &[MOBILE, "<html>"]);
}

#[tokio::test]
async fn mistyped_field_names_the_path_not_the_value() {
    let err = demographic_auth_error(
        ResponseTemplate::new(200).set_body_json(json!({"verified": "yes"})),
    )
    .await;
    let (op, status, path, message) = decode_parts(&err);
    assert_eq!(op, Operation::DemographicAuthViaMobile);
    assert_eq!((status, path), (200, "verified"));
    // serde_json appends the position, never the value
    assert!(
        message.starts_with("invalid type: string, expected a boolean"),
        "{message}"
    );
    assert!(!message.contains("yes"), "{message}");
    assert!(
        err.to_string().starts_with(
            "demographic_auth_via_mobile: could not decode the HTTP 200 response at `verified`: invalid type: string, expected a boolean"
        ),
        "{err}"
    );
    assert_absent(&format!("{err:?}"), &["\"yes\""]);
}

#[tokio::test]
async fn mistyped_secret_value_is_not_quoted() {
    let token = "eyJhbGciOiJSUzI1NiJ9.dG9rZW4tdmFsdWU";
    let err = demographic_auth_error(
        ResponseTemplate::new(200).set_body_json(json!({"verified": token})),
    )
    .await;
    assert_never_printed(&err, &[token]);
}

#[tokio::test]
async fn missing_required_field_is_a_decode_error() {
    let template = ResponseTemplate::new(200).set_body_json(json!({"mobileNumber": "******3210"}));
    let err = error_for(&generate_otp_request(), template).await;
    let (op, status, path, message) = decode_parts(&err);
    assert_eq!(op, Operation::GenerateAadhaarOtp);
    assert_eq!(status, 200);
    assert_eq!(path, "txnId", "the path names the missing field");
    assert!(message.starts_with("missing field `txnId`"), "{message}");
    assert_eq!(err.status(), Some(200));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_txn_id_in_a_2xx_body_is_a_decode_error_without_the_value() {
    let template =
        ResponseTemplate::new(201).set_body_json(json!({"txnId": "has space-9876543210"}));
    let err = error_for(&generate_otp_request(), template).await;
    let (_, status, path, _) = decode_parts(&err);
    assert_eq!((status, path), (201, "txnId"), "any 2xx keeps its status");
    assert_never_printed(&err, &[MOBILE, "has space"]);
}

// ---------------------------------------------------------------------------------------------
// Transport and timeouts

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
    // the listener is dropped here, closing the port
}

/// Sends verify-Aadhaar-OTP to `base_url`, where nothing listens, and returns the error.
async fn unreachable_error(base_url: String) -> Error {
    builder(base_url, KEY)
        .build()
        .unwrap()
        .verify_aadhaar_otp(&verify_otp_request())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_not_sent() {
    let err = unreachable_error(format!("http://127.0.0.1:{}", closed_port())).await;
    match &err {
        Error::Transport {
            operation, sent, ..
        } => {
            assert_eq!(*operation, Operation::VerifyAadhaarOtp);
            assert_eq!(*sent, RequestSent::No);
        }
        other => panic!("expected Error::Transport, got {other:?}"),
    }
    assert!(err.is_retryable(), "nothing was sent, so a retry is safe");
    assert_eq!(err.status(), None);
    assert_eq!(err.api_code(), None);
    let text = err.to_string();
    assert!(
        text.starts_with("verify_aadhaar_otp: transport error (request not sent): "),
        "{text}"
    );
    // the root cause is shown, not only reqwest's "error sending request"
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
}

#[tokio::test]
async fn ipv6_loopback_connection_refused_is_not_sent() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        return; // no IPv6 loopback on this machine
    };
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = unreachable_error(format!("http://[::1]:{port}")).await;
    assert!(
        matches!(
            err,
            Error::Transport {
                sent: RequestSent::No,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn response_timeout_after_sending_is_not_retryable() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200)
        .set_body_json(json!({"txnId": TXN}))
        .set_delay(Duration::from_secs(5));
    mount(&server, Operation::VerifyAadhaarOtp, slow).await;
    let client = builder(server.uri(), KEY)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = client
        .verify_aadhaar_otp(&verify_otp_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                operation: Operation::VerifyAadhaarOtp,
                during_connect: false
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable(), "the OTP may already have been checked");
    assert_eq!(err.status(), None);
    assert_eq!(
        err.to_string(),
        "verify_aadhaar_otp: timed out waiting for the response (the request may have been processed)"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn oversized_response_body_is_a_transport_error() {
    let body = vec![b' '; 8 * 1024 * 1024 + 1];
    let err = verify_otp_error(json_response(200, body)).await;
    match &err {
        Error::Transport { sent, .. } => assert_eq!(*sent, RequestSent::Maybe),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("exceeds 8388608 bytes"), "{err}");
}

#[tokio::test]
async fn body_of_exactly_the_limit_is_read() {
    let body = vec![b' '; 8 * 1024 * 1024];
    let err = verify_otp_error(json_response(200, body)).await;
    // read in full, then found to be blank
    assert_eq!(decode_parts(&err).3, "empty body");
}

// ---------------------------------------------------------------------------------------------
// Configuration

fn config_message(result: Result<GatewayClient, Error>) -> String {
    match result {
        Err(Error::Config(message)) => message,
        Err(other) => panic!("expected Error::Config, got {other:?}"),
        Ok(client) => panic!("expected a config error, built {client:?}"),
    }
}

#[test]
fn missing_base_url_is_a_config_error() {
    let message = config_message(GatewayClient::builder().api_key(KEY).build());
    assert!(message.contains("no base URL"), "{message}");
    let blank = config_message(builder("  ", KEY).build());
    assert!(blank.contains("no base URL"), "{blank}");
}

#[test]
fn missing_or_empty_api_key_is_a_config_error() {
    let message = config_message(
        GatewayClient::builder()
            .base_url("http://127.0.0.1:9")
            .build(),
    );
    assert!(message.contains("no API key"), "{message}");
    let err = builder("http://127.0.0.1:9", "Bearer ")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("configuration error: "),
        "{err}"
    );
    assert_eq!(err.status(), None);
    assert!(!err.is_retryable());
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    for url in [
        "http://example.com/api",
        "http://10.0.0.1:8080",
        "http://localhost.example.com",
    ] {
        let message = config_message(builder(url, KEY).build());
        assert!(message.contains("loopback"), "{url}: {message}");
    }
    for url in [
        "http://127.0.0.1:9/api",
        "http://[::1]:9",
        "http://localhost:9",
    ] {
        assert!(builder(url, KEY).build().is_ok(), "{url}");
    }
}

#[test]
fn placeholder_hprid_auth_is_refused() {
    let result = builder("http://127.0.0.1:9", KEY)
        .hprid_auth("__X_HPR_ID__")
        .build();
    let message = config_message(result);
    assert!(message.contains("x-hprid-auth"), "{message}");
    assert!(message.contains("placeholder"), "{message}");
    assert!(!message.contains("__X_HPR_ID__"));
}

#[test]
fn header_unsafe_api_key_is_a_config_error_without_the_key() {
    let key = "sk-line\nbreak-secret";
    let message = config_message(builder("http://127.0.0.1:9", key).build());
    assert!(!message.contains("break-secret"), "{message}");
}
