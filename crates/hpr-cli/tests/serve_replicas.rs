//! Several `hpr serve` processes on one Postgres share everything: a registration started on
//! one continues on another, even after the first is SIGKILLed.
//!
//! Each test starts a throwaway Postgres cluster (`hpr-server/tests/pg`), one real
//! `hpr sandbox` (the registry both replicas reach with `--backend gateway`: an embedded
//! sandbox would be private to its process), an API key made with `hpr serve keys create`, and
//! two `hpr serve` replicas. The sandbox's request log (`GET /_sandbox/requests`) then shows
//! which gateway calls each registration made: none lost, none repeated.
//!
//! Without Postgres binaries these tests fail saying how to install them, unless
//! `HPR_SKIP_POSTGRES_TESTS=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../hpr-server/tests/pg/mod.rs"]
mod pg;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const OTP: &str = "123456";
/// Its linked mobile takes the verified branch.
const AADHAAR: &str = "234123412346";
/// Registered with another mobile: the mobile OTP branch.
const AADHAAR_2: &str = "498765432102";
const PASSWORD: &str = "Ayushman@143";
/// The longest a process start or a request may take.
const WAIT: Duration = Duration::from_secs(20);
/// Claims of the replicas run out after this (`--claim-ttl-secs`).
const CLAIM_TTL_SECS: u64 = 3;

/// A child process that printed `… listening on http://ADDR`; SIGKILLed on drop.
struct Listening {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Listening {
    /// Spawns `command` and waits for its `listening on http://ADDR` line on stdout; its
    /// stderr goes to `log`.
    fn spawn(mut command: Command, log: &Path) -> Self {
        let stderr = std::fs::File::create(log).unwrap();
        let mut child = command
            .env_remove("RUST_LOG")
            .env_remove("HPR_DATABASE_URL")
            .env_remove("HPR_BACKEND")
            .env_remove("HPR_SANDBOX_API_KEYS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
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
        let deadline = Instant::now() + WAIT;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on http://").nth(1) {
                        break rest.split_whitespace().next().unwrap().to_owned();
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "no listening line ({e}); stderr:\n{}",
                        std::fs::read_to_string(log).unwrap_or_default()
                    );
                }
            }
        };
        Self {
            child,
            base: format!("http://{addr}"),
            log: log.to_owned(),
        }
    }

    /// SIGKILL, and reap it.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hpr() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hpr"))
}

/// Everything one test needs: Postgres, a sandbox, a key, two replicas.
struct Setup {
    // dropped in this order: replicas, sandbox, then the cluster
    replicas: Vec<Listening>,
    sandbox: Listening,
    key: String,
    http: reqwest::Client,
    _cluster: pg::PgCluster,
    _dir: tempfile::TempDir,
}

impl Setup {
    /// `None` when Postgres is missing and the tests skip.
    fn start(sandbox_latency_ms: u64) -> Option<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cluster = pg::PgCluster::start()?;
        let dir = tempfile::tempdir().unwrap();
        let database = cluster.create_database();

        let mut command = hpr();
        command.args(["sandbox", "--addr", "127.0.0.1:0", "--fixed-otp", OTP]);
        command.args(["--quiet-sms", "--seed", "11"]);
        command.args(["--latency-ms", &sandbox_latency_ms.to_string()]);
        let sandbox = Listening::spawn(command, &dir.path().join("sandbox.log"));

        let out = hpr()
            .args(["serve", "keys", "create", "--name", "t", "--database"])
            .arg(&database)
            .env_remove("HPR_DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "keys create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert!(!key.is_empty() && !key.contains('\n'), "{key:?}");

        let replicas = (1..=2)
            .map(|n| {
                let mut command = hpr();
                command.args(["serve", "--addr", "127.0.0.1:0", "--backend", "gateway"]);
                command.args(["--rate-limit-per-min", "0", "--claim-ttl-secs"]);
                command.arg(CLAIM_TTL_SECS.to_string());
                command.arg("--database").arg(&database);
                command.env("HPR_API_URL", &sandbox.base);
                command.env("HPR_API_KEY", "dev");
                Listening::spawn(command, &dir.path().join(format!("replica{n}.log")))
            })
            .collect();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(WAIT)
            .build()
            .unwrap();
        Some(Self {
            replicas,
            sandbox,
            key,
            http,
            _cluster: cluster,
            _dir: dir,
        })
    }

