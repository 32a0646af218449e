//! The guided registration flow (`abdm_hpr::flow`, CONTRACT §1 and §6) against a scripted
//! in-memory registry: the whole transition table, both demographic branches with their messages,
//! hints and data, the outcome's JSON shape, create prefill and overrides, payload validation,
//! retries, resume from JSON, txnId threading, resends, step-id parsing and redaction.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::future::ready;
use std::sync::Mutex;

use abdm_hpr::backend::{BoxFuture, RegistryBackend, Request as Call, Response};
use abdm_hpr::error::RequestSent;
use abdm_hpr::flow::{RegistrationSession, SESSION_VERSION, Stage, Step, StepOutcome};
use abdm_hpr::types::{CreateHprIdInput, Rule, ValidationErrors};
use abdm_hpr::{ApiError, Error};
use common::{
    AADHAAR, BAD_OTP, EMAIL, FIXTURE_PHOTO, HPR_ID, HPR_ID_NUMBER, MASKED_MOBILE, MOBILE,
    MOBILE_OTP, NEVER_PRINTED, OTP, PASSWORD, TXN, aadhaar, assert_absent, assert_never_printed,
    caller_create_input, fixture, fixture_value, mobile, otp, verify_otp,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// The scripted registry

/// The account-check fixture of a new account with every demographic.
const NEW_ACCOUNT: &str = "a3_check_account_exist.new.response.json";
/// The account-check fixture of an existing account.
const EXISTING_ACCOUNT: &str = "a3_check_account_exist.existing.response.json";
/// The account-check fixture of a new account with only the names.
const NEW_ACCOUNT_SPARSE: &str = "a3_check_account_exist.new_missing.response.json";
/// The HPR ID the create fixture answers with.
const FULL_HPR_ID: &str = "asha.verma@hpr.abdm";
/// The token prefix every fixture token starts with.
const FIXTURE_TOKEN: &str = "eyJhbGciOi";
/// A mobile that differs from [`MOBILE`].
const OTHER_MOBILE: &str = "9988776655";

/// How the next call fails.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// A 422 HIS-1013 "Incorrect OTP entered" (the HIS envelope fixture).
    WrongOtp,
    /// The connection broke after the request may have been sent.
    Transport,
}

struct Script {
    /// Every call received, with its request as sent on the wire.
    calls: Vec<(Step, Value)>,
    fail_next: Option<Failure>,
    /// One-shot answers that replace the default fixture.
    once: HashMap<Step, VecDeque<Value>>,
    /// The account-check fixture.
    account: &'static str,
    /// What demographic auth answers.
    verified: bool,
}

/// An in-memory [`RegistryBackend`] answering with the golden fixtures.
struct Fake(Mutex<Script>);

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fake")
    }
}

impl Fake {
    /// A registry where the account is new and the mobile is not the linked one.
    fn new() -> Self {
        Fake(Mutex::new(Script {
            calls: Vec::new(),
            fail_next: None,
            once: HashMap::new(),
            account: NEW_ACCOUNT,
            verified: false,
        }))
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.0.lock().unwrap()
    }

    fn with_account(self, fixture: &'static str) -> Self {
        self.script().account = fixture;
        self
    }

    fn set_verified(&self, verified: bool) {
        self.script().verified = verified;
    }

    /// The next call fails with `failure` (and is still recorded: it reached the registry).
    fn fail_next(&self, failure: Failure) {
        self.script().fail_next = Some(failure);
    }

    /// The next `step` call answers `body` instead of its fixture.
    fn reply_once(&self, step: Step, body: Value) {
        self.script().once.entry(step).or_default().push_back(body);
    }

    /// The steps called so far, in order.
    fn calls(&self) -> Vec<Step> {
        self.script().calls.iter().map(|(s, _)| *s).collect()
    }

    /// The request body of the latest `step` call.
    fn last_request(&self, step: Step) -> Value {
        self.script()
            .calls
            .iter()
            .rev()
            .find(|(s, _)| *s == step)
            .map(|(_, body)| body.clone())
            .unwrap_or_else(|| panic!("{step} was never called"))
    }

    /// Fails unless the latest `step` request is the golden fixture `<name>.request.json`.
    #[track_caller]
    fn assert_sent(&self, step: Step, name: &str) {
        let golden = fixture_value(&format!("{name}.request.json"));
        assert_eq!(self.last_request(step), golden, "{step} request");
    }

    /// Fails unless the latest `step` request carried the transaction id `txn_id`.
    #[track_caller]
    fn assert_txn_sent(&self, step: Step, txn_id: &str) {
        assert_eq!(self.last_request(step)["txnId"], txn_id, "{step} txnId");
    }

    fn default_reply(script: &Script, step: Step) -> Value {
        let name = match step {
            Step::GenerateAadhaarOtp => "a1_generate_aadhaar_otp.response.json",
            Step::VerifyAadhaarOtp => "a2_verify_aadhaar_otp.peer.response.json",
            Step::CheckAccountExist => script.account,
            Step::DemographicAuthViaMobile if script.verified => {
                "a4_demographic_auth.verified.response.json"
            }
            Step::DemographicAuthViaMobile => "a4_demographic_auth.not_verified.response.json",
            Step::GenerateMobileOtp => "a5_generate_mobile_otp.response.json",
            Step::VerifyMobileOtp => "a6_verify_mobile_otp.response.json",
            Step::GetHprIdSuggestion => "a7_hpr_id_suggestion.response.json",
            Step::CreateHprIdWithPreverified => "a8_create_hpr_id.response.json",
        };
        fixture_value(name)
    }

    fn answer<Q: Serialize, R: DeserializeOwned>(
        &self,
        step: Step,
        request: &Q,
    ) -> abdm_hpr::Result<R> {
        let mut script = self.script();
        let body = serde_json::to_value(request).expect("requests serialize");
        script.calls.push((step, body));
        match script.fail_next.take() {
            Some(Failure::WrongOtp) => {
                let envelope = fixture("error.his_envelope.json");
                return Err(Error::Api {
                    operation: step,
                    error: Box::new(ApiError::from_body(422, envelope.as_bytes(), None)),
                });
            }
            Some(Failure::Transport) => {
                return Err(Error::Transport {
                    operation: step,
                    sent: RequestSent::Maybe,
                    source: Box::new(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "connection reset by peer",
                    )),
                });
            }
            None => {}
        }
        let reply = match script.once.get_mut(&step).and_then(VecDeque::pop_front) {
            Some(reply) => reply,
            None => Self::default_reply(&script, step),
        };
        Ok(serde_json::from_value(reply)
            .unwrap_or_else(|e| panic!("canned {step} reply does not decode: {e}")))
    }
}

