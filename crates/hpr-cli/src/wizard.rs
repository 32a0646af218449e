//! The `hpr register` wizard: asks for one thing at a time, drives a [`RegistrationSession`] and
//! shows the outcome.
//!
//! Prompts run on the calling thread through a [`Prompter`]; each registry call is driven to
//! completion with [`Handle::block_on`] (racing Ctrl-C), so no prompt ever runs inside an async
//! task. The wizard only decides what to ask and what to show: the session owns the order of the
//! steps, the transaction id and the demographics.
//!
//! ```text
//! Aadhaar → Aadhaar OTP ─→ account check ─ exists → card, exit 0
//!   ↑ lockout ─┘                 └ new → mobile → (not the linked one → mobile OTP)
//!                                      → HPR ID → password, e-mail, category → review → create → card
//!                                           ↑ taken ─────────────────────────────────────┘
//! ```
//!
//! Output: prompts, progress, fake SMS (embedded sandbox only) and messages on stderr; the final
//! card on stdout. Nothing printed contains an OTP typed by the user, the password, a token or
//! the full Aadhaar number.

use std::collections::BTreeSet;
use std::io::Write;

use abdm_hpr::categories::CATEGORIES;
use abdm_hpr::flow::{RegistrationSession, Stage, StepInput, StepOutcome};
use abdm_hpr::types::{
    Aadhaar, CheckAccountExistInput, CreateHprIdInput, DemographicAuthInput, Email,
    GenerateAadhaarOtpInput, GenerateMobileOtpInput, HPR_DOMAIN, HprId, HprIdSuggestionInput,
    Mobile, Otp, Password, VerifyAadhaarOtpInput, VerifyMobileOtpInput,
};
use abdm_hpr::{Error, RegistryApi};
use hpr_sandbox::geo;
use hpr_sandbox::{Sandbox, Sms};
use tokio::runtime::Handle;
use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::exit::ExitStatus;
use crate::prompt::{Ask, Echo, PromptError, Prompter};
use crate::report;
use crate::spinner::Spinner;
use crate::term::Paint;
use checks::*;

/// Wrong or expired OTP: ask again.
const WRONG_OTP: &[&str] = &["HIS-1013", "HIS-2022", "HIS-1060"];
/// Too many wrong OTPs: the transaction is locked.
const LOCKED: &[&str] = &["HIS-1041"];
/// The chosen HPR ID is not available.
const TAKEN: &[&str] = &["HIS-1015", "HIS-3021", "HIS-1016"];

/// What Ctrl-C looks like while the registry is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// The real SIGINT (`tokio::signal::ctrl_c`).
    CtrlC,
    /// Never (tests).
    #[cfg(test)]
    Never,
    /// Already pressed (tests).
    #[cfg(test)]
    Immediately,
}

impl Interrupt {
    async fn wait(self) {
        match self {
            Interrupt::CtrlC => {
                // no handler could be installed: never interrupt rather than at once
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            #[cfg(test)]
            Interrupt::Never => std::future::pending::<()>().await,
            #[cfg(test)]
            Interrupt::Immediately => {}
        }
    }
}

/// The embedded sandbox behind the client: its fake SMS are shown on screen.
pub struct Embedded {
    /// Every fake SMS the sandbox sends.
    pub sms: broadcast::Receiver<Sms>,
    /// The sandbox, to look up the fake identity (for a tip at the mobile prompt).
    pub sandbox: Sandbox,
}

/// How the wizard talks to the terminal.
pub struct Options {
    /// Colours on stderr.
    pub paint_err: Paint,
    /// Colours on stdout (the card).
    pub paint_out: Paint,
    /// Draw a spinner on stderr while waiting.
    pub spinner: bool,
    /// Where Ctrl-C comes from while waiting.
    pub interrupt: Interrupt,
    /// Set when running on the embedded sandbox.
    pub embedded: Option<Embedded>,
}

/// Why the wizard stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Ctrl-C.
    Interrupted,
    /// The user chose to quit.
    Cancelled,
    /// Ended after an error that was already shown.
    Quit(ExitStatus),
}

type Flow<T> = Result<T, Stop>;

/// Where the wizard goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    SendAadhaarOtp,
    AadhaarOtp,
    CheckAccount,
    Mobile,
    MobileOtp,
    ChooseId,
    Details,
    Review,
    Create,
    Done,
}

