//! The eight typed methods, for every backend.

use std::future::Future;

use super::{RegistryBackend, StepRequest};
use crate::error::Result;
use crate::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdRequest, CreateHprIdResponse,
    DemographicAuthRequest, DemographicAuthResponse, GenerateAadhaarOtpRequest,
    GenerateAadhaarOtpResponse, GenerateMobileOtpRequest, HprIdSuggestionRequest, HprIdSuggestions,
    MobileOtpResponse, VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse, VerifyMobileOtpRequest,
};

/// The 8 HPR registration operations as typed methods, available on every [`RegistryBackend`]
/// (including `Arc<dyn RegistryBackend>`). Futures are `Send`.
pub trait RegistryApi: RegistryBackend {
    /// Sends any typed request and returns its typed response.
    fn send<R: StepRequest>(
        &self,
        request: &R,
    ) -> impl Future<Output = Result<R::Response>> + Send {
        let request = request.clone().into_request();
        async move { R::from_response(self.call(&request).await?) }
    }

    /// 1. Sends an OTP to the Aadhaar-linked mobile; starts a transaction.
    fn generate_aadhaar_otp(
        &self,
        request: &GenerateAadhaarOtpRequest,
    ) -> impl Future<Output = Result<GenerateAadhaarOtpResponse>> + Send {
        self.send(request)
    }

    /// 2. Verifies the Aadhaar OTP; returns the e-KYC profile.
    fn verify_aadhaar_otp(
        &self,
        request: &VerifyAadhaarOtpRequest,
    ) -> impl Future<Output = Result<VerifyAadhaarOtpResponse>> + Send {
        self.send(request)
    }

    /// 3. Tells whether an HPR ID already exists for this Aadhaar.
    fn check_account_exist(
        &self,
        request: &CheckAccountExistRequest,
    ) -> impl Future<Output = Result<AccountCheck>> + Send {
        self.send(request)
    }

    /// 4. Tells whether a mobile is the Aadhaar-linked one.
    fn demographic_auth_via_mobile(
        &self,
        request: &DemographicAuthRequest,
    ) -> impl Future<Output = Result<DemographicAuthResponse>> + Send {
        self.send(request)
    }

    /// 5. Sends an OTP to another mobile.
    fn generate_mobile_otp(
        &self,
        request: &GenerateMobileOtpRequest,
    ) -> impl Future<Output = Result<MobileOtpResponse>> + Send {
        self.send(request)
    }

    /// 6. Verifies the mobile OTP.
    fn verify_mobile_otp(
        &self,
        request: &VerifyMobileOtpRequest,
    ) -> impl Future<Output = Result<MobileOtpResponse>> + Send {
        self.send(request)
    }

    /// 7. Suggests available usernames.
    fn get_hpr_id_suggestion(
        &self,
        request: &HprIdSuggestionRequest,
    ) -> impl Future<Output = Result<HprIdSuggestions>> + Send {
        self.send(request)
    }

    /// 8. Creates the HPR ID.
    fn create_hpr_id_with_preverified(
        &self,
        request: &CreateHprIdRequest,
    ) -> impl Future<Output = Result<CreateHprIdResponse>> + Send {
        self.send(request)
    }
}

impl<B: RegistryBackend + ?Sized> RegistryApi for B {}
