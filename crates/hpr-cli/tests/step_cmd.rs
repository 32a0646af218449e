//! `hpr step` and `hpr completions`, run as a user or script runs them: the real binary against
//! an in-process sandbox on a loopback port (fixed OTP `123456`, seeded).
//!
//! Covered: both demographic branches end to end, an existing account, every error kind with its
//! exit code, the state file (atomic, 0600, no secrets, untouched by failures), payload sources
//! (inline, `@FILE`, stdin), Ctrl-C, the completion scripts, and the fixed-address binary. Every
//! child process and every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use hpr_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The OTP the sandbox sends every time.
const OTP: &str = "123456";
/// A wrong OTP.
const WRONG_OTP: &str = "654321";
/// Valid synthetic Aadhaar numbers (CONTRACT §5.1).
const AADHAAR: &str = "234123412346";
const AADHAAR_2: &str = "498765432102";
const AADHAAR_3: &str = "987654321012";
/// Fails the Verhoeff check.
const BAD_AADHAAR: &str = "234123412345";
const PASSWORD: &str = "Ayushman@143";
const API_KEY: &str = "test-key";
/// Longest any single `hpr` run may take.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// A sandbox served on its own runtime (kept alive for the whole test) and a scratch folder.
struct Harness {
    runtime: tokio::runtime::Runtime,
    running: Option<RunningSandbox>,
    url: String,
    dir: TempDir,
}

impl Harness {
    /// A loopback listener standing in for a registry that answers only when the test does.
    fn silent_registry(&self) -> (tokio::net::TcpListener, SocketAddr) {
        let listener = self
            .runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        (listener, addr)
    }

    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = SandboxConfig {
            seed: Some(7),
            fixed_otp: Some(OTP.into()),
            // a second registration of the same Aadhaar follows at once
            resend_interval: Duration::ZERO,
            ..SandboxConfig::default()
        };
        let running = runtime
            .block_on(
                Sandbox::new(config)
                    .unwrap()
                    .start("127.0.0.1:0".parse().unwrap()),
            )
            .unwrap();
        let url = running.base_url();
        Self {
            runtime,
            running: Some(running),
            url,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn sandbox(&self) -> &Sandbox {
        self.running.as_ref().unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The backend flags for this sandbox: `--api-url <sandbox> --api-key test-key`.
    fn backend(&self) -> [&str; 4] {
        ["--api-url", &self.url, "--api-key", API_KEY]
    }

    /// `hpr step <step> --state <state> --api-url <sandbox> --api-key test-key [--payload <json>]`.
    fn step(&self, state: &Path, step: &str, payload: Option<Value>) -> Run {
        let mut cmd = hpr();
        cmd.args(["step", step, "--state"]).arg(state);
        cmd.args(self.backend());
        if let Some(p) = payload {
            cmd.args(["--payload", &p.to_string()]);
        }
        Run::of(&mut cmd)
    }

    /// [`Harness::step`] with the `--payload` argument exactly as given (e.g. `@FILE`).
    fn step_raw(&self, state: &Path, step: &str, payload: &str) -> Run {
        Run::of(&mut step_command(&self.backend(), step, payload, state))
    }

    /// Runs a step that must succeed and returns its outcome.
    fn ok(&self, state: &Path, step: &str, payload: Option<Value>) -> Value {
        let run = self.step(state, step, payload);
        assert_eq!(run.code, 0, "{step} failed: {}", run.doc);
        run.doc
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), running.shutdown()).await
            });
        }
    }
}

/// The `hpr` binary with a clean environment for its settings.
fn hpr() -> Command {
    let mut cmd = Command::cargo_bin("hpr").unwrap();
    for var in [
        "HPR_API_URL",
        "HPR_API_KEY",
        "HPR_HPRID_AUTH",
        "HPR_FACILITY_ID",
        "RUST_LOG",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.timeout(RUN_LIMIT);
    cmd
}

/// `hpr step <step> --payload <payload> --state <state> <flags…>`.
fn step_command(flags: &[&str], step: &str, payload: &str, state: &Path) -> Command {
    let mut cmd = hpr();
    cmd.args(["step", step, "--payload", payload, "--state"])
        .arg(state)
        .args(flags);
    cmd
}

/// One finished `hpr step`: its exit code, its single stdout document and its stderr.
struct Run {
    code: i32,
    doc: Value,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(cmd: &mut Command) -> Self {
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("hpr was killed: {stderr}"));
        Self {
            code,
            doc: single_document(&stdout),
            stdout,
            stderr,
        }
    }

    /// Asserts an error document of `kind` and exit `code`; returns `error`.
    fn error(&self, kind: &str, code: i32) -> &Value {
        assert_eq!(self.code, code, "{}\n{}", self.doc, self.stderr);
        assert_eq!(self.doc["error"]["kind"], kind, "{}", self.doc);
        assert!(
            self.doc["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            self.doc
        );
        &self.doc["error"]
    }

    /// Asserts a flow error (exit 5) that allows exactly `allowed` and whose message says `says`.
    fn flow_error(&self, allowed: Value, says: &str) {
        let err = self.error("flow", 5);
        assert_eq!(err["allowed_steps"], allowed, "{err}");
        assert!(message(err).contains(says), "{err}");
    }
}

/// The `message` of an error document's `error` (or of one of its `fields`).
fn message(error: &Value) -> &str {
    error["message"].as_str().expect("a message")
}

/// The payload of `generate_aadhaar_otp`.
fn aadhaar_payload(aadhaar: &str) -> Option<Value> {
    Some(json!({"aadhaar": aadhaar}))
}

/// The payload of an OTP step.
fn otp_payload(otp: &str) -> Option<Value> {
    Some(json!({"otp": otp}))
}

/// stdout is exactly one compact JSON document on one line.
fn single_document(stdout: &str) -> Value {
    assert!(stdout.ends_with('\n'), "no final newline: {stdout:?}");
    assert_eq!(stdout.lines().count(), 1, "not one line: {stdout:?}");
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout:?}"))
}

