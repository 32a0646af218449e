#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The field descriptors of every hint ("what to ask next" as data): a snapshot per stage, the
//! invariant tying them to `required_fields`, and that no descriptor ever carries back the
//! Aadhaar number, an OTP or the password.
//!
//! Snapshots are committed JSON files under `tests/snapshots/fields/`, compared exactly. After a
//! deliberate change, regenerate them with `UPDATE_SNAPSHOTS=1 cargo test -p abdm-hpr --test
//! flow_fields` and review the diff.

mod common;

use std::collections::BTreeSet;
use std::future::ready;
use std::path::PathBuf;

use abdm_hpr::Error;
use abdm_hpr::backend::{BoxFuture, RegistryBackend, Request, Response};
use abdm_hpr::flow::{PayloadHint, RegistrationSession, Stage, Step};
use abdm_hpr::types::{
    CheckAccountExistInput, CreateHprIdInput, DemographicAuthInput, GenerateAadhaarOtpInput,
    GenerateMobileOtpInput, HprIdSuggestionInput, VerifyAadhaarOtpInput, VerifyMobileOtpInput,
};
use common::{AADHAAR, HPR_ID, MOBILE, MOBILE_OTP, OTP, PASSWORD, fixture_value};
use serde_json::{Value, json};

/// A registry answering every call with its golden fixture.
#[derive(Debug)]
struct Fixtures {
    /// The account-check fixture.
    account: &'static str,
    /// Whether demographic auth matches the linked mobile.
    verified: bool,
}

impl Fixtures {
    /// The golden fixture `step` answers with.
    fn fixture(&self, step: Step) -> &'static str {
        match step {
            Step::GenerateAadhaarOtp => "a1_generate_aadhaar_otp.response.json",
            Step::VerifyAadhaarOtp => "a2_verify_aadhaar_otp.peer.response.json",
            Step::CheckAccountExist => self.account,
            Step::DemographicAuthViaMobile if self.verified => {
                "a4_demographic_auth.verified.response.json"
            }
            Step::DemographicAuthViaMobile => "a4_demographic_auth.not_verified.response.json",
            Step::GenerateMobileOtp => "a5_generate_mobile_otp.response.json",
            Step::VerifyMobileOtp => "a6_verify_mobile_otp.response.json",
            Step::GetHprIdSuggestion => "a7_hpr_id_suggestion.response.json",
            Step::CreateHprIdWithPreverified => "a8_create_hpr_id.response.json",
        }
    }
}

/// Answers every request with its fixture, decoded as the gateway client decodes it.
impl RegistryBackend for Fixtures {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
        let step = request.step();
        let body = fixture_value(self.fixture(step)).to_string();
        Box::pin(ready(abdm_hpr::gateway::decode_response(
            step,
            200,
            body.as_bytes(),
        )))
    }
}

fn payload_for(step: Step) -> Value {
    match step {
        Step::GenerateAadhaarOtp => json!({"aadhaar": AADHAAR}),
        Step::VerifyAadhaarOtp => json!({"otp": OTP}),
        Step::DemographicAuthViaMobile => json!({"mobileNumber": MOBILE}),
        Step::VerifyMobileOtp => json!({"otp": MOBILE_OTP}),
        _ => json!({}),
    }
}

/// The mobile is proven by OTP on this path.
const UNVERIFIED_PATH: [Step; 6] = [
    Step::GenerateAadhaarOtp,
    Step::VerifyAadhaarOtp,
    Step::CheckAccountExist,
    Step::DemographicAuthViaMobile,
    Step::GenerateMobileOtp,
    Step::VerifyMobileOtp,
];

/// Each stage with a hint, the snapshot name, the steps leading there, the account fixture and
/// whether the mobile is the linked one.
fn cases() -> Vec<(Stage, &'static str, Vec<Step>, &'static str, bool)> {
    let new = "a3_check_account_exist.new.response.json";
    let sparse = "a3_check_account_exist.new_missing.response.json";
    let first = |n: usize| UNVERIFIED_PATH[..n].to_vec();
    let verified_to_suggestions = vec![
        Step::GenerateAadhaarOtp,
        Step::VerifyAadhaarOtp,
        Step::CheckAccountExist,
        Step::DemographicAuthViaMobile,
        Step::GetHprIdSuggestion,
    ];
    vec![
        (Stage::Start, "start", first(0), new, false),
        (
            Stage::AadhaarOtpSent,
            "aadhaar_otp_sent",
            first(1),
            new,
            false,
        ),
        (
            Stage::AadhaarVerified,
            "aadhaar_verified",
            first(2),
            new,
            false,
        ),
        (Stage::NewAccount, "new_account", first(3), new, false),
        (
            Stage::MobileUnverified,
            "mobile_unverified",
            first(4),
            new,
            false,
        ),
        (
            Stage::MobileOtpSent,
            "mobile_otp_sent",
            first(5),
            new,
            false,
        ),
        (
            Stage::MobileVerified,
            "mobile_verified",
            first(6),
            new,
            false,
        ),
        (
            Stage::SuggestionsReady,
            "suggestions_ready",
            verified_to_suggestions.clone(),
            new,
            true,
        ),
        // the account check lacked most demographics: they become required, with no value
        (
            Stage::SuggestionsReady,
            "suggestions_ready_sparse",
            verified_to_suggestions,
            sparse,
            true,
        ),
    ]
}

