//! Where a registration stands, and which steps each stage allows.

use serde::{Deserialize, Serialize};

use super::Step;

/// The stage of a registration session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Stage {
    /// Nothing sent yet.
    Start,
    /// An OTP went to the Aadhaar-linked mobile.
    AadhaarOtpSent,
    /// The Aadhaar OTP was verified; the e-KYC profile is known.
    AadhaarVerified,
    /// No HPR account exists yet; a mobile for communication must be proven next.
    NewAccount,
    /// The given mobile is not the Aadhaar-linked one: it needs a mobile OTP.
    MobileUnverified,
    /// An OTP went to that mobile.
    MobileOtpSent,
    /// The mobile is proven (demographic match or mobile OTP).
    MobileVerified,
    /// HPR ID suggestions are known; ready to create.
    SuggestionsReady,
    /// Done: an account existed or was created.
    Completed,
}

impl Stage {
    /// All stages, in flow order.
    pub const ALL: [Stage; 9] = [
        Stage::Start,
        Stage::AadhaarOtpSent,
        Stage::AadhaarVerified,
        Stage::NewAccount,
        Stage::MobileUnverified,
        Stage::MobileOtpSent,
        Stage::MobileVerified,
        Stage::SuggestionsReady,
        Stage::Completed,
    ];

    /// The steps allowed in this stage, the recommended next one first.
    ///
    /// `generate_aadhaar_otp` is allowed in every unfinished stage: it (re)starts the registration,
    /// e.g. to resend the Aadhaar OTP or after the registry locked a transaction. Each OTP step
    /// also allows resending its OTP.
    pub fn allowed_steps(self) -> &'static [Step] {
        use Step::*;
        match self {
            Stage::Start => &[GenerateAadhaarOtp],
            Stage::AadhaarOtpSent => &[VerifyAadhaarOtp, GenerateAadhaarOtp],
            Stage::AadhaarVerified => &[CheckAccountExist, GenerateAadhaarOtp],
            Stage::NewAccount => &[DemographicAuthViaMobile, GenerateAadhaarOtp],
            Stage::MobileUnverified => &[
                GenerateMobileOtp,
                DemographicAuthViaMobile,
                GenerateAadhaarOtp,
            ],
            Stage::MobileOtpSent => &[VerifyMobileOtp, GenerateMobileOtp, GenerateAadhaarOtp],
            Stage::MobileVerified => &[
                GetHprIdSuggestion,
                CreateHprIdWithPreverified,
                GenerateAadhaarOtp,
            ],
            Stage::SuggestionsReady => &[
                CreateHprIdWithPreverified,
                GetHprIdSuggestion,
                GenerateAadhaarOtp,
            ],
            Stage::Completed => &[],
        }
    }

    /// The recommended next step, `None` when done.
    pub fn next_step(self) -> Option<Step> {
        self.allowed_steps().first().copied()
    }

    /// A short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Start => "nothing has been sent yet",
            Stage::AadhaarOtpSent => "waiting for the Aadhaar OTP",
            Stage::AadhaarVerified => "Aadhaar verified; the account check comes next",
            Stage::NewAccount => "no HPR account yet; a mobile number comes next",
            Stage::MobileUnverified => "the mobile needs an OTP",
            Stage::MobileOtpSent => "waiting for the mobile OTP",
            Stage::MobileVerified => "mobile verified; HPR ID suggestions come next",
            Stage::SuggestionsReady => "ready to create the HPR ID",
            Stage::Completed => "the registration is complete",
        }
    }
}