fn next_step(doc: &Value) -> &Value {
    assert!(doc.get("message").is_some_and(Value::is_string), "{doc}");
    for key in ["data", "next_step", "next_step_payload_hint"] {
        assert!(doc.get(key).is_some(), "no `{key}` in {doc}");
    }
    &doc["next_step"]
}

fn create_payload(hpr_id: &str) -> Value {
    json!({
        "hprId": hpr_id,
        "password": PASSWORD,
        "email": "asha@example.com",
        "hpCategoryCode": "1",
        "hpSubCategoryCode": "1",
    })
}

/// `NN-NNNN-NNNN-NNNN`.
fn is_hpr_id_number(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([2, 4, 4, 4])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
}

/// A mobile that is not the one linked to `aadhaar`.
fn other_mobile(h: &Harness, aadhaar: &str) -> String {
    let linked = h.sandbox().identity(aadhaar).unwrap().mobile;
    ["9988776655", "9876501234"]
        .into_iter()
        .find(|m| *m != linked)
        .unwrap()
        .to_owned()
}

/// Steps 1–3 for a new account; returns the account check outcome.
fn start(h: &Harness, state: &Path, aadhaar: &str) -> Value {
    let out = h.ok(state, "generate_aadhaar_otp", aadhaar_payload(aadhaar));
    assert_eq!(next_step(&out), "verify_aadhaar_otp");
    let out = h.ok(state, "verify_aadhaar_otp", otp_payload(OTP));
    assert_eq!(next_step(&out), "check_account_exist");
    // upper case, as the peer's documentation writes step ids
    h.ok(state, "CHECK_ACCOUNT_EXIST", None)
}

/// The verified branch, 6 steps; returns the create outcome.
fn register_verified(h: &Harness, state: &Path, aadhaar: &str) -> Value {
    let out = start(h, state, aadhaar);
    assert_eq!(next_step(&out), "demographic_auth_via_mobile");
    assert_eq!(out["data"]["hprIdNumber"], "");
    let linked = h.sandbox().identity(aadhaar).unwrap().mobile;
    let out = h.ok(
        state,
        "demographic_auth_via_mobile",
        Some(json!({"mobileNumber": linked})),
    );
    assert_eq!(out["data"]["verified"], true);
    assert_eq!(next_step(&out), "get_hpr_id_suggestion");
    let out = h.ok(state, "get_hpr_id_suggestion", None);
    assert_eq!(next_step(&out), "create_hpr_id_with_preverified");
    let hint = &out["next_step_payload_hint"]["required_fields"];
    assert_eq!(
        hint,
        &json!([
            "hprId",
            "password",
            "email",
            "hpCategoryCode",
            "hpSubCategoryCode"
        ]),
        "the session prefills every demographic"
    );
    let username = out["data"][0].as_str().expect("a suggestion").to_owned();
    let out = h.ok(
        state,
        "create_hpr_id_with_preverified",
        Some(create_payload(&username)),
    );
    assert_eq!(next_step(&out), &Value::Null);
    assert_eq!(out["next_step_payload_hint"], Value::Null);
    assert_eq!(out["data"]["hprId"], format!("{username}@hpr.abdm"));
    assert!(
        is_hpr_id_number(out["data"]["hprIdNumber"].as_str().unwrap()),
        "{out}"
    );
    out
}

/// The session a state file holds: its last line.
fn last_version(state: &Path) -> Value {
    let text = std::fs::read_to_string(state).unwrap();
    serde_json::from_str(text.lines().last().expect("a version")).unwrap()
}

/// The state file: mode 0600, a session, and none of the secrets.
fn assert_safe_state(state: &Path, aadhaar: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(state).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let text = std::fs::read_to_string(state).unwrap();
    assert!(!text.contains(aadhaar), "full Aadhaar in the state file");
    assert!(!text.contains(PASSWORD), "password in the state file");
    // one JSON line per saved version: every one of them is checked
    let versions: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(!versions.is_empty());
    let mut stack: Vec<&Value> = versions.iter().collect();
    for session in &versions {
        assert_eq!(session["version"], 2);
    }
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let k = k.to_ascii_lowercase();
                    assert!(!k.contains("otp") && !k.contains("password"), "key {k}");
                    stack.push(v);
                }
            }
            Value::Array(items) => stack.extend(items),
            Value::String(s) => assert!(s != OTP && s != WRONG_OTP, "an OTP in the state file"),
            _ => {}
        }
    }
}

/// Nothing but the state file (if any) in the folder: no temporary left behind.
fn assert_no_temporaries(h: &Harness) {
    for entry in std::fs::read_dir(h.dir.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "temporary file left: {name}");
    }
}

// ---------------------------------------------------------------------------------------------
// (a) (b) (d) the flow end to end

