//! `--state FILE`: identities and accounts survive restarts. Writes are atomic (a temporary file
//! in the same directory, synced, then renamed over the old one) and happen off the request path.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use abdm_hpr::types::scrub::serde_message;
use tokio::sync::watch;

use crate::error::Error;
use crate::state::{SNAPSHOT_VERSION, Snapshot};

/// Reads a state file; a missing file is an empty state.
///
/// Errors name the file and, for a corrupt one, the JSON position, but never the values in it
/// (they are Aadhaar numbers and names).
pub fn load(path: &Path) -> Result<Snapshot, Error> {
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
#[allow(clippy::unwrap_used, clippy::expect_used)]
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

    #[test]
    fn a_corrupt_file_is_named_without_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(
            &path,
            r#"{"version": 1, "identities": [{"aadhaar": 234123412346}], "accounts": []}"#,
        )
        .unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, Error::StateCorrupt { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("state.json"), "{text}");
        assert!(!text.contains("234123412346"), "{text}");

        std::fs::write(&path, r#"{"version": 7, "identities": [], "accounts": []}"#).unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            matches!(
                err,
                Error::StateTooNew {
                    found: 7,
                    supported: SNAPSHOT_VERSION,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
