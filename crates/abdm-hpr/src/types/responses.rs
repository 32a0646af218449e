//! The domain responses of the 8 registration steps.
//!
//! Each backend adapter decodes its own wire format into these (Backend A:
//! [`gateway::decode_response`](crate::gateway::decode_response), tolerant of upstream's aliases).
//! They serialize with the contract's names (`mobileNumber`, `profilePhoto`, `birthDate`): the
//! `data` of a step outcome (CONTRACT §6). `Debug` never shows personal data or tokens.

use std::fmt;

use serde::Serialize;

use super::fields::{Token, TxnId};
use super::mask;

/// Debug helper: shows whether an optional personal value is present, never the value.
fn presence<T>(v: &Option<T>) -> &'static str {
    if v.is_some() { "<set>" } else { "None" }
}

/// Debug helper: a server-sent mobile, at most its last 4 digits.
fn masked_mobile(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "None".to_owned(), mask::last4)
}

// ---------------------------------------------------------------------------------------------

/// Response of generate-Aadhaar-OTP: `{"txnId","mobileNumber"}`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateAadhaarOtpResponse {
    /// The new transaction.
    pub txn_id: TxnId,
    /// The Aadhaar-linked mobile as masked by the server (`******3210`), if sent.
    pub mobile_number: Option<String>,
}

impl fmt::Debug for GenerateAadhaarOtpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenerateAadhaarOtpResponse")
            .field("txn_id", &self.txn_id)
            .field("mobile_number", &masked_mobile(&self.mobile_number))
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------

/// The e-KYC profile returned by verify-Aadhaar-OTP.
///
/// Accepts `mobile`/`mobileNumber`, `photo`/`profilePhoto` and `birthDate`/`birthdate` (the first
/// non-null wins) and serializes them as `mobileNumber`, `profilePhoto`, `birthDate`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyAadhaarOtpResponse {
    /// Transaction id (required).
    pub txn_id: TxnId,
    /// The Aadhaar-linked mobile (usually masked by the server).
    pub mobile_number: Option<String>,
    /// Base64 JPEG photo from UIDAI.
    pub profile_photo: Option<String>,
    /// Gender (`M`, `F`, `O`).
    pub gender: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// E-mail known to UIDAI.
    pub email: Option<String>,
    /// PIN code.
    pub pincode: Option<String>,
    /// Birth date, `dd-MM-yyyy`.
    pub birth_date: Option<String>,
    /// Care-of line.
    pub care_of: Option<String>,
    /// House.
    pub house: Option<String>,
    /// Street.
    pub street: Option<String>,
    /// Landmark.
    pub landmark: Option<String>,
    /// Locality.
    pub locality: Option<String>,
    /// Village, town or city.
    pub village_town_city: Option<String>,
    /// Sub-district.
    pub sub_dist: Option<String>,
    /// District name.
    pub district: Option<String>,
    /// State name.
    pub state: Option<String>,
    /// Post office.
    pub post_office: Option<String>,
    /// One-line address.
    pub address: Option<String>,
}

impl fmt::Debug for VerifyAadhaarOtpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyAadhaarOtpResponse")
            .field("txn_id", &self.txn_id)
            .field("mobile_number", &masked_mobile(&self.mobile_number))
            .field("profile_photo", &presence(&self.profile_photo))
            .field("name", &presence(&self.name))
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------

/// Result of check-account-exist: decided by a non-blank `hprIdNumber` only.
///
/// `null`, missing or `""` means [`AccountCheck::New`]; `new` is informational.
///
/// ```
/// use abdm_hpr::gateway::FromGateway as _;
/// use abdm_hpr::types::AccountCheck;
/// let new = AccountCheck::from_gateway(200, br#"{"hprIdNumber":null,"new":true}"#).unwrap();
/// assert!(matches!(new, AccountCheck::New(_)));
/// let old = AccountCheck::from_gateway(200, br#"{"hprIdNumber":"71-1234-5678-9012","hprId":"a.b@hpr.abdm"}"#).unwrap();
/// assert!(matches!(old, AccountCheck::Existing(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AccountCheck {
    /// An HPR ID is already registered for this Aadhaar: the flow ends here.
    Existing(ExistingAccount),
    /// No HPR ID yet; carries the KYC demographics used to create one.
    New(Box<NewAccount>),
}

