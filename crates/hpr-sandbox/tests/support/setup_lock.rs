//! A lock shared by the test helpers that install tools under `target/` (the Python virtualenvs
//! of `python_venv.rs`, axe-core for the browser tests), so parallel test binaries install once.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A lock this old was left by a killed process.
const LOCK_STALE: Duration = Duration::from_secs(20 * 60);

/// A directory lock so that concurrent test processes do not set up the same tool (a Python
/// virtualenv, an npm folder) at the same time; removed on drop. A lock older than
/// [`LOCK_STALE`] is taken to be left by a killed process and broken.
pub struct SetupLock(PathBuf);

impl SetupLock {
    /// Takes the lock at `path`, waiting at most `wait` for another process to release it.
    pub fn acquire(path: &Path, wait: Duration) -> SetupLock {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        let started = Instant::now();
        loop {
            match fs::create_dir(path) {
                Ok(()) => return SetupLock(path.to_owned()),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > LOCK_STALE);
                    if stale {
                        let _ = fs::remove_dir(path);
                        continue;
                    }
                    assert!(
                        started.elapsed() <= wait,
                        "waited {wait:?} for the setup lock {}; remove it if no test is running",
                        path.display()
                    );
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => panic!("cannot create the setup lock {}: {e}", path.display()),
            }
        }
    }
}

impl Drop for SetupLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}
