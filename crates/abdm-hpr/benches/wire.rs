//! Wire benchmarks: validating and serializing each request, decoding each response, and the
//! Aadhaar/Verhoeff hot path. Run with `cargo bench -p abdm-hpr --bench wire`.
//!
//! All values are synthetic (CONTRACT §5.1 examples, made-up names and a generated photo).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;
use std::time::Duration;

use abdm_hpr::types::{
    Aadhaar, AccountCheck, CheckAccountExistInput, CheckAccountExistRequest, CreateHprIdInput,
    CreateHprIdRequest, CreateHprIdResponse, DemographicAuthInput, DemographicAuthRequest,
    DemographicAuthResponse, GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest,
    GenerateAadhaarOtpResponse, GenerateMobileOtpInput, GenerateMobileOtpRequest,
    HprIdSuggestionInput, HprIdSuggestionRequest, HprIdSuggestions, MobileOtpResponse,
    VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse, VerifyMobileOtpInput,
    VerifyMobileOtpRequest, verhoeff,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use divan::{Bencher, black_box};

fn main() {
    // At least 0.5 s per benchmark so medians settle on a busy 2-core box (~15 s in all);
    // `--min-time`, `--sample-count` etc. on the command line still override this.
    divan::Divan::default()
        .min_time(Duration::from_millis(500))
        .config_with_args()
        .main();
}

const TXN: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// A ~2 KB base64 JPEG-like photo (1536 bytes → 2048 characters), as UIDAI e-KYC sends.
static PHOTO: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00,
    ];
    let mut state: u32 = 0x1234_5678;
    while bytes.len() < 1536 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((state >> 16) as u8);
    }
    STANDARD.encode(bytes)
});

// ---------------------------------------------------------------------------------------------
// Requests: loose input → validated request → JSON bytes

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// Validates `input` (a fresh clone per iteration) and encodes the request as the gateway does.
fn validate_and_serialize<I, R>(bencher: Bencher, input: I)
where
    I: Clone + Sync,
    R: TryFrom<I> + abdm_hpr::backend::StepRequest,
    <R as TryFrom<I>>::Error: std::fmt::Debug,
{
    bencher.with_inputs(|| input.clone()).bench_values(|input| {
        let request = R::try_from(black_box(input)).expect("valid input");
        abdm_hpr::gateway::encode(&request.into_request()).expect("serializable")
    });
}

fn create_input(photo: Option<String>) -> CreateHprIdInput {
    CreateHprIdInput {
        address: s("12 Station Rd, Raj Nagar, Ghaziabad"),
        day_of_birth: s("15"),
        district_code: s("145"),
        email: s("asha.verma@example.com"),
        first_name: s("Asha"),
        hp_category_code: s("1"),
        hp_sub_category_code: s("1"),
        hpr_id: s("asha.verma@hpr.abdm"),
        last_name: s("Verma"),
        middle_name: s("Kumari"),
        month_of_birth: s("8"),
        password: s("Ayushman@143"),
        pincode: s("201 001"),
        profile_photo: photo,
        state_code: s("9"),
        txn_id: s(TXN),
        year_of_birth: s("1988"),
    }
}

mod request {
    use super::*;

    #[divan::bench]
    fn generate_aadhaar_otp(bencher: Bencher) {
        let input = GenerateAadhaarOtpInput {
            aadhaar: s("2341 2341 2346"),
        };
        validate_and_serialize::<_, GenerateAadhaarOtpRequest>(bencher, input);
    }

    #[divan::bench]
    fn verify_aadhaar_otp(bencher: Bencher) {
        let input = VerifyAadhaarOtpInput {
            otp: s("123456"),
            txn_id: s(TXN),
            ..Default::default()
        };
        validate_and_serialize::<_, VerifyAadhaarOtpRequest>(bencher, input);
    }

