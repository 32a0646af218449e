//! Asking for a step's fields from the engine's descriptors ([`FieldDescriptor`]) and letting the
//! engine judge the answers.
//!
//! The wizard knows no field rules: the kind says how to ask (secrets masked or hidden, choices
//! as lists, booleans as yes/no, the rest as text starting from the prefilled value), and
//! [`RegistrationSession::prepare_json`](abdm_hpr::flow::RegistrationSession::prepare_json)
//! says which answers are wrong, by wire name, in words that never quote the value.

use std::collections::BTreeSet;

use abdm_hpr::Error;
use abdm_hpr::flow::{FieldDescriptor, FieldKind, PayloadHint, Step};
use abdm_hpr::types::{HPR_DOMAIN, ValidationErrors, mask};
use serde_json::{Map, Value};

use super::{Flow, Stop, Wizard};
use crate::prompt::{Ask, Echo, Prompter};
use crate::report;

/// What the user typed for the step being prepared, by wire name, and which fields must be asked
/// again even though the session has a value for them.
///
/// Holds secrets (the Aadhaar number, OTPs, the password): it is never printed or logged.
#[derive(Default)]
pub(super) struct Answers {
    values: Map<String, Value>,
    reask: BTreeSet<String>,
}

impl Answers {
    /// The typed answer, or else what the session will send.
    pub fn effective<'h>(&'h self, field: &'h FieldDescriptor) -> Option<&'h Value> {
        self.values.get(&field.name).or(field.value.as_ref())
    }

    pub fn set(&mut self, name: &str, value: Value) {
        self.reask.remove(name);
        self.values.insert(name.to_owned(), value);
    }

    /// Forgets the answer for `name` and makes sure it is asked again (even when prefilled).
    pub fn ask_again(&mut self, name: &str) {
        self.values.remove(name);
        self.reask.insert(name.to_owned());
    }

    /// Forgets everything (a new step, a new Aadhaar number).
    pub fn clear(&mut self) {
        self.values.clear();
        self.reask.clear();
    }

    /// The payload to send: only what was typed (the session adds what it knows).
    pub fn payload(&self) -> Value {
        Value::Object(self.values.clone())
    }

    fn needs(&self, field: &FieldDescriptor) -> bool {
        self.reask.contains(&field.name)
            || (field.is_missing() && !self.values.contains_key(&field.name))
    }
}

/// A string value as typed or prefilled (booleans and numbers as their JSON text).
pub(super) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How a field's value shows in the review; secrets never do.
pub(super) fn display(field: &FieldDescriptor, value: &Value, parent: Option<&str>) -> String {
    if field.secret {
        return "set (not shown)".to_owned();
    }
    let text = text_of(value);
    if let Some(choice) = field
        .choices_for(parent)
        .into_iter()
        .find(|c| c.value == text.trim())
    {
        return choice.label.clone();
    }
    match field.kind {
        FieldKind::Aadhaar => mask::last4(&text),
        FieldKind::HprId => {
            let user = text.trim();
            let user = user.strip_suffix(HPR_DOMAIN).unwrap_or(user);
            format!("{user}{HPR_DOMAIN}")
        }
        _ => text,
    }
}

/// How an answer stays on screen after a masked Aadhaar prompt: the last 4 digits only.
fn shown_aadhaar(answer: &str) -> String {
    let digits: String = answer.chars().filter(char::is_ascii_digit).collect();
    mask::last4(&digits)
}

fn shown_secret(_: &str) -> String {
    "******".to_owned()
}

/// How a field is echoed while typed.
fn echo(field: &FieldDescriptor) -> Echo {
    match field.kind {
        FieldKind::Password => Echo::Hidden,
        _ if field.secret => Echo::Masked,
        FieldKind::Aadhaar => Echo::Masked,
        _ => Echo::Visible,
    }
}

