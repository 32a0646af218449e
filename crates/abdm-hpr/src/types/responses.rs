//! Response bodies of the 8 gateway operations (CONTRACT §2.3).
//!
//! Decoding is tolerant where upstream varies (aliases, extra keys, `null`s) and strict only on the
//! fields the flow needs (`txnId`, `hprIdNumber`, `hprId`, `token`, `verified`). Serialization uses
//! the contract's names (`mobileNumber`, `profilePhoto`, `birthDate`). `Debug` never shows personal
//! data or tokens.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::fields::{Token, TxnId};
use super::mask;

/// An optional transaction id where upstream may send `""` or whitespace for "none".
fn blank_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<TxnId>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) if !s.trim().is_empty() => {
            TxnId::parse(&s).map(Some).map_err(serde::de::Error::custom)
        }
        _ => Ok(None),
    }
}

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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateAadhaarOtpResponse {
    /// The new transaction.
    pub txn_id: TxnId,
    /// The Aadhaar-linked mobile as masked by the server (`******3210`), if sent.
    #[serde(default)]
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "KycWire")]
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

/// The verify-Aadhaar-OTP body as sent, with every alias.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KycWire {
    txn_id: TxnId,
    mobile: Option<String>,
    mobile_number: Option<String>,
    photo: Option<String>,
    profile_photo: Option<String>,
    birth_date: Option<String>,
    #[serde(rename = "birthdate")]
    birthdate_lower: Option<String>,
    gender: Option<String>,
    name: Option<String>,
    email: Option<String>,
    pincode: Option<String>,
    care_of: Option<String>,
    house: Option<String>,
    street: Option<String>,
    landmark: Option<String>,
    locality: Option<String>,
    village_town_city: Option<String>,
    sub_dist: Option<String>,
    district: Option<String>,
    state: Option<String>,
    post_office: Option<String>,
    address: Option<String>,
}

impl From<KycWire> for VerifyAadhaarOtpResponse {
    fn from(w: KycWire) -> Self {
        Self {
            txn_id: w.txn_id,
            mobile_number: w.mobile.or(w.mobile_number),
            profile_photo: w.photo.or(w.profile_photo),
            birth_date: w.birth_date.or(w.birthdate_lower),
            gender: w.gender,
            name: w.name,
            email: w.email,
            pincode: w.pincode,
            care_of: w.care_of,
            house: w.house,
            street: w.street,
            landmark: w.landmark,
            locality: w.locality,
            village_town_city: w.village_town_city,
            sub_dist: w.sub_dist,
            district: w.district,
            state: w.state,
            post_office: w.post_office,
            address: w.address,
        }
    }
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
/// use abdm_hpr::types::AccountCheck;
/// let new: AccountCheck = serde_json::from_str(r#"{"hprIdNumber":null,"new":true}"#).unwrap();
/// assert!(matches!(new, AccountCheck::New(_)));
/// let old: AccountCheck =
///     serde_json::from_str(r#"{"hprIdNumber":"71-1234-5678-9012","hprId":"a.b@hpr.abdm"}"#).unwrap();
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

/// Every key either shape may carry; the shape is decided afterwards.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountWire {
    hpr_id_number: Option<String>,
    hpr_id: Option<String>,
    #[serde(default, deserialize_with = "blank_as_none")]
    txn_id: Option<TxnId>,
    token: Option<Token>,
    name: Option<String>,
    first_name: Option<String>,
    middle_name: Option<String>,
    last_name: Option<String>,
    gender: Option<String>,
    year_of_birth: Option<String>,
    month_of_birth: Option<String>,
    day_of_birth: Option<String>,
    state_code: Option<String>,
    state_name: Option<String>,
    district_code: Option<String>,
    district_name: Option<String>,
    address: Option<String>,
    pincode: Option<String>,
    profile_photo: Option<String>,
    category_id: Option<i64>,
    category_name: Option<String>,
    sub_category_id: Option<i64>,
    category_sub_name: Option<String>,
    new: Option<bool>,
}

