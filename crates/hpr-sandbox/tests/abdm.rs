//! The Backend B dialect over raw HTTP, with hand-written B bodies (CONTRACT §3): sessions (v0.5
//! and v3), WSO2 bearer errors, the cert and field encryption, whole registrations on both
//! mobile branches, upstream spellings, and one state shared with Backend A.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use abdm_hpr::Step;
use abdm_hpr::abdm::{self, CipherMode, SessionApi};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use hpr_sandbox::{
    ABDM_GATEWAY_PREFIX, ABDM_HPR_PREFIX, DEFAULT_ABDM_CLIENT_ID, DEFAULT_ABDM_CLIENT_SECRET,
    FaultKind, SandboxConfig,
};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};
use serde_json::{Value, json};

const REQUEST_ID: &str = "6f1d2c3b-4a59-4e8f-9b7a-1c2d3e4f5a6b";
const TIMESTAMP: &str = "2026-12-02T05:43:42.123Z";

fn session_path(api: SessionApi) -> String {
    format!("{ABDM_GATEWAY_PREFIX}{}", api.path())
}

fn hpr_path(step: Step) -> String {
    format!("{ABDM_HPR_PREFIX}{}", abdm::path(step))
}

fn credentials(id: &str, secret: &str) -> Vec<u8> {
    json!({"clientId": id, "clientSecret": secret, "grantType": "client_credentials"})
        .to_string()
        .into_bytes()
}

fn default_credentials() -> Vec<u8> {
    credentials(DEFAULT_ABDM_CLIENT_ID, DEFAULT_ABDM_CLIENT_SECRET)
}

/// Asserts the gateway's v3 error shape with a code that ends in `": "`.
#[track_caller]
fn assert_gateway_error(reply: &Reply, status: u16, code: &str, says: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    let body = reply.json();
    assert_eq!(keys(&body), set(&["error"]), "{body}");
    assert_eq!(body["error"]["code"], format!("{code}: "), "{body}");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains(says), "`{message}` should say: {says}");
}

/// Asserts a WSO2 gateway error.
#[track_caller]
fn assert_wso2(reply: &Reply, code: &str, message: &str) {
    assert_eq!(reply.status, 401, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        keys(&body),
        set(&["code", "message", "description"]),
        "{body}"
    );
    assert_eq!(body["code"], code);
    assert_eq!(body["message"], message);
    assert!(body["description"].as_str().is_some_and(|d| !d.is_empty()));
}

/// A B client: a session token, the registry key, and the encryption modes it seals with.
struct B<'h> {
    h: &'h Harness,
    token: String,
    key: Option<RsaPublicKey>,
}

