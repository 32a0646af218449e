#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `RegistrationService` claims and expiry over `MemoryStore` and the in-process sandbox: of two
//! concurrent steps on one registration exactly one reaches the registry; a failed step frees
//! the registration; a claim whose holder died (its `until` passed) blocks nothing; an expired
//! registration is not found; every saved step slides the expiry.
//!
//! A held registry call (a gate the test opens) makes the overlap certain, without sleeps.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use abdm_hpr::Error;
use abdm_hpr::backend::{BoxFuture, RegistryBackend, Request, Response};
use abdm_hpr::flow::{Clock, MemoryStore, RegistrationService, Stage, Step};
use hpr_sandbox::{InProcessBackend, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::sync::Notify;

const AADHAAR: &str = "234123412346";
const OTP: &str = "123456";
const TTL: Duration = Duration::from_secs(30 * 60);

/// A clock the test moves.
#[derive(Debug)]
struct TestClock(Mutex<SystemTime>);

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// The sandbox, counting calls; when armed, the next call waits until the test opens it.
#[derive(Debug)]
struct Held {
    inner: InProcessBackend,
    calls: AtomicUsize,
    armed: AtomicBool,
    entered: Notify,
    release: Notify,
}

impl RegistryBackend for Held {
    fn call<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, abdm_hpr::Result<Response>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.armed.swap(false, Ordering::SeqCst) {
                self.entered.notify_one();
                self.release.notified().await;
            }
            self.inner.call(request).await
        })
    }
}

struct Harness {
    service: RegistrationService,
    backend: Arc<Held>,
    clock: Arc<TestClock>,
}

impl Harness {
    fn new() -> Self {
        let sandbox = Sandbox::new(SandboxConfig {
            seed: Some(5),
            fixed_otp: Some(OTP.into()),
            resend_interval: Duration::ZERO,
            ..SandboxConfig::default()
        })
        .unwrap();
        let backend = Arc::new(Held {
            inner: InProcessBackend::new(sandbox),
            calls: AtomicUsize::new(0),
            armed: AtomicBool::new(false),
            entered: Notify::new(),
            release: Notify::new(),
        });
        let clock = Arc::new(TestClock(Mutex::new(SystemTime::now())));
        let service =
            RegistrationService::new(backend.clone(), Arc::new(MemoryStore::new()), clock.clone())
                .with_ttl(TTL);
        Self {
            service,
            backend,
            clock,
        }
    }

    fn calls(&self) -> usize {
        self.backend.calls.load(Ordering::SeqCst)
    }

