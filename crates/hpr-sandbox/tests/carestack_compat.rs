//! Compatibility with the real, published Python client: `carestack==0.1.22.26`.
//!
//! This test is also the installer of that client: it keeps a virtualenv at
//! `<CARGO_TARGET_TMPDIR>/carestack-venv` (created with `python3 -m venv` on first use, then reused
//! while `carestack` imports at the pinned version), starts the sandbox in-process, and runs
//! `tests/compat/drive_carestack.py` — a whole registration through the client's `CreateHPR`
//! orchestrator — three times:
//!
//! 1. `verified`: the Aadhaar-linked mobile passes demographic auth (no mobile OTP);
//! 2. `otp`: another mobile, so the mobile-OTP steps run;
//! 3. `exists`: the Aadhaar of run 1 again, which must end at "account exists" with run 1's IDs.
//!
//! Needs `python3` (with the `venv` module) and access to PyPI on the first run (~20 s).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/python_venv.rs"]
mod python_venv;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hpr_sandbox::{RunningSandbox, Sandbox, SandboxConfig, SmsOutput};
use serde_json::Value;

const CARESTACK_VERSION: &str = "0.1.22.26";
const DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/compat/drive_carestack.py"
);
const API_KEY: &str = "compat-test-key";
const OTP: &str = "123456";
/// The driver's default password; it must never show up in its output.
const PASSWORD: &str = "Ayushman@143";
/// Aadhaar numbers with a valid Verhoeff check digit.
const AADHAAR_VERIFIED: &str = "234123412346";
const AADHAAR_OTP: &str = "498765432102";

/// Bound on one driver run (each of its steps has `DRIVE_TIMEOUT=20`).
const DRIVER_LIMIT: Duration = Duration::from_secs(120);
const CONTRACT_START: [&str; 3] = [
    "/aadhaar/generateOtp",
    "/aadhaar/verifyOtp",
    "/check/account-exist",
];

