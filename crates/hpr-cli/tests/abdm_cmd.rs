#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `--backend abdm` end to end with the real binaries: `hpr step` through both demographic
//! branches against `hpr sandbox`'s ABDM dialect (configured by pasting its `abdm` line as
//! environment), `hpr serve --backend abdm` with one session for a whole registration, and the
//! configuration, credential and encryption failures with their exit codes.
//!
//! Every wait is bounded, every child is killed when its guard drops, only loopback is used, and
//! no `HPR_*` variable of the parent leaks into a child.

#[path = "support/running.rs"]
mod running;

use std::path::Path;
use std::process::Command;

use running::{Running, WAIT, client, hpr, register_over_http};
use serde_json::{Value, json};

const OTP: &str = "123456";
/// Takes the verified branch (its linked mobile is given).
const AADHAAR: &str = "234123412346";
/// Takes the mobile-OTP branch (another mobile is given).
const AADHAAR_2: &str = "498765432102";
const AADHAAR_3: &str = "987654321012";
const PASSWORD: &str = "Ayushman@143";

/// `hpr sandbox` on a free loopback port, and the settings its `abdm` line announces.
struct AbdmSandbox {
    process: Running,
    /// `(NAME, value)` pairs of the `hpr sandbox: abdm …` line.
    env: Vec<(String, String)>,
}

