//! The sandbox's rules over loopback HTTP: OTP attempts, expiry and throttling, flow order, field
//! rules with their HIS codes, malformed requests, auth, and that no error echoes a secret.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use abdm_hpr::RegistryApi as _;
use common::*;
use hpr_sandbox::SandboxConfig;
use serde_json::{Value, json};

/// A six-digit OTP that is not `otp`.
fn wrong(otp: &str) -> String {
    format!("{:06}", (otp.parse::<u32>().unwrap() + 1) % 1_000_000)
}

/// A mobile that follows the rules (not necessarily the linked one).
const MOBILE: &str = "9123456789";

/// Steps 1–3 for `aadhaar`, then a mobile OTP sent to [`MOBILE`]; returns the txnId and that OTP.
async fn mobile_otp_sent(h: &Harness, aadhaar: &str) -> (String, String) {
    let (txn, _) = h.to_new_account(aadhaar).await;
    assert_ok(&h.generate_mobile(&txn, MOBILE).await);
    let otp = h.otp(&txn);
    (txn, otp)
}

/// Step 1 with exactly `body` and `Authorization: authorization`.
async fn generate_as(h: &Harness, body: Vec<u8>, authorization: &str) -> Reply {
    h.post_with(
        "/aadhaar/generateOtp",
        body,
        &[("authorization", authorization)],
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// OTPs

#[tokio::test]
async fn a_wrong_otp_is_refused_and_the_right_one_still_works() {
    let h = start_default().await;
    let txn = h.generate(AADHAAR).await;
    let right = h.otp(&txn);
    let bad = wrong(&right);
    let r = h.verify_with(&txn, &bad).await;
    assert_his_at(&r, 422, "HIS-1013", "otp");
    assert_no_echo(&r, &[&bad, &right, AADHAAR]);
    assert_ok(&h.verify_with(&txn, &right).await);

    // the same for the mobile OTP
    let (txn, right) = mobile_otp_sent(&h, AADHAAR_2).await;
    let r = h.verify_mobile(&txn, &wrong(&right)).await;
    assert_his(&r, 422, "HIS-1013");
    assert_no_echo(&r, &[&wrong(&right), &right, MOBILE]);
    assert_ok(&h.verify_mobile(&txn, &right).await);
    h.running.shutdown().await;
}

#[tokio::test]
async fn otps_expire_after_their_ttl() {
    let h = start_default().await;
    let ttl = h.running.config().otp_ttl;
    let txn = h.generate(AADHAAR).await;
    let otp = h.otp(&txn);
    h.clock.advance(ttl);
    let r = h.verify_with(&txn, &otp).await;
    assert_his(&r, 422, "HIS-1060");
    assert_no_echo(&r, &[&otp]);

    // a fresh OTP (same Aadhaar, after the resend interval) works again
    let txn = h.generate(AADHAAR).await;
    h.clock.advance(ttl - Duration::from_secs(1));
    h.verify(&txn).await;

    // mobile OTPs expire the same way
    let (txn, otp) = mobile_otp_sent(&h, AADHAAR_2).await;
    h.clock.advance(ttl);
    assert_his(&h.verify_mobile(&txn, &otp).await, 422, "HIS-1060");
    h.running.shutdown().await;
}

#[tokio::test]
async fn transactions_expire_after_their_ttl() {
    let h = start_default().await;
    let ttl = h.running.config().txn_ttl;
    let (txn, _) = h.to_new_account(AADHAAR).await;
    h.clock.advance(ttl - Duration::from_secs(1));
    assert_ok(&h.suggest(&txn).await);
    h.clock.advance(Duration::from_secs(1));
    assert_his_at(&h.suggest(&txn).await, 422, "HIS-2045", "txnId");
    // an expired transaction is gone
    assert_his(&h.suggest(&txn).await, 422, "HIS-1026");

    // before the OTP is verified too
    let txn = h.generate(AADHAAR_2).await;
    let otp = h.otp(&txn);
    h.clock.advance(ttl);
    assert_his(&h.verify_with(&txn, &otp).await, 422, "HIS-2045");
    h.running.shutdown().await;
}

#[tokio::test]
async fn three_wrong_otps_lock_the_transaction() {
    let h = start_default().await;
    let txn = h.generate(AADHAAR).await;
    let right = h.otp(&txn);
    for _ in 0..2 {
        assert_his(&h.verify_with(&txn, &wrong(&right)).await, 422, "HIS-1013");
    }
    let r = h.verify_with(&txn, &wrong(&right)).await;
    assert_his(&r, 422, "HIS-1041");
    assert_no_echo(&r, &[&right, &wrong(&right)]);
    // locked for good: even the right OTP, and every other step
    for r in [
        h.verify_with(&txn, &right).await,
        h.check(&txn).await,
        h.suggest(&txn).await,
    ] {
        assert_his(&r, 422, "HIS-1041");
    }
    // a new OTP for the same Aadhaar waits out the resend interval, so guesses stay limited
    assert_his(&h.generate_raw(AADHAAR).await, 422, "HIS-1041");
    h.clock.advance(Duration::from_secs(30));
    let fresh = h.generate(AADHAAR).await;
    assert_ne!(fresh, txn);

    // mobile OTP attempts count the same way
    let (txn, right) = mobile_otp_sent(&h, AADHAAR_2).await;
    for cause in ["HIS-1013", "HIS-1013", "HIS-1041"] {
        assert_his(&h.verify_mobile(&txn, &wrong(&right)).await, 422, cause);
    }
    assert_his(&h.verify_mobile(&txn, &right).await, 422, "HIS-1041");
    h.running.shutdown().await;
}

#[tokio::test]
async fn aadhaar_otp_resends_are_throttled_and_supersede_the_old_transaction() {
    let h = start_default().await;
    let interval = h.running.config().resend_interval;
    assert_eq!(interval, Duration::from_secs(30));
    let first = h.generate(AADHAAR).await;

    let r = h.generate_raw(AADHAAR).await;
    assert_his(&r, 422, "HIS-1023");
    assert_no_echo(&r, &[AADHAAR]);
    h.clock.advance(interval - Duration::from_secs(1));
    assert_his(&h.generate_raw(AADHAAR).await, 422, "HIS-1023");
    // another Aadhaar is not affected
    h.generate(AADHAAR_2).await;

    h.clock.advance(Duration::from_secs(1));
    let second = h.generate(AADHAAR).await;
    assert_ne!(second, first);
    // the old transaction is gone; the new one works
    let r = h.verify_with(&first, &h.otp(&second)).await;
    assert_his(&r, 422, "HIS-1026");
    h.verify(&second).await;
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_resent_aadhaar_otp_goes_to_the_linked_mobile_of_the_moment() {
    let h = start_default().await;
    let interval = h.running.config().resend_interval;
    let sent_to = |r: &Reply| {
        assert_ok(r);
        r.json()["mobileNumber"]
            .as_str()
            .expect("mobileNumber")
            .to_owned()
    };
    let person = h.running.identity(AADHAAR).expect("a derived person");
    let first = sent_to(&h.generate_raw(AADHAAR).await);
    assert!(first.ends_with(&person.mobile[6..]), "{first}");
    // a resend reuses the mobile the pending OTP went to
    h.clock.advance(interval);
    assert_eq!(sent_to(&h.generate_raw(AADHAAR).await), first);
    // a person seeded since then is who the next one goes to
    let mut seeded = person.clone();
    seeded.mobile = "9000012345".to_owned();
    h.running.add_identity(seeded).expect("added");
    h.clock.advance(interval);
    let r = h.generate_raw(AADHAAR).await;
    let txn = r.json()["txnId"].as_str().expect("txnId").to_owned();
    assert_eq!(sent_to(&r), "******2345");
    // and the e-KYC profile agrees
    assert_eq!(h.verify(&txn).await["mobile"], "******2345");
    h.running.shutdown().await;
}

#[tokio::test]
async fn mobile_otp_resends_are_throttled() {
    let h = start_default().await;
    let interval = h.running.config().resend_interval;
    let (txn, old) = mobile_otp_sent(&h, AADHAAR).await;
    let r = h.generate_mobile(&txn, MOBILE).await;
    assert_his(&r, 422, "HIS-1023");
    assert_no_echo(&r, &[MOBILE, &old]);
    h.clock.advance(interval - Duration::from_secs(1));
    assert_his(&h.generate_mobile(&txn, MOBILE).await, 422, "HIS-1023");
    h.clock.advance(Duration::from_secs(1));
    let r = h.generate_mobile(&txn, MOBILE).await;
    assert_ok(&r);
    assert_eq!(r.json()["txnId"], txn);
    let new = h.otp(&txn);
    if new != old {
        assert_his(&h.verify_mobile(&txn, &old).await, 422, "HIS-1013");
    }
    assert_ok(&h.verify_mobile(&txn, &new).await);
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Flow order

/// Asserts an out-of-order answer that tells what to do first.
#[track_caller]
fn assert_first(r: &Reply, first: &str) {
    assert_his_says(r, 422, "HIS-1026", first);
}

#[tokio::test]
async fn steps_out_of_order_are_refused_with_what_to_do_first() {
    let h = start_default().await;
    // verify before any generate: unknown transaction
    let r = h
        .verify_with("3fa85f64-5717-4562-b3fc-2c963f66afa6", "123456")
        .await;
    assert_his_at(&r, 422, "HIS-1026", "txnId");

    let txn = h.generate(AADHAAR).await;
    // account check before the OTP is verified
    assert_first(&h.check(&txn).await, "verify the Aadhaar OTP");
    for r in [
        h.demographic(&txn, MOBILE).await,
        h.suggest(&txn).await,
        h.generate_mobile(&txn, MOBILE).await,
    ] {
        assert_first(&r, "verify the Aadhaar OTP");
    }

    h.verify(&txn).await;
    // a verified OTP cannot be verified again
    assert_first(
        &h.verify_with(&txn, "123456").await,
        "generate an Aadhaar OTP",
    );
    // demographic auth, suggestions, mobile OTPs and create need the account check first
    let account = h.running.identity(AADHAAR).unwrap();
    let account = serde_json::to_value(&account).unwrap();
    for r in [
        h.demographic(&txn, MOBILE).await,
        h.suggest(&txn).await,
        h.generate_mobile(&txn, MOBILE).await,
        h.verify_mobile(&txn, "123456").await,
        h.create_valid(&txn, &account, "too.early").await,
    ] {
        assert_first(&r, "check whether the account exists");
    }

    let r = h.check(&txn).await;
    assert_ok(&r);
    let account = r.json();
    // a mobile OTP cannot be verified before one is generated
    assert_first(
        &h.verify_mobile(&txn, "123456").await,
        "generate a mobile OTP",
    );
    // create needs a proven mobile
    let r = h.create_valid(&txn, &account, "too.early").await;
    assert_his(&r, 422, "HIS-1068");
    // a not-verified demographic auth does not prove the mobile
    let linked = h.running.identity(AADHAAR).unwrap().mobile;
    let other = if linked == MOBILE {
        "9123456780"
    } else {
        MOBILE
    };
    assert_eq!(
        h.demographic(&txn, other).await.json(),
        json!({"verified": false})
    );
    let r = h.create_valid(&txn, &account, "too.early").await;
    assert_his(&r, 422, "HIS-1068");
    assert!(h.running.accounts().is_empty());

    // after create the transaction is spent
    assert_eq!(
        h.demographic(&txn, &linked).await.json(),
        json!({"verified": true})
    );
    assert_ok(&h.create_valid(&txn, &account, "on.time").await);
    let r = h.create_valid(&txn, &account, "once.more").await;
    assert_his(&r, 422, "HIS-1029");
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Create: field rules

#[tokio::test]
async fn a_taken_hpr_id_is_refused_case_insensitively() {
    let h = start_default().await;
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    assert_ok(&h.create_valid(&txn, &account, "asha.sandbox").await);

    let (txn, account) = h.to_mobile_verified(AADHAAR_2).await;
    for taken in ["asha.sandbox", "ASHA.Sandbox", "Asha.Sandbox@hpr.abdm"] {
        let r = h.create_valid(&txn, &account, taken).await;
        assert_his_at(&r, 422, "HIS-1015", "hprId");
        assert_no_echo(&r, &[taken, PASSWORD]);
    }
    assert_ok(&h.create_valid(&txn, &account, "asha.sandbox2").await);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_weak_password_is_refused_without_echo() {
    let h = start_default().await;
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    for weak in ["weakweakweak", "Short1!", "NoDigitsHere!", "nouppercase1!"] {
        let mut body = create_body(&txn, &account, "weak.password");
        body["password"] = json!(weak);
        let r = h.create(&body).await;
        let envelope = assert_his(&r, 400, "HIS-1010");
        assert_eq!(r.fields(), [Some("password".to_owned())], "{envelope}");
        assert_no_echo(&r, &[weak]);
    }
    assert!(h.running.accounts().is_empty());
    h.running.shutdown().await;
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once() {
    let h = start_default().await;
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    let mut body = create_body(&txn, &account, "many.errors");
    body["email"] = json!("not-an-email");
    body["pincode"] = json!("012345");
    body["stateCode"] = json!("9999");
    body["districtCode"] = json!("99999");
    body["hpCategoryCode"] = json!("5");
    body["hpSubCategoryCode"] = json!("77");
    let r = h.create(&body).await;
    assert_his(&r, 400, "HIS-1003");
    let mut pairs: Vec<(String, Option<String>)> = r.causes().into_iter().zip(r.fields()).collect();
    pairs.sort();
    let expected = [
        ("HIS-1003", "email"),
        ("HIS-1024", "stateCode"),
        ("HIS-1025", "districtCode"),
        ("HIS-1061", "hpCategoryCode"),
        ("HIS-1062", "hpSubCategoryCode"),
        ("HIS-1114", "pincode"),
    ]
    .map(|(c, f)| (c.to_owned(), Some(f.to_owned())));
    assert_eq!(pairs, expected);
    assert_no_echo(&r, &["not-an-email", "012345", PASSWORD]);

    // pairs that exist, but not together
    let mut body = create_body(&txn, &account, "many.errors");
    let other_state = hpr_sandbox::geo::STATES
        .iter()
        .find(|s| account["stateCode"] != s.code)
        .unwrap();
    body["districtCode"] = json!(other_state.districts[0].code);
    body["hpCategoryCode"] = json!("2");
    body["hpSubCategoryCode"] = json!("1");
    let r = h.create(&body).await;
    assert_his(&r, 400, "HIS-1025");
    assert_eq!(r.causes(), ["HIS-1025", "HIS-1062"]);

    // missing required fields are HIS-1070 each, named
    let r = h.create(&json!({"txnId": txn, "middleName": null})).await;
    let body = assert_his(&r, 400, "HIS-1070");
    let fields: Vec<String> = r.fields().into_iter().map(Option::unwrap).collect();
    for required in [
        "address",
        "dayOfBirth",
        "districtCode",
        "email",
        "firstName",
        "hpCategoryCode",
        "hpSubCategoryCode",
        "hprId",
        "lastName",
        "monthOfBirth",
        "password",
        "pincode",
        "stateCode",
        "yearOfBirth",
    ] {
        assert!(
            fields.contains(&required.to_owned()),
            "{required} not reported: {body}"
        );
    }
    assert!(!fields.contains(&"middleName".to_owned()));
    assert!(!fields.contains(&"profilePhoto".to_owned()));
    assert!(r.causes().iter().all(|c| c == "HIS-1070"), "{body}");
    assert!(h.running.accounts().is_empty());
    h.running.shutdown().await;
}

#[tokio::test]
async fn lenient_create_inputs_are_accepted() {
    let h = start_default().await;

    // null optionals, integer codes, hprId with the domain (any case)
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    let mut body = create_body(&txn, &account, "with.domain@HPR.ABDM");
    body["middleName"] = Value::Null;
    body["profilePhoto"] = Value::Null;
    body["hpCategoryCode"] = json!(1);
    body["hpSubCategoryCode"] = json!(2);
    for code in ["stateCode", "districtCode"] {
        body[code] = json!(account[code].as_str().unwrap().parse::<u32>().unwrap());
    }
    body["unknownKey"] = json!("ignored");
    let r = h.create(&body).await;
    assert_ok(&r);
    let created = r.json();
    assert_eq!(created["hprId"], "with.domain@hpr.abdm");
    assert_eq!(created["subCategoryId"], 2);
    assert_eq!(created["middleName"], Value::Null);
    assert_eq!(created["stateCode"], account["stateCode"]);

    // optionals missing or blank; a middle name and a photo given
    let (txn, account) = h.to_mobile_verified(AADHAAR_2).await;
    let mut body = create_body(&txn, &account, "no.optionals");
    body.as_object_mut().unwrap().remove("profilePhoto");
    body["middleName"] = json!("");
    assert_ok(&h.create(&body).await);

    let (txn, account) = h.to_mobile_verified(AADHAAR_3).await;
    let mut body = create_body(&txn, &account, "all.optionals");
    body["middleName"] = json!("Kumari");
    body["profilePhoto"] = json!(format!(
        "data:image/jpeg;base64,{}",
        hpr_sandbox::identity::SAMPLE_PHOTO_BASE64
    ));
    let r = h.create(&body).await;
    assert_ok(&r);
    let created = r.json();
    assert_eq!(created["middleName"], "Kumari");
    assert!(created["name"].as_str().unwrap().contains(" Kumari "));
    assert_eq!(h.running.accounts().len(), 3);
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Other field rules

#[tokio::test]
async fn invalid_aadhaar_numbers_are_refused_without_echo() {
    let h = start_default().await;
    for bad in [
        "234123412345",
        "234123412364",
        "123456789010",
        "2341234123",
        "1234567890123456",
    ] {
        let r = h.generate_raw(bad).await;
        assert_his_at(&r, 400, "HIS-1012", "aadhaar");
        assert_no_echo(&r, &[bad]);
    }
    for absent in [
        json!({}),
        json!({"aadhaar": null}),
        json!({"aadhaar": "  "}),
    ] {
        assert_his(
            &h.post("/aadhaar/generateOtp", &absent).await,
            400,
            "HIS-1002",
        );
    }
    // typing variants of a valid number are fine
    assert_ok(&h.generate_raw("2341 2341 2346").await);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_bad_mobile_is_refused() {
    let h = start_default().await;
    let (txn, _) = h.to_new_account(AADHAAR).await;
    for bad in ["12345", "5123456789", "98765432101", "98765abcde"] {
        let r = h.demographic(&txn, bad).await;
        assert_his_at(&r, 400, "HIS-1011", "mobileNumber");
        assert_no_echo(&r, &[bad]);
        let r = h.generate_mobile(&txn, bad).await;
        assert_his_at(&r, 400, "HIS-1011", "mobile");
    }
    // typing variants are normalised
    let linked = h.running.identity(AADHAAR).unwrap().mobile;
    let r = h
        .demographic(&txn, &format!("+91 {}-{}", &linked[..5], &linked[5..]))
        .await;
    assert_eq!(r.json(), json!({"verified": true}));
    h.running.shutdown().await;
}

#[tokio::test]
async fn only_the_hpr_domain_and_id_type_are_configured() {
    let h = start_default().await;
    let txn = h.generate(AADHAAR).await;
    let otp = h.otp(&txn);
    for (key, value) in [("domainName", "@ndhm.gov.in"), ("idType", "aadhaar")] {
        let mut body =
            json!({"domainName": "@hpr.abdm", "idType": "hpr_id", "otp": otp, "txnId": txn});
        body[key] = json!(value);
        let r = h.post("/aadhaar/verifyOtp", &body).await;
        assert_his_at(&r, 400, "HIS-1036", key);
        assert_no_echo(&r, &[&otp]);
    }
    // defaults: absent or null domain and id type are fine
    let r = h
        .post(
            "/aadhaar/verifyOtp",
            &json!({"otp": otp, "txnId": txn, "domainName": null}),
        )
        .await;
    assert_ok(&r);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_missing_txn_id_is_his_1117_everywhere() {
    let h = start_default().await;
    // every path but the first takes a txnId
    for path in &PATHS[1..] {
        for body in [
            json!({}),
            json!({"txnId": null}),
            json!({"txnId": ""}),
            json!({"txnId": "   "}),
        ] {
            let r = h.post(path, &body).await;
            let envelope = assert_his(&r, 400, "HIS-1117");
            assert_eq!(
                envelope["details"][0]["attribute"]["key"], "txnId",
                "{path}"
            );
        }
        let r = h.post(path, &json!({"txnId": "no-such-transaction"})).await;
        assert_his(&r, 422, "HIS-1026");
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn malformed_and_non_object_bodies_are_400() {
    let h = start_default().await;
    let auth = [("authorization", "Bearer k")];
    for path in PATHS {
        for body in [&b"{"[..], b"", b"not json", b"{\"aadhaar\": }", b"\xff\xfe"] {
            let r = h.post_with(path, body.to_vec(), &auth).await;
            assert_his(&r, 400, "HIS-400");
        }
        for body in [
            "[]",
            "[{\"txnId\":\"x\"}]",
            "\"234123412346\"",
            "42",
            "null",
            "true",
        ] {
            let r = h.post_with(path, body.as_bytes().to_vec(), &auth).await;
            assert_his(&r, 400, "HIS-400");
            assert_no_echo(&r, &["234123412346"]);
        }
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_get_a_404_envelope() {
    let h = start_default().await;
    for path in ["/aadhaar/generateOTP", "/hprId/create/extra", "/nope", "/"] {
        let r = h.post(path, &json!({})).await;
        assert_his(&r, 404, "HIS-404");
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_gets_a_405_envelope() {
    let h = start_default().await;
    for path in [
        "/aadhaar/generateOtp",
        "/hprId/create",
        "/hpId/suggestion",
        "/_sandbox/reset",
    ] {
        let r = h.get(path).await;
        assert_his(&r, 405, "HIS-405");
        assert!(
            r.header("allow").is_some_and(|a| a.contains("POST")),
            "{path}"
        );
    }
    let r = h.admin_post("/_sandbox/health", &json!({})).await;
    assert_his(&r, 405, "HIS-405");
    h.running.shutdown().await;
}

#[tokio::test]
async fn names_without_a_letter_or_with_invisible_characters_are_refused() {
    let h = start_default().await;
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    for (key, bad) in [
        ("firstName", "\u{200B}\u{200B}"),
        ("firstName", "--"),
        ("lastName", "Ver\u{200D}ma"),
        ("lastName", "\u{202E}amreV"),
        ("middleName", "\u{FEFF}"),
        ("address", "12 Station\u{2066} Rd"),
    ] {
        let mut body = create_body(&txn, &account, "name.rules");
        body[key] = json!(bad);
        let r = h.create(&body).await;
        assert_his_at(&r, 400, "HIS-1003", key);
    }
    assert!(h.running.accounts().is_empty());
    h.running.shutdown().await;
}

#[tokio::test]
async fn bodies_over_2_mib_get_a_413_envelope() {
    let h = start_default().await;
    let limit = h.running.config().max_body_bytes;
    assert_eq!(limit, 2 * 1024 * 1024);
    let padded = |padding: usize| {
        json!({"aadhaar": AADHAAR, "padding": "x".repeat(padding)})
            .to_string()
            .into_bytes()
    };
    let body = padded(limit);
    assert!(body.len() > limit);
    let r = generate_as(&h, body, "Bearer k").await;
    assert_his(&r, 413, "HIS-413");
    assert!(r.text.len() < 1024);
    // just under the limit is fine
    let body = padded(limit - 100);
    assert!(body.len() <= limit);
    assert_ok(&generate_as(&h, body, "Bearer k").await);
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Auth

#[tokio::test]
async fn requests_without_a_bearer_key_are_401() {
    let h = start_default().await;
    let body = json!({"aadhaar": AADHAAR}).to_string().into_bytes();
    let cases: [&[(&str, &str)]; 7] = [
        &[],
        &[("authorization", "")],
        &[("authorization", "Bearer")],
        &[("authorization", "Bearer ")],
        &[("authorization", "Bearer    ")],
        &[("authorization", "Basic az")],
        &[("authorization", "k")],
    ];
    for headers in cases {
        let r = h
            .post_with("/aadhaar/generateOtp", body.clone(), headers)
            .await;
        assert_his(&r, 401, "HIS-401");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_no_echo(&r, &[AADHAAR]);
    }
    // nothing happened behind the 401s
    assert!(h.running.latest_otp("x").is_none());
    let r = generate_as(&h, body, "bearer k").await;
    assert_eq!(r.status, 200, "the scheme is case-insensitive: {}", r.text);
    h.running.shutdown().await;
}

#[tokio::test]
async fn configured_api_keys_are_enforced() {
    let h = start(SandboxConfig {
        api_keys: vec!["good".into()],
        ..config()
    })
    .await;
    let body = json!({"aadhaar": AADHAAR}).to_string().into_bytes();
    for authorization in ["Bearer k", "Bearer goodx"] {
        let r = generate_as(&h, body.clone(), authorization).await;
        assert_his(&r, 401, "HIS-401");
    }

    // the SDK client reports it as an API error with the cause code
    let (status, cause) = sdk_cause(
        h.client
            .generate_aadhaar_otp(&aadhaar_otp_request(AADHAAR))
            .await,
    );
    assert_eq!((status, cause.as_str()), (401, "HIS-401"));

    let good = sdk_client(&h.running.base_url(), "good");
    let (txn, _) = sdk_generate(&good, AADHAAR).await;
    assert!(h.running.latest_otp(&txn).is_some());
    h.running.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// More edge cases

#[tokio::test]
async fn malformed_otps_are_400_and_do_not_count_as_attempts() {
    let h = start_default().await;
    let txn = h.generate(AADHAAR).await;
    for bad in ["12345", "1234567", "12345a", "１２３４５６"] {
        let r = h.verify_with(&txn, bad).await;
        assert_his_at(&r, 400, "HIS-1003", "otp");
        assert_no_echo(&r, &[bad]);
    }
    let r = h
        .post("/aadhaar/verifyOtp", &json!({"txnId": txn, "otp": null}))
        .await;
    assert_his(&r, 400, "HIS-1002");
    // four malformed tries, yet the right OTP still works
    h.verify(&txn).await;
    h.running.shutdown().await;
}

#[tokio::test]
async fn preverified_check_must_be_a_boolean() {
    let h = start_default().await;
    let txn = h.generate(AADHAAR).await;
    h.verify(&txn).await;
    for bad in [json!("yes"), json!(1), json!([true])] {
        let r = h.check_with(&txn, bad).await;
        assert_his_at(&r, 400, "HIS-1003", "preverifiedCheck");
    }
    for fine in [json!(true), json!(false), json!("true"), json!(null)] {
        let r = h.check_with(&txn, fine.clone()).await;
        assert_eq!(r.status, 200, "{fine}: {}", r.text);
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_second_account_for_the_same_aadhaar_is_refused() {
    let h = start_default().await;
    // two verified transactions for one Aadhaar (the first no longer has a pending OTP)
    let (first, account) = h.to_mobile_verified(AADHAAR).await;
    let (second, _) = h.to_mobile_verified(AADHAAR).await;
    assert_ne!(first, second);
    assert_ok(&h.create_valid(&first, &account, "first.one").await);
    let r = h.create_valid(&second, &account, "second.one").await;
    assert_his(&r, 422, "HIS-1029");
    assert_eq!(h.running.accounts().len(), 1);
    // and the refused username stays free
    let (txn, account) = h.to_mobile_verified(AADHAAR_2).await;
    assert_ok(&h.create_valid(&txn, &account, "second.one").await);
    h.running.shutdown().await;
}
