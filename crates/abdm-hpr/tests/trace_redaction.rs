//! Everything the client emits through `tracing` at TRACE level, across all 8 operations, a
//! registry error, a decode error and a validation failure, is captured and searched for every
//! secret and personal value that went over the wire (CONTRACT §7).
//!
//! One test only, on one thread: the subscriber is thread-scoped, and a concurrently running test
//! on another thread could make `tracing` cache "not interested" for our callsites.

use std::io::Write;
use std::sync::{Arc, Mutex};

use abdm_hpr::client::{GatewayClient, RegistryApi};
use abdm_hpr::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdInput, CreateHprIdRequest,
    DemographicAuthRequest, GenerateAadhaarOtpRequest, GenerateMobileOtpRequest,
    HprIdSuggestionRequest, VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest, VerifyMobileOtpRequest,
};
use abdm_hpr::{Error, Operation};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AADHAAR: &str = "234123412346";
const OTP: &str = "123456";
const MOBILE_OTP: &str = "654321";
const MOBILE: &str = "9876543210";
const PASSWORD: &str = "Ayushman@143";
const EMAIL: &str = "asha@example.com";
const HPR_ID: &str = "asha.verma";
const HPR_ID_NUMBER: &str = "71-1234-5678-9012";
const ADDRESS: &str = "12 Station Rd, Ghaziabad";
const TXN: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const TXN_HEAD: &str = "3fa85f64";
const TOKEN: &str = "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJhc2hhIn0.c2lnbmF0dXJl";
const UIDAI_TOKEN: &str = "uidai-SECRET-token-5521";
const PHOTO: &str = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=";
const API_KEY: &str = "sk-live-SECRET-api-key-7781";
const HPRID_AUTH: &str = "hprid-SECRET-session-4410";
const BAD_OTP: &str = "98765x";

const NEVER: &[&str] = &[
    AADHAAR,
    OTP,
    MOBILE_OTP,
    MOBILE,
    PASSWORD,
    "Asha",
    "Verma",
    "asha",
    "verma",
    EMAIL,
    HPR_ID,
    HPR_ID_NUMBER,
    ADDRESS,
    "Station",
    "Ghaziabad",
    "Uttar Pradesh",
    "1988",
    TXN,
    TOKEN,
    "eyJhbGciOi",
    UIDAI_TOKEN,
    PHOTO,
    "/9j/4AAQ",
    API_KEY,
    HPRID_AUTH,
    BAD_OTP,
];

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("UTF-8 log output")
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

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn mount(server: &MockServer, op: Operation, template: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(op.path()))
        .respond_with(template)
        .mount(server)
        .await;
}

/// A registry answering every operation with a realistic success body.
async fn happy_registry() -> MockServer {
    let server = MockServer::start().await;
    mount(
        &server,
        Operation::GenerateAadhaarOtp,
        ok(json!({"txnId": TXN, "mobileNumber": "******3210"})),
    )
    .await;
    mount(
        &server,
        Operation::VerifyAadhaarOtp,
        ok(json!({
            "txnId": TXN, "mobile": MOBILE, "photo": PHOTO, "gender": "F", "name": "Asha Verma",
            "email": EMAIL, "pincode": "201001", "birthDate": "15-08-1988", "careOf": null,
            "house": "12", "street": "Station Road", "landmark": null, "locality": "Raj Nagar",
            "villageTownCity": "Ghaziabad", "subDist": null, "district": "Ghaziabad",
            "state": "Uttar Pradesh", "postOffice": null, "address": ADDRESS
        })),
    )
    .await;
    mount(
        &server,
        Operation::CheckAccountExist,
        ok(json!({
            "txnId": TXN, "token": TOKEN, "hprIdNumber": "", "name": "Asha Verma",
            "firstName": "Asha", "middleName": null, "lastName": "Verma", "gender": "F",
            "yearOfBirth": "1988", "monthOfBirth": "08", "dayOfBirth": "15", "stateCode": "9",
            "stateName": "Uttar Pradesh", "districtCode": "145", "districtName": "Ghaziabad",
            "address": ADDRESS, "pincode": "201001", "profilePhoto": PHOTO,
            "categoryId": 0, "subCategoryId": 0, "new": true
        })),
    )
    .await;
    mount(
        &server,
        Operation::DemographicAuthViaMobile,
        ok(json!({"verified": true, "uidaiToken": UIDAI_TOKEN})),
    )
    .await;
    mount(
        &server,
        Operation::GenerateMobileOtp,
        ok(json!({"txnId": TXN, "mobileNumber": MOBILE})),
    )
    .await;
    mount(
        &server,
        Operation::VerifyMobileOtp,
        ok(json!({"txnId": TXN, "mobileNumber": null})),
    )
    .await;
    mount(
        &server,
        Operation::GetHprIdSuggestion,
        ok(json!([HPR_ID, "ashaverma1988", "verma.asha"])),
    )
    .await;
    mount(
        &server,
        Operation::CreateHprIdWithPreverified,
        ok(json!({
            "token": TOKEN, "hprIdNumber": HPR_ID_NUMBER, "hprId": format!("{HPR_ID}@hpr.abdm"),
            "name": "Asha Verma", "gender": "F", "yearOfBirth": "1988", "monthOfBirth": "08",
            "dayOfBirth": "15", "firstName": "Asha", "middleName": null, "lastName": "Verma",
            "stateCode": "9", "stateName": "Uttar Pradesh", "districtCode": "145",
            "districtName": "Ghaziabad", "email": EMAIL, "kycPhoto": PHOTO, "mobile": MOBILE,
            "categoryId": 1, "subCategoryId": 1, "authMethods": ["AADHAAR_OTP", "PASSWORD"],
            "new": true
        })),
    )
    .await;
    server
}