/// Every case's session, driven there through the fixtures, with its fake.
async fn sessions() -> Vec<(&'static str, RegistrationSession, Fixtures)> {
    let mut out = Vec::new();
    for (stage, name, steps, account, verified) in cases() {
        let fake = Fixtures { account, verified };
        let mut session = RegistrationSession::new();
        for step in steps {
            session
                .run(&fake, step, payload_for(step))
                .await
                .unwrap_or_else(|e| panic!("{name}: {step} failed: {e}"));
        }
        assert_eq!(session.stage(), stage, "{name}");
        out.push((name, session, fake));
    }
    out
}

fn hint(name: &str, session: &RegistrationSession) -> PayloadHint {
    session.hint().unwrap_or_else(|| panic!("{name}: no hint"))
}

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/fields")
        .join(format!("{name}.json"))
}

#[tokio::test]
async fn every_stage_describes_its_fields_as_in_the_snapshot() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for (name, session, _) in sessions().await {
        let hint = hint(name, &session);
        let snapshot = json!({
            "next_step": session.next_step(),
            "required_fields": hint.required_fields,
            "fields": hint.fields,
        });
        let text = format!("{}\n", serde_json::to_string_pretty(&snapshot).unwrap());
        let path = snapshot_path(name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SNAPSHOTS=1)", path.display()));
        if committed != text {
            stale.push(format!("--- {} ---\n{text}", path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (UPDATE_SNAPSHOTS=1 regenerates them):\n{}",
        stale.join("\n")
    );
}

/// The wire names the step's input type accepts.
fn input_fields(step: Step) -> &'static [&'static str] {
    match step {
        Step::GenerateAadhaarOtp => GenerateAadhaarOtpInput::FIELDS,
        Step::VerifyAadhaarOtp => VerifyAadhaarOtpInput::FIELDS,
        Step::CheckAccountExist => CheckAccountExistInput::FIELDS,
        Step::DemographicAuthViaMobile => DemographicAuthInput::FIELDS,
        Step::GenerateMobileOtp => GenerateMobileOtpInput::FIELDS,
        Step::VerifyMobileOtp => VerifyMobileOtpInput::FIELDS,
        Step::GetHprIdSuggestion => HprIdSuggestionInput::FIELDS,
        Step::CreateHprIdWithPreverified => CreateHprIdInput::FIELDS,
    }
}

#[tokio::test]
async fn required_fields_are_exactly_the_required_descriptors_without_a_value() {
    for (name, session, _) in sessions().await {
        let hint = hint(name, &session);
        let missing: Vec<&str> = hint
            .fields
            .iter()
            .filter(|f| f.required && f.value.is_none())
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(hint.required_fields, missing, "{name}");

        // one descriptor per input the step accepts, and the peer's lists agree with them
        let described: BTreeSet<&str> = hint.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(described.len(), hint.fields.len(), "{name}: a field twice");
        let step = session.next_step().unwrap();
        let accepted: BTreeSet<&str> = input_fields(step).iter().copied().collect();
        assert_eq!(described, accepted, "{name}");
        let listed: BTreeSet<&str> = hint
            .required_fields
            .iter()
            .chain(&hint.prefilled)
            .chain(&hint.optional_fields)
            .map(String::as_str)
            .collect();
        assert_eq!(listed, described, "{name}");
        for field in &hint.fields {
            assert_eq!(
                field.value.is_some(),
                hint.prefilled.contains(&field.name),
                "{name}: {}",
                field.name
            );
            assert!(!field.label.is_empty() && !field.help.is_empty());
            assert!(hint.source_of_data.contains_key(&field.name));
        }
    }
}

#[tokio::test]
async fn no_descriptor_ever_carries_the_aadhaar_an_otp_or_the_password() {
    for (name, mut session, fake) in sessions().await {
        // a create refused locally (a bad e-mail) must not leave the password anywhere either
        if session.stage() == Stage::SuggestionsReady {
            let payload = json!({"hprId": HPR_ID, "password": PASSWORD, "email": "not-an-email",
                "hpCategoryCode": "1", "hpSubCategoryCode": "1"});
            let refused = session
                .run(&fake, Step::CreateHprIdWithPreverified, payload)
                .await;
            assert!(matches!(refused, Err(Error::Validation(_))), "{name}");
        }
        let hint = hint(name, &session);
        for field in &hint.fields {
            let value = field
                .value
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default();
            for secret in [AADHAAR, PASSWORD] {
                assert!(
                    !value.contains(secret),
                    "{name}: {} carries a secret",
                    field.name
                );
            }
            // (the synthetic mobile happens to contain the synthetic mobile OTP's digits)
            for otp in [OTP, MOBILE_OTP] {
                assert_ne!(field.value, Some(json!(otp)), "{name}: {}", field.name);
            }
            if field.secret || field.name == "aadhaar" {
                assert_eq!(field.value, None, "{name}: {}", field.name);
            }
        }
        // and nowhere else in the hint either
        let whole = serde_json::to_string(&hint).unwrap();
        for secret in [AADHAAR, PASSWORD, "not-an-email"] {
            assert!(!whole.contains(secret), "{name}");
        }
    }
}

#[tokio::test]
async fn a_prefilled_mobile_is_the_one_the_caller_gave() {
    let (_, session, _) = sessions()
        .await
        .into_iter()
        .find(|(name, ..)| *name == "mobile_unverified")
        .unwrap();
    let hint = hint("mobile_unverified", &session);
    let mobile = hint.field("mobile").unwrap();
    assert_eq!(mobile.value, Some(json!(MOBILE)));
    assert!(!hint.required_fields.contains(&"mobile".to_owned()));
}
