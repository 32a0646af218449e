//! The registration session: a serializable state machine with a pure core
//! ([`RegistrationSession::prepare`] and [`RegistrationSession::apply`]) and thin async drivers.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;

use super::fields::Choice;
use super::input::StepInput;
use super::migrate::{self, SESSION_VERSION, V2};
use super::outcome::{HintBuilder, PayloadHint, StepOutcome};
use super::state::{Demographics, SessionState, Txn};
use super::{Stage, Step};
use crate::backend::{RegistryBackend, Request, Response};
use crate::error::{Error, Result};
use crate::types::{
    Aadhaar, AccountCheck, CheckAccountExistInput, CreateHprIdInput, DemographicAuthInput,
    GenerateAadhaarOtpInput, GenerateMobileOtpInput, HPR_DOMAIN, HprIdSuggestionInput, Mobile, Otp,
    TxnId, VerifyAadhaarOtpInput, VerifyAadhaarOtpResponse, VerifyMobileOtpInput, mask,
    today_in_india,
};

/// How a completed registration ended. `Debug` hides the identifiers (CONTRACT §7).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationResult {
    /// `true` if the account already existed, `false` if this session created it.
    pub existing: bool,
    /// `NN-NNNN-NNNN-NNNN`.
    pub hpr_id_number: String,
    /// `<username>@hpr.abdm`.
    pub hpr_id: String,
}

impl fmt::Debug for RegistrationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationResult")
            .field("existing", &self.existing)
            .finish_non_exhaustive()
    }
}

/// A registration in progress. Serialize it to resume later (e.g. between `hpr step` runs).
///
/// Its data is one variant per [`Stage`], holding exactly what that stage has: the transaction
/// id, the last 4 Aadhaar digits, the demographics needed to create the ID, the mobile and the
/// suggestions — never an OTP, the password, a token or the full Aadhaar number. Steps run out
/// of order fail with [`Error::Flow`] and leave the session unchanged; a failed call (wrong OTP,
/// network error) leaves it unchanged too, so the step can be retried. A failure after which a
/// side effect may have happened is recorded with [`record_unconfirmed`](Self::record_unconfirmed):
/// after an unconfirmed create, `check_account_exist` is allowed and completes the session when
/// the account exists.
///
/// Saved as format version 2 (`{"version":2,"stage":…}`); version 1 files still load.
///
/// ```
/// use abdm_hpr::flow::{RegistrationSession, Stage, Step};
/// let session = RegistrationSession::new();
/// assert_eq!(session.stage(), Stage::Start);
/// let today = abdm_hpr::types::today_in_india();
/// let err = session.prepare_json(Step::VerifyAadhaarOtp, serde_json::json!({"otp": "123456"}), today).unwrap_err();
/// assert!(err.to_string().contains("allowed: generate_aadhaar_otp"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrationSession {
    state: SessionState,
    /// A step with a side effect that failed without a usable answer (it may have happened).
    unconfirmed: Option<Step>,
}

impl Serialize for RegistrationSession {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        V2 {
            version: SESSION_VERSION,
            state: self.state.clone(),
            unconfirmed: self.unconfirmed,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for RegistrationSession {
    /// Reads format 2, or migrates format 1; a newer format fails with a message saying so.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let v2 = migrate::read(value).map_err(serde::de::Error::custom)?;
        Ok(Self {
            state: v2.state,
            unconfirmed: v2.unconfirmed,
        })
    }
}

impl fmt::Debug for RegistrationSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationSession")
            .field("stage", &self.stage())
            .field("txn_id", &self.txn_id())
            .field("mobile", &self.mobile())
            .field("suggestions", &self.suggestions().len())
            .field("unconfirmed", &self.unconfirmed)
            .finish_non_exhaustive()
    }
}

impl Default for RegistrationSession {
    fn default() -> Self {
        Self::new()
    }
}

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

/// The caller's value, or — when it is absent or blank (blank counts as missing) — the known one.
fn given_or(given: Option<String>, known: impl FnOnce() -> Option<String>) -> Option<String> {
    match given {
        Some(v) if !v.trim().is_empty() => Some(v),
        _ => known(),
    }
}

