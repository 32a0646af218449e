#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The registration engine end to end: backends swapped behind `Arc<dyn RegistryBackend>`, the
//! `RegistrationService` over a store, recovery from an unconfirmed create, version-1 sessions,
//! and no panic from any sequence of steps and payloads.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use abdm_hpr::backend::{BoxFuture, RegistryBackend, Request, Response, Traced};
use abdm_hpr::error::RequestSent;
use abdm_hpr::flow::{
    ErrorDocument, MemoryStore, RegistrationService, RegistrationSession, Stage, Step, SystemClock,
};
use abdm_hpr::{Error, GatewayClient};
use common::{AADHAAR, MOBILE, PASSWORD};
use hpr_sandbox::{InProcessBackend, Sandbox, SandboxConfig};
use proptest::prelude::*;
use serde_json::{Value, json};

const FIXED_OTP: &str = "123456";

fn sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        seed: Some(11),
        fixed_otp: Some(FIXED_OTP.into()),
        resend_interval: std::time::Duration::ZERO,
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn service(backend: Arc<dyn RegistryBackend>) -> RegistrationService {
    RegistrationService::new(backend, Arc::new(MemoryStore::new()), Arc::new(SystemClock))
}

fn create_payload(hpr_id: &str) -> Value {
    json!({
        "hprId": hpr_id,
        "password": PASSWORD,
        "email": "asha@example.com",
        "hpCategoryCode": "1",
        "hpSubCategoryCode": "1",
        // the derived identity may lack these: give them so create always validates
        "stateCode": "9",
        "districtCode": "145",
        "lastName": "Verma",
    })
}

/// Starts registration `r` for [`AADHAAR`] and verifies its OTP; returns what was saved.
async fn to_verified(service: &RegistrationService) -> abdm_hpr::flow::StoredSession {
    let (stored, _) = service
        .start("r", json!({"aadhaar": AADHAAR}))
        .await
        .unwrap();
    service
        .step(
            "r",
            Step::VerifyAadhaarOtp,
            json!({"otp": FIXED_OTP}),
            Some(stored.revision),
        )
        .await
        .unwrap()
        .0
}

