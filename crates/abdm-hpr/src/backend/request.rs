//! The step-tagged request and response that cross the port.

use super::RegistryBackend;
use crate::error::{Error, Result};
use crate::step::Step;
use crate::types::{
    AccountCheck, CheckAccountExistRequest, CreateHprIdRequest, CreateHprIdResponse,
    DemographicAuthRequest, DemographicAuthResponse, GenerateAadhaarOtpRequest,
    GenerateAadhaarOtpResponse, GenerateMobileOtpRequest, HprIdSuggestionRequest, HprIdSuggestions,
    MobileOtpResponse, TxnId, VerifyAadhaarOtpRequest, VerifyAadhaarOtpResponse,
    VerifyMobileOtpRequest,
};

/// A validated request for one step. `Debug` is safe (the requests redact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
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

/// The registry's answer to a [`Request`]. `Debug` is safe (the responses redact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
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

impl Request {
    /// The step this request performs.
    pub fn step(&self) -> Step {
        match self {
            Request::GenerateAadhaarOtp(_) => Step::GenerateAadhaarOtp,
            Request::VerifyAadhaarOtp(_) => Step::VerifyAadhaarOtp,
            Request::CheckAccountExist(_) => Step::CheckAccountExist,
            Request::DemographicAuthViaMobile(_) => Step::DemographicAuthViaMobile,
            Request::GenerateMobileOtp(_) => Step::GenerateMobileOtp,
            Request::VerifyMobileOtp(_) => Step::VerifyMobileOtp,
            Request::GetHprIdSuggestion(_) => Step::GetHprIdSuggestion,
            Request::CreateHprIdWithPreverified(_) => Step::CreateHprIdWithPreverified,
        }
    }

    /// The transaction the request belongs to (none for step 1).
    pub fn txn_id(&self) -> Option<&TxnId> {
        match self {
            Request::GenerateAadhaarOtp(_) => None,
            Request::VerifyAadhaarOtp(r) => Some(&r.txn_id),
            Request::CheckAccountExist(r) => Some(&r.txn_id),
            Request::DemographicAuthViaMobile(r) => Some(&r.txn_id),
            Request::GenerateMobileOtp(r) => Some(&r.txn_id),
            Request::VerifyMobileOtp(r) => Some(&r.txn_id),
            Request::GetHprIdSuggestion(r) => Some(&r.txn_id),
            Request::CreateHprIdWithPreverified(r) => Some(&r.txn_id),
        }
    }

    /// Sends the request through `backend` and checks that the answer is for the same step.
    pub async fn send<B: RegistryBackend + ?Sized>(&self, backend: &B) -> Result<Response> {
        let response = backend.call(self).await?;
        response.expect_step(self.step())
    }
}

impl Response {
    /// The step this response answers.
    pub fn step(&self) -> Step {
        match self {
            Response::GenerateAadhaarOtp(_) => Step::GenerateAadhaarOtp,
            Response::VerifyAadhaarOtp(_) => Step::VerifyAadhaarOtp,
            Response::CheckAccountExist(_) => Step::CheckAccountExist,
            Response::DemographicAuthViaMobile(_) => Step::DemographicAuthViaMobile,
            Response::GenerateMobileOtp(_) => Step::GenerateMobileOtp,
            Response::VerifyMobileOtp(_) => Step::VerifyMobileOtp,
            Response::GetHprIdSuggestion(_) => Step::GetHprIdSuggestion,
            Response::CreateHprIdWithPreverified(_) => Step::CreateHprIdWithPreverified,
        }
    }

    /// `self` if it answers `step`, else [`Error::Mismatch`].
    pub fn expect_step(self, step: Step) -> Result<Self> {
        if self.step() == step {
            Ok(self)
        } else {
            Err(Error::Mismatch {
                operation: step,
                answered: self.step(),
            })
        }
    }
}

/// A request type of one step, with the response type that step returns.
///
/// It ties each request to its response at the type level, so the typed methods of
/// [`RegistryApi`](super::RegistryApi) cannot pair them wrongly.
pub trait StepRequest: Clone + Send + Sync {
    /// The step.
    const STEP: Step;
    /// What the registry answers.
    type Response;
    /// Tags the request with its step.
    fn into_request(self) -> Request;
    /// Takes the typed answer out of a response of the same step.
    fn from_response(response: Response) -> Result<Self::Response>;
}

macro_rules! step_requests {
    ($($request:ty => $variant:ident [$($req_box:ident)?] -> $response:ty [$($resp_box:ident)?];)*) => {$(
        impl StepRequest for $request {
            const STEP: Step = Step::$variant;
            type Response = $response;
            fn into_request(self) -> Request {
                Request::$variant($($req_box::new)?(self))
            }
            fn from_response(response: Response) -> Result<$response> {
                match response {
                    Response::$variant(r) => Ok(step_requests!(@unbox r $($resp_box)?)),
                    other => Err(Error::Mismatch { operation: Step::$variant, answered: other.step() }),
                }
            }
        }
    )*};
    (@unbox $r:ident Box) => { *$r };
    (@unbox $r:ident) => { $r };
}

step_requests! {
    GenerateAadhaarOtpRequest => GenerateAadhaarOtp [] -> GenerateAadhaarOtpResponse [];
    VerifyAadhaarOtpRequest => VerifyAadhaarOtp [] -> VerifyAadhaarOtpResponse [Box];
    CheckAccountExistRequest => CheckAccountExist [] -> AccountCheck [];
    DemographicAuthRequest => DemographicAuthViaMobile [] -> DemographicAuthResponse [];
    GenerateMobileOtpRequest => GenerateMobileOtp [] -> MobileOtpResponse [];
    VerifyMobileOtpRequest => VerifyMobileOtp [] -> MobileOtpResponse [];
    HprIdSuggestionRequest => GetHprIdSuggestion [] -> HprIdSuggestions [];
    CreateHprIdRequest => CreateHprIdWithPreverified [Box] -> CreateHprIdResponse [Box];
}