#[test]
fn carestack_client_registers_against_the_sandbox() {
    let setup = Instant::now();
    let python = ensure_carestack();
    eprintln!(
        "carestack compat: client {CARESTACK_VERSION} ready in {:.1} s ({})",
        setup.elapsed().as_secs_f64(),
        python.display()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let sandbox: RunningSandbox = rt.block_on(async {
        Sandbox::new(SandboxConfig {
            seed: Some(20_240_601),
            fixed_otp: Some(OTP.into()),
            sms: SmsOutput::Silent,
            api_keys: vec![API_KEY.into()],
            ..Default::default()
        })
        .expect("sandbox config")
        .start("127.0.0.1:0".parse().expect("address"))
        .await
        .expect("sandbox start")
    });
    let url = sandbox.base_url();

    // 1. verified: the linked mobile passes demographic auth
    let linked = sandbox
        .identity(AADHAAR_VERIFIED)
        .expect("valid Aadhaar")
        .mobile;
    let first_id = unique_hpr_id("verified");
    let first = drive(
        &python,
        &sandbox,
        &url,
        "verified",
        AADHAAR_VERIFIED,
        &linked,
        &first_id,
    );
    first.expect_paths(&[
        "/aadhaar/generateOtp",
        "/aadhaar/verifyOtp",
        "/check/account-exist",
        "/demographic-auth/mobile",
        "/hpId/suggestion",
        "/hprId/create",
    ]);
    first.expect_steps(&[
        "generate_aadhaar_otp",
        "verify_aadhaar_otp",
        "check_account_exist",
        "demographic_auth_via_mobile",
        "get_hpr_id_suggestion",
        "create_hpr_id_with_preverified",
    ]);
    let (first_number, first_hpr_id) = first.result("created");
    first.check(
        first_hpr_id == format!("{first_id}@hpr.abdm"),
        "hprId is the chosen username @hpr.abdm",
    );

    // 2. otp: a mobile other than the linked one needs the mobile OTP
    let linked_otp = sandbox.identity(AADHAAR_OTP).expect("valid Aadhaar").mobile;
    let other_mobile = ["9988776655", "9876501234"]
        .into_iter()
        .find(|m| *m != linked_otp)
        .expect("a different mobile");
    let second_id = unique_hpr_id("otp");
    let second = drive(
        &python,
        &sandbox,
        &url,
        "otp",
        AADHAAR_OTP,
        other_mobile,
        &second_id,
    );
    second.expect_paths(&[
        "/aadhaar/generateOtp",
        "/aadhaar/verifyOtp",
        "/check/account-exist",
        "/demographic-auth/mobile",
        "/generate/mobileOtp",
        "/verify/mobileOtp",
        "/hpId/suggestion",
        "/hprId/create",
    ]);
    second.expect_steps(&[
        "generate_aadhaar_otp",
        "verify_aadhaar_otp",
        "check_account_exist",
        "demographic_auth_via_mobile",
        "generate_mobile_otp",
        "verify_mobile_otp",
        "get_hpr_id_suggestion",
        "create_hpr_id_with_preverified",
    ]);
    let (second_number, second_hpr_id) = second.result("created");
    second.check(
        second_hpr_id == format!("{second_id}@hpr.abdm"),
        "hprId is the chosen username @hpr.abdm",
    );
    second.check(
        second_number != first_number,
        "a new hprIdNumber per account",
    );

    // 3. exists: run 1's Aadhaar again ends at "account exists" with run 1's IDs
    let third = drive(
        &python,
        &sandbox,
        &url,
        "exists",
        AADHAAR_VERIFIED,
        &linked,
        &unique_hpr_id("exists"),
    );
    third.expect_paths(&CONTRACT_START);
    third.expect_steps(&[
        "generate_aadhaar_otp",
        "verify_aadhaar_otp",
        "check_account_exist",
    ]);
    let (third_number, third_hpr_id) = third.result("exists");
    third.check(
        third_number == first_number && third_hpr_id == first_hpr_id,
        "the existing account is run 1's (same hprIdNumber and hprId)",
    );

    let accounts = sandbox.accounts();
    assert_eq!(
        accounts.len(),
        2,
        "the sandbox holds exactly the two created accounts"
    );
    rt.block_on(sandbox.shutdown());
}

// ------------------------------------------------------------------------------------------------
// one driver run

struct Run {
    branch: &'static str,
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// The contract requests the sandbox logged during this run: (path, status).
    requests: Vec<(String, u16)>,
}

fn drive(
    python: &Path,
    sandbox: &RunningSandbox,
    url: &str,
    branch: &'static str,
    aadhaar: &str,
    mobile: &str,
    hpr_id: &str,
) -> Run {
    let before = sandbox.requests().len();
    let mut cmd = Command::new(python);
    cmd.arg(DRIVER)
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .env("SANDBOX_URL", url)
        .env("SANDBOX_KEY", API_KEY)
        .env("AADHAAR", aadhaar)
        .env("MOBILE", mobile)
        .env("OTP", OTP)
        .env("HPR_ID", hpr_id)
        .env("BRANCH", branch)
        .env("DRIVE_TIMEOUT", "20")
        .env("FACILITY_ID", "compat-facility")
        .env_remove("MOBILE_OTP")
        .env_remove("PASSWORD")
        .env_remove("X_HPR_ID")
        .env_remove("API_URL");
    python_venv::python_env(&mut cmd);
    let out = python_venv::run_bounded(cmd, DRIVER_LIMIT)
        .unwrap_or_else(|e| panic!("cannot run {} {DRIVER}: {e}", python.display()));
    let requests = sandbox.requests()[before..]
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    let run = Run {
        branch,
        status: out.status,
        stdout: out.stdout,
        stderr: out.stderr,
        elapsed: out.elapsed,
        requests,
    };
    run.check(
        run.status.is_some(),
        &format!("driver finished within {DRIVER_LIMIT:?} (it was killed)"),
    );
    run.check(
        run.status.is_some_and(|s| s.success()),
        "driver exited with status 0",
    );
    for secret in [OTP, PASSWORD, API_KEY] {
        run.check(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "driver output holds no OTP, password or API key",
        );
    }
    eprintln!(
        "carestack compat: {branch:<8} ok in {:.2} s ({} requests)",
        run.elapsed.as_secs_f64(),
        run.requests.len()
    );
    run
}

impl Run {
    fn check(&self, ok: bool, what: &str) {
        if !ok {
            panic!(
                "carestack compat, branch `{}`: expected {what}\n\
                 exit status: {:?}; ran {:.2} s\n\
                 sandbox saw: {:?}\n\
                 --- driver stdout ---\n{}\n--- driver stderr ---\n{}",
                self.branch,
                self.status,
                self.elapsed.as_secs_f64(),
                self.requests,
                self.stdout.trim_end(),
                self.stderr.trim_end(),
            );
        }
    }

    fn expect_paths(&self, paths: &[&str]) {
        let seen: Vec<&str> = self.requests.iter().map(|(p, _)| p.as_str()).collect();
        self.check(seen == paths, &format!("contract paths {paths:?}"));
        self.check(
            self.requests.iter().all(|(_, status)| *status == 200),
            "every contract request answered 200",
        );
    }

    /// Every stdout line is JSON; the step lines name exactly `steps`, in order.
    fn expect_steps(&self, steps: &[&str]) {
        let lines: Vec<Value> = self
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect();
        self.check(
            lines.iter().all(Value::is_object),
            "only JSON object lines on stdout",
        );
        let seen: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.get("step").and_then(Value::as_str))
            .collect();
        self.check(seen == steps, &format!("steps {steps:?}"));
    }

    /// The final `{"result", "hprIdNumber", "hprId"}` line: checks `result` and the ID formats.
    fn result(&self, expected: &str) -> (String, String) {
        let last = self
            .stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        let value: Value = serde_json::from_str(last).unwrap_or(Value::Null);
        let field = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        self.check(
            field("result") == expected,
            &format!("a final line {{\"result\": \"{expected}\", ...}}"),
        );
        let (number, hpr_id) = (field("hprIdNumber"), field("hprId"));
        self.check(
            is_hpr_id_number(&number),
            "hprIdNumber shaped NN-NNNN-NNNN-NNNN",
        );
        self.check(
            hpr_id.len() > "@hpr.abdm".len() && hpr_id.ends_with("@hpr.abdm"),
            "hprId ending in @hpr.abdm",
        );
        (number, hpr_id)
    }
}

