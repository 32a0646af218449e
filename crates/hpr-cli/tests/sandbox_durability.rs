//! `hpr sandbox --state FILE` under `kill -9`: an answered create is on disk.
//!
//! Several clients register people at full speed over raw HTTP (loopback only) while the real
//! binary is SIGKILLed at random moments, round after round on the same state file. After every
//! restart, every create that was answered 200 is listed by `GET /_sandbox/accounts` with the
//! same HPR ID number, and the folder holds the state file and its empty lock file alone (no
//! temporary file, no journal: the start compacts). Every loop and wait is bounded; the whole test takes a few seconds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use abdm_hpr::types::verhoeff;
use serde_json::{Value, json};

const ROUNDS: usize = 12;
const CLIENTS: usize = 6;
const OTP: &str = "123456";
/// The longest a start or a single request may take.
const WAIT: Duration = Duration::from_secs(10);
/// The whole test stops killing and checks once this much time has passed.
const BUDGET: Duration = Duration::from_secs(45);

/// A running `hpr sandbox`; killed (SIGKILL) on drop.
struct Sandbox {
    child: Child,
    addr: SocketAddr,
}

impl Sandbox {
    fn start(state: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hpr"))
            .env_remove("RUST_LOG")
            .env_remove("HPR_SANDBOX_API_KEYS")
            .args([
                "sandbox",
                "--addr",
                "127.0.0.1:0",
                "--seed",
                "5",
                "--quiet-sms",
            ])
            .args(["--fixed-otp", OTP, "--state"])
            .arg(state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("hpr starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // drains stdout until the child dies, so it never blocks on a full pipe
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let line = match rx.recv_timeout(WAIT) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                panic!("no listening line from hpr sandbox: {e}");
            }
        };
        // `hpr sandbox: listening on http://ADDR (seed S)`
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        Self { child, addr }
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive HTTP/1.1 connection, just enough for the sandbox's JSON answers.
struct Http {
    stream: BufReader<TcpStream>,
}

impl Http {
    fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, WAIT)?;
        stream.set_read_timeout(Some(WAIT))?;
        stream.set_write_timeout(Some(WAIT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    /// `(status, JSON body)`; any I/O error (the sandbox was killed) ends the client.
    fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Value)> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer k\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes())?;
        let mut status_line = String::new();
        if self.stream.read_line(&mut status_line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if self.stream.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(std::io::Error::other)?;
            }
        }
        let mut bytes = vec![0; length];
        self.stream.read_exact(&mut bytes)?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, value))
    }

    fn post(&mut self, path: &str, body: &Value) -> std::io::Result<(u16, Value)> {
        self.call("POST", path, Some(body))
    }
}

