//! Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.pbf` (MVT, cached per snapshot) and
//! `GET /tiles/{layer}.json` (TileJSON 3.0).

// The MVT encoder lives in planmap-io, shared with planmap-render's report maps.
pub use planmap_io::mvt;
pub use planmap_io::mvt::clip;

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use serde_json::{json, Value};

use crate::api::blocking;
use crate::error::{clip as clip_text, ApiError, ApiResult};
use crate::http::{self, cached, BaseUrl, JsonPath};
use crate::params::Params;
use crate::state::{AppState, Snapshot};
use mvt::TileId;

mod path;
pub use path::{parse_tile_path, TileRequest};

/// The deepest zoom the tiles carry full detail for; clients overzoom beyond it.
pub const NATIVE_MAX_ZOOM: u8 = 16;

#[derive(Clone)]
struct ByteWeight;

impl Weighter<(usize, TileId), Bytes> for ByteWeight {
    fn weight(&self, _: &(usize, TileId), v: &Bytes) -> u64 {
        v.len() as u64 + 64
    }
}

/// Encoded tiles of one snapshot, bounded in bytes.
/// Encoded tiles by (layer, tile), and each layer's shapes in Web Mercator world coordinates
/// (projected on a layer's first tile, so later tiles only scale and shift them).
pub struct TileCache {
    tiles: Cache<(usize, TileId), Bytes, ByteWeight>,
    world: Vec<OnceLock<mvt::WorldLayer>>,
}

impl TileCache {
    pub fn new(bytes: u64, layers: usize) -> TileCache {
        TileCache {
            tiles: Cache::with_weighter(16_384, bytes.max(1), ByteWeight),
            world: (0..layers).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The tile, from the cache or encoded now (callers run this off the async threads).
    pub fn get_or_encode(&self, snap: &Snapshot, layer: usize, t: TileId) -> Bytes {
        let r: Result<Bytes, std::convert::Infallible> =
            self.tiles.get_or_insert_with(&(layer, t), || {
                let bytes = match self.world.get(layer) {
                    Some(w) => {
                        let features = &snap.engine.layers[layer].features;
                        let world = w.get_or_init(|| mvt::WorldLayer::new(features));
                        mvt::encode_world(&snap.engine, layer, t, world)
                    }
                    None => mvt::encode(&snap.engine, layer, t),
                };
                Ok(bytes.into())
            });
        match r {
            Ok(b) => b,
            Err(never) => match never {},
        }
    }
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.pbf`
pub async fn tile(
    State(st): State<AppState>,
    JsonPath((layer, z, x, y)): JsonPath<(String, String, String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    Params::parse(q.as_deref(), &[])?;
    let TileRequest { layer, tile: t } = parse_tile_path(&layer, &z, &x, &y)?;
    let snap = st.snapshot();
    let li = snap.layer_index(&layer)?;
    let etag = format!(
        "{}-{}-{}-{}-{}",
        layer, snap.engine.layers[li].version, t.z, t.x, t.y
    );
    let s = snap.clone();
    let bytes = blocking(move || Ok(s.tiles.get_or_encode(&s, li, t))).await?;
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

/// The TileJSON 3.0 document of one layer.
pub fn tilejson(snap: &Snapshot, li: usize, base: &BaseUrl) -> Value {
    let l = &snap.engine.layers[li];
    let plan = &snap.engine.plan;
    let bounds = l
        .bbox()
        .map(|b| json!([b.min().x, b.min().y, b.max().x, b.max().y]))
        .unwrap_or(json!([-180, -85.051129, 180, 85.051129]));
    let center = plan.center.unwrap_or([112.03, 37.43]);
    let mut fields = serde_json::Map::new();
    fields.insert("fid".into(), json!("String"));
    for f in &l.features {
        for (k, v) in &f.properties {
            let kind = match v {
                Value::Number(_) => "Number",
                Value::Bool(_) => "Boolean",
                _ => "String",
            };
            fields.entry(k.clone()).or_insert(json!(kind));
        }
    }
    json!({
        "tilejson": "3.0.0",
        "name": l.def.name,
        "description": format!("{}: {}", plan.name, l.def.name),
        "version": l.version,
        "attribution": plan.caveat,
        "scheme": "xyz",
        "tiles": [base.join(&format!("/tiles/{}/{{z}}/{{x}}/{{y}}.pbf", l.def.id))],
        "minzoom": 0,
        "maxzoom": NATIVE_MAX_ZOOM,
        "bounds": bounds,
        "center": [center[0], center[1], plan.zoom.unwrap_or(10.0).round()],
        "vector_layers": [{
            "id": l.def.id,
            "description": l.def.name,
            "minzoom": 0,
            "maxzoom": NATIVE_MAX_ZOOM,
            "fields": fields,
        }],
    })
}

/// `GET /tiles/{layer}.json`
pub async fn tilejson_handler(
    State(st): State<AppState>,
    JsonPath(file): JsonPath<String>,
    RawQuery(q): RawQuery,
    base: BaseUrl,
) -> ApiResult<Json<Value>> {
    Params::parse(q.as_deref(), &[])?;
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
