//! `planmap serve`: the options of the HTTP server.

use std::path::PathBuf;

use clap::Args;
use planmap_io::sandbox::{Limits, Sandbox, SandboxSettings};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the URL printed says which).
    #[arg(long, env = "PLANMAP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// A folder of the web front end to serve instead of the one built into this binary
    /// (for development: `web/dist` after `npm run build`).
    #[arg(long, env = "PLANMAP_WEB")]
    pub web: Option<PathBuf>,
    /// Origins allowed by CORS, comma-separated: `*` for any, `none` for none.
    #[arg(long, env = "PLANMAP_CORS", default_value = "*")]
    pub cors: String,
    /// Largest request body accepted, bytes (larger: 413).
    #[arg(long, env = "PLANMAP_BODY_LIMIT", default_value_t = 10 * 1024 * 1024)]
    pub body_limit: usize,
    /// Most vertices a checked site may have (more: 422).
    #[arg(long, env = "PLANMAP_MAX_VERTICES", default_value_t = 100_000)]
    pub max_vertices: usize,
    /// Most parts (polygons) a checked site may have (more: 422).
    #[arg(long, env = "PLANMAP_MAX_PARTS", default_value_t = 1_000)]
    pub max_parts: usize,
    /// Most features (parcels, placemarks) an uploaded site file may hold (more: 422).
    #[arg(long, env = "PLANMAP_MAX_UPLOAD_FEATURES", default_value_t = 10_000)]
    pub max_upload_features: usize,
    /// Most MiB an uploaded zip may unpack to, all entries together (more: 422).
    #[arg(long, env = "PLANMAP_MAX_ZIP_MB", default_value_t = 200)]
    pub max_zip_mb: u64,
    /// Longest a request may take, seconds, reading its body included (longer: 503).
    #[arg(long, env = "PLANMAP_REQUEST_TIMEOUT", default_value_t = 60.0)]
    pub request_timeout: f64,
    /// Seconds a client has to send a request's head (request line and headers), from the
    /// connection's start or the request's first byte; then the connection is closed.
    #[arg(long, env = "PLANMAP_HEADER_TIMEOUT", default_value_t = 10.0)]
    pub header_timeout: f64,
    /// Seconds a keep-alive connection may stay idle between requests (or its answer stall
    /// unread) before it is closed.
    #[arg(long, env = "PLANMAP_IDLE_TIMEOUT", default_value_t = 30.0)]
    pub idle_timeout: f64,
    /// Most connections open at once (at most what the open-file limit allows). One more
    /// closes the oldest connection that is not mid-request; if all are, it waits.
    #[arg(long, env = "PLANMAP_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Seconds given, after SIGTERM or Ctrl-C, to requests in flight (their work is
    /// cancelled and they are answered 503) before the process exits regardless.
    #[arg(long, env = "PLANMAP_SHUTDOWN_GRACE", default_value_t = 10.0)]
    pub shutdown_grace: f64,
    /// The server's public URL (e.g. https://maps.example.org/planmap): the base of absolute
    /// URLs in style.json, TileJSON and OGC links. Default: the listening address.
    #[arg(long, env = "PLANMAP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Behind a reverse proxy that sets X-Forwarded-Host and X-Forwarded-Proto: take the
    /// public host and scheme from them (the Host header itself is never used).
    #[arg(long, env = "PLANMAP_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Heavy requests (checks, uploads, imports, report images) computed at once; more wait
    /// up to --heavy-wait seconds for a slot, then get 503 with Retry-After
    /// (default: twice the CPU count).
    #[arg(long, env = "PLANMAP_MAX_HEAVY")]
    pub max_heavy: Option<usize>,
    /// Seconds a heavy request waits for a slot.
    #[arg(long, env = "PLANMAP_HEAVY_WAIT", default_value_t = 5.0)]
    pub heavy_wait: f64,
    /// Folders searched for the fonts of label glyphs, colon-separated.
    #[arg(
        long,
        env = "PLANMAP_FONTS",
        default_value = "/usr/share/fonts",
        value_delimiter = ':'
    )]
    pub fonts: Vec<PathBuf>,
    /// Memory for cached vector tiles, MiB.
    #[arg(long, env = "PLANMAP_TILE_CACHE_MB", default_value_t = 256)]
    pub tile_cache_mb: u64,
    /// With a catalog (a folder of plan folders): the plan the root URLs mean (default: the
    /// first plan id in sort order).
    #[arg(long, env = "PLANMAP_DEFAULT_PLAN", value_name = "ID")]
    pub default_plan: Option<String>,
    /// The memory the loaded plans may hold together (engines and tile caches), e.g. `2GB`,
    /// `512MB`: beyond it the least recently used plans are unloaded (loaded again on their
    /// next request). Default: no limit.
    #[arg(long, env = "PLANMAP_MAX_MEMORY", value_name = "SIZE", value_parser = memory_size)]
    pub max_memory: Option<u64>,
    /// A file holding the data keeper's token (≥ 16 characters), needed by layer import,
    /// reload and the check history. Without it (or PLANMAP_ADMIN_TOKEN) those are disabled.
    #[arg(long, env = "PLANMAP_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// The check history: an SQLite file recording every check (created if missing; a file
    /// that cannot be opened stops the start). Default: `history.sqlite` beside the plan
    /// folder (`data/history.sqlite` for `data/wenshui`).
    #[arg(long, env = "PLANMAP_HISTORY", value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Record no checks (and turn the history endpoints off).
    #[arg(long, conflicts_with = "history")]
    pub no_history: bool,
    /// The PostgreSQL store, `postgres://USER@HOST:PORT/DB` (initialised by `planmap db
    /// init`): the check history is its table planmap.checks, one for every replica (no
    /// SQLite file; --history is refused). A database that does not answer stops the start
    /// (unless --db-wait).
    #[arg(
        long,
        env = "PLANMAP_DB",
        value_name = "URL",
        conflicts_with = "history"
    )]
    pub db: Option<String>,
    /// Connections to the store this server holds at most.
    #[arg(long, env = "PLANMAP_DB_POOL", value_name = "N", default_value_t = 16)]
    pub db_pool: usize,
    /// Seconds the start waits for the store while it is away or not yet initialised (a
    /// database starting beside the replicas); 0: a database that does not answer stops the
    /// start at once.
    #[arg(
        long,
        env = "PLANMAP_DB_WAIT",
        value_name = "SECS",
        default_value_t = 0,
        requires = "db"
    )]
    pub db_wait: u64,
    /// The program that reads uploaded files needing GDAL, each in a process of its own: a
    /// `planmap` binary of this version (default: this one).
    #[arg(long, env = "PLANMAP_READER", value_name = "PROGRAM")]
    pub reader: Option<PathBuf>,
    /// CPU seconds the reader of one uploaded file may use (more: 413 naming the limit).
    #[arg(long, env = "PLANMAP_READER_CPU_SECONDS", default_value_t = Limits::default().cpu_seconds)]
    pub reader_cpu_seconds: u64,
    /// Memory (address space, MiB) the reader of one uploaded file may use (more: 413).
    #[arg(long, env = "PLANMAP_READER_MEMORY_MB", default_value_t = Limits::default().memory_mib)]
    pub reader_memory_mb: u64,
    #[command(flatten)]
    pub basemap: crate::basemap_args::BasemapArgs,
}

