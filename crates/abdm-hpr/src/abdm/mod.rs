//! Backend B's wire format: ABDM's own HPR registration API (the legacy v1 host, CONTRACT §3).
//!
//! This module alone knows B's hosts, paths, body differences, session-token exchange and which
//! fields may be encrypted. It has no I/O: the HTTP adapter
//! ([`AbdmBackend`](crate::client::AbdmBackend), feature `abdm`) and the sandbox's B dialect both
//! use it, so they cannot drift apart.
//!
//! ```
//! use abdm_hpr::Step;
//! use abdm_hpr::abdm::{self, Environment, SessionApi};
//! assert_eq!(Environment::Sandbox.hpr_url(), "https://hpridsbx.abdm.gov.in/api");
//! assert_eq!(abdm::path(Step::CheckAccountExist), "/v2/registration/aadhaar/checkHpIdAccountExist");
//! assert_eq!(SessionApi::V3.path(), "/api/hiecm/gateway/v3/sessions");
//! ```

mod cipher;
mod session;
mod wire;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

pub use cipher::{CipherMode, FieldModes, SecretField};
pub use session::{SessionGrant, SessionRequest, v3_timestamp};

use crate::backend::{Request, Response};
use crate::error::{Error, Result};
use crate::step::Step;
use crate::types::{DomainName, IdType};

/// Where the key for encrypted fields is published, under the HPR base URL (a PEM
/// SubjectPublicKeyInfo; CONTRACT §3.3).
pub const CERT_PATH: &str = "/v1/auth/cert";

/// Which ABDM deployment: it picks the default hosts (CONTRACT §3.1) and `X-CM-ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// ABDM's sandbox (`hpridsbx.abdm.gov.in`, `dev.abdm.gov.in`); needs sandbox approval.
    #[default]
    Sandbox,
    /// Production (`hprid.abdm.gov.in`, `live.abdm.gov.in`).
    Production,
}

impl Environment {
    /// The configuration name: `sandbox` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    /// The HPR base URL; step paths are appended to it.
    pub fn hpr_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://hpridsbx.abdm.gov.in/api",
            Environment::Production => "https://hprid.abdm.gov.in/api",
        }
    }

    /// The gateway base URL; [`SessionApi::path`] is appended to it.
    pub fn gateway_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://dev.abdm.gov.in",
            Environment::Production => "https://live.abdm.gov.in",
        }
    }

    /// The `X-CM-ID` header of v3 calls: `sbx` or `abdm`.
    pub fn cm_id(self) -> &'static str {
        match self {
            Environment::Sandbox => "sbx",
            Environment::Production => "abdm",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sandbox" | "sbx" => Ok(Environment::Sandbox),
            "production" | "prod" | "live" => Ok(Environment::Production),
            other => Err(format!(
                "unknown ABDM environment `{other}`; use sandbox or production"
            )),
        }
    }
}

/// Which session (access-token) API of the ABDM gateway to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionApi {
    /// `POST /gateway/v0.5/sessions`.
    #[default]
    V05,
    /// `POST /api/hiecm/gateway/v3/sessions`, with `REQUEST-ID`, `TIMESTAMP` and `X-CM-ID`.
    V3,
}

impl SessionApi {
    /// The configuration name: `v0.5` or `v3`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionApi::V05 => "v0.5",
            SessionApi::V3 => "v3",
        }
    }

    /// The path under the gateway base URL.
    pub fn path(self) -> &'static str {
        match self {
            SessionApi::V05 => "/gateway/v0.5/sessions",
            SessionApi::V3 => "/api/hiecm/gateway/v3/sessions",
        }
    }
}

impl fmt::Display for SessionApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SessionApi {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v0.5" | "0.5" | "v05" => Ok(SessionApi::V05),
            "v3" | "3" => Ok(SessionApi::V3),
            other => Err(format!("unknown session API `{other}`; use v0.5 or v3")),
        }
    }
}

/// The HPR path of a step, appended to the HPR base URL (CONTRACT §3.2).
pub fn path(step: Step) -> &'static str {
    match step {
        Step::GenerateAadhaarOtp => "/v1/registration/aadhaar/generateOtp",
        Step::VerifyAadhaarOtp => "/v1/registration/aadhaar/verifyOTP",
        Step::CheckAccountExist => "/v2/registration/aadhaar/checkHpIdAccountExist",
        Step::DemographicAuthViaMobile => "/v1/registration/aadhaar/demographicAuthViaMobile",
        Step::GenerateMobileOtp => "/v1/registration/aadhaar/generateMobileOTP",
        Step::VerifyMobileOtp => "/v1/registration/aadhaar/verifyMobileOTP",
        Step::GetHprIdSuggestion => "/v1/registration/aadhaar/hpid/suggestion",
        Step::CreateHprIdWithPreverified => "/v1/registration/aadhaar/createHprIdWithPreVerified",
    }
}

/// The step served at a B path, under either version prefix (`/v1/…` or `/v2/…`: other clients
/// use other versions of some of these paths, CONTRACT §3.2).
pub fn step_at(path: &str) -> Option<Step> {
    let rest = path
        .strip_prefix("/v1/")
        .or_else(|| path.strip_prefix("/v2/"))?;
    Step::ALL
        .into_iter()
        .find(|step| self::path(*step)[4..] == *rest)
}