impl AbdmSandbox {
    fn start(extra: &[&str]) -> Self {
        let mut command = hpr();
        command
            .args([
                "sandbox",
                "--addr",
                "127.0.0.1:0",
                "--seed",
                "7",
                "--fixed-otp",
                OTP,
                "--resend-interval-secs",
                "0",
                "--quiet-sms",
            ])
            .args(extra);
        let process = Running::spawn(command, "hpr sandbox: listening on ");
        let line = process.lines.recv_timeout(WAIT).expect("the abdm line");
        let rest = line
            .strip_prefix("hpr sandbox: abdm ")
            .unwrap_or_else(|| panic!("second stdout line is not the abdm line: {line:?}"));
        let env: Vec<(String, String)> = rest
            .split_whitespace()
            .map(|pair| {
                let (name, value) = pair.split_once('=').expect("NAME=value");
                (name.to_owned(), value.to_owned())
            })
            .collect();
        let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "HPR_ABDM_HPR_URL",
                "HPR_ABDM_GATEWAY_URL",
                "HPR_ABDM_CLIENT_ID",
                "HPR_ABDM_CLIENT_SECRET"
            ],
            "{line}"
        );
        Self { process, env }
    }

    fn setting(&self, name: &str) -> &str {
        &self.env.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// `GET <sandbox><path>` as JSON (the admin API).
    fn admin(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.process.base);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let response = client().get(url).send().await.unwrap();
                assert_eq!(response.status(), 200, "{path}");
                response.json().await.unwrap()
            })
    }

    fn sessions_issued(&self) -> u64 {
        self.admin("/_sandbox/abdm/stats")["sessions_issued"]
            .as_u64()
            .expect("sessions_issued")
    }

    fn linked_mobile(&self, aadhaar: &str) -> String {
        self.admin(&format!("/_sandbox/identities/{aadhaar}"))["mobile"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The paths of the requests the sandbox received, in order.
    fn request_paths(&self) -> Vec<String> {
        let log = self.admin("/_sandbox/requests");
        let items = log
            .as_array()
            .or_else(|| log["requests"].as_array())
            .expect("a request list");
        items
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// One finished `hpr step`.
struct StepRun {
    code: i32,
    doc: Value,
    stderr: String,
}

/// `hpr step STEP --state STATE --backend abdm [--payload JSON]` with `env`.
fn step(env: &[(String, String)], state: &Path, name: &str, payload: Option<Value>) -> StepRun {
    let mut command: Command = hpr();
    command
        .args(["step", name, "--backend", "abdm", "--state"])
        .arg(state)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Some(payload) = payload {
        command.args(["--payload", &payload.to_string()]);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    StepRun {
        code: out.status.code().expect("exited"),
        doc: serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {stdout}")),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn ok(env: &[(String, String)], state: &Path, name: &str, payload: Option<Value>) -> Value {
    let run = step(env, state, name, payload);
    assert_eq!(run.code, 0, "{name}: {}\n{}", run.doc, run.stderr);
    run.doc
}

/// A registration through `hpr step --backend abdm`, following `next_step`; returns the create
/// outcome and how many `hpr step` processes ran.
fn register(env: &[(String, String)], state: &Path, aadhaar: &str, mobile: &str) -> (Value, u64) {
    let mut out = ok(
        env,
        state,
        "generate_aadhaar_otp",
        Some(json!({"aadhaar": aadhaar})),
    );
    let mut runs = 1;
    while let Some(next) = out["next_step"].as_str().map(str::to_owned) {
        let payload = match next.as_str() {
            "verify_aadhaar_otp" | "verify_mobile_otp" => Some(json!({"otp": OTP})),
            "demographic_auth_via_mobile" => Some(json!({"mobileNumber": mobile})),
            "create_hpr_id_with_preverified" => Some(json!({
                "hprId": out["data"][0].as_str().unwrap(),
                "password": PASSWORD,
                "email": "asha@example.com",
                "hpCategoryCode": "1",
                "hpSubCategoryCode": "1",
            })),
            _ => None,
        };
        out = ok(env, state, &next, payload);
        runs += 1;
        assert!(runs <= 8, "more than 8 steps");
    }
    (out, runs)
}

#[test]
fn both_demographic_branches_register_through_hpr_step_backend_abdm() {
    let sandbox = AbdmSandbox::start(&[]);
    let dir = tempfile::tempdir().unwrap();

    let linked = sandbox.linked_mobile(AADHAAR);
    let (created, runs) = register(&sandbox.env, &dir.path().join("a.json"), AADHAAR, &linked);
    assert_eq!(runs, 6, "verified branch: no mobile OTP");
    assert!(
        created["data"]["hprId"]
            .as_str()
            .unwrap()
            .ends_with("@hpr.abdm")
    );
    let mut total_runs = runs;

    let other = ["9988776655", "9876501234"]
        .into_iter()
        .find(|m| *m != sandbox.linked_mobile(AADHAAR_2))
        .unwrap();
    let (created, runs) = register(&sandbox.env, &dir.path().join("b.json"), AADHAAR_2, other);
    assert_eq!(runs, 8, "mobile-OTP branch");
    assert!(created["data"]["hprIdNumber"].as_str().unwrap().len() == 17);
    total_runs += runs;

    // every call went to B's paths; each `hpr step` process opened its own session
    let paths = sandbox.request_paths();
    let hpr_prefix = "/abdm/hpr/api/v1/registration/aadhaar/";
    for step in [
        "generateOtp",
        "verifyOTP",
        "demographicAuthViaMobile",
        "generateMobileOTP",
        "verifyMobileOTP",
        "hpid/suggestion",
        "createHprIdWithPreVerified",
    ] {
        let wanted = format!("{hpr_prefix}{step}");
        assert!(paths.contains(&wanted), "{wanted} not in {paths:?}");
    }
    assert!(
        paths.contains(&"/abdm/hpr/api/v2/registration/aadhaar/checkHpIdAccountExist".to_owned())
    );
    assert!(
        paths.iter().all(|p| p.starts_with("/abdm/")),
        "a gateway (Backend A) path was used: {paths:?}"
    );
    assert_eq!(sandbox.sessions_issued(), total_runs);
    // the password is encrypted by default: the key was fetched by each create
    assert_eq!(
        paths
            .iter()
            .filter(|p| p.ends_with("/v1/auth/cert"))
            .count(),
        2
    );
}

#[test]
fn hpr_serve_backend_abdm_opens_one_session_for_a_whole_registration() {
    let sandbox = AbdmSandbox::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("hpr.db").display());
    let out = hpr()
        .args([
            "serve",
            "keys",
            "create",
            "--name",
            "emr",
            "--database",
            &db,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let env: Vec<(&str, &str)> = sandbox
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let server = Running::serve(&["--backend", "abdm", "--database", &db], &env);

    let mobile = sandbox.linked_mobile(AADHAAR_3);
    let view = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(register_over_http(
            &client(),
            &server.base,
            &key,
            AADHAAR_3,
            &mobile,
            OTP,
        ));
    assert_eq!(view["stage"], "completed");
    assert_eq!(sandbox.sessions_issued(), 1, "one session for 6 calls");
    let (status, stderr) = server.terminate();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains(sandbox.setting("HPR_ABDM_CLIENT_SECRET")));
}

#[test]
fn a_missing_secret_is_exit_2_naming_the_variable_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("HPR_ABDM_CLIENT_ID".to_owned(), "SBX_1".to_owned()),
        // a port nothing listens on: nothing may be sent anyway
        (
            "HPR_ABDM_HPR_URL".to_owned(),
            "http://127.0.0.1:9/api".to_owned(),
        ),
    ];
    let run = step(
        &env,
        &dir.path().join("s.json"),
        "generate_aadhaar_otp",
        Some(json!({"aadhaar": AADHAAR})),
    );
    assert_eq!(run.code, 2, "{}", run.doc);
    assert_eq!(run.doc["error"]["kind"], "config");
    let message = run.doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("HPR_ABDM_CLIENT_SECRET"), "{message}");
    assert!(!dir.path().join("s.json").exists());
}

#[test]
fn register_and_serve_refuse_a_missing_secret_with_exit_2_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("hpr.db").display());
    for args in [
        &["register", "--backend", "abdm"][..],
        &[
            "serve",
            "--backend",
            "abdm",
            "--addr",
            "127.0.0.1:0",
            "--database",
            &db,
        ][..],
    ] {
        let out = hpr()
            .args(args)
            .env("HPR_ABDM_CLIENT_ID", "SBX_1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("HPR_ABDM_CLIENT_SECRET"),
            "{args:?}: {stderr}"
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    }
}

#[test]
fn a_wrong_secret_is_gateway_auth_exit_3_without_echoing_it() {
    let sandbox = AbdmSandbox::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut env = sandbox.env.clone();
    let wrong = "not-the-SECRET-4471";
    env.retain(|(k, _)| k != "HPR_ABDM_CLIENT_SECRET");
    env.push(("HPR_ABDM_CLIENT_SECRET".into(), wrong.into()));
    let run = step(
        &env,
        &dir.path().join("s.json"),
        "generate_aadhaar_otp",
        Some(json!({"aadhaar": AADHAAR})),
    );
    assert_eq!(run.code, 3, "{}", run.doc);
    assert_eq!(run.doc["error"]["kind"], "gateway_auth");
    assert!(!run.doc.to_string().contains(wrong) && !run.stderr.contains(wrong));
    assert_eq!(sandbox.sessions_issued(), 0);
}

#[test]
fn a_password_sent_in_clear_is_refused_with_the_setting_to_change_then_succeeds() {
    let sandbox = AbdmSandbox::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let linked = sandbox.linked_mobile(AADHAAR);
    let mut clear = sandbox.env.clone();
    clear.push(("HPR_ABDM_ENCRYPT".into(), "password=none".into()));
    // up to create, with the password in clear
    let mut out = ok(
        &clear,
        &state,
        "generate_aadhaar_otp",
        Some(json!({"aadhaar": AADHAAR})),
    );
    for (name, payload) in [
        ("verify_aadhaar_otp", Some(json!({"otp": OTP}))),
        ("check_account_exist", None),
        (
            "demographic_auth_via_mobile",
            Some(json!({"mobileNumber": linked})),
        ),
        ("get_hpr_id_suggestion", None),
    ] {
        out = ok(&clear, &state, name, payload);
    }
    let create = json!({
        "hprId": out["data"][0].as_str().unwrap(),
        "password": PASSWORD,
        "email": "asha@example.com",
        "hpCategoryCode": "1",
        "hpSubCategoryCode": "1",
    });
    let before = std::fs::read(&state).unwrap();
    let run = step(
        &clear,
        &state,
        "create_hpr_id_with_preverified",
        Some(create.clone()),
    );
    assert_eq!(run.code, 2, "{}", run.doc);
    assert_eq!(run.doc["error"]["kind"], "config");
    assert_eq!(run.doc["error"]["code"], "HIS-1047");
    let message = run.doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`password`") && message.contains("HPR_ABDM_ENCRYPT=password="),
        "{message}"
    );
    assert!(!run.doc.to_string().contains(PASSWORD));
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "the state file is unchanged"
    );
    // with the default (encrypted) the same step goes through
    let done = ok(
        &sandbox.env,
        &state,
        "create_hpr_id_with_preverified",
        Some(create),
    );
    assert!(done["next_step"].is_null(), "{done}");
}