#[test]
fn verified_branch_end_to_end_then_the_account_exists() {
    let h = Harness::new();
    let state = h.path("asha.json");
    let created = register_verified(&h, &state, AADHAAR);
    assert_safe_state(&state, AADHAAR);
    assert_no_temporaries(&h);

    // the same Aadhaar again, in a new state file: the account check ends the flow
    let second = h.path("again.json");
    let out = start(&h, &second, AADHAAR);
    assert_eq!(next_step(&out), &Value::Null);
    assert_eq!(out["next_step_payload_hint"], Value::Null);
    assert_eq!(out["data"]["hprIdNumber"], created["data"]["hprIdNumber"]);
    assert_eq!(out["data"]["hprId"], created["data"]["hprId"]);
    assert_safe_state(&second, AADHAAR);

    // a finished session allows nothing and says how to go on
    let before = std::fs::read(&second).unwrap();
    let run = h.step(&second, "generate_aadhaar_otp", aadhaar_payload(AADHAAR));
    run.flow_error(json!([]), "new --state file");
    assert_eq!(std::fs::read(&second).unwrap(), before);
}

#[test]
fn mobile_otp_branch_end_to_end_with_payload_files_and_stdin() {
    let h = Harness::new();
    let state = h.path("state.json");
    let out = h.ok(&state, "GENERATE_AADHAAR_OTP", aadhaar_payload(AADHAAR_2));
    assert_eq!(next_step(&out), "verify_aadhaar_otp");

    // --payload - : from stdin; the backend flags also work after the step
    let mut cmd = hpr();
    cmd.args([
        "step",
        "verify_aadhaar_otp",
        "--api-url",
        &h.url,
        "--api-key",
        API_KEY,
    ])
    .args(["--payload", "-", "--state"])
    .arg(&state)
    .write_stdin(json!({"otp": OTP}).to_string());
    let run = Run::of(&mut cmd);
    assert_eq!(run.code, 0, "{}", run.doc);
    assert_eq!(next_step(&run.doc), "check_account_exist");

    let out = h.ok(&state, "check_account_exist", None);
    assert_eq!(next_step(&out), "demographic_auth_via_mobile");

    let mobile = other_mobile(&h, AADHAAR_2);
    let out = h.ok(
        &state,
        "demographic_auth_via_mobile",
        Some(json!({"mobileNumber": mobile})),
    );
    assert_eq!(out["data"]["verified"], false);
    assert_eq!(next_step(&out), "generate_mobile_otp");
    assert_eq!(
        out["next_step_payload_hint"]["required_fields"],
        json!([]),
        "the session defaults the mobile"
    );

    // no payload: the mobile comes from the session
    let out = h.ok(&state, "generate_mobile_otp", None);
    assert_eq!(next_step(&out), "verify_mobile_otp");
    let out = h.ok(&state, "verify_mobile_otp", otp_payload(OTP));
    assert_eq!(next_step(&out), "get_hpr_id_suggestion");
    let out = h.ok(&state, "get_hpr_id_suggestion", None);
    assert_eq!(next_step(&out), "create_hpr_id_with_preverified");

    // --payload @FILE
    let payload = h.path("create.json");
    std::fs::write(&payload, create_payload("ravi.kumar_test").to_string()).unwrap();
    let run = h.step_raw(
        &state,
        "create_hpr_id_with_preverified",
        &format!("@{}", payload.display()),
    );
    assert_eq!(run.code, 0, "{}", run.doc);
    assert_eq!(next_step(&run.doc), &Value::Null);
    assert_eq!(run.doc["data"]["hprId"], "ravi.kumar_test@hpr.abdm");
    assert!(is_hpr_id_number(
        run.doc["data"]["hprIdNumber"].as_str().unwrap()
    ));
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));

    assert_safe_state(&state, AADHAAR_2);
    assert_no_temporaries(&h);
    assert_eq!(h.sandbox().accounts().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// (c) every error kind and exit code

#[test]
fn validation_errors_exit_2_name_the_field_and_never_echo_the_value() {
    let h = Harness::new();
    let state = h.path("s.json");

    let run = h.step(&state, "generate_aadhaar_otp", aadhaar_payload(BAD_AADHAAR));
    let err = run.error("validation", 2);
    assert_eq!(err["fields"][0]["field"], "aadhaar");
    assert_eq!(err["fields"][0]["code"], "checksum");
    assert!(err.get("status").is_none() && err.get("code").is_none());
    assert!(!run.stdout.contains(BAD_AADHAAR) && !run.stderr.contains(BAD_AADHAAR));
    assert!(!state.exists(), "a failed first step creates no state file");

    // an unknown payload key is named, not dropped
    let run = h.step(
        &state,
        "generate_aadhaar_otp",
        Some(json!({"aadhaar": AADHAAR, "adhaar": AADHAAR})),
    );
    let err = run.error("validation", 2);
    assert_eq!(err["fields"][0]["field"], "adhaar");
    assert_eq!(err["fields"][0]["code"], "unknown_field");
    assert!(!run.stdout.contains(AADHAAR));

    // not JSON
    let run = h.step_raw(&state, "generate_aadhaar_otp", "{\"aadhaar\": 2341");
    let err = run.error("validation", 2);
    assert_eq!(err["fields"][0]["field"], "payload");
    assert!(!run.stdout.contains("2341"), "{}", run.stdout);

    // an unreadable @FILE
    let run = h.step_raw(&state, "generate_aadhaar_otp", "@/nonexistent/p.json");
    let err = run.error("validation", 2);
    assert_eq!(err["fields"][0]["field"], "payload");

    // an unknown step
    let run = h.step(&state, "verify_the_otp", None);
    let err = run.error("validation", 2);
    assert_eq!(err["fields"][0]["field"], "step");
    assert!(message(&err["fields"][0]).contains("generate_aadhaar_otp"));
    assert!(!state.exists());
    assert!(h.sandbox().requests().is_empty(), "nothing was sent");
}

/// The `(field, code)` pairs of a validation error document.
fn field_codes(err: &Value) -> Vec<(String, String)> {
    err["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect()
}

#[test]
fn strict_payload_edges_are_refused_before_anything_is_sent() {
    let h = Harness::new();
    let state = h.path("s.json");

    // identifiers must be JSON strings: a number is never read as digits (the minus of
    // -234123412346 is no hyphen, 2.34e11 no Aadhaar)
    for raw in [
        r#"{"aadhaar":-234123412346}"#,
        r#"{"aadhaar":234123412346}"#,
        r#"{"aadhaar":2.34123412346e11}"#,
    ] {
        let run = h.step_raw(&state, "generate_aadhaar_otp", raw);
        let err = run.error("validation", 2);
        assert_eq!(field_codes(err), pairs(&[("aadhaar", "expected_string")]));
        assert!(!run.stdout.contains("2341234"), "{}", run.stdout);
    }

    // a key given twice is refused (not "the last one wins")
    let run = h.step_raw(
        &state,
        "generate_aadhaar_otp",
        &format!(r#"{{"aadhaar":"{AADHAAR}","aadhaar":"{AADHAAR_2}"}}"#),
    );
    let err = run.error("validation", 2);
    assert_eq!(field_codes(err), pairs(&[("aadhaar", "duplicate_field")]));
    assert!(!run.stdout.contains(AADHAAR) && !run.stdout.contains(AADHAAR_2));

    // an unknown key made of digits is masked
    let run = h.step_raw(
        &state,
        "generate_aadhaar_otp",
        &format!(r#"{{"{AADHAAR}":"x"}}"#),
    );
    let err = run.error("validation", 2);
    assert_eq!(err["fields"][0]["code"], "unknown_field");
    assert!(!run.stdout.contains("2346"), "{}", run.stdout);
    assert!(!run.stderr.contains("2346"), "{}", run.stderr);
    assert!(!state.exists());
    assert!(h.sandbox().requests().is_empty(), "nothing was sent");

    // a UTF-8 byte-order mark at the start of a payload file or stdin is skipped
    let file = h.path("bom.json");
    std::fs::write(&file, format!("\u{FEFF}{}", json!({"aadhaar": AADHAAR}))).unwrap();
    let run = h.step_raw(
        &state,
        "generate_aadhaar_otp",
        &format!("@{}", file.display()),
    );
    assert_eq!(run.code, 0, "{}", run.doc);
    let mut cmd = step_command(&h.backend(), "verify_aadhaar_otp", "-", &state);
    cmd.write_stdin(format!("\u{FEFF}{}", json!({"otp": OTP})));
    let run = Run::of(&mut cmd);
    assert_eq!(run.code, 0, "{}", run.doc);
    // an OTP as a number is refused too
    let run = h.step_raw(&state, "check_account_exist", r#"{"txnId":12345678}"#);
    let err = run.error("validation", 2);
    assert_eq!(field_codes(err), pairs(&[("txnId", "expected_string")]));
}

#[test]
fn names_and_dates_are_checked_strictly_and_each_message_names_its_field_once() {
    let h = Harness::new();
    let state = h.path("s.json");
    let hpr_id = up_to_create(&h, &state, AADHAAR);
    let sent = h.sandbox().requests().len();
    let with = |extra: Value| {
        let mut payload = create_payload(&hpr_id);
        for (k, v) in extra.as_object().unwrap() {
            payload[k] = v.clone();
        }
        h.step(&state, "create_hpr_id_with_preverified", Some(payload))
    };

    // a first name of two zero-width spaces, a bidi override, a name without a letter
    let run = with(json!({
        "firstName": "\u{200B}\u{200B}",
        "lastName": "\u{202E}amreV",
        "middleName": "--",
    }));
    let err = run.error("validation", 2);
    assert_eq!(
        field_codes(err),
        pairs(&[
            ("firstName", "control_character"),
            ("lastName", "control_character"),
            ("middleName", "charset"),
        ])
    );

    // an out-of-range month names the month
    let run = with(json!({"dayOfBirth": "15", "monthOfBirth": "13", "yearOfBirth": "1990"}));
    let err = run.error("validation", 2);
    assert_eq!(field_codes(err), pairs(&[("monthOfBirth", "invalid_date")]));
    assert_eq!(err["fields"][0]["message"], "must be 1–12");
    // an impossible combination names all three
    let run = with(json!({"dayOfBirth": "30", "monthOfBirth": "2", "yearOfBirth": "1990"}));
    let err = run.error("validation", 2);
    assert_eq!(
        field_codes(err),
        pairs(&[
            ("dayOfBirth", "invalid_date"),
            ("monthOfBirth", "invalid_date"),
            ("yearOfBirth", "invalid_date"),
        ])
    );
    for f in err["fields"].as_array().unwrap() {
        let field = f["field"].as_str().unwrap();
        assert!(!message(f).contains(field), "{f}");
    }
    assert!(!message(err).contains("dayOfBirth dayOfBirth"), "{err}");
    assert_eq!(h.sandbox().requests().len(), sent, "nothing was sent");
    assert!(h.sandbox().accounts().is_empty());
}

#[test]
fn usage_errors_print_the_json_error_document_too() {
    let h = Harness::new();
    let state = h.path("s.json");
    let state_arg = state.display().to_string();
    for (args, says) in [
        (vec!["step", "generate_aadhaar_otp"], "--state"),
        (
            vec![
                "step",
                "generate_aadhaar_otp",
                "--state",
                &state_arg,
                "--bogus",
            ],
            "--bogus",
        ),
        (
            vec![
                "step",
                "generate_aadhaar_otp",
                "--state",
                &state_arg,
                "--timeout-secs",
                "0",
            ],
            "--timeout-secs",
        ),
        // the client flags belong to the subcommand now
        (
            vec![
                "--api-key",
                API_KEY,
                "step",
                "generate_aadhaar_otp",
                "--state",
                &state_arg,
            ],
            "--api-key",
        ),
        // a payload without --payload is not echoed
        (
            vec![
                "step",
                "verify_aadhaar_otp",
                "--state",
                &state_arg,
                r#"{"otp":"123456"}"#,
            ],
            "unexpected argument",
        ),
    ] {
        let run = Run::of(hpr().args(&args));
        let err = run.error("validation", 2);
        assert!(message(err).contains(says), "{args:?}: {err}");
        assert!(!run.stdout.contains(OTP), "{}", run.stdout);
        assert!(
            run.stderr.contains("error:"),
            "the human text stays: {}",
            run.stderr
        );
    }
    assert!(!state.exists());

    // help is not an error
    let out = hpr().args(["step", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--api-url"));
}

#[test]
fn every_numeric_flag_is_range_checked_at_start() {
    let max = (100u64 * 365 * 24 * 60 * 60 + 1).to_string();
    let cases: &[(&[&str], &str)] = &[
        (
            &["step", "x", "--state", "s", "--timeout-secs", "0"],
            "--timeout-secs",
        ),
        (
            &["step", "x", "--state", "s", "--timeout-secs", "3601"],
            "--timeout-secs",
        ),
        (
            &["step", "x", "--state", "s", "--timeout-secs", "-1"],
            "--timeout-secs",
        ),
        (&["register", "--timeout-secs", "0"], "--timeout-secs"),
        (&["register", "--sandbox-seed", "-1"], "--sandbox-seed"),
        (
            &["register", "--sandbox-seed", "18446744073709551616"],
            "--sandbox-seed",
        ),
        (
            &["register", "--sandbox-fixed-otp", "12345"],
            "--sandbox-fixed-otp",
        ),
        (&["sandbox", "--otp-ttl-secs", "0"], "--otp-ttl-secs"),
        (&["sandbox", "--otp-ttl-secs", &max], "--otp-ttl-secs"),
        (&["sandbox", "--txn-ttl-secs", "0"], "--txn-ttl-secs"),
        (&["sandbox", "--txn-ttl-secs", &max], "--txn-ttl-secs"),
        (
            &["sandbox", "--max-otp-attempts", "0"],
            "--max-otp-attempts",
        ),
        (
            &["sandbox", "--max-otp-attempts", "4294967296"],
            "--max-otp-attempts",
        ),
        (
            &["sandbox", "--resend-interval-secs", &max],
            "--resend-interval-secs",
        ),
        (&["sandbox", "--latency-ms", "600001"], "--latency-ms"),
        (&["sandbox", "--fault-rate", "NaN"], "--fault-rate"),
        (&["sandbox", "--fault-rate=-0.5"], "--fault-rate"),
        (&["sandbox", "--fault-rate", "-0.5"], "--fault-rate"),
        (&["sandbox", "--seed", "-1"], "--seed"),
        (&["sandbox", "--otp-ttl-secs", "-5"], "--otp-ttl-secs"),
        (&["sandbox", "--latency-ms", "-1"], "--latency-ms"),
        (&["sandbox", "--max-connections", "-3"], "--max-connections"),
        (
            &["sandbox", "--max-transactions", "-1"],
            "--max-transactions",
        ),
        (
            &["sandbox", "--header-timeout-secs", "-1"],
            "--header-timeout-secs",
        ),
        (&["sandbox", "--addr", "127.0.0.1:70000"], "--addr"),
    ];
    for (args, flag) in cases {
        let out = hpr().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

#[test]
fn each_subcommand_lists_only_its_flags() {
    let help = |args: &[&str]| {
        let out = hpr().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let sandbox = help(&["sandbox", "--help"]);
    for client_only in [
        "--api-url",
        "--hprid-auth",
        "--facility-id",
        "--timeout-secs",
    ] {
        assert!(
            !sandbox.contains(client_only),
            "{client_only} in sandbox help"
        );
    }
    assert!(sandbox.contains("--api-key"), "the sandbox's accepted keys");
    for sub in ["step", "register"] {
        let text = help(&[sub, "--help"]);
        for flag in [
            "--api-url",
            "--api-key",
            "--hprid-auth",
            "--facility-id",
            "--timeout-secs",
        ] {
            assert!(text.contains(flag), "{flag} missing from hpr {sub} --help");
        }
    }
    let register = help(&["register", "--help"]);
    assert!(register.contains("--sandbox-seed") && register.contains("--sandbox-fixed-otp"));
    assert!(!help(&["completions", "--help"]).contains("--api-url"));

    // the embedded sandbox's settings make no sense with a gateway
    let out = hpr()
        .args([
            "register",
            "--api-url",
            "http://127.0.0.1:9",
            "--sandbox-seed",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--sandbox-seed"), "{stderr}");
}

#[test]
fn config_errors_exit_2() {
    let h = Harness::new();
    let state = h.path("s.json");

    let generate = json!({"aadhaar": AADHAAR}).to_string();

    // no --api-url / HPR_API_URL
    let mut cmd = step_command(
        &["--api-key", API_KEY],
        "generate_aadhaar_otp",
        &generate,
        &state,
    );
    let run = Run::of(&mut cmd);
    let err = run.error("config", 2);
    assert!(message(err).contains("HPR_API_URL"), "{err}");

    // the environment works as well as the flags
    let mut cmd = step_command(&[], "generate_aadhaar_otp", &generate, &state);
    cmd.env("HPR_API_URL", &h.url).env("HPR_API_KEY", API_KEY);
    assert_eq!(Run::of(&mut cmd).code, 0);

    // no API key
    let verify = json!({"otp": OTP}).to_string();
    let mut cmd = step_command(
        &["--api-url", &h.url],
        "verify_aadhaar_otp",
        &verify,
        &state,
    );
    let run = Run::of(&mut cmd);
    let err = run.error("config", 2);
    assert!(message(err).contains("HPR_API_KEY"), "{err}");

    // corrupt, foreign and future state files are named, never quoted
    let corrupt = h.path("corrupt.json");
    for content in [
        "{\"version\":1,\"stage\":",
        "{\"mobile\":\"9876543210\"}",
        "{\"version\":1,\"stage\":\"aadhaar_otp_sent\",\"mobile\":\"9876543210\"}",
        "{\"version\":3,\"stage\":\"start\"}",
    ] {
        std::fs::write(&corrupt, content).unwrap();
        let run = h.step(&corrupt, "verify_aadhaar_otp", otp_payload(OTP));
        let message = message(run.error("config", 2));
        assert!(
            message.contains(&corrupt.display().to_string()),
            "{message}"
        );
        assert!(!message.contains("9876543210"), "{message}");
        assert_eq!(std::fs::read_to_string(&corrupt).unwrap(), content);
    }
    let run = h.step(&corrupt, "generate_aadhaar_otp", aadhaar_payload(AADHAAR));
    let refused = run.error("config", 2);
    assert!(message(refused).contains("version 3"), "{refused}");
    assert!(message(refused).contains("upgrade hpr"), "{refused}");

    // a state file in a missing folder is refused before the OTP is sent
    let sent = h.sandbox().requests().len();
    let run = h.step(
        &h.path("missing/s.json"),
        "generate_aadhaar_otp",
        aadhaar_payload(AADHAAR_3),
    );
    run.error("config", 2);
    assert_eq!(h.sandbox().requests().len(), sent, "nothing was sent");
}

#[test]
fn api_error_exits_3_and_leaves_the_state_for_a_retry() {
    let h = Harness::new();
    let state = h.path("s.json");
    h.ok(&state, "generate_aadhaar_otp", aadhaar_payload(AADHAAR));
    let before = std::fs::read(&state).unwrap();

    let run = h.step(&state, "verify_aadhaar_otp", otp_payload(WRONG_OTP));
    let err = run.error("api", 3);
    assert_eq!(err["code"], "HIS-1013");
    assert_eq!(err["status"], 422);
    assert!(!run.stdout.contains(WRONG_OTP) && !run.stderr.contains(WRONG_OTP));
    // the refusal is in the JSON; it is not logged as a warning by default
    assert!(!run.stderr.contains("WARN"), "{}", run.stderr);
    assert_eq!(std::fs::read(&state).unwrap(), before, "state unchanged");
    assert_no_temporaries(&h);

    let out = h.ok(&state, "verify_aadhaar_otp", otp_payload(OTP));
    assert_eq!(next_step(&out), "check_account_exist");
    assert_safe_state(&state, AADHAAR);
}

#[test]
fn transport_error_exits_4() {
    let h = Harness::new();
    // a loopback port nobody listens on any more
    let closed: SocketAddr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let state = h.path("s.json");
    let flags = [
        "--api-url",
        &format!("http://{closed}"),
        "--api-key",
        API_KEY,
        "--timeout-secs",
        "5",
    ];
    let payload = json!({"aadhaar": AADHAAR}).to_string();
    let run = Run::of(&mut step_command(
        &flags,
        "generate_aadhaar_otp",
        &payload,
        &state,
    ));
    run.error("transport", 4);
    assert!(!run.stdout.contains(AADHAAR));
    assert!(!state.exists());
    assert_no_temporaries(&h);
}

#[test]
fn flow_errors_exit_5_list_the_allowed_steps_and_change_nothing() {
    let h = Harness::new();

    // no state file yet: start with generate_aadhaar_otp
    let missing = h.path("none.json");
    let run = h.step(&missing, "verify_aadhaar_otp", otp_payload(OTP));
    run.flow_error(json!(["generate_aadhaar_otp"]), "generate_aadhaar_otp");
    assert!(!missing.exists());

    let state = h.path("s.json");
    let out = start(&h, &state, AADHAAR_3);
    assert_eq!(next_step(&out), "demographic_auth_via_mobile");
    let before = std::fs::read(&state).unwrap();
    let sent = h.sandbox().requests().len();

    let run = h.step(&state, "verify_mobile_otp", otp_payload(OTP));
    run.flow_error(
        json!(["demographic_auth_via_mobile", "generate_aadhaar_otp"]),
        "verify_mobile_otp",
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
    assert_eq!(h.sandbox().requests().len(), sent, "nothing was sent");
}

// ---------------------------------------------------------------------------------------------
// Two runs on one state file

/// Starts `hpr step generate_aadhaar_otp` on `state` against the "registry" at `addr`, in the
/// background, with its output captured.
fn spawn_generate_otp(addr: SocketAddr, state: &Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("hpr"))
        .env_remove("HPR_API_URL")
        .env_remove("HPR_API_KEY")
        .args(["step", "generate_aadhaar_otp", "--payload"])
        .arg(json!({"aadhaar": AADHAAR}).to_string())
        .args(["--api-url", &format!("http://{addr}"), "--api-key", API_KEY])
        .arg("--state")
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_second_run_on_the_same_state_file_exits_6_and_the_first_result_is_kept() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let h = Harness::new();
    // a "registry" that answers only when the test says so: the first run waits on it, holding
    // the state file
    let (listener, addr) = h.silent_registry();
    let state = h.path("s.json");
    let first = spawn_generate_otp(addr, &state);
    let accepted = h
        .runtime
        .block_on(async { tokio::time::timeout(RUN_LIMIT, listener.accept()).await });
    let Ok(Ok((mut connection, _))) = accepted else {
        panic!("the first run never called the registry");
    };

    // the first run is waiting for its answer: a second run on the same file is refused at once
    let second = h.step(&state, "generate_aadhaar_otp", aadhaar_payload(AADHAAR));
    let err = second.error("conflict", 6);
    assert!(message(err).contains("another hpr process"), "{err}");
    assert!(
        h.sandbox().requests().is_empty(),
        "the second run sent nothing"
    );
    assert!(!state.exists(), "the second run wrote nothing");

    // now the registry answers the first run
    let body = r#"{"txnId":"txn-of-the-first-run","mobileNumber":"******3210"}"#;
    h.runtime.block_on(async {
        let mut request = Vec::new();
        let mut chunk = [0u8; 4096];
        while !String::from_utf8_lossy(&request).contains(AADHAAR) {
            let n = connection.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the request ended early");
            request.extend_from_slice(&chunk[..n]);
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        connection.write_all(answer.as_bytes()).await.unwrap();
        connection.shutdown().await.unwrap();
    });
    let out = first.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved: Value = last_version(&state);
    assert_eq!(saved["stage"], "aadhaar_otp_sent");
    assert_eq!(
        saved["txn"]["id"], "txn-of-the-first-run",
        "the file holds the first run's result"
    );
    assert_no_temporaries(&h);
}

// ---------------------------------------------------------------------------------------------
// Unconfirmed steps

/// Runs a verified-branch registration up to the create step; returns a username to create.
fn up_to_create(h: &Harness, state: &Path, aadhaar: &str) -> String {
    start(h, state, aadhaar);
    let linked = h.sandbox().identity(aadhaar).unwrap().mobile;
    h.ok(
        state,
        "demographic_auth_via_mobile",
        Some(json!({"mobileNumber": linked})),
    );
    let out = h.ok(state, "get_hpr_id_suggestion", None);
    out["data"][0].as_str().expect("a suggestion").to_owned()
}

#[test]
fn a_create_whose_answer_is_lost_is_unconfirmed_and_then_reconciled() {
    let h = Harness::new();
    for (aadhaar, resolve_with) in [
        ("234123412346", "check_account_exist"),
        ("498765432102", "create_hpr_id_with_preverified"),
    ] {
        let state = h.path(&format!("{resolve_with}.json"));
        let username = up_to_create(&h, &state, aadhaar);
        // the registry creates the account, then the connection drops before the answer
        h.sandbox()
            .fail_next("/hprId/create", hpr_sandbox::FaultKind::LostAnswer);
        let accounts = h.sandbox().accounts().len();
        let run = h.step(
            &state,
            "create_hpr_id_with_preverified",
            Some(create_payload(&username)),
        );
        let err = run.error("transport", 4);
        assert_eq!(err["unconfirmed"], true, "{err}");
        assert!(message(err).contains("unconfirmed"), "{err}");
        assert_eq!(
            h.sandbox().accounts().len(),
            accounts + 1,
            "the account exists"
        );
        let saved: Value = last_version(&state);
        assert_eq!(saved["unconfirmed"], "create_hpr_id_with_preverified");
        assert_safe_state(&state, aadhaar);

        // either the account check, or create again (which checks first), completes it
        let payload = (resolve_with != "check_account_exist").then(|| create_payload(&username));
        let out = h.ok(&state, resolve_with, payload);
        assert_eq!(next_step(&out), &Value::Null, "{out}");
        assert_eq!(out["data"]["hprId"], format!("{username}@hpr.abdm"));
        assert_eq!(
            h.sandbox().accounts().len(),
            accounts + 1,
            "not created twice"
        );
        let saved: Value = last_version(&state);
        assert_eq!(saved["stage"], "completed");
        assert!(saved.get("unconfirmed").is_none(), "{saved}");
    }
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C

/// `hpr step generate_aadhaar_otp` on `state` against the silent registry at `addr`, once its
/// connection is accepted (the request is then on its way); the connection is held open.
fn generate_otp_connected(
    h: &Harness,
    listener: &tokio::net::TcpListener,
    addr: std::net::SocketAddr,
    state: &Path,
) -> (std::process::Child, tokio::net::TcpStream) {
    let mut child = spawn_generate_otp(addr, state);
    let accepted = h
        .runtime
        .block_on(async { tokio::time::timeout(RUN_LIMIT, listener.accept()).await });
    let Ok(Ok((held_open, _))) = accepted else {
        let _ = child.kill();
        panic!("hpr never connected");
    };
    (child, held_open)
}

#[test]
fn ctrl_c_while_waiting_exits_130_and_keeps_the_state_file() {
    let h = Harness::new();
    // a "registry" that accepts the connection and never answers
    let (listener, addr) = h.silent_registry();

    // an existing session, to check it is left byte for byte
    let state = h.path("s.json");
    let session = serde_json::to_vec_pretty(&abdm_hpr::flow::RegistrationSession::new()).unwrap();
    std::fs::write(&state, &session).unwrap();

    // once the request is on its way, the Ctrl-C handler is in place
    let (mut child, _held_open) = generate_otp_connected(&h, &listener, addr, &state);
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("hpr did not stop after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(130));
    let doc = single_document(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(doc["error"]["kind"], "interrupted");
    assert_eq!(std::fs::read(&state).unwrap(), session);
    assert_no_temporaries(&h);
}

#[test]
fn sigkill_while_waiting_keeps_the_state_file_and_frees_its_lock() {
    let h = Harness::new();
    let (listener, addr) = h.silent_registry();
    // a session saved by two steps: two lines, the last one current
    let state = h.path("s.json");
    let mut lines = Vec::new();
    for revision in 1..=2 {
        let mut doc = serde_json::to_value(abdm_hpr::flow::RegistrationSession::new()).unwrap();
        doc["revision"] = revision.into();
        lines.push(doc.to_string());
    }
    let session = lines.join("\n") + "\n";
    std::fs::write(&state, &session).unwrap();

    let (mut child, _held_open) = generate_otp_connected(&h, &listener, addr, &state);
    child.kill().unwrap(); // SIGKILL: no handler runs
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), session);
    assert_eq!(last_version(&state)["revision"], 2);
    assert_no_temporaries(&h);
    // the OS released the dead process's lock: the next run reads the file and goes on
    let run = h.step(&state, "verify_aadhaar_otp", otp_payload(OTP));
    let err = run.error("flow", 5);
    assert!(err["allowed_steps"].is_array(), "{err}");
}

// ---------------------------------------------------------------------------------------------
// (f) completions

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete"),
        ("zsh", "#compdef"),
        ("fish", "complete -c hpr"),
    ] {
        let out = hpr().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("sandbox") && script.contains("state"),
            "{shell}"
        );
    }
    let out = hpr().args(["completions", "powershell"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    for shell in ["bash", "zsh", "fish"] {
        assert!(stderr.contains(shell), "{stderr}");
    }
}

// ---------------------------------------------------------------------------------------------
// (g) start-up

/// `hpr` is linked at a fixed address (see `build.rs`): its ELF type is an executable, not a
/// position-independent one (whose thousands of relocations the loader applies at every start),
/// unless the build asked for one with `HPR_BUILD_PIE=1`.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_is_linked_at_a_fixed_address() {
    use std::io::Read as _;
    if std::env::var_os("HPR_BUILD_PIE").is_some_and(|v| v == "1") {
        return;
    }
    let mut header = [0_u8; 18];
    std::fs::File::open(assert_cmd::cargo::cargo_bin("hpr"))
        .unwrap()
        .read_exact(&mut header)
        .unwrap();
    assert_eq!(&header[..4], b"\x7fELF");
    // e_type at offset 16, in the byte order EI_DATA (offset 5) names: 2 = EXEC, 3 = DYN (PIE)
    let e_type = match header[5] {
        1 => u16::from_le_bytes([header[16], header[17]]),
        _ => u16::from_be_bytes([header[16], header[17]]),
    };
    assert_eq!(
        e_type, 2,
        "hpr should be an ELF executable at a fixed address"
    );
}

/// The link order `build.rs` gives rust-lld in release builds (`link-order.txt`, written by
/// `scripts/link-order`) is a list lld reads: one symbol name a line, sorted and without
/// repeats (so a refreshed list diffs cleanly), each a symbol as the compiler spells it (`_R…`,
/// `_ZN…` with `$` escapes, or a C name), and it names the step's own code.
#[test]
fn the_link_order_is_a_list_of_the_steps_symbols() {
    let list =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/link-order.txt")).unwrap();
    let names: Vec<&str> = list.lines().collect();
    assert!(names.len() > 100, "{} names", names.len());
    assert!(list.ends_with('\n'));
    for pair in names.windows(2) {
        assert!(pair[0] < pair[1], "not sorted or repeated: {pair:?}");
    }
    for name in &names {
        let symbol = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.$".contains(c));
        assert!(!name.is_empty() && symbol, "not a symbol name: {name:?}");
    }
    // both manglings spell a path's identifiers with their lengths: 3hpr8commands4step3run
    let step_run = names.iter().any(|n| n.contains("3hpr8commands4step3run"));
    assert!(step_run, "the list does not name hpr::commands::step::run");
}
