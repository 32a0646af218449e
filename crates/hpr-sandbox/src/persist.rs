//! `--state FILE`: identities and accounts survive restarts. Writes are atomic (a temporary file
//! in the same directory, synced, then renamed over the old one) and happen off the request path.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::state::{SNAPSHOT_VERSION, Snapshot};

/// Reads a state file; a missing file is an empty state.
pub fn load(path: &Path) -> Result<Snapshot, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Snapshot::default()),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    let snapshot: Snapshot = serde_json::from_slice(&bytes)
        .map_err(|e| format!("state file {} is not a sandbox state: {e}", path.display()))?;
    if snapshot.version > SNAPSHOT_VERSION {
        return Err(format!(
            "state file {} has version {}, newer than this sandbox understands ({SNAPSHOT_VERSION})",
            path.display(),
            snapshot.version
        ));
    }
    Ok(snapshot)
}

/// Writes a snapshot atomically.
pub fn save(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer_pretty(&mut tmp, snapshot)?;
    tmp.write_all(b"\n")?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Saves snapshots in generation order: a slow save of an older snapshot never overwrites a
/// newer one (e.g. the final save at shutdown).
#[derive(Debug)]
pub(crate) struct Saver {
    path: PathBuf,
    saved: Mutex<Option<u64>>,
}

impl Saver {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            saved: Mutex::new(None),
        }
    }

    /// Writes `snapshot` unless a snapshot of the same or a later generation was written.
    pub fn save_if_newer(&self, generation: u64, snapshot: &Snapshot) -> std::io::Result<()> {
        let mut saved = self.saved.lock().unwrap_or_else(|p| p.into_inner());
        if saved.is_some_and(|done| done >= generation) {
            return Ok(());
        }
        save(&self.path, snapshot)?;
        *saved = Some(generation);
        Ok(())
    }
}

/// Writes every new snapshot (the latest one wins if several arrive while writing) until the
/// sender is dropped or the task is aborted.
pub(crate) async fn writer(
    saver: Arc<Saver>,
    mut changes: watch::Receiver<u64>,
    snapshot: impl Fn() -> (u64, Snapshot) + Send + Sync + 'static,
) {
    let snapshot = Arc::new(snapshot);
    while changes.changed().await.is_ok() {
        changes.mark_unchanged();
        let saver = saver.clone();
        let snapshot = snapshot.clone();
        let result = tokio::task::spawn_blocking(move || {
            let (generation, current) = snapshot();
            saver.save_if_newer(generation, &current)
        })
        .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "could not write the state file"),
            Err(e) => tracing::error!(error = %e, "state writer task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_snapshot_never_overwrites_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let saver = Saver::new(path.clone());
        let newer = Snapshot {
            version: SNAPSHOT_VERSION,
            ..Snapshot::default()
        };
        let older = Snapshot {
            version: 0,
            ..Snapshot::default()
        };
        saver.save_if_newer(2, &newer).unwrap();
        saver.save_if_newer(1, &older).unwrap();
        assert_eq!(load(&path).unwrap(), newer);
        assert!(
            load(dir.path().join("missing.json").as_path())
                .unwrap()
                .accounts
                .is_empty()
        );
    }
}
