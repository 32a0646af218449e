//! A Python virtualenv under `target/` for tests that run published Python tools (the
//! `carestack` client, `openapi-spec-validator`, `schemathesis`), installed from PyPI on first
//! use and reused after; plus bounded child processes. Shared by the test crates with
//! `#[path = "…/hpr-sandbox/tests/support/python_venv.rs"] mod python_venv;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "setup_lock.rs"]
mod setup_lock;

use std::fs;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use setup_lock::SetupLock;

/// Creating the venv may take this long.
pub const VENV_LIMIT: Duration = Duration::from_secs(120);
/// `pip install` may take this long.
pub const PIP_LIMIT: Duration = Duration::from_secs(600);
/// A quick probe (`python -c …`) may take this long.
pub const PROBE_LIMIT: Duration = Duration::from_secs(60);

/// The venv `<CARGO_TARGET_TMPDIR>/<name>` of the test crate that includes this file.
pub fn venv_dir(target_tmpdir: &str, name: &str) -> PathBuf {
    Path::new(target_tmpdir).join(name)
}

/// The venv's python.
pub fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// A command installed in the venv beside its python.
pub fn bin(python: &Path, name: &str) -> PathBuf {
    python.with_file_name(name)
}

/// Keeps Python deterministic and away from stray configuration.
pub fn python_env(cmd: &mut Command) {
    cmd.env("PYTHON_DOTENV_DISABLED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PIP_NO_INPUT", "1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONSTARTUP")
        .env_remove("VIRTUAL_ENV");
}

/// The venv's python once `ready(python)` holds: if it does not, (re)creates the venv when
/// its python does not run and `pip install`s `packages`. One test process at a time sets up.
pub fn ensure(venv: &Path, packages: &[&str], ready: impl Fn(&Path) -> bool) -> PathBuf {
    let python = venv_python(venv);
    let _lock = SetupLock::acquire(&venv.with_extension("lock"), Duration::from_secs(15 * 60));
    if ready(&python) {
        return python;
    }
    if !python_runs(&python) {
        create_venv(venv, packages);
    }
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "-q"]).args(packages);
    python_env(&mut pip);
    let out = run_bounded(pip, PIP_LIMIT).unwrap_or_else(|e| panic!("cannot run pip: {e}"));
    assert!(
        out.status.is_some_and(|s| s.success()),
        "pip install {packages:?} into {} failed (status {:?}, {:.0} s):\n{}\n{}",
        venv.display(),
        out.status,
        out.elapsed.as_secs_f64(),
        out.stdout.trim_end(),
        out.stderr.trim_end()
    );
    assert!(
        ready(&python),
        "after pip install, {packages:?} are not usable in {}",
        venv.display()
    );
    python
}

/// Whether `python -c code` exits 0; its stdout.
pub fn probe(python: &Path, code: &str) -> Option<String> {
    if !python.exists() {
        return None;
    }
    let mut probe = Command::new(python);
    probe.args(["-c", code]);
    python_env(&mut probe);
    run_bounded(probe, PROBE_LIMIT)
        .ok()
        .filter(|o| o.status.is_some_and(|s| s.success()))
        .map(|o| o.stdout)
}

fn python_runs(python: &Path) -> bool {
    probe(python, "import sys; print(sys.version_info[0])").is_some_and(|out| out.trim() == "3")
}

/// Creates (or recreates, if broken) the venv with the system `python3`.
fn create_venv(venv: &Path, packages: &[&str]) {
    if venv.exists() {
        fs::remove_dir_all(venv)
            .unwrap_or_else(|e| panic!("cannot remove the broken venv {}: {e}", venv.display()));
    }
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "venv"]).arg(venv);
    python_env(&mut cmd);
    let out = match run_bounded(cmd, VENV_LIMIT) {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "python3 was not found on PATH. This test needs Python >= 3.9 with the venv module \
             (Debian/Ubuntu: apt-get install python3 python3-venv) and access to PyPI; it \
             installs {packages:?} into {} itself.",
            venv.display()
        ),
        Err(e) => panic!("cannot run python3: {e}"),
    };
    assert!(
        out.status.is_some_and(|s| s.success()),
        "`python3 -m venv {}` failed (status {:?}); on Debian/Ubuntu install python3-venv.\n{}\n{}",
        venv.display(),
        out.status,
        out.stdout.trim_end(),
        out.stderr.trim_end()
    );
}

/// What a bounded child process printed.
pub struct Output {
    /// `None` when the process was killed at the time limit.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs `cmd` with stdin closed, collecting its output; kills it after `limit`.
pub fn run_bounded(mut cmd: Command, limit: Duration) -> std::io::Result<Output> {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let collect = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = collect(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = collect(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed: started.elapsed(),
    })
}
