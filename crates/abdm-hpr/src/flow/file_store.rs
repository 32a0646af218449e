//! [`FileStore`]: one session in one file, locked for as long as the store is open.
//!
//! The file is a log of the session's versions, one JSON document per line (JSON Lines): a save
//! appends a line and syncs the file once — the cheapest durable write there is. The last
//! complete line is the session. A new session, and a log grown past [`COMPACT_AFTER_RECORDS`]
//! lines, is written whole instead, atomically (temporary file, sync, rename, folder sync).

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Seek as _, SeekFrom, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::RegistrationSession;
use super::service::DEFAULT_TTL;
use super::store::{Revision, SessionStore, StoredSession, stale};
use crate::backend::BoxFuture;
use crate::error::{Error, Result};

/// A log longer than this many lines is rewritten as its last line at the next save (a whole
/// registration takes at most 9 saves, so it stays one file of a few versions).
pub const COMPACT_AFTER_RECORDS: usize = 16;

/// A log larger than this is rewritten at the next save, whatever its line count.
const COMPACT_AFTER_BYTES: u64 = 4 * 1024 * 1024;

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

/// The `hpr step --state FILE` store: one session in one file (mode 0600), a JSON Lines log of
/// its versions. A save appends one line and syncs it (one fsync); a new session or a long log
/// is written whole, atomically. A line cut short by a crash is not a version: it was never
/// acknowledged, and the next save overwrites it.
///
/// Opening the store takes an exclusive lock on a sidecar `.<name>.lock` file and holds it until
/// the store is dropped, so a second process on the same state file fails at once with
/// [`Error::Conflict`] instead of overwriting the first one's result. Opening also proves the
/// folder is writable before anything is sent. The store answers to any id (it holds one
/// session); the file keeps its `revision`, `createdAt` and `expiresAt` beside the session.
///
/// While the lock is held no other `hpr` process writes the file, so the store reads it once
/// and afterwards answers from what it last read or wrote (a step loads the session, then
/// saves it: one read, one write).
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    /// Held for the store's life; the OS releases it when the process dies, even by SIGKILL.
    _lock: File,
    /// The file as this store last read or wrote it (`Some(None)`: no file); `None` until the
    /// first read, and after a failed write (the file is then read again).
    known: Mutex<Option<Read>>,
}

