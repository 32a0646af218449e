//! The registration engine: a sans-IO state machine, async drivers over any
//! [`RegistryBackend`](crate::backend::RegistryBackend), and the [`RegistrationService`] that
//! runs steps against a [`SessionStore`].
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
//! core is [`RegistrationSession::prepare`] (order + validation, with `today` passed in → a
//! [`Request`](crate::backend::Request)) and [`RegistrationSession::apply`] (answer → new state
//! and a [`StepOutcome`]). [`RegistrationService`] is the one place that loads a session,
//! prepares, calls, applies and saves it with the expected revision; `hpr step` and the REST
//! service go through it.

mod document;
mod fields;
mod file_store;
mod input;
mod migrate;
mod outcome;
mod service;
mod session;
mod stage;
mod state;
mod store;

pub use crate::step::Step;
pub use document::{ErrorDocument, ErrorKind};
pub use fields::{Choice, FieldDescriptor, FieldKind, FieldRules, catalog_names, describe};
pub use file_store::FileStore;
pub use input::{StepInput, parse_payload};
pub use migrate::SESSION_VERSION;
pub use outcome::{PayloadHint, StepOutcome};
pub use service::{Clock, DEFAULT_CLAIM_TTL, DEFAULT_TTL, RegistrationService, SystemClock};
pub use session::{RegistrationResult, RegistrationSession};
pub use stage::Stage;
pub use store::{MemoryStore, Revision, SessionStore, StoredSession, busy, stale};
