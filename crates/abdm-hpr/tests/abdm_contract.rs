//! Backend B contract tests (CONTRACT §3): `AbdmBackend` against a loopback wiremock server,
//! checked against hand-written fixtures in `tests/fixtures/abdm/` — paths, headers, bodies, the
//! session exchange (v0.5 and v3), the token cache and its `900901` renewal, field encryption and
//! every error shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use abdm_hpr::abdm::{FieldModes, SessionApi};
use abdm_hpr::backend::{Request as StepCall, Response as StepAnswer};
use abdm_hpr::types::{
    AccountCheck, CheckAccountExistInput, CheckAccountExistRequest, CreateHprIdRequest,
    DemographicAuthInput, DemographicAuthRequest, GenerateAadhaarOtpInput,
    GenerateAadhaarOtpRequest, GenerateMobileOtpInput, GenerateMobileOtpRequest,
    HprIdSuggestionInput, HprIdSuggestionRequest, VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest,
    VerifyMobileOtpInput, VerifyMobileOtpRequest,
};
use abdm_hpr::{AbdmBackend, AbdmBackendBuilder, Error, RegistryBackend, Step};
use base64::Engine as _;
use common::{
    AADHAAR, MOBILE, MOBILE_OTP, OTP, PASSWORD, TXN, assert_never_printed, create_input, fixture,
    fixture_value, keys_in_order, value,
};
use rsa::pkcs8::EncodePublicKey as _;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPrivateKey};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CLIENT_ID: &str = "SBX_000123";
const CLIENT_SECRET: &str = "sbx-SECRET-client-9931";
/// The access token of `b0_session.response.json`.
const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJjbGllbnRJZCI6IlNCWF8wMDAxMjMifQ.YWNjZXNz";
const HPR_BASE: &str = "/hpr/api";
const GATEWAY_BASE: &str = "/gw";

// ---------------------------------------------------------------------------------------------
// Helpers

fn b_fixture(name: &str) -> String {
    fixture(&format!("abdm/{name}"))
}

fn builder(server: &MockServer) -> AbdmBackendBuilder {
    AbdmBackend::builder()
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .hpr_url(format!("{}{HPR_BASE}", server.uri()))
        .gateway_url(format!("{}{GATEWAY_BASE}", server.uri()))
        .field_modes(FieldModes::none())
}

fn json(status: u16, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

/// The session endpoint answering the fixture grant.
async fn mount_session(server: &MockServer, api: SessionApi) {
    Mock::given(method("POST"))
        .and(path(format!("{GATEWAY_BASE}{}", api.path())))
        .respond_with(json(200, b_fixture("b0_session.response.json")))
        .mount(server)
        .await;
}

/// `POST <hpr base><B path of step>` answered with `template`.
async fn mount_step(server: &MockServer, step: Step, template: impl Respond + 'static) {
    Mock::given(method("POST"))
        .and(path(format!("{HPR_BASE}{}", abdm_hpr::abdm::path(step))))
        .respond_with(template)
        .mount(server)
        .await;
}

async fn received(server: &MockServer, full_path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("recording on")
        .into_iter()
        .filter(|r| r.url.path() == full_path)
        .collect()
}

fn session_path(api: SessionApi) -> String {
    format!("{GATEWAY_BASE}{}", api.path())
}

fn step_path(step: Step) -> String {
    format!("{HPR_BASE}{}", abdm_hpr::abdm::path(step))
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

/// One request of every step, with the fixture prefix of its wire form.
fn every_step() -> Vec<(StepCall, &'static str, &'static str)> {
    let txn = || Some(TXN.to_owned());
    vec![
        (
            StepCall::GenerateAadhaarOtp(
                GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
                    aadhaar: Some(AADHAAR.into()),
                })
                .unwrap(),
            ),
            "b1_generate_aadhaar_otp",
            "b1_generate_aadhaar_otp.response.json",
        ),
        (
            StepCall::VerifyAadhaarOtp(
                VerifyAadhaarOtpRequest::try_from(VerifyAadhaarOtpInput {
                    otp: Some(OTP.into()),
                    txn_id: txn(),
                    ..Default::default()
                })
                .unwrap(),
            ),
            "b2_verify_aadhaar_otp",
            "b2_verify_aadhaar_otp.response.json",
        ),
        (
            StepCall::CheckAccountExist(
                CheckAccountExistRequest::try_from(CheckAccountExistInput {
                    txn_id: txn(),
                    ..Default::default()
                })
                .unwrap(),
            ),
            "b3_check_account_exist",
            "b3_check_account_exist.new.response.json",
        ),
        (
            StepCall::DemographicAuthViaMobile(
                DemographicAuthRequest::try_from(DemographicAuthInput {
                    txn_id: txn(),
                    mobile_number: Some(MOBILE.into()),
                })
                .unwrap(),
            ),
            "b4_demographic_auth",
            "b4_demographic_auth.response.json",
        ),
        (
            StepCall::GenerateMobileOtp(
                GenerateMobileOtpRequest::try_from(GenerateMobileOtpInput {
                    mobile: Some(MOBILE.into()),
                    txn_id: txn(),
                })
                .unwrap(),
            ),
            "b5_generate_mobile_otp",
            "b5_generate_mobile_otp.response.json",
        ),
        (
            StepCall::VerifyMobileOtp(
                VerifyMobileOtpRequest::try_from(VerifyMobileOtpInput {
                    otp: Some(MOBILE_OTP.into()),
                    txn_id: txn(),
                })
                .unwrap(),
            ),
            "b6_verify_mobile_otp",
            "b6_verify_mobile_otp.response.json",
        ),
        (
            StepCall::GetHprIdSuggestion(
                HprIdSuggestionRequest::try_from(HprIdSuggestionInput { txn_id: txn() }).unwrap(),
            ),
            "b7_hpr_id_suggestion",
            "b7_hpr_id_suggestion.response.json",
        ),
        (
            StepCall::CreateHprIdWithPreverified(Box::new(
                CreateHprIdRequest::try_from(create_input()).unwrap(),
            )),
            "b8_create_hpr_id",
            "b8_create_hpr_id.response.json",
        ),
    ]
}

