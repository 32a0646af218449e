//! Golden fixtures (hand-written from CONTRACT §2.3, never generated from our types) decoded with
//! the crate's types, and the request fixtures checked against our request types.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

/// `body` decoded as the gateway adapter decodes a 200 answer.
fn gw<T: abdm_hpr::gateway::FromGateway>(body: &str) -> abdm_hpr::Result<T> {
    T::from_gateway(200, body.as_bytes())
}

/// [`gw`] of a JSON value.
fn gw_value<T: abdm_hpr::gateway::FromGateway>(body: serde_json::Value) -> abdm_hpr::Result<T> {
    gw(&body.to_string())
}

use abdm_hpr::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdInput, CreateHprIdRequest,
    CreateHprIdResponse, DemographicAuthRequest, DemographicAuthResponse,
    GenerateAadhaarOtpRequest, GenerateAadhaarOtpResponse, GenerateMobileOtpRequest,
    HprIdSuggestionRequest, HprIdSuggestions, MobileOtpResponse, VerifyAadhaarOtpRequest,
    VerifyAadhaarOtpResponse, VerifyMobileOtpRequest,
};
use common::{
    FIXTURE_PHOTO, FULL_NAME, HPR_ID_NUMBER, MASKED_MOBILE, TXN, decoded, fixture, fixture_value,
    keys_in_order, value,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Request fixtures: our wire names and key order equal the hand-written ones.

#[test]
fn key_scanner_reads_top_level_keys_only() {
    assert_eq!(
        keys_in_order(r#"{"a":{"x":1},"b\"q":[{"y":2}],"c":"{\"d\":1}"}"#),
        ["a", "b\\\"q", "c"]
    );
}

/// Decodes the request fixture `name` into our request type (through its `*Input`, which rejects
/// unknown keys), encodes it as the gateway adapter does and compares value and key order with the fixture.
fn assert_request_round_trip<T>(name: &str, expected_keys: &[&str])
where
    T: serde::de::DeserializeOwned + abdm_hpr::backend::StepRequest,
{
    let text = fixture(name);
    assert_eq!(keys_in_order(&text), expected_keys, "fixture key order");
    let request: T = serde_json::from_str(&text).expect("fixture decodes into our request");
    let ours =
        String::from_utf8(abdm_hpr::gateway::encode(&request.into_request()).unwrap()).unwrap();
    assert_eq!(value(&ours), value(&text));
    assert_eq!(keys_in_order(&ours), expected_keys, "our key order");
}

#[test]
fn request_fixtures_match_our_request_types() {
    assert_request_round_trip::<GenerateAadhaarOtpRequest>(
        "a1_generate_aadhaar_otp.request.json",
        &["aadhaar"],
    );
    assert_request_round_trip::<VerifyAadhaarOtpRequest>(
        "a2_verify_aadhaar_otp.request.json",
        &["domainName", "idType", "otp", "restrictions", "txnId"],
    );
    assert_request_round_trip::<CheckAccountExistRequest>(
        "a3_check_account_exist.request.json",
        &["txnId", "preverifiedCheck"],
    );
    assert_request_round_trip::<DemographicAuthRequest>(
        "a4_demographic_auth.request.json",
        &["txnId", "mobileNumber"],
    );
    assert_request_round_trip::<GenerateMobileOtpRequest>(
        "a5_generate_mobile_otp.request.json",
        &["mobile", "txnId"],
    );
    assert_request_round_trip::<VerifyMobileOtpRequest>(
        "a6_verify_mobile_otp.request.json",
        &["otp", "txnId"],
    );
    assert_request_round_trip::<HprIdSuggestionRequest>(
        "a7_hpr_id_suggestion.request.json",
        &["txnId"],
    );
    let create_keys = [
        "address",
        "dayOfBirth",
        "districtCode",
        "email",
        "firstName",
        "hpCategoryCode",
        "hpSubCategoryCode",
        "hprId",
        "lastName",
        "middleName",
        "monthOfBirth",
        "password",
        "pincode",
        "profilePhoto",
        "stateCode",
        "txnId",
        "yearOfBirth",
    ];
    assert_request_round_trip::<CreateHprIdRequest>("a8_create_hpr_id.request.json", &create_keys);
    assert_request_round_trip::<CreateHprIdRequest>(
        "a8_create_hpr_id_full.request.json",
        &create_keys,
    );
}

#[test]
fn create_request_fixtures_use_no_forbidden_keys_and_only_strings() {
    for name in [
        "a8_create_hpr_id.request.json",
        "a8_create_hpr_id_full.request.json",
    ] {
        let text = fixture(name);
        let v = value(&text);
        let obj = v.as_object().unwrap();
        for forbidden in ["gender", "mobile", "domainName", "idType"] {
            assert!(!obj.contains_key(forbidden), "{forbidden}");
        }
        for (k, v) in obj {
            assert!(
                v.is_string() || (v.is_null() && (k == "middleName" || k == "profilePhoto")),
                "{k} must be a string"
            );
        }
        // the loose input type accepts exactly these keys
        let input: CreateHprIdInput = serde_json::from_str(&text).unwrap();
        assert_eq!(input.hpr_id.as_deref(), Some("asha.verma"));
    }
}

// ---------------------------------------------------------------------------------------------
// A1

#[test]
fn a1_generate_aadhaar_otp_response() {
    let r: GenerateAadhaarOtpResponse = decoded("a1_generate_aadhaar_otp.response.json");
    assert_eq!(r.txn_id.as_str(), TXN);
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE));
}

