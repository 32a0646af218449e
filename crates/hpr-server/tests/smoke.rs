//! The shortest path through the service: a key, a start, a read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_starts_and_reads_back_without_secrets() {
    let server = TestServer::start().await;
    let key = server.key("emr", "emr").await;
    let id = server.start_registration(&key).await;
    let (status, view) = server.get(&key, &format!("/v1/registrations/{id}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["stage"], "aadhaar_otp_sent");
    assert_eq!(view["next_step"], "verify_aadhaar_otp");
    let text = view.to_string();
    assert!(!text.contains(common::AADHAAR), "{text}");
    let (status, outcome) = server
        .step(
            &key,
            &id,
            "verify_aadhaar_otp",
            &json!({"otp": common::OTP}),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["revision"], 2);
    server.stop().await;
}
