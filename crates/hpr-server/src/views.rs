//! The JSON bodies of `/v1/registrations` (besides the engine's `StepOutcome` and
//! `ErrorDocument`).

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use abdm_hpr::flow::{PayloadHint, RegistrationResult, Stage, StepOutcome, StoredSession};

use crate::store::stage_name;

/// The answer to a step (and to the start): where the registration stands and the outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepResponse {
    /// The registration's id.
    pub id: String,
    /// Its revision after the step (send it as `If-Match` with the next one).
    pub revision: u64,
    /// Its stage after the step.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// The engine's outcome: message, data, next step and what it needs.
    pub outcome: StepOutcome,
}

impl StepResponse {
    /// The response for `stored` after `outcome`; the professional's tokens are left out of
    /// the data (a service keeps no tokens, not even in idempotency records).
    pub fn new(stored: &StoredSession, mut outcome: StepOutcome) -> Self {
        if let Value::Object(data) = &mut outcome.data {
            data.remove("token");
            data.remove("refreshToken");
        }
        Self {
            id: stored.id.clone(),
            revision: stored.revision,
            stage: stage_name(&stored.session),
            outcome,
        }
    }
}

/// A registration as `GET` shows it: never an OTP, a password, a token or the full Aadhaar.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    /// Its id.
    pub id: String,
    /// Its revision.
    pub revision: u64,
    /// Where it stands.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// The step to run next; `null` when complete.
    #[schema(required = true)]
    pub next_step: Option<abdm_hpr::flow::Step>,
    /// What the next step needs; `null` when complete.
    #[schema(required = true)]
    pub next_step_payload_hint: Option<PayloadHint>,
    /// The steps allowed now.
    pub allowed_steps: Vec<abdm_hpr::flow::Step>,
    /// The step that may have taken effect without an answer, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unconfirmed_step: Option<abdm_hpr::flow::Step>,
    /// The HPR ID, once registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<RegistrationResult>,
    /// When it was started (RFC 3339).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it will be deleted unless another step runs (RFC 3339).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

impl RegistrationView {
    /// The view of `stored`.
    pub fn new(stored: &StoredSession) -> Self {
        let session = &stored.session;
        Self {
            id: stored.id.clone(),
            revision: stored.revision,
            stage: stage_name(session),
            next_step: session.next_step(),
            next_step_payload_hint: session.hint(),
            allowed_steps: session.allowed_steps(),
            unconfirmed_step: session.unconfirmed(),
            result: session.result().cloned(),
            created_at: rfc3339(stored.created_at),
            expires_at: rfc3339(stored.expires_at),
        }
    }
}

/// A page of registrations.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationPage {
    /// Newest first.
    pub registrations: Vec<RegistrationView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// `2026-12-02T03:11:40.123Z`.
pub fn rfc3339(t: std::time::SystemTime) -> String {
    OffsetDateTime::from(t).format(&Rfc3339).unwrap_or_default()
}
