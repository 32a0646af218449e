//! A throwaway Postgres cluster for tests: `initdb` in a temporary folder, `pg_ctl start` on a
//! free loopback port (and a Unix socket in the same folder), `pg_ctl stop -m immediate` on
//! drop. Shared by `hpr-server`'s and `hpr-cli`'s tests (the latter includes this file with
//! `#[path]`), so it uses only `std` and `tempfile`.
//!
//! The Postgres binaries come from `PATH` or Debian's `/usr/lib/postgresql/*/bin`. Without
//! them, [`PgCluster::start`] panics with how to install them, unless
//! `HPR_SKIP_POSTGRES_TESTS=1` is set: then it says so and returns `None` (the test skips).
//! As root, the cluster belongs to the `postgres` user (Postgres refuses to run as root);
//! otherwise to the current user.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable that turns a missing Postgres into a skip.
pub const SKIP_ENV: &str = "HPR_SKIP_POSTGRES_TESTS";

/// A running throwaway cluster; stopped (immediately) and deleted on drop.
pub struct PgCluster {
    bin: PathBuf,
    /// The folder: `data/` (the cluster), its log and the Unix socket.
    dir: tempfile::TempDir,
    /// The TCP port on 127.0.0.1 (also the socket's number).
    pub port: u16,
    as_postgres: bool,
    stopped: bool,
}

/// The folder holding `initdb` and `pg_ctl`, if any.
fn find_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("initdb"))
            .find(|p| p.is_file())
    });
    if let Some(initdb) = on_path {
        // /usr/local/bin/initdb may be a link into /usr/lib/postgresql/N/bin, where pg_ctl and
        // createdb live too
        let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        if let Some(dir) = real.parent()
            && dir.join("pg_ctl").is_file()
        {
            return Some(dir.to_owned());
        }
    }
    // Debian: /usr/lib/postgresql/<version>/bin, the newest version first
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    // no libc in these test crates: ask `id`
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PgCluster {
    /// Starts a fresh cluster, or `None` (after saying so) when Postgres is not installed and
    /// `HPR_SKIP_POSTGRES_TESTS=1`. Panics, saying how to install it, when it is missing
    /// otherwise.
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
                eprintln!(
                    "skipping: no Postgres binaries (initdb, pg_ctl) on PATH or in \
                     /usr/lib/postgresql/*/bin, and {SKIP_ENV}=1"
                );
                return None;
            }
            panic!(
                "the Postgres tests need the Postgres server binaries (initdb, pg_ctl) on PATH or \
                 in /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `sudo apt-get install \
                 postgresql`; macOS: `brew install postgresql`), or set {SKIP_ENV}=1 to skip these \
                 tests"
            );
        };
        let as_postgres = is_root();
        // under /tmp with mode 0755, so that the postgres user can reach it when we are root
        let dir = tempfile::Builder::new()
            .prefix("hpr-pg-")
            .tempdir_in("/tmp")
            .unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(
                status.success(),
                "chown postgres {} failed (is there a `postgres` user?)",
                dir.path().display()
            );
        }
        let mut cluster = Self {
            bin,
            dir,
            port: 0,
            as_postgres,
            stopped: true,
        };
        let data = cluster.data();
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // a port taken between our probe and the start fails the start: try a few
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off",
                cluster.dir.path().display()
            );
            let log = cluster.dir.path().join("postgres.log");
            let status = cluster
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-l"])
                .arg(&log)
                .args(["-w", "-t", "30", "start"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            if status.success() {
                cluster.port = port;
                cluster.stopped = false;
                return Some(cluster);
            }
            last = std::fs::read_to_string(&log).unwrap_or_default();
        }
        panic!("pg_ctl start failed five times; the log:\n{last}");
    }

    /// A command of the cluster's binaries, as the `postgres` user when we are root.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The folder holding the cluster's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The URL of database `name` over TCP on loopback.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The URL of the `postgres` database.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The URL of database `name` over the Unix socket (sqlx reads `postgres://user@/db?host=`
    /// as an empty host: the user goes in the query too).
    pub fn socket_url_of(&self, name: &str) -> String {
        format!(
            "postgres:///{name}?user=postgres&host={}&port={}",
            self.socket_dir().display(),
            self.port
        )
    }

    /// Creates a new, empty database and returns its URL (TCP on loopback).
    pub fn create_database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!("hpr_test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let out = self
            .command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg(&name)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url_of(&name)
    }

    /// Stops the cluster now (immediate mode: like a crash, nothing waits).
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "-t", "30", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.stop();
    }
}
