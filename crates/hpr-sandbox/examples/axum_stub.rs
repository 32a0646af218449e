//! "The floor" for `scripts/bench-sandbox.sh`: a bare axum server that answers
//! `POST /aadhaar/generateOtp` with a fixed JSON body of the same shape and size as the sandbox's
//! answer to that call, served the way the sandbox serves (one hyper HTTP/1 connection per
//! accepted socket, the same header-read timer, buffer limit and `TCP_NODELAY`, on a
//! multi-thread tokio runtime with the default worker count, as `hpr sandbox` uses).
//!
//! ```text
//! cargo run --release -p hpr-sandbox --example axum_stub -- [--addr 127.0.0.1:0]
//! ```
//!
//! Its first stdout line is `axum_stub: listening on http://127.0.0.1:PORT`. It listens on
//! loopback only (any other address is refused) and runs until killed. No state, no auth, no
//! request log, no parsing: what is left is axum's routing, hyper's HTTP/1 and the kernel's
//! loopback TCP, the cost every sandbox request pays before the sandbox's own work.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use hyper_util::rt::{TokioIo, TokioTimer};

/// The sandbox's answer to a generate-Aadhaar-OTP call has this shape and size: its keys in the
/// same (sorted) order, a masked mobile and a v4 UUID.
const BODY: &str =
    r#"{"mobileNumber":"******3210","txnId":"6f1c0a2e-9b7d-4c55-8e21-6a0f4b2c9d13"}"#;

/// The sandbox's defaults ([`hpr_sandbox::SandboxConfig::header_timeout`] and `serve.rs`).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BUF_SIZE: usize = 64 * 1024;

async fn generate_otp(body: Bytes) -> impl IntoResponse {
    // the body is read (as the sandbox reads it) and dropped
    drop(body);
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

fn main() -> ExitCode {
    let mut addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => match value.parse() {
                Ok(parsed) => addr = parsed,
                Err(e) => {
                    eprintln!("axum_stub: --addr {value}: {e}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("usage: axum_stub [--addr 127.0.0.1:PORT]");
                return ExitCode::from(2);
            }
        }
    }
    if !addr.ip().is_loopback() {
        eprintln!("axum_stub: --addr {addr}: only loopback addresses are served");
        return ExitCode::from(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(serve(addr))
}

async fn serve(addr: SocketAddr) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("axum_stub: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().expect("a bound address");
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "axum_stub: listening on http://{bound}");
        let _ = stdout.flush();
    }
    let app = Router::new().route("/aadhaar/generateOtp", post(generate_otp));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_BUF_SIZE)
        .keep_alive(true);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                eprintln!("axum_stub: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = Stub { app: app.clone() };
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}

/// The router as a hyper service, as the sandbox's `serve.rs` wraps it.
#[derive(Clone)]
struct Stub {
    app: Router,
}

impl hyper::service::Service<axum::extract::Request<hyper::body::Incoming>> for Stub {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = axum::routing::future::RouteFuture<std::convert::Infallible>;

    fn call(&self, request: axum::extract::Request<hyper::body::Incoming>) -> Self::Future {
        // a `Router` is always ready
        tower_service::Service::call(&mut self.app.clone(), request)
    }
}
