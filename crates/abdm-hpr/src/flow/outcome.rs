//! What a step tells its caller: a message, the data, the next step and what it needs.
//!
//! The JSON shape is the peer's (`carestack` `create_hpr.py`), so UIs written against it keep
//! working: `{"message","data","next_step","next_step_payload_hint"}` — plus `prefilled`,
//! `optional_fields` and the field descriptors (`fields`) inside the hint.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Step;
use super::fields::{Choice, FieldDescriptor, FieldKind, FieldRules, describe, never_echoed};
use serde_json::Value;

/// The result of one successful step.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepOutcome {
    /// What happened and what comes next, in a sentence or two.
    pub message: String,
    /// The operation's response, with the contract's field names (suggestions: an array).
    // free-form (any JSON value: an object for most steps, an array of suggestions)
    pub data: serde_json::Value,
    /// The step to run next; `null` when the registration is complete.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_step: Option<Step>,
    /// What the next step needs; `null` when the registration is complete.
    #[cfg_attr(feature = "openapi", schema(required = true))]
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
///
/// `required_fields`, `source_of_data`, `prefilled` and `optional_fields` keep the peer's shape;
/// `fields` describes every input of the step for rendering ([`FieldDescriptor`]).
/// `required_fields` is exactly the names of the `fields` that are required and have no value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// One descriptor per input the caller may send, in the order to ask them.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub fields: Vec<FieldDescriptor>,
}

impl PayloadHint {
    /// The descriptor of the field `name`, if the step takes it.
    pub fn field(&self, name: &str) -> Option<&FieldDescriptor> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Builds a hint; fields are given as `(name, where it comes from)`. Each call also adds the
/// field's descriptor from the catalog.
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
                fields: Vec::new(),
            },
        }
    }

    /// The caller must supply it.
    pub fn required(mut self, field: &str, source: impl Into<String>) -> Self {
        self.hint.required_fields.push(field.to_owned());
        self.describe(field, source, true, None)
    }

    /// The session sends `value` unless the caller overrides it; the step needs the field.
    pub fn prefilled(
        self,
        field: &str,
        source: impl Into<String>,
        value: impl Into<Value>,
    ) -> Self {
        self.prefilled_as(field, source, value.into(), true)
    }

    /// Like [`prefilled`](Self::prefilled) for a field the step could do without (a default or
    /// an optional field the session happens to know).
    pub fn prefilled_optional(
        self,
        field: &str,
        source: impl Into<String>,
        value: impl Into<Value>,
    ) -> Self {
        self.prefilled_as(field, source, value.into(), false)
    }

    fn prefilled_as(
        mut self,
        field: &str,
        source: impl Into<String>,
        value: Value,
        required: bool,
    ) -> Self {
        self.hint.prefilled.push(field.to_owned());
        self.describe(field, source, required, Some(value))
    }

    /// The caller may add it.
    pub fn optional(mut self, field: &str, source: impl Into<String>) -> Self {
        self.hint.optional_fields.push(field.to_owned());
        self.describe(field, source, false, None)
    }

    /// Overrides the label of the field added last (the same wire name can mean different
    /// things: `otp` is the Aadhaar OTP in one step and the mobile OTP in another).
    pub fn label(mut self, label: &str) -> Self {
        if let Some(last) = self.hint.fields.last_mut() {
            last.label = label.to_owned();
        }
        self
    }

    /// Replaces the choices of the field added last (e.g. the HPR ID suggestions).
    pub fn choices(mut self, choices: Vec<Choice>) -> Self {
        if let Some(last) = self.hint.fields.last_mut() {
            last.choices = choices;
        }
        self
    }

    fn describe(
        mut self,
        field: &str,
        source: impl Into<String>,
        required: bool,
        value: Option<Value>,
    ) -> Self {
        let source = source.into();
        // every payload key is in the catalog (a unit test checks it); a plain text field keeps
        // a hint usable should one ever be missing
        let mut descriptor = describe(field).unwrap_or_else(|| FieldDescriptor {
            name: field.to_owned(),
            kind: FieldKind::Text,
            label: field.to_owned(),
            help: source.clone(),
            required: false,
            secret: false,
            value: None,
            choices: Vec::new(),
            parent_field: None,
            rules: FieldRules::default(),
        });
        descriptor.required = required;
        // the caller typed the Aadhaar number, OTPs and the password: none is ever sent back
        descriptor.value = value.filter(|_| !never_echoed(&descriptor));
        self.hint.source_of_data.insert(field.to_owned(), source);
        self.hint.fields.push(descriptor);
        self
    }

    pub fn build(self) -> PayloadHint {
        self.hint
    }
}
