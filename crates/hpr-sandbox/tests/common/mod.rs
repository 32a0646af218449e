//! Shared pieces of the sandbox integration tests: starting a sandbox on loopback with a manual
//! clock, an SDK client and a raw HTTP client for it, synthetic Aadhaar numbers, envelope
//! assertions and whole-flow helpers.
//!
//! Every test binary compiles this module on its own and uses only part of it, hence the
//! `dead_code` allowance.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use abdm_hpr::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdInput, CreateHprIdRequest,
    CreateHprIdResponse, DemographicAuthInput, DemographicAuthRequest, GenerateAadhaarOtpInput,
    GenerateAadhaarOtpRequest, GenerateMobileOtpInput, GenerateMobileOtpRequest,
    HprIdSuggestionInput, HprIdSuggestionRequest, NewAccount, Otp, TxnId, VerifyAadhaarOtpRequest,
    VerifyMobileOtpInput, VerifyMobileOtpRequest, verhoeff,
};
use abdm_hpr::{GatewayClient, RegistryApi};
use hpr_sandbox::{ManualClock, RunningSandbox, Sandbox, SandboxConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The API key the tests send.
pub const KEY: &str = "k";
/// A password that follows every rule.
pub const PASSWORD: &str = "Ayushman@143";
/// The seed of the default test configuration.
pub const SEED: u64 = 42;
/// The eight contract paths, in flow order (the first is the only one without a txnId).
pub const PATHS: [&str; 8] = [
    "/aadhaar/generateOtp",
    "/aadhaar/verifyOtp",
    "/check/account-exist",
    "/demographic-auth/mobile",
    "/generate/mobileOtp",
    "/verify/mobileOtp",
    "/hpId/suggestion",
    "/hprId/create",
];

// ---------------------------------------------------------------------------------------------
// Starting a sandbox

/// A sandbox on loopback with a manual clock, an SDK client and a raw HTTP client.
pub struct Harness {
    pub running: RunningSandbox,
    pub clock: ManualClock,
    pub client: GatewayClient,
    pub http: reqwest::Client,
}

/// The documented defaults with a fixed seed (OTPs random, SMS silent).
pub fn config() -> SandboxConfig {
    SandboxConfig {
        seed: Some(SEED),
        ..SandboxConfig::default()
    }
}

/// Starts `config` on `127.0.0.1:0` with a fresh manual clock.
pub async fn start(config: SandboxConfig) -> Harness {
    let clock = ManualClock::new();
    let sandbox = Sandbox::with_clock(config, Arc::new(clock.clone())).expect("valid config");
    let running = sandbox
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("sandbox starts on loopback");
    let client = sdk_client(&running.base_url(), KEY);
    Harness {
        running,
        clock,
        client,
        http: raw_http(),
    }
}

/// Starts the default test configuration.
pub async fn start_default() -> Harness {
    start(config()).await
}

/// An SDK client for `base_url` with `api_key` and the default timeouts.
pub fn sdk_client(base_url: &str, api_key: &str) -> GatewayClient {
    GatewayClient::builder()
        .base_url(base_url)
        .api_key(api_key)
        .build()
        .expect("a loopback http client builds")
}

/// A plain reqwest client (the workspace's reqwest needs its rustls config passed in).
pub fn raw_http() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client builds")
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

/// A raw answer: status, headers and the exact body text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics with the status if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("HTTP {} body is not JSON: {e}", self.status))
    }

    /// `details[0].code` of an error envelope.
    pub fn cause(&self) -> String {
        self.json()["details"][0]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no details[0].code in HTTP {} answer", self.status))
            .to_owned()
    }

    /// The `details[*].code` list of an error envelope.
    pub fn causes(&self) -> Vec<String> {
        self.json()["details"]
            .as_array()
            .expect("details is an array")
            .iter()
            .map(|d| d["code"].as_str().expect("detail code").to_owned())
            .collect()
    }

    /// The `details[*].attribute.key` list (`None` where the attribute is null).
    pub fn fields(&self) -> Vec<Option<String>> {
        self.json()["details"]
            .as_array()
            .expect("details is an array")
            .iter()
            .map(|d| d["attribute"]["key"].as_str().map(str::to_owned))
            .collect()
    }

    /// The header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// `POST path` with `Authorization: Bearer k` and a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_with(
            path,
            body.to_string().into_bytes(),
            &[("authorization", "Bearer k")],
        )
        .await
    }

    /// `POST path` with exactly these headers (plus `content-type: application/json`) and body.
    pub async fn post_with(&self, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("loopback request")).await
    }

    /// `GET path` without credentials.
    pub async fn get(&self, path: &str) -> Reply {
        reply(
            self.http
                .get(self.url(path))
                .send()
                .await
                .expect("loopback request"),
        )
        .await
    }

    /// `POST path` (admin) with a JSON body and no credentials.
    pub async fn admin_post(&self, path: &str, body: &Value) -> Reply {
        self.post_with(path, body.to_string().into_bytes(), &[])
            .await
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body readable");
    Reply {
        status,
        headers,
        text,
    }
}