/// The result of a registry call the caller wants to handle in part.
enum Sent {
    /// Success.
    Done(StepOutcome),
    /// Refused with one of the codes the caller handles.
    Refused(Error),
    /// The user chose to go elsewhere after an error.
    Goto(Phase),
}

/// What the user picked after an error.
enum AfterError {
    Retry,
    Goto(Phase),
}

/// The wizard. Build it with [`Wizard::new`] and call [`Wizard::run`] once.
pub struct Wizard<'a, A, P> {
    api: &'a A,
    rt: Handle,
    prompter: &'a mut P,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    opts: Options,
    session: RegistrationSession,
    aadhaar: Option<Aadhaar>,
    hpr_id: Option<HprId>,
    password: Option<Password>,
    email: Option<Email>,
    /// Indexes into [`CATEGORIES`] and its sub-categories.
    category: Option<(usize, usize)>,
    /// Demographics the e-KYC lacked, typed by the user.
    typed: CreateHprIdInput,
    /// Fetch suggestions again (after a taken ID).
    stale_suggestions: bool,
}

impl<'a, A: RegistryApi, P: Prompter> Wizard<'a, A, P> {
    /// A wizard calling `api` on the runtime `rt`.
    pub fn new(
        api: &'a A,
        rt: Handle,
        prompter: &'a mut P,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
        opts: Options,
    ) -> Self {
        Self {
            api,
            rt,
            prompter,
            out,
            err,
            opts,
            session: RegistrationSession::new(),
            aadhaar: None,
            hpr_id: None,
            password: None,
            email: None,
            category: None,
            typed: CreateHprIdInput::default(),
            stale_suggestions: false,
        }
    }

    /// Runs the whole registration; the exit status says how it ended.
    pub fn run(mut self) -> ExitStatus {
        let stop = match self.steps() {
            Ok(()) => return ExitStatus::Success,
            Err(stop) => stop,
        };
        let p = self.opts.paint_err;
        match stop {
            Stop::Interrupted => {
                let _ = writeln!(self.err, "{}", p.yellow("interrupted"));
                ExitStatus::Interrupted
            }
            Stop::Cancelled => {
                let _ = writeln!(
                    self.err,
                    "{}",
                    p.yellow("Registration cancelled: no HPR ID was created.")
                );
                ExitStatus::Interrupted
            }
            Stop::Quit(status) => status,
        }
    }

    fn steps(&mut self) -> Flow<()> {
        self.aadhaar = Some(self.ask_aadhaar()?);
        let mut phase = Phase::SendAadhaarOtp;
        loop {
            phase = match phase {
                Phase::SendAadhaarOtp => self.send_aadhaar_otp()?,
                Phase::AadhaarOtp => self.aadhaar_otp()?,
                Phase::CheckAccount => self.check_account()?,
                Phase::Mobile => self.mobile()?,
                Phase::MobileOtp => self.mobile_otp()?,
                Phase::ChooseId => self.choose_id()?,
                Phase::Details => self.details()?,
                Phase::Review => self.review()?,
                Phase::Create => self.create()?,
                Phase::Done => return Ok(()),
            };
        }
    }

    // -----------------------------------------------------------------------------------------
    // The phases

    fn ask_aadhaar(&mut self) -> Flow<Aadhaar> {
        let answer = self.ask(
            Ask::new("Aadhaar number")
                .help("12 digits, spaces allowed · shown masked (Ctrl+R to reveal while typing)")
                .echo(Echo::Masked)
                .check(check_aadhaar)
                .shown(shown_aadhaar),
        )?;
        Ok(Aadhaar::parse(&answer).expect("checked at the prompt"))
    }

    fn send_aadhaar_otp(&mut self) -> Flow<Phase> {
        let aadhaar = self.aadhaar.clone().expect("asked first");
        let input = StepInput::GenerateAadhaarOtp(GenerateAadhaarOtpInput {
            aadhaar: Some(aadhaar.expose().to_owned()),
        });
        if let Err(phase) = self.call(input, "Sending an OTP to your Aadhaar-linked mobile…")? {
            return Ok(phase);
        }
        let to = self.linked_mobile();
        self.ok(&format!(
            "OTP sent to the mobile linked with your Aadhaar ({to})"
        ));
        Ok(Phase::AadhaarOtp)
    }

