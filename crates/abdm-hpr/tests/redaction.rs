//! `Debug` and `Display` never show secrets or personal data (CONTRACT §7): newtypes, requests,
//! loose inputs, responses, the client and its builder, and validation reports (including their
//! JSON form) are printed and searched for every synthetic value that went into them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

/// `body` decoded as the gateway adapter decodes a 200 answer.
fn from_gateway<T: abdm_hpr::gateway::FromGateway>(body: serde_json::Value) -> abdm_hpr::Result<T> {
    T::from_gateway(200, body.to_string().as_bytes())
}

use abdm_hpr::client::{GatewayClient, GatewayClientBuilder};
use abdm_hpr::types::{
    Aadhaar, AccountCheck, Address, CategoryCode, CheckAccountExistInput, CheckAccountExistRequest,
    CreateHprIdInput, CreateHprIdRequest, CreateHprIdResponse, DateOfBirth, DemographicAuthInput,
    DemographicAuthRequest, DemographicAuthResponse, DistrictCode, DomainName, Email,
    GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest, GenerateAadhaarOtpResponse,
    GenerateMobileOtpInput, GenerateMobileOtpRequest, HprId, HprIdSuggestionInput,
    HprIdSuggestionRequest, HprIdSuggestions, IdType, Mobile, MobileOtpResponse, Otp, Password,
    PersonName, Photo, Pincode, StateCode, SubCategoryCode, Token, TxnId, ValidationErrors,
    VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse, VerifyMobileOtpInput,
    VerifyMobileOtpRequest,
};
use abdm_hpr::{Error, RetryPolicy};
use common::{
    AADHAAR, ADDRESS, API_KEY, BAD_OTP, DISTRICT_CODE, EMAIL, FIRST, FULL_NAME, HPR_ID,
    HPR_ID_NUMBER, HPRID_AUTH, LAST, MOBILE, MOBILE_OTP, NEVER_PRINTED, OTP, PASSWORD, PINCODE,
    TOKEN, TRUNCATED_PHOTO, TXN, TXN_HEAD, assert_absent,
};
use serde_json::json;

const MIDDLE: &str = "Kumari";
const STATE_CODE: &str = "29";

/// Printed nowhere either, beside [`NEVER_PRINTED`]: the names and the values only these tests use.
const ALSO_NEVER: &[&str] = &[FIRST, MIDDLE, LAST, PINCODE];

#[track_caller]
fn assert_clean(text: &str) {
    assert_absent(text, NEVER_PRINTED);
    assert_absent(text, ALSO_NEVER);
    // lower-case forms of the names (e.g. in an e-mail or a username)
    let lower = text.to_lowercase();
    for needle in ["asha", "verma"] {
        assert!(
            !lower.contains(needle),
            "`{needle}` must not appear in: {text}"
        );
    }
}

#[track_caller]
fn assert_debug_clean(value: &impl std::fmt::Debug) {
    assert_clean(&format!("{value:?}"));
    assert_clean(&format!("{value:#?}"));
}

#[track_caller]
fn assert_display_clean(value: &impl std::fmt::Display) {
    assert_clean(&value.to_string());
}

// ---------------------------------------------------------------------------------------------
// Newtypes

#[test]
fn aadhaar_shows_only_the_last_four_digits() {
    let a: Aadhaar = AADHAAR.parse().unwrap();
    assert_eq!(format!("{a:?}"), "Aadhaar(XXXXXXXX2346)");
    assert_eq!(a.to_string(), "XXXXXXXX2346");
    assert_eq!(a.masked(), "XXXXXXXX2346");
    assert_eq!(a.last4(), "2346");
    assert_debug_clean(&a);
    assert_display_clean(&a);
    assert_eq!(a.expose(), AADHAAR, "the wire still gets the full number");
}

#[test]
fn mobile_shows_only_the_last_four_digits() {
    let m: Mobile = "+91 98765-43210".parse().unwrap();
    assert_eq!(format!("{m:?}"), "Mobile(XXXXXX3210)");
    assert_eq!(m.to_string(), "XXXXXX3210");
    assert_debug_clean(&m);
    assert_display_clean(&m);
    assert_eq!(m.expose(), MOBILE);
}