    #[divan::bench]
    fn check_account_exist(bencher: Bencher) {
        let input = CheckAccountExistInput {
            txn_id: s(TXN),
            preverified_check: Some(true),
        };
        validate_and_serialize::<_, CheckAccountExistRequest>(bencher, input);
    }

    #[divan::bench]
    fn demographic_auth(bencher: Bencher) {
        let input = DemographicAuthInput {
            txn_id: s(TXN),
            mobile_number: s("+91 98765-43210"),
        };
        validate_and_serialize::<_, DemographicAuthRequest>(bencher, input);
    }

    #[divan::bench]
    fn generate_mobile_otp(bencher: Bencher) {
        let input = GenerateMobileOtpInput {
            mobile: s("09876543210"),
            txn_id: s(TXN),
        };
        validate_and_serialize::<_, GenerateMobileOtpRequest>(bencher, input);
    }

    #[divan::bench]
    fn verify_mobile_otp(bencher: Bencher) {
        let input = VerifyMobileOtpInput {
            otp: s("654321"),
            txn_id: s(TXN),
        };
        validate_and_serialize::<_, VerifyMobileOtpRequest>(bencher, input);
    }

    #[divan::bench]
    fn hpr_id_suggestion(bencher: Bencher) {
        let input = HprIdSuggestionInput { txn_id: s(TXN) };
        validate_and_serialize::<_, HprIdSuggestionRequest>(bencher, input);
    }

    #[divan::bench]
    fn create_hpr_id(bencher: Bencher) {
        validate_and_serialize::<_, CreateHprIdRequest>(bencher, create_input(None));
    }

    #[divan::bench]
    fn create_hpr_id_with_photo(bencher: Bencher) {
        let input = create_input(Some(PHOTO.clone()));
        validate_and_serialize::<_, CreateHprIdRequest>(bencher, input);
    }
}

// ---------------------------------------------------------------------------------------------
// Responses: JSON text → typed response

static VERIFY_AADHAAR_JSON: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"{{"txnId":"{TXN}","mobileNumber":"******3210","photo":"{photo}","gender":"F","name":"Asha Kumari Verma","email":null,"pincode":"201001","birthdate":"15-08-1988","careOf":"W/O Rakesh Verma","house":"12","street":"Station Road","landmark":"Near Old Post Office","locality":"Raj Nagar","villageTownCity":"Ghaziabad","subDist":"Ghaziabad","district":"Ghaziabad","state":"Uttar Pradesh","postOffice":"Raj Nagar","address":"12, Station Road, Near Old Post Office, Raj Nagar, Ghaziabad, Uttar Pradesh - 201001","authMethods":["AADHAAR_OTP"]}}"#,
        photo = *PHOTO
    )
});

static CREATE_RESPONSE_JSON: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"{{"token":"eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJhc2hhLnZlcm1hQGhwci5hYmRtIiwiY2xpZW50SWQiOiJocHIiLCJleHAiOjE3OTk5OTk5OTl9.c2lnbmF0dXJlLXBsYWNlaG9sZGVyLW5vdC1hLXJlYWwtc2lnbmF0dXJl","hprIdNumber":"71-1234-5678-9012","hprId":"asha.verma@hpr.abdm","name":"Asha Kumari Verma","gender":"F","yearOfBirth":"1988","monthOfBirth":"08","dayOfBirth":"15","firstName":"Asha","middleName":"Kumari","lastName":"Verma","stateCode":"9","stateName":"Uttar Pradesh","districtCode":"145","districtName":"Ghaziabad","email":"asha.verma@example.com","kycPhoto":"{photo}","mobile":"9876543210","categoryId":1,"subCategoryId":1,"authMethods":["AADHAAR_OTP","PASSWORD","MOBILE_OTP"],"new":true}}"#,
        photo = *PHOTO
    )
});

