//! The `hpr register` wizard: asks for one thing at a time, drives a [`RegistrationSession`] and
//! shows the outcome.
//!
//! The engine decides everything about the registration: the session says which step comes next
//! ([`RegistrationSession::next_step`]), its hint says what to ask
//! ([`PayloadHint::fields`](abdm_hpr::flow::PayloadHint)), and the engine validates the answers
//! ([`form`]). The wizard only renders that, handles the moments a person needs help with (a
//! wrong OTP, a lockout, a taken HPR ID, a review before creating) and shows the result.
//!
//! Prompts run on the calling thread through a [`Prompter`]; each registry call is driven to
//! completion with [`Handle::block_on`] (racing Ctrl-C), so no prompt ever runs inside an async
//! task.
//!
//! ```text
//! Aadhaar → Aadhaar OTP ─→ account check ─ exists → card, exit 0
//!   ↑ lockout ─┘                 └ new → mobile → (not the linked one → mobile OTP)
//!                                      → suggestions → the create fields → review → create → card
//!                                           ↑ taken ──────────────────────────────────┘
//! ```
//!
//! Output: prompts, progress, fake SMS (embedded sandbox only) and messages on stderr; the final
//! card on stdout. Nothing printed contains an OTP typed by the user, the password, a token or
//! the full Aadhaar number.

use std::io::Write;
use std::sync::Arc;

use abdm_hpr::categories;
use abdm_hpr::flow::{
    FieldDescriptor, MemoryStore, PayloadHint, RegistrationService, RegistrationSession, Stage,
    Step, StepOutcome, SystemClock,
};
use abdm_hpr::types::Mobile;
use abdm_hpr::{Error, RegistryBackend};
use hpr_sandbox::{Sandbox, Sms};
use serde_json::{Value, json};
use tokio::runtime::Handle;
use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::exit::ExitStatus;
use crate::prompt::{Ask, PromptError, Prompter};
use crate::report;
use crate::spinner::Spinner;
use crate::term::Paint;
use form::{Answers, display, text_of};

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

/// The first line of every result card on the embedded sandbox.
pub const SANDBOX_CARD: &str = "SANDBOX — not a real HPR ID";

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

/// Fields the session manages that a person never needs to see or change here: the transaction
/// id, and a photo (base64 text is not typed at a terminal).
const NOT_SHOWN: &[&str] = &["txnId", "profilePhoto"];

/// The result of a registry call the caller wants to handle in part.
enum Sent {
    /// Success.
    Done(StepOutcome),
    /// Refused with one of the codes the caller handles.
    Refused(Error),
    /// The user chose to start over after an error; the session (or the wizard) moved on.
    Moved,
}

/// The wizard. Build it with [`Wizard::new`] and call [`Wizard::run`] once.
pub struct Wizard<'a, P> {
    /// Every step goes through the engine's service (the in-memory store holds this one
    /// registration), as `hpr step` and `hpr serve` do.
    service: RegistrationService,
    rt: Handle,
    prompter: &'a mut P,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    opts: Options,
    session: RegistrationSession,
    /// What the user typed for the step being prepared (kept across a refused create, so only
    /// the HPR ID is asked again).
    answers: Answers,
    /// The Aadhaar number as typed, to resend the Aadhaar OTP or start over.
    aadhaar: Option<String>,
}

/// The id of the wizard's one registration in its in-memory store.
const REGISTRATION: &str = "wizard";

