//! B's request bodies (CONTRACT §3.2) where they differ from A's (steps 3 and 7 send A's):
//! A's keys and order, with B's differences — `restrictions`
//! sent as `""`, and the create body's `idType`, `domainName`, `notifyUser` and integer category
//! codes. A field configured for encryption carries its ciphertext in place of the value.

use std::borrow::Cow;

use serde::Serialize;

use crate::types::{
    Address, DistrictCode, DomainName, HprId, IdType, PersonName, Photo, Pincode, StateCode, TxnId,
};

/// B1 `{"aadhaar"}`.
#[derive(Serialize)]
pub(super) struct GenerateAadhaarOtp<'a> {
    pub aadhaar: Cow<'a, str>,
}

/// B2 `{"domainName","idType","otp","restrictions","txnId"}`; `restrictions` is `""` when absent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VerifyAadhaarOtp<'a> {
    pub domain_name: &'a DomainName,
    pub id_type: &'a IdType,
    pub otp: Cow<'a, str>,
    pub restrictions: &'a str,
    pub txn_id: &'a TxnId,
}

/// B4 `{"txnId","mobileNumber"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DemographicAuth<'a> {
    pub txn_id: &'a TxnId,
    pub mobile_number: Cow<'a, str>,
}

/// B5 `{"mobile","txnId"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerateMobileOtp<'a> {
    pub mobile: Cow<'a, str>,
    pub txn_id: &'a TxnId,
}

/// B6 `{"otp","txnId"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VerifyMobileOtp<'a> {
    pub otp: Cow<'a, str>,
    pub txn_id: &'a TxnId,
}

/// B8: A's 17 keys in A's order, then `idType`, `domainName`, `notifyUser`; the category codes
/// are JSON integers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateHprId<'a> {
    pub address: &'a Address,
    pub day_of_birth: &'a str,
    pub district_code: &'a DistrictCode,
    pub email: Cow<'a, str>,
    pub first_name: &'a PersonName,
    pub hp_category_code: u16,
    pub hp_sub_category_code: u16,
    pub hpr_id: &'a HprId,
    pub last_name: &'a PersonName,
    pub middle_name: Option<&'a PersonName>,
    pub month_of_birth: &'a str,
    pub password: Cow<'a, str>,
    pub pincode: &'a Pincode,
    pub profile_photo: Option<&'a Photo>,
    pub state_code: &'a StateCode,
    pub txn_id: &'a TxnId,
    pub year_of_birth: &'a str,
    pub id_type: IdType,
    pub domain_name: DomainName,
    pub notify_user: bool,
}
