//! Wire contract tests (CONTRACT §2.1–2.3): each operation against a loopback wiremock server,
//! checking what the server received (method, path, headers, body, key order) against the
//! hand-written fixtures, and the decoded answer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use abdm_hpr::types::{
    AccountCheck, CheckAccountExistInput, CheckAccountExistRequest, CreateHprIdInput,
    CreateHprIdRequest, DemographicAuthInput, DemographicAuthRequest, GenerateAadhaarOtpInput,
    GenerateAadhaarOtpRequest, GenerateMobileOtpInput, GenerateMobileOtpRequest,
    HprIdSuggestionInput, HprIdSuggestionRequest, VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest,
    VerifyMobileOtpInput, VerifyMobileOtpRequest,
};
use abdm_hpr::{Error, GatewayClient, Operation, RegistryApi};
use common::{
    Call, FIXTURE_PHOTO, FULL_NAME, HPR_ID_NUMBER, MASKED_MOBILE, MOBILE, MOBILE_OTP, OTP, TXN,
    assert_absent, builder, create_input, fixture, fixture_value, json_response, keys_in_order,
    operation_mock, value,
};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const USER_AGENT: &str = concat!("abdm-hpr/", env!("CARGO_PKG_VERSION"));
/// The API key of these tests, checked in the `authorization` header.
const CONTRACT_KEY: &str = "test-key";

// ---------------------------------------------------------------------------------------------
// Helpers

/// The server's URI with the `/api` base path the contract tests keep.
fn api_base(server: &MockServer) -> String {
    format!("{}/api", server.uri())
}

/// A mock server answering `POST /api<op path>` with `status` and `body`.
async fn server_for(op: Operation, status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    operation_mock("/api", op, json_response(status, body))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> GatewayClient {
    builder(api_base(server), CONTRACT_KEY)
        .build()
        .expect("client builds")
}

/// Serves the response fixture `response` for the request's operation, sends `request`, and
/// returns the decoded answer with the single request the server received.
async fn exchange<Q: Call>(request: &Q, response: &str) -> (Q::Response, Request) {
    let server = server_for(Q::OP, 200, &fixture(response)).await;
    let answer = request.send(&client(&server)).await.unwrap();
    (answer, only_request(&server).await)
}

/// Serves `body` with status 200 for the request's operation and returns the error the client
/// makes of it.
async fn failure<Q: Call>(request: &Q, body: &str) -> Error {
    let server = server_for(Q::OP, 200, body).await;
    request.send(&client(&server)).await.unwrap_err()
}

/// The single request the server received.
async fn only_request(server: &MockServer) -> Request {
    let mut received = server.received_requests().await.expect("recording enabled");
    assert_eq!(received.len(), 1, "exactly one request expected");
    received.remove(0)
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    let mut all = req.headers.get_all(name).iter();
    let first = all.next()?;
    assert!(all.next().is_none(), "header {name} sent more than once");
    Some(first.to_str().expect("ASCII header"))
}

fn body_text(req: &Request) -> &str {
    std::str::from_utf8(&req.body).expect("UTF-8 body")
}

fn body_value(req: &Request) -> Value {
    value(body_text(req))
}

/// Method, exact path (base path kept), default headers, and body equal to the fixture `expected`
/// in value and top-level key order.
fn assert_sent(req: &Request, op: Operation, expected: &str) {
    let expected = fixture(expected);
    assert_eq!(req.method.as_str(), "POST");
    assert_eq!(
        req.url.path(),
        format!("/api{}", abdm_hpr::gateway::path(op))
    );
    assert_eq!(req.url.query(), None);
    assert_eq!(
        header(req, "authorization"),
        Some(format!("Bearer {CONTRACT_KEY}").as_str())
    );
    assert_eq!(header(req, "content-type"), Some("application/json"));
    assert_eq!(header(req, "user-agent"), Some(USER_AGENT));
    assert_eq!(
        header(req, "x-hprid-auth"),
        None,
        "not configured, not sent"
    );
    assert_eq!(header(req, "facilityid"), None, "not configured, not sent");
    let body = body_text(req);
    assert_eq!(value(body), value(&expected), "body");
    assert_eq!(keys_in_order(body), keys_in_order(&expected), "key order");
}

// Requests, built through their loose inputs as an application would.

fn generate_otp(aadhaar: &str) -> GenerateAadhaarOtpRequest {
    GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
        aadhaar: Some(aadhaar.into()),
    })
    .unwrap()
}

