//! The database: SQLite (one file, the default) or Postgres (for replicas), chosen by the URL.
//! Every SQL statement of the service lives in this module; each is written once, in the
//! dialect both databases accept (`$N` placeholders, `ON CONFLICT`, TEXT and BIGINT columns).

use std::str::FromStr as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use std::borrow::Cow;
use std::sync::Arc;

use crate::local_claims::LocalClaims;

/// A database failure, without the URL's password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is not `sqlite:…` or `postgres://…`, or cannot be parsed.
    #[error("--database: {0}")]
    Url(String),
    /// Connecting, migrating or a statement failed.
    #[error("database: {0}")]
    Sql(String),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        DbError::Sql(e.to_string())
    }
}

impl From<DbError> for abdm_hpr::Error {
    fn from(e: DbError) -> Self {
        abdm_hpr::Error::Store(e.to_string())
    }
}

/// Result of a database call.
pub type DbResult<T> = Result<T, DbError>;

/// A connection pool to SQLite or Postgres.
#[derive(Clone)]
pub enum Database {
    /// `sqlite:PATH` (WAL, created when missing).
    Sqlite {
        /// Readers (WAL lets them run beside the writer).
        read: SqlitePool,
        /// One connection for every write: SQLite takes one writer at a time anyway, and
        /// queueing writers here is far cheaper than SQLite's busy-wait sleeps between them.
        write: SqlitePool,
        /// Claims, in memory (one process serves a SQLite file).
        claims: Arc<LocalClaims>,
    },
    /// `postgres://…`.
    Postgres {
        /// Every statement but claims.
        pool: PgPool,
        /// Claims and idempotency markers only, committed without waiting for the disk
        /// (`synchronous_commit = off`): they matter only while the process that took them
        /// runs, so only a crash of the database server itself could lose one — and then the
        /// steps that held them fail anyway. Sessions and stored answers stay fully durable.
        claims: PgPool,
    },
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the pool's options hold the password: name the kind only
        f.write_str(match self {
            Database::Sqlite { .. } => "Database::Sqlite",
            Database::Postgres { .. } => "Database::Postgres",
        })
    }
}

/// Runs the same statement on whichever pool this is (the SQL is written once): `read` for
/// queries, `write` for statements that change data.
macro_rules! on_pool {
    ($db:expr, read $pool:ident => $body:expr) => {
        match $db {
            Database::Sqlite { read: $pool, .. } => $body,
            Database::Postgres { pool: $pool, .. } => $body,
        }
    };
    ($db:expr, write $pool:ident => $body:expr) => {
        match $db {
            Database::Sqlite { write: $pool, .. } => $body,
            Database::Postgres { pool: $pool, .. } => $body,
        }
    };
    ($db:expr, marker $pool:ident => $body:expr) => {
        match $db {
            Database::Sqlite { write: $pool, .. } => $body,
            Database::Postgres { claims: $pool, .. } => $body,
        }
    };
}

// the web page's statements (`web_sessions`, `registration_links`), after the macro they use
mod web;
pub use web::WebSessionRow;

/// The schema, embedded in the binary and applied at start.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "registrations",
        include_str!("../migrations/0001_registrations.sql"),
    ),
    (2, "web", include_str!("../migrations/0002_web.sql")),
];

fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// Pool settings shared by every pool: at most `max` connections, 10 s to get one, and no ping
/// before each use (it doubles the round trips; a dead connection fails its statement instead,
/// and the pool replaces it).
fn pool_options<DB: sqlx::Database>(max: u32) -> PoolOptions<DB> {
    PoolOptions::new()
        .test_before_acquire(false)
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
}