#[test]
fn a1_missing_txn_id_is_rejected() {
    let err = gw::<GenerateAadhaarOtpResponse>(r#"{"mobileNumber":"******3210"}"#).unwrap_err();
    assert!(err.to_string().contains("txnId"), "{err}");
    let err = gw::<GenerateAadhaarOtpResponse>(r#"{"txnId":null}"#).unwrap_err();
    assert!(matches!(err, abdm_hpr::Error::Decode { .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A2

#[test]
fn a2_peer_spellings_all_19_keys() {
    let name = "a2_verify_aadhaar_otp.peer.response.json";
    assert_eq!(fixture_value(name).as_object().unwrap().len(), 19);
    let r: VerifyAadhaarOtpResponse = decoded(name);
    assert_eq!(r.txn_id.as_str(), TXN);
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE));
    assert_eq!(r.profile_photo.as_deref(), Some(FIXTURE_PHOTO));
    assert_eq!(r.gender.as_deref(), Some("F"));
    assert_eq!(r.name.as_deref(), Some(FULL_NAME));
    assert_eq!(r.email, None);
    assert_eq!(r.pincode.as_deref(), Some("201001"));
    assert_eq!(r.birth_date.as_deref(), Some("15-08-1988"));
    assert_eq!(r.care_of, None);
    assert_eq!(r.house.as_deref(), Some("12"));
    assert_eq!(r.street.as_deref(), Some("Station Road"));
    assert_eq!(r.landmark, None);
    assert_eq!(r.locality.as_deref(), Some("Raj Nagar"));
    assert_eq!(r.village_town_city.as_deref(), Some("Ghaziabad"));
    assert_eq!(r.sub_dist, None);
    assert_eq!(r.district.as_deref(), Some("Ghaziabad"));
    assert_eq!(r.state.as_deref(), Some("Uttar Pradesh"));
    assert_eq!(r.post_office, None);
    assert_eq!(r.address.as_deref(), Some("12 Station Rd, Ghaziabad"));
}

#[test]
fn a2_upstream_spellings_and_extras() {
    let r: VerifyAadhaarOtpResponse = decoded("a2_verify_aadhaar_otp.upstream.response.json");
    assert_eq!(r.txn_id.as_str(), TXN);
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE));
    assert_eq!(r.profile_photo.as_deref(), Some(FIXTURE_PHOTO));
    assert_eq!(r.birth_date.as_deref(), Some("15-08-1988"));
    assert_eq!(r.email.as_deref(), Some("asha@example.com"));
    assert_eq!(r.care_of.as_deref(), Some("W/O Ravi Verma"));
    assert_eq!(r.landmark.as_deref(), Some("Near Clock Tower"));
    assert_eq!(r.sub_dist.as_deref(), Some("Ghaziabad"));
    assert_eq!(r.post_office.as_deref(), Some("Raj Nagar"));
    assert_eq!(r.name.as_deref(), Some(FULL_NAME));
    assert_eq!(r.address.as_deref(), Some("12 Station Rd, Ghaziabad"));
}

#[test]
fn a2_peer_and_upstream_decode_to_the_same_kyc_where_they_agree() {
    let peer: VerifyAadhaarOtpResponse = decoded("a2_verify_aadhaar_otp.peer.response.json");
    let both: VerifyAadhaarOtpResponse =
        decoded("a2_verify_aadhaar_otp.both_aliases.response.json");
    // the both-aliases fixture is the peer one with each alias pair split over two keys
    assert_eq!(peer, both);
}

#[test]
fn a2_both_aliases_first_non_null_wins() {
    let r: VerifyAadhaarOtpResponse = decoded("a2_verify_aadhaar_otp.both_aliases.response.json");
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE)); // mobile null, mobileNumber set
    assert_eq!(r.profile_photo.as_deref(), Some(FIXTURE_PHOTO)); // photo null, profilePhoto set
    assert_eq!(r.birth_date.as_deref(), Some("15-08-1988")); // birthDate set, birthdate null

    // both non-null: the first spelling of the contract's list wins, whatever the key order
    let r: VerifyAadhaarOtpResponse = gw(&format!(
        r#"{{"txnId":"{TXN}","mobileNumber":"******9999","mobile":"******3210",
            "profilePhoto":"/9j/other","photo":"/9j/first",
            "birthdate":"01-01-1990","birthDate":"15-08-1988"}}"#
    ))
    .unwrap();
    assert_eq!(r.mobile_number.as_deref(), Some(MASKED_MOBILE));
    assert_eq!(r.profile_photo.as_deref(), Some("/9j/first"));
    assert_eq!(r.birth_date.as_deref(), Some("15-08-1988"));
}