/// A valid Aadhaar number: `5`, then `n` as 10 digits, then the Verhoeff digit.
fn aadhaar(n: u64) -> String {
    let mut digits = [0u8; 12];
    digits[0] = 5;
    let mut rest = n % 10_000_000_000;
    for d in digits[1..11].iter_mut().rev() {
        *d = (rest % 10) as u8;
        rest /= 10;
    }
    digits[11] = verhoeff::check_digit(&digits[..11]);
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

fn expect_ok(step: &str, (status, body): (u16, Value)) -> Value {
    assert_eq!(status, 200, "{step}: {body}");
    body
}

/// One whole registration; `(hprIdNumber, hprId)` once the create is answered 200.
fn register(http: &mut Http, aadhaar: &str) -> std::io::Result<(String, String)> {
    let sent = expect_ok(
        "generateOtp",
        http.post("/aadhaar/generateOtp", &json!({"aadhaar": aadhaar}))?,
    );
    let txn = sent["txnId"].as_str().unwrap().to_owned();
    expect_ok(
        "verifyOtp",
        http.post(
            "/aadhaar/verifyOtp",
            &json!({"domainName": "@hpr.abdm", "idType": "hpr_id", "otp": OTP, "restrictions": null, "txnId": txn}),
        )?,
    );
    let account = expect_ok(
        "account-exist",
        http.post(
            "/check/account-exist",
            &json!({"txnId": txn, "preverifiedCheck": true}),
        )?,
    );
    let identity = expect_ok(
        "identity",
        http.call("GET", &format!("/_sandbox/identities/{aadhaar}"), None)?,
    );
    expect_ok(
        "demographic-auth",
        http.post(
            "/demographic-auth/mobile",
            &json!({"txnId": txn, "mobileNumber": identity["mobile"]}),
        )?,
    );
    let (status, created) = http.post(
        "/hprId/create",
        &json!({
            "address": account["address"],
            "dayOfBirth": account["dayOfBirth"],
            "districtCode": account["districtCode"],
            "email": "someone@example.com",
            "firstName": account["firstName"],
            "hpCategoryCode": "1",
            "hpSubCategoryCode": "1",
            "hprId": format!("k{aadhaar}"),
            "lastName": account["lastName"],
            "middleName": account["middleName"],
            "monthOfBirth": account["monthOfBirth"],
            "password": "Ayushman@143",
            "pincode": account["pincode"],
            "profilePhoto": null,
            "stateCode": account["stateCode"],
            "txnId": txn,
            "yearOfBirth": account["yearOfBirth"],
        }),
    )?;
    assert_eq!(status, 200, "create: {created}");
    Ok((
        created["hprIdNumber"].as_str().unwrap().to_owned(),
        created["hprId"].as_str().unwrap().to_owned(),
    ))
}

/// What `GET /_sandbox/accounts` lists: hprId → hprIdNumber.
fn listed(addr: SocketAddr) -> BTreeMap<String, String> {
    let mut http = Http::connect(addr).expect("connects");
    let list = expect_ok(
        "accounts",
        http.call("GET", "/_sandbox/accounts", None).unwrap(),
    );
    list.as_array()
        .expect("an array")
        .iter()
        .map(|entry| {
            let keys: Vec<_> = entry.as_object().unwrap().keys().cloned().collect();
            assert_eq!(keys, ["hprId", "hprIdNumber"], "no other field: {entry}");
            (
                entry["hprId"].as_str().unwrap().to_owned(),
                entry["hprIdNumber"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every acknowledged account is listed with its number, and the folder holds the state and its
/// (empty) lock file alone.
fn check(sandbox: &Sandbox, dir: &Path, acked: &[(String, String)]) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".state.json.lock", "state.json"],
        "no temporary file or journal after a start"
    );
    assert_eq!(
        std::fs::metadata(dir.join(".state.json.lock"))
            .unwrap()
            .len(),
        0
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("state.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let listed = listed(sandbox.addr);
    for (number, id) in acked {
        assert_eq!(
            listed.get(id),
            Some(number),
            "acknowledged account {id} lost or changed ({} acknowledged, {} listed)",
            acked.len(),
            listed.len()
        );
    }
}

/// A small xorshift, seeded from the clock (the seed is printed for a rerun).
fn next(rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    *rng
}

#[test]
fn acknowledged_accounts_survive_sigkill() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut rng = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill schedule seed {rng}");
    let acked = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let counter = Arc::new(AtomicU64::new(0));
    let mut rounds = 0;
    while rounds < ROUNDS && started.elapsed() < BUDGET {
        rounds += 1;
        let sandbox = Sandbox::start(&state);
        check(&sandbox, dir.path(), &acked.lock().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (acked, counter, stop) = (acked.clone(), counter.clone(), stop.clone());
                let addr = sandbox.addr;
                thread::spawn(move || {
                    let Ok(mut http) = Http::connect(addr) else {
                        return;
                    };
                    // bounded: the kill ends it, or the count
                    for _ in 0..100_000 {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        match register(&mut http, &aadhaar(n)) {
                            Ok(account) => acked.lock().unwrap().push(account),
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(100 + next(&mut rng) % 600));
        sandbox.kill();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().expect("a client panicked");
        }
    }
    let sandbox = Sandbox::start(&state);
    let acked = acked.lock().unwrap().clone();
    check(&sandbox, dir.path(), &acked);
    sandbox.kill();
    assert!(rounds >= 10, "only {rounds} rounds in {BUDGET:?}");
    assert!(
        acked.len() >= rounds,
        "too few registrations to mean anything: {}",
        acked.len()
    );
    eprintln!(
        "{rounds} kills, {} acknowledged creates, all kept, in {:?}",
        acked.len(),
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// A state file as the releases before the journal wrote it (pretty JSON), and one of their
/// leftover temporary files.
const LEGACY_STATE: &str = r#"{
  "version": 1,
  "identities": [],
  "accounts": [
    {
      "aadhaar": "234123412346",
      "hprIdNumber": "71-1234-5678-9012",
      "hprId": "kept.from.before@hpr.abdm",
      "categoryId": 1,
      "subCategoryId": 1,
      "categoryName": "Doctor",
      "categorySubName": "Modern Medicine"
    }
  ]
}
"#;

#[test]
fn a_state_file_of_an_earlier_release_is_imported_and_its_leftovers_removed() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, LEGACY_STATE).unwrap();
    std::fs::write(dir.path().join(".tmpX1y2Z3"), &LEGACY_STATE[..40]).unwrap();
    let sandbox = Sandbox::start(&state);
    let listed = listed(sandbox.addr);
    assert_eq!(
        listed.get("kept.from.before@hpr.abdm").map(String::as_str),
        Some("71-1234-5678-9012")
    );
    check(
        &sandbox,
        dir.path(),
        &[(
            "71-1234-5678-9012".into(),
            "kept.from.before@hpr.abdm".into(),
        )],
    );
    sandbox.kill();
}

#[test]
fn a_damaged_journal_record_exits_2_naming_the_file_and_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, LEGACY_STATE).unwrap();
    let journal = dir.path().join("state.json.journal");
    let record = r#"{"op":"reset"}"#;
    // record 1 is fine, record 2 has a wrong checksum, record 3 is fine again
    let text = format!("ffffffff {record}\n");
    let good = |json: &str| {
        // the CRC-32 the sandbox writes; a bad one is all we need to be exact about here
        let mut crc = !0u32;
        for &b in json.as_bytes() {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
        format!("{:08x} {json}\n", !crc)
    };
    let contents = format!("{}{text}{}", good(record), good(record));
    std::fs::write(&journal, &contents).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_hpr"))
        .env_remove("RUST_LOG")
        .args(["sandbox", "--addr", "127.0.0.1:0", "--state"])
        .arg(&state)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hpr starts");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("hpr sandbox did not exit on a damaged journal");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("state.json.journal"), "{stderr}");
    assert!(stderr.contains("record 2"), "{stderr}");
    assert!(stderr.contains("checksum"), "{stderr}");
    // nothing was dropped or rewritten
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), contents);
    assert_eq!(std::fs::read_to_string(&state).unwrap(), LEGACY_STATE);
}

#[test]
fn a_second_sandbox_on_the_same_state_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let first = Sandbox::start(&state);
    let output = Command::new(env!("CARGO_BIN_EXE_hpr"))
        .env_remove("RUST_LOG")
        .args(["sandbox", "--addr", "127.0.0.1:0", "--state"])
        .arg(&state)
        .stdin(Stdio::null())
        .output()
        .expect("hpr runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("in use by another sandbox"), "{stderr}");
    // the first one still answers
    assert!(listed(first.addr).is_empty());
    first.kill();
}