/// The account already registered for this Aadhaar.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExistingAccount {
    /// The professional's token.
    pub token: Option<Token>,
    /// The 14-digit HPR ID number `NN-NNNN-NNNN-NNNN`.
    pub hpr_id_number: String,
    /// The HPR ID `<username>@hpr.abdm`.
    pub hpr_id: String,
    /// Category id.
    pub category_id: Option<i64>,
    /// Category name, e.g. `Doctor`.
    pub category_name: Option<String>,
    /// Sub-category id.
    pub sub_category_id: Option<i64>,
    /// Sub-category name, e.g. `Modern Medicine`.
    pub category_sub_name: Option<String>,
    /// Upstream's `new` flag (informational).
    pub new: Option<bool>,
}

impl fmt::Debug for ExistingAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExistingAccount")
            .field("token", &self.token)
            .field("category_id", &self.category_id)
            .field("sub_category_id", &self.sub_category_id)
            .finish_non_exhaustive()
    }
}

/// KYC demographics for a professional without an HPR ID.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAccount {
    /// Transaction id, when echoed.
    pub txn_id: Option<TxnId>,
    /// The professional's token.
    pub token: Option<Token>,
    /// Always `""` for a new account.
    pub hpr_id_number: String,
    /// Full name.
    pub name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Gender.
    pub gender: Option<String>,
    /// Year of birth.
    pub year_of_birth: Option<String>,
    /// Month of birth.
    pub month_of_birth: Option<String>,
    /// Day of birth.
    pub day_of_birth: Option<String>,
    /// State code.
    pub state_code: Option<String>,
    /// State name.
    pub state_name: Option<String>,
    /// District code.
    pub district_code: Option<String>,
    /// District name.
    pub district_name: Option<String>,
    /// One-line address.
    pub address: Option<String>,
    /// PIN code.
    pub pincode: Option<String>,
    /// Base64 photo.
    pub profile_photo: Option<String>,
    /// Category id (0 for a new account).
    pub category_id: Option<i64>,
    /// Sub-category id (0 for a new account).
    pub sub_category_id: Option<i64>,
    /// Upstream's `new` flag (informational).
    pub new: Option<bool>,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("txn_id", &self.txn_id)
            .field("token", &self.token)
            .field("name", &presence(&self.name))
            .field("profile_photo", &presence(&self.profile_photo))
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------

/// Response of demographic-auth: `{"verified": bool}` (a JSON boolean is required).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemographicAuthResponse {
    /// `true` iff the mobile is the Aadhaar-linked one (then no mobile OTP is needed).
    pub verified: bool,
}

/// Response of generate- and verify-mobile-OTP: `{"txnId","mobileNumber"}`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileOtpResponse {
    /// Transaction id.
    pub txn_id: TxnId,
    /// Usually `null`.
    pub mobile_number: Option<String>,
}

impl fmt::Debug for MobileOtpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MobileOtpResponse")
            .field("txn_id", &self.txn_id)
            .field("mobile_number", &masked_mobile(&self.mobile_number))
            .finish()
    }
}

/// Response of the suggestion call: a bare JSON array of usernames.
#[derive(Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct HprIdSuggestions(pub Vec<String>);

impl fmt::Debug for HprIdSuggestions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HprIdSuggestions({} ids)", self.0.len())
    }
}

/// Response of create-HPR-ID. Only `token`, `hprIdNumber` and `hprId` are required.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateHprIdResponse {
    /// The professional's token.
    pub token: Token,
    /// The new 14-digit HPR ID number.
    pub hpr_id_number: String,
    /// The new HPR ID `<username>@hpr.abdm`.
    pub hpr_id: String,
    /// Full name.
    pub name: Option<String>,
    /// Gender.
    pub gender: Option<String>,
    /// Year of birth.
    pub year_of_birth: Option<String>,
    /// Month of birth.
    pub month_of_birth: Option<String>,
    /// Day of birth.
    pub day_of_birth: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// State code.
    pub state_code: Option<String>,
    /// State name.
    pub state_name: Option<String>,
    /// District code.
    pub district_code: Option<String>,
    /// District name.
    pub district_name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Base64 KYC photo.
    pub kyc_photo: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Category id.
    pub category_id: Option<i64>,
    /// Sub-category id.
    pub sub_category_id: Option<i64>,
    /// Ways the professional can sign in, e.g. `AADHAAR_OTP`, `PASSWORD`.
    pub auth_methods: Option<Vec<String>>,
    /// Upstream's `new` flag.
    pub new: Option<bool>,
    /// The refresh token for the professional's `token` (Backend B sends one; A does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Token>,
}

impl fmt::Debug for CreateHprIdResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateHprIdResponse")
            .field("token", &self.token)
            .field("refresh_token", &self.refresh_token)
            .field("category_id", &self.category_id)
            .field("sub_category_id", &self.sub_category_id)
            .field("auth_methods", &self.auth_methods)
            .finish_non_exhaustive()
    }
}
