//! [`TenantStore`]: the engine's [`SessionStore`] on the database, seeing one tenant's
//! registrations only.

use std::time::SystemTime;

use abdm_hpr::backend::BoxFuture;
use abdm_hpr::flow::{RegistrationSession, Revision, SessionStore, StoredSession};
use abdm_hpr::{Error, Result};

use crate::db::{Database, RegistrationRow, millis, time_of};

/// One tenant's registrations in the database. A registration of another tenant does not
/// exist for it (reads find nothing, writes change nothing).
#[derive(Debug, Clone)]
pub struct TenantStore {
    db: Database,
    tenant: String,
}

impl TenantStore {
    /// The registrations of `tenant` in `db`.
    pub fn new(db: Database, tenant: impl Into<String>) -> Self {
        Self {
            db,
            tenant: tenant.into(),
        }
    }

    /// Why a compare-and-swap or a claim on `id` at `expected` failed.
    async fn why_not(&self, id: &str, expected: Revision) -> Error {
        match self.db.registration(&self.tenant, id).await {
            Ok(Some(row)) if revision_of(row.revision) != expected => {
                abdm_hpr::flow::stale(id, expected, Some(revision_of(row.revision)))
            }
            Ok(Some(_)) => abdm_hpr::flow::busy(id),
            Ok(None) => abdm_hpr::flow::stale(id, expected, None),
            Err(e) => e.into(),
        }
    }
}

/// The session document and stage of `record`, as stored.
fn row_of(record: &StoredSession) -> Result<RegistrationRow> {
    let session = serde_json::to_string(&record.session)
        .map_err(|e| Error::Store(format!("cannot encode the session: {e}")))?;
    Ok(RegistrationRow {
        id: record.id.clone(),
        revision: i64::try_from(record.revision).unwrap_or(i64::MAX),
        stage: stage_name(&record.session),
        session,
        created_at: millis(record.created_at),
        expires_at: millis(record.expires_at),
    })
}

/// A stored row as the engine's record.
pub fn record_of(row: RegistrationRow) -> Result<StoredSession> {
    let session: RegistrationSession = serde_json::from_str(&row.session).map_err(|e| {
        Error::Store(format!(
            "registration {} is stored in a form this hpr cannot read: {}",
            row.id,
            abdm_hpr::types::scrub::serde_message(&e.to_string())
        ))
    })?;
    Ok(StoredSession {
        revision: revision_of(row.revision),
        session,
        created_at: time_of(row.created_at),
        expires_at: time_of(row.expires_at),
        id: row.id,
    })
}

/// The stage's wire name (`aadhaar_otp_sent`, …).
pub fn stage_name(session: &RegistrationSession) -> String {
    serde_json::to_value(session.stage())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn revision_of(stored: i64) -> Revision {
    Revision::try_from(stored).unwrap_or(0)
}

impl SessionStore for TenantStore {
    fn create<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let row = row_of(record)?;
            if self.db.insert_registration(&self.tenant, &row).await? {
                Ok(())
            } else {
                Err(Error::Conflict(format!(
                    "a registration with id {} exists already",
                    record.id
                )))
            }
        })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredSession>>> {
        Box::pin(async move {
            match self.db.registration(&self.tenant, id).await? {
                Some(row) => record_of(row).map(Some),
                None => Ok(None),
            }
        })
    }

    fn put<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<Revision>> {
        Box::pin(async move {
            let row = row_of(record)?;
            let now = SystemTime::now();
            if self.db.update_registration(&self.tenant, &row, now).await? {
                Ok(record.revision + 1)
            } else {
                Err(self.why_not(&record.id, record.revision).await)
            }
        })
    }

    fn claim<'a>(
        &'a self,
        id: &'a str,
        expected: Revision,
        now: SystemTime,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let revision = i64::try_from(expected).unwrap_or(i64::MAX);
            if self
                .db
                .claim_registration(&self.tenant, id, revision, now, until)
                .await?
            {
                Ok(())
            } else {
                Err(self.why_not(id, expected).await)
            }
        })
    }

    fn claim_current<'a>(
        &'a self,
        id: &'a str,
        now: SystemTime,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<Option<StoredSession>>> {
        Box::pin(async move {
            match self
                .db
                .claim_current_registration(&self.tenant, id, now, until)
                .await?
            {
                Some(row) => record_of(row).map(Some),
                // held by another step, or not there at all
                None => match self.db.registration(&self.tenant, id).await? {
                    Some(_) => Err(abdm_hpr::flow::busy(id)),
                    None => Ok(None),
                },
            }
        })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { Ok(self.db.release_registration(&self.tenant, id).await?) })
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { Ok(self.db.delete_registration(&self.tenant, id).await?) })
    }

    fn list_expired<'a>(&'a self, now: SystemTime) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move { Ok(self.db.expired_registrations(&self.tenant, now).await?) })
    }
}