fn verify_otp() -> VerifyAadhaarOtpRequest {
    VerifyAadhaarOtpRequest::try_from(VerifyAadhaarOtpInput {
        otp: Some(OTP.into()),
        txn_id: Some(TXN.into()),
        ..Default::default()
    })
    .unwrap()
}

fn check_account(preverified_check: Option<bool>) -> CheckAccountExistRequest {
    CheckAccountExistRequest::try_from(CheckAccountExistInput {
        txn_id: Some(TXN.into()),
        preverified_check,
    })
    .unwrap()
}

fn demographic_auth(mobile: &str) -> DemographicAuthRequest {
    DemographicAuthRequest::try_from(DemographicAuthInput {
        txn_id: Some(TXN.into()),
        mobile_number: Some(mobile.into()),
    })
    .unwrap()
}

fn verify_mobile_otp() -> VerifyMobileOtpRequest {
    VerifyMobileOtpRequest::try_from(VerifyMobileOtpInput {
        otp: Some(MOBILE_OTP.into()),
        txn_id: Some(TXN.into()),
    })
    .unwrap()
}

fn suggestion() -> HprIdSuggestionRequest {
    HprIdSuggestionRequest::try_from(HprIdSuggestionInput {
        txn_id: Some(TXN.into()),
    })
    .unwrap()
}

#[test]
fn key_scanner_reads_top_level_keys_only() {
    assert_eq!(
        keys_in_order(r#"{"a":{"x":1},"b":[{"y":2}],"c":"{\"d\":1}", "e" : null}"#),
        ["a", "b", "c", "e"]
    );
    assert_eq!(
        keys_in_order(&fixture("a2_verify_aadhaar_otp.request.json")),
        ["domainName", "idType", "otp", "restrictions", "txnId"]
    );
}

// ---------------------------------------------------------------------------------------------
// One test per operation

#[tokio::test]
async fn a1_generate_aadhaar_otp() {
    let request = generate_otp("2341 2341 2346");
    let (r, req) = exchange(&request, "a1_generate_aadhaar_otp.response.json").await;

    assert_sent(
        &req,
        Operation::GenerateAadhaarOtp,
        "a1_generate_aadhaar_otp.request.json",
    );
    assert_eq!(r.txn_id.as_str(), TXN);
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE));
}

#[tokio::test]
async fn a2_verify_aadhaar_otp_with_defaults() {
    // domainName, idType and restrictions not given (blank counts as not given)
    let request = VerifyAadhaarOtpRequest::try_from(VerifyAadhaarOtpInput {
        otp: Some(" 123456 ".into()),
        txn_id: Some(TXN.into()),
        domain_name: Some("  ".into()),
        ..Default::default()
    })
    .unwrap();

    let (r, req) = exchange(&request, "a2_verify_aadhaar_otp.upstream.response.json").await;

    assert_sent(
        &req,
        Operation::VerifyAadhaarOtp,
        "a2_verify_aadhaar_otp.request.json",
    );
    let body = body_value(&req);
    assert_eq!(body["domainName"], "@hpr.abdm");
    assert_eq!(body["idType"], "hpr_id");
    assert!(
        body.as_object().unwrap().get("restrictions") == Some(&Value::Null),
        "restrictions is sent, as null"
    );
    // exact bytes: serde_json writes compactly, in our declared order
    assert_eq!(
        body_text(&req),
        format!(
            r#"{{"domainName":"@hpr.abdm","idType":"hpr_id","otp":"123456","restrictions":null,"txnId":"{TXN}"}}"#
        )
    );
    // upstream spellings resolved
    assert_eq!(r.txn_id.as_str(), TXN);
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE));
    assert_eq!(r.profile_photo.as_deref(), Some(FIXTURE_PHOTO));
    assert_eq!(r.birth_date.as_deref(), Some("15-08-1988"));
    assert_eq!(r.name.as_deref(), Some(FULL_NAME));
}

