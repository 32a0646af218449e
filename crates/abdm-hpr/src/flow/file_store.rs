//! [`FileStore`]: one session in one file, locked for as long as the store is open.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RegistrationSession;
use super::service::DEFAULT_TTL;
use super::store::{Revision, SessionStore, StoredSession, stale};
use crate::backend::BoxFuture;
use crate::error::{Error, Result};

/// The file as written: bookkeeping next to the session's own keys (`version`, `stage`, …).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileDoc<'a> {
    revision: Revision,
    created_at: u64,
    expires_at: u64,
    #[serde(flatten)]
    session: &'a RegistrationSession,
}

/// The bookkeeping keys; a version-1 file has none of them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bookkeeping {
    #[serde(default)]
    revision: Option<Revision>,
    #[serde(default)]
    created_at: Option<u64>,
    #[serde(default)]
    expires_at: Option<u64>,
}

/// The `hpr step --state FILE` store: one session in one JSON file (mode 0600), replaced
/// atomically (temporary file, fsync, rename, folder fsync) on every save.
///
/// Opening the store takes an exclusive lock on a sidecar `.<name>.lock` file and holds it until
/// the store is dropped, so a second process on the same state file fails at once with
/// [`Error::Conflict`] instead of overwriting the first one's result. Opening also proves the
/// folder is writable before anything is sent. The store answers to any id (it holds one
/// session); the file keeps its `revision`, `createdAt` and `expiresAt` beside the session.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    /// Held for the store's life; the OS releases it when the process dies, even by SIGKILL.
    _lock: File,
}

impl FileStore {
    /// Opens the store for `path`, taking the lock.
    pub fn open(path: &Path) -> Result<Self> {
        let dir = folder(path);
        let name = path.file_name().ok_or_else(|| {
            Error::Config(format!(
                "the state file {} is not a file name",
                path.display()
            ))
        })?;
        let lock_path = dir.join(format!(".{}.lock", name.to_string_lossy()));
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let lock = options.open(&lock_path).map_err(|e| {
            Error::Config(format!(
                "cannot write the state file {} (in folder {}): {e}",
                path.display(),
                dir.display()
            ))
        })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Conflict(format!(
                    "another hpr process is running a step on the state file {}: wait for it to finish, then read its result",
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::Store(format!(
                    "cannot lock the state file {}: {e}",
                    path.display()
                )));
            }
        }
        Ok(Self {
            path: path.to_owned(),
            _lock: lock,
        })
    }

    /// The session file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file; `None` when there is none. Problems name the file, never its content.
    pub fn load(&self) -> Result<Option<StoredSession>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Config(format!(
                    "cannot read the state file {}: {e}",
                    self.path.display()
                )));
            }
        };
        let bad = |why: String| {
            Error::Config(format!(
                "the state file {} is not a readable hpr session: {why}",
                self.path.display()
            ))
        };
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| bad(crate::types::scrub::serde_message(&e.to_string())))?;
        let books: Bookkeeping = serde_json::from_value(value.clone())
            .map_err(|e| bad(crate::types::scrub::serde_message(&e.to_string())))?;
        let session: RegistrationSession = serde_json::from_value(value)
            .map_err(|e| bad(crate::types::scrub::serde_message(&e.to_string())))?;
        // a version-1 file has no bookkeeping: it counts as written when the file was
        let written = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| SystemTime::now());
        let created_at = books.created_at.map_or(written, |s| from_secs(Some(s)));
        let expires_at = books.expires_at.map_or_else(
            || created_at.checked_add(DEFAULT_TTL).unwrap_or(created_at),
            |s| from_secs(Some(s)),
        );
        Ok(Some(StoredSession {
            id: self.path.display().to_string(),
            revision: books.revision.unwrap_or(1),
            session,
            created_at,
            expires_at,
        }))
    }

    fn write(&self, record: &StoredSession) -> Result<()> {
        let fail = |e: &dyn std::fmt::Display| {
            Error::Store(format!(
                "cannot write the state file {}: {e}",
                self.path.display()
            ))
        };
        let doc = FileDoc {
            revision: record.revision,
            created_at: secs(record.created_at),
            expires_at: secs(record.expires_at),
            session: &record.session,
        };
        let mut json = serde_json::to_vec_pretty(&doc).map_err(|e| fail(&e))?;
        json.push(b'\n');
        let dir = folder(&self.path);
        let mut builder = tempfile::Builder::new();
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::fs::Permissions;
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(Permissions::from_mode(0o600));
        }
        let mut temp = builder.tempfile_in(dir).map_err(|e| fail(&e))?;
        let file = temp.as_file_mut();
        file.write_all(&json).map_err(|e| fail(&e))?;
        file.sync_all().map_err(|e| fail(&e))?;
        temp.persist(&self.path).map_err(|e| fail(&e.error))?;
        // the rename itself is durable only once the folder is synced; best effort
        #[cfg(unix)]
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn from_secs(s: Option<u64>) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(s.unwrap_or(0)))
        .unwrap_or(UNIX_EPOCH)
}