/// A memory size: bytes, or a number with KB, MB, GB (powers of 1024; `K`, `M`, `G`, `KiB`… too).
fn memory_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 2GB, 512MB)"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("'{s}': unknown unit (use B, KB, MB, GB or TB)")),
    };
    let bytes = n * (1u64 << shift) as f64;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!("'{s}' is not a size above 0"));
    }
    Ok(bytes as u64)
}

/// `history.sqlite` beside the plan folder.
fn default_history(data: &std::path::Path) -> PathBuf {
    let abs = std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf());
    abs.parent().unwrap_or(&abs).join("history.sqlite")
}

/// The token from `--admin-token-file`, else from the environment's `PLANMAP_ADMIN_TOKEN`
/// (never a command-line value: other users can read a process's arguments).
fn admin_token(file: Option<&PathBuf>) -> Result<Option<planmap_server::AdminToken>, String> {
    let text = match file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .map_err(|e| format!("--admin-token-file {}: {e}", f.display()))?,
        ),
        None => std::env::var("PLANMAP_ADMIN_TOKEN").ok(),
    };
    text.map(|t| planmap_server::AdminToken::new(&t))
        .transpose()
}

fn seconds(option: &str, s: f64, zero_ok: bool) -> Result<std::time::Duration, String> {
    std::time::Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| (zero_ok || !d.is_zero()) && d.as_secs() < 86_400)
        .ok_or_else(|| format!("{option} {s}: expected seconds between 0 and 86400"))
}