    fn aadhaar_otp(&mut self) -> Flow<Phase> {
        let message = format!("Aadhaar OTP (sent to {})", self.linked_mobile());
        let answer = self.ask(
            Ask::new(&message)
                .help("6 digits · leave empty and press Enter to get a new OTP")
                .check(check_otp_or_empty)
                .shown(shown_otp),
        )?;
        if answer.trim().is_empty() {
            let aadhaar = self.aadhaar.clone().expect("asked first");
            let input = StepInput::GenerateAadhaarOtp(GenerateAadhaarOtpInput {
                aadhaar: Some(aadhaar.expose().to_owned()),
            });
            match self.try_send(input, "Sending a new OTP…")? {
                Ok(_) => self.ok("A new OTP is on its way."),
                // the OTP sent before is still valid
                Err(e) => self.fail(&e),
            }
            return Ok(Phase::AadhaarOtp);
        }
        let otp = Otp::parse(&answer).expect("checked at the prompt");
        let input = StepInput::VerifyAadhaarOtp(VerifyAadhaarOtpInput {
            otp: Some(otp.expose().to_owned()),
            ..Default::default()
        });
        if let Err(phase) = self.verify_otp(input, Phase::AadhaarOtp)? {
            return Ok(phase);
        }
        let name = self.full_name();
        self.ok(&format!("Aadhaar verified: {name}"));
        Ok(Phase::CheckAccount)
    }

    /// Too many wrong OTPs: the registry wants a fresh Aadhaar OTP.
    fn locked_out(&mut self) -> Flow<Phase> {
        self.note("Too many wrong OTPs: the registration has to start again from the Aadhaar OTP.");
        let options = ["Send a new Aadhaar OTP".to_owned(), "Quit".to_owned()];
        match self.choose("What now?", &options, None, 0)? {
            0 => Ok(Phase::SendAadhaarOtp),
            _ => Err(Stop::Cancelled),
        }
    }

