//! Checks run as the user types (the message names the field and the rule, never the value),
//! how accepted answers stay on screen, and the questions for demographics the e-KYC lacked.

use abdm_hpr::types::{
    Aadhaar, Address, CreateHprIdInput, DateOfBirth, DistrictCode, Email, HprId, Invalid, Mobile,
    Otp, Password, PersonName, Pincode, StateCode,
};

use crate::prompt::Check;

fn sentence(subject: &str, e: Invalid) -> String {
    format!("{subject} {}", e.message)
}

pub(super) fn check_aadhaar(s: &str) -> Result<(), String> {
    Aadhaar::parse(s)
        .map(drop)
        .map_err(|e| sentence("The Aadhaar number", e))
}

pub(super) fn check_otp_or_empty(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Ok(());
    }
    Otp::parse(s).map(drop).map_err(|e| sentence("The OTP", e))
}

pub(super) fn check_mobile(s: &str) -> Result<(), String> {
    Mobile::parse(s)
        .map(drop)
        .map_err(|e| sentence("The mobile number", e))
}

pub(super) fn check_hpr_id(s: &str) -> Result<(), String> {
    HprId::parse(s)
        .map(drop)
        .map_err(|e| sentence("The HPR ID", e))
}

pub(super) fn check_password(s: &str) -> Result<(), String> {
    Password::parse(s)
        .map(drop)
        .map_err(|e| sentence("The password", e))
}

pub(super) fn check_email(s: &str) -> Result<(), String> {
    Email::parse(s)
        .map(drop)
        .map_err(|e| sentence("The e-mail address", e))
}

pub(super) fn check_name(s: &str) -> Result<(), String> {
    PersonName::parse(s)
        .map(drop)
        .map_err(|e| sentence("The name", e))
}

pub(super) fn check_address(s: &str) -> Result<(), String> {
    Address::parse(s)
        .map(drop)
        .map_err(|e| sentence("The address", e))
}

pub(super) fn check_pincode(s: &str) -> Result<(), String> {
    Pincode::parse(s)
        .map(drop)
        .map_err(|e| sentence("The PIN code", e))
}

pub(super) fn check_state(s: &str) -> Result<(), String> {
    StateCode::parse(s)
        .map(drop)
        .map_err(|e| sentence("The state code", e))
}

pub(super) fn check_district(s: &str) -> Result<(), String> {
    DistrictCode::parse(s)
        .map(drop)
        .map_err(|e| sentence("The district code", e))
}

/// `DD-MM-YYYY` (or with `/`), a real date not in the future.
pub(super) fn check_dob(s: &str) -> Result<(), String> {
    let Some((d, m, y)) = split_date(s) else {
        return Err("Type the date as DD-MM-YYYY".to_owned());
    };
    DateOfBirth::from_parts(d, m, y)
        .map(drop)
        .map_err(|errors| {
            let messages: Vec<String> = errors
                .errors()
                .iter()
                .map(|e| e.message.to_string())
                .collect();
            format!("The date of birth {}", messages.join("; "))
        })
}

fn split_date(s: &str) -> Option<(&str, &str, &str)> {
    let mut parts = s.trim().split(['-', '/', '.']);
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some((d, m, y))
}

pub(super) fn shown_aadhaar(s: &str) -> String {
    Aadhaar::parse(s).map(|a| a.masked()).unwrap_or_default()
}

pub(super) fn shown_otp(s: &str) -> String {
    if s.trim().is_empty() {
        "(new OTP requested)".to_owned()
    } else {
        "******".to_owned()
    }
}

pub(super) fn shown_mobile_otp(s: &str) -> String {
    if s.trim().is_empty() {
        "(none)".to_owned()
    } else {
        "******".to_owned()
    }
}

pub(super) fn shown_hpr_id(s: &str) -> String {
    HprId::parse(s).map(|id| id.full()).unwrap_or_default()
}

/// A question for a demographic field the e-KYC lacked.
pub(super) struct Question {
    pub label: &'static str,
    pub help: &'static str,
    pub check: Check,
    pub set: fn(&mut CreateHprIdInput, &str),
}

impl Question {
    pub(super) fn for_field(field: &str) -> Option<Self> {
        fn q(
            label: &'static str,
            help: &'static str,
            check: Check,
            set: fn(&mut CreateHprIdInput, &str),
        ) -> Option<Question> {
            Some(Question {
                label,
                help,
                check,
                set,
            })
        }
        match field {
            "firstName" => q("First name", "as on your Aadhaar", check_name, |i, v| {
                i.first_name = Some(v.to_owned())
            }),
            "lastName" => q(
                "Last name",
                "as on your Aadhaar; the registry requires one",
                check_name,
                |i, v| i.last_name = Some(v.to_owned()),
            ),
            "middleName" => q("Middle name", "as on your Aadhaar", check_name, |i, v| {
                i.middle_name = Some(v.to_owned())
            }),
            "address" => q("Address", "house, street, town", check_address, |i, v| {
                i.address = Some(v.to_owned())
            }),
            "pincode" => q("PIN code", "6 digits", check_pincode, |i, v| {
                i.pincode = Some(v.to_owned())
            }),
            "stateCode" => q(
                "State code",
                "LGD state code, e.g. 9 for Uttar Pradesh",
                check_state,
                |i, v| i.state_code = Some(v.to_owned()),
            ),
            "districtCode" => q(
                "District code",
                "LGD district code, e.g. 145 for Ghaziabad",
                check_district,
                |i, v| i.district_code = Some(v.to_owned()),
            ),
            "dayOfBirth" | "monthOfBirth" | "yearOfBirth" => {
                q("Date of birth", "DD-MM-YYYY", check_dob, |i, v| {
                    if let Some((d, m, y)) = split_date(v) {
                        i.day_of_birth = Some(d.to_owned());
                        i.month_of_birth = Some(m.to_owned());
                        i.year_of_birth = Some(y.to_owned());
                    }
                })
            }
            _ => None,
        }
    }
}
