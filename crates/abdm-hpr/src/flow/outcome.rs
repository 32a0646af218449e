//! What a step tells its caller: a message, the data, the next step and what it needs.
//!
//! The JSON shape is the peer's (`carestack` `create_hpr.py`), so UIs written against it keep
//! working: `{"message","data","next_step","next_step_payload_hint"}` — plus `prefilled` and
//! `optional_fields` inside the hint.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Step;

/// The result of one successful step.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// What happened and what comes next, in a sentence or two.
    pub message: String,
    /// The operation's response, with the contract's field names (suggestions: an array).
    pub data: serde_json::Value,
    /// The step to run next; `null` when the registration is complete.
    pub next_step: Option<Step>,
    /// What the next step needs; `null` when the registration is complete.
    pub next_step_payload_hint: Option<PayloadHint>,
}

impl fmt::Debug for StepOutcome {
    /// `data` holds personal data (KYC, tokens): only its size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepOutcome")
            .field("message", &self.message)
            .field(
                "data",
                &format_args!("<{} bytes of JSON>", self.data.to_string().len()),
            )
            .field("next_step", &self.next_step)
            .field("next_step_payload_hint", &self.next_step_payload_hint)
            .finish()
    }
}

/// What the caller must send with the next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadHint {
    /// A sentence describing the next step.
    pub description: String,
    /// Exactly the fields the caller must still supply.
    pub required_fields: Vec<String>,
    /// Where each field comes from (required, optional and prefilled ones).
    pub source_of_data: BTreeMap<String, String>,
    /// Fields the session already knows and sends unless overridden.
    pub prefilled: Vec<String>,
    /// Fields the caller may add.
    pub optional_fields: Vec<String>,
}

/// Builds a hint; fields are given as `(name, where it comes from)`.
pub(crate) struct HintBuilder {
    hint: PayloadHint,
}

impl HintBuilder {
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            hint: PayloadHint {
                description: description.into(),
                required_fields: Vec::new(),
                source_of_data: BTreeMap::new(),
                prefilled: Vec::new(),
                optional_fields: Vec::new(),
            },
        }
    }

    pub fn required(mut self, field: &str, source: impl Into<String>) -> Self {
        self.hint.required_fields.push(field.to_owned());
        self.hint
            .source_of_data
            .insert(field.to_owned(), source.into());
        self
    }

    pub fn prefilled(mut self, field: &str, source: impl Into<String>) -> Self {
        self.hint.prefilled.push(field.to_owned());
        self.hint
            .source_of_data
            .insert(field.to_owned(), source.into());
        self
    }

    pub fn optional(mut self, field: &str, source: impl Into<String>) -> Self {
        self.hint.optional_fields.push(field.to_owned());
        self.hint
            .source_of_data
            .insert(field.to_owned(), source.into());
        self
    }

    pub fn build(self) -> PayloadHint {
        self.hint
    }
}
