//! Field descriptors: "what to ask next" as data, so any front end (the terminal wizard, a web
//! form, a script) can render a step's inputs without knowing the rules.
//!
//! Every non-final [`PayloadHint`](super::PayloadHint) carries one [`FieldDescriptor`] per input
//! the caller may send for that step (the idea of Ory Kratos' `ui.nodes`). What each wire name
//! *is* — kind, label, help, secrecy and rules — comes from one static catalog here; the session
//! adds what it knows for this registration: whether the field is still needed, the prefilled
//! value and dynamic choices (HPR ID suggestions).
//!
//! The lengths and rule texts are the validators' own constants (`Password::MIN_LEN`,
//! `HprId::RULE`, …), so a form never states a rule the engine does not enforce. The engine still
//! validates everything on submit: descriptors only help to ask well.
//!
//! ```
//! use abdm_hpr::flow::{FieldKind, describe};
//! let password = describe("password").unwrap();
//! assert_eq!(password.kind, FieldKind::Password);
//! assert!(password.secret);
//! assert_eq!(password.rules.min_len, Some(8));
//! assert_eq!(password.value, None);
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::categories::CATEGORIES;
use crate::types::{
    Aadhaar, Address, CategoryCode, DateOfBirth, DistrictCode, DomainName, Email, HprId, IdType,
    MAX_PHOTO_BYTES, Mobile, Otp, Password, PersonName, Photo, Pincode, StateCode, SubCategoryCode,
    TxnId,
};

/// What kind of value a field holds: how a front end should ask for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FieldKind {
    /// A 12-digit Aadhaar number: an identifier to mask on screen, never echoed back.
    Aadhaar,
    /// A one-time password: secret.
    Otp,
    /// An Indian mobile number.
    Mobile,
    /// An e-mail address.
    Email,
    /// An HPR ID username; `choices` may hold suggestions, but any valid username is accepted.
    HprId,
    /// A password to choose: secret; a front end should ask for it twice.
    Password,
    /// Free text (names, address, transaction id, a base64 photo).
    Text,
    /// One part of a date (`dayOfBirth`, `monthOfBirth`, `yearOfBirth`): the parts belong together.
    Date,
    /// A 6-digit Indian PIN code.
    Pincode,
    /// A numeric code from a master list (state, district).
    Code,
    /// One of `choices` (the list is the known one; the engine may accept unlisted codes).
    Choice,
    /// `true` or `false`.
    Boolean,
}

/// One option of a [`FieldKind::Choice`] (or a suggestion for [`FieldKind::HprId`]).
///
/// `Debug` hides the value and label: HPR ID suggestions are derived from the person's name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    /// What to send, e.g. `"8"`.
    pub value: String,
    /// What to show, e.g. `"RN"`.
    pub label: String,
    /// For a dependent list: the value of the descriptor's `parent_field` this option belongs to
    /// (a sub-category's category code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

impl fmt::Debug for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Choice")
            .field("parent", &self.parent)
            .finish_non_exhaustive()
    }
}

/// The rules a value must meet, for display and early checks. Lengths count characters of the
/// normalised value (after trimming and removing the separators the rule says are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldRules {
    /// The fewest characters, if bounded.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub min_len: Option<usize>,
    /// The most characters, if bounded.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub max_len: Option<usize>,
    /// The rest of the rule in words, e.g. "digits only".
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub pattern_description: Option<String>,
}

/// One input of a step, as a front end should present it.
///
/// `Debug` shows whether a value is present, never the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldDescriptor {
    /// The wire name to send it under, e.g. `"mobileNumber"`.
    pub name: String,
    /// How to ask for it.
    pub kind: FieldKind,
    /// A short label, e.g. `"E-mail address"`.
    pub label: String,
    /// A sentence helping to answer.
    pub help: String,
    /// `true` if the step needs a value: from the caller, unless `value` already holds one.
    pub required: bool,
    /// A secret (OTP, password): masked while typed, never shown back, never prefilled.
    pub secret: bool,
    /// The value the session will send unless the caller overrides it; never set for secrets or
    /// the Aadhaar number.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub value: Option<Value>,
    /// The options, for choices and suggestions.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub choices: Vec<Choice>,
    /// The field whose value filters `choices` by their `parent`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub parent_field: Option<String>,
    /// The rules the engine enforces.
    pub rules: FieldRules,
}

