//! Shared pieces of the integration tests: fixture loading, the synthetic values (raw and
//! parsed), a client for a wiremock server, single-operation mocks, an in-memory trace writer and
//! "no secret in this text" assertions.
//!
//! Every test binary compiles this module on its own and uses only part of it, hence the
//! `dead_code` allowance.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::fmt::{Debug, Display};
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use abdm_hpr::flow::{RegistrationSession, StepOutcome};
use abdm_hpr::types::{
    Aadhaar, AccountCheck, CheckAccountExistRequest, CreateHprIdInput, CreateHprIdRequest,
    CreateHprIdResponse, DemographicAuthRequest, DemographicAuthResponse,
    GenerateAadhaarOtpRequest, GenerateAadhaarOtpResponse, GenerateMobileOtpRequest,
    HprIdSuggestionRequest, HprIdSuggestions, Mobile, MobileOtpResponse, Otp,
    VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse, VerifyMobileOtpRequest,
};
use abdm_hpr::{GatewayClient, GatewayClientBuilder, Operation, RegistryApi};
use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---------------------------------------------------------------------------------------------
// Synthetic values (none is a real person's; the Aadhaar is the CONTRACT §5.1 example)

pub const TXN: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
/// The part of [`TXN`] that may be printed.
pub const TXN_HEAD: &str = "3fa85f64";
pub const AADHAAR: &str = "234123412346";
pub const OTP: &str = "123456";
pub const MOBILE_OTP: &str = "654321";
pub const MOBILE: &str = "9876543210";
/// [`MOBILE`] as the registry masks it in its answers.
pub const MASKED_MOBILE: &str = "******3210";
pub const PASSWORD: &str = "Ayushman@143";
pub const FIRST: &str = "Asha";
pub const LAST: &str = "Verma";
pub const FULL_NAME: &str = "Asha Verma";
pub const EMAIL: &str = "asha@example.com";
pub const HPR_ID: &str = "asha.verma";
pub const HPR_ID_NUMBER: &str = "71-1234-5678-9012";
pub const ADDRESS: &str = "12 Station Rd, Ghaziabad";
pub const PINCODE: &str = "201001";
pub const DISTRICT_CODE: &str = "145";
/// A JWT-shaped token.
pub const TOKEN: &str = "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJhc2hhIn0.c2lnbmF0dXJl";
/// The 159-byte baseline 1x1 JPEG used by the fixtures.
pub const FIXTURE_PHOTO: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z";
/// Base64 of a (truncated) JPEG: starts with FF D8 FF.
pub const TRUNCATED_PHOTO: &str = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDI=";
/// Credentials that must never be printed.
pub const API_KEY: &str = "sk-live-SECRET-api-key-7781";
pub const HPRID_AUTH: &str = "hprid-SECRET-session-4410";
/// An OTP that fails validation.
pub const BAD_OTP: &str = "98765x";
/// The API key of the tests that do not look at it.
pub const KEY: &str = "k";

/// Values (and telling fragments of them) that no `Debug`, `Display` or log output may contain.
/// `TXN` is absent only in full: [`TXN_HEAD`] may be shown.
pub const NEVER_PRINTED: &[&str] = &[
    AADHAAR,
    OTP,
    MOBILE_OTP,
    MOBILE,
    PASSWORD,
    EMAIL,
    HPR_ID,
    HPR_ID_NUMBER,
    ADDRESS,
    "Station",
    "Ghaziabad",
    "Uttar Pradesh",
    "1988",
    TXN,
    TOKEN,
    "eyJhbGciOi",
    "/9j/4AAQ",
    API_KEY,
    HPRID_AUTH,
];

/// A valid create-HPR-ID input from the values above: no middle name, no photo, state code 9.
pub fn create_input() -> CreateHprIdInput {
    CreateHprIdInput {
        address: Some(ADDRESS.into()),
        day_of_birth: Some("15".into()),
        district_code: Some(DISTRICT_CODE.into()),
        email: Some(EMAIL.into()),
        first_name: Some(FIRST.into()),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        hpr_id: Some(HPR_ID.into()),
        last_name: Some(LAST.into()),
        middle_name: None,
        month_of_birth: Some("08".into()),
        password: Some(PASSWORD.into()),
        pincode: Some(PINCODE.into()),
        profile_photo: None,
        state_code: Some("9".into()),
        txn_id: Some(TXN.into()),
        year_of_birth: Some("1988".into()),
    }
}

/// The 5 create fields only the caller can supply (category 1, sub-category 1) as typed input;
/// the session fills in the rest.
pub fn caller_create_input(hpr_id: &str, email: &str) -> CreateHprIdInput {
    CreateHprIdInput {
        hpr_id: Some(hpr_id.into()),
        password: Some(PASSWORD.into()),
        email: Some(email.into()),
        hp_category_code: Some("1".into()),
        hp_sub_category_code: Some("1".into()),
        ..Default::default()
    }
}

/// A valid Aadhaar number, parsed.
pub fn aadhaar(s: &str) -> Aadhaar {
    Aadhaar::parse(s).unwrap()
}

/// A valid OTP, parsed.
pub fn otp(s: &str) -> Otp {
    Otp::parse(s).unwrap()
}

/// A valid mobile number, parsed.
pub fn mobile(s: &str) -> Mobile {
    Mobile::parse(s).unwrap()
}

