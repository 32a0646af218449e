#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `hpr serve` over real HTTP, the happy paths: both demographic branches to an HPR ID, an
//! existing account, what `GET` shows (and never shows), listing and paging, `DELETE`, the
//! sliding expiry with an injected clock, the operations endpoints, request ids and CORS.

mod common;

use std::time::Duration;

use common::{OTP, PASSWORD, TestServer, aadhaar};
use hpr_server::ServerConfig;
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Asserts that `text` (a whole response body) holds none of the secrets of a registration.
#[track_caller]
fn assert_no_secrets(text: &str, aadhaar: &str) {
    for secret in [aadhaar, OTP, PASSWORD, "eyJ", "token"] {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
}

fn parse_time(text: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(text.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_linked_mobile_branch_registers_and_the_next_registration_finds_the_account() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let number = aadhaar(1);
    let id = server.start_for(&key, &number).await;
    let steps = server.complete(&key, &id, &number, true).await;
    let names: Vec<&str> = steps.iter().map(|(n, _, _)| *n).collect();
    // no mobile OTP on this branch
    assert_eq!(
        names,
        [
            "verify_aadhaar_otp",
            "check_account_exist",
            "demographic_auth_via_mobile",
            "get_hpr_id_suggestion",
            "create_hpr_id_with_preverified"
        ]
    );
    for (name, _, body) in &steps {
        assert_eq!(body["id"], id.as_str(), "{name}");
        // a service keeps no tokens: not in the answer of any step
        assert!(
            body["outcome"]["data"].get("token").is_none(),
            "{name}: {body}"
        );
        assert!(!body.to_string().contains("eyJ"), "{name}: {body}");
    }
    let (_, _, created) = steps.last().unwrap();
    assert_eq!(created["stage"], "completed");
    assert_eq!(created["revision"], 6);
    assert_eq!(created["outcome"]["next_step"], Value::Null);

    let response = server
        .request(Method::GET, &key, &format!("/v1/registrations/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_no_secrets(&text, &number);
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(view["stage"], "completed");
    assert_eq!(view["next_step"], Value::Null);
    assert_eq!(view["result"]["existing"], false);
    let hpr_id = view["result"]["hprId"].as_str().unwrap().to_owned();
    assert!(hpr_id.ends_with("@hpr.abdm"), "{hpr_id}");
    assert_eq!(server.sandbox.accounts().len(), 1);

    // the same Aadhaar again: the account exists, the flow ends at check_account_exist
    let again = server.start_for(&key, &number).await;
    let (status, _) = server
        .step(&key, &again, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 200);
    let (status, found) = server
        .step(&key, &again, "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["stage"], "completed");
    assert_eq!(found["outcome"]["next_step"], Value::Null);
    assert!(found["outcome"]["data"].get("token").is_none(), "{found}");
    let (_, view) = server
        .get(&key, &format!("/v1/registrations/{again}"))
        .await;
    assert_eq!(view["result"]["existing"], true);
    assert_eq!(view["result"]["hprId"], hpr_id.as_str());
    assert_no_secrets(&view.to_string(), &number);
    assert_eq!(server.sandbox.accounts().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_mobile_is_proven_by_otp_and_every_get_on_the_way_is_free_of_secrets() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let number = aadhaar(2);
    let id = server.start_for(&key, &number).await;
    let steps = server.complete(&key, &id, &number, false).await;
    let stages: Vec<&str> = steps
        .iter()
        .map(|(_, _, b)| b["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "aadhaar_verified",
            "new_account",
            "mobile_unverified",
            "mobile_otp_sent",
            "mobile_verified",
            "suggestions_ready",
            "completed"
        ]
    );
    let (_, _, created) = steps.last().unwrap();
    // the number proven by OTP is the account's
    assert_eq!(
        created["outcome"]["data"]["mobile"],
        server.other_mobile(&number).as_str()
    );
    let response = server
        .request(Method::GET, &key, &format!("/v1/registrations/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_no_secrets(&text, &number);
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(view["revision"], 8);
    assert_eq!(view["result"]["existing"], false);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_mid_flow_names_the_next_step_and_its_hint_without_the_aadhaar() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let number = aadhaar(3);
    let id = server.start_for(&key, &number).await;
    let response = server
        .request(Method::GET, &key, &format!("/v1/registrations/{id}"))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert_no_secrets(&text, &number);
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(view["revision"], 1);
    assert_eq!(view["next_step"], "verify_aadhaar_otp");
    assert_eq!(
        view["allowed_steps"],
        json!(["verify_aadhaar_otp", "generate_aadhaar_otp"])
    );
    assert!(view["next_step_payload_hint"].is_object(), "{view}");
    assert!(view.get("unconfirmed_step").is_none(), "{view}");
    assert!(view.get("result").is_none(), "{view}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_is_newest_first_pages_by_cursor_to_the_end_and_filters_by_stage() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let mut ids = Vec::new();
    for n in 10..15 {
        // distinct creation times, so "newest first" has one answer
        server.clock.advance(Duration::from_secs(1));
        ids.push(server.start_for(&key, &aadhaar(n)).await);
    }
    // one of them moves on
    let (status, _) = server
        .step(&key, &ids[1], "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 200);
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();

    let (status, all) = server.get(&key, "/v1/registrations").await;
    assert_eq!(status, 200, "{all}");
    let listed: Vec<&str> = all["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, newest_first);
    assert_eq!(all["next_cursor"], Value::Null);

    // pages of 2: 2 + 2 + 1, each cursor continuing where the last page ended
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/registrations?limit=2&cursor={c}"),
            None => "/v1/registrations?limit=2".to_owned(),
        };
        let (status, page) = server.get(&key, &path).await;
        assert_eq!(status, 200, "{page}");
        let rows = page["registrations"].as_array().unwrap();
        assert!(rows.len() <= 2);
        seen.extend(rows.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, newest_first);

    let (status, verified) = server
        .get(&key, "/v1/registrations?stage=aadhaar_verified")
        .await;
    assert_eq!(status, 200);
    let rows = verified["registrations"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{verified}");
    assert_eq!(rows[0]["id"], ids[1].as_str());
    let (_, sent) = server
        .get(&key, "/v1/registrations?stage=aadhaar_otp_sent")
        .await;
    assert_eq!(sent["registrations"].as_array().unwrap().len(), 4);
    for n in 10..15 {
        assert_no_secrets(&all.to_string(), &aadhaar(n));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_answers_204_then_the_registration_is_gone() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_for(&key, &aadhaar(20)).await;
    let path = format!("/v1/registrations/{id}");
    let response = server
        .request(Method::DELETE, &key, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.text().await.unwrap().is_empty());
    let (status, body) = server.get(&key, &path).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["kind"], "not_found");
    let again = server
        .request(Method::DELETE, &key, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let (_, list) = server.get(&key, "/v1/registrations").await;
    assert_eq!(list["registrations"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_expires_after_the_ttl_and_every_step_slides_the_expiry() {
    let ttl = Duration::from_secs(30 * 60);
    let server = TestServer::with_config(ServerConfig {
        session_ttl: ttl,
        ..ServerConfig::default()
    })
    .await;
    let key = server.key("emr", "emr").await;
    let id = server.start_for(&key, &aadhaar(30)).await;
    let path = format!("/v1/registrations/{id}");
    let (_, first) = server.get(&key, &path).await;
    let created = parse_time(&first["created_at"]);
    let expires = parse_time(&first["expires_at"]);
    assert_eq!(expires - created, time::Duration::minutes(30));

    // 20 minutes on, a step: the expiry is now 30 minutes from the step
    server.clock.advance(Duration::from_secs(20 * 60));
    let (status, _) = server
        .step(&key, &id, "verify_aadhaar_otp", &json!({"otp": OTP}))
        .await;
    assert_eq!(status, 200);
    let (_, second) = server.get(&key, &path).await;
    let slid = parse_time(&second["expires_at"]);
    assert_eq!(slid - expires, time::Duration::minutes(20));
    assert_eq!(parse_time(&second["created_at"]), created);

    // 25 more minutes: past the first expiry, within the slid one
    server.clock.advance(Duration::from_secs(25 * 60));
    let (status, view) = server.get(&key, &path).await;
    assert_eq!(status, 200, "{view}");

    // past the slid expiry: gone for GET, for steps, and from the list
    server.clock.advance(Duration::from_secs(6 * 60));
    let (status, body) = server.get(&key, &path).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["kind"], "not_found");
    let (status, body) = server
        .step(&key, &id, "check_account_exist", &Value::Null)
        .await;
    assert_eq!(status, 404, "{body}");
    let (_, list) = server.get(&key, "/v1/registrations").await;
    assert_eq!(list["registrations"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_after_a_full_registration() {
    let server = TestServer::start().await;
    let response = server
        .http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let response = server
        .http
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ready", "database": "ok", "backend": "ok"})
    );

    let key = server.key("emr", "emr").await;
    let number = aadhaar(40);
    let id = server.start_for(&key, &number).await;
    server.complete(&key, &id, &number, true).await;
    let response = server
        .http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for name in [
        "hpr_http_requests_total",
        "hpr_step_duration_seconds",
        "hpr_registrations_started_total",
        "hpr_registrations_completed_total",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} missing:\n{text}"))
            .to_owned()
    };
    assert!(line("hpr_registrations_started_total").ends_with(" 1"));
    assert!(line("hpr_registrations_completed_total").ends_with(" 1"));
    // labels are route templates, never ids
    assert!(
        text.contains(r#"route="/v1/registrations/{id}/steps/{step}""#),
        "{text}"
    );
    assert!(!text.contains(&id), "{text}");
    assert!(!text.contains(&number), "{text}");
    assert!(
        text.contains(r#"step="create_hpr_id_with_preverified""#),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_request_id_is_echoed_a_missing_or_invalid_one_replaced() {
    let server = TestServer::start().await;
    let url = format!("{}/healthz", server.base);
    let echoed = server
        .http
        .get(&url)
        .header("x-request-id", "abc-123_x.y:z")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123_x.y:z");

    let generated = server.http.get(&url).send().await.unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid_like(&id), "{id}");

    let long = "a".repeat(300);
    for bad in [long.as_str(), "has space", "semi;colon"] {
        let replaced = server
            .http
            .get(&url)
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = replaced.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert!(uuid_like(id), "{id}");
    }
    // errors carry it too
    let error = server
        .http
        .get(format!("{}/v1/registrations", server.base))
        .header("x-request-id", "req-401")
        .send()
        .await
        .unwrap();
    assert_eq!(error.status(), 401);
    assert_eq!(error.headers()["x-request-id"], "req-401");
    server.stop().await;
}

/// 36 characters of hex and dashes.
fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

async fn preflight(server: &TestServer, origin: &str) -> reqwest::Response {
    server
        .http
        .request(Method::OPTIONS, format!("{}/v1/registrations", server.base))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_by_default() {
    let server = TestServer::start().await;
    let response = preflight(&server, "http://127.0.0.1:9999").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "{:?}",
        response.headers()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_the_configured_origins() {
    let server = TestServer::with_config(ServerConfig {
        cors_origins: vec!["http://127.0.0.1:9999".into()],
        ..ServerConfig::default()
    })
    .await;
    let allowed = preflight(&server, "http://127.0.0.1:9999").await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://127.0.0.1:9999"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("idempotency-key"), "{headers}");

    let other = preflight(&server, "http://127.0.0.1:8888").await;
    assert!(
        other.headers().get("access-control-allow-origin").is_none(),
        "{:?}",
        other.headers()
    );
    // a simple request from the allowed origin gets the header and sees the request id
    let response = server
        .http
        .get(format!("{}/healthz", server.base))
        .header("origin", "http://127.0.0.1:9999")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://127.0.0.1:9999"
    );
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    server.stop().await;
}
