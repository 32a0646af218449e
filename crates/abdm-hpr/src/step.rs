//! The 8 registration steps, named as the peer's step ids. Backends map them to their own paths.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the 8 HPR registration steps, named as the peer's step ids (`verify_aadhaar_otp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Step {
    /// 1. Send an OTP to the Aadhaar-linked mobile.
    GenerateAadhaarOtp,
    /// 2. Verify that OTP; returns the e-KYC profile.
    VerifyAadhaarOtp,
    /// 3. Does an HPR ID exist for this Aadhaar?
    CheckAccountExist,
    /// 4. Is this mobile the Aadhaar-linked one?
    DemographicAuthViaMobile,
    /// 5. Send an OTP to another mobile.
    GenerateMobileOtp,
    /// 6. Verify that OTP.
    VerifyMobileOtp,
    /// 7. Suggest usernames.
    GetHprIdSuggestion,
    /// 8. Create the HPR ID.
    CreateHprIdWithPreverified,
}

impl Step {
    /// All operations, in flow order.
    pub const ALL: [Step; 8] = [
        Step::GenerateAadhaarOtp,
        Step::VerifyAadhaarOtp,
        Step::CheckAccountExist,
        Step::DemographicAuthViaMobile,
        Step::GenerateMobileOtp,
        Step::VerifyMobileOtp,
        Step::GetHprIdSuggestion,
        Step::CreateHprIdWithPreverified,
    ];

    /// The step id, e.g. `verify_aadhaar_otp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::GenerateAadhaarOtp => "generate_aadhaar_otp",
            Step::VerifyAadhaarOtp => "verify_aadhaar_otp",
            Step::CheckAccountExist => "check_account_exist",
            Step::DemographicAuthViaMobile => "demographic_auth_via_mobile",
            Step::GenerateMobileOtp => "generate_mobile_otp",
            Step::VerifyMobileOtp => "verify_mobile_otp",
            Step::GetHprIdSuggestion => "get_hpr_id_suggestion",
            Step::CreateHprIdWithPreverified => "create_hpr_id_with_preverified",
        }
    }

    /// `true` for operations whose repetition has an effect (an OTP sent, an ID created, an
    /// attempt consumed).
    pub fn has_side_effects(self) -> bool {
        !matches!(
            self,
            Step::CheckAccountExist | Step::DemographicAuthViaMobile | Step::GetHprIdSuggestion
        )
    }
}

impl std::str::FromStr for Step {
    type Err = String;

    /// Accepts the step id in lower snake case (`verify_aadhaar_otp`) or upper case
    /// (`VERIFY_AADHAAR_OTP`), as the peer's documentation writes it.
    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.trim();
        Step::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let known: Vec<&str> = Step::ALL.iter().map(|op| op.as_str()).collect();
                format!("unknown step `{wanted}`; known steps: {}", known.join(", "))
            })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
