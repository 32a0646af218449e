//! The registration flow end to end against the real offline simulator (`hpr-sandbox`) over
//! loopback HTTP through [`GatewayClient`]: both demographic branches with the typed methods, a
//! whole run through `run(step, json)` driven by the hints alone, an existing account, a wrong
//! OTP, and resuming a serialized session in a "new process".

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use abdm_hpr::flow::{RegistrationSession, Stage, Step, StepOutcome};
use abdm_hpr::{Error, GatewayClient};
use common::{
    KEY, PASSWORD, aadhaar, assert_absent, builder, caller_create_input, mobile, otp, verify_otp,
};
use hpr_sandbox::{OtpKind, RunningSandbox, Sandbox, SandboxConfig, SmsOutput};
use serde_json::{Value, json};

/// Valid synthetic Aadhaar numbers (CONTRACT §5.1 examples).
const AADHAAR_1: &str = "234123412346";
const AADHAAR_2: &str = "498765432102";
const AADHAAR_3: &str = "987654321012";
/// The OTP the sandbox sends every time.
const OTP: &str = "123456";
/// An OTP the sandbox never sends.
const WRONG_OTP: &str = "000000";
const EMAIL: &str = "professional@example.com";

struct Harness {
    running: RunningSandbox,
    client: GatewayClient,
}

async fn start() -> Harness {
    let running = Sandbox::new(SandboxConfig {
        seed: Some(1),
        fixed_otp: Some(OTP.into()),
        sms: SmsOutput::Silent,
        ..Default::default()
    })
    .expect("a valid sandbox config")
    .start("127.0.0.1:0".parse().unwrap())
    .await
    .expect("the sandbox listens on loopback");
    let client = client_for(&running);
    Harness { running, client }
}

fn client_for(running: &RunningSandbox) -> GatewayClient {
    builder(running.base_url(), KEY)
        .build()
        .expect("a loopback client builds")
}

impl Harness {
    /// A valid mobile that is not the linked mobile of `aadhaar` in the sandbox.
    fn other_mobile(&self, aadhaar: &str) -> String {
        let linked = self
            .running
            .identity(aadhaar)
            .expect("a valid Aadhaar has an identity")
            .mobile;
        let candidate = "9988776655";
        if linked == candidate {
            "9988776644".to_owned()
        } else {
            candidate.to_owned()
        }
    }

    /// A new session through steps 1–2 (the typed methods) for `aadhaar_number`.
    async fn aadhaar_verified(&self, aadhaar_number: &str) -> RegistrationSession {
        let mut session = RegistrationSession::new();
        session
            .generate_aadhaar_otp(&self.client, &aadhaar(aadhaar_number))
            .await
            .unwrap();
        session
            .verify_aadhaar_otp(&self.client, &otp(OTP))
            .await
            .unwrap();
        session
    }
}

/// The first suggestion of a step-7 outcome.
fn first_suggestion(out: &StepOutcome) -> String {
    let list = out.data.as_array().expect("suggestions are a JSON array");
    assert!(!list.is_empty(), "no suggestions");
    assert!(list.iter().all(Value::is_string), "{list:?}");
    list[0].as_str().unwrap().to_owned()
}

/// Serializes the session, checks that no secret is in it, and reads it back.
#[track_caller]
fn reload(session: &RegistrationSession, aadhaar: &str, tokens: &[String]) -> RegistrationSession {
    let text = serde_json::to_string(session).unwrap();
    assert_absent(
        &text,
        &[
            aadhaar,
            &format!("\"{OTP}\""),
            &format!("\"{WRONG_OTP}\""),
            PASSWORD,
        ],
    );
    for token in tokens {
        assert_absent(&text, &[token]);
    }
    let back: RegistrationSession = serde_json::from_str(&text).expect("the session reads back");
    assert_eq!(&back, session);
    back
}

/// The token in an outcome's data, if any.
fn token(out: &StepOutcome) -> Option<String> {
    out.data["token"].as_str().map(str::to_owned)
}

