//! [`Nginx`]: Debian's nginx as the load balancer in front of a test's replicas.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::port::free_port;

/// Where Debian puts nginx (`NGINX` names another).
const NGINX: &str = "/usr/sbin/nginx";

/// How requests are spread over the upstreams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balance {
    /// The deployment's: `hash $plan consistent`, the plan taken from `/plans/{id}/…` (every
    /// other URL is the default plan's), so one plan's snapshot and tile cache stay warm on
    /// one replica.
    PlanHash,
    /// nginx's default round robin: every request to the next upstream (a test that wants
    /// one plan's requests spread over the replicas).
    RoundRobin,
}

/// nginx on a free loopback port proxying to `upstreams` (`host:port` each), as README's
/// "Serving many counties" deploys it: passive health checks (`max_fails=2
/// fail_timeout=5s`), an idempotent request passed to the next replica on a connection
/// error, a timeout or a 503 (`proxy_next_upstream error timeout http_503`); a check, a batch
/// or a keeper's change (POST/PUT) only on a connection error before it was sent — never
/// resent after (its client retries with its `check_key`). Every answer carries
/// `X-Upstream: host:port` (the replica that answered). Runs in the foreground (`daemon
/// off`) under a temp dir; stopped (SIGTERM, then SIGKILL) and removed on drop.
pub struct Nginx {
    child: Child,
    dir: TempDir,
    port: u16,
}

impl Nginx {
    /// Writes the configuration and starts nginx; returns once it accepts connections.
    pub fn start(upstreams: &[String], balance: Balance) -> Result<Nginx, String> {
        if upstreams.is_empty() {
            return Err("nginx: no upstream".into());
        }
        let exe = std::env::var_os("NGINX")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(NGINX));
        let dir = tempfile::Builder::new()
            .prefix("planmap-nginx-")
            .tempdir()
            .map_err(|e| format!("temp dir for nginx: {e}"))?;
        let port = free_port()?;
        let conf = config(dir.path(), port, upstreams, balance);
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, conf).map_err(|e| format!("{}: {e}", file.display()))?;
        let error_log = dir.path().join("error.log");
        let child = Command::new(&exe)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&file)
            .arg("-e")
            .arg(&error_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "{}: {e} (make deps installs the Debian package nginx)",
                    exe.display()
                )
            })?;
        let mut n = Nginx { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = n.child.try_wait() {
                return Err(format!("nginx exited ({status}): {}", n.error_log()));
            }
            if TcpStream::connect(("127.0.0.1", n.port)).is_ok() {
                return Ok(n);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "nginx did not listen within 20 s: {}",
                    n.error_log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// nginx's access log: one line a request, `"METHOD /path HTTP/1.1" status upstream`.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    /// nginx's error log (what it said about upstreams that failed).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers; SIGKILL if it has not within 5 s.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration: one `planmap` upstream, one server on `port`.
fn config(dir: &Path, port: u16, upstreams: &[String], balance: Balance) -> String {
    let d = dir.display();
    let mut servers = String::new();
    for u in upstreams {
        servers.push_str(&format!("    server {u} max_fails=2 fail_timeout=5s;\n"));
    }
    let hash = match balance {
        Balance::PlanHash => "    hash $plan consistent;\n",
        Balance::RoundRobin => "",
    };
    // Bodies and answers stay in memory (no temp files for nginx's workers to write).
    let proxy = "proxy_pass http://planmap;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
      proxy_next_upstream_tries 2;
      proxy_max_temp_file_size 0;
      add_header X-Upstream $upstream_addr always;";
    format!(
        "daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$remote_addr \"$request\" $status $upstream_addr $upstream_status';
  access_log {d}/access.log upstream;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  client_max_body_size 20m;
  client_body_buffer_size 20m;
  map $uri $plan {{
    ~^/plans/(?<p>[^/]+)/ $p;
    default default;
  }}
  upstream planmap {{
{hash}{servers}    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    # Checks, batches and the keeper's changes: not idempotent, never resent once sent.
    location ~ ^(/plans/[^/]+)?/api/(check|admin)(/|$) {{
      {proxy}
      proxy_next_upstream error timeout;
    }}
    location / {{
      {proxy}
      proxy_next_upstream error timeout http_503;
    }}
  }}
}}
"
    )
}
