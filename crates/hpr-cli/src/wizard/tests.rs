//! The wizard's logic, driven by a scripted [`Prompter`] against an in-process sandbox on a
//! loopback port. The script reads OTPs from the sandbox's fake SMS like a user reads a phone.

use std::collections::VecDeque;

use abdm_hpr::GatewayClient;
use hpr_sandbox::{RunningSandbox, Sandbox, SandboxConfig, Sms};
use tokio::runtime::Runtime;
use tokio::sync::broadcast;

use super::*;
use crate::prompt::{Ask, PromptError, Prompter};

/// Valid synthetic Aadhaar numbers (CONTRACT §5.1 examples).
const AADHAAR: &str = "234123412346";
const OTHER_AADHAAR: &str = "498765432102";
const PASSWORD: &str = "Ayushman@143";
const EMAIL: &str = "asha@example.com";

/// One scripted answer.
#[derive(Debug, Clone)]
enum A {
    /// Typed text.
    Text(String),
    /// The OTP of the latest fake SMS.
    Otp,
    /// Six digits that are not the latest OTP.
    WrongOtp,
    /// The select option containing this text.
    Pick(&'static str),
    /// Confirm: yes / no.
    Yes,
    No,
    /// Ctrl-C / Esc at this prompt.
    CtrlC,
    Esc,
}

fn text(s: &str) -> A {
    A::Text(s.to_owned())
}

/// A user following a script; every prompt and every refusal is logged.
struct Script {
    answers: VecDeque<A>,
    phone: broadcast::Receiver<Sms>,
    last_otp: Option<String>,
    log: Vec<String>,
}

impl Script {
    fn next(&mut self, prompt: &str) -> A {
        self.answers.pop_front().unwrap_or_else(|| {
            panic!(
                "the script has no answer for {prompt:?}; log: {:#?}",
                self.log
            )
        })
    }

    fn read_phone(&mut self) -> String {
        while let Ok(sms) = self.phone.try_recv() {
            self.last_otp = Some(sms.otp);
        }
        self.last_otp.clone().expect("an SMS arrived")
    }
}

impl Prompter for Script {
    fn input(&mut self, ask: Ask<'_>) -> Result<String, PromptError> {
        self.log.push(format!("? {}", ask.message));
        match self.next(ask.message) {
            A::Text(s) => Ok(s),
            A::Otp => Ok(self.read_phone()),
            A::WrongOtp => {
                let otp: u32 = self.read_phone().parse().unwrap();
                Ok(format!("{:06}", (otp + 1) % 1_000_000))
            }
            A::CtrlC => Err(PromptError::Interrupted),
            A::Esc => Err(PromptError::Cancelled),
            other => panic!(
                "{other:?} is no answer to the text prompt {:?}",
                ask.message
            ),
        }
    }

    fn select(
        &mut self,
        message: &str,
        options: &[String],
        _help: Option<&str>,
        _start: usize,
    ) -> Result<usize, PromptError> {
        self.log.push(format!("? {message} {options:?}"));
        match self.next(message) {
            A::Pick(wanted) => Ok(options
                .iter()
                .position(|o| o.contains(wanted))
                .unwrap_or_else(|| panic!("no option {wanted:?} in {options:?}"))),
            A::CtrlC => Err(PromptError::Interrupted),
            A::Esc => Err(PromptError::Cancelled),
            other => panic!("{other:?} is no answer to the select {message:?}"),
        }
    }

