//! Whole registrations over loopback HTTP, on both demographic branches, and the exact response
//! shapes the `carestack` client parses (the SDK's golden fixtures).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use abdm_hpr::types::AccountCheck;
use common::*;
use hpr_sandbox::{Identity, OtpKind};
use serde_json::{Value, json};

/// A mobile that is not `linked`.
fn other_mobile(linked: &str) -> &'static str {
    if linked == "9123456789" {
        "9123456780"
    } else {
        "9123456789"
    }
}

fn masked(mobile: &str) -> String {
    format!("******{}", &mobile[mobile.len() - 4..])
}

#[tokio::test]
async fn registration_with_the_linked_mobile_skips_the_mobile_otp() {
    let h = start_default().await;
    let client = &h.client;
    let identity = h.running.identity(AADHAAR).expect("valid Aadhaar");
    let mut sms = h.running.subscribe_sms();

    // 1: the OTP goes to the linked mobile, shown masked
    let (txn, shown) = sdk_generate(client, AADHAAR).await;
    assert_eq!(shown.as_deref(), Some(masked(&identity.mobile).as_str()));
    let sent = h.running.latest_otp(&txn).expect("OTP recorded");
    assert_eq!(sent.kind, OtpKind::Aadhaar);
    assert_eq!(sent.otp.len(), 6);
    assert!(sent.otp.bytes().all(|b| b.is_ascii_digit()));
    let message = sms.try_recv().expect("one fake SMS");
    assert_eq!(message.txn_id, txn);
    assert_eq!(message.otp, sent.otp);
    assert_eq!(message.kind, OtpKind::Aadhaar);
    assert!(message.to.ends_with(&identity.mobile[6..]));
    assert!(!message.to.contains(&identity.mobile));

    // 2 + 3: a new account carrying the KYC demographics
    let account = expect_new(sdk_verify_and_check(&h, client, &txn).await);
    assert_eq!(account.hpr_id_number, "");
    assert_eq!(
        account.first_name.as_deref(),
        Some(identity.first_name.as_str())
    );
    assert_eq!(
        account.last_name.as_deref(),
        Some(identity.last_name.as_str())
    );
    assert_eq!(
        account.year_of_birth.as_deref(),
        Some(identity.year_of_birth.as_str())
    );
    assert_eq!(
        account.state_code.as_deref(),
        Some(identity.state_code.as_str())
    );
    assert_eq!(account.new, Some(true));

    // 4: the linked mobile is verified, so 5 and 6 are skipped
    assert!(sdk_demographic(client, &txn, &identity.mobile).await);

    // 7 + 8
    let suggestions = sdk_suggest(client, &txn).await;
    assert!((3..=5).contains(&suggestions.len()), "{suggestions:?}");
    let created = sdk_create(client, &txn, &account, &suggestions[0]).await;
    assert!(
        is_hpr_id_number(&created.hpr_id_number),
        "bad HPR ID number shape"
    );
    assert_eq!(created.hpr_id, format!("{}@hpr.abdm", suggestions[0]));
    assert!(created.hpr_id.ends_with("@hpr.abdm"));
    assert!(!created.token.expose().is_empty());
    assert_eq!(created.mobile.as_deref(), Some(identity.mobile.as_str()));
    assert_eq!(created.new, Some(true));
    assert_eq!(created.category_id, Some(1));
    assert_eq!(created.sub_category_id, Some(1));
    let methods = created.auth_methods.clone().expect("authMethods");
    assert!(methods.contains(&"AADHAAR_OTP".to_owned()), "{methods:?}");
    assert!(!methods.contains(&"MOBILE_OTP".to_owned()), "{methods:?}");

    let accounts = h.running.accounts();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].aadhaar, AADHAAR);
    assert_eq!(accounts[0].hpr_id_number, created.hpr_id_number);
    assert_eq!(accounts[0].hpr_id, created.hpr_id);

    // a second run with the same Aadhaar finds the account
    let (txn2, _) = sdk_generate(client, AADHAAR).await;
    assert_ne!(txn2, txn);
    match sdk_verify_and_check(&h, client, &txn2).await {
        AccountCheck::Existing(existing) => {
            assert_eq!(existing.hpr_id_number, created.hpr_id_number);
            assert_eq!(existing.hpr_id, created.hpr_id);
            assert_eq!(existing.new, Some(false));
            assert_eq!(existing.category_id, Some(1));
            assert_eq!(existing.category_name.as_deref(), Some("Doctor"));
            assert_eq!(
                existing.category_sub_name.as_deref(),
                Some("Modern Medicine")
            );
        }
        AccountCheck::New(_) => panic!("the account created above should exist"),
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn registration_with_another_mobile_proves_it_by_otp() {
    let h = start_default().await;
    let client = &h.client;
    let identity = h.running.identity(AADHAAR_2).expect("valid Aadhaar");
    let mobile = other_mobile(&identity.mobile);

    let (txn, _) = sdk_generate(client, AADHAAR_2).await;
    // the OTP through the admin API equals the library's view
    let r = h.get(&format!("/_sandbox/otp/{txn}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"otp": h.otp(&txn), "kind": "aadhaar"}));
    let account = expect_new(sdk_verify_and_check(&h, client, &txn).await);

    // 4: another number is a normal "not verified"
    assert!(!sdk_demographic(client, &txn, mobile).await);
    // creating now is refused until the number is proven
    let premature = h
        .create(&create_body(
            &txn,
            &serde_json::to_value(&*account).unwrap(),
            "not.yet",
        ))
        .await;
    assert_his(&premature, 422, "HIS-1068");

    // 5 + 6, the OTP read through the admin API
    sdk_generate_mobile(client, &txn, mobile).await;
    let r = h.get(&format!("/_sandbox/otp/{txn}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["kind"], "mobile");
    let otp = body["otp"].as_str().expect("otp").to_owned();
    assert_eq!(h.running.latest_otp(&txn).unwrap().kind, OtpKind::Mobile);
    sdk_verify_mobile(client, &txn, &otp).await;

    let created = sdk_create(client, &txn, &account, "proven.by.otp").await;
    assert!(is_hpr_id_number(&created.hpr_id_number));
    assert_eq!(created.hpr_id, "proven.by.otp@hpr.abdm");
    assert_eq!(created.mobile.as_deref(), Some(mobile));
    let methods = created.auth_methods.clone().expect("authMethods");
    assert!(methods.contains(&"MOBILE_OTP".to_owned()), "{methods:?}");

    let (txn2, _) = sdk_generate(client, AADHAAR_2).await;
    match sdk_verify_and_check(&h, client, &txn2).await {
        AccountCheck::Existing(existing) => {
            assert_eq!(existing.hpr_id_number, created.hpr_id_number);
            assert_eq!(existing.hpr_id, "proven.by.otp@hpr.abdm");
        }
        AccountCheck::New(_) => panic!("the account created above should exist"),
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn response_key_sets_match_the_sdk_fixtures() {
    let h = start_default().await;
    let identity = h.running.identity(AADHAAR).unwrap();

    // A1
    let r = h
        .post("/aadhaar/generateOtp", &json!({"aadhaar": AADHAAR}))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let a1 = r.json();
    assert_eq!(
        keys(&a1),
        keys(&sdk_fixture("a1_generate_aadhaar_otp.response.json"))
    );
    assert_eq!(a1["mobileNumber"], masked(&identity.mobile));
    let txn = a1["txnId"].as_str().unwrap().to_owned();
    assert!(!txn.is_empty());

    // A2: all 19 peer spellings, the mobile masked
    let r = h.verify_with(&txn, &h.otp(&txn)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a2 = r.json();
    let fixture = sdk_fixture("a2_verify_aadhaar_otp.peer.response.json");
    assert_eq!(keys(&fixture).len(), 19);
    assert_eq!(keys(&a2), keys(&fixture));
    for peer_key in ["mobile", "photo", "birthDate"] {
        assert!(a2[peer_key].is_string(), "{peer_key}: {a2}");
    }
    for upstream_key in ["mobileNumber", "profilePhoto", "birthdate"] {
        assert!(a2.get(upstream_key).is_none(), "{upstream_key}");
    }
    assert_eq!(a2["txnId"], txn);
    assert_eq!(a2["mobile"], masked(&identity.mobile));
    assert!(!r.text.contains(&identity.mobile));
    assert_eq!(a2["name"], identity.name);
    assert_eq!(a2["gender"], identity.gender);
    assert_eq!(a2["pincode"], identity.pincode);
    assert_eq!(a2["photo"], identity.photo);
    assert_eq!(
        a2["birthDate"],
        format!(
            "{}-{}-{}",
            identity.day_of_birth, identity.month_of_birth, identity.year_of_birth
        )
    );
    for required in [
        "txnId", "gender", "name", "pincode", "district", "state", "address",
    ] {
        assert!(
            a2[required].is_string(),
            "{required} must be a string: {a2}"
        );
    }

    // A3, new user
    let r = h.check(&txn).await;
    assert_eq!(r.status, 200);
    let a3 = r.json();
    assert_eq!(
        keys(&a3),
        keys(&sdk_fixture("a3_check_account_exist.new.response.json"))
    );
    assert_eq!(a3["hprIdNumber"], "");
    assert_eq!(a3["categoryId"], 0);
    assert_eq!(a3["subCategoryId"], 0);
    assert_eq!(a3["new"], true);
    assert!(a3["token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(a3["txnId"], txn);
    assert_eq!(a3["firstName"], identity.first_name);
    assert_eq!(a3["districtCode"], identity.district_code);

    // A4
    let r = h.demographic(&txn, &identity.mobile).await;
    assert_eq!(
        r.json(),
        sdk_fixture("a4_demographic_auth.verified.response.json")
    );

    // A7: a bare array of 3–5 distinct strings
    let r = h.suggest(&txn).await;
    assert_eq!(r.status, 200);
    let a7 = r.json();
    let items = a7.as_array().expect("a bare JSON array");
    assert!((3..=5).contains(&items.len()), "{a7}");
    assert!(items.iter().all(Value::is_string), "{a7}");
    let names: std::collections::BTreeSet<&str> =
        items.iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(names.len(), items.len(), "suggestions are distinct: {a7}");

    // A8: a superset of the fixture's keys; every peer-required field non-null
    let r = h
        .create(&create_body(&txn, &a3, items[0].as_str().unwrap()))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a8 = r.json();
    let fixture_keys = keys(&sdk_fixture("a8_create_hpr_id.response.json"));
    assert!(
        keys(&a8).is_superset(&fixture_keys),
        "{:?}",
        fixture_keys.difference(&keys(&a8))
    );
    for string in [
        "token",
        "hprIdNumber",
        "name",
        "gender",
        "yearOfBirth",
        "monthOfBirth",
        "dayOfBirth",
        "firstName",
        "hprId",
        "lastName",
        "stateCode",
        "stateName",
        "kycPhoto",
        "mobile",
    ] {
        assert!(a8[string].is_string(), "{string} must be a string: {a8}");
    }
    for int in ["categoryId", "subCategoryId"] {
        assert!(a8[int].is_i64(), "{int} must be an integer: {a8}");
    }
    let methods = a8["authMethods"].as_array().expect("authMethods array");
    assert!(
        !methods.is_empty() && methods.iter().all(Value::is_string),
        "{a8}"
    );
    assert_eq!(a8["new"], true);
    assert!(
        is_hpr_id_number(a8["hprIdNumber"].as_str().unwrap()),
        "{a8}"
    );
    assert_eq!(
        a8["hprId"],
        format!("{}@hpr.abdm", items[0].as_str().unwrap())
    );
    assert_eq!(a8["categoryId"], 1);
    assert_eq!(a8["email"], "someone@example.com");
    for optional in ["middleName", "districtCode", "districtName", "email"] {
        let v = &a8[optional];
        assert!(v.is_null() || v.is_string(), "{optional}: {a8}");
    }

    // A3, existing user, on a fresh run
    let txn2 = h.generate(AADHAAR).await;
    h.verify(&txn2).await;
    let r = h.check(&txn2).await;
    assert_eq!(r.status, 200);
    let existing = r.json();
    assert_eq!(
        keys(&existing),
        keys(&sdk_fixture(
            "a3_check_account_exist.existing.response.json"
        ))
    );
    assert_eq!(existing["hprIdNumber"], a8["hprIdNumber"]);
    assert_eq!(existing["hprId"], a8["hprId"]);
    assert_eq!(existing["new"], false);
    assert_eq!(existing["categoryId"], 1);
    assert_eq!(existing["subCategoryId"], 1);
    assert_eq!(existing["categoryName"], "Doctor");
    assert_eq!(existing["categorySubName"], "Modern Medicine");
    assert!(existing["token"].as_str().is_some_and(|t| !t.is_empty()));
    h.running.shutdown().await;
}

#[tokio::test]
async fn mobile_otp_responses_match_the_sdk_fixtures() {
    let h = start_default().await;
    let (txn, _) = h.to_new_account(AADHAAR_3).await;
    let linked = h.running.identity(AADHAAR_3).unwrap().mobile;
    let r = h.demographic(&txn, other_mobile(&linked)).await;
    // the fixture adds upstream extras (errorCode, reason, uidaiToken) that the contract ignores
    assert_eq!(r.json(), json!({"verified": false}));
    assert_eq!(
        sdk_fixture("a4_demographic_auth.not_verified.response.json")["verified"],
        false
    );

    let r = h.generate_mobile(&txn, other_mobile(&linked)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a5 = r.json();
    assert_eq!(
        keys(&a5),
        keys(&sdk_fixture("a5_generate_mobile_otp.response.json"))
    );
    assert_eq!(a5["txnId"], txn);

    let r = h.verify_mobile(&txn, &h.otp(&txn)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a6 = r.json();
    assert_eq!(
        keys(&a6),
        keys(&sdk_fixture("a6_verify_mobile_otp.response.json"))
    );
    assert_eq!(a6["txnId"], txn);
    h.running.shutdown().await;
}

#[tokio::test]
async fn suggestions_never_offer_a_taken_id() {
    let h = start_default().await;
    // a twin: same names and birth year as AADHAAR's person, another number
    let person = h.running.identity(AADHAAR).unwrap();
    let twin = Identity {
        aadhaar: AADHAAR_2.into(),
        ..person.clone()
    };
    h.running.add_identity(twin).expect("valid identity");

    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    let first: Vec<String> = serde_json::from_str(&h.suggest(&txn).await.text).unwrap();
    // taken with different case: the registry compares case-insensitively
    let taken = first[0].to_ascii_uppercase();
    let r = h.create(&create_body(&txn, &account, &taken)).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let (txn2, _) = h.to_mobile_verified(AADHAAR_2).await;
    let second: Vec<String> = serde_json::from_str(&h.suggest(&txn2).await.text).unwrap();
    assert!((3..=5).contains(&second.len()), "{second:?}");
    assert!(
        second.iter().all(|s| !s.eq_ignore_ascii_case(&taken)),
        "a taken id was suggested"
    );
    // every suggestion is really free: the first one can be created
    let r = h.create(&create_body(&txn2, &account, &second[0])).await;
    assert_eq!(r.status, 200, "{}", r.text);
    h.running.shutdown().await;
}