#[tokio::test]
async fn a2_peer_response_through_the_client() {
    let (r, _) = exchange(&verify_otp(), "a2_verify_aadhaar_otp.peer.response.json").await;
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE));
    assert_eq!(r.profile_photo.as_deref(), Some(FIXTURE_PHOTO));
    assert_eq!(r.birth_date.as_deref(), Some("15-08-1988"));
    assert_eq!(r.district.as_deref(), Some("Ghaziabad"));
}

#[tokio::test]
async fn a3_check_account_exist_new_with_default_preverified_check() {
    let request = check_account(None);
    let (r, req) = exchange(&request, "a3_check_account_exist.new.response.json").await;

    assert_sent(
        &req,
        Operation::CheckAccountExist,
        "a3_check_account_exist.request.json",
    );
    assert_eq!(
        body_value(&req)["preverifiedCheck"],
        Value::Bool(true),
        "a JSON boolean"
    );
    let AccountCheck::New(n) = r else {
        panic!("expected a new account, got {r:?}")
    };
    assert_eq!(n.hpr_id_number, "");
    assert_eq!(n.first_name.as_deref(), Some("Asha"));
    assert_eq!(n.district_code.as_deref(), Some("145"));
}

#[tokio::test]
async fn a3_check_account_exist_existing() {
    let request = check_account(Some(false));
    let (r, req) = exchange(&request, "a3_check_account_exist.existing.response.json").await;

    assert_eq!(
        body_value(&req)["preverifiedCheck"],
        Value::Bool(false),
        "explicit false kept"
    );
    let AccountCheck::Existing(e) = r else {
        panic!("expected an existing account, got {r:?}")
    };
    assert_eq!(e.hpr_id_number, HPR_ID_NUMBER);
    assert_eq!(e.hpr_id, "asha.verma@hpr.abdm");
}

#[tokio::test]
async fn a4_demographic_auth_via_mobile() {
    let request = demographic_auth("09876543210");
    let (r, req) = exchange(&request, "a4_demographic_auth.verified.response.json").await;

    assert_sent(
        &req,
        Operation::DemographicAuthViaMobile,
        "a4_demographic_auth.request.json",
    );
    assert!(r.verified);
}

#[tokio::test]
async fn a4_not_verified_is_a_normal_answer() {
    let request = demographic_auth(MOBILE);
    let (r, _) = exchange(&request, "a4_demographic_auth.not_verified.response.json").await;
    assert!(!r.verified);
}

#[tokio::test]
async fn a5_generate_mobile_otp_sends_key_mobile_normalised() {
    let request = GenerateMobileOtpRequest::try_from(GenerateMobileOtpInput {
        mobile: Some("+91 98765-43210".into()),
        txn_id: Some(TXN.into()),
    })
    .unwrap();

    let (r, req) = exchange(&request, "a5_generate_mobile_otp.response.json").await;

    assert_sent(
        &req,
        Operation::GenerateMobileOtp,
        "a5_generate_mobile_otp.request.json",
    );
    let body = body_value(&req);
    assert_eq!(body["mobile"], MOBILE);
    assert!(body.get("mobileNumber").is_none());
    assert_eq!(r.txn_id.as_str(), TXN);
    assert_eq!(r.mobile_number, None);
}

