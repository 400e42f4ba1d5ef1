//! planmap-server: the plan over HTTP.
//!
//! The files form layers, each using only those before it (`scripts/import-cycles.py` checks
//! that no two files import each other, in `make test`):
//!
//! 1. [`error`], [`http`], [`query`], [`multipart`], [`upload`], [`security`]: how requests
//!    are read and refused (every refusal a JSON [`error::ApiError`]), typed query strings,
//!    bodies and uploaded site files; [`work`]: blocking work bounded by its request.
//! 2. [`resources`]: what the server holds besides the plan — fonts, tile cache, the gate of
//!    heavy requests, the keeper's token, the check recorder. No handlers.
//! 3. [`snapshot`]: one loaded plan and what is derived from it; [`catalog`]: the plans
//!    served, each loaded on first use and evicted under the memory budget, and the plan a
//!    request addresses; [`state`]: settings and the catalog; [`guards`] (the keeper's
//!    guard, time limit, heavy gate) and [`reload`] over it.
//! 4. [`routes`]: one module a resource, thin handlers with typed requests and answers;
//!    `/api/openapi.json` is generated from them.
//! 5. [`router`]: every route on its path, with the layers around them.
//! 6. [`listen`]: the accept loop — connections, their timeouts and limit, shutdown.
//!
//! The domain work is `planmap-core`'s.

pub mod catalog;
pub mod error;
pub mod follow;
pub mod guards;
pub mod http;
pub mod listen;
pub mod multipart;
pub mod query;
pub mod reload;
pub mod resources;
pub mod router;
pub mod routes;
pub mod security;
pub mod snapshot;
pub mod state;
pub mod upload;
pub mod work;

pub use resources::token::AdminToken;
pub use router::router;
pub use state::{AppState, Config, Snapshot};

/// Logs to stderr, filtered by `RUST_LOG` (default: start-up, warnings and server errors;
/// `planmap_server=debug` adds a line a request).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "planmap_server=info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Loads the plan of `config`, binds `addr`, prints the URL and serves until Ctrl-C/SIGTERM;
/// then requests in flight are cancelled and it returns within the shutdown grace.
pub async fn serve(addr: &str, config: Config) -> Result<(), String> {
    init_logging();
    listen::raise_limits();
    let state = tokio::task::spawn_blocking(move || AppState::load(config))
        .await
        .map_err(|e| e.to_string())??;
    let listener = bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let snap = state
        .default_snapshot()
        .ok_or("the default plan is not loaded")?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "planmap: serving {} ({}) at http://{local}/",
            snap.engine.plan.name, snap.engine.plan.caveat
        );
        let catalog = state.catalog();
        if !catalog.is_single() {
            let _ = writeln!(
                out,
                "planmap: a catalog of {} plans (loaded on first use{}); the root URLs mean '{}', \
                 the others are at /plans/{{id}}/",
                catalog.plans().len(),
                catalog.max_memory.map_or(String::new(), |m| format!(
                    ", at most {} MB together",
                    m >> 20
                )),
                catalog.default_plan().id
            );
        }
        let _ = match state.history() {
            Some(h) => writeln!(out, "planmap: {}", h.describe()),
            None => writeln!(
                out,
                "planmap: check history off (--no-history): checks are not recorded"
            ),
        };
        let _ = out.flush();
    }
    tracing::info!(fonts = ?state.fonts().default_stack(), "listening on http://{local}/");
    // The conflict scan is the one slow answer: start it now so the first asker waits less.
    let scan = state.clone();
    tokio::spawn(async move {
        if let Err(e) = snap.conflicts(scan.shutdown().flag()).await {
            tracing::warn!("conflict scan: {}", e.message);
        }
    });
    // A `planmap import` switching a layer is served within seconds, no restart.
    reload::spawn_watch(state.clone(), std::time::Duration::from_secs(2));
    // A change committed to the database (through any replica, or by SQL) likewise.
    if let (Some(url), true) = (&state.config().db_url, state.config().plans_in_db) {
        let cfg = planmap_pg::parse_url(url).map_err(|e| e.to_string())?;
        follow::spawn(state.clone(), cfg);
    }
    let stop = state.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stop signal received");
        stop.shutdown().begin();
    });
    listen::run(listener, state)
        .await
        .map_err(|e| e.to_string())
}

/// A listener on `addr` with a deep backlog (a burst of connections waits there, not in
/// SYN retries).
fn bind(addr: &str) -> std::io::Result<tokio::net::TcpListener> {
    use std::net::ToSocketAddrs;
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        let socket = match a {
            std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(4096)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("the address names no socket address")))
}

/// Serves `state` on a bound listener until its shutdown begins ([`AppState::shutdown`]) or
/// the future is dropped (tests, embedding).
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    listen::run(listener, state).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// [`serve`] on a new multi-threaded runtime, for a synchronous `main`. Work still running
/// when the server returned (stopped, past the grace) is abandoned, so the process can exit.
pub fn serve_blocking(addr: &str, config: Config) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let r = rt.block_on(serve(addr, config));
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    r
}