/// What reading the file gives: the session (the last complete record) and the shape of the
/// log it ends, or `None` when there is no file.
type Read = Option<(StoredSession, Log)>;

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
            known: Mutex::new(None),
        })
    }

    /// The session file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file; `None` when there is none. Problems name the file, never its content.
    pub fn load(&self) -> Result<Option<StoredSession>> {
        Ok(self.read()?.map(|(stored, _)| stored))
    }

    /// The session (the last complete record) and the shape of the log it ends: from memory
    /// when this store has read or written the file before, else from the file.
    fn read(&self) -> Result<Read> {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(read) = known.as_ref() {
            return Ok(read.clone());
        }
        let read = self.read_file()?;
        *known = Some(read.clone());
        Ok(read)
    }

    /// Remembers what the file now holds (`None`: unknown, read it again next time).
    fn remember(&self, now: Option<Read>) {
        *self.known.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Reads the session and the log's shape from the file.
    fn read_file(&self) -> Result<Read> {
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
        let (record, log) = last_record(&bytes).map_err(bad)?;
        let record = &bytes[record];
        let books: Bookkeeping = serde_json::from_slice(record)
            .map_err(|e| bad(crate::types::scrub::serde_message(&e.to_string())))?;
        let session: RegistrationSession = serde_json::from_slice(record)
            .map_err(|e| bad(crate::types::scrub::serde_message(&e.to_string())))?;
        // a version-1 file has no bookkeeping: it counts as written when the file was
        let written = || {
            std::fs::metadata(&self.path)
                .and_then(|m| m.modified())
                .unwrap_or_else(|_| SystemTime::now())
        };
        let created_at = books
            .created_at
            .map_or_else(written, |s| from_secs(Some(s)));
        let expires_at = books.expires_at.map_or_else(
            || created_at.checked_add(DEFAULT_TTL).unwrap_or(created_at),
            |s| from_secs(Some(s)),
        );
        let stored = StoredSession {
            id: self.path.display().to_string(),
            revision: books.revision.unwrap_or(1),
            session,
            created_at,
            expires_at,
        };
        Ok(Some((stored, log)))
    }

    /// Appends `record` to the log and syncs it, or rewrites the file when the log is long.
    fn append(&self, record: &StoredSession, log: &Log) -> Result<()> {
        if log.records >= COMPACT_AFTER_RECORDS || log.complete_len > COMPACT_AFTER_BYTES {
            return self.write(record);
        }
        // until the line is synced the file's content is not known
        self.remember(None);
        let fail = |e: &dyn std::fmt::Display| {
            Error::Store(format!(
                "cannot write the state file {}: {e}",
                self.path.display()
            ))
        };
        let mut line = self.line(record)?;
        let mut file = OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(|e| fail(&e))?;
        // a line a crash cut short is overwritten: it was never acknowledged
        if log.file_len != log.complete_len {
            file.set_len(log.complete_len).map_err(|e| fail(&e))?;
        }
        if !log.ends_with_newline {
            // a version-1 file may end its one document without a newline
            line.insert(0, b'\n');
        }
        file.seek(SeekFrom::Start(log.complete_len))
            .map_err(|e| fail(&e))?;
        file.write_all(&line).map_err(|e| fail(&e))?;
        // the one fsync of a save: the new line and the file's length
        sync(&file, SyncKind::Data).map_err(|e| fail(&e))?;
        let len = log.complete_len + line.len() as u64;
        let log = Log {
            records: log.records + 1,
            complete_len: len,
            file_len: len,
            ends_with_newline: true,
        };
        self.remember(Some(Some((self.read_back(record), log))));
        Ok(())
    }

    /// `record` as reading its line back gives it: the file's id, times in whole seconds.
    fn read_back(&self, record: &StoredSession) -> StoredSession {
        StoredSession {
            id: self.path.display().to_string(),
            revision: record.revision,
            session: record.session.clone(),
            created_at: from_secs(Some(secs(record.created_at))),
            expires_at: from_secs(Some(secs(record.expires_at))),
        }
    }

    /// `record` as one line of the log.
    fn line(&self, record: &StoredSession) -> Result<Vec<u8>> {
        let doc = FileDoc {
            revision: record.revision,
            created_at: secs(record.created_at),
            expires_at: secs(record.expires_at),
            session: &record.session,
        };
        let mut json = serde_json::to_vec(&doc).map_err(|e| {
            Error::Store(format!(
                "cannot write the state file {}: {e}",
                self.path.display()
            ))
        })?;
        json.push(b'\n');
        Ok(json)
    }

    /// Writes the file whole with `record` as its only line, atomically.
    fn write(&self, record: &StoredSession) -> Result<()> {
        self.remember(None);
        let fail = |e: &dyn std::fmt::Display| {
            Error::Store(format!(
                "cannot write the state file {}: {e}",
                self.path.display()
            ))
        };
        let json = self.line(record)?;
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
        sync(file, SyncKind::All).map_err(|e| fail(&e))?;
        temp.persist(&self.path).map_err(|e| fail(&e.error))?;
        // the rename itself is durable only once the folder is synced; best effort
        #[cfg(unix)]
        if let Ok(d) = File::open(dir) {
            let _ = sync(&d, SyncKind::All);
        }
        let len = json.len() as u64;
        let log = Log {
            records: 1,
            complete_len: len,
            file_len: len,
            ends_with_newline: true,
        };
        self.remember(Some(Some((self.read_back(record), log))));
        Ok(())
    }
}

/// The shape of the log a session was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Log {
    /// Complete records (versions) in the file.
    records: usize,
    /// Where the last complete record (and the whitespace after it) ends.
    complete_len: u64,
    /// The file's length: more than `complete_len` when a crash cut the last line short.
    file_len: u64,
    /// Whether the complete part ends with a newline (a version-1 file may not).
    ends_with_newline: bool,
}

