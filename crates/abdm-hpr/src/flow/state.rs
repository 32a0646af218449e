//! The session's data, one variant per stage holding exactly what that stage has (format v2).

use serde::{Deserialize, Serialize};

use super::Stage;
use super::session::RegistrationResult;
use crate::types::{CreateHprIdInput, Mobile, TxnId};

/// The transaction a registration runs in, known from the first step on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Txn {
    /// The latest transaction id the registry gave.
    pub id: TxnId,
    /// The last 4 digits of the Aadhaar number (never more).
    pub aadhaar_last4: String,
    /// The Aadhaar-linked mobile as masked by the registry (e.g. `******3210`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_mobile: Option<String>,
}

/// The demographic fields of create that the session prefills (from the account check, e-KYC
/// as fallback), under their wire names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Demographics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pincode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
}

impl Demographics {
    /// The wire names of the fields, in the order hints list them.
    pub const FIELDS: [&'static str; 10] = [
        "address",
        "dayOfBirth",
        "monthOfBirth",
        "yearOfBirth",
        "firstName",
        "lastName",
        "pincode",
        "stateCode",
        "districtCode",
        "middleName",
    ];

    /// The slot of a wire name, `None` for a field that is not demographic.
    pub fn slot(&mut self, field: &str) -> Option<&mut Option<String>> {
        Some(match field {
            "address" => &mut self.address,
            "dayOfBirth" => &mut self.day_of_birth,
            "monthOfBirth" => &mut self.month_of_birth,
            "yearOfBirth" => &mut self.year_of_birth,
            "firstName" => &mut self.first_name,
            "lastName" => &mut self.last_name,
            "pincode" => &mut self.pincode,
            "stateCode" => &mut self.state_code,
            "districtCode" => &mut self.district_code,
            "middleName" => &mut self.middle_name,
            _ => return None,
        })
    }

    /// The value of a wire name.
    pub fn get(&self, field: &str) -> Option<&str> {
        match field {
            "address" => self.address.as_deref(),
            "dayOfBirth" => self.day_of_birth.as_deref(),
            "monthOfBirth" => self.month_of_birth.as_deref(),
            "yearOfBirth" => self.year_of_birth.as_deref(),
            "firstName" => self.first_name.as_deref(),
            "lastName" => self.last_name.as_deref(),
            "pincode" => self.pincode.as_deref(),
            "stateCode" => self.state_code.as_deref(),
            "districtCode" => self.district_code.as_deref(),
            "middleName" => self.middle_name.as_deref(),
            _ => None,
        }
    }

    /// Sets a field unless `value` is blank (blank counts as missing).
    pub fn put(&mut self, field: &str, value: Option<&String>) {
        if let (Some(slot), Some(v)) = (self.slot(field), value)
            && !v.trim().is_empty()
        {
            *slot = Some(v.clone());
        }
    }

    /// As the create input's demographic fields.
    pub fn to_input(&self) -> CreateHprIdInput {
        self.clone().fill(CreateHprIdInput::default())
    }

    /// `input` with its demographic fields replaced by these.
    pub fn fill(self, input: CreateHprIdInput) -> CreateHprIdInput {
        CreateHprIdInput {
            address: self.address,
            day_of_birth: self.day_of_birth,
            month_of_birth: self.month_of_birth,
            year_of_birth: self.year_of_birth,
            first_name: self.first_name,
            last_name: self.last_name,
            pincode: self.pincode,
            state_code: self.state_code,
            district_code: self.district_code,
            middle_name: self.middle_name,
            ..input
        }
    }

    /// The demographic fields of a create input.
    pub fn from_input(input: &CreateHprIdInput) -> Self {
        Self {
            address: input.address.clone(),
            day_of_birth: input.day_of_birth.clone(),
            month_of_birth: input.month_of_birth.clone(),
            year_of_birth: input.year_of_birth.clone(),
            first_name: input.first_name.clone(),
            last_name: input.last_name.clone(),
            pincode: input.pincode.clone(),
            state_code: input.state_code.clone(),
            district_code: input.district_code.clone(),
            middle_name: input.middle_name.clone(),
        }
    }
}

/// Where a registration stands, with exactly the data of that stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub(crate) enum SessionState {
    /// Nothing sent yet.
    Start,
    /// An OTP went to the Aadhaar-linked mobile.
    AadhaarOtpSent { txn: Txn },
    /// The e-KYC profile is known.
    AadhaarVerified { txn: Txn, prefill: Demographics },
    /// No HPR account exists; a mobile comes next.
    NewAccount { txn: Txn, prefill: Demographics },
    /// The given mobile is not the linked one.
    MobileUnverified {
        txn: Txn,
        prefill: Demographics,
        mobile: Mobile,
    },
    /// An OTP went to that mobile.
    MobileOtpSent {
        txn: Txn,
        prefill: Demographics,
        mobile: Mobile,
    },
    /// The mobile is proven.
    MobileVerified {
        txn: Txn,
        prefill: Demographics,
        mobile: Mobile,
    },
    /// Suggestions are known; ready to create.
    SuggestionsReady {
        txn: Txn,
        prefill: Demographics,
        mobile: Mobile,
        suggestions: Vec<String>,
    },
    /// Done.
    Completed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aadhaar_last4: Option<String>,
        result: RegistrationResult,
    },
}

impl SessionState {
    pub fn stage(&self) -> Stage {
        match self {
            SessionState::Start => Stage::Start,
            SessionState::AadhaarOtpSent { .. } => Stage::AadhaarOtpSent,
            SessionState::AadhaarVerified { .. } => Stage::AadhaarVerified,
            SessionState::NewAccount { .. } => Stage::NewAccount,
            SessionState::MobileUnverified { .. } => Stage::MobileUnverified,
            SessionState::MobileOtpSent { .. } => Stage::MobileOtpSent,
            SessionState::MobileVerified { .. } => Stage::MobileVerified,
            SessionState::SuggestionsReady { .. } => Stage::SuggestionsReady,
            SessionState::Completed { .. } => Stage::Completed,
        }
    }

    pub fn txn(&self) -> Option<&Txn> {
        match self {
            SessionState::Start | SessionState::Completed { .. } => None,
            SessionState::AadhaarOtpSent { txn }
            | SessionState::AadhaarVerified { txn, .. }
            | SessionState::NewAccount { txn, .. }
            | SessionState::MobileUnverified { txn, .. }
            | SessionState::MobileOtpSent { txn, .. }
            | SessionState::MobileVerified { txn, .. }
            | SessionState::SuggestionsReady { txn, .. } => Some(txn),
        }
    }

    pub fn prefill(&self) -> Option<&Demographics> {
        match self {
            SessionState::AadhaarVerified { prefill, .. }
            | SessionState::NewAccount { prefill, .. }
            | SessionState::MobileUnverified { prefill, .. }
            | SessionState::MobileOtpSent { prefill, .. }
            | SessionState::MobileVerified { prefill, .. }
            | SessionState::SuggestionsReady { prefill, .. } => Some(prefill),
            _ => None,
        }
    }

    pub fn mobile(&self) -> Option<&Mobile> {
        match self {
            SessionState::MobileUnverified { mobile, .. }
            | SessionState::MobileOtpSent { mobile, .. }
            | SessionState::MobileVerified { mobile, .. }
            | SessionState::SuggestionsReady { mobile, .. } => Some(mobile),
            _ => None,
        }
    }
}
