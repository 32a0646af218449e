//! The admin API under `/_sandbox/`: identities, OTPs, the request log, reset and health.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use hpr_sandbox::{Identity, SandboxConfig};
use serde_json::{Value, json};

const IDENTITY_KEYS: [&str; 17] = [
    "aadhaar",
    "mobile",
    "name",
    "firstName",
    "middleName",
    "lastName",
    "gender",
    "yearOfBirth",
    "monthOfBirth",
    "dayOfBirth",
    "address",
    "pincode",
    "stateCode",
    "stateName",
    "districtCode",
    "districtName",
    "photo",
];

/// A seeded identity as a client would type it (variants that normalise).
fn asha() -> Value {
    json!({
        "aadhaar": "2341 2341 2346",
        "mobile": "+91 98765-43210",
        "name": "Asha Verma",
        "firstName": "Asha",
        "middleName": null,
        "lastName": "Verma",
        "gender": "F",
        "yearOfBirth": "1988",
        "monthOfBirth": "8",
        "dayOfBirth": "5",
        "address": "12 Station Rd, Ghaziabad",
        "pincode": "201 001",
        "stateCode": "9",
        "stateName": "Uttar Pradesh",
        "districtCode": "145",
        "districtName": "Ghaziabad",
        "photo": hpr_sandbox::identity::SAMPLE_PHOTO_BASE64,
    })
}

/// [`asha`] with `key` set to `value`.
fn asha_with(key: &str, value: Value) -> Value {
    let mut body = asha();
    body[key] = value;
    body
}

/// `POST /_sandbox/identities` with `body`.
async fn add_identity(h: &Harness, body: &Value) -> Reply {
    h.admin_post("/_sandbox/identities", body).await
}

/// `GET /_sandbox/identities/{aadhaar}`.
async fn get_identity(h: &Harness, aadhaar: &str) -> Reply {
    h.get(&format!("/_sandbox/identities/{aadhaar}")).await
}

/// A refused identity: the HIS-400 envelope, its first detail naming `named`.
#[track_caller]
fn assert_refused_naming(r: &Reply, named: &str) {
    assert_his_says(r, 400, "HIS-400", named);
}

