//! What the caller supplies for each step, before the session fills in what it already knows.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
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

/// Identifiers: only a JSON string is accepted (a number would be read loosely: its sign, exponent
/// or fraction could pass as separators or change the digits).
const IDENTIFIERS: &[&str] = &[
    "aadhaar",
    "otp",
    "mobile",
    "mobileNumber",
    "pincode",
    "txnId",
];

/// A key as it may appear in a message: a key holding a run of 4 or more digits could be an
/// Aadhaar number, OTP or mobile typed in the wrong place, so it is masked.
pub(crate) fn shown_key(key: &str) -> String {
    let mut run = 0usize;
    let mut longest = 0usize;
    for c in key.chars() {
        run = if c.is_numeric() { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    if longest >= 4 {
        "[a key of digits, masked]".to_owned()
    } else {
        key.to_owned()
    }
}

/// Parses the text of a step payload as JSON, refusing a key given twice in the top-level object
/// ([`Rule::DuplicateField`]; `serde_json::Value` would silently keep the last one). A syntax
/// error is a [`Rule::Format`] error on `payload` giving the position, never the text.
///
/// ```
/// use abdm_hpr::flow::parse_payload;
/// assert!(parse_payload(r#"{"otp":"123456"}"#).is_ok());
/// let report = parse_payload(r#"{"otp":"123456","otp":"654321"}"#).unwrap_err();
/// assert_eq!(report.errors()[0].field, "otp");
/// assert_eq!(report.errors()[0].rule.as_str(), "duplicate_field");
/// ```
pub fn parse_payload(text: &str) -> Result<Value, ValidationErrors> {
    let top: TopLevel = serde_json::from_str(text).map_err(|e| {
        ValidationErrors::single(
            Invalid::with_message(Rule::Format, format!("is not valid JSON: {e}")).at("payload"),
        )
    })?;
    let problems: Vec<FieldError> = top
        .duplicates
        .iter()
        .map(|key| Invalid::new(Rule::DuplicateField, "is given more than once").at(shown_key(key)))
        .collect();
    match ValidationErrors::from_vec(problems) {
        Some(report) => Err(report),
        None => Ok(top.value),
    }
}

/// A JSON document whose top-level object keys were checked for repeats.
struct TopLevel {
    value: Value,
    /// Each repeated key once, in order of its second appearance.
    duplicates: Vec<String>,
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl TopLevelVisitor {
    fn plain<E>(value: Value) -> Result<TopLevel, E> {
        Ok(TopLevel {
            value,
            duplicates: Vec::new(),
        })
    }
}

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<TopLevel, E> {
        Self::plain(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TopLevel, E> {
        Self::plain(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<TopLevel, E> {
        Self::plain(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TopLevel, E> {
        Self::plain(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<TopLevel, E> {
        Self::plain(Value::from(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<TopLevel, E> {
        Self::plain(Value::from(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<TopLevel, E> {
        Self::plain(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<TopLevel, E> {
        Self::plain(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Self::plain(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<TopLevel, A::Error> {
        let mut map = Map::new();
        let mut duplicates = Vec::new();
        while let Some(key) = access.next_key::<String>()? {
            let value: Value = access.next_value()?;
            if map.insert(key.clone(), value).is_some() && !duplicates.contains(&key) {
                duplicates.push(key);
            }
        }
        Ok(TopLevel {
            value: Value::Object(map),
            duplicates,
        })
    }
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
                        .at(shown_key(key)),
                    );
                }
                match value {
                    Value::Null => None,
                    Value::Bool(_) if key == "preverifiedCheck" => None,
                    Value::String(_) if key != "preverifiedCheck" => None,
                    // numbers are read as their decimal text for codes, never for identifiers:
                    // `-234123412346` would lose its sign to the hyphen rule, `123456.0` is no OTP
                    Value::Number(_) if IDENTIFIERS.contains(&key.as_str()) => Some(
                        Invalid::new(
                            Rule::ExpectedString,
                            "must be a JSON string (in quotes), not a number",
                        )
                        .at(key.clone()),
                    ),
                    Value::Number(_) if key != "preverifiedCheck" => None,
                    _ if key == "preverifiedCheck" => {
                        Some(Invalid::new(Rule::Format, "must be true or false").at(key.clone()))
                    }
                    _ => Some(Invalid::new(Rule::Format, "must be a string").at(key.clone())),
                }
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(step: Step, payload: Value) -> Vec<(String, Rule)> {
        match StepInput::from_json(step, payload) {
            Ok(_) => vec![],
            Err(e) => e
                .into_iter()
                .map(|e| (e.field.into_owned(), e.rule))
                .collect(),
        }
    }

    #[test]
    fn identifiers_must_be_strings() {
        for payload in [
            json!({"aadhaar": -234123412346i64}),
            json!({"aadhaar": 234123412346u64}),
            json!({"aadhaar": 2.34123412346e11}),
        ] {
            assert_eq!(
                rules(Step::GenerateAadhaarOtp, payload),
                [("aadhaar".into(), Rule::ExpectedString)]
            );
        }
        assert_eq!(
            rules(Step::VerifyAadhaarOtp, json!({"otp": 123456.0, "txnId": 7})),
            [
                ("otp".into(), Rule::ExpectedString),
                ("txnId".into(), Rule::ExpectedString)
            ]
        );
        assert_eq!(
            rules(
                Step::DemographicAuthViaMobile,
                json!({"mobileNumber": 9876543210u64})
            ),
            [("mobileNumber".into(), Rule::ExpectedString)]
        );
        assert_eq!(
            rules(Step::GenerateMobileOtp, json!({"mobile": 9876543210u64})),
            [("mobile".into(), Rule::ExpectedString)]
        );
        assert_eq!(
            rules(
                Step::CreateHprIdWithPreverified,
                json!({"pincode": 201001, "hpCategoryCode": 1, "stateCode": 9})
            ),
            [("pincode".into(), Rule::ExpectedString)]
        );
        // codes stay accepted as numbers
        assert!(
            StepInput::from_json(
                Step::CreateHprIdWithPreverified,
                json!({"hpCategoryCode": 1, "hpSubCategoryCode": 1, "stateCode": 9, "districtCode": 145})
            )
            .is_ok()
        );
        assert_eq!(
            rules(Step::CheckAccountExist, json!({"preverifiedCheck": "yes"})),
            [("preverifiedCheck".into(), Rule::Format)]
        );
    }

    #[test]
    fn unknown_keys_of_digits_are_masked() {
        let report = StepInput::from_json(Step::GenerateAadhaarOtp, json!({"234123412346": "x"}))
            .unwrap_err();
        let text = report.to_string();
        assert!(!text.contains("2346"), "{text}");
        assert_eq!(report.errors()[0].rule, Rule::UnknownField);
        let report =
            StepInput::from_json(Step::GenerateAadhaarOtp, json!({"aadhar": "x"})).unwrap_err();
        assert_eq!(report.errors()[0].field, "aadhar");
        assert_eq!(shown_key("otp123456"), "[a key of digits, masked]");
        assert_eq!(shown_key("address2"), "address2");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let report =
            parse_payload(r#"{"aadhaar":"234123412346","aadhaar":"498765432102"}"#).unwrap_err();
        assert_eq!(report.len(), 1);
        assert_eq!(report.errors()[0].field, "aadhaar");
        assert_eq!(report.errors()[0].rule, Rule::DuplicateField);
        let report = parse_payload(r#"{"1234":1,"1234":2,"1234":3}"#).unwrap_err();
        assert_eq!(report.len(), 1);
        assert!(!report.to_string().contains("1234"));
        assert_eq!(
            parse_payload(r#"{"a":{"b":1},"c":[1,2]}"#).unwrap(),
            json!({"a":{"b":1},"c":[1,2]})
        );
        assert_eq!(parse_payload("null").unwrap(), Value::Null);
        assert_eq!(parse_payload("[1]").unwrap(), json!([1]));
        let bad = parse_payload(r#"{"otp":"123456""#).unwrap_err();
        assert_eq!(bad.errors()[0].field, "payload");
        assert!(!bad.to_string().contains("123456"));
        assert!(parse_payload("{} x").is_err());
    }
}
