//! The 8 registration operations and their gateway paths.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the 8 HPR registration operations, named as the peer's step ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
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

impl Operation {
    /// All operations, in flow order.
    pub const ALL: [Operation; 8] = [
        Operation::GenerateAadhaarOtp,
        Operation::VerifyAadhaarOtp,
        Operation::CheckAccountExist,
        Operation::DemographicAuthViaMobile,
        Operation::GenerateMobileOtp,
        Operation::VerifyMobileOtp,
        Operation::GetHprIdSuggestion,
        Operation::CreateHprIdWithPreverified,
    ];

    /// The step id, e.g. `verify_aadhaar_otp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::GenerateAadhaarOtp => "generate_aadhaar_otp",
            Operation::VerifyAadhaarOtp => "verify_aadhaar_otp",
            Operation::CheckAccountExist => "check_account_exist",
            Operation::DemographicAuthViaMobile => "demographic_auth_via_mobile",
            Operation::GenerateMobileOtp => "generate_mobile_otp",
            Operation::VerifyMobileOtp => "verify_mobile_otp",
            Operation::GetHprIdSuggestion => "get_hpr_id_suggestion",
            Operation::CreateHprIdWithPreverified => "create_hpr_id_with_preverified",
        }
    }

    /// The gateway path (Backend A), appended to the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Operation::GenerateAadhaarOtp => "/aadhaar/generateOtp",
            Operation::VerifyAadhaarOtp => "/aadhaar/verifyOtp",
            Operation::CheckAccountExist => "/check/account-exist",
            Operation::DemographicAuthViaMobile => "/demographic-auth/mobile",
            Operation::GenerateMobileOtp => "/generate/mobileOtp",
            Operation::VerifyMobileOtp => "/verify/mobileOtp",
            Operation::GetHprIdSuggestion => "/hpId/suggestion",
            Operation::CreateHprIdWithPreverified => "/hprId/create",
        }
    }

    /// `true` for operations whose repetition has an effect (an OTP sent, an ID created, an
    /// attempt consumed).
    pub fn has_side_effects(self) -> bool {
        !matches!(
            self,
            Operation::CheckAccountExist
                | Operation::DemographicAuthViaMobile
                | Operation::GetHprIdSuggestion
        )
    }
}

impl std::str::FromStr for Operation {
    type Err = String;

    /// Accepts the step id in lower snake case (`verify_aadhaar_otp`) or upper case
    /// (`VERIFY_AADHAAR_OTP`), as the peer's documentation writes it.
    fn from_str(s: &str) -> Result<Self, String> {
        let wanted = s.trim();
        Operation::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let known: Vec<&str> = Operation::ALL.iter().map(|op| op.as_str()).collect();
                format!("unknown step `{wanted}`; known steps: {}", known.join(", "))
            })
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
