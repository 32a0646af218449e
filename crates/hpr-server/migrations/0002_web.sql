-- The web registration page (`/register`): one schema for SQLite and Postgres, like 0001.

-- A browser's registration: only the SHA-256 of its cookie is kept. `draft` holds what the
-- pages collected before create (hprId, email, category codes, the OTP's send time and the
-- name for the result card) — never a password, an OTP or the Aadhaar number.
CREATE TABLE web_sessions (
    id              TEXT PRIMARY KEY,
    -- '' until a link or open access binds the browser
    tenant          TEXT NOT NULL,
    registration_id TEXT,
    csrf_token      TEXT NOT NULL,
    lang            TEXT NOT NULL,
    draft           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);

-- Registration links an EMR hands to a professional: only the SHA-256 of the token is kept.
-- A link binds one browser, then it is used up.
CREATE TABLE registration_links (
    token_hash TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX registration_links_by_expiry ON registration_links (expires_at);
