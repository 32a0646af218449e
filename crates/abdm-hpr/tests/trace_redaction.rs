//! Everything the client emits through `tracing` at TRACE level, across all 8 operations, a
//! registry error, a decode error and a validation failure, is captured and searched for every
//! secret and personal value that went over the wire (CONTRACT §7).
//!
//! One test only, on one thread: the subscriber is thread-scoped, and a concurrently running test
//! on another thread could make `tracing` cache "not interested" for our callsites.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use abdm_hpr::client::{GatewayClient, RegistryApi};
use abdm_hpr::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdInput, CreateHprIdRequest,
    DemographicAuthRequest, GenerateAadhaarOtpRequest, GenerateMobileOtpRequest,
    HprIdSuggestionRequest, VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest, VerifyMobileOtpRequest,
};
use abdm_hpr::{Error, Operation};
use common::{
    AADHAAR, ADDRESS, API_KEY, BAD_OTP, Captured, EMAIL, HPR_ID, HPR_ID_NUMBER, HPRID_AUTH,
    MASKED_MOBILE, MOBILE, MOBILE_OTP, NEVER_PRINTED, OTP, PASSWORD, TOKEN, TRUNCATED_PHOTO, TXN,
    TXN_HEAD, builder, create_input, mount,
};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::{MockServer, ResponseTemplate};

const UIDAI_TOKEN: &str = "uidai-SECRET-token-5521";

/// Never in the output either, beside [`NEVER_PRINTED`]: the names in any case, and the values only
/// this test uses.
const ALSO_NEVER: &[&str] = &[
    "Asha",
    "Verma",
    "asha",
    "verma",
    UIDAI_TOKEN,
    TRUNCATED_PHOTO,
    BAD_OTP,
];

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A registry answering every operation with a realistic success body.
async fn happy_registry() -> MockServer {
    let server = MockServer::start().await;
    let answers = [
        (
            Operation::GenerateAadhaarOtp,
            json!({"txnId": TXN, "mobileNumber": MASKED_MOBILE}),
        ),
        (
            Operation::VerifyAadhaarOtp,
            json!({
                "txnId": TXN, "mobile": MOBILE, "photo": TRUNCATED_PHOTO, "gender": "F", "name": "Asha Verma",
                "email": EMAIL, "pincode": "201001", "birthDate": "15-08-1988", "careOf": null,
                "house": "12", "street": "Station Road", "landmark": null, "locality": "Raj Nagar",
                "villageTownCity": "Ghaziabad", "subDist": null, "district": "Ghaziabad",
                "state": "Uttar Pradesh", "postOffice": null, "address": ADDRESS
            }),
        ),
        (
            Operation::CheckAccountExist,
            json!({
                "txnId": TXN, "token": TOKEN, "hprIdNumber": "", "name": "Asha Verma",
                "firstName": "Asha", "middleName": null, "lastName": "Verma", "gender": "F",
                "yearOfBirth": "1988", "monthOfBirth": "08", "dayOfBirth": "15", "stateCode": "9",
                "stateName": "Uttar Pradesh", "districtCode": "145", "districtName": "Ghaziabad",
                "address": ADDRESS, "pincode": "201001", "profilePhoto": TRUNCATED_PHOTO,
                "categoryId": 0, "subCategoryId": 0, "new": true
            }),
        ),
        (
            Operation::DemographicAuthViaMobile,
            json!({"verified": true, "uidaiToken": UIDAI_TOKEN}),
        ),
        (
            Operation::GenerateMobileOtp,
            json!({"txnId": TXN, "mobileNumber": MOBILE}),
        ),
        (
            Operation::VerifyMobileOtp,
            json!({"txnId": TXN, "mobileNumber": null}),
        ),
        (
            Operation::GetHprIdSuggestion,
            json!([HPR_ID, "ashaverma1988", "verma.asha"]),
        ),
        (
            Operation::CreateHprIdWithPreverified,
            json!({
                "token": TOKEN, "hprIdNumber": HPR_ID_NUMBER, "hprId": format!("{HPR_ID}@hpr.abdm"),
                "name": "Asha Verma", "gender": "F", "yearOfBirth": "1988", "monthOfBirth": "08",
                "dayOfBirth": "15", "firstName": "Asha", "middleName": null, "lastName": "Verma",
                "stateCode": "9", "stateName": "Uttar Pradesh", "districtCode": "145",
                "districtName": "Ghaziabad", "email": EMAIL, "kycPhoto": TRUNCATED_PHOTO, "mobile": MOBILE,
                "categoryId": 1, "subCategoryId": 1, "authMethods": ["AADHAAR_OTP", "PASSWORD"],
                "new": true
            }),
        ),
    ];
    for (op, body) in answers {
        mount(&server, op, ok(body)).await;
    }
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

/// A client sending the secret credentials, so their absence from the output means something.
fn client(server: &MockServer) -> GatewayClient {
    builder(server.uri(), API_KEY)
        .hprid_auth(HPRID_AUTH)
        .build()
        .unwrap()
}

/// The shared create input, with a photo.
fn create_request() -> CreateHprIdRequest {
    CreateHprIdInput {
        profile_photo: Some(TRUNCATED_PHOTO.into()),
        ..create_input()
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
        AADHAAR,
        OTP,
        MOBILE_OTP,
        MOBILE,
        PASSWORD,
        EMAIL,
        TRUNCATED_PHOTO,
        TXN,
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
    let subscriber = captured.subscriber(FmtSpan::FULL);
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
    // a registry refusal is the caller's to report: DEBUG, not WARN
    let refusals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("traced: failed") && l.contains("HIS-1013"))
        .collect();
    assert!(!refusals.is_empty(), "{log}");
    assert!(
        refusals
            .iter()
            .all(|l| l.contains("DEBUG") && !l.contains(" WARN ")),
        "{refusals:#?}"
    );

    for value in NEVER_PRINTED.iter().chain(ALSO_NEVER) {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(value)).collect();
        assert!(
            hits.is_empty(),
            "`{value}` leaked into the trace output:\n{}",
            hits.join("\n")
        );
    }
}
