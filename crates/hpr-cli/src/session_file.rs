//! The `hpr step --state FILE` session file: read at the start of a step, replaced atomically
//! (mode 0600) only when the step succeeded.
//!
//! The file is the serialized [`RegistrationSession`] (pretty JSON with a format `version`). It
//! holds the transaction id, the stage, the mobile given for communication and the demographics
//! for create — never an OTP, the password, a token or the full Aadhaar number — but it is still
//! personal data, hence 0600.
//!
//! Writing goes through a [`PendingWrite`] made *before* the step is sent: a temporary file in
//! the same folder, created with mode 0600. A folder that is missing or not writable is thus found
//! before the registry sends an OTP or creates an ID, and a step that fails (or is interrupted)
//! drops the temporary file and leaves the old session untouched.

use std::fs::Permissions;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use abdm_hpr::flow::RegistrationSession;
use tempfile::NamedTempFile;

use crate::serde_msg::without_values;

/// Reads the session in `path`; `Ok(None)` when there is no such file.
///
/// Every other problem (unreadable, not JSON, not a session, an unsupported format version) is
/// an error naming the file. The message never quotes the file's content.
pub fn load(path: &Path) -> Result<Option<RegistrationSession>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the state file {}: {e}",
                path.display()
            ));
        }
    };
    let bad = |why: String| {
        format!(
            "the state file {} is not a readable hpr session: {why}",
            path.display()
        )
    };
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let session: RegistrationSession = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let why = without_values(&e.into_inner().to_string());
        bad(if at == "." {
            why
        } else {
            format!("{why} (at `{at}`)")
        })
    })?;
    de.end().map_err(|e| bad(e.to_string()))?;
    Ok(Some(session))
}

/// A replacement for the session file, prepared before the step runs; dropped without
/// [`commit`](Self::commit), it leaves the old file as it was.
#[derive(Debug)]
pub struct PendingWrite {
    temp: NamedTempFile,
    path: PathBuf,
}

impl PendingWrite {
    /// Creates the temporary file (mode 0600) next to `path`.
    pub fn prepare(path: &Path) -> Result<Self, String> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| format!("the state file {} is not a file name", path.display()))?;
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(Permissions::from_mode(0o600));
        }
        let temp = builder.tempfile_in(dir).map_err(|e| {
            format!(
                "cannot write the state file {} (in folder {}): {e}",
                path.display(),
                dir.display()
            )
        })?;
        Ok(Self {
            temp,
            path: path.to_owned(),
        })
    }

    /// Writes `session`, syncs it to disk and renames it over the session file.
    pub fn commit(mut self, session: &RegistrationSession) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| {
            format!("cannot write the state file {}: {e}", self.path.display())
        };
        let mut json = serde_json::to_vec_pretty(session).map_err(|e| fail(&e))?;
        json.push(b'\n');
        let file = self.temp.as_file_mut();
        file.write_all(&json).map_err(|e| fail(&e))?;
        file.sync_all().map_err(|e| fail(&e))?;
        let path = self.path.clone();
        self.temp.persist(&path).map_err(|e| fail(&e.error))?;
        // the rename itself is durable only once the folder is synced; best effort
        #[cfg(unix)]
        if let Some(dir) = path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_none_and_a_round_trip_keeps_the_session() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        assert!(load(&path).unwrap().is_none());
        let session = RegistrationSession::new();
        PendingWrite::prepare(&path)
            .unwrap()
            .commit(&session)
            .unwrap();
        assert_eq!(load(&path).unwrap(), Some(session));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // only the session file is left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_dropped_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, "old").unwrap();
        drop(PendingWrite::prepare(&path).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn bad_files_are_named_without_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        for content in [
            "",
            "{not json",
            r#"{"version":"9876543210"}"#,
            r#"{"version":99}"#,
        ] {
            std::fs::write(&path, content).unwrap();
            let err = load(&path).unwrap_err();
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(!err.contains("9876543210"), "{err}");
        }
        std::fs::write(&path, r#"{"version":99}"#).unwrap();
        assert!(load(&path).unwrap_err().contains("version 99"));
    }

    #[test]
    fn a_missing_folder_fails_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let err = PendingWrite::prepare(&dir.path().join("nope/s.json")).unwrap_err();
        assert!(err.contains("nope"), "{err}");
    }
}
