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

    /// Replaces session `record.id` with `record` (its session and `expires_at`) if the stored
    /// revision is still `record.revision`; returns the new revision. Releases a claim.
    /// [`Error::Conflict`] when it changed meanwhile (or is gone).
    fn put<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<Revision>>;

    /// Claims session `id` at revision `expected` for one step until `until`, so that exactly
    /// one of several concurrent steps on it reaches the registry: a second claim while the
    /// first holds (or after the revision moved) is [`Error::Conflict`]. A claim ends with
    /// [`put`](Self::put), [`release`](Self::release) or at `until` (its holder crashed).
    ///
    /// The default does nothing: for stores whose handle is already exclusive ([`FileStore`]
    /// holds a lock on its file for as long as it is open).
    ///
    /// [`FileStore`]: super::FileStore
    fn claim<'a>(
        &'a self,
        id: &'a str,
        expected: Revision,
        now: SystemTime,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (id, expected, now, until);
        Box::pin(async { Ok(()) })
    }

    /// Loads session `id` and claims it until `until` at whatever revision it has, unless
    /// another claim holds at `now` ([`Error::Conflict`]); `None` when there is no such session.
    /// A database store does both in one statement; the default gets, then claims.
    fn claim_current<'a>(
        &'a self,
        id: &'a str,
        now: SystemTime,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<Option<StoredSession>>> {
        Box::pin(async move {
            let Some(stored) = self.get(id).await? else {
                return Ok(None);
            };
            self.claim(id, stored.revision, now, until).await?;
            Ok(Some(stored))
        })
    }

    /// Ends a claim without saving (the step failed and changed nothing).
    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        let _ = id;
        Box::pin(async { Ok(()) })
    }

    /// Deletes session `id`; `false` if there was none.
    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool>>;

    /// The ids of sessions that expired before `now`.
    fn list_expired<'a>(&'a self, now: SystemTime) -> BoxFuture<'a, Result<Vec<String>>>;
}

/// Sessions in memory (tests, benchmarks, a single process).
#[derive(Debug, Default)]
pub struct MemoryStore {
    sessions: Mutex<HashMap<String, Entry>>,
}

/// A stored session and the claim on it, if any.
#[derive(Debug)]
struct Entry {
    stored: StoredSession,
    claimed_until: Option<SystemTime>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
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
                sessions.insert(
                    record.id.clone(),
                    Entry {
                        stored: record.clone(),
                        claimed_until: None,
                    },
                );
                Ok(())
            }
        };
        Box::pin(async move { result })
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<StoredSession>>> {
        let found = self.lock().get(id).map(|e| e.stored.clone());
        Box::pin(async move { Ok(found) })
    }

    fn put<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<Revision>> {
        let (id, expected) = (record.id.as_str(), record.revision);
        let result = {
            let mut sessions = self.lock();
            match sessions.get_mut(id) {
                Some(entry) if entry.stored.revision == expected => {
                    entry.stored = record.clone();
                    entry.stored.revision += 1;
                    entry.claimed_until = None;
                    Ok(entry.stored.revision)
                }
                Some(entry) => Err(stale(id, expected, Some(entry.stored.revision))),
                None => Err(stale(id, expected, None)),
            }
        };
        Box::pin(async move { result })
    }

    fn claim<'a>(
        &'a self,
        id: &'a str,
        expected: Revision,
        now: SystemTime,
        until: SystemTime,
    ) -> BoxFuture<'a, Result<()>> {
        let result = {
            let mut sessions = self.lock();
            match sessions.get_mut(id) {
                Some(entry) if entry.stored.revision != expected => {
                    Err(stale(id, expected, Some(entry.stored.revision)))
                }
                Some(entry) if entry.claimed_until.is_some_and(|t| t > now) => Err(busy(id)),
                Some(entry) => {
                    entry.claimed_until = Some(until);
                    Ok(())
                }
                None => Err(stale(id, expected, None)),
            }
        };
        Box::pin(async move { result })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        if let Some(entry) = self.lock().get_mut(id) {
            entry.claimed_until = None;
        }
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool>> {
        let removed = self.lock().remove(id).is_some();
        Box::pin(async move { Ok(removed) })
    }

    fn list_expired<'a>(&'a self, now: SystemTime) -> BoxFuture<'a, Result<Vec<String>>> {
        let ids = self
            .lock()
            .values()
            .filter(|e| e.stored.expires_at <= now)
            .map(|e| e.stored.id.clone())
            .collect();
        Box::pin(async move { Ok(ids) })
    }
}

/// The conflict a claim on a registration that another step holds reports.
pub fn busy(id: &str) -> Error {
    Error::Conflict(format!(
        "registration {id} has a step in progress: wait for it to finish, then read it again"
    ))
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