impl<'h> B<'h> {
    async fn new(h: &'h Harness) -> B<'h> {
        let token = session(h).await;
        B {
            h,
            token,
            key: None,
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    async fn post_at(&self, path: &str, body: &Value) -> Reply {
        self.h
            .post_with(
                path,
                body.to_string().into_bytes(),
                &[("authorization", &self.bearer())],
            )
            .await
    }

    async fn post(&self, step: Step, body: &Value) -> Reply {
        self.post_at(&hpr_path(step), body).await
    }

    async fn get(&self, path: &str) -> Reply {
        let response = self
            .h
            .http
            .get(self.h.url(path))
            .header("authorization", self.bearer())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Reply {
            status,
            headers,
            text: response.text().await.unwrap(),
        }
    }

    /// Fetches the registry's key from the cert endpoint.
    async fn key(&mut self) -> RsaPublicKey {
        if self.key.is_none() {
            let r = self
                .get(&format!("{ABDM_HPR_PREFIX}{}", abdm::CERT_PATH))
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert!(r.header("content-type").unwrap().starts_with("text/plain"));
            assert!(
                r.text.starts_with("-----BEGIN PUBLIC KEY-----"),
                "{}",
                r.text
            );
            self.key = Some(RsaPublicKey::from_public_key_pem(&r.text).expect("PEM SPKI"));
        }
        self.key.clone().unwrap()
    }

    async fn seal(&mut self, mode: CipherMode, plain: &str) -> String {
        let key = self.key().await;
        let mut rng = rsa::rand_core::OsRng;
        let block = match mode {
            CipherMode::Pkcs1v15 => key.encrypt(&mut rng, Pkcs1v15Encrypt, plain.as_bytes()),
            CipherMode::OaepSha1 => {
                key.encrypt(&mut rng, Oaep::new::<sha1::Sha1>(), plain.as_bytes())
            }
            CipherMode::None => return plain.to_owned(),
        };
        STANDARD.encode(block.unwrap())
    }

    /// B1–B3 for a new account: returns the txnId, verifyOTP's answer and the check's answer.
    async fn to_new_account(&self, aadhaar: &str) -> (String, Value, Value) {
        let r = self
            .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": aadhaar}))
            .await;
        assert_ok(&r);
        let txn = r.json()["txnId"].as_str().unwrap().to_owned();
        let otp = self.h.otp(&txn);
        let r = self
            .post(
                Step::VerifyAadhaarOtp,
                &json!({"domainName":"@hpr.abdm","idType":"hpr_id","otp":otp,"restrictions":"","txnId":txn}),
            )
            .await;
        assert_ok(&r);
        let verified = r.json();
        let r = self
            .post(
                Step::CheckAccountExist,
                &json!({"txnId": txn, "preverifiedCheck": true}),
            )
            .await;
        assert_ok(&r);
        let account = r.json();
        assert_eq!(account["new"], true, "{account}");
        (txn, verified, account)
    }

    /// A B create body (integer codes, `@hpr.abdm`, B's extra keys) with `password` as given.
    /// Step 4 with the Aadhaar-linked mobile (in clear): the verified branch. Returns the mobile.
    async fn prove_linked_mobile(&self, txn: &str, aadhaar: &str) -> String {
        let linked = self.h.running.identity(aadhaar).unwrap().mobile;
        let r = self
            .post(
                Step::DemographicAuthViaMobile,
                &json!({"txnId": txn, "mobileNumber": linked}),
            )
            .await;
        assert_ok(&r);
        assert_eq!(r.json()["verified"], true);
        linked
    }

    fn create_body(txn: &str, account: &Value, hpr_id: &str, password: &str) -> Value {
        json!({
            "address": account["address"],
            "dayOfBirth": account["dayOfBirth"],
            "districtCode": account["districtCode"],
            "email": "someone@example.com",
            "firstName": account["firstName"],
            "hpCategoryCode": 1,
            "hpSubCategoryCode": 1,
            "hprId": format!("{hpr_id}@hpr.abdm"),
            "lastName": account["lastName"],
            "middleName": account["middleName"],
            "monthOfBirth": account["monthOfBirth"],
            "password": password,
            "pincode": account["pincode"],
            "profilePhoto": null,
            "stateCode": account["stateCode"],
            "txnId": txn,
            "yearOfBirth": account["yearOfBirth"],
            "idType": "hpr_id",
            "domainName": "@hpr.abdm",
            "notifyUser": true,
        })
    }
}

/// A v0.5 session with the default client; returns the access token.
async fn session(h: &Harness) -> String {
    let r = h
        .post_with(&session_path(SessionApi::V05), default_credentials(), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["accessToken"].as_str().unwrap().to_owned()
}

fn v3_headers<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("REQUEST-ID", REQUEST_ID),
        ("TIMESTAMP", TIMESTAMP),
        ("X-CM-ID", "sbx"),
    ]
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn sessions_v05_and_v3_issue_tokens_and_are_counted() {
    let h = start(SandboxConfig {
        abdm_token_ttl: Duration::from_secs(600),
        ..config()
    })
    .await;
    let r = h
        .post_with(&session_path(SessionApi::V05), default_credentials(), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let grant = r.json();
    assert_eq!(
        keys(&grant),
        set(&[
            "accessToken",
            "expiresIn",
            "refreshExpiresIn",
            "refreshToken",
            "tokenType"
        ])
    );
    assert_eq!(grant["expiresIn"], 600);
    assert_eq!(grant["refreshExpiresIn"], 1800);
    assert_eq!(grant["tokenType"], "bearer");
    assert_ne!(grant["accessToken"], grant["refreshToken"]);

    let r = h
        .post_with(
            &session_path(SessionApi::V3),
            default_credentials(),
            &v3_headers(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v3 = r.json();
    assert_eq!(v3["expiresIn"], 600);
    assert_ne!(
        v3["accessToken"], grant["accessToken"],
        "tokens are fresh each time"
    );

    // both tokens work on the HPR routes
    for token in [&grant["accessToken"], &v3["accessToken"]] {
        let r = h
            .post_with(
                &hpr_path(Step::GenerateAadhaarOtp),
                json!({"aadhaar": "12"}).to_string().into_bytes(),
                &[(
                    "authorization",
                    &format!("Bearer {}", token.as_str().unwrap()),
                )],
            )
            .await;
        assert_his(&r, 400, "HIS-1012");
    }

    assert_eq!(h.running.abdm_sessions_issued(), 2);
    let stats = h.get("/_sandbox/abdm/stats").await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.json()["sessions_issued"], 2);
    assert_eq!(stats.json()["tokens_live"], 2);
    h.running.shutdown().await;
}

#[tokio::test]
async fn bad_credentials_and_bodies_get_the_v3_error_shape_on_both_versions() {
    let h = start_default().await;
    for api in [SessionApi::V05, SessionApi::V3] {
        let headers = if api == SessionApi::V3 {
            v3_headers()
        } else {
            vec![]
        };
        let path = session_path(api);
        let r = h
            .post_with(
                &path,
                credentials(DEFAULT_ABDM_CLIENT_ID, "wrong"),
                &headers,
            )
            .await;
        assert_gateway_error(&r, 401, "ABDM-1017", "Invalid client credentials");
        assert!(!r.text.contains("wrong"));
        let r = h
            .post_with(
                &path,
                credentials("SBX_OTHER", DEFAULT_ABDM_CLIENT_SECRET),
                &headers,
            )
            .await;
        assert_gateway_error(&r, 401, "ABDM-1017", "Invalid client credentials");
        let body = json!({"clientId": DEFAULT_ABDM_CLIENT_ID, "clientSecret": DEFAULT_ABDM_CLIENT_SECRET, "grantType": "password"});
        let r = h
            .post_with(&path, body.to_string().into_bytes(), &headers)
            .await;
        assert_gateway_error(&r, 401, "ABDM-1017", "Invalid client credentials");
        let r = h.post_with(&path, b"{not json".to_vec(), &headers).await;
        assert_gateway_error(&r, 400, "ABDM-1001", "JSON object");
        let r = h
            .post_with(
                &path,
                json!({"clientId": "x"}).to_string().into_bytes(),
                &headers,
            )
            .await;
        assert_gateway_error(&r, 400, "ABDM-1001", "clientSecret");
    }
    assert_eq!(h.running.abdm_sessions_issued(), 0);
    h.running.shutdown().await;
}

#[tokio::test]
async fn v3_sessions_need_each_header() {
    let h = start_default().await;
    let path = session_path(SessionApi::V3);
    for missing in ["REQUEST-ID", "TIMESTAMP", "X-CM-ID"] {
        let headers: Vec<_> = v3_headers()
            .into_iter()
            .filter(|(n, _)| *n != missing)
            .collect();
        let r = h.post_with(&path, default_credentials(), &headers).await;
        assert_gateway_error(
            &r,
            400,
            "ABDM-1006",
            &format!("{missing} header is missing"),
        );
    }
    for (name, bad) in [
        ("REQUEST-ID", "not-a-uuid"),
        ("TIMESTAMP", "2026-12-02T05:43:42Z"),
        ("TIMESTAMP", "2026-12-02 05:43:42.123"),
        ("TIMESTAMP", "2026-02-30T05:43:42.123Z"),
        ("X-CM-ID", "abdm"),
    ] {
        let headers: Vec<_> = v3_headers()
            .into_iter()
            .map(|(n, v)| if n == name { (n, bad) } else { (n, v) })
            .collect();
        let r = h.post_with(&path, default_credentials(), &headers).await;
        assert_gateway_error(&r, 400, "ABDM-1006", name);
    }
    // header names are case-insensitive
    let r = h
        .post_with(
            &path,
            default_credentials(),
            &[
                ("request-id", REQUEST_ID),
                ("timestamp", TIMESTAMP),
                ("x-cm-id", "sbx"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(h.running.abdm_sessions_issued(), 1);
    h.running.shutdown().await;
}

#[tokio::test]
async fn configured_clients_replace_the_default() {
    let h = start(SandboxConfig {
        abdm_clients: vec![("SBX_000123".into(), "s3cret".into())],
        ..config()
    })
    .await;
    let path = session_path(SessionApi::V05);
    let r = h
        .post_with(&path, credentials("SBX_000123", "s3cret"), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = h.post_with(&path, default_credentials(), &[]).await;
    assert_gateway_error(&r, 401, "ABDM-1017", "Invalid client credentials");
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens on the HPR routes

#[tokio::test]
async fn hpr_routes_need_a_live_gateway_token() {
    let h = start(SandboxConfig {
        abdm_token_ttl: Duration::from_secs(60),
        // A's key list does not apply to B: B has its own tokens
        api_keys: vec!["only-for-a".into()],
        ..config()
    })
    .await;
    let body = json!({"aadhaar": AADHAAR}).to_string().into_bytes();
    let path = hpr_path(Step::GenerateAadhaarOtp);

    let r = h.post_with(&path, body.clone(), &[]).await;
    assert_wso2(&r, "900902", "Missing Credentials");
    let r = h
        .post_with(&path, body.clone(), &[("authorization", "Bearer ")])
        .await;
    assert_wso2(&r, "900902", "Missing Credentials");
    let r = h
        .post_with(
            &path,
            body.clone(),
            &[("authorization", "Bearer only-for-a")],
        )
        .await;
    assert_wso2(&r, "900901", "Invalid Credentials");
    let cert = format!("{ABDM_HPR_PREFIX}{}", abdm::CERT_PATH);
    let r = h.get(&cert).await;
    assert_wso2(&r, "900902", "Missing Credentials");

    // expiry by the sandbox clock
    let b = B::new(&h).await;
    let r = b
        .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": AADHAAR}))
        .await;
    assert_ok(&r);
    h.clock.advance(Duration::from_secs(59));
    let r = b
        .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": "12"}))
        .await;
    assert_his(&r, 400, "HIS-1012");
    h.clock.advance(Duration::from_secs(1));
    let r = b
        .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": "12"}))
        .await;
    assert_wso2(&r, "900901", "Invalid Credentials");
    assert_eq!(h.running.abdm_tokens_live(), 0);

    // expiry through the admin API
    let b = B::new(&h).await;
    let other = B::new(&h).await;
    assert_eq!(h.running.abdm_tokens_live(), 2);
    let r = h
        .admin_post("/_sandbox/abdm/expire-tokens", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"expired": 2}));
    for client in [&b, &other] {
        let r = client
            .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": "12"}))
            .await;
        assert_wso2(&r, "900901", "Invalid Credentials");
    }
    // and through the library; a new session works again
    let fresh = B::new(&h).await;
    assert_eq!(h.running.expire_abdm_tokens(), 1);
    let r = fresh.get(&cert).await;
    assert_wso2(&r, "900901", "Invalid Credentials");
    let fresh = B::new(&h).await;
    let r = fresh.get(&cert).await;
    assert_eq!(r.status, 200);
    assert_eq!(h.running.abdm_sessions_issued(), 5);
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Whole registrations

#[tokio::test]
async fn a_registration_with_the_verified_mobile_runs_through_b() {
    let h = start_default().await;
    let mut b = B::new(&h).await;
    let (txn, verified, account) = b.to_new_account(AADHAAR).await;

    // verifyOTP answers in upstream's spellings
    for key in [
        "mobileNumber",
        "birthdate",
        "photo",
        "txnId",
        "name",
        "gender",
    ] {
        assert!(verified.get(key).is_some(), "{key} in {verified}");
    }
    for key in ["mobile", "birthDate"] {
        assert!(verified.get(key).is_none(), "no {key} in {verified}");
    }
    let birthdate = verified["birthdate"].as_str().unwrap();
    assert_eq!(birthdate.len(), 10);
    assert_eq!(&birthdate[2..3], "-");
    assert_eq!(&birthdate[5..6], "-");

    let linked = b.prove_linked_mobile(&txn, AADHAAR).await;
    let r = b
        .post(Step::GetHprIdSuggestion, &json!({"txnId": txn}))
        .await;
    assert_ok(&r);
    let username = r.json()[0].as_str().unwrap().to_owned();

    let sealed = b.seal(CipherMode::OaepSha1, PASSWORD).await;
    let r = b
        .post(
            Step::CreateHprIdWithPreverified,
            &B::create_body(&txn, &account, &username, &sealed),
        )
        .await;
    assert_ok(&r);
    let created = r.json();
    assert_eq!(created["hprId"], format!("{username}@hpr.abdm"));
    assert!(is_hpr_id_number(created["hprIdNumber"].as_str().unwrap()));
    assert_eq!(created["expiresIn"], 1800);
    assert_eq!(created["refreshExpiresIn"], 10_800);
    assert!(
        created["refreshToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(created["token"].as_str().is_some_and(|t| !t.is_empty()));
    for key in ["subDistrictCode", "subDistrictName", "role"] {
        assert!(created.get(key).is_some(), "{key} in {created}");
    }
    assert_eq!(created["mobile"], linked);
    assert_eq!(h.running.accounts().len(), 1);

    // the same state: Backend A now finds the account
    let txn = h.generate(AADHAAR).await;
    h.verify(&txn).await;
    let r = h.check(&txn).await;
    assert_ok(&r);
    assert_eq!(r.json()["new"], false);
    assert_eq!(r.json()["hprId"], created["hprId"]);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_registration_with_another_mobile_verifies_it_by_otp_through_b() {
    let h = start_default().await;
    let mut b = B::new(&h).await;
    let (txn, _, account) = b.to_new_account(AADHAAR_2).await;
    let linked = h.running.identity(AADHAAR_2).unwrap().mobile;
    let other = if linked == "9000000001" {
        "9000000002"
    } else {
        "9000000001"
    };
    let r = b
        .post(
            Step::DemographicAuthViaMobile,
            &json!({"txnId": txn, "mobileNumber": other}),
        )
        .await;
    assert_ok(&r);
    assert_eq!(r.json()["verified"], false);

    // create before the mobile is proven is refused
    let sealed = b.seal(CipherMode::OaepSha1, PASSWORD).await;
    let body = B::create_body(&txn, &account, "b.branch.two", &sealed);
    let r = b.post(Step::CreateHprIdWithPreverified, &body).await;
    assert_his(&r, 422, "HIS-1068");

    let r = b
        .post(
            Step::GenerateMobileOtp,
            &json!({"mobile": other, "txnId": txn}),
        )
        .await;
    assert_ok(&r);
    assert_eq!(r.json()["txnId"], txn);
    let otp = h.otp(&txn);
    let r = b
        .post(Step::VerifyMobileOtp, &json!({"otp": otp, "txnId": txn}))
        .await;
    assert_ok(&r);

    let sealed = b.seal(CipherMode::OaepSha1, PASSWORD).await;
    let body = B::create_body(&txn, &account, "b.branch.two", &sealed);
    let r = b.post(Step::CreateHprIdWithPreverified, &body).await;
    assert_ok(&r);
    let created = r.json();
    assert_eq!(created["hprId"], "b.branch.two@hpr.abdm");
    assert_eq!(created["mobile"], other);
    assert!(created["refreshToken"].is_string());
    assert_eq!(created["expiresIn"], 1800);
    h.running.shutdown().await;
}

#[tokio::test]
async fn an_account_created_through_a_exists_through_b() {
    let h = start_default().await;
    let (txn, account) = h.to_mobile_verified(AADHAAR_3).await;
    let r = h.create_valid(&txn, &account, "made.through.a").await;
    assert_ok(&r);

    let b = B::new(&h).await;
    let r = b
        .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": AADHAAR_3}))
        .await;
    assert_ok(&r);
    let txn = r.json()["txnId"].as_str().unwrap().to_owned();
    let otp = h.otp(&txn);
    let r = b
        .post(
            Step::VerifyAadhaarOtp,
            &json!({"domainName":"@hpr.abdm","idType":"hpr_id","otp":otp,"restrictions":"","txnId":txn}),
        )
        .await;
    assert_ok(&r);
    let r = b
        .post(
            Step::CheckAccountExist,
            &json!({"txnId": txn, "preverifiedCheck": true}),
        )
        .await;
    assert_ok(&r);
    assert_eq!(r.json()["new"], false);
    assert_eq!(r.json()["hprId"], "made.through.a@hpr.abdm");
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Encryption

#[tokio::test]
async fn a_password_in_clear_or_under_the_wrong_padding_is_refused() {
    let h = start_default().await;
    let mut b = B::new(&h).await;
    let (txn, _, account) = b.to_new_account(AADHAAR).await;
    b.prove_linked_mobile(&txn, AADHAAR).await;

    let r = b
        .post(
            Step::CreateHprIdWithPreverified,
            &B::create_body(&txn, &account, "clear.password", PASSWORD),
        )
        .await;
    let body = assert_his_at(&r, 400, "HIS-1047", "password");
    assert_eq!(body["details"][0]["message"], "Input must be encrypted");
    assert!(body["details"][0]["attribute"]["value"].is_null());
    assert_no_echo(&r, &[PASSWORD]);

    // base64 of something that is not one RSA block is "in clear" too
    let short = STANDARD.encode(PASSWORD);
    let r = b
        .post(
            Step::CreateHprIdWithPreverified,
            &B::create_body(&txn, &account, "short.block", &short),
        )
        .await;
    assert_his_at(&r, 400, "HIS-1047", "password");

    let wrong = b.seal(CipherMode::Pkcs1v15, PASSWORD).await;
    let r = b
        .post(
            Step::CreateHprIdWithPreverified,
            &B::create_body(&txn, &account, "wrong.padding", &wrong),
        )
        .await;
    assert_his(&r, 500, "HIS-500");
    assert_no_echo(&r, &[PASSWORD, "padding", "decrypt", "OAEP"]);
    assert!(h.running.accounts().is_empty());
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_mobile_number_configured_for_pkcs1_is_decrypted() {
    let h = start(SandboxConfig {
        abdm_encrypted: "mobileNumber=pkcs1v15".parse().unwrap(),
        ..config()
    })
    .await;
    let mut b = B::new(&h).await;
    let (txn, _, _) = b.to_new_account(AADHAAR).await;
    let linked = h.running.identity(AADHAAR).unwrap().mobile;

    let r = b
        .post(
            Step::DemographicAuthViaMobile,
            &json!({"txnId": txn, "mobileNumber": linked}),
        )
        .await;
    assert_his_at(&r, 400, "HIS-1047", "mobileNumber");
    assert_no_echo(&r, &[&linked]);

    let sealed = b.seal(CipherMode::Pkcs1v15, &linked).await;
    let r = b
        .post(
            Step::DemographicAuthViaMobile,
            &json!({"txnId": txn, "mobileNumber": sealed}),
        )
        .await;
    assert_ok(&r);
    assert_eq!(r.json()["verified"], true);
    h.running.shutdown().await;
}

#[tokio::test]
async fn with_no_field_encrypted_a_clear_password_is_accepted() {
    let h = start(SandboxConfig {
        abdm_encrypted: "password=none".parse().unwrap(),
        ..config()
    })
    .await;
    let b = B::new(&h).await;
    let (txn, _, account) = b.to_new_account(AADHAAR).await;
    b.prove_linked_mobile(&txn, AADHAAR).await;
    let r = b
        .post(
            Step::CreateHprIdWithPreverified,
            &B::create_body(&txn, &account, "plain.password", PASSWORD),
        )
        .await;
    assert_ok(&r);
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Paths, faults and the request log

#[tokio::test]
async fn both_version_prefixes_are_served_and_unknown_paths_are_plain_404s() {
    let h = start_default().await;
    let b = B::new(&h).await;
    let v2 = format!("{ABDM_HPR_PREFIX}/v2/registration/aadhaar/generateOtp");
    let r = b.post_at(&v2, &json!({"aadhaar": AADHAAR})).await;
    assert_ok(&r);
    let txn = r.json()["txnId"].as_str().unwrap().to_owned();
    // checkHpIdAccountExist is a v2 path; its v1 twin serves the same step
    let v1 = format!("{ABDM_HPR_PREFIX}/v1/registration/aadhaar/checkHpIdAccountExist");
    let r = b
        .post_at(&v1, &json!({"txnId": txn, "preverifiedCheck": true}))
        .await;
    assert_his(&r, 422, "HIS-1026");

    for unknown in [
        format!("{ABDM_HPR_PREFIX}/v3/registration/aadhaar/generateOtp"),
        format!("{ABDM_HPR_PREFIX}/v1/registration/aadhaar/nothing"),
        ABDM_HPR_PREFIX.to_owned(),
        format!("{ABDM_HPR_PREFIX}/"),
    ] {
        let r = b.post_at(&unknown, &json!({})).await;
        assert_eq!(r.status, 404, "{unknown}");
        assert!(
            r.header("content-type").unwrap().starts_with("text/plain"),
            "{unknown}"
        );
        assert!(
            serde_json::from_str::<Value>(&r.text).is_err(),
            "{}",
            r.text
        );
        assert!(!r.text.is_empty());
    }
    // the wrong method on a known path
    let r = b.get(&hpr_path(Step::GenerateAadhaarOtp)).await;
    assert_his(&r, 405, "HIS-405");
    assert_eq!(r.header("allow"), Some("POST"));
    h.running.shutdown().await;
}

#[tokio::test]
async fn faults_apply_to_b_paths() {
    let h = start_default().await;
    let b = B::new(&h).await;
    let path = hpr_path(Step::GenerateAadhaarOtp);
    h.running.fail_next(&path, FaultKind::Status503);
    let r = b
        .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": AADHAAR}))
        .await;
    assert_his(&r, 503, "HIS-503");
    let r = b
        .post(Step::GenerateAadhaarOtp, &json!({"aadhaar": AADHAAR}))
        .await;
    assert_ok(&r);
    // the session endpoint too
    h.running
        .fail_next(&session_path(SessionApi::V05), FaultKind::Status500);
    let r = h
        .post_with(&session_path(SessionApi::V05), default_credentials(), &[])
        .await;
    assert_eq!(r.status, 500);
    h.running.shutdown().await;
}

#[tokio::test]
async fn the_request_log_shows_full_b_paths_and_no_secrets() {
    let h = start_default().await;
    let mut b = B::new(&h).await;
    let (txn, _, account) = b.to_new_account(AADHAAR).await;
    let aadhaar_otp = h.otp(&txn);
    let linked = b.prove_linked_mobile(&txn, AADHAAR).await;
    let sealed = b.seal(CipherMode::OaepSha1, PASSWORD).await;
    let r = b
        .post(
            Step::CreateHprIdWithPreverified,
            &B::create_body(&txn, &account, "logged.user", &sealed),
        )
        .await;
    assert_ok(&r);
    let created = r.json();

    let log = h.get("/_sandbox/requests").await;
    assert_eq!(log.status, 200);
    let paths: Vec<String> = log
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "/abdm/gateway/gateway/v0.5/sessions".to_owned(),
        format!("{ABDM_HPR_PREFIX}{}", abdm::CERT_PATH),
        hpr_path(Step::GenerateAadhaarOtp),
        hpr_path(Step::VerifyAadhaarOtp),
        hpr_path(Step::CheckAccountExist),
        hpr_path(Step::CreateHprIdWithPreverified),
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    let secrets = [
        PASSWORD,
        b.token.as_str(),
        created["token"].as_str().unwrap(),
        created["refreshToken"].as_str().unwrap(),
        &sealed,
        &linked,
        &aadhaar_otp,
        AADHAAR,
    ];
    for secret in secrets {
        assert!(!log.text.contains(secret), "the log holds a secret");
    }
    h.running.shutdown().await;
}
