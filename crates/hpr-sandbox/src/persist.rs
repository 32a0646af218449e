//! `--state FILE`: identities and accounts survive restarts, and a change is on disk before the
//! request that made it is answered.
//!
//! Three files, side by side, all mode 0600 (they hold full Aadhaar numbers, which the sandbox
//! needs to recognise returning people):
//!
//! - `FILE`, the snapshot: one JSON object `{"version","identities","accounts"}` — the format
//!   every earlier release wrote, so an existing state file is simply read at the first start.
//! - `FILE.journal`, the changes since the snapshot, one record a line:
//!   `<CRC-32 of the JSON, 8 hex digits> <JSON>\n`, the JSON being `{"op":"account","account":…}`,
//!   `{"op":"identity","identity":…}` or `{"op":"reset"}`. It exists only while there are such
//!   changes.
//! - `FILE.tmp`, a snapshot being written; renamed over `FILE` once synced.
//! - `.FILE.lock`, empty, locked while a sandbox uses the state file (one writer at a time).
//!
//! **Group commit.** Handlers journal a change while they hold the state lock (so the journal's
//! order is the order of the changes) by sending it to one writer thread, then await its
//! acknowledgement before answering. The writer takes every record waiting, appends them with one
//! `write` and one `fdatasync`, then acknowledges each; records arriving meanwhile form the next
//! batch. A later record is never on disk before an earlier one. If the write fails, the waiting
//! requests are answered 500 (HIS-500); their changes stay in memory, and the writer appends
//! nothing more until a snapshot (which holds them) has replaced the journal.
//!
//! **Compaction.** Once the journal holds as many records as the state has entries (and at least
//! [`MIN_COMPACT`]), at every start and at shutdown, the writer writes the whole state to
//! `FILE.tmp`, syncs it, renames it over `FILE`, syncs the folder, then removes the journal. A
//! crash between the rename and the removal replays the old journal over a snapshot that already
//! holds it, which changes nothing: records are "put this account/identity" and "forget all", and
//! replaying a suffix of the history over its result gives the same result.
//!
//! **Loading.** Leftover temporary files are removed at start. A journal line with a bad checksum
//! or that is not a record is an error naming the file and the record number: nothing is dropped
//! or rewritten. The one exception is a last line with no newline: a write cut short by a crash.
//! Its batch was never synced, so never acknowledged; it is ignored and disappears at the start's
//! compaction.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use abdm_hpr::types::scrub::serde_message;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::error::Error;
use crate::identity::Identity;
use crate::state::{Account, SNAPSHOT_VERSION, Snapshot};

/// The journal never triggers a compaction below this many records.
pub const MIN_COMPACT: usize = 1024;
/// At most this many records go into one write.
const MAX_BATCH: usize = 8192;

/// One change to the persistent state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub(crate) enum Record {
    /// An account was created.
    Account {
        /// The account.
        account: Account,
    },
    /// An identity was added or replaced.
    Identity {
        /// The identity, normalised.
        identity: Box<Identity>,
    },
    /// Accounts and run-time identities were forgotten (configured identities stay).
    Reset,
}

/// The journal next to a state file.
pub fn journal_path(path: &Path) -> PathBuf {
    with_suffix(path, ".journal")
}

/// The snapshot being written next to a state file.
pub fn temp_path(path: &Path) -> PathBuf {
    with_suffix(path, ".tmp")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Reads a state file and replays its journal; a missing file is an empty state. Changes nothing
/// on disk.
///
/// Errors name the file and, for a corrupt snapshot, the JSON position, for a corrupt journal,
/// the record number, but never the values in them (they are Aadhaar numbers and names).
pub fn load(path: &Path) -> Result<Snapshot, Error> {
    let mut state = Persisted::from(read_snapshot(path)?);
    replay(&journal_path(path), &mut state)?;
    Ok(state.snapshot())
}

fn read_snapshot(path: &Path) -> Result<Snapshot, Error> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Snapshot::default()),
        Err(source) => {
            return Err(Error::StateUnreadable {
                path: path.to_owned(),
                source,
            });
        }
    };
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|e| Error::StateCorrupt {
        path: path.to_owned(),
        reason: serde_message(&e.to_string()),
    })?;
    if snapshot.version > SNAPSHOT_VERSION {
        return Err(Error::StateTooNew {
            path: path.to_owned(),
            found: snapshot.version,
            supported: SNAPSHOT_VERSION,
        });
    }
    Ok(snapshot)
}

