//! The browser's registration in the engine: reading it and running its steps under the
//! session's tenant, each step counted in the metrics like the REST API's.

use std::time::Instant;

use serde_json::Value;

use abdm_hpr::flow::{Step, StepOutcome, StoredSession};

use crate::app::AppState;

use super::session::WebSession;

/// The stored registration of `web`, if it has one that has not expired.
pub(super) async fn registration(
    state: &AppState,
    web: &WebSession,
) -> Result<Option<StoredSession>, String> {
    let Some(id) = &web.row.registration_id else {
        return Ok(None);
    };
    match state.service(&web.row.tenant).get(id).await {
        Ok(stored) => Ok(Some(stored)),
        Err(abdm_hpr::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs one engine step on the web session's registration, counted in the metrics.
pub(super) async fn run(
    state: &AppState,
    web: &WebSession,
    step: Step,
    payload: Value,
) -> abdm_hpr::Result<(StoredSession, StepOutcome)> {
    let Some(id) = web.row.registration_id.as_deref() else {
        return Err(abdm_hpr::Error::NotFound(
            "this browser has no registration".to_owned(),
        ));
    };
    let started = Instant::now();
    let result = state
        .service(&web.row.tenant)
        .step(id, step, payload, None)
        .await;
    count(state, step, started, &result);
    result
}

/// Records one engine step (outcome and duration) in the metrics.
pub(super) fn count<T>(
    state: &AppState,
    step: Step,
    started: Instant,
    result: &abdm_hpr::Result<T>,
) {
    state.metrics.step(
        step.as_str(),
        result.is_ok(),
        started.elapsed().as_secs_f64(),
    );
}
