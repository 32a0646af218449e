-- One schema for SQLite and Postgres: TEXT and BIGINT only, times in milliseconds since 1970.

-- API keys: only the SHA-256 of each key is kept.
CREATE TABLE api_keys (
    name       TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Registrations: the engine's session document and its bookkeeping.
CREATE TABLE registrations (
    id            TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    stage         TEXT NOT NULL,
    session       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    -- a step in flight holds the registration until then (NULL: nobody does)
    claimed_until BIGINT
);
CREATE INDEX registrations_by_tenant ON registrations (tenant, created_at DESC, id DESC);
CREATE INDEX registrations_by_expiry ON registrations (expires_at);

-- Idempotency records: the first response to a POST with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    tenant       TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- NULL while the first request is still running
    status       BIGINT,
    body         TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant, idem_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
