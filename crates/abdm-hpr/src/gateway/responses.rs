//! A's response bodies, as upstream sends them (aliases, extra keys, `null`s), and their
//! conversion into the domain responses. Strict only where the flow needs a value (`txnId`,
//! `hprIdNumber`, `hprId`, `token`, `verified`).

use serde::Deserialize;

use super::decode::decode;
use crate::error::Result;
use crate::step::Step;
use crate::types::{
    AccountCheck, CreateHprIdResponse, DemographicAuthResponse, ExistingAccount,
    GenerateAadhaarOtpResponse, HprIdSuggestions, MobileOtpResponse, NewAccount, Token, TxnId,
    VerifyAadhaarOtpResponse,
};

/// A domain response that Backend A's JSON decodes into.
///
/// Decoding names the JSON path of the first problem and never quotes a value; see
/// [`decode_response`](super::decode_response) for the step-tagged form.
pub trait FromGateway: Sized {
    /// The step whose answer this is (for a response two steps share, the later one).
    const STEP: Step;

    /// Decodes a 2xx body of `step`; errors name that step.
    fn from_gateway_as(step: Step, status: u16, body: &[u8]) -> Result<Self>;

    /// Decodes a 2xx body of [`STEP`](Self::STEP).
    fn from_gateway(status: u16, body: &[u8]) -> Result<Self> {
        Self::from_gateway_as(Self::STEP, status, body)
    }
}

macro_rules! from_wire {
    ($($domain:ty => $wire:ty, $step:ident;)*) => {$(
        impl FromGateway for $domain {
            const STEP: Step = Step::$step;
            fn from_gateway_as(step: Step, status: u16, body: &[u8]) -> Result<Self> {
                decode::<$wire>(step, status, body).map(Into::into)
            }
        }
    )*};
}

from_wire! {
    GenerateAadhaarOtpResponse => GenerateAadhaarOtpWire, GenerateAadhaarOtp;
    VerifyAadhaarOtpResponse => KycWire, VerifyAadhaarOtp;
    AccountCheck => AccountBody, CheckAccountExist;
    DemographicAuthResponse => DemographicAuthWire, DemographicAuthViaMobile;
    MobileOtpResponse => MobileOtpWire, VerifyMobileOtp;
    HprIdSuggestions => SuggestionsWire, GetHprIdSuggestion;
    CreateHprIdResponse => CreateWire, CreateHprIdWithPreverified;
}

/// `{"txnId","mobileNumber"}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateAadhaarOtpWire {
    txn_id: TxnId,
    #[serde(default)]
    mobile_number: Option<String>,
}

impl From<GenerateAadhaarOtpWire> for GenerateAadhaarOtpResponse {
    fn from(w: GenerateAadhaarOtpWire) -> Self {
        Self {
            txn_id: w.txn_id,
            mobile_number: w.mobile_number,
        }
    }
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

/// An optional transaction id where upstream may send `""` or whitespace for "none".
fn blank_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<TxnId>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) if !s.trim().is_empty() => {
            TxnId::parse(&s).map(Some).map_err(serde::de::Error::custom)
        }
        _ => Ok(None),
    }
}

/// The account check, decided by a non-blank `hprIdNumber` only (the peer never reads `new`).
struct AccountBody(AccountCheck);

impl From<AccountBody> for AccountCheck {
    fn from(body: AccountBody) -> Self {
        body.0
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

impl<'de> Deserialize<'de> for AccountBody {
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
            return Ok(Self(AccountCheck::Existing(ExistingAccount {
                token: w.token,
                hpr_id_number,
                hpr_id,
                category_id: w.category_id,
                category_name: w.category_name,
                sub_category_id: w.sub_category_id,
                category_sub_name: w.category_sub_name,
                new: w.new,
            })));
        }
        Ok(Self(AccountCheck::New(Box::new(NewAccount {
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
        }))))
    }
}

/// `{"verified": bool}`: a JSON boolean is required (the peer's `"true"`/`1` are not accepted).
#[derive(Deserialize)]
struct DemographicAuthWire {
    verified: bool,
}

impl From<DemographicAuthWire> for DemographicAuthResponse {
    fn from(w: DemographicAuthWire) -> Self {
        Self {
            verified: w.verified,
        }
    }
}

/// `{"txnId","mobileNumber"}` of both mobile-OTP steps.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MobileOtpWire {
    txn_id: TxnId,
    #[serde(default)]
    mobile_number: Option<String>,
}

impl From<MobileOtpWire> for MobileOtpResponse {
    fn from(w: MobileOtpWire) -> Self {
        Self {
            txn_id: w.txn_id,
            mobile_number: w.mobile_number,
        }
    }
}

/// A bare JSON array of strings (a wrapper object breaks the peer, so it is refused).
#[derive(Deserialize)]
#[serde(transparent)]
struct SuggestionsWire(Vec<String>);

impl From<SuggestionsWire> for HprIdSuggestions {
    fn from(w: SuggestionsWire) -> Self {
        Self(w.0)
    }
}

/// The create answer: only `token`, `hprIdNumber` and `hprId` are required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateWire {
    token: Token,
    hpr_id_number: String,
    hpr_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    gender: Option<String>,
    #[serde(default)]
    year_of_birth: Option<String>,
    #[serde(default)]
    month_of_birth: Option<String>,
    #[serde(default)]
    day_of_birth: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    middle_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    state_code: Option<String>,
    #[serde(default)]
    state_name: Option<String>,
    #[serde(default)]
    district_code: Option<String>,
    #[serde(default)]
    district_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    kyc_photo: Option<String>,
    #[serde(default)]
    mobile: Option<String>,
    #[serde(default)]
    category_id: Option<i64>,
    #[serde(default)]
    sub_category_id: Option<i64>,
    #[serde(default)]
    auth_methods: Option<Vec<String>>,
    #[serde(default)]
    new: Option<bool>,
    #[serde(default)]
    refresh_token: Option<Token>,
}

impl From<CreateWire> for CreateHprIdResponse {
    fn from(w: CreateWire) -> Self {
        Self {
            token: w.token,
            hpr_id_number: w.hpr_id_number,
            hpr_id: w.hpr_id,
            name: w.name,
            gender: w.gender,
            year_of_birth: w.year_of_birth,
            month_of_birth: w.month_of_birth,
            day_of_birth: w.day_of_birth,
            first_name: w.first_name,
            middle_name: w.middle_name,
            last_name: w.last_name,
            state_code: w.state_code,
            state_name: w.state_name,
            district_code: w.district_code,
            district_name: w.district_name,
            email: w.email,
            kyc_photo: w.kyc_photo,
            mobile: w.mobile,
            category_id: w.category_id,
            sub_category_id: w.sub_category_id,
            auth_methods: w.auth_methods,
            new: w.new,
            refresh_token: w.refresh_token,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_txn_id_in_an_account_check_is_absent() {
        let check = AccountCheck::from_gateway(200, br#"{"txnId":"","hprIdNumber":"","new":true}"#)
            .unwrap();
        let AccountCheck::New(account) = check else {
            panic!("a blank hprIdNumber is a new account")
        };
        assert_eq!(account.txn_id, None);
        assert!(AccountCheck::from_gateway(200, br#"{"txnId":"a b","hprIdNumber":""}"#).is_err());
    }
}