impl SessionStore for FileStore {
    fn create<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<()>> {
        let result = match self.load() {
            Ok(Some(_)) => Err(Error::Conflict(format!(
                "the state file {} holds a registration already",
                self.path.display()
            ))),
            // an unreadable file is replaced only by an explicit new start, never silently
            Err(e) => Err(e),
            Ok(None) => self.write(record),
        };
        Box::pin(async move { result })
    }

    fn get<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<Option<StoredSession>>> {
        let result = self.load();
        Box::pin(async move { result })
    }

    fn put<'a>(&'a self, record: &'a StoredSession) -> BoxFuture<'a, Result<Revision>> {
        let (id, expected) = (record.id.as_str(), record.revision);
        let result = match self.load() {
            Ok(Some(stored)) if stored.revision == expected => {
                let next = StoredSession {
                    id: stored.id,
                    revision: expected + 1,
                    session: record.session.clone(),
                    created_at: stored.created_at,
                    expires_at: record.expires_at,
                };
                self.write(&next).map(|()| next.revision)
            }
            Ok(Some(stored)) => Err(stale(id, expected, Some(stored.revision))),
            Ok(None) => Err(stale(id, expected, None)),
            Err(e) => Err(e),
        };
        Box::pin(async move { result })
    }

    fn delete<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<bool>> {
        let result = match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::Store(format!(
                "cannot delete the state file {}: {e}",
                self.path.display()
            ))),
        };
        Box::pin(async move { result })
    }

    fn list_expired<'a>(&'a self, now: SystemTime) -> BoxFuture<'a, Result<Vec<String>>> {
        let result = self.load().map(|found| {
            found
                .filter(|s| s.expires_at <= now)
                .map(|s| s.id)
                .into_iter()
                .collect()
        });
        Box::pin(async move { result })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn record(session: RegistrationSession) -> StoredSession {
        let now = SystemTime::now();
        StoredSession {
            id: "s".into(),
            revision: 1,
            session,
            created_at: now,
            expires_at: now + Duration::from_secs(60),
        }
    }

    fn block_on<T>(f: BoxFuture<'_, T>) -> T {
        // the store's futures are ready at once
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = f;
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the file store never waits"),
        }
    }

    #[test]
    fn the_lock_is_held_while_the_store_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let first = FileStore::open(&path).unwrap();
        let second = FileStore::open(&path).unwrap_err();
        assert!(matches!(second, Error::Conflict(_)), "{second:?}");
        drop(first);
        FileStore::open(&path).unwrap();
    }

    #[test]
    fn saves_compare_the_revision_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let store = FileStore::open(&path).unwrap();
        assert!(block_on(store.get("s")).unwrap().is_none());
        block_on(store.create(&record(RegistrationSession::new()))).unwrap();
        let again = block_on(store.create(&record(RegistrationSession::new()))).unwrap_err();
        assert!(matches!(again, Error::Conflict(_)), "{again:?}");
        let first = record(RegistrationSession::new());
        assert_eq!(block_on(store.put(&first)).unwrap(), 2);
        let stale = block_on(store.put(&first)).unwrap_err();
        assert!(matches!(stale, Error::Conflict(_)), "{stale:?}");
        drop(store);

        let store = FileStore::open(&path).unwrap();
        let stored = block_on(store.get("s")).unwrap().unwrap();
        assert_eq!(stored.revision, 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            block_on(store.list_expired(SystemTime::now()))
                .unwrap()
                .is_empty()
        );
        let later = SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(block_on(store.list_expired(later)).unwrap().len(), 1);
        assert!(block_on(store.delete("s")).unwrap());
        assert!(!block_on(store.delete("s")).unwrap());
    }

    #[test]
    fn a_version_1_file_gets_its_bookkeeping_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(
            &path,
            r#"{"version":1,"stage":"start","txnId":null,"aadhaarLast4":null,"linkedMobile":null,"mobile":null,"prefill":{},"suggestions":[],"result":null}"#,
        )
        .unwrap();
        let store = FileStore::open(&path).unwrap();
        let stored = store.load().unwrap().unwrap();
        assert_eq!(stored.revision, 1);
        assert!(stored.created_at > UNIX_EPOCH);
        assert!(stored.expires_at > SystemTime::now(), "not expired at once");
    }

    #[test]
    fn a_missing_folder_is_named_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let err = FileStore::open(&dir.path().join("nope/s.json")).unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("nope")),
            "{err:?}"
        );
    }
}