/// A registry that fails: a 422 envelope quoting submitted values, an existing account with a
/// contradictory `new` flag (logged as a warning), and a mistyped 2xx body.
async fn unhappy_registry() -> MockServer {
    let server = MockServer::start().await;
    mount(
        &server,
        Operation::VerifyMobileOtp,
        ResponseTemplate::new(422).set_body_json(json!({
            "code": "HIS-422",
            "message": format!("Unable to process the request for {MOBILE}"),
            "details": [{"code": "HIS-1013", "message": format!("Incorrect OTP {MOBILE_OTP} entered"),
                         "attribute": {"key": "otp", "value": MOBILE_OTP}}]
        })),
    )
    .await;
    mount(
        &server,
        Operation::CheckAccountExist,
        ok(json!({
            "token": TOKEN, "hprIdNumber": HPR_ID_NUMBER, "hprId": format!("{HPR_ID}@hpr.abdm"),
            "categoryId": 1, "categoryName": "Doctor", "subCategoryId": 1,
            "categorySubName": "Modern Medicine", "new": true
        })),
    )
    .await;
    mount(
        &server,
        Operation::DemographicAuthViaMobile,
        ok(json!({"verified": TOKEN})),
    )
    .await;
    server
}

fn client(server: &MockServer) -> GatewayClient {
    GatewayClient::builder()
        .base_url(server.uri())
        .api_key(API_KEY)
        .hprid_auth(HPRID_AUTH)
        .build()
        .unwrap()
}

fn create_request() -> CreateHprIdRequest {
    CreateHprIdInput {
        address: Some(ADDRESS.into()),
        day_of_birth: Some("15".into()),
        district_code: Some("145".into()),
        email: Some(EMAIL.into()),
        first_name: Some("Asha".into()),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        hpr_id: Some(HPR_ID.into()),
        last_name: Some("Verma".into()),
        middle_name: None,
        month_of_birth: Some("08".into()),
        password: Some(PASSWORD.into()),
        pincode: Some("201001".into()),
        profile_photo: Some(PHOTO.into()),
        state_code: Some("9".into()),
        txn_id: Some(TXN.into()),
        year_of_birth: Some("1988".into()),
    }
    .try_into()
    .expect("valid synthetic input")
}

