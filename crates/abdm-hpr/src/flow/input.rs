//! What the caller supplies for each step, before the session fills in what it already knows.

use serde_json::{Map, Value};

use super::Step;
use crate::types::{
    CheckAccountExistInput, CreateHprIdInput, DemographicAuthInput, FieldError,
    GenerateAadhaarOtpInput, GenerateMobileOtpInput, HprIdSuggestionInput, Invalid, Rule,
    ValidationErrors, VerifyAadhaarOtpInput, VerifyMobileOtpInput,
};

/// The caller's part of one step, by step. Every field may be omitted where the session knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum StepInput {
    /// `{"aadhaar"}`.
    GenerateAadhaarOtp(GenerateAadhaarOtpInput),
    /// `{"otp"}` (+ optional `txnId`, `domainName`, `idType`, `restrictions`).
    VerifyAadhaarOtp(VerifyAadhaarOtpInput),
    /// `{}` (+ optional `txnId`, `preverifiedCheck`, default `true`).
    CheckAccountExist(CheckAccountExistInput),
    /// `{"mobileNumber"}` (+ optional `txnId`).
    DemographicAuthViaMobile(DemographicAuthInput),
    /// `{}` (+ optional `mobile`, default the demographic-auth mobile, and `txnId`).
    GenerateMobileOtp(GenerateMobileOtpInput),
    /// `{"otp"}` (+ optional `txnId`).
    VerifyMobileOtp(VerifyMobileOtpInput),
    /// `{}` (+ optional `txnId`).
    GetHprIdSuggestion(HprIdSuggestionInput),
    /// `{"hprId","password","email","hpCategoryCode","hpSubCategoryCode"}` (+ overrides).
    CreateHprIdWithPreverified(Box<CreateHprIdInput>),
}

/// The keys each step's payload may carry: the fields of that step's input type.
pub(crate) fn payload_keys(step: Step) -> &'static [&'static str] {
    match step {
        Step::GenerateAadhaarOtp => GenerateAadhaarOtpInput::FIELDS,
        Step::VerifyAadhaarOtp => VerifyAadhaarOtpInput::FIELDS,
        Step::CheckAccountExist => CheckAccountExistInput::FIELDS,
        Step::DemographicAuthViaMobile => DemographicAuthInput::FIELDS,
        Step::GenerateMobileOtp => GenerateMobileOtpInput::FIELDS,
        Step::VerifyMobileOtp => VerifyMobileOtpInput::FIELDS,
        Step::GetHprIdSuggestion => HprIdSuggestionInput::FIELDS,
        Step::CreateHprIdWithPreverified => CreateHprIdInput::FIELDS,
    }
}

impl StepInput {
    /// The step this input is for.
    pub fn step(&self) -> Step {
        match self {
            StepInput::GenerateAadhaarOtp(_) => Step::GenerateAadhaarOtp,
            StepInput::VerifyAadhaarOtp(_) => Step::VerifyAadhaarOtp,
            StepInput::CheckAccountExist(_) => Step::CheckAccountExist,
            StepInput::DemographicAuthViaMobile(_) => Step::DemographicAuthViaMobile,
            StepInput::GenerateMobileOtp(_) => Step::GenerateMobileOtp,
            StepInput::VerifyMobileOtp(_) => Step::VerifyMobileOtp,
            StepInput::GetHprIdSuggestion(_) => Step::GetHprIdSuggestion,
            StepInput::CreateHprIdWithPreverified(_) => Step::CreateHprIdWithPreverified,
        }
    }

    /// Reads a JSON payload (`null` = `{}`) for `step`. Unknown keys and mistyped values are
    /// reported together, by field, without the values.
    pub fn from_json(step: Step, payload: Value) -> Result<Self, ValidationErrors> {
        let map = match payload {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            _ => {
                return Err(ValidationErrors::single(
                    Invalid::new(Rule::Format, "must be a JSON object").at("payload"),
                ));
            }
        };
        let known = payload_keys(step);
        let problems: Vec<FieldError> = map
            .iter()
            .filter_map(|(key, value)| {
                if !known.contains(&key.as_str()) {
                    return Some(
                        Invalid::with_message(
                            Rule::UnknownField,
                            format!(
                                "is not a field of {step} (expected one of: {})",
                                known.join(", ")
                            ),
                        )
                        .at(key.clone()),
                    );
                }
                let well_typed = match value {
                    Value::Null => true,
                    Value::Bool(_) => key == "preverifiedCheck",
                    Value::String(_) | Value::Number(_) => key != "preverifiedCheck",
                    Value::Array(_) | Value::Object(_) => false,
                };
                let expected = if key == "preverifiedCheck" {
                    "must be true or false"
                } else {
                    "must be a string"
                };
                (!well_typed).then(|| Invalid::new(Rule::Format, expected).at(key.clone()))
            })
            .collect();
        if let Some(report) = ValidationErrors::from_vec(problems) {
            return Err(report);
        }
        let value = Value::Object(map);
        // keys and JSON types were checked above, so decoding cannot fail on the caller's data
        let typed = |_: serde_json::Error| {
            ValidationErrors::single(Invalid::new(Rule::Format, "could not be read").at("payload"))
        };
        Ok(match step {
            Step::GenerateAadhaarOtp => {
                Self::GenerateAadhaarOtp(serde_json::from_value(value).map_err(typed)?)
            }
            Step::VerifyAadhaarOtp => {
                Self::VerifyAadhaarOtp(serde_json::from_value(value).map_err(typed)?)
            }
            Step::CheckAccountExist => {
                Self::CheckAccountExist(serde_json::from_value(value).map_err(typed)?)
            }
            Step::DemographicAuthViaMobile => {
                Self::DemographicAuthViaMobile(serde_json::from_value(value).map_err(typed)?)
            }
            Step::GenerateMobileOtp => {
                Self::GenerateMobileOtp(serde_json::from_value(value).map_err(typed)?)
            }
            Step::VerifyMobileOtp => {
                Self::VerifyMobileOtp(serde_json::from_value(value).map_err(typed)?)
            }
            Step::GetHprIdSuggestion => {
                Self::GetHprIdSuggestion(serde_json::from_value(value).map_err(typed)?)
            }
            Step::CreateHprIdWithPreverified => Self::CreateHprIdWithPreverified(Box::new(
                serde_json::from_value(value).map_err(typed)?,
            )),
        })
    }
}