#[tokio::test]
async fn a6_verify_mobile_otp() {
    let (r, req) = exchange(&verify_mobile_otp(), "a6_verify_mobile_otp.response.json").await;

    assert_sent(
        &req,
        Operation::VerifyMobileOtp,
        "a6_verify_mobile_otp.request.json",
    );
    assert_eq!(r.txn_id.as_str(), TXN);
    assert_eq!(r.mobile_number, None);
}

#[tokio::test]
async fn a7_get_hpr_id_suggestion() {
    let (r, req) = exchange(&suggestion(), "a7_hpr_id_suggestion.response.json").await;

    assert_eq!(req.url.path(), "/api/hpId/suggestion", "note hpId");
    assert_sent(
        &req,
        Operation::GetHprIdSuggestion,
        "a7_hpr_id_suggestion.request.json",
    );
    assert_eq!(r.0, ["asha.verma", "ashaverma1988", "verma.asha"]);
}

#[tokio::test]
async fn a7_empty_suggestions() {
    let (r, _) = exchange(&suggestion(), "a7_hpr_id_suggestion.empty.response.json").await;
    assert!(r.0.is_empty());
}

#[tokio::test]
async fn a8_create_hpr_id_with_preverified() {
    let request = CreateHprIdRequest::try_from(create_input()).unwrap();

    let (r, req) = exchange(&request, "a8_create_hpr_id.response.json").await;

    assert_sent(
        &req,
        Operation::CreateHprIdWithPreverified,
        "a8_create_hpr_id.request.json",
    );
    // exact bytes, hand-written: 17 keys in the contract's order, absent optionals as null
    assert_eq!(
        body_text(&req),
        format!(
            concat!(
                r#"{{"address":"12 Station Rd, Ghaziabad","dayOfBirth":"15","districtCode":"145","#,
                r#""email":"asha@example.com","firstName":"Asha","hpCategoryCode":"1","#,
                r#""hpSubCategoryCode":"1","hprId":"asha.verma","lastName":"Verma","middleName":null,"#,
                r#""monthOfBirth":"08","password":"Ayushman@143","pincode":"201001","#,
                r#""profilePhoto":null,"stateCode":"9","txnId":"{}","yearOfBirth":"1988"}}"#
            ),
            TXN
        )
    );
    assert_eq!(r.token.expose(), "eyJhbGciOi...");
    assert_eq!(r.hpr_id_number, HPR_ID_NUMBER);
    assert_eq!(r.hpr_id, "asha.verma@hpr.abdm");
    assert_eq!(r.kyc_photo.as_deref(), Some(FIXTURE_PHOTO));
    assert_eq!(r.category_id, Some(1));
}

#[tokio::test]
async fn a8_full_request_with_middle_name_and_photo() {
    // the photo as a data URL with line breaks: both are stripped before sending
    let wrapped = format!(
        "data:image/jpeg;base64,{}\n{}",
        &FIXTURE_PHOTO[..60],
        &FIXTURE_PHOTO[60..]
    );
    let request = CreateHprIdRequest::try_from(CreateHprIdInput {
        middle_name: Some(" Devi ".into()),
        profile_photo: Some(wrapped),
        ..create_input()
    })
    .unwrap();

    let (r, req) = exchange(&request, "a8_create_hpr_id.minimal.response.json").await;

    assert_sent(
        &req,
        Operation::CreateHprIdWithPreverified,
        "a8_create_hpr_id_full.request.json",
    );
    assert_eq!(r.hpr_id, "asha.verma@hpr.abdm");
    assert_eq!(r.hpr_id_number, HPR_ID_NUMBER);
    assert_eq!(r.name, None);
}