impl fmt::Debug for FieldDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldDescriptor")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("required", &self.required)
            .field("secret", &self.secret)
            .field("value", &self.value.as_ref().map(|_| "<set>"))
            .field("choices", &self.choices.len())
            .finish_non_exhaustive()
    }
}

impl FieldDescriptor {
    /// `true` if the caller must still supply it: required and not prefilled.
    pub fn is_missing(&self) -> bool {
        self.required && self.value.is_none()
    }

    /// The choices that apply when the parent field has `parent_value` (all of them when the
    /// descriptor has no parent field).
    pub fn choices_for(&self, parent_value: Option<&str>) -> Vec<&Choice> {
        self.choices
            .iter()
            .filter(|c| match (&self.parent_field, &c.parent, parent_value) {
                (None, _, _) | (Some(_), None, _) => true,
                (Some(_), Some(parent), Some(value)) => parent == value.trim(),
                (Some(_), Some(_), None) => false,
            })
            .collect()
    }
}

/// What the catalog knows about a wire name.
struct Spec {
    name: &'static str,
    kind: FieldKind,
    label: &'static str,
    help: &'static str,
    secret: bool,
    rules: fn() -> FieldRules,
    choices: fn() -> Vec<Choice>,
    parent_field: Option<&'static str>,
}

fn exactly(len: usize, rule: &str) -> FieldRules {
    between(len, len, rule)
}

fn between(min: usize, max: usize, rule: &str) -> FieldRules {
    FieldRules {
        min_len: Some(min),
        max_len: Some(max),
        pattern_description: Some(rule.to_owned()),
    }
}

fn at_most(max: usize, rule: &str) -> FieldRules {
    FieldRules {
        min_len: None,
        max_len: Some(max),
        pattern_description: Some(rule.to_owned()),
    }
}

fn no_rules() -> FieldRules {
    FieldRules::default()
}

fn no_choices() -> Vec<Choice> {
    Vec::new()
}

fn category_choices() -> Vec<Choice> {
    CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c.code.to_owned(),
            label: c.name.to_owned(),
            parent: None,
        })
        .collect()
}

fn sub_category_choices() -> Vec<Choice> {
    CATEGORIES
        .iter()
        .flat_map(|c| {
            c.sub_categories.iter().map(|s| Choice {
                value: s.code.to_owned(),
                label: s.name.to_owned(),
                parent: Some(c.code.to_owned()),
            })
        })
        .collect()
}

const fn spec(
    name: &'static str,
    kind: FieldKind,
    label: &'static str,
    help: &'static str,
    rules: fn() -> FieldRules,
) -> Spec {
    Spec {
        name,
        kind,
        label,
        help,
        secret: false,
        rules,
        choices: no_choices,
        parent_field: None,
    }
}

const fn secret(mut s: Spec) -> Spec {
    s.secret = true;
    s
}

const fn with_choices(
    mut s: Spec,
    choices: fn() -> Vec<Choice>,
    parent: Option<&'static str>,
) -> Spec {
    s.choices = choices;
    s.parent_field = parent;
    s
}

use FieldKind as K;