    fn check_account(&mut self) -> Flow<Phase> {
        let input = StepInput::CheckAccountExist(CheckAccountExistInput::default());
        let outcome = match self.call(input, "Looking for an existing HPR account…")? {
            Ok(outcome) => outcome,
            Err(phase) => return Ok(phase),
        };
        if self.session.stage() != Stage::Completed {
            self.ok("No HPR account yet: let's create one.");
            return Ok(Phase::Mobile);
        }
        let result = self.session.result().expect("completed").clone();
        let category = [
            outcome.data["categoryName"].as_str(),
            outcome.data["categorySubName"].as_str(),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
        let mut rows = vec![
            ("HPR ID number", result.hpr_id_number),
            ("HPR ID", result.hpr_id),
        ];
        if !category.is_empty() {
            rows.push(("Category", category));
        }
        self.card(
            "Already registered",
            Some("An HPR ID already exists for this Aadhaar number."),
            &rows,
        );
        Ok(Phase::Done)
    }

    fn mobile(&mut self) -> Flow<Phase> {
        let tip = self.sandbox_tip();
        let help = tip.as_deref().unwrap_or(
            "10 digits, +91 allowed · your Aadhaar-linked mobile needs no extra OTP; any other number gets one",
        );
        let answer = self.ask(
            Ask::new("Mobile number for communication")
                .help(help)
                .check(check_mobile),
        )?;
        let mobile = Mobile::parse(&answer).expect("checked at the prompt");
        let input = StepInput::DemographicAuthViaMobile(DemographicAuthInput {
            mobile_number: Some(mobile.expose().to_owned()),
            ..Default::default()
        });
        if let Err(phase) = self.call(input, "Checking the mobile number…")? {
            return Ok(phase);
        }
        if self.session.stage() == Stage::MobileVerified {
            self.ok("That is your Aadhaar-linked mobile: no separate OTP needed.");
            return Ok(Phase::ChooseId);
        }
        self.note(&format!(
            "{} is not the mobile linked with your Aadhaar, so it needs its own OTP.",
            mobile.masked()
        ));
        self.send_mobile_otp(None)
    }

    fn send_mobile_otp(&mut self, mobile: Option<&Mobile>) -> Flow<Phase> {
        let input = StepInput::GenerateMobileOtp(GenerateMobileOtpInput {
            mobile: mobile.map(|m| m.expose().to_owned()),
            ..Default::default()
        });
        if let Err(phase) = self.call(input, "Sending an OTP to your mobile…")? {
            return Ok(phase);
        }
        let to = self
            .session
            .mobile()
            .map(Mobile::masked)
            .unwrap_or_default();
        self.ok(&format!("OTP sent to {to}"));
        Ok(Phase::MobileOtp)
    }

    fn mobile_otp(&mut self) -> Flow<Phase> {
        let to = self
            .session
            .mobile()
            .map(Mobile::masked)
            .unwrap_or_default();
        let message = format!("Mobile OTP (sent to {to})");
        let answer = self.ask(
            Ask::new(&message)
                .help(
                    "6 digits · leave empty and press Enter to get a new OTP or change the number",
                )
                .check(check_otp_or_empty)
                .shown(shown_mobile_otp),
        )?;
        if answer.trim().is_empty() {
            let options = [
                format!("Send a new OTP to {to}"),
                "Use a different mobile number".to_owned(),
                "Go back and type the OTP".to_owned(),
            ];
            match self.choose("No OTP?", &options, None, 0)? {
                0 => {
                    let input = StepInput::GenerateMobileOtp(GenerateMobileOtpInput::default());
                    match self.try_send(input, "Sending a new OTP…")? {
                        Ok(_) => self.ok("A new OTP is on its way."),
                        Err(e) => self.fail(&e),
                    }
                }
                1 => {
                    let answer = self.ask(
                        Ask::new("Mobile number for communication")
                            .help("10 digits, +91 allowed")
                            .check(check_mobile),
                    )?;
                    let mobile = Mobile::parse(&answer).expect("checked at the prompt");
                    return self.send_mobile_otp(Some(&mobile));
                }
                _ => {}
            }
            return Ok(Phase::MobileOtp);
        }
        let otp = Otp::parse(&answer).expect("checked at the prompt");
        let input = StepInput::VerifyMobileOtp(VerifyMobileOtpInput {
            otp: Some(otp.expose().to_owned()),
            ..Default::default()
        });
        if let Err(phase) = self.verify_otp(input, Phase::MobileOtp)? {
            return Ok(phase);
        }
        self.ok("Mobile number verified.");
        Ok(Phase::ChooseId)
    }

    fn choose_id(&mut self) -> Flow<Phase> {
        self.hpr_id = None;
        if self.session.stage() == Stage::MobileVerified || self.stale_suggestions {
            let input = StepInput::GetHprIdSuggestion(HprIdSuggestionInput::default());
            if let Err(phase) = self.call(input, "Finding available HPR IDs…")? {
                return Ok(phase);
            }
            self.stale_suggestions = false;
        }
        let suggestions: Vec<String> = self.session.suggestions().to_vec();
        let help = format!("↑↓ to move, Enter to choose · {HPR_DOMAIN} is added for you");
        loop {
            let own = if suggestions.is_empty() {
                true
            } else {
                let mut options = suggestions.clone();
                options.push("Type my own…".to_owned());
                let chosen = self.choose("Choose your HPR ID", &options, Some(&help), 0)?;
                match suggestions.get(chosen).map(|s| HprId::parse(s)) {
                    Some(Ok(id)) => {
                        self.hpr_id = Some(id);
                        break;
                    }
                    Some(Err(e)) => {
                        self.note(&format!(
                            "That suggestion cannot be used: the HPR ID {}. Pick another.",
                            e.message
                        ));
                        false
                    }
                    None => true,
                }
            };
            if own {
                let back = if suggestions.is_empty() {
                    "4-50 letters, digits, '.' or '_'"
                } else {
                    "4-50 letters, digits, '.' or '_' · Esc to go back to the list"
                };
                let answer = self.ask_or_back(
                    Ask::new("Your HPR ID")
                        .help(back)
                        .check(check_hpr_id)
                        .shown(shown_hpr_id),
                )?;
                if let Some(answer) = answer {
                    self.hpr_id = Some(HprId::parse(&answer).expect("checked at the prompt"));
                    break;
                }
            }
        }
        Ok(Phase::Details)
    }

    fn details(&mut self) -> Flow<Phase> {
        if self.password.is_none() {
            let answer = self.ask(
                Ask::new("Password for your HPR account")
                    .help("8+ characters with an upper-case letter, a lower-case letter, a digit and a special character")
                    .echo(Echo::Hidden)
                    .check(check_password)
                    .confirm("Type the password again"),
            )?;
            self.password = Some(Password::parse(&answer).expect("checked at the prompt"));
        }
        if self.email.is_none() {
            let answer = self.ask(Ask::new("E-mail address").check(check_email))?;
            self.email = Some(Email::parse(&answer).expect("checked at the prompt"));
        }
        if self.category.is_none() {
            let names: Vec<String> = CATEGORIES.iter().map(|c| c.name.to_owned()).collect();
            let cat = self.choose("Professional category", &names, None, 0)?;
            let subs = CATEGORIES[cat].sub_categories;
            let sub = if subs.len() == 1 {
                0
            } else {
                let names: Vec<String> = subs.iter().map(|s| s.name.to_owned()).collect();
                let message = format!("{} sub-category", CATEGORIES[cat].name);
                self.choose(&message, &names, None, 0)?
            };
            self.category = Some((cat, sub));
        }
        self.fill_missing()?;
        Ok(Phase::Review)
    }

    /// Asks for the demographics the e-KYC did not give (e.g. a last name), until the create
    /// request validates locally.
    fn fill_missing(&mut self) -> Flow<()> {
        loop {
            let input = StepInput::CreateHprIdWithPreverified(Box::new(self.create_input()));
            let report = match self.session.prepare(input) {
                Ok(_) => return Ok(()),
                Err(Error::Validation(report)) => report,
                Err(e) => {
                    self.fail(&e);
                    return Err(Stop::Quit(report::classify(&e).1));
                }
            };
            let mut asked = BTreeSet::new();
            for problem in report.errors() {
                let Some(question) = Question::for_field(&problem.field) else {
                    let e = Error::Validation(report.clone());
                    self.fail(&e);
                    return Err(Stop::Quit(report::classify(&e).1));
                };
                if !asked.insert(question.label) {
                    continue;
                }
                self.note(&format!(
                    "{}: the registry needs it and your Aadhaar e-KYC did not provide a valid one.",
                    question.label
                ));
                let answer = self.ask(
                    Ask::new(question.label)
                        .help(question.help)
                        .check(question.check),
                )?;
                (question.set)(&mut self.typed, answer.trim());
            }
        }
    }

    fn review(&mut self) -> Flow<Phase> {
        let input = self.merged_input();
        let name = self.full_name();
        let dob = match (
            &input.day_of_birth,
            &input.month_of_birth,
            &input.year_of_birth,
        ) {
            (Some(d), Some(m), Some(y)) => format!("{d:0>2}-{m:0>2}-{y}"),
            _ => "-".to_owned(),
        };
        let address = match (&input.address, &input.pincode) {
            (Some(a), Some(p)) => format!("{a} {p}"),
            (Some(a), None) => a.clone(),
            _ => "-".to_owned(),
        };
        let place = place_name(
            input.state_code.as_deref().unwrap_or_default(),
            input.district_code.as_deref().unwrap_or_default(),
        );
        let rows = [
            ("Name", name),
            ("Date of birth", dob),
            ("Address", address),
            ("District", place),
            (
                "Mobile",
                self.session
                    .mobile()
                    .map(Mobile::masked)
                    .unwrap_or_default(),
            ),
            (
                "HPR ID",
                self.hpr_id.as_ref().map(HprId::full).unwrap_or_default(),
            ),
            (
                "E-mail",
                self.email
                    .as_ref()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            ("Category", self.category_label()),
            ("Password", "set (not shown)".to_owned()),
        ];
        let p = self.opts.paint_err;
        let _ = writeln!(self.err, "\n{}", p.bold("Please check your details"));
        for (label, value) in rows {
            let _ = writeln!(self.err, "  {}  {value}", p.dim(&format!("{label:<13}")));
        }
        let _ = writeln!(self.err);
        if self.yes_no("Create this HPR ID?", true)? {
            return Ok(Phase::Create);
        }
        let options = [
            "HPR ID".to_owned(),
            "Password".to_owned(),
            "E-mail address".to_owned(),
            "Category".to_owned(),
            "Nothing: create the HPR ID".to_owned(),
            "Quit without registering".to_owned(),
        ];
        Ok(
            match self.choose("What would you like to change?", &options, None, 0)? {
                0 => Phase::ChooseId,
                1 => {
                    self.password = None;
                    Phase::Details
                }
                2 => {
                    self.email = None;
                    Phase::Details
                }
                3 => {
                    self.category = None;
                    Phase::Details
                }
                4 => Phase::Create,
                _ => return Err(Stop::Cancelled),
            },
        )
    }

    fn create(&mut self) -> Flow<Phase> {
        let input = StepInput::CreateHprIdWithPreverified(Box::new(self.create_input()));
        let outcome = match self.send(input, "Creating your HPR ID…", TAKEN)? {
            Sent::Done(outcome) => outcome,
            Sent::Refused(e) => {
                self.fail(&e);
                self.note("That HPR ID is not available: please choose another.");
                self.stale_suggestions = true;
                return Ok(Phase::ChooseId);
            }
            Sent::Goto(phase) => return Ok(phase),
        };
        let result = self.session.result().expect("completed").clone();
        let name = outcome.data["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| self.full_name());
        let rows = [
            ("HPR ID number", result.hpr_id_number),
            ("HPR ID", result.hpr_id),
            ("Name", name),
            ("Category", self.category_label()),
        ];
        self.card("HPR ID created", None, &rows);
        Ok(Phase::Done)
    }

    // -----------------------------------------------------------------------------------------
    // Registry calls

    /// One call: validation and order check (local), the request (with a spinner, racing
    /// Ctrl-C), the session update. Fake SMS received meanwhile are shown afterwards.
    fn try_send(&mut self, input: StepInput, doing: &str) -> Flow<Result<StepOutcome, Error>> {
        let call = match self.session.prepare(input) {
            Ok(call) => call,
            Err(e) => return Ok(Err(e)),
        };
        let spinner = Spinner::start(doing, self.opts.spinner);
        let api = self.api;
        let interrupt = self.opts.interrupt;
        let answer = self.rt.block_on(async {
            tokio::select! {
                biased;
                () = interrupt.wait() => None,
                reply = call.send(api) => Some(reply),
            }
        });
        drop(spinner);
        match answer {
            None => Err(Stop::Interrupted),
            Some(Ok(reply)) => Ok(Ok(self.session.apply(&call, reply))),
            Some(Err(e)) => Ok(Err(e)),
        }
    }

    /// A call whose every failure ends in the retry menu: the outcome, or the phase the user
    /// chose to go to instead.
    fn call(&mut self, input: StepInput, doing: &str) -> Flow<Result<StepOutcome, Phase>> {
        match self.send(input, doing, &[])? {
            Sent::Done(outcome) => Ok(Ok(outcome)),
            Sent::Goto(phase) => Ok(Err(phase)),
            Sent::Refused(_) => unreachable!("no codes are handed back"),
        }
    }

    /// A call whose failures (except `codes`, returned to the caller) end in the retry menu.
    fn send(&mut self, input: StepInput, doing: &str, codes: &[&str]) -> Flow<Sent> {
        loop {
            match self.try_send(input.clone(), doing)? {
                Ok(outcome) => return Ok(Sent::Done(outcome)),
                Err(e) if has_code(&e, codes) => return Ok(Sent::Refused(e)),
                Err(e) => match self.after_error(&e)? {
                    AfterError::Retry => {}
                    AfterError::Goto(phase) => return Ok(Sent::Goto(phase)),
                },
            }
        }
    }

    /// Sends an OTP verification (Aadhaar or mobile): `Ok(())` once verified, or the phase to go
    /// to instead: `again` after a wrong or expired OTP, the lockout menu's choice after too many,
    /// or the retry menu's choice after any other failure.
    fn verify_otp(&mut self, input: StepInput, again: Phase) -> Flow<Result<(), Phase>> {
        let codes = [WRONG_OTP, LOCKED].concat();
        match self.send(input, "Verifying the OTP…", &codes)? {
            Sent::Done(_) => Ok(Ok(())),
            Sent::Refused(e) if has_code(&e, LOCKED) => {
                self.fail(&e);
                self.locked_out().map(Err)
            }
            Sent::Refused(e) => {
                self.fail(&e);
                Ok(Err(again))
            }
            Sent::Goto(phase) => Ok(Err(phase)),
        }
    }

    /// Shows `e` and asks what to do.
    fn after_error(&mut self, e: &Error) -> Flow<AfterError> {
        self.fail(e);
        let first = self.session.stage() == Stage::Start;
        let options = [
            "Try again".to_owned(),
            if first {
                "Enter a different Aadhaar number".to_owned()
            } else {
                "Start over from the Aadhaar OTP".to_owned()
            },
            "Quit".to_owned(),
        ];
        match self.choose("What now?", &options, None, 0)? {
            0 => Ok(AfterError::Retry),
            1 => {
                if first {
                    self.aadhaar = Some(self.ask_aadhaar()?);
                }
                Ok(AfterError::Goto(Phase::SendAadhaarOtp))
            }
            _ => Err(Stop::Quit(report::classify(e).1)),
        }
    }

    /// Embedded sandbox only: prints the fake SMS received so far (called before each prompt,
    /// so an OTP shows up after the message saying it was sent).
    fn show_sms(&mut self) {
        let Some(embedded) = self.opts.embedded.as_mut() else {
            return;
        };
        let mut lines = Vec::new();
        loop {
            match embedded.sms.try_recv() {
                Ok(sms) => lines.push(format!("📱 SMS to {}: OTP {}", sms.to, sms.otp)),
                Err(TryRecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
        let p = self.opts.paint_err;
        for line in lines {
            let _ = writeln!(self.err, "{}", p.cyan(&line));
        }
    }

    // -----------------------------------------------------------------------------------------
    // Prompts (Esc asks whether to quit; Ctrl-C stops)

    fn ask(&mut self, ask: Ask<'_>) -> Flow<String> {
        self.show_sms();
        loop {
            match self.prompter.input(ask) {
                Ok(answer) => return Ok(answer),
                Err(PromptError::Cancelled) => self.confirm_quit()?,
                Err(e) => return Err(self.prompt_failed(e)),
            }
        }
    }

    /// Like [`ask`](Self::ask), but Esc means "go back" (`None`).
    fn ask_or_back(&mut self, ask: Ask<'_>) -> Flow<Option<String>> {
        self.show_sms();
        match self.prompter.input(ask) {
            Ok(answer) => Ok(Some(answer)),
            Err(PromptError::Cancelled) => Ok(None),
            Err(e) => Err(self.prompt_failed(e)),
        }
    }

    fn choose(
        &mut self,
        message: &str,
        options: &[String],
        help: Option<&str>,
        start: usize,
    ) -> Flow<usize> {
        self.show_sms();
        loop {
            match self.prompter.select(message, options, help, start) {
                Ok(index) => return Ok(index),
                Err(PromptError::Cancelled) => self.confirm_quit()?,
                Err(e) => return Err(self.prompt_failed(e)),
            }
        }
    }

    fn yes_no(&mut self, message: &str, default: bool) -> Flow<bool> {
        self.show_sms();
        loop {
            match self.prompter.confirm(message, default) {
                Ok(answer) => return Ok(answer),
                Err(PromptError::Cancelled) => self.confirm_quit()?,
                Err(e) => return Err(self.prompt_failed(e)),
            }
        }
    }

    /// After Esc: `Ok` to carry on, `Err(Cancelled)` to quit.
    fn confirm_quit(&mut self) -> Flow<()> {
        match self
            .prompter
            .confirm("Quit the registration? No HPR ID will be created.", false)
        {
            Ok(true) => Err(Stop::Cancelled),
            Ok(false) | Err(PromptError::Cancelled) => Ok(()),
            Err(e) => Err(self.prompt_failed(e)),
        }
    }

    fn prompt_failed(&mut self, e: PromptError) -> Stop {
        match e {
            PromptError::Interrupted => Stop::Interrupted,
            PromptError::Cancelled => Stop::Cancelled,
            PromptError::Failed(message) => {
                let _ = writeln!(self.err, "error: cannot prompt: {message}");
                Stop::Quit(ExitStatus::Failure)
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Output

    fn ok(&mut self, message: &str) {
        let p = self.opts.paint_err;
        let _ = writeln!(self.err, "{} {message}", p.green("✔"));
    }

    fn note(&mut self, message: &str) {
        let p = self.opts.paint_err;
        let _ = writeln!(self.err, "{} {message}", p.yellow("!"));
    }

    fn fail(&mut self, e: &Error) {
        let p = self.opts.paint_err;
        // the registry's own words; the step id prefix only helps scripts and logs
        let message = match e {
            Error::Api { error, .. } => error.to_string(),
            other => other.to_string(),
        };
        let _ = writeln!(self.err, "{} {}", p.red("✗"), p.red(&message));
    }

    /// A summary card on stdout.
    fn card(&mut self, title: &str, intro: Option<&str>, rows: &[(&str, String)]) {
        let p = self.opts.paint_out;
        let rule = "─".repeat(44usize.saturating_sub(title.chars().count()));
        let _ = writeln!(self.out);
        let _ = writeln!(self.out, "╭─ {} {rule}", p.bold(title));
        if let Some(intro) = intro {
            let _ = writeln!(self.out, "│ {intro}");
        }
        for (label, value) in rows {
            let _ = writeln!(
                self.out,
                "│ {}  {}",
                p.dim(&format!("{label:<13}")),
                p.bold(value)
            );
        }
        let _ = writeln!(self.out, "╰{}", "─".repeat(47));
        let _ = self.out.flush();
    }

    // -----------------------------------------------------------------------------------------
    // Data

    /// The masked Aadhaar-linked mobile, as the registry sent it.
    fn linked_mobile(&self) -> String {
        self.session
            .linked_mobile()
            .unwrap_or("your Aadhaar-linked mobile")
            .to_owned()
    }

    /// Embedded sandbox only: the fake identity's linked mobile, as a tip.
    fn sandbox_tip(&self) -> Option<String> {
        let embedded = self.opts.embedded.as_ref()?;
        let identity = embedded.sandbox.identity(self.aadhaar.as_ref()?.expose())?;
        Some(format!(
            "Sandbox tip: this fake identity's Aadhaar-linked mobile is {}; any other number gets its own OTP",
            identity.mobile
        ))
    }

    /// What the user chose, plus the demographics they typed.
    fn create_input(&self) -> CreateHprIdInput {
        let (cat, sub) = self.category.unwrap_or_default();
        CreateHprIdInput {
            hpr_id: self.hpr_id.as_ref().map(|id| id.as_str().to_owned()),
            password: self.password.as_ref().map(|p| p.expose().to_owned()),
            email: self.email.as_ref().map(|e| e.as_str().to_owned()),
            hp_category_code: self.category.map(|_| CATEGORIES[cat].code.to_owned()),
            hp_sub_category_code: self
                .category
                .map(|_| CATEGORIES[cat].sub_categories[sub].code.to_owned()),
            ..self.typed.clone()
        }
    }

    /// [`create_input`](Self::create_input) over the session's prefill: what will be sent.
    fn merged_input(&self) -> CreateHprIdInput {
        let typed = self.create_input();
        let known = self.session.prefill();
        let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
        CreateHprIdInput {
            address: pick(&typed.address, &known.address),
            day_of_birth: pick(&typed.day_of_birth, &known.day_of_birth),
            month_of_birth: pick(&typed.month_of_birth, &known.month_of_birth),
            year_of_birth: pick(&typed.year_of_birth, &known.year_of_birth),
            first_name: pick(&typed.first_name, &known.first_name),
            middle_name: pick(&typed.middle_name, &known.middle_name),
            last_name: pick(&typed.last_name, &known.last_name),
            pincode: pick(&typed.pincode, &known.pincode),
            state_code: pick(&typed.state_code, &known.state_code),
            district_code: pick(&typed.district_code, &known.district_code),
            ..typed
        }
    }

    fn full_name(&self) -> String {
        let input = self.merged_input();
        [input.first_name, input.middle_name, input.last_name]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn category_label(&self) -> String {
        match self.category {
            Some((cat, sub)) if CATEGORIES[cat].sub_categories.len() > 1 => {
                format!(
                    "{} · {}",
                    CATEGORIES[cat].name, CATEGORIES[cat].sub_categories[sub].name
                )
            }
            Some((cat, _)) => CATEGORIES[cat].name.to_owned(),
            None => "-".to_owned(),
        }
    }
}

/// `true` if the registry refused with one of `codes`.
fn has_code(e: &Error, codes: &[&str]) -> bool {
    e.api_code().is_some_and(|code| codes.contains(&code))
}

/// "Ghaziabad, Uttar Pradesh" when the codes are known, else the codes.
fn place_name(state: &str, district: &str) -> String {
    match (geo::state(state), geo::district(state, district)) {
        (Some(s), Some(d)) => format!("{}, {}", d.name, s.name),
        (Some(s), None) => format!("district {district}, {}", s.name),
        _ => format!("district {district}, state {state}"),
    }
}

mod checks;
#[cfg(test)]
mod tests;