fn demographic_auth() -> StepCall {
    every_step().swap_remove(3).0
}

fn create() -> StepCall {
    every_step().swap_remove(7).0
}

/// A session endpoint issuing `token-1`, `token-2`, … and counting them.
struct Issuer(Arc<AtomicUsize>);

impl Respond for Issuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        json(
            200,
            format!(r#"{{"accessToken":"token-{n}","expiresIn":1200}}"#),
        )
    }
}

/// A registry step accepting only tokens issued after `expired_upto`, else `900901`.
struct Accepts {
    expired_upto: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
    body: String,
}

impl Respond for Accepts {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let n: usize = header(req, "authorization")
            .and_then(|v| v.strip_prefix("Bearer token-"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if n > self.expired_upto.load(Ordering::SeqCst) {
            json(200, self.body.clone())
        } else {
            json(401, b_fixture("error.wso2_900901.json"))
        }
    }
}

struct Counters {
    sessions: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
    expired_upto: Arc<AtomicUsize>,
}

/// A server whose step 1 accepts only fresh tokens; returns the counters.
async fn token_checking_server() -> (MockServer, Counters) {
    let server = MockServer::start().await;
    let counters = Counters {
        sessions: Arc::new(AtomicUsize::new(0)),
        calls: Arc::new(AtomicUsize::new(0)),
        expired_upto: Arc::new(AtomicUsize::new(0)),
    };
    Mock::given(method("POST"))
        .and(path(session_path(SessionApi::V05)))
        .respond_with(Issuer(counters.sessions.clone()))
        .mount(&server)
        .await;
    mount_step(
        &server,
        Step::GenerateAadhaarOtp,
        Accepts {
            expired_upto: counters.expired_upto.clone(),
            calls: counters.calls.clone(),
            body: b_fixture("b1_generate_aadhaar_otp.response.json"),
        },
    )
    .await;
    (server, counters)
}

fn step_one() -> StepCall {
    every_step().swap_remove(0).0
}

// ---------------------------------------------------------------------------------------------
// Paths, headers, bodies

#[tokio::test]
async fn every_step_goes_to_its_b_path_with_the_bearer_and_bs_body() {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    for (request, _, response) in every_step() {
        mount_step(&server, request.step(), json(200, b_fixture(response))).await;
    }
    let backend = builder(&server).build().unwrap();
    for (request, prefix, _) in every_step() {
        let answer = backend.call(&request).await.unwrap();
        assert_eq!(answer.step(), request.step());
        let sent = received(&server, &step_path(request.step())).await;
        assert_eq!(sent.len(), 1, "{prefix}");
        let sent = &sent[0];
        assert_eq!(
            header(sent, "authorization"),
            Some(format!("Bearer {ACCESS_TOKEN}").as_str())
        );
        assert_eq!(header(sent, "content-type"), Some("application/json"));
        let body = std::str::from_utf8(&sent.body).unwrap();
        let expected = b_fixture(&format!("{prefix}.request.json"));
        assert_eq!(value(body), value(&expected), "{prefix}");
        assert_eq!(keys_in_order(body), keys_in_order(&expected), "{prefix}");
    }
    // one session for all eight calls, with the contract's body and no v3 headers
    let sessions = received(&server, &session_path(SessionApi::V05)).await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        value(std::str::from_utf8(&sessions[0].body).unwrap()),
        fixture_value("abdm/b0_session.request.json")
    );
    assert_eq!(
        header(&sessions[0], "content-type"),
        Some("application/json")
    );
    assert!(header(&sessions[0], "request-id").is_none());
    assert!(header(&sessions[0], "authorization").is_none());
}

