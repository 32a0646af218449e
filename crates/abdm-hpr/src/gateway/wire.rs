//! A's request bodies: key names, key order and `null`s exactly as the gateway (and the peer)
//! expects them (CONTRACT §2.3). Each value is the field's canonical form (Aadhaar digits only,
//! mobile 10 digits, dates zero-padded, HPR ID bare).

use serde::Serialize;

use crate::types::{
    Aadhaar, Address, CategoryCode, DistrictCode, DomainName, Email, HprId, IdType, Mobile, Otp,
    Password, PersonName, Photo, Pincode, StateCode, SubCategoryCode, TxnId,
};

/// A1 `{"aadhaar"}`.
#[derive(Serialize)]
pub(super) struct GenerateAadhaarOtp<'a> {
    pub aadhaar: &'a Aadhaar,
}

/// A2 `{"domainName","idType","otp","restrictions","txnId"}`; `restrictions` is `null` when absent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VerifyAadhaarOtp<'a> {
    pub domain_name: &'a DomainName,
    pub id_type: &'a IdType,
    pub otp: &'a Otp,
    pub restrictions: Option<&'a str>,
    pub txn_id: &'a TxnId,
}

/// A3 `{"txnId","preverifiedCheck"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CheckAccountExist<'a> {
    pub txn_id: &'a TxnId,
    pub preverified_check: bool,
}

/// A4 `{"txnId","mobileNumber"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DemographicAuth<'a> {
    pub txn_id: &'a TxnId,
    pub mobile_number: &'a Mobile,
}

/// A5 `{"mobile","txnId"}` (the key is `mobile`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerateMobileOtp<'a> {
    pub mobile: &'a Mobile,
    pub txn_id: &'a TxnId,
}

/// A6 `{"otp","txnId"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VerifyMobileOtp<'a> {
    pub otp: &'a Otp,
    pub txn_id: &'a TxnId,
}

/// A7 `{"txnId"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HprIdSuggestion<'a> {
    pub txn_id: &'a TxnId,
}

/// A8: 17 keys in the peer's order; `middleName`/`profilePhoto` `null` when absent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateHprId<'a> {
    pub address: &'a Address,
    pub day_of_birth: &'a str,
    pub district_code: &'a DistrictCode,
    pub email: &'a Email,
    pub first_name: &'a PersonName,
    pub hp_category_code: &'a CategoryCode,
    pub hp_sub_category_code: &'a SubCategoryCode,
    pub hpr_id: &'a HprId,
    pub last_name: &'a PersonName,
    pub middle_name: Option<&'a PersonName>,
    pub month_of_birth: &'a str,
    pub password: &'a Password,
    pub pincode: &'a Pincode,
    pub profile_photo: Option<&'a Photo>,
    pub state_code: &'a StateCode,
    pub txn_id: &'a TxnId,
    pub year_of_birth: &'a str,
}