impl ServeArgs {
    /// Runs the server until it is stopped.
    /// Whether a database is given (then, without `--data`, the plans are its plans).
    pub fn plans_in_db(&self) -> bool {
        self.db.is_some()
    }

    /// Serves the plan folder (or folder of plan folders) `data`; `None`: the plans of the
    /// database (`--db`).
    pub fn run(self, data: Option<PathBuf>) -> Result<(), String> {
        let plans_in_db = data.is_none();
        let mut config = planmap_server::Config::new(data.unwrap_or_default());
        config.plans_in_db = plans_in_db;
        config.default_plan = self.default_plan;
        config.max_memory = self.max_memory;
        if self.web.is_none() && !planmap_server::routes::assets::has_built_in() {
            eprintln!(
                "planmap: warning: {}; serving the API only",
                planmap_server::routes::assets::NO_WEB_APP
            );
        }
        config.web_dir = self.web;
        config.cors_origins = match self.cors.trim() {
            "none" | "" => vec![],
            list => list.split(',').map(|o| o.trim().to_string()).collect(),
        };
        config.body_limit = self.body_limit;
        config.max_vertices = self.max_vertices;
        config.max_parts = self.max_parts;
        config.upload_limits.max_features = self.max_upload_features;
        config.upload_limits.max_zip_expanded_bytes = self.max_zip_mb * 1024 * 1024;
        config.upload_limits.max_zip_entry_bytes = config
            .upload_limits
            .max_zip_entry_bytes
            .min(config.upload_limits.max_zip_expanded_bytes);
        config.request_timeout = seconds("--request-timeout", self.request_timeout, false)?;
        config.heavy_wait = seconds("--heavy-wait", self.heavy_wait, true)?;
        config.header_timeout = seconds("--header-timeout", self.header_timeout, false)?;
        config.idle_timeout = seconds("--idle-timeout", self.idle_timeout, false)?;
        config.shutdown_grace = seconds("--shutdown-grace", self.shutdown_grace, true)?;
        config.max_connections = self.max_connections.max(1);
        config.public_url = self
            .public_url
            .as_deref()
            .map(planmap_server::http::UrlPolicy::check_public)
            .transpose()
            .map_err(|e| format!("--public-url: {e}"))?;
        config.trust_proxy = self.trust_proxy;
        if let Some(n) = self.max_heavy {
            config.max_heavy = n.max(1);
        }
        config.font_dirs = self.fonts;
        config.basemap = self.basemap.basemap()?;
        config.tile_cache_bytes = self.tile_cache_mb * 1024 * 1024;
        config.admin_token = admin_token(self.admin_token_file.as_ref())?;
        config.history_db = match (self.no_history, self.history, &self.db) {
            (true, _, _) | (false, None, Some(_)) => None,
            (false, Some(f), _) => Some(f),
            (false, None, None) => Some(default_history(&config.data_dir)),
        };
        config.db_history = !self.no_history;
        config.db_url = self.db;
        config.db_pool = self.db_pool.max(1);
        config.db_wait = std::time::Duration::from_secs(self.db_wait);
        let mut reader = match self.reader {
            Some(p) => SandboxSettings::new(p),
            None => SandboxSettings::current_exe(),
        };
        reader.limits = Limits {
            cpu_seconds: self.reader_cpu_seconds.max(1),
            memory_mib: self.reader_memory_mb.max(1),
        };
        config.reader = Sandbox::new(reader);
        // Idle readers started now; a --reader that is not planmap (or limits it cannot start
        // within) stops the start.
        config
            .reader
            .warm()
            .map_err(|e| format!("the reader of uploaded files: {e}"))?;
        planmap_server::serve_blocking(&self.addr, config)
    }
}

#[cfg(test)]
mod tests {
    use super::memory_size;

    #[test]
    fn memory_sizes_read_in_powers_of_1024() {
        assert_eq!(memory_size("2GB"), Ok(2 << 30));
        assert_eq!(memory_size("512 MB"), Ok(512 << 20));
        assert_eq!(memory_size("1.5g"), Ok(3 << 29));
        assert_eq!(memory_size("4096"), Ok(4096));
        assert!(memory_size("0").is_err());
        assert!(memory_size("2 parsecs").unwrap_err().contains("unit"));
        assert!(memory_size("lots").is_err());
    }
}
