//! B's bodies to A's operations and back (CONTRACT §3.2): B requests carry a few extra keys,
//! B answers use upstream's spellings.

use abdm_hpr::Step;
use serde_json::{Value, json};

use crate::body::Body;
use crate::his::HisError;

/// `expiresIn` of a create answer: the professional's token lives 30 minutes.
const TOKEN_EXPIRES_IN: u64 = 1800;

/// `refreshExpiresIn` of a create answer.
const REFRESH_EXPIRES_IN: u64 = 10_800;

/// Checks what B adds to A's request. A's operations ignore unknown keys and accept integer
/// category codes and `hprId` with `@hpr.abdm`, so only create's `idType` and `domainName` need
/// a look: like verifyOTP's, a wrong one is `HIS-1036`.
pub(crate) fn request(step: Step, body: &Body<'_>) -> Result<(), HisError> {
    if step != Step::CreateHprIdWithPreverified {
        return Ok(());
    }
    crate::ops::check_id_type_and_domain(body)
}

/// A's success answer in B's spellings: verifyOTP's `mobileNumber` and `birthdate`; create's
/// token lifetimes, refresh token and sub-district and role keys (`null`: the sandbox has no
/// sub-districts, and upstream's role values are not documented).
pub(crate) fn response(
    step: Step,
    mut value: Value,
    refresh_token: impl FnOnce() -> String,
) -> Value {
    let Some(object) = value.as_object_mut() else {
        return value;
    };
    match step {
        Step::VerifyAadhaarOtp => {
            for (a, b) in [("mobile", "mobileNumber"), ("birthDate", "birthdate")] {
                if let Some(v) = object.remove(a) {
                    object.insert(b.to_owned(), v);
                }
            }
        }
        Step::CreateHprIdWithPreverified => {
            object.insert("expiresIn".into(), json!(TOKEN_EXPIRES_IN));
            object.insert("refreshToken".into(), json!(refresh_token()));
            object.insert("refreshExpiresIn".into(), json!(REFRESH_EXPIRES_IN));
            for key in ["subDistrictCode", "subDistrictName", "role"] {
                object.insert(key.into(), Value::Null);
            }
        }
        _ => {}
    }
    value
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_take_upstream_spellings() {
        let verified = response(
            Step::VerifyAadhaarOtp,
            json!({"txnId":"T","mobile":"******3210","birthDate":"15-08-1988","photo":null}),
            || unreachable!(),
        );
        assert_eq!(
            verified,
            json!({"txnId":"T","mobileNumber":"******3210","birthdate":"15-08-1988","photo":null})
        );
        let created = response(
            Step::CreateHprIdWithPreverified,
            json!({"token":"t"}),
            || "r".into(),
        );
        assert_eq!(created["expiresIn"], 1800);
        assert_eq!(created["refreshExpiresIn"], 10_800);
        assert_eq!(created["refreshToken"], "r");
        assert!(created["subDistrictCode"].is_null());
        let list = response(Step::GetHprIdSuggestion, json!(["a"]), || unreachable!());
        assert_eq!(list, json!(["a"]));
    }

    #[test]
    fn a_create_for_another_domain_is_refused() {
        let body = crate::body::parse(br#"{"domainName":"@abdm","idType":"hpr_id"}"#).unwrap();
        let err = request(Step::CreateHprIdWithPreverified, &body).unwrap_err();
        assert_eq!(err.details[0].code, "HIS-1036");
        let body = crate::body::parse(
            br#"{"domainName":"@hpr.abdm","idType":"hpr_id","notifyUser":true}"#,
        )
        .unwrap();
        assert!(request(Step::CreateHprIdWithPreverified, &body).is_ok());
    }
}