static ACCOUNT_NEW_JSON: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"{{"txnId":"{TXN}","token":"eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJ0eG4ifQ.c2ln","hprIdNumber":"","name":"Asha Kumari Verma","firstName":"Asha","middleName":"Kumari","lastName":"Verma","gender":"F","yearOfBirth":"1988","monthOfBirth":"08","dayOfBirth":"15","stateCode":"9","stateName":"Uttar Pradesh","districtCode":"145","districtName":"Ghaziabad","address":"12, Station Road, Raj Nagar, Ghaziabad","pincode":"201001","profilePhoto":"{photo}","categoryId":0,"subCategoryId":0,"new":true}}"#,
        photo = *PHOTO
    )
});

const ACCOUNT_EXISTING_JSON: &str = r#"{"token":"eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJhc2hhLnZlcm1hQGhwci5hYmRtIn0.c2ln","hprIdNumber":"71-1234-5678-9012","hprId":"asha.verma@hpr.abdm","categoryId":1,"categoryName":"Doctor","subCategoryId":1,"categorySubName":"Modern Medicine","new":false}"#;

const GENERATE_AADHAAR_JSON: &str =
    r#"{"txnId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","mobileNumber":"******3210"}"#;

const MOBILE_OTP_JSON: &str =
    r#"{"txnId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","mobileNumber":null}"#;

const DEMOGRAPHIC_JSON: &str = r#"{"verified":true,"errorCode":null,"reason":null}"#;

const SUGGESTIONS_JSON: &str = r#"["asha.verma","ashaverma1988","verma.asha","asha.k.verma","asha_verma15","ashaverma.gzb","averma1988","asha.verma88"]"#;

mod response {
    use super::*;

    /// As the gateway adapter decodes a 200 answer.
    fn decode<T: abdm_hpr::gateway::FromGateway>(json: &str) -> T {
        T::from_gateway(200, black_box(json).as_bytes()).expect("decodes")
    }

    #[divan::bench]
    fn generate_aadhaar_otp() -> GenerateAadhaarOtpResponse {
        decode(GENERATE_AADHAAR_JSON)
    }

    #[divan::bench]
    fn verify_aadhaar_otp_2kb_photo(bencher: Bencher) {
        let json = VERIFY_AADHAAR_JSON.as_str();
        bencher.bench(|| decode::<VerifyAadhaarOtpResponse>(json));
    }

    #[divan::bench]
    fn account_check_new(bencher: Bencher) {
        let json = ACCOUNT_NEW_JSON.as_str();
        bencher.bench(|| {
            let check: AccountCheck = decode(json);
            assert!(matches!(check, AccountCheck::New(_)));
            check
        });
    }

    #[divan::bench]
    fn account_check_existing() -> AccountCheck {
        let check: AccountCheck = decode(ACCOUNT_EXISTING_JSON);
        assert!(matches!(check, AccountCheck::Existing(_)));
        check
    }

    #[divan::bench]
    fn demographic_auth() -> DemographicAuthResponse {
        decode(DEMOGRAPHIC_JSON)
    }

    #[divan::bench]
    fn mobile_otp() -> MobileOtpResponse {
        decode(MOBILE_OTP_JSON)
    }

    #[divan::bench]
    fn hpr_id_suggestions() -> HprIdSuggestions {
        decode(SUGGESTIONS_JSON)
    }

    #[divan::bench]
    fn create_hpr_id_full(bencher: Bencher) {
        let json = CREATE_RESPONSE_JSON.as_str();
        bencher.bench(|| decode::<CreateHprIdResponse>(json));
    }
}

// ---------------------------------------------------------------------------------------------
// Field hot path

mod field {
    use super::*;

    #[divan::bench(args = ["234123412346", "2341 2341 2346"])]
    fn aadhaar_parse(raw: &str) -> Aadhaar {
        Aadhaar::parse(black_box(raw)).expect("valid")
    }

    #[divan::bench]
    fn verhoeff_is_valid() -> bool {
        const DIGITS: [u8; 12] = [2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 6];
        verhoeff::is_valid(black_box(&DIGITS))
    }
}
