//! Complete registrations per second through a running `hpr serve`, as HTTP clients drive it.
//!
//! ```text
//! cargo run --release -p hpr-server --example serve_load -- URL KEY [REGISTRATIONS] [CONCURRENCY] [FIRST]
//! ```
//!
//! `URL` is the service (`http://127.0.0.1:PORT`, loopback only), `KEY` an API key of it
//! (`hpr serve keys create`). The service must run its embedded sandbox with
//! `--sandbox-seed 1 --sandbox-fixed-otp 123456` and `--rate-limit-per-min 0`: this program
//! builds the same seeded sandbox locally only to know each invented person's Aadhaar-linked
//! mobile (it sends no request to it). Defaults: 2000 registrations, concurrency 64, numbered
//! from `FIRST` = 0 (give another `FIRST` to run again on the same service: HPR IDs are unique).
//!
//! Each registration is the whole flow over HTTP — `POST /v1/registrations`, then
//! `POST …/steps/{next_step}` with `If-Match` until `next_step` is null (7 or 8 requests); even
//! numbers take the verified branch, odd ones the mobile-OTP branch. Printed: registrations/s,
//! per-step latency p50/p99 (by step and over all steps), failures. Exit status 1 if any
//! registration failed.
//!
//! The client is hyper's own HTTP/1 connection, one keep-alive connection per worker: the
//! lightest client there is, so the generator takes little of the CPU it shares with the
//! server. `scripts/bench-serve.sh` starts the service on SQLite and on Postgres and runs this.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use abdm_hpr::types::verhoeff;
use hpr_sandbox::{Sandbox, SandboxConfig};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, header};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::Mutex;

const OTP: &str = "123456";

/// The `n`-th synthetic Aadhaar number: first digit 3, a counter, the Verhoeff check digit.
fn aadhaar(n: u64) -> String {
    let payload = format!("3{n:010}");
    let digits: Vec<u8> = payload.bytes().map(|b| b - b'0').collect();
    format!("{payload}{}", verhoeff::check_digit(&digits))
}

/// Even `n`: the Aadhaar-linked mobile (verified branch); odd: another one (mobile OTP).
fn mobile(sandbox: &Sandbox, aadhaar: &str, n: u64) -> String {
    if n.is_multiple_of(2) {
        sandbox.identity(aadhaar).expect("valid Aadhaar").mobile
    } else {
        format!("700{:07}", n % 10_000_000)
    }
}

struct Load {
    addr: String,
    key: String,
    sandbox: Sandbox,
    /// Per step name: latencies in microseconds.
    latencies: Mutex<BTreeMap<String, Vec<u64>>>,
}

