//! The guided registration flow: a sans-IO state machine and an async driver over
//! [`RegistryApi`](crate::client::RegistryApi).
//!
//! ```text
//! generate_aadhaar_otp → verify_aadhaar_otp → check_account_exist ─ exists ───────────────→ done
//!                                                   └─ new → demographic_auth_via_mobile
//!                                  verified: mobile matches ─→ get_hpr_id_suggestion → create → done
//!                                  not verified → generate_mobile_otp → verify_mobile_otp ─↗
//! ```
//!
//! [`RegistrationSession`] knows the order, carries the transaction id and demographics forward,
//! and survives retries (a failed step changes nothing) and restarts (it serializes). The pure
//! core is [`RegistrationSession::prepare`] (order + validation → a [`Call`]) and
//! [`RegistrationSession::apply`] (reply → new state + [`StepOutcome`]); the typed methods
//! (`session.verify_aadhaar_otp(&api, &otp)`) and the dynamic [`RegistrationSession::run`]
//! (`run(&api, step, payload_json)`) both go through them.

mod call;
mod fields;
mod input;
mod outcome;
mod session;
mod stage;

/// A registration step, serialized as the peer's step id (`verify_aadhaar_otp`); parsing also
/// accepts UPPER_CASE.
pub use crate::client::Operation as Step;
pub use call::{Call, Reply};
pub use fields::{Choice, FieldDescriptor, FieldKind, FieldRules, catalog_names, describe};
pub use input::StepInput;
pub use outcome::{PayloadHint, StepOutcome};
pub use session::{RegistrationResult, RegistrationSession, SESSION_VERSION};
pub use stage::Stage;
