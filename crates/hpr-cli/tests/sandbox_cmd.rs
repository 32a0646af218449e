//! End-to-end tests of `hpr sandbox` and the top-level flags, running the real binary.
//!
//! Every wait is bounded ([`WAIT`]) and every child is killed when its guard drops, so a hung
//! sandbox fails the test instead of hanging CI. Only loopback addresses are used.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/running.rs"]
mod running;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use abdm_hpr::types::{Aadhaar, GenerateAadhaarOtpInput, GenerateAadhaarOtpRequest};
use abdm_hpr::{GatewayClient, RegistryApi as _};
use hpr_sandbox::Identity;

/// The longest any single step may take.
const WAIT: Duration = Duration::from_secs(20);
/// A valid synthetic Aadhaar number (CONTRACT §5.1 example).
const AADHAAR: &str = "234123412346";
const OTP: &str = "123456";

fn hpr() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hpr"));
    command
        .env_remove("RUST_LOG")
        .env_remove("HPR_SANDBOX_API_KEYS")
        .env_remove("HPR_SANDBOX_ADMIN_TOKEN");
    command
}

/// `hpr sandbox --addr 127.0.0.1:0 args…`, the start of every sandbox command line here.
fn on_loopback<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [&["sandbox", "--addr", "127.0.0.1:0"], args].concat()
}

/// Runs `hpr args…` to completion (bounded), with no stdin.
fn run(args: &[&str]) -> Output {
    let child = hpr()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hpr starts");
    let mut guard = Running::adopt(child);
    let status = guard.wait_exit();
    let mut stdout = String::new();
    let mut stderr = String::new();
    let child = guard.child.as_mut().unwrap();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    guard.child = None;
    Output {
        status,
        stdout: stdout.into_bytes(),
        stderr: stderr.into_bytes(),
    }
}

/// A running `hpr sandbox`: its stdout lines arrive on a channel; killed on drop.
struct Running {
    child: Option<Child>,
    lines: Option<Receiver<String>>,
    stderr: Option<thread::JoinHandle<String>>,
    /// The first stdout line (the listening line).
    first_line: String,
    /// The second stdout line (Backend B's settings).
    abdm_line: String,
}

impl Running {
    fn adopt(child: Child) -> Self {
        Self {
            child: Some(child),
            lines: None,
            stderr: None,
            first_line: String::new(),
            abdm_line: String::new(),
        }
    }

    /// Starts `hpr sandbox --addr 127.0.0.1:0 args…` and waits for its `listening on http://…`
    /// line; returns the guard and the base URL.
    fn sandbox(args: &[&str]) -> (Self, String) {
        let mut command = hpr();
        command.args(on_loopback(args)).stdin(Stdio::null());
        let (child, rx, stderr) = running::spawn_piped(&mut command);
        let mut running = Self {
            child: Some(child),
            lines: Some(rx),
            stderr: Some(stderr),
            first_line: String::new(),
            abdm_line: String::new(),
        };
        let first = running.next_line().expect("a first line on stdout");
        running.first_line = first.clone();
        let url = first
            .split_once("listening on ")
            .map(|(_, rest)| rest.split_whitespace().next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("first stdout line is not the listening line: {first:?}"));
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert!(
            first.starts_with("hpr sandbox: listening on http://"),
            "{first}"
        );
        let abdm = running.next_line().expect("a second line on stdout");
        assert!(abdm.starts_with("hpr sandbox: abdm "), "{abdm}");
        running.abdm_line = abdm;
        (running, url)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// The next stdout line, or `None` at end of output; panics after [`WAIT`].
    fn next_line(&mut self) -> Option<String> {
        match self.lines.as_ref().unwrap().recv_timeout(WAIT) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!("no stdout line within {WAIT:?}"),
        }
    }