#[tokio::test]
async fn identities_have_exactly_the_documented_keys() {
    let h = start_default().await;
    let r = get_identity(&h, AADHAAR).await;
    assert_ok(&r);
    let body = r.json();
    assert_eq!(keys(&body), set(&IDENTITY_KEYS));
    assert_eq!(
        body,
        serde_json::to_value(h.running.identity(AADHAAR).unwrap()).unwrap()
    );
    assert_eq!(body["aadhaar"], AADHAAR);
    let mobile = body["mobile"].as_str().unwrap();
    assert!(mobile.len() == 10 && mobile.bytes().all(|b| b.is_ascii_digit()));

    for bad in ["234123412345", "98765", "abcdefgh", "123456789012"] {
        let r = get_identity(&h, bad).await;
        assert_his(&r, 400, "HIS-1012");
        assert_no_echo(&r, &[bad]);
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn an_added_identity_is_used_by_the_flow() {
    let h = start_default().await;
    let r = add_identity(&h, &asha()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let stored = r.json();
    assert_eq!(keys(&stored), set(&IDENTITY_KEYS));
    // normalised
    assert_eq!(stored["aadhaar"], AADHAAR);
    assert_eq!(stored["mobile"], "9876543210");
    assert_eq!(stored["monthOfBirth"], "08");
    assert_eq!(stored["dayOfBirth"], "05");
    assert_eq!(stored["pincode"], "201001");
    assert_eq!(get_identity(&h, AADHAAR).await.json(), stored);
    let typed: Identity = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(h.running.identity(AADHAAR), Some(typed));

    // the flow uses it: masked mobile, KYC, demographic auth
    let r = h.generate_raw(AADHAAR).await;
    assert_ok(&r);
    assert_eq!(r.json()["mobileNumber"], "******3210");
    let txn = r.json()["txnId"].as_str().unwrap().to_owned();
    let kyc = h.verify(&txn).await;
    assert_eq!(kyc["mobile"], "******3210");
    assert_eq!(kyc["name"], "Asha Verma");
    assert_eq!(kyc["birthDate"], "05-08-1988");
    assert_eq!(kyc["state"], "Uttar Pradesh");
    let account = h.check(&txn).await.json();
    assert_eq!(account["firstName"], "Asha");
    assert_eq!(account["middleName"], Value::Null);
    assert_eq!(account["districtCode"], "145");
    assert_eq!(
        h.demographic(&txn, "9876543210").await.json(),
        json!({"verified": true})
    );

    // replacing it works the same way, through the library
    let mut other: Identity = serde_json::from_value(stored).unwrap();
    other.mobile = "7000000001".into();
    h.running.add_identity(other).unwrap();
    let r = h.generate_raw(AADHAAR).await;
    assert_eq!(r.json()["mobileNumber"], "******0001");
    h.running.shutdown().await;
}

#[tokio::test]
async fn an_invalid_identity_is_400_naming_the_field() {
    let h = start_default().await;
    let cases: [(&str, Value, &str); 6] = [
        ("mobile", json!("12345"), "mobile"),
        ("aadhaar", json!("234123412345"), "aadhaar"),
        ("gender", json!("X"), "gender"),
        ("pincode", json!("012345"), "pincode"),
        ("monthOfBirth", json!("13"), "monthOfBirth"),
        ("photo", json!("bm90IGFuIGltYWdl"), "photo"),
    ];
    for (key, value, named) in cases {
        let r = add_identity(&h, &asha_with(key, value.clone())).await;
        assert_refused_naming(&r, named);
        assert_no_echo(&r, &[value.as_str().unwrap()]);
    }

    // missing and unknown keys are named too
    let mut body = asha();
    body.as_object_mut().unwrap().remove("lastName");
    assert_refused_naming(&add_identity(&h, &body).await, "lastName");
    let body = asha_with("nickname", json!("Ash"));
    assert_refused_naming(&add_identity(&h, &body).await, "nickname");
    // not JSON at all
    let r = h
        .post_with("/_sandbox/identities", b"{".to_vec(), &[])
        .await;
    assert_his(&r, 400, "HIS-400");

    // nothing was stored
    assert!(h.running.snapshot().identities.is_empty());
    h.running.shutdown().await;
}

#[tokio::test]
async fn identity_type_errors_do_not_echo_the_value() {
    let h = start_default().await;
    // numbers where strings belong: serde's message would quote them
    let r = add_identity(&h, &asha_with("aadhaar", json!(234123412346_u64))).await;
    assert_refused_naming(&r, "aadhaar");
    assert_no_echo(&r, &["234123412346"]);

    let r = add_identity(&h, &asha_with("mobile", json!(9876543210_u64))).await;
    assert_his(&r, 400, "HIS-400");
    assert_no_echo(&r, &["9876543210"]);
    h.running.shutdown().await;
}

#[tokio::test]
async fn the_request_log_lists_contract_requests_without_bodies() {
    let h = start_default().await;
    let txn = h.generate(AADHAAR).await;
    let otp = h.otp(&txn);
    h.verify(&txn).await; // 200
    let _ = h.check(&txn).await; // 200
    let _ = h.post("/hpId/suggestion", &json!({})).await; // 400
    let _ = h.post("/nope", &json!({})).await; // 404
    let _ = h
        .post_with("/aadhaar/generateOtp", b"{}".to_vec(), &[])
        .await; // 401
    // admin calls are not logged
    let _ = h.get("/_sandbox/health").await;
    let _ = h.get(&format!("/_sandbox/otp/{txn}")).await;

    let r = h.get("/_sandbox/requests").await;
    assert_ok(&r);
    let log = r.json();
    let entries = log.as_array().expect("a JSON array");
    let expected = [
        ("/aadhaar/generateOtp", 200),
        ("/aadhaar/verifyOtp", 200),
        ("/check/account-exist", 200),
        ("/hpId/suggestion", 400),
        ("/nope", 404),
        ("/aadhaar/generateOtp", 401),
    ];
    assert_eq!(entries.len(), expected.len(), "{log}");
    for (entry, (path, status)) in entries.iter().zip(expected) {
        assert_eq!(
            keys(entry),
            set(&["method", "path", "status", "latencyUs", "latencyMs"]),
            "{entry}"
        );
        assert_eq!(entry["method"], "POST");
        assert_eq!(entry["path"], path);
        assert_eq!(entry["status"], status);
        assert!(
            entry["latencyUs"].is_u64() && entry["latencyMs"].is_u64(),
            "{entry}"
        );
    }
    assert_no_echo(&r, &[AADHAAR, &otp, &txn, "Bearer"]);
    // the library view is the same
    let records = h.running.requests();
    assert_eq!(records.len(), expected.len());
    assert_eq!(records[3].path, "/hpId/suggestion");
    assert_eq!(records[3].status, 400);
    h.running.shutdown().await;
}

#[tokio::test]
async fn reset_forgets_accounts_transactions_and_run_time_identities() {
    // a configured identity survives a reset; one added at run time does not
    let configured: Identity = serde_json::from_value(asha()).unwrap();
    let h = start(SandboxConfig {
        identities: vec![configured],
        ..config()
    })
    .await;
    let mut added = h.running.identity(AADHAAR_3).unwrap();
    added.mobile = "7000000002".into();
    h.running.add_identity(added.clone()).unwrap();

    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    assert_ok(&h.create_valid(&txn, &account, "asha.reset").await);
    let pending = h.generate(AADHAAR_2).await;
    assert_eq!(h.running.accounts().len(), 1);

    let r = h.admin_post("/_sandbox/reset", &json!({})).await;
    assert_ok(&r);
    assert_eq!(r.json()["reset"], true);
    assert!(h.running.accounts().is_empty());
    assert!(h.running.requests().is_empty());
    assert!(
        h.get("/_sandbox/requests")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(h.running.latest_otp(&pending).is_none());
    assert_his(&h.check(&pending).await, 422, "HIS-1026");
    assert_eq!(h.running.identity(AADHAAR).unwrap().mobile, "9876543210");
    assert_ne!(h.running.identity(AADHAAR_3).unwrap(), added);

    // the same Aadhaar registers again, and the username is free again
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    assert_eq!(account["hprIdNumber"], "");
    assert_ok(&h.create_valid(&txn, &account, "asha.reset").await);
    // a new OTP for AADHAAR_2 is not throttled by the forgotten one
    h.generate(AADHAAR_2).await;
    h.running.shutdown().await;
}

#[tokio::test]
async fn health_and_unknown_otps() {
    let h = start_default().await;
    let r = h.get("/_sandbox/health").await;
    assert_ok(&r);
    let body = r.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "hpr-sandbox");
    assert!(body["version"].is_string());

    let r = h.get("/_sandbox/otp/no-such-txn").await;
    assert_his(&r, 404, "HIS-404");
    // an unknown admin path is a 404 without any API key (not the contract's 401)
    let r = h.get("/_sandbox/no-such-endpoint").await;
    assert_his(&r, 404, "HIS-404");
    h.running.shutdown().await;
}
