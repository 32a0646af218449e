//! Running the real `hpr` binary in tests: a clean environment, a child process whose first
//! stdout line says where it listens (killed when its guard drops), and small JSON-over-HTTP
//! helpers. Shared by the `hpr serve` and `--backend abdm` tests.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// `hpr` with none of the parent's `HPR_*` variables (nor `RUST_LOG`).
pub fn hpr() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hpr"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("HPR_") {
            command.env_remove(&name);
        }
    }
    command.env_remove("RUST_LOG");
    command.stdin(Stdio::null());
    command
}

/// Spawns `command` with stdout and stderr piped: its stdout lines arrive on the channel as they
/// are printed, its whole stderr is the thread's result once it exits.
pub fn spawn_piped(command: &mut Command) -> (Child, Receiver<String>, thread::JoinHandle<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hpr starts");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    (child, lines, stderr)
}

/// A running `hpr` server process: stdout lines on a channel, stderr collected; killed on drop.
pub struct Running {
    pub child: Option<Child>,
    pub lines: Receiver<String>,
    pub stderr: Option<thread::JoinHandle<String>>,
    /// The base URL from the listening line.
    pub base: String,
    pub first_line: String,
}

impl Running {
    /// Spawns `command` and waits for its first stdout line, which must start with `prefix`
    /// followed by `http://ADDR`.
    pub fn spawn(mut command: Command, prefix: &str) -> Self {
        let (child, lines, stderr) = spawn_piped(&mut command);
        let mut running = Self {
            child: Some(child),
            lines,
            stderr: Some(stderr),
            base: String::new(),
            first_line: String::new(),
        };
        let Ok(first) = running.lines.recv_timeout(WAIT) else {
            let stderr = running.finish_stderr();
            panic!("no first stdout line; stderr:\n{stderr}");
        };
        let rest = first.strip_prefix(prefix).unwrap_or_else(|| {
            panic!("first stdout line {first:?} does not start with {prefix:?}")
        });
        running.base = rest.split_whitespace().next().unwrap().to_owned();
        assert!(running.base.starts_with("http://127.0.0.1:"), "{first}");
        running.first_line = first;
        running
    }

    /// `hpr serve --addr 127.0.0.1:0 args…`.
    pub fn serve(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = hpr();
        command
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied());
        Self::spawn(command, "hpr serve: listening on ")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits (bounded) for the exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let child = self.child.as_mut().unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "hpr did not exit within {WAIT:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status and all of stderr.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        self.sigterm();
        let status = self.wait_exit();
        (status, self.finish_stderr())
    }

    pub fn finish_stderr(&mut self) -> String {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
            self.child = None;
        }
        self.stderr.take().unwrap().join().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn post(http: &reqwest::Client, url: &str, key: &str, body: &Value) -> (u16, Value) {
    let response = http
        .post(url)
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn get(http: &reqwest::Client, url: &str, key: &str) -> (u16, Value) {
    let response = http.get(url).bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A whole registration of `aadhaar` (giving `mobile`) through the service at `base`, each step
/// chosen by the previous answer's `next_step`; returns the final view. Asserts that every
/// step answers without the professional's tokens.
pub async fn register_over_http(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    aadhaar: &str,
    mobile: &str,
    otp: &str,
) -> Value {
    let (status, mut answer) = post(
        http,
        &format!("{base}/v1/registrations"),
        key,
        &json!({"aadhaar": aadhaar}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["id"].as_str().unwrap().to_owned();
    for _ in 0..10 {
        let Some(step) = answer["outcome"]["next_step"].as_str().map(str::to_owned) else {
            break;
        };
        let payload = match step.as_str() {
            "verify_aadhaar_otp" | "verify_mobile_otp" => json!({"otp": otp}),
            "demographic_auth_via_mobile" => json!({"mobileNumber": mobile}),
            "create_hpr_id_with_preverified" => json!({
                "hprId": answer["outcome"]["data"][0].as_str().unwrap(),
                "password": "Ayushman@143",
                "email": "asha@example.com",
                "hpCategoryCode": "1",
                "hpSubCategoryCode": "1",
            }),
            _ => Value::Null,
        };
        let (status, next) = post(
            http,
            &format!("{base}/v1/registrations/{id}/steps/{step}"),
            key,
            &payload,
        )
        .await;
        assert_eq!(status, 200, "{step}: {next}");
        let data = &next["outcome"]["data"];
        assert!(
            data.get("token").is_none() && data.get("refreshToken").is_none(),
            "the service keeps no professional tokens: {data}"
        );
        answer = next;
    }
    assert_eq!(answer["stage"], "completed", "{answer}");
    let (status, view) = get(http, &format!("{base}/v1/registrations/{id}"), key).await;
    assert_eq!(status, 200);
    view
}