    fn base(&self, replica: usize) -> &str {
        &self.replicas[replica].base
    }

    /// `POST` to replica `replica`; (status, JSON body).
    async fn post(&self, replica: usize, path: &str, body: &Value) -> (u16, Value) {
        post(&self.http, self.base(replica), &self.key, path, body).await
    }

    /// `GET` from replica `replica`; (status, JSON body).
    async fn get(&self, replica: usize, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base(replica)))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Runs `step` on replica `replica`, expecting 200; the response.
    async fn step(&self, replica: usize, id: &str, step: &str, payload: Value) -> Value {
        let (status, out) = self
            .post(
                replica,
                &format!("/v1/registrations/{id}/steps/{step}"),
                &payload,
            )
            .await;
        assert_eq!(status, 200, "{step} on replica {}: {out}", replica + 1);
        out
    }

    /// Starts a registration on replica `replica`; its id.
    async fn start_registration(&self, replica: usize, aadhaar: &str) -> String {
        let (status, out) = self
            .post(replica, "/v1/registrations", &json!({"aadhaar": aadhaar}))
            .await;
        assert_eq!(status, 201, "{out}");
        out["id"].as_str().unwrap().to_owned()
    }

    /// The sandbox's admin API.
    async fn sandbox_get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.sandbox.base))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}");
        response.json().await.unwrap()
    }

    /// The gateway paths the sandbox answered so far, in order.
    async fn gateway_calls(&self) -> Vec<String> {
        let log = self.sandbox_get("/_sandbox/requests").await;
        log.as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A mobile that is not the one linked to `aadhaar`.
    async fn other_mobile(&self, aadhaar: &str) -> String {
        let identity = self
            .sandbox_get(&format!("/_sandbox/identities/{aadhaar}"))
            .await;
        let linked = identity["mobile"].as_str().unwrap();
        ["9876543210", "9988776655"]
            .into_iter()
            .find(|m| *m != linked)
            .unwrap()
            .to_owned()
    }

    /// The result of registration `id`, read on replica `replica`, checked complete.
    async fn assert_completed(&self, replica: usize, id: &str, hpr_id: &str) {
        let (status, view) = self.get(replica, &format!("/v1/registrations/{id}")).await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["stage"], "completed", "{view}");
        assert_eq!(view["result"]["existing"], false, "{view}");
        assert_eq!(
            view["result"]["hprId"],
            format!("{hpr_id}@hpr.abdm"),
            "{view}"
        );
        let accounts = self.sandbox_get("/_sandbox/accounts").await;
        let created: Vec<&Value> = accounts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["hprId"] == format!("{hpr_id}@hpr.abdm"))
            .collect();
        assert_eq!(created.len(), 1, "one account in the registry: {accounts}");
        assert_eq!(
            created[0]["hprIdNumber"], view["result"]["hprIdNumber"],
            "{view}"
        );
    }
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = http
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
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

/// The gateway path of each step, as the sandbox logs it.
fn gateway_path(step: &str) -> &'static str {
    match step {
        "generate_aadhaar_otp" => "/aadhaar/generateOtp",
        "verify_aadhaar_otp" => "/aadhaar/verifyOtp",
        "check_account_exist" => "/check/account-exist",
        "demographic_auth_via_mobile" => "/demographic-auth/mobile",
        "generate_mobile_otp" => "/generate/mobileOtp",
        "verify_mobile_otp" => "/verify/mobileOtp",
        "get_hpr_id_suggestion" => "/hpId/suggestion",
        "create_hpr_id_with_preverified" => "/hprId/create",
        other => panic!("no step {other}"),
    }
}

