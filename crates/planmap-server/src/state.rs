//! Shared state: the server's settings and the loaded plan, swappable as one snapshot.
//!
//! Everything derived from the data (the conflict scan, exports, tiles) lives in the
//! [`Snapshot`] beside the engine it came from, so replacing the snapshot (a reload) can never
//! mix old caches with new data.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use axum::body::Bytes;
use planmap_core::plan::Indicator;
use planmap_core::{Cancel, ConflictScan, Engine};
use planmap_history::History;
use planmap_io::{export, PlanDir};

use crate::error::{ApiError, ApiResult};
use crate::resources::fonts::Fonts;
use crate::resources::gate::Gate;
use crate::resources::shutdown::Shutdown;
use crate::resources::tile_cache::TileCache;
use crate::resources::token::AdminToken;

/// Settings of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The plan folder (`data/wenshui`).
    pub data_dir: PathBuf,
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
}

impl Config {
    /// Defaults for a plan folder: the built-in web app, fonts from `/usr/share/fonts`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
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
        }
    }
}

/// The conflict scan with its two serialisations, computed once per snapshot.
pub struct Conflicts {
    pub scan: ConflictScan,
    pub json: Bytes,
    pub geojson: Bytes,
}

/// One loaded version of the plan and everything derived from it.
pub struct Snapshot {
    pub engine: Engine,
    pub indicators: Vec<Indicator>,
    pub data_version: String,
    conflicts: tokio::sync::OnceCell<Arc<Conflicts>>,
    /// Whole-layer GeoJSON exports, built on first request.
    exports: Vec<OnceLock<Bytes>>,
    /// `/api/plan`'s JSON, written on first request.
    plan_answer: OnceLock<Bytes>,
    pub tiles: TileCache,
}

impl Snapshot {
    pub fn new(engine: Engine, indicators: Vec<Indicator>, tile_cache_bytes: u64) -> Snapshot {
        let exports = engine.layers.iter().map(|_| OnceLock::new()).collect();
        let tiles = TileCache::new(tile_cache_bytes, engine.layers.len());
        Snapshot {
            data_version: engine.data_version(),
            engine,
            indicators,
            conflicts: tokio::sync::OnceCell::new(),
            exports,
            plan_answer: OnceLock::new(),
            tiles,
        }
    }

    /// `/api/plan`'s answer, written by `write` on first request and kept with the data it
    /// describes (a failed write is not kept).
    pub fn plan_answer<E>(
        &self,
        write: impl FnOnce(&Snapshot) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some(b) = self.plan_answer.get() {
            return Ok(b.clone());
        }
        let b = write(self)?;
        Ok(self.plan_answer.get_or_init(|| b).clone())
    }

    /// The conflict scan, computed on a blocking thread the first time it is asked for;
    /// `stop` (the server's shutdown flag) stops it.
    pub async fn conflicts(self: &Arc<Self>, stop: &Arc<Cancel>) -> ApiResult<Arc<Conflicts>> {
        let snap = Arc::clone(self);
        let stop = Arc::clone(stop);
        self.conflicts
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let scan = snap
                        .engine
                        .conflicts_cancellable(&stop)
                        .map_err(|e| e.to_string())?;
                    let json = serde_json::to_vec(&scan).map_err(|e| e.to_string())?;
                    let geojson = export::conflicts_geojson(&scan);
                    Ok::<_, String>(Arc::new(Conflicts {
                        scan,
                        json: json.into(),
                        geojson: geojson.into(),
                    }))
                })
                .await
                .map_err(|e| ApiError::internal(format!("conflict scan failed: {e}")))?
                .map_err(ApiError::internal)
            })
            .await
            .cloned()
    }

    /// A whole layer as RFC 7946 GeoJSON, built once.
    pub fn export(&self, layer: usize) -> Bytes {
        self.exports[layer]
            .get_or_init(|| {
                let l = &self.engine.layers[layer];
                planmap_io::geojson_io::write_features(&l.features, Some(&l.def.id)).into()
            })
            .clone()
    }

    /// The index of a layer, or the 404 naming it and the known ones.
    pub fn layer_index(&self, id: &str) -> ApiResult<usize> {
        self.engine.layer_index(id).ok_or_else(|| {
            ApiError::unknown_layer(id, self.engine.layers.iter().map(|l| l.def.id.clone()))
        })
    }
}

struct Inner {
    config: Config,
    current: ArcSwap<Snapshot>,
    fonts: Fonts,
    gate: Gate,
    history: Option<History>,
    shutdown: Shutdown,
    /// `http://ADDR` of the listening socket, once bound.
    local_url: OnceLock<String>,
}

/// What every handler gets: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// The state over a loaded snapshot and an opened history (if the server keeps one).
    pub fn new(config: Config, snapshot: Snapshot, history: Option<History>) -> AppState {
        let fonts = Fonts::discover(&config.font_dirs);
        let gate = Gate::new(config.max_heavy, config.heavy_wait);
        AppState(Arc::new(Inner {
            current: ArcSwap::from_pointee(snapshot),
            config,
            fonts,
            gate,
            history,
            shutdown: Shutdown::default(),
            local_url: OnceLock::new(),
        }))
    }

    /// Opens the check history of `config` (first: a bad history file fails fast), loads the
    /// plan folder and builds the state. The error names the file at fault.
    pub fn load(config: Config) -> Result<AppState, String> {
        let history = config
            .history_db
            .as_ref()
            .map(History::open)
            .transpose()
            .map_err(|e| e.to_string())?;
        let snapshot =
            load_snapshot(&config).map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
        Ok(AppState::new(config, snapshot, history))
    }

    /// The check history, when the server keeps one.
    pub fn history(&self) -> Option<&History> {
        self.0.history.as_ref()
    }

    /// The current snapshot; a request keeps the one it started with.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.0.current.load_full()
    }

    /// Replaces the data (a reload); requests in flight finish on the old snapshot.
    pub fn replace(&self, snapshot: Snapshot) {
        self.0.current.store(Arc::new(snapshot));
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

/// Reads the plan folder into a snapshot.
pub fn load_snapshot(config: &Config) -> Result<Snapshot, String> {
    let dir = PlanDir::open(&config.data_dir).map_err(|e| e.to_string())?;
    let indicators = dir.indicators().map_err(|e| e.to_string())?;
    let mut engine = Engine::load(&dir).map_err(|e| e.to_string())?;
    if let Some(b) = &config.basemap {
        engine.plan.basemap = Some(b.clone());
    }
    Ok(Snapshot::new(engine, indicators, config.tile_cache_bytes))
}
