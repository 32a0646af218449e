//! Backend A's wire format: the gateway the `carestack` SDK calls (CONTRACT §2).
//!
//! This module alone knows A's paths and body shapes. It has no I/O, so both the HTTP client
//! ([`GatewayClient`](crate::client::GatewayClient), feature `gateway`) and the in-process
//! sandbox use it to speak A exactly.

mod decode;
mod responses;
mod wire;

use crate::backend::{Request, Response};
use crate::error::{Error, Result};
use crate::step::Step;

pub use decode::decode;
pub use responses::FromGateway;

/// The gateway path of a step, appended to the base URL (`https://h/api` + `/aadhaar/generateOtp`).
pub fn path(step: Step) -> &'static str {
    match step {
        Step::GenerateAadhaarOtp => "/aadhaar/generateOtp",
        Step::VerifyAadhaarOtp => "/aadhaar/verifyOtp",
        Step::CheckAccountExist => "/check/account-exist",
        Step::DemographicAuthViaMobile => "/demographic-auth/mobile",
        Step::GenerateMobileOtp => "/generate/mobileOtp",
        Step::VerifyMobileOtp => "/verify/mobileOtp",
        Step::GetHprIdSuggestion => "/hpId/suggestion",
        Step::CreateHprIdWithPreverified => "/hprId/create",
    }
}

/// The step served at a gateway path, if any.
pub fn step_at(path: &str) -> Option<Step> {
    Step::ALL.into_iter().find(|step| self::path(*step) == path)
}

/// The JSON body A expects for `request`: its keys, order and `null`s (CONTRACT §2.3).
pub fn encode(request: &Request) -> Result<Vec<u8>> {
    let body = match request {
        Request::GenerateAadhaarOtp(r) => serde_json::to_vec(&wire::GenerateAadhaarOtp {
            aadhaar: &r.aadhaar,
        }),
        Request::VerifyAadhaarOtp(r) => serde_json::to_vec(&wire::VerifyAadhaarOtp {
            domain_name: &r.domain_name,
            id_type: &r.id_type,
            otp: &r.otp,
            restrictions: r.restrictions.as_deref(),
            txn_id: &r.txn_id,
        }),
        Request::CheckAccountExist(r) => serde_json::to_vec(&wire::CheckAccountExist {
            txn_id: &r.txn_id,
            preverified_check: r.preverified_check,
        }),
        Request::DemographicAuthViaMobile(r) => serde_json::to_vec(&wire::DemographicAuth {
            txn_id: &r.txn_id,
            mobile_number: &r.mobile_number,
        }),
        Request::GenerateMobileOtp(r) => serde_json::to_vec(&wire::GenerateMobileOtp {
            mobile: &r.mobile,
            txn_id: &r.txn_id,
        }),
        Request::VerifyMobileOtp(r) => serde_json::to_vec(&wire::VerifyMobileOtp {
            otp: &r.otp,
            txn_id: &r.txn_id,
        }),
        Request::GetHprIdSuggestion(r) => {
            serde_json::to_vec(&wire::HprIdSuggestion { txn_id: &r.txn_id })
        }
        Request::CreateHprIdWithPreverified(r) => serde_json::to_vec(&wire::CreateHprId {
            address: &r.address,
            day_of_birth: r.date_of_birth.day(),
            district_code: &r.district_code,
            email: &r.email,
            first_name: &r.first_name,
            hp_category_code: &r.hp_category_code,
            hp_sub_category_code: &r.hp_sub_category_code,
            hpr_id: &r.hpr_id,
            last_name: &r.last_name,
            middle_name: r.middle_name.as_ref(),
            month_of_birth: r.date_of_birth.month(),
            password: &r.password,
            pincode: &r.pincode,
            profile_photo: r.profile_photo.as_ref(),
            state_code: &r.state_code,
            txn_id: &r.txn_id,
            year_of_birth: r.date_of_birth.year(),
        }),
    };
    body.map_err(|e| Error::Config(format!("request could not be serialized: {e}")))
}

/// Decodes a 2xx body of `step` into its response, naming the JSON path of any problem.
pub fn decode_response(step: Step, status: u16, body: &[u8]) -> Result<Response> {
    fn read<T: FromGateway>(step: Step, status: u16, body: &[u8]) -> Result<T> {
        T::from_gateway_as(step, status, body)
    }
    Ok(match step {
        Step::GenerateAadhaarOtp => Response::GenerateAadhaarOtp(read(step, status, body)?),
        Step::VerifyAadhaarOtp => Response::VerifyAadhaarOtp(Box::new(read(step, status, body)?)),
        Step::CheckAccountExist => Response::CheckAccountExist(read(step, status, body)?),
        Step::DemographicAuthViaMobile => {
            Response::DemographicAuthViaMobile(read(step, status, body)?)
        }
        Step::GenerateMobileOtp => Response::GenerateMobileOtp(read(step, status, body)?),
        Step::VerifyMobileOtp => Response::VerifyMobileOtp(read(step, status, body)?),
        Step::GetHprIdSuggestion => Response::GetHprIdSuggestion(read(step, status, body)?),
        Step::CreateHprIdWithPreverified => {
            Response::CreateHprIdWithPreverified(Box::new(read(step, status, body)?))
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_its_own_path() {
        for step in Step::ALL {
            assert_eq!(step_at(path(step)), Some(step));
        }
        assert_eq!(step_at("/nope"), None);
    }
}
