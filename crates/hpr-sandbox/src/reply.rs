//! The contract operations' success answers as typed structs, serialized straight into the
//! response bytes (no `serde_json::Value` tree per request).
//!
//! The wire bytes are the ones the sandbox has always sent: it used to build `Value` objects,
//! whose keys `serde_json` (without `preserve_order`) writes in sorted byte order. So each
//! struct declares its fields in that order, and a test checks every reply serializes to the
//! same bytes as its `Value` form.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One success answer of a contract operation (CONTRACT §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum Reply {
    /// A1.
    AadhaarOtpSent(AadhaarOtpSent),
    /// A2.
    Kyc(Box<Kyc>),
    /// A3, an account exists.
    ExistingAccount(ExistingAccount),
    /// A3, no account.
    NewAccount(Box<NewAccount>),
    /// A4.
    Verified(Verified),
    /// A5 and A6.
    MobileOtp(MobileOtp),
    /// A7: a bare array.
    Suggestions(Vec<String>),
    /// A8.
    Created(Box<Created>),
}

impl Reply {
    /// The JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        if let Reply::AadhaarOtpSent(sent) = self
            && let Some(bytes) = sent.plain_json()
        {
            return bytes;
        }
        // serializing plain strings, numbers and booleans into memory cannot fail; an empty
        // object is still JSON if it ever did
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }

    /// The answer as a JSON value (Backend B rewrites some keys).
    pub fn into_value(self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        // what `axum::Json` sends: 200 and `Content-Type: application/json`
        let mut response = Response::new(Body::from(self.to_bytes()));
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// A1: `{"mobileNumber","txnId"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AadhaarOtpSent {
    pub mobile_number: String,
    pub txn_id: String,
}

impl AadhaarOtpSent {
    /// The bytes `serde_json` writes for this answer, written directly when neither value
    /// needs escaping (the sandbox's masked mobiles and UUIDs never do), else `None`. Step 1 is
    /// the call made most (every registration starts with it, every resend repeats it), and
    /// `serde_json` scans each key and value for characters to escape as it writes them: most
    /// of the cost of this answer. A test holds the two ways byte-identical.
    fn plain_json(&self) -> Option<Vec<u8>> {
        // printable ASCII but `"` and `\`: what JSON writes as it is
        let plain = |text: &str| {
            text.bytes()
                .all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\')
        };
        if !(plain(&self.mobile_number) && plain(&self.txn_id)) {
            return None;
        }
        let (head, middle, tail) = (&br#"{"mobileNumber":""#[..], &br#"","txnId":""#[..], b"\"}");
        let mut json = Vec::with_capacity(
            head.len() + self.mobile_number.len() + middle.len() + self.txn_id.len() + tail.len(),
        );
        json.extend_from_slice(head);
        json.extend_from_slice(self.mobile_number.as_bytes());
        json.extend_from_slice(middle);
        json.extend_from_slice(self.txn_id.as_bytes());
        json.extend_from_slice(tail);
        Some(json)
    }
}

/// A2: the e-KYC profile with the peer's spellings; 19 keys, `null` where UIDAI has nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Kyc {
    pub address: String,
    pub birth_date: String,
    pub care_of: Option<String>,
    pub district: String,
    pub email: Option<String>,
    pub gender: String,
    pub house: Option<String>,
    pub landmark: Option<String>,
    pub locality: Option<String>,
    pub mobile: String,
    pub name: String,
    pub photo: String,
    pub pincode: String,
    pub post_office: Option<String>,
    pub state: String,
    pub street: Option<String>,
    pub sub_dist: Option<String>,
    pub txn_id: Option<String>,
    pub village_town_city: String,
}

/// A3 when the Aadhaar has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExistingAccount {
    pub category_id: u32,
    pub category_name: String,
    pub category_sub_name: String,
    pub hpr_id: String,
    pub hpr_id_number: String,
    pub new: bool,
    pub sub_category_id: u32,
    pub token: String,
}

/// A3 when it has none: the KYC data for the create form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewAccount {
    pub address: String,
    pub category_id: u32,
    pub day_of_birth: String,
    pub district_code: String,
    pub district_name: String,
    pub first_name: String,
    pub gender: String,
    pub hpr_id_number: &'static str,
    pub last_name: String,
    pub middle_name: Option<String>,
    pub month_of_birth: String,
    pub name: String,
    pub new: bool,
    pub pincode: String,
    pub profile_photo: String,
    pub state_code: String,
    pub state_name: String,
    pub sub_category_id: u32,
    pub token: String,
    pub txn_id: Option<String>,
    pub year_of_birth: String,
}

/// A4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Verified {
    pub verified: bool,
}

/// A5 and A6: `{"mobileNumber":null,"txnId":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MobileOtp {
    pub mobile_number: Option<String>,
    pub txn_id: Option<String>,
}