/// Where the last complete JSON document of a log is, and the log's shape; the reason when there
/// is none. After the last complete document only an unterminated line (a write a crash cut
/// short) may follow; anything else is damage, not a torn write, and the file is refused.
/// Earlier versions are only scanned, not built.
fn last_record(bytes: &[u8]) -> std::result::Result<(Range<usize>, Log), String> {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<IgnoredAny>();
    let mut last = None;
    let mut records = 0;
    let mut complete_len = 0;
    let mut failure = None;
    let mut start = 0;
    while let Some(item) = stream.next() {
        let end = stream.byte_offset();
        match item {
            Ok(IgnoredAny) => {
                last = Some(start..end);
                records += 1;
                start = end;
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if failure.is_none() {
        complete_len = bytes.len();
    } else if last.is_some() {
        complete_len = stream.byte_offset();
    }
    let torn = &bytes[complete_len..];
    let Some(record) = last else {
        let why = failure.map_or_else(
            || "the file is empty".to_owned(),
            |e| crate::types::scrub::serde_message(&e.to_string()),
        );
        return Err(why);
    };
    // the whitespace after the last record belongs to it
    let trailing = torn.iter().take_while(|b| b.is_ascii_whitespace()).count();
    complete_len += trailing;
    let torn = &torn[trailing..];
    if torn.contains(&b'\n') {
        return Err("a damaged line before the last one".into());
    }
    let complete = &bytes[..complete_len];
    let log = Log {
        records,
        complete_len: complete_len as u64,
        file_len: bytes.len() as u64,
        ends_with_newline: complete.last() == Some(&b'\n'),
    };
    Ok((record, log))
}

#[derive(Clone, Copy)]
enum SyncKind {
    /// Data and the metadata needed to read it back (the length): `fdatasync`.
    Data,
    /// Data and all metadata: `fsync`.
    All,
}

/// Syncs `file` to disk; counted per thread in tests, which check how many syncs a save costs.
fn sync(file: &File, kind: SyncKind) -> std::io::Result<()> {
    #[cfg(test)]
    tests::SYNCS.with(|n| n.set(n.get() + 1));
    match kind {
        SyncKind::Data => file.sync_data(),
        SyncKind::All => file.sync_all(),
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
        let result = match self.read() {
            Ok(Some((stored, log))) if stored.revision == expected => {
                let next = StoredSession {
                    id: stored.id,
                    revision: expected + 1,
                    session: record.session.clone(),
                    created_at: stored.created_at,
                    expires_at: record.expires_at,
                };
                self.append(&next, &log).map(|()| next.revision)
            }
            Ok(Some((stored, _))) => Err(stale(id, expected, Some(stored.revision))),
            Ok(None) => Err(stale(id, expected, None)),
            Err(e) => Err(e),
        };
        Box::pin(async move { result })
    }

    fn delete<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<bool>> {
        self.remember(None);
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
    use serde_json::Value;

    thread_local! {
        /// Syncs made by this thread (see [`sync`]).
        pub(super) static SYNCS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn syncs() -> usize {
        SYNCS.with(std::cell::Cell::get)
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Creates a session and saves it `saves` times; returns the store and the last revision.
    fn saved(path: &Path, saves: usize) -> (FileStore, Revision) {
        let store = FileStore::open(path).unwrap();
        block_on(store.create(&record(RegistrationSession::new()))).unwrap();
        let mut revision = 1;
        for _ in 0..saves {
            let mut next = record(RegistrationSession::new());
            next.revision = revision;
            revision = block_on(store.put(&next)).unwrap();
        }
        (store, revision)
    }

    #[test]
    fn a_save_appends_one_line_with_one_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (store, revision) = saved(&path, 2);
        assert_eq!(revision, 3);
        assert_eq!(lines(&path).len(), 3, "one line per version");
        let before = syncs();
        let mut next = record(RegistrationSession::new());
        next.revision = revision;
        assert_eq!(block_on(store.put(&next)).unwrap(), 4);
        assert_eq!(syncs() - before, 1, "a save syncs once");
        assert_eq!(lines(&path).len(), 4);
        // every line is a whole session; the last one is the current version
        let last: Value = serde_json::from_str(lines(&path).last().unwrap()).unwrap();
        assert_eq!(last["revision"], 4);
        assert_eq!(block_on(store.get("s")).unwrap().unwrap().revision, 4);
    }

    #[test]
    fn a_new_session_is_written_whole_and_synced_with_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let store = FileStore::open(&path).unwrap();
        let before = syncs();
        block_on(store.create(&record(RegistrationSession::new()))).unwrap();
        assert_eq!(
            syncs() - before,
            2,
            "the file, then the folder holding its name"
        );
        assert_eq!(lines(&path).len(), 1);
    }

    #[test]
    fn a_long_log_is_compacted_into_its_last_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (store, revision) = saved(&path, COMPACT_AFTER_RECORDS - 1);
        assert_eq!(lines(&path).len(), COMPACT_AFTER_RECORDS);
        let mut next = record(RegistrationSession::new());
        next.revision = revision;
        let revision = block_on(store.put(&next)).unwrap();
        assert_eq!(lines(&path).len(), 1, "rewritten as one line");
        assert_eq!(
            block_on(store.get("s")).unwrap().unwrap().revision,
            revision
        );
        assert_no_temporaries(dir.path());
    }

    #[test]
    fn a_line_cut_short_by_a_crash_is_not_a_version_and_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let (store, revision) = saved(&path, 1);
        drop(store);
        let whole = std::fs::read(&path).unwrap();
        // a crash in the middle of the next append: half a line, or zeros the length outran;
        // then a new process opens the file
        let next_line = lines(&path).last().unwrap().clone();
        for torn in [
            next_line.as_bytes()[..next_line.len() / 2].to_vec(),
            vec![0u8; 300],
        ] {
            let mut bytes = whole.clone();
            bytes.extend_from_slice(&torn);
            std::fs::write(&path, &bytes).unwrap();
            let store = FileStore::open(&path).unwrap();
            assert_eq!(
                block_on(store.get("s")).unwrap().unwrap().revision,
                revision
            );
            let mut next = record(RegistrationSession::new());
            next.revision = revision;
            assert_eq!(block_on(store.put(&next)).unwrap(), revision + 1);
            let after = lines(&path);
            assert_eq!(after.len(), 3, "the torn line was overwritten");
            for line in &after {
                serde_json::from_str::<Value>(line).unwrap();
            }
            std::fs::write(&path, &whole).unwrap();
        }
    }

    #[test]
    fn a_damaged_line_before_the_last_is_refused_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        drop(saved(&path, 1));
        let mut text = lines(&path);
        text.insert(1, "{\"stage\": 9876543210".into());
        std::fs::write(&path, text.join("\n") + "\n").unwrap();
        let store = FileStore::open(&path).unwrap();
        let err = block_on(store.get("s")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("s.json") && message.contains("damaged"),
            "{message}"
        );
        assert!(!message.contains("9876543210"), "{message}");
        let empty = dir.path().join("e.json");
        std::fs::write(&empty, "").unwrap();
        let err = FileStore::open(&empty).unwrap().load().unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn a_pretty_version_1_file_without_a_newline_takes_appended_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(
            &path,
            "{\n  \"version\": 1,\n  \"stage\": \"start\",\n  \"txnId\": null,\n  \"aadhaarLast4\": null,\n  \"linkedMobile\": null,\n  \"mobile\": null,\n  \"prefill\": {},\n  \"suggestions\": [],\n  \"result\": null\n}",
        )
        .unwrap();
        let store = FileStore::open(&path).unwrap();
        let stored = block_on(store.get("s")).unwrap().unwrap();
        assert_eq!(stored.revision, 1);
        assert_eq!(block_on(store.put(&stored)).unwrap(), 2);
        assert_eq!(block_on(store.get("s")).unwrap().unwrap().revision, 2);
        let last: Value = serde_json::from_str(lines(&path).last().unwrap()).unwrap();
        assert_eq!(last["revision"], 2);
    }

    /// The store answers from memory after its first read; what it answers is what reading
    /// the file gives, after a create, every append, a compaction and a delete.
    #[test]
    fn what_the_store_remembers_is_what_the_file_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let store = FileStore::open(&path).unwrap();
        let agrees = |store: &FileStore| {
            let remembered = store.read().unwrap();
            assert!(store.known.lock().unwrap().is_some(), "remembered");
            assert_eq!(remembered, store.read_file().unwrap());
        };
        agrees(&store);
        let mut first = record(RegistrationSession::new());
        first.created_at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        block_on(store.create(&first)).unwrap();
        agrees(&store);
        let mut revision = 1;
        for _ in 0..COMPACT_AFTER_RECORDS + 2 {
            let mut next = record(RegistrationSession::new());
            next.revision = revision;
            next.expires_at = UNIX_EPOCH + Duration::from_millis(1_800_000_000_999);
            revision = block_on(store.put(&next)).unwrap();
            agrees(&store);
        }
        // loading again does not read the file: only this store writes it while it is open
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, b"not read").unwrap();
        assert_eq!(store.load().unwrap().unwrap().revision, revision);
        std::fs::write(&path, &whole).unwrap();
        // a stale revision is refused from memory too
        let mut stale = record(RegistrationSession::new());
        stale.revision = revision - 1;
        assert!(block_on(store.put(&stale)).is_err());
        assert!(block_on(store.delete("s")).unwrap());
        agrees(&store);
        assert_eq!(store.load().unwrap(), None);
    }

    fn assert_no_temporaries(dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "left behind: {name}");
        }
    }

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
