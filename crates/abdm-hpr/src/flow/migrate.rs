//! Reading a saved session: format 2 as is, format 1 (written by hpr 0.1) migrated.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Stage;
use super::session::RegistrationResult;
use super::state::{Demographics, SessionState, Txn};
use crate::types::{CreateHprIdInput, Mobile, TxnId};

/// The format version this release writes.
pub const SESSION_VERSION: u32 = 2;

/// The session as written: the version, the stage data, and a step that may have run unseen.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V2 {
    pub version: u32,
    #[serde(flatten)]
    pub state: SessionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<crate::step::Step>,
}

/// Format 1: one struct of options (hpr 0.1).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1 {
    stage: Stage,
    txn_id: Option<TxnId>,
    aadhaar_last4: Option<String>,
    linked_mobile: Option<String>,
    mobile: Option<Mobile>,
    #[serde(default)]
    prefill: CreateHprIdInput,
    #[serde(default)]
    suggestions: Vec<String>,
    result: Option<RegistrationResult>,
}

/// Reads any supported version into the current state.
pub(crate) fn read(value: Value) -> Result<V2, String> {
    let version = match value.get("version") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(_) => return Err("`version` must be a number".to_owned()),
        None => return Err("missing field `version`".to_owned()),
    };
    match version {
        Some(1) => {
            let v1: V1 = serde_json::from_value(value).map_err(|e| e.to_string())?;
            migrate_v1(v1)
        }
        Some(2) => serde_json::from_value(value).map_err(|e| e.to_string()),
        Some(v) if v > u64::from(SESSION_VERSION) => Err(format!(
            "session format version {v} is newer than this hpr understands (it reads versions 1 to {SESSION_VERSION}): upgrade hpr"
        )),
        _ => Err(format!(
            "session format version {} is not supported (expected 1 to {SESSION_VERSION})",
            version.map_or_else(|| "?".to_owned(), |v| v.to_string())
        )),
    }
}

fn migrate_v1(v1: V1) -> Result<V2, String> {
    let missing = |what: &str| {
        format!(
            "a version-1 session at stage {} lacks {what}",
            serde_json::to_value(v1.stage)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        )
    };
    let txn = || -> Result<Txn, String> {
        Ok(Txn {
            id: v1.txn_id.clone().ok_or_else(|| missing("txnId"))?,
            aadhaar_last4: v1
                .aadhaar_last4
                .clone()
                .ok_or_else(|| missing("aadhaarLast4"))?,
            linked_mobile: v1.linked_mobile.clone(),
        })
    };
    let prefill = Demographics::from_input(&v1.prefill);
    let mobile = || v1.mobile.clone().ok_or_else(|| missing("mobile"));
    let state = match v1.stage {
        Stage::Start => SessionState::Start,
        Stage::AadhaarOtpSent => SessionState::AadhaarOtpSent { txn: txn()? },
        Stage::AadhaarVerified => SessionState::AadhaarVerified {
            txn: txn()?,
            prefill,
        },
        Stage::NewAccount => SessionState::NewAccount {
            txn: txn()?,
            prefill,
        },
        Stage::MobileUnverified => SessionState::MobileUnverified {
            txn: txn()?,
            prefill,
            mobile: mobile()?,
        },
        Stage::MobileOtpSent => SessionState::MobileOtpSent {
            txn: txn()?,
            prefill,
            mobile: mobile()?,
        },
        Stage::MobileVerified => SessionState::MobileVerified {
            txn: txn()?,
            prefill,
            mobile: mobile()?,
        },
        Stage::SuggestionsReady => SessionState::SuggestionsReady {
            txn: txn()?,
            prefill,
            mobile: mobile()?,
            suggestions: v1.suggestions.clone(),
        },
        Stage::Completed => SessionState::Completed {
            aadhaar_last4: v1.aadhaar_last4.clone(),
            result: v1.result.clone().ok_or_else(|| missing("result"))?,
        },
    };
    Ok(V2 {
        version: SESSION_VERSION,
        state,
        unconfirmed: None,
    })
}
