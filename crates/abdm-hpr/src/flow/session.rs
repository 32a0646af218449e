//! The registration session: a serializable state machine with a pure core
//! ([`RegistrationSession::prepare`] and [`RegistrationSession::apply`]) and a thin async driver.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::call::{Call, Reply};
use super::fields::Choice;
use super::input::StepInput;
use super::outcome::{HintBuilder, PayloadHint, StepOutcome};
use super::{Stage, Step};
use crate::client::RegistryApi;
use crate::error::{Error, Result};
use crate::types::{
    Aadhaar, AccountCheck, CheckAccountExistInput, CreateHprIdInput, DemographicAuthInput,
    GenerateAadhaarOtpInput, GenerateMobileOtpInput, HPR_DOMAIN, HprIdSuggestionInput, Mobile, Otp,
    TxnId, VerifyAadhaarOtpInput, VerifyAadhaarOtpResponse, VerifyMobileOtpInput, mask,
};

/// Format version of a serialized session.
pub const SESSION_VERSION: u32 = 1;

/// How a completed registration ended. `Debug` hides the identifiers (CONTRACT §7).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResult {
    /// `true` if the account already existed, `false` if this session created it.
    pub existing: bool,
    /// `NN-NNNN-NNNN-NNNN`.
    pub hpr_id_number: String,
    /// `<username>@hpr.abdm`.
    pub hpr_id: String,
}

/// A registration in progress. Serialize it to resume later (e.g. between `hpr step` runs).
///
/// It keeps the transaction id, the stage, the demographics needed to create the ID and the
/// suggestions — never an OTP, the password, a token or the full Aadhaar number. Steps run out of
/// order fail with [`Error::Flow`] and leave the session unchanged; a failed call (wrong OTP,
/// network error) leaves it unchanged too, so the step can be retried.
///
/// ```
/// use abdm_hpr::flow::{RegistrationSession, Stage, Step};
/// let session = RegistrationSession::new();
/// assert_eq!(session.stage(), Stage::Start);
/// let err = session.prepare_json(Step::VerifyAadhaarOtp, serde_json::json!({"otp": "123456"})).unwrap_err();
/// assert!(err.to_string().contains("allowed: generate_aadhaar_otp"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationSession {
    #[serde(deserialize_with = "known_version")]
    version: u32,
    stage: Stage,
    txn_id: Option<TxnId>,
    aadhaar_last4: Option<String>,
    /// The Aadhaar-linked mobile as masked by the registry.
    linked_mobile: Option<String>,
    /// The mobile for communication (demographic auth, mobile OTP).
    mobile: Option<Mobile>,
    /// Demographics for create, from the account check (fallback: e-KYC).
    prefill: CreateHprIdInput,
    suggestions: Vec<String>,
    result: Option<RegistrationResult>,
}

impl fmt::Debug for RegistrationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationResult")
            .field("existing", &self.existing)
            .finish_non_exhaustive()
    }
}

fn known_version<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v == SESSION_VERSION {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "session format version {v} is not supported (expected {SESSION_VERSION})"
        )))
    }
}

impl fmt::Debug for RegistrationSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationSession")
            .field("stage", &self.stage)
            .field("txn_id", &self.txn_id)
            .field("mobile", &self.mobile)
            .field("suggestions", &self.suggestions.len())
            .finish_non_exhaustive()
    }
}

impl Default for RegistrationSession {
    fn default() -> Self {
        Self::new()
    }
}

/// The demographic fields of create that the session can prefill.
const PREFILL_FIELDS: [&str; 10] = [
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

/// The create fields only the caller can supply.
const CALLER_CREATE_FIELDS: [(&str, &str); 5] = [
    (
        "hprId",
        "one of the suggestions in data, or another username (4-50 letters, digits, '.', '_')",
    ),
    (
        "password",
        "chosen by the professional: 8+ characters with upper- and lower-case letters, a digit and a special character",
    ),
    ("email", "the professional's e-mail address"),
    (
        "hpCategoryCode",
        "professional category, e.g. 1 Doctor, 2 Nurse, 6 Pharmacist",
    ),
    (
        "hpSubCategoryCode",
        "sub-category of that category, e.g. 1 Modern Medicine (Doctor), 8 RN (Nurse), 33 Pharmacist",
    ),
];

fn prefill_slot<'a>(input: &'a mut CreateHprIdInput, field: &str) -> &'a mut Option<String> {
    match field {
        "address" => &mut input.address,
        "dayOfBirth" => &mut input.day_of_birth,
        "monthOfBirth" => &mut input.month_of_birth,
        "yearOfBirth" => &mut input.year_of_birth,
        "firstName" => &mut input.first_name,
        "lastName" => &mut input.last_name,
        "pincode" => &mut input.pincode,
        "stateCode" => &mut input.state_code,
        "districtCode" => &mut input.district_code,
        "middleName" => &mut input.middle_name,
        _ => unreachable!("not a prefill field: {field}"),
    }
}