fn is_hpr_id_number(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([2, 4, 4, 4])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
}

/// A username no earlier run used: `cs_<branch>_<pid>_<micros>` (lowercase, 4–50 characters).
fn unique_hpr_id(branch: &str) -> String {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() % 1_000_000_000_000)
        .unwrap_or_default();
    format!("cs_{branch}_{}_{micros}", std::process::id())
}

// ------------------------------------------------------------------------------------------------
// the virtualenv (shared with hpr-server's OpenAPI test: tests/support/python_venv.rs)

/// The venv's python, with `carestack==CARESTACK_VERSION` importable; installs what is missing.
fn ensure_carestack() -> PathBuf {
    let venv = python_venv::venv_dir(env!("CARGO_TARGET_TMPDIR"), "carestack-venv");
    let wanted = format!("carestack=={CARESTACK_VERSION}");
    python_venv::ensure(&venv, &[&wanted], |python| {
        installed_version(python).as_deref() == Some(CARESTACK_VERSION)
    })
}

/// The carestack version importable in the venv, if `CreateHPR` imports.
fn installed_version(python: &Path) -> Option<String> {
    let out = python_venv::probe(
        python,
        "import importlib.metadata as m\n\
         from carestack.practitioner.hpr.create_hpr import CreateHPR\n\
         print(m.version('carestack'))",
    )?;
    out.lines().last().map(|l| l.trim().to_owned())
}
