//! planmap-server: the plan over HTTP.
//!
//! - [`api`]: the JSON API (`/api/plan`, `/api/layers`, exports, `/api/check`,
//!   `/api/conflicts`, `/api/identify`).
//! - [`history`]: every check recorded; `/api/history[.geojson|.csv]` for the data keeper.
//! - [`tiles`]: vector tiles (MVT) and TileJSON; [`style`]: the MapLibre style;
//!   [`fonts`]: label glyphs made from installed fonts.
//! - [`ogc`]: OGC API - Features (Part 1 and Part 2 CRS) under `/ogc`.
//! - [`assets`]: the web front end at `/`.
//! - [`auth`]: the data keeper's bearer token; [`layer_import`] and [`reload`]: the keeper's
//!   endpoints; [`limits`] and [`security`]: time limits, heavy-request slots, headers.
//! - [`state`]: settings and the swappable snapshot of loaded data; [`error`], [`http`],
//!   [`params`]: how requests are read and refused.
//!
//! Handlers are thin: the domain work is `planmap-core`'s.

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod fonts;
pub mod history;
pub mod http;
pub mod layer_import;
pub mod limits;
pub mod multipart;
pub mod ogc;
pub mod params;
pub mod reload;
pub mod report;
pub mod security;
pub mod state;
pub mod style;
pub mod tiles;
pub mod upload;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{middleware, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use state::{AppState, Config, Snapshot};

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
            .allow_headers(Any)
            .expose_headers([
                header::ETAG,
                header::CONTENT_DISPOSITION,
                HeaderName::from_static("content-crs"),
                HeaderName::from_static(history::ID_HEADER),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    error::ApiError::internal("internal error: the request could not be completed").into_response()
}

/// Every route of the server over `state`.
pub fn router(state: AppState) -> Router {
    let cfg = state.config().clone();
    // Requests that compute for a while: a bounded number at once (limits::heavy).
    let heavy = Router::new()
        .route("/api/check", post(api::check))
        .route("/api/admin/reload", post(reload::reload))
        .route("/api/admin/layers/{id}", put(layer_import::import_layer))
        .route("/api/layers/{id}/preview.png", get(report::preview))
        .route_layer(middleware::from_fn_with_state(state.clone(), limits::heavy));
    let app = Router::new()
        .merge(heavy)
        .route("/api/plan", get(api::plan))
        .route("/api/layers", get(api::layers))
        .route("/api/layers/{file}", get(api::layer_geojson))
        .route("/api/conflicts", get(api::conflicts))
        .route("/api/conflicts.geojson", get(api::conflicts_geojson))
        .route("/api/identify", get(api::identify))
        .route("/api/history", get(history::list))
        .route("/api/history.geojson", get(history::geojson))
        .route("/api/history.csv", get(history::csv))
        .route("/tiles/{file}", get(tiles::tilejson_handler))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile))
        .route("/style.json", get(style::style))
        .route("/fonts.json", get(fonts::catalog))
        .route("/fonts/{stack}/{range}", get(fonts::glyphs))
        .route("/ogc", get(ogc::landing))
        .route("/ogc/", get(ogc::landing))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/api", get(ogc::api))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::collection_handler))
        .route("/ogc/collections/{id}/items", get(ogc::items))
        .route("/ogc/collections/{id}/items/{fid}", get(ogc::item))
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback_service(assets::service(&cfg.web_dir))
        .layer(DefaultBodyLimit::max(cfg.body_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::time_limit,
        ))
        .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(tower::util::option_layer(cors(&cfg.cors_origins)))
        .layer(
            TraceLayer::new_for_http()
                // The path, not the query: a check's query may name a project's applicant.
                .make_span_with(|req: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state);
    security::layers()
        .into_iter()
        .fold(app, |app, layer| app.layer(layer))
}

/// Logs to stderr, filtered by `RUST_LOG` (default: requests and start-up at info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "planmap_server=info,tower_http=info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Loads the plan of `config`, binds `addr`, prints the URL and serves until Ctrl-C/SIGTERM.
pub async fn serve(addr: &str, config: Config) -> Result<(), String> {
    init_logging();
    let state = tokio::task::spawn_blocking(move || AppState::load(config))
        .await
        .map_err(|e| e.to_string())??;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let snap = state.snapshot();
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "planmap: serving {} ({}) at http://{local}/",
            snap.engine.plan.name, snap.engine.plan.caveat
        );
        let _ = match state.history() {
            Some(h) => writeln!(out, "planmap: {}", h.settings()),
            None => writeln!(
                out,
                "planmap: check history off (--no-history): checks are not recorded"
            ),
        };
        let _ = out.flush();
    }
    tracing::info!(fonts = ?state.fonts().default_stack(), "listening on http://{local}/");
    // The conflict scan is the one slow answer: start it now so the first asker waits less.
    tokio::spawn(async move {
        if let Err(e) = snap.conflicts().await {
            tracing::warn!("conflict scan: {}", e.message);
        }
    });
    // A `planmap import` switching a layer is served within seconds, no restart.
    reload::spawn_watch(state.clone(), std::time::Duration::from_secs(2));
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| e.to_string())
}

/// Serves `state` on a bound listener until the future is dropped (tests, embedding).
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

async fn shutdown() {
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

/// [`serve`] on a new multi-threaded runtime, for a synchronous `main`.
pub fn serve_blocking(addr: &str, config: Config) -> Result<(), String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(serve(addr, config))
}
