//! The HTTP adapters' connection pool against a hand-written HTTP/1.1 server on loopback that
//! counts connections and requests and can close a connection at chosen moments: calls reuse
//! one keep-alive connection, a connection the server closed is never used (and the request is
//! then sent exactly once, on a new one), and concurrent calls each get a connection of their
//! own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abdm_hpr::client::RegistryApi;
use abdm_hpr::types::GenerateAadhaarOtpRequest;
use common::{aadhaar, builder};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const BODY: &str = r#"{"txnId":"txn-keep-alive","mobileNumber":"******1234"}"#;

/// How the server treats its connections.
#[derive(Clone, Copy)]
enum Closing {
    /// Keep every connection open.
    Never,
    /// Close each connection after its first answer, without saying so (as an idle timeout
    /// would: the client finds out from the socket).
    Silently,
    /// Answer with `Connection: close`, then close.
    Announced,
}

struct Server {
    url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    /// The head of every request, lower-cased.
    heads: Arc<Mutex<Vec<String>>>,
}

async fn server(closing: Closing) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (c, r, h) = (
        Arc::clone(&connections),
        Arc::clone(&requests),
        Arc::clone(&heads),
    );
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(socket, closing, Arc::clone(&r), Arc::clone(&h)));
        }
    });
    Server {
        url,
        connections,
        requests,
        heads,
    }
}

/// Answers requests on one connection until the client closes it (or `closing` says so).
async fn serve(
    mut socket: TcpStream,
    closing: Closing,
    requests: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
) {
    let mut buffer = Vec::new();
    loop {
        let Some(end) = read_request(&mut socket, &mut buffer).await else {
            return;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        heads.lock().unwrap().push(head);
        buffer.drain(..end);
        requests.fetch_add(1, Ordering::SeqCst);
        let connection = match closing {
            Closing::Announced => "Connection: close\r\n",
            _ => "",
        };
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{connection}Content-Length: {}\r\n\r\n{BODY}",
            BODY.len()
        );
        if socket.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
        if !matches!(closing, Closing::Never) {
            let _ = socket.shutdown().await;
            return;
        }
    }
}

/// Reads one whole request (head and `Content-Length` body) into `buffer`; its length.
async fn read_request(socket: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<usize> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(head) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head_text = String::from_utf8_lossy(&buffer[..head]).to_ascii_lowercase();
            let length: usize = head_text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            let end = head + 4 + length;
            if buffer.len() >= end {
                return Some(end);
            }
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn request() -> GenerateAadhaarOtpRequest {
    GenerateAadhaarOtpRequest {
        aadhaar: aadhaar("234123412346"),
    }
}

#[tokio::test]
async fn sequential_calls_share_one_connection() {
    let server = server(Closing::Never).await;
    let client = builder(&server.url, "key").build().unwrap();
    for _ in 0..20 {
        let sent = client.generate_aadhaar_otp(&request()).await.unwrap();
        assert_eq!(sent.txn_id.as_str(), "txn-keep-alive");
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 20);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    // every request: the path in origin form, the server's Host, the usual headers
    let authority = server.url.trim_start_matches("http://");
    for head in server.heads.lock().unwrap().iter() {
        let lines: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(lines[0], "post /aadhaar/generateotp http/1.1", "{head}");
        for expected in [
            format!("host: {authority}"),
            "authorization: bearer key".to_owned(),
            "content-type: application/json".to_owned(),
            "accept: */*".to_owned(),
            format!("user-agent: abdm-hpr/{}", env!("CARGO_PKG_VERSION")),
        ] {
            assert!(lines.contains(&expected.as_str()), "{expected} in {head}");
        }
    }
}

#[tokio::test]
async fn a_connection_the_server_closed_is_not_used_and_each_request_is_sent_once() {
    for closing in [Closing::Silently, Closing::Announced] {
        let server = server(closing).await;
        let client = builder(&server.url, "key").build().unwrap();
        for round in 1..=5 {
            client.generate_aadhaar_otp(&request()).await.unwrap();
            // let the close reach the client's socket, as an idle timeout would
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(server.requests.load(Ordering::SeqCst), round, "sent once");
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_get_connections_of_their_own_then_reuse_them() {
    let server = server(Closing::Never).await;
    let client = builder(&server.url, "key").build().unwrap();
    for _ in 0..3 {
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.generate_aadhaar_otp(&request()).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 24);
    let opened = server.connections.load(Ordering::SeqCst);
    assert!(
        (1..=8).contains(&opened),
        "{opened} connections for 8 at a time"
    );
}
