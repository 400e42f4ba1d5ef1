//! Every route of the server and the layers around them (time limit, heavy-request gate,
//! announced body size, errors as JSON, URL policy, compression, CORS, panic catching,
//! logging, security headers).
//!
//! The layers every request passes wrap the whole router once, not each route: axum's
//! `Router::layer` wraps every route in its own boxed copy of the stack, and a request then
//! clones a box a layer (some seventy for a check). Each layer here costs a request little:
//! the security headers are five static values set in one pass, a request is logged only
//! at debug level (server errors at error level), small bodies are not compressed.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::error::{self, ApiError};
use crate::http::UrlPolicy;
use crate::resources::recorder;
use crate::routes::{
    admin, assets, batch, check, conflicts, fonts, health, history, identify, layer_import, ogc,
    openapi, plan, plans, preview, style, tiles,
};
use crate::state::AppState;
use crate::{catalog, guards, security};

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
                HeaderName::from_static(recorder::ID_HEADER),
                HeaderName::from_static(batch::BATCH_HEADER),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Compression of answers larger than one packet (smaller ones gain nothing on the wire), at a
/// level for content made per request (brotli's default, 11, costs milliseconds a tile).
fn compression() -> CompressionLayer<impl Predicate> {
    let worth = SizeAbove::new(1400)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        // A progress stream's lines go out as they come, not when a compressor's block fills.
        .and(NotForContentType::const_new(batch::NDJSON));
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(worth)
}

/// Every request at debug level (`RUST_LOG=planmap_server=debug`), server errors at error
/// level: method, path (not the query: a check's may name a project's applicant), status,
/// time taken.
async fn log_requests(req: Request, next: Next) -> Response {
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let start = std::time::Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if resp.status().is_server_error() {
        tracing::error!(%method, path = %uri.path(), status, ms, "request failed");
    } else {
        tracing::debug!(%method, path = %uri.path(), status, ms, "request");
    }
    resp
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("internal error: the request could not be completed").into_response()
}

/// Where the absolute URLs of the answers come from ([`UrlPolicy`]).
fn url_policy(state: &AppState) -> UrlPolicy {
    UrlPolicy {
        public: state.config().public_url.clone(),
        trust_proxy: state.config().trust_proxy,
        local: state.local_url().to_string(),
    }
}

/// Every route of the server over `state` (its listening address set first, for the URLs
/// of answers: [`AppState::set_local_addr`]).
pub fn router(state: AppState) -> Router {
    let cfg = state.config().clone();
    // Requests that compute for a while: a bounded number at once (guards::heavy).
    let heavy = Router::new()
        .route("/api/check", post(check::check))
        .route("/api/check/batch", post(batch::batch))
        .route("/api/admin/reload", post(admin::reload))
        .route("/api/admin/layers/{id}", put(layer_import::import_layer))
        .route("/api/layers/{id}/preview.png", get(preview::preview))
        .route_layer(middleware::from_fn_with_state(state.clone(), guards::heavy));
    let app = Router::new()
        .merge(heavy)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/api/plans", get(plans::list))
        .route("/api/plans.geojson", get(plans::geojson))
        .route("/api/plan", get(plan::plan))
        .route("/api/layers", get(plan::layers))
        .route("/api/layers/{file}", get(plan::layer_geojson))
        .route("/api/conflicts", get(conflicts::conflicts))
        .route("/api/conflicts.geojson", get(conflicts::conflicts_geojson))
        .route("/api/identify", get(identify::identify))
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
        .fallback_service(assets::service(cfg.web_dir.as_deref()))
        .with_state(state.clone());
    // Outermost first.
    let stack = ServiceBuilder::new()
        .layer(middleware::map_response_with_state(
            state.clone(),
            security::set_headers,
        ))
        .layer(middleware::from_fn(log_requests))
        .option_layer(cors(&cfg.cors_origins))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(compression())
        .layer(Extension(url_policy(&state)))
        .layer(middleware::map_response(error::json_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guards::body_size,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guards::time_limit,
        ))
        .layer(DefaultBodyLimit::max(cfg.body_limit))
        // `/plans/{plan}/…` served as the root paths for that plan.
        .layer(middleware::from_fn_with_state(
            state,
            catalog::extract::route,
        ))
        .service(app);
    Router::new().fallback_service(stack)
}
