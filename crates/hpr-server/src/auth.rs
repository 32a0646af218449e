//! `Authorization: Bearer KEY` → the key's [`Tenant`], after the key's rate limit.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::error::ApiError;
use crate::keys;

/// The caller, known by its API key.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The key's name (rate limits and logs).
    pub key_name: String,
    /// Whose registrations the key reaches.
    pub tenant: String,
}

impl FromRequestParts<AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "no API key: send Authorization: Bearer KEY (create one with `hpr serve keys create --name NAME`)",
            ));
        };
        let key = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer KEY`")
            })?;
        let hash = keys::hash(key);
        let now = state.clock.now();
        let found = match state.keys.get(&hash, now) {
            Some(found) => Some(found),
            None => {
                let found = state.db.key_by_hash(&hash).await?;
                if let Some((name, tenant)) = &found {
                    state.keys.put(hash, name, tenant, now);
                }
                found
            }
        };
        let Some((key_name, tenant)) = found else {
            return Err(ApiError::unauthorized(
                "unknown or revoked API key (`hpr serve keys list` shows the live ones)",
            ));
        };
        state.limiter.check(&key_name)?;
        Ok(Tenant { key_name, tenant })
    }
}