    /// Waits for the first stdout line that satisfies `matches` (bounded by [`WAIT`]).
    fn line_where(&mut self, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match self
                .lines
                .as_ref()
                .unwrap()
                .recv_timeout(deadline - Instant::now())
            {
                Ok(line) if matches(&line) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no matching stdout line; saw {seen:?}");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Sends `SIG<name>` and asserts that the sandbox stops with code 0.
    fn stop_with(&mut self, name: &str) {
        self.signal(name);
        let status = self.wait_exit();
        assert_eq!(status.code(), Some(0), "{status:?}");
    }

    /// Waits (bounded by [`WAIT`]) for the process to exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let child = self.child.as_mut().unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "hpr did not exit within {WAIT:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// After exit: everything written on stderr.
    fn stderr(&mut self) -> String {
        self.stderr.take().unwrap().join().unwrap()
    }

    /// After exit: the remaining stdout lines.
    fn rest_of_stdout(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.next_line() {
            lines.push(line);
        }
        lines
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(None) = child.try_wait()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `GET path` over plain HTTP/1.1; returns the status code and the body.
fn http_get(base_url: &str, path: &str) -> (u16, String) {
    let authority = base_url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers end");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// Asks the sandbox for an Aadhaar OTP through the SDK's client, with the API key `test-key`.
fn try_generate_otp(base_url: &str) -> abdm_hpr::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = GatewayClient::builder()
            .base_url(base_url)
            .api_key("test-key")
            .build()
            .expect("a loopback client builds");
        let request = GenerateAadhaarOtpRequest::try_from(GenerateAadhaarOtpInput {
            aadhaar: Some(AADHAAR.into()),
        })
        .unwrap();
        tokio::time::timeout(WAIT, client.generate_aadhaar_otp(&request))
            .await
            .expect("the sandbox answers in time")
            .map(drop)
    })
}

/// Asks the sandbox to send an Aadhaar OTP, through the SDK's client.
fn generate_otp(base_url: &str) {
    try_generate_otp(base_url).expect("the sandbox sends an OTP");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts exit code 2 (a usage or input error) and returns stderr.
#[track_caller]
fn exit_2_stderr(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr
}

/// The identity the sandbox derives for [`AADHAAR`] with seed 3.
fn derived_person() -> Identity {
    let aadhaar: Aadhaar = AADHAAR.parse().unwrap();
    hpr_sandbox::identity::derive(&aadhaar, 3)
}

/// Writes an identities file holding just `person`.
fn write_people(path: &Path, person: Identity) {
    std::fs::write(path, serde_json::to_vec(&vec![person]).unwrap()).unwrap();
}

/// A path as a command-line argument.
fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn serves_health_prints_sms_and_stops_on_sigterm() {
    let (mut sandbox, url) = Running::sandbox(&["--seed", "1", "--fixed-otp", OTP]);

    let (status, body) = http_get(&url, "/_sandbox/health");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");

    generate_otp(&url);
    let sms = sandbox.line_where(|line| line.starts_with("[sms]"));
    assert!(sms.contains(OTP), "{sms}");
    assert!(
        !sms.contains(&AADHAAR[..8]),
        "the SMS line does not show the Aadhaar number: {sms}"
    );

    sandbox.stop_with("TERM");
    let stderr = sandbox.stderr();
    assert!(!stderr.contains(OTP), "stderr shows the OTP: {stderr}");
    assert!(sandbox.rest_of_stdout().is_empty());
}

#[test]
fn ctrl_c_stops_with_code_0() {
    let (mut sandbox, _url) = Running::sandbox(&[]);
    sandbox.stop_with("INT");
}

/// The names of a live process's threads (`/proc/PID/task/*/comm`).
#[cfg(target_os = "linux")]
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|task| {
            let comm = task.unwrap().path().join("comm");
            std::fs::read_to_string(comm).unwrap().trim().to_owned()
        })
        .collect()
}

#[test]
#[cfg(target_os = "linux")]
fn the_sandbox_runs_the_allocators_purge_thread() {
    // started by `hpr sandbox` itself, not at start-up (one-shot commands do without it)
    let (mut sandbox, url) = Running::sandbox(&["--quiet-sms"]);
    assert_eq!(http_get(&url, "/_sandbox/health").0, 200);
    let names = thread_names(sandbox.pid());
    assert!(
        names.iter().any(|name| name == "jemalloc_bg_thd"),
        "threads: {names:?}"
    );
    sandbox.stop_with("TERM");
}

#[test]
fn listening_line_names_the_seed() {
    let (mut sandbox, url) = Running::sandbox(&["--seed", "42", "--quiet-sms"]);
    assert_eq!(
        sandbox.first_line,
        format!("hpr sandbox: listening on {url} (seed 42)")
    );
    sandbox.stop_with("TERM");
}

#[test]
fn quiet_sms_prints_no_otp() {
    let (mut sandbox, url) =
        Running::sandbox(&["--fixed-otp", OTP, "--quiet-sms", "--api-key", "test-key"]);
    generate_otp(&url);
    sandbox.stop_with("TERM");
    let rest = sandbox.rest_of_stdout();
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn api_key_rejects_other_keys() {
    // the sandbox accepts only `other-key`, so the SDK call with `test-key` fails
    let (mut sandbox, url) = Running::sandbox(&["--api-key", "other-key"]);
    assert!(try_generate_otp(&url).is_err());
    sandbox.stop_with("TERM");
    let stderr = sandbox.stderr();
    assert!(
        !stderr.contains("other-key") && !stderr.contains("test-key"),
        "{stderr}"
    );
}

#[test]
fn state_file_is_written_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (mut sandbox, _url) = Running::sandbox(&["--state", path_arg(&path)]);
    sandbox.stop_with("TERM");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("state file written")).unwrap();
    assert!(state.get("version").is_some(), "{state}");
    assert!(state["accounts"].is_array(), "{state}");