/// The URL with its password (if any) replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Database {
    /// Connects to `url` (`sqlite:hpr.db`, `sqlite::memory:`, `postgres://user@host/db`) and
    /// applies the migrations.
    pub async fn connect(url: &str) -> DbResult<Self> {
        let shown = redact_url(url);
        let db = if url.starts_with("sqlite:") {
            if url.contains(":memory:") || url.contains("mode=memory") {
                return Err(DbError::Url(format!(
                    "{shown}: an in-memory SQLite database loses every registration at exit; give a file, e.g. sqlite:hpr.db"
                )));
            }
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbError::Url(format!("{shown}: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // with WAL, NORMAL loses nothing when the process dies (even by SIGKILL); only
                // a power cut may drop the last commits
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10));
            let cannot_open = |e: sqlx::Error| DbError::Sql(format!("cannot open {shown}: {e}"));
            let claims = Arc::new(LocalClaims::new(options.get_filename()));
            // the writer first: it creates the file and switches it to WAL
            let write = pool_options::<sqlx::Sqlite>(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await
                .map_err(cannot_open)?;
            let read = pool_options::<sqlx::Sqlite>(4)
                .connect_with(options.create_if_missing(false))
                .await
                .map_err(cannot_open)?;
            Database::Sqlite {
                read,
                write,
                claims,
            }
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| DbError::Url(format!("{shown}: {e}")))?;
            let cannot_connect =
                |e: sqlx::Error| DbError::Sql(format!("cannot connect to {shown}: {e}"));
            let pool = pool_options::<sqlx::Postgres>(16)
                .connect_with(options.clone())
                .await
                .map_err(cannot_connect)?;
            let claims = pool_options::<sqlx::Postgres>(8)
                .connect_with(options.options([("synchronous_commit", "off")]))
                .await
                .map_err(cannot_connect)?;
            Database::Postgres { pool, claims }
        } else {
            return Err(DbError::Url(format!(
                "{shown} is neither sqlite:PATH nor postgres://…"
            )));
        };
        on_pool!(&db, write pool => migrator().run(pool).await)
            .map_err(|e| DbError::Sql(format!("cannot migrate {shown}: {e}")))?;
        Ok(db)
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Database::Sqlite { .. } => "sqlite",
            Database::Postgres { .. } => "postgres",
        }
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> DbResult<()> {
        on_pool!(self, read pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        match self {
            Database::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Database::Postgres { pool, claims } => {
                claims.close().await;
                pool.close().await;
            }
        }
    }

    // ---- API keys -------------------------------------------------------------------------

    /// Stores a key's hash under `name` for `tenant`; `false` if the name is taken.
    pub async fn insert_key(
        &self,
        name: &str,
        tenant: &str,
        key_hash: &str,
        now: SystemTime,
    ) -> DbResult<bool> {
        const SQL: &str = "INSERT INTO api_keys (name, tenant, key_hash, created_at) \
                           VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING";
        let done = on_pool!(self, write pool => sqlx::query(SQL)
            .bind(name).bind(tenant).bind(key_hash).bind(millis(now))
            .execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Every key, oldest first.
    pub async fn list_keys(&self) -> DbResult<Vec<KeyRow>> {
        const SQL: &str = "SELECT name, tenant, created_at, revoked_at FROM api_keys \
                           ORDER BY created_at, name";
        let rows: Vec<(String, String, i64, Option<i64>)> =
            on_pool!(self, read pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(name, tenant, created, revoked)| KeyRow {
                name,
                tenant,
                created_at: time_of(created),
                revoked_at: revoked.map(time_of),
            })
            .collect())
    }

    /// Revokes the key `name`; `false` if there is no such live key.
    pub async fn revoke_key(&self, name: &str, now: SystemTime) -> DbResult<bool> {
        const SQL: &str =
            "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL";
        let done = on_pool!(self, write pool => sqlx::query(SQL)
            .bind(millis(now)).bind(name).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// The live key with this hash: `(name, tenant)`.
    pub async fn key_by_hash(&self, key_hash: &str) -> DbResult<Option<(String, String)>> {
        const SQL: &str =
            "SELECT name, tenant FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL";
        Ok(
            on_pool!(self, read pool => sqlx::query_as(SQL).bind(key_hash).fetch_optional(pool).await?),
        )
    }

    // ---- registrations --------------------------------------------------------------------

    /// Inserts a new registration; `false` if the id exists.
    pub async fn insert_registration(&self, tenant: &str, row: &RegistrationRow) -> DbResult<bool> {
        const SQL: &str = "INSERT INTO registrations \
            (id, tenant, revision, stage, session, created_at, updated_at, expires_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $6, $7) ON CONFLICT (id) DO NOTHING";
        let done = on_pool!(self, write pool => sqlx::query(SQL)
            .bind(&row.id).bind(tenant).bind(row.revision).bind(&row.stage).bind(&row.session)
            .bind(row.created_at).bind(row.expires_at)
            .execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// The tenant's registration `id`.
    pub async fn registration(&self, tenant: &str, id: &str) -> DbResult<Option<RegistrationRow>> {
        const SQL: &str = "SELECT id, revision, stage, session, created_at, expires_at \
            FROM registrations WHERE id = $1 AND tenant = $2";
        let row: Option<RowTuple> = on_pool!(self, read pool => sqlx::query_as(SQL).bind(id).bind(tenant).fetch_optional(pool).await?);
        Ok(row.map(RegistrationRow::from))
    }

    /// Replaces registration `row.id` if it is still at `row.revision` (and ends its claim);
    /// `false` when it moved on or is gone.
    pub async fn update_registration(
        &self,
        tenant: &str,
        row: &RegistrationRow,
        now: SystemTime,
    ) -> DbResult<bool> {
        const SQL: &str = "UPDATE registrations SET revision = revision + 1, stage = $1, \
            session = $2, updated_at = $3, expires_at = $4, claimed_until = NULL \
            WHERE id = $5 AND tenant = $6 AND revision = $7";
        let done = on_pool!(self, write pool => sqlx::query(SQL)
            .bind(&row.stage).bind(&row.session).bind(millis(now)).bind(row.expires_at)
            .bind(&row.id).bind(tenant).bind(row.revision)
            .execute(pool).await?.rows_affected());
        if done == 1
            && let Database::Sqlite { claims, .. } = self
        {
            claims.drop_claim(tenant, &row.id);
        }
        Ok(done == 1)
    }

    /// Claims registration `id` at `revision` until `until`, unless another claim holds at
    /// `now`; `false` when it could not be claimed.
    pub async fn claim_registration(
        &self,
        tenant: &str,
        id: &str,
        revision: i64,
        now: SystemTime,
        until: SystemTime,
    ) -> DbResult<bool> {
        const SQL: &str = "UPDATE registrations SET claimed_until = $1 \
            WHERE id = $2 AND tenant = $3 AND revision = $4 \
            AND (claimed_until IS NULL OR claimed_until <= $5)";
        match self {
            Database::Sqlite { claims, .. } => {
                if !claims.try_take(tenant, id, now, until) {
                    return Ok(false);
                }
                let current = self.registration(tenant, id).await;
                if !matches!(&current, Ok(Some(row)) if row.revision == revision) {
                    claims.drop_claim(tenant, id);
                }
                Ok(current?.is_some_and(|row| row.revision == revision))
            }
            Database::Postgres { claims: pool, .. } => {
                let done = sqlx::query(SQL)
                    .bind(millis(until))
                    .bind(id)
                    .bind(tenant)
                    .bind(revision)
                    .bind(millis(now))
                    .execute(pool)
                    .await?
                    .rows_affected();
                Ok(done == 1)
            }
        }
    }

    /// Claims registration `id` until `until` unless another claim holds at `now`, and returns
    /// it as it is; `None` when it does not exist or is held.
    pub async fn claim_current_registration(
        &self,
        tenant: &str,
        id: &str,
        now: SystemTime,
        until: SystemTime,
    ) -> DbResult<Option<RegistrationRow>> {
        const SQL: &str = "UPDATE registrations SET claimed_until = $1 \
            WHERE id = $2 AND tenant = $3 AND (claimed_until IS NULL OR claimed_until <= $4) \
            RETURNING id, revision, stage, session, created_at, expires_at";
        match self {
            Database::Sqlite { claims, .. } => {
                if !claims.try_take(tenant, id, now, until) {
                    return Ok(None);
                }
                let current = self.registration(tenant, id).await;
                if !matches!(current, Ok(Some(_))) {
                    claims.drop_claim(tenant, id);
                }
                current
            }
            Database::Postgres { claims: pool, .. } => {
                let row: Option<RowTuple> = sqlx::query_as(SQL)
                    .bind(millis(until))
                    .bind(id)
                    .bind(tenant)
                    .bind(millis(now))
                    .fetch_optional(pool)
                    .await?;
                Ok(row.map(RegistrationRow::from))
            }
        }
    }

    /// Ends the claim on registration `id`.
    pub async fn release_registration(&self, tenant: &str, id: &str) -> DbResult<()> {
        const SQL: &str =
            "UPDATE registrations SET claimed_until = NULL WHERE id = $1 AND tenant = $2";
        match self {
            Database::Sqlite { claims, .. } => claims.drop_claim(tenant, id),
            Database::Postgres { claims: pool, .. } => {
                sqlx::query(SQL).bind(id).bind(tenant).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Takes what serving needs beyond a connection: for SQLite, the exclusive serving lock
    /// (one process per file; its claims live in memory). A no-op for Postgres.
    pub fn lock_for_serving(&self) -> DbResult<()> {
        match self {
            Database::Sqlite { claims, .. } => claims.lock_for_serving().map_err(DbError::Url),
            Database::Postgres { .. } => Ok(()),
        }
    }

    /// Forgets in-memory claims whose deadline passed (SQLite; Postgres claims simply lapse).
    pub fn forget_stale_claims(&self, now: SystemTime) {
        if let Database::Sqlite { claims, .. } = self {
            claims.forget_stale(now);
        }
    }

    /// Deletes the tenant's registration `id`; `false` if there was none.
    pub async fn delete_registration(&self, tenant: &str, id: &str) -> DbResult<bool> {
        const SQL: &str = "DELETE FROM registrations WHERE id = $1 AND tenant = $2";
        let done = on_pool!(self, write pool => sqlx::query(SQL)
            .bind(id).bind(tenant).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// The ids of the tenant's registrations that expired by `now`.
    pub async fn expired_registrations(
        &self,
        tenant: &str,
        now: SystemTime,
    ) -> DbResult<Vec<String>> {
        const SQL: &str = "SELECT id FROM registrations WHERE tenant = $1 AND expires_at <= $2";
        let ids: Vec<(String,)> = on_pool!(self, read pool => sqlx::query_as(SQL)
            .bind(tenant).bind(millis(now)).fetch_all(pool).await?);
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// The tenant's live registrations, newest first, after the cursor `(created_at, id)`;
    /// `stage` filters when not empty.
    pub async fn list_registrations(
        &self,
        tenant: &str,
        stage: &str,
        after: Option<(i64, &str)>,
        limit: i64,
        now: SystemTime,
    ) -> DbResult<Vec<RegistrationRow>> {
        const SQL: &str = "SELECT id, revision, stage, session, created_at, expires_at \
            FROM registrations WHERE tenant = $1 AND expires_at > $2 \
            AND ($3 = '' OR stage = $3) \
            AND (created_at < $4 OR (created_at = $4 AND id < $5)) \
            ORDER BY created_at DESC, id DESC LIMIT $6";
        let (before_time, before_id) = after.unwrap_or((i64::MAX, ""));
        let rows: Vec<RowTuple> = on_pool!(self, read pool => sqlx::query_as(SQL)
            .bind(tenant).bind(millis(now)).bind(stage).bind(before_time).bind(before_id)
            .bind(limit).fetch_all(pool).await?);
        Ok(rows.into_iter().map(RegistrationRow::from).collect())
    }

    /// Deletes every registration that expired by `now`, and idempotency records created
    /// before `idempotency_before`; returns how many registrations went.
    pub async fn purge(&self, now: SystemTime, idempotency_before: SystemTime) -> DbResult<u64> {
        const REGISTRATIONS: &str = "DELETE FROM registrations WHERE expires_at <= $1";
        const IDEMPOTENCY: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";
        let gone = on_pool!(self, write pool => sqlx::query(REGISTRATIONS)
            .bind(millis(now)).execute(pool).await?.rows_affected());
        on_pool!(self, write pool => sqlx::query(IDEMPOTENCY)
            .bind(millis(idempotency_before)).execute(pool).await?.rows_affected());
        Ok(gone)
    }

    // ---- idempotency ----------------------------------------------------------------------

    /// Records that a request with `key` starts, unless one is known: see [`Begin`].
    /// A record still running since before `stale_before` (its process died) is taken over;
    /// one created before `expired_before` counts as absent.
    pub async fn begin_idempotent(
        &self,
        tenant: &str,
        key: &str,
        request_hash: &str,
        now: SystemTime,
        stale_before: SystemTime,
        expired_before: SystemTime,
    ) -> DbResult<Begin> {
        const INSERT: &str = "INSERT INTO idempotency_keys \
            (tenant, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
            ON CONFLICT (tenant, idem_key) DO NOTHING";
        const SELECT: &str = "SELECT request_hash, status, body, created_at \
            FROM idempotency_keys WHERE tenant = $1 AND idem_key = $2";
        const TAKE_OVER: &str = "UPDATE idempotency_keys SET request_hash = $1, status = NULL, \
            body = NULL, created_at = $2 WHERE tenant = $3 AND idem_key = $4 AND created_at = $5";
        let inserted = on_pool!(self, marker pool => sqlx::query(INSERT)
            .bind(tenant).bind(key).bind(request_hash).bind(millis(now))
            .execute(pool).await?.rows_affected());
        if inserted == 1 {
            return Ok(Begin::Started);
        }
        let found: Option<(String, Option<i64>, Option<String>, i64)> = on_pool!(self, read pool =>
            sqlx::query_as(SELECT).bind(tenant).bind(key).fetch_optional(pool).await?);
        let Some((hash, status, body, created)) = found else {
            // deleted meanwhile (purged): the caller may try again
            return Ok(Begin::InProgress);
        };
        let expired = created < millis(expired_before);
        let abandoned = status.is_none() && created < millis(stale_before);
        if expired || abandoned {
            let taken = on_pool!(self, marker pool => sqlx::query(TAKE_OVER)
                .bind(request_hash).bind(millis(now)).bind(tenant).bind(key).bind(created)
                .execute(pool).await?.rows_affected());
            return Ok(if taken == 1 {
                Begin::Started
            } else {
                Begin::InProgress
            });
        }
        if hash != request_hash {
            return Ok(Begin::Mismatch);
        }
        Ok(match (status, body) {
            (Some(status), Some(body)) => Begin::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
            _ => Begin::InProgress,
        })
    }

    /// Stores the response to the request that began with `key`.
    pub async fn finish_idempotent(
        &self,
        tenant: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> DbResult<()> {
        const SQL: &str = "UPDATE idempotency_keys SET status = $1, body = $2 \
            WHERE tenant = $3 AND idem_key = $4";
        on_pool!(self, write pool => sqlx::query(SQL)
            .bind(i64::from(status)).bind(body).bind(tenant).bind(key).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Forgets `key` (its request failed in a way worth retrying).
    pub async fn forget_idempotent(&self, tenant: &str, key: &str) -> DbResult<()> {
        const SQL: &str = "DELETE FROM idempotency_keys WHERE tenant = $1 AND idem_key = $2";
        on_pool!(self, write pool => sqlx::query(SQL).bind(tenant).bind(key).execute(pool).await?.rows_affected());
        Ok(())
    }
}

/// What [`Database::begin_idempotent`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// No earlier request: this one runs.
    Started,
    /// The same request ran before: answer with its response.
    Replay {
        /// Its HTTP status.
        status: u16,
        /// Its body.
        body: String,
    },
    /// The key was used for another request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

/// An API key as listed (never the key itself, which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// Its name.
    pub name: String,
    /// The tenant whose registrations it reaches.
    pub tenant: String,
    /// When it was created.
    pub created_at: SystemTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<SystemTime>,
}

/// A registration as stored: the session as JSON text, times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRow {
    /// Its id.
    pub id: String,
    /// Its revision.
    pub revision: i64,
    /// Its stage (`Stage` in snake case), for filtering.
    pub stage: String,
    /// The engine's session document.
    pub session: String,
    /// Milliseconds since 1970.
    pub created_at: i64,
    /// Milliseconds since 1970.
    pub expires_at: i64,
}

type RowTuple = (String, i64, String, String, i64, i64);

impl From<RowTuple> for RegistrationRow {
    fn from((id, revision, stage, session, created_at, expires_at): RowTuple) -> Self {
        Self {
            id,
            revision,
            stage,
            session,
            created_at,
            expires_at,
        }
    }
}

/// Milliseconds since 1970 (0 before it, saturating far after).
pub fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The time `ms` milliseconds after 1970.
pub fn time_of(ms: i64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        .unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_a_url_is_never_shown() {
        assert_eq!(
            redact_url("postgres://hpr:s3cret@127.0.0.1:5432/hpr"),
            "postgres://hpr:***@127.0.0.1:5432/hpr"
        );
        assert_eq!(redact_url("postgres://hpr@db/hpr"), "postgres://hpr@db/hpr");
        assert_eq!(redact_url("sqlite:hpr.db"), "sqlite:hpr.db");
    }

    #[test]
    fn times_round_trip_in_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(time_of(millis(t)), t);
        assert_eq!(millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
