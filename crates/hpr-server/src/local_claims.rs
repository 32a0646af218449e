//! [`LocalClaims`]: claims on SQLite registrations, kept in this process's memory.
//!
//! A SQLite database is served by one `hpr serve` process at a time (it holds an exclusive lock
//! on `<database>.serve.lock`, see [`LocalClaims::lock_for_serving`]), so the claims that keep
//! two concurrent steps apart need not be written to the file: that saves one write — the
//! scarcest thing SQLite has — per step. A claim ends with its step, at its deadline, or with
//! the process (which is exactly when a claim of a dead process should end). Postgres, shared by
//! replicas, keeps its claims in the database.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// Claimed registrations by `(tenant, id)`, with their deadlines.
#[derive(Debug)]
pub struct LocalClaims {
    /// The database file (the lock file sits beside it).
    path: PathBuf,
    held: Mutex<HashMap<(String, String), SystemTime>>,
    /// The serving lock, once taken; released when the pool is dropped or the process ends.
    serving: Mutex<Option<File>>,
}

impl LocalClaims {
    /// No claims yet, for the database file at `path`.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            held: Mutex::new(HashMap::new()),
            serving: Mutex::new(None),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), SystemTime>> {
        // every change is one insert or remove: a panic elsewhere cannot leave it half-done
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Claims `(tenant, id)` until `until` unless a claim holds at `now`; `false` if one does.
    pub fn try_take(&self, tenant: &str, id: &str, now: SystemTime, until: SystemTime) -> bool {
        let mut held = self.held();
        let key = (tenant.to_owned(), id.to_owned());
        if held.get(&key).is_some_and(|deadline| *deadline > now) {
            return false;
        }
        held.insert(key, until);
        true
    }

    /// Ends the claim on `(tenant, id)`, if any.
    pub fn drop_claim(&self, tenant: &str, id: &str) {
        self.held().remove(&(tenant.to_owned(), id.to_owned()));
    }

    /// Forgets claims whose deadline passed (their step's task ended without saying so).
    pub fn forget_stale(&self, now: SystemTime) {
        self.held().retain(|_, deadline| *deadline > now);
    }

    /// Takes the exclusive serving lock on `<database>.serve.lock` (again: no-op). Another
    /// process serving the same file would not see this one's claims, so it is refused.
    pub fn lock_for_serving(&self) -> Result<(), String> {
        let mut serving = self
            .serving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if serving.is_some() {
            return Ok(());
        }
        let mut name = self.path.as_os_str().to_owned();
        name.push(".serve.lock");
        let lock_path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                *serving = Some(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "another hpr serve is using {} (a SQLite database serves one process; use Postgres for replicas)",
                self.path.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(format!("cannot lock {}: {e}", lock_path.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_claim_holds_until_its_deadline_or_its_end() {
        let claims = LocalClaims::new(Path::new("unused.db"));
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let until = t0 + Duration::from_secs(10);
        assert!(claims.try_take("t", "r", t0, until));
        assert!(!claims.try_take("t", "r", t0, until), "held");
        assert!(claims.try_take("other", "r", t0, until), "per tenant");
        assert!(
            claims.try_take("t", "r", until, until + Duration::from_secs(1)),
            "lapsed"
        );
        claims.drop_claim("t", "r");
        assert!(claims.try_take("t", "r", t0, until), "released");
        claims.forget_stale(until + Duration::from_secs(5));
        assert!(claims.held().is_empty());
    }

    #[test]
    fn one_process_serves_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hpr.db");
        let first = LocalClaims::new(&path);
        assert_eq!(first.lock_for_serving(), Ok(()));
        assert_eq!(first.lock_for_serving(), Ok(()), "again: no-op");
        let second = LocalClaims::new(&path);
        let refused = second.lock_for_serving().unwrap_err();
        assert!(refused.contains("use Postgres for replicas"), "{refused}");
        drop(first);
        assert_eq!(second.lock_for_serving(), Ok(()));
    }
}