/// The catalog: every wire name any step accepts. Dates are [`FieldKind::Date`] parts (a front end
/// may join the three into one date input); state and district are [`FieldKind::Code`]s.
static CATALOG: &[Spec] = &[
    spec(
        "aadhaar",
        K::Aadhaar,
        "Aadhaar number",
        "The professional's Aadhaar number; it is shown masked and never stored.",
        || exactly(Aadhaar::LEN, Aadhaar::RULE),
    ),
    secret(spec(
        "otp",
        K::Otp,
        "OTP",
        "The one-time password received by SMS.",
        || exactly(Otp::LEN, Otp::RULE),
    )),
    spec(
        "txnId",
        K::Text,
        "Transaction id",
        "Kept by the session; send it only to override the session's.",
        || between(1, TxnId::MAX_LEN, TxnId::RULE),
    ),
    spec(
        "domainName",
        K::Text,
        "Domain name",
        "Defaults to @hpr.abdm.",
        || {
            between(
                1,
                DomainName::MAX_LEN,
                "leading and trailing spaces are ignored",
            )
        },
    ),
    spec("idType", K::Text, "ID type", "Defaults to hpr_id.", || {
        between(
            1,
            IdType::MAX_LEN,
            "leading and trailing spaces are ignored",
        )
    }),
    spec(
        "restrictions",
        K::Text,
        "Restrictions",
        "Rarely used; sent as null when absent.",
        no_rules,
    ),
    spec(
        "preverifiedCheck",
        K::Boolean,
        "Pre-verified check",
        "Whether the Aadhaar was verified in this transaction; defaults to true.",
        no_rules,
    ),
    spec(
        "mobileNumber",
        K::Mobile,
        "Mobile number for communication",
        "If it is the Aadhaar-linked mobile, no extra OTP is needed; any other number gets its own OTP.",
        || exactly(Mobile::LEN, Mobile::RULE),
    ),
    spec(
        "mobile",
        K::Mobile,
        "Mobile number for communication",
        "The number to send the mobile OTP to.",
        || exactly(Mobile::LEN, Mobile::RULE),
    ),
    spec(
        "hprId",
        K::HprId,
        "HPR ID",
        "The username of the new HPR ID: one of the suggestions or your own.",
        || between(HprId::MIN_LEN, HprId::MAX_LEN, HprId::RULE),
    ),
    secret(spec(
        "password",
        K::Password,
        "Password",
        "The password of the new HPR account.",
        || between(Password::MIN_LEN, Password::MAX_LEN, Password::RULE),
    )),
    spec(
        "email",
        K::Email,
        "E-mail address",
        "The professional's e-mail address.",
        || at_most(Email::MAX_LEN, Email::RULE),
    ),
    with_choices(
        spec(
            "hpCategoryCode",
            K::Choice,
            "Professional category",
            "The professional category; other codes the registry knows are accepted too.",
            || {
                between(
                    CategoryCode::MIN_LEN,
                    CategoryCode::MAX_LEN,
                    CategoryCode::RULE,
                )
            },
        ),
        category_choices,
        None,
    ),
    with_choices(
        spec(
            "hpSubCategoryCode",
            K::Choice,
            "Sub-category",
            "The sub-category within the professional category.",
            || {
                between(
                    SubCategoryCode::MIN_LEN,
                    SubCategoryCode::MAX_LEN,
                    SubCategoryCode::RULE,
                )
            },
        ),
        sub_category_choices,
        Some("hpCategoryCode"),
    ),
    spec(
        "firstName",
        K::Text,
        "First name",
        "As on the Aadhaar.",
        || between(1, PersonName::MAX_LEN, PersonName::RULE),
    ),
    spec(
        "middleName",
        K::Text,
        "Middle name",
        "As on the Aadhaar, if any.",
        || between(1, PersonName::MAX_LEN, PersonName::RULE),
    ),
    spec(
        "lastName",
        K::Text,
        "Last name",
        "As on the Aadhaar; the registry requires one.",
        || between(1, PersonName::MAX_LEN, PersonName::RULE),
    ),
    spec(
        "dayOfBirth",
        K::Date,
        "Day of birth",
        "Day of the month of the date of birth.",
        || {
            between(
                DateOfBirth::DAY_MONTH_LEN.0,
                DateOfBirth::DAY_MONTH_LEN.1,
                DateOfBirth::RULE,
            )
        },
    ),
    spec(
        "monthOfBirth",
        K::Date,
        "Month of birth",
        "Month (1-12) of the date of birth.",
        || {
            between(
                DateOfBirth::DAY_MONTH_LEN.0,
                DateOfBirth::DAY_MONTH_LEN.1,
                DateOfBirth::RULE,
            )
        },
    ),
    spec(
        "yearOfBirth",
        K::Date,
        "Year of birth",
        "Year of the date of birth.",
        year_rules,
    ),
    spec(
        "address",
        K::Text,
        "Address",
        "House, street, town.",
        || between(1, Address::MAX_LEN, Address::RULE),
    ),
    spec(
        "pincode",
        K::Pincode,
        "PIN code",
        "The postal PIN code of the address.",
        || exactly(Pincode::LEN, Pincode::RULE),
    ),
    spec(
        "stateCode",
        K::Code,
        "State code",
        "LGD state code, e.g. 9 for Uttar Pradesh.",
        || between(StateCode::MIN_LEN, StateCode::MAX_LEN, StateCode::RULE),
    ),
    spec(
        "districtCode",
        K::Code,
        "District code",
        "LGD district code, e.g. 145 for Ghaziabad.",
        || {
            between(
                DistrictCode::MIN_LEN,
                DistrictCode::MAX_LEN,
                DistrictCode::RULE,
            )
        },
    ),
    spec(
        "profilePhoto",
        K::Text,
        "Profile photo",
        "Optional: a photo as base64 text (not typed by hand; UIs upload a file and encode it).",
        photo_rules,
    ),
];

