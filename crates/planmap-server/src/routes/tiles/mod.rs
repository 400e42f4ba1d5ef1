//! Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.pbf` (MVT, cached per snapshot) and
//! `GET /tiles/{layer}.json` (TileJSON 3.0).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::{clip as clip_text, ApiError, ApiResult};
use crate::http::{self, blocking, cached, BaseUrl, JsonPath};
use crate::query::{NoParams, Query};
use crate::state::{AppState, Snapshot};

mod path;
pub use path::{parse_tile_path, TileRequest};

/// The deepest zoom the tiles carry full detail for; clients overzoom beyond it.
pub const NATIVE_MAX_ZOOM: u8 = 16;

/// `GET /tiles/{layer}/{z}/{x}/{y}.pbf`
pub async fn tile(
    State(st): State<AppState>,
    JsonPath((layer, z, x, y)): JsonPath<(String, String, String, String)>,
    _: Query<NoParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let TileRequest { layer, tile: t } = parse_tile_path(&layer, &z, &x, &y)?;
    let snap = st.snapshot();
    let li = snap.layer_index(&layer)?;
    let etag = format!(
        "{}-{}-{}-{}-{}",
        layer, snap.engine.layers[li].version, t.z, t.x, t.y
    );
    // A cached tile is answered here; only encoding one goes to a blocking thread.
    let bytes = match snap.tiles.get(li, t) {
        Some(b) => b,
        None => {
            let s = snap.clone();
            blocking(move || Ok(s.tiles.get_or_encode(&s.engine, li, t))).await?
        }
    };
    if bytes.is_empty() {
        let mut r = StatusCode::NO_CONTENT.into_response();
        r.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("public, max-age=3600"),
        );
        return Ok(r);
    }
    Ok(cached(
        &headers,
        &etag,
        "public, max-age=3600",
        http::MVT,
        bytes,
    ))
}

/// A TileJSON 3.0 document.
#[derive(Debug, Serialize)]
pub struct TileJson {
    pub tilejson: &'static str,
    pub name: String,
    pub description: String,
    pub version: String,
    pub attribution: String,
    pub scheme: &'static str,
    pub tiles: Vec<String>,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// minlon, minlat, maxlon, maxlat.
    pub bounds: [f64; 4],
    /// lon, lat, zoom.
    pub center: [f64; 3],
    pub vector_layers: Vec<VectorLayer>,
}

/// The one source layer of a planmap tile.
#[derive(Debug, Serialize)]
pub struct VectorLayer {
    pub id: String,
    pub description: String,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// Attribute name → String, Number or Boolean.
    pub fields: BTreeMap<String, &'static str>,
}

/// The TileJSON 3.0 document of one layer.
pub fn tilejson(snap: &Snapshot, li: usize, base: &BaseUrl) -> TileJson {
    let l = &snap.engine.layers[li];
    let plan = &snap.engine.plan;
    let bounds = l
        .bbox()
        .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y])
        .unwrap_or([-180.0, -85.051129, 180.0, 85.051129]);
    let center = plan.center.unwrap_or([112.03, 37.43]);
    let mut fields = BTreeMap::new();
    fields.insert("fid".to_string(), "String");
    for f in l.views() {
        for (k, v) in &f.feature.properties.to_map() {
            let kind = match v {
                Value::Number(_) => "Number",
                Value::Bool(_) => "Boolean",
                _ => "String",
            };
            fields.entry(k.clone()).or_insert(kind);
        }
    }
    TileJson {
        tilejson: "3.0.0",
        name: l.def.name.clone(),
        description: format!("{}: {}", plan.name, l.def.name),
        version: l.version.clone(),
        attribution: plan.caveat.clone(),
        scheme: "xyz",
        tiles: vec![base.join(&format!("/tiles/{}/{{z}}/{{x}}/{{y}}.pbf", l.def.id))],
        minzoom: 0,
        maxzoom: NATIVE_MAX_ZOOM,
        bounds,
        center: [center[0], center[1], plan.zoom.unwrap_or(10.0).round()],
        vector_layers: vec![VectorLayer {
            id: l.def.id.clone(),
            description: l.def.name.clone(),
            minzoom: 0,
            maxzoom: NATIVE_MAX_ZOOM,
            fields,
        }],
    }
}

/// `GET /tiles/{layer}.json`
pub async fn tilejson_handler(
    State(st): State<AppState>,
    JsonPath(file): JsonPath<String>,
    _: Query<NoParams>,
    base: BaseUrl,
) -> ApiResult<Json<TileJson>> {
    let Some(id) = file.strip_suffix(".json") else {
        return Err(ApiError::not_found(format!(
            "no such resource: /tiles/{}; TileJSON is /tiles/{{layer}}.json",
            clip_text(&file)
        )));
    };
    let snap = st.snapshot();
    let li = snap.layer_index(id)?;
    Ok(Json(tilejson(&snap, li, &base)))
}