/// Sends the wrong OTP for `step` (the typed method): refused with HIS-1013, the session
/// unchanged. Returns the error.
async fn refuse_wrong_otp(session: &mut RegistrationSession, h: &Harness, step: Step) -> Error {
    let before = serde_json::to_string(&*session).unwrap();
    let err = verify_otp(session, &h.client, step, WRONG_OTP)
        .await
        .unwrap_err();
    assert_eq!(err.api_code(), Some("HIS-1013"), "{err}");
    assert_eq!(serde_json::to_string(&*session).unwrap(), before);
    err
}

/// Runs steps 1–3 for an Aadhaar whose account exists and checks the outcome.
async fn expect_existing(h: &Harness, aadhaar_number: &str, hpr_id: &str, hpr_id_number: &str) {
    let mut session = h.aadhaar_verified(aadhaar_number).await;
    let out = session.check_account_exist(&h.client).await.unwrap();
    assert_eq!(
        out.message,
        "An HPR account already exists for this user. The registration flow is complete."
    );
    assert_eq!(out.next_step, None);
    assert_eq!(out.next_step_payload_hint, None);
    assert_eq!(session.stage(), Stage::Completed);
    let result = session.result().expect("a result");
    assert!(result.existing);
    assert_eq!(result.hpr_id, hpr_id);
    assert_eq!(result.hpr_id_number, hpr_id_number);
    let tokens: Vec<String> = token(&out).into_iter().collect();
    reload(&session, aadhaar_number, &tokens);
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_linked_mobile_registers_without_a_mobile_otp_then_the_account_exists() {
    let h = start().await;
    let identity = h.running.identity(AADHAAR_1).unwrap();
    let mut session = RegistrationSession::new();

    let out = session
        .generate_aadhaar_otp(&h.client, &aadhaar(AADHAAR_1))
        .await
        .unwrap();
    assert_eq!(out.next_step, Some(Step::VerifyAadhaarOtp));
    assert_eq!(
        session.linked_mobile(),
        Some(identity.masked_mobile().as_str())
    );
    let txn = session.txn_id().unwrap().as_str().to_owned();
    let sent = h.running.latest_otp(&txn).expect("an OTP was sent");
    assert_eq!((sent.otp.as_str(), sent.kind), (OTP, OtpKind::Aadhaar));

    let out = session
        .verify_aadhaar_otp(&h.client, &otp(OTP))
        .await
        .unwrap();
    assert_eq!(out.next_step, Some(Step::CheckAccountExist));
    assert_eq!(out.data["mobileNumber"], identity.masked_mobile());
    assert_eq!(out.data["birthDate"], identity.birth_date());
    assert_eq!(out.data["profilePhoto"], identity.photo);

    let out = session.check_account_exist(&h.client).await.unwrap();
    assert_eq!(out.next_step, Some(Step::DemographicAuthViaMobile));
    assert_eq!(session.stage(), Stage::NewAccount);
    let mut tokens: Vec<String> = token(&out).into_iter().collect();

    let out = session
        .demographic_auth_via_mobile(&h.client, &mobile(&identity.mobile))
        .await
        .unwrap();
    assert_eq!(
        out.message,
        "Mobile number matches the Aadhaar-linked mobile; mobile OTP not needed. Proceed to get HPR ID suggestions."
    );
    assert_eq!(out.next_step, Some(Step::GetHprIdSuggestion));
    assert_eq!(session.stage(), Stage::MobileVerified);

    let out = session.get_hpr_id_suggestion(&h.client).await.unwrap();
    assert_eq!(out.next_step, Some(Step::CreateHprIdWithPreverified));
    // the sandbox's account check carries every demographic: only the caller's 5 fields remain
    assert_eq!(
        out.next_step_payload_hint.as_ref().unwrap().required_fields,
        [
            "hprId",
            "password",
            "email",
            "hpCategoryCode",
            "hpSubCategoryCode"
        ]
    );
    let username = first_suggestion(&out);

    let out = session
        .create_hpr_id(&h.client, caller_create_input(&username, EMAIL))
        .await
        .unwrap();
    assert_eq!(
        out.message,
        "HPR ID created successfully. Registration complete."
    );
    assert_eq!((out.next_step, &out.next_step_payload_hint), (None, &None));
    tokens.extend(token(&out));
    assert_eq!(session.stage(), Stage::Completed);
    let result = session.result().expect("a result").clone();
    assert!(!result.existing);
    assert_eq!(result.hpr_id, format!("{username}@hpr.abdm"));
    assert_eq!(out.data["firstName"], identity.first_name);
    assert_eq!(out.data["mobile"], identity.mobile);
    reload(&session, AADHAAR_1, &tokens);

    let accounts = h.running.accounts();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].aadhaar, AADHAAR_1);
    assert_eq!(accounts[0].hpr_id, result.hpr_id);
    assert_eq!(accounts[0].hpr_id_number, result.hpr_id_number);

    // a second registration for the same Aadhaar finds the account
    expect_existing(&h, AADHAAR_1, &result.hpr_id, &result.hpr_id_number).await;
    h.running.shutdown().await;
}

