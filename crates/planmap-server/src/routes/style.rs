//! `GET /style.json`: a MapLibre style of the whole plan, built from each layer's drawing (the
//! manifest's `[layers.draw]` over its kind's defaults), with every URL absolute from the
//! request's host (tiles, glyphs).
//!
//! Every style layer of a plan layer carries `metadata["planmap:layer"]` (its id); the county's
//! fill is marked `"planmap:ground"`: the paper under the plan, kept when the county's outline
//! is hidden.

use axum::extract::State;
use axum::Json;
use planmap_core::draw::{Draw, Stops};
use planmap_core::plan::{Basemap, GeometryKind, LayerDef, Role};
use planmap_core::Engine;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::http::BaseUrl;
use crate::query::{NoParams, Query};
use crate::routes::tiles::NATIVE_MAX_ZOOM;
use crate::state::{AppState, Snapshot};

/// A number, or MapLibre's linear interpolation by zoom.
fn stops(s: &Stops) -> Value {
    match s {
        Stops::Fixed(v) => json!(v),
        Stops::Zoom(stops) => {
            let mut e = vec![json!("interpolate"), json!(["linear"]), json!(["zoom"])];
            e.extend(stops.iter().flat_map(|[z, v]| [json!(z), json!(v)]));
            Value::Array(e)
        }
    }
}

/// A style layer of plan layer `def`: its source layer (the plan layer's id in the plan's
/// composite tiles), metadata and minimum zoom.
fn of_layer(def: &LayerDef, minzoom: f64, mut v: Value) -> Value {
    v["source-layer"] = json!(def.id);
    v["metadata"] = json!({ "planmap:layer": def.id, "planmap:name": def.name });
    if minzoom > 0.0 {
        v["minzoom"] = json!(minzoom);
    }
    v
}

/// A fill of opacity 1 is ground: drawn under everything else.
fn is_ground(d: &Draw) -> bool {
    d.fill_opacity >= 1.0
}

/// The fill, outline or circle layers of a plan layer: (whether it is ground, style layer).
fn paint_layers(def: &LayerDef) -> Vec<(bool, Value)> {
    let (id, d) = (&def.id, &def.draw);
    // The outline of a polygon or the stroke of a line; lines get round joins and caps.
    let line = |outline: &str| {
        let mut paint = json!({ "line-color": outline, "line-width": stops(&d.width) });
        if !d.dash.is_empty() {
            paint["line-dasharray"] = json!(d.dash);
        }
        let mut l = json!({ "id": format!("{id}-line"), "type": "line", "paint": paint });
        if def.geometry == GeometryKind::Line {
            l["layout"] = json!({ "line-join": "round", "line-cap": "round" });
        }
        (false, of_layer(def, d.minzoom, l))
    };
    let mut out = Vec::new();
    match def.geometry {
        GeometryKind::Polygon => {
            if let Some(fill) = &d.fill {
                let mut l = of_layer(
                    def,
                    d.minzoom,
                    json!({
                        "id": format!("{id}-fill"),
                        "type": "fill",
                        "paint": { "fill-color": fill, "fill-opacity": d.fill_opacity },
                    }),
                );
                if def.role == Some(Role::County) {
                    l["metadata"]["planmap:ground"] = json!(true);
                }
                out.push((is_ground(d), l));
            }
            out.extend(d.outline.as_deref().map(line));
        }
        GeometryKind::Line => out.extend(d.outline.as_deref().map(line)),
        GeometryKind::Point => {
            let stroke = d.outline.as_deref().unwrap_or("#ffffff");
            let stroke_width = if d.outline.is_some() {
                stops(&d.width)
            } else {
                json!(0)
            };
            out.push((
                false,
                of_layer(
                    def,
                    d.minzoom,
                    json!({
                        "id": format!("{id}-circle"),
                        "type": "circle",
                        "paint": {
                            "circle-color": d.fill.as_deref().unwrap_or(&def.color),
                            "circle-opacity": d.fill_opacity,
                            "circle-radius": stops(&d.radius),
                            "circle-stroke-color": stroke,
                            "circle-stroke-width": stroke_width,
                        },
                    }),
                ),
            ));
        }
    }
    out
}