#[tokio::test]
async fn v3_sessions_carry_request_id_timestamp_and_cm_id() {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V3).await;
    mount_step(
        &server,
        Step::GenerateAadhaarOtp,
        json(200, b_fixture("b1_generate_aadhaar_otp.response.json")),
    )
    .await;
    for (environment, cm_id) in [
        (abdm_hpr::abdm::Environment::Sandbox, "sbx"),
        (abdm_hpr::abdm::Environment::Production, "abdm"),
    ] {
        let backend = builder(&server)
            .environment(environment)
            .session_api(SessionApi::V3)
            .build()
            .unwrap();
        backend.call(&step_one()).await.unwrap();
        let sessions = received(&server, &session_path(SessionApi::V3)).await;
        let sent = sessions.last().unwrap();
        assert_eq!(header(sent, "x-cm-id"), Some(cm_id));
        let id = header(sent, "request-id").expect("REQUEST-ID");
        assert!(uuid_like(id), "{id}");
        let at = header(sent, "timestamp").expect("TIMESTAMP");
        assert!(iso_millis_z(at), "{at}");
    }
}

fn uuid_like(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn iso_millis_z(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[tokio::test]
async fn bs_response_spellings_decode_into_the_domain_types() {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    for (request, _, response) in every_step() {
        mount_step(&server, request.step(), json(200, b_fixture(response))).await;
    }
    let backend = builder(&server).build().unwrap();
    let steps = every_step();
    let StepAnswer::VerifyAadhaarOtp(kyc) = backend.call(&steps[1].0).await.unwrap() else {
        panic!("step 2 answers step 2")
    };
    assert_eq!(kyc.mobile_number.as_deref(), Some("******3210"));
    assert_eq!(kyc.birth_date.as_deref(), Some("15-08-1988"));
    assert!(kyc.profile_photo.is_some());
    let StepAnswer::CheckAccountExist(AccountCheck::New(_)) =
        backend.call(&steps[2].0).await.unwrap()
    else {
        panic!("a blank hprIdNumber is a new account")
    };
    let StepAnswer::CreateHprIdWithPreverified(created) = backend.call(&create()).await.unwrap()
    else {
        panic!("step 8 answers step 8")
    };
    assert_eq!(created.hpr_id_number, "71-1234-5678-9012");
    assert_eq!(created.hpr_id, "asha.verma@hpr.abdm");
    assert_eq!(created.kyc_photo, None);
    assert!(
        created
            .refresh_token
            .as_ref()
            .is_some_and(|t| t.expose().starts_with("eyJ"))
    );
    assert!(
        !format!("{created:?}").contains("eyJ"),
        "Debug hides both tokens"
    );
    assert_eq!(
        created
            .auth_methods
            .as_deref()
            .unwrap()
            .last()
            .map(String::as_str),
        Some("MOBILE_OTP_RESET_PASSWROD")
    );
}

#[tokio::test]
async fn an_existing_account_is_read_from_bs_answer() {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    mount_step(
        &server,
        Step::CheckAccountExist,
        json(
            200,
            b_fixture("b3_check_account_exist.existing.response.json"),
        ),
    )
    .await;
    let backend = builder(&server).build().unwrap();
    let answer = backend.call(&every_step()[2].0).await.unwrap();
    let StepAnswer::CheckAccountExist(AccountCheck::Existing(account)) = answer else {
        panic!("an hprIdNumber means an existing account")
    };
    assert_eq!(account.hpr_id, "asha.verma@hpr.abdm");
}

// ---------------------------------------------------------------------------------------------
// The token: cached, shared, renewed once on 900901

#[tokio::test]
async fn a_900901_renews_the_token_once_and_repeats_the_call_once() {
    let (server, counters) = token_checking_server().await;
    let backend = builder(&server).build().unwrap();
    backend.call(&step_one()).await.unwrap();
    assert_eq!(counters.sessions.load(Ordering::SeqCst), 1);
    // the gateway now refuses token-1
    counters.expired_upto.store(1, Ordering::SeqCst);
    backend.call(&step_one()).await.unwrap();
    assert_eq!(counters.sessions.load(Ordering::SeqCst), 2);
    assert_eq!(
        counters.calls.load(Ordering::SeqCst),
        3,
        "1 + refused + repeated"
    );
}

#[tokio::test]
async fn a_second_900901_is_a_gateway_auth_error_without_a_third_try() {
    let (server, counters) = token_checking_server().await;
    counters.expired_upto.store(usize::MAX, Ordering::SeqCst);
    let backend = builder(&server).build().unwrap();
    let err = backend.call(&step_one()).await.unwrap_err();
    assert!(
        matches!(&err, Error::GatewayAuth { status: 401, code: Some(c), .. } if c == "900901"),
        "{err:?}"
    );
    assert!(err.to_string().contains("freshly issued"), "{err}");
    assert!(!err.is_unconfirmed() && !err.is_retryable());
    assert_eq!(counters.calls.load(Ordering::SeqCst), 2);
    assert_eq!(counters.sessions.load(Ordering::SeqCst), 2);
    let doc = abdm_hpr::flow::ErrorDocument::from_error(&err);
    assert_eq!(doc.error.kind, abdm_hpr::flow::ErrorKind::GatewayAuth);
    assert_eq!(doc.error.code.as_deref(), Some("900901"));
}

#[tokio::test]
async fn a_failure_that_may_have_run_is_never_repeated() {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    // a 500 without the registry's envelope: the OTP may have been sent
    mount_step(
        &server,
        Step::GenerateAadhaarOtp,
        json(500, "upstream exploded"),
    )
    .await;
    let backend = builder(&server).build().unwrap();
    let err = backend.call(&step_one()).await.unwrap_err();
    assert!(err.is_unconfirmed(), "{err:?}");
    assert_eq!(
        received(&server, &step_path(Step::GenerateAadhaarOtp))
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_calls_on_a_refused_token_cause_one_renewal() {
    let (server, counters) = token_checking_server().await;
    let backend = builder(&server).build().unwrap();
    backend.call(&step_one()).await.unwrap();
    counters.expired_upto.store(1, Ordering::SeqCst);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let backend = backend.clone();
        calls.spawn(async move { backend.call(&step_one()).await });
    }
    for result in calls.join_all().await {
        result.unwrap();
    }
    assert_eq!(counters.sessions.load(Ordering::SeqCst), 2, "one renewal");
}

#[tokio::test]
async fn the_session_endpoints_refusals_are_gateway_auth_and_nothing_is_sent() {
    for (status, body, code) in [
        (401, b_fixture("error.v3_gateway.json"), Some("ABDM-9999")),
        (500, "oops".to_owned(), None),
        (200, r#"{"expiresIn":1200}"#.to_owned(), None),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(session_path(SessionApi::V05)))
            .respond_with(json(status, body))
            .mount(&server)
            .await;
        let backend = builder(&server).build().unwrap();
        let err = backend.call(&step_one()).await.unwrap_err();
        assert!(
            matches!(&err, Error::GatewayAuth { status: s, code: c, .. } if *s == status && c.as_deref() == code),
            "{err:?}"
        );
        // a side-effect step whose token never came is certainly not sent
        assert!(!err.is_unconfirmed(), "{err:?}");
        assert!(
            received(&server, &step_path(Step::GenerateAadhaarOtp))
                .await
                .is_empty()
        );
        assert_never_printed(&err, &[CLIENT_SECRET]);
    }
}

#[tokio::test]
async fn an_unreachable_gateway_is_a_transport_error_before_sending() {
    // a port nothing listens on
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let backend = AbdmBackend::builder()
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .hpr_url(format!("http://127.0.0.1:{port}/api"))
        .gateway_url(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let err = backend.call(&step_one()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                sent: abdm_hpr::error::RequestSent::No,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable() && !err.is_unconfirmed());
}

// ---------------------------------------------------------------------------------------------
// Error shapes

async fn failing(step_call: StepCall, status: u16, body: &str) -> Error {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    mount_step(&server, step_call.step(), json(status, body.to_owned())).await;
    builder(&server)
        .build()
        .unwrap()
        .call(&step_call)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn wso2_gateway_errors_are_their_own_kind_with_a_clear_message() {
    let err = failing(step_one(), 401, &b_fixture("error.wso2_900902.json")).await;
    assert!(
        matches!(&err, Error::GatewayAuth { code: Some(c), .. } if c == "900902"),
        "{err:?}"
    );
    assert!(err.to_string().contains("no access token"), "{err}");
    let err = failing(step_one(), 403, &b_fixture("error.wso2_900908.json")).await;
    assert!(
        matches!(&err, Error::GatewayAuth { status: 403, code: Some(c), .. } if c == "900908"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("subscribe the client ID to HPR"),
        "{err}"
    );
}

#[tokio::test]
async fn the_his_envelope_keeps_the_cause_and_drops_the_attribute_value() {
    let verify = every_step().swap_remove(1).0;
    let err = failing(verify, 422, &b_fixture("error.his_1013_with_value.json")).await;
    assert_eq!(err.api_code(), Some("HIS-1013"));
    assert_eq!(err.status(), Some(422));
    let Error::Api { error, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error.details[0].field.as_deref(), Some("otp"));
    assert_never_printed(&err, &[OTP]);
    assert!(!err.is_unconfirmed());
}

#[tokio::test]
async fn a_plain_text_404_is_an_api_error_with_its_status() {
    let err = failing(step_one(), 404, &b_fixture("error.not_found.txt")).await;
    let Error::Api { error, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error.status, 404);
    assert_eq!(error.message, "HTTP 404");
    assert_eq!(
        error.raw_body.as_ref().map(|b| b.expose()),
        Some("Not Found")
    );
}

// ---------------------------------------------------------------------------------------------
// Encryption

struct Keys {
    private: RsaPrivateKey,
    pem: String,
}

fn keys() -> Keys {
    let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let pem = private
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    Keys { private, pem }
}

async fn mount_cert(server: &MockServer, pem: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{HPR_BASE}{}", abdm_hpr::abdm::CERT_PATH)))
        .respond_with(ResponseTemplate::new(200).set_body_string(pem))
        .mount(server)
        .await;
}

fn field(req: &Request, name: &str) -> String {
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    body[name].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn configured_fields_are_encrypted_with_their_padding_and_the_key_is_fetched_once() {
    let keys = keys();
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    mount_cert(&server, &keys.pem).await;
    mount_step(
        &server,
        Step::DemographicAuthViaMobile,
        json(200, r#"{"verified":true}"#),
    )
    .await;
    mount_step(
        &server,
        Step::CreateHprIdWithPreverified,
        json(200, b_fixture("b8_create_hpr_id.response.json")),
    )
    .await;
    // the default (password with OAEP-SHA1) plus the mobile with PKCS#1 v1.5
    let modes: FieldModes = "mobileNumber=pkcs1v15".parse().unwrap();
    let backend = builder(&server).field_modes(modes).build().unwrap();
    backend.call(&demographic_auth()).await.unwrap();
    backend.call(&create()).await.unwrap();
    backend.call(&create()).await.unwrap();

    let b64 = |s: String| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    let auth = &received(&server, &step_path(Step::DemographicAuthViaMobile)).await[0];
    let mobile = keys
        .private
        .decrypt(Pkcs1v15Encrypt, &b64(field(auth, "mobileNumber")))
        .unwrap();
    assert_eq!(mobile, MOBILE.as_bytes());
    let creates = received(&server, &step_path(Step::CreateHprIdWithPreverified)).await;
    for create in &creates {
        let password = keys
            .private
            .decrypt(Oaep::new::<sha1::Sha1>(), &b64(field(create, "password")))
            .unwrap();
        assert_eq!(password, PASSWORD.as_bytes());
        assert_eq!(
            field(create, "email"),
            "asha@example.com",
            "email stays in clear"
        );
    }
    // random padding: the same password never looks the same twice
    assert_ne!(
        field(&creates[0], "password"),
        field(&creates[1], "password")
    );
    let cert_path = format!("{HPR_BASE}{}", abdm_hpr::abdm::CERT_PATH);
    let certs = received(&server, &cert_path).await;
    assert_eq!(certs.len(), 1, "the key is cached");
    assert_eq!(
        header(&certs[0], "authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
}

#[tokio::test]
async fn a_field_wanted_encrypted_names_the_field_and_the_setting() {
    let err = failing(demographic_auth(), 400, &b_fixture("error.his_1047.json")).await;
    let Error::Encryption { field, code, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(field, "mobileNumber");
    assert_eq!(code.as_deref(), Some("HIS-1047"));
    let text = err.to_string();
    assert!(
        text.contains("HPR_ABDM_ENCRYPT=mobileNumber=pkcs1v15"),
        "{text}"
    );
    assert_never_printed(&err, &[MOBILE]);
    let doc = abdm_hpr::flow::ErrorDocument::from_error(&err);
    assert_eq!(doc.error.kind, abdm_hpr::flow::ErrorKind::Config);
}

#[tokio::test]
async fn a_padding_the_registry_cannot_read_suggests_the_other_one() {
    let keys = keys();
    for (modes, sent, suggested) in [
        ("", "oaep-sha1", "password=pkcs1v15"),
        ("password=pkcs1v15", "pkcs1v15", "password=oaep-sha1"),
    ] {
        let server = MockServer::start().await;
        mount_session(&server, SessionApi::V05).await;
        mount_cert(&server, &keys.pem).await;
        mount_step(
            &server,
            Step::CreateHprIdWithPreverified,
            json(500, b_fixture("error.his_500.json")),
        )
        .await;
        let backend = builder(&server)
            .field_modes(modes.parse().unwrap())
            .build()
            .unwrap();
        let err = backend.call(&create()).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, Error::Encryption { field, .. } if field == "password"),
            "{err:?}"
        );
        assert!(text.contains(sent) && text.contains(suggested), "{text}");
        assert!(
            !err.is_unconfirmed(),
            "the registry answered: nothing was created"
        );
        assert_never_printed(&err, &[PASSWORD]);
    }
}

#[tokio::test]
async fn an_unreadable_certificate_is_an_encryption_error_and_nothing_is_sent() {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    mount_cert(&server, "this is not a key").await;
    let backend = builder(&server)
        .field_modes(FieldModes::default())
        .build()
        .unwrap();
    let err = backend.call(&create()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Encryption { field, .. } if field == "password"),
        "{err:?}"
    );
    assert!(
        received(&server, &step_path(Step::CreateHprIdWithPreverified))
            .await
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration and redaction

#[tokio::test]
async fn neither_debug_nor_errors_show_the_secret_or_the_token() {
    let server = MockServer::start().await;
    mount_session(&server, SessionApi::V05).await;
    mount_step(
        &server,
        Step::GenerateAadhaarOtp,
        json(401, b_fixture("error.wso2_900902.json")),
    )
    .await;
    let b = builder(&server);
    assert!(!format!("{b:?}").contains(CLIENT_SECRET));
    let backend = b.build().unwrap();
    assert!(!format!("{backend:?}").contains(CLIENT_SECRET));
    let err = backend.call(&step_one()).await.unwrap_err();
    assert_never_printed(&err, &[CLIENT_SECRET, ACCESS_TOKEN]);
}

#[test]
fn a_missing_secret_names_the_variable() {
    let err = AbdmBackendBuilder::from_lookup(|k| {
        (k == abdm_hpr::client::ENV_ABDM_CLIENT_ID).then(|| CLIENT_ID.to_owned())
    })
    .build()
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("HPR_ABDM_CLIENT_SECRET")),
        "{err}"
    );
}