#[tokio::test]
async fn another_mobile_is_proven_by_otp_then_the_account_exists() {
    let h = start().await;
    let other = h.other_mobile(AADHAAR_2);
    let mut session = h.aadhaar_verified(AADHAAR_2).await;
    session.check_account_exist(&h.client).await.unwrap();

    let out = session
        .demographic_auth_via_mobile(&h.client, &mobile(&other))
        .await
        .unwrap();
    assert_eq!(
        out.message,
        "Mobile number does not match the Aadhaar-linked mobile. Proceed to generate a mobile OTP."
    );
    assert_eq!(out.next_step, Some(Step::GenerateMobileOtp));
    assert_eq!(session.stage(), Stage::MobileUnverified);

    // creating now would be refused locally: the mobile is not proven
    let err = session
        .create_hpr_id(&h.client, caller_create_input("too.early", EMAIL))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Flow { .. }), "{err:?}");

    // no mobile given: the demographic-auth one gets the OTP
    let out = session.generate_mobile_otp(&h.client, None).await.unwrap();
    assert_eq!(out.next_step, Some(Step::VerifyMobileOtp));
    let txn = session.txn_id().unwrap().as_str().to_owned();
    let sent = h.running.latest_otp(&txn).expect("a mobile OTP was sent");
    assert_eq!(sent.kind, OtpKind::Mobile);

    let out = session
        .verify_mobile_otp(&h.client, &otp(OTP))
        .await
        .unwrap();
    assert_eq!(out.next_step, Some(Step::GetHprIdSuggestion));
    assert_eq!(session.stage(), Stage::MobileVerified);

    let out = session.get_hpr_id_suggestion(&h.client).await.unwrap();
    let username = first_suggestion(&out);
    let out = session
        .create_hpr_id(&h.client, caller_create_input(&username, EMAIL))
        .await
        .unwrap();
    assert_eq!(out.next_step, None);
    // the number proven by OTP is the account's mobile
    assert_eq!(out.data["mobile"], other);
    let result = session.result().expect("a result").clone();
    assert!(!result.existing);
    assert_eq!(result.hpr_id, format!("{username}@hpr.abdm"));
    assert_eq!(h.running.accounts().len(), 1);

    expect_existing(&h, AADHAAR_2, &result.hpr_id, &result.hpr_id_number).await;
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_whole_registration_through_run_driven_by_the_hints() {
    let h = start().await;
    let other = h.other_mobile(AADHAAR_3);
    let mut session = RegistrationSession::new();

    let mut out = session
        .run(
            &h.client,
            "GENERATE_AADHAAR_OTP".parse().unwrap(),
            json!({"aadhaar": AADHAAR_3}),
        )
        .await
        .unwrap();
    let mut ran = vec![Step::GenerateAadhaarOtp];
    let mut suggestion = None;
    // each payload holds exactly the hint's required fields, nothing the session knows
    while let Some(step) = out.next_step {
        let hint = out.next_step_payload_hint.clone().expect("a hint");
        let mut payload = serde_json::Map::new();
        for field in &hint.required_fields {
            let value = match field.as_str() {
                "otp" => OTP.to_owned(),
                "mobileNumber" => other.clone(),
                "hprId" => suggestion.clone().expect("suggestions came first"),
                "password" => PASSWORD.to_owned(),
                "email" => EMAIL.to_owned(),
                "hpCategoryCode" => "2".to_owned(),
                "hpSubCategoryCode" => "8".to_owned(),
                other => panic!("{step}: unexpected required field {other}"),
            };
            payload.insert(field.clone(), json!(value));
        }
        out = session
            .run(&h.client, step, Value::Object(payload))
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        if step == Step::GetHprIdSuggestion {
            suggestion = Some(first_suggestion(&out));
        }
        ran.push(step);
    }
    assert_eq!(ran, Step::ALL);
    assert_eq!(session.stage(), Stage::Completed);
    let result = session.result().expect("a result");
    assert!(!result.existing);
    assert_eq!(
        result.hpr_id,
        format!("{}@hpr.abdm", suggestion.as_deref().unwrap())
    );
    assert_eq!(out.data["categoryId"], 2);
    assert_eq!(out.data["subCategoryId"], 8);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_wrong_otp_then_the_right_one() {
    let h = start().await;
    let other = h.other_mobile(AADHAAR_1);
    let mut session = RegistrationSession::new();
    session
        .generate_aadhaar_otp(&h.client, &aadhaar(AADHAAR_1))
        .await
        .unwrap();

    let err = refuse_wrong_otp(&mut session, &h, Step::VerifyAadhaarOtp).await;
    assert_eq!(err.status(), Some(422));
    assert_eq!(session.stage(), Stage::AadhaarOtpSent);
    session
        .verify_aadhaar_otp(&h.client, &otp(OTP))
        .await
        .unwrap();
    assert_eq!(session.stage(), Stage::AadhaarVerified);

    // the same with the mobile OTP
    session.check_account_exist(&h.client).await.unwrap();
    session
        .demographic_auth_via_mobile(&h.client, &mobile(&other))
        .await
        .unwrap();
    session.generate_mobile_otp(&h.client, None).await.unwrap();
    refuse_wrong_otp(&mut session, &h, Step::VerifyMobileOtp).await;
    assert_eq!(session.stage(), Stage::MobileOtpSent);
    session
        .verify_mobile_otp(&h.client, &otp(OTP))
        .await
        .unwrap();
    assert_eq!(session.stage(), Stage::MobileVerified);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_serialized_session_resumes_mid_flow() {
    let h = start().await;
    let other = h.other_mobile(AADHAAR_2);
    let mut tokens = Vec::new();

    // "process 1": up to the demographic check, then the session is saved as text
    let saved = {
        let mut session = h.aadhaar_verified(AADHAAR_2).await;
        let out = session.check_account_exist(&h.client).await.unwrap();
        tokens.extend(token(&out));
        session
            .demographic_auth_via_mobile(&h.client, &mobile(&other))
            .await
            .unwrap();
        reload(&session, AADHAAR_2, &tokens);
        serde_json::to_string(&session).unwrap()
    };

    // "process 2": a new client and a session read from the text
    let client = client_for(&h.running);
    let mut session: RegistrationSession = serde_json::from_str(&saved).unwrap();
    assert_eq!(session.stage(), Stage::MobileUnverified);
    assert_eq!(session.next_step(), Some(Step::GenerateMobileOtp));
    // the mobile for the OTP comes from the saved session
    session.generate_mobile_otp(&client, None).await.unwrap();
    let txn = session.txn_id().unwrap().as_str().to_owned();
    assert_eq!(h.running.latest_otp(&txn).unwrap().kind, OtpKind::Mobile);
    let saved = serde_json::to_string(&reload(&session, AADHAAR_2, &tokens)).unwrap();

    // "process 3"
    let mut session: RegistrationSession = serde_json::from_str(&saved).unwrap();
    session.verify_mobile_otp(&client, &otp(OTP)).await.unwrap();
    let mut session = reload(&session, AADHAAR_2, &tokens);
    let out = session.get_hpr_id_suggestion(&client).await.unwrap();
    let username = first_suggestion(&out);
    let mut session = reload(&session, AADHAAR_2, &tokens);
    // the saved demographics fill the create request
    let out = session
        .create_hpr_id(&client, caller_create_input(&username, EMAIL))
        .await
        .unwrap();
    tokens.extend(token(&out));
    assert_eq!(out.data["mobile"], other);
    assert_eq!(session.stage(), Stage::Completed);
    reload(&session, AADHAAR_2, &tokens);
    assert_eq!(h.running.accounts().len(), 1);
    h.running.shutdown().await;
}