/// Replica 1 runs the first three steps and is SIGKILLed between two steps; replica 2 runs
/// the rest (the verified branch: the Aadhaar-linked mobile) to a created HPR ID. Every step
/// reached the registry exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_started_on_a_killed_replica_finishes_on_another() {
    let started = Instant::now();
    let Some(mut setup) = Setup::start(0) else {
        return;
    };
    let before = setup.gateway_calls().await.len();

    let id = setup.start_registration(0, AADHAAR).await;
    let out = setup
        .step(0, &id, "verify_aadhaar_otp", json!({"otp": OTP}))
        .await;
    assert_eq!(out["outcome"]["next_step"], "check_account_exist", "{out}");
    let out = setup.step(0, &id, "check_account_exist", json!({})).await;
    assert_eq!(
        out["outcome"]["next_step"], "demographic_auth_via_mobile",
        "{out}"
    );
    assert_eq!(out["revision"], 3, "{out}");

    setup.replicas[0].kill();
    assert!(
        setup
            .http
            .get(format!("{}/healthz", setup.base(0)))
            .send()
            .await
            .is_err(),
        "replica 1 is gone"
    );

    // replica 2 sees where replica 1 left it, and goes on
    let (status, view) = setup.get(1, &format!("/v1/registrations/{id}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["revision"], 3, "{view}");
    assert_eq!(view["next_step"], "demographic_auth_via_mobile", "{view}");
    let identity = setup
        .sandbox_get(&format!("/_sandbox/identities/{AADHAAR}"))
        .await;
    let linked = identity["mobile"].as_str().unwrap().to_owned();
    let out = setup
        .step(
            1,
            &id,
            "demographic_auth_via_mobile",
            json!({"mobileNumber": linked}),
        )
        .await;
    assert_eq!(out["outcome"]["data"]["verified"], true, "{out}");
    let out = setup.step(1, &id, "get_hpr_id_suggestion", json!({})).await;
    let hpr_id = out["outcome"]["data"][0].as_str().unwrap().to_owned();
    let out = setup
        .step(
            1,
            &id,
            "create_hpr_id_with_preverified",
            create_payload(&hpr_id),
        )
        .await;
    assert_eq!(out["outcome"]["next_step"], Value::Null, "{out}");
    setup.assert_completed(1, &id, &hpr_id).await;

    let calls = setup.gateway_calls().await;
    let expected: Vec<&str> = [
        "generate_aadhaar_otp",
        "verify_aadhaar_otp",
        "check_account_exist",
        "demographic_auth_via_mobile",
        "get_hpr_id_suggestion",
        "create_hpr_id_with_preverified",
    ]
    .into_iter()
    .map(gateway_path)
    .collect();
    assert_eq!(
        calls[before..],
        expected,
        "every step reached the registry exactly once; replica 2 stderr:\n{}",
        setup.replicas[1].stderr()
    );
    eprintln!("took {:?}", started.elapsed());
}

/// Replica 1 is SIGKILLed while a step is in flight at a slow registry. On replica 2 the
/// registration is then either already advanced or still claimed: the same step answers 409
/// until the dead replica's claim runs out, then runs. The registration finishes on replica 2
/// through the mobile OTP branch (another mobile than the Aadhaar-linked one), and no step
/// that changes anything reached the registry twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_during_a_step_leaves_it_claimed_then_another_runs_it() {
    const LATENCY_MS: u64 = 700;
    let started = Instant::now();
    let Some(mut setup) = Setup::start(LATENCY_MS) else {
        return;
    };
    let before = setup.gateway_calls().await.len();

    let id = setup.start_registration(0, AADHAAR_2).await;
    setup
        .step(0, &id, "verify_aadhaar_otp", json!({"otp": OTP}))
        .await;

    // check_account_exist on replica 1, killed while the sandbox sits on it
    let in_flight = {
        let http = setup.http.clone();
        let base = setup.base(0).to_owned();
        let key = setup.key.clone();
        let path = format!("/v1/registrations/{id}/steps/check_account_exist");
        tokio::spawn(async move {
            let response = http
                .post(format!("{base}{path}"))
                .bearer_auth(key)
                .json(&json!({}))
                .send()
                .await;
            response.map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(Duration::from_millis(LATENCY_MS / 3)).await;
    setup.replicas[0].kill();
    let killed_at = Instant::now();
    let answer = in_flight.await.unwrap();
    assert!(
        answer.is_err(),
        "the in-flight step got no answer: {answer:?}"
    );

    // replica 2: advanced, or claimed until the claim runs out
    let (status, view) = setup.get(1, &format!("/v1/registrations/{id}")).await;
    assert_eq!(status, 200, "{view}");
    let advanced = view["revision"] == 3;
    if advanced {
        assert_eq!(view["next_step"], "demographic_auth_via_mobile", "{view}");
    } else {
        assert_eq!(view["revision"], 2, "{view}");
        assert_eq!(view["next_step"], "check_account_exist", "{view}");
        let mut conflicts = 0;
        loop {
            let (status, out) = setup
                .post(
                    1,
                    &format!("/v1/registrations/{id}/steps/check_account_exist"),
                    &json!({}),
                )
                .await;
            if status == 200 {
                assert_eq!(
                    out["outcome"]["next_step"], "demographic_auth_via_mobile",
                    "{out}"
                );
                break;
            }
            assert_eq!(status, 409, "claimed: {out}");
            assert!(
                out.to_string().contains("in progress"),
                "the conflict says a step holds it: {out}"
            );
            conflicts += 1;
            assert!(
                killed_at.elapsed() < Duration::from_secs(CLAIM_TTL_SECS + 10),
                "the claim of the dead replica never ran out"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(
            conflicts > 0,
            "the dead replica's claim held for a while (it ran out after {:?})",
            killed_at.elapsed()
        );
    }

    let mobile = setup.other_mobile(AADHAAR_2).await;
    let out = setup
        .step(
            1,
            &id,
            "demographic_auth_via_mobile",
            json!({"mobileNumber": mobile}),
        )
        .await;
    assert_eq!(out["outcome"]["data"]["verified"], false, "{out}");
    assert_eq!(out["outcome"]["next_step"], "generate_mobile_otp", "{out}");
    setup.step(1, &id, "generate_mobile_otp", json!({})).await;
    setup
        .step(1, &id, "verify_mobile_otp", json!({"otp": OTP}))
        .await;
    let out = setup.step(1, &id, "get_hpr_id_suggestion", json!({})).await;
    let hpr_id = out["outcome"]["data"][0].as_str().unwrap().to_owned();
    setup
        .step(
            1,
            &id,
            "create_hpr_id_with_preverified",
            create_payload(&hpr_id),
        )
        .await;
    setup.assert_completed(1, &id, &hpr_id).await;

    let calls = setup.gateway_calls().await;
    let calls = &calls[before..];
    // the killed check may or may not have reached the registry before the retry (it reads
    // only); every other step reached it exactly once, in order
    let check = gateway_path("check_account_exist");
    let checks = calls.iter().filter(|p| *p == check).count();
    assert!((1..=2).contains(&checks), "{calls:?}");
    let mut once: Vec<&str> = calls.iter().map(String::as_str).collect();
    once.dedup();
    let expected: Vec<&str> = [
        "generate_aadhaar_otp",
        "verify_aadhaar_otp",
        "check_account_exist",
        "demographic_auth_via_mobile",
        "generate_mobile_otp",
        "verify_mobile_otp",
        "get_hpr_id_suggestion",
        "create_hpr_id_with_preverified",
    ]
    .into_iter()
    .map(gateway_path)
    .collect();
    assert_eq!(once, expected, "{calls:?}");
    eprintln!(
        "took {:?} ({}; the check reached the registry {checks} time(s))",
        started.elapsed(),
        if advanced { "advanced" } else { "claimed" }
    );
}
