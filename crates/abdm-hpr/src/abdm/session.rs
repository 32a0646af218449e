//! The gateway's session exchange (CONTRACT §3.1): client credentials in, an access token out.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::step::Step;
use crate::types::Token;

/// `{"clientId","clientSecret","grantType":"client_credentials"}`. `Debug` hides the secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest<'a> {
    /// The client ID NHA issued (e.g. `SBX_000123`).
    pub client_id: &'a str,
    /// Its secret.
    pub client_secret: &'a str,
    /// Always `client_credentials`.
    pub grant_type: &'static str,
}

impl<'a> SessionRequest<'a> {
    /// A client-credentials request.
    pub fn new(client_id: &'a str, client_secret: &'a str) -> Self {
        Self {
            client_id,
            client_secret,
            grant_type: "client_credentials",
        }
    }
}

impl fmt::Debug for SessionRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRequest")
            .field("client_id", &self.client_id)
            .field("client_secret", &crate::types::mask::REDACTED)
            .finish()
    }
}

/// The answer: `{"accessToken","expiresIn","refreshExpiresIn","refreshToken","tokenType"}`.
/// `Debug` hides both tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionGrant {
    /// The bearer for HPR calls.
    pub access_token: Token,
    /// Its life in seconds (samples: 600, 1200; always read, never assumed).
    pub expires_in: u64,
    /// The refresh token's life in seconds, when sent.
    #[serde(default)]
    pub refresh_expires_in: Option<u64>,
    /// A refresh token, when sent (unused: a new session is cheaper to reason about).
    #[serde(default)]
    pub refresh_token: Option<Token>,
    /// `bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
}

impl SessionGrant {
    /// Decodes a 2xx session answer; errors name the JSON path, never a value. `step` is the
    /// registry call the session was fetched for.
    pub fn decode(step: Step, status: u16, body: &[u8]) -> Result<Self> {
        let grant: SessionGrant = crate::gateway::decode(step, status, body)?;
        if grant.access_token.is_empty() {
            return Err(crate::error::Error::Decode {
                operation: step,
                status,
                path: "accessToken".into(),
                message: "the session answer has an empty accessToken".into(),
                body: crate::error::BodyExcerpt::new(b""),
            });
        }
        Ok(grant)
    }

    /// How long the token lives.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }
}

/// `TIMESTAMP` for v3 calls: ISO-8601 UTC with milliseconds and `Z`
/// (`2026-12-02T05:43:42.123Z`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let at = UNIX_EPOCH + Duration::from_millis(1_796_190_222_123);
/// assert_eq!(abdm_hpr::abdm::v3_timestamp(at), "2026-12-02T05:43:42.123Z");
/// ```
pub fn v3_timestamp(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = time::OffsetDateTime::UNIX_EPOCH + since;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_contract_shape_and_debug_hides_the_secret() {
        let request = SessionRequest::new("SBX_000123", "s3cret-value");
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"clientId":"SBX_000123","clientSecret":"s3cret-value","grantType":"client_credentials"}"#
        );
        assert!(!format!("{request:?}").contains("s3cret-value"));
    }

    #[test]
    fn grants_decode_and_hide_tokens() {
        let grant = SessionGrant::decode(
            Step::GenerateAadhaarOtp,
            200,
            br#"{"accessToken":"eyJ.access","expiresIn":1200,"refreshExpiresIn":1800,"refreshToken":"eyJ.refresh","tokenType":"bearer"}"#,
        )
        .unwrap();
        assert_eq!(grant.lifetime(), Duration::from_secs(1200));
        assert_eq!(grant.access_token.expose(), "eyJ.access");
        let debug = format!("{grant:?}");
        assert!(!debug.contains("eyJ"), "{debug}");
        assert!(
            SessionGrant::decode(
                Step::GenerateAadhaarOtp,
                200,
                br#"{"accessToken":"","expiresIn":1}"#
            )
            .is_err()
        );
        assert!(
            SessionGrant::decode(Step::GenerateAadhaarOtp, 200, br#"{"accessToken":"x"}"#).is_err()
        );
    }
}
