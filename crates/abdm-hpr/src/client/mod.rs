//! The registry API: a trait with one async method per operation, and its HTTP implementation.
//!
//! The flow, the CLI and tests depend on [`RegistryApi`]; [`GatewayClient`] implements it over the
//! gateway used by the `carestack` SDK (CONTRACT §2). A direct-to-ABDM backend would be a second
//! implementation.

mod config;
mod decode;
mod gateway;
mod operation;
mod retry;
mod tls;

use std::future::Future;

pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, ENV_API_KEY, ENV_API_URL, ENV_FACILITY_ID,
    ENV_HPRID_AUTH, GatewayClientBuilder,
};
pub use gateway::GatewayClient;
pub use operation::Operation;
pub use retry::RetryPolicy;

use crate::error::Result;
use crate::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdRequest, CreateHprIdResponse,
    DemographicAuthRequest, DemographicAuthResponse, GenerateAadhaarOtpRequest,
    GenerateAadhaarOtpResponse, GenerateMobileOtpRequest, HprIdSuggestionRequest, HprIdSuggestions,
    MobileOtpResponse, VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse, VerifyMobileOtpRequest,
};

/// The 8 HPR registration operations. Requests are validated types, so an implementation never
/// sees invalid input. Futures are `Send`.
pub trait RegistryApi: Send + Sync {
    /// 1. Sends an OTP to the Aadhaar-linked mobile; starts a transaction.
    fn generate_aadhaar_otp(
        &self,
        request: &GenerateAadhaarOtpRequest,
    ) -> impl Future<Output = Result<GenerateAadhaarOtpResponse>> + Send;

    /// 2. Verifies the Aadhaar OTP; returns the e-KYC profile.
    fn verify_aadhaar_otp(
        &self,
        request: &VerifyAadhaarOtpRequest,
    ) -> impl Future<Output = Result<VerifyAadhaarOtpResponse>> + Send;

    /// 3. Tells whether an HPR ID already exists for this Aadhaar.
    fn check_account_exist(
        &self,
        request: &CheckAccountExistRequest,
    ) -> impl Future<Output = Result<AccountCheck>> + Send;

    /// 4. Tells whether a mobile is the Aadhaar-linked one.
    fn demographic_auth_via_mobile(
        &self,
        request: &DemographicAuthRequest,
    ) -> impl Future<Output = Result<DemographicAuthResponse>> + Send;

    /// 5. Sends an OTP to another mobile.
    fn generate_mobile_otp(
        &self,
        request: &GenerateMobileOtpRequest,
    ) -> impl Future<Output = Result<MobileOtpResponse>> + Send;

    /// 6. Verifies the mobile OTP.
    fn verify_mobile_otp(
        &self,
        request: &VerifyMobileOtpRequest,
    ) -> impl Future<Output = Result<MobileOtpResponse>> + Send;

    /// 7. Suggests available usernames.
    fn get_hpr_id_suggestion(
        &self,
        request: &HprIdSuggestionRequest,
    ) -> impl Future<Output = Result<HprIdSuggestions>> + Send;

    /// 8. Creates the HPR ID.
    fn create_hpr_id_with_preverified(
        &self,
        request: &CreateHprIdRequest,
    ) -> impl Future<Output = Result<CreateHprIdResponse>> + Send;
}