impl RegistrationSession {
    /// A session at [`Stage::Start`].
    pub fn new() -> Self {
        Self {
            state: SessionState::Start,
            unconfirmed: None,
        }
    }

    /// Where the registration stands.
    pub fn stage(&self) -> Stage {
        self.state.stage()
    }

    /// The steps allowed now, the recommended one first.
    ///
    /// After an unconfirmed create, `check_account_exist` comes first: it tells whether the
    /// account was created after all.
    pub fn allowed_steps(&self) -> Vec<Step> {
        let mut allowed = self.stage().allowed_steps().to_vec();
        if self.unconfirmed == Some(Step::CreateHprIdWithPreverified)
            && !allowed.contains(&Step::CheckAccountExist)
        {
            allowed.insert(0, Step::CheckAccountExist);
        }
        allowed
    }

    /// The recommended next step, `None` when complete.
    pub fn next_step(&self) -> Option<Step> {
        self.allowed_steps().first().copied()
    }

    /// The step that failed without a usable answer and may have taken effect, if any.
    pub fn unconfirmed(&self) -> Option<Step> {
        self.unconfirmed
    }

    /// Records that `error` left `step` unconfirmed (it may have taken effect); other errors
    /// change nothing. Returns whether it did.
    pub fn record_unconfirmed(&mut self, error: &Error) -> bool {
        match error.operation() {
            Some(step) if error.is_unconfirmed() && self.allowed_steps().contains(&step) => {
                self.unconfirmed = Some(step);
                true
            }
            _ => false,
        }
    }

    /// The current transaction id.
    pub fn txn_id(&self) -> Option<&TxnId> {
        self.state.txn().map(|t| &t.id)
    }

    /// The last 4 digits of the Aadhaar number, once an OTP was requested.
    pub fn aadhaar_last4(&self) -> Option<&str> {
        match &self.state {
            SessionState::Completed { aadhaar_last4, .. } => aadhaar_last4.as_deref(),
            state => state.txn().map(|t| t.aadhaar_last4.as_str()),
        }
    }

    /// The Aadhaar-linked mobile, masked by the registry (e.g. `******3210`).
    pub fn linked_mobile(&self) -> Option<&str> {
        self.state.txn().and_then(|t| t.linked_mobile.as_deref())
    }

    /// The mobile for communication, once given.
    pub fn mobile(&self) -> Option<&Mobile> {
        self.state.mobile()
    }

    /// The last HPR ID suggestions.
    pub fn suggestions(&self) -> &[String] {
        match &self.state {
            SessionState::SuggestionsReady { suggestions, .. } => suggestions,
            _ => &[],
        }
    }

    /// The demographics the session will send with create unless overridden.
    pub fn prefill(&self) -> CreateHprIdInput {
        self.state
            .prefill()
            .map(Demographics::to_input)
            .unwrap_or_default()
    }

    /// How the registration ended, once complete.
    pub fn result(&self) -> Option<&RegistrationResult> {
        match &self.state {
            SessionState::Completed { result, .. } => Some(result),
            _ => None,
        }
    }

    /// The hint for the recommended next step (what `hpr step` and UIs show).
    pub fn hint(&self) -> Option<PayloadHint> {
        self.next_step().map(|step| self.hint_for(step))
    }

    fn flow_error(&self, step: Step) -> Error {
        Error::Flow {
            step,
            stage: self.stage().describe().to_owned(),
            allowed: self.allowed_steps(),
        }
    }

