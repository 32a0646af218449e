//! Slow and greedy clients: a stalled request head or body ends the connection after
//! `header_timeout`, idle keep-alive connections are closed after it too, and past
//! `max_connections` new connections get `503` until others close.
//!
//! Timeouts are short here (hundreds of milliseconds); each wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use hpr_sandbox::SandboxConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_millis(400);

/// The test configuration with a short header timeout.
fn quick() -> SandboxConfig {
    SandboxConfig {
        header_timeout: TIMEOUT,
        ..config()
    }
}

/// Reads until the server closes the connection (or fails it); returns what was read and when
/// the connection ended. Panics if it stays open for `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, Instant) {
    let mut answer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let ended = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the connection was still open after {within:?}"));
    (String::from_utf8_lossy(&answer).into_owned(), ended)
}

/// The status and JSON body of a raw answer.
fn parse(answer: &str) -> (u16, Value) {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A request head for `POST path` with a JSON body of `length` bytes.
fn post_head(addr: SocketAddr, path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer k\r\n\
         content-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    )
}

/// Asserts the connection ended about `TIMEOUT` after `since`: not before, and not much later.
#[track_caller]
fn assert_ended_at_timeout(since: Instant, ended: Instant) {
    let took = ended - since;
    assert!(
        took >= TIMEOUT - Duration::from_millis(50),
        "closed too early, after {took:?}"
    );
    assert!(
        took < TIMEOUT + Duration::from_secs(3),
        "closed too late, after {took:?}"
    );
}

#[tokio::test]
async fn a_client_that_stalls_mid_head_is_disconnected() {
    let h = start(quick()).await;
    let mut stream = TcpStream::connect(h.running.addr()).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"POST /aadhaar/generateOtp HTTP/1.1\r\nhost: 127.0.0.1\r\nauthor")
        .await
        .unwrap();
    let (_, ended) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_ended_at_timeout(started, ended);

    // trickling the head byte by byte does not reset the clock
    let mut stream = TcpStream::connect(h.running.addr()).await.unwrap();
    let started = Instant::now();
    let trickle = async {
        for byte in
            b"GET /_sandbox/health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-pad: aaaaaaaaaaaaaaaaaaaa"
        {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), trickle).await;
    let (_, ended) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        ended - started < TIMEOUT + Duration::from_secs(1),
        "a trickled head kept the connection for {:?}",
        ended - started
    );

    // the sandbox still serves
    assert_ok(&h.get("/_sandbox/health").await);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_silent_or_idle_keep_alive_connection_is_closed() {
    let h = start(quick()).await;
    let addr = h.running.addr();

    // connects and never sends anything
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let (answer, ended) = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(answer.is_empty(), "{answer}");
    assert_ended_at_timeout(started, ended);

    // one request on a keep-alive connection, then idle
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(format!("GET /_sandbox/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = [0_u8; 1024];
    let n = idle.read(&mut first).await.unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    let answered = Instant::now();
    let (_, ended) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert_ended_at_timeout(answered, ended);
    h.running.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stalls_mid_body_gets_408_and_is_disconnected() {
    let h = start(quick()).await;
    let addr = h.running.addr();
    let body = json!({"aadhaar": AADHAAR}).to_string();

    // a contract route and an admin route that read the body
    for path in ["/aadhaar/generateOtp", "/_sandbox/identities"] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(post_head(addr, path, body.len() + 100).as_bytes())
            .await
            .unwrap();
        stream.write_all(&body.as_bytes()[..10]).await.unwrap();
        let started = Instant::now();
        let (answer, ended) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert_ended_at_timeout(started, ended);
        let (status, envelope) = parse(&answer);
        assert_eq!(status, 408, "{path}: {answer}");
        assert_eq!(envelope["code"], "HIS-408", "{envelope}");
        assert_eq!(envelope["details"][0]["code"], "HIS-408", "{envelope}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
    }
    assert!(
        h.running.latest_otp("x").is_none() && h.running.accounts().is_empty(),
        "nothing happened"
    );

    // a body trickled a byte at a time is bounded as a whole, not per byte
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(post_head(addr, "/aadhaar/generateOtp", 1000).as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut answer))
        .await
        .expect("closed in time")
        .ok();
    let took = started.elapsed();
    trickle.abort();
    assert!(took < TIMEOUT + Duration::from_secs(1), "took {took:?}");
    assert_eq!(parse(&String::from_utf8_lossy(&answer)).0, 408);

    // a whole body sent in pieces within the bound is fine
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(post_head(addr, "/aadhaar/generateOtp", body.len()).as_bytes())
        .await
        .unwrap();
    let (a, b) = body.split_at(8);
    stream.write_all(a.as_bytes()).await.unwrap();
    tokio::time::sleep(TIMEOUT / 4).await;
    stream.write_all(b.as_bytes()).await.unwrap();
    let mut answer = [0_u8; 4096];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    h.running.shutdown().await;
}

#[tokio::test]
async fn connections_past_the_limit_get_503_until_others_close() {
    let h = start(SandboxConfig {
        max_connections: 2,
        header_timeout: Duration::from_secs(30),
        ..config()
    })
    .await;
    let addr = h.running.addr();
    let health =
        format!("GET /_sandbox/health HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");

    // two connections hold both slots (a keep-alive one that was served, and a silent one)
    let mut first = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(format!("GET /_sandbox/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = [0_u8; 1024];
    let n = first.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let second = TcpStream::connect(addr).await.unwrap();

    for _ in 0..3 {
        let mut third = TcpStream::connect(addr).await.unwrap();
        // the answer may come before the request is written: ignore a failed write
        let _ = third.write_all(health.as_bytes()).await;
        let (answer, _) = read_until_closed(&mut third, Duration::from_secs(5)).await;
        let (status, envelope) = parse(&answer);
        assert_eq!(status, 503, "{answer}");
        assert_eq!(envelope["code"], "HIS-503");
        assert_eq!(envelope["details"][0]["code"], "HIS-503");
        assert!(
            answer.to_ascii_lowercase().contains("retry-after: 1"),
            "{answer}"
        );
    }
    // a refused client through reqwest sees a 503 too
    let r = h.get("/_sandbox/health").await;
    assert_his(&r, 503, "HIS-503");

    // once one closes, new connections are served again
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut next = TcpStream::connect(addr).await.unwrap();
        let _ = next.write_all(health.as_bytes()).await;
        let (answer, _) = read_until_closed(&mut next, Duration::from_secs(5)).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {answer}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // the kept-alive one still works
    first
        .write_all(format!("GET /_sandbox/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let n = first.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    drop(first);
    h.running.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_silent_and_idle_connections_at_once() {
    let h = start(SandboxConfig {
        header_timeout: Duration::from_secs(30),
        ..config()
    })
    .await;
    let addr = h.running.addr();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(format!("GET /_sandbox/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = [0_u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));

    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), h.running.shutdown())
        .await
        .expect("shutdown does not wait for the header timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
    read_until_closed(&mut silent, Duration::from_secs(2)).await;
    read_until_closed(&mut idle, Duration::from_secs(2)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}
