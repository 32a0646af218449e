//! The domain requests of the 8 registration steps: validated newtypes, no backend's wire shape
//! (each backend adapter writes its own bodies, e.g. [`gateway::encode`](crate::gateway::encode)).
//!
//! Each request is built from validated newtypes, so an existing request is always valid. To build
//! one from loose input (a JSON payload, a form), fill the matching `*Input` and convert it with
//! `TryFrom`: every failing field is reported at once, keyed by its wire name.
//!
//! ```
//! use abdm_hpr::types::{VerifyAadhaarOtpInput, VerifyAadhaarOtpRequest};
//! let input = VerifyAadhaarOtpInput { otp: Some("12345".into()), ..Default::default() };
//! let report = VerifyAadhaarOtpRequest::try_from(input).unwrap_err();
//! let fields: Vec<_> = report.errors().iter().map(|e| e.field.as_ref()).collect();
//! assert_eq!(fields, ["otp", "txnId"]);
//! ```

use serde::{Deserialize, Serialize};

use super::fields::{
    Aadhaar, Address, CategoryCode, DateOfBirth, DistrictCode, DomainName, Email, HprId, IdType,
    Mobile, Otp, Password, PersonName, Photo, Pincode, StateCode, SubCategoryCode, TxnId,
    today_in_india,
};
use super::report::{Checker, ValidationErrors, checked};

/// Deserializes an optional loose value: a string, a number (as its decimal text) or `null`.
fn loose_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Text(String),
        Int(i64),
        Float(f64),
    }
    Ok(Option::<Loose>::deserialize(d)?.map(|v| match v {
        Loose::Text(s) => s,
        Loose::Int(n) => n.to_string(),
        Loose::Float(n) => n.to_string(),
    }))
}

/// Declares a loose input struct: every field optional, numbers accepted for strings, unknown keys
/// rejected, and a `Debug` that shows only which fields are set (values may be secrets).
macro_rules! input {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $wire:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fdoc])*
                #[serde(rename = $wire, default, deserialize_with = "loose_string", skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )*
        }

        impl $name {
            /// The wire names of the fields, the ones a caller usually supplies first.
            pub const FIELDS: &'static [&'static str] = &[$($wire),*];
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut s = f.debug_struct(stringify!($name));
                $( s.field(stringify!($field), &self.$field.as_ref().map(|_| "<set>")); )*
                s.finish()
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// A1 generate Aadhaar OTP

/// Step 1: send an OTP to the Aadhaar-linked mobile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "GenerateAadhaarOtpInput")]
pub struct GenerateAadhaarOtpRequest {
    /// The professional's Aadhaar number.
    pub aadhaar: Aadhaar,
}

input!(
    /// Loose input for [`GenerateAadhaarOtpRequest`].
    GenerateAadhaarOtpInput {
        /// Aadhaar number (spaces and hyphens allowed).
        aadhaar: "aadhaar",
    }
);