/// The secret fields a request of `step` carries.
pub fn secret_fields(step: Step) -> &'static [SecretField] {
    match step {
        Step::GenerateAadhaarOtp => &[SecretField::Aadhaar],
        Step::VerifyAadhaarOtp | Step::VerifyMobileOtp => &[SecretField::Otp],
        Step::DemographicAuthViaMobile => &[SecretField::MobileNumber],
        Step::GenerateMobileOtp => &[SecretField::Mobile],
        Step::CreateHprIdWithPreverified => &[SecretField::Email, SecretField::Password],
        Step::CheckAccountExist | Step::GetHprIdSuggestion => &[],
    }
}

/// The JSON body B expects for `request`. `seal` is asked for every secret field the request
/// carries and returns its ciphertext, or `None` to send the value in clear.
pub fn encode(
    request: &Request,
    seal: &mut dyn FnMut(SecretField, &str) -> Result<Option<String>>,
) -> Result<Vec<u8>> {
    let mut field = |name, value| sealed(seal, name, value);
    let body = match request {
        // no secret field and no difference: A's body
        Request::CheckAccountExist(_) | Request::GetHprIdSuggestion(_) => {
            return crate::gateway::encode(request);
        }
        Request::GenerateAadhaarOtp(r) => serde_json::to_vec(&wire::GenerateAadhaarOtp {
            aadhaar: field(SecretField::Aadhaar, r.aadhaar.expose())?,
        }),
        Request::VerifyAadhaarOtp(r) => serde_json::to_vec(&wire::VerifyAadhaarOtp {
            domain_name: &r.domain_name,
            id_type: &r.id_type,
            otp: field(SecretField::Otp, r.otp.expose())?,
            restrictions: r.restrictions.as_deref().unwrap_or(""),
            txn_id: &r.txn_id,
        }),
        Request::DemographicAuthViaMobile(r) => serde_json::to_vec(&wire::DemographicAuth {
            txn_id: &r.txn_id,
            mobile_number: field(SecretField::MobileNumber, r.mobile_number.expose())?,
        }),
        Request::GenerateMobileOtp(r) => serde_json::to_vec(&wire::GenerateMobileOtp {
            mobile: field(SecretField::Mobile, r.mobile.expose())?,
            txn_id: &r.txn_id,
        }),
        Request::VerifyMobileOtp(r) => serde_json::to_vec(&wire::VerifyMobileOtp {
            otp: field(SecretField::Otp, r.otp.expose())?,
            txn_id: &r.txn_id,
        }),
        Request::CreateHprIdWithPreverified(r) => serde_json::to_vec(&wire::CreateHprId {
            address: &r.address,
            day_of_birth: r.date_of_birth.day(),
            district_code: &r.district_code,
            email: field(SecretField::Email, r.email.as_str())?,
            first_name: &r.first_name,
            hp_category_code: integer_code("hpCategoryCode", r.hp_category_code.as_str())?,
            hp_sub_category_code: integer_code(
                "hpSubCategoryCode",
                r.hp_sub_category_code.as_str(),
            )?,
            hpr_id: &r.hpr_id,
            last_name: &r.last_name,
            middle_name: r.middle_name.as_ref(),
            month_of_birth: r.date_of_birth.month(),
            password: field(SecretField::Password, r.password.expose())?,
            pincode: &r.pincode,
            profile_photo: r.profile_photo.as_ref(),
            state_code: &r.state_code,
            txn_id: &r.txn_id,
            year_of_birth: r.date_of_birth.year(),
            id_type: IdType::default(),
            domain_name: DomainName::default(),
            notify_user: true,
        }),
    };
    body.map_err(|e| Error::Config(format!("request could not be serialized: {e}")))
}

/// The value to send for a secret field: its ciphertext, or the value itself.
fn sealed<'v>(
    seal: &mut dyn FnMut(SecretField, &str) -> Result<Option<String>>,
    name: SecretField,
    value: &'v str,
) -> Result<Cow<'v, str>> {
    Ok(match seal(name, value)? {
        Some(ciphertext) => Cow::Owned(ciphertext),
        None => Cow::Borrowed(value),
    })
}

/// A category code (validated as 1–4 ASCII digits) as the integer B sends.
fn integer_code(field: &str, code: &str) -> Result<u16> {
    code.parse()
        .map_err(|_| Error::Config(format!("`{field}` is not a number")))
}

/// Decodes a 2xx body of `step`. B's answers use upstream's spellings (`mobileNumber`, `photo`,
/// `birthdate`, create's `refreshToken`, `expiresIn`, …), which A's decoders already accept, so
/// both backends share one tolerant reading.
pub fn decode_response(step: Step, status: u16, body: &[u8]) -> Result<Response> {
    crate::gateway::decode_response(step, status, body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_its_own_path_under_both_versions() {
        for step in Step::ALL {
            assert_eq!(step_at(path(step)), Some(step));
            let other = if path(step).starts_with("/v1/") {
                path(step).replacen("/v1/", "/v2/", 1)
            } else {
                path(step).replacen("/v2/", "/v1/", 1)
            };
            assert_eq!(step_at(&other), Some(step), "{other}");
        }
        assert_eq!(step_at("/v3/registration/aadhaar/generateOtp"), None);
        assert_eq!(step_at("/aadhaar/generateOtp"), None);
        assert_eq!(step_at(""), None);
    }

    #[test]
    fn names_parse() {
        assert_eq!("PRODUCTION".parse(), Ok(Environment::Production));
        assert_eq!("v3".parse(), Ok(SessionApi::V3));
        assert_eq!("v0.5".parse(), Ok(SessionApi::V05));
        assert!("v4".parse::<SessionApi>().unwrap_err().contains("v4"));
        assert!(
            "staging"
                .parse::<Environment>()
                .unwrap_err()
                .contains("staging")
        );
    }
}