/// One keep-alive HTTP/1 connection (hyper's own client, the lightest there is, so the load
/// generator takes as little as possible of the CPU it shares with the server).
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Load {
    async fn connect(&self) -> Result<Connection, String> {
        let stream = tokio::net::TcpStream::connect(&self.addr)
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        Ok(Connection { sender })
    }

    async fn post(
        &self,
        conn: &mut Connection,
        path: &str,
        revision: Option<u64>,
        body: &Value,
    ) -> Result<Value, String> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, self.addr.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(revision) = revision {
            request = request.header(header::IF_MATCH, format!("\"{revision}\""));
        }
        let body = if body.is_null() {
            Bytes::new()
        } else {
            Bytes::from(serde_json::to_vec(body).map_err(|e| e.to_string())?)
        };
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        conn.sender.ready().await.map_err(|e| e.to_string())?;
        let response = conn
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let body: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("{path}: HTTP {status}: {body}"))
        }
    }

    async fn timed(
        &self,
        conn: &mut Connection,
        step: &str,
        path: &str,
        revision: Option<u64>,
        body: &Value,
    ) -> Result<Value, String> {
        let started = Instant::now();
        let answer = self.post(conn, path, revision, body).await;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.latencies
            .lock()
            .await
            .entry(step.to_owned())
            .or_default()
            .push(micros);
        answer
    }

    async fn register(&self, conn: &mut Connection, n: u64) -> Result<(), String> {
        let aadhaar = aadhaar(n);
        let mobile = mobile(&self.sandbox, &aadhaar, n);
        let mut answer = self
            .timed(
                conn,
                "generate_aadhaar_otp",
                "/v1/registrations",
                None,
                &json!({ "aadhaar": aadhaar }),
            )
            .await?;
        let id = answer["id"].as_str().ok_or("no id")?.to_owned();
        for _ in 0..8 {
            let Some(step) = answer["outcome"]["next_step"].as_str().map(str::to_owned) else {
                return match answer["stage"].as_str() {
                    Some("completed") => Ok(()),
                    other => Err(format!("ended at stage {other:?}")),
                };
            };
            let payload = match step.as_str() {
                "verify_aadhaar_otp" | "verify_mobile_otp" => json!({ "otp": OTP }),
                "demographic_auth_via_mobile" => json!({ "mobileNumber": mobile }),
                "create_hpr_id_with_preverified" => json!({
                    "hprId": format!("serve.load{n}"),
                    "password": "Ayushman@143",
                    "email": format!("user{n}@example.com"),
                    "hpCategoryCode": "1",
                    "hpSubCategoryCode": "1",
                }),
                _ => Value::Null,
            };
            let revision = answer["revision"].as_u64();
            answer = self
                .timed(
                    conn,
                    &step,
                    &format!("/v1/registrations/{id}/steps/{step}"),
                    revision,
                    &payload,
                )
                .await?;
        }
        Err("more than 8 steps".into())
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(base), Some(key)) = (args.first(), args.get(1)) else {
        eprintln!("usage: serve_load URL KEY [REGISTRATIONS] [CONCURRENCY] [FIRST]");
        std::process::exit(2);
    };
    assert!(
        base.starts_with("http://127.0.0.1:") || base.starts_with("http://[::1]:"),
        "loopback targets only"
    );
    let total: u64 = args
        .get(2)
        .map_or(2000, |s| s.parse().expect("REGISTRATIONS"));
    let concurrency: u64 = args.get(3).map_or(64, |s| s.parse().expect("CONCURRENCY"));
    let first: u64 = args.get(4).map_or(0, |s| s.parse().expect("FIRST"));
    let load = Arc::new(Load {
        addr: base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned(),
        key: key.clone(),
        sandbox: Sandbox::new(SandboxConfig {
            seed: Some(1),
            ..SandboxConfig::default()
        })
        .unwrap(),
        latencies: Mutex::new(BTreeMap::new()),
    });
    let next = Arc::new(AtomicU64::new(first));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (load, next, failures) = (load.clone(), next.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            let mut conn = load.connect().await.expect("connects to the service");
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= first + total {
                    break;
                }
                let result =
                    tokio::time::timeout(Duration::from_secs(60), load.register(&mut conn, n))
                        .await
                        .unwrap_or_else(|_| Err("timed out".into()));
                if result.is_err() {
                    // a failed exchange may leave the connection unusable: start a fresh one
                    conn = load.connect().await.expect("connects to the service");
                }
                if let Err(e) = result
                    && failures.fetch_add(1, Ordering::Relaxed) < 3
                {
                    eprintln!("registration {n} failed: {e}");
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let failed = failures.load(Ordering::Relaxed);
    let done = total - failed;
    println!(
        "registrations: {done} in {elapsed:.2} s = {:.0}/s at concurrency {concurrency} ({failed} failed)",
        done as f64 / elapsed
    );
    let latencies = load.latencies.lock().await;
    let mut all: Vec<u64> = latencies.values().flatten().copied().collect();
    all.sort_unstable();
    println!(
        "{:<32} {:>8} {:>9} {:>9}",
        "step", "requests", "p50 ms", "p99 ms"
    );
    for (step, values) in latencies.iter() {
        let mut values = values.clone();
        values.sort_unstable();
        println!(
            "{step:<32} {:>8} {:>9.2} {:>9.2}",
            values.len(),
            percentile(&values, 50.0),
            percentile(&values, 99.0)
        );
    }
    println!(
        "{:<32} {:>8} {:>9.2} {:>9.2}",
        "all steps",
        all.len(),
        percentile(&all, 50.0),
        percentile(&all, 99.0)
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