/// Applies every complete record of the journal at `path` (if any) to `state`; returns how many.
fn replay(path: &Path, state: &mut Persisted) -> Result<usize, Error> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(source) => {
            return Err(Error::StateUnreadable {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // after the last newline: empty, or a torn write (see the module notes): never acknowledged
    if let Some(torn) = lines.pop()
        && !torn.is_empty()
    {
        tracing::warn!(
            record = lines.len() + 1,
            bytes = torn.len(),
            "ignoring the unfinished last record of the state journal (a write cut short)"
        );
    }
    for (i, line) in lines.iter().enumerate() {
        let record = decode(line).map_err(|reason| Error::StateJournalCorrupt {
            path: path.to_owned(),
            record: i + 1,
            reason,
        })?;
        state.apply(record);
    }
    Ok(lines.len())
}

/// One journal line (without its newline).
fn encode(record: &Record, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let json = serde_json::to_vec(record)?;
    out.extend_from_slice(format!("{:08x} ", crc32(&json)).as_bytes());
    out.extend_from_slice(&json);
    out.push(b'\n');
    Ok(())
}

fn decode(line: &[u8]) -> Result<Record, String> {
    let (Some(hex), Some(b' '), Some(json)) = (line.get(..8), line.get(8), line.get(9..)) else {
        return Err("not a journal record (expected a checksum, a space and JSON)".into());
    };
    let expected = std::str::from_utf8(hex)
        .ok()
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .ok_or("not a journal record (expected a checksum, a space and JSON)")?;
    if crc32(json) != expected {
        return Err("checksum mismatch".into());
    }
    serde_json::from_slice(json)
        .map_err(|e| format!("not a sandbox change: {}", serde_message(&e.to_string())))
}

/// CRC-32 (IEEE 802.3, as zlib computes it) of a journal record.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// The persistent state, keyed as the sandbox keys it.
#[derive(Debug, Default)]
struct Persisted {
    identities: BTreeMap<String, Identity>,
    accounts: BTreeMap<String, Account>,
}

impl From<Snapshot> for Persisted {
    fn from(snapshot: Snapshot) -> Self {
        Self {
            identities: snapshot
                .identities
                .into_iter()
                .map(|i| (i.aadhaar.clone(), i))
                .collect(),
            accounts: snapshot
                .accounts
                .into_iter()
                .map(|a| (a.aadhaar.clone(), a))
                .collect(),
        }
    }
}

impl Persisted {
    fn apply(&mut self, record: Record) {
        match record {
            Record::Account { account } => {
                self.accounts.insert(account.aadhaar.clone(), account);
            }
            Record::Identity { identity } => {
                self.identities.insert(identity.aadhaar.clone(), *identity);
            }
            Record::Reset => {
                self.accounts.clear();
                self.identities.clear();
            }
        }
    }

    fn len(&self) -> usize {
        self.identities.len() + self.accounts.len()
    }

    /// Sorted as [`crate::state::Core::snapshot`] sorts.
    fn snapshot(&self) -> Snapshot {
        let mut accounts: Vec<Account> = self.accounts.values().cloned().collect();
        accounts.sort_by(|a, b| a.hpr_id_number.cmp(&b.hpr_id_number));
        Snapshot {
            version: SNAPSHOT_VERSION,
            identities: self.identities.values().cloned().collect(),
            accounts,
        }
    }
}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn sync_folder(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(folder(path))?.sync_all()?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes a snapshot atomically: `FILE.tmp`, synced, renamed over `FILE`, folder synced.
///
/// Only one writer may use a state file at a time: a running sandbox writes through its journal
/// writer (see [`crate::Sandbox::save_state`]).
pub fn save(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut out = BufWriter::new(create_private(&tmp)?);
        serde_json::to_writer(&mut out, snapshot)?;
        out.write_all(b"\n")?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_folder(path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the temporary files a killed writer may have left: `FILE.tmp`, and the `.tmpXXXXXX`
/// files of releases before the journal (recognised by name and by their first bytes, a
/// pretty-printed snapshot, so no other program's file is touched).
fn remove_leftovers(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(temp_path(path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let Ok(entries) = std::fs::read_dir(folder(path)) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let legacy_name = name.len() == 10
            && name.starts_with(".tmp")
            && name[4..].bytes().all(|b| b.is_ascii_alphanumeric());
        if !legacy_name || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let mut start = [0u8; 16];
        let n = File::open(entry.path())
            .and_then(|mut f| std::io::Read::read(&mut f, &mut start))
            .unwrap_or(0);
        if start[..n].starts_with(b"{\n  \"version\": ") {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// The lock a sandbox holds on its state file while it runs.
#[derive(Debug)]
pub(crate) struct Lock(#[allow(dead_code, reason = "held, not read")] File);

/// Opens a state file for a sandbox: takes its lock, removes leftover temporary files, then
/// [`load`]s it.
pub(crate) fn open(path: &Path) -> Result<(Lock, Snapshot), Error> {
    let unwritable = |source| Error::StateUnwritable {
        path: path.to_owned(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        unwritable(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    let lock_path = folder(path).join(format!(".{}.lock", name.to_string_lossy()));
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&lock_path).map_err(unwritable)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(Error::StateInUse {
                path: path.to_owned(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(unwritable(e)),
    }
    remove_leftovers(path).map_err(unwritable)?;
    Ok((Lock(file), load(path)?))
}

/// What a change's acknowledgement carries: `Err` says why it may not be on disk.
type Ack = Box<dyn FnOnce(Result<(), String>) + Send>;

enum Command {
    Record(Box<Record>, Ack),
    Compact(Ack),
}

/// A change's acknowledgement, to await before answering.
#[derive(Debug)]
pub(crate) struct Ticket(oneshot::Receiver<Result<(), String>>);

impl Ticket {
    /// Waits until the change (and every earlier one) is on disk.
    pub async fn wait(self) -> Result<(), String> {
        self.0
            .await
            .unwrap_or_else(|_| Err("the state writer stopped".into()))
    }
}

thread_local! {
    /// The ticket of the change the current synchronous operation journaled (see [`take_ticket`]).
    static TICKET: Cell<Option<Ticket>> = const { Cell::new(None) };
}

/// Takes the ticket of the last change journaled on this thread.
///
/// Operations are synchronous functions shared by the HTTP routes and the in-process backend;
/// rather than widen their signature, [`Journal::record`] leaves the ticket here and the caller
/// takes it right after the call (the same thread, no `.await` in between) — and once before,
/// to drop any ticket a caller that does not wait left behind.
pub(crate) fn take_ticket() -> Option<Ticket> {
    TICKET.with(Cell::take)
}

/// The sending side of the journal writer. Dropping it waits for the writer to finish its last
/// batch and release the lock, so the state file can be opened again right after.
#[derive(Debug)]
pub(crate) struct Journal {
    commands: Option<mpsc::Sender<Command>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Journal {
    fn drop(&mut self) {
        // the writer ends once the channel is closed and empty
        self.commands = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Journal {
    /// Compacts the state file to `current` (the state after loading), then starts the writer,
    /// which holds `lock` until it ends (when the sandbox is dropped).
    pub fn start(
        lock: Lock,
        path: PathBuf,
        current: Snapshot,
        configured: Vec<Identity>,
    ) -> Result<Self, Error> {
        let mut writer = Writer {
            _lock: lock,
            journal: journal_path(&path),
            path,
            file: None,
            records: 0,
            state: Persisted::from(current),
            configured,
            poisoned: false,
        };
        writer.compact().map_err(|source| Error::StateUnwritable {
            path: writer.path.clone(),
            source,
        })?;
        let (commands, receiver) = mpsc::channel();
        let path = writer.path.clone();
        let writer = std::thread::Builder::new()
            .name("hpr-sandbox-journal".into())
            .spawn(move || writer.run(&receiver))
            .map_err(|source| Error::StateUnwritable { path, source })?;
        Ok(Self {
            commands: Some(commands),
            writer: Some(writer),
        })
    }

    /// Journals `record`; call it with the state lock held. The ticket is left for
    /// [`take_ticket`].
    pub fn record(&self, record: Record) {
        let (done, ticket) = oneshot::channel();
        let ack: Ack = Box::new(move |result| {
            // the waiter may have gone (client disconnected)
            let _ = done.send(result);
        });
        // if the writer is gone, the ack is dropped with the command and the ticket says so
        if let Some(commands) = &self.commands {
            let _ = commands.send(Command::Record(Box::new(record), ack));
        }
        TICKET.with(|slot| slot.set(Some(Ticket(ticket))));
    }

    /// Asks for a compaction after every change journaled so far; `ack` gets its outcome.
    fn compact(&self, ack: Ack) {
        let Some(commands) = &self.commands else {
            return ack(Err("the state writer stopped".into()));
        };
        if let Err(mpsc::SendError(Command::Compact(ack) | Command::Record(_, ack))) =
            commands.send(Command::Compact(ack))
        {
            ack(Err("the state writer stopped".into()));
        }
    }

    /// Compacts, waiting asynchronously.
    pub async fn compact_async(&self) -> Result<(), String> {
        let (done, result) = oneshot::channel();
        self.compact(Box::new(move |r| {
            let _ = done.send(r);
        }));
        result
            .await
            .unwrap_or_else(|_| Err("the state writer stopped".into()))
    }

    /// Compacts, blocking the calling thread (at most `timeout`).
    pub fn compact_blocking(&self, timeout: std::time::Duration) -> Result<(), String> {
        let (done, result) = mpsc::sync_channel(1);
        self.compact(Box::new(move |r| {
            let _ = done.send(r);
        }));
        result
            .recv_timeout(timeout)
            .unwrap_or_else(|_| Err("the state writer did not answer".into()))
    }
}

/// The writer thread's side: the journal file and its own copy of the persistent state (so a
/// compaction needs no lock on the sandbox and holds exactly what the journal held).
struct Writer {
    _lock: Lock,
    path: PathBuf,
    journal: PathBuf,
    file: Option<File>,
    /// Records in the journal file.
    records: usize,
    state: Persisted,
    /// Identities a reset keeps.
    configured: Vec<Identity>,
    /// An append failed and no compaction has succeeded since: the journal may end in part of a
    /// record, so nothing more is appended to it until a snapshot replaces it.
    poisoned: bool,
}

impl Writer {
    fn run(mut self, commands: &mpsc::Receiver<Command>) {
        while let Ok(first) = commands.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match commands.try_recv() {
                    Ok(command) => batch.push(command),
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
    }

    fn commit(&mut self, batch: Vec<Command>) {
        let mut bytes = Vec::new();
        let mut acks = Vec::with_capacity(batch.len());
        let mut compact = false;
        let mut appended = 0;
        let mut failed: Option<String> = None;
        for command in batch {
            match command {
                Command::Record(record, ack) => {
                    if let Err(e) = encode(&record, &mut bytes) {
                        failed.get_or_insert(format!("cannot encode a change: {e}"));
                    }
                    self.apply(*record);
                    appended += 1;
                    acks.push(ack);
                }
                Command::Compact(ack) => {
                    compact = true;
                    acks.push(ack);
                }
            }
        }
        let mut result = match failed {
            Some(reason) => Err(reason),
            None if bytes.is_empty() => Ok(()),
            None if self.poisoned => Err("an earlier write failed".into()),
            None => self.append(&bytes).map_err(|e| e.to_string()),
        };
        match result {
            Ok(()) => self.records += appended,
            Err(_) => self.poisoned = true,
        }
        if result.is_err() || compact || self.records >= MIN_COMPACT.max(self.state.len()) {
            // after a failed append the journal may end in part of a record: a snapshot holds
            // every change, including the batch's, and the journal goes
            let compacted = self.compact().map_err(|e| e.to_string());
            if result.is_err() {
                result = compacted.map_err(|e| format!("cannot write the state file: {e}"));
            } else if let Err(e) = compacted {
                tracing::error!(error = %e, "could not compact the state file");
                if compact {
                    result = Err(e);
                }
            }
        }
        if let Err(e) = &result {
            tracing::error!(error = %e, "could not write the state journal");
        }
        for ack in acks {
            ack(result.clone());
        }
    }

    fn apply(&mut self, record: Record) {
        if record == Record::Reset {
            self.state.accounts.clear();
            self.state.identities = self
                .configured
                .iter()
                .map(|i| (i.aadhaar.clone(), i.clone()))
                .collect();
        } else {
            self.state.apply(record);
        }
    }

    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let mut options = OpenOptions::new();
                options.append(true).create(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let file = options.open(&self.journal)?;
                // the new name must be durable too
                sync_folder(&self.journal)?;
                self.file.insert(file)
            }
        };
        file.write_all(bytes)?;
        file.sync_data()
    }

    /// Snapshot, then the journal goes (see the module notes for a crash in between).
    fn compact(&mut self) -> std::io::Result<()> {
        save(&self.path, &self.state.snapshot())?;
        self.file = None;
        match std::fs::remove_file(&self.journal) {
            Ok(()) => sync_folder(&self.journal)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.records = 0;
        self.poisoned = false;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn account(n: u32) -> Account {
        Account {
            aadhaar: format!("2341234{n:05}"),
            hpr_id_number: format!("71-0000-0000-{n:04}"),
            hpr_id: format!("user{n}@hpr.abdm"),
            category_id: 1,
            sub_category_id: 1,
            category_name: "Doctor".into(),
            category_sub_name: "Modern Medicine".into(),
        }
    }

    fn line(record: &Record) -> Vec<u8> {
        let mut out = Vec::new();
        encode(record, &mut out).unwrap();
        out
    }

    #[test]
    fn crc32_is_the_ieee_one() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn the_journal_replays_over_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(
            &path,
            &Snapshot {
                version: SNAPSHOT_VERSION,
                identities: vec![],
                accounts: vec![account(1)],
            },
        )
        .unwrap();
        let mut journal = line(&Record::Reset);
        journal.extend(line(&Record::Account {
            account: account(2),
        }));
        journal.extend(line(&Record::Account {
            account: account(3),
        }));
        // a torn last record: ignored (never acknowledged)
        journal.extend_from_slice(
            &line(&Record::Account {
                account: account(4),
            })[..20],
        );
        std::fs::write(journal_path(&path), &journal).unwrap();
        let loaded = load(&path).unwrap();
        let numbers: Vec<_> = loaded.accounts.iter().map(|a| a.aadhaar.clone()).collect();
        assert_eq!(numbers, [account(2).aadhaar, account(3).aadhaar]);
    }

    #[test]
    fn a_corrupt_record_is_named_without_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut journal = line(&Record::Account {
            account: account(1),
        });
        let mut bad = line(&Record::Account {
            account: account(2),
        });
        bad[30] ^= 1;
        journal.extend(bad);
        journal.extend(line(&Record::Reset));
        std::fs::write(journal_path(&path), &journal).unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            matches!(err, Error::StateJournalCorrupt { record: 2, .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains("state.json.journal"), "{text}");
        assert!(text.contains("record 2"), "{text}");
        assert!(!text.contains("234123400002"), "{text}");

        // a complete line of bad JSON with a right checksum is refused too
        let json = br#"{"op":"account","account":{"aadhaar":"234123400002"}}"#;
        let text = format!("{:08x} {}\n", crc32(json), String::from_utf8_lossy(json));
        std::fs::write(journal_path(&path), text).unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            matches!(err, Error::StateJournalCorrupt { record: 1, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("234123400002"), "{err}");
    }

    #[test]
    fn the_writer_compacts_and_replays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(temp_path(&path), "left over").unwrap();
        std::fs::write(dir.path().join(".tmpAb12Cd"), "{\n  \"version\": 1,").unwrap();
        std::fs::write(dir.path().join(".tmpOther"), "{\n  \"version\": 1,").unwrap();
        let (lock, restored) = open(&path).unwrap();
        assert!(restored.accounts.is_empty());
        assert!(matches!(open(&path), Err(Error::StateInUse { .. })));
        assert!(!temp_path(&path).exists());
        assert!(!dir.path().join(".tmpAb12Cd").exists());
        assert!(dir.path().join(".tmpOther").exists(), "not ours by name");

        let journal = Journal::start(lock, path.clone(), Snapshot::default(), vec![]).unwrap();
        let count = MIN_COMPACT + 10;
        let mut tickets = Vec::new();
        for n in 0..count {
            journal.record(Record::Account {
                account: account(u32::try_from(n).unwrap()),
            });
            tickets.push(take_ticket().unwrap());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            for ticket in tickets {
                ticket.wait().await.unwrap();
            }
        });
        assert_eq!(load(&path).unwrap().accounts.len(), count);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        journal
            .compact_blocking(std::time::Duration::from_secs(10))
            .unwrap();
        assert!(!journal_path(&path).exists());
        assert_eq!(load(&path).unwrap().accounts.len(), count);
    }

    #[test]
    fn a_failed_write_is_reported_then_recovered_by_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let (lock, _) = open(&path).unwrap();
        let journal = Journal::start(lock, path.clone(), Snapshot::default(), vec![]).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let wait = |n: u32| {
            journal.record(Record::Account {
                account: account(n),
            });
            let ticket = take_ticket().unwrap();
            runtime.block_on(ticket.wait())
        };
        // the journal cannot be opened (a folder in its place), nor removed by a compaction
        std::fs::create_dir(journal_path(&path)).unwrap();
        std::fs::write(journal_path(&path).join("x"), "").unwrap();
        assert!(wait(1).is_err());
        std::fs::remove_dir_all(journal_path(&path)).unwrap();
        // the next change goes through a snapshot, which holds the earlier one too
        wait(2).unwrap();
        assert_eq!(load(&path).unwrap().accounts.len(), 2);
        wait(3).unwrap();
        assert!(journal_path(&path).is_file());
        assert_eq!(load(&path).unwrap().accounts.len(), 3);
    }

    #[test]
    fn a_crash_between_snapshot_and_journal_removal_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(
            &path,
            &Snapshot {
                version: SNAPSHOT_VERSION,
                identities: vec![],
                accounts: vec![account(1), account(2)],
            },
        )
        .unwrap();
        let mut journal = line(&Record::Account {
            account: account(3),
        });
        journal.extend(line(&Record::Reset));
        journal.extend(line(&Record::Account {
            account: account(4),
        }));
        std::fs::write(journal_path(&path), &journal).unwrap();
        let before = load(&path).unwrap();
        assert_eq!(before.accounts, [account(4)]);
        // the compaction's snapshot is in place, the journal not removed yet
        save(&path, &before).unwrap();
        assert_eq!(load(&path).unwrap(), before);
    }
}