#[test]
fn secrets_and_personal_strings_print_redacted() {
    fn check<T: std::fmt::Debug + std::fmt::Display>(value: T, name: &str) {
        assert_eq!(format!("{value:?}"), format!("{name}([redacted])"));
        assert_eq!(format!("{value:#?}"), format!("{name}([redacted])"));
        assert_eq!(value.to_string(), "[redacted]");
        assert_eq!(format!("{value:>20}"), "[redacted]", "no padding tricks");
    }
    check(OTP.parse::<Otp>().unwrap(), "Otp");
    check(PASSWORD.parse::<Password>().unwrap(), "Password");
    check(TOKEN.parse::<Token>().unwrap(), "Token");
    check(EMAIL.parse::<Email>().unwrap(), "Email");
    check(HPR_ID.parse::<HprId>().unwrap(), "HprId");
    check(FIRST.parse::<PersonName>().unwrap(), "PersonName");
    check(ADDRESS.parse::<Address>().unwrap(), "Address");
    check(PINCODE.parse::<Pincode>().unwrap(), "Pincode");
    check(STATE_CODE.parse::<StateCode>().unwrap(), "StateCode");
    check(
        DISTRICT_CODE.parse::<DistrictCode>().unwrap(),
        "DistrictCode",
    );
}

#[test]
fn date_of_birth_is_redacted() {
    let dob = DateOfBirth::from_parts("15", "08", "1988").unwrap();
    assert_eq!(format!("{dob:?}"), "DateOfBirth([redacted])");
    assert_debug_clean(&dob);
}

#[test]
fn photo_shows_only_its_decoded_size() {
    let p: Photo = TRUNCATED_PHOTO.parse().unwrap();
    assert_eq!(
        format!("{p:?}"),
        format!("Photo({} bytes)", p.decoded_len())
    );
    assert_debug_clean(&p);
}

#[test]
fn txn_id_shows_its_first_eight_characters() {
    let t: TxnId = TXN.parse().unwrap();
    assert_eq!(format!("{t:?}"), format!("TxnId({TXN_HEAD}…)"));
    assert_eq!(t.to_string(), format!("{TXN_HEAD}…"));
    assert_eq!(t.masked(), format!("{TXN_HEAD}…"));
    assert_debug_clean(&t);
    assert_display_clean(&t);
    // a short id is masked entirely
    let short: TxnId = "abc123".parse().unwrap();
    assert_eq!(short.to_string(), "[redacted]");
}

#[test]
fn non_personal_codes_and_settings_are_shown() {
    assert_eq!(
        format!("{:?}", "1".parse::<CategoryCode>().unwrap()),
        "CategoryCode(1)"
    );
    assert_eq!("220".parse::<SubCategoryCode>().unwrap().to_string(), "220");
    assert_eq!(DomainName::default().to_string(), "@hpr.abdm");
    assert_eq!(IdType::default().to_string(), "hpr_id");
}

// ---------------------------------------------------------------------------------------------
// Requests and their loose inputs

fn txn() -> TxnId {
    TXN.parse().unwrap()
}

/// Every field set: the shared input with a middle name, a photo and state code 29.
fn create_input() -> CreateHprIdInput {
    CreateHprIdInput {
        middle_name: Some(MIDDLE.into()),
        profile_photo: Some(TRUNCATED_PHOTO.into()),
        state_code: Some(STATE_CODE.into()),
        ..common::create_input()
    }
}

#[test]
fn every_request_debug_is_clean() {
    let generate = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
        aadhaar: Some("2341 2341 2346".into()),
    })
    .unwrap();
    assert_eq!(generate.aadhaar.expose(), AADHAAR);
    assert_debug_clean(&generate);

    let verify = VerifyAadhaarOtpRequest::new(txn(), OTP.parse().unwrap());
    assert_debug_clean(&verify);

    let check = CheckAccountExistRequest::new(txn());
    assert_debug_clean(&check);

    let demographic = DemographicAuthRequest {
        txn_id: txn(),
        mobile_number: MOBILE.parse().unwrap(),
    };
    assert_debug_clean(&demographic);
    assert!(format!("{demographic:?}").contains("XXXXXX3210"));

    let generate_mobile = GenerateMobileOtpRequest {
        mobile: MOBILE.parse().unwrap(),
        txn_id: txn(),
    };
    assert_debug_clean(&generate_mobile);

    let verify_mobile = VerifyMobileOtpRequest {
        otp: MOBILE_OTP.parse().unwrap(),
        txn_id: txn(),
    };
    assert_debug_clean(&verify_mobile);

    let suggestion = HprIdSuggestionRequest { txn_id: txn() };
    assert_debug_clean(&suggestion);

    let create = CreateHprIdRequest::try_from(create_input()).unwrap();
    assert_debug_clean(&create);
    // the wire body does carry the values: the redaction is in the printing only
    let wire = String::from_utf8(
        abdm_hpr::gateway::encode(&abdm_hpr::backend::StepRequest::into_request(
            create.clone(),
        ))
        .unwrap(),
    )
    .unwrap();
    for value in [
        PASSWORD,
        EMAIL,
        HPR_ID,
        FIRST,
        LAST,
        MIDDLE,
        TRUNCATED_PHOTO,
    ] {
        assert!(wire.contains(value), "{value} is sent");
    }
}

