//! [`SessionStore`]: where sessions live between steps, with compare-and-swap by revision.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

use super::RegistrationSession;
use crate::backend::BoxFuture;
use crate::error::{Error, Result};

/// A session's revision: 1 when created, +1 on every saved step.
pub type Revision = u64;

/// A session as stored, with its bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The registration's id.
    pub id: String,
    /// Increases on every saved change; a save names the revision it read.
    pub revision: Revision,
    /// The session itself.
    pub session: RegistrationSession,
    /// When it was created.
    pub created_at: SystemTime,
    /// After this it may be deleted.
    pub expires_at: SystemTime,
}

/// Stores sessions. Object-safe (`Arc<dyn SessionStore>`); every save is a compare-and-swap on
/// the revision, so two writers can never silently overwrite each other.
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Stores a new session at revision 1; [`Error::Conflict`] if `id` exists.
    fn create<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<()>>;

    /// The session `id`, or `None`.
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredSession>>>;

    /// Replaces session `id` if its revision is still `expected`; returns the new revision.
    /// [`Error::Conflict`] when it changed meanwhile (or is gone).
    fn put<'a>(
        &'a self,
        id: &'a str,
        expected: Revision,
        session: &'a RegistrationSession,
    ) -> BoxFuture<'a, Result<Revision>>;

    /// Deletes session `id`; `false` if there was none.
    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool>>;

    /// The ids of sessions that expired before `now`.
    fn list_expired<'a>(&'a self, now: SystemTime) -> BoxFuture<'a, Result<Vec<String>>>;
}

/// Sessions in memory (tests, benchmarks, a single process).
#[derive(Debug, Default)]
pub struct MemoryStore {
    sessions: Mutex<HashMap<String, StoredSession>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoredSession>> {
        // a panic while holding the lock cannot leave a half-written entry (every change is one
        // insert), so the data is still consistent
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SessionStore for MemoryStore {
    fn create<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<()>> {
        let result = {
            let mut sessions = self.lock();
            if sessions.contains_key(&record.id) {
                Err(Error::Conflict(format!(
                    "a registration with id {} exists already",
                    record.id
                )))
            } else {
                sessions.insert(record.id.clone(), record.clone());
                Ok(())
            }
        };
        Box::pin(async move { result })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredSession>>> {
        let found = self.lock().get(id).cloned();
        Box::pin(async move { Ok(found) })
    }

    fn put<'a>(
        &'a self,
        id: &'a str,
        expected: Revision,
        session: &'a RegistrationSession,
    ) -> BoxFuture<'a, Result<Revision>> {
        let result = {
            let mut sessions = self.lock();
            match sessions.get_mut(id) {
                Some(stored) if stored.revision == expected => {
                    stored.revision += 1;
                    stored.session = session.clone();
                    Ok(stored.revision)
                }
                Some(stored) => Err(stale(id, expected, Some(stored.revision))),
                None => Err(stale(id, expected, None)),
            }
        };
        Box::pin(async move { result })
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool>> {
        let removed = self.lock().remove(id).is_some();
        Box::pin(async move { Ok(removed) })
    }

    fn list_expired<'a>(&'a self, now: SystemTime) -> BoxFuture<'a, Result<Vec<String>>> {
        let ids = self
            .lock()
            .values()
            .filter(|s| s.expires_at <= now)
            .map(|s| s.id.clone())
            .collect();
        Box::pin(async move { Ok(ids) })
    }
}

/// The conflict a compare-and-swap reports.
pub fn stale(id: &str, expected: Revision, found: Option<Revision>) -> Error {
    Error::Conflict(match found {
        Some(found) => format!(
            "registration {id} changed meanwhile (revision {found}, expected {expected}): read it again"
        ),
        None => format!("registration {id} no longer exists"),
    })
}