/// The label layer of a plan layer with a label attribute (points below the point, polygons
/// where the tiles put them: the web map places them once a polygon). `hide`: label values
/// not to repeat (the places that name a subdivision already labelled).
fn label_layer(def: &LayerDef, attr: &str, font: &[String], hide: &[String]) -> Value {
    let d = &def.draw;
    let mut layout = json!({
        "text-field": ["coalesce", ["get", attr], ""],
        "text-font": font,
        "text-size": stops(&d.label_size),
    });
    if d.label_spacing > 0.0 {
        layout["text-letter-spacing"] = json!(d.label_spacing);
    }
    if def.geometry == GeometryKind::Point {
        layout["text-offset"] = json!([0, 1.1]);
        layout["text-anchor"] = json!("top");
    }
    let mut l = of_layer(
        def,
        d.label_minzoom.max(d.minzoom),
        json!({
            "id": format!("{}-label", def.id),
            "type": "symbol",
            "layout": layout,
            "paint": {
                "text-color": d.label_color,
                "text-halo-color": d.label_halo,
                "text-halo-width": d.label_halo_width,
            },
        }),
    );
    if !hide.is_empty() {
        l["filter"] = json!(["!", ["in", ["get", attr], ["literal", hide]]]);
    }
    l
}

/// The labels of the subdivisions: a place of the same name (a township's seat) keeps its
/// dot, not its label.
fn subdivision_labels(engine: &Engine) -> Vec<String> {
    let Some(l) = engine.role(Role::Subdivisions) else {
        return Vec::new();
    };
    let Some(attr) = &l.def.draw.label else {
        return Vec::new();
    };
    l.features
        .iter()
        .filter_map(|f| f.properties.get(attr)?.as_str().map(str::to_string))
        .collect()
}

/// The style layers of the plan, bottom to top: grounds (fills of opacity 1), then every
/// layer's fill and outline by `order`, then the labels by `label_order` (manifest order
/// where equal). Every plan layer's style layers draw from the one source named by the plan's
/// id (its composite tiles).
fn style_layers(engine: &Engine, font: &[String]) -> Vec<Value> {
    let source = json!(engine.plan.id);
    let hidden = subdivision_labels(engine);
    let mut painted: Vec<(bool, f64, usize, usize, Value)> = Vec::new();
    let mut labels: Vec<(f64, usize, Value)> = Vec::new();
    for (i, l) in engine.layers.iter().enumerate() {
        let def = &l.def;
        for (k, (ground, v)) in paint_layers(def).into_iter().enumerate() {
            painted.push((!ground, def.draw.order, i, k, v));
        }
        if let Some(attr) = &def.draw.label {
            let hide: &[String] = if def.role == Some(Role::Places) {
                &hidden
            } else {
                &[]
            };
            labels.push((def.draw.label_order, i, label_layer(def, attr, font, hide)));
        }
    }
    painted.sort_by(|a, b| {
        (a.0.cmp(&b.0))
            .then(a.1.total_cmp(&b.1))
            .then((a.2, a.3).cmp(&(b.2, b.3)))
    });
    labels.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut layers = vec![json!({
        "id": "background", "type": "background", "paint": { "background-color": "#f6f5f0" },
    })];
    layers.extend(painted.into_iter().map(|p| p.4));
    layers.extend(labels.into_iter().map(|l| l.2));
    for l in &mut layers[1..] {
        l["source"] = source.clone();
    }
    layers
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
    let mut layers = style_layers(&snap.engine, font);
    if let Some(b) = &plan.basemap {
        basemap(b, &mut sources, &mut layers);
    }
    let center = plan.center.or_else(|| {
        let b = snap.engine.county()?.bbox()?;
        Some([b.center().x, b.center().y])
    });
    json!({
        "version": 8,
        "name": plan.name,
        "metadata": {
            "planmap:plan": plan.id,
            "planmap:data_version": snap.data_version,
            "planmap:illustrative": plan.illustrative,
            "planmap:caveat": plan.caveat,
        },
        "center": center.unwrap_or([0.0, 0.0]),
        "zoom": plan.zoom.unwrap_or(10.0),
        "sources": sources,
        "glyphs": base.join("/fonts/{fontstack}/{range}.pbf"),
        "layers": layers,
    })
}

/// The manifest's basemap (or `--basemap`'s) under the plan: its raster source crediting it
/// and its 审图号, drawn above the background; the ground fills (the county's paper) let it
/// show through.
fn basemap(b: &Basemap, sources: &mut serde_json::Map<String, Value>, layers: &mut Vec<Value>) {
    sources.insert(
        "basemap".into(),
        json!({ "type": "raster", "tiles": [b.tiles()], "tileSize": b.tile_size,
                "maxzoom": b.max_zoom, "attribution": b.credit() }),
    );
    for l in layers.iter_mut() {
        if l["metadata"]["planmap:ground"] == json!(true) {
            l["paint"]["fill-opacity"] = json!(0.25);
        }
    }
    let at = usize::from(!layers.is_empty());
    layers.insert(
        at,
        json!({ "id": "basemap", "type": "raster", "source": "basemap",
                "metadata": { "planmap:basemap": true } }),
    );
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