impl<'de> Deserialize<'de> for AccountCheck {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = AccountWire::deserialize(d)?;
        let number = w
            .hpr_id_number
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.trim().to_owned());
        if let Some(hpr_id_number) = number {
            if w.new == Some(true) {
                tracing::warn!(
                    "account check: hprIdNumber present but new=true; trusting hprIdNumber"
                );
            }
            let hpr_id = w
                .hpr_id
                .filter(|h| !h.trim().is_empty())
                .ok_or_else(|| serde::de::Error::missing_field("hprId"))?;
            return Ok(Self::Existing(ExistingAccount {
                token: w.token,
                hpr_id_number,
                hpr_id,
                category_id: w.category_id,
                category_name: w.category_name,
                sub_category_id: w.sub_category_id,
                category_sub_name: w.category_sub_name,
                new: w.new,
            }));
        }
        Ok(Self::New(Box::new(NewAccount {
            txn_id: w.txn_id,
            token: w.token,
            hpr_id_number: String::new(),
            name: w.name,
            first_name: w.first_name,
            middle_name: w.middle_name,
            last_name: w.last_name,
            gender: w.gender,
            year_of_birth: w.year_of_birth,
            month_of_birth: w.month_of_birth,
            day_of_birth: w.day_of_birth,
            state_code: w.state_code,
            state_name: w.state_name,
            district_code: w.district_code,
            district_name: w.district_name,
            address: w.address,
            pincode: w.pincode,
            profile_photo: w.profile_photo,
            category_id: w.category_id,
            sub_category_id: w.sub_category_id,
            new: w.new,
        })))
    }
}

// ---------------------------------------------------------------------------------------------

/// Response of demographic-auth: `{"verified": bool}` (a JSON boolean is required).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemographicAuthResponse {
    /// `true` iff the mobile is the Aadhaar-linked one (then no mobile OTP is needed).
    pub verified: bool,
}

/// Response of generate- and verify-mobile-OTP: `{"txnId","mobileNumber"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileOtpResponse {
    /// Transaction id.
    pub txn_id: TxnId,
    /// Usually `null`.
    #[serde(default)]
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
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HprIdSuggestions(pub Vec<String>);

impl fmt::Debug for HprIdSuggestions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HprIdSuggestions({} ids)", self.0.len())
    }
}

/// Response of create-HPR-ID. Only `token`, `hprIdNumber` and `hprId` are required.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateHprIdResponse {
    /// The professional's token.
    pub token: Token,
    /// The new 14-digit HPR ID number.
    pub hpr_id_number: String,
    /// The new HPR ID `<username>@hpr.abdm`.
    pub hpr_id: String,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Gender.
    #[serde(default)]
    pub gender: Option<String>,
    /// Year of birth.
    #[serde(default)]
    pub year_of_birth: Option<String>,
    /// Month of birth.
    #[serde(default)]
    pub month_of_birth: Option<String>,
    /// Day of birth.
    #[serde(default)]
    pub day_of_birth: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Middle name.
    #[serde(default)]
    pub middle_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// State code.
    #[serde(default)]
    pub state_code: Option<String>,
    /// State name.
    #[serde(default)]
    pub state_name: Option<String>,
    /// District code.
    #[serde(default)]
    pub district_code: Option<String>,
    /// District name.
    #[serde(default)]
    pub district_name: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Base64 KYC photo.
    #[serde(default)]
    pub kyc_photo: Option<String>,
    /// Mobile.
    #[serde(default)]
    pub mobile: Option<String>,
    /// Category id.
    #[serde(default)]
    pub category_id: Option<i64>,
    /// Sub-category id.
    #[serde(default)]
    pub sub_category_id: Option<i64>,
    /// Ways the professional can sign in, e.g. `AADHAAR_OTP`, `PASSWORD`.
    #[serde(default)]
    pub auth_methods: Option<Vec<String>>,
    /// Upstream's `new` flag.
    #[serde(default)]
    pub new: Option<bool>,
}

impl fmt::Debug for CreateHprIdResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateHprIdResponse")
            .field("token", &self.token)
            .field("category_id", &self.category_id)
            .field("sub_category_id", &self.sub_category_id)
            .field("auth_methods", &self.auth_methods)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_txn_id_in_an_account_check_is_absent() {
        let check: AccountCheck =
            serde_json::from_str(r#"{"txnId":"","hprIdNumber":"","new":true}"#).unwrap();
        let AccountCheck::New(account) = check else {
            panic!("a blank hprIdNumber is a new account")
        };
        assert_eq!(account.txn_id, None);
        assert!(
            serde_json::from_str::<AccountCheck>(r#"{"txnId":"a b","hprIdNumber":""}"#).is_err()
        );
    }
}
