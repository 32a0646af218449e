//! `hpr register` as a person uses it: the real binary in a pseudo-terminal, on its embedded
//! offline sandbox, reading the fake SMS OTPs from the screen and answering every prompt with
//! keys (arrows and Enter for lists).
//!
//! No timing is asserted: each expectation waits up to [`EXPECT_MS`], and each test is bounded
//! by [`WHOLE_TEST`], so a hung wizard fails the test instead of hanging CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rexpect::process::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

/// The longest a single expectation may wait (generous for a loaded 2-core machine).
const EXPECT_MS: u64 = 30_000;
/// The longest the whole registration may take before the child is killed.
const WHOLE_TEST: Duration = Duration::from_secs(60);

const AADHAAR: &str = "234123412346";
const PASSWORD: &str = "Ayushman@143";
const DOWN: &str = "\x1b[B";
/// Enter in raw mode (`\n` would be Ctrl+J).
const ENTER: &str = "\r";

fn hpr_register() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hpr"));
    command
        .arg("register")
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("HPR_API_URL")
        .env_remove("HPR_API_KEY")
        .env_remove("RUST_LOG");
    command
}

fn spawn() -> PtySession {
    spawn_with_options(
        hpr_register(),
        Options::new()
            .timeout_ms(Some(EXPECT_MS))
            .strip_ansi_escape_codes(true),
    )
    .expect("hpr register starts in a pseudo-terminal")
}

/// Runs `body` on its own thread and fails if it takes longer than [`WHOLE_TEST`]. A failed
/// expectation drops the session, which kills the child; a run past the deadline fails here and
/// the child dies with the test process (its terminal closes).
fn bounded(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(WHOLE_TEST) {
        Ok(()) => worker.join().expect("the test body finished"),
        // the body panicked: re-raise its message
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hpr register did not finish within {WHOLE_TEST:?}")
        }
    }
}

/// Everything read so far, for the failure message and the final checks.
struct Screen {
    session: PtySession,
    seen: String,
}

impl Screen {
    fn expect(&mut self, text: &str) {
        match self.session.exp_string(text) {
            Ok(before) => {
                self.seen.push_str(&before);
                self.seen.push_str(text);
            }
            Err(e) => panic!(
                "waiting for {text:?}: {e}\n--- screen so far ---\n{}",
                self.seen
            ),
        }
    }

    /// Waits for `regex` and returns the matched text.
    fn expect_regex(&mut self, regex: &str) -> String {
        match self.session.exp_regex(regex) {
            Ok((before, matched)) => {
                self.seen.push_str(&before);
                self.seen.push_str(&matched);
                matched
            }
            Err(e) => panic!(
                "waiting for /{regex}/: {e}\n--- screen so far ---\n{}",
                self.seen
            ),
        }
    }

    fn keys(&mut self, keys: &str) {
        self.session.send(keys).expect("keys reach the terminal");
        self.session.flush().expect("keys reach the terminal");
    }

    /// Waits for the prompt `prompt`, then types `answer` and Enter.
    fn answer(&mut self, prompt: &str, answer: &str) {
        self.expect(prompt);
        self.keys(&format!("{answer}{ENTER}"));
    }

    /// Reads the OTP of the next fake SMS line.
    fn sms_otp(&mut self) -> String {
        let line = self.expect_regex(r"SMS to X+\d{4}: OTP \d{6}");
        line[line.len() - 6..].to_owned()
    }

    fn finish(mut self) -> (i32, String) {
        match self.session.exp_eof() {
            Ok(rest) => self.seen.push_str(&rest),
            Err(e) => panic!(
                "waiting for the end: {e}\n--- screen so far ---\n{}",
                self.seen
            ),
        }
        let status = self.session.process().wait().expect("hpr register exits");
        let code = match status {
            WaitStatus::Exited(_, code) => code,
            other => panic!(
                "hpr register did not exit normally: {other:?}\n{}",
                self.seen
            ),
        };
        (code, self.seen)
    }
}

/// `NN-NNNN-NNNN-NNNN`.
const HPR_ID_NUMBER: &str = r"\d{2}-\d{4}-\d{4}-\d{4}";

#[test]
fn registers_through_the_wizard_in_a_terminal() {
    bounded(register_in_a_terminal);
}

fn register_in_a_terminal() {
    let mut screen = Screen {
        session: spawn(),
        seen: String::new(),
    };

    screen.expect("Using an embedded offline sandbox");
    screen.answer("Aadhaar number", "2341 2341 2346");
    let otp = screen.sms_otp();
    screen.answer("Aadhaar OTP (sent to", &otp);
    screen.expect("No HPR account yet");
    // 6000000001 is not the fake identity's linked mobile: the mobile OTP branch
    screen.answer("Mobile number for communication", "+91 60000 00001");
    screen.expect("is not the mobile linked with your Aadhaar");
    let otp = screen.sms_otp();
    screen.answer("Mobile OTP (sent to XXXXXX0001)", &otp);
    screen.expect("Mobile number verified");
    // the second suggestion
    screen.expect("Choose your HPR ID");
    screen.expect("Type my own");
    screen.keys(&format!("{DOWN}{ENTER}"));
    // the label and help text come from the engine's field descriptor
    screen.expect("? Password");
    screen.answer("The password of the new HPR account", PASSWORD);
    screen.answer("Type the password again", PASSWORD);
    screen.answer("E-mail address", "asha@example.com");
    // Nurse, then RN (the second sub-category)
    screen.expect("Professional category");
    screen.expect("Pharmacist");
    screen.keys(&format!("{DOWN}{ENTER}"));
    screen.expect("Sub-category (Nurse)");
    screen.expect("RLHV");
    screen.keys(&format!("{DOWN}{ENTER}"));
    screen.expect("Please check your details");
    screen.answer("Create this HPR ID?", "y");
    screen.expect("HPR ID created");
    // the card says it is not real (the dash between is not ASCII)
    screen.expect("SANDBOX");
    screen.expect("not a real HPR ID");
    let number = screen.expect_regex(HPR_ID_NUMBER);
    screen.expect("@hpr.abdm");
    // rexpect reads bytes one by one, so only ASCII is matched literally
    screen.expect_regex(r"Category\s+Nurse \S+ RN");
    let (code, seen) = screen.finish();

    assert_eq!(code, 0, "{seen}");
    assert_eq!(number.len(), 17);
    for secret in [AADHAAR, PASSWORD] {
        assert!(
            !seen.contains(secret),
            "{secret:?} appeared on screen:\n{seen}"
        );
    }
}

#[test]
fn ctrl_c_at_a_prompt_exits_130() {
    bounded(ctrl_c_at_a_prompt);
}

fn ctrl_c_at_a_prompt() {
    let mut screen = Screen {
        session: spawn(),
        seen: String::new(),
    };
    screen.expect("Aadhaar number");
    screen.keys("\x03");
    screen.expect("interrupted");
    let (code, seen) = screen.finish();
    assert_eq!(code, 130, "{seen}");
}

#[test]
fn without_a_terminal_it_points_to_hpr_step() {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let output = hpr_register()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("hpr runs");
        let _ = tx.send(output);
    });
    let output = rx
        .recv_timeout(WHOLE_TEST)
        .expect("hpr register < /dev/null ends at once");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("hpr register needs an interactive terminal")
            && stderr.contains("hpr step"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}