#[test]
fn requests_decoded_from_json_are_clean_too() {
    let verify: VerifyAadhaarOtpRequest =
        serde_json::from_value(json!({"otp": OTP, "txnId": TXN})).unwrap();
    assert_debug_clean(&verify);
    let create: CreateHprIdRequest =
        serde_json::from_value(serde_json::to_value(create_input()).unwrap()).unwrap();
    assert_debug_clean(&create);
}

#[test]
fn every_input_debug_shows_only_presence() {
    let generate = GenerateAadhaarOtpInput {
        aadhaar: Some(AADHAAR.into()),
    };
    assert_eq!(
        format!("{generate:?}"),
        "GenerateAadhaarOtpInput { aadhaar: Some(\"<set>\") }"
    );
    assert_debug_clean(&generate);

    let verify = VerifyAadhaarOtpInput {
        otp: Some(OTP.into()),
        txn_id: Some(TXN.into()),
        ..Default::default()
    };
    let text = format!("{verify:?}");
    assert!(text.contains("otp: Some(\"<set>\")"), "{text}");
    assert!(text.contains("domain_name: None"), "{text}");
    assert_debug_clean(&verify);

    let check = CheckAccountExistInput {
        txn_id: Some(TXN.into()),
        preverified_check: Some(true),
    };
    assert_eq!(
        format!("{check:?}"),
        "CheckAccountExistInput { txn_id: Some(\"<set>\"), preverified_check: Some(true) }"
    );
    assert_debug_clean(&check);

    let demographic = DemographicAuthInput {
        txn_id: Some(TXN.into()),
        mobile_number: Some(MOBILE.into()),
    };
    assert_debug_clean(&demographic);

    let generate_mobile = GenerateMobileOtpInput {
        mobile: Some(MOBILE.into()),
        txn_id: Some(TXN.into()),
    };
    assert_debug_clean(&generate_mobile);

    let verify_mobile = VerifyMobileOtpInput {
        otp: Some(MOBILE_OTP.into()),
        txn_id: Some(TXN.into()),
    };
    assert_debug_clean(&verify_mobile);

    let suggestion = HprIdSuggestionInput {
        txn_id: Some(TXN.into()),
    };
    assert_debug_clean(&suggestion);

    let create = create_input();
    let text = format!("{create:?}");
    assert_eq!(text.matches("<set>").count(), 17, "{text}");
    assert_debug_clean(&create);
}

// ---------------------------------------------------------------------------------------------
// Responses