// ---------------------------------------------------------------------------------------------
// Assertions

/// Asserts HTTP 200 (showing the body otherwise).
#[track_caller]
pub fn assert_ok(reply: &Reply) {
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// [`assert_his`], and that the first detail names `key` as its attribute. Returns the body.
#[track_caller]
pub fn assert_his_at(reply: &Reply, status: u16, cause: &str, key: &str) -> Value {
    let body = assert_his(reply, status, cause);
    assert_eq!(body["details"][0]["attribute"]["key"], key, "{body}");
    body
}

/// [`assert_his`], and that the first detail's message contains `says`. Returns the body.
#[track_caller]
pub fn assert_his_says(reply: &Reply, status: u16, cause: &str, says: &str) -> Value {
    let body = assert_his(reply, status, cause);
    let message = body["details"][0]["message"].as_str().expect("a message");
    assert!(message.contains(says), "`{message}` should say: {says}");
    body
}

/// Checks the ABDM error envelope (CONTRACT §2.2): `status`, top-level `HIS-<status>`, a non-empty
/// message, and `details[0].code == cause`; every detail has `code`, `message` and an `attribute`
/// that is `null` or `{"key": <string>, "value": null}`. Returns the body.
#[track_caller]
pub fn assert_his(reply: &Reply, status: u16, cause: &str) -> Value {
    assert_eq!(reply.status, status, "status of {}", reply.text);
    let body = reply.json();
    assert_eq!(keys(&body), set(&["code", "message", "details"]), "{body}");
    assert_eq!(body["code"], format!("HIS-{status}"), "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{body}"
    );
    let details = body["details"].as_array().expect("details is an array");
    assert!(!details.is_empty(), "{body}");
    for d in details {
        assert_eq!(keys(d), set(&["code", "message", "attribute"]), "{body}");
        assert!(
            d["code"].as_str().is_some_and(|c| c.starts_with("HIS-")),
            "{body}"
        );
        assert!(
            d["message"].as_str().is_some_and(|m| !m.trim().is_empty()),
            "{body}"
        );
        match &d["attribute"] {
            Value::Null => {}
            Value::Object(a) => {
                assert!(a["key"].is_string(), "{body}");
                assert_eq!(
                    a["value"],
                    Value::Null,
                    "attribute values are never echoed: {body}"
                );
                assert_eq!(a.len(), 2, "{body}");
            }
            other => panic!("attribute must be null or an object, got {other}"),
        }
    }
    assert_eq!(details[0]["code"], cause, "{body}");
    body
}

/// Asserts that none of `secrets` occurs in the raw answer text.
#[track_caller]
pub fn assert_no_echo(reply: &Reply, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !reply.text.contains(secret),
            "HTTP {} answer echoes a submitted value",
            reply.status
        );
    }
}

