#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `Idempotency-Key` replays (without calling the registry again), mismatches, stored 4xx,
//! unstored 409s; the race of two concurrent steps on one registration (exactly one reaches the
//! registry); and a graceful shutdown that lets a step in flight finish.
//!
//! Concurrency is made certain with the test backend's gate (a registry call held until the
//! test lets it go), never with sleeps.

mod common;

use std::time::Duration;

use common::{OTP, TestServer, aadhaar};
use reqwest::Method;
use serde_json::{Value, json};

/// A POST of `body` to `path` with `Idempotency-Key: idem`; (status, replayed?, body text).
async fn post_idem(
    server: &TestServer,
    key: &str,
    path: &str,
    idem: &str,
    body: &Value,
) -> (u16, bool, String) {
    let response = server
        .request(Method::POST, key, path)
        .header("idempotency-key", idem)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let replayed = match response.headers().get("idempotent-replayed") {
        None => false,
        Some(v) => {
            assert_eq!(v, "true");
            true
        }
    };
    (status, replayed, response.text().await.unwrap())
}

fn kind(text: &str) -> String {
    let body: Value = serde_json::from_str(text).unwrap();
    body["error"]["kind"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_and_body_replay_the_answer_without_calling_the_registry() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let start = json!({"aadhaar": aadhaar(70)});
    let (status, replayed, first) =
        post_idem(&server, &key, "/v1/registrations", "start-1", &start).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    let calls = server.registry_calls();
    let (status, replayed, again) =
        post_idem(&server, &key, "/v1/registrations", "start-1", &start).await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(again, first);
    assert_eq!(server.registry_calls(), calls, "not sent again");
    let (_, list) = server.get(&key, "/v1/registrations").await;
    assert_eq!(list["registrations"].as_array().unwrap().len(), 1);

    let id = serde_json::from_str::<Value>(&first).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/registrations/{id}/steps/verify_aadhaar_otp");
    let otp = json!({"otp": OTP});
    let (status, replayed, first) = post_idem(&server, &key, &path, "verify-1", &otp).await;
    assert_eq!((status, replayed), (200, false), "{first}");
    let calls = server.registry_calls();
    let (status, replayed, again) = post_idem(&server, &key, &path, "verify-1", &otp).await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first);
    assert_eq!(server.registry_calls(), calls, "not sent again");
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(view["revision"], 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_another_request_is_422_and_keys_are_per_tenant() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let other_tenant = server.key("lab", "lab").await;
    let (status, _, _) = post_idem(
        &server,
        &key,
        "/v1/registrations",
        "k",
        &json!({"aadhaar": aadhaar(71)}),
    )
    .await;
    assert_eq!(status, 201);
    let calls = server.registry_calls();
    let (status, replayed, body) = post_idem(
        &server,
        &key,
        "/v1/registrations",
        "k",
        &json!({"aadhaar": aadhaar(72)}),
    )
    .await;
    assert_eq!((status, replayed), (422, false), "{body}");
    assert_eq!(kind(&body), "validation");
    assert!(body.contains("Idempotency-Key"), "{body}");
    assert_eq!(server.registry_calls(), calls);

    // the same key in another tenant is that tenant's own key (not a mismatch with the first)
    let (status, replayed, _) = post_idem(
        &server,
        &other_tenant,
        "/v1/registrations",
        "k",
        &json!({"aadhaar": aadhaar(74)}),
    )
    .await;
    assert_eq!((status, replayed), (201, false));
    assert_eq!(server.registry_calls(), calls + 1);

    for bad in ["", &"k".repeat(256), "with space"] {
        let (status, _, body) = post_idem(
            &server,
            &key,
            "/v1/registrations",
            bad,
            &json!({"aadhaar": aadhaar(73)}),
        )
        .await;
        assert_eq!(status, 422, "{bad:?}: {body}");
        assert_eq!(kind(&body), "validation");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_4xx_is_replayed_but_a_409_runs_again() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let verify = format!("/v1/registrations/{id}/steps/verify_aadhaar_otp");

    // the registry's refusal is an answer a retry would repeat: stored, replayed, not re-sent
    let wrong = json!({"otp": "000000"});
    let (status, replayed, first) = post_idem(&server, &key, &verify, "wrong", &wrong).await;
    assert_eq!((status, replayed), (422, false), "{first}");
    assert_eq!(kind(&first), "api");
    let calls = server.registry_calls();
    let (status, replayed, again) = post_idem(&server, &key, &verify, "wrong", &wrong).await;
    assert_eq!((status, replayed), (422, true));
    assert_eq!(again, first);
    assert_eq!(server.registry_calls(), calls);

    // a step not allowed now: 409, not stored, so the same key runs again (no replay header)
    let check = format!("/v1/registrations/{id}/steps/check_account_exist");
    for _ in 0..2 {
        let (status, replayed, body) =
            post_idem(&server, &key, &check, "early", &Value::Null).await;
        assert_eq!((status, replayed), (409, false), "{body}");
        assert_eq!(kind(&body), "flow");
    }

    // a revision conflict is not stored either: the retry with the right revision runs
    let otp = json!({"otp": OTP});
    let response = server
        .request(Method::POST, &key, &verify)
        .header("idempotency-key", "cas")
        .header("if-match", "\"9\"")
        .json(&otp)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert_eq!(kind(&response.text().await.unwrap()), "conflict");
    let calls = server.registry_calls();
    let response = server
        .request(Method::POST, &key, &verify)
        .header("idempotency-key", "cas")
        .header("if-match", "\"1\"")
        .json(&otp)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("idempotent-replayed").is_none());
    assert_eq!(server.registry_calls(), calls + 1, "it ran");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_steps_one_runs_and_the_other_is_409_conflict() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let calls = server.registry_calls();
    let url = format!(
        "{}/v1/registrations/{id}/steps/verify_aadhaar_otp",
        server.base
    );
    let first = {
        let (http, url, key) = (server.http.clone(), url.clone(), key.clone());
        server.gate.arm();
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(key)
                .json(&json!({"otp": OTP}))
                .send()
                .await
                .unwrap()
        })
    };
    // the first step holds the registration (its registry call is held at the gate)
    server.gate.entered().await;
    let (status, body) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["kind"], "conflict");
    server.gate.open();
    let first = first.await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        server.registry_calls(),
        calls + 1,
        "one call reached the registry"
    );
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(view["revision"], 2);
    assert_eq!(view["stage"], "aadhaar_verified");
    // the claim ended with the save: the next step runs
    let (status, _) = server
        .step(&key, &id, "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_rounds_of_two_identical_steps_send_one_each_time() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    for round in 0..20 {
        let id = server.start_for(&key, &aadhaar(100 + round)).await;
        let calls = server.registry_calls();
        let otp = json!({"otp": OTP});
        let (a, b) = tokio::join!(
            server.step(&key, &id, "verify_aadhaar_otp", &otp),
            server.step(&key, &id, "verify_aadhaar_otp", &otp),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {} {}", a.1, b.1);
        let loser = if a.0 == 409 { &a.1 } else { &b.1 };
        // overlapping: the claim refused it; one after the other: the step was no longer allowed
        let kind = loser["error"]["kind"].as_str().unwrap();
        assert!(
            kind == "conflict" || kind == "flow",
            "round {round}: {loser}"
        );
        assert_eq!(server.registry_calls(), calls + 1, "round {round}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_while_the_first_runs_is_409_then_the_answer_is_replayed() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let path = format!("/v1/registrations/{id}/steps/verify_aadhaar_otp");
    let first = {
        let (http, url, key) = (
            server.http.clone(),
            format!("{}{path}", server.base),
            key.clone(),
        );
        server.gate.arm();
        tokio::spawn(async move {
            let response = http
                .post(url)
                .bearer_auth(key)
                .header("idempotency-key", "same")
                .json(&json!({"otp": OTP}))
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    server.gate.entered().await;
    let (status, replayed, body) =
        post_idem(&server, &key, &path, "same", &json!({"otp": OTP})).await;
    assert_eq!((status, replayed), (409, false), "{body}");
    assert_eq!(kind(&body), "conflict");
    server.gate.open();
    let (status, first) = first.await.unwrap();
    assert_eq!(status, 200, "{first}");
    let (status, replayed, again) =
        post_idem(&server, &key, &path, "same", &json!({"otp": OTP})).await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(again, first);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_lets_the_step_in_flight_finish_and_save() {
    let mut server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let url = format!(
        "{}/v1/registrations/{id}/steps/verify_aadhaar_otp",
        server.base
    );
    let in_flight = {
        let (http, key) = (server.http.clone(), key.clone());
        server.gate.arm();
        tokio::spawn(async move {
            let response = http
                .post(url)
                .bearer_auth(key)
                .json(&json!({"otp": OTP}))
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    server.gate.entered().await;
    server.begin_shutdown();
    // wait (bounded) until the service stops accepting connections: shutdown has begun
    let addr = server.addr;
    tokio::time::timeout(Duration::from_secs(20), async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the listener closes on shutdown");
    server.gate.open();
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["stage"], "aadhaar_verified");
    // answered after the save: the step is kept
    assert_eq!(body["revision"], 2);
    server.stop().await;
}