#[tokio::test]
async fn a8_pads_day_and_month_and_sends_bare_hpr_id() {
    let request = CreateHprIdRequest::try_from(CreateHprIdInput {
        day_of_birth: Some("5".into()),
        month_of_birth: Some("8".into()),
        hpr_id: Some("asha.verma@hpr.abdm".into()),
        middle_name: Some("   ".into()),
        ..create_input()
    })
    .unwrap();

    let (_, req) = exchange(&request, "a8_create_hpr_id.minimal.response.json").await;

    let mut expected = fixture_value("a8_create_hpr_id.request.json");
    expected["dayOfBirth"] = "05".into();
    let body = body_value(&req);
    assert_eq!(body, expected);
    assert_eq!(body["dayOfBirth"], "05");
    assert_eq!(body["monthOfBirth"], "08");
    assert_eq!(body["hprId"], "asha.verma");
    assert_eq!(body["middleName"], Value::Null, "blank middle name is null");
    assert_eq!(body["profilePhoto"], Value::Null);
    assert_eq!(
        keys_in_order(body_text(&req)),
        keys_in_order(&fixture("a8_create_hpr_id.request.json"))
    );
}

// ---------------------------------------------------------------------------------------------
// Transport rules

#[tokio::test]
async fn optional_headers_sent_only_when_configured() {
    let op = Operation::GetHprIdSuggestion;
    let server = server_for(op, 200, &fixture("a7_hpr_id_suggestion.response.json")).await;
    let request = suggestion();

    let configured = builder(api_base(&server), CONTRACT_KEY)
        .hprid_auth("hprid-token-1")
        .facility_id("IN0910000123")
        .build()
        .unwrap();
    configured.get_hpr_id_suggestion(&request).await.unwrap();
    client(&server)
        .get_hpr_id_suggestion(&request)
        .await
        .unwrap();

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(header(&received[0], "x-hprid-auth"), Some("hprid-token-1"));
    assert_eq!(header(&received[0], "facilityid"), Some("IN0910000123"));
    assert_eq!(
        header(&received[0], "authorization"),
        Some("Bearer test-key")
    );
    assert_eq!(header(&received[1], "x-hprid-auth"), None);
    assert_eq!(header(&received[1], "facilityid"), None);
    assert_sent(&received[1], op, "a7_hpr_id_suggestion.request.json");
}

#[test]
fn placeholder_header_values_are_refused() {
    let err = builder("http://127.0.0.1:9/api", CONTRACT_KEY)
        .hprid_auth("__X_HPR_ID__")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::Config(ref m) if m.contains("x-hprid-auth")),
        "{err}"
    );
}

#[tokio::test]
async fn bearer_prefix_is_never_doubled() {
    let op = Operation::GenerateAadhaarOtp;
    let server = server_for(op, 200, &fixture("a1_generate_aadhaar_otp.response.json")).await;
    let request = generate_otp("234123412346");
    for key in [
        "Bearer test-key",
        "bearer test-key",
        "  Bearer   test-key  ",
    ] {
        let c = builder(api_base(&server), key).build().unwrap();
        c.generate_aadhaar_otp(&request).await.unwrap();
    }
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    for req in &received {
        assert_eq!(header(req, "authorization"), Some("Bearer test-key"));
    }
}

#[tokio::test]
async fn base_path_is_kept_with_a_trailing_slash() {
    let op = Operation::VerifyMobileOtp;
    let server = server_for(op, 200, &fixture("a6_verify_mobile_otp.response.json")).await;
    let c = builder(format!("{}/api/", server.uri()), CONTRACT_KEY)
        .build()
        .unwrap();
    c.verify_mobile_otp(&verify_mobile_otp()).await.unwrap();
    assert_eq!(
        only_request(&server).await.url.path(),
        "/api/verify/mobileOtp"
    );
}