impl<'a, P: Prompter> Wizard<'a, P> {
    /// A wizard registering through `backend` on the runtime `rt`.
    pub fn new(
        backend: Arc<dyn RegistryBackend>,
        rt: Handle,
        prompter: &'a mut P,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
        opts: Options,
    ) -> Self {
        Self {
            service: RegistrationService::new(
                backend,
                Arc::new(MemoryStore::new()),
                Arc::new(SystemClock),
            ),
            rt,
            prompter,
            out,
            err,
            opts,
            session: RegistrationSession::new(),
            answers: Answers::default(),
            aadhaar: None,
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

    /// Runs the step the session recommends until the registration is complete.
    fn steps(&mut self) -> Flow<()> {
        while let Some(step) = self.session.next_step() {
            match step {
                Step::GenerateAadhaarOtp => self.start()?,
                Step::VerifyAadhaarOtp | Step::VerifyMobileOtp => self.verify_otp(step)?,
                Step::CheckAccountExist => self.check_account()?,
                Step::DemographicAuthViaMobile => self.mobile()?,
                Step::GenerateMobileOtp => self.send_mobile_otp()?,
                Step::GetHprIdSuggestion => self.suggestions()?,
                Step::CreateHprIdWithPreverified => self.create()?,
            }
        }
        Ok(())
    }

    /// The hint for the recommended step (there is one until the registration is complete).
    fn hint(&self) -> Flow<PayloadHint> {
        self.session.hint().ok_or(Stop::Quit(ExitStatus::Failure))
    }

    // -----------------------------------------------------------------------------------------
    // The steps

    fn start(&mut self) -> Flow<()> {
        let hint = self.hint()?;
        let payload = self.complete(Step::GenerateAadhaarOtp, &hint, &[])?;
        self.aadhaar = payload["aadhaar"].as_str().map(str::to_owned);
        self.answers.clear();
        let doing = "Sending an OTP to your Aadhaar-linked mobile…";
        if let Sent::Done(_) = self.send(Step::GenerateAadhaarOtp, payload, doing, &[])? {
            let to = self.linked_mobile();
            self.ok(&format!(
                "OTP sent to the mobile linked with your Aadhaar ({to})"
            ));
        }
        Ok(())
    }

    /// Starts over from a new Aadhaar OTP (after a lockout or at the user's request).
    fn restart(&mut self) -> Flow<()> {
        self.answers.clear();
        let payload = json!({ "aadhaar": self.aadhaar });
        let doing = "Sending a new OTP to your Aadhaar-linked mobile…";
        if let Sent::Done(_) = self.send(Step::GenerateAadhaarOtp, payload, doing, &[])? {
            let to = self.linked_mobile();
            self.ok(&format!(
                "OTP sent to the mobile linked with your Aadhaar ({to})"
            ));
        }
        Ok(())
    }

    /// Either OTP: an empty answer asks for a new one; a wrong one is asked again, with the
    /// registry's message; too many wrong ones offer to start over.
    fn verify_otp(&mut self, step: Step) -> Flow<()> {
        let hint = self.hint()?;
        let aadhaar_step = step == Step::VerifyAadhaarOtp;
        let to = if aadhaar_step {
            self.linked_mobile()
        } else {
            self.session
                .mobile()
                .map(Mobile::masked)
                .unwrap_or_default()
        };
        let Some(field) = hint.field("otp") else {
            return Err(Stop::Quit(ExitStatus::Failure));
        };
        let message = format!("{} (sent to {to})", field.label);
        let help = if aadhaar_step {
            "6 digits · leave empty and press Enter to get a new OTP"
        } else {
            "6 digits · leave empty and press Enter to get a new OTP or change the number"
        };
        let answer = self.ask_field(field, &hint, Some(&message), Some(help))?;
        if text_of(&answer).trim().is_empty() {
            return if aadhaar_step {
                self.resend_aadhaar_otp()
            } else {
                self.no_mobile_otp(&to)
            };
        }
        self.answers.clear();
        self.answers.set("otp", answer);
        if self.refused_fields(step, &hint)?.is_some() {
            return Ok(());
        }
        let payload = self.answers.payload();
        self.answers.clear();
        let codes = [WRONG_OTP, LOCKED].concat();
        match self.send(step, payload, "Verifying the OTP…", &codes)? {
            Sent::Done(_) if aadhaar_step => {
                let name = self.full_name(None);
                self.ok(&format!("Aadhaar verified: {name}"));
            }
            Sent::Done(_) => self.ok("Mobile number verified."),
            Sent::Refused(e) if has_code(&e, LOCKED) => {
                self.fail(&e);
                self.locked_out()?;
            }
            // asked again on the next turn
            Sent::Refused(e) => self.fail(&e),
            Sent::Moved => {}
        }
        Ok(())
    }

    fn resend_aadhaar_otp(&mut self) -> Flow<()> {
        let payload = json!({ "aadhaar": self.aadhaar });
        match self.try_send(Step::GenerateAadhaarOtp, payload, "Sending a new OTP…")? {
            Ok(_) => self.ok("A new OTP is on its way."),
            // the OTP sent before is still valid
            Err(e) => self.fail(&e),
        }
        Ok(())
    }

    /// An empty mobile OTP: a new OTP, another number, or back to typing it.
    fn no_mobile_otp(&mut self, to: &str) -> Flow<()> {
        let options = [
            format!("Send a new OTP to {to}"),
            "Use a different mobile number".to_owned(),
            "Go back and type the OTP".to_owned(),
        ];
        match self.choose("No OTP?", &options, None, 0)? {
            0 => {
                match self.try_send(Step::GenerateMobileOtp, json!({}), "Sending a new OTP…")? {
                    Ok(_) => self.ok("A new OTP is on its way."),
                    Err(e) => self.fail(&e),
                }
                Ok(())
            }
            1 => self.other_mobile(),
            _ => Ok(()),
        }
    }

    /// Sends the mobile OTP to a number typed now instead of the one given before.
    fn other_mobile(&mut self) -> Flow<()> {
        let Some(field) = abdm_hpr::flow::describe("mobile") else {
            return Err(Stop::Quit(ExitStatus::Failure));
        };
        let hint = PayloadHint {
            description: String::new(),
            required_fields: vec![field.name.clone()],
            source_of_data: Default::default(),
            prefilled: Vec::new(),
            optional_fields: Vec::new(),
            fields: vec![FieldDescriptor {
                required: true,
                ..field
            }],
        };
        self.answers.clear();
        let payload = self.complete(Step::GenerateMobileOtp, &hint, &[])?;
        self.answers.clear();
        if let Sent::Done(_) = self.send(
            Step::GenerateMobileOtp,
            payload,
            "Sending an OTP to your mobile…",
            &[],
        )? {
            self.mobile_otp_sent();
        }
        Ok(())
    }

    /// Too many wrong OTPs: the registry wants a fresh Aadhaar OTP.
    fn locked_out(&mut self) -> Flow<()> {
        self.note("Too many wrong OTPs: the registration has to start again from the Aadhaar OTP.");
        let options = ["Send a new Aadhaar OTP".to_owned(), "Quit".to_owned()];
        match self.choose("What now?", &options, None, 0)? {
            0 => self.restart(),
            _ => Err(Stop::Cancelled),
        }
    }

    fn check_account(&mut self) -> Flow<()> {
        let hint = self.hint()?;
        let payload = self.complete(Step::CheckAccountExist, &hint, &[])?;
        self.answers.clear();
        let doing = "Looking for an existing HPR account…";
        let Sent::Done(outcome) = self.send(Step::CheckAccountExist, payload, doing, &[])? else {
            return Ok(());
        };
        let Some(result) = self.session.result().cloned() else {
            self.ok("No HPR account yet: let's create one.");
            return Ok(());
        };
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
        if result.existing {
            self.card(
                "Already registered",
                Some("An HPR ID already exists for this Aadhaar number."),
                &rows,
            );
        } else {
            // the check that follows a create whose answer was lost: it did go through
            self.card(
                "HPR ID created",
                Some("The registry created it; only its first answer was lost."),
                &rows,
            );
        }
        Ok(())
    }

    fn mobile(&mut self) -> Flow<()> {
        let hint = self.hint()?;
        let tip: Vec<(&str, String)> = self
            .sandbox_tip()
            .map(|tip| ("mobileNumber", tip))
            .into_iter()
            .collect();
        let payload = self.complete(Step::DemographicAuthViaMobile, &hint, &tip)?;
        self.answers.clear();
        let doing = "Checking the mobile number…";
        if let Sent::Done(_) = self.send(Step::DemographicAuthViaMobile, payload, doing, &[])? {
            if self.session.stage() == Stage::MobileVerified {
                self.ok("That is your Aadhaar-linked mobile: no separate OTP needed.");
            } else {
                let masked = self
                    .session
                    .mobile()
                    .map(Mobile::masked)
                    .unwrap_or_default();
                self.note(&format!(
                    "{masked} is not the mobile linked with your Aadhaar, so it needs its own OTP."
                ));
            }
        }
        Ok(())
    }

    fn send_mobile_otp(&mut self) -> Flow<()> {
        let hint = self.hint()?;
        let payload = self.complete(Step::GenerateMobileOtp, &hint, &[])?;
        self.answers.clear();
        let doing = "Sending an OTP to your mobile…";
        if let Sent::Done(_) = self.send(Step::GenerateMobileOtp, payload, doing, &[])? {
            self.mobile_otp_sent();
        }
        Ok(())
    }

    fn mobile_otp_sent(&mut self) {
        let to = self
            .session
            .mobile()
            .map(Mobile::masked)
            .unwrap_or_default();
        self.ok(&format!("OTP sent to {to}"));
    }

    fn suggestions(&mut self) -> Flow<()> {
        let doing = "Finding available HPR IDs…";
        self.send(Step::GetHprIdSuggestion, json!({}), doing, &[])?;
        Ok(())
    }

    /// Asks what create still needs, shows a review (each answer can be changed), creates the
    /// HPR ID and shows the card. A taken HPR ID is asked again; the other answers are kept.
    fn create(&mut self) -> Flow<()> {
        let step = Step::CreateHprIdWithPreverified;
        let hint = self.hint()?;
        let mut payload = self.complete(step, &hint, &[])?;
        while !self.review(&hint)? {
            payload = self.complete(step, &hint, &[])?;
        }
        let outcome = match self.send(step, payload, "Creating your HPR ID…", TAKEN)? {
            Sent::Done(outcome) => outcome,
            Sent::Refused(e) => {
                self.fail(&e);
                self.note("That HPR ID is not available: please choose another.");
                self.answers.ask_again("hprId");
                // fresh suggestions; the old ones may include the taken one
                let doing = "Finding available HPR IDs…";
                if let Err(e) = self.try_send(Step::GetHprIdSuggestion, json!({}), doing)? {
                    self.fail(&e);
                }
                return Ok(());
            }
            Sent::Moved => return Ok(()),
        };
        let Some(result) = self.session.result().cloned() else {
            return Err(Stop::Quit(ExitStatus::Failure));
        };
        let name = outcome.data["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| self.full_name(Some(&hint)));
        let category = self.category_label(&hint);
        self.answers.clear();
        let rows = [
            ("HPR ID number", result.hpr_id_number),
            ("HPR ID", result.hpr_id),
            ("Name", name),
            ("Category", category),
        ];
        self.card("HPR ID created", None, &rows);
        Ok(())
    }

    /// Shows what will be sent; `true` to create, `false` after the user chose a field to change
    /// (it will be asked again).
    fn review(&mut self, hint: &PayloadHint) -> Flow<bool> {
        let mut rows: Vec<(String, String)> = Vec::new();
        let mut editable: Vec<&FieldDescriptor> = Vec::new();
        for field in &hint.fields {
            if NOT_SHOWN.contains(&field.name.as_str()) {
                continue;
            }
            let Some(value) = self.answers.effective(field) else {
                continue;
            };
            if text_of(value).trim().is_empty() {
                continue;
            }
            let parent = field
                .parent_field
                .as_deref()
                .and_then(|p| hint.field(p))
                .and_then(|p| self.answers.effective(p))
                .map(text_of);
            rows.push((
                field.label.clone(),
                display(field, value, parent.as_deref()),
            ));
            editable.push(field);
        }
        if let Some(mobile) = self.session.mobile() {
            rows.push(("Mobile".to_owned(), mobile.masked()));
        }
        let width = rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let p = self.opts.paint_err;
        let _ = writeln!(self.err, "\n{}", p.bold("Please check your details"));
        for (label, value) in &rows {
            let _ = writeln!(
                self.err,
                "  {}  {value}",
                p.dim(&format!("{label:<width$}"))
            );
        }
        let _ = writeln!(self.err);
        if self.yes_no("Create this HPR ID?", true)? {
            return Ok(true);
        }
        let mut options: Vec<String> = editable.iter().map(|f| f.label.clone()).collect();
        options.push("Nothing: create the HPR ID".to_owned());
        options.push("Quit without registering".to_owned());
        let chosen = self.choose("What would you like to change?", &options, None, 0)?;
        let Some(field) = editable.get(chosen) else {
            return if chosen == editable.len() {
                Ok(true)
            } else {
                Err(Stop::Cancelled)
            };
        };
        self.answers.ask_again(&field.name);
        // a list filtered by this field (sub-categories of a category) must be chosen again
        for dependent in &hint.fields {
            if dependent.parent_field.as_deref() == Some(field.name.as_str()) {
                self.answers.ask_again(&dependent.name);
            }
        }
        Ok(false)
    }

    // -----------------------------------------------------------------------------------------
    // Registry calls

    /// The one place the wizard reaches the registry: runs `step` with `payload` through the
    /// engine's service, racing Ctrl-C (`None`), then takes the session as the service saved it
    /// (unchanged after a refusal; marked unconfirmed after a lost answer).
    fn call_registry(
        &mut self,
        step: Step,
        payload: Value,
    ) -> Option<abdm_hpr::Result<StepOutcome>> {
        let (service, interrupt) = (&self.service, self.opts.interrupt);
        let answer = self.rt.block_on(async move {
            let run = async {
                match service.get(REGISTRATION).await {
                    Ok(_) => service.step(REGISTRATION, step, payload, None).await,
                    Err(_) => service.start(REGISTRATION, payload).await,
                }
            };
            tokio::select! {
                biased;
                () = interrupt.wait() => None,
                outcome = run => Some(outcome.map(|(_, outcome)| outcome)),
            }
        });
        if let Ok(stored) = self.rt.block_on(self.service.get(REGISTRATION)) {
            self.session = stored.session;
        }
        answer
    }

    /// One call with a spinner. Fake SMS received meanwhile are shown before the next prompt.
    fn try_send(
        &mut self,
        step: Step,
        payload: Value,
        doing: &str,
    ) -> Flow<Result<StepOutcome, Error>> {
        let spinner = Spinner::start(doing, self.opts.spinner);
        let answer = self.call_registry(step, payload);
        drop(spinner);
        match answer {
            None => Err(Stop::Interrupted),
            Some(result) => Ok(result),
        }
    }

    /// A call whose failures (except `codes`, returned to the caller) end in the retry menu.
    fn send(&mut self, step: Step, payload: Value, doing: &str, codes: &[&str]) -> Flow<Sent> {
        loop {
            match self.try_send(step, payload.clone(), doing)? {
                Ok(outcome) => return Ok(Sent::Done(outcome)),
                Err(e) if has_code(&e, codes) => return Ok(Sent::Refused(e)),
                Err(e) => {
                    if !self.after_error(&e)? {
                        return Ok(Sent::Moved);
                    }
                }
            }
        }
    }

    /// Shows `e` and asks what to do: `true` to try again, `false` once the user chose to start
    /// over (done here).
    fn after_error(&mut self, e: &Error) -> Flow<bool> {
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
            0 => Ok(true),
            1 if first => {
                // the next turn asks for the Aadhaar number again
                self.answers.clear();
                self.aadhaar = None;
                Ok(false)
            }
            1 => {
                self.restart()?;
                Ok(false)
            }
            _ => Err(Stop::Quit(report::classify(e))),
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

    /// The engine refused an answer: it will be asked again.
    fn refused(&mut self, message: &str) {
        let p = self.opts.paint_err;
        let _ = writeln!(self.err, "{} {}", p.red("✗"), p.red(message));
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
        if e.is_unconfirmed() {
            let note = if e.operation() == Some(Step::CreateHprIdWithPreverified) {
                "The HPR ID may have been created anyway (unconfirmed): trying again first asks the registry, so it is never created twice."
            } else {
                "The registry may have done it anyway (unconfirmed), e.g. sent the OTP."
            };
            let _ = writeln!(self.err, "  {}", p.yellow(note));
        }
    }

    /// A summary card on stdout.
    fn card(&mut self, title: &str, intro: Option<&str>, rows: &[(&str, String)]) {
        let p = self.opts.paint_out;
        let rule = "─".repeat(44usize.saturating_sub(title.chars().count()));
        let _ = writeln!(self.out);
        let _ = writeln!(self.out, "╭─ {} {rule}", p.bold(title));
        if self.opts.embedded.is_some() {
            let _ = writeln!(self.out, "│ {}", p.bold(SANDBOX_CARD));
        }
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
        let digits: String = self
            .aadhaar
            .as_deref()?
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let identity = embedded.sandbox.identity(&digits)?;
        Some(format!(
            "Sandbox tip: this fake identity's Aadhaar-linked mobile is {}; any other number gets its own OTP",
            identity.mobile
        ))
    }

    /// The name as it will be sent: typed answers over the session's prefill.
    fn full_name(&self, hint: Option<&PayloadHint>) -> String {
        let prefill = self.session.prefill();
        let known = [
            ("firstName", &prefill.first_name),
            ("middleName", &prefill.middle_name),
            ("lastName", &prefill.last_name),
        ];
        known
            .into_iter()
            .filter_map(|(name, prefilled)| {
                let typed = hint
                    .and_then(|h| h.field(name))
                    .and_then(|f| self.answers.effective(f))
                    .map(text_of);
                typed.or_else(|| prefilled.clone())
            })
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// "Nurse · RN and RM" for the chosen codes (the codes themselves if unlisted).
    fn category_label(&self, hint: &PayloadHint) -> String {
        let code = |name: &str| {
            hint.field(name)
                .and_then(|f| self.answers.effective(f))
                .map(text_of)
                .unwrap_or_default()
        };
        let (cat, sub) = (code("hpCategoryCode"), code("hpSubCategoryCode"));
        categories::label(&cat, &sub).unwrap_or_else(|| format!("{cat} · {sub}"))
    }
}

/// `true` if the registry refused with one of `codes`.
fn has_code(e: &Error, codes: &[&str]) -> bool {
    e.api_code().is_some_and(|code| codes.contains(&code))
}

mod form;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