#[test]
fn a2_reserializes_with_contract_names() {
    let r: VerifyAadhaarOtpResponse = decoded("a2_verify_aadhaar_otp.upstream.response.json");
    let out = serde_json::to_value(&r).unwrap();
    let obj = out.as_object().unwrap();
    assert_eq!(obj["mobileNumber"], "******3210");
    assert_eq!(obj["profilePhoto"], FIXTURE_PHOTO);
    assert_eq!(obj["birthDate"], "15-08-1988");
    assert_eq!(obj["txnId"], TXN);
    assert_eq!(obj["villageTownCity"], "Ghaziabad");
    for alias in [
        "mobile",
        "photo",
        "birthdate",
        "healthIdNumber",
        "jwtResponse",
    ] {
        assert!(!obj.contains_key(alias), "{alias} must not be serialized");
    }
    // and it decodes back to the same value
    let again: VerifyAadhaarOtpResponse = gw_value(out).unwrap();
    assert_eq!(again, r);
}

#[test]
fn a2_missing_txn_id_is_rejected() {
    let mut v = fixture_value("a2_verify_aadhaar_otp.peer.response.json");
    v.as_object_mut().unwrap().remove("txnId");
    let err = gw_value::<VerifyAadhaarOtpResponse>(v).unwrap_err();
    assert!(err.to_string().contains("txnId"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A3

#[test]
fn a3_new_account_with_empty_hpr_id_number() {
    let r: AccountCheck = decoded("a3_check_account_exist.new.response.json");
    let AccountCheck::New(n) = r else {
        panic!("expected a new account, got {r:?}")
    };
    assert_eq!(n.txn_id.as_ref().map(|t| t.as_str()), Some(TXN));
    assert_eq!(n.token.as_ref().map(|t| t.expose()), Some("eyJhbGciOi..."));
    assert_eq!(n.hpr_id_number, "");
    assert_eq!(n.name.as_deref(), Some(FULL_NAME));
    assert_eq!(n.first_name.as_deref(), Some("Asha"));
    assert_eq!(n.middle_name, None);
    assert_eq!(n.last_name.as_deref(), Some("Verma"));
    assert_eq!(n.gender.as_deref(), Some("F"));
    assert_eq!(n.year_of_birth.as_deref(), Some("1988"));
    assert_eq!(n.month_of_birth.as_deref(), Some("08"));
    assert_eq!(n.day_of_birth.as_deref(), Some("15"));
    assert_eq!(n.state_code.as_deref(), Some("9"));
    assert_eq!(n.state_name.as_deref(), Some("Uttar Pradesh"));
    assert_eq!(n.district_code.as_deref(), Some("145"));
    assert_eq!(n.district_name.as_deref(), Some("Ghaziabad"));
    assert_eq!(n.address.as_deref(), Some("12 Station Rd, Ghaziabad"));
    assert_eq!(n.pincode.as_deref(), Some("201001"));
    assert_eq!(n.profile_photo, None);
    assert_eq!(n.category_id, Some(0));
    assert_eq!(n.sub_category_id, Some(0));
    assert_eq!(n.new, Some(true));
}

#[test]
fn a3_null_missing_or_blank_hpr_id_number_is_new() {
    for name in [
        "a3_check_account_exist.new_null.response.json",
        "a3_check_account_exist.new_missing.response.json",
        "a3_check_account_exist.existing_whitespace.response.json",
    ] {
        let r: AccountCheck = decoded(name);
        let AccountCheck::New(n) = r else {
            panic!("expected a new account, got {r:?}")
        };
        assert_eq!(n.hpr_id_number, "");
        assert_eq!(n.txn_id.as_ref().map(|t| t.as_str()), Some(TXN));
        assert_eq!(n.name.as_deref(), Some(FULL_NAME));
        assert_eq!(n.new, Some(true));
    }
}

#[test]
fn a3_existing_account() {
    let r: AccountCheck = decoded("a3_check_account_exist.existing.response.json");
    let AccountCheck::Existing(e) = r else {
        panic!("expected an existing account, got {r:?}")
    };
    assert_eq!(e.token.as_ref().map(|t| t.expose()), Some("eyJhbGciOi..."));
    assert_eq!(e.hpr_id_number, HPR_ID_NUMBER);
    assert_eq!(e.hpr_id, "asha.verma@hpr.abdm");
    assert_eq!(e.category_id, Some(1));
    assert_eq!(e.category_name.as_deref(), Some("Doctor"));
    assert_eq!(e.sub_category_id, Some(1));
    assert_eq!(e.category_sub_name.as_deref(), Some("Modern Medicine"));
    assert_eq!(e.new, Some(false));
}

#[test]
fn a3_hpr_id_number_decides_even_against_new_flag() {
    let mut v = fixture_value("a3_check_account_exist.existing.response.json");
    v["new"] = Value::Bool(true);
    let r: AccountCheck = gw_value(v).unwrap();
    assert!(matches!(r, AccountCheck::Existing(ref e) if e.hpr_id_number == HPR_ID_NUMBER));

    let mut v = fixture_value("a3_check_account_exist.new.response.json");
    v["new"] = Value::Bool(false);
    let r: AccountCheck = gw_value(v).unwrap();
    assert!(matches!(r, AccountCheck::New(_)), "{r:?}");
}

#[test]
fn a3_existing_without_hpr_id_is_rejected() {
    for hpr_id in [None, Some(Value::Null), Some(Value::from("  "))] {
        let mut v = fixture_value("a3_check_account_exist.existing.response.json");
        let obj = v.as_object_mut().unwrap();
        obj.remove("hprId");
        if let Some(h) = hpr_id {
            obj.insert("hprId".into(), h);
        }
        let err = gw_value::<AccountCheck>(v).unwrap_err();
        assert!(err.to_string().contains("hprId"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// A4

#[test]
fn a4_verified_and_not_verified() {
    let r: DemographicAuthResponse = decoded("a4_demographic_auth.verified.response.json");
    assert_eq!(r, DemographicAuthResponse { verified: true });
    let r: DemographicAuthResponse = decoded("a4_demographic_auth.not_verified.response.json");
    assert_eq!(r, DemographicAuthResponse { verified: false });
}

#[test]
fn a4_verified_must_be_a_json_boolean() {
    for body in [
        r#"{"verified":"true"}"#,
        r#"{"verified":1}"#,
        r#"{"verified":null}"#,
        r#"{}"#,
    ] {
        let err = gw::<DemographicAuthResponse>(body).unwrap_err();
        assert!(
            err.to_string().contains("verified") || matches!(err, abdm_hpr::Error::Decode { .. }),
            "{body}: {err}"
        );
    }
    let err = gw::<DemographicAuthResponse>(r#"{"verified":"true"}"#).unwrap_err();
    assert!(err.to_string().contains("expected a boolean"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A5, A6

#[test]
fn a5_a6_mobile_otp_responses() {
    for name in [
        "a5_generate_mobile_otp.response.json",
        "a6_verify_mobile_otp.response.json",
    ] {
        let r: MobileOtpResponse = decoded(name);
        assert_eq!(r.txn_id.as_str(), TXN);
        assert_eq!(r.mobile_number, None);
    }
    // mobileNumber is optional: a missing key is fine, a missing txnId is not
    let r: MobileOtpResponse = gw(&format!(r#"{{"txnId":"{TXN}"}}"#)).unwrap();
    assert_eq!(r.mobile_number, None);
    let err = gw::<MobileOtpResponse>(r#"{"mobileNumber":null}"#).unwrap_err();
    assert!(err.to_string().contains("txnId"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// A7

#[test]
fn a7_bare_array() {
    let r: HprIdSuggestions = decoded("a7_hpr_id_suggestion.response.json");
    assert_eq!(r.0, ["asha.verma", "ashaverma1988", "verma.asha"]);
    let r: HprIdSuggestions = decoded("a7_hpr_id_suggestion.empty.response.json");
    assert!(r.0.is_empty());
}

#[test]
fn a7_wrapper_or_non_string_items_are_rejected() {
    let wrapped = format!(
        r#"{{"suggestions":{}}}"#,
        fixture("a7_hpr_id_suggestion.response.json").trim()
    );
    assert!(gw::<HprIdSuggestions>(&wrapped).is_err());
    assert!(gw::<HprIdSuggestions>(r#"["asha.verma", 7]"#).is_err());
    assert!(gw::<HprIdSuggestions>("null").is_err());
}

// ---------------------------------------------------------------------------------------------
// A8

#[test]
fn a8_full_response() {
    let r: CreateHprIdResponse = decoded("a8_create_hpr_id.response.json");
    assert_eq!(r.token.expose(), "eyJhbGciOi...");
    assert_eq!(r.hpr_id_number, HPR_ID_NUMBER);
    assert_eq!(r.hpr_id, "asha.verma@hpr.abdm");
    assert_eq!(r.name.as_deref(), Some(FULL_NAME));
    assert_eq!(r.gender.as_deref(), Some("F"));
    assert_eq!(r.year_of_birth.as_deref(), Some("1988"));
    assert_eq!(r.month_of_birth.as_deref(), Some("08"));
    assert_eq!(r.day_of_birth.as_deref(), Some("15"));
    assert_eq!(r.first_name.as_deref(), Some("Asha"));
    assert_eq!(r.middle_name, None);
    assert_eq!(r.last_name.as_deref(), Some("Verma"));
    assert_eq!(r.state_code.as_deref(), Some("9"));
    assert_eq!(r.state_name.as_deref(), Some("Uttar Pradesh"));
    assert_eq!(r.district_code.as_deref(), Some("145"));
    assert_eq!(r.district_name.as_deref(), Some("Ghaziabad"));
    assert_eq!(r.email.as_deref(), Some("asha@example.com"));
    assert_eq!(r.kyc_photo.as_deref(), Some(FIXTURE_PHOTO));
    assert_eq!(r.mobile.as_deref(), Some("9876543210"));
    assert_eq!(r.category_id, Some(1));
    assert_eq!(r.sub_category_id, Some(1));
    assert_eq!(
        r.auth_methods.as_deref(),
        Some(&["AADHAAR_OTP".to_owned(), "PASSWORD".to_owned()][..])
    );
    assert_eq!(r.new, Some(true));
}

#[test]
fn a8_minimal_response_with_extra_key() {
    let r: CreateHprIdResponse = decoded("a8_create_hpr_id.minimal.response.json");
    assert_eq!(r.token.expose(), "eyJhbGciOi...");
    assert_eq!(r.hpr_id_number, HPR_ID_NUMBER);
    assert_eq!(r.hpr_id, "asha.verma@hpr.abdm");
    assert_eq!(r.name, None);
    assert_eq!(r.kyc_photo, None);
    assert_eq!(r.auth_methods, None);
    assert_eq!(r.new, None);
}

#[test]
fn a8_needs_token_hpr_id_number_and_hpr_id() {
    for needed in ["token", "hprIdNumber", "hprId"] {
        let mut v = fixture_value("a8_create_hpr_id.minimal.response.json");
        v.as_object_mut().unwrap().remove(needed);
        let err = gw_value::<CreateHprIdResponse>(v).unwrap_err();
        assert!(err.to_string().contains(needed), "{needed}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Error bodies (sanity of the fixtures themselves; error mapping is tested elsewhere)

#[test]
fn error_fixtures_have_the_documented_shapes() {
    let his = fixture_value("error.his_envelope.json");
    assert_eq!(his["code"], "HIS-422");
    assert_eq!(his["details"][0]["code"], "HIS-1013");
    assert_eq!(his["details"][0]["message"], "Incorrect OTP entered");
    assert!(his["details"][0]["attribute"].is_null());

    let peer = fixture_value("error.peer_shape.json");
    assert!(peer["message"].is_string() && peer["details"].is_string());
    let peer_list = fixture_value("error.peer_shape_list.json");
    assert!(
        peer_list["details"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_string)
    );

    let wso2 = fixture_value("error.gateway_wso2.json");
    assert_eq!(wso2["code"], "900901");
    assert_eq!(wso2["message"], "Invalid Credentials");
    assert!(wso2["description"].is_string());

    assert!(serde_json::from_str::<Value>(&fixture("error.plain.txt")).is_err());
    assert!(serde_json::from_str::<Value>(&fixture("error.html_502.html")).is_err());
}
