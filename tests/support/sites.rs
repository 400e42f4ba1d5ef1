//! Sites built around the built-in plan's own features: a layer's polygons read straight
//! from its file (not through planmap) and small squares placed inside them.

use geo::{Contains, InteriorPoint, Intersects, MultiPolygon, Polygon};
use serde_json::Value;

use crate::data_dir;

pub fn layer_json(id: &str) -> Value {
    let text = std::fs::read_to_string(data_dir().join(format!("layers/{id}.geojson"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A layer's polygons, read straight from its file (not through planmap).
pub fn polygons(id: &str) -> Vec<(String, MultiPolygon<f64>)> {
    let v = layer_json(id);
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let id = f["id"].as_str().unwrap().to_string();
            (id, to_multipolygon(&f["geometry"]))
        })
        .collect()
}

pub fn ring(v: &Value) -> geo::LineString<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| geo::coord! { x: p[0].as_f64().unwrap(), y: p[1].as_f64().unwrap() })
        .collect()
}

pub fn polygon(v: &Value) -> Polygon<f64> {
    let rings = v.as_array().unwrap();
    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
}

pub fn to_multipolygon(g: &Value) -> MultiPolygon<f64> {
    match g["type"].as_str().unwrap() {
        "Polygon" => MultiPolygon(vec![polygon(&g["coordinates"])]),
        "MultiPolygon" => MultiPolygon(
            g["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(polygon)
                .collect(),
        ),
        t => panic!("not a polygon: {t}"),
    }
}

/// A square of `half` degrees half-width around `c`, as (x0, y0, x1, y1).
pub fn square(c: geo::Point<f64>, half: f64) -> (f64, f64, f64, f64) {
    (c.x() - half, c.y() - half, c.x() + half, c.y() + half)
}

pub fn rect_poly(r: (f64, f64, f64, f64)) -> Polygon<f64> {
    geo::Rect::new(
        geo::coord! { x: r.0, y: r.1 },
        geo::coord! { x: r.2, y: r.3 },
    )
    .to_polygon()
}

/// A small square well inside some feature of `layer` that touches none of `avoid`'s features.
pub fn square_inside(layer: &str, half: f64, avoid: &[&str]) -> ((f64, f64, f64, f64), String) {
    let others: Vec<MultiPolygon<f64>> = avoid
        .iter()
        .flat_map(|l| polygons(l))
        .map(|(_, p)| p)
        .collect();
    for (id, mp) in polygons(layer) {
        for p in &mp.0 {
            let c = p.interior_point().unwrap();
            let r = square(c, half);
            let sq = rect_poly(r);
            if p.contains(&sq) && !others.iter().any(|o| o.intersects(&sq)) {
                return (r, id);
            }
        }
    }
    panic!("no clear square inside {layer}");
}