/// The SDK error's cause code, for an `Error::Api`.
#[track_caller]
pub fn sdk_cause<T: std::fmt::Debug>(result: abdm_hpr::Result<T>) -> (u16, String) {
    let error = result.expect_err("the call should fail");
    match &error {
        abdm_hpr::Error::Api { error: api, .. } => (
            api.status,
            api.cause_code().expect("a cause code").to_owned(),
        ),
        other => panic!("expected an API error, got {other}"),
    }
}

/// The top-level keys of a JSON object.
pub fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// `tests/fixtures/<name>` of the SDK crate, as JSON.
pub fn sdk_fixture(name: &str) -> Value {
    let path = format!(
        "{}/../abdm-hpr/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `NN-NNNN-NNNN-NNNN`.
pub fn is_hpr_id_number(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 4
        && groups.iter().map(|g| g.len()).eq([2, 4, 4, 4])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------------
// Synthetic Aadhaar numbers

/// A valid Aadhaar: 11 payload digits (first 2–9) and the Verhoeff check digit.
pub fn aadhaar(payload: u64) -> String {
    assert!((20_000_000_000..=99_999_999_999).contains(&payload));
    let mut digits: Vec<u8> = payload.to_string().bytes().map(|b| b - b'0').collect();
    digits.push(verhoeff::check_digit(&digits));
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// A random valid Aadhaar.
pub fn random_aadhaar(rng: &mut impl rand::Rng) -> String {
    aadhaar(rng.random_range(20_000_000_000..=99_999_999_999))
}

/// The CONTRACT §5.1 example: valid.
pub const AADHAAR: &str = "234123412346";
/// Valid too (§5.1).
pub const AADHAAR_2: &str = "498765432102";
/// Valid too (§5.1).
pub const AADHAAR_3: &str = "987654321012";

// ---------------------------------------------------------------------------------------------
// Raw flow steps (JSON in, JSON out; each asserts 200)

impl Harness {
    /// The latest OTP of a transaction, from the library API.
    pub fn otp(&self, txn: &str) -> String {
        self.running.latest_otp(txn).expect("an OTP was sent").otp
    }

    /// Step 1 with `{"aadhaar": aadhaar}`, whatever the answer.
    pub async fn generate_raw(&self, aadhaar: &str) -> Reply {
        self.post("/aadhaar/generateOtp", &json!({"aadhaar": aadhaar}))
            .await
    }

    /// Step 1; returns the txnId.
    pub async fn generate(&self, aadhaar: &str) -> String {
        let r = self.generate_raw(aadhaar).await;
        assert_ok(&r);
        r.json()["txnId"].as_str().expect("txnId").to_owned()
    }

    /// Step 2 with `otp`.
    pub async fn verify_with(&self, txn: &str, otp: &str) -> Reply {
        self.post(
            "/aadhaar/verifyOtp",
            &json!({"domainName": "@hpr.abdm", "idType": "hpr_id", "otp": otp, "restrictions": null, "txnId": txn}),
        )
        .await
    }

    /// Step 2 with the right OTP.
    pub async fn verify(&self, txn: &str) -> Value {
        let r = self.verify_with(txn, &self.otp(txn)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    /// Step 3 with `preverifiedCheck` set to `preverified`.
    pub async fn check_with(&self, txn: &str, preverified: Value) -> Reply {
        self.post(
            "/check/account-exist",
            &json!({"txnId": txn, "preverifiedCheck": preverified}),
        )
        .await
    }

    /// Step 3.
    pub async fn check(&self, txn: &str) -> Reply {
        self.check_with(txn, json!(true)).await
    }

    /// Steps 1–3 for a new account; returns the txnId and the account-check body.
    pub async fn to_new_account(&self, aadhaar: &str) -> (String, Value) {
        let txn = self.generate(aadhaar).await;
        self.verify(&txn).await;
        let r = self.check(&txn).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let body = r.json();
        assert_eq!(body["new"], true, "{body}");
        (txn, body)
    }

    /// Step 4.
    pub async fn demographic(&self, txn: &str, mobile: &str) -> Reply {
        self.post(
            "/demographic-auth/mobile",
            &json!({"txnId": txn, "mobileNumber": mobile}),
        )
        .await
    }

    /// Steps 1–4 with the linked mobile: ready for suggestions and create.
    pub async fn to_mobile_verified(&self, aadhaar: &str) -> (String, Value) {
        let (txn, account) = self.to_new_account(aadhaar).await;
        let linked = self.running.identity(aadhaar).expect("valid").mobile;
        let r = self.demographic(&txn, &linked).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json(), json!({"verified": true}));
        (txn, account)
    }

    /// Step 5.
    pub async fn generate_mobile(&self, txn: &str, mobile: &str) -> Reply {
        self.post(
            "/generate/mobileOtp",
            &json!({"mobile": mobile, "txnId": txn}),
        )
        .await
    }

    /// Step 6.
    pub async fn verify_mobile(&self, txn: &str, otp: &str) -> Reply {
        self.post("/verify/mobileOtp", &json!({"otp": otp, "txnId": txn}))
            .await
    }

    /// Step 7.
    pub async fn suggest(&self, txn: &str) -> Reply {
        self.post("/hpId/suggestion", &json!({"txnId": txn})).await
    }

    /// Step 8 with `body`.
    pub async fn create(&self, body: &Value) -> Reply {
        self.post("/hprId/create", body).await
    }

    /// Step 8 with [`create_body`]: a valid body for `hpr_id` from the account-check answer.
    pub async fn create_valid(&self, txn: &str, account: &Value, hpr_id: &str) -> Reply {
        self.create(&create_body(txn, account, hpr_id)).await
    }
}

/// A valid create body built from an account-check (new) answer.
pub fn create_body(txn: &str, account: &Value, hpr_id: &str) -> Value {
    json!({
        "address": account["address"],
        "dayOfBirth": account["dayOfBirth"],
        "districtCode": account["districtCode"],
        "email": "someone@example.com",
        "firstName": account["firstName"],
        "hpCategoryCode": "1",
        "hpSubCategoryCode": "1",
        "hprId": hpr_id,
        "lastName": account["lastName"],
        "middleName": account["middleName"],
        "monthOfBirth": account["monthOfBirth"],
        "password": PASSWORD,
        "pincode": account["pincode"],
        "profilePhoto": null,
        "stateCode": account["stateCode"],
        "txnId": txn,
        "yearOfBirth": account["yearOfBirth"],
    })
}

// ---------------------------------------------------------------------------------------------
// SDK flow steps (typed requests, validated before sending)

pub fn txn_id(s: &str) -> TxnId {
    TxnId::parse(s).expect("valid txnId")
}

/// A step 1 request for `aadhaar`.
pub fn aadhaar_otp_request(aadhaar: &str) -> GenerateAadhaarOtpRequest {
    GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
        aadhaar: Some(aadhaar.into()),
    })
    .expect("valid Aadhaar")
}

/// Step 1 through the SDK; returns the txnId and the masked mobile.
pub async fn sdk_generate(client: &GatewayClient, aadhaar: &str) -> (String, Option<String>) {
    let sent = client
        .generate_aadhaar_otp(&aadhaar_otp_request(aadhaar))
        .await
        .expect("generateOtp succeeds");
    (sent.txn_id.as_str().to_owned(), sent.mobile_number)
}

/// Steps 2 and 3 through the SDK with the right OTP.
pub async fn sdk_verify_and_check(h: &Harness, client: &GatewayClient, txn: &str) -> AccountCheck {
    let otp = Otp::parse(&h.otp(txn)).expect("six digits");
    client
        .verify_aadhaar_otp(&VerifyAadhaarOtpRequest::new(txn_id(txn), otp))
        .await
        .expect("verifyOtp succeeds");
    client
        .check_account_exist(&CheckAccountExistRequest::new(txn_id(txn)))
        .await
        .expect("account check succeeds")
}

/// Step 4 through the SDK.
pub async fn sdk_demographic(client: &GatewayClient, txn: &str, mobile: &str) -> bool {
    let request = DemographicAuthRequest::try_from(DemographicAuthInput {
        txn_id: Some(txn.into()),
        mobile_number: Some(mobile.into()),
    })
    .expect("valid demographic auth");
    client
        .demographic_auth_via_mobile(&request)
        .await
        .expect("demographic auth succeeds")
        .verified
}

/// Step 5 through the SDK.
pub async fn sdk_generate_mobile(client: &GatewayClient, txn: &str, mobile: &str) {
    let request = GenerateMobileOtpRequest::try_from(GenerateMobileOtpInput {
        mobile: Some(mobile.into()),
        txn_id: Some(txn.into()),
    })
    .expect("valid mobile OTP request");
    let sent = client
        .generate_mobile_otp(&request)
        .await
        .expect("mobile OTP sent");
    assert_eq!(sent.txn_id.as_str(), txn);
}

/// Step 6 through the SDK.
pub async fn sdk_verify_mobile(client: &GatewayClient, txn: &str, otp: &str) {
    let request = VerifyMobileOtpRequest::try_from(VerifyMobileOtpInput {
        otp: Some(otp.into()),
        txn_id: Some(txn.into()),
    })
    .expect("valid mobile OTP");
    let verified = client
        .verify_mobile_otp(&request)
        .await
        .expect("mobile OTP verified");
    assert_eq!(verified.txn_id.as_str(), txn);
}

/// Step 7 through the SDK.
pub async fn sdk_suggest(client: &GatewayClient, txn: &str) -> Vec<String> {
    let request = HprIdSuggestionRequest::try_from(HprIdSuggestionInput {
        txn_id: Some(txn.into()),
    })
    .expect("valid txnId");
    client
        .get_hpr_id_suggestion(&request)
        .await
        .expect("suggestions")
        .0
}

/// A create input from the account-check demographics.
pub fn sdk_create_input(txn: &str, account: &NewAccount, hpr_id: &str) -> CreateHprIdInput {
    CreateHprIdInput {
        address: account.address.clone(),
        day_of_birth: account.day_of_birth.clone(),
        district_code: account.district_code.clone(),
        email: Some("someone@example.com".into()),
        first_name: account.first_name.clone(),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        hpr_id: Some(hpr_id.into()),
        last_name: account.last_name.clone(),
        middle_name: account.middle_name.clone(),
        month_of_birth: account.month_of_birth.clone(),
        password: Some(PASSWORD.into()),
        pincode: account.pincode.clone(),
        profile_photo: None,
        state_code: account.state_code.clone(),
        txn_id: Some(txn.into()),
        year_of_birth: account.year_of_birth.clone(),
    }
}

/// Step 8 through the SDK.
pub async fn sdk_create(
    client: &GatewayClient,
    txn: &str,
    account: &NewAccount,
    hpr_id: &str,
) -> CreateHprIdResponse {
    let request = CreateHprIdRequest::try_from(sdk_create_input(txn, account, hpr_id))
        .expect("valid create input");
    client
        .create_hpr_id_with_preverified(&request)
        .await
        .expect("create succeeds")
}

/// The new-account branch of an account check.
#[track_caller]
pub fn expect_new(check: AccountCheck) -> Box<NewAccount> {
    match check {
        AccountCheck::New(new) => new,
        AccountCheck::Existing(_) => panic!("expected a new account"),
    }
}

/// Client timeout for the timeout-fault tests (the sandbox never answers those requests).
pub const SHORT_TIMEOUT: Duration = Duration::from_millis(300);