/// Runs the whole flow plus the failures; returns how many requests each server received.
async fn exercise() -> (usize, usize) {
    let happy = happy_registry().await;
    let registry = client(&happy);
    let txn = || TXN.parse().unwrap();

    // An application would log the responses it gets; their Debug must be safe for that.
    let r = registry
        .generate_aadhaar_otp(&GenerateAadhaarOtpRequest {
            aadhaar: AADHAAR.parse().unwrap(),
        })
        .await
        .expect("generate_aadhaar_otp");
    tracing::info!(response = ?r, "app: otp sent");
    let r = registry
        .verify_aadhaar_otp(&VerifyAadhaarOtpRequest::new(txn(), OTP.parse().unwrap()))
        .await
        .expect("verify_aadhaar_otp");
    assert_eq!(r.mobile_number.as_deref(), Some(MOBILE));
    tracing::info!(response = ?r, "app: kyc");
    let r = registry
        .check_account_exist(&CheckAccountExistRequest::new(txn()))
        .await
        .expect("check_account_exist");
    assert!(matches!(r, AccountCheck::New(_)));
    tracing::info!(response = ?r, "app: account check");
    let r = registry
        .demographic_auth_via_mobile(&DemographicAuthRequest {
            txn_id: txn(),
            mobile_number: MOBILE.parse().unwrap(),
        })
        .await
        .expect("demographic_auth_via_mobile");
    assert!(r.verified);
    tracing::info!(response = ?r, "app: demographic auth");
    let r = registry
        .generate_mobile_otp(&GenerateMobileOtpRequest {
            mobile: MOBILE.parse().unwrap(),
            txn_id: txn(),
        })
        .await
        .expect("generate_mobile_otp");
    tracing::info!(response = ?r, "app: mobile otp sent");
    let r = registry
        .verify_mobile_otp(&VerifyMobileOtpRequest {
            otp: MOBILE_OTP.parse().unwrap(),
            txn_id: txn(),
        })
        .await
        .expect("verify_mobile_otp");
    tracing::info!(response = ?r, "app: mobile verified");
    let r = registry
        .get_hpr_id_suggestion(&HprIdSuggestionRequest { txn_id: txn() })
        .await
        .expect("get_hpr_id_suggestion");
    assert_eq!(r.0.len(), 3);
    tracing::info!(response = ?r, "app: suggestions");
    let request = create_request();
    tracing::info!(request = ?request, "app: creating");
    let r = registry
        .create_hpr_id_with_preverified(&request)
        .await
        .expect("create_hpr_id_with_preverified");
    assert_eq!(r.token.expose(), TOKEN);
    tracing::info!(response = ?r, "app: created");

    // The secrets did go over the wire (so their absence from the logs means something).
    let sent = happy.received_requests().await.unwrap();
    let bodies: String = sent
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    for value in [
        AADHAAR, OTP, MOBILE_OTP, MOBILE, PASSWORD, EMAIL, PHOTO, TXN,
    ] {
        assert!(bodies.contains(value), "{value} was sent");
    }
    let auth = sent[0].headers.get("authorization").unwrap();
    assert_eq!(auth.to_str().unwrap(), format!("Bearer {API_KEY}"));
    assert_eq!(sent[0].headers.get("x-hprid-auth").unwrap(), HPRID_AUTH);

    // Failures.
    let unhappy = unhappy_registry().await;
    let failing = client(&unhappy);
    let err = failing
        .verify_mobile_otp(&VerifyMobileOtpRequest {
            otp: MOBILE_OTP.parse().unwrap(),
            txn_id: txn(),
        })
        .await
        .expect_err("422");
    assert_eq!(err.api_code(), Some("HIS-1013"));
    tracing::error!(error = %err, debug = ?err, "app: verify failed");

    let existing = failing
        .check_account_exist(&CheckAccountExistRequest::new(txn()))
        .await
        .expect("existing account");
    assert!(matches!(existing, AccountCheck::Existing(_)));
    tracing::info!(response = ?existing, "app: existing account");

    let err = failing
        .demographic_auth_via_mobile(&DemographicAuthRequest {
            txn_id: txn(),
            mobile_number: MOBILE.parse().unwrap(),
        })
        .await
        .expect_err("mistyped body");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    tracing::error!(error = %err, debug = ?err, "app: demographic auth failed");

    // A validation failure never reaches the client; the app logs the input and the report.
    let input = VerifyAadhaarOtpInput {
        otp: Some(BAD_OTP.into()),
        txn_id: Some(TXN.into()),
        ..Default::default()
    };
    tracing::debug!(input = ?input, "app: validating");
    let err = Error::from(VerifyAadhaarOtpRequest::try_from(input).expect_err("bad OTP"));
    assert_eq!(err.validation().unwrap().errors()[0].field, "otp");
    tracing::warn!(error = %err, debug = ?err, "app: rejected input");

    (sent.len(), unhappy.received_requests().await.unwrap().len())
}

#[test]
fn nothing_sensitive_reaches_the_trace_output() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(captured.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (happy_requests, unhappy_requests) =
        tracing::subscriber::with_default(subscriber, || runtime.block_on(exercise()));
    assert_eq!((happy_requests, unhappy_requests), (8, 3));

    let log = captured.text();
    assert!(!log.is_empty());
    assert!(log.contains("hpr.request"), "{log}");
    for op in Operation::ALL {
        assert!(
            log.contains(&format!("operation=\"{}\"", op.as_str())),
            "{op} is named:\n{log}"
        );
    }
    // flow metadata is there: masked txn id, statuses, attempts, HIS code
    assert!(log.contains(&format!("txn_id=\"{TXN_HEAD}…\"")), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("status=422"), "{log}");
    assert!(log.contains("attempts=1"), "{log}");
    assert!(log.contains("HIS-1013"), "{log}");
    assert!(
        log.contains("trusting hprIdNumber"),
        "the contradiction is logged:\n{log}"
    );
    assert!(log.contains("could not decode"), "{log}");
    assert!(log.contains("invalid request: otp"), "{log}");
    // the app-level lines were captured, with masked values
    assert!(log.contains("app: kyc"), "{log}");
    assert!(log.contains("XXXXXX3210"), "{log}");
    assert!(log.contains("Token([redacted])"), "{log}");
    assert!(log.contains("Password([redacted])"), "{log}");
    if std::env::var_os("SHOW_TRACE").is_some() {
        println!("{log}");
    }
    assert!(
        log.lines().filter(|l| l.contains(" WARN ")).count() >= 3,
        "failures are logged as warnings:\n{log}"
    );

    for value in NEVER {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(value)).collect();
        assert!(
            hits.is_empty(),
            "`{value}` leaked into the trace output:\n{}",
            hits.join("\n")
        );
    }
}
