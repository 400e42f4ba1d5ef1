//! [`Replica`]: one `planmap serve` of a test, as a child process on a free loopback port.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

/// A running `planmap [--data DATA] serve --addr 127.0.0.1:0 ARGS…`, its stderr in a log file;
/// SIGKILLed on drop (or by [`Replica::kill`], the fault tests' crash).
pub struct Replica {
    child: Child,
    url: String,
    dir: TempDir,
}

impl Replica {
    /// Starts `program` (a `planmap` binary) serving the plan folder `data` (`None`: the
    /// plans of the database its `--db URL` names) with `args` and `envs`; returns once it printed the URL it listens on. The error
    /// holds what it wrote to stderr when it stopped instead.
    pub fn start(
        program: &Path,
        data: Option<&Path>,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Result<Replica, String> {
        let dir = tempfile::Builder::new()
            .prefix("planmap-replica-")
            .tempdir()
            .map_err(|e| format!("temp dir for a replica: {e}"))?;
        let log_path = dir.path().join("stderr.log");
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let mut command = Command::new(program);
        if let Some(data) = data {
            command.arg("--data").arg(data);
        }
        let mut child = command
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        // The first line names the URL; the rest is read and dropped, so the pipe never fills.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let line = rx.recv_timeout(Duration::from_secs(120));
        let url = match line {
            Ok(Some(Ok(l))) => l
                .split_whitespace()
                .find(|w| w.starts_with("http://127.0.0.1:"))
                .map(|u| u.trim_end_matches('/').to_string()),
            _ => None,
        };
        let mut r = Replica {
            child,
            url: String::new(),
            dir,
        };
        match url {
            Some(u) => {
                r.url = u;
                Ok(r)
            }
            None => {
                let _ = r.child.kill();
                let _ = r.child.wait();
                Err(format!(
                    "planmap serve did not start; its stderr:\n{}",
                    r.log().trim()
                ))
            }
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `127.0.0.1:PORT`, as nginx names it in an upstream.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running (it has not exited nor crashed).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What it wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}