#[test]
fn every_response_debug_is_clean() {
    let generate: GenerateAadhaarOtpResponse =
        from_gateway(json!({"txnId": TXN, "mobileNumber": MOBILE})).unwrap();
    assert_debug_clean(&generate);
    assert!(format!("{generate:?}").contains("XXXXXX3210"));

    let kyc: VerifyAadhaarOtpResponse = from_gateway(json!({
        "txnId": TXN, "mobile": MOBILE, "photo": TRUNCATED_PHOTO, "gender": "F", "name": FULL_NAME,
        "email": EMAIL, "pincode": PINCODE, "birthDate": "15-08-1988", "careOf": "W/O Ravi Verma",
        "house": "12", "street": "Station Road", "landmark": "Near Ghaziabad Junction",
        "locality": "Raj Nagar", "villageTownCity": "Ghaziabad", "subDist": "Ghaziabad",
        "district": "Ghaziabad", "state": "Uttar Pradesh", "postOffice": "Raj Nagar",
        "address": ADDRESS
    }))
    .unwrap();
    assert_eq!(kyc.mobile_number.as_deref(), Some(MOBILE));
    assert_debug_clean(&kyc);
    for value in ["Ravi", "Raj Nagar", "15-08-1988"] {
        assert!(!format!("{kyc:?}").contains(value), "{value}");
    }

    let new: AccountCheck = from_gateway(json!({
        "txnId": TXN, "token": TOKEN, "hprIdNumber": "", "name": FULL_NAME, "firstName": FIRST,
        "middleName": MIDDLE, "lastName": LAST, "gender": "F", "yearOfBirth": "1988",
        "monthOfBirth": "08", "dayOfBirth": "15", "stateCode": STATE_CODE, "stateName": "Uttar Pradesh",
        "districtCode": DISTRICT_CODE, "districtName": "Ghaziabad", "address": ADDRESS,
        "pincode": PINCODE, "profilePhoto": TRUNCATED_PHOTO, "categoryId": 0, "subCategoryId": 0, "new": true
    }))
    .unwrap();
    assert!(matches!(new, AccountCheck::New(_)));
    assert_debug_clean(&new);

    let existing: AccountCheck = from_gateway(json!({
        "token": TOKEN, "hprIdNumber": HPR_ID_NUMBER, "hprId": format!("{HPR_ID}@hpr.abdm"),
        "categoryId": 1, "categoryName": "Doctor", "subCategoryId": 1,
        "categorySubName": "Modern Medicine", "new": false
    }))
    .unwrap();
    assert!(matches!(existing, AccountCheck::Existing(_)));
    assert_debug_clean(&existing);

    let verified: DemographicAuthResponse =
        from_gateway(json!({"verified": true, "uidaiToken": TOKEN})).unwrap();
    assert_debug_clean(&verified);

    let mobile: MobileOtpResponse =
        from_gateway(json!({"txnId": TXN, "mobileNumber": MOBILE})).unwrap();
    assert_debug_clean(&mobile);

    let suggestions: HprIdSuggestions =
        from_gateway(json!([HPR_ID, "ashaverma1988", "verma.asha"])).unwrap();
    assert_eq!(format!("{suggestions:?}"), "HprIdSuggestions(3 ids)");
    assert_debug_clean(&suggestions);

    let created: CreateHprIdResponse = from_gateway(json!({
        "token": TOKEN, "hprIdNumber": HPR_ID_NUMBER, "hprId": format!("{HPR_ID}@hpr.abdm"),
        "name": FULL_NAME, "gender": "F", "yearOfBirth": "1988", "monthOfBirth": "08",
        "dayOfBirth": "15", "firstName": FIRST, "middleName": MIDDLE, "lastName": LAST,
        "stateCode": STATE_CODE, "stateName": "Uttar Pradesh", "districtCode": DISTRICT_CODE,
        "districtName": "Ghaziabad", "email": EMAIL, "kycPhoto": TRUNCATED_PHOTO, "mobile": MOBILE,
        "categoryId": 1, "subCategoryId": 1, "authMethods": ["AADHAAR_OTP", "PASSWORD"], "new": true
    }))
    .unwrap();
    assert_eq!(created.token.expose(), TOKEN);
    assert_debug_clean(&created);
}

// ---------------------------------------------------------------------------------------------
// Client and builder