    /// Pure: checks the order and validates the input merged with what the session knows, with
    /// `today` (in India) for the date-of-birth rule. Nothing changes and nothing is sent.
    pub fn prepare(&self, input: StepInput, today: Date) -> Result<Request> {
        let step = input.step();
        if !self.allowed_steps().contains(&step) {
            return Err(self.flow_error(step));
        }
        let txn = || self.txn_id().map(|t| t.as_str().to_owned());
        Ok(match input {
            StepInput::GenerateAadhaarOtp(i) => Request::GenerateAadhaarOtp(i.try_into()?),
            StepInput::VerifyAadhaarOtp(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Request::VerifyAadhaarOtp(i.try_into()?)
            }
            StepInput::CheckAccountExist(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Request::CheckAccountExist(i.try_into()?)
            }
            StepInput::DemographicAuthViaMobile(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Request::DemographicAuthViaMobile(i.try_into()?)
            }
            StepInput::GenerateMobileOtp(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                i.mobile = i
                    .mobile
                    .or_else(|| self.mobile().map(|m| m.expose().to_owned()));
                Request::GenerateMobileOtp(i.try_into()?)
            }
            StepInput::VerifyMobileOtp(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Request::VerifyMobileOtp(i.try_into()?)
            }
            StepInput::GetHprIdSuggestion(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                Request::GetHprIdSuggestion(i.try_into()?)
            }
            StepInput::CreateHprIdWithPreverified(mut i) => {
                i.txn_id = given_or(i.txn_id, txn);
                let known = self.state.prefill().cloned().unwrap_or_default();
                let mut given = Demographics::from_input(&i);
                for field in Demographics::FIELDS {
                    if let Some(slot) = given.slot(field) {
                        *slot = given_or(slot.take(), || known.get(field).map(str::to_owned));
                    }
                }
                let merged = given.fill(*i);
                Request::CreateHprIdWithPreverified(Box::new(merged.validate_on(today)?))
            }
        })
    }

    /// [`prepare`](Self::prepare) from a JSON payload (`null` means `{}`).
    pub fn prepare_json(&self, step: Step, payload: Value, today: Date) -> Result<Request> {
        if !self.allowed_steps().contains(&step) {
            return Err(self.flow_error(step));
        }
        self.prepare(StepInput::from_json(step, payload)?, today)
    }

    /// Pure: records a successful answer to `request` and says what comes next.
    ///
    /// A response that does not answer `request`, or a request the stage does not allow, is an
    /// error and leaves the session unchanged.
    pub fn apply(&mut self, request: &Request, response: Response) -> Result<StepOutcome> {
        let step = request.step();
        if !self.allowed_steps().contains(&step) {
            return Err(self.flow_error(step));
        }
        let response = response.expect_step(step)?;
        let data = response_data(&response);
        let (state, message) = self.next_state(request, response)?;
        self.state = state;
        self.unconfirmed = None;
        Ok(StepOutcome {
            message,
            data,
            next_step: self.next_step(),
            next_step_payload_hint: self.hint(),
        })
    }

