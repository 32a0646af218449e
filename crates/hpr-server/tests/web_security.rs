#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The registration page's safety: CSRF tokens on every form (a POST without one is 403 and
//! sends nothing), the cookie's flags, the security headers, the embedded assets, the
//! `/register/check` endpoint, and open access only with the embedded sandbox.

mod common;

use common::web::Browser;
use common::{AADHAAR, TestServer};
use hpr_server::web::CSP;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_a_valid_csrf_token_are_refused_and_send_nothing() {
    let server = TestServer::web(true).await;
    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    // the start form itself needs the token
    let refused = b.post("/register/start", &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.step(), "expired");
    let page = b.submit(&page, &[]).await;
    assert_eq!(page.step(), "aadhaar");
    let calls = server.registry_calls();
    for pairs in [
        vec![("aadhaar", AADHAAR)],
        vec![("csrf_token", "wrong"), ("aadhaar", AADHAAR)],
        vec![("csrf_token", ""), ("aadhaar", AADHAAR)],
    ] {
        let refused = b.post("/register/aadhaar", &pairs).await;
        assert_eq!(refused.status, 403, "{pairs:?}");
        assert!(!refused.has("csrf_token"), "no form on the 403 page");
    }
    // the right token from another browser (no cookie) is refused too
    let mut other = Browser::new(&server);
    let token = page.csrf();
    let refused = other
        .post(
            "/register/aadhaar",
            &[("csrf_token", &token), ("aadhaar", AADHAAR)],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        server.registry_calls(),
        calls,
        "nothing was sent to the registry"
    );
    // and the page is where it was
    assert_eq!(b.get("/register").await.step(), "aadhaar");
    let page = b.submit(&page, &[("aadhaar", AADHAAR)]).await;
    assert_eq!(page.step(), "otp");
    assert_eq!(server.registry_calls(), calls + 1);

    // the JSON check wants the token in X-CSRF-Token
    let http = reqwest::Client::new();
    let check = |token: Option<String>| {
        let mut request = http
            .post(format!("{}/register/check", server.base))
            .header("cookie", format!("hpr_web={}", b.cookie.clone().unwrap()))
            .header("content-type", "application/json")
            .body(r#"{"field":"password","value":"ayushman143"}"#);
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        request.send()
    };
    assert_eq!(check(None).await.unwrap().status(), 403);
    assert_eq!(check(Some("nope".into())).await.unwrap().status(), 403);
    let answer: serde_json::Value = check(Some(page.csrf()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["ok"], false);
    let met: Vec<(String, bool)> = answer["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["met"].as_bool().unwrap(),
            )
        })
        .collect();
    let engine: Vec<(String, bool)> = abdm_hpr::types::Password::checklist("ayushman143")
        .into_iter()
        .map(|(c, met)| (c.as_str().to_owned(), met))
        .collect();
    assert_eq!(met, engine, "the engine's verdict, criterion by criterion");
    assert!(met.contains(&("uppercase".to_owned(), false)));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_hpr_id_is_checked_by_the_engine() {
    let server = TestServer::web(true).await;
    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    let http = reqwest::Client::new();
    for (value, ok) in [("asha.k", true), ("ab", false), ("asha@gmail.com", false)] {
        let answer: serde_json::Value = http
            .post(format!("{}/register/check", server.base))
            .header("cookie", format!("hpr_web={}", b.cookie.clone().unwrap()))
            .header("x-csrf-token", page.csrf())
            .body(serde_json::json!({"field": "hprId", "value": value}).to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["ok"], ok, "{value}: {answer}");
        assert_eq!(
            ok,
            abdm_hpr::types::HprId::parse(value).is_ok(),
            "the engine agrees on {value}"
        );
        assert!(!answer["message"].as_str().unwrap().contains(value));
    }
    let _ = b.get("/register").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_and_every_page_carry_the_security_headers() {
    let server = TestServer::web(true).await;
    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    let cookie = page.header("set-cookie");
    assert!(cookie.starts_with("hpr_web="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/register"] {
        assert!(cookie.split("; ").any(|f| f == flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    // behind a TLS proxy the cookie is Secure
    let mut tls = Browser::new(&server);
    tls.extra.push(("x-forwarded-proto", "https".to_owned()));
    let cookie = tls.get("/register").await.header("set-cookie");
    assert!(cookie.split("; ").any(|f| f == "Secure"), "{cookie}");

    let start = b.submit(&page, &[]).await;
    let error = b.submit(&start, &[("aadhaar", "1")]).await;
    let forbidden = b.post("/register/aadhaar", &[]).await;
    for page in [&page, &start, &error, &forbidden] {
        assert_eq!(page.header("content-security-policy"), CSP);
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "no-referrer");
        assert_eq!(page.header("cache-control"), "no-store");
        assert!(page.header("content-type").starts_with("text/html"));
        // no inline script or style: the CSP would block them
        assert!(!page.has("<script>") && !page.has(" style=") && !page.has("<style"));
    }
    assert_eq!(
        CSP,
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    // the root leads to the page
    let root = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), 303);
    assert_eq!(root.headers()["location"], "/register");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_embedded_with_their_types_and_caching() {
    let server = TestServer::web(true).await;
    for (path, kind, needle) in [
        (
            "/register/assets/app.css",
            "text/css",
            "#password-checklist",
        ),
        (
            "/register/assets/app.js",
            "text/javascript",
            "/register/check",
        ),
    ] {
        let response = server
            .http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert!(headers["content-type"].to_str().unwrap().starts_with(kind));
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=")
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let body = response.text().await.unwrap();
        assert!(body.contains(needle));
        // nothing from elsewhere
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path}"
        );
    }
    let missing = server
        .http
        .get(format!("{}/register/assets/other.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_access_is_refused_without_the_embedded_sandbox() {
    let server = TestServer::web(false).await;
    let mut b = Browser::new(&server);
    let page = b.get("/register").await;
    assert_eq!(page.status, 403);
    assert_eq!(page.step(), "expired");
    assert!(page.tag("open-access-off").is_some(), "{}", page.body);
    assert!(page.tag("sandbox-banner").is_none());
    assert!(b.cookie.is_none(), "no session is made");
    let hindi = b.get("/register?lang=hi").await;
    assert!(hindi.has("<html lang=\"hi\">") && hindi.tag("open-access-off").is_some());
    let refused = b.post("/register/start", &[("csrf_token", "x")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(server.registry_calls(), 0);
    server.stop().await;
}
