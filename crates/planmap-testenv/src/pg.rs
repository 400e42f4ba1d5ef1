//! [`PgCluster`]: a throwaway PostgreSQL cluster for a test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use crate::port::free_port;

/// Where Debian puts each major version's server binaries.
const PG_LIB: &str = "/usr/lib/postgresql";

/// A PostgreSQL cluster `initdb`'d in a temp dir, listening on 127.0.0.1 only (and a Unix
/// socket in that dir), trust authentication, superuser `postgres`. Started by
/// [`PgCluster::start`]; stopped and its files removed on drop. As root (CI, the dev
/// machines) the server runs as the `postgres` user, which `initdb` requires.
pub struct PgCluster {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    as_root: bool,
    running: bool,
}

impl PgCluster {
    /// Creates and starts a cluster. Its error says what is missing or what the server's log
    /// said, for a test to fail with (the packages are `make deps`'s to install).
    pub fn start() -> Result<PgCluster, String> {
        let bin = pg_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("planmap-pg-")
            .tempdir()
            .map_err(|e| format!("temp dir for the PostgreSQL cluster: {e}"))?;
        let as_root = unsafe { libc::geteuid() } == 0;
        if as_root {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("chown {} to postgres: {e}", dir.path().display()))?;
        }
        let port = free_port()?;
        let mut c = PgCluster {
            dir,
            bin,
            port,
            as_root,
            running: false,
        };
        let data = c.data_dir();
        c.server_cmd(
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        // A test's cluster: nothing here must survive a crash of the machine.
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\njit = off\n\
             max_connections = 100\nshared_buffers = 32MB\n",
            c.dir.path().display()
        );
        append(&data.join("postgresql.conf"), &conf)?;
        c.start_server()?;
        Ok(c)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `postgres://` URL of database `db` as the superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `db` (an identifier of letters, digits and `_`), without PostGIS:
    /// `planmap db init` is the one to create the extension.
    pub fn create_database(&self, db: &str) -> Result<(), String> {
        if db.is_empty() || !db.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("database name {db:?}: letters, digits and _ only"));
        }
        self.psql("postgres", &format!("CREATE DATABASE {db}"))
            .map(|_| ())
    }

    /// Runs `sql` in database `db` with `psql` (stops at the first error) and returns what it
    /// printed, unaligned and tuples only (`-At`: one row a line, columns split by `|`).
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db])
            .args(["-c", sql])
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "psql {sql:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    }

    /// Stops the server (fast shutdown: connections are closed), keeping its data: a test of
    /// what planmap does while the database is away.
    pub fn stop(&mut self) -> Result<(), String> {
        if self.running {
            let data = self.data_dir();
            self.server_cmd(
                "pg_ctl",
                &["-D", path_str(&data)?, "-m", "fast", "-w", "stop"],
            )?;
            self.running = false;
        }
        Ok(())
    }

    /// Starts the server again after [`PgCluster::stop`], on the same port.
    pub fn start_server(&mut self) -> Result<(), String> {
        if self.running {
            return Ok(());
        }
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        let started = self.server_cmd(
            "pg_ctl",
            &[
                "-D",
                path_str(&data)?,
                "-l",
                path_str(&log)?,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        if let Err(e) = started {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            return Err(format!("{e}; server log: {}", tail.join(" / ")));
        }
        self.running = true;
        Ok(())
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the server's programs, as `postgres` when we are root.
    fn server_cmd(&self, program: &str, args: &[&str]) -> Result<Output, String> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{program} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(out)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running {
            // Immediate: a test is over, nothing of the cluster is kept.
            let data = self.data_dir();
            if let Some(d) = data.to_str() {
                let _ = self.server_cmd("pg_ctl", &["-D", d, "-m", "immediate", "-w", "stop"]);
            }
        }
    }
}

/// The newest `/usr/lib/postgresql/*/bin` that has `initdb`, or `PLANMAP_PG_BIN`.
fn pg_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("PLANMAP_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let missing = || {
        format!(
            "PostgreSQL's initdb not found under {PG_LIB}/*/bin (make deps installs the Debian \
             packages postgresql and postgresql-postgis; PLANMAP_PG_BIN names another folder)"
        )
    };
    let entries = std::fs::read_dir(PG_LIB).map_err(|_| missing())?;
    let mut found: Vec<(u32, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b).ok_or_else(missing)
}

/// The `postgres` user's uid and gid (the Debian package creates it).
fn postgres_user() -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|e| format!("id {flag} postgres: {e}"))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| "no postgres user (the Debian package postgresql creates it)".to_string())
    };
    Ok((id("-u")?, id("-g")?))
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("{} is not UTF-8", p.display()))
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}