/// Answers every request with [`Fake::answer`], decoded as the gateway client decodes it.
impl RegistryBackend for Fake {
    fn call<'a>(&'a self, request: &'a Call) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
        let step = request.step();
        let body: Value =
            serde_json::from_slice(&abdm_hpr::gateway::encode(request).unwrap()).unwrap();
        let result = self.answer::<_, Value>(step, &body).and_then(|reply| {
            abdm_hpr::gateway::decode_response(step, 200, reply.to_string().as_bytes())
        });
        Box::pin(ready(result))
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A payload each step accepts whenever the stage allows it.
fn valid_payload_for(step: Step) -> Value {
    match step {
        Step::GenerateAadhaarOtp => json!({"aadhaar": AADHAAR}),
        Step::VerifyAadhaarOtp => json!({"otp": OTP}),
        Step::CheckAccountExist => json!({}),
        Step::DemographicAuthViaMobile => json!({"mobileNumber": MOBILE}),
        Step::GenerateMobileOtp => json!({"mobile": MOBILE}),
        Step::VerifyMobileOtp => json!({"otp": MOBILE_OTP}),
        Step::GetHprIdSuggestion => json!({}),
        Step::CreateHprIdWithPreverified => caller_create_payload(),
    }
}

/// The 5 create fields only the caller can supply.
fn caller_create_payload() -> Value {
    json!({
        "hprId": HPR_ID,
        "password": PASSWORD,
        "email": EMAIL,
        "hpCategoryCode": "1",
        "hpSubCategoryCode": "1",
    })
}

/// [`caller_create_payload`] with `overrides` (an object) put over it.
fn caller_create_payload_with(overrides: Value) -> Value {
    let mut payload = caller_create_payload();
    for (key, value) in overrides.as_object().expect("overrides are an object") {
        payload[key] = value.clone();
    }
    payload
}

/// The date the date-of-birth rule is checked against.
fn today() -> time::Date {
    abdm_hpr::types::today_in_india()
}

fn snapshot(session: &RegistrationSession) -> String {
    serde_json::to_string(session).expect("a session serializes")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

/// Runs a step through the dynamic driver, panicking with the error.
async fn run(
    session: &mut RegistrationSession,
    fake: &Fake,
    step: Step,
    payload: Value,
) -> StepOutcome {
    session
        .run(fake, step, payload)
        .await
        .unwrap_or_else(|e| panic!("{step} failed: {e}"))
}

/// Runs `steps` in order, each with its [`valid_payload_for`].
async fn run_all(session: &mut RegistrationSession, fake: &Fake, steps: &[Step]) {
    for &step in steps {
        run(session, fake, step, valid_payload_for(step)).await;
    }
}

/// Runs the create step with `payload`.
async fn run_create(session: &mut RegistrationSession, fake: &Fake, payload: Value) -> StepOutcome {
    run(session, fake, Step::CreateHprIdWithPreverified, payload).await
}

/// Runs `step` with `payload`, expecting a validation error that changes nothing and sends
/// nothing.
async fn run_invalid(
    session: &mut RegistrationSession,
    fake: &Fake,
    step: Step,
    payload: Value,
) -> ValidationErrors {
    let (before, calls) = (snapshot(session), fake.calls());
    let report = validation(session.run(fake, step, payload).await);
    assert_eq!(snapshot(session), before, "{step} changed the session");
    assert_eq!(fake.calls(), calls, "{step} sent a request");
    report
}

/// Every step in order, the mobile given not being the linked one (it is proven by OTP).
static UNVERIFIED_PATH: [Step; 8] = [
    Step::GenerateAadhaarOtp,
    Step::VerifyAadhaarOtp,
    Step::CheckAccountExist,
    Step::DemographicAuthViaMobile,
    Step::GenerateMobileOtp,
    Step::VerifyMobileOtp,
    Step::GetHprIdSuggestion,
    Step::CreateHprIdWithPreverified,
];

/// The steps in order when the mobile given is the linked one: no mobile OTP.
static VERIFIED_PATH: [Step; 6] = [
    Step::GenerateAadhaarOtp,
    Step::VerifyAadhaarOtp,
    Step::CheckAccountExist,
    Step::DemographicAuthViaMobile,
    Step::GetHprIdSuggestion,
    Step::CreateHprIdWithPreverified,
];

/// The steps that lead a fresh session to `stage`, and whether the mobile is the linked one.
fn path_to(stage: Stage) -> (&'static [Step], &'static str, bool) {
    // the first `n` steps of the unverified path, for a new account
    let unverified = |n: usize| (&UNVERIFIED_PATH[..n], NEW_ACCOUNT, false);
    match stage {
        Stage::Start => unverified(0),
        Stage::AadhaarOtpSent => unverified(1),
        Stage::AadhaarVerified => unverified(2),
        Stage::NewAccount => unverified(3),
        Stage::MobileUnverified => unverified(4),
        Stage::MobileOtpSent => unverified(5),
        Stage::MobileVerified => unverified(6),
        Stage::SuggestionsReady => (&VERIFIED_PATH[..5], NEW_ACCOUNT, true),
        Stage::Completed => (&UNVERIFIED_PATH[..3], EXISTING_ACCOUNT, false),
    }
}

/// A fake and a session driven to `stage` through the fake.
async fn session_at(stage: Stage) -> (Fake, RegistrationSession) {
    let (steps, account, verified) = path_to(stage);
    let fake = Fake::new().with_account(account);
    fake.set_verified(verified);
    let mut session = RegistrationSession::new();
    run_all(&mut session, &fake, steps).await;
    assert_eq!(session.stage(), stage, "driving to {stage:?}");
    assert_eq!(fake.calls(), steps, "driving to {stage:?}");
    (fake, session)
}

fn hint(outcome: &StepOutcome) -> &abdm_hpr::flow::PayloadHint {
    outcome
        .next_step_payload_hint
        .as_ref()
        .unwrap_or_else(|| panic!("a hint after: {}", outcome.message))
}

/// The hint's required and prefilled fields, and a source for every field it names.
#[track_caller]
fn assert_hint(outcome: &StepOutcome, required: &[&str], prefilled: &[&str]) {
    let hint = hint(outcome);
    assert_eq!(
        hint.required_fields,
        strings(required),
        "{}",
        outcome.message
    );
    assert_eq!(
        set(&hint.prefilled),
        prefilled.iter().copied().collect::<BTreeSet<_>>(),
        "{}",
        outcome.message
    );
    assert!(!hint.description.is_empty());
    for field in hint
        .required_fields
        .iter()
        .chain(&hint.prefilled)
        .chain(&hint.optional_fields)
    {
        assert!(
            hint.source_of_data.contains_key(field),
            "no source for {field}"
        );
    }
}

/// The validation report of an error, or a panic naming what came instead.
#[track_caller]
fn validation(result: abdm_hpr::Result<impl std::fmt::Debug>) -> ValidationErrors {
    match result {
        Err(Error::Validation(report)) => report,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[track_caller]
fn fields(report: &ValidationErrors) -> Vec<&str> {
    report.errors().iter().map(|e| e.field.as_ref()).collect()
}

/// A completed registration: no next step or hint, and the account of the fixtures, `existing`
/// or just created, both in the outcome and in the session's result.
#[track_caller]
fn assert_completed(out: &StepOutcome, session: &RegistrationSession, existing: bool) {
    assert_eq!(out.next_step, None);
    assert_eq!(out.next_step_payload_hint, None);
    assert_eq!(out.data["hprIdNumber"], HPR_ID_NUMBER);
    assert_eq!(out.data["hprId"], FULL_HPR_ID);
    assert_eq!(session.stage(), Stage::Completed);
    let result = session.result().expect("a result");
    assert_eq!(result.existing, existing);
    assert_eq!(result.hpr_id_number, HPR_ID_NUMBER);
    assert_eq!(result.hpr_id, FULL_HPR_ID);
}

/// The prepared call is a create whose request is exactly the golden one.
#[track_caller]
fn assert_golden_create(call: &Call) {
    assert!(
        matches!(call, Call::CreateHprIdWithPreverified(_)),
        "{call:?}"
    );
    let body = abdm_hpr::gateway::encode(call).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        fixture_value("a8_create_hpr_id.request.json")
    );
}

/// The demographic fields the account-check fixture fills, plus the transaction.
const PREFILLED_CREATE: [&str; 10] = [
    "address",
    "dayOfBirth",
    "monthOfBirth",
    "yearOfBirth",
    "firstName",
    "lastName",
    "pincode",
    "stateCode",
    "districtCode",
    "txnId",
];

/// The 5 fields only the caller knows, in the hint's order.
const CALLER_FIELDS: [&str; 5] = [
    "hprId",
    "password",
    "email",
    "hpCategoryCode",
    "hpSubCategoryCode",
];

const VERIFIED_MESSAGE: &str = "Mobile number matches the Aadhaar-linked mobile; mobile OTP not needed. Proceed to get HPR ID suggestions.";
const NOT_VERIFIED_MESSAGE: &str =
    "Mobile number does not match the Aadhaar-linked mobile. Proceed to generate a mobile OTP.";

// ---------------------------------------------------------------------------------------------
// The transition table

/// The table of CONTRACT §1 as the session implements it, written out independently.
fn expected_allowed(stage: Stage) -> Vec<Step> {
    use Step::*;
    match stage {
        Stage::Start => vec![GenerateAadhaarOtp],
        Stage::AadhaarOtpSent => vec![VerifyAadhaarOtp, GenerateAadhaarOtp],
        Stage::AadhaarVerified => vec![CheckAccountExist, GenerateAadhaarOtp],
        Stage::NewAccount => vec![DemographicAuthViaMobile, GenerateAadhaarOtp],
        Stage::MobileUnverified => vec![
            GenerateMobileOtp,
            DemographicAuthViaMobile,
            GenerateAadhaarOtp,
        ],
        Stage::MobileOtpSent => vec![VerifyMobileOtp, GenerateMobileOtp, GenerateAadhaarOtp],
        Stage::MobileVerified => vec![
            GetHprIdSuggestion,
            CreateHprIdWithPreverified,
            GenerateAadhaarOtp,
        ],
        Stage::SuggestionsReady => vec![
            CreateHprIdWithPreverified,
            GetHprIdSuggestion,
            GenerateAadhaarOtp,
        ],
        Stage::Completed => vec![],
    }
}

#[tokio::test]
async fn every_stage_allows_exactly_its_steps_and_rejects_the_rest_without_effect() {
    let (mut allowed_count, mut rejected_count) = (0, 0);
    for stage in Stage::ALL {
        assert_eq!(stage.allowed_steps(), expected_allowed(stage), "{stage:?}");
        assert_eq!(stage.next_step(), expected_allowed(stage).first().copied());
        for step in Step::ALL {
            let (fake, mut session) = session_at(stage).await;
            let before = snapshot(&session);
            let calls = fake.calls().len();
            let allowed = stage.allowed_steps().contains(&step);
            let result = session.prepare_json(step, valid_payload_for(step), today());
            match (&result, allowed) {
                (Ok(call), true) => {
                    assert_eq!(call.step(), step, "{stage:?} × {step}");
                    allowed_count += 1;
                }
                (
                    Err(Error::Flow {
                        step: asked,
                        stage: described,
                        allowed: listed,
                    }),
                    false,
                ) => {
                    rejected_count += 1;
                    assert_eq!(*asked, step);
                    assert_eq!(
                        listed.as_slice(),
                        stage.allowed_steps(),
                        "{stage:?} × {step}"
                    );
                    assert_eq!(described, stage.describe());
                    let message = result.as_ref().unwrap_err().to_string();
                    assert!(message.contains(step.as_str()), "{message}");
                    for name in stage.allowed_steps() {
                        assert!(message.contains(name.as_str()), "{message}");
                    }
                    if stage == Stage::Completed {
                        assert!(message.contains("complete"), "{message}");
                    }
                    // the async driver rejects the same way and sends nothing
                    let err = session
                        .run(&fake, step, valid_payload_for(step))
                        .await
                        .unwrap_err();
                    assert!(matches!(err, Error::Flow { .. }), "{err:?}");
                    assert_eq!(err.to_string(), message);
                }
                (other, _) => panic!("{stage:?} × {step}: allowed={allowed}, got {other:?}"),
            }
            assert_eq!(
                snapshot(&session),
                before,
                "{stage:?} × {step} changed the session"
            );
            assert_eq!(
                fake.calls().len(),
                calls,
                "{stage:?} × {step} sent a request"
            );
        }
    }
    assert_eq!((allowed_count, rejected_count), (19, 9 * 8 - 19));
}

#[tokio::test]
async fn an_out_of_order_step_is_refused_before_its_payload_is_read() {
    let session = RegistrationSession::new();
    // even a malformed payload gets the flow error, not a validation error
    let err = session
        .prepare_json(Step::VerifyMobileOtp, json!({"otpp": true}), today())
        .unwrap_err();
    match &err {
        Error::Flow { step, allowed, .. } => {
            assert_eq!(*step, Step::VerifyMobileOtp);
            assert_eq!(allowed, &[Step::GenerateAadhaarOtp]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("step `verify_mobile_otp` is not allowed now"),
        "{err}"
    );
    assert!(
        err.to_string().ends_with("allowed: generate_aadhaar_otp"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Both branches end to end

#[tokio::test]
async fn verified_mobile_skips_the_mobile_otp() {
    let fake = Fake::new();
    fake.set_verified(true);
    let mut session = RegistrationSession::new();

    // 1
    let out = session
        .generate_aadhaar_otp(&fake, &aadhaar(AADHAAR))
        .await
        .unwrap();
    assert_eq!(
        out.message,
        "Aadhaar OTP generated and sent to the Aadhaar-linked mobile. Verify it next; the session keeps the transaction id."
    );
    assert_eq!(out.next_step, Some(Step::VerifyAadhaarOtp));
    assert_hint(&out, &["otp"], &["txnId"]);
    assert_eq!(
        set(&hint(&out).optional_fields),
        ["domainName", "idType", "restrictions"]
            .into_iter()
            .collect::<BTreeSet<_>>()
    );
    assert!(hint(&out).source_of_data["otp"].contains(MASKED_MOBILE));
    assert_eq!(
        out.data,
        fixture_value("a1_generate_aadhaar_otp.response.json")
    );
    assert_eq!(session.stage(), Stage::AadhaarOtpSent);
    assert_eq!(session.txn_id().unwrap().as_str(), TXN);
    assert_eq!(session.linked_mobile(), Some(MASKED_MOBILE));
    assert_eq!(
        fake.last_request(Step::GenerateAadhaarOtp),
        json!({"aadhaar": AADHAAR})
    );

    // 2
    let out = session.verify_aadhaar_otp(&fake, &otp(OTP)).await.unwrap();
    assert_eq!(
        out.message,
        "Aadhaar OTP verified. Now, check if an HPR account exists."
    );
    assert_eq!(out.next_step, Some(Step::CheckAccountExist));
    assert_hint(&out, &[], &["txnId", "preverifiedCheck"]);
    // the contract's names, not the peer's wire spellings
    assert_eq!(out.data["mobileNumber"], MASKED_MOBILE);
    assert_eq!(out.data["profilePhoto"], FIXTURE_PHOTO);
    assert_eq!(out.data["birthDate"], "15-08-1988");
    assert_eq!(out.data["txnId"], TXN);
    for peer_only in ["mobile", "photo", "birthdate"] {
        assert!(out.data.get(peer_only).is_none(), "{peer_only} in data");
    }
    fake.assert_sent(Step::VerifyAadhaarOtp, "a2_verify_aadhaar_otp");

    // 3
    let out = session.check_account_exist(&fake).await.unwrap();
    assert_eq!(
        out.message,
        "No HPR account found. Next, give the mobile number for communication: if it is the Aadhaar-linked one, no mobile OTP is needed."
    );
    assert_eq!(out.next_step, Some(Step::DemographicAuthViaMobile));
    assert_hint(&out, &["mobileNumber"], &["txnId"]);
    assert_eq!(out.data["hprIdNumber"], "");
    assert_eq!(out.data["new"], true);
    assert_eq!(out.data["firstName"], "Asha");
    assert_eq!(session.stage(), Stage::NewAccount);
    fake.assert_sent(Step::CheckAccountExist, "a3_check_account_exist");

    // 4: verified
    let out = session
        .demographic_auth_via_mobile(&fake, &mobile(MOBILE))
        .await
        .unwrap();
    assert_eq!(out.message, VERIFIED_MESSAGE);
    assert_eq!(out.next_step, Some(Step::GetHprIdSuggestion));
    assert_hint(&out, &[], &["txnId"]);
    assert_eq!(out.data, json!({"verified": true}));
    assert_eq!(session.stage(), Stage::MobileVerified);
    assert_eq!(session.mobile(), Some(&mobile(MOBILE)));
    fake.assert_sent(Step::DemographicAuthViaMobile, "a4_demographic_auth");

    // 7
    let out = session.get_hpr_id_suggestion(&fake).await.unwrap();
    assert_eq!(
        out.message,
        "HPR ID suggestions retrieved. Proceed to create the HPR ID: choose a username, a password, an e-mail and the professional category."
    );
    assert_eq!(out.next_step, Some(Step::CreateHprIdWithPreverified));
    assert_hint(&out, &CALLER_FIELDS, &PREFILLED_CREATE);
    assert_eq!(
        set(&hint(&out).optional_fields),
        ["middleName", "profilePhoto"]
            .into_iter()
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(
        out.data,
        json!(["asha.verma", "ashaverma1988", "verma.asha"])
    );
    assert!(out.data.as_array().unwrap().iter().all(Value::is_string));
    assert_eq!(
        session.suggestions(),
        ["asha.verma", "ashaverma1988", "verma.asha"]
    );
    assert_eq!(session.stage(), Stage::SuggestionsReady);

    // 8: only the caller's 5 fields
    let out = session
        .create_hpr_id(&fake, caller_create_input(HPR_ID, EMAIL))
        .await
        .unwrap();
    assert_eq!(
        out.message,
        "HPR ID created successfully. Registration complete."
    );
    assert_completed(&out, &session, false);
    assert_eq!(session.hint(), None);
    assert_eq!(session.next_step(), None);

    assert_eq!(fake.calls(), VERIFIED_PATH);
    // the session filled in the demographics and the transaction: the golden request exactly
    fake.assert_sent(Step::CreateHprIdWithPreverified, "a8_create_hpr_id");
}

#[tokio::test]
async fn unverified_mobile_is_proven_by_otp() {
    let fake = Fake::new();
    let mut session = RegistrationSession::new();

    // {"aadhaar": AADHAAR}, then {"otp": OTP}
    run_all(&mut session, &fake, &UNVERIFIED_PATH[..2]).await;
    let out = run(&mut session, &fake, Step::CheckAccountExist, json!(null)).await;
    assert_eq!(out.next_step, Some(Step::DemographicAuthViaMobile));

    // 4: not verified is a normal branch
    let out = run(
        &mut session,
        &fake,
        Step::DemographicAuthViaMobile,
        json!({"mobileNumber": "+91 98765-43210"}),
    )
    .await;
    assert_eq!(out.message, NOT_VERIFIED_MESSAGE);
    assert_eq!(out.next_step, Some(Step::GenerateMobileOtp));
    // the mobile is known: nothing left for the caller
    assert_hint(&out, &[], &["mobile", "txnId"]);
    assert!(hint(&out).source_of_data["mobile"].contains("3210"));
    assert!(!hint(&out).source_of_data["mobile"].contains(MOBILE));
    assert_eq!(out.data, json!({"verified": false}));
    assert_eq!(session.stage(), Stage::MobileUnverified);
    fake.assert_sent(Step::DemographicAuthViaMobile, "a4_demographic_auth");

    // 5: no payload → the demographic-auth mobile
    let out = run(&mut session, &fake, Step::GenerateMobileOtp, json!({})).await;
    assert!(
        out.message.starts_with("Mobile OTP sent to "),
        "{}",
        out.message
    );
    assert!(
        out.message.ends_with(". Verify it next."),
        "{}",
        out.message
    );
    assert!(out.message.contains("3210") && !out.message.contains(MOBILE));
    assert_eq!(out.next_step, Some(Step::VerifyMobileOtp));
    assert_hint(&out, &["otp"], &["txnId"]);
    assert_eq!(
        out.data,
        fixture_value("a5_generate_mobile_otp.response.json")
    );
    assert_eq!(session.stage(), Stage::MobileOtpSent);
    fake.assert_sent(Step::GenerateMobileOtp, "a5_generate_mobile_otp");

    // 6
    let out = run(
        &mut session,
        &fake,
        Step::VerifyMobileOtp,
        json!({"otp": MOBILE_OTP}),
    )
    .await;
    assert_eq!(
        out.message,
        "Mobile OTP verified. Proceed to get HPR ID suggestions."
    );
    assert_eq!(out.next_step, Some(Step::GetHprIdSuggestion));
    assert_hint(&out, &[], &["txnId"]);
    assert_eq!(
        out.data,
        fixture_value("a6_verify_mobile_otp.response.json")
    );
    assert_eq!(session.stage(), Stage::MobileVerified);
    fake.assert_sent(Step::VerifyMobileOtp, "a6_verify_mobile_otp");

    // 7
    let out = run(&mut session, &fake, Step::GetHprIdSuggestion, json!({})).await;
    assert_eq!(out.next_step, Some(Step::CreateHprIdWithPreverified));
    assert_hint(&out, &CALLER_FIELDS, &PREFILLED_CREATE);
    assert_eq!(
        out.data,
        json!(["asha.verma", "ashaverma1988", "verma.asha"])
    );
    fake.assert_sent(Step::GetHprIdSuggestion, "a7_hpr_id_suggestion");

    // 8
    let out = run_create(&mut session, &fake, caller_create_payload()).await;
    assert_eq!(
        out.message,
        "HPR ID created successfully. Registration complete."
    );
    assert_eq!((out.next_step, &out.next_step_payload_hint), (None, &None));
    assert_eq!(session.result().map(|r| r.existing), Some(false));
    fake.assert_sent(Step::CreateHprIdWithPreverified, "a8_create_hpr_id");
    assert_eq!(fake.calls(), UNVERIFIED_PATH);
}

#[tokio::test]
async fn an_existing_account_completes_the_flow_at_the_check() {
    let fake = Fake::new().with_account(EXISTING_ACCOUNT);
    let mut session = RegistrationSession::new();
    session
        .generate_aadhaar_otp(&fake, &aadhaar(AADHAAR))
        .await
        .unwrap();
    session.verify_aadhaar_otp(&fake, &otp(OTP)).await.unwrap();
    let out = session.check_account_exist(&fake).await.unwrap();

    assert_eq!(
        out.message,
        "An HPR account already exists for this user. The registration flow is complete."
    );
    assert_completed(&out, &session, true);
    let shape = serde_json::to_value(&out).unwrap();
    assert_eq!(shape["next_step"], Value::Null);
    assert_eq!(shape["next_step_payload_hint"], Value::Null);
    assert!(session.allowed_steps().is_empty());

    // nothing more can run, not even a restart
    let before = snapshot(&session);
    let err = session
        .generate_aadhaar_otp(&fake, &aadhaar(AADHAAR))
        .await
        .unwrap_err();
    match &err {
        Error::Flow { allowed, .. } => assert!(allowed.is_empty()),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("none: the registration is complete"),
        "{err}"
    );
    assert_eq!(snapshot(&session), before);
    assert_eq!(fake.calls().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// The outcome's JSON shape

#[tokio::test]
async fn outcomes_serialize_with_exactly_the_four_peer_keys() {
    let fake = Fake::new();
    let mut session = RegistrationSession::new();
    let keys: BTreeSet<&str> = ["message", "data", "next_step", "next_step_payload_hint"]
        .into_iter()
        .collect();
    for step in UNVERIFIED_PATH {
        let out = run(&mut session, &fake, step, valid_payload_for(step)).await;
        let value = serde_json::to_value(&out).unwrap();
        let obj = value.as_object().expect("an object");
        assert_eq!(
            obj.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            keys
        );
        assert!(obj["message"].is_string());
        match (&obj["next_step"], out.next_step) {
            (Value::String(s), Some(next)) => {
                assert_eq!(s, next.as_str());
                assert_eq!(s, &s.to_ascii_lowercase());
                assert_eq!(s.parse::<Step>().unwrap(), next);
            }
            (Value::Null, None) => assert_eq!(step, Step::CreateHprIdWithPreverified),
            other => panic!("{step}: next_step {other:?}"),
        }
        match &obj["next_step_payload_hint"] {
            Value::Object(h) => {
                assert!(out.next_step.is_some());
                for key in [
                    "description",
                    "required_fields",
                    "source_of_data",
                    "prefilled",
                    "optional_fields",
                ] {
                    assert!(h.contains_key(key), "{step}: hint lacks {key}");
                }
            }
            Value::Null => assert!(out.next_step.is_none()),
            other => panic!("{step}: hint {other}"),
        }
        // and it reads back
        let back: StepOutcome = serde_json::from_value(value).unwrap();
        assert_eq!(back, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Create: prefill, overrides, validation

#[tokio::test]
async fn create_needs_only_the_callers_five_fields() {
    let (fake, session) = session_at(Stage::SuggestionsReady).await;
    let call = session
        .prepare_json(
            Step::CreateHprIdWithPreverified,
            caller_create_payload(),
            today(),
        )
        .unwrap();
    assert_golden_create(&call);
    assert_eq!(fake.calls().len(), 5, "prepare sends nothing");
}

#[tokio::test]
async fn blank_payload_values_count_as_missing_and_are_prefilled() {
    let (_fake, session) = session_at(Stage::SuggestionsReady).await;
    let payload = caller_create_payload_with(json!({"pincode": "  ", "txnId": ""}));
    let call = session
        .prepare_json(Step::CreateHprIdWithPreverified, payload, today())
        .unwrap();
    assert_golden_create(&call);
}

#[tokio::test]
async fn a_caller_override_wins_and_is_validated() {
    let (fake, mut session) = session_at(Stage::SuggestionsReady).await;

    // an invalid override: reported, nothing sent, nothing changed
    let bad = caller_create_payload_with(json!({"pincode": "012345"}));
    let report = run_invalid(&mut session, &fake, Step::CreateHprIdWithPreverified, bad).await;
    assert_eq!(fields(&report), ["pincode"]);
    assert!(!report.to_string().contains("012345"), "{report}");

    // a valid override is sent instead of the prefilled value; the rest stays prefilled
    let payload = caller_create_payload_with(json!({"pincode": "560 001", "middleName": "Devi"}));
    run_create(&mut session, &fake, payload).await;
    let sent = fake.last_request(Step::CreateHprIdWithPreverified);
    let mut expected = fixture_value("a8_create_hpr_id.request.json");
    expected["pincode"] = json!("560001");
    expected["middleName"] = json!("Devi");
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn a_bad_create_payload_reports_every_problem_at_once() {
    let (fake, mut session) = session_at(Stage::SuggestionsReady).await;
    let mut bad = caller_create_payload_with(json!({"email": "asha@@example"}));
    bad.as_object_mut().unwrap().remove("password");
    let report = run_invalid(&mut session, &fake, Step::CreateHprIdWithPreverified, bad).await;
    assert_eq!(
        fields(&report).into_iter().collect::<BTreeSet<_>>(),
        ["email", "password"].into_iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(report.field("password").unwrap().rule, Rule::Required);
    assert!(!report.to_string().contains("asha@@example"), "{report}");
}

#[tokio::test]
async fn missing_demographics_become_required_fields_of_the_create_hint() {
    // the account check carries only the names; the e-KYC supplies DOB, address and pincode
    let fake = Fake::new().with_account(NEW_ACCOUNT_SPARSE);
    fake.set_verified(true);
    let mut session = RegistrationSession::new();
    run_all(&mut session, &fake, &VERIFIED_PATH[..4]).await;
    let out = run(&mut session, &fake, Step::GetHprIdSuggestion, json!({})).await;
    // the state and the district move from prefilled to required
    let location = ["stateCode", "districtCode"];
    let mut required = CALLER_FIELDS.to_vec();
    required.extend(location);
    let prefilled: Vec<&str> = PREFILLED_CREATE
        .into_iter()
        .filter(|field| !location.contains(field))
        .collect();
    assert_hint(&out, &required, &prefilled);

    // the 5 caller fields alone are not enough now
    let report = validation(session.prepare_json(
        Step::CreateHprIdWithPreverified,
        caller_create_payload(),
        today(),
    ));
    assert_eq!(fields(&report), ["districtCode", "stateCode"]);

    // with them, the KYC fallback fills the rest
    let payload = caller_create_payload_with(json!({"stateCode": "9", "districtCode": "145"}));
    run_create(&mut session, &fake, payload).await;
    fake.assert_sent(Step::CreateHprIdWithPreverified, "a8_create_hpr_id");
}

// ---------------------------------------------------------------------------------------------
// Payload validation

#[tokio::test]
async fn an_unknown_payload_key_is_reported_and_nothing_is_sent() {
    let (fake, mut session) = session_at(Stage::AadhaarOtpSent).await;
    let bad = json!({"otpp": OTP});
    let report = run_invalid(&mut session, &fake, Step::VerifyAadhaarOtp, bad).await;
    assert_eq!(fields(&report), ["otpp"]);
    assert_eq!(report.errors()[0].rule, Rule::UnknownField);
    let text = report.to_string();
    assert!(text.contains("otp, txnId"), "{text}");
    assert_absent(&text, &[OTP]);

    // the misspelling is not silently dropped even next to the right key
    let report = validation(session.prepare_json(
        Step::VerifyAadhaarOtp,
        json!({"otp": OTP, "txnid": TXN}),
        today(),
    ));
    assert_eq!(fields(&report), ["txnid"]);
    assert_eq!(report.errors()[0].rule, Rule::UnknownField);
}

#[tokio::test]
async fn a_mistyped_payload_value_names_the_field() {
    let (fake, session) = session_at(Stage::AadhaarOtpSent).await;
    for payload in [
        json!({"otp": true}),
        json!({"otp": [1, 2]}),
        json!({"otp": {"v": OTP}}),
    ] {
        let report = validation(session.prepare_json(Step::VerifyAadhaarOtp, payload, today()));
        assert_eq!(fields(&report), ["otp"]);
        assert_eq!(report.errors()[0].rule, Rule::Format);
    }
    // an identifier must be a JSON string: a number is refused, not read as its digits
    for otp in [json!(123456), json!(123456.0)] {
        let report = validation(session.prepare_json(
            Step::VerifyAadhaarOtp,
            json!({ "otp": otp }),
            today(),
        ));
        assert_eq!(fields(&report), ["otp"]);
        assert_eq!(report.errors()[0].rule, Rule::ExpectedString);
        assert_absent(&report.to_string(), &["123456"]);
    }
    // not an object at all
    let report = validation(session.prepare_json(Step::VerifyAadhaarOtp, json!(OTP), today()));
    assert_eq!(fields(&report), ["payload"]);
    assert_absent(&report.to_string(), &[OTP]);

    let (_, session) = session_at(Stage::AadhaarVerified).await;
    let report = validation(session.prepare_json(
        Step::CheckAccountExist,
        json!({"preverifiedCheck": "yes"}),
        today(),
    ));
    assert_eq!(fields(&report), ["preverifiedCheck"]);
    assert_eq!(fake.calls(), [Step::GenerateAadhaarOtp]);
}

#[tokio::test]
async fn an_invalid_value_is_a_validation_error_that_never_echoes_it() {
    let (fake, mut session) = session_at(Stage::AadhaarOtpSent).await;
    let bad = json!({"otp": BAD_OTP});
    let report = run_invalid(&mut session, &fake, Step::VerifyAadhaarOtp, bad).await;
    assert_eq!(fields(&report), ["otp"]);
    assert_absent(&report.to_string(), &[BAD_OTP]);
}

// ---------------------------------------------------------------------------------------------
// Retries

/// Sends the wrong OTP "111111" for `step` (the registry answers HIS-1013): the error, after
/// checking that the session is untouched.
async fn wrong_otp(session: &mut RegistrationSession, fake: &Fake, step: Step) -> Error {
    let before = snapshot(session);
    fake.fail_next(Failure::WrongOtp);
    let err = verify_otp(session, fake, step, "111111").await.unwrap_err();
    assert_eq!(err.api_code(), Some("HIS-1013"));
    assert_eq!(snapshot(session), before);
    err
}

#[tokio::test]
async fn a_wrong_otp_leaves_the_session_ready_for_a_retry() {
    let (fake, mut session) = session_at(Stage::AadhaarOtpSent).await;
    let err = wrong_otp(&mut session, &fake, Step::VerifyAadhaarOtp).await;
    assert_eq!(err.status(), Some(422));
    assert!(matches!(
        err,
        Error::Api {
            operation: Step::VerifyAadhaarOtp,
            ..
        }
    ));
    assert_eq!(session.stage(), Stage::AadhaarOtpSent);
    assert_eq!(
        fake.calls(),
        [Step::GenerateAadhaarOtp, Step::VerifyAadhaarOtp]
    );
    assert_eq!(fake.last_request(Step::VerifyAadhaarOtp)["otp"], "111111");

    let out = session.verify_aadhaar_otp(&fake, &otp(OTP)).await.unwrap();
    assert_eq!(out.next_step, Some(Step::CheckAccountExist));
    assert_eq!(session.stage(), Stage::AadhaarVerified);
    let retry = fake.last_request(Step::VerifyAadhaarOtp);
    assert_eq!(
        (retry["otp"].as_str(), retry["txnId"].as_str()),
        (Some(OTP), Some(TXN))
    );

    // the same for the mobile OTP
    let (fake, mut session) = session_at(Stage::MobileOtpSent).await;
    wrong_otp(&mut session, &fake, Step::VerifyMobileOtp).await;
    session
        .verify_mobile_otp(&fake, &otp(MOBILE_OTP))
        .await
        .unwrap();
    assert_eq!(session.stage(), Stage::MobileVerified);
}

#[tokio::test]
async fn a_transport_failure_leaves_the_stage_unchanged_and_records_unconfirmed_side_effects() {
    for stage in [
        Stage::AadhaarVerified,
        Stage::SuggestionsReady,
        Stage::Start,
    ] {
        let (fake, mut session) = session_at(stage).await;
        let before = snapshot(&session);
        let step = stage.next_step().unwrap();
        fake.fail_next(Failure::Transport);
        let err = session
            .run(&fake, step, valid_payload_for(step))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert_eq!(session.stage(), stage);
        if step.has_side_effects() {
            // an OTP or an ID may exist now: the session says so, nothing else changes
            assert!(err.is_unconfirmed(), "{stage:?}");
            assert_eq!(session.unconfirmed(), Some(step), "{stage:?}");
        } else {
            assert!(!err.is_unconfirmed(), "{stage:?}");
            assert_eq!(snapshot(&session), before, "{stage:?}");
        }
        // the retry goes through
        run(&mut session, &fake, step, valid_payload_for(step)).await;
        assert_ne!(session.stage(), stage);
    }
}

// ---------------------------------------------------------------------------------------------
// Resume

/// Serializes `session`, checks it holds no secret, and reads it back into a fresh session.
#[track_caller]
fn reload(session: &RegistrationSession) -> RegistrationSession {
    let text = snapshot(session);
    // OTPs as JSON strings: the synthetic mobile 9876543210 contains the digits 654321
    assert_absent(
        &text,
        &[
            AADHAAR,
            &format!("\"{OTP}\""),
            &format!("\"{MOBILE_OTP}\""),
            PASSWORD,
            FIXTURE_TOKEN,
        ],
    );
    // nor keys for them
    assert_absent(
        &text,
        &["\"otp\"", "\"password\"", "\"token\"", "\"aadhaar\""],
    );
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["version"], SESSION_VERSION);
    let fresh: RegistrationSession = serde_json::from_str(&text).expect("a session reads back");
    assert_eq!(&fresh, session);
    assert_eq!(snapshot(&fresh), text);
    fresh
}

#[tokio::test]
async fn a_session_resumes_from_json_after_every_step() {
    let fake = Fake::new();
    let mut session = reload(&RegistrationSession::new());
    for step in UNVERIFIED_PATH {
        let out = run(&mut session, &fake, step, valid_payload_for(step)).await;
        let stage = session.stage();
        session = reload(&session);
        assert_eq!(session.stage(), stage);
        assert_eq!(session.next_step(), out.next_step);
        assert_eq!(session.hint(), out.next_step_payload_hint);
    }
    assert_eq!(fake.calls(), UNVERIFIED_PATH);
    // the resumed session still knew the demographics and the transaction
    fake.assert_sent(Step::CreateHprIdWithPreverified, "a8_create_hpr_id");
    assert_eq!(session.result().unwrap().hpr_id_number, HPR_ID_NUMBER);
}

#[tokio::test]
async fn an_unknown_session_version_is_refused_clearly() {
    let (_fake, session) = session_at(Stage::NewAccount).await;
    let mut value = serde_json::to_value(&session).unwrap();
    value["version"] = json!(99);
    let err = serde_json::from_value::<RegistrationSession>(value.clone()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("session format version 99 is newer than this hpr understands"),
        "{message}"
    );
    assert!(
        message.contains(&format!("reads versions 1 to {SESSION_VERSION}")),
        "{message}"
    );
    // from text too
    let err = serde_json::from_str::<RegistrationSession>(&value.to_string()).unwrap_err();
    assert!(err.to_string().contains("version 99"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// txnId threading

#[tokio::test]
async fn each_request_uses_the_latest_transaction_id() {
    let fake = Fake::new();
    let mut session = RegistrationSession::new();
    session
        .generate_aadhaar_otp(&fake, &aadhaar(AADHAAR))
        .await
        .unwrap();

    let mut kyc = fixture_value("a2_verify_aadhaar_otp.peer.response.json");
    kyc["txnId"] = json!("txn-after-verify");
    fake.reply_once(Step::VerifyAadhaarOtp, kyc);
    session.verify_aadhaar_otp(&fake, &otp(OTP)).await.unwrap();
    assert_eq!(session.txn_id().unwrap().as_str(), "txn-after-verify");

    let mut account = fixture_value(NEW_ACCOUNT);
    account["txnId"] = json!("txn-after-check");
    fake.reply_once(Step::CheckAccountExist, account);
    session.check_account_exist(&fake).await.unwrap();
    fake.assert_txn_sent(Step::CheckAccountExist, "txn-after-verify");

    session
        .demographic_auth_via_mobile(&fake, &mobile(MOBILE))
        .await
        .unwrap();
    fake.assert_txn_sent(Step::DemographicAuthViaMobile, "txn-after-check");

    fake.reply_once(
        Step::GenerateMobileOtp,
        json!({"txnId": "txn-after-mobile-otp", "mobileNumber": null}),
    );
    session.generate_mobile_otp(&fake, None).await.unwrap();
    fake.assert_txn_sent(Step::GenerateMobileOtp, "txn-after-check");

    fake.reply_once(
        Step::VerifyMobileOtp,
        json!({"txnId": "txn-after-mobile-verify", "mobileNumber": null}),
    );
    session
        .verify_mobile_otp(&fake, &otp(MOBILE_OTP))
        .await
        .unwrap();
    fake.assert_txn_sent(Step::VerifyMobileOtp, "txn-after-mobile-otp");

    session.get_hpr_id_suggestion(&fake).await.unwrap();
    fake.assert_txn_sent(Step::GetHprIdSuggestion, "txn-after-mobile-verify");
    session
        .create_hpr_id(&fake, caller_create_input(HPR_ID, EMAIL))
        .await
        .unwrap();
    fake.assert_txn_sent(Step::CreateHprIdWithPreverified, "txn-after-mobile-verify");
}

#[tokio::test]
async fn an_account_check_without_txn_id_keeps_the_current_one() {
    let fake = Fake::new().with_account(NEW_ACCOUNT_SPARSE);
    let mut session = RegistrationSession::new();
    let mut kyc = fixture_value("a2_verify_aadhaar_otp.peer.response.json");
    kyc["txnId"] = json!("txn-from-kyc");
    fake.reply_once(Step::VerifyAadhaarOtp, kyc);
    let mut account = fixture_value(NEW_ACCOUNT_SPARSE);
    account.as_object_mut().unwrap().remove("txnId");
    fake.reply_once(Step::CheckAccountExist, account);
    session
        .generate_aadhaar_otp(&fake, &aadhaar(AADHAAR))
        .await
        .unwrap();
    session.verify_aadhaar_otp(&fake, &otp(OTP)).await.unwrap();
    session.check_account_exist(&fake).await.unwrap();
    assert_eq!(session.txn_id().unwrap().as_str(), "txn-from-kyc");
    session
        .demographic_auth_via_mobile(&fake, &mobile(MOBILE))
        .await
        .unwrap();
    fake.assert_txn_sent(Step::DemographicAuthViaMobile, "txn-from-kyc");
}

#[tokio::test]
async fn a_txn_id_in_the_payload_overrides_the_sessions() {
    let (fake, mut session) = session_at(Stage::AadhaarVerified).await;
    run(
        &mut session,
        &fake,
        Step::CheckAccountExist,
        json!({"txnId": "txn-given", "preverifiedCheck": false}),
    )
    .await;
    assert_eq!(
        fake.last_request(Step::CheckAccountExist),
        json!({"txnId": "txn-given", "preverifiedCheck": false})
    );
}

// ---------------------------------------------------------------------------------------------
// Resends

#[tokio::test]
async fn otps_can_be_resent_and_the_mobile_defaults_to_the_demographic_one() {
    // the mobile OTP, again, to the same number
    let (fake, mut session) = session_at(Stage::MobileOtpSent).await;
    assert_eq!(fake.last_request(Step::GenerateMobileOtp)["mobile"], MOBILE);
    let out = session.generate_mobile_otp(&fake, None).await.unwrap();
    assert_eq!(out.next_step, Some(Step::VerifyMobileOtp));
    assert_eq!(session.stage(), Stage::MobileOtpSent);
    assert_eq!(fake.last_request(Step::GenerateMobileOtp)["mobile"], MOBILE);
    // or to another number, which becomes the session's mobile
    session
        .generate_mobile_otp(&fake, Some(&mobile(OTHER_MOBILE)))
        .await
        .unwrap();
    assert_eq!(
        fake.last_request(Step::GenerateMobileOtp)["mobile"],
        OTHER_MOBILE
    );
    assert_eq!(session.mobile(), Some(&mobile(OTHER_MOBILE)));
    run(&mut session, &fake, Step::GenerateMobileOtp, json!(null)).await;
    assert_eq!(
        fake.last_request(Step::GenerateMobileOtp)["mobile"],
        OTHER_MOBILE
    );
    session
        .verify_mobile_otp(&fake, &otp(MOBILE_OTP))
        .await
        .unwrap();
    assert_eq!(session.stage(), Stage::MobileVerified);

    // the Aadhaar OTP, again: a fresh transaction at the same stage
    let (fake, mut session) = session_at(Stage::AadhaarOtpSent).await;
    fake.reply_once(
        Step::GenerateAadhaarOtp,
        json!({"txnId": "txn-resent", "mobileNumber": MASKED_MOBILE}),
    );
    let out = session
        .generate_aadhaar_otp(&fake, &aadhaar(AADHAAR))
        .await
        .unwrap();
    assert_eq!(out.next_step, Some(Step::VerifyAadhaarOtp));
    assert_eq!(session.stage(), Stage::AadhaarOtpSent);
    assert_eq!(session.txn_id().unwrap().as_str(), "txn-resent");
    session.verify_aadhaar_otp(&fake, &otp(OTP)).await.unwrap();
    fake.assert_txn_sent(Step::VerifyAadhaarOtp, "txn-resent");
    assert_eq!(
        fake.calls(),
        [
            Step::GenerateAadhaarOtp,
            Step::GenerateAadhaarOtp,
            Step::VerifyAadhaarOtp
        ]
    );
}

#[tokio::test]
async fn a_restart_forgets_the_earlier_transaction() {
    let (fake, mut session) = session_at(Stage::SuggestionsReady).await;
    fake.reply_once(
        Step::GenerateAadhaarOtp,
        json!({"txnId": "txn-restart", "mobileNumber": MASKED_MOBILE}),
    );
    session
        .generate_aadhaar_otp(&fake, &aadhaar(AADHAAR))
        .await
        .unwrap();
    assert_eq!(session.stage(), Stage::AadhaarOtpSent);
    assert_eq!(session.txn_id().unwrap().as_str(), "txn-restart");
    assert!(session.suggestions().is_empty());
    assert_eq!(session.mobile(), None);
    assert_eq!(session.prefill(), CreateHprIdInput::default());
}

#[tokio::test]
async fn a_demographic_auth_can_be_retried_with_another_number() {
    let (fake, mut session) = session_at(Stage::MobileUnverified).await;
    fake.set_verified(true);
    let out = session
        .demographic_auth_via_mobile(&fake, &mobile(OTHER_MOBILE))
        .await
        .unwrap();
    assert_eq!(out.message, VERIFIED_MESSAGE);
    assert_eq!(session.stage(), Stage::MobileVerified);
    assert_eq!(session.mobile(), Some(&mobile(OTHER_MOBILE)));
}

// ---------------------------------------------------------------------------------------------
// Step ids

#[test]
fn step_ids_parse_in_either_case() {
    assert_eq!(
        "VERIFY_AADHAAR_OTP".parse::<Step>(),
        Ok(Step::VerifyAadhaarOtp)
    );
    assert_eq!(
        "verify_aadhaar_otp".parse::<Step>(),
        Ok(Step::VerifyAadhaarOtp)
    );
    for step in Step::ALL {
        assert_eq!(step.as_str().parse::<Step>(), Ok(step));
        assert_eq!(step.as_str().to_uppercase().parse::<Step>(), Ok(step));
        assert_eq!(
            serde_json::to_value(step).unwrap(),
            json!(step.as_str()),
            "serialized as the step id"
        );
    }
    for unknown in ["CHECK_EXISTING_ACCOUNT", "verify-aadhaar-otp", ""] {
        let err = unknown.parse::<Step>().unwrap_err();
        assert!(err.contains("unknown step"), "{err}");
        for step in Step::ALL {
            assert!(err.contains(step.as_str()), "{err} lacks {step}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Redaction

#[tokio::test]
async fn debug_output_never_shows_personal_data() {
    let fake = Fake::new();
    let mut session = RegistrationSession::new();
    let mut texts = vec![format!("{session:?}"), session.summary()];
    for &step in &UNVERIFIED_PATH[..7] {
        let out = run(&mut session, &fake, step, valid_payload_for(step)).await;
        texts.push(format!("{out:?}"));
        texts.push(format!("{session:?}"));
        texts.push(session.summary());
        let call = session
            .prepare_json(
                Step::CreateHprIdWithPreverified,
                caller_create_payload(),
                today(),
            )
            .ok();
        texts.push(format!("{call:?}"));
    }
    let out = run_create(&mut session, &fake, caller_create_payload()).await;
    texts.push(format!("{out:?}"));
    texts.push(format!("{session:?}"));
    texts.push(format!("{:?}", session.result()));
    assert!(
        session.summary().contains("XXXXXXXX2346"),
        "{}",
        session.summary()
    );
    for text in &texts {
        assert_absent(text, NEVER_PRINTED);
        assert_absent(text, &[FIXTURE_PHOTO, "15-08-1988", "201001", "Asha"]);
    }

    // errors from the flow and from validation name fields, not values
    let (_, session) = session_at(Stage::SuggestionsReady).await;
    let payload = caller_create_payload_with(
        json!({"email": format!("{EMAIL}@"), "password": "ayushman143"}),
    );
    let err = session
        .prepare_json(Step::CreateHprIdWithPreverified, payload, today())
        .unwrap_err();
    assert_never_printed(&err, NEVER_PRINTED);
    assert_never_printed(&err, &["ayushman143"]);
    let err = session
        .prepare_json(Step::VerifyAadhaarOtp, json!({"otp": OTP}), today())
        .unwrap_err();
    assert_never_printed(&err, NEVER_PRINTED);
}
