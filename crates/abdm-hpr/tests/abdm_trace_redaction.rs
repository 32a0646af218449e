//! Property: whatever the client secret and the access tokens are, no TRACE-level log line of
//! `AbdmBackend` contains them — across a session, a `900901` renewal, an encrypted create and
//! a gateway refusal (CONTRACT §7).
//!
//! The subscriber is thread-scoped, so each case runs on its own current-thread runtime.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use abdm_hpr::abdm::FieldModes;
use abdm_hpr::backend::Request as StepCall;
use abdm_hpr::types::{CreateHprIdRequest, GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest};
use abdm_hpr::{AbdmBackend, RegistryBackend, Step};
use common::{Captured, PASSWORD, create_input};
use proptest::prelude::*;
use rsa::pkcs8::EncodePublicKey as _;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Issues `<prefix>-1`, `<prefix>-2`, …
struct Issuer {
    prefix: String,
    issued: Arc<AtomicUsize>,
}

impl Respond for Issuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "accessToken": format!("{}-{n}", self.prefix),
            "expiresIn": 1200,
            "refreshToken": format!("{}-refresh-{n}", self.prefix),
        }))
    }
}

/// Refuses the first token with `900901`, accepts later ones.
struct RefusesFirst {
    first: String,
    body: serde_json::Value,
}

impl Respond for RefusesFirst {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let bearer = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if bearer == Some(format!("Bearer {}", self.first).as_str()) {
            ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "code": "900901", "message": "Invalid Credentials", "description": "expired"
            }))
        } else {
            ResponseTemplate::new(200).set_body_json(self.body.clone())
        }
    }
}

async fn scenario(secret: &str, token_prefix: &str, pem: &str) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/gw/gateway/v0.5/sessions"))
        .respond_with(Issuer {
            prefix: token_prefix.to_owned(),
            issued: Arc::new(AtomicUsize::new(0)),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api{}", abdm_hpr::abdm::CERT_PATH)))
        .respond_with(ResponseTemplate::new(200).set_body_string(pem))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api{}",
            abdm_hpr::abdm::path(Step::GenerateAadhaarOtp)
        )))
        .respond_with(RefusesFirst {
            first: format!("{token_prefix}-1"),
            body: serde_json::json!({"txnId": "txn-1", "mobileNumber": "******3210"}),
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api{}",
            abdm_hpr::abdm::path(Step::CreateHprIdWithPreverified)
        )))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "code": "900908", "message": "Resource forbidden", "description": "subscription"
        })))
        .mount(&server)
        .await;
    let backend = AbdmBackend::builder()
        .client_id("SBX_PROP")
        .client_secret(secret)
        .hpr_url(format!("{}/api", server.uri()))
        .gateway_url(format!("{}/gw", server.uri()))
        .field_modes(FieldModes::default())
        .build()
        .unwrap();
    let otp = StepCall::GenerateAadhaarOtp(
        GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
            aadhaar: Some("234123412346".into()),
        })
        .unwrap(),
    );
    backend.call(&otp).await.unwrap();
    let create = StepCall::CreateHprIdWithPreverified(Box::new(
        CreateHprIdRequest::try_from(create_input()).unwrap(),
    ));
    let err = backend.call(&create).await.unwrap_err();
    tracing::error!(error = %err, debug = ?err, backend = ?backend, "what an application logs");
}

fn pem() -> String {
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
    private
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn no_log_line_holds_the_secret_or_a_token(
        secret in "[A-Za-z0-9._~+/-]{12,48}",
        token_prefix in "[A-Za-z0-9]{10,40}",
    ) {
        thread_local!(static PEM: String = pem());
        let pem = PEM.with(Clone::clone);
        let captured = Captured::default();
        let subscriber = captured.subscriber(FmtSpan::FULL);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(scenario(&secret, &token_prefix, &pem));
        });
        let text = captured.text();
        prop_assert!(text.contains("ABDM access token issued"), "nothing was traced: {}", text);
        prop_assert!(text.contains("900901"), "the renewal was traced: {}", text);
        for needle in [secret.as_str(), token_prefix.as_str(), PASSWORD] {
            prop_assert!(!text.contains(needle), "`{}` leaked into: {}", needle, text);
        }
    }
}