#[test]
fn client_and_builder_never_show_credentials() {
    let builder = GatewayClient::builder()
        .base_url("http://127.0.0.1:8080/api")
        .api_key(API_KEY)
        .hprid_auth(HPRID_AUTH)
        .facility_id("IN0910000001")
        .retry(RetryPolicy::standard());
    let text = format!("{builder:?}");
    assert!(text.contains("127.0.0.1:8080"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    assert_debug_clean(&builder);

    let client = builder.clone().build().unwrap();
    assert_debug_clean(&client);
    assert!(format!("{client:?}").contains("http://127.0.0.1:8080/api"));

    let from_env = GatewayClientBuilder::from_lookup(|name| match name {
        abdm_hpr::client::ENV_API_URL => Some("https://registry.example/api".into()),
        abdm_hpr::client::ENV_API_KEY => Some(format!("Bearer {API_KEY}")),
        abdm_hpr::client::ENV_HPRID_AUTH => Some(HPRID_AUTH.into()),
        _ => None,
    });
    assert_debug_clean(&from_env);
    assert_debug_clean(&from_env.build().unwrap());
}

// ---------------------------------------------------------------------------------------------
// Validation reports

const BAD_PASSWORD: &str = "weakpass";
const BAD_AADHAAR: &str = "234123412345";
const BAD_MOBILE: &str = "5876543219";
const BAD_EMAIL: &str = "zq.rejected@@mail";
const BAD_HPR_ID: &str = "zq-rejected-id";
const BAD_TXN: &str = "zq rejected txn";
const BAD_PINCODE: &str = "0934571";
const BAD_PHOTO: &str = "bm90IGFuIGltYWdlIGF0IGFsbA==";
const BAD_STATE: &str = "ZQ9";

const REJECTED: &[&str] = &[
    BAD_OTP,
    BAD_PASSWORD,
    BAD_AADHAAR,
    BAD_MOBILE,
    BAD_EMAIL,
    "zq.rejected",
    BAD_HPR_ID,
    BAD_TXN,
    BAD_PINCODE,
    BAD_PHOTO,
    BAD_STATE,
    "Zzyzx",
];

#[track_caller]
fn assert_report_clean(report: &ValidationErrors) {
    let json = serde_json::to_string(report).unwrap();
    let error = Error::from(report.clone());
    assert_display_clean(report);
    assert_display_clean(&error);
    for text in [
        report.to_string(),
        format!("{report:?}"),
        format!("{report:#?}"),
        json,
        error.to_string(),
        format!("{error:?}"),
    ] {
        assert_absent(&text, REJECTED);
        assert_clean(&text);
    }
}

#[test]
fn newtype_rejections_never_quote_the_value() {
    let rejections = [
        Otp::parse(BAD_OTP).unwrap_err(),
        Password::parse(BAD_PASSWORD).unwrap_err(),
        Aadhaar::parse(BAD_AADHAAR).unwrap_err(),
        Mobile::parse(BAD_MOBILE).unwrap_err(),
        Email::parse(BAD_EMAIL).unwrap_err(),
        HprId::parse(BAD_HPR_ID).unwrap_err(),
        TxnId::parse(BAD_TXN).unwrap_err(),
        Pincode::parse(BAD_PINCODE).unwrap_err(),
        Photo::parse(BAD_PHOTO).unwrap_err(),
        StateCode::parse(BAD_STATE).unwrap_err(),
        PersonName::parse(&"Zzyzx".repeat(30)).unwrap_err(),
    ];
    for invalid in rejections {
        common::assert_never_printed(&invalid, REJECTED);
    }
    // serde errors go through the same messages
    let err = serde_json::from_value::<Otp>(json!(BAD_OTP)).unwrap_err();
    assert!(!err.to_string().contains(BAD_OTP), "{err}");
    let err = serde_json::from_value::<Aadhaar>(json!(BAD_AADHAAR)).unwrap_err();
    assert!(!err.to_string().contains(BAD_AADHAAR), "{err}");
}

#[test]
fn request_reports_never_quote_the_values() {
    let report = VerifyAadhaarOtpRequest::try_from(VerifyAadhaarOtpInput {
        otp: Some(BAD_OTP.into()),
        txn_id: Some(BAD_TXN.into()),
        ..Default::default()
    })
    .unwrap_err();
    let fields: Vec<_> = report.errors().iter().map(|e| e.field.as_ref()).collect();
    assert_eq!(fields, ["otp", "txnId"]);
    assert_report_clean(&report);

    let report = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
        aadhaar: Some(BAD_AADHAAR.into()),
    })
    .unwrap_err();
    assert_eq!(report.errors()[0].field, "aadhaar");
    assert_report_clean(&report);

    let report = DemographicAuthRequest::try_from(DemographicAuthInput {
        txn_id: Some(TXN.into()),
        mobile_number: Some(BAD_MOBILE.into()),
    })
    .unwrap_err();
    assert_eq!(report.errors()[0].field, "mobileNumber");
    assert_report_clean(&report);

    let report = CreateHprIdRequest::try_from(CreateHprIdInput {
        email: Some(BAD_EMAIL.into()),
        password: Some(BAD_PASSWORD.into()),
        hpr_id: Some(BAD_HPR_ID.into()),
        pincode: Some(BAD_PINCODE.into()),
        profile_photo: Some(BAD_PHOTO.into()),
        state_code: Some(BAD_STATE.into()),
        first_name: Some("Zzyzx".repeat(30)),
        ..create_input()
    })
    .unwrap_err();
    let fields: Vec<_> = report.errors().iter().map(|e| e.field.as_ref()).collect();
    assert_eq!(
        fields,
        [
            "email",
            "firstName",
            "hprId",
            "password",
            "pincode",
            "profilePhoto",
            "stateCode"
        ]
    );
    assert_report_clean(&report);
    // the JSON form carries the field, the rule code and a message
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json[0]["field"], "email");
    assert_eq!(json[0]["code"], "format");
    assert!(json[0]["message"].is_string());
}

#[test]
fn requests_rejected_while_deserializing_never_quote_the_values() {
    let err =
        serde_json::from_value::<VerifyMobileOtpRequest>(json!({"otp": BAD_OTP, "txnId": TXN}))
            .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("otp"), "{text}");
    assert!(!text.contains(BAD_OTP), "{text}");
    assert!(!text.contains(TXN), "{text}");

    let err = serde_json::from_value::<GenerateAadhaarOtpRequest>(json!({"aadhaar": BAD_AADHAAR}))
        .unwrap_err();
    assert!(!err.to_string().contains(BAD_AADHAAR), "{err}");
}
