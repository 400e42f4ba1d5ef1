//! `GET /style.json`: a MapLibre style of the whole plan, built from the manifest's layers and
//! colours, with every URL absolute from the request's host (tiles, glyphs).

use axum::extract::State;
use axum::Json;
use planmap_core::plan::{GeometryKind, LayerDef, LayerKind};
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::http::BaseUrl;
use crate::query::{NoParams, Query};
use crate::routes::tiles::NATIVE_MAX_ZOOM;
use crate::state::{AppState, Snapshot};

/// Fill opacity of a polygon layer: protected layers strongest, boundaries unfilled.
fn fill_opacity(def: &LayerDef) -> Option<f64> {
    match (def.kind, def.id.as_str()) {
        (_, "neighbours") => Some(0.35),
        (LayerKind::Boundary, _) => None,
        (LayerKind::Protected, _) => Some(0.55),
        (LayerKind::Development | LayerKind::Zoning, _) => Some(0.35),
        _ => Some(0.3),
    }
}

/// The style layers of a plan layer, drawn from `source` (the plan's composite tiles, where
/// the plan layer is the source layer of its id).
fn style_layers(def: &LayerDef, source: &str, font: &[String]) -> Vec<Value> {
    let id = &def.id;
    let color = &def.color;
    let src = |v: Value| {
        let mut v = v;
        v["source"] = json!(source);
        v["source-layer"] = json!(id);
        v["metadata"] = json!({ "planmap:layer": id, "planmap:name": def.name });
        v
    };
    let label = |extra: Value| {
        let mut layout = json!({
            "text-field": ["coalesce", ["get", "name"], ""],
            "text-font": font,
            "text-size": 12,
        });
        if let (Some(l), Some(e)) = (layout.as_object_mut(), extra.as_object()) {
            l.extend(e.clone());
        }
        src(json!({
            "id": format!("{id}-label"),
            "type": "symbol",
            "layout": layout,
            "paint": { "text-color": "#222222", "text-halo-color": "#ffffff", "text-halo-width": 1.5 },
        }))
    };
    match def.geometry {
        GeometryKind::Polygon => {
            let mut out = Vec::new();
            if let Some(opacity) = fill_opacity(def) {
                out.push(src(json!({
                    "id": format!("{id}-fill"),
                    "type": "fill",
                    "paint": { "fill-color": color, "fill-opacity": opacity },
                })));
            }
            let width = if def.kind == LayerKind::Boundary {
                1.6
            } else {
                0.8
            };
            out.push(src(json!({
                "id": format!("{id}-line"),
                "type": "line",
                "paint": { "line-color": color, "line-width": width },
            })));
            if id == "townships" || def.kind == LayerKind::Development {
                out.push(label(json!({})));
            }
            out
        }
        GeometryKind::Line => vec![src(json!({
            "id": format!("{id}-line"),
            "type": "line",
            "layout": { "line-join": "round", "line-cap": "round" },
            "paint": { "line-color": color, "line-width": 1.5 },
        }))],
        GeometryKind::Point => vec![
            src(json!({
                "id": format!("{id}-circle"),
                "type": "circle",
                "paint": {
                    "circle-color": color, "circle-radius": 4,
                    "circle-stroke-color": "#ffffff", "circle-stroke-width": 1,
                },
            })),
            label(json!({ "text-offset": [0, 1.1], "text-anchor": "top" })),
        ],
    }
}

/// Draw order: reference and boundary fills below, protected layers above them, lines, then
/// points and labels on top.
fn rank(def: &LayerDef) -> u8 {
    match (def.geometry, def.kind) {
        (GeometryKind::Point, _) => 5,
        (GeometryKind::Line, _) => 4,
        (_, LayerKind::Boundary) => 3,
        (_, LayerKind::Reference) => 0,
        (_, LayerKind::Protected) => 2,
        _ => 1,
    }
}

/// The style document for a snapshot.
pub fn build(snap: &Snapshot, base: &BaseUrl, font: &[String]) -> Value {
    let plan = &snap.engine.plan;
    // One source, the plan's composite tiles: one request a tile position for every layer.
    let mut source = json!({
        "type": "vector",
        "tiles": [base.join(&format!("/tiles/{}/{{z}}/{{x}}/{{y}}.pbf", plan.id))],
        "minzoom": 0,
        "maxzoom": NATIVE_MAX_ZOOM,
        "attribution": plan.caveat,
    });
    let boxes: Vec<_> = snap.engine.layers.iter().filter_map(|l| l.bbox()).collect();
    if let Some(first) = boxes.first() {
        let fold = |f: fn(f64, f64) -> f64, pick: fn(&geo::Rect<f64>) -> f64| {
            boxes.iter().map(pick).fold(pick(first), f)
        };
        source["bounds"] = json!([
            fold(f64::min, |b| b.min().x),
            fold(f64::min, |b| b.min().y),
            fold(f64::max, |b| b.max().x),
            fold(f64::max, |b| b.max().y),
        ]);
    }
    let mut sources = serde_json::Map::new();
    sources.insert(plan.id.clone(), source);
    let mut defs: Vec<&LayerDef> = snap.engine.layers.iter().map(|l| &l.def).collect();
    defs.sort_by_key(|d| rank(d));
    let mut layers = vec![json!({
        "id": "background", "type": "background", "paint": { "background-color": "#f6f5f0" },
    })];
    let mut labels = Vec::new();
    for d in defs {
        for l in style_layers(d, &plan.id, font) {
            if l["type"] == "symbol" {
                labels.push(l);
            } else {
                layers.push(l);
            }
        }
    }
    layers.extend(labels);
    let center = plan.center.unwrap_or([112.03, 37.43]);
    json!({
        "version": 8,
        "name": plan.name,
        "metadata": {
            "planmap:plan": plan.id,
            "planmap:data_version": snap.data_version,
            "planmap:illustrative": plan.illustrative,
            "planmap:caveat": plan.caveat,
        },
        "center": center,
        "zoom": plan.zoom.unwrap_or(10.0),
        "sources": sources,
        "glyphs": base.join("/fonts/{fontstack}/{range}.pbf"),
        "layers": layers,
    })
}

/// `GET /style.json`
pub async fn style(
    State(st): State<AppState>,
    _: Query<NoParams>,
    base: BaseUrl,
) -> ApiResult<Json<Value>> {
    let font = st.fonts().default_stack();
    Ok(Json(build(&st.snapshot(), &base, &font)))
}
