//! Shared state: the server's settings and its catalog of plans, each plan's loaded data a
//! swappable [`Snapshot`].

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use planmap_history::History;

use crate::resources::history_store::HistoryStore;

use crate::catalog::plans::Catalog;
use crate::resources::fonts::Fonts;
use crate::resources::gate::Gate;
use crate::resources::shutdown::Shutdown;
use crate::resources::token::AdminToken;
pub use crate::snapshot::Snapshot;

/// Settings of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The plan folder (`data/wenshui`), or a folder of plan folders (`data/region`).
    pub data_dir: PathBuf,
    /// The plan the root URLs mean (`--default-plan`); `None`: the first id in sort order.
    pub default_plan: Option<String>,
    /// The memory the loaded plans may hold together, bytes (`--max-memory`): beyond it the
    /// least recently used plans are evicted; `None`: no limit.
    pub max_memory: Option<u64>,
    /// The web front end's folder served at `/`; `None`: the app built into the binary.
    pub web_dir: Option<PathBuf>,
    /// Folders searched for the fonts glyphs are made from.
    pub font_dirs: Vec<PathBuf>,
    /// Largest request body accepted, bytes.
    pub body_limit: usize,
    /// Most vertices a site may have.
    pub max_vertices: usize,
    /// Most parts (polygons) a site may have.
    pub max_parts: usize,
    /// What an uploaded site file may hold: features, zip entries, unpacked bytes.
    pub upload_limits: planmap_io::UploadLimits,
    /// Longest a request may take, reading its body included; its work is stopped then.
    pub request_timeout: std::time::Duration,
    /// Longest a client may take to send a request's head (request line and headers),
    /// counted from the connection's start or the request's first byte; then it is closed.
    pub header_timeout: std::time::Duration,
    /// Longest a connection may stay idle between requests (or stall while its answer is
    /// written) before it is closed.
    pub idle_timeout: std::time::Duration,
    /// Most connections open at once. A new one beyond it closes the oldest connection that
    /// is not mid-request; if every one is, it waits in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM/Ctrl-C: how long requests in flight (their work cancelled, answered
    /// 503) may take to finish before the process exits regardless.
    pub shutdown_grace: std::time::Duration,
    /// The server's public URL (`https://maps.example.org/planmap`): the base of the
    /// absolute URLs in style.json, TileJSON and OGC documents.
    pub public_url: Option<String>,
    /// Take the public host and scheme from `X-Forwarded-Host`/`X-Forwarded-Proto` (only
    /// behind a proxy that sets them). Without this or `public_url`, absolute URLs name the
    /// listening address — never the request's `Host` header.
    pub trust_proxy: bool,
    /// Heavy requests (checks, uploads, imports, report images) computed at once.
    pub max_heavy: usize,
    /// How long a heavy request waits for a slot before a 503.
    pub heavy_wait: std::time::Duration,
    /// Origins allowed by CORS: `["*"]` for any, empty for none.
    pub cors_origins: Vec<String>,
    /// Memory given to the tile cache, bytes.
    pub tile_cache_bytes: u64,
    /// The data keeper's token; `None` disables the endpoints that need it.
    pub admin_token: Option<AdminToken>,
    /// The check history's SQLite file (created if missing); `None`: checks are not recorded
    /// and the history endpoints are off.
    pub history_db: Option<PathBuf>,
    /// Reads uploaded files that need GDAL in worker processes with limits
    /// ([`planmap_io::sandbox`]); by default the running executable is the worker program,
    /// so a program embedding the server must name the `planmap` binary.
    pub reader: planmap_io::sandbox::Sandbox,
    /// A basemap given on the command line (`--basemap`), in place of the manifest's.
    pub basemap: Option<planmap_core::plan::Basemap>,
    /// The PostgreSQL store (`--db postgres://…`): the check history is its `planmap.checks`
    /// (shared by every replica) instead of an SQLite file. `None`: no database.
    pub db_url: Option<String>,
    /// Connections to the store this server holds at most (`--db-pool`).
    pub db_pool: usize,
    /// How long the start waits for a store that is away or not initialised yet
    /// (`--db-wait`; zero: not at all).
    pub db_wait: std::time::Duration,
    /// With `db_url`: record checks in the store's history (`--no-history` turns it off).
    pub db_history: bool,
    /// With `db_url`: serve the plans of the database (`serve --db` without `--data`), each
    /// replica following their changes; else the plans of `data_dir`.
    pub plans_in_db: bool,
}

impl Config {
    /// Defaults for a plan folder: the built-in web app, fonts from `/usr/share/fonts`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            default_plan: None,
            max_memory: None,
            web_dir: None,
            font_dirs: vec![PathBuf::from("/usr/share/fonts")],
            body_limit: 10 * 1024 * 1024,
            max_vertices: 100_000,
            max_parts: 1_000,
            upload_limits: planmap_io::UploadLimits::default(),
            request_timeout: std::time::Duration::from_secs(60),
            header_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(30),
            max_connections: 10_000,
            shutdown_grace: std::time::Duration::from_secs(10),
            public_url: None,
            trust_proxy: false,
            max_heavy: 2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
            heavy_wait: std::time::Duration::from_secs(5),
            cors_origins: vec!["*".into()],
            tile_cache_bytes: 256 * 1024 * 1024,
            admin_token: None,
            history_db: None,
            reader: planmap_io::sandbox::Sandbox::default(),
            basemap: None,
            db_url: None,
            db_pool: planmap_pg::PoolOptions::default().size,
            db_wait: std::time::Duration::ZERO,
            db_history: true,
            plans_in_db: false,
        }
    }
}