impl<P: Prompter> Wizard<'_, P> {
    /// Asks every field of `hint` the user still has to supply, then lets the engine validate
    /// the whole payload for `step`; only the fields it refuses are asked again, with its
    /// message. Returns the payload, valid for `step` now.
    ///
    /// `help` replaces a field's help text (e.g. the sandbox tip for the mobile number).
    pub(super) fn complete(
        &mut self,
        step: Step,
        hint: &PayloadHint,
        help: &[(&str, String)],
    ) -> Flow<Value> {
        loop {
            for field in &hint.fields {
                if !self.answers.needs(field) {
                    continue;
                }
                let help = help
                    .iter()
                    .find(|(name, _)| *name == field.name)
                    .map(|(_, h)| h.as_str());
                let answer = self.ask_field(field, hint, None, help)?;
                self.answers.set(&field.name, answer);
            }
            match self.refused_fields(step, hint)? {
                None => return Ok(self.answers.payload()),
                Some(refused) => {
                    for name in refused {
                        self.answers.ask_again(&name);
                    }
                }
            }
        }
    }

    /// Validates the answers for `step` with the engine: `None` if they pass, else the refused
    /// fields (each refusal shown). A problem no question can fix ends the wizard.
    pub(super) fn refused_fields(
        &mut self,
        step: Step,
        hint: &PayloadHint,
    ) -> Flow<Option<Vec<String>>> {
        let report: ValidationErrors = match self.session.prepare_json(
            step,
            self.answers.payload(),
            abdm_hpr::types::today_in_india(),
        ) {
            Ok(_) => return Ok(None),
            Err(Error::Validation(report)) => report,
            Err(e) => {
                self.fail(&e);
                return Err(Stop::Quit(report::classify(&e)));
            }
        };
        let mut refused = Vec::new();
        for problem in report.errors() {
            let Some(field) = hint.field(&problem.field) else {
                let e = Error::Validation(report.clone());
                self.fail(&e);
                return Err(Stop::Quit(report::classify(&e)));
            };
            self.refused(&format!("{} {}", field.label, problem.message));
            if !refused.contains(&field.name) {
                refused.push(field.name.clone());
            }
        }
        Ok(Some(refused))
    }

    /// Asks for one field as its kind says. `message` and `help` replace the descriptor's label
    /// and help text.
    pub(super) fn ask_field(
        &mut self,
        field: &FieldDescriptor,
        hint: &PayloadHint,
        message: Option<&str>,
        help: Option<&str>,
    ) -> Flow<Value> {
        let message = message.unwrap_or(&field.label).to_owned();
        let help = help.unwrap_or(&field.help).to_owned();
        let current = self.answers.effective(field).map(text_of);
        match field.kind {
            FieldKind::Boolean => {
                let default = current.as_deref() != Some("false");
                Ok(Value::Bool(self.yes_no(&message, default)?))
            }
            FieldKind::Choice => self.ask_choice(field, hint, &message, &help),
            FieldKind::HprId if !field.choices.is_empty() => self.ask_suggested(field, &help),
            _ => {
                let echo = echo(field);
                let help = match echo {
                    Echo::Masked => format!("{help} · shown masked (Ctrl+R reveals it)"),
                    _ => help,
                };
                let mut ask = Ask::new(&message).help(&help).echo(echo);
                ask = match (field.kind, echo) {
                    (FieldKind::Aadhaar, _) => ask.shown(shown_aadhaar),
                    (_, Echo::Hidden) => ask.confirm("Type the password again"),
                    (_, Echo::Masked) => ask.shown(shown_secret),
                    (_, Echo::Visible) => match current.as_deref() {
                        Some(value) => ask.initial(value),
                        None => ask,
                    },
                };
                Ok(Value::String(self.ask(ask)?))
            }
        }
    }

    /// A choice: a list of the options that apply (sub-categories of the chosen category); a
    /// single option is taken without asking.
    fn ask_choice(
        &mut self,
        field: &FieldDescriptor,
        hint: &PayloadHint,
        message: &str,
        help: &str,
    ) -> Flow<Value> {
        let parent = field.parent_field.as_deref().and_then(|name| {
            let parent = hint.field(name)?;
            let value = self.answers.effective(parent).map(text_of)?;
            let label = display(parent, &Value::String(value.clone()), None);
            Some((value, label))
        });
        let choices = field.choices_for(parent.as_ref().map(|(v, _)| v.as_str()));
        match choices.as_slice() {
            [] => {
                // no listed option applies: the engine accepts any well-formed code
                let ask = Ask::new(message).help(help);
                Ok(Value::String(self.ask(ask)?))
            }
            [only] => Ok(Value::String(only.value.clone())),
            _ => {
                let labels: Vec<String> = choices.iter().map(|c| c.label.clone()).collect();
                let message = match &parent {
                    Some((_, parent_label)) => format!("{message} ({parent_label})"),
                    None => message.to_owned(),
                };
                let current = self.answers.effective(field).map(text_of);
                let start = choices
                    .iter()
                    .position(|c| Some(&c.value) == current.as_ref())
                    .unwrap_or(0);
                let index = self.choose(&message, &labels, Some(help), start)?;
                Ok(Value::String(choices[index].value.clone()))
            }
        }
    }

    /// An HPR ID: one of the suggestions, or the user's own.
    fn ask_suggested(&mut self, field: &FieldDescriptor, help: &str) -> Flow<Value> {
        let mut options: Vec<String> = field.choices.iter().map(|c| c.label.clone()).collect();
        options.push("Type my own…".to_owned());
        let list_help = format!("↑↓ to move, Enter to choose · {HPR_DOMAIN} is added for you");
        loop {
            let chosen = self.choose(
                &format!("Choose your {}", field.label),
                &options,
                Some(&list_help),
                0,
            )?;
            if let Some(choice) = field.choices.get(chosen) {
                return Ok(Value::String(choice.value.clone()));
            }
            let help = format!("{help} · Esc to go back to the list");
            let message = format!("Your {}", field.label);
            if let Some(answer) = self.ask_or_back(Ask::new(&message).help(&help))? {
                return Ok(Value::String(answer));
            }
        }
    }
}
