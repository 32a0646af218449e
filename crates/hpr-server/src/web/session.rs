//! The browser's side of a web registration: the `hpr_web` cookie, its database row, the CSRF
//! token and the draft (what the pages collected before create; never a secret).

use axum::http::{HeaderMap, HeaderValue, header};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::{DbError, WebSessionRow, millis};
use crate::keys;

use super::i18n::Lang;

/// The cookie's name.
pub const COOKIE: &str = "hpr_web";

/// What the pages collected, kept until create. Never a password, an OTP or the Aadhaar number.
/// `Debug` shows which values are present, never the e-mail, HPR ID or name (CONTRACT §7).
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Draft {
    /// The chosen HPR ID (username).
    #[serde(rename = "hprId", default, skip_serializing_if = "Option::is_none")]
    pub hpr_id: Option<String>,
    /// The e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The category code.
    #[serde(
        rename = "hpCategoryCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub category: Option<String>,
    /// The sub-category code.
    #[serde(
        rename = "hpSubCategoryCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sub_category: Option<String>,
    /// The review page was confirmed (the password page comes next).
    #[serde(default)]
    pub reviewed: bool,
    /// When the latest OTP was sent (milliseconds since 1970), for the resend countdown.
    #[serde(rename = "otpSentAt", default, skip_serializing_if = "Option::is_none")]
    pub otp_sent_at: Option<i64>,
    /// The name for the result card, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let presence = |v: &Option<String>| if v.is_some() { "<set>" } else { "None" };
        f.debug_struct("Draft")
            .field("hpr_id", &presence(&self.hpr_id))
            .field("email", &presence(&self.email))
            .field("category", &self.category)
            .field("sub_category", &self.sub_category)
            .field("reviewed", &self.reviewed)
            .field("otp_sent_at", &self.otp_sent_at)
            .field("name", &presence(&self.name))
            .finish()
    }
}

/// A loaded web session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The stored row.
    pub row: WebSessionRow,
    /// Its draft, parsed.
    pub draft: Draft,
}

impl WebSession {
    /// The page's language.
    pub fn lang(&self) -> Lang {
        Lang::from_code(&self.row.lang)
    }

    /// Saves the draft, language, tenant and registration, and slides the expiry.
    pub async fn save(&mut self, state: &AppState) -> Result<(), DbError> {
        self.row.draft = serde_json::to_string(&self.draft).unwrap_or_else(|_| "{}".to_owned());
        self.row.expires_at = expiry(state);
        state.db.update_web_session(&self.row).await.map(|_| ())
    }
}

fn expiry(state: &AppState) -> i64 {
    let now = state.clock.now();
    millis(now.checked_add(state.config.session_ttl).unwrap_or(now))
}

/// The cookie value the browser sent, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The browser's unexpired web session.
pub async fn load(state: &AppState, headers: &HeaderMap) -> Result<Option<WebSession>, DbError> {
    let Some(value) = cookie_value(headers) else {
        return Ok(None);
    };
    let Some(row) = state
        .db
        .web_session(&keys::hash(&value), state.clock.now())
        .await?
    else {
        return Ok(None);
    };
    let draft = serde_json::from_str(&row.draft).unwrap_or_default();
    Ok(Some(WebSession { row, draft }))
}

/// A new unbound web session (no tenant yet) and the `Set-Cookie` value for it.
pub async fn create(
    state: &AppState,
    lang: Lang,
    secure: bool,
) -> Result<(WebSession, HeaderValue), String> {
    let value = keys::random_token()?;
    let row = WebSessionRow {
        id: keys::hash(&value),
        tenant: String::new(),
        registration_id: None,
        csrf_token: keys::random_token()?,
        lang: lang.code().to_owned(),
        draft: "{}".to_owned(),
        expires_at: expiry(state),
    };
    state
        .db
        .insert_web_session(&row, state.clock.now())
        .await
        .map_err(|e| e.to_string())?;
    let cookie = format!(
        "{COOKIE}={value}; Path=/register; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| e.to_string())?;
    Ok((
        WebSession {
            row,
            draft: Draft::default(),
        },
        cookie,
    ))
}

/// Whether the request came over https (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
        || headers
            .get("forwarded")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"))
}

/// Equal strings, compared in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", "a"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hpr_web=xyz; b=2"),
        );
        assert_eq!(cookie_value(&headers).as_deref(), Some("xyz"));
    }

    #[test]
    fn debug_shows_no_personal_value_or_token() {
        let draft = Draft {
            hpr_id: Some("asha.k".into()),
            email: Some("asha@example.com".into()),
            name: Some("Asha Verma".into()),
            ..Draft::default()
        };
        let row = WebSessionRow {
            id: "f00d".into(),
            tenant: "emr".into(),
            registration_id: None,
            csrf_token: "csrf-SECRET-value".into(),
            lang: "hi".into(),
            draft: serde_json::to_string(&draft).unwrap_or_default(),
            expires_at: 0,
        };
        let text = format!("{:?}", WebSession { row, draft });
        for secret in [
            "asha.k",
            "asha@example.com",
            "Asha",
            "csrf-SECRET-value",
            "f00d",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("<set>"));
    }

    #[test]
    fn the_draft_has_no_secret_fields() {
        let draft = Draft {
            hpr_id: Some("asha.k".into()),
            ..Draft::default()
        };
        let json = serde_json::to_string(&draft).unwrap_or_default();
        assert!(!json.contains("password") && !json.contains("otp\"") && !json.contains("aadhaar"));
    }
}