    async fn start(&self, id: &str) {
        self.service
            .start(id, json!({"aadhaar": AADHAAR}))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_steps_one_runs_one_is_a_conflict_and_one_call_is_made() {
    let h = Harness::new();
    h.start("r").await;
    let calls = h.calls();
    h.backend.armed.store(true, Ordering::SeqCst);
    let first = {
        let service = h.service.clone();
        tokio::spawn(async move {
            service
                .step("r", Step::VerifyAadhaarOtp, json!({"otp": OTP}), None)
                .await
        })
    };
    // the first step has claimed the registration and is at the registry
    tokio::time::timeout(Duration::from_secs(20), h.backend.entered.notified())
        .await
        .unwrap();
    let second = h
        .service
        .step("r", Step::VerifyAadhaarOtp, json!({"otp": OTP}), None)
        .await
        .unwrap_err();
    assert!(matches!(second, Error::Conflict(_)), "{second:?}");
    assert!(second.to_string().contains("in progress"), "{second}");
    h.backend.release.notify_one();
    let (stored, outcome) = first.await.unwrap().unwrap();
    assert_eq!(outcome.next_step, Some(Step::CheckAccountExist));
    assert_eq!(stored.revision, 2);
    assert_eq!(h.calls(), calls + 1, "only the first reached the registry");
    // the save ended the claim: the next step runs
    h.service
        .step("r", Step::CheckAccountExist, Value::Null, Some(2))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refused_step_releases_its_claim_so_the_next_attempt_runs() {
    let h = Harness::new();
    h.start("r").await;
    for _ in 0..2 {
        let err = h
            .service
            .step("r", Step::VerifyAadhaarOtp, json!({"otp": "000000"}), None)
            .await
            .unwrap_err();
        assert_eq!(err.api_code(), Some("HIS-1013"), "{err:?}");
    }
    let calls = h.calls();
    let (stored, _) = h
        .service
        .step("r", Step::VerifyAadhaarOtp, json!({"otp": OTP}), Some(1))
        .await
        .unwrap();
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.session.stage(), Stage::AadhaarVerified);
    assert_eq!(h.calls(), calls + 1);
}

#[tokio::test]
async fn a_live_claim_blocks_a_step_and_a_stale_one_does_not() {
    let h = Harness::new();
    h.start("r").await;
    let now = h.clock.now();
    let store = h.service.store();

    // another step holds it for another minute: refused, nothing sent
    store
        .claim("r", 1, now, now + Duration::from_secs(60))
        .await
        .unwrap();
    let calls = h.calls();
    let err = h
        .service
        .step("r", Step::VerifyAadhaarOtp, json!({"otp": OTP}), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(h.calls(), calls);

    // its holder died: two minutes later the claim has lapsed and the step runs
    h.clock.advance(Duration::from_secs(120));
    let (stored, _) = h
        .service
        .step("r", Step::VerifyAadhaarOtp, json!({"otp": OTP}), None)
        .await
        .unwrap();
    assert_eq!(stored.revision, 2);
    assert_eq!(h.calls(), calls + 1);

    // a claim made with a past `until` (a crashed holder) blocks nothing either
    let now = h.clock.now();
    store
        .claim(
            "r",
            2,
            now - Duration::from_secs(300),
            now - Duration::from_secs(180),
        )
        .await
        .unwrap();
    h.service
        .step("r", Step::CheckAccountExist, Value::Null, Some(2))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_registration_is_not_found_even_before_it_is_purged() {
    let h = Harness::new();
    h.start("r").await;
    h.clock.advance(TTL - Duration::from_secs(1));
    assert_eq!(h.service.get("r").await.unwrap().revision, 1);
    h.clock.advance(Duration::from_secs(1));
    let err = h.service.get("r").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let calls = h.calls();
    let err = h
        .service
        .step("r", Step::VerifyAadhaarOtp, json!({"otp": OTP}), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(h.calls(), calls, "nothing sent for an expired registration");
    // still in the store until purged
    assert!(h.service.store().get("r").await.unwrap().is_some());
    assert_eq!(h.service.purge_expired().await.unwrap(), 1);
    assert!(h.service.store().get("r").await.unwrap().is_none());
}

#[tokio::test]
async fn every_saved_step_slides_the_expiry_and_a_refused_one_does_not() {
    let h = Harness::new();
    let (started, _) = h
        .service
        .start("r", json!({"aadhaar": AADHAAR}))
        .await
        .unwrap();
    assert_eq!(started.expires_at, started.created_at + TTL);

    h.clock.advance(Duration::from_secs(20 * 60));
    // refused by the registry: nothing saved, the expiry stays
    h.service
        .step("r", Step::VerifyAadhaarOtp, json!({"otp": "000000"}), None)
        .await
        .unwrap_err();
    assert_eq!(
        h.service.get("r").await.unwrap().expires_at,
        started.expires_at
    );

    let (stored, _) = h
        .service
        .step("r", Step::VerifyAadhaarOtp, json!({"otp": OTP}), None)
        .await
        .unwrap();
    let slid = h.clock.now() + TTL;
    assert_eq!(stored.expires_at, slid);
    assert_eq!(stored.created_at, started.created_at);
    assert_eq!(h.service.get("r").await.unwrap().expires_at, slid);

    // past the first expiry, within the slid one: still there
    h.clock.advance(Duration::from_secs(25 * 60));
    assert!(h.clock.now() > started.expires_at);
    assert_eq!(h.service.get("r").await.unwrap().revision, 2);
}
