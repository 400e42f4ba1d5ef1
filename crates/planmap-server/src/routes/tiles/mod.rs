//! Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.pbf` (MVT, cached per snapshot) and
//! `GET /tiles/{layer}.json` (TileJSON 3.0).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

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
    let s = snap.clone();
    let bytes = blocking(move || Ok(s.tiles.get_or_encode(&s.engine, li, t))).await?;
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
    for f in l.views() {
        for (k, v) in &f.feature.properties {
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
    _: Query<NoParams>,
    base: BaseUrl,
) -> ApiResult<Json<Value>> {
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
