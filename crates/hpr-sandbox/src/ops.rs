//! The 8 contract operations: flow rules, OTP rules, and the exact response JSON the `carestack`
//! client parses (CONTRACT §2.3).

use std::borrow::Cow;
use std::time::Instant;

use abdm_hpr::types::{
    Aadhaar, Address, Checker, DateOfBirth, Email, HprId, Invalid, Mobile, Otp, Password,
    PersonName, Photo, Pincode, Rule, mask,
};
use axum::http::StatusCode;

use crate::body::{Body, flag, invalid_fields, text};
use crate::clock::later;
use crate::geo;
use crate::his::HisError;
use crate::persist::Record;
use crate::reply::{
    AadhaarOtpSent, Created, ExistingAccount, Kyc, MobileOtp, NewAccount, Reply, Verified,
};
use crate::state::{Account, Code, Core, OtpKind, PendingOtp, Sms, State, Step, StoredMobile, Txn};
use crate::suggest;

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// What a step needs first, for out-of-order answers.
fn not_now(txn: &Txn, wanted: Step) -> HisError {
    match txn.step {
        Step::ExistingAccount | Step::Created => HisError::new(
            UNPROCESSABLE,
            "An HPR ID already exists for this Aadhaar",
            "HIS-1029",
            "HPID already linked with Aadhaar",
        ),
        // name the earliest missing step: before the OTP is verified, that is the verification
        current => HisError::out_of_order(match (current, wanted) {
            (Step::AadhaarOtpSent, Step::NewAccount) => "verify the Aadhaar OTP",
            (_, Step::AadhaarOtpSent) => "generate an Aadhaar OTP",
            (_, Step::AadhaarVerified) => "verify the Aadhaar OTP",
            (_, Step::NewAccount) => "check whether the account exists",
            (_, Step::ExistingAccount | Step::Created) => "start a new registration",
        }),
    }
}

fn require_step(txn: &Txn, allowed: &[Step], wanted: Step) -> Result<(), HisError> {
    if allowed.contains(&txn.step) {
        Ok(())
    } else {
        Err(not_now(txn, wanted))
    }
}

fn bad_field(field: &'static str, code: &'static str, message: String) -> HisError {
    HisError::invalid_fields(vec![crate::his::Detail {
        code,
        message,
        field: Some(field),
    }])
}

/// Parses a required single field, answering `HIS-1002` when absent and `code` when invalid.
fn one_field<T>(
    body: &Body<'_>,
    field: &'static str,
    code: &'static str,
    parse: impl FnOnce(&str) -> Result<T, abdm_hpr::types::Invalid>,
) -> Result<T, HisError> {
    let raw = text(body, field).ok_or_else(|| {
        bad_field(
            field,
            "HIS-1002",
            format!("The field value should not be empty: {field}"),
        )
    })?;
    parse(&raw).map_err(|e| bad_field(field, code, format!("{field} {e}")))
}

fn resend_wait(core: &Core, otp: &PendingOtp, now: Instant) -> Result<(), HisError> {
    let elapsed = now.saturating_duration_since(otp.sent_at);
    if elapsed < core.config.resend_interval {
        let left = (core.config.resend_interval - elapsed).as_secs().max(1);
        return Err(HisError::new(
            UNPROCESSABLE,
            format!("Please wait {left} s before requesting another OTP"),
            "HIS-1023",
            "Please wait before sending another OTP",
        ));
    }
    Ok(())
}

fn new_otp(core: &Core, state: &mut State) -> Code {
    core.config
        .fixed_otp
        .as_deref()
        .and_then(Code::new)
        .unwrap_or_else(|| state.otp())
}

