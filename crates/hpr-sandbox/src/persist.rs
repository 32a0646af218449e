//! `--state FILE`: identities and accounts survive restarts. Writes are atomic (a temporary file
//! in the same directory, synced, then renamed over the old one) and happen off the request path.

use std::io::Write as _;
use std::path::{Path, PathBuf};

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

/// Writes every new snapshot (the latest one wins if several arrive while writing) until the
/// sender is dropped, then returns.
pub(crate) async fn writer(path: PathBuf, mut snapshots: watch::Receiver<Snapshot>) {
    while snapshots.changed().await.is_ok() {
        let snapshot = snapshots.borrow_and_update().clone();
        let path = path.clone();
        let result = tokio::task::spawn_blocking(move || save(&path, &snapshot)).await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "could not write the state file"),
            Err(e) => tracing::error!(error = %e, "state writer task failed"),
        }
    }
}