    // and the same file is accepted at the next start
    let (mut again, _url) = Running::sandbox(&["--state", path_arg(&path)]);
    again.stop_with("TERM");
}

#[test]
fn identities_file_seeds_people() {
    let mut person = derived_person();
    person.name = "Zorawar Singh".into();
    person.first_name = "Zorawar".into();
    person.middle_name = None;
    person.last_name = "Singh".into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.json");
    write_people(&path, person);

    let (mut sandbox, url) = Running::sandbox(&["--identities", path_arg(&path)]);
    let (status, body) = http_get(&url, &format!("/_sandbox/identities/{AADHAAR}"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Zorawar"), "{body}");
    sandbox.stop_with("TERM");
}

#[test]
fn unknown_fault_exits_2_naming_the_flag() {
    let out = run(&on_loopback(&["--faults", "bogus"]));
    let stderr = exit_2_stderr(&out);
    assert!(stderr.contains("--faults"), "{stderr}");
    assert!(stderr.contains("bogus"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn fault_rate_out_of_range_exits_2() {
    let out = run(&on_loopback(&["--fault-rate", "2"]));
    let stderr = exit_2_stderr(&out);
    assert!(stderr.contains("--fault-rate"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_lifetime_beyond_the_clock_exits_2_naming_the_flag() {
    // u64::MAX seconds used to overflow `Instant + Duration` on the first OTP
    for flag in ["--otp-ttl-secs", "--txn-ttl-secs", "--resend-interval-secs"] {
        let out = run(&on_loopback(&[flag, "18446744073709551615"]));
        let stderr = exit_2_stderr(&out);
        assert!(stderr.contains(flag), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bad_fixed_otp_exits_2() {
    let stderr = exit_2_stderr(&run(&on_loopback(&["--fixed-otp", "12345"])));
    assert!(stderr.contains("--fixed-otp"), "{stderr}");
}

#[test]
fn missing_identities_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody.json");
    let stderr = exit_2_stderr(&run(&on_loopback(&["--identities", path_arg(&path)])));
    assert!(stderr.starts_with("error: --identities"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn invalid_identities_file_exits_2_without_echoing_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.json");
    // a number where a string belongs
    std::fs::write(&path, format!(r#"[{{"aadhaar": {AADHAAR}}}]"#)).unwrap();
    let with_identities = || exit_2_stderr(&run(&on_loopback(&["--identities", path_arg(&path)])));
    let stderr = with_identities();
    assert!(
        stderr.contains("--identities") && stderr.contains("[0].aadhaar"),
        "{stderr}"
    );
    assert!(!stderr.contains(AADHAAR), "{stderr}");

    // well-formed JSON, but a broken field rule
    let mut person = derived_person();
    person.mobile = "12345".into();
    write_people(&path, person);
    let stderr = with_identities();
    assert!(
        stderr.contains("--identities") && stderr.contains("mobile"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(AADHAAR) && !stderr.contains("12345"),
        "{stderr}"
    );
}

#[test]
fn invalid_state_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "not json").unwrap();
    let stderr = exit_2_stderr(&run(&on_loopback(&["--state", path_arg(&path)])));
    assert!(stderr.contains("--state"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "not json",
        "a bad state file is left alone"
    );
}

#[test]
fn address_in_use_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["sandbox", "--addr", &addr]);
    let stderr = exit_2_stderr(&out);
    assert!(stderr.contains("--addr"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_flag_exits_2() {
    let out = run(&["sandbox", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "a command is required");
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(
        help.contains("Examples:") && help.contains("hpr sandbox"),
        "{help}"
    );
    assert!(
        help.contains("Exit codes:") && help.contains("130"),
        "{help}"
    );

    let out = run(&["sandbox", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(
        help.contains("Examples:") && help.contains("--fixed-otp"),
        "{help}"
    );
    for flag in [
        "--addr",
        "--seed",
        "--otp-ttl-secs",
        "--txn-ttl-secs",
        "--max-otp-attempts",
        "--resend-interval-secs",
        "--api-key",
        "--identities",
        "--state",
        "--latency-ms",
        "--fault-rate",
        "--faults",
        "--quiet-sms",
        "--abdm-client",
        "--abdm-token-ttl-secs",
        "--abdm-encrypt",
    ] {
        assert!(help.contains(flag), "{flag} missing from help");
    }
    assert!(help.contains("HPR_ABDM_HPR_URL"), "{help}");
    assert!(help.contains("/abdm/hpr/api"), "{help}");
}

#[test]
fn version_prints_the_version() {
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("hpr {}", env!("CARGO_PKG_VERSION"))
    );
}

/// `GET path` with extra header lines; returns the status code.
fn http_get_with(base_url: &str, path: &str, headers: &str) -> u16 {
    let authority = base_url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn connection_flags_out_of_range_exit_2_naming_the_flag() {
    for (flag, value) in [
        ("--header-timeout-secs", "0"),
        ("--header-timeout-secs", "86401"),
        ("--header-timeout-secs", "18446744073709551615"),
        ("--max-connections", "0"),
        ("--max-connections", "100001"),
        ("--max-connections", "18446744073709551615"),
        ("--admin-token", ""),
        ("--admin-token", "two words"),
    ] {
        let out = run(&on_loopback(&[flag, value]));
        let stderr = exit_2_stderr(&out);
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn admin_token_and_connection_flags_take_effect() {
    let (mut sandbox, url) = Running::sandbox(&[
        "--admin-token",
        "cli-admin-token",
        "--header-timeout-secs",
        "1",
        "--max-connections",
        "2",
    ]);
    assert_eq!(http_get_with(&url, "/_sandbox/requests", ""), 401);
    let token = "x-sandbox-admin-token: cli-admin-token\r\n";
    assert_eq!(http_get_with(&url, "/_sandbox/requests", token), 200);
    assert_eq!(http_get_with(&url, "/_sandbox/health", ""), 200);
    assert_eq!(
        http_get_with(&url, "/_sandbox/health", "Origin: http://evil.example\r\n"),
        403
    );

    // a stalled request head is cut off after about a second
    let authority = url.strip_prefix("http://").unwrap();
    let mut stalled = TcpStream::connect(authority).unwrap();
    stalled.set_read_timeout(Some(WAIT)).unwrap();
    stalled
        .write_all(b"GET /_sandbox/health HTTP/1.1\r\n")
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "closed after {took:?}"
    );

    // two connections held: the third gets 503
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(authority).unwrap())
        .collect();
    assert_eq!(http_get_with(&url, "/_sandbox/health", ""), 503);
    drop(held);
    let deadline = Instant::now() + WAIT;
    while http_get_with(&url, "/_sandbox/health", "") != 200 {
        assert!(Instant::now() < deadline, "still refused");
        thread::sleep(Duration::from_millis(20));
    }
    sandbox.stop_with("TERM");
}

/// `POST path` over plain HTTP/1.1 with a JSON body and extra header lines; returns the status
/// and the body.
fn http_post(base_url: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let authority = base_url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(authority).expect("connect");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\n{headers}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers end");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// The access token of a v0.5 session for `id:secret`, or the failing status.
fn abdm_session(base_url: &str, id: &str, secret: &str) -> Result<serde_json::Value, u16> {
    let body = serde_json::json!({"clientId": id, "clientSecret": secret, "grantType": "client_credentials"});
    let (status, text) = http_post(
        base_url,
        "/abdm/gateway/gateway/v0.5/sessions",
        "",
        &body.to_string(),
    );
    if status == 200 {
        Ok(serde_json::from_str(&text).unwrap())
    } else {
        Err(status)
    }
}

#[test]
fn the_abdm_line_names_backend_b_with_the_default_client() {
    let (mut sandbox, url) = Running::sandbox(&["--seed", "42", "--quiet-sms"]);
    assert_eq!(
        sandbox.abdm_line,
        format!(
            "hpr sandbox: abdm HPR_ABDM_HPR_URL={url}/abdm/hpr/api \
             HPR_ABDM_GATEWAY_URL={url}/abdm/gateway HPR_ABDM_CLIENT_ID=SBX_HPR_SANDBOX \
             HPR_ABDM_CLIENT_SECRET=sandbox-secret"
        )
    );
    let grant = abdm_session(&url, "SBX_HPR_SANDBOX", "sandbox-secret").unwrap();
    assert_eq!(grant["expiresIn"], 1200);
    sandbox.stop_with("TERM");
    assert!(sandbox.rest_of_stdout().is_empty());
}

#[test]
fn abdm_flags_take_effect() {
    let (mut sandbox, url) = Running::sandbox(&[
        "--quiet-sms",
        "--abdm-client",
        "SBX_A:first:secret",
        "--abdm-client",
        "SBX_B:second",
        "--abdm-token-ttl-secs",
        "600",
        "--abdm-encrypt",
        "aadhaar=pkcs1v15",
    ]);
    // the first client is printed, split at its first `:`
    assert!(
        sandbox
            .abdm_line
            .ends_with(" HPR_ABDM_CLIENT_ID=SBX_A HPR_ABDM_CLIENT_SECRET=first:secret"),
        "{}",
        sandbox.abdm_line
    );
    assert!(abdm_session(&url, "SBX_A", "first:secret").is_ok());
    let grant = abdm_session(&url, "SBX_B", "second").unwrap();
    assert_eq!(grant["expiresIn"], 600);
    assert_eq!(
        abdm_session(&url, "SBX_HPR_SANDBOX", "sandbox-secret"),
        Err(401),
        "configured clients replace the default"
    );
    // the Aadhaar number must now arrive encrypted
    let token = grant["accessToken"].as_str().unwrap();
    let (status, body) = http_post(
        &url,
        "/abdm/hpr/api/v1/registration/aadhaar/generateOtp",
        &format!("Authorization: Bearer {token}\r\n"),
        &format!(r#"{{"aadhaar":"{AADHAAR}"}}"#),
    );
    assert_eq!(status, 400, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["details"][0]["code"], "HIS-1047");
    assert_eq!(body["details"][0]["attribute"]["key"], "aadhaar");
    sandbox.stop_with("TERM");
    let stderr = sandbox.stderr();
    assert!(
        !stderr.contains("second") && !stderr.contains(AADHAAR),
        "{stderr}"
    );
}

#[test]
fn bad_abdm_flags_exit_2_naming_the_flag() {
    for (args, flag) in [
        (&["--abdm-client", "no-colon"][..], "--abdm-client"),
        (&["--abdm-client", "ID:two words"][..], "--abdm-client"),
        (&["--abdm-client", ":secret"][..], "--abdm-client"),
        (&["--abdm-token-ttl-secs", "0"][..], "--abdm-token-ttl-secs"),
        (
            &["--abdm-token-ttl-secs", "86401"][..],
            "--abdm-token-ttl-secs",
        ),
        (&["--abdm-encrypt", "pin=none"][..], "--abdm-encrypt"),
        (&["--abdm-encrypt", "password=rot13"][..], "--abdm-encrypt"),
        (
            &["--abdm-client", "SBX_1:bad\u{7f}SeCrEt"][..],
            "--abdm-client",
        ),
        (&["--admin-token", "bad SeCrEt token"][..], "--admin-token"),
    ] {
        let out = run(&on_loopback(args));
        let stderr = exit_2_stderr(&out);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        // a rejected credential is never repeated
        assert!(!stderr.contains("SeCrEt"), "{args:?}: {stderr}");
    }
}
