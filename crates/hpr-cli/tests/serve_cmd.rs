#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end tests of `hpr serve` and `hpr serve keys`, running the real binary: the key
//! commands' output and exit codes, the listening line, a whole registration over HTTP,
//! revoked keys, JSON logs free of secrets, SIGTERM while idle and with a step in flight, and
//! the flags refused before anything is served.
//!
//! Every wait is bounded ([`WAIT`]), every child is killed when its guard drops, only loopback
//! addresses are used, and no `HPR_*` variable of the parent leaks into a child.

#[path = "support/running.rs"]
mod running;

use std::io::Read as _;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use running::{Running, WAIT, client, get, hpr, post, register_over_http};
use serde_json::{Value, json};
/// A valid synthetic Aadhaar number (CONTRACT §5.1 example).
const AADHAAR: &str = "234123412346";
const OTP: &str = "123456";
const PASSWORD: &str = "Ayushman@143";

/// `sqlite:DIR/hpr.db`.
fn database(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("hpr.db").display())
}

/// Runs `hpr args…` to completion.
fn run(args: &[&str]) -> Output {
    hpr().args(args).output().expect("hpr runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `hpr serve keys create --name NAME --database URL`: the key.
fn create_key(db: &str, name: &str) -> String {
    let out = run(&["serve", "keys", "create", "--name", name, "--database", db]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

#[test]
fn keys_create_prints_only_the_key_list_hides_it_and_bad_names_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let out = run(&[
        "serve",
        "keys",
        "create",
        "--name",
        "emr",
        "--database",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout:?}");
    let key = lines[0];
    assert!(key.starts_with("hpr_") && key.len() == 47, "{key}");
    assert!(!text(&out.stderr).contains(key));

    let out = run(&["serve", "keys", "list", "--database", &db]);
    assert_eq!(out.status.code(), Some(0));
    let listing = text(&out.stdout);
    assert!(
        listing.lines().any(|l| l.starts_with("emr\temr\t")),
        "{listing}"
    );
    assert!(!listing.contains(key), "{listing}");
    assert!(!listing.contains(&key[4..]), "{listing}");

    let out = run(&[
        "serve",
        "keys",
        "create",
        "--name",
        "emr",
        "--database",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(2), "duplicate name");
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("emr"), "{}", text(&out.stderr));

    let out = run(&[
        "serve",
        "keys",
        "create",
        "--name",
        "with space",
        "--database",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("--name"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&["serve", "keys", "revoke", "nobody", "--database", &db]);
    assert_eq!(out.status.code(), Some(2), "no such key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_gets_401_and_a_live_one_registers_then_sigterm_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let revoked = create_key(&db, "old");
    let key = create_key(&db, "emr");
    let out = run(&["serve", "keys", "revoke", "old", "--database", &db]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["serve", "keys", "list", "--database", &db]);
    let old = text(&out.stdout)
        .lines()
        .find(|l| l.starts_with("old\t"))
        .unwrap()
        .to_owned();
    assert!(!old.ends_with("\t-"), "revoked shows a time: {old}");

    let server = Running::serve(&["--database", &db, "--sandbox-fixed-otp", OTP], &[]);
    assert!(
        server
            .first_line
            .starts_with("hpr serve: listening on http://127.0.0.1:"),
        "{}",
        server.first_line
    );
    let http = client();
    let list = format!("{}/v1/registrations", server.base);
    let response = http.get(&list).bearer_auth(&revoked).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let (status, _) = get(&http, &list, &key).await;
    assert_eq!(status, 200);
    let (status, ready) = get(&http, &format!("{}/readyz", server.base), &key).await;
    assert_eq!((status, &ready["database"]), (200, &json!("ok")));

    let view = register_over_http(&http, &server.base, &key, AADHAAR, "9988776655", OTP).await;
    assert_eq!(view["result"]["existing"], false, "{view}");
    assert!(
        view["result"]["hprId"]
            .as_str()
            .unwrap()
            .ends_with("@hpr.abdm")
    );

    // idle now: SIGTERM stops it cleanly
    let (status, stderr) = server.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_json_objects_and_carry_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let key = create_key(&db, "emr");
    // an OTP unlikely to appear by chance in a number
    let otp = "864209";
    let server = Running::serve(
        &[
            "--database",
            &db,
            "--sandbox-fixed-otp",
            otp,
            "--log-format",
            "json",
        ],
        &[],
    );
    let http = client();
    register_over_http(&http, &server.base, &key, AADHAAR, "9988776655", otp).await;
    // a refused request is logged too
    let response = http
        .get(format!("{}/v1/registrations", server.base))
        .bearer_auth("hpr_not-a-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (status, stderr) = server.terminate();
    assert_eq!(status.code(), Some(0), "{stderr}");

    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    let mut answered = 0;
    for line in &lines {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line:?}\n{stderr}"));
        assert!(value.is_object(), "{line}");
        if value["message"] == "answered" || value["fields"]["message"] == "answered" {
            answered += 1;
        }
    }
    assert!(answered >= 8, "one line per request:\n{stderr}");
    for secret in [
        AADHAAR,
        otp,
        PASSWORD,
        key.as_str(),
        &key[4..],
        "hpr_not-a-key",
    ] {
        assert!(!stderr.contains(secret), "{secret:?} in the log:\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_step_in_flight_lets_it_answer_then_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let key = create_key(&db, "emr");
    let mut sandbox = hpr();
    sandbox.args([
        "sandbox",
        "--addr",
        "127.0.0.1:0",
        "--latency-ms",
        "1500",
        "--fixed-otp",
        OTP,
        "--quiet-sms",
    ]);
    let sandbox = Running::spawn(sandbox, "hpr sandbox: listening on ");
    let server = Running::serve(
        &["--database", &db, "--backend", "gateway"],
        &[
            ("HPR_API_URL", sandbox.base.as_str()),
            ("HPR_API_KEY", "dev"),
        ],
    );
    let http = client();
    let (status, started) = post(
        &http,
        &format!("{}/v1/registrations", server.base),
        &key,
        &json!({"aadhaar": AADHAAR}),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    let step = {
        let (http, key) = (http.clone(), key.clone());
        let url = format!(
            "{}/v1/registrations/{id}/steps/verify_aadhaar_otp",
            server.base
        );
        tokio::spawn(async move { post(&http, &url, &key, &json!({"otp": OTP})).await })
    };
    // the step takes 1.5 s at the registry; signal while it is there (an ordering, not an
    // assertion on time: the sandbox's latency is far longer than this pause)
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!step.is_finished(), "the step must still be in flight");
    server.sigterm();
    let (status, body) = tokio::time::timeout(WAIT, step).await.unwrap().unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stage"], "aadhaar_verified");
    let mut server = server;
    let exit = server.wait_exit();
    let stderr = server.finish_stderr();
    assert_eq!(exit.code(), Some(0), "{stderr}");
    let (status, _) = sandbox.terminate();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn bad_flags_are_refused_with_exit_2_before_anything_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--database", "mysql://x"], "--database"),
        (vec!["--database", &db, "--addr", &busy_addr], "--addr"),
        (
            vec!["--database", &db, "--backend", "gateway"],
            "HPR_API_URL",
        ),
        (
            vec!["--database", &db, "--sandbox-fixed-otp", "12"],
            "--sandbox-fixed-otp",
        ),
        (
            vec!["--database", &db, "--cors-origin", "ftp://x"],
            "--cors-origin",
        ),
    ];
    for (args, named) in cases {
        let mut command = hpr();
        command.arg("serve");
        if !args.contains(&"--addr") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        let mut child = command
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let stdout = thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        // bounded: a server that started by mistake is killed (guard) after WAIT
        let mut guard = Running {
            child: Some(child),
            lines: mpsc::channel().1,
            stderr: None,
            base: String::new(),
            first_line: String::new(),
        };
        let status = guard.wait_exit();
        let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
        assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(named),
            "{args:?} should name {named}: {stderr}"
        );
        assert!(!stdout.contains("listening"), "{args:?}: {stdout}");
    }
    drop(busy);
}