#[tokio::test]
async fn redirect_is_an_error_and_not_followed() {
    let op = Operation::GenerateAadhaarOtp;
    let server = MockServer::start().await;
    let target = format!("{}/api/elsewhere", server.uri());
    let body = fixture("a1_generate_aadhaar_otp.response.json");
    let redirect = json_response(302, body.as_str()).insert_header("location", target.as_str());
    operation_mock("/api", op, redirect).mount(&server).await;
    Mock::given(path("/api/elsewhere"))
        .respond_with(json_response(200, body))
        .mount(&server)
        .await;

    let err = client(&server)
        .generate_aadhaar_otp(&generate_otp("234123412346"))
        .await
        .unwrap_err();

    match &err {
        Error::Api { operation, error } => {
            assert_eq!(*operation, op);
            assert_eq!(error.status, 302);
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert_eq!(err.status(), Some(302));
    let req = only_request(&server).await; // the redirect target was never requested
    assert_eq!(req.url.path(), "/api/aadhaar/generateOtp");
}

#[tokio::test]
async fn mistyped_txn_id_is_a_decode_error_at_its_path() {
    let request = generate_otp("234123412346");
    let err = failure(&request, r#"{"txnId": 5, "mobileNumber": "******3210"}"#).await;
    match &err {
        Error::Decode {
            operation,
            status,
            path,
            ..
        } => {
            assert_eq!(*operation, Operation::GenerateAadhaarOtp);
            assert_eq!(*status, 200);
            assert_eq!(path, "txnId");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    assert_eq!(err.status(), Some(200));
}

#[tokio::test]
async fn missing_txn_id_is_a_decode_error_naming_it() {
    let mut body = fixture_value("a2_verify_aadhaar_otp.peer.response.json");
    body.as_object_mut().unwrap().remove("txnId");
    let err = failure(&verify_otp(), &body.to_string()).await;
    match &err {
        Error::Decode {
            status,
            path,
            message,
            ..
        } => {
            assert_eq!(*status, 200);
            assert_eq!(path, "txnId");
            assert_eq!(message, "missing field `txnId`");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn string_verified_is_a_decode_error() {
    let err = failure(&demographic_auth(MOBILE), r#"{"verified":"true"}"#).await;
    assert!(
        matches!(err, Error::Decode { status: 200, ref path, .. } if path == "verified"),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_input_never_reaches_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let _client = client(&server);

    let report = CreateHprIdRequest::try_from(CreateHprIdInput {
        address: None,
        day_of_birth: Some("31".into()),
        month_of_birth: Some("04".into()),
        year_of_birth: Some("1990".into()),
        email: Some("asha@@example.com".into()),
        hpr_id: Some("asha@gmail.com".into()),
        password: Some("ayushman143".into()),
        pincode: Some("012345".into()),
        txn_id: Some("has space".into()),
        ..create_input()
    })
    .unwrap_err();
    let fields: Vec<&str> = report.errors().iter().map(|e| e.field.as_ref()).collect();
    for expected in [
        "address",
        "dayOfBirth",
        "monthOfBirth",
        "yearOfBirth",
        "email",
        "hprId",
        "password",
        "pincode",
        "txnId",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    // 31 April names all three date parts
    assert_eq!(fields.len(), 9, "{fields:?}");
    assert_absent(
        &report.to_string(),
        &["ayushman143", "asha@gmail.com", "has space"],
    );
    let as_error = Error::from(report);
    assert!(matches!(as_error, Error::Validation(_)));
    assert_eq!(as_error.status(), None);

    let report = VerifyAadhaarOtpRequest::try_from(VerifyAadhaarOtpInput {
        otp: Some("12345".into()),
        ..Default::default()
    })
    .unwrap_err();
    let fields: Vec<&str> = report.errors().iter().map(|e| e.field.as_ref()).collect();
    assert_eq!(fields, ["otp", "txnId"]);

    let report = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
        aadhaar: Some("234123412345".into()),
    })
    .unwrap_err();
    assert_eq!(report.errors()[0].field, "aadhaar");

    let report = GenerateMobileOtpRequest::try_from(GenerateMobileOtpInput {
        mobile: Some("5876543210".into()),
        txn_id: None,
    })
    .unwrap_err();
    let fields: Vec<&str> = report.errors().iter().map(|e| e.field.as_ref()).collect();
    assert_eq!(fields, ["mobile", "txnId"]);

    assert_eq!(
        server.received_requests().await.unwrap().len(),
        0,
        "nothing was sent"
    );
}