/// The caller's value, or — when it is absent or blank (blank counts as missing) — the known one.
fn given_or(given: Option<String>, known: impl FnOnce() -> Option<String>) -> Option<String> {
    match given {
        Some(v) if !v.trim().is_empty() => Some(v),
        _ => known(),
    }
}

fn non_blank(v: Option<&String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty()).cloned()
}

impl RegistrationSession {
    /// A session at [`Stage::Start`].
    pub fn new() -> Self {
        Self {
            version: SESSION_VERSION,
            stage: Stage::Start,
            txn_id: None,
            aadhaar_last4: None,
            linked_mobile: None,
            mobile: None,
            prefill: CreateHprIdInput::default(),
            suggestions: Vec::new(),
            result: None,
        }
    }

    /// Where the registration stands.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The steps allowed now, the recommended one first.
    pub fn allowed_steps(&self) -> &'static [Step] {
        self.stage.allowed_steps()
    }

    /// The recommended next step, `None` when complete.
    pub fn next_step(&self) -> Option<Step> {
        self.stage.next_step()
    }

    /// The current transaction id.
    pub fn txn_id(&self) -> Option<&TxnId> {
        self.txn_id.as_ref()
    }

    /// The Aadhaar-linked mobile, masked by the registry (e.g. `******3210`).
    pub fn linked_mobile(&self) -> Option<&str> {
        self.linked_mobile.as_deref()
    }

    /// The mobile for communication, once given.
    pub fn mobile(&self) -> Option<&Mobile> {
        self.mobile.as_ref()
    }

    /// The last HPR ID suggestions.
    pub fn suggestions(&self) -> &[String] {
        &self.suggestions
    }

    /// The demographics the session will send with create unless overridden.
    pub fn prefill(&self) -> &CreateHprIdInput {
        &self.prefill
    }

    /// How the registration ended, once complete.
    pub fn result(&self) -> Option<&RegistrationResult> {
        self.result.as_ref()
    }

    /// The hint for the recommended next step (what `hpr step` and UIs show).
    pub fn hint(&self) -> Option<PayloadHint> {
        self.next_step().map(|step| self.hint_for(step))
    }

    fn flow_error(&self, step: Step) -> Error {
        Error::Flow {
            step,
            stage: self.stage.describe().to_owned(),
            allowed: self.allowed_steps().to_vec(),
        }
    }

    /// Pure: checks the order and validates the input merged with what the session knows.
    /// Nothing changes and nothing is sent.
    pub fn prepare(&self, input: StepInput) -> Result<Call> {
        let step = input.step();
        if !self.allowed_steps().contains(&step) {
            return Err(self.flow_error(step));
        }
        let txn = || self.txn_id.as_ref().map(|t| t.as_str().to_owned());
        Ok(match input {
            StepInput::GenerateAadhaarOtp(i) => Call::GenerateAadhaarOtp(i.try_into()?),
            StepInput::VerifyAadhaarOtp(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Call::VerifyAadhaarOtp(i.try_into()?)
            }
            StepInput::CheckAccountExist(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Call::CheckAccountExist(i.try_into()?)
            }
            StepInput::DemographicAuthViaMobile(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Call::DemographicAuthViaMobile(i.try_into()?)
            }
            StepInput::GenerateMobileOtp(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                i.mobile = i
                    .mobile
                    .or_else(|| self.mobile.as_ref().map(|m| m.expose().to_owned()));
                Call::GenerateMobileOtp(i.try_into()?)
            }
            StepInput::VerifyMobileOtp(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Call::VerifyMobileOtp(i.try_into()?)
            }
            StepInput::GetHprIdSuggestion(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Call::GetHprIdSuggestion(i.try_into()?)
            }
            StepInput::CreateHprIdWithPreverified(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                let mut known = self.prefill.clone();
                for field in PREFILL_FIELDS {
                    let slot = prefill_slot(&mut i, field);
                    *slot = given_or(slot.take(), || prefill_slot(&mut known, field).take());
                }
                Call::CreateHprIdWithPreverified(Box::new((*i).try_into()?))
            }
        })
    }

    /// [`prepare`](Self::prepare) from a JSON payload (`null` means `{}`).
    pub fn prepare_json(&self, step: Step, payload: Value) -> Result<Call> {
        if !self.allowed_steps().contains(&step) {
            return Err(self.flow_error(step));
        }
        self.prepare(StepInput::from_json(step, payload)?)
    }

    /// Pure: records a successful reply and says what comes next.
    pub fn apply(&mut self, call: &Call, reply: Reply) -> StepOutcome {
        let data = reply_data(&reply);
        let message = match (call, reply) {
            (Call::GenerateAadhaarOtp(req), Reply::GenerateAadhaarOtp(resp)) => {
                // (re)starting forgets everything from an earlier transaction
                *self = Self::new();
                self.stage = Stage::AadhaarOtpSent;
                self.txn_id = Some(resp.txn_id);
                self.aadhaar_last4 = Some(req.aadhaar.last4().to_owned());
                self.linked_mobile = resp.mobile_number.filter(|m| !m.trim().is_empty());
                "Aadhaar OTP generated and sent to the Aadhaar-linked mobile. Verify it next; the session keeps the transaction id.".to_owned()
            }
            (Call::VerifyAadhaarOtp(_), Reply::VerifyAadhaarOtp(kyc)) => {
                self.stage = Stage::AadhaarVerified;
                self.txn_id = Some(kyc.txn_id.clone());
                self.prefill_from_kyc(&kyc);
                "Aadhaar OTP verified. Now, check if an HPR account exists.".to_owned()
            }
            (
                Call::CheckAccountExist(_),
                Reply::CheckAccountExist(AccountCheck::Existing(account)),
            ) => {
                self.stage = Stage::Completed;
                self.result = Some(RegistrationResult {
                    existing: true,
                    hpr_id_number: account.hpr_id_number,
                    hpr_id: account.hpr_id,
                });
                "An HPR account already exists for this user. The registration flow is complete."
                    .to_owned()
            }
            (Call::CheckAccountExist(_), Reply::CheckAccountExist(AccountCheck::New(account))) => {
                self.stage = Stage::NewAccount;
                if let Some(txn) = account.txn_id.clone() {
                    self.txn_id = Some(txn);
                }
                for (field, value) in [
                    ("address", &account.address),
                    ("dayOfBirth", &account.day_of_birth),
                    ("monthOfBirth", &account.month_of_birth),
                    ("yearOfBirth", &account.year_of_birth),
                    ("firstName", &account.first_name),
                    ("lastName", &account.last_name),
                    ("pincode", &account.pincode),
                    ("stateCode", &account.state_code),
                    ("districtCode", &account.district_code),
                    ("middleName", &account.middle_name),
                ] {
                    if let Some(v) = non_blank(value.as_ref()) {
                        *prefill_slot(&mut self.prefill, field) = Some(v);
                    }
                }
                "No HPR account found. Next, give the mobile number for communication: if it is the Aadhaar-linked one, no mobile OTP is needed.".to_owned()
            }
            (Call::DemographicAuthViaMobile(req), Reply::DemographicAuthViaMobile(resp)) => {
                self.mobile = Some(req.mobile_number.clone());
                if resp.verified {
                    self.stage = Stage::MobileVerified;
                    "Mobile number matches the Aadhaar-linked mobile; mobile OTP not needed. Proceed to get HPR ID suggestions.".to_owned()
                } else {
                    self.stage = Stage::MobileUnverified;
                    "Mobile number does not match the Aadhaar-linked mobile. Proceed to generate a mobile OTP.".to_owned()
                }
            }
            (Call::GenerateMobileOtp(req), Reply::GenerateMobileOtp(resp)) => {
                self.stage = Stage::MobileOtpSent;
                self.mobile = Some(req.mobile.clone());
                self.txn_id = Some(resp.txn_id);
                format!(
                    "Mobile OTP sent to {}. Verify it next.",
                    req.mobile.masked()
                )
            }
            (Call::VerifyMobileOtp(_), Reply::VerifyMobileOtp(resp)) => {
                self.stage = Stage::MobileVerified;
                self.txn_id = Some(resp.txn_id);
                "Mobile OTP verified. Proceed to get HPR ID suggestions.".to_owned()
            }
            (Call::GetHprIdSuggestion(_), Reply::GetHprIdSuggestion(list)) => {
                self.stage = Stage::SuggestionsReady;
                self.suggestions = list.0;
                "HPR ID suggestions retrieved. Proceed to create the HPR ID: choose a username, a password, an e-mail and the professional category.".to_owned()
            }
            (Call::CreateHprIdWithPreverified(_), Reply::CreateHprIdWithPreverified(created)) => {
                self.stage = Stage::Completed;
                self.result = Some(RegistrationResult {
                    existing: false,
                    hpr_id_number: created.hpr_id_number,
                    hpr_id: created.hpr_id,
                });
                "HPR ID created successfully. Registration complete.".to_owned()
            }
            (call, _) => unreachable!("reply does not match call {:?}", call.step()),
        };
        StepOutcome {
            message,
            data,
            next_step: self.next_step(),
            next_step_payload_hint: self.hint(),
        }
    }

    fn prefill_from_kyc(&mut self, kyc: &VerifyAadhaarOtpResponse) {
        let mut put = |field: &str, value: Option<String>| {
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                *prefill_slot(&mut self.prefill, field) = Some(v);
            }
        };
        if let Some(name) = &kyc.name {
            let parts: Vec<&str> = name.split_whitespace().collect();
            if let [first, middle @ .., last] = parts.as_slice() {
                put("firstName", Some((*first).to_owned()));
                put("lastName", Some((*last).to_owned()));
                put("middleName", Some(middle.join(" ")));
            } else if let [only] = parts.as_slice() {
                // a single name: the registry requires a last name, which we never invent
                put("firstName", Some((*only).to_owned()));
            }
        }
        if let Some(date) = &kyc.birth_date {
            let parts: Vec<&str> = date.split(['-', '/']).collect();
            if let [d, m, y] = parts.as_slice() {
                put("dayOfBirth", Some((*d).to_owned()));
                put("monthOfBirth", Some((*m).to_owned()));
                put("yearOfBirth", Some((*y).to_owned()));
            }
        }
        put("address", kyc.address.clone());
        put("pincode", kyc.pincode.clone());
    }

    fn hint_for(&self, step: Step) -> PayloadHint {
        let txn_source = "kept by the session (the latest transaction id)";
        // the transaction id is flow metadata (CONTRACT §7), not a secret: a form carries it back
        let txn = self.txn_id.as_ref().map(|t| t.as_str().to_owned());
        let with_txn = |builder: HintBuilder| match &txn {
            Some(t) => builder.prefilled("txnId", txn_source, t.clone()),
            None => builder.required("txnId", "the transaction id of the previous step"),
        };
        match step {
            Step::GenerateAadhaarOtp => {
                HintBuilder::new("Send an OTP to the Aadhaar-linked mobile.")
                    .required("aadhaar", "the professional's 12-digit Aadhaar number")
                    .build()
            }
            Step::VerifyAadhaarOtp => {
                let to = self
                    .linked_mobile
                    .as_deref()
                    .unwrap_or("the Aadhaar-linked mobile");
                let builder = HintBuilder::new("Verify the OTP sent to the Aadhaar-linked mobile.")
                    .required("otp", format!("the 6-digit OTP sent to {to}"))
                    .label("Aadhaar OTP");
                with_txn(builder)
                    .optional("domainName", "defaults to @hpr.abdm")
                    .optional("idType", "defaults to hpr_id")
                    .optional("restrictions", "rarely used; sent as null when absent")
                    .build()
            }
            Step::CheckAccountExist => with_txn(HintBuilder::new(
                "Check whether an HPR account exists for this Aadhaar.",
            ))
            .prefilled_optional("preverifiedCheck", "defaults to true", true)
            .build(),
            Step::DemographicAuthViaMobile => {
                let builder = HintBuilder::new("Give the mobile number for communication; it is compared with the Aadhaar-linked one.")
                    .required("mobileNumber", "the professional's mobile number (10 digits, +91 allowed)");
                with_txn(builder).build()
            }
            Step::GenerateMobileOtp => {
                let builder = HintBuilder::new("Send an OTP to the mobile number to prove it.");
                // the caller typed this number one step earlier; it is sent back so a form can
                // show it prefilled (and it is needed to render that form)
                let builder = match &self.mobile {
                    Some(m) => builder.prefilled(
                        "mobile",
                        format!("the number given for demographic auth ({})", m.masked()),
                        m.expose(),
                    ),
                    None => builder.required("mobile", "the professional's mobile number"),
                };
                with_txn(builder).build()
            }
            Step::VerifyMobileOtp => {
                let to = self
                    .mobile
                    .as_ref()
                    .map_or_else(|| "the mobile".to_owned(), Mobile::masked);
                let builder = HintBuilder::new("Verify the OTP sent to the mobile number.")
                    .required("otp", format!("the 6-digit OTP sent to {to}"))
                    .label("Mobile OTP");
                with_txn(builder).build()
            }
            Step::GetHprIdSuggestion => {
                with_txn(HintBuilder::new("Get available HPR ID usernames.")).build()
            }
            Step::CreateHprIdWithPreverified => {
                let mut builder = HintBuilder::new(
                    "Create the HPR ID. Demographics come from the account check and may be overridden.",
                );
                for (field, source) in CALLER_CREATE_FIELDS {
                    builder = builder.required(field, source);
                    if field == "hprId" {
                        let suggestions = self.suggestions.iter().map(|s| Choice {
                            value: s.clone(),
                            label: format!("{s}{HPR_DOMAIN}"),
                            parent: None,
                        });
                        builder = builder.choices(suggestions.collect());
                    }
                }
                let mut known = self.prefill.clone();
                for field in PREFILL_FIELDS {
                    let value = prefill_slot(&mut known, field).take();
                    builder = match (field, value) {
                        ("middleName", Some(v)) => builder.prefilled_optional(
                            field,
                            "from the account check (e-KYC as fallback)",
                            v,
                        ),
                        (_, Some(v)) => builder.prefilled(
                            field,
                            "from the account check (e-KYC as fallback)",
                            v,
                        ),
                        ("middleName", None) => builder.optional(field, "the middle name, if any"),
                        (_, None) => {
                            builder.required(field, "not in the e-KYC data: ask the professional")
                        }
                    };
                }
                with_txn(builder)
                    .optional("profilePhoto", "a base64 JPEG or PNG of at most 1 MiB")
                    .build()
            }
        }
    }

    /// Runs one step: order check, validation, the call through `api`, the state update.
    ///
    /// On any error the session is unchanged, so the step can be retried.
    pub async fn step<A: RegistryApi>(&mut self, api: &A, input: StepInput) -> Result<StepOutcome> {
        let call = self.prepare(input)?;
        let reply = call.send(api).await?;
        Ok(self.apply(&call, reply))
    }

    /// Runs a step from its id and a JSON payload — for UIs and scripts.
    pub async fn run<A: RegistryApi>(
        &mut self,
        api: &A,
        step: Step,
        payload: Value,
    ) -> Result<StepOutcome> {
        let call = self.prepare_json(step, payload)?;
        let reply = call.send(api).await?;
        Ok(self.apply(&call, reply))
    }

    /// Step 1: sends an OTP to the Aadhaar-linked mobile (also a resend or a restart).
    pub async fn generate_aadhaar_otp<A: RegistryApi>(
        &mut self,
        api: &A,
        aadhaar: &Aadhaar,
    ) -> Result<StepOutcome> {
        let input = GenerateAadhaarOtpInput {
            aadhaar: Some(aadhaar.expose().to_owned()),
        };
        self.step(api, StepInput::GenerateAadhaarOtp(input)).await
    }

    /// Step 2: verifies the Aadhaar OTP.
    pub async fn verify_aadhaar_otp<A: RegistryApi>(
        &mut self,
        api: &A,
        otp: &Otp,
    ) -> Result<StepOutcome> {
        let input = VerifyAadhaarOtpInput {
            otp: Some(otp.expose().to_owned()),
            ..Default::default()
        };
        self.step(api, StepInput::VerifyAadhaarOtp(input)).await
    }

    /// Step 3: checks whether an account exists (`preverifiedCheck: true`).
    pub async fn check_account_exist<A: RegistryApi>(&mut self, api: &A) -> Result<StepOutcome> {
        self.step(
            api,
            StepInput::CheckAccountExist(CheckAccountExistInput::default()),
        )
        .await
    }

    /// Step 4: compares the mobile for communication with the Aadhaar-linked one.
    pub async fn demographic_auth_via_mobile<A: RegistryApi>(
        &mut self,
        api: &A,
        mobile: &Mobile,
    ) -> Result<StepOutcome> {
        let input = DemographicAuthInput {
            mobile_number: Some(mobile.expose().to_owned()),
            ..Default::default()
        };
        self.step(api, StepInput::DemographicAuthViaMobile(input))
            .await
    }

    /// Step 5: sends an OTP to `mobile`, or to the demographic-auth mobile when `None`.
    pub async fn generate_mobile_otp<A: RegistryApi>(
        &mut self,
        api: &A,
        mobile: Option<&Mobile>,
    ) -> Result<StepOutcome> {
        let input = GenerateMobileOtpInput {
            mobile: mobile.map(|m| m.expose().to_owned()),
            ..Default::default()
        };
        self.step(api, StepInput::GenerateMobileOtp(input)).await
    }

    /// Step 6: verifies the mobile OTP.
    pub async fn verify_mobile_otp<A: RegistryApi>(
        &mut self,
        api: &A,
        otp: &Otp,
    ) -> Result<StepOutcome> {
        let input = VerifyMobileOtpInput {
            otp: Some(otp.expose().to_owned()),
            ..Default::default()
        };
        self.step(api, StepInput::VerifyMobileOtp(input)).await
    }

    /// Step 7: fetches HPR ID suggestions.
    pub async fn get_hpr_id_suggestion<A: RegistryApi>(&mut self, api: &A) -> Result<StepOutcome> {
        self.step(
            api,
            StepInput::GetHprIdSuggestion(HprIdSuggestionInput::default()),
        )
        .await
    }

    /// Step 8: creates the HPR ID. `details` needs `hprId`, `password`, `email`, `hpCategoryCode`
    /// and `hpSubCategoryCode`; any demographic field given overrides the prefilled one.
    pub async fn create_hpr_id<A: RegistryApi>(
        &mut self,
        api: &A,
        details: CreateHprIdInput,
    ) -> Result<StepOutcome> {
        self.step(
            api,
            StepInput::CreateHprIdWithPreverified(Box::new(details)),
        )
        .await
    }

    /// A log-safe one-line summary: stage, masked Aadhaar and transaction.
    pub fn summary(&self) -> String {
        format!(
            "stage {:?}, Aadhaar {}, txn {}",
            self.stage,
            self.aadhaar_last4
                .as_deref()
                .map_or_else(|| "-".to_owned(), |l| format!("XXXXXXXX{l}")),
            self.txn_id
                .as_ref()
                .map_or_else(|| "-".to_owned(), |t| mask::txn(t.as_str())),
        )
    }
}

/// The JSON `data` of an outcome: the response with the contract's names.
fn reply_data(reply: &Reply) -> Value {
    let value = match reply {
        Reply::GenerateAadhaarOtp(r) => serde_json::to_value(r),
        Reply::VerifyAadhaarOtp(r) => serde_json::to_value(r),
        Reply::CheckAccountExist(r) => serde_json::to_value(r),
        Reply::DemographicAuthViaMobile(r) => serde_json::to_value(r),
        Reply::GenerateMobileOtp(r) | Reply::VerifyMobileOtp(r) => serde_json::to_value(r),
        Reply::GetHprIdSuggestion(r) => serde_json::to_value(r),
        Reply::CreateHprIdWithPreverified(r) => serde_json::to_value(r),
    };
    value.expect("response types serialize to JSON")
}