/// Checks a submitted OTP against the pending one of `kind`, counting wrong tries.
fn check_otp(
    core: &Core,
    txn: &mut Txn,
    kind: OtpKind,
    submitted: &Otp,
    now: Instant,
) -> Result<PendingOtp, HisError> {
    let wanted = match kind {
        OtpKind::Aadhaar => Step::AadhaarOtpSent,
        OtpKind::Mobile => Step::NewAccount,
    };
    let pending = match &mut txn.otp {
        Some(p) if p.kind == kind => p,
        _ if kind == OtpKind::Mobile && txn.step == Step::NewAccount => {
            return Err(HisError::out_of_order("generate a mobile OTP"));
        }
        _ => return Err(not_now(txn, wanted)),
    };
    if now >= later(pending.sent_at, core.config.otp_ttl) {
        return Err(HisError::new(
            UNPROCESSABLE,
            "The OTP has expired: request a new one",
            "HIS-1060",
            "OTP expired or invalid",
        )
        .on("otp"));
    }
    if !pending.code.matches(submitted.expose()) {
        // saturating: `max_otp_attempts` may be as large as u32::MAX
        pending.wrong = pending.wrong.saturating_add(1);
        let left = core.config.max_otp_attempts.saturating_sub(pending.wrong);
        if left == 0 {
            txn.locked_at = Some(now);
            txn.otp = None;
            return Err(HisError::new(
                UNPROCESSABLE,
                "Too many wrong OTPs: this transaction is locked; start again with an Aadhaar OTP",
                "HIS-1041",
                "Max OTP attempts reached",
            )
            .on("otp"));
        }
        return Err(HisError::new(
            UNPROCESSABLE,
            format!(
                "OTP verification failed ({left} attempt{} left)",
                if left == 1 { "" } else { "s" }
            ),
            "HIS-1013",
            "Incorrect OTP entered",
        )
        .on("otp"));
    }
    match txn.otp.take() {
        Some(pending) => Ok(pending),
        None => Err(not_now(txn, wanted)),
    }
}