    /// The state after a successful `response` to `request`, and the message to show.
    fn next_state(&self, request: &Request, response: Response) -> Result<(SessionState, String)> {
        use SessionState as S;
        let state = &self.state;
        let txn = state.txn().cloned();
        let prefill = state.prefill().cloned().unwrap_or_default();
        let order = || self.flow_error(request.step());
        Ok(match (request, response) {
            (Request::GenerateAadhaarOtp(req), Response::GenerateAadhaarOtp(resp)) => (
                // (re)starting forgets everything from an earlier transaction
                S::AadhaarOtpSent {
                    txn: Txn {
                        id: resp.txn_id,
                        aadhaar_last4: req.aadhaar.last4().to_owned(),
                        linked_mobile: resp.mobile_number.filter(|m| !m.trim().is_empty()),
                    },
                },
                "Aadhaar OTP generated and sent to the Aadhaar-linked mobile. Verify it next; the session keeps the transaction id.".to_owned(),
            ),
            (Request::VerifyAadhaarOtp(_), Response::VerifyAadhaarOtp(kyc)) => {
                let mut txn = txn.ok_or_else(order)?;
                txn.id = kyc.txn_id.clone();
                (
                    S::AadhaarVerified {
                        txn,
                        prefill: prefill_from_kyc(&kyc),
                    },
                    "Aadhaar OTP verified. Now, check if an HPR account exists.".to_owned(),
                )
            }
            (Request::CheckAccountExist(_), Response::CheckAccountExist(AccountCheck::Existing(account))) => (
                S::Completed {
                    aadhaar_last4: self.aadhaar_last4().map(str::to_owned),
                    result: RegistrationResult {
                        existing: self.unconfirmed != Some(Step::CreateHprIdWithPreverified),
                        hpr_id_number: account.hpr_id_number,
                        hpr_id: account.hpr_id,
                    },
                },
                if self.unconfirmed == Some(Step::CreateHprIdWithPreverified) {
                    "The HPR ID was created although its answer was lost. Registration complete.".to_owned()
                } else {
                    "An HPR account already exists for this user. The registration flow is complete.".to_owned()
                },
            ),
            (Request::CheckAccountExist(_), Response::CheckAccountExist(AccountCheck::New(account))) => {
                if self.stage() != Stage::AadhaarVerified {
                    // reconciling an unconfirmed create: it did not happen; stay where we were
                    return Ok((
                        state.clone(),
                        "No HPR account exists yet: the unconfirmed create did not take effect. Run create again.".to_owned(),
                    ));
                }
                let mut txn = txn.ok_or_else(order)?;
                if let Some(id) = account.txn_id.clone() {
                    txn.id = id;
                }
                let mut prefill = prefill;
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
                    prefill.put(field, value.as_ref());
                }
                (
                    S::NewAccount { txn, prefill },
                    "No HPR account found. Next, give the mobile number for communication: if it is the Aadhaar-linked one, no mobile OTP is needed.".to_owned(),
                )
            }
            (Request::DemographicAuthViaMobile(req), Response::DemographicAuthViaMobile(resp)) => {
                let txn = txn.ok_or_else(order)?;
                let mobile = req.mobile_number.clone();
                if resp.verified {
                    (
                        S::MobileVerified { txn, prefill, mobile },
                        "Mobile number matches the Aadhaar-linked mobile; mobile OTP not needed. Proceed to get HPR ID suggestions.".to_owned(),
                    )
                } else {
                    (
                        S::MobileUnverified { txn, prefill, mobile },
                        "Mobile number does not match the Aadhaar-linked mobile. Proceed to generate a mobile OTP.".to_owned(),
                    )
                }
            }
            (Request::GenerateMobileOtp(req), Response::GenerateMobileOtp(resp)) => {
                let mut txn = txn.ok_or_else(order)?;
                txn.id = resp.txn_id;
                let message = format!("Mobile OTP sent to {}. Verify it next.", req.mobile.masked());
                (
                    S::MobileOtpSent {
                        txn,
                        prefill,
                        mobile: req.mobile.clone(),
                    },
                    message,
                )
            }
            (Request::VerifyMobileOtp(_), Response::VerifyMobileOtp(resp)) => {
                let mut txn = txn.ok_or_else(order)?;
                txn.id = resp.txn_id;
                let mobile = state.mobile().cloned().ok_or_else(order)?;
                (
                    S::MobileVerified { txn, prefill, mobile },
                    "Mobile OTP verified. Proceed to get HPR ID suggestions.".to_owned(),
                )
            }
            (Request::GetHprIdSuggestion(_), Response::GetHprIdSuggestion(list)) => {
                let txn = txn.ok_or_else(order)?;
                let mobile = state.mobile().cloned().ok_or_else(order)?;
                (
                    S::SuggestionsReady {
                        txn,
                        prefill,
                        mobile,
                        suggestions: list.0,
                    },
                    "HPR ID suggestions retrieved. Proceed to create the HPR ID: choose a username, a password, an e-mail and the professional category.".to_owned(),
                )
            }
            (Request::CreateHprIdWithPreverified(_), Response::CreateHprIdWithPreverified(created)) => (
                S::Completed {
                    aadhaar_last4: self.aadhaar_last4().map(str::to_owned),
                    result: RegistrationResult {
                        existing: false,
                        hpr_id_number: created.hpr_id_number,
                        hpr_id: created.hpr_id,
                    },
                },
                "HPR ID created successfully. Registration complete.".to_owned(),
            ),
            (request, response) => {
                return Err(Error::Mismatch {
                    operation: request.step(),
                    answered: response.step(),
                });
            }
        })
    }

    fn hint_for(&self, step: Step) -> PayloadHint {
        let txn_source = "kept by the session (the latest transaction id)";
        // the transaction id is flow metadata (CONTRACT §7), not a secret: a form carries it back
        let txn = self.txn_id().map(|t| t.as_str().to_owned());
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
                let to = self.linked_mobile().unwrap_or("the Aadhaar-linked mobile");
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
                let builder = match self.mobile() {
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
                    .mobile()
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
                        let suggestions = self.suggestions().iter().map(|s| Choice {
                            value: s.clone(),
                            label: format!("{s}{HPR_DOMAIN}"),
                            parent: None,
                        });
                        builder = builder.choices(suggestions.collect());
                    }
                }
                let known = self.state.prefill().cloned().unwrap_or_default();
                for field in Demographics::FIELDS {
                    let value = known.get(field).map(str::to_owned);
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

    /// Runs one step through `backend`: order check, validation (today's date from the system
    /// clock), the call, the state update.
    ///
    /// On any error the session is unchanged, so the step can be retried — except that a failure
    /// which may have taken effect is recorded ([`unconfirmed`](Self::unconfirmed)). Services
    /// with their own clock use [`prepare`](Self::prepare) and [`apply`](Self::apply) directly.
    pub async fn step<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        input: StepInput,
    ) -> Result<StepOutcome> {
        let request = self.prepare(input, today_in_india())?;
        self.send(backend, request).await
    }

    /// Runs a step from its id and a JSON payload — for UIs and scripts.
    pub async fn run<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        step: Step,
        payload: Value,
    ) -> Result<StepOutcome> {
        let request = self.prepare_json(step, payload, today_in_india())?;
        self.send(backend, request).await
    }

    async fn send<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        request: Request,
    ) -> Result<StepOutcome> {
        match request.send(backend).await {
            Ok(response) => self.apply(&request, response),
            Err(e) => {
                self.record_unconfirmed(&e);
                Err(e)
            }
        }
    }

    /// Step 1: sends an OTP to the Aadhaar-linked mobile (also a resend or a restart).
    pub async fn generate_aadhaar_otp<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        aadhaar: &Aadhaar,
    ) -> Result<StepOutcome> {
        let input = GenerateAadhaarOtpInput {
            aadhaar: Some(aadhaar.expose().to_owned()),
        };
        self.step(backend, StepInput::GenerateAadhaarOtp(input))
            .await
    }

    /// Step 2: verifies the Aadhaar OTP.
    pub async fn verify_aadhaar_otp<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        otp: &Otp,
    ) -> Result<StepOutcome> {
        let input = VerifyAadhaarOtpInput {
            otp: Some(otp.expose().to_owned()),
            ..Default::default()
        };
        self.step(backend, StepInput::VerifyAadhaarOtp(input)).await
    }

    /// Step 3: checks whether an account exists (`preverifiedCheck: true`).
    pub async fn check_account_exist<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
    ) -> Result<StepOutcome> {
        self.step(
            backend,
            StepInput::CheckAccountExist(CheckAccountExistInput::default()),
        )
        .await
    }

    /// Step 4: compares the mobile for communication with the Aadhaar-linked one.
    pub async fn demographic_auth_via_mobile<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        mobile: &Mobile,
    ) -> Result<StepOutcome> {
        let input = DemographicAuthInput {
            mobile_number: Some(mobile.expose().to_owned()),
            ..Default::default()
        };
        self.step(backend, StepInput::DemographicAuthViaMobile(input))
            .await
    }

    /// Step 5: sends an OTP to `mobile`, or to the demographic-auth mobile when `None`.
    pub async fn generate_mobile_otp<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        mobile: Option<&Mobile>,
    ) -> Result<StepOutcome> {
        let input = GenerateMobileOtpInput {
            mobile: mobile.map(|m| m.expose().to_owned()),
            ..Default::default()
        };
        self.step(backend, StepInput::GenerateMobileOtp(input))
            .await
    }

    /// Step 6: verifies the mobile OTP.
    pub async fn verify_mobile_otp<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        otp: &Otp,
    ) -> Result<StepOutcome> {
        let input = VerifyMobileOtpInput {
            otp: Some(otp.expose().to_owned()),
            ..Default::default()
        };
        self.step(backend, StepInput::VerifyMobileOtp(input)).await
    }

    /// Step 7: fetches HPR ID suggestions.
    pub async fn get_hpr_id_suggestion<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
    ) -> Result<StepOutcome> {
        self.step(
            backend,
            StepInput::GetHprIdSuggestion(HprIdSuggestionInput::default()),
        )
        .await
    }

    /// Step 8: creates the HPR ID. `details` needs `hprId`, `password`, `email`, `hpCategoryCode`
    /// and `hpSubCategoryCode`; any demographic field given overrides the prefilled one.
    pub async fn create_hpr_id<B: RegistryBackend + ?Sized>(
        &mut self,
        backend: &B,
        details: CreateHprIdInput,
    ) -> Result<StepOutcome> {
        self.step(
            backend,
            StepInput::CreateHprIdWithPreverified(Box::new(details)),
        )
        .await
    }

    /// A log-safe one-line summary: stage, masked Aadhaar and transaction.
    pub fn summary(&self) -> String {
        format!(
            "stage {:?}, Aadhaar {}, txn {}",
            self.stage(),
            self.aadhaar_last4()
                .map_or_else(|| "-".to_owned(), |l| format!("XXXXXXXX{l}")),
            self.txn_id()
                .map_or_else(|| "-".to_owned(), |t| mask::txn(t.as_str())),
        )
    }
}

