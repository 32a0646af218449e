#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every error status of `hpr serve` over real HTTP, each with its error document: validation
//! 422 (with `fields`), flow 409 (with `allowed_steps`), revision conflicts 409, the registry's
//! refusal 422 (with its HIS code), the registry failing 502 / timing out 504 (with
//! `unconfirmed` where the step may have taken effect), 401 with `WWW-Authenticate`, 404,
//! 429 with `Retry-After`, 413, 415, unreadable bodies and queries 422; and tenant isolation.

mod common;

use std::time::Duration;

use common::{OTP, TestServer, aadhaar, create_payload};
use hpr_sandbox::FaultKind;
use hpr_server::ServerConfig;
use reqwest::Method;
use serde_json::{Value, json};

/// Sends `request`; (status, headers, body as JSON).
async fn send(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, headers, body)
}

/// Asserts the error document's kind (and that it has a message).
#[track_caller]
fn assert_kind(body: &Value, kind: &str) {
    assert_eq!(body["error"]["kind"], kind, "{body}");
    assert!(
        !body["error"]["message"].as_str().unwrap().is_empty(),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_that_breaks_a_rule_is_422_validation_naming_it_and_nothing_is_sent() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let (status, body) = server
        .post(
            &key,
            "/v1/registrations",
            &json!({"aadhaar": "234123412345"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_kind(&body, "validation");
    let fields = body["error"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{body}");
    assert_eq!(fields[0]["field"], "aadhaar");
    assert!(!fields[0]["code"].as_str().unwrap().is_empty());
    // the value is not echoed
    assert!(!body.to_string().contains("234123412345"), "{body}");

    let id = server.start_registration(&key).await;
    let calls = server.registry_calls();
    let (status, body) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": "12"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "otp");
    let (status, body) = server
        .step(
            &key,
            &id,
            "verify_aadhaar_otp",
            &json!({"otp": OTP, "extra": 1}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_kind(&body, "validation");
    assert_eq!(server.registry_calls(), calls, "nothing was sent");
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(view["revision"], 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_not_allowed_now_is_409_flow_with_the_allowed_steps() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let calls = server.registry_calls();
    let (status, body) = server
        .step(&key, &id, "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 409, "{body}");
    assert_kind(&body, "flow");
    assert_eq!(
        body["error"]["allowed_steps"],
        json!(["verify_aadhaar_otp", "generate_aadhaar_otp"])
    );
    let (status, body) = server
        .step(
            &key,
            &id,
            "create_hpr_id_with_preverified",
            &create_payload("asha.verma"),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_kind(&body, "flow");
    assert_eq!(server.registry_calls(), calls);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_with_another_revision_is_409_conflict_and_a_bad_one_is_422() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let path = format!("/v1/registrations/{id}/steps/verify_aadhaar_otp");
    let calls = server.registry_calls();
    let (status, _, body) = send(
        server
            .request(Method::POST, &key, &path)
            .header("if-match", "\"7\"")
            .json(&json!({"otp": OTP})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_kind(&body, "conflict");
    for bad in ["\"seven\"", "", "\"-1\""] {
        let (status, _, body) = send(
            server
                .request(Method::POST, &key, &path)
                .header("if-match", bad)
                .json(&json!({"otp": OTP})),
        )
        .await;
        assert_eq!(status, 422, "{bad:?}: {body}");
        assert_kind(&body, "validation");
    }
    assert_eq!(server.registry_calls(), calls, "nothing was sent");
    // the right revision, in the weak form too
    let (status, _, body) = send(
        server
            .request(Method::POST, &key, &path)
            .header("if-match", "W/\"1\"")
            .json(&json!({"otp": OTP})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revision"], 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_otp_is_422_api_with_the_registry_code_and_changes_nothing() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let (status, body) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": "000000"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_kind(&body, "api");
    assert_eq!(body["error"]["code"], "HIS-1013");
    assert!(body["error"]["status"].as_u64().unwrap() < 500, "{body}");
    assert!(body["error"].get("unconfirmed").is_none(), "{body}");
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(view["revision"], 1);
    assert_eq!(view["stage"], "aadhaar_otp_sent");
    // the claim was released: the right OTP goes through
    let (status, body) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_fails_is_502_and_one_that_does_not_answer_is_504() {
    let server = TestServer::over_http(ServerConfig::default(), Duration::ZERO).await;
    let key = server.key("emr", "emr").await;
    let number = aadhaar(50);
    let id = server.start_for(&key, &number).await;
    let (status, _) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 200);

    // a reset connection on a step without side effects: 502 transport, not unconfirmed
    server
        .sandbox
        .fail_next("/check/account-exist", FaultKind::Reset);
    let (status, body) = server
        .step(&key, &id, "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 502, "{body}");
    assert_kind(&body, "transport");
    assert!(body["error"].get("unconfirmed").is_none(), "{body}");

    // the registry's own failure, with its code: 502 api
    server
        .sandbox
        .fail_next("/check/account-exist", FaultKind::Status500);
    let (status, body) = server
        .step(&key, &id, "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 502, "{body}");
    assert_kind(&body, "api");
    assert_eq!(body["error"]["status"], 500);
    let (status, _) = server
        .step(&key, &id, "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 200, "a failed step leaves the registration usable");
    let (status, _) = server
        .step(
            &key,
            &id,
            "demographic_auth_via_mobile",
            &json!({"mobileNumber": server.other_mobile(&number)}),
        )
        .await;
    assert_eq!(status, 200);

    // no answer to an OTP send: 504 transport, unconfirmed, and the registration says so
    server
        .sandbox
        .fail_next("/generate/mobileOtp", FaultKind::Timeout);
    let (status, body) = server
        .step(&key, &id, "generate_mobile_otp", &Value::Null)
        .await;
    assert_eq!(status, 504, "{body}");
    assert_kind(&body, "transport");
    assert_eq!(body["error"]["unconfirmed"], true, "{body}");
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(view["unconfirmed_step"], "generate_mobile_otp", "{view}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_was_lost_is_502_unconfirmed_and_its_retry_finds_the_account() {
    let server = TestServer::over_http(ServerConfig::default(), Duration::ZERO).await;
    let key = server.key("emr", "emr").await;
    let number = aadhaar(51);
    let id = server.start_for(&key, &number).await;
    for (step, payload) in [
        ("verify_aadhaar_otp", json!({"otp": OTP})),
        ("check_account_exist", Value::Null),
        (
            "demographic_auth_via_mobile",
            json!({"mobileNumber": server.linked_mobile(&number)}),
        ),
    ] {
        let (status, body) = server.step(&key, &id, step, &payload).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    let (_, suggestions) = server
        .step(&key, &id, "get_hpr_id_suggestion", &Value::Null)
        .await;
    let username = suggestions["outcome"]["data"][0]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .sandbox
        .fail_next("/hprId/create", FaultKind::LostAnswer);
    let (status, body) = server
        .step(
            &key,
            &id,
            "create_hpr_id_with_preverified",
            &create_payload(&username),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_kind(&body, "transport");
    assert_eq!(body["error"]["unconfirmed"], true);
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(view["unconfirmed_step"], "create_hpr_id_with_preverified");
    assert_eq!(server.sandbox.accounts().len(), 1, "the create took effect");

    let (status, body) = server
        .step(
            &key,
            &id,
            "create_hpr_id_with_preverified",
            &create_payload(&username),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stage"], "completed");
    assert_eq!(server.sandbox.accounts().len(), 1, "not created twice");
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert!(view.get("unconfirmed_step").is_none(), "{view}");
    assert_eq!(
        view["result"]["hprId"],
        format!("{username}@hpr.abdm").as_str()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_malformed_unknown_or_revoked_key_is_401_with_www_authenticate() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let url = format!("{}/v1/registrations", server.base);
    let unknown = hpr_server::keys::generate().unwrap();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing", None),
        ("basic", Some("Basic ZW1yOnNlY3JldA==".into())),
        ("empty bearer", Some("Bearer ".into())),
        ("unknown", Some(format!("Bearer {unknown}"))),
    ];
    for (name, header) in cases {
        let mut request = server.http.get(&url);
        if let Some(header) = header {
            request = request.header("authorization", header);
        }
        let (status, headers, body) = send(request).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_kind(&body, "auth");
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{name}"
        );
    }
    let (status, _) = server.get(&key, "/v1/registrations").await;
    assert_eq!(status, 200);
    assert!(
        server
            .db
            .revoke_key("emr", std::time::SystemTime::now())
            .await
            .unwrap()
    );
    // a live key is remembered for up to `key_cache_ttl` (1 s): past it the revocation holds
    server.clock.advance(std::time::Duration::from_secs(2));
    let (status, headers, body) =
        send(server.request(Method::GET, &key, "/v1/registrations")).await;
    assert_eq!(status, 401, "{body}");
    assert_kind(&body, "auth");
    assert!(headers.contains_key("www-authenticate"));
    // a POST with a revoked key starts nothing
    let (status, _) = server
        .post(&key, "/v1/registrations", &json!({"aadhaar": aadhaar(60)}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(server.registry_calls(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_steps_paths_and_methods_are_json_errors() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let (status, body) = server
        .get(
            &key,
            "/v1/registrations/00000000-0000-0000-0000-000000000000",
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_kind(&body, "not_found");
    let (status, body) = server
        .step(&key, "no-such-id", "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 404, "{body}");
    assert_kind(&body, "not_found");

    let id = server.start_registration(&key).await;
    let (status, body) = server.step(&key, &id, "launch_rockets", &Value::Null).await;
    assert_eq!(status, 404, "{body}");
    assert_kind(&body, "not_found");

    let (status, _, body) = send(server.request(Method::GET, &key, "/v2/nothing")).await;
    assert_eq!(status, 404, "{body}");
    assert_kind(&body, "not_found");
    let (status, _, body) =
        send(server.request(Method::PUT, &key, &format!("/v1/registrations/{id}"))).await;
    assert_eq!(status, 405, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_per_key_429_with_retry_after() {
    let server = TestServer::with_config(ServerConfig {
        rate_limit_per_min: Some(3),
        ..ServerConfig::default()
    })
    .await;
    let key = server.key("emr", "emr").await;
    let other = server.key("lab", "lab").await;
    for _ in 0..3 {
        let (status, _) = server.get(&key, "/v1/registrations").await;
        assert_eq!(status, 200);
    }
    let (status, headers, body) =
        send(server.request(Method::GET, &key, "/v1/registrations")).await;
    assert_eq!(status, 429, "{body}");
    assert_kind(&body, "rate_limited");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    // 3 a minute: the next one frees in about 20 s
    assert!((1..=60).contains(&wait), "{wait}");
    // a POST is limited as well, and nothing reaches the registry
    let (status, _) = server
        .post(&key, "/v1/registrations", &json!({"aadhaar": aadhaar(61)}))
        .await;
    assert_eq!(status, 429);
    assert_eq!(server.registry_calls(), 0);
    // another key has its own budget
    let (status, _) = server.get(&other, "/v1/registrations").await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_too_large_not_json_or_unreadable_are_refused() {
    let server = TestServer::with_config(ServerConfig {
        body_limit: 4096,
        ..ServerConfig::default()
    })
    .await;
    let key = server.key("emr", "emr").await;
    let large = json!({"aadhaar": aadhaar(62), "pad": "x".repeat(5000)}).to_string();
    let (status, _, body) = send(
        server
            .request(Method::POST, &key, "/v1/registrations")
            .header("content-type", "application/json")
            .body(large),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_kind(&body, "validation");

    let (status, _, body) = send(
        server
            .request(Method::POST, &key, "/v1/registrations")
            .header("content-type", "text/plain")
            .body(json!({"aadhaar": aadhaar(62)}).to_string()),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    assert_kind(&body, "validation");

    let number = aadhaar(62);
    let bodies = [
        ("malformed", "{\"aadhaar\": ".to_owned()),
        (
            "duplicate keys",
            format!("{{\"aadhaar\": \"{number}\", \"aadhaar\": \"{number}\"}}"),
        ),
        ("not an object", "[1, 2]".to_owned()),
        (
            "an unknown field",
            format!("{{\"aadhaar\": \"{number}\", \"a\": 1}}"),
        ),
    ];
    for (name, text) in bodies {
        let (status, _, body) = send(
            server
                .request(Method::POST, &key, "/v1/registrations")
                .header("content-type", "application/json")
                .body(text),
        )
        .await;
        assert_eq!(status, 422, "{name}: {body}");
        assert_kind(&body, "validation");
    }
    let (status, _, body) = send(
        server
            .request(Method::POST, &key, "/v1/registrations")
            .header("content-type", "application/json")
            .body(b"\xff\xfe".to_vec()),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(server.registry_calls(), 0);
    let (_, list) = server.get(&key, "/v1/registrations").await;
    assert_eq!(list["registrations"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_list_queries_are_422() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "limit=-1",
        "stage=nowhere",
        "cursor=!!!",
        "cursor=bm90LWEtY3Vyc29y",
        "colour=blue",
    ] {
        let (status, body) = server
            .get(&key, &format!("/v1/registrations?{query}"))
            .await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_kind(&body, "validation");
    }
    let (status, body) = server.get(&key, "/v1/registrations?limit=100").await;
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_sees_only_its_own_registrations_and_its_keys_share_them() {
    let server = TestServer::start().await;
    let a = server.key("a-emr", "clinic-a").await;
    let a2 = server.key("a-lab", "clinic-a").await;
    let b = server.key("b-emr", "clinic-b").await;
    let id = server.start_registration(&a).await;
    let path = format!("/v1/registrations/{id}");
    let calls = server.registry_calls();

    let (status, body) = server.get(&b, &path).await;
    assert_eq!(status, 404, "{body}");
    assert_kind(&body, "not_found");
    let (status, body) = server
        .step(&b, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_kind(&body, "not_found");
    let (status, _, body) = send(server.request(Method::DELETE, &b, &path)).await;
    assert_eq!(status, 404, "{body}");
    let (_, list) = server.get(&b, "/v1/registrations").await;
    assert_eq!(list["registrations"], json!([]));
    assert_eq!(server.registry_calls(), calls, "B reached nothing");

    // A's registration is untouched, and A's other key reaches it
    let (status, view) = server.get(&a2, &path).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["revision"], 1);
    let (_, list) = server.get(&a2, "/v1/registrations").await;
    assert_eq!(list["registrations"][0]["id"], id.as_str());
    let (status, _) = server
        .step(&a2, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 200);
    let (_, view) = server.get(&a, &path).await;
    assert_eq!(view["revision"], 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_registry_is_502_transport_and_not_unconfirmed() {
    let mut server = TestServer::over_http(ServerConfig::default(), Duration::ZERO).await;
    let key = server.key("emr", "emr").await;
    let id = server.start_for(&key, &aadhaar(52)).await;
    server.stop_registry().await;
    // the connection is refused: nothing was sent, so even an OTP check is not unconfirmed
    let (status, body) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 502, "{body}");
    assert_kind(&body, "transport");
    assert!(body["error"].get("unconfirmed").is_none(), "{body}");
    let (_, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(view["revision"], 1);
    assert!(view.get("unconfirmed_step").is_none(), "{view}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_over_the_limit_is_413() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let server = TestServer::with_config(ServerConfig {
        body_limit: 4096,
        ..ServerConfig::default()
    })
    .await;
    let key = server.key("emr", "emr").await;
    let chunk = "x".repeat(5000);
    let request = format!(
        "POST /v1/registrations HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         {:x}\r\n{chunk}\r\n0\r\n\r\n",
        server.addr,
        chunk.len()
    );
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"kind\":\"validation\""), "{answer}");
    assert_eq!(server.registry_calls(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_slower_than_the_request_timeout_is_504_and_still_saved() {
    let server = TestServer::with_config(ServerConfig {
        request_timeout: Duration::from_secs(1),
        ..ServerConfig::default()
    })
    .await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    server.gate.arm();
    let (status, body) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 504, "{body}");
    assert_kind(&body, "transport");
    // the step is still at the registry; let it answer: it is saved without a client
    server.gate.open();
    let path = format!("/v1/registrations/{id}");
    let saved = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let (_, view) = server.get(&key, &path).await;
            if view["revision"] == 2 {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the step is saved");
    assert_eq!(saved["stage"], "aadhaar_verified");
    server.stop().await;
}