/// Verifies `code` with the session's typed method for `step`, the Aadhaar or the mobile OTP.
pub async fn verify_otp<A: RegistryApi>(
    session: &mut RegistrationSession,
    api: &A,
    step: Operation,
    code: &str,
) -> abdm_hpr::Result<StepOutcome> {
    match step {
        Operation::VerifyAadhaarOtp => session.verify_aadhaar_otp(api, &otp(code)).await,
        Operation::VerifyMobileOtp => session.verify_mobile_otp(api, &otp(code)).await,
        other => panic!("{other} verifies no OTP"),
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures and JSON

/// The text of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("fixture {} unreadable: {e}", file.display()))
}

/// `tests/fixtures/<name>` as a JSON value.
pub fn fixture_value(name: &str) -> Value {
    value(&fixture(name))
}

/// `tests/fixtures/<name>` decoded into `T` as the gateway adapter decodes a 200 answer.
pub fn decoded<T: abdm_hpr::gateway::FromGateway>(name: &str) -> T {
    T::from_gateway(200, fixture(name).as_bytes())
        .unwrap_or_else(|e| panic!("fixture {name} does not decode: {e}"))
}

pub fn value(json: &str) -> Value {
    serde_json::from_str(json).expect("valid JSON")
}

/// Top-level keys of a JSON object in the order they appear in the text, escapes kept as written
/// (serde_json's `Value` sorts keys, so order is checked on the raw text).
pub fn keys_in_order(json: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let (mut depth, mut in_str, mut esc, mut expect_key, mut capturing) =
        (0usize, false, false, false, false);
    let mut current = String::new();
    for c in json.chars() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
                if capturing {
                    keys.push(std::mem::take(&mut current));
                    capturing = false;
                }
                continue;
            }
            if capturing {
                current.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                capturing = depth == 1 && expect_key;
                expect_key = false;
            }
            '{' | '[' => {
                depth += 1;
                expect_key = depth == 1 && c == '{';
            }
            '}' | ']' => depth -= 1,
            ',' => expect_key = depth == 1,
            _ => {}
        }
    }
    keys
}

// ---------------------------------------------------------------------------------------------
// Client and mock registry

/// A builder for `base_url` with `api_key`; add options, then `build()`.
pub fn builder(base_url: impl Into<String>, api_key: &str) -> GatewayClientBuilder {
    GatewayClient::builder().base_url(base_url).api_key(api_key)
}

/// A client for `server` (its root as the base URL) with the plain [`KEY`].
pub fn client(server: &MockServer) -> GatewayClient {
    builder(server.uri(), KEY)
        .build()
        .expect("a loopback http client builds")
}

/// `POST <base_path><op's path>` answered with `template`; add `.expect(n)` etc., then mount it.
pub fn operation_mock(base_path: &str, op: Operation, template: ResponseTemplate) -> Mock {
    Mock::given(method("POST"))
        .and(path(format!("{base_path}{}", abdm_hpr::gateway::path(op))))
        .respond_with(template)
}

/// Answers every `POST <op's path>` on `server` with `template`.
pub async fn mount(server: &MockServer, op: Operation, template: ResponseTemplate) {
    operation_mock("", op, template).mount(server).await;
}

/// `status` with `body` as raw `application/json` bytes.
pub fn json_response(status: u16, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

/// A validated request together with the client method that sends it, so one helper can serve
/// and send any operation.
pub trait Call {
    /// The operation the request is for.
    const OP: Operation;
    /// What the client decodes the answer into.
    type Response: Debug;
    /// Sends the request with the client's method for [`Self::OP`].
    fn send(
        &self,
        client: &GatewayClient,
    ) -> impl Future<Output = abdm_hpr::Result<Self::Response>>;
}

macro_rules! calls {
    ($($request:ty => $op:ident, $method:ident -> $response:ty;)*) => {$(
        impl Call for $request {
            const OP: Operation = Operation::$op;
            type Response = $response;
            fn send(
                &self,
                client: &GatewayClient,
            ) -> impl Future<Output = abdm_hpr::Result<$response>> {
                client.$method(self)
            }
        }
    )*};
}

calls! {
    GenerateAadhaarOtpRequest => GenerateAadhaarOtp, generate_aadhaar_otp -> GenerateAadhaarOtpResponse;
    VerifyAadhaarOtpRequest => VerifyAadhaarOtp, verify_aadhaar_otp -> VerifyAadhaarOtpResponse;
    CheckAccountExistRequest => CheckAccountExist, check_account_exist -> AccountCheck;
    DemographicAuthRequest => DemographicAuthViaMobile, demographic_auth_via_mobile -> DemographicAuthResponse;
    GenerateMobileOtpRequest => GenerateMobileOtp, generate_mobile_otp -> MobileOtpResponse;
    VerifyMobileOtpRequest => VerifyMobileOtp, verify_mobile_otp -> MobileOtpResponse;
    HprIdSuggestionRequest => GetHprIdSuggestion, get_hpr_id_suggestion -> HprIdSuggestions;
    CreateHprIdRequest => CreateHprIdWithPreverified, create_hpr_id_with_preverified -> CreateHprIdResponse;
}

// ---------------------------------------------------------------------------------------------
// Trace capture

/// An in-memory `tracing_subscriber` writer.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("UTF-8 log output")
    }

    /// A TRACE-level fmt subscriber writing into this buffer, with `span_events`.
    pub fn subscriber(&self, span_events: FmtSpan) -> impl tracing::Subscriber + Send + Sync {
        tracing_subscriber::fmt()
            // timestamps can contain any digit run (e.g. `.198807Z`), which would make the
            // "no birth year in the log" assertions flaky
            .without_time()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(span_events)
            .with_writer(self.clone())
            .finish()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// Fails if `text` contains any of `secrets`.
#[track_caller]
pub fn assert_absent(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "`{secret}` must not appear in: {text}"
        );
    }
}

/// Fails if the `Display` or the `Debug` form of `value` contains any of `secrets`.
#[track_caller]
pub fn assert_never_printed<T: Display + Debug>(value: &T, secrets: &[&str]) {
    for text in [value.to_string(), format!("{value:?}")] {
        assert_absent(&text, secrets);
    }
}
