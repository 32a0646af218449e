//! The effect of a step: one validated request, and the reply it got.

use super::Step;
use crate::client::RegistryApi;
use crate::error::Result;
use crate::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdRequest, CreateHprIdResponse,
    DemographicAuthRequest, DemographicAuthResponse, GenerateAadhaarOtpRequest,
    GenerateAadhaarOtpResponse, GenerateMobileOtpRequest, HprIdSuggestionRequest, HprIdSuggestions,
    MobileOtpResponse, VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse, VerifyMobileOtpRequest,
};

/// A validated request the session decided to send. `Debug` is safe (the requests redact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Step 1.
    GenerateAadhaarOtp(GenerateAadhaarOtpRequest),
    /// Step 2.
    VerifyAadhaarOtp(VerifyAadhaarOtpRequest),
    /// Step 3.
    CheckAccountExist(CheckAccountExistRequest),
    /// Step 4.
    DemographicAuthViaMobile(DemographicAuthRequest),
    /// Step 5.
    GenerateMobileOtp(GenerateMobileOtpRequest),
    /// Step 6.
    VerifyMobileOtp(VerifyMobileOtpRequest),
    /// Step 7.
    GetHprIdSuggestion(HprIdSuggestionRequest),
    /// Step 8.
    CreateHprIdWithPreverified(Box<CreateHprIdRequest>),
}

/// The registry's answer to a [`Call`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Step 1.
    GenerateAadhaarOtp(GenerateAadhaarOtpResponse),
    /// Step 2.
    VerifyAadhaarOtp(Box<VerifyAadhaarOtpResponse>),
    /// Step 3.
    CheckAccountExist(AccountCheck),
    /// Step 4.
    DemographicAuthViaMobile(DemographicAuthResponse),
    /// Step 5.
    GenerateMobileOtp(MobileOtpResponse),
    /// Step 6.
    VerifyMobileOtp(MobileOtpResponse),
    /// Step 7.
    GetHprIdSuggestion(HprIdSuggestions),
    /// Step 8.
    CreateHprIdWithPreverified(Box<CreateHprIdResponse>),
}

impl Call {
    /// The step this call performs.
    pub fn step(&self) -> Step {
        match self {
            Call::GenerateAadhaarOtp(_) => Step::GenerateAadhaarOtp,
            Call::VerifyAadhaarOtp(_) => Step::VerifyAadhaarOtp,
            Call::CheckAccountExist(_) => Step::CheckAccountExist,
            Call::DemographicAuthViaMobile(_) => Step::DemographicAuthViaMobile,
            Call::GenerateMobileOtp(_) => Step::GenerateMobileOtp,
            Call::VerifyMobileOtp(_) => Step::VerifyMobileOtp,
            Call::GetHprIdSuggestion(_) => Step::GetHprIdSuggestion,
            Call::CreateHprIdWithPreverified(_) => Step::CreateHprIdWithPreverified,
        }
    }

    /// Sends the call through `api`.
    pub async fn send<A: RegistryApi>(&self, api: &A) -> Result<Reply> {
        Ok(match self {
            Call::GenerateAadhaarOtp(r) => {
                Reply::GenerateAadhaarOtp(api.generate_aadhaar_otp(r).await?)
            }
            Call::VerifyAadhaarOtp(r) => {
                Reply::VerifyAadhaarOtp(Box::new(api.verify_aadhaar_otp(r).await?))
            }
            Call::CheckAccountExist(r) => {
                Reply::CheckAccountExist(api.check_account_exist(r).await?)
            }
            Call::DemographicAuthViaMobile(r) => {
                Reply::DemographicAuthViaMobile(api.demographic_auth_via_mobile(r).await?)
            }
            Call::GenerateMobileOtp(r) => {
                Reply::GenerateMobileOtp(api.generate_mobile_otp(r).await?)
            }
            Call::VerifyMobileOtp(r) => Reply::VerifyMobileOtp(api.verify_mobile_otp(r).await?),
            Call::GetHprIdSuggestion(r) => {
                Reply::GetHprIdSuggestion(api.get_hpr_id_suggestion(r).await?)
            }
            Call::CreateHprIdWithPreverified(r) => Reply::CreateHprIdWithPreverified(Box::new(
                api.create_hpr_id_with_preverified(r).await?,
            )),
        })
    }
}
