//! The web page's statements: browser sessions (`web_sessions`) and registration links
//! (`registration_links`). Written once for SQLite and Postgres, like the rest of [`Database`].

use std::time::SystemTime;

use super::{Database, DbResult, millis};

/// A browser's web session, as stored. `Debug` hides the CSRF token and the draft.
#[derive(Clone)]
pub struct WebSessionRow {
    /// SHA-256 (hex) of the cookie value.
    pub id: String,
    /// Whose registration it is; empty until a link or open access binds the browser.
    pub tenant: String,
    /// The engine's registration, once the Aadhaar OTP was sent.
    pub registration_id: Option<String>,
    /// The token every form must send back.
    pub csrf_token: String,
    /// `en` or `hi`.
    pub lang: String,
    /// The draft JSON (no secrets).
    pub draft: String,
    /// Deleted after this (milliseconds since 1970; sliding).
    pub expires_at: i64,
}

impl std::fmt::Debug for WebSessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSessionRow")
            .field("tenant", &self.tenant)
            .field("registration_id", &self.registration_id)
            .field("csrf_token", &abdm_hpr::types::mask::REDACTED)
            .field("lang", &self.lang)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

type Tuple = (String, String, Option<String>, String, String, String, i64);

impl From<Tuple> for WebSessionRow {
    fn from((id, tenant, registration_id, csrf_token, lang, draft, expires_at): Tuple) -> Self {
        Self {
            id,
            tenant,
            registration_id,
            csrf_token,
            lang,
            draft,
            expires_at,
        }
    }
}

impl Database {
    /// Stores a new web session.
    pub async fn insert_web_session(&self, row: &WebSessionRow, now: SystemTime) -> DbResult<()> {
        const SQL: &str = "INSERT INTO web_sessions \
            (id, tenant, registration_id, csrf_token, lang, draft, created_at, expires_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, write pool => sqlx::query(SQL)
            .bind(&row.id).bind(&row.tenant).bind(&row.registration_id).bind(&row.csrf_token)
            .bind(&row.lang).bind(&row.draft).bind(millis(now)).bind(row.expires_at)
            .execute(pool).await?.rows_affected());
        Ok(())
    }

    /// The unexpired web session `id`.
    pub async fn web_session(&self, id: &str, now: SystemTime) -> DbResult<Option<WebSessionRow>> {
        const SQL: &str = "SELECT id, tenant, registration_id, csrf_token, lang, draft, expires_at \
            FROM web_sessions WHERE id = $1 AND expires_at > $2";
        let row: Option<Tuple> = on_pool!(self, read pool => sqlx::query_as(SQL)
            .bind(id).bind(millis(now)).fetch_optional(pool).await?);
        Ok(row.map(WebSessionRow::from))
    }

    /// Saves what may change in a web session (tenant, registration, lang, draft, expiry).
    pub async fn update_web_session(&self, row: &WebSessionRow) -> DbResult<bool> {
        const SQL: &str = "UPDATE web_sessions SET tenant = $1, registration_id = $2, lang = $3, \
            draft = $4, expires_at = $5 WHERE id = $6";
        let done = on_pool!(self, write pool => sqlx::query(SQL)
            .bind(&row.tenant).bind(&row.registration_id).bind(&row.lang).bind(&row.draft)
            .bind(row.expires_at).bind(&row.id)
            .execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Stores a registration link (the token's hash) for `tenant`.
    pub async fn insert_link(
        &self,
        token_hash: &str,
        tenant: &str,
        now: SystemTime,
        expires_at: SystemTime,
    ) -> DbResult<()> {
        const SQL: &str = "INSERT INTO registration_links (token_hash, tenant, created_at, expires_at) \
            VALUES ($1, $2, $3, $4)";
        on_pool!(self, write pool => sqlx::query(SQL)
            .bind(token_hash).bind(tenant).bind(millis(now)).bind(millis(expires_at))
            .execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Whether the link is unused and unexpired (reading only: a preview bot's GET does not use
    /// it up).
    pub async fn link_usable(&self, token_hash: &str, now: SystemTime) -> DbResult<bool> {
        const SQL: &str = "SELECT tenant FROM registration_links \
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";
        let row: Option<(String,)> = on_pool!(self, read pool => sqlx::query_as(SQL)
            .bind(token_hash).bind(millis(now)).fetch_optional(pool).await?);
        Ok(row.is_some())
    }

    /// Uses the link up, if it is still usable: its tenant, or `None`.
    pub async fn use_link(&self, token_hash: &str, now: SystemTime) -> DbResult<Option<String>> {
        const SQL: &str = "UPDATE registration_links SET used_at = $1 \
            WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING tenant";
        let row: Option<(String,)> = on_pool!(self, write pool => sqlx::query_as(SQL)
            .bind(millis(now)).bind(token_hash).fetch_optional(pool).await?);
        Ok(row.map(|(tenant,)| tenant))
    }

    /// Deletes expired web sessions and links; returns how many rows went.
    pub async fn purge_web(&self, now: SystemTime) -> DbResult<u64> {
        const SESSIONS: &str = "DELETE FROM web_sessions WHERE expires_at <= $1";
        const LINKS: &str = "DELETE FROM registration_links WHERE expires_at <= $1";
        let sessions = on_pool!(self, write pool => sqlx::query(SESSIONS)
            .bind(millis(now)).execute(pool).await?.rows_affected());
        let links = on_pool!(self, write pool => sqlx::query(LINKS)
            .bind(millis(now)).execute(pool).await?.rows_affected());
        Ok(sessions + links)
    }
}