fn year_rules() -> FieldRules {
    FieldRules {
        pattern_description: Some(format!(
            "{} or later; {}",
            DateOfBirth::MIN_YEAR,
            DateOfBirth::RULE
        )),
        ..exactly(DateOfBirth::YEAR_LEN, "")
    }
}

fn photo_rules() -> FieldRules {
    FieldRules {
        pattern_description: Some(format!(
            "{}, at most {} KiB decoded",
            Photo::RULE,
            MAX_PHOTO_BYTES / 1024
        )),
        ..FieldRules::default()
    }
}

/// The wire names the catalog describes, in catalog order.
pub fn catalog_names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|s| s.name)
}

/// The catalog's descriptor for `name`, not tied to any session: not required, no value, static
/// choices only. `None` for a name no step accepts.
pub fn describe(name: &str) -> Option<FieldDescriptor> {
    let spec = CATALOG.iter().find(|s| s.name == name)?;
    Some(FieldDescriptor {
        name: spec.name.to_owned(),
        kind: spec.kind,
        label: spec.label.to_owned(),
        help: spec.help.to_owned(),
        required: false,
        secret: spec.secret,
        value: None,
        choices: (spec.choices)(),
        parent_field: spec.parent_field.map(str::to_owned),
        rules: (spec.rules)(),
    })
}

/// `true` for fields whose value must never be sent back to a front end: secrets, and the Aadhaar
/// number (an identifier only the caller types).
pub(crate) fn never_echoed(d: &FieldDescriptor) -> bool {
    d.secret || d.kind == FieldKind::Aadhaar
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::flow::Step;

    #[test]
    fn every_payload_key_of_every_step_is_in_the_catalog() {
        for step in Step::ALL {
            for key in super::super::input::payload_keys(step) {
                assert!(describe(key).is_some(), "{step}: {key}");
            }
        }
        let names: Vec<&str> = catalog_names().collect();
        let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "a wire name is described twice");
    }

    #[test]
    fn rules_are_the_validators_constants() {
        assert_eq!(
            describe("hprId").unwrap().rules.max_len,
            Some(HprId::MAX_LEN)
        );
        assert_eq!(
            describe("password").unwrap().rules.max_len,
            Some(Password::MAX_LEN)
        );
        assert_eq!(
            describe("aadhaar").unwrap().rules.min_len,
            Some(Aadhaar::LEN)
        );
        assert!(describe("otp").unwrap().secret);
        assert!(never_echoed(&describe("aadhaar").unwrap()));
        assert!(!never_echoed(&describe("mobile").unwrap()));
    }

    #[test]
    fn sub_categories_are_filtered_by_their_category() {
        let sub = describe("hpSubCategoryCode").unwrap();
        let nurse: Vec<&str> = sub
            .choices_for(Some("2"))
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        assert_eq!(nurse, ["RANM", "RN", "RN and RM", "RLHV"]);
        assert!(sub.choices_for(None).is_empty());
        let cat = describe("hpCategoryCode").unwrap();
        assert_eq!(cat.choices_for(None).len(), CATEGORIES.len());
    }

    #[test]
    fn debug_never_shows_values_or_choices() {
        let mut d = describe("mobile").unwrap();
        d.value = Some(Value::from("9876543210"));
        d.choices.push(Choice {
            value: "asha.verma".into(),
            label: "asha.verma@hpr.abdm".into(),
            parent: None,
        });
        let shown = format!("{d:?} {:?}", d.choices);
        assert!(
            !shown.contains("9876543210") && !shown.contains("asha"),
            "{shown}"
        );
    }
}
