//! Vector tiles: `GET /tiles/{layer}/{z}/{x}/{y}.pbf` (MVT, cached per snapshot),
//! `GET /tiles/{plan}/{z}/{x}/{y}.pbf` (the plan's id in place of a layer's: one tile holding
//! every layer, or those of `?layers=a,b`, as its named MVT layers — what the web map asks
//! for, one request a tile) and `GET /tiles/{layer}.json` (TileJSON 3.0).

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::extract::Loaded;
use crate::error::{clip as clip_text, ApiError, ApiResult};
use crate::http::{self, blocking, cached, BaseUrl, JsonPath};
use crate::query::{NoParams, Query};
use crate::state::Snapshot;

mod path;
pub use path::{parse_tile_path, TileRequest};

/// The deepest zoom the tiles carry full detail for; clients overzoom beyond it.
pub const NATIVE_MAX_ZOOM: u8 = 16;

/// The query of a tile.
#[derive(Debug, Default, Deserialize)]
pub struct TileQuery {
    /// A plan tile's layers, comma-separated (default: every layer of the plan).
    pub layers: Option<String>,
}

/// The layers a tile holds: a layer's own, or the plan's (every one, or the chosen list in
/// the plan's order). A name that is neither is a 404 naming both kinds.
fn tile_layers(snap: &Snapshot, name: &str, chosen: Option<&str>) -> ApiResult<Vec<usize>> {
    let engine = &snap.engine;
    let ids = || engine.layers.iter().map(|l| l.def.id.clone());
    if name != engine.plan.id {
        if chosen.is_some() {
            return Err(ApiError::parameter(
                "layers",
                format!(
                    "only the plan's tile takes a list of layers: /tiles/{}/{{z}}/{{x}}/{{y}}.pbf",
                    engine.plan.id
                ),
            ));
        }
        return engine.layer_index(name).map(|i| vec![i]).ok_or_else(|| {
            ApiError::not_found(format!(
                "unknown layer or plan '{}' (the plan: {}; its layers: {})",
                clip_text(name),
                engine.plan.id,
                ids().collect::<Vec<_>>().join(", ")
            ))
            .with("layer", clip_text(name))
            .with("plan", engine.plan.id.clone())
        });
    }
    let Some(list) = chosen else {
        return Ok((0..engine.layers.len()).collect());
    };
    let mut chosen = Vec::new();
    for id in list.split(',').map(str::trim) {
        let i = engine.layer_index(id).ok_or_else(|| {
            ApiError::parameter(
                "layers",
                format!(
                    "no layer '{}' (the plan's layers: {})",
                    clip_text(id),
                    ids().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        chosen.push(i);
    }
    chosen.sort_unstable();
    chosen.dedup();
    Ok(chosen)
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.pbf`, `GET /tiles/{plan}/{z}/{x}/{y}.pbf[?layers=…]`
pub async fn tile(
    Loaded(snap): Loaded,
    JsonPath((name, z, x, y)): JsonPath<(String, String, String, String)>,
    Query(q): Query<TileQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let TileRequest {
        layer: name,
        tile: t,
    } = parse_tile_path(&name, &z, &x, &y)?;
    let layers = tile_layers(&snap, &name, q.layers.as_deref())?;
    let versions: Vec<&[u8]> = layers
        .iter()
        .flat_map(|&i| {
            let l = &snap.engine.layers[i];
            [l.def.id.as_bytes(), l.version.as_bytes()]
        })
        .collect();
    let etag = match layers[..] {
        [li] if name != snap.engine.plan.id => format!(
            "{}-{}-{}-{}-{}",
            name, snap.engine.layers[li].version, t.z, t.x, t.y
        ),
        _ => format!(
            "{}-{}-{}-{}-{}",
            name,
            http::hash_hex(&versions),
            t.z,
            t.x,
            t.y
        ),
    };
    // A tile message is its repeated layers: the layers' encoded tiles concatenated are the
    // tile holding them all. Cached ones are answered here; only encoding goes to a blocking
    // thread.
    let in_cache: Option<Vec<Bytes>> = layers.iter().map(|&li| snap.tiles.get(li, t)).collect();
    let mut parts = match in_cache {
        Some(parts) => parts,
        None => {
            let s = snap.clone();
            blocking(move || {
                Ok(layers
                    .iter()
                    .map(|&li| s.tiles.get_or_encode(&s.engine, li, t))
                    .collect::<Vec<Bytes>>())
            })
            .await?
        }
    };
    let bytes = match parts.len() {
        1 => parts.pop().unwrap_or_default(),
        _ => Bytes::from(parts.concat()),
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
    Loaded(snap): Loaded,
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
    let li = snap.layer_index(id)?;
    Ok(Json(tilejson(&snap, li, &base)))
}