/// Runs steps 2–7 through the service (the mobile is not the linked one: the OTP branch).
async fn to_suggestions(service: &RegistrationService, id: &str, aadhaar: &str) {
    service
        .start(id, json!({"aadhaar": aadhaar}))
        .await
        .unwrap();
    for (step, payload) in [
        (Step::VerifyAadhaarOtp, json!({"otp": FIXED_OTP})),
        (Step::CheckAccountExist, Value::Null),
        (
            Step::DemographicAuthViaMobile,
            json!({"mobileNumber": MOBILE}),
        ),
    ] {
        service.step(id, step, payload, None).await.unwrap();
    }
    let stored = service.get(id).await.unwrap();
    if stored.session.stage() == Stage::MobileUnverified {
        service
            .step(id, Step::GenerateMobileOtp, Value::Null, None)
            .await
            .unwrap();
        service
            .step(id, Step::VerifyMobileOtp, json!({"otp": FIXED_OTP}), None)
            .await
            .unwrap();
    }
    service
        .step(id, Step::GetHprIdSuggestion, Value::Null, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_same_registration_runs_on_any_backend_behind_dyn() {
    let sandbox = sandbox();
    let running = sandbox
        .clone()
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let gateway = GatewayClient::builder()
        .base_url(running.base_url())
        .api_key("test")
        .build()
        .unwrap();
    let backends: Vec<(&str, Arc<dyn RegistryBackend>)> = vec![
        (
            "in-process",
            Arc::new(InProcessBackend::new(sandbox.clone())),
        ),
        ("gateway over HTTP", Arc::new(gateway)),
        (
            "traced in-process",
            Arc::new(Traced::new(InProcessBackend::new(sandbox.clone()))),
        ),
    ];
    let aadhaars = ["234123412346", "498765432102", "987654321012"];
    for ((name, backend), aadhaar) in backends.into_iter().zip(aadhaars) {
        let service = service(backend);
        to_suggestions(&service, "r", aadhaar).await;
        let (stored, outcome) = service
            .step(
                "r",
                Step::CreateHprIdWithPreverified,
                create_payload(&format!("user{}", &aadhaar[..6])),
                Some(service.get("r").await.unwrap().revision),
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(outcome.next_step, None, "{name}");
        let result = stored.session.result().unwrap();
        assert!(!result.existing, "{name}");
        assert!(
            sandbox
                .accounts()
                .iter()
                .any(|a| a.hpr_id_number == result.hpr_id_number),
            "{name}"
        );
    }
    running.shutdown().await;
}

#[tokio::test]
async fn a_stale_revision_is_a_conflict_and_sends_nothing() {
    let sandbox = sandbox();
    let service = service(Arc::new(InProcessBackend::new(sandbox.clone())));
    let stored = to_verified(&service).await;
    // the revision before the OTP was verified
    let err = service
        .step(
            "r",
            Step::CheckAccountExist,
            Value::Null,
            Some(stored.revision - 1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(
        service.get("r").await.unwrap().session.stage(),
        Stage::AadhaarVerified
    );
    let missing = service
        .step("nope", Step::CheckAccountExist, Value::Null, None)
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");
}

/// Passes everything through, except that the next create reaches the registry and its answer
/// is then lost (as a reset connection would lose it).
#[derive(Debug)]
struct LoseCreateAnswer {
    inner: InProcessBackend,
    armed: AtomicBool,
}

impl RegistryBackend for LoseCreateAnswer {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
        Box::pin(async move {
            let answer = self.inner.call(request).await;
            if request.step() == Step::CreateHprIdWithPreverified
                && self.armed.swap(false, Ordering::SeqCst)
            {
                return Err(Error::Transport {
                    operation: Step::CreateHprIdWithPreverified,
                    sent: RequestSent::Maybe,
                    source: "connection reset by peer".into(),
                });
            }
            answer
        })
    }
}

#[tokio::test]
async fn an_unconfirmed_create_is_recorded_and_reconciled_on_retry() {
    let sandbox = sandbox();
    let backend = Arc::new(LoseCreateAnswer {
        inner: InProcessBackend::new(sandbox.clone()),
        armed: AtomicBool::new(true),
    });
    let service = service(backend.clone());
    to_suggestions(&service, "r", AADHAAR).await;

    let err = service
        .step(
            "r",
            Step::CreateHprIdWithPreverified,
            create_payload("asha.unconfirmed"),
            None,
        )
        .await
        .unwrap_err();
    assert!(err.is_unconfirmed(), "{err:?}");
    let doc = serde_json::to_value(ErrorDocument::from_error(&err)).unwrap();
    assert_eq!(doc["error"]["unconfirmed"], true, "{doc}");
    assert_eq!(doc["error"]["kind"], "transport", "{doc}");
    assert_eq!(
        sandbox.accounts().len(),
        1,
        "the registry did create the account"
    );

    let stored = service.get("r").await.unwrap();
    assert_eq!(
        stored.session.unconfirmed(),
        Some(Step::CreateHprIdWithPreverified)
    );
    assert_eq!(stored.session.next_step(), Some(Step::CheckAccountExist));
    // a session saved in this state reads back the same
    let text = serde_json::to_string(&stored.session).unwrap();
    assert_eq!(
        serde_json::from_str::<RegistrationSession>(&text).unwrap(),
        stored.session
    );

    // retrying create asks the registry first, and completes with the account it made
    let (done, outcome) = service
        .step(
            "r",
            Step::CreateHprIdWithPreverified,
            create_payload("asha.unconfirmed"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(outcome.next_step, None);
    let result = done.session.result().unwrap();
    assert_eq!(result.hpr_id_number, sandbox.accounts()[0].hpr_id_number);
    assert_eq!(sandbox.accounts().len(), 1, "not created twice");
}

#[tokio::test]
async fn after_an_unconfirmed_create_the_account_check_completes_the_session() {
    let sandbox = sandbox();
    let backend = LoseCreateAnswer {
        inner: InProcessBackend::new(sandbox.clone()),
        armed: AtomicBool::new(true),
    };
    let service = service(Arc::new(InProcessBackend::new(sandbox.clone())));
    to_suggestions(&service, "r", AADHAAR).await;
    let mut session = service.get("r").await.unwrap().session;
    let err = session
        .run(
            &backend,
            Step::CreateHprIdWithPreverified,
            create_payload("asha.checked"),
        )
        .await
        .unwrap_err();
    assert!(err.is_unconfirmed());
    assert!(session.allowed_steps().contains(&Step::CheckAccountExist));
    let outcome = session
        .run(&backend, Step::CheckAccountExist, Value::Null)
        .await
        .unwrap();
    assert_eq!(outcome.next_step, None);
    assert_eq!(session.stage(), Stage::Completed);
    assert_eq!(session.result().unwrap().hpr_id, "asha.checked@hpr.abdm");
}

#[test]
fn version_1_sessions_load_at_every_stage() {
    for stage in Stage::ALL {
        let name = serde_json::to_value(stage).unwrap();
        let name = name.as_str().unwrap();
        let text = common::fixture(&format!("session_v1/{name}.json"));
        let session: RegistrationSession =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(session.stage(), stage, "{name}");
        if stage != Stage::Start && stage != Stage::Completed {
            assert_eq!(
                session.txn_id().unwrap().as_str(),
                "3fa85f64-5717-4562-b3fc-2c963f66afa6"
            );
            assert_eq!(session.aadhaar_last4(), Some("2346"));
            assert_eq!(session.linked_mobile(), Some("******3210"));
        }
        if matches!(
            stage,
            Stage::MobileUnverified
                | Stage::MobileOtpSent
                | Stage::MobileVerified
                | Stage::SuggestionsReady
        ) {
            assert_eq!(session.mobile().unwrap().expose(), "9876543210", "{name}");
            assert_eq!(session.prefill().state_code.as_deref(), Some("9"), "{name}");
        }
        if stage == Stage::SuggestionsReady {
            assert_eq!(session.suggestions(), ["asha.verma", "ashaverma1988"]);
        }
        if stage == Stage::Completed {
            assert_eq!(session.result().unwrap().hpr_id_number, "71-1234-5678-9012");
        }
        // written back as version 2, and read again unchanged
        let v2 = serde_json::to_value(&session).unwrap();
        assert_eq!(v2["version"], 2, "{name}");
        assert_eq!(v2["stage"], name);
        assert_eq!(
            serde_json::from_value::<RegistrationSession>(v2).unwrap(),
            session,
            "{name}"
        );
    }
}

#[test]
fn a_version_1_file_missing_its_stage_data_is_refused_by_name() {
    let text = common::fixture("session_v1/mobile_verified.json").replace("\"9876543210\"", "null");
    let err = serde_json::from_str::<RegistrationSession>(&text).unwrap_err();
    assert!(err.to_string().contains("lacks mobile"), "{err}");
}

/// One step of a random script: a step and a payload from a small alphabet of good and bad values.
fn any_step() -> impl Strategy<Value = (Step, Value)> {
    let step = prop::sample::select(Step::ALL.to_vec());
    let value = prop::sample::select(vec![
        json!(null),
        json!(""),
        json!(FIXED_OTP),
        json!("000000"),
        json!(AADHAAR),
        json!(MOBILE),
        json!(-1),
        json!(1.5e300),
        json!(true),
        json!([1]),
        json!({"a": 1}),
        json!("\u{202e}x"),
        json!("asha.verma"),
        json!(PASSWORD),
    ]);
    let key = prop::sample::select(vec![
        "aadhaar",
        "otp",
        "txnId",
        "mobileNumber",
        "mobile",
        "hprId",
        "password",
        "email",
        "hpCategoryCode",
        "hpSubCategoryCode",
        "preverifiedCheck",
        "dayOfBirth",
        "unknown",
    ]);
    (step, prop::collection::vec((key, value), 0..4)).prop_map(|(step, pairs)| {
        let map: serde_json::Map<String, Value> =
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        (step, Value::Object(map))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the caller sends, in whatever order, the service answers (Ok or a typed error),
    /// never panics, and the stored session stays consistent with its hint.
    #[test]
    fn no_sequence_of_steps_panics_the_service(script in prop::collection::vec(any_step(), 1..12)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let service = service(Arc::new(InProcessBackend::new(sandbox())));
            let _ = service.start("r", json!({"aadhaar": AADHAAR})).await;
            for (step, payload) in script {
                let result = service.step("r", step, payload, None).await;
                if let Err(e) = &result {
                    let doc = serde_json::to_string(&ErrorDocument::from_error(e)).unwrap();
                    prop_assert!(!doc.contains(PASSWORD) && !doc.contains(AADHAAR), "{doc}");
                }
                let stored = service.get("r").await.unwrap();
                let session = &stored.session;
                prop_assert_eq!(session.next_step(), session.allowed_steps().first().copied());
                prop_assert_eq!(session.hint().is_some(), session.stage() != Stage::Completed);
            }
            Ok(())
        })?;
    }
}

/// Yields once before every call, so that two concurrent steps interleave.
#[derive(Debug)]
struct Interleaved(InProcessBackend);

impl RegistryBackend for Interleaved {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.0.call(request).await
        })
    }
}

#[tokio::test]
async fn of_two_concurrent_steps_on_one_revision_exactly_one_is_saved() {
    let service = service(Arc::new(Interleaved(InProcessBackend::new(sandbox()))));
    let stored = to_verified(&service).await;
    let revision = Some(stored.revision);
    let (a, b) = tokio::join!(
        service.step("r", Step::CheckAccountExist, Value::Null, revision),
        service.step("r", Step::CheckAccountExist, Value::Null, revision),
    );
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(Error::Conflict(_))))
        .count();
    assert_eq!(conflicts, 1, "{a:?} {b:?}");
    assert!(a.is_ok() || b.is_ok());
    let saved = service.get("r").await.unwrap();
    assert_eq!(saved.revision, stored.revision + 1);
    assert_eq!(saved.session.stage(), Stage::NewAccount);
}
