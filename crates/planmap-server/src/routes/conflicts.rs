//! The rule scan: `GET /api/conflicts` (summary by rule, conflicts and slivers) and
//! `GET /api/conflicts.geojson` (every piece, a download). Computed once a snapshot
//! ([`crate::state::Snapshot::conflicts`]), served with an ETag.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::Response;
use planmap_core::ConflictScan;

use crate::catalog::extract::Loaded;
use crate::error::{ApiResult, ErrorBody};
use crate::http::{self, cached};
use crate::query::{NoParams, Query};
use crate::routes::schemas::FeatureCollection;
use crate::state::{AppState, Snapshot};

/// `GET /api/conflicts`: the summary by rule and the list of conflicts and slivers.
#[utoipa::path(get, path = "/api/conflicts", tag = "conflicts",
    responses((status = 200, description = "The scan of every rule of the plan", body = ConflictScan),
        (status = 400, description = "A parameter was given", body = ErrorBody)))]
pub async fn conflicts(
    State(st): State<AppState>,
    Loaded(snap): Loaded,
    _: Query<NoParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    conflicts_as(st, snap, headers, false).await
}

/// `GET /api/conflicts.geojson`: every conflict and sliver piece as a FeatureCollection.
#[utoipa::path(get, path = "/api/conflicts.geojson", tag = "conflicts",
    responses((status = 200, description = "Every conflict and sliver piece", body = FeatureCollection,
            content_type = "application/geo+json"),
        (status = 400, description = "A parameter was given", body = ErrorBody)))]
pub async fn conflicts_geojson(
    State(st): State<AppState>,
    Loaded(snap): Loaded,
    _: Query<NoParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    conflicts_as(st, snap, headers, true).await
}

/// The cached conflict scan as JSON or (a download) as GeoJSON.
async fn conflicts_as(
    st: AppState,
    snap: Arc<Snapshot>,
    headers: HeaderMap,
    geojson: bool,
) -> ApiResult<Response> {
    let c = snap.conflicts(st.shutdown().flag()).await?;
    let (kind, ty, body) = match geojson {
        false => ("json", http::JSON, c.json.clone()),
        true => ("geojson", http::GEOJSON, c.geojson.clone()),
    };
    let etag = format!("conflicts-{kind}-{}", snap.data_version);
    let mut resp = cached(&headers, &etag, "no-cache", ty, body);
    let name = format!(
        "attachment; filename=\"{}-conflicts.geojson\"",
        snap.engine.plan.id
    );
    if let (true, Ok(v)) = (geojson, HeaderValue::from_str(&name)) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