    fn confirm(&mut self, message: &str, _default: bool) -> Result<bool, PromptError> {
        self.log.push(format!("? {message}"));
        match self.next(message) {
            A::Yes => Ok(true),
            A::No => Ok(false),
            A::CtrlC => Err(PromptError::Interrupted),
            A::Esc => Err(PromptError::Cancelled),
            other => panic!("{other:?} is no answer to the confirm {message:?}"),
        }
    }
}

/// A sandbox on a loopback port and a client for it.
struct Harness {
    rt: Runtime,
    running: RunningSandbox,
    client: GatewayClient,
}

fn harness(tweak: impl FnOnce(&mut SandboxConfig)) -> Harness {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = SandboxConfig {
        seed: Some(7),
        resend_interval: std::time::Duration::ZERO,
        ..SandboxConfig::default()
    };
    tweak(&mut config);
    let running = rt
        .block_on(
            Sandbox::new(config)
                .unwrap()
                .start("127.0.0.1:0".parse().unwrap()),
        )
        .unwrap();
    let client = GatewayClient::builder()
        .api_key("test-key")
        .base_url(running.base_url())
        .build()
        .unwrap();
    Harness {
        rt,
        running,
        client,
    }
}

/// How a wizard run ended.
struct Run {
    status: ExitStatus,
    out: String,
    err: String,
    log: Vec<String>,
}

impl Run {
    fn asked(&self, prompt: &str) -> usize {
        self.log.iter().filter(|l| l.contains(prompt)).count()
    }
}

fn run_wizard(h: &Harness, answers: Vec<A>, interrupt: Interrupt) -> Run {
    let mut script = Script {
        answers: answers.into(),
        phone: h.running.subscribe_sms(),
        last_otp: None,
        log: Vec::new(),
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let options = Options {
        paint_err: Paint(false),
        paint_out: Paint(false),
        spinner: false,
        interrupt,
        embedded: Some(Embedded {
            sms: h.running.subscribe_sms(),
            sandbox: h.running.sandbox().clone(),
        }),
    };
    let status = Wizard::new(
        std::sync::Arc::new(h.client.clone()),
        h.rt.handle().clone(),
        &mut script,
        &mut out,
        &mut err,
        options,
    )
    .run();
    assert!(
        script.answers.is_empty(),
        "unused answers {:?}; log: {:#?}",
        script.answers,
        script.log
    );
    let run = Run {
        status,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
        log: script.log,
    };
    // never on screen: the full Aadhaar number or the password
    for secret in [AADHAAR, OTHER_AADHAAR, PASSWORD] {
        assert!(!run.out.contains(secret) && !run.err.contains(secret));
        assert!(!run.log.iter().any(|l| l.contains(secret)));
    }
    run
}

/// `true` if one line of `screen` contains every part (a review row: label and value).
fn has_line(screen: &str, parts: &[&str]) -> bool {
    screen.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// `NN-NNNN-NNNN-NNNN` somewhere in `s`.
fn hpr_id_number(s: &str) -> Option<&str> {
    let shape = |w: &str| {
        w.len() == 17
            && w.bytes().enumerate().all(|(i, b)| match i {
                2 | 7 | 12 => b == b'-',
                _ => b.is_ascii_digit(),
            })
    };
    s.split_whitespace().find(|w| shape(w))
}

/// The linked mobile of the sandbox's fake identity for `aadhaar`.
fn linked_mobile(h: &Harness, aadhaar: &str) -> String {
    h.running.identity(aadhaar).unwrap().mobile
}

/// A mobile that is not the linked one.
fn other_mobile(h: &Harness, aadhaar: &str) -> String {
    let linked = linked_mobile(h, aadhaar);
    ["6000000001", "6000000002"]
        .into_iter()
        .find(|m| *m != linked)
        .unwrap()
        .to_owned()
}

/// The answers after the mobile is proven: first suggestion, password, e-mail, Doctor/Dentist,
/// create.
fn rest_of_registration() -> Vec<A> {
    vec![
        A::Pick(""),
        text(PASSWORD),
        text(EMAIL),
        A::Pick("Doctor"),
        A::Pick("Dentist"),
        A::Yes,
    ]
}

#[test]
fn registers_with_the_aadhaar_linked_mobile() {
    let h = harness(|_| {});
    let mobile = linked_mobile(&h, AADHAAR);
    let mut answers = vec![
        text("234123412345"), // wrong check digit: refused by the engine, asked again
        text("2341 2341 2346"),
        A::Otp,
        text("12345"), // refused by the engine, asked again
        text(&format!("+91 {mobile}")),
    ];
    answers.extend(rest_of_registration());
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert!(
        run.err
            .contains("✗ Aadhaar number has an invalid check digit (Verhoeff)"),
        "{}",
        run.err
    );
    assert_eq!(run.asked("? Aadhaar number"), 2);
    assert!(
        run.err
            .contains("✗ Mobile number for communication must be a 10-digit mobile number"),
        "{}",
        run.err
    );
    assert_eq!(run.asked("? Mobile number for communication"), 2);
    assert_eq!(run.asked("Mobile OTP"), 0, "no mobile OTP on this branch");
    assert!(run.err.contains("📱 SMS to XXXXXX"), "{}", run.err);
    assert!(run.err.contains("That is your Aadhaar-linked mobile"));
    assert!(run.err.contains("Please check your details"));
    assert!(has_line(&run.err, &["Password", "set (not shown)"]));
    assert!(has_line(&run.err, &["Sub-category", "Dentist"]));

    let accounts = h.running.accounts();
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_eq!((account.category_id, account.sub_category_id), (1, 2));
    assert!(run.out.contains("HPR ID created"), "{}", run.out);
    assert_eq!(
        hpr_id_number(&run.out),
        Some(account.hpr_id_number.as_str())
    );
    assert!(run.out.contains(&account.hpr_id));
    assert!(run.out.contains("Doctor · Dentist"));
    assert!(run.out.contains(SANDBOX_CARD), "{}", run.out);
    assert!(
        run.err.lines().all(|l| !l.contains("HPR ID created")),
        "the card goes to stdout"
    );
}

#[test]
fn the_same_seed_and_answers_give_the_same_screens() {
    // what `hpr register --sandbox-seed 42 --sandbox-fixed-otp 123456` sets up
    let screens = || {
        let h = harness(|c| {
            c.seed = Some(42);
            c.fixed_otp = Some("123456".into());
        });
        let mut answers = vec![text(AADHAAR), A::Otp, text(&linked_mobile(&h, AADHAAR))];
        answers.extend(rest_of_registration());
        let run = run_wizard(&h, answers, Interrupt::Never);
        assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
        (run.out, run.err, run.log)
    };
    let first = screens();
    assert!(first.0.contains(SANDBOX_CARD), "{}", first.0);
    assert_eq!(first, screens());
}

#[test]
fn registers_with_another_mobile_through_a_mobile_otp() {
    let h = harness(|_| {});
    let mobile = other_mobile(&h, AADHAAR);
    let mut answers = vec![text(AADHAAR), A::Otp, text(&mobile), A::Otp];
    answers.extend(rest_of_registration());
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert_eq!(
        run.asked("? Mobile OTP (sent to XXXXXX"),
        1,
        "{:#?}",
        run.log
    );
    assert!(
        run.err
            .contains("is not the mobile linked with your Aadhaar")
    );
    assert_eq!(run.err.matches("📱 SMS to").count(), 2, "{}", run.err);
    assert!(hpr_id_number(&run.out).is_some(), "{}", run.out);
    assert_eq!(h.running.accounts().len(), 1);
}

#[test]
fn an_existing_account_is_shown_and_nothing_more_is_asked() {
    let h = harness(|_| {});
    let mut answers = vec![text(AADHAAR), A::Otp, text(&linked_mobile(&h, AADHAAR))];
    answers.extend(rest_of_registration());
    let first = run_wizard(&h, answers, Interrupt::Never);
    let number = hpr_id_number(&first.out).unwrap().to_owned();

    let again = run_wizard(&h, vec![text(AADHAAR), A::Otp], Interrupt::Never);
    assert_eq!(again.status, ExitStatus::Success, "{}", again.err);
    assert!(again.out.contains("Already registered"), "{}", again.out);
    assert_eq!(hpr_id_number(&again.out), Some(number.as_str()));
    assert!(again.out.contains("Doctor · Dentist"), "{}", again.out);
    assert_eq!(h.running.accounts().len(), 1);
}

#[test]
fn a_wrong_otp_shows_the_registry_message_and_asks_again() {
    let h = harness(|_| {});
    let mut answers = vec![
        text(AADHAAR),
        A::WrongOtp,
        A::Otp,
        text(&linked_mobile(&h, AADHAAR)),
    ];
    answers.extend(rest_of_registration());
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert_eq!(run.asked("? Aadhaar OTP"), 2);
    assert!(
        run.err.contains("Incorrect OTP entered (HIS-1013)"),
        "{}",
        run.err
    );
    assert!(run.err.contains("attempts left"), "{}", run.err);
}

#[test]
fn an_empty_otp_sends_a_new_one() {
    let h = harness(|_| {});
    let mut answers = vec![
        text(AADHAAR),
        text(""),
        A::Otp,
        text(&linked_mobile(&h, AADHAAR)),
    ];
    answers.extend(rest_of_registration());
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert!(run.err.contains("A new OTP is on its way."));
    assert_eq!(run.err.matches("📱 SMS to").count(), 2, "{}", run.err);
}

#[test]
fn a_lockout_starts_again_from_the_aadhaar_otp() {
    let h = harness(|c| c.max_otp_attempts = 1);
    let answers = vec![
        text(AADHAAR),
        A::WrongOtp,
        A::Pick("Send a new Aadhaar OTP"),
        A::Otp,
        A::CtrlC, // at the mobile prompt: the restart got that far
    ];
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Interrupted);
    assert!(run.err.contains("HIS-1041"), "{}", run.err);
    assert!(run.err.contains("start again from the Aadhaar OTP"));
    assert_eq!(run.asked("? Mobile number for communication"), 1);
}

#[test]
fn a_taken_id_goes_back_to_the_id_choice() {
    let h = harness(|_| {});
    let mut first = vec![
        text(AADHAAR),
        A::Otp,
        text(&linked_mobile(&h, AADHAAR)),
        A::Pick("Type my own"),
        text("dr.taken@hpr.abdm"),
    ];
    first.extend(rest_of_registration().into_iter().skip(1));
    let run = run_wizard(&h, first, Interrupt::Never);
    assert!(run.out.contains("dr.taken@hpr.abdm"), "{}", run.out);

    let answers = vec![
        text(OTHER_AADHAAR),
        A::Otp,
        text(&linked_mobile(&h, OTHER_AADHAAR)),
        A::Pick("Type my own"),
        text("DR.TAKEN"),
        text(PASSWORD),
        text(EMAIL),
        A::Pick("Nurse"),
        A::Pick("RN and RM"),
        A::Yes,
        // refused: choose again, the rest is kept
        A::Pick(""),
        A::Yes,
    ];
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert!(run.err.contains("HIS-1015"), "{}", run.err);
    assert!(run.err.contains("please choose another"));
    assert_eq!(run.asked("? Choose your HPR ID"), 2);
    assert_eq!(run.asked("? Password"), 1);
    assert!(run.out.contains("Nurse · RN and RM"), "{}", run.out);
    assert_eq!(h.running.accounts().len(), 2);
}

#[test]
fn the_review_can_change_an_answer() {
    let h = harness(|_| {});
    let answers = vec![
        text(AADHAAR),
        A::Otp,
        text(&linked_mobile(&h, AADHAAR)),
        A::Pick(""),
        text(PASSWORD),
        text("asha@example"),  // refused by the engine once everything is asked
        A::Pick("Pharmacist"), // one sub-category: not asked
        text("typo@example.com"),
        A::No,
        A::Pick("E-mail address"),
        text(EMAIL),
        A::Yes,
    ];
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert_eq!(run.asked("? E-mail address"), 3);
    assert_eq!(run.asked("? Sub-category"), 0);
    assert!(run.err.contains("✗ E-mail address must"), "{}", run.err);
    assert!(has_line(&run.err, &["E-mail address", "typo@example.com"]));
    assert!(has_line(&run.err, &["E-mail address", EMAIL]));
    let account = &h.running.accounts()[0];
    assert_eq!((account.category_id, account.sub_category_id), (6, 33));
}

#[test]
fn ctrl_c_at_a_prompt_exits_130() {
    let h = harness(|_| {});
    let run = run_wizard(&h, vec![text(AADHAAR), A::CtrlC], Interrupt::Never);
    assert_eq!(run.status, ExitStatus::Interrupted);
    assert_eq!(run.status as u8, 130);
    assert!(run.err.trim_end().ends_with("interrupted"), "{}", run.err);
    assert!(run.out.is_empty());
}

#[test]
fn ctrl_c_while_waiting_for_the_registry_exits_130() {
    let h = harness(|_| {});
    let run = run_wizard(&h, vec![text(AADHAAR)], Interrupt::Immediately);
    assert_eq!(run.status, ExitStatus::Interrupted);
    assert!(run.err.contains("interrupted"));
    assert!(h.running.requests().is_empty(), "nothing was sent");
}

#[test]
fn esc_asks_before_quitting() {
    let h = harness(|_| {});
    let answers = vec![
        A::Esc,
        A::No, // carry on
        text(AADHAAR),
        A::Esc,
        A::Yes, // quit
    ];
    let run = run_wizard(&h, answers, Interrupt::Never);
    assert_eq!(run.status, ExitStatus::Interrupted);
    assert_eq!(run.asked("? Quit the registration?"), 2);
    assert!(run.err.contains("no HPR ID was created"));
}

#[test]
fn a_network_failure_offers_retry_then_quits_with_the_network_code() {
    let h = harness(|_| {});
    // a loopback port nobody listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = Harness {
        client: GatewayClient::builder()
            .api_key("test-key")
            .base_url(format!("http://127.0.0.1:{port}"))
            .build()
            .unwrap(),
        ..h
    };
    let answers = vec![text(AADHAAR), A::Pick("Try again"), A::Pick("Quit")];
    let run = run_wizard(&dead, answers, Interrupt::Never);
    assert_eq!(run.status, ExitStatus::Network);
    assert_eq!(run.asked("? What now?"), 2);
    assert!(run.err.contains("generate_aadhaar_otp"), "{}", run.err);
}

#[test]
fn a_prefilled_field_can_be_changed_in_the_review() {
    let h = harness(|_| {});
    let mut answers = vec![text(AADHAAR), A::Otp, text(&linked_mobile(&h, AADHAAR))];
    answers.extend(rest_of_registration());
    answers.pop(); // not yet: change the address first
    answers.extend([
        A::No,
        A::Pick("Address"),
        text("7 Lake View, Ghaziabad"),
        A::Yes,
    ]);
    let run = run_wizard(&h, answers, Interrupt::Never);
    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert!(has_line(&run.err, &["Address", "7 Lake View, Ghaziabad"]));
    let sent = h
        .running
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/hprId/create"))
        .expect("a create request");
    assert_eq!(
        sent.status, 200,
        "the edited address passed the registry's checks"
    );
    assert_eq!(
        run.asked("? Address"),
        1,
        "prefilled: asked only when chosen"
    );
}

#[test]
fn review_values_never_show_secrets() {
    let password = abdm_hpr::flow::describe("password").unwrap();
    assert_eq!(
        display(&password, &serde_json::json!(PASSWORD), None),
        "set (not shown)"
    );
    let aadhaar = abdm_hpr::flow::describe("aadhaar").unwrap();
    assert_eq!(
        display(&aadhaar, &serde_json::json!(AADHAAR), None),
        "XXXXXXXX2346"
    );
    let sub = abdm_hpr::flow::describe("hpSubCategoryCode").unwrap();
    assert_eq!(
        display(&sub, &serde_json::json!("9"), Some("2")),
        "RN and RM"
    );
    let id = abdm_hpr::flow::describe("hprId").unwrap();
    assert_eq!(
        display(&id, &serde_json::json!("asha.verma"), None),
        "asha.verma@hpr.abdm"
    );
}

#[test]
fn a_create_whose_answer_is_lost_is_confirmed_on_retry_and_created_once() {
    let h = harness(|_| {});
    // the registry creates the account, then the connection drops before the answer
    h.running
        .fail_next("/hprId/create", hpr_sandbox::FaultKind::LostAnswer);
    let mut answers = vec![text(AADHAAR), A::Otp, text(&linked_mobile(&h, AADHAAR))];
    answers.extend(rest_of_registration());
    answers.push(A::Pick("Try again"));
    let run = run_wizard(&h, answers, Interrupt::Never);

    assert_eq!(run.status, ExitStatus::Success, "{}", run.err);
    assert!(run.err.contains("unconfirmed"), "{}", run.err);
    assert_eq!(run.asked("? What now?"), 1);
    let accounts = h.running.accounts();
    assert_eq!(accounts.len(), 1, "created once");
    assert!(run.out.contains("HPR ID created"), "{}", run.out);
    assert_eq!(
        hpr_id_number(&run.out),
        Some(accounts[0].hpr_id_number.as_str())
    );
}