impl TryFrom<GenerateAadhaarOtpInput> for GenerateAadhaarOtpRequest {
    type Error = ValidationErrors;
    fn try_from(i: GenerateAadhaarOtpInput) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let aadhaar = c.required("aadhaar", i.aadhaar.as_deref(), Aadhaar::parse);
        c.finish()?;
        Ok(Self {
            aadhaar: checked(aadhaar, "aadhaar")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A2 verify Aadhaar OTP

/// Step 2: verify the Aadhaar OTP.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "VerifyAadhaarOtpInput")]
pub struct VerifyAadhaarOtpRequest {
    /// Defaults to `@hpr.abdm`.
    pub domain_name: DomainName,
    /// Defaults to `hpr_id`.
    pub id_type: IdType,
    /// The OTP UIDAI sent to the Aadhaar-linked mobile.
    pub otp: Otp,
    /// Sent as `null` when absent, as the peer does.
    pub restrictions: Option<String>,
    /// From generate-Aadhaar-OTP.
    pub txn_id: TxnId,
}

impl VerifyAadhaarOtpRequest {
    /// A request with the default `domainName` and `idType` and no restrictions.
    pub fn new(txn_id: TxnId, otp: Otp) -> Self {
        Self {
            domain_name: DomainName::default(),
            id_type: IdType::default(),
            otp,
            restrictions: None,
            txn_id,
        }
    }
}

input!(
    /// Loose input for [`VerifyAadhaarOtpRequest`]; blank `domainName`/`idType` take the defaults.
    VerifyAadhaarOtpInput {
        /// Six digits.
        otp: "otp",
        /// Transaction id.
        txn_id: "txnId",
        /// Optional override of `@hpr.abdm`.
        domain_name: "domainName",
        /// Optional override of `hpr_id`.
        id_type: "idType",
        /// Optional.
        restrictions: "restrictions",
    }
);

impl TryFrom<VerifyAadhaarOtpInput> for VerifyAadhaarOtpRequest {
    type Error = ValidationErrors;
    fn try_from(i: VerifyAadhaarOtpInput) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let domain_name = c.optional("domainName", i.domain_name.as_deref(), DomainName::parse);
        let id_type = c.optional("idType", i.id_type.as_deref(), IdType::parse);
        let otp = c.required("otp", i.otp.as_deref(), Otp::parse);
        let txn_id = c.required("txnId", i.txn_id.as_deref(), TxnId::parse);
        c.finish()?;
        Ok(Self {
            domain_name: domain_name.flatten().unwrap_or_default(),
            id_type: id_type.flatten().unwrap_or_default(),
            otp: checked(otp, "otp")?,
            restrictions: i.restrictions.filter(|r| !r.trim().is_empty()),
            txn_id: checked(txn_id, "txnId")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A3 check account exists

/// Step 3: does an HPR account exist for this Aadhaar?
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CheckAccountExistInput")]
pub struct CheckAccountExistRequest {
    /// Transaction id.
    pub txn_id: TxnId,
    /// Defaults to `true`.
    pub preverified_check: bool,
}

impl CheckAccountExistRequest {
    /// A request with `preverifiedCheck: true`.
    pub fn new(txn_id: TxnId) -> Self {
        Self {
            txn_id,
            preverified_check: true,
        }
    }
}

/// Loose input for [`CheckAccountExistRequest`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckAccountExistInput {
    /// Transaction id.
    #[serde(default)]
    pub txn_id: Option<String>,
    /// Defaults to `true` when absent.
    #[serde(default)]
    pub preverified_check: Option<bool>,
}

impl CheckAccountExistInput {
    /// The wire names of the fields.
    pub const FIELDS: &'static [&'static str] = &["txnId", "preverifiedCheck"];
}

impl std::fmt::Debug for CheckAccountExistInput {
    /// Like the other inputs: presence only (the raw `txnId` may not be cut to 8 characters).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckAccountExistInput")
            .field("txn_id", &self.txn_id.as_ref().map(|_| "<set>"))
            .field("preverified_check", &self.preverified_check)
            .finish()
    }
}

impl TryFrom<CheckAccountExistInput> for CheckAccountExistRequest {
    type Error = ValidationErrors;
    fn try_from(i: CheckAccountExistInput) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let txn_id = c.required("txnId", i.txn_id.as_deref(), TxnId::parse);
        c.finish()?;
        Ok(Self {
            txn_id: checked(txn_id, "txnId")?,
            preverified_check: i.preverified_check.unwrap_or(true),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A4 demographic auth via mobile

/// Step 4: is this mobile the Aadhaar-linked one?
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "DemographicAuthInput")]
pub struct DemographicAuthRequest {
    /// Transaction id.
    pub txn_id: TxnId,
    /// The mobile to compare with the Aadhaar-linked one.
    pub mobile_number: Mobile,
}

input!(
    /// Loose input for [`DemographicAuthRequest`].
    DemographicAuthInput {
        /// Mobile number (prefixes and separators allowed).
        mobile_number: "mobileNumber",
        /// Transaction id.
        txn_id: "txnId",
    }
);

impl TryFrom<DemographicAuthInput> for DemographicAuthRequest {
    type Error = ValidationErrors;
    fn try_from(i: DemographicAuthInput) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let txn_id = c.required("txnId", i.txn_id.as_deref(), TxnId::parse);
        let mobile = c.required("mobileNumber", i.mobile_number.as_deref(), Mobile::parse);
        c.finish()?;
        Ok(Self {
            txn_id: checked(txn_id, "txnId")?,
            mobile_number: checked(mobile, "mobileNumber")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A5 generate mobile OTP

/// Step 5: send an OTP to another mobile.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "GenerateMobileOtpInput")]
pub struct GenerateMobileOtpRequest {
    /// The mobile that receives the OTP.
    pub mobile: Mobile,
    /// Transaction id.
    pub txn_id: TxnId,
}

input!(
    /// Loose input for [`GenerateMobileOtpRequest`].
    GenerateMobileOtpInput {
        /// Mobile number.
        mobile: "mobile",
        /// Transaction id.
        txn_id: "txnId",
    }
);

impl TryFrom<GenerateMobileOtpInput> for GenerateMobileOtpRequest {
    type Error = ValidationErrors;
    fn try_from(i: GenerateMobileOtpInput) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let mobile = c.required("mobile", i.mobile.as_deref(), Mobile::parse);
        let txn_id = c.required("txnId", i.txn_id.as_deref(), TxnId::parse);
        c.finish()?;
        Ok(Self {
            mobile: checked(mobile, "mobile")?,
            txn_id: checked(txn_id, "txnId")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A6 verify mobile OTP

/// Step 6: verify the mobile OTP.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "VerifyMobileOtpInput")]
pub struct VerifyMobileOtpRequest {
    /// The OTP sent to the mobile.
    pub otp: Otp,
    /// Transaction id.
    pub txn_id: TxnId,
}

input!(
    /// Loose input for [`VerifyMobileOtpRequest`].
    VerifyMobileOtpInput {
        /// Six digits.
        otp: "otp",
        /// Transaction id.
        txn_id: "txnId",
    }
);

impl TryFrom<VerifyMobileOtpInput> for VerifyMobileOtpRequest {
    type Error = ValidationErrors;
    fn try_from(i: VerifyMobileOtpInput) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let otp = c.required("otp", i.otp.as_deref(), Otp::parse);
        let txn_id = c.required("txnId", i.txn_id.as_deref(), TxnId::parse);
        c.finish()?;
        Ok(Self {
            otp: checked(otp, "otp")?,
            txn_id: checked(txn_id, "txnId")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A7 HPR ID suggestions

/// Step 7: suggest HPR ID usernames.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "HprIdSuggestionInput")]
pub struct HprIdSuggestionRequest {
    /// Transaction id.
    pub txn_id: TxnId,
}

input!(
    /// Loose input for [`HprIdSuggestionRequest`].
    HprIdSuggestionInput {
        /// Transaction id.
        txn_id: "txnId",
    }
);

impl TryFrom<HprIdSuggestionInput> for HprIdSuggestionRequest {
    type Error = ValidationErrors;
    fn try_from(i: HprIdSuggestionInput) -> Result<Self, ValidationErrors> {
        let mut c = Checker::new();
        let txn_id = c.required("txnId", i.txn_id.as_deref(), TxnId::parse);
        c.finish()?;
        Ok(Self {
            txn_id: checked(txn_id, "txnId")?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// A8 create HPR ID

/// Step 8, create the HPR ID: the 15 required fields, an optional middle name and photo.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CreateHprIdInput")]
pub struct CreateHprIdRequest {
    /// Postal address.
    pub address: Address,
    /// Date of birth, sent as `dayOfBirth`, `monthOfBirth`, `yearOfBirth`.
    pub date_of_birth: DateOfBirth,
    /// LGD district code.
    pub district_code: DistrictCode,
    /// Contact e-mail.
    pub email: Email,
    /// First name.
    pub first_name: PersonName,
    /// Professional category, e.g. `1` Doctor.
    pub hp_category_code: CategoryCode,
    /// Professional sub-category, e.g. `1` Modern Medicine.
    pub hp_sub_category_code: SubCategoryCode,
    /// The chosen username, sent bare.
    pub hpr_id: HprId,
    /// Last name (required, never invented).
    pub last_name: PersonName,
    /// Optional middle name.
    pub middle_name: Option<PersonName>,
    /// Account password.
    pub password: Password,
    /// PIN code.
    pub pincode: Pincode,
    /// Optional base64 photo.
    pub profile_photo: Option<Photo>,
    /// LGD state code.
    pub state_code: StateCode,
    /// Transaction id.
    pub txn_id: TxnId,
}

input!(
    /// Loose input for [`CreateHprIdRequest`], keyed by the wire names.
    CreateHprIdInput {
        /// Postal address.
        address: "address",
        /// Day of birth (1–31).
        day_of_birth: "dayOfBirth",
        /// District code.
        district_code: "districtCode",
        /// E-mail.
        email: "email",
        /// First name.
        first_name: "firstName",
        /// Category code.
        hp_category_code: "hpCategoryCode",
        /// Sub-category code.
        hp_sub_category_code: "hpSubCategoryCode",
        /// Username, with or without `@hpr.abdm`.
        hpr_id: "hprId",
        /// Last name.
        last_name: "lastName",
        /// Optional middle name.
        middle_name: "middleName",
        /// Month of birth (1–12).
        month_of_birth: "monthOfBirth",
        /// Password.
        password: "password",
        /// PIN code.
        pincode: "pincode",
        /// Optional base64 photo.
        profile_photo: "profilePhoto",
        /// State code.
        state_code: "stateCode",
        /// Transaction id.
        txn_id: "txnId",
        /// Year of birth.
        year_of_birth: "yearOfBirth",
    }
);

impl CreateHprIdInput {
    /// Validates against a given "today" for the date-of-birth rule (tests, reproducible runs).
    pub fn validate_on(&self, today: time::Date) -> Result<CreateHprIdRequest, ValidationErrors> {
        let mut c = Checker::new();
        let address = c.required("address", self.address.as_deref(), Address::parse);
        let date_of_birth = DateOfBirth::check(
            &mut c,
            self.day_of_birth.as_deref(),
            self.month_of_birth.as_deref(),
            self.year_of_birth.as_deref(),
            today,
        );
        let district_code = c.required(
            "districtCode",
            self.district_code.as_deref(),
            DistrictCode::parse,
        );
        let email = c.required("email", self.email.as_deref(), Email::parse);
        let first_name = c.required("firstName", self.first_name.as_deref(), PersonName::parse);
        let hp_category_code = c.required(
            "hpCategoryCode",
            self.hp_category_code.as_deref(),
            CategoryCode::parse,
        );
        let hp_sub_category_code = c.required(
            "hpSubCategoryCode",
            self.hp_sub_category_code.as_deref(),
            SubCategoryCode::parse,
        );
        let hpr_id = c.required("hprId", self.hpr_id.as_deref(), HprId::parse);
        let last_name = c.required("lastName", self.last_name.as_deref(), PersonName::parse);
        let middle_name = c.optional("middleName", self.middle_name.as_deref(), PersonName::parse);
        let password = c.required("password", self.password.as_deref(), Password::parse);
        let pincode = c.required("pincode", self.pincode.as_deref(), Pincode::parse);
        let profile_photo = c.optional("profilePhoto", self.profile_photo.as_deref(), Photo::parse);
        let state_code = c.required("stateCode", self.state_code.as_deref(), StateCode::parse);
        let txn_id = c.required("txnId", self.txn_id.as_deref(), TxnId::parse);
        c.finish()?;
        Ok(CreateHprIdRequest {
            address: checked(address, "address")?,
            date_of_birth: checked(date_of_birth, "dateOfBirth")?,
            district_code: checked(district_code, "districtCode")?,
            email: checked(email, "email")?,
            first_name: checked(first_name, "firstName")?,
            hp_category_code: checked(hp_category_code, "hpCategoryCode")?,
            hp_sub_category_code: checked(hp_sub_category_code, "hpSubCategoryCode")?,
            hpr_id: checked(hpr_id, "hprId")?,
            last_name: checked(last_name, "lastName")?,
            middle_name: checked(middle_name, "middleName")?,
            password: checked(password, "password")?,
            pincode: checked(pincode, "pincode")?,
            profile_photo: checked(profile_photo, "profilePhoto")?,
            state_code: checked(state_code, "stateCode")?,
            txn_id: checked(txn_id, "txnId")?,
        })
    }
}

impl TryFrom<CreateHprIdInput> for CreateHprIdRequest {
    type Error = ValidationErrors;
    fn try_from(i: CreateHprIdInput) -> Result<Self, ValidationErrors> {
        i.validate_on(today_in_india())
    }
}
