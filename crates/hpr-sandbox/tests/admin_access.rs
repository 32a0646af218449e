//! Who may call the admin API (`/_sandbox/*`): loopback `Host`, the sandbox's own `Origin` (or
//! none), `Content-Type: application/json` on `POST`s, and the admin token when one is set; and
//! the contract routes refuse a foreign `Host` while listening on loopback (DNS rebinding).
//!
//! Requests are written by hand over TCP so that every header is exactly as a browser or an
//! attacker would send it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use hpr_sandbox::SandboxConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A raw answer: status and body text.
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("HTTP {} body is not JSON ({e}): {}", self.status, self.body)
        })
    }

    /// The HIS error envelope with `status`, `HIS-<status>` at the top and in `details[0]`.
    #[track_caller]
    fn assert_his(&self, status: u16) {
        assert_eq!(self.status, status, "{}\n{}", self.head, self.body);
        let body = self.json();
        assert_eq!(body["code"], format!("HIS-{status}"), "{body}");
        assert_eq!(
            body["details"][0]["code"],
            format!("HIS-{status}"),
            "{body}"
        );
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(
            self.head
                .to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{}",
            self.head
        );
    }
}

/// Sends `request_line`, then `headers` (each `name: value`), `connection: close`, a
/// `content-length` when there is a body, and the body; reads the whole answer.
async fn send(addr: SocketAddr, request_line: &str, headers: &[String], body: &str) -> Raw {
    let mut text = format!("{request_line}\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("connection: close\r\n");
    if !body.is_empty() {
        text.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the sandbox answers and closes")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("a complete answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    Raw {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

fn host(value: impl std::fmt::Display) -> String {
    format!("host: {value}")
}

fn origin(value: impl std::fmt::Display) -> String {
    format!("origin: {value}")
}

const JSON: &str = "content-type: application/json";

/// `GET path` with these headers.
async fn get(h: &Harness, path: &str, headers: &[String]) -> Raw {
    send(
        h.running.addr(),
        &format!("GET {path} HTTP/1.1"),
        headers,
        "",
    )
    .await
}

/// `POST path` with these headers and body.
async fn post(h: &Harness, path: &str, headers: &[String], body: &str) -> Raw {
    send(
        h.running.addr(),
        &format!("POST {path} HTTP/1.1"),
        headers,
        body,
    )
    .await
}

/// A sandbox with one created account.
async fn with_an_account(config: SandboxConfig) -> Harness {
    let h = start(config).await;
    let (txn, account) = h.to_mobile_verified(AADHAAR).await;
    assert_ok(&h.create_valid(&txn, &account, "asha.access").await);
    assert_eq!(h.running.accounts().len(), 1);
    h
}

#[tokio::test]
async fn a_cross_site_reset_is_refused_and_keeps_the_accounts() {
    let h = with_an_account(config()).await;
    let own = host(h.running.addr());
    let port = h.running.addr().port();

    // the attack of issue 8: a page on another site posts a "simple" request
    let r = post(
        &h,
        "/_sandbox/reset",
        &[
            own.clone(),
            origin("http://evil.example"),
            "content-type: text/plain".into(),
        ],
        "{}",
    )
    .await;
    r.assert_his(403);
    assert_eq!(h.running.accounts().len(), 1);

    // the right origin, but not JSON: 415
    for content_type in [
        Some("content-type: text/plain"),
        Some("content-type: application/x-www-form-urlencoded"),
        Some("content-type: multipart/form-data; boundary=x"),
        Some("content-type: application/jsonp"),
        None,
    ] {
        let mut headers = vec![own.clone(), origin(format!("http://localhost:{port}"))];
        headers.extend(content_type.map(str::to_owned));
        let r = post(&h, "/_sandbox/reset", &headers, "{}").await;
        r.assert_his(415);
        assert_eq!(h.running.accounts().len(), 1, "{content_type:?}");
    }
    // adding an identity is refused the same way
    let r = post(
        &h,
        "/_sandbox/identities",
        &[own.clone(), "content-type: text/plain".into()],
        "{}",
    )
    .await;
    r.assert_his(415);

    // JSON (with parameters, any case) from the sandbox's own origins, or from no origin: 200
    let r = post(
        &h,
        "/_sandbox/reset",
        &[
            own.clone(),
            origin(format!("http://127.0.0.1:{port}")),
            "Content-Type: Application/JSON; charset=utf-8".into(),
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"reset": true}));
    assert!(h.running.accounts().is_empty());
    for headers in [
        vec![
            own.clone(),
            origin(format!("http://localhost:{port}")),
            JSON.into(),
        ],
        vec![host(format!("localhost:{port}")), JSON.into()],
    ] {
        let r = post(&h, "/_sandbox/reset", &headers, "{}").await;
        assert_eq!(r.status, 200, "{headers:?}: {}", r.body);
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn admin_routes_answer_loopback_hosts_only() {
    let h = start_default().await;
    let addr = h.running.addr();
    let port = addr.port();
    let txn = h.generate(AADHAAR).await;
    let otp = h.otp(&txn);

    for foreign in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("rebind.attacker.test:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        format!("0.0.0.0:{port}"),
        format!("10.1.2.3:{port}"),
        format!("user@localhost:{port}"),
        String::new(),
    ] {
        let r = get(&h, &format!("/_sandbox/otp/{txn}"), &[host(&foreign)]).await;
        r.assert_his(403);
        assert!(!r.body.contains(&otp), "{foreign}: the OTP leaked");
        get(&h, "/_sandbox/health", &[host(&foreign)])
            .await
            .assert_his(403);
        post(&h, "/_sandbox/reset", &[host(&foreign), JSON.into()], "{}")
            .await
            .assert_his(403);
    }
    // no Host at all
    get(&h, "/_sandbox/health", &[]).await.assert_his(403);
    // an absolute-form target naming another host
    send(
        addr,
        "GET http://evil.example/_sandbox/health HTTP/1.1",
        &[host(addr)],
        "",
    )
    .await
    .assert_his(403);

    for local in [
        addr.to_string(),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        "localhost".to_owned(),
        format!("127.0.0.1:{port}"),
        format!("127.1.2.3:{port}"),
        format!("[::1]:{port}"),
        "[::1]".to_owned(),
        format!("[::ffff:127.0.0.1]:{port}"),
    ] {
        let r = get(&h, &format!("/_sandbox/otp/{txn}"), &[host(&local)]).await;
        assert_eq!(r.status, 200, "{local}: {}", r.body);
        assert_eq!(r.json()["otp"], otp.as_str());
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn admin_routes_answer_their_own_origin_only() {
    let h = start_default().await;
    let addr = h.running.addr();
    let port = addr.port();
    let own = host(addr);

    for foreign in [
        "http://evil.example".to_owned(),
        "null".to_owned(),
        format!("http://localhost:{}", port.wrapping_add(1)),
        format!("https://127.0.0.1:{port}"),
        format!("https://localhost:{port}"),
        format!("http://127.0.0.1:{port}.evil.example"),
        format!("http://[::1]:{port}"),
        String::new(),
    ] {
        get(&h, "/_sandbox/requests", &[own.clone(), origin(&foreign)])
            .await
            .assert_his(403);
        get(&h, "/_sandbox/health", &[own.clone(), origin(&foreign)])
            .await
            .assert_his(403);
    }
    // two origins, one foreign
    get(
        &h,
        "/_sandbox/health",
        &[
            own.clone(),
            origin(format!("http://localhost:{port}")),
            origin("http://evil.example"),
        ],
    )
    .await
    .assert_his(403);

    for ok in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("HTTP://LOCALHOST:{port}"),
    ] {
        let r = get(&h, "/_sandbox/health", &[own.clone(), origin(&ok)]).await;
        assert_eq!(r.status, 200, "{ok}: {}", r.body);
    }
    h.running.shutdown().await;
}

#[tokio::test]
async fn contract_routes_refuse_a_foreign_host_on_loopback() {
    let h = start_default().await;
    let addr = h.running.addr();
    let port = addr.port();
    let body = json!({"aadhaar": AADHAAR}).to_string();
    let auth = "authorization: Bearer k".to_owned();

    for foreign in [
        format!("rebind.attacker.test:{port}"),
        "evil.example".into(),
    ] {
        let r = post(
            &h,
            "/aadhaar/generateOtp",
            &[host(&foreign), auth.clone(), JSON.into()],
            &body,
        )
        .await;
        r.assert_his(403);
        assert!(!r.body.contains("txnId"));
        // even without a key, and on unknown paths
        post(&h, "/nowhere", &[host(&foreign)], "")
            .await
            .assert_his(403);
    }
    assert!(
        h.running.requests().is_empty(),
        "refused requests are not logged"
    );

    for (local, aadhaar) in [
        (addr.to_string(), AADHAAR),
        (format!("localhost:{port}"), AADHAAR_3),
    ] {
        let r = post(
            &h,
            "/aadhaar/generateOtp",
            &[host(&local), auth.clone(), JSON.into()],
            &json!({"aadhaar": aadhaar}).to_string(),
        )
        .await;
        assert_eq!(r.status, 200, "{local}: {}", r.body);
        assert!(r.json()["txnId"].is_string());
    }
    // the contract routes keep their own rules: no Origin or Content-Type checks
    let r = post(
        &h,
        "/aadhaar/generateOtp",
        &[
            host(addr),
            auth.clone(),
            origin("http://app.example"),
            "content-type: text/plain".into(),
        ],
        &json!({"aadhaar": AADHAAR_2}).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    h.running.shutdown().await;
}

#[tokio::test]
async fn an_admin_token_guards_the_admin_api_but_not_health_or_the_contract() {
    const TOKEN: &str = "s3cret-admin-token";
    let h = with_an_account(SandboxConfig {
        admin_token: Some(TOKEN.into()),
        ..config()
    })
    .await;
    let own = host(h.running.addr());
    let token = |t: &str| format!("x-sandbox-admin-token: {t}");

    for missing in [
        vec![own.clone(), JSON.into()],
        vec![own.clone(), JSON.into(), token("wrong")],
        vec![own.clone(), JSON.into(), token(&format!("{TOKEN}x"))],
        vec![own.clone(), JSON.into(), token(&TOKEN[..TOKEN.len() - 1])],
        // the API key header is for the contract routes, not the admin API
        vec![
            own.clone(),
            JSON.into(),
            format!("authorization: Bearer {TOKEN}"),
        ],
    ] {
        let r = post(&h, "/_sandbox/reset", &missing, "{}").await;
        r.assert_his(401);
        assert!(!r.body.contains(TOKEN));
        get(&h, "/_sandbox/requests", &missing)
            .await
            .assert_his(401);
        assert_eq!(h.running.accounts().len(), 1);
    }
    // Host and Origin are checked before the token
    post(
        &h,
        "/_sandbox/reset",
        &[host("evil.example"), JSON.into(), token(TOKEN)],
        "{}",
    )
    .await
    .assert_his(403);
    // and the token does not lift the Content-Type rule
    post(&h, "/_sandbox/reset", &[own.clone(), token(TOKEN)], "{}")
        .await
        .assert_his(415);

    let r = get(&h, "/_sandbox/health", std::slice::from_ref(&own)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = get(&h, "/_sandbox/requests", &[own.clone(), token(TOKEN)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(
        &h,
        "/_sandbox/reset",
        &[own.clone(), JSON.into(), token(TOKEN)],
        "{}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(h.running.accounts().is_empty());
    // the contract routes need only the API key
    h.generate(AADHAAR).await;
    h.running.shutdown().await;
}