/// A8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Created {
    pub auth_methods: [&'static str; 3],
    pub category_id: u32,
    pub day_of_birth: String,
    pub district_code: String,
    pub district_name: String,
    pub email: String,
    pub first_name: String,
    pub gender: String,
    pub hpr_id: String,
    pub hpr_id_number: String,
    pub kyc_photo: String,
    pub last_name: String,
    pub middle_name: Option<String>,
    pub mobile: String,
    pub month_of_birth: String,
    pub name: String,
    pub new: bool,
    pub state_code: String,
    pub state_name: String,
    pub sub_category_id: u32,
    pub token: String,
    pub year_of_birth: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_owned()
    }

    /// One of each reply, with every optional both present and absent.
    fn samples() -> Vec<Reply> {
        let kyc = |some: Option<String>| Kyc {
            address: s("12 Station Road"),
            birth_date: s("15-08-1988"),
            care_of: some.clone(),
            district: s("Ghaziabad"),
            email: some.clone(),
            gender: s("F"),
            house: some.clone(),
            landmark: some.clone(),
            locality: some.clone(),
            mobile: s("******3210"),
            name: s("Asha Verma"),
            photo: s("/9j/"),
            pincode: s("201001"),
            post_office: some.clone(),
            state: s("Uttar Pradesh"),
            street: some.clone(),
            sub_dist: some.clone(),
            txn_id: some.clone(),
            village_town_city: s("Ghaziabad"),
        };
        let new = |some: Option<String>| NewAccount {
            address: s("a"),
            category_id: 0,
            day_of_birth: s("15"),
            district_code: s("145"),
            district_name: s("Ghaziabad"),
            first_name: s("Asha"),
            gender: s("F"),
            hpr_id_number: "",
            last_name: s("Verma"),
            middle_name: some.clone(),
            month_of_birth: s("08"),
            name: s("Asha Verma"),
            new: true,
            pincode: s("201001"),
            profile_photo: s("/9j/"),
            state_code: s("9"),
            state_name: s("Uttar Pradesh"),
            sub_category_id: 0,
            token: s("t"),
            txn_id: some,
            year_of_birth: s("1988"),
        };
        let created = |some: Option<String>| Created {
            auth_methods: ["AADHAAR_OTP", "PASSWORD", "DEMOGRAPHICS"],
            category_id: 1,
            day_of_birth: s("15"),
            district_code: s("145"),
            district_name: s("Ghaziabad"),
            email: s("a@example.com"),
            first_name: s("Asha"),
            gender: s("F"),
            hpr_id: s("asha@hpr.abdm"),
            hpr_id_number: s("71-1234-5678-9012"),
            kyc_photo: s("/9j/"),
            last_name: s("Verma"),
            middle_name: some,
            mobile: s("9876543210"),
            month_of_birth: s("08"),
            name: s("Asha Verma"),
            new: true,
            state_code: s("9"),
            state_name: s("Uttar Pradesh"),
            sub_category_id: 1,
            token: s("t"),
            year_of_birth: s("1988"),
        };
        let mut all = vec![
            Reply::AadhaarOtpSent(AadhaarOtpSent {
                mobile_number: s("******3210"),
                txn_id: s("T"),
            }),
            Reply::ExistingAccount(ExistingAccount {
                category_id: 1,
                category_name: s("Doctor"),
                category_sub_name: s("Modern Medicine"),
                hpr_id: s("asha@hpr.abdm"),
                hpr_id_number: s("71-1234-5678-9012"),
                new: false,
                sub_category_id: 1,
                token: s("t"),
            }),
            Reply::Verified(Verified { verified: true }),
            Reply::Verified(Verified { verified: false }),
            Reply::Suggestions(vec![s("asha.verma"), s("verma.asha")]),
            Reply::Suggestions(vec![]),
        ];
        for some in [None, Some(s("x"))] {
            all.push(Reply::Kyc(Box::new(kyc(some.clone()))));
            all.push(Reply::NewAccount(Box::new(new(some.clone()))));
            all.push(Reply::Created(Box::new(created(some.clone()))));
            all.push(Reply::MobileOtp(MobileOtp {
                mobile_number: None,
                txn_id: some,
            }));
        }
        all
    }

    #[test]
    fn every_reply_is_byte_identical_to_its_sorted_value_form() {
        // the sandbox built `Value` objects before (sorted keys): same bytes, key for key
        for reply in samples() {
            let direct = String::from_utf8(reply.to_bytes()).unwrap();
            let via_value = serde_json::to_string(&reply.clone().into_value()).unwrap();
            assert_eq!(direct, via_value);
        }
    }

    #[test]
    fn the_step_1_answer_written_directly_is_what_serde_writes() {
        let cases = [
            ("******3210", "030c3a66-641a-48f9-8a69-0dcc25d1f4b0"),
            ("", ""),
            ("~ !#", "a/b"),
            // these need escaping: serde writes them
            ("\"", "x"),
            ("x", "back\\slash"),
            ("tab\t", "x"),
            ("é", "x"),
            ("\u{7f}", "x"),
        ];
        for (mobile, txn_id) in cases {
            let sent = AadhaarOtpSent {
                mobile_number: mobile.into(),
                txn_id: txn_id.into(),
            };
            let by_serde = serde_json::to_vec(&Reply::AadhaarOtpSent(sent.clone())).unwrap();
            assert_eq!(
                Reply::AadhaarOtpSent(sent.clone()).to_bytes(),
                by_serde,
                "{mobile:?} {txn_id:?}"
            );
            let direct = sent.plain_json().is_some();
            let plain = |t: &str| {
                t.bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
            };
            assert_eq!(
                direct,
                plain(mobile) && plain(txn_id),
                "{mobile:?} {txn_id:?}"
            );
        }
    }

    #[test]
    fn a_reply_is_a_json_200() {
        let response = Reply::Verified(Verified { verified: true }).into_response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
        assert_eq!(response.headers().len(), 1);
    }
}