impl Core {
    /// A1 `POST /aadhaar/generateOtp`.
    pub fn generate_aadhaar_otp(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let aadhaar = one_field(body, "aadhaar", "HIS-1012", Aadhaar::parse)?;
        let now = self.now();
        let mut state = self.lock();
        state.expire_some(now);
        // a still-pending OTP for this Aadhaar is throttled, a lockout holds for the resend
        // interval (so wrong guesses stay limited), then the new transaction supersedes the old
        let pending = state
            .txns_of(&aadhaar)
            .filter(|(_, t)| t.step == Step::AadhaarOtpSent)
            .last()
            .map(|(key, t)| {
                let wait = match (t.locked_at, t.otp.as_ref()) {
                    (Some(at), _) if now < later(at, self.config.resend_interval) => {
                        let left = (later(at, self.config.resend_interval) - now)
                            .as_secs()
                            .max(1);
                        Err(HisError::new(
                            UNPROCESSABLE,
                            format!(
                                "Too many wrong OTPs for this Aadhaar: wait {left} s before requesting a new one"
                            ),
                            "HIS-1041",
                            "Max OTP attempts reached",
                        ))
                    }
                    (None, Some(p))
                        if p.kind == OtpKind::Aadhaar
                            && now < later(p.sent_at, self.config.otp_ttl) =>
                    {
                        resend_wait(self, p, now)
                    }
                    _ => Ok(()),
                };
                // the mobile the pending OTP went to: the same person's, reused below
                let sent_to = t.otp.as_ref().and_then(|p| p.mobile);
                (key, wait, sent_to)
            });
        let (previous, sent_to) = match pending {
            Some((previous, wait, sent_to)) => {
                wait?;
                (Some(previous), sent_to)
            }
            // superseding needs no room: the count of transactions stays the same
            None => {
                state.make_room(&aadhaar, self.config.max_transactions, now)?;
                (None, None)
            }
        };
        // only the linked mobile is needed: a seeded person's (which may have been added since
        // the pending OTP), else the one the pending OTP went to (a derived person's never
        // changes), else a derived one, made up after the lock is released (about 1.5k
        // instructions, saved on every resend)
        let known = match state.identities.get(aadhaar.expose()) {
            Some(identity) => StoredMobile::new(&identity.mobile),
            None => sent_to,
        };
        let random = state.new_txn_bits();
        let code = new_otp(self, &mut state);
        let txn = Txn::new(
            &aadhaar,
            later(now, self.config.txn_ttl),
            PendingOtp {
                code,
                kind: OtpKind::Aadhaar,
                sent_at: now,
                wrong: 0,
                mobile: known,
            },
        );
        let key = match previous {
            Some(previous) => state.supersede(previous, random, txn),
            None => state.insert_txn(random, txn),
        };
        drop(state);
        let derived;
        let mobile = match &known {
            Some(mobile) => mobile.as_str(),
            None => {
                derived = crate::identity::derive_mobile(&aadhaar, self.seed);
                self.lock().note_otp_mobile(key, &derived);
                derived.as_str()
            }
        };
        // the hex digits written straight into a buffer (`to_string` goes through `fmt`)
        let txn_id = key
            .uuid()
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer())
            .to_owned();
        let masked = crate::identity::masked_mobile(mobile);
        self.send_sms(|| Sms {
            txn_id: txn_id.clone(),
            kind: OtpKind::Aadhaar,
            to: mask::last4(mobile),
            otp: code.as_str().to_owned(),
        });
        Ok(Reply::AadhaarOtpSent(AadhaarOtpSent {
            mobile_number: masked,
            txn_id,
        }))
    }

    /// A2 `POST /aadhaar/verifyOtp`: returns the e-KYC profile with the peer's key spellings.
    pub fn verify_aadhaar_otp(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let now = self.now();
        let txn_id = text(body, "txnId").map(Cow::into_owned);
        let mut state = self.lock();
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        require_step(txn, &[Step::AadhaarOtpSent], Step::AadhaarOtpSent)?;
        check_id_type_and_domain(body)?;
        let otp = one_field(body, "otp", "HIS-1003", Otp::parse)?;
        check_otp(self, txn, OtpKind::Aadhaar, &otp, now)?;
        txn.step = Step::AadhaarVerified;
        let aadhaar = txn.aadhaar()?;
        let id = self.identity_in(&state, &aadhaar);
        drop(state);
        Ok(Reply::Kyc(Box::new(Kyc {
            mobile: id.masked_mobile(),
            birth_date: id.birth_date(),
            txn_id,
            photo: id.photo,
            gender: id.gender,
            name: id.name,
            email: None,
            pincode: id.pincode,
            care_of: None,
            house: None,
            street: None,
            landmark: None,
            locality: None,
            village_town_city: id.district_name.clone(),
            sub_dist: None,
            district: id.district_name,
            state: id.state_name,
            post_office: None,
            address: id.address,
        })))
    }

    /// A3 `POST /check/account-exist`.
    pub fn check_account_exist(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let now = self.now();
        let txn_id = text(body, "txnId").map(Cow::into_owned);
        if body.get("preverifiedCheck").is_some_and(|v| !v.is_null())
            && flag(body, "preverifiedCheck").is_none()
        {
            return Err(bad_field(
                "preverifiedCheck",
                "HIS-1003",
                "preverifiedCheck must be a boolean".into(),
            ));
        }
        let mut state = self.lock();
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        require_step(
            txn,
            &[
                Step::AadhaarVerified,
                Step::NewAccount,
                Step::ExistingAccount,
                Step::Created,
            ],
            Step::AadhaarVerified,
        )?;
        let aadhaar = txn.aadhaar()?;
        if let Some(account) = state.accounts.get(aadhaar.expose()).cloned() {
            state.finish(txn_id.as_deref(), Step::ExistingAccount);
            let token = state.token(&account.hpr_id);
            return Ok(Reply::ExistingAccount(ExistingAccount {
                token,
                hpr_id_number: account.hpr_id_number,
                hpr_id: account.hpr_id,
                category_id: account.category_id,
                sub_category_id: account.sub_category_id,
                category_name: account.category_name,
                category_sub_name: account.category_sub_name,
                new: false,
            }));
        }
        if let Ok(txn) = state.txn_mut(txn_id.as_deref(), now) {
            txn.step = Step::NewAccount;
        }
        let id = self.identity_in(&state, &aadhaar);
        let token = state.token("registration");
        drop(state);
        Ok(Reply::NewAccount(Box::new(NewAccount {
            txn_id,
            token,
            hpr_id_number: "",
            name: id.name,
            first_name: id.first_name,
            middle_name: id.middle_name,
            last_name: id.last_name,
            gender: id.gender,
            year_of_birth: id.year_of_birth,
            month_of_birth: id.month_of_birth,
            day_of_birth: id.day_of_birth,
            state_code: id.state_code,
            state_name: id.state_name,
            district_code: id.district_code,
            district_name: id.district_name,
            address: id.address,
            pincode: id.pincode,
            profile_photo: id.photo,
            category_id: 0,
            sub_category_id: 0,
            new: true,
        })))
    }

    /// A4 `POST /demographic-auth/mobile`: verified iff the mobile is the Aadhaar-linked one.
    pub fn demographic_auth(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let now = self.now();
        let txn_id = text(body, "txnId").map(Cow::into_owned);
        let mut state = self.lock();
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        require_step(txn, &[Step::NewAccount], Step::NewAccount)?;
        let mobile = one_field(body, "mobileNumber", "HIS-1011", Mobile::parse)?;
        let aadhaar = txn.aadhaar()?;
        let linked = self.linked_mobile_in(&state, &aadhaar);
        let verified = mobile.expose() == linked;
        if verified {
            let txn = state.txn_mut(txn_id.as_deref(), now)?;
            txn.verified_mobile = StoredMobile::new(&linked);
        }
        Ok(Reply::Verified(Verified { verified }))
    }

    /// A5 `POST /generate/mobileOtp`.
    pub fn generate_mobile_otp(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let now = self.now();
        let txn_id = text(body, "txnId").map(Cow::into_owned);
        let mut state = self.lock();
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        require_step(txn, &[Step::NewAccount], Step::NewAccount)?;
        let mobile = one_field(body, "mobile", "HIS-1011", Mobile::parse)?;
        if let Some(p) = txn.otp.as_ref().filter(|p| p.kind == OtpKind::Mobile) {
            resend_wait(self, p, now)?;
        }
        let code = new_otp(self, &mut state);
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        txn.otp = Some(PendingOtp {
            code,
            kind: OtpKind::Mobile,
            sent_at: now,
            wrong: 0,
            mobile: StoredMobile::new(mobile.expose()),
        });
        txn.last_otp = Some((code, OtpKind::Mobile));
        drop(state);
        let txn_id = txn_id.unwrap_or_default();
        self.send_sms(|| Sms {
            txn_id: txn_id.clone(),
            kind: OtpKind::Mobile,
            to: mobile.masked(),
            otp: code.as_str().to_owned(),
        });
        Ok(Reply::MobileOtp(MobileOtp {
            mobile_number: None,
            txn_id: Some(txn_id),
        }))
    }

    /// A6 `POST /verify/mobileOtp`.
    pub fn verify_mobile_otp(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let now = self.now();
        let txn_id = text(body, "txnId").map(Cow::into_owned);
        let mut state = self.lock();
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        require_step(txn, &[Step::NewAccount], Step::NewAccount)?;
        let otp = one_field(body, "otp", "HIS-1003", Otp::parse)?;
        let proven = check_otp(self, txn, OtpKind::Mobile, &otp, now)?;
        txn.verified_mobile = proven.mobile;
        Ok(Reply::MobileOtp(MobileOtp {
            mobile_number: None,
            txn_id,
        }))
    }

    /// A7 `POST /hpId/suggestion`: a bare array of available usernames.
    pub fn suggestions(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let now = self.now();
        let txn_id = text(body, "txnId").map(Cow::into_owned);
        let mut state = self.lock();
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        require_step(txn, &[Step::NewAccount], Step::NewAccount)?;
        let aadhaar = txn.aadhaar()?;
        let identity = self.identity_in(&state, &aadhaar);
        let ids = suggest::suggestions(&identity, |candidate| state.taken_ids.contains(candidate));
        Ok(Reply::Suggestions(ids))
    }

    /// A8 `POST /hprId/create`: every field rule enforced, unique ID, account stored.
    pub fn create_hpr_id(&self, body: &Body<'_>) -> Result<Reply, HisError> {
        let now = self.now();
        let txn_id = text(body, "txnId").map(Cow::into_owned);
        let mut state = self.lock();
        let txn = state.txn_mut(txn_id.as_deref(), now)?;
        require_step(txn, &[Step::NewAccount], Step::NewAccount)?;
        let Some(mobile) = txn.verified_mobile.map(|m| m.as_str().to_owned()) else {
            return Err(HisError::new(
                UNPROCESSABLE,
                "Verify a mobile number first (demographic auth or mobile OTP)",
                "HIS-1068",
                "Mobile verification required",
            ));
        };
        let aadhaar = txn.aadhaar()?;
        let identity = self.identity_in(&state, &aadhaar);

        let mut c = Checker::new();
        let field = |key: &str| text(body, key);
        let address = c.required("address", field("address").as_deref(), Address::parse);
        let first_name = c.required(
            "firstName",
            field("firstName").as_deref(),
            PersonName::parse,
        );
        let middle_name = c.optional(
            "middleName",
            field("middleName").as_deref(),
            PersonName::parse,
        );
        let last_name = c.required("lastName", field("lastName").as_deref(), PersonName::parse);
        let email = c.required("email", field("email").as_deref(), Email::parse);
        let password = c.required("password", field("password").as_deref(), Password::parse);
        let pincode = c.required("pincode", field("pincode").as_deref(), Pincode::parse);
        let hpr_id = c.required("hprId", field("hprId").as_deref(), HprId::parse);
        // checked for its rules only: the account keeps the KYC photo
        let _photo = c.optional(
            "profilePhoto",
            field("profilePhoto").as_deref(),
            Photo::parse,
        );
        let dob = match (
            field("dayOfBirth"),
            field("monthOfBirth"),
            field("yearOfBirth"),
        ) {
            (Some(d), Some(m), Some(y)) => match DateOfBirth::from_parts(&d, &m, &y) {
                Ok(dob) => Some(dob),
                Err(errors) => {
                    c.extend(errors);
                    None
                }
            },
            (d, m, y) => {
                for (key, value) in [("dayOfBirth", d), ("monthOfBirth", m), ("yearOfBirth", y)] {
                    if value.is_none() {
                        c.push(Invalid::required().at(key));
                    }
                }
                None
            }
        };
        // known registry codes; a seeded identity's own state/district codes are accepted too
        // (`Rule::Format` is not on the wire: HIS details carry the field's own code)
        let state_code = c.required("stateCode", field("stateCode").as_deref(), |raw| {
            let code = raw.trim();
            if geo::state(code).is_some() || code == identity.state_code {
                Ok(code.to_owned())
            } else {
                Err(Invalid::new(Rule::Format, "is not a known state code"))
            }
        });
        let district_code = c.required("districtCode", field("districtCode").as_deref(), |raw| {
            let code = raw.trim();
            let known = state_code.as_deref().is_some_and(|s| {
                geo::district(s, code).is_some()
                    || (s == identity.state_code && code == identity.district_code)
            });
            if known {
                Ok(code.to_owned())
            } else {
                Err(Invalid::new(
                    Rule::Format,
                    "is not a known district of the state",
                ))
            }
        });
        let category = c.required(
            "hpCategoryCode",
            field("hpCategoryCode").as_deref(),
            |raw| {
                geo::category_name(raw.trim())
                    .map(|name| (raw.trim().parse::<u32>().unwrap_or_default(), name))
                    .ok_or(Invalid::new(Rule::Format, "is not a known category"))
            },
        );
        let sub_category = c.required(
            "hpSubCategoryCode",
            field("hpSubCategoryCode").as_deref(),
            |raw| {
                let cat = field("hpCategoryCode").unwrap_or_default();
                geo::sub_category_name(cat.trim(), raw.trim())
                    .map(|name| (raw.trim().parse::<u32>().unwrap_or_default(), name))
                    .ok_or(Invalid::new(
                        Rule::Format,
                        "is not a known sub-category of the category",
                    ))
            },
        );
        c.finish().map_err(|report| invalid_fields(body, report))?;
        let (
            Some(_),
            Some(first_name),
            Some(middle_name),
            Some(last_name),
            Some(email),
            Some(_),
            Some(_),
            Some(hpr_id),
            Some(dob),
            Some(state_code),
            Some(district_code),
            Some(category),
            Some(sub_category),
        ) = (
            address,
            first_name,
            middle_name,
            last_name,
            email,
            password,
            pincode,
            hpr_id,
            dob,
            state_code,
            district_code,
            category,
            sub_category,
        )
        else {
            // `finish` returned Ok, so every field parsed; answer rather than panic if a future
            // edit breaks that
            return Err(HisError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal sandbox error",
                "HIS-500",
                "A field was neither parsed nor reported",
            ));
        };

        if state.accounts.contains_key(aadhaar.expose()) {
            return Err(HisError::new(
                UNPROCESSABLE,
                "An HPR ID already exists for this Aadhaar",
                "HIS-1029",
                "HPID already linked with Aadhaar",
            ));
        }
        let username = hpr_id.as_str().to_owned();
        if state.taken_ids.contains(&username.to_ascii_lowercase()) {
            return Err(HisError::new(
                UNPROCESSABLE,
                "This HPR ID is taken: choose another (see the suggestions)",
                "HIS-1015",
                "HPID already exists",
            )
            .on("hprId"));
        }
        let hpr_id_number = state.hpr_id_number();
        let full_id = hpr_id.full();
        let token = state.token(&full_id);
        let account = Account {
            aadhaar: aadhaar.expose().to_owned(),
            hpr_id_number: hpr_id_number.clone(),
            hpr_id: full_id.clone(),
            category_id: category.0,
            sub_category_id: sub_category.0,
            category_name: category.1.to_owned(),
            category_sub_name: sub_category.1.to_owned(),
        };
        self.journal(&state, || Record::Account {
            account: account.clone(),
        });
        state.add_account(account);
        state.finish(txn_id.as_deref(), Step::Created);
        drop(state);
        let name = [
            Some(first_name.as_str()),
            middle_name.as_ref().map(PersonName::as_str),
            Some(last_name.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let district_name = geo::district(&state_code, &district_code)
            .map(|d| d.name.to_owned())
            .unwrap_or_else(|| identity.district_name.clone());
        let state_name = geo::state(&state_code)
            .map(|s| s.name.to_owned())
            .unwrap_or_else(|| identity.state_name.clone());
        let auth_methods = if mobile == identity.mobile {
            ["AADHAAR_OTP", "PASSWORD", "DEMOGRAPHICS"]
        } else {
            ["AADHAAR_OTP", "MOBILE_OTP", "PASSWORD"]
        };
        Ok(Reply::Created(Box::new(Created {
            token,
            hpr_id_number,
            hpr_id: full_id,
            name,
            gender: identity.gender,
            year_of_birth: dob.year().to_owned(),
            month_of_birth: dob.month().to_owned(),
            day_of_birth: dob.day().to_owned(),
            first_name: first_name.as_str().to_owned(),
            middle_name: middle_name.as_ref().map(|m| m.as_str().to_owned()),
            last_name: last_name.as_str().to_owned(),
            state_code,
            state_name,
            district_code,
            district_name,
            email: email.as_str().to_owned(),
            kyc_photo: identity.photo,
            mobile,
            category_id: category.0,
            sub_category_id: sub_category.0,
            auth_methods,
            new: true,
        })))
    }
}

/// `domainName` and `idType`, when sent, must be `@hpr.abdm` and `hpr_id`, else `HIS-1036`
/// (A's verifyOTP; B's create, which sends them too).
pub(crate) fn check_id_type_and_domain(body: &Body<'_>) -> Result<(), HisError> {
    for (field, expected) in [("domainName", "@hpr.abdm"), ("idType", "hpr_id")] {
        if text(body, field).is_some_and(|v| v.trim() != expected) {
            return Err(HisError::new(
                StatusCode::BAD_REQUEST,
                format!("{field} must be {expected}"),
                "HIS-1036",
                "ID type and domain not configured",
            )
            .on(field));
        }
    }
    Ok(())
}