struct Inner {
    config: Config,
    catalog: Catalog,
    fonts: Fonts,
    gate: Gate,
    history: Option<HistoryStore>,
    db: Option<planmap_pg::Db>,
    shutdown: Shutdown,
    /// `http://ADDR` of the listening socket, once bound.
    local_url: OnceLock<String>,
}

/// What every handler gets: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// The state over a catalog and an opened history (if the server keeps one).
    pub fn new(config: Config, catalog: Catalog, history: Option<History>) -> AppState {
        AppState::with_db(config, catalog, history.map(HistoryStore::Sqlite), None)
    }

    /// [`AppState::new`] with the store's pool (`--db`) and either history.
    pub fn with_db(
        config: Config,
        catalog: Catalog,
        history: Option<HistoryStore>,
        db: Option<planmap_pg::Db>,
    ) -> AppState {
        let fonts = Fonts::discover(&config.font_dirs);
        let gate = Gate::new(config.max_heavy, config.heavy_wait);
        AppState(Arc::new(Inner {
            catalog,
            config,
            fonts,
            gate,
            history,
            db,
            shutdown: Shutdown::default(),
            local_url: OnceLock::new(),
        }))
    }

    /// Opens the store (`--db`: its pool, pinged) and the check history of `config` (first:
    /// a database that does not answer or a bad history file fails fast), finds the
    /// catalog's plans and loads the default one (a plan folder that does not load fails
    /// here). The error names the database or file at fault. Call it off the async threads;
    /// with `--db`, from a thread of the tokio runtime the server runs on (`spawn_blocking`):
    /// the pool's connections and the history's writer live there.
    pub fn load(config: Config) -> Result<AppState, String> {
        let db = config
            .db_url
            .as_deref()
            .map(|url| open_db(url, config.db_pool, config.db_wait))
            .transpose()?;
        let history = match (&db, &config.history_db) {
            (_, Some(file)) => Some(HistoryStore::Sqlite(
                History::open(file).map_err(|e| e.to_string())?,
            )),
            (Some(db), None) if config.db_history => {
                let runtime = tokio::runtime::Handle::try_current()
                    .map_err(|_| "--db: the server is not on a tokio runtime".to_string())?;
                Some(HistoryStore::Pg(planmap_pg::PgHistory::start(
                    db.clone(),
                    &runtime,
                )))
            }
            _ => None,
        };
        let (default, tiles) = (config.default_plan.as_deref(), config.tile_cache_bytes);
        let (max_memory, basemap) = (config.max_memory, config.basemap.clone());
        let catalog = match &db {
            Some(db) if config.plans_in_db => {
                Catalog::open_db(db, default, tiles, max_memory, basemap)?
            }
            _ => Catalog::open(&config.data_dir, default, tiles, max_memory, basemap)?,
        };
        let default = catalog.default_plan();
        let basemap = config.basemap.as_ref();
        let snap = crate::catalog::source::load_snapshot(
            &default.source,
            &default.id,
            config.tile_cache_bytes,
            basemap,
        )
        .map_err(|e| format!("{}: {e}", default.describe()))?;
        default.slot.set(Arc::new(snap));
        Ok(AppState::with_db(config, catalog, history, db))
    }

    /// The store's pool, when the server runs with `--db`.
    pub fn db(&self) -> Option<&planmap_pg::Db> {
        self.0.db.as_ref()
    }

    /// The plans served.
    pub fn catalog(&self) -> &Catalog {
        &self.0.catalog
    }

    /// The default plan's snapshot when loaded (it is after [`AppState::load`], until a
    /// memory budget evicts it).
    pub fn default_snapshot(&self) -> Option<Arc<Snapshot>> {
        self.0.catalog.default_plan().slot.current()
    }

    /// The check history, when the server keeps one.
    pub fn history(&self) -> Option<&HistoryStore> {
        self.0.history.as_ref()
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn fonts(&self) -> &Fonts {
        &self.0.fonts
    }

    /// The slots of heavy requests.
    pub fn gate(&self) -> &Gate {
        &self.0.gate
    }

    /// The stop signal of the server.
    pub fn shutdown(&self) -> &Shutdown {
        &self.0.shutdown
    }

    /// Names the listening address (once: the first bound listener).
    /// An unspecified address (all interfaces) is named by the loopback one.
    pub fn set_local_addr(&self, mut addr: std::net::SocketAddr) {
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = self.0.local_url.set(format!("http://{addr}"));
    }

    /// `http://ADDR` of the listening socket (`http://localhost` before one is bound).
    pub fn local_url(&self) -> &str {
        self.0
            .local_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://localhost")
    }
}

/// The pool over `url`, after a ping: a database that does not answer, or has not been
/// initialised to this build's schema, stops the start (the error names it, never its
/// password). On the caller's tokio runtime, where the pool's connections live.
fn open_db(url: &str, pool: usize, wait: std::time::Duration) -> Result<planmap_pg::Db, String> {
    let cfg = planmap_pg::parse_url(url).map_err(|e| e.to_string())?;
    let options = planmap_pg::PoolOptions {
        size: pool.max(1),
        ..planmap_pg::PoolOptions::default()
    };
    let db = planmap_pg::Db::new(&cfg, options).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "--db: the server is not on a tokio runtime".to_string())?;
    let waiting = |e: &planmap_pg::PgError| {
        tracing::warn!(
            "waiting up to {} s for the database (--db-wait): {e}",
            wait.as_secs()
        )
    };
    runtime
        .block_on(db.ping_waiting(wait, waiting))
        .map_err(|e| e.to_string())?;
    Ok(db)
}