#[test]
fn a_padding_the_registry_cannot_decrypt_names_the_other_one() {
    let sandbox = AbdmSandbox::start(&["--abdm-encrypt", "mobileNumber=pkcs1v15"]);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.json");
    let mut env = sandbox.env.clone();
    env.push(("HPR_ABDM_ENCRYPT".into(), "mobileNumber=oaep-sha1".into()));
    ok(
        &env,
        &state,
        "generate_aadhaar_otp",
        Some(json!({"aadhaar": AADHAAR})),
    );
    ok(
        &env,
        &state,
        "verify_aadhaar_otp",
        Some(json!({"otp": OTP})),
    );
    ok(&env, &state, "check_account_exist", None);
    let run = step(
        &env,
        &state,
        "demographic_auth_via_mobile",
        Some(json!({"mobileNumber": sandbox.linked_mobile(AADHAAR)})),
    );
    assert_eq!(run.code, 2, "{}", run.doc);
    let message = run.doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("oaep-sha1") && message.contains("mobileNumber=pkcs1v15"),
        "{message}"
    );
    env.retain(|(k, _)| k != "HPR_ABDM_ENCRYPT");
    env.push(("HPR_ABDM_ENCRYPT".into(), "mobileNumber=pkcs1v15".into()));
    let out = ok(
        &env,
        &state,
        "demographic_auth_via_mobile",
        Some(json!({"mobileNumber": sandbox.linked_mobile(AADHAAR)})),
    );
    assert_eq!(out["data"]["verified"], true);
}