/// The e-KYC fields create can use: names split from the full name, the birth date's parts, the
/// address and pincode.
fn prefill_from_kyc(kyc: &VerifyAadhaarOtpResponse) -> Demographics {
    let mut prefill = Demographics::default();
    if let Some(name) = &kyc.name {
        let parts: Vec<&str> = name.split_whitespace().collect();
        if let [first, middle @ .., last] = parts.as_slice() {
            prefill.put("firstName", Some(&(*first).to_owned()));
            prefill.put("lastName", Some(&(*last).to_owned()));
            prefill.put("middleName", Some(&middle.join(" ")));
        } else if let [only] = parts.as_slice() {
            // a single name: the registry requires a last name, which we never invent
            prefill.put("firstName", Some(&(*only).to_owned()));
        }
    }
    if let Some(date) = &kyc.birth_date {
        let parts: Vec<&str> = date.split(['-', '/']).collect();
        if let [d, m, y] = parts.as_slice() {
            prefill.put("dayOfBirth", Some(&(*d).to_owned()));
            prefill.put("monthOfBirth", Some(&(*m).to_owned()));
            prefill.put("yearOfBirth", Some(&(*y).to_owned()));
        }
    }
    prefill.put("address", kyc.address.as_ref());
    prefill.put("pincode", kyc.pincode.as_ref());
    prefill
}

/// The JSON `data` of an outcome: the response with the contract's names.
fn response_data(response: &Response) -> Value {
    let value = match response {
        Response::GenerateAadhaarOtp(r) => serde_json::to_value(r),
        Response::VerifyAadhaarOtp(r) => serde_json::to_value(r),
        Response::CheckAccountExist(r) => serde_json::to_value(r),
        Response::DemographicAuthViaMobile(r) => serde_json::to_value(r),
        Response::GenerateMobileOtp(r) | Response::VerifyMobileOtp(r) => serde_json::to_value(r),
        Response::GetHprIdSuggestion(r) => serde_json::to_value(r),
        Response::CreateHprIdWithPreverified(r) => serde_json::to_value(r),
    };
    // the response types hold only strings, numbers and booleans: this cannot fail
    value.unwrap_or(Value::Null)
}
